//! Writing the keyword index: [`KeywordWriter`] (upsert, delete, commit with a cursor) and the
//! mapping from a [`Paper`] to a tantivy document.
//!
//! The cursor is the app's "last change sequence indexed": it is stored in the commit payload
//! as `{"cursor":N}`, so it is durable exactly when the documents it covers are, and read back
//! with [`super::KeywordIndex::cursor`] after a restart to resume the store's change feed.
//! Where to look next: [`super::schema`] for the fields, [`super::index`] for reading.

use papertide_core::{Paper, PaperId};
use serde::{Deserialize, Serialize};
use tantivy::index::SegmentId;
use tantivy::schema::{TantivyDocument, Term};
use tantivy::{Index, IndexReader, IndexWriter, TantivyError};

use super::schema::{category_terms, normalized_id, Fields};
use crate::SearchError;

/// Smallest writer heap tantivy accepts (per indexing thread); smaller budgets are raised to it.
pub const MIN_WRITER_HEAP: usize = 15_000_000;

/// What a commit's payload holds.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    cursor: u64,
}

/// Wraps a tantivy error with what papertide was doing.
pub(crate) fn err(op: &'static str) -> impl FnOnce(TantivyError) -> SearchError {
    move |source| match source {
        TantivyError::LockFailure(..) => SearchError::KeywordWriterBusy,
        source => SearchError::Keyword { op, source },
    }
}

/// Reads the cursor from a commit payload; no payload (a new index) is cursor 0.
pub(crate) fn parse_payload(payload: Option<&str>) -> Result<u64, SearchError> {
    match payload {
        None => Ok(0),
        Some(p) => serde_json::from_str::<Payload>(p)
            .map(|p| p.cursor)
            .map_err(|_| SearchError::KeywordPayload { payload: p.to_string() }),
    }
}

/// The tantivy document for a paper.
pub(crate) fn document(fields: &Fields, key: u64, paper: &Paper) -> TantivyDocument {
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, paper.id.as_str());
    doc.add_text(fields.id_norm, normalized_id(&paper.id));
    doc.add_text(fields.title, &paper.title);
    doc.add_text(fields.title_words, &paper.title);
    if !paper.abstract_text.is_empty() {
        doc.add_text(fields.abstract_text, &paper.abstract_text);
        doc.add_text(fields.abstract_words, &paper.abstract_text);
    }
    for author in &paper.authors {
        doc.add_text(fields.authors, author);
    }
    for category in category_terms(&paper.categories) {
        doc.add_text(fields.categories, category);
    }
    if let Some(published) = paper.published {
        doc.add_date(fields.published, super::schema::index_date(&published));
    }
    doc.add_u64(fields.key, key);
    doc
}

/// The single writer of a keyword index. Changes become visible (and durable) at
/// [`KeywordWriter::commit`]; dropping the writer discards uncommitted changes.
pub struct KeywordWriter {
    writer: IndexWriter<TantivyDocument>,
    reader: IndexReader,
    fields: Fields,
}

impl KeywordWriter {
    pub(crate) fn new(
        index: &Index,
        reader: IndexReader,
        fields: Fields,
        heap_bytes: usize,
    ) -> Result<KeywordWriter, SearchError> {
        let writer = index.writer(heap_bytes.max(MIN_WRITER_HEAP)).map_err(err("open writer"))?;
        Ok(KeywordWriter { writer, reader, fields })
    }

    /// Adds the paper, replacing any document with the same id (committed or not).
    /// `key` is the store's integer key of the paper, returned in [`super::KeywordHit::key`].
    pub fn upsert(&mut self, key: u64, paper: &Paper) -> Result<(), SearchError> {
        self.delete(&paper.id);
        self.writer.add_document(document(&self.fields, key, paper)).map_err(err("add document"))?;
        Ok(())
    }

    /// Adds a paper known not to be in the index (a bulk load into an empty index): no
    /// delete of an older copy, which saves applying millions of delete terms at commit.
    pub fn insert(&mut self, key: u64, paper: &Paper) -> Result<(), SearchError> {
        self.writer.add_document(document(&self.fields, key, paper)).map_err(err("add document"))?;
        Ok(())
    }

    /// Turns background merging off for a bulk load: segments are left as written and
    /// [`KeywordWriter::merge_into`] merges them at the end, instead of merging the same
    /// documents over and over while they arrive (and racing the final merge).
    pub fn bulk_mode(&mut self) {
        self.writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
    }

    /// Removes the paper with this id, if any.
    pub fn delete(&mut self, id: &PaperId) {
        self.writer.delete_term(Term::from_field_text(self.fields.id, id.as_str()));
    }

    /// Removes every paper (for a full rebuild; commit with cursor 0 or the rebuild's cursor).
    pub fn delete_all(&mut self) -> Result<(), SearchError> {
        self.writer.delete_all_documents().map_err(err("delete all"))?;
        Ok(())
    }

    /// Makes every change so far durable and visible, recording `cursor` (an opaque change
    /// sequence number, see the module doc). Searches see the changes when this returns.
    pub fn commit(&mut self, cursor: u64) -> Result<(), SearchError> {
        let payload = serde_json::to_string(&Payload { cursor })
            .map_err(|e| SearchError::Keyword { op: "commit", source: e.into() })?;
        let mut prepared = self.writer.prepare_commit().map_err(err("commit"))?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(err("commit"))?;
        self.reader.reload().map_err(err("reload"))?;
        Ok(())
    }

    /// Merges the index's segments into `parts` of about equal size (at least one; fewer
    /// when there are fewer segments), waits until done and keeps the commit's cursor. Worth
    /// it after a bulk load: fewer term dictionaries to look words up in, and with one
    /// segment per search thread a search runs on all of them ([`super::parallel`]). Returns
    /// the number of segments before the merge.
    ///
    /// The merges run one after another, and after each the reader lets go of the segments
    /// it merged away and their files are removed. A merge reads every page of its segments
    /// through the memory map, so those pages count in the process's RSS for as long as the
    /// segments are mapped: at 2.7M papers, merging both halves at once held the whole 4.3 GB
    /// index mapped; one at a time holds half of it (docs/SCALE.md, "Peak memory").
    pub fn merge_into(&mut self, parts: usize) -> Result<usize, SearchError> {
        // Ids and sizes only: tantivy keeps the files of every segment whose `SegmentMeta` is
        // still alive anywhere, so holding the metas here would keep the merged-away files.
        let segments: Vec<(SegmentId, u32)> = {
            let metas = self.writer.index().searchable_segment_metas().map_err(err("list segments"))?;
            metas.iter().map(|m| (m.id(), m.num_docs())).collect()
        };
        let before = segments.len();
        let groups: Vec<_> = balanced_groups(segments, parts.max(1)).into_iter().filter(|g| g.len() > 1).collect();
        if groups.is_empty() {
            // Files an earlier, interrupted merge may have left.
            self.release_merged()?;
        }
        for group in &groups {
            self.writer.merge(group).wait().map_err(err("merge segments"))?;
            self.release_merged()?;
        }
        Ok(before)
    }

    /// Reloads the reader, whose current searcher holds (and maps) the segments merged
    /// away, then removes the files no segment uses any more.
    fn release_merged(&mut self) -> Result<(), SearchError> {
        self.reader.reload().map_err(err("reload"))?;
        self.writer.garbage_collect_files().wait().map_err(err("remove merged files"))?;
        Ok(())
    }

    /// Discards every change since the last commit.
    pub fn rollback(&mut self) -> Result<(), SearchError> {
        self.writer.rollback().map_err(err("rollback"))?;
        Ok(())
    }
}

/// Splits segments `(id, docs)` into at most `parts` groups of about equal document count:
/// largest first, each into the group holding the fewest documents so far.
fn balanced_groups<T>(mut segments: Vec<(T, u32)>, parts: usize) -> Vec<Vec<T>> {
    segments.sort_by_key(|s| std::cmp::Reverse(s.1));
    let mut groups: Vec<(u64, Vec<T>)> = (0..parts.min(segments.len())).map(|_| (0, Vec::new())).collect();
    for (id, docs) in segments {
        if let Some(lightest) = groups.iter_mut().min_by_key(|g| g.0) {
            lightest.0 += u64::from(docs);
            lightest.1.push(id);
        }
    }
    groups.into_iter().map(|g| g.1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_balanced_by_documents() {
        let groups = balanced_groups(vec![("a", 10), ("b", 50), ("c", 30), ("d", 25), ("e", 5)], 2);
        assert_eq!(groups, [vec!["b", "a"], vec!["c", "d", "e"]]);
        assert_eq!(balanced_groups(vec![("a", 1)], 4), [vec!["a"]]);
        assert_eq!(balanced_groups(vec![("a", 1), ("b", 2)], 1), [vec!["b", "a"]]);
    }

    #[test]
    fn payload_round_trips() {
        assert_eq!(parse_payload(None).ok(), Some(0));
        assert_eq!(parse_payload(Some(r#"{"cursor":42}"#)).ok(), Some(42));
        assert!(matches!(parse_payload(Some("first commit")), Err(SearchError::KeywordPayload { .. })));
    }
}
