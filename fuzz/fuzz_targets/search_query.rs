//! Fuzzes the search query parser end to end: any text (with a category and author filter cut
//! from it) must search, list keys, filter, snippet and highlight on a real tantivy index
//! without a panic or an error.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use papertide_core::{Paper, Source};
use papertide_search::keyword::{Filters, Highlighter, KeywordIndex, KeywordQuery};

fn index() -> &'static KeywordIndex {
    static INDEX: OnceLock<KeywordIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let index = KeywordIndex::in_ram().expect("index");
        let mut writer = index.writer(15_000_000).expect("writer");
        let papers = [
            ("2401.00001", "Kernelized attention with relative positions", "Ada Lovelace", "cs.LG"),
            ("2401.00002", "Galaxy surveys \\(z>2\\) and dark matter", "Vera Rubin", "astro-ph.GA"),
            ("hep-th/9901001", "Strings, branes & \"dualities\"", "Ed Witten", "hep-th"),
        ];
        for (key, (id, title, author, category)) in papers.into_iter().enumerate() {
            let mut p = Paper::new(id.parse().expect("id"), title, Source::Local);
            p.abstract_text = format!("{title}. We study it.");
            p.authors = vec![author.to_string()];
            p.categories = vec![category.to_string()];
            writer.upsert(key as u64 + 1, &p).expect("upsert");
        }
        writer.commit(3).expect("commit");
        index.reload().expect("reload");
        index
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // `text|category|author`: the filters come from the input too.
    let mut parts = text.splitn(3, '|');
    let query_text = parts.next().unwrap_or("").to_string();
    let filters = Filters {
        categories: parts.next().map(str::to_string).into_iter().collect(),
        author: parts.next().map(str::to_string),
        ..Default::default()
    };
    let index = index();
    for typing in [false, true] {
        let query = KeywordQuery { text: query_text.clone(), filters: filters.clone(), limit: 10, offset: 0, typing };
        let hits = index.search(&query).expect("search");
        assert!(hits.len() <= 3);
        assert_eq!(index.search_keys(&query).expect("keys").len(), hits.len());
    }
    index.filtered_keys(&filters, 10).expect("filtered keys");
    index.snippet(&"2401.00001".parse().expect("id"), &query_text).expect("snippet");
    let highlighted = Highlighter::new(&query_text).highlight_paper("Kernelized <attention> & more", &query_text);
    let _ = highlighted;
});
