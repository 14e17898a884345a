//! [`KeywordIndex`]: opening the tantivy index, searching it, id lookup and snippets.
//!
//! Searches resolve hits to ([`PaperId`], key) through fast fields, without touching the
//! document store; only [`KeywordIndex::snippet`] reads stored text.
//! Where to look next: [`super::query`] for what a search matches, [`super::writer`] for writes.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use papertide_core::PaperId;
use tantivy::collector::TopDocs;
use tantivy::columnar::{Column, StrColumn};
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, MoreLikeThisQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Schema, TantivyDocument, Term, Value};
use tantivy::{DocAddress, Index, IndexReader, IndexSettings, ReloadPolicy, Score, Searcher};

use super::highlight::{Highlighted, Highlighter};
use super::parse::{parse_with, Analyzers};
use super::query::{build, build_two_phase, filter_clauses};
use super::schema::{build_schema, names, normalized_id, register_analyzers, Fields};
use super::writer::{err, parse_payload, KeywordWriter};
use super::{parallel, rescore};
use super::{Filters, KeywordHit, KeywordQuery, Tuning};
use crate::SearchError;

/// Most results one search may ask for (`offset + limit`); larger requests are cut to it.
pub const MAX_RESULTS: usize = 10_000;

/// One search thread per core ([`KeywordIndex::with_threads`]).
fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Most terms of a paper a [`KeywordIndex::more_like_this`] query uses.
pub const MLT_TERMS: usize = 40;

/// The keyword (BM25) index of papers. Cheap to share behind an `Arc`: searches take `&self`.
pub struct KeywordIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    tuning: Tuning,
    /// Threads one search may use ([`super::parallel`]).
    threads: usize,
    path: Option<PathBuf>,
    /// Analysers reused across searches (building them allocates; searches are short).
    analyzers: Mutex<Analyzers>,
}

impl std::fmt::Debug for KeywordIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeywordIndex").field("path", &self.path).field("tuning", &self.tuning).finish_non_exhaustive()
    }
}

impl KeywordIndex {
    /// Opens the index in `dir`, creating the directory and an empty index when there is none
    /// (the app keeps it in `DATA_DIR/index/keyword`).
    ///
    /// Fails with [`SearchError::KeywordSchemaMismatch`] when the index was built with another
    /// schema: delete the directory and re-index from cursor 0.
    pub fn open(dir: &Path) -> Result<KeywordIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| SearchError::Io { path: dir.to_path_buf(), source })?;
        let (schema, fields) = build_schema();
        let directory = MmapDirectory::open(dir).map_err(|e| err("open")(e.into()))?;
        let exists = Index::exists(&directory).map_err(|e| err("open")(e.into()))?;
        let index = if exists {
            let index = Index::open(directory).map_err(err("open"))?;
            if !same_schema(index.schema(), &schema) {
                return Err(SearchError::KeywordSchemaMismatch { path: dir.to_path_buf() });
            }
            index
        } else {
            Index::create(directory, schema, IndexSettings::default()).map_err(err("create"))?
        };
        Self::from_index(index, fields, Some(dir.to_path_buf()))
    }

    /// A fresh index in memory (tests, benchmarks).
    pub fn in_ram() -> Result<KeywordIndex, SearchError> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_ram(schema);
        Self::from_index(index, fields, None)
    }

    fn from_index(index: Index, fields: Fields, path: Option<PathBuf>) -> Result<KeywordIndex, SearchError> {
        register_analyzers(index.tokenizers());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()
            .map_err(err("open reader"))?;
        let analyzers = Mutex::new(Analyzers::new());
        let threads = default_threads();
        Ok(KeywordIndex { index, reader, fields, tuning: Tuning::default(), threads, path, analyzers })
    }

    /// Replaces the ranking knobs (boosts, match mode) used by later searches.
    pub fn with_tuning(mut self, tuning: Tuning) -> KeywordIndex {
        self.tuning = tuning;
        self
    }

    /// Lets one search use up to `threads` threads (at least 1), one per segment
    /// ([`super::parallel`]; default: one per core). Fewer threads mean less latency gained
    /// for each search and more searches at once on a busy server.
    pub fn with_threads(mut self, threads: usize) -> KeywordIndex {
        self.threads = threads.max(1);
        self
    }

    /// Threads one search may use; also how many segments a bulk load is merged into
    /// ([`KeywordWriter::merge_into`]).
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The ranking knobs in use.
    pub fn tuning(&self) -> &Tuning {
        &self.tuning
    }

    /// The directory of an on-disk index.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The writer (one at a time per index: a second fails with
    /// [`SearchError::KeywordWriterBusy`]). `heap_bytes` is its indexing memory budget, shared
    /// by its threads (at least [`super::MIN_WRITER_HEAP`]; 50–200 MB is plenty).
    pub fn writer(&self, heap_bytes: usize) -> Result<KeywordWriter, SearchError> {
        KeywordWriter::new(&self.index, self.reader.clone(), self.fields, heap_bytes)
    }

    /// Makes the latest commit visible now (commits through [`KeywordWriter::commit`] already do).
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload().map_err(err("reload"))
    }

    /// Number of segments searches go through (as many as search threads after
    /// [`KeywordWriter::merge_into`]).
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Number of papers visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The cursor of the last commit ([`KeywordWriter::commit`]); 0 for a new index.
    pub fn cursor(&self) -> Result<u64, SearchError> {
        let metas = self.index.load_metas().map_err(err("read commit"))?;
        parse_payload(metas.payload.as_deref())
    }

    /// Searches with BM25 over title, authors and abstract (see [`super::query`] for the shape;
    /// plain queries of bare words run in two phases, see [`super::rescore`]).
    ///
    /// When the whole text is an indexed paper's id or URL (see [`KeywordIndex::lookup_id`]),
    /// the result is that paper alone (score 1, filters ignored). Empty or all-punctuation text
    /// matches nothing. Never fails because of what the user typed.
    pub fn search(&self, query: &KeywordQuery) -> Result<Vec<KeywordHit>, SearchError> {
        let (searcher, top) = self.ranked(query)?;
        self.resolve(&searcher, top)
    }

    /// [`KeywordIndex::search`] returning `(key, score)` pairs only: no paper id is read from
    /// the index (its dictionary blocks are compressed, so reading a hundred ids costs more
    /// than the search itself). What the search engine uses.
    pub fn search_keys(&self, query: &KeywordQuery) -> Result<Vec<(u64, Score)>, SearchError> {
        let (searcher, top) = self.ranked(query)?;
        keys(&searcher, top)
    }

    /// The best documents for `query`, with the searcher they come from.
    fn ranked(&self, query: &KeywordQuery) -> Result<(Searcher, Vec<(Score, DocAddress)>), SearchError> {
        let searcher = self.reader.searcher();
        let end = query.offset.saturating_add(query.limit).min(MAX_RESULTS);
        if end <= query.offset {
            return Ok((searcher, Vec::new()));
        }
        if let Ok(id) = query.text.trim().parse::<PaperId>() {
            if let Some(address) = self.find(&searcher, &id)? {
                let hit = if query.offset == 0 { vec![(1.0, address)] } else { Vec::new() };
                return Ok((searcher, hit));
            }
        }
        let (two_phase, built) = {
            let mut analyzers = self.analyzers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let parsed = parse_with(&query.text, query.typing, &mut analyzers);
            match build_two_phase(&parsed, &query.filters, &self.fields, &self.tuning) {
                Some(two) => (Some(two), None),
                None => (None, build(&parsed, &query.filters, &self.fields, &self.tuning, &mut analyzers)),
            }
        };
        let (limit, offset) = (end - query.offset, query.offset);
        let threads = parallel::threads_for(&searcher, self.threads);
        let top = match (two_phase, built) {
            (Some(two), _) => {
                let depth = query.candidates.unwrap_or_else(|| rescore::depth(end));
                rescore::search(&searcher, &two, limit, offset, depth, threads).map_err(err("search"))?
            }
            (None, Some(built)) => {
                parallel::top_docs(&searcher, built.as_ref(), limit, offset, threads).map_err(err("search"))?
            }
            (None, None) => Vec::new(),
        };
        Ok((searcher, top))
    }

    /// The keys of up to `limit` papers that pass `filters` (all papers when there are none),
    /// in no particular order: the candidates of a ranking that is not by words, such as "For
    /// you" within a digest's period.
    pub fn filtered_keys(&self, filters: &Filters, limit: usize) -> Result<Vec<u64>, SearchError> {
        let searcher = self.reader.searcher();
        let clauses = {
            let mut analyzers = self.analyzers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            filter_clauses(&self.fields, filters, &mut analyzers)
        };
        let mut all: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, Box::new(AllQuery))];
        all.extend(clauses);
        let query = BooleanQuery::new(all);
        let top =
            searcher.search(&query, &TopDocs::with_limit(limit.max(1)).order_by_score()).map_err(err("filter"))?;
        Ok(keys(&searcher, top)?.into_iter().map(|(k, _)| k).collect())
    }

    /// Papers that share the most distinctive words of `id`'s title, abstract and authors
    /// (tantivy's MoreLikeThis: up to [`MLT_TERMS`] terms of the paper chosen by tf-idf, then
    /// BM25), best first, without the paper itself. Empty when the paper is not indexed.
    pub fn more_like_this(
        &self,
        id: &PaperId,
        limit: usize,
        filters: &Filters,
    ) -> Result<Vec<KeywordHit>, SearchError> {
        let (searcher, top) = self.like_ranked(id, limit, filters)?;
        self.resolve(&searcher, top)
    }

    /// [`KeywordIndex::more_like_this`] as `(key, score)` pairs (no ids read; see
    /// [`KeywordIndex::search_keys`]).
    pub fn more_like_this_keys(
        &self,
        id: &PaperId,
        limit: usize,
        filters: &Filters,
    ) -> Result<Vec<(u64, Score)>, SearchError> {
        let (searcher, top) = self.like_ranked(id, limit, filters)?;
        keys(&searcher, top)
    }

    fn like_ranked(
        &self,
        id: &PaperId,
        limit: usize,
        filters: &Filters,
    ) -> Result<(Searcher, Vec<(Score, DocAddress)>), SearchError> {
        let searcher = self.reader.searcher();
        let Some(address) = self.find(&searcher, id)?.filter(|_| limit > 0) else { return Ok((searcher, Vec::new())) };
        let like = MoreLikeThisQuery::builder()
            .with_min_doc_frequency(1)
            .with_max_doc_frequency(u64::MAX)
            .with_min_term_frequency(1)
            .with_min_word_length(2)
            .with_max_query_terms(MLT_TERMS)
            .with_document(address);
        let itself = Term::from_field_text(self.fields.id_norm, &normalized_id(id));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(like)),
            (Occur::MustNot, Box::new(TermQuery::new(itself, IndexRecordOption::Basic))),
        ];
        {
            let mut analyzers = self.analyzers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            clauses.extend(filter_clauses(&self.fields, filters, &mut analyzers));
        }
        let query = BooleanQuery::new(clauses);
        let threads = parallel::threads_for(&searcher, self.threads);
        let top = parallel::top_docs(&searcher, &query, limit.min(MAX_RESULTS), 0, threads).map_err(err("search"))?;
        Ok((searcher, top))
    }

    /// The paper an id or URL names, if it is indexed: `2401.01234`, `arXiv:2401.01234v2`,
    /// `https://arxiv.org/abs/2401.01234`, `hep-th/9901001`, `doi:10.1145/…`, `https://doi.org/…`
    /// (anything [`PaperId`]'s `FromStr` accepts; ids compare case-insensitively). Score is 1.
    pub fn lookup_id(&self, text: &str) -> Result<Option<KeywordHit>, SearchError> {
        let Ok(id) = text.trim().parse::<PaperId>() else { return Ok(None) };
        let searcher = self.reader.searcher();
        let Some(address) = self.find(&searcher, &id)? else { return Ok(None) };
        let hits = self.resolve(&searcher, vec![(1.0, address)])?;
        Ok(hits.into_iter().next())
    }

    /// The paper's title and full abstract as escaped HTML with the query's words marked
    /// (from the index's stored text); `None` when the paper is not indexed. To highlight text
    /// you already have, build one [`Highlighter`] per query instead.
    pub fn snippet(&self, id: &PaperId, query_text: &str) -> Result<Option<Highlighted>, SearchError> {
        let searcher = self.reader.searcher();
        let Some(address) = self.find(&searcher, id)? else { return Ok(None) };
        let doc: TantivyDocument = searcher.doc(address).map_err(err("read document"))?;
        let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let (title, abstract_text) = (text(self.fields.title), text(self.fields.abstract_text));
        Ok(Some(Highlighter::new(query_text).highlight_paper(&title, &abstract_text)))
    }

    /// The address of the paper with this id.
    fn find(&self, searcher: &Searcher, id: &PaperId) -> Result<Option<DocAddress>, SearchError> {
        let term = Term::from_field_text(self.fields.id_norm, &normalized_id(id));
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let top = searcher.search(&query, &TopDocs::with_limit(1).order_by_score()).map_err(err("search"))?;
        Ok(top.first().map(|&(_, address)| address))
    }

    /// Turns addresses into hits through the `key` and `id` fast fields.
    fn resolve(&self, searcher: &Searcher, docs: Vec<(Score, DocAddress)>) -> Result<Vec<KeywordHit>, SearchError> {
        let mut columns: HashMap<u32, (Column<u64>, StrColumn)> = HashMap::new();
        let mut hits = Vec::with_capacity(docs.len());
        let mut id_text = String::new();
        for (score, address) in docs {
            let (keys, ids) = match columns.entry(address.segment_ord) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(segment_columns(searcher, address.segment_ord)?),
            };
            let key = keys.first(address.doc_id);
            let ord = ids.term_ords(address.doc_id).next();
            id_text.clear();
            let found = match ord {
                Some(ord) => ids
                    .ord_to_str(ord, &mut id_text)
                    .map_err(|e| SearchError::Keyword { op: "read id", source: e.into() })?,
                None => false,
            };
            match (key, found.then(|| id_text.parse::<PaperId>())) {
                (Some(key), Some(Ok(id))) => hits.push(KeywordHit { id, key, score }),
                _ => tracing::warn!(?address, id = %id_text, "keyword hit without a valid id or key; skipped"),
            }
        }
        Ok(hits)
    }
}

/// The `key` fast field of each document, in order.
fn keys(searcher: &Searcher, docs: Vec<(Score, DocAddress)>) -> Result<Vec<(u64, Score)>, SearchError> {
    let mut columns: HashMap<u32, Column<u64>> = HashMap::new();
    let mut out = Vec::with_capacity(docs.len());
    for (score, address) in docs {
        let keys = match columns.entry(address.segment_ord) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => e.insert(key_column(searcher, address.segment_ord)?),
        };
        match keys.first(address.doc_id) {
            Some(key) => out.push((key, score)),
            None => tracing::warn!(?address, "keyword hit without a key; skipped"),
        }
    }
    Ok(out)
}

/// The `key` fast-field column of one segment.
fn key_column(searcher: &Searcher, segment_ord: u32) -> Result<Column<u64>, SearchError> {
    searcher.segment_reader(segment_ord).fast_fields().u64(names::KEY).map_err(err("read key"))
}

/// The `key` and `id` fast-field columns of one segment.
fn segment_columns(searcher: &Searcher, segment_ord: u32) -> Result<(Column<u64>, StrColumn), SearchError> {
    let keys = key_column(searcher, segment_ord)?;
    let ids = searcher.segment_reader(segment_ord).fast_fields().str(names::ID).map_err(err("read id"))?.ok_or_else(
        || SearchError::Keyword {
            op: "read id",
            source: tantivy::TantivyError::SchemaError("the id fast field is missing".into()),
        },
    )?;
    Ok((keys, ids))
}

/// Schemas compare field by field (names, types and options).
fn same_schema(found: Schema, expected: &Schema) -> bool {
    &found == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small index of three papers.
    fn small_index() -> KeywordIndex {
        let index = KeywordIndex::in_ram().unwrap();
        let mut writer = index.writer(15_000_000).unwrap();
        for (key, (id, title, author, category)) in [
            ("2401.00001", "Kernelized attention with relative positions", "Ada Lovelace", "cs.LG"),
            ("2401.00002", "Galaxy surveys \\(z>2\\) and dark matter", "Vera Rubin", "astro-ph.GA"),
            ("hep-th/9901001", "Strings, branes & \"dualities\"", "Ed Witten", "hep-th"),
        ]
        .into_iter()
        .enumerate()
        {
            let mut p = papertide_core::Paper::new(id.parse().unwrap(), title, papertide_core::Source::Local);
            p.abstract_text = format!("{title}. We study it.");
            p.authors = vec![author.to_string()];
            p.categories = vec![category.to_string()];
            p.published = "2024-01-02T00:00:00Z".parse().ok();
            writer.upsert(key as u64 + 1, &p).unwrap();
        }
        writer.commit(3).unwrap();
        index.reload().unwrap();
        index
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// The query parser and every search path take any text without failing: quotes,
        /// minus signs, stars, colons, TeX, ids, control characters, half-typed words.
        #[test]
        fn any_query_text_searches_without_error(
            text in proptest::prelude::prop_oneof![
                "\\PC{0,60}",
                "[ \"\\-*:()\\\\$^~a-zA-Z0-9.]{0,40}",
                proptest::prelude::Just("\"unclosed phrase -".to_string()),
            ],
            typing in proptest::prelude::any::<bool>(),
            author in proptest::option::of("\\PC{0,12}"),
            category in proptest::option::of("[a-zA-Z.*-]{0,8}"),
        ) {
            let index = small_index();
            let filters = Filters {
                categories: category.into_iter().collect(),
                author,
                ..Default::default()
            };
            let query = KeywordQuery { typing, ..KeywordQuery::new(text.clone(), 10).with_filters(filters.clone()) };
            let hits = index.search(&query).unwrap();
            proptest::prop_assert!(hits.len() <= 3);
            proptest::prop_assert_eq!(index.search_keys(&query).unwrap().len(), hits.len());
            index.filtered_keys(&filters, 10).unwrap();
            index.snippet(&"2401.00001".parse().unwrap(), &text).unwrap();
        }
    }

    #[test]
    fn shareable_across_threads() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<KeywordIndex>();
        fn assert_send<T: Send>() {}
        assert_send::<KeywordWriter>();
    }
}
