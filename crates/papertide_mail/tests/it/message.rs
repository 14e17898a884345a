//! Rendering digests and confirmations: snapshots of a digest of three real papers (from the
//! Kaggle snapshot head in ../shared/data, chosen for the LaTeX in their titles and
//! abstracts), escaping in the HTML part, the list headers, and the checks on addresses,
//! links and Message-IDs.

use std::path::PathBuf;

use papertide_mail::message::{
    render_confirmation, render_digest, render_password_reset, Confirmation, Digest, DigestPaper, OutgoingMail,
    PasswordReset,
};
use papertide_mail::smtp::MailError;

/// `../shared/data` beside the repository (override with `PAPERTIDE_SHARED_DATA`).
pub fn shared_data() -> PathBuf {
    match std::env::var_os("PAPERTIDE_SHARED_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")),
    }
}

/// The Kaggle snapshot's `authors` string as a list ("A, B and C").
fn split_authors(authors: &str) -> Vec<String> {
    let flat = authors.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.replace(" and ", ", ").split(',').map(str::trim).filter(|a| !a.is_empty()).map(String::from).collect()
}

/// Papers of the Kaggle snapshot head by id, as a digest shows them.
pub fn real_papers(ids: &[&str]) -> Vec<DigestPaper> {
    let path = shared_data().join("arxiv/kaggle-oai-snapshot-head200.jsonl");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let records: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    ids.iter()
        .map(|id| {
            let r =
                records.iter().find(|r| r["id"] == *id).unwrap_or_else(|| panic!("{id} is not in {}", path.display()));
            DigestPaper {
                id: id.to_string(),
                title: r["title"].as_str().unwrap().to_string(),
                authors: split_authors(r["authors"].as_str().unwrap()),
                abstract_text: r["abstract"].as_str().unwrap().to_string(),
                url: format!("https://papers.example.org/papers/{id}"),
                upvotes: 0,
                reason: None,
            }
        })
        .collect()
}

/// A daily digest of three real papers: `$\Lambda_{\alpha}$` in a title, ten authors and
/// `1\textit{T}-TiSe$_{2}$`, and `$\Q(\sqrt{5})$`.
pub fn sample_digest() -> Digest {
    let mut papers = real_papers(&["0704.0005", "0704.0159", "0704.0011"]);
    papers[0].upvotes = 12;
    papers[0].reason = Some(r"similar to “The Hardy-Lorentz Spaces $H^{p,q}(R^n)$”, which you upvoted".to_string());
    papers[1].upvotes = 1;
    Digest {
        to: "reader@example.org".to_string(),
        period_label: "Thursday, March 5, 2026".to_string(),
        frequency: "daily".to_string(),
        papers,
        base_url: "https://papers.example.org".to_string(),
        unsubscribe_url: "https://papers.example.org/digest/unsubscribe?s=42&t=AbC-123_x".to_string(),
        manage_url: "https://papers.example.org/settings/digest".to_string(),
        message_id: "digest-2026-03-05-42@papers.example.org".to_string(),
    }
}

fn headers_summary(mail: &OutgoingMail) -> String {
    let mut s = format!("To: {}\nSubject: {}\nMessage-ID: {}\n", mail.to, mail.subject, mail.message_id);
    for (name, value) in &mail.headers {
        s.push_str(&format!("{name}: {value}\n"));
    }
    s
}

#[test]
fn digest_snapshots() {
    let mail = render_digest(&sample_digest()).unwrap();
    insta::assert_snapshot!("digest_headers", headers_summary(&mail));
    insta::assert_snapshot!("digest_text", mail.text);
    insta::assert_snapshot!("digest_html", mail.html);
}

#[test]
fn digest_content() {
    let mail = render_digest(&sample_digest()).unwrap();
    assert_eq!(mail.subject, "papertide: 3 papers for Thursday, March 5, 2026");
    assert_eq!(mail.message_id, "<digest-2026-03-05-42@papers.example.org>");
    assert_eq!(
        mail.header("list-unsubscribe"),
        Some("<https://papers.example.org/digest/unsubscribe?s=42&t=AbC-123_x>")
    );
    assert_eq!(mail.header("List-Unsubscribe-Post"), Some("List-Unsubscribe=One-Click"));
    assert_eq!(mail.header("List-Id"), Some("papertide digest <digest.papers.example.org>"));
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("From dyadic Λ_α to Λ_α"), "{part}");
        assert!(part.contains("Evidence for an excitonic insulator phase in 1T-TiSe₂"), "{part}");
        assert!(part.contains("ℚ(√5)"), "{part}");
        assert!(part.contains("H. Cercellier, C. Monney, F. Clerc, C. Battaglia, L. Despont et al."), "{part}");
        assert!(!part.contains('$'), "{part}");
        assert!(!part.contains("L. Patthey"), "only five authors: {part}");
        assert!(part.contains("…"), "abstract excerpts: {part}");
    }
    assert!(mail.text.contains("Why: similar to “The Hardy-Lorentz Spaces H^(p,q)(Rⁿ)”, which you upvoted"));
    assert!(mail.text.contains("   https://papers.example.org/papers/0704.0159\n"));
    assert!(mail
        .text
        .contains("Unsubscribe (one click): https://papers.example.org/digest/unsubscribe?s=42&t=AbC-123_x"));
    assert!(mail.text.contains("Manage your subscription: https://papers.example.org/settings/digest"));
    // In HTML the `&` of a link is escaped, titles link to the paper.
    assert!(mail.html.contains(r#"<a href="https://papers.example.org/digest/unsubscribe?s=42&amp;t=AbC-123_x""#));
    assert!(mail.html.contains(r#"<a href="https://papers.example.org/papers/0704.0005" style="font-size:16px"#));
    assert!(mail.html.contains("&#9650; 12 upvotes") && mail.html.contains("&#9650; 1 upvote<"));
    // The text part wraps at 76 characters.
    for line in mail.text.lines() {
        // (Links are never broken.)
        assert!(line.chars().count() <= 76 || line.contains("https://"), "long line: {line:?}");
    }
}

#[test]
fn excerpts_are_cut_at_words() {
    let mail = render_digest(&sample_digest()).unwrap();
    // 0704.0159's abstract is long: its excerpt ends with "…" after a whole word.
    let html_excerpt = mail.html.split("1T-TiSe₂ in both").nth(1).unwrap();
    let excerpt = html_excerpt.split("</p>").next().unwrap();
    assert!(excerpt.ends_with('…'), "{excerpt}");
    let before = excerpt.trim_end_matches('…');
    assert!(before.ends_with(|c: char| c.is_alphanumeric()), "{excerpt}");
    let full = latex_len("0704.0159");
    assert!(full > 300, "{full}");
    // The short abstract of 0704.0005 is shown whole.
    assert!(mail.text.contains("special atoms."));
}

fn latex_len(id: &str) -> usize {
    let p = &real_papers(&[id])[0];
    papertide_mail::latex::latex_to_text(&p.abstract_text).chars().count()
}

#[test]
fn html_escapes_everything() {
    let mut digest = sample_digest();
    digest.papers[0].title = "<script>alert('x')</script> & $<b>$".to_string();
    digest.papers[0].abstract_text =
        r#"An "abstract" with <img src=x onerror=alert(1)> and a \emph{<i>tag</i>}"#.to_string();
    digest.papers[0].authors = vec!["<Eve>".to_string()];
    digest.papers[0].reason = Some("similar to </p><p>evil".to_string());
    digest.period_label = "<b>today</b>".to_string();
    let mail = render_digest(&digest).unwrap();
    for raw in ["<script", "<img", "<b>", "<i>", "<Eve>", "</p><p>evil", "\"abstract\""] {
        assert!(!mail.html.contains(raw), "{raw} appears raw");
    }
    assert!(mail.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &lt;b&gt;"));
    assert!(mail.html.contains("&lt;Eve&gt;"));
    // The text part is plain text: no escaping there.
    assert!(mail.text.contains("<script>alert('x')</script> & <b>"));
    assert_eq!(mail.subject, "papertide: 3 papers for <b>today</b>");
}

#[test]
fn one_paper_weekly_and_empty() {
    let mut digest = sample_digest();
    digest.papers.truncate(1);
    digest.frequency = "weekly".to_string();
    digest.period_label = "week 10\nof 2026".to_string();
    let mail = render_digest(&digest).unwrap();
    assert_eq!(mail.subject, "papertide: 1 paper for week 10 of 2026");
    assert!(mail.text.starts_with("Your weekly papertide digest: 1 paper for week 10 of 2026."));
    digest.papers.clear();
    let mail = render_digest(&digest).unwrap();
    assert_eq!(mail.subject, "papertide: 0 papers for week 10 of 2026");
    assert!(mail.text.contains("No new papers this time."));
}

#[test]
fn bad_inputs_are_refused() {
    let mut digest = sample_digest();
    digest.to = "not an address".to_string();
    assert!(matches!(render_digest(&digest), Err(MailError::Address { .. })));
    let mut digest = sample_digest();
    digest.unsubscribe_url = "javascript:alert(1)".to_string();
    assert!(matches!(render_digest(&digest), Err(MailError::Url { .. })));
    let mut digest = sample_digest();
    digest.papers[1].url = "/papers/0704.0159".to_string();
    assert!(matches!(render_digest(&digest), Err(MailError::Url { .. })));
    let mut digest = sample_digest();
    digest.message_id = "no-at-sign".to_string();
    assert!(matches!(render_digest(&digest), Err(MailError::Header { .. })));
}

#[test]
fn outgoing_mail_round_trips_as_json() {
    let mail = render_digest(&sample_digest()).unwrap();
    let json = serde_json::to_string(&mail).unwrap();
    let back: OutgoingMail = serde_json::from_str(&json).unwrap();
    assert_eq!(back, mail);
}

#[test]
fn confirmation() {
    let mail = render_confirmation(&Confirmation {
        to: "new.reader@example.org".to_string(),
        confirm_url: "https://papers.example.org/digest/confirm?s=7&t=xyz".to_string(),
        base_url: "https://papers.example.org/".to_string(),
        message_id: "<confirm-7@papers.example.org>".to_string(),
    })
    .unwrap();
    assert_eq!(mail.subject, "Confirm your papertide subscription");
    assert_eq!(mail.message_id, "<confirm-7@papers.example.org>");
    assert!(mail.headers.is_empty());
    assert!(mail.text.contains("\nhttps://papers.example.org/digest/confirm?s=7&t=xyz\n"));
    assert!(mail.text.contains("within 48 hours"));
    assert!(mail.text.contains("new.reader@example.org"));
    assert!(mail.html.contains(r#"href="https://papers.example.org/digest/confirm?s=7&amp;t=xyz""#));
    assert!(mail.html.contains("within 48 hours"));
    insta::assert_snapshot!("confirmation_text", mail.text);
    insta::assert_snapshot!("confirmation_html", mail.html);
}

#[test]
fn password_reset() {
    let mail = render_password_reset(&PasswordReset {
        to: "ada@example.org".to_string(),
        name: "Ada<b>".to_string(),
        reset_url: "https://papers.example.org/reset/password?token=7.1772700000.abc&x=1".to_string(),
        base_url: "https://papers.example.org".to_string(),
        message_id: "reset.7.1772696400@papers.example.org".to_string(),
    })
    .unwrap();
    assert_eq!(mail.subject, "Choose a new papertide password");
    assert_eq!(mail.message_id, "<reset.7.1772696400@papers.example.org>");
    assert!(mail.headers.is_empty(), "not a list mail");
    assert!(mail.text.contains("\nhttps://papers.example.org/reset/password?token=7.1772700000.abc&x=1\n"));
    assert!(mail.text.contains("within 60 minutes"));
    assert!(mail.html.contains(r#"href="https://papers.example.org/reset/password?token=7.1772700000.abc&amp;x=1""#));
    assert!(mail.html.contains("<strong>Ada&lt;b&gt;</strong>"), "names are escaped");
    insta::assert_snapshot!("password_reset_text", mail.text);
    insta::assert_snapshot!("password_reset_html", mail.html);
    for bad in ["javascript:alert(1)", "/relative"] {
        let r = PasswordReset {
            to: "ada@example.org".into(),
            name: "Ada".into(),
            reset_url: bad.into(),
            base_url: "https://papers.example.org".into(),
            message_id: "<r@x>".into(),
        };
        assert!(render_password_reset(&r).is_err(), "{bad}");
    }
}
