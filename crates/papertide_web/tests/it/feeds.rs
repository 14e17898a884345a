//! The Atom and RSS feeds: content types, feed order, escaping of hostile metadata (markup and
//! control characters) into well-formed XML, category filtering and the search feed. (Python's
//! `feedparser` reads them from a real server in `scripts/feeds-check`.)

use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use papertide_core::{FeedQuery, FeedWindow, Paper, Source};
use papertide_store::Store;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::app::{hostile_paper, kaggle, App, Reply};

/// An element of a parsed feed.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn child(&self, name: &str) -> &Node {
        self.children.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("<{}> has no <{name}>", self.name))
    }

    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn node(e: &BytesStart<'_>) -> Node {
    let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
    let attrs = e
        .attributes()
        .map(|a| {
            let a = a.unwrap();
            (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), a.unescape_value().unwrap().into_owned())
        })
        .collect();
    Node { name, attrs, ..Node::default() }
}

/// Parses `xml` strictly (matching end tags, known entities, one root, only characters XML
/// 1.0 allows) into its root element.
fn parse(xml: &str) -> Node {
    let illegal = xml.chars().find(|&c| {
        !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
    });
    assert_eq!(illegal, None, "a character XML 1.0 forbids");
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"), "{xml}");
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}")) {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(node(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => stack.last_mut().unwrap().text.push_str(&t.unescape().unwrap()),
            Event::CData(_) | Event::DocType(_) | Event::PI(_) => panic!("unexpected markup in a feed"),
            Event::Decl(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    let mut document = stack.pop().unwrap();
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.pop().unwrap()
}

fn feed(reply: &Reply, content_type: &str) -> Node {
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get("content-type").unwrap(), content_type);
    assert_eq!(reply.headers.get("cache-control").unwrap(), "public, max-age=300");
    parse(&reply.body)
}

fn atom(reply: &Reply) -> Node {
    let root = feed(reply, "application/atom+xml; charset=utf-8");
    assert_eq!((root.name.as_str(), root.attr("xmlns")), ("feed", Some("http://www.w3.org/2005/Atom")));
    root
}

fn rss(reply: &Reply) -> Node {
    let root = feed(reply, "application/rss+xml; charset=utf-8");
    assert_eq!((root.name.as_str(), root.attr("version")), ("rss", Some("2.0")));
    assert_eq!(root.attr("xmlns:dc"), Some("http://purl.org/dc/elements/1.1/"));
    root.children.into_iter().next().unwrap()
}

/// The paper ids of an Atom feed's entries, in order.
fn atom_ids(root: &Node) -> Vec<String> {
    root.all("entry")
        .map(|e| e.child("id").text.trim_start_matches("http://127.0.0.1:8000/papers/").to_string())
        .collect()
}

fn rss_ids(channel: &Node) -> Vec<String> {
    channel
        .all("item")
        .map(|i| i.child("guid").text.trim_start_matches("http://127.0.0.1:8000/papers/").to_string())
        .collect()
}

/// A paper whose text carries control characters (as mis-encoded imports do) and markup.
fn control_paper() -> Paper {
    let mut p =
        Paper::new("2401.99998".parse().unwrap(), "Bell\u{7}s & \u{1b}[31mwhistles</title>\u{1}", Source::Local);
    p.abstract_text = "Form\u{c}feed ]]> <![CDATA[ x ]]> &amp; \u{fffe}end\u{7f}".into();
    p.authors = vec!["Eve \u{8}Escape".into(), "O'Brien & <Sons>".into()];
    p.categories = vec!["cs.CR".into()];
    p.published = "2024-01-11T00:00:00Z".parse().ok();
    p
}

const DAY: (i32, u32, u32) = (2007, 4, 2);

/// Features the first `n` Kaggle papers, the hostile paper and the control-character paper on
/// one day; returns the featured papers.
fn setup(app: &App, n: usize) -> Vec<Paper> {
    app.store.upsert_papers(&[control_paper()]).unwrap();
    let day = NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap();
    let mut papers = kaggle(n);
    papers.push(hostile_paper());
    papers.push(control_paper());
    for p in &papers {
        app.store.submit(&p.id, day, None, true, Utc::now()).unwrap();
    }
    papers
}

/// The store's order of the day's feed (most upvoted first).
fn store_order(app: &App, category: Option<&str>) -> Vec<String> {
    let day = NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap();
    let mut query = FeedQuery::new(FeedWindow::Day(day));
    query.category = category.map(str::to_string);
    query.limit = 50;
    app.store.feed(&query, Utc::now()).unwrap().items.iter().map(|i| i.paper.id.to_string()).collect()
}

#[tokio::test]
async fn daily_feeds_in_feed_order() {
    let mut app = App::new();
    let papers = setup(&app, 8);
    app.sign_up("fern").await;
    app.post("/papers/0704.0005", "/papers/0704.0005/upvote", &[]).await;
    let expected = store_order(&app, None);
    assert_eq!(expected.len(), papers.len());
    assert_eq!(expected[0], "0704.0005", "the upvoted paper leads");

    let root = atom(&app.get("/feeds/daily.atom").await);
    assert_eq!(atom_ids(&root), expected);
    assert!(root.child("title").text.contains("April 2, 2007"), "{}", root.child("title").text);
    assert_eq!(root.child("id").text, "http://127.0.0.1:8000/feeds/daily.atom");
    let links: Vec<_> = root.all("link").map(|l| (l.attr("rel").unwrap(), l.attr("href").unwrap())).collect();
    assert!(links.contains(&("self", "http://127.0.0.1:8000/feeds/daily.atom")), "{links:?}");
    assert!(DateTime::parse_from_rfc3339(&root.child("updated").text).is_ok());
    assert_eq!(root.child("generator").text, "papertide");
    let first = root.all("entry").next().unwrap();
    let paper = papers.iter().find(|p| p.id.to_string() == "0704.0005").unwrap();
    assert_eq!(first.child("title").text, paper.title);
    assert_eq!(first.child("link").attr("href"), Some("http://127.0.0.1:8000/papers/0704.0005"));
    assert_eq!(first.child("summary").text, paper.abstract_text);
    let authors: Vec<_> = first.all("author").map(|a| a.child("name").text.clone()).collect();
    assert_eq!(authors, paper.authors);
    let categories: Vec<_> = first.all("category").map(|c| c.attr("term").unwrap().to_string()).collect();
    assert_eq!(categories, paper.categories);
    let published = DateTime::parse_from_rfc3339(&first.child("published").text).unwrap();
    assert_eq!(Some(published.with_timezone(&Utc)), paper.published);
    assert!(DateTime::parse_from_rfc3339(&first.child("updated").text).is_ok());

    let channel = rss(&app.get("/feeds/daily.rss").await);
    assert_eq!(rss_ids(&channel), expected);
    assert_eq!(channel.child("atom:link").attr("rel"), Some("self"));
    assert_eq!(channel.child("atom:link").attr("href"), Some("http://127.0.0.1:8000/feeds/daily.rss"));
    assert!(DateTime::parse_from_rfc2822(&channel.child("lastBuildDate").text).is_ok());
    let item = channel.all("item").next().unwrap();
    assert_eq!(item.child("title").text, paper.title);
    assert_eq!(item.child("link").text, "http://127.0.0.1:8000/papers/0704.0005");
    assert_eq!(item.child("guid").attr("isPermaLink"), Some("true"));
    let published = DateTime::parse_from_rfc2822(&item.child("pubDate").text).unwrap();
    assert_eq!(Some(published.with_timezone(&Utc)), paper.published);
    let creators: Vec<_> = item.all("dc:creator").map(|c| c.text.clone()).collect();
    assert_eq!(creators, paper.authors);

    // The site's pages point feed readers at the daily feed.
    let home = app.get("/").await;
    assert!(home.body.contains(r#"<link rel="alternate" type="application/atom+xml""#), "{}", home.body);
    assert!(home.body.contains(r#"href="/feeds/daily.rss""#));
}

#[tokio::test]
async fn hostile_metadata_is_escaped_and_stripped() {
    let mut app = App::new();
    setup(&app, 2);
    let hostile = hostile_paper();
    for path in ["/feeds/daily.atom", "/feeds/daily.rss"] {
        let reply = app.get(path).await;
        assert!(!reply.body.contains("<script>") && !reply.body.contains("<img"), "{path}: raw markup");
        assert!(!reply.body.contains("<b>") && !reply.body.contains("</title>\u{1}"), "{path}: raw markup");
    }
    let root = atom(&app.get("/feeds/daily.atom").await);
    let entry = |id: &str| root.all("entry").find(|e| e.child("id").text.ends_with(id)).unwrap();
    let h = entry("2401.99999");
    assert_eq!(h.child("title").text, hostile.title, "the title, as text");
    assert_eq!(h.child("summary").text, hostile.abstract_text);
    assert_eq!(h.child("author").child("name").text, "Mallory <b>Bold</b>");
    let c = entry("2401.99998");
    assert_eq!(c.child("title").text, "Bells & [31mwhistles</title>", "control characters dropped");
    assert_eq!(c.child("summary").text, "Formfeed ]]> <![CDATA[ x ]]> &amp; end");
    let names: Vec<_> = c.all("author").map(|a| a.child("name").text.as_str()).collect();
    assert_eq!(names, ["Eve Escape", "O'Brien & <Sons>"]);

    // RSS descriptions are HTML: the abstract is escaped once more, so readers show it as text.
    let channel = rss(&app.get("/feeds/daily.rss").await);
    let item = channel.all("item").find(|i| i.child("guid").text.ends_with("2401.99999")).unwrap();
    assert_eq!(item.child("title").text, hostile.title);
    assert_eq!(
        item.child("description").text,
        "We sort &lt;img src=x onerror=alert(1)&gt; lists with $O(n\\log n)$ comparisons &quot; onmouseover=&quot;x"
    );
}

#[tokio::test]
async fn category_feeds_filter_and_refuse_junk() {
    let mut app = App::new();
    let papers = setup(&app, 10);
    let cs = store_order(&app, Some("cs"));
    let in_cs = papers.iter().filter(|p| p.categories.iter().any(|c| c.starts_with("cs."))).count();
    assert!(cs.len() >= 2 && cs.len() == in_cs && cs.len() < papers.len(), "{cs:?}");
    for path in ["/feeds/category/cs.atom", "/feeds/category/cs.*.atom"] {
        let root = atom(&app.get(path).await);
        assert_eq!(atom_ids(&root), cs, "{path}");
        assert!(root.child("title").text.contains("papers of April 2, 2007"));
    }
    let channel = rss(&app.get("/feeds/category/cs.rss").await);
    assert_eq!(rss_ids(&channel), cs);
    assert_eq!(channel.child("link").text, "http://127.0.0.1:8000/?category=cs");
    let ds = atom(&app.get("/feeds/category/cs.DS.atom").await);
    assert_eq!(atom_ids(&ds), store_order(&app, Some("cs.DS")));
    assert!(atom_ids(&ds).contains(&"2401.99999".to_string()));
    assert!(atom_ids(&atom(&app.get("/feeds/category/astro-ph.CO.atom").await)).is_empty(), "an empty feed");

    for junk in ["%3Cscript%3E.atom", "cs%20LG.rss", "1cs.atom", ".atom", "cs.LG%22.rss"] {
        let r = app.get(&format!("/feeds/category/{junk}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{junk}: {}", r.body);
    }
    for missing in ["/feeds/category/cs.json", "/feeds/daily.json", "/feeds/weekly.atom", "/feeds/daily"] {
        assert_eq!(app.get(missing).await.status, StatusCode::NOT_FOUND, "{missing}");
    }
}

#[tokio::test]
async fn search_feeds_newest_first() {
    let mut app = App::new();
    let reply = app.get("/feeds/search.atom?q=the&mode=keyword").await;
    let root = atom(&reply);
    assert_eq!(root.child("id").text, "http://127.0.0.1:8000/feeds/search.atom?q=the&mode=keyword");
    assert!(root.child("title").text.contains("the"));
    let ids = atom_ids(&root);
    assert!(ids.len() >= 5 && ids.len() <= 50, "{ids:?}");
    let dates: Vec<DateTime<Utc>> = root
        .all("entry")
        .map(|e| DateTime::parse_from_rfc3339(&e.child("published").text).unwrap().with_timezone(&Utc))
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");

    let channel = rss(&app.get("/feeds/search.rss?q=sorting&category=cs.DS").await);
    assert_eq!(rss_ids(&channel), ["2401.99999"]);
    assert_eq!(channel.child("link").text, "http://127.0.0.1:8000/search?q=sorting&category=cs.DS");
    let self_link = channel.child("atom:link").attr("href").unwrap();
    assert_eq!(self_link, "http://127.0.0.1:8000/feeds/search.rss?q=sorting&category=cs.DS");
    assert!(reply.body.contains("?q=the&amp;mode=keyword"), "& in links is escaped");

    for bad in ["/feeds/search.atom", "/feeds/search.rss?q=%20", "/feeds/search.atom?q=x&mode=psychic"] {
        assert_eq!(app.get(bad).await.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(app.get("/feeds/search.atom?q=x&category=%3Cb%3E").await.status, StatusCode::BAD_REQUEST);
}

/// The private For-you feed: made on /for-you, read with its token only, private and not indexed.
#[tokio::test]
async fn the_for_you_feed_is_private_to_its_token() {
    let mut app = App::new();
    let papers = setup(&app, 4);
    let write = crate::api_v1::token(&mut app, "fiona", "write").await;

    // The link is made on /for-you and shown once.
    let page = app.get("/for-you").await;
    assert!(page.body.contains("Read this in a feed reader") && page.body.contains("action=\"/for-you/feed\""));
    let forged = app.post_raw("/for-you/feed", &[("csrf", "forged")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let made = app.post("/for-you", "/for-you/feed", &[]).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.body);
    assert_eq!(made.headers.get("cache-control").unwrap(), "no-store");
    let url = |ext: &str| {
        let marker = format!("value=\"http://127.0.0.1:8000/feeds/for-you.{ext}?token=");
        let base = "value=\"http://127.0.0.1:8000";
        let start = made.body.find(&marker).unwrap_or_else(|| panic!("{ext} link: {}", made.body)) + base.len();
        made.body[start..].split('"').next().unwrap().to_string()
    };
    let (atom_path, rss_path) = (url("atom"), url("rss"));
    assert!(atom_path.starts_with("/feeds/for-you.atom?token=pt_"), "{atom_path}");
    assert!(made.body.contains("For you feed") && made.body.contains("/users/fiona#api-tokens"), "revocable there");
    let tokens = app.store.api_tokens(app.store.user_by_name(&"fiona".parse().unwrap()).unwrap().unwrap().id).unwrap();
    let feed_token = tokens.iter().find(|t| t.name == "For you feed").expect("a token named for the feed");
    assert_eq!(feed_token.scope, papertide_core::TokenScope::Read);

    // A feed reader has no cookies.
    app.forget_cookies();
    let private = |reply: &Reply| {
        assert_eq!(reply.headers.get("cache-control").unwrap(), "private, no-cache", "{}", reply.body);
        assert_eq!(reply.headers.get("x-robots-tag").unwrap(), "noindex");
        assert!(reply.headers.get("set-cookie").is_none(), "never a cookie");
    };
    let reply = app.get(&atom_path).await;
    private(&reply);
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.headers.get("content-type").unwrap(), "application/atom+xml; charset=utf-8");
    let root = parse(&reply.body);
    assert_eq!(root.name, "feed");
    assert!(root.child("title").text.contains("For you (fiona)"), "{}", root.child("title").text);
    assert!(!root.child("id").text.contains("token"), "the feed id holds no secret");
    let entries: Vec<&Node> = root.all("entry").collect();
    assert_eq!(entries.len(), papers.len(), "cold start: the week's trending papers");
    for e in &entries {
        let paper = papers.iter().find(|p| e.child("id").text.ends_with(p.id.as_str())).unwrap();
        let summary = &e.child("summary").text;
        assert!(summary.starts_with("Trending this week\n\n"), "the reason first: {summary}");
        assert!(summary.ends_with(&paper.abstract_text.replace(['\u{c}', '\u{fffe}', '\u{7f}'], "")));
    }
    let reply = app.get(&rss_path).await;
    private(&reply);
    assert_eq!(reply.headers.get("content-type").unwrap(), "application/rss+xml; charset=utf-8");
    let channel = parse(&reply.body).children.into_iter().next().unwrap();
    assert_eq!(channel.all("item").count(), papers.len());
    assert!(channel.all("item").all(|i| i.child("description").text.starts_with("Trending this week<br><br>")));
    assert!(app.get(&format!("/feeds/for-you.rss?token={write}")).await.status == StatusCode::OK, "any live token");

    // Without a token, with a wrong one, with a revoked one: 401 in plain text.
    for path in [
        "/feeds/for-you.atom",
        "/feeds/for-you.rss?token=",
        "/feeds/for-you.atom?token=pt_not-a-token",
        "/feeds/for-you.rss?token=hf_abc",
        "/feeds/for-you.atom?token=%ZZ",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}: {}", r.body);
        assert_eq!(r.headers.get("content-type").unwrap(), "text/plain; charset=utf-8", "{path}");
        private(&r);
    }
    let r = app.post("/signin", "/signin", &[("name", "fiona"), ("password", "correct horse battery")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let revoke = format!("/settings/tokens/{}/revoke", feed_token.id);
    assert_eq!(app.post("/users/fiona", &revoke, &[]).await.status, StatusCode::SEE_OTHER);
    app.forget_cookies();
    let gone = app.get(&atom_path).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    assert!(gone.body.contains("revoked"), "{}", gone.body);
    private(&gone);
}
