//! Highlighting: the full title and abstract as HTML, every character escaped, with the words
//! that matched the query wrapped in `<mark>…</mark>`.
//!
//! The text is re-analysed with the index's own analyzers ([`super::schema`]), so a token is
//! marked exactly when its stem is one of the query's word or phrase stems (stop words only when
//! nothing else was searched, or inside a quoted phrase), or when the word still being typed is a
//! prefix of it. Phrase words are marked wherever they occur, not only inside the phrase.
//!
//! LaTeX math (`$…$`, `$$…$$`, `\(…\)`, `\[…\]`) is escaped but never marked, so a math
//! renderer running on the page still sees intact formulas.
//! Where to look next: [`super::parse`] decides which words a query has.

use std::collections::HashSet;

use super::parse::{parse, Analyzers, Word};
use super::schema::analyze;
pub use papertide_core::text::escape_html;
use papertide_core::text::push_escaped_html as push_escaped;

/// A paper's title and abstract as safe HTML with `<mark>` around matched words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Highlighted {
    /// The escaped, highlighted title.
    pub title_html: String,
    /// The escaped, highlighted full abstract.
    pub abstract_html: String,
}

/// Byte ranges of LaTeX math in `text`: `$…$`, `$$…$$`, `\(…\)` and `\[…\]`, closed ones only.
/// A backslash escapes the next character (`\$` is a dollar sign).
pub fn math_spans(text: &str) -> Vec<(usize, usize)> {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    // Finds `close` at or after `from`, skipping backslash-escaped characters (`\\` is data in
    // `$…$`, but `\)` and `\]` are the closers we look for, so those are matched before skipping).
    let find = |from: usize, close: &[u8]| -> Option<usize> {
        let mut j = from;
        while j + close.len() <= b.len() {
            if &b[j..j + close.len()] == close {
                return Some(j);
            }
            j += if b[j] == b'\\' { 2 } else { 1 };
        }
        None
    };
    let mut i = 0;
    while i < b.len() {
        let open: Option<(usize, &[u8])> = match (b[i], b.get(i + 1)) {
            (b'\\', Some(b'(')) => Some((2, b"\\)")),
            (b'\\', Some(b'[')) => Some((2, b"\\]")),
            (b'\\', _) => {
                i += 2;
                continue;
            }
            (b'$', Some(b'$')) => Some((2, b"$$")),
            (b'$', _) => Some((1, b"$")),
            _ => None,
        };
        match open.and_then(|(len, close)| find(i + len, close).map(|end| end + close.len())) {
            Some(end) => {
                spans.push((i, end));
                i = end;
            }
            None => i += 1,
        }
    }
    spans
}

/// Marks a query's words in text. Build one per query and reuse it for every result.
#[derive(Debug, Clone, Default)]
pub struct Highlighter {
    stems: HashSet<String>,
    prefix: Option<String>,
}

impl Highlighter {
    /// A highlighter for what the user typed (parsed like [`super::KeywordIndex::search`] does).
    pub fn new(query_text: &str) -> Highlighter {
        let parsed = parse(query_text, &mut Analyzers::new());
        let mut stems: HashSet<String> = HashSet::new();
        let phrase_words = parsed.phrases.iter().flatten();
        stems.extend(parsed.terms.iter().chain(phrase_words).map(|w: &Word| w.stem.clone()));
        Highlighter { stems, prefix: parsed.prefix.map(|w| w.plain) }
    }

    /// True when the query has no words, so nothing would ever be marked.
    pub fn is_empty(&self) -> bool {
        self.stems.is_empty() && self.prefix.is_none()
    }

    /// `text` escaped, with matched words in `<mark>`.
    pub fn highlight(&self, text: &str) -> String {
        if self.is_empty() {
            return escape_html(text);
        }
        let mut analyzers = Analyzers::new();
        let plain = analyze(&mut analyzers.plain, text);
        let stemmed = analyze(&mut analyzers.stemmed, text);
        let aligned = plain.len() == stemmed.len();
        let math = math_spans(text);
        let in_math = |from: usize, to: usize| math.iter().any(|&(s, e)| from < e && to > s);
        let mut out = String::with_capacity(text.len() + 64);
        let mut done = 0;
        for (i, tok) in plain.iter().enumerate() {
            let stem_matches = if aligned {
                stemmed.get(i).is_some_and(|s| self.stems.contains(&s.text))
            } else {
                self.stems.contains(&super::schema::stem(&mut analyzers.stemmed, &tok.text))
            };
            let prefix_matches = self.prefix.as_ref().is_some_and(|p| tok.text.starts_with(p.as_str()));
            if !(stem_matches || prefix_matches) || in_math(tok.from, tok.to) || tok.from < done {
                continue;
            }
            push_escaped(&mut out, &text[done..tok.from]);
            out.push_str("<mark>");
            push_escaped(&mut out, &text[tok.from..tok.to]);
            out.push_str("</mark>");
            done = tok.to;
        }
        push_escaped(&mut out, &text[done..]);
        out
    }

    /// The title and full abstract, highlighted.
    pub fn highlight_paper(&self, title: &str, abstract_text: &str) -> Highlighted {
        Highlighted { title_html: self.highlight(title), abstract_html: self.highlight(abstract_text) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything() {
        assert_eq!(
            escape_html(r#"<script>alert("x&'y")</script>"#),
            "&lt;script&gt;alert(&quot;x&amp;&#39;y&quot;)&lt;/script&gt;"
        );
        let h = Highlighter::new("script");
        assert_eq!(h.highlight("a <script> b"), "a &lt;<mark>script</mark>&gt; b");
    }

    #[test]
    fn marks_stems_and_prefixes() {
        let h = Highlighter::new("transformer atten");
        assert_eq!(
            h.highlight("Transformers use Attention; attentive transformation."),
            "<mark>Transformers</mark> use <mark>Attention</mark>; <mark>attentive</mark> <mark>transformation</mark>."
        );
        let h = Highlighter::new("the model ");
        assert_eq!(h.highlight("The Model"), "The <mark>Model</mark>");
        let h = Highlighter::new("\"the model\"");
        assert_eq!(h.highlight("The Model"), "<mark>The</mark> <mark>Model</mark>");
        assert_eq!(Highlighter::new("").highlight("a<b"), "a&lt;b");
    }

    #[test]
    fn math_is_left_alone() {
        let text = r"An $\epsilon$-greedy policy with $$\epsilon < 1$$ and \(\epsilon\) costs \$5, epsilon";
        let h = Highlighter::new("epsilon ");
        assert_eq!(
            h.highlight(text),
            r"An $\epsilon$-greedy policy with $$\epsilon &lt; 1$$ and \(\epsilon\) costs \$5, <mark>epsilon</mark>"
        );
        assert_eq!(math_spans("a $x$ b $unclosed"), [(2, 5)]);
        assert_eq!(math_spans(r"\$ $a\$b$"), [(3, 9)]);
        assert_eq!(math_spans("é$ü$"), [(2, 6)]);
    }
}
