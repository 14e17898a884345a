//! The lenient parser of what users type into the search box: never an error, whatever the input.
//!
//! Syntax, all of it optional:
//! - words, analysed like the index (case and accents folded, English stems; any character that
//!   is not a letter or digit separates words, so `title:`, `((`, `$\epsilon$` and `C++` are
//!   just words or nothing);
//! - `"quoted phrases"` (an unbalanced quote runs to the end of the text);
//! - `-word` or `-"a phrase"` to exclude (ignored when nothing positive is left);
//! - no operators: `AND`, `OR`, `NOT` are ordinary (stop) words.
//!
//! The last word is also a prefix when the text does not end with whitespace (the user is still
//! typing it). Stop words are dropped from the bare words unless nothing else is left.
//! Where to look next: [`super::query`] turns a [`ParsedText`] into a tantivy query;
//! [`super::highlight`] marks the same words in titles and abstracts.

use tantivy::tokenizer::TextAnalyzer;

use super::schema::{analyze, plain_analyzer, stem, stemmed_analyzer};

/// Longest query text looked at, in bytes (the rest is ignored).
pub const MAX_QUERY_BYTES: usize = 1_000;
/// Most distinct bare words used as terms (the rest are ignored).
pub const MAX_TERMS: usize = 32;
/// Most words in one phrase.
pub const MAX_PHRASE_WORDS: usize = 16;
/// Shortest last word, in characters, that is also searched as a prefix.
pub const MIN_PREFIX_CHARS: usize = 3;

/// English stop words (Lucene's list), dropped from bare query words.
pub const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
    "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
];

/// One analysed query word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lowercased and ASCII-folded, not stemmed (matched against authors and prefix fields).
    pub plain: String,
    /// English stem of [`Word::plain`] (matched against title and abstract).
    pub stem: String,
}

/// A parsed query.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedText {
    /// Bare words to OR together (stop words dropped unless nothing else is left), distinct by stem.
    pub terms: Vec<Word>,
    /// Every bare positive word in typed order, stop words included (for the title-phrase boost).
    pub sequence: Vec<Word>,
    /// Quoted phrases, each required (a one-word phrase is a required word).
    pub phrases: Vec<Vec<Word>>,
    /// Excluded words and phrases.
    pub excluded: Vec<Vec<Word>>,
    /// The last word, when it is still being typed: also matched as a prefix of plain words.
    pub prefix: Option<Word>,
}

impl ParsedText {
    /// True when nothing positive is left to search for.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.phrases.is_empty()
    }
}

/// True for the words of [`STOP_WORDS`].
pub fn is_stop_word(plain: &str) -> bool {
    STOP_WORDS.contains(&plain)
}

/// One whitespace-separated piece of the input.
struct Chunk<'a> {
    text: &'a str,
    phrase: bool,
    negated: bool,
}

fn split_chunks(text: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut rest = text;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        let (negated, body) = match rest.strip_prefix('-') {
            Some(b) if b.starts_with(|c: char| !c.is_whitespace()) => (true, b),
            _ => (false, rest),
        };
        if let Some(after) = body.strip_prefix('"') {
            let end = after.find('"').unwrap_or(after.len());
            chunks.push(Chunk { text: &after[..end], phrase: true, negated });
            rest = after.get(end + 1..).unwrap_or("");
        } else {
            // `body` starts with neither whitespace nor a quote, so `end` > 0 and the loop advances.
            let end = body.find(|c: char| c.is_whitespace() || c == '"').unwrap_or(body.len());
            chunks.push(Chunk { text: &body[..end], phrase: false, negated });
            rest = &body[end..];
        }
    }
    chunks
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// The analysers a parse needs, kept together so callers can reuse them.
pub struct Analyzers {
    /// See [`plain_analyzer`].
    pub plain: TextAnalyzer,
    /// See [`stemmed_analyzer`].
    pub stemmed: TextAnalyzer,
}

impl Analyzers {
    /// Fresh analysers.
    pub fn new() -> Analyzers {
        Analyzers { plain: plain_analyzer(), stemmed: stemmed_analyzer() }
    }

    /// Analyses a piece of text into words.
    pub fn words(&mut self, text: &str) -> Vec<Word> {
        analyze(&mut self.plain, text)
            .into_iter()
            .map(|t| {
                let stem = stem(&mut self.stemmed, &t.text);
                Word { plain: t.text, stem }
            })
            .collect()
    }
}

impl Default for Analyzers {
    fn default() -> Self {
        Analyzers::new()
    }
}

/// Parses user text leniently (see the module doc). Never fails, never panics.
pub fn parse(text: &str, analyzers: &mut Analyzers) -> ParsedText {
    parse_with(text, true, analyzers)
}

/// [`parse`], with `typing` saying whether the text may still be being typed: when false
/// (a submitted search), the last word is complete and never a prefix.
pub fn parse_with(text: &str, typing: bool, analyzers: &mut Analyzers) -> ParsedText {
    let text = truncate(text, MAX_QUERY_BYTES);
    let still_typing = typing && !text.is_empty() && !text.ends_with(char::is_whitespace);
    let chunks = split_chunks(text);
    let last = chunks.len().saturating_sub(1);
    let mut parsed = ParsedText::default();
    let mut bare: Vec<Word> = Vec::new();
    for (i, chunk) in chunks.iter().enumerate() {
        let mut words = analyzers.words(chunk.text);
        if words.is_empty() {
            continue;
        }
        match (chunk.negated, chunk.phrase) {
            (true, _) => {
                words.truncate(MAX_PHRASE_WORDS);
                parsed.excluded.push(words);
            }
            (false, true) => {
                words.truncate(MAX_PHRASE_WORDS);
                parsed.phrases.push(words);
            }
            (false, false) => {
                if i == last && still_typing {
                    parsed.prefix = words.last().filter(|w| w.plain.chars().count() >= MIN_PREFIX_CHARS).cloned();
                }
                bare.extend(words);
            }
        }
    }
    let keep = |w: &Word, prefix: &Option<Word>| !is_stop_word(&w.plain) || prefix.as_ref() == Some(w);
    let any_content = bare.iter().any(|w| keep(w, &parsed.prefix));
    for w in &bare {
        if (!any_content || keep(w, &parsed.prefix)) && !parsed.terms.iter().any(|t| t.stem == w.stem) {
            if parsed.terms.len() == MAX_TERMS {
                break;
            }
            parsed.terms.push(w.clone());
        }
    }
    bare.truncate(MAX_PHRASE_WORDS);
    parsed.sequence = bare;
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> ParsedText {
        parse(text, &mut Analyzers::new())
    }

    fn stems(words: &[Word]) -> Vec<&str> {
        words.iter().map(|w| w.stem.as_str()).collect()
    }

    #[test]
    fn words_phrases_exclusions_and_prefix() {
        let q = p(r#"Attention is all "neural networks" -"graph neural" -vision transf"#);
        assert_eq!(stems(&q.terms), ["attent", "all", "transf"]);
        assert_eq!(q.phrases.len(), 1);
        assert_eq!(stems(&q.phrases[0]), ["neural", "network"]);
        assert_eq!(q.excluded.len(), 2);
        assert_eq!(q.prefix.as_ref().map(|w| w.plain.as_str()), Some("transf"));
        assert_eq!(stems(&q.sequence), ["attent", "is", "all", "transf"]);
        assert!(p("transformers ").prefix.is_none(), "a trailing space ends the word");
        assert!(p("ab").prefix.is_none(), "too short for a prefix");
    }

    #[test]
    fn stop_words_only_when_nothing_else() {
        assert_eq!(stems(&p("the theory of it ").terms), ["theori"]);
        assert_eq!(stems(&p("AND OR ").terms), ["and", "or"]);
        assert_eq!(stems(&p("the").terms), ["the"], "a prefix is kept");
    }

    #[test]
    fn garbage_is_lenient() {
        for text in ["", " ", "\"", "\"unbalanced", "title:", "((", "-", "--", "-\"", "\"\"", ":", "\u{0}", "+-+"] {
            let q = p(text);
            assert!(q.terms.iter().all(|w| !w.plain.is_empty()), "{text:?}");
        }
        assert_eq!(stems(&p("\"unbalanced phrase").phrases[0]), ["unbalanc", "phrase"]);
        assert!(p("-").is_empty());
        assert_eq!(stems(&p("title:attention").terms), ["titl", "attent"]);
        let long = "é".repeat(MAX_QUERY_BYTES);
        assert_eq!(p(&long).terms.len(), 0, "one 500-char word is too long a token");
    }

    #[test]
    fn terms_are_distinct_and_capped() {
        let q = p("transformer transformers Transformer");
        assert_eq!(stems(&q.terms), ["transform"]);
        let many: String = (0..100).map(|i| format!("w{i} ")).collect();
        assert_eq!(p(&many).terms.len(), MAX_TERMS);
    }
}
