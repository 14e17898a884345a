//! Keyword index tests on the real 26,809-paper daily-listing corpus (built once per test
//! binary in a temp dir). Garbage input is in [`lenient`]; writes, cursors and reopening use
//! small throwaway indexes: [`writes`].

use std::collections::HashMap;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use papertide_core::{Paper, PaperId, Source};
use papertide_ingest::Item;
use papertide_search::keyword::{Filters, KeywordHit, KeywordIndex, KeywordQuery, MAX_RESULTS};

mod lenient;
mod writes;

const CORPUS: &str = "arxiv/daily-arxiv-cs-2026-03_to_2026-07.jsonl.xz";
const XSS_ID: &str = "local:xss-test";

struct Corpus {
    _dir: tempfile::TempDir,
    index: KeywordIndex,
    papers: Vec<Paper>,
    by_id: HashMap<PaperId, usize>,
}

/// Reads the corpus file with the ingest crate's daily-listing parser.
fn read_corpus() -> Vec<Paper> {
    let path = std::env::var("PAPERTIDE_DAILY_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| crate::common::shared_data().join(CORPUS));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = BufReader::new(xz2::read::XzDecoder::new(file));
    let mut papers = Vec::new();
    papertide_ingest::daily::parse(&mut reader, "corpus", &mut |item| {
        if let Item::Paper(p) = item {
            papers.push(*p);
        }
        Ok(())
    })
    .expect("parse the corpus");
    papers
}

fn crafted() -> Vec<Paper> {
    let mut xss = Paper::new(
        XSS_ID.parse().unwrap(),
        "Robust <script>alert(1)</script> Detection & Tom's $\\epsilon$-greedy Zyzzyvas",
        Source::Local,
    );
    xss.abstract_text = "We detect <script> tags & other <b>markup</b> in zyzzyva feeds, with $a<b$.".into();
    xss.authors = vec!["Mallory O'Brien".into()];
    let mut doi = Paper::new("doi:10.1145/359340.359342".parse().unwrap(), "Time Sharing Zyzzyvas", Source::Local);
    doi.abstract_text = "A crafted paper with a DOI id.".into();
    let old = Paper::new("hep-th/9901001".parse().unwrap(), "An Old Style Zyzzyva", Source::Local);
    vec![xss, doi, old]
}

fn corpus() -> &'static Corpus {
    static CORPUS: OnceLock<Corpus> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut papers = read_corpus();
        assert!(papers.len() > 26_000, "corpus has {} papers", papers.len());
        papers.extend(crafted());
        let dir = tempfile::tempdir().unwrap();
        let index = KeywordIndex::open(&dir.path().join("keyword")).unwrap();
        let mut writer = index.writer(100_000_000).unwrap();
        for (key, paper) in papers.iter().enumerate() {
            writer.upsert(key as u64, paper).unwrap();
        }
        writer.commit(papers.len() as u64).unwrap();
        let by_id = papers.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        Corpus { _dir: dir, index, papers, by_id }
    })
}

fn search(text: &str, limit: usize) -> Vec<KeywordHit> {
    corpus().index.search(&KeywordQuery::new(text, limit)).unwrap()
}

fn filtered(text: &str, filters: Filters) -> Vec<KeywordHit> {
    corpus().index.search(&KeywordQuery::new(text, MAX_RESULTS).with_filters(filters)).unwrap()
}

fn paper(hit: &KeywordHit) -> &'static Paper {
    let c = corpus();
    let p = &c.papers[c.by_id[&hit.id]];
    assert_eq!(hit.key as usize, c.by_id[&hit.id], "key joins back to the paper");
    p
}

fn text_of(p: &Paper) -> String {
    format!("{} {}", p.title, p.abstract_text).to_lowercase()
}

#[test]
fn corpus_is_indexed_with_its_cursor() {
    let c = corpus();
    assert_eq!(c.index.num_docs() as usize, c.by_id.len());
    assert_eq!(c.index.cursor().unwrap(), c.papers.len() as u64);
}

#[test]
fn known_titles_rank_first() {
    let c = corpus();
    let mut titles: HashMap<String, usize> = HashMap::new();
    for p in &c.papers {
        *titles.entry(p.title.to_lowercase()).or_default() += 1;
    }
    let samples: Vec<&Paper> =
        c.papers.iter().step_by(997).filter(|p| titles[&p.title.to_lowercase()] == 1).take(25).collect();
    assert!(samples.len() >= 20);
    for p in samples {
        let hits = search(&p.title, 5);
        assert_eq!(hits.first().map(|h| &h.id), Some(&p.id), "title {:?}", p.title);
        // As typed: the title minus the end of its last word.
        let mut cut = p.title.len() - 2;
        while !p.title.is_char_boundary(cut) {
            cut -= 1;
        }
        let typed = &p.title[..cut];
        let hits = search(typed, 5);
        assert!(hits.iter().any(|h| h.id == p.id), "typed {typed:?}");
    }
}

#[test]
fn stemming_matches_word_forms() {
    let hits = search("attention transformers ", 20);
    assert_eq!(hits.len(), 20);
    for h in &hits {
        let t = text_of(paper(h));
        assert!(t.contains("attention") && t.contains("transformer"), "{}", paper(h).title);
    }
    let other_forms = search("attentions transformer ", 20);
    assert_eq!(hits, other_forms, "same stems, same results");
}

#[test]
fn quoted_phrases_are_phrases() {
    let phrase = filtered("\"language models\" reasoning", Filters::default());
    let words = filtered("language models reasoning", Filters::default());
    assert!(!phrase.is_empty() && phrase.len() < words.len(), "{} vs {}", phrase.len(), words.len());
    for h in &phrase {
        let t = text_of(paper(h));
        let words: Vec<&str> = t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
        let adjacent = words.windows(2).any(|w| w[0].starts_with("language") && w[1].starts_with("model"));
        assert!(adjacent, "{}", paper(h).title);
    }
}

#[test]
fn the_last_word_is_a_prefix_while_typing() {
    let typing = search("transf", 20);
    assert_eq!(typing.len(), 20);
    assert!(typing
        .iter()
        .all(|h| text_of(paper(h)).split(|c: char| !c.is_alphanumeric()).any(|w| w.starts_with("transf"))));
    assert!(search("transf ", 20).len() < 20, "a finished word is not a prefix");
    let hits = search("zyzzyv", 10);
    assert_eq!(hits.len(), 3, "crafted papers by prefix");
}

#[test]
fn category_filters_match_exactly_or_by_archive() {
    let cv = filtered("segmentation", Filters { categories: vec!["cs.CV".into()], ..Filters::default() });
    assert!(!cv.is_empty());
    assert!(cv.iter().all(|h| paper(h).categories.iter().any(|c| c == "cs.CV")));
    let lower = filtered("segmentation", Filters { categories: vec!["CS.cv".into()], ..Filters::default() });
    assert_eq!(cv, lower, "case-insensitive");
    let all = filtered("segmentation", Filters::default());
    let cs = filtered("segmentation", Filters { categories: vec!["cs".into()], ..Filters::default() });
    assert!(cs.len() > cv.len() && cs.len() <= all.len());
    assert!(cs.iter().all(|h| paper(h).categories.iter().any(|c| c.starts_with("cs."))));
    let either = Filters { categories: vec!["eess.IV".into(), "q-bio".into()], ..Filters::default() };
    let either = filtered("segmentation", either);
    assert!(!either.is_empty());
    assert!(either.iter().all(|h| paper(h).categories.iter().any(|c| c == "eess.IV" || c.starts_with("q-bio"))));
    assert!(
        filtered("segmentation", Filters { categories: vec!["nonexistent".into()], ..Filters::default() }).is_empty()
    );
}

#[test]
fn date_filters_are_inclusive_ranges() {
    let cut = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    let all = filtered("robot grasping", Filters::default());
    let since = filtered("robot grasping", Filters { since: Some(cut), ..Filters::default() });
    let before = Filters { until: Some(cut - chrono::Duration::seconds(1)), ..Filters::default() };
    let before = filtered("robot grasping", before);
    assert!(!since.is_empty() && !before.is_empty());
    assert!(since.iter().all(|h| paper(h).published.is_some_and(|d| d >= cut)));
    assert!(before.iter().all(|h| paper(h).published.is_some_and(|d| d < cut)));
    let dated = all.iter().filter(|h| paper(h).published.is_some()).count();
    assert_eq!(since.len() + before.len(), dated);
    let day = Filters { since: Some(cut), until: Some(cut), ..Filters::default() };
    assert!(filtered("robot grasping", day).iter().all(|h| paper(h).published == Some(cut)));
}

#[test]
fn author_filter_matches_name_words() {
    let c = corpus();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for a in c.papers.iter().flat_map(|p| &p.authors) {
        *counts.entry(a.as_str()).or_default() += 1;
    }
    let (name, n) = counts.into_iter().filter(|(a, _)| a.is_ascii()).max_by_key(|&(a, n)| (n, a)).unwrap();
    assert!(n >= 5, "{name}: {n}");
    let surname = name.rsplit(' ').next().unwrap();
    let hits = filtered("learning model", Filters { author: Some(name.to_uppercase()), ..Filters::default() });
    assert!(!hits.is_empty(), "{name}");
    for h in &hits {
        let authors = paper(h).authors.join(" ").to_lowercase();
        assert!(name.to_lowercase().split(' ').all(|w| authors.contains(w)), "{authors}");
    }
    // A surname typed as text finds the author's papers too (author field, boosted).
    let by_text = search(&format!("{name} "), 10);
    for h in by_text.iter().take(3) {
        let p = paper(h);
        assert!(p.authors.iter().any(|a| a.contains(surname)), "{name}: {} by {:?}", p.title, p.authors);
    }
    let nobody = Filters { author: Some("Qwxzyq Vrrmpt".into()), ..Filters::default() };
    assert!(filtered("learning", nobody).is_empty());
}

#[test]
fn index_filters_agree_with_filters_matches() {
    let c = corpus();
    let author = c.papers[777].authors.first().cloned();
    let day = |m, d| Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0).unwrap();
    let combos = [
        Filters { categories: vec!["cs.RO".into(), "eess".into()], ..Filters::default() },
        Filters { since: Some(day(4, 15)), until: Some(day(6, 1)), ..Filters::default() },
        Filters { author: author.clone(), ..Filters::default() },
        Filters {
            categories: vec!["CS.lg".into(), " ".into()],
            since: Some(day(5, 2)),
            author: Some("  ".into()),
            ..Filters::default()
        },
    ];
    for text in ["robot grasping", "speech recognition"] {
        let all = filtered(text, Filters::default());
        for f in &combos {
            let mut want: Vec<&PaperId> = all.iter().filter(|h| f.matches(paper(h))).map(|h| &h.id).collect();
            let got = filtered(text, f.clone());
            let mut got: Vec<&PaperId> = got.iter().map(|h| &h.id).collect();
            want.sort();
            got.sort();
            assert_eq!(got, want, "{text:?} {f:?}");
        }
    }
}

#[test]
fn ids_and_urls_go_straight_to_the_paper() {
    let c = corpus();
    let p = &c.papers[1234];
    let id = p.id.as_str();
    for text in [
        id.to_string(),
        format!("arXiv:{id}v2"),
        format!("https://arxiv.org/abs/{id}"),
        format!("https://arxiv.org/pdf/{id}v1.pdf"),
        format!("  {id}  "),
    ] {
        let hit = c.index.lookup_id(&text).unwrap();
        assert_eq!(hit.as_ref().map(|h| &h.id), Some(&p.id), "{text}");
        assert_eq!(hit.map(|h| h.key), Some(1234));
        assert_eq!(search(&text, 10).iter().map(|h| &h.id).collect::<Vec<_>>(), [&p.id], "{text}");
    }
    for (text, want) in [
        ("hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/abs/hep-th/9901001v3", "hep-th/9901001"),
        ("doi:10.1145/359340.359342", "doi:10.1145/359340.359342"),
        ("https://doi.org/10.1145/359340.359342", "doi:10.1145/359340.359342"),
        ("DOI:10.1145/359340.359342", "doi:10.1145/359340.359342"),
    ] {
        assert_eq!(c.index.lookup_id(text).unwrap().map(|h| h.id.to_string()).as_deref(), Some(want), "{text}");
    }
    for text in ["2401.99999", "attention", "title:attention", "", "doi:10.1/none"] {
        assert_eq!(c.index.lookup_id(text).unwrap(), None, "{text}");
    }
}

#[test]
fn snippets_mark_words_and_escape_everything_else() {
    let c = corpus();
    let id: PaperId = XSS_ID.parse().unwrap();
    let h = c.index.snippet(&id, "script detection epsilon").unwrap().unwrap();
    assert_eq!(
        h.title_html,
        "Robust &lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt; <mark>Detection</mark> &amp; \
         Tom&#39;s $\\epsilon$-greedy Zyzzyvas"
    );
    assert_eq!(
        h.abstract_html,
        "We <mark>detect</mark> &lt;<mark>script</mark>&gt; tags &amp; other &lt;b&gt;markup&lt;/b&gt; in zyzzyva \
         feeds, with $a&lt;b$."
    );
    let real = &c.papers[5000];
    let word = real.title.split(' ').find(|w| w.len() > 6 && w.chars().all(char::is_alphabetic)).unwrap();
    let h = c.index.snippet(&real.id, word).unwrap().unwrap();
    assert!(h.title_html.contains(&format!("<mark>{word}</mark>")), "{}", h.title_html);
    assert!(h.abstract_html.len() >= real.abstract_text.len(), "the full abstract");
    assert!(!h.abstract_html.contains("<script"));
    assert_eq!(c.index.snippet(&"2401.99999".parse().unwrap(), "x").unwrap(), None);
}

#[test]
fn pages_follow_each_other() {
    let first = search("diffusion models", 20);
    let q = KeywordQuery { offset: 10, ..KeywordQuery::new("diffusion models", 10) };
    let second = corpus().index.search(&q).unwrap();
    assert_eq!(&first[10..], &second[..]);
    assert!(first.windows(2).all(|w| w[0].score >= w[1].score));
}

/// Phase one by MaxScore finds the pages block-max WAND finds, with the same scores (up to
/// float rounding: the terms are summed in another order).
#[test]
fn maxscore_and_wand_give_the_same_pages() {
    let index = &corpus().index;
    let wand = KeywordIndex::open(index.path().unwrap())
        .unwrap()
        .with_tuning(papertide_search::keyword::Tuning { maxscore: false, ..Default::default() });
    let queries = [
        "graph neural networks for molecules",
        "State-Grounded Multi-Agent Synthetic LiDAR-based Generation",
        "why does softmax collapse at the edge of numerical stability",
        "diffusion",
        "Yang Liu",
    ];
    for text in queries {
        for (limit, offset) in [(10, 0), (100, 0), (10, 30)] {
            let q = KeywordQuery { offset, typing: false, ..KeywordQuery::new(text, limit) };
            let (a, b) = (index.search(&q).unwrap(), wand.search(&q).unwrap());
            assert_eq!(a.len(), b.len(), "{text}");
            for (x, y) in a.iter().zip(&b) {
                assert!((x.score - y.score).abs() <= 1e-4 * y.score.abs().max(1.0), "{text}: {x:?} vs {y:?}");
            }
        }
    }
}

/// A deeper list ranked from a page's phase-one candidates (what hybrid search fuses) starts
/// with that page exactly; a candidate count below the list's end is raised to it.
#[test]
fn a_list_from_a_pages_candidates_starts_with_the_page() {
    let index = &corpus().index;
    for text in ["graph neural networks for molecules", "diffusion", "Yang Liu"] {
        let page = index.search(&KeywordQuery::new(text, 10)).unwrap();
        let depth = papertide_search::keyword::rescore::depth(10);
        let list = index.search(&KeywordQuery { candidates: Some(depth), ..KeywordQuery::new(text, 100) }).unwrap();
        assert_eq!(list.len(), 100, "{text}");
        assert_eq!(&list[..10], &page[..], "{text}");
        let few = index.search(&KeywordQuery { candidates: Some(5), ..KeywordQuery::new(text, 50) }).unwrap();
        assert_eq!(few.len(), 50, "{text}: at least as many candidates as the list asks for");
    }
}

/// Plain queries run in two phases (block-max WAND, then bonuses for the top candidates):
/// the first page is the one the single combined query gives, with the same scores.
#[test]
fn two_phase_ranking_matches_the_combined_query() {
    let two = &corpus().index;
    assert!(two.tuning().two_phase);
    let single = KeywordIndex::open(two.path().unwrap())
        .unwrap()
        .with_tuning(papertide_search::keyword::Tuning { two_phase: false, ..Default::default() });
    let queries = [
        "graph neural networks for molecules",
        "kernelized attention with relative positional encoding",
        "why does softmax collapse at the edge of numerical stability",
        "diffusion",
        "large language model reasoning benchmark",
        "Yang Liu",
        "reinforcement learning from human feedback reward hacking",
    ];
    for text in queries {
        for offset in [0, 10] {
            let q = KeywordQuery { offset, ..KeywordQuery::new(text, 10) };
            let (a, b) = (two.search(&q).unwrap(), single.search(&q).unwrap());
            assert_eq!(a.len(), b.len(), "{text}");
            for (x, y) in a.iter().zip(&b) {
                assert!((x.score - y.score).abs() <= 1e-3 * y.score.abs().max(1.0), "{text}: {x:?} vs {y:?}");
            }
            // Ties may order differently; the sets of each score agree.
            let ids = |hits: &[KeywordHit]| {
                let mut v: Vec<(i64, String)> =
                    hits.iter().map(|h| ((h.score * 1000.0).round() as i64, h.id.to_string())).collect();
                v.sort();
                v
            };
            if offset == 0 {
                assert_eq!(ids(&a), ids(&b), "{text}");
            }
        }
    }
}
