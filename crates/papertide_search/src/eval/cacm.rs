//! The CACM test collection as a [`KeywordBenchmark`]: [`load`] parses the SMART-format
//! `cacm.all`, `query.text` and `qrels.text` of `benchmarks/cacm/`.
//!
//! Formats and quirks (see `shared/data/SOURCES.md`, benchmarks section):
//! - SMART records start with `.I <n>`; a line `.X` (a dot, one capital, then nothing or a
//!   space) starts field X and the following lines are its text. Documents keep `.T` title,
//!   `.W` abstract (1,587 of 3,204 have one), `.B` date (`CACM December, 1958`; the year
//!   becomes `published`, January 1; a record without `.B` gets none), `.A` authors one per line (`Perlis, A. J.` becomes
//!   `A. J. Perlis`). `.K` keywords, `.C` categories, `.N` and `.X` (citations) are skipped.
//!   Document 3193 has an empty `.T`: it gets the title [`UNTITLED`].
//! - Queries: `.W` text; the `.A` lines of a query (people the user asks for) are appended to
//!   its text. Query ids are the numbers without padding (`"1"`).
//! - `qrels.text`: `qid docid 0 0`, qid zero-padded (`01`); the last line lacks `0 0`.
//!   Every listed pair is relevant (grade 1). Only the 52 of 64 queries with judgements are
//!   kept.
//!
//! Papers get ids `cacm:<n>` and source [`Source::Local`]. The runner is [`super::run_keyword`].

use std::collections::HashMap;
use std::path::Path;

use chrono::{TimeZone, Utc};
use papertide_core::{Paper, PaperId, Source};

use super::{malformed, read, BenchQuery, EvalError, KeywordBenchmark};

/// The title given to a record whose `.T` is missing or empty.
pub const UNTITLED: &str = "[untitled]";

/// One field of a SMART record: its tag letter, the line of the tag, and its text lines.
struct Field {
    tag: char,
    line: usize,
    text: Vec<String>,
}

/// One SMART record (`.I n` and its fields).
struct Record {
    id: u32,
    line: usize,
    fields: Vec<Field>,
}

impl Record {
    /// The text of every `tag` field, whitespace collapsed into single spaces.
    fn joined(&self, tag: char) -> String {
        let words =
            self.fields.iter().filter(|f| f.tag == tag).flat_map(|f| f.text.iter()).flat_map(|l| l.split_whitespace());
        words.collect::<Vec<_>>().join(" ")
    }

    /// The non-empty lines of every `tag` field, trimmed.
    fn lines(&self, tag: char) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(move |f| f.tag == tag)
            .flat_map(|f| f.text.iter())
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
    }
}

/// The tag of a field marker line (`.T`, `.I 12`), if the line is one.
fn marker(line: &str) -> Option<char> {
    match line.as_bytes() {
        [b'.', t, rest @ ..] if t.is_ascii_uppercase() && rest.first().is_none_or(|&b| b == b' ' || b == b'\t') => {
            Some(char::from(*t))
        }
        _ => None,
    }
}

/// Splits a SMART file into records.
fn records(path: &Path, text: &str) -> Result<Vec<Record>, EvalError> {
    let mut out: Vec<Record> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if let Some(tag) = marker(line) {
            let rest = line.get(2..).unwrap_or("").trim();
            if tag == 'I' {
                let id =
                    rest.parse().map_err(|_| malformed(path, n, format!("`.I` needs a record number: `{line}`")))?;
                out.push(Record { id, line: n, fields: Vec::new() });
            } else {
                let rec = out.last_mut().ok_or_else(|| malformed(path, n, "field before the first `.I` record"))?;
                let text = if rest.is_empty() { Vec::new() } else { vec![rest.to_string()] };
                rec.fields.push(Field { tag, line: n, text });
            }
        } else {
            match out.last_mut().and_then(|r| r.fields.last_mut()) {
                Some(field) => field.text.push(line.to_string()),
                None if line.trim().is_empty() => {}
                None => return Err(malformed(path, n, "text outside a field (expected `.I`, `.T`, `.W`, ...)")),
            }
        }
    }
    Ok(out)
}

/// `Perlis, A. J.` → `A. J. Perlis`, `Thacher Jr.,H. C.` → `H. C. Thacher Jr.`; names with
/// no comma or several (`ACM Committee`, `Bellman, R., Kagiwada, H.`) are kept as written.
fn author_name(line: &str) -> String {
    let line = line.trim().trim_end_matches(',').trim();
    match line.split_once(',') {
        Some((last, first)) if !first.contains(',') && !first.trim().is_empty() && !last.trim().is_empty() => {
            format!("{} {}", first.trim(), last.trim())
        }
        _ => line.to_string(),
    }
}

/// The last four-digit number in a `.B` date (`CACM December, 1958` → 1958).
fn year(date: &str) -> Option<i32> {
    date.split(|c: char| !c.is_ascii_digit()).filter(|t| t.len() == 4).filter_map(|t| t.parse().ok()).next_back()
}

/// A paper from a `cacm.all` record.
fn paper(path: &Path, rec: &Record) -> Result<Paper, EvalError> {
    let id: PaperId = format!("cacm:{}", rec.id).parse().map_err(|e| malformed(path, rec.line, format!("{e}")))?;
    let mut title = rec.joined('T');
    if title.is_empty() {
        // Document 3193 has an empty `.T`; papers need a title, so it gets a placeholder.
        tracing::warn!(path = %path.display(), line = rec.line, "CACM record {} has no title", rec.id);
        title = UNTITLED.to_string();
    }
    let mut p = Paper::new(id, title, Source::Local);
    p.abstract_text = rec.joined('W');
    p.authors = rec.lines('A').map(author_name).collect();
    if let Some(date) = rec.fields.iter().find(|f| f.tag == 'B') {
        let text = date.text.join(" ");
        let y = year(&text).ok_or_else(|| malformed(path, date.line, format!("no year in date `{}`", text.trim())))?;
        p.published = Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single();
    }
    let p = p.normalized();
    p.validate().map_err(|e| malformed(path, rec.line, format!("record {}: {e}", rec.id)))?;
    Ok(p)
}

/// A query from a `query.text` record: its `.W` text, then its `.A` names.
fn query(path: &Path, rec: &Record) -> Result<BenchQuery, EvalError> {
    let mut text = rec.joined('W');
    let authors: Vec<String> = rec.lines('A').map(author_name).collect();
    if !authors.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&authors.join(", "));
    }
    if text.is_empty() {
        return Err(malformed(path, rec.line, format!("query {} has no `.W` text", rec.id)));
    }
    Ok(BenchQuery { id: rec.id.to_string(), text })
}

/// Loads CACM from `dir` (holding `cacm.all`, `query.text`, `qrels.text`): 3,204 documents,
/// the 52 judged queries and their 796 judgements (grade 1).
pub fn load(dir: &Path) -> Result<KeywordBenchmark, EvalError> {
    let docs_path = dir.join("cacm.all");
    let mut docs = Vec::new();
    let mut doc_ids: HashMap<u32, PaperId> = HashMap::new();
    for rec in records(&docs_path, &read(&docs_path)?)? {
        let p = paper(&docs_path, &rec)?;
        if doc_ids.insert(rec.id, p.id.clone()).is_some() {
            return Err(malformed(&docs_path, rec.line, format!("document {} appears twice", rec.id)));
        }
        docs.push(p);
    }

    let queries_path = dir.join("query.text");
    let mut queries = Vec::new();
    for rec in records(&queries_path, &read(&queries_path)?)? {
        let q = query(&queries_path, &rec)?;
        if queries.iter().any(|x: &BenchQuery| x.id == q.id) {
            return Err(malformed(&queries_path, rec.line, format!("query {} appears twice", q.id)));
        }
        queries.push(q);
    }

    let qrels_path = dir.join("qrels.text");
    let mut qrels: HashMap<String, HashMap<PaperId, u32>> = HashMap::new();
    for (i, line) in read(&qrels_path)?.lines().enumerate() {
        let n = i + 1;
        let mut fields = line.split_whitespace();
        let (Some(qid), Some(docid)) = (fields.next(), fields.next()) else {
            if line.trim().is_empty() {
                continue;
            }
            return Err(malformed(&qrels_path, n, format!("expected `query-id doc-id 0 0`, found `{line}`")));
        };
        let number = |s: &str, what: &str| {
            s.parse::<u32>().map_err(|_| malformed(&qrels_path, n, format!("{what} `{s}` is not a number")))
        };
        let qid = number(qid, "query id")?.to_string();
        let docid = number(docid, "document id")?;
        if !queries.iter().any(|q| q.id == qid) {
            return Err(malformed(&qrels_path, n, format!("query {qid} is not in query.text")));
        }
        let doc = doc_ids
            .get(&docid)
            .ok_or_else(|| malformed(&qrels_path, n, format!("document {docid} is not in cacm.all")))?;
        qrels.entry(qid).or_default().insert(doc.clone(), 1);
    }
    queries.retain(|q| qrels.contains_key(&q.id));
    Ok(KeywordBenchmark { name: "cacm".to_string(), docs, queries, qrels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_names() {
        assert_eq!(author_name("Perlis, A. J."), "A. J. Perlis");
        assert_eq!(author_name("Samelson,K."), "K. Samelson");
        assert_eq!(author_name("Thacher Jr.,H. C."), "H. C. Thacher Jr.");
        assert_eq!(author_name("Greniewski, M,"), "M Greniewski");
        assert_eq!(author_name("ACM Committee"), "ACM Committee");
        assert_eq!(author_name("Bellman, R., Kagiwada, H."), "Bellman, R., Kagiwada, H.");
    }

    #[test]
    fn years() {
        assert_eq!(year("CACM December, 1958"), Some(1958));
        assert_eq!(year(" June, 1969"), Some(1969));
        assert_eq!(year("CACM June"), None);
    }

    #[test]
    fn smart_records() {
        let text = ".I 7\n.T\nA title\non two lines\n.B\nCACM May, 1960\n.A\nKnuth, D. E.\n.K\nsorting\n.I 8\n.T\nB\n";
        let recs = records(Path::new("x"), text).unwrap();
        assert_eq!(recs.len(), 2);
        let p = paper(Path::new("x"), &recs[0]).unwrap();
        assert_eq!((p.id.as_str(), p.title.as_str()), ("cacm:7", "A title on two lines"));
        assert_eq!(p.authors, vec!["D. E. Knuth"]);
        assert_eq!(p.published.map(|d| d.to_rfc3339()).as_deref(), Some("1960-01-01T00:00:00+00:00"));
        assert!(p.abstract_text.is_empty());
        assert!(paper(Path::new("x"), &recs[1]).unwrap().published.is_none());
    }

    #[test]
    fn bad_records_name_the_line() {
        let err = |text: &str| records(Path::new("f"), text).and_then(|r| paper(Path::new("f"), &r[0])).unwrap_err();
        assert!(matches!(err("\n.T\nx\n"), EvalError::Malformed { line: 2, .. }));
        assert!(matches!(err(".I x\n"), EvalError::Malformed { line: 1, .. }));
        assert!(matches!(err(".I 1\n.T\nt\n.B\nsome day\n"), EvalError::Malformed { line: 4, .. }));
        assert!(matches!(err("\nstray\n.I 1\n"), EvalError::Malformed { line: 2, .. }));
        let untitled = records(Path::new("f"), ".I 1\n.T\n.W\nabstract\n").unwrap();
        assert_eq!(paper(Path::new("f"), &untitled[0]).unwrap().title, UNTITLED);
    }
}
