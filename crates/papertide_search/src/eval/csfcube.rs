//! CSFCube (faceted query by example over CS abstracts) as a [`FacetBenchmark`]: [`load`]
//! reads `benchmarks/csfcube/`. License CC BY-NC 4.0.
//!
//! Files and what the official eval (`eval_scripts/ranking_eval.py`) does with them:
//! - `derived/corpus.jsonl`: 4,205 papers `{paper_id, year, title, abstract: [{label, text}]}`;
//!   ids become `s2:<paper_id>`, the abstract is the sentences joined with spaces, the
//!   labelled sentences are kept in [`FacetBenchmark::sentences`]. Two papers have the year
//!   `"None"` (a string): they get no `published` date.
//! - `queries-release.csv` (`pid,facet,year,title,paper type`): the 50 query×facet pairs
//!   (background 16, method 17, result 17) of 34 query papers; ids `<pid>_<facet>`.
//! - `derived/qrels.trec` (`<pid>_<facet> 0 <cand> <grade>`, 6,244 lines, grades 0–3): made
//!   from `test-pid2anns-csfcube-{facet}.json`, whose `cands` per query *paper and facet* are
//!   the pool the official eval re-ranks.
//! - `test-pid2pool-csfcube.json`: one pool per query *paper* (34 keys, shared by its
//!   facets) with `cands` and `cand_source`. Besides the judged candidates it lists two
//!   papers (41022419, 5111924, from `abs_tfidf`) in every pool that were never judged and are
//!   not in the corpus. [`FacetBenchmark::pools`] is therefore, per query×facet, the judged
//!   candidates in this file's order: the official `cands` as a set.
//! - Query paper 8781666 is judged (grade 3) in its own pool for both its facets; the
//!   official SPECTER run leaves it out, and the official ideal DCG comes from the ranked
//!   list, so pools never hold the query paper (6,242 candidates in all).
//! - `evaluation_splits.json`: two folds per facet (and `all`); the official test score is
//!   the mean of the two fold means ([`FacetBenchmark::test_folds`]).
//!
//! The runner is [`super::run_facets`]; the metric, [`super::metrics::ndcg_at`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::Path;

use chrono::{TimeZone, Utc};
use papertide_core::{Paper, PaperId, Source};
use serde::Deserialize;

use super::{malformed, read, EvalError};

/// A CSFCube facet: the rhetorical part of the query paper that relevance is judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Facet {
    /// The problem and motivation (the file and scripts call it `background`).
    Background,
    /// The method.
    Method,
    /// The results and findings.
    Result,
}

impl Facet {
    /// Every facet, in the order tables print them.
    pub const ALL: [Facet; 3] = [Facet::Background, Facet::Method, Facet::Result];

    /// `background`, `method` or `result`, as in the data files.
    pub fn as_str(self) -> &'static str {
        match self {
            Facet::Background => "background",
            Facet::Method => "method",
            Facet::Result => "result",
        }
    }

    /// Parses the name written by [`Facet::as_str`].
    pub fn parse(s: &str) -> Option<Facet> {
        Facet::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

impl fmt::Display for Facet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One query×facet pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetQuery {
    /// `<pid>_<facet>`, e.g. `10695055_background`: the key of pools, qrels and folds.
    pub id: String,
    /// The query paper (in [`FacetBenchmark::docs`]).
    pub paper: PaperId,
    /// The facet relevance is judged on.
    pub facet: Facet,
}

/// A sentence of a CSFCube abstract with its predicted rhetorical label.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Sentence {
    /// `background_label`, `objective_label`, `method_label`, `result_label` or `other_label`.
    pub label: String,
    /// The sentence.
    pub text: String,
}

/// A faceted query-by-example benchmark: rank each query's candidate pool.
#[derive(Debug, Clone)]
pub struct FacetBenchmark {
    /// Short name for tables and logs: `csfcube`.
    pub name: String,
    /// Every query and candidate paper.
    pub docs: Vec<Paper>,
    /// The query×facet pairs, in `queries-release.csv` order.
    pub queries: Vec<FacetQuery>,
    /// Query id → the candidates to rank (judged, without the query paper).
    pub pools: HashMap<String, Vec<PaperId>>,
    /// Query id → candidate → grade 0–3 (as in `derived/qrels.trec`).
    pub qrels: HashMap<String, HashMap<PaperId, u32>>,
    /// `background`, `method`, `result`, `all` → the test folds (lists of query ids).
    pub test_folds: HashMap<String, Vec<Vec<String>>>,
    /// Paper → its abstract sentences with their facet labels.
    pub sentences: HashMap<PaperId, Vec<Sentence>>,
}

/// A corpus year: a number, or (for two papers) the string `"None"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Year {
    Number(i32),
    Text(String),
}

impl Year {
    fn value(&self) -> Option<i32> {
        match self {
            Year::Number(y) => Some(*y),
            Year::Text(s) => s.trim().parse().ok(),
        }
    }
}

#[derive(Deserialize)]
struct CorpusRow {
    paper_id: String,
    year: Option<Year>,
    title: String,
    #[serde(rename = "abstract")]
    sentences: Vec<Sentence>,
}

#[derive(Deserialize)]
struct PoolRow {
    cands: Vec<String>,
}

/// `s2:<pid>`.
fn s2(path: &Path, line: usize, pid: &str) -> Result<PaperId, EvalError> {
    format!("s2:{}", pid.trim()).parse().map_err(|e| malformed(path, line, format!("{e}")))
}

/// Parses a whole JSON document, reporting the line of a syntax or shape error.
fn json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, EvalError> {
    serde_json::from_str(&read(path)?).map_err(|e| malformed(path, e.line(), e.to_string()))
}

/// The fields of one CSV line (RFC 4180 quoting, `""` inside quotes); `None` when a quote
/// is left open (fields spanning lines are not supported).
fn csv_fields(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut chars) = (false, line.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    (!quoted).then_some(fields)
}

/// Loads CSFCube from `dir` (the `csfcube/` folder); see the module docs for the files.
pub fn load(dir: &Path) -> Result<FacetBenchmark, EvalError> {
    let path = dir.join("derived/corpus.jsonl");
    let (mut docs, mut sentences) = (Vec::new(), HashMap::new());
    for (i, line) in read(&path)?.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row: CorpusRow = serde_json::from_str(line).map_err(|e| malformed(&path, i + 1, e.to_string()))?;
        let id = s2(&path, i + 1, &row.paper_id)?;
        let mut p = Paper::new(id.clone(), row.title, Source::Local);
        p.abstract_text = row.sentences.iter().map(|s| s.text.trim()).collect::<Vec<_>>().join(" ");
        let year = row.year.as_ref().and_then(Year::value);
        p.published = year.and_then(|y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single());
        let p = p.normalized();
        p.validate().map_err(|e| malformed(&path, i + 1, format!("paper {id}: {e}")))?;
        if sentences.insert(id.clone(), row.sentences).is_some() {
            return Err(malformed(&path, i + 1, format!("paper {id} appears twice")));
        }
        docs.push(p);
    }

    let path = dir.join("derived/qrels.trec");
    let mut qrels: HashMap<String, HashMap<PaperId, u32>> = HashMap::new();
    for (i, line) in read(&path)?.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = || malformed(&path, i + 1, format!("expected `<pid>_<facet> 0 <paper> <grade>`, found `{line}`"));
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [qid, _, cand, grade] = fields[..] else { return Err(bad()) };
        let grade: u32 = grade.parse().map_err(|_| bad())?;
        let cand = s2(&path, i + 1, cand)?;
        if !sentences.contains_key(&cand) {
            return Err(malformed(&path, i + 1, format!("paper {cand} is not in derived/corpus.jsonl")));
        }
        qrels.entry(qid.to_string()).or_default().insert(cand, grade);
    }

    let path = dir.join("queries-release.csv");
    let text = read(&path)?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    let header = lines.next().and_then(|(_, l)| csv_fields(l.trim_start_matches('\u{feff}'))).unwrap_or_default();
    let column = |name: &str| header.iter().position(|h| h.trim() == name);
    let (Some(pid_col), Some(facet_col)) = (column("pid"), column("facet")) else {
        return Err(malformed(&path, 1, "the header needs `pid` and `facet` columns"));
    };
    let mut queries: Vec<FacetQuery> = Vec::new();
    for (i, line) in lines {
        let row = csv_fields(line).ok_or_else(|| malformed(&path, i + 1, "unterminated quote"))?;
        let (Some(pid), Some(facet)) = (row.get(pid_col), row.get(facet_col)) else {
            return Err(malformed(&path, i + 1, format!("expected {} columns, found {}", header.len(), row.len())));
        };
        let facet = Facet::parse(facet.trim())
            .ok_or_else(|| malformed(&path, i + 1, format!("unknown facet `{facet}` (background, method, result)")))?;
        let paper = s2(&path, i + 1, pid)?;
        let id = format!("{}_{facet}", pid.trim());
        if !sentences.contains_key(&paper) {
            return Err(malformed(&path, i + 1, format!("query paper {paper} is not in derived/corpus.jsonl")));
        }
        if !qrels.contains_key(&id) {
            return Err(malformed(&path, i + 1, format!("query {id} has no judgements in derived/qrels.trec")));
        }
        if queries.iter().any(|q| q.id == id) {
            return Err(malformed(&path, i + 1, format!("query {id} appears twice")));
        }
        queries.push(FacetQuery { id, paper, facet });
    }
    let known: HashSet<&str> = queries.iter().map(|q| q.id.as_str()).collect();

    let path = dir.join("evaluation_splits.json");
    let splits: HashMap<String, BTreeMap<String, Vec<String>>> = json(&path)?;
    let mut test_folds = HashMap::new();
    for (facet, folds) in splits {
        let folds: Vec<Vec<String>> = folds.into_iter().filter(|(k, _)| k.ends_with("_test")).map(|(_, v)| v).collect();
        if let Some(id) = folds.iter().flatten().find(|id| !known.contains(id.as_str())) {
            let message = format!("split `{facet}` names query {id}, which is not in queries-release.csv");
            return Err(EvalError::Inconsistent { path, message });
        }
        test_folds.insert(facet, folds);
    }

    let path = dir.join("test-pid2pool-csfcube.json");
    let pid_pools: HashMap<String, PoolRow> = json(&path)?;
    let mut pools = HashMap::new();
    for q in &queries {
        let pid = q.paper.as_str().trim_start_matches("s2:");
        let Some(row) = pid_pools.get(pid) else {
            return Err(EvalError::Inconsistent { path, message: format!("no pool for query paper {pid}") });
        };
        let judged = qrels.get(&q.id).map_or_else(HashSet::new, |j| j.keys().collect::<HashSet<_>>());
        let mut seen = HashSet::new();
        let mut pool = Vec::with_capacity(judged.len());
        for cand in &row.cands {
            let Ok(cand) = format!("s2:{cand}").parse::<PaperId>() else { continue };
            if judged.contains(&cand) && cand != q.paper && seen.insert(cand.clone()) {
                pool.push(cand);
            }
        }
        // Judged candidates the pool file lacks are still part of the official pool.
        let mut missing: Vec<PaperId> =
            judged.iter().filter(|c| ***c != q.paper && !seen.contains(**c)).map(|c| (*c).clone()).collect();
        missing.sort();
        pool.extend(missing);
        pools.insert(q.id.clone(), pool);
    }
    Ok(FacetBenchmark { name: "csfcube".to_string(), docs, queries, pools, qrels, test_folds, sentences })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        let row = csv_fields(r#"1936997,method,2013,"""Not not bad""is not""bad"": A, B",x"#).unwrap();
        assert_eq!(row, vec!["1936997", "method", "2013", r#""Not not bad"is not"bad": A, B"#, "x"]);
        assert_eq!(csv_fields("a,,b").unwrap(), vec!["a", "", "b"]);
        assert!(csv_fields(r#"a,"open"#).is_none());
    }

    #[test]
    fn facets_round_trip() {
        for f in Facet::ALL {
            assert_eq!(Facet::parse(&f.to_string()), Some(f));
        }
        assert_eq!(Facet::parse("objective"), None);
    }
}
