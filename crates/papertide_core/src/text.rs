//! Escaping text for HTML and XML, shared by the search highlighter, the pages' feeds and the
//! mail templates (maud escapes the pages themselves).
//!
//! Both escape `&`, `<`, `>`, `"` and `'` (as `&#39;`, which HTML and XML both read), so the
//! result is safe in text and in quoted attribute values. The XML form also drops the
//! characters XML 1.0 forbids or discourages (control characters but tab, newline and
//! carriage return; DEL and the C1 controls; U+FFFE and U+FFFF), which arXiv metadata holds
//! now and then and which would make a whole feed unreadable.

/// Appends `text` to `out`, escaped for HTML.
pub fn push_escaped_html(out: &mut String, text: &str) {
    for c in text.chars() {
        push_char(out, c);
    }
}

/// `text` escaped for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped_html(&mut out, text);
    out
}

/// Appends `text` to `out`, escaped for XML, without the characters XML may not hold.
pub fn push_escaped_xml(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => push_char(out, c),
        }
    }
}

/// `text` escaped for XML, without the characters XML may not hold.
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    push_escaped_xml(&mut out, text);
    out
}

fn push_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markup_is_escaped_and_xml_drops_what_it_may_not_hold() {
        assert_eq!(escape_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(escape_html("$O(n\\log n)$ ü 𝔽\u{1}"), "$O(n\\log n)$ ü 𝔽\u{1}");
        assert_eq!(
            escape_xml("a<b>&\"c'\u{1}\u{8}\u{1b}\u{7f}\u{85}\u{fffe}\td\n"),
            "a&lt;b&gt;&amp;&quot;c&#39;\td\n"
        );
    }

    proptest! {
        #[test]
        fn no_markup_survives(s in ".{0,60}") {
            let html = escape_html(&s);
            prop_assert!(!html.contains('<') && !html.contains('>') && !html.contains('"'));
            let xml = escape_xml(&s);
            prop_assert!(xml.chars().all(|c| !c.is_control() || matches!(c, '\t' | '\n' | '\r')));
        }
    }
}
