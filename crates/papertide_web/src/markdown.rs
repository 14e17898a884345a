//! Markdown in and out.
//!
//! - [`render_comment`]: comments are written in a Markdown subset (paragraphs, emphasis,
//!   code, lists, quotes, links) and rendered safely: raw HTML is shown as text, only
//!   `http(s)`/`mailto` and relative links survive (others become plain text), images become
//!   links, every link gets `rel="nofollow ugc noopener"`.
//! - [`paper_markdown`]: the paper page as Markdown (`/papers/ID.md`), for tools and LLMs.

use papertide_core::{Community, Paper};
use pulldown_cmark::{Event, LinkType, Options, Parser, Tag, TagEnd};

fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    if let Some((scheme, _)) = lower.split_once(':') {
        // A colon before any slash means a scheme.
        if !scheme.contains('/') {
            return matches!(scheme, "http" | "https" | "mailto");
        }
    }
    !lower.starts_with("//")
}

/// A comment's Markdown as safe HTML.
pub fn render_comment(markdown: &str) -> String {
    let options = Options::ENABLE_STRIKETHROUGH;
    let mut skip_link_depth = 0usize;
    let events = Parser::new_ext(markdown, options).filter_map(|event| match event {
        Event::Html(html) | Event::InlineHtml(html) => Some(Event::Text(html)),
        Event::Start(Tag::Image { dest_url, title, id, .. }) => {
            if safe_url(&dest_url) {
                Some(Event::Start(Tag::Link { link_type: LinkType::Inline, dest_url, title, id }))
            } else {
                skip_link_depth += 1;
                None
            }
        }
        Event::End(TagEnd::Image) => {
            if skip_link_depth > 0 {
                skip_link_depth -= 1;
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
            if safe_url(&dest_url) {
                Some(Event::Start(Tag::Link { link_type, dest_url, title, id }))
            } else {
                skip_link_depth += 1;
                None
            }
        }
        Event::End(TagEnd::Link) => {
            if skip_link_depth > 0 {
                skip_link_depth -= 1;
                None
            } else {
                Some(Event::End(TagEnd::Link))
            }
        }
        Event::Start(Tag::Heading { .. }) => Some(Event::Start(Tag::Paragraph)),
        Event::End(TagEnd::Heading(_)) => Some(Event::End(TagEnd::Paragraph)),
        other => Some(other),
    });
    let mut html = String::with_capacity(markdown.len() * 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html.replace("<a href=", "<a rel=\"nofollow ugc noopener\" href=")
}

/// The paper page as Markdown.
pub fn paper_markdown(paper: &Paper, community: &Community, base_url: &str) -> String {
    let mut out = format!("# {}\n\n", paper.title);
    if !paper.authors.is_empty() {
        out.push_str(&format!("**Authors:** {}\n\n", paper.authors.join(", ")));
    }
    out.push_str(&format!("**Id:** {}", paper.id));
    if paper.version > 0 {
        out.push_str(&format!(" (v{})", paper.version));
    }
    out.push('\n');
    if let Some(d) = paper.published {
        out.push_str(&format!("**Published:** {}\n", d.format("%Y-%m-%d")));
    }
    if let Some(d) = paper.updated {
        out.push_str(&format!("**Updated:** {}\n", d.format("%Y-%m-%d")));
    }
    if !paper.categories.is_empty() {
        out.push_str(&format!("**Categories:** {}\n", paper.categories.join(", ")));
    }
    let (abs, pdf) = crate::layout::arxiv_links(paper);
    for (label, link) in [("arXiv", abs), ("PDF", pdf), ("Code", paper.links.code.clone())] {
        if let Some(link) = link {
            out.push_str(&format!("**{label}:** <{link}>\n"));
        }
    }
    out.push_str(&format!("**Upvotes:** {} · **Comments:** {}\n", community.upvotes, community.comment_count));
    if let Some(by) = &community.submitted_by {
        out.push_str(&format!("**Submitted by:** {by}\n"));
    }
    out.push_str(&format!("**Page:** <{}/papers/{}>\n\n", base_url.trim_end_matches('/'), paper.id));
    if !paper.abstract_text.is_empty() {
        out.push_str(&format!("## Abstract\n\n{}\n", paper.abstract_text));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_render_markdown_but_never_html_or_scripts() {
        let html = render_comment(
            "**bold** and `code`\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://arxiv.org)",
        );
        assert!(html.contains("<strong>bold</strong>"));
        assert!(html.contains("<code>code</code>"));
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(html.contains("<a rel=\"nofollow ugc noopener\" href=\"https://arxiv.org\">ok</a>"), "{html}");
        let img = render_comment("![t](https://e.org/a.png) ![u](data:image/png;base64,AAAA)");
        assert!(!img.contains("<img"), "{img}");
        assert!(!img.contains("data:"), "{img}");
        let attr = render_comment("<img src=x onerror=alert(1)> \" onmouseover=\"x");
        assert!(!attr.contains("<img"), "{attr}");
    }

    #[test]
    fn url_schemes() {
        assert!(safe_url("https://a.org/x:y"));
        assert!(safe_url("/papers/2401.00001"));
        assert!(!safe_url("JavaScript:alert(1)"));
        assert!(!safe_url("//evil.example/"));
        assert!(!safe_url("data:text/html,x"));
    }
}
