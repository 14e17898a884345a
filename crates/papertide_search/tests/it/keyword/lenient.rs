//! Whatever users type, searching never fails or panics: a list of known troublemakers, then
//! proptest with random text (up to 2,000 characters) and query-syntax soup, on the corpus index.

use papertide_search::keyword::{Filters, Highlighter, KeywordQuery};
use proptest::prelude::*;

use super::{corpus, search};

#[test]
fn garbage_queries_never_fail() {
    for text in [
        "\"unbalanced",
        "title:",
        "((",
        "-",
        "AND OR",
        "NOT",
        "*",
        "?",
        "\\",
        "\"\"",
        "-\"",
        ":::",
        "a:b:c",
        "^2",
        "[1 TO 5]",
        "{}",
        "~",
        "$\\epsilon$",
        "\u{0}",
        "🦀🦀",
        "-transformer",
        "\"-\"",
        "   ",
        "",
    ] {
        let hits = search(text, 10);
        assert!(hits.len() <= 10, "{text:?}");
    }
    assert!(search("", 10).is_empty());
    assert!(search("-transformer", 10).is_empty(), "only exclusions: nothing");
    let q = KeywordQuery { offset: usize::MAX, ..KeywordQuery::new("transformer", 5) };
    assert!(corpus().index.search(&q).unwrap().is_empty());
    assert!(corpus().index.search(&KeywordQuery::new("transformer", 0)).unwrap().is_empty());
}

fn syntax_soup() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "\"",
        "(",
        ")",
        "-",
        ":",
        "AND",
        "OR",
        " ",
        "title:",
        "*",
        "\\",
        "$",
        "transformer",
        "é",
        "^",
        "~",
        "[",
        "]",
        "{",
        "}",
        "+",
        "cs.LG",
        "2401.01234",
        "http://",
        "<mark>",
        "\u{301}",
        "ﬁ",
        "İ",
    ]);
    prop::collection::vec(pieces, 0..400).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_fails(text in "\\PC{0,2000}") {
        let hits = corpus().index.search(&KeywordQuery::new(text.as_str(), 10)).unwrap();
        prop_assert!(hits.len() <= 10);
        let _ = Highlighter::new(&text).highlight(&text);
    }

    #[test]
    fn query_syntax_soup_never_fails(text in syntax_soup()) {
        let filters = Filters { author: Some(text.clone()), categories: vec![text.clone()], ..Filters::default() };
        corpus().index.search(&KeywordQuery::new(text.as_str(), 10)).unwrap();
        corpus().index.search(&KeywordQuery::new(text.as_str(), 10).with_filters(filters)).unwrap();
        let _ = corpus().index.lookup_id(&text).unwrap();
    }
}
