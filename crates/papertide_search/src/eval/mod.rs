//! Quality benchmarks behind `papertide eval`: the benchmark types, the runners that score a
//! ranker on them, and a Markdown [`Table`] of the results.
//!
//! - [`KeywordBenchmark`] + [`run_keyword`]: ad-hoc keyword retrieval over a whole corpus,
//!   scored with MAP and nDCG@10 (binary relevance). Loaded by [`cacm::load`].
//! - [`FacetBenchmark`] + [`run_facets`]: faceted query-by-example, re-ranking each query's
//!   judged candidate pool, scored with nDCG@20 (graded relevance), per facet and overall,
//!   both as a plain mean and with the official CSFCube fold averaging. Loaded by
//!   [`csfcube::load`].
//! - [`EvalError`]: malformed benchmark files, naming the file and line.
//!
//! Where to look next: [`metrics`] for the metric definitions (and how they replicate the
//! official CSFCube script), [`cacm`] and [`csfcube`] for the file formats and data quirks,
//! `tests/it/eval.rs` for the validation against the official script's numbers.

pub mod cacm;
pub mod csfcube;
pub mod metrics;
pub mod run;
pub mod users;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use papertide_core::{Paper, PaperId};

pub use csfcube::{Facet, FacetBenchmark, FacetQuery};

/// Why a benchmark could not be loaded. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A benchmark file could not be opened or read (missing, unreadable, not UTF-8).
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A line of a benchmark file is wrong: it does not have the expected shape (a SMART
    /// record field, a qrels line, a CSV row, a JSON Lines record, a JSON document), or it
    /// names a paper or query that the benchmark's other files do not have.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// 1-based line number of the offending input.
        line: usize,
        /// What is wrong there.
        message: String,
    },
    /// The files of a benchmark disagree where no single line is at fault: a split names an
    /// unknown query, a query paper has no candidate pool.
    #[error("{}: {message}", path.display())]
    Inconsistent {
        /// The file holding the dangling reference.
        path: PathBuf,
        /// What does not match.
        message: String,
    },
}

/// Reads a whole benchmark file as UTF-8.
fn read(path: &Path) -> Result<String, EvalError> {
    std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: path.to_path_buf(), source })
}

/// An [`EvalError::Malformed`] for line `line` of `path`.
fn malformed(path: &Path, line: usize, message: impl Into<String>) -> EvalError {
    EvalError::Malformed { path: path.to_path_buf(), line, message: message.into() }
}

/// A keyword query of a [`KeywordBenchmark`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BenchQuery {
    /// The query id, as used in [`KeywordBenchmark::qrels`] (CACM: `"1"` … `"64"`).
    pub id: String,
    /// The query text.
    pub text: String,
}

/// An ad-hoc retrieval benchmark: a corpus, queries and their judgements.
#[derive(Debug, Clone)]
pub struct KeywordBenchmark {
    /// Short name for tables and logs, e.g. `cacm`.
    pub name: String,
    /// The corpus to index.
    pub docs: Vec<Paper>,
    /// The judged queries.
    pub queries: Vec<BenchQuery>,
    /// Query id → judged paper → grade (binary benchmarks use 1).
    pub qrels: HashMap<String, HashMap<PaperId, u32>>,
}

/// Scores of one query of a [`KeywordBenchmark`].
#[derive(Debug, Clone, PartialEq)]
pub struct KeywordQueryScore {
    /// The query id.
    pub id: String,
    /// Average precision over the whole ranking.
    pub average_precision: f64,
    /// nDCG@10 with binary grades.
    pub ndcg_at_10: f64,
}

/// Result of [`run_keyword`].
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Mean average precision over the queries.
    pub map: f64,
    /// Mean nDCG@10 over the queries.
    pub ndcg_at_10: f64,
    /// Per-query values, in benchmark order.
    pub per_query: Vec<KeywordQueryScore>,
}

/// Runs `rank` on every query of `bench` and scores the rankings: MAP (binary, grade > 0)
/// and nDCG@10 (binary grades, [`metrics::ndcg_at`]). Stops at the first ranker error.
pub fn run_keyword<E>(
    bench: &KeywordBenchmark,
    rank: &mut dyn FnMut(&BenchQuery) -> Result<Vec<PaperId>, E>,
) -> Result<Scores, E> {
    let empty = HashMap::new();
    let mut per_query = Vec::with_capacity(bench.queries.len());
    for q in &bench.queries {
        let ranking = rank(q)?;
        let judged = bench.qrels.get(&q.id).unwrap_or(&empty);
        per_query.push(KeywordQueryScore {
            id: q.id.clone(),
            average_precision: metrics::average_precision(&ranking, judged),
            ndcg_at_10: metrics::ndcg_at(&ranking, &metrics::binary(judged), 10),
        });
    }
    let aps: Vec<f64> = per_query.iter().map(|s| s.average_precision).collect();
    let ndcgs: Vec<f64> = per_query.iter().map(|s| s.ndcg_at_10).collect();
    Ok(Scores { map: metrics::mean(&aps), ndcg_at_10: metrics::mean(&ndcgs), per_query })
}

/// nDCG@20 of one query×facet pair of a [`FacetBenchmark`].
#[derive(Debug, Clone, PartialEq)]
pub struct FacetQueryScore {
    /// The query id, `<pid>_<facet>`.
    pub id: String,
    /// The facet.
    pub facet: Facet,
    /// nDCG@20 over the re-ranked pool.
    pub ndcg_at_20: f64,
}

/// One nDCG@20 value per facet and overall.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FacetNdcg {
    /// Background (objective) facet.
    pub background: f64,
    /// Method facet.
    pub method: f64,
    /// Result facet.
    pub result: f64,
    /// All query×facet pairs together.
    pub all: f64,
}

/// Result of [`run_facets`].
#[derive(Debug, Clone, PartialEq)]
pub struct FacetScores {
    /// Plain means over the queries of each facet, and over all 50 pairs.
    pub mean: FacetNdcg,
    /// The official CSFCube aggregation (`ranking_eval.py`, split `test`): the mean of each
    /// test fold ([`FacetBenchmark::test_folds`]), then the mean of the fold means. Differs
    /// slightly from [`FacetScores::mean`] where the folds differ in size. Folds with none of
    /// the scored queries are skipped; a facet without any falls back to the plain mean.
    pub official: FacetNdcg,
    /// Per-pair values, in benchmark order.
    pub per_query: Vec<FacetQueryScore>,
}

/// Runs `rank` on every query×facet pair of `bench` and scores nDCG@20.
///
/// The ranker gets the query and its candidate pool (the judged candidates, without the
/// query paper) and returns them in rank order, as the official CSFCube eval expects. So
/// that the score is exactly the official one, the ranking is made a permutation of the
/// pool first: papers outside the pool and repeats are dropped, pool papers left out are
/// appended in pool order (both logged as warnings). Stops at the first ranker error.
#[allow(clippy::type_complexity)] // the ranker signature is the API: query and pool in, ranking out
pub fn run_facets<E>(
    bench: &FacetBenchmark,
    rank: &mut dyn FnMut(&FacetQuery, &[PaperId]) -> Result<Vec<PaperId>, E>,
) -> Result<FacetScores, E> {
    let mut per_query = Vec::with_capacity(bench.queries.len());
    for q in &bench.queries {
        let pool: Vec<PaperId> =
            bench.pools.get(&q.id).into_iter().flatten().filter(|p| **p != q.paper).cloned().collect();
        let ranking = complete_ranking(&q.id, rank(q, &pool)?, &pool);
        let in_pool: HashSet<&PaperId> = pool.iter().collect();
        let judged: HashMap<PaperId, u32> = bench
            .qrels
            .get(&q.id)
            .into_iter()
            .flatten()
            .filter(|(p, _)| in_pool.contains(p))
            .map(|(p, &g)| (p.clone(), g))
            .collect();
        per_query.push(FacetQueryScore {
            id: q.id.clone(),
            facet: q.facet,
            ndcg_at_20: metrics::ndcg_at(&ranking, &judged, 20),
        });
    }
    let by_id: HashMap<&str, f64> = per_query.iter().map(|s| (s.id.as_str(), s.ndcg_at_20)).collect();
    let plain = |facet: Option<Facet>| {
        let v: Vec<f64> =
            per_query.iter().filter(|s| facet.is_none_or(|f| s.facet == f)).map(|s| s.ndcg_at_20).collect();
        metrics::mean(&v)
    };
    let official = |facet: Option<Facet>| {
        let folds = bench.test_folds.get(facet.map_or("all", Facet::as_str)).map_or(&[][..], Vec::as_slice);
        let fold_means: Vec<f64> = folds
            .iter()
            .map(|fold| fold.iter().filter_map(|id| by_id.get(id.as_str()).copied()).collect::<Vec<_>>())
            .filter(|scores| !scores.is_empty())
            .map(|scores| metrics::mean(&scores))
            .collect();
        if fold_means.is_empty() {
            plain(facet)
        } else {
            metrics::mean(&fold_means)
        }
    };
    let table = |f: &dyn Fn(Option<Facet>) -> f64| FacetNdcg {
        background: f(Some(Facet::Background)),
        method: f(Some(Facet::Method)),
        result: f(Some(Facet::Result)),
        all: f(None),
    };
    Ok(FacetScores { mean: table(&plain), official: table(&official), per_query })
}

/// `ranking` restricted to `pool` without repeats, followed by the pool papers it left out.
fn complete_ranking(query: &str, ranking: Vec<PaperId>, pool: &[PaperId]) -> Vec<PaperId> {
    let in_pool: HashSet<&PaperId> = pool.iter().collect();
    let mut seen: HashSet<PaperId> = HashSet::with_capacity(pool.len());
    let given = ranking.len();
    let mut out: Vec<PaperId> = ranking.into_iter().filter(|p| in_pool.contains(p) && seen.insert(p.clone())).collect();
    let dropped = given - out.len();
    let kept = out.len();
    out.extend(pool.iter().filter(|p| seen.insert((*p).clone())).cloned());
    let appended = out.len() - kept;
    if dropped > 0 || appended > 0 {
        tracing::warn!(query, dropped, appended, "ranking is not a permutation of the candidate pool; completed it");
    }
    out
}

/// A Markdown table of benchmark results, with aligned columns and 4-decimal numbers.
///
/// ```text
/// | method |    MAP | nDCG@10 |
/// |--------|-------:|--------:|
/// | bm25   | 0.3000 |  0.4000 |
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column names; the first column is left-aligned, the others
    /// (numbers) right-aligned.
    pub fn new(columns: &[&str]) -> Table {
        Table { header: columns.iter().map(|c| c.to_string()).collect(), rows: Vec::new() }
    }

    /// `| method | MAP | nDCG@10 |`, for [`Scores`].
    pub fn keyword() -> Table {
        Table::new(&["method", "MAP", "nDCG@10"])
    }

    /// `| method | background | method | result | all |` (nDCG@20), for [`FacetNdcg`].
    pub fn facets() -> Table {
        Table::new(&["method", "background", "method", "result", "all"])
    }

    /// Adds a row of cells (missing cells are left empty, extra ones dropped).
    pub fn push_row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// Adds a row `method | MAP | nDCG@10` to a [`Table::keyword`] table.
    pub fn push_keyword(&mut self, method: &str, scores: &Scores) {
        self.push_row(vec![method.to_string(), num(scores.map), num(scores.ndcg_at_10)]);
    }

    /// Adds a row to a [`Table::facets`] table: pass [`FacetScores::official`] (comparable
    /// with published CSFCube numbers) or [`FacetScores::mean`].
    pub fn push_facets(&mut self, method: &str, ndcg: &FacetNdcg) {
        let cells = [ndcg.background, ndcg.method, ndcg.result, ndcg.all].map(num);
        self.push_row(std::iter::once(method.to_string()).chain(cells).collect());
    }

    /// The table as Markdown, one line per row, ending with a newline.
    pub fn to_markdown(&self) -> String {
        self.to_string()
    }
}

fn num(x: f64) -> String {
    format!("{x:.4}")
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.header.len();
        let cell = |row: &[String], i: usize| row.get(i).map_or(String::new(), |c| c.replace('|', "\\|"));
        let widths: Vec<usize> = (0..n)
            .map(|i| {
                let body = self.rows.iter().map(|r| cell(r, i).chars().count());
                body.chain([cell(&self.header, i).chars().count(), 3]).max().unwrap_or(3)
            })
            .collect();
        let line = |f: &mut fmt::Formatter<'_>, row: &[String]| -> fmt::Result {
            for (i, w) in widths.iter().enumerate() {
                if i == 0 {
                    write!(f, "| {:<w$} ", cell(row, i))?;
                } else {
                    write!(f, "| {:>w$} ", cell(row, i))?;
                }
            }
            writeln!(f, "|")
        };
        line(f, &self.header)?;
        for (i, w) in widths.iter().enumerate() {
            let dashes = "-".repeat(*w + 1);
            if i == 0 {
                write!(f, "|{dashes}-")?;
            } else {
                write!(f, "|{dashes}:")?;
            }
        }
        writeln!(f, "|")?;
        self.rows.iter().try_for_each(|r| line(f, r))
    }
}
