//! What a mail says: [`OutgoingMail`] (what the outbox stores and a [`crate::smtp::Mailer`]
//! sends), and the rendering of digests ([`render_digest`]) and double opt-in confirmations
//! ([`render_confirmation`]) and password reset mails ([`render_password_reset`]) from
//! minijinja templates compiled into the binary
//! (`templates/{digest,confirm,reset}/{subject.txt,body.txt,body.html}`; every `body.html`
//! extends `templates/layout.html`).
//!
//! Titles, authors, abstracts and reasons go through [`latex_to_text`] for both parts (mail
//! clients cannot render math). The `.html` templates are autoescaped: every value is HTML
//! escaped unless a template marks it safe, which none does. Subjects are one line.
//! Digests carry the RFC 2369 / RFC 8058 list headers (`List-Id`, `List-Unsubscribe`,
//! `List-Unsubscribe-Post: List-Unsubscribe=One-Click`) so mail clients offer one-click
//! unsubscribing.

use std::sync::OnceLock;

use lettre::message::Mailbox;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};
use serde::{Deserialize, Serialize};

use crate::latex::latex_to_text;
use crate::smtp::{normalize_message_id, MailError};
use papertide_core::text::escape_html;

/// A rendered mail, ready to send: stored in the outbox as JSON until delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    /// The recipient's address.
    pub to: String,
    /// The subject, one line of plain text.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part.
    pub html: String,
    /// The Message-ID, `<left@right>`: fixed when the mail is rendered, so a retried send
    /// is recognisably the same message.
    pub message_id: String,
    /// Extra headers in order (`List-Unsubscribe`, `List-Unsubscribe-Post`, `List-Id`).
    pub headers: Vec<(String, String)>,
}

impl OutgoingMail {
    /// The value of the first extra header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// One paper in a digest, as the digest run picked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestPaper {
    /// The paper's id (`2401.01234`).
    pub id: String,
    /// The title, may hold LaTeX.
    pub title: String,
    /// The authors in order, may hold LaTeX accents.
    pub authors: Vec<String>,
    /// The abstract, may hold LaTeX; the mail shows an excerpt.
    pub abstract_text: String,
    /// The paper's page on this site.
    pub url: String,
    /// Upvotes on this site (shown when above zero).
    pub upvotes: i64,
    /// Why the paper is in this digest, e.g. `similar to "Attention Is All You Need", which
    /// you upvoted`; shown as "Why: …".
    pub reason: Option<String>,
}

/// A digest for one subscriber and one period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// The subscriber's address.
    pub to: String,
    /// The period in words: `Thursday, March 5, 2026` (daily) or `week 10 of 2026` (weekly).
    pub period_label: String,
    /// `daily` or `weekly`.
    pub frequency: String,
    /// The papers, in the order to show them.
    pub papers: Vec<DigestPaper>,
    /// The site's base URL (`https://papers.example.org`); its host names the list (`List-Id`).
    pub base_url: String,
    /// The one-click unsubscribe link (RFC 8058: a POST to it unsubscribes, no login).
    pub unsubscribe_url: String,
    /// The page to change frequency or categories.
    pub manage_url: String,
    /// The Message-ID, with or without angle brackets (`digest-…@papers.example.org`).
    pub message_id: String,
}

/// A double opt-in mail: the subscription starts only once its link is opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The address to confirm.
    pub to: String,
    /// The confirmation link (valid 48 hours).
    pub confirm_url: String,
    /// The site's base URL.
    pub base_url: String,
    /// The Message-ID, with or without angle brackets.
    pub message_id: String,
}

/// A password reset mail: a link to choose a new password, sent to an account's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordReset {
    /// The account's address.
    pub to: String,
    /// The account's user name.
    pub name: String,
    /// The reset link (valid [`RESET_VALID_MINUTES`]).
    pub reset_url: String,
    /// The site's base URL.
    pub base_url: String,
    /// The Message-ID, with or without angle brackets.
    pub message_id: String,
}

/// How long a password reset link is valid, as the mail says.
pub const RESET_VALID_MINUTES: u32 = 60;

/// How many authors a digest names before "et al.".
pub const MAX_AUTHORS: usize = 5;

/// About how many characters of an abstract a digest shows.
pub const EXCERPT_CHARS: usize = 300;

/// The width the text part's paragraphs are wrapped to.
const TEXT_WIDTH: usize = 76;

/// The templates, compiled in: (name, source). Names ending in `.html` are autoescaped.
const TEMPLATES: [(&str, &str); 10] = [
    // The HTML shell every `body.html` extends (title, card, content blocks).
    ("layout.html", include_str!("../templates/layout.html")),
    ("digest/subject.txt", include_str!("../templates/digest/subject.txt")),
    ("digest/body.txt", include_str!("../templates/digest/body.txt")),
    ("digest/body.html", include_str!("../templates/digest/body.html")),
    ("confirm/subject.txt", include_str!("../templates/confirm/subject.txt")),
    ("confirm/body.txt", include_str!("../templates/confirm/body.txt")),
    ("confirm/body.html", include_str!("../templates/confirm/body.html")),
    ("reset/subject.txt", include_str!("../templates/reset/subject.txt")),
    ("reset/body.txt", include_str!("../templates/reset/body.txt")),
    ("reset/body.html", include_str!("../templates/reset/body.html")),
];

/// The template environment, built once.
fn environment() -> Result<&'static Environment<'static>, MailError> {
    static ENV: OnceLock<Result<Environment<'static>, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| e.to_string())?;
        env.set_syntax(syntax);
        // minijinja's own HTML escaping also writes `/` as `&#x2f;`, which is valid but makes
        // every link in the source unreadable: escape the five characters that matter only.
        env.set_formatter(|out, state, value| {
            if matches!(state.auto_escape(), AutoEscape::Html) && !value.is_safe() {
                if let Some(s) = value.as_str() {
                    out.write_str(&escape_html(s))?;
                    return Ok(());
                }
            }
            minijinja::escape_formatter(out, state, value)
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| format!("{name}: {e}"))?;
        }
        Ok(env)
    })
    .as_ref()
    .map_err(|e| MailError::Template(e.clone()))
}

fn render(name: &str, context: &Value) -> Result<String, MailError> {
    let template = environment()?.get_template(name).map_err(|e| MailError::Template(format!("{name}: {e}")))?;
    template.render(context).map_err(|e| MailError::Template(format!("{name}: {e:#}")))
}

/// Renders the three templates of `kind` (subject on one line).
fn render_parts(kind: &str, context: &Value) -> Result<(String, String, String), MailError> {
    let subject = collapse(&render(&format!("{kind}/subject.txt"), context)?);
    let text = render(&format!("{kind}/body.txt"), context)?;
    let html = render(&format!("{kind}/body.html"), context)?;
    Ok((subject, text, html))
}

/// Checks that a recipient is a valid mailbox.
fn check_address(address: &str) -> Result<(), MailError> {
    address
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| MailError::Address { address: address.to_string(), reason: e.to_string() })
}

/// Checks that a link is an absolute http(s) URL, and returns its host.
fn check_url(link: &str) -> Result<String, MailError> {
    let bad = |reason: &str| MailError::Url { url: link.to_string(), reason: reason.to_string() };
    let parsed = url::Url::parse(link).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("only http and https links are sent"));
    }
    parsed.host_str().map(str::to_string).ok_or_else(|| bad("no host"))
}

/// Collapses whitespace runs (line breaks included) into single spaces.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Authors as text: the first [`MAX_AUTHORS`], then "et al.".
pub fn format_authors(authors: &[String]) -> String {
    let names: Vec<String> = authors.iter().map(|a| latex_to_text(a)).filter(|a| !a.is_empty()).collect();
    if names.len() > MAX_AUTHORS {
        format!("{} et al.", names[..MAX_AUTHORS].join(", "))
    } else {
        names.join(", ")
    }
}

/// At most about `max_chars` characters of `text`, cut at a word boundary and ended with
/// "…" when cut (a word longer than the limit is cut inside).
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let text = collapse(text);
    if text.chars().count() <= max_chars {
        return text;
    }
    let cut: String = text.chars().take(max_chars).collect();
    // Cut where the next word starts when the limit falls right at a word's end.
    let next_is_space = text.chars().nth(max_chars).is_some_and(char::is_whitespace);
    let kept = if next_is_space {
        cut.as_str()
    } else {
        match cut.rfind(' ') {
            Some(i) if i > 0 => &cut[..i],
            _ => cut.as_str(),
        }
    };
    let kept =
        kept.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '.' | '-' | '–' | '—'));
    format!("{kept}…")
}

/// Wraps `text` at spaces into lines of at most `width` characters (longer words stay
/// whole). Every line is taken to start after `indent` (the caller writes the first line's
/// prefix); the lines after the first start with `indent`.
fn wrap(text: &str, width: usize, indent: &str) -> String {
    let start = indent.chars().count();
    let mut out = String::with_capacity(text.len() + 16);
    let mut line_len = start;
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && line_len + 1 + len > width {
            out.push('\n');
            out.push_str(indent);
            line_len = start;
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            line_len += 1;
        }
        out.push_str(word);
        line_len += len;
        line_empty = false;
    }
    out
}

/// What the digest templates see of one paper.
#[derive(Serialize)]
struct PaperView {
    number: usize,
    /// The text part's indentation under "N. ".
    indent: String,
    id: String,
    title: String,
    title_wrapped: String,
    authors: String,
    authors_wrapped: String,
    excerpt: String,
    excerpt_wrapped: String,
    reason: Option<String>,
    reason_wrapped: Option<String>,
    url: String,
    upvotes: i64,
}

/// What the digest templates see.
#[derive(Serialize)]
struct DigestView<'a> {
    count: usize,
    period_label: String,
    frequency: &'a str,
    papers: Vec<PaperView>,
    base_url: &'a str,
    host: String,
    unsubscribe_url: &'a str,
    manage_url: &'a str,
}

/// Renders a digest: subject, text and HTML parts, and the list headers.
pub fn render_digest(d: &Digest) -> Result<OutgoingMail, MailError> {
    check_address(&d.to)?;
    let host = check_url(&d.base_url)?;
    check_url(&d.unsubscribe_url)?;
    check_url(&d.manage_url)?;
    let message_id = normalize_message_id(&d.message_id)?;
    let mut papers = Vec::with_capacity(d.papers.len());
    for (i, p) in d.papers.iter().enumerate() {
        check_url(&p.url)?;
        let title = latex_to_text(&p.title);
        let authors = format_authors(&p.authors);
        let excerpt = excerpt(&latex_to_text(&p.abstract_text), EXCERPT_CHARS);
        let reason = p.reason.as_deref().map(latex_to_text).filter(|r| !r.is_empty());
        let number = i + 1;
        // The text part's paragraphs hang under the "N. " of the title.
        let indent = " ".repeat(format!("{number}. ").len());
        papers.push(PaperView {
            number,
            id: p.id.clone(),
            title_wrapped: wrap(&title, TEXT_WIDTH, &indent),
            title,
            authors_wrapped: wrap(&authors, TEXT_WIDTH, &indent),
            authors,
            excerpt_wrapped: wrap(&excerpt, TEXT_WIDTH, &indent),
            excerpt,
            reason_wrapped: reason.as_deref().map(|r| wrap(&format!("Why: {r}"), TEXT_WIDTH, &indent)),
            reason,
            indent,
            url: p.url.clone(),
            upvotes: p.upvotes,
        });
    }
    let view = DigestView {
        count: papers.len(),
        period_label: collapse(&d.period_label),
        frequency: d.frequency.trim(),
        papers,
        base_url: &d.base_url,
        host: host.clone(),
        unsubscribe_url: &d.unsubscribe_url,
        manage_url: &d.manage_url,
    };
    let (subject, text, html) = render_parts("digest", &Value::from(Serde(&view)))?;
    Ok(OutgoingMail {
        to: d.to.clone(),
        subject,
        text,
        html,
        message_id,
        headers: vec![
            ("List-Unsubscribe".to_string(), format!("<{}>", d.unsubscribe_url)),
            ("List-Unsubscribe-Post".to_string(), "List-Unsubscribe=One-Click".to_string()),
            ("List-Id".to_string(), format!("papertide digest <digest.{host}>")),
        ],
    })
}

/// What the confirmation templates see.
#[derive(Serialize)]
struct ConfirmationView<'a> {
    to: &'a str,
    confirm_url: &'a str,
    base_url: &'a str,
    host: String,
    valid_hours: u32,
}

/// How long a confirmation link is valid, as the mail says.
pub const CONFIRMATION_VALID_HOURS: u32 = 48;

/// Renders the double opt-in mail for a new subscription (no list headers: the address is
/// not on the list yet).
pub fn render_confirmation(c: &Confirmation) -> Result<OutgoingMail, MailError> {
    check_address(&c.to)?;
    let host = check_url(&c.base_url)?;
    check_url(&c.confirm_url)?;
    let message_id = normalize_message_id(&c.message_id)?;
    let view = ConfirmationView {
        to: &c.to,
        confirm_url: &c.confirm_url,
        base_url: &c.base_url,
        host,
        valid_hours: CONFIRMATION_VALID_HOURS,
    };
    let (subject, text, html) = render_parts("confirm", &Value::from(Serde(&view)))?;
    Ok(OutgoingMail { to: c.to.clone(), subject, text, html, message_id, headers: Vec::new() })
}

/// What the password reset templates see.
#[derive(Serialize)]
struct ResetView<'a> {
    name: &'a str,
    reset_url: &'a str,
    base_url: &'a str,
    host: String,
    valid_minutes: u32,
}

/// Renders the mail with a password reset link (no list headers: it is not a list mail).
pub fn render_password_reset(r: &PasswordReset) -> Result<OutgoingMail, MailError> {
    check_address(&r.to)?;
    let host = check_url(&r.base_url)?;
    check_url(&r.reset_url)?;
    let message_id = normalize_message_id(&r.message_id)?;
    let view = ResetView {
        name: &r.name,
        reset_url: &r.reset_url,
        base_url: &r.base_url,
        host,
        valid_minutes: RESET_VALID_MINUTES,
    };
    let (subject, text, html) = render_parts("reset", &Value::from(Serde(&view)))?;
    Ok(OutgoingMail { to: r.to.clone(), subject, text, html, message_id, headers: Vec::new() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_cut_at_words() {
        assert_eq!(excerpt("short text", 300), "short text");
        assert_eq!(excerpt("one two three four", 9), "one two…");
        assert_eq!(excerpt("one two, three four", 9), "one two…");
        assert_eq!(excerpt("one two three", 7), "one two…");
        assert_eq!(excerpt("abcdefghijkl", 5), "abcde…");
        assert_eq!(excerpt("αβγ δεζ ηθι", 6), "αβγ…");
    }

    #[test]
    fn authors_et_al() {
        let names: Vec<String> = (1..=7).map(|i| format!("A{i}")).collect();
        assert_eq!(format_authors(&names), "A1, A2, A3, A4, A5 et al.");
        assert_eq!(format_authors(&names[..5]), "A1, A2, A3, A4, A5");
        assert_eq!(format_authors(&[r"C. Bal\'azs".to_string()]), "C. Balázs");
        assert_eq!(format_authors(&[]), "");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("aa bb cc", 7, "  "), "aa bb\n  cc");
        assert_eq!(wrap("", 5, "  "), "");
        assert_eq!(wrap("averylongword x", 5, ""), "averylongword\nx");
    }

    #[test]
    fn html_escape() {
        assert_eq!(escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape_html("https://x.org/a?b=1&c=2"), "https://x.org/a?b=1&amp;c=2");
    }

    #[test]
    fn urls_must_be_http() {
        assert_eq!(check_url("https://papers.example.org/x").unwrap(), "papers.example.org");
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("/relative").is_err());
    }
}
