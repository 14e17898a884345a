//! Benchmarks of `papertide_search::eval` on the real data in `shared/data/benchmarks`:
//! counts, a CACM sanity baseline, and CSFCube nDCG@20 checked against the official script.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::path::PathBuf;

use crate::common::shared_data;
use papertide_core::PaperId;
use papertide_search::eval::{self, cacm, csfcube, EvalError, Facet, FacetBenchmark, Table};

fn cacm_dir() -> PathBuf {
    shared_data().join("benchmarks/cacm")
}

fn csfcube_dir() -> PathBuf {
    shared_data().join("benchmarks/csfcube")
}

fn csfcube() -> &'static FacetBenchmark {
    static BENCH: std::sync::OnceLock<FacetBenchmark> = std::sync::OnceLock::new();
    BENCH.get_or_init(|| csfcube::load(&csfcube_dir()).expect("load CSFCube"))
}

#[test]
fn cacm_counts_and_fields() {
    let bench = cacm::load(&cacm_dir()).unwrap();
    assert_eq!(bench.name, "cacm");
    assert_eq!(bench.docs.len(), 3204);
    assert_eq!(bench.queries.len(), 52, "52 of the 64 queries have judgements");
    assert_eq!(bench.qrels.len(), 52);
    assert_eq!(bench.qrels.values().map(HashMap::len).sum::<usize>(), 796);
    assert!(bench.qrels.values().flat_map(|j| j.values()).all(|&g| g == 1));
    assert_eq!(bench.docs.iter().filter(|d| !d.abstract_text.is_empty()).count(), 1587);
    assert!(bench.docs.iter().all(|d| d.published.is_some() && d.validate().is_ok()));

    let first = &bench.docs[0];
    assert_eq!(first.id.as_str(), "cacm:1");
    assert_eq!(first.title, "Preliminary Report-International Algebraic Language");
    assert_eq!(first.authors, vec!["A. J. Perlis", "K. Samelson"]);
    assert_eq!(first.published.unwrap().to_rfc3339(), "1958-01-01T00:00:00+00:00");

    let untitled = bench.docs.iter().find(|d| d.id.as_str() == "cacm:3193").unwrap();
    assert_eq!(untitled.title, cacm::UNTITLED, "the one record with an empty `.T`");
    assert!(untitled.abstract_text.starts_with("Work is in progress on a formula coding technique"));

    // Query 2 asks for authors: its `.A` lines are part of the query text.
    let q2 = bench.queries.iter().find(|q| q.id == "2").unwrap();
    assert!(q2.text.starts_with("I am interested in articles written either by Prieve or Udo Pooch"));
    assert!(q2.text.ends_with("B. Prieve, U. Pooch"), "{}", q2.text);
    assert!(bench.qrels["1"].contains_key(&"cacm:1410".parse::<PaperId>().unwrap()), "qid `01` is query 1");
}

/// Lowercase alphanumeric words of `s`.
fn words(s: &str) -> HashSet<String> {
    s.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2).map(str::to_lowercase).collect()
}

#[test]
fn cacm_title_overlap_baseline_beats_random() {
    let bench = cacm::load(&cacm_dir()).unwrap();
    let titles: Vec<(PaperId, HashSet<String>)> = bench.docs.iter().map(|d| (d.id.clone(), words(&d.title))).collect();
    let overlap = eval::run_keyword(&bench, &mut |q| {
        let qw = words(&q.text);
        let mut scored: Vec<(usize, &PaperId)> =
            titles.iter().map(|(id, t)| (t.intersection(&qw).count(), id)).collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)));
        Ok::<_, Infallible>(scored.into_iter().map(|(_, id)| id.clone()).collect())
    })
    .unwrap();
    // A fixed pseudo-random permutation (xorshift) of the corpus, new for each query.
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let random = eval::run_keyword(&bench, &mut |_| {
        let mut ids: Vec<PaperId> = bench.docs.iter().map(|d| d.id.clone()).collect();
        for i in (1..ids.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            ids.swap(i, (state % (i as u64 + 1)) as usize);
        }
        Ok::<_, Infallible>(ids)
    })
    .unwrap();
    eprintln!("CACM title overlap: MAP {:.4} nDCG@10 {:.4}", overlap.map, overlap.ndcg_at_10);
    eprintln!("CACM random:        MAP {:.4} nDCG@10 {:.4}", random.map, random.ndcg_at_10);
    assert_eq!(overlap.per_query.len(), 52);
    assert!(overlap.map > 0.0 && overlap.map < 1.0);
    assert!(overlap.map > 3.0 * random.map, "{} vs {}", overlap.map, random.map);
    assert!(overlap.ndcg_at_10 > random.ndcg_at_10);

    let mut table = Table::keyword();
    table.push_keyword("title overlap", &overlap);
    table.push_keyword("random", &random);
    let md = table.to_markdown();
    eprintln!("{md}");
    assert!(md.starts_with("| method        |    MAP | nDCG@10 |\n|---------------|-------:|--------:|\n"), "{md}");
    assert_eq!(md.lines().count(), 4);
}

#[test]
fn csfcube_counts() {
    let bench = csfcube();
    assert_eq!(bench.docs.len(), 4205);
    assert_eq!(bench.queries.len(), 50);
    let per_facet = |f: Facet| bench.queries.iter().filter(|q| q.facet == f).count();
    assert_eq!([per_facet(Facet::Background), per_facet(Facet::Method), per_facet(Facet::Result)], [16, 17, 17]);
    assert_eq!(bench.queries.iter().map(|q| &q.paper).collect::<HashSet<_>>().len(), 34);
    let mut grades = [0usize; 4];
    for g in bench.qrels.values().flat_map(|j| j.values()) {
        grades[*g as usize] += 1;
    }
    assert_eq!(grades, [4400, 1348, 412, 84]);
    assert_eq!(bench.pools.len(), 50);
    assert_eq!(bench.pools.values().map(Vec::len).sum::<usize>(), 6242, "6,244 judgements less 2 self-judgements");
    assert_eq!(bench.test_folds["all"].iter().map(Vec::len).collect::<Vec<_>>(), [26, 24]);
    assert_eq!(bench.sentences.len(), 4205);
    let q = bench.queries.iter().find(|q| q.id == "10695055_background").unwrap();
    assert_eq!(q.paper.as_str(), "s2:10695055");
    let doc = bench.docs.iter().find(|d| d.id == q.paper).unwrap();
    assert_eq!(doc.title, "Naturalizing a Programming Language via Interactive Learning");
    assert_eq!(doc.published.unwrap().to_rfc3339(), "2017-01-01T00:00:00+00:00");
    assert_eq!(bench.docs.iter().filter(|d| d.published.is_none()).count(), 2, "two papers have year \"None\"");
}

#[derive(serde::Deserialize)]
struct Anns {
    cands: Vec<String>,
}

#[test]
fn csfcube_pools_are_the_official_candidates() {
    let bench = csfcube();
    for facet in Facet::ALL {
        let path = csfcube_dir().join(format!("test-pid2anns-csfcube-{facet}.json"));
        let anns: HashMap<String, Anns> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (pid, a) in anns {
            let want: HashSet<String> = a.cands.into_iter().filter(|c| *c != pid).map(|c| format!("s2:{c}")).collect();
            let pool = &bench.pools[&format!("{pid}_{facet}")];
            let got: HashSet<String> = pool.iter().map(|p| p.to_string()).collect();
            assert_eq!(got, want, "{pid}_{facet}");
            assert_eq!(got.len(), pool.len(), "no repeats");
        }
    }
}

/// Official NDCG@20 of the SPECTER sample rankings, from `eval_scripts/ranking_eval.py`
/// run on `eval_scripts/sample_ranked_pools` (needs `pip install 'numpy<2'`: it calls
/// `np.asfarray`, gone in numpy 2; the script writes a CSV beside the rankings, so use a copy):
///
/// ```text
/// cd shared/data/benchmarks/csfcube
/// python3 eval_scripts/ranking_eval.py eval_pool_ranking --gold_path ./ \
///     --ranked_path <copy of eval_scripts/sample_ranked_pools> --experiment specter --facet all
/// ```
///
/// prints (split test) `NDCG@20` 0.6624 / 0.3765 / 0.5643 / 0.5314 for background / method /
/// result / all. The full-precision values below come from the same script's functions
/// (`read_facet_specific_relevances`, `compute_metrics(r, pr_atk=20, threshold_grade=2)`,
/// `aggregate_metrics_crossval(per_query, 'test', facet)`), plus plain means over queries.
const OFFICIAL_TEST: [f64; 4] = [0.6624293078, 0.3765189537, 0.5643164327, 0.5314402419];
const PLAIN_MEAN: [f64; 4] = [0.6624293078, 0.3763128662, 0.5629975500, 0.5313429200];
const PER_QUERY: [(&str, f64); 5] = [
    ("10010426_method", 0.2439798006445061),
    ("10014168_background", 0.6036582424233287),
    ("10052042_result", 0.2655253263523249),
    ("102353905_method", 0.5948778850147086),
    ("10695055_background", 0.7193786288977371),
];

#[test]
fn csfcube_specter_matches_the_official_script() {
    let bench = csfcube();
    let mut specter: HashMap<String, Vec<PaperId>> = HashMap::new();
    for facet in Facet::ALL {
        let path = csfcube_dir()
            .join(format!("eval_scripts/sample_ranked_pools/test-pid2pool-csfcube-specter-{facet}-ranked.json"));
        let ranked: HashMap<String, Vec<(String, f64)>> =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (pid, cands) in ranked {
            let ids = cands.into_iter().map(|(c, _)| format!("s2:{c}").parse().unwrap()).collect();
            specter.insert(format!("{pid}_{facet}"), ids);
        }
    }
    let mut asked = 0;
    let scores = eval::run_facets(bench, &mut |q, pool| {
        asked += 1;
        assert!(!pool.contains(&q.paper), "the query paper is not a candidate");
        let ranking = specter[&q.id].clone();
        assert_eq!(ranking.iter().collect::<HashSet<_>>(), pool.iter().collect::<HashSet<_>>(), "{}", q.id);
        Ok::<_, Infallible>(ranking)
    })
    .unwrap();
    assert_eq!(asked, 50);
    let got = |n: &eval::FacetNdcg| [n.background, n.method, n.result, n.all];
    for (i, (o, m)) in got(&scores.official).into_iter().zip(got(&scores.mean)).enumerate() {
        assert!((o - OFFICIAL_TEST[i]).abs() < 1e-9, "official #{i}: {o} vs {}", OFFICIAL_TEST[i]);
        assert!((m - PLAIN_MEAN[i]).abs() < 1e-9, "mean #{i}: {m} vs {}", PLAIN_MEAN[i]);
    }
    for (id, want) in PER_QUERY {
        let s = scores.per_query.iter().find(|s| s.id == id).unwrap();
        assert!((s.ndcg_at_20 - want).abs() < 1e-12, "{id}: {} vs {want}", s.ndcg_at_20);
    }

    let mut table = Table::facets();
    table.push_facets("specter (official)", &scores.official);
    let md = table.to_string();
    eprintln!("{md}");
    assert!(md.contains("| specter (official) |     0.6624 | 0.3765 | 0.5643 | 0.5314 |"), "{md}");
}

#[test]
fn csfcube_rankings_are_completed_to_the_pool() {
    let bench = csfcube();
    // Returning nothing is scored as the pool in its given order, never as a perfect list.
    let empty = eval::run_facets(bench, &mut |_, _| Ok::<_, Infallible>(Vec::new())).unwrap();
    let given = eval::run_facets(bench, &mut |_, pool| Ok::<_, Infallible>(pool.to_vec())).unwrap();
    assert_eq!(empty, given);
    let junk: PaperId = "s2:41022419".parse().unwrap();
    let with_junk = eval::run_facets(bench, &mut |_, pool| {
        Ok::<_, Infallible>(std::iter::once(junk.clone()).chain(pool.iter().cloned()).collect())
    })
    .unwrap();
    assert_eq!(with_junk, given, "papers outside the pool are dropped");
    let err = eval::run_facets(bench, &mut |_, _| Err::<Vec<PaperId>, _>("ranker failed"));
    assert_eq!(err.unwrap_err(), "ranker failed");
}

#[test]
fn malformed_files_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("cacm.all", ".I 1\n.T\nA title\n.B\nCACM May, 1960\n.I 2\n.T\nB\n");
    write("query.text", ".I 1\n.W\n sorting\n");
    write("qrels.text", "01 1 0 0\n01 x 0 0\n");
    let err = cacm::load(dir.path()).unwrap_err();
    assert!(matches!(&err, EvalError::Malformed { line: 2, path, .. } if path.ends_with("qrels.text")), "{err}");
    assert!(err.to_string().contains("qrels.text:2:"), "{err}");
    write("qrels.text", "01 1 0 0\n01 3 0 0\n");
    let err = cacm::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("document 3 is not in cacm.all"), "{err}");
    write("qrels.text", "01 1 0 0\n");
    assert_eq!(cacm::load(dir.path()).unwrap().queries.len(), 1);
    std::fs::remove_file(dir.path().join("query.text")).unwrap();
    assert!(matches!(cacm::load(dir.path()), Err(EvalError::Io { .. })));

    std::fs::create_dir(dir.path().join("derived")).unwrap();
    write("derived/corpus.jsonl", "{\"paper_id\": \"1\", \"year\": 2020, \"title\": \"T\", \"abstract\": []}\n{oops\n");
    let err = csfcube::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("corpus.jsonl:2:"), "{err}");
}

/// The keyword rows of `papertide eval` (no model needed): a regression guard on the numbers
/// in docs/SEARCH.md (CACM MAP 0.2501, nDCG@10 0.3782; CSFCube BM25 similar 0.5189).
#[test]
fn papertide_eval_keyword_rows_keep_their_quality() {
    use papertide_search::eval::run::{evaluate, EvalOptions};
    let options = EvalOptions {
        benchmarks: shared_data().join("benchmarks"),
        embedder: None,
        fusion: papertide_search::fusion::Fusion::default(),
        work_dir: None,
    };
    let mut stages = Vec::new();
    let report = evaluate(&options, &mut |s| stages.push(s.to_string())).unwrap();
    assert_eq!(report.cacm.len(), 1);
    assert_eq!(report.csfcube.len(), 1);
    let cacm = &report.cacm[0].1;
    assert!(cacm.map >= 0.245 && cacm.ndcg_at_10 >= 0.37, "CACM BM25 MAP {} nDCG@10 {}", cacm.map, cacm.ndcg_at_10);
    let csf = &report.csfcube[0].1.official;
    assert!(csf.all >= 0.51, "CSFCube BM25 similar nDCG@20 {}", csf.all);
    assert!(report.notes[0].contains("papertide model install"), "{:?}", report.notes);
    let table = report.to_markdown();
    assert!(table.contains("| keyword (BM25) |") && table.contains("| similar, keyword (BM25) |"), "{table}");
    assert!(!stages.is_empty());
}
