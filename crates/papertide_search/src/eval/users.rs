//! The simulated-user study of "For you" (`papertide eval --users`): how many of the ten
//! papers a user is shown are papers they care about, for personal recommendations against
//! the trending list everyone sees.
//!
//! On a real corpus (the 26,809 cs papers of 2026 in `shared/data/arxiv`, imported and
//! embedded), the last [`UserStudyOptions::test_days`] days of publications are the "new
//! papers" and everything before is history. Simulated users, drawn with a fixed seed:
//! - **category users** like one category: they upvoted `likes` papers listed in it from the
//!   history; relevant new papers are those listed in the category.
//! - **author users** follow a few authors (three): they upvoted the authors' papers in the
//!   history (up to `likes`); relevant new papers are those by any of them.
//!
//! Each user's votes fall in the 30 days before the window. "Trending" is the new papers
//! ranked by the votes of the whole simulated community (each user upvotes each relevant new
//! paper with probability [`UserStudyOptions::vote_probability`]), the same ten for everyone,
//! as a community feed is. "For you" is [`SearchEngine::recommend`] within the window, with
//! the embeddings alone, with the keyword features, and with the author feature as well (the
//! default).
//! Reported: precision@10 per user kind and method, and the ceiling (a user with three
//! relevant new papers can get at most 0.3).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::engine::recommend::{Feedback, RecommendOptions};
use crate::engine::SearchEngine;
use crate::keyword::Filters;
use crate::vector::rng::SplitMix64;
use crate::SearchError;

/// How the study is drawn.
#[derive(Debug, Clone)]
pub struct UserStudyOptions {
    /// Random seed (users, their votes, the community's votes).
    pub seed: u64,
    /// Days at the end of the corpus that are the new papers.
    pub test_days: i64,
    /// Past upvotes per user (the likes counts to report; one row each).
    pub likes: Vec<usize>,
    /// Most users of each kind.
    pub users_per_kind: usize,
    /// Probability that a simulated user upvotes a relevant new paper (makes trending).
    pub vote_probability: f64,
}

impl Default for UserStudyOptions {
    fn default() -> Self {
        UserStudyOptions { seed: 7, test_days: 14, likes: vec![1, 5, 20], users_per_kind: 200, vote_probability: 0.3 }
    }
}

/// What the study needs to know of a paper.
#[derive(Debug, Clone)]
pub struct StudyPaper {
    /// Store key.
    pub key: u64,
    /// Categories, primary first.
    pub categories: Vec<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// First version's date.
    pub published: DateTime<Utc>,
}

/// A simulated user.
#[derive(Debug, Clone)]
struct User {
    kind: &'static str,
    /// History papers they like, newest interest first.
    liked: Vec<u64>,
    /// New papers they care about.
    relevant: HashSet<u64>,
}

/// One row of the result.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StudyRow {
    /// `category` or `authors`.
    pub users: String,
    /// How many users.
    pub count: usize,
    /// Past upvotes per user.
    pub likes: usize,
    /// Mean precision@10 of the trending list.
    pub trending: f64,
    /// Mean precision@10 of each "For you" method ([`UserStudy::methods`]).
    pub for_you: Vec<f64>,
    /// Mean best possible precision@10 (relevant new papers / 10, at most 1).
    pub ceiling: f64,
}

/// The study's result.
#[derive(Debug, Clone, serde::Serialize)]
pub struct UserStudy {
    /// The window of new papers.
    pub window: (DateTime<Utc>, DateTime<Utc>),
    /// Papers in the history and in the window.
    pub papers: (usize, usize),
    /// The "For you" methods, in the order of [`StudyRow::for_you`].
    pub methods: Vec<String>,
    /// The rows.
    pub rows: Vec<StudyRow>,
}

impl UserStudy {
    /// The table as Markdown.
    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "Simulated users: history of {} papers, new papers {} ({} to {}).\n\n",
            self.papers.0,
            self.papers.1,
            self.window.0.date_naive(),
            self.window.1.date_naive()
        );
        out.push_str("| users | n | past upvotes | trending P@10 |");
        for m in &self.methods {
            out.push_str(&format!(" {m} P@10 |"));
        }
        out.push_str(" ceiling |\n|---|---:|---:|---:|");
        out.push_str(&"---:|".repeat(self.methods.len() + 1));
        out.push('\n');
        for r in &self.rows {
            out.push_str(&format!("| {} | {} | {} | {:.3} |", r.users, r.count, r.likes, r.trending));
            for p in &r.for_you {
                out.push_str(&format!(" {p:.3} |"));
            }
            out.push_str(&format!(" {:.3} |\n", r.ceiling));
        }
        out
    }
}

/// Runs the study on the engine's papers (which must be embedded).
pub fn user_study(
    engine: &SearchEngine,
    options: &UserStudyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<UserStudy, SearchError> {
    progress("reading the papers");
    let store = engine.store();
    let mut papers = Vec::new();
    let mut ids = Vec::new();
    store
        .for_each_paper(&mut |p| {
            if let Some(published) = p.published {
                ids.push(p.id.clone());
                papers.push(StudyPaper { key: 0, categories: p.categories, authors: p.authors, published });
            }
            Ok(())
        })
        .map_err(SearchError::store)?;
    for (paper, id) in papers.iter_mut().zip(&ids) {
        paper.key = store.key_of(id).map_err(SearchError::store)?.unwrap_or(u64::MAX);
    }
    papers.retain(|p| p.key != u64::MAX);
    let rank = |keyword: bool, authors: bool| {
        move |feedback: &[Feedback], within: &Filters, now: DateTime<Utc>| -> Result<Vec<u64>, SearchError> {
            let options = RecommendOptions { keyword, authors, ..Default::default() };
            let recs = engine.recommend(feedback, within, 10, now, &options)?;
            Ok(recs.into_iter().map(|r| r.hit.key).collect())
        }
    };
    let (embeddings, words, all) = (rank(false, false), rank(true, false), rank(true, true));
    let methods: [Method<'_>; 3] =
        [("for you, embeddings", &embeddings), ("+ keywords", &words), ("+ keywords + authors (default)", &all)];
    run_study(&papers, options, &methods, progress)
}

/// A named ranker: `rank(feedback, window, now)` → keys, best first.
pub type Method<'a> = (&'a str, &'a dyn Fn(&[Feedback], &Filters, DateTime<Utc>) -> Result<Vec<u64>, SearchError>);

/// The study over `papers` with each of `methods`.
pub fn run_study(
    papers: &[StudyPaper],
    options: &UserStudyOptions,
    methods: &[Method<'_>],
    progress: &mut dyn FnMut(&str),
) -> Result<UserStudy, SearchError> {
    let names: Vec<String> = methods.iter().map(|m| m.0.to_string()).collect();
    let Some(last) = papers.iter().map(|p| p.published).max() else {
        return Ok(UserStudy { window: (Utc::now(), Utc::now()), papers: (0, 0), methods: names, rows: Vec::new() });
    };
    let end = (last.date_naive() + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let start = end - Duration::days(options.test_days.max(1));
    let (new, old): (Vec<&StudyPaper>, Vec<&StudyPaper>) = papers.iter().partition(|p| p.published >= start);
    let window = Filters { since: Some(start), until: Some(end - Duration::seconds(1)), ..Default::default() };
    let most_likes = options.likes.iter().copied().max().unwrap_or(1).max(1);
    let mut rng = SplitMix64::new(options.seed);
    let users = draw_users(&old, &new, most_likes, options.users_per_kind, &mut rng);

    // The community's votes on new papers make the one trending list.
    let mut votes: HashMap<u64, u32> = HashMap::new();
    for u in &users {
        let mut relevant: Vec<u64> = u.relevant.iter().copied().collect();
        relevant.sort_unstable();
        for k in relevant {
            if rng.next_open01() < options.vote_probability {
                *votes.entry(k).or_default() += 1;
            }
        }
    }
    let mut trending: Vec<(u64, u32)> = new.iter().map(|p| (p.key, votes.get(&p.key).copied().unwrap_or(0))).collect();
    trending.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let trending: Vec<u64> = trending.into_iter().take(10).map(|t| t.0).collect();

    let mut rows = Vec::new();
    for kind in ["category", "authors"] {
        let of_kind: Vec<&User> = users.iter().filter(|u| u.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        for &likes in &options.likes {
            progress(&format!("{} {kind} users, {likes} past upvote(s) each", of_kind.len()));
            let (mut t, mut f, mut c) = (0.0, vec![0.0; methods.len()], 0.0);
            for u in &of_kind {
                let feedback: Vec<Feedback> = u
                    .liked
                    .iter()
                    .take(likes)
                    .enumerate()
                    .map(|(i, &key)| Feedback {
                        key,
                        at: start - Duration::hours(1 + (i as i64 * 29) % 720),
                        liked: true,
                    })
                    .collect();
                for (i, (_, rank)) in methods.iter().enumerate() {
                    f[i] += precision_at_10(&rank(&feedback, &window, end)?, &u.relevant);
                }
                t += precision_at_10(&trending, &u.relevant);
                c += (u.relevant.len().min(10)) as f64 / 10.0;
            }
            let n = of_kind.len() as f64;
            rows.push(StudyRow {
                users: kind.to_string(),
                count: of_kind.len(),
                likes,
                trending: t / n,
                for_you: f.iter().map(|x| x / n).collect(),
                ceiling: c / n,
            });
        }
    }
    Ok(UserStudy { window: (start, end), papers: (old.len(), new.len()), methods: names, rows })
}

/// Share of the first ten of `ranked` in `relevant` (out of ten).
fn precision_at_10(ranked: &[u64], relevant: &HashSet<u64>) -> f64 {
    ranked.iter().take(10).filter(|k| relevant.contains(k)).count() as f64 / 10.0
}

/// Category users (categories listed on at least `likes` history papers and 5 new ones; one
/// user each) and author
/// users (three authors with history papers and at least one new paper between them).
fn draw_users(
    old: &[&StudyPaper],
    new: &[&StudyPaper],
    likes: usize,
    per_kind: usize,
    rng: &mut SplitMix64,
) -> Vec<User> {
    let mut users = Vec::new();
    let mut by_category: HashMap<&str, Vec<u64>> = HashMap::new();
    for p in old {
        for c in &p.categories {
            by_category.entry(c.as_str()).or_default().push(p.key);
        }
    }
    let mut categories: Vec<(&str, Vec<u64>)> = by_category.into_iter().filter(|(_, v)| v.len() >= likes).collect();
    categories.sort_by(|a, b| a.0.cmp(b.0));
    for (category, mut history) in categories {
        let relevant: HashSet<u64> =
            new.iter().filter(|p| p.categories.iter().any(|c| c == category)).map(|p| p.key).collect();
        if relevant.len() < 5 {
            continue;
        }
        shuffle(&mut history, rng);
        users.push(User { kind: "category", liked: history, relevant });
    }
    users.truncate(per_kind);

    let mut history_of: HashMap<&str, Vec<u64>> = HashMap::new();
    for p in old {
        for a in &p.authors {
            history_of.entry(a.as_str()).or_default().push(p.key);
        }
    }
    let mut new_of: HashMap<&str, Vec<u64>> = HashMap::new();
    for p in new {
        for a in &p.authors {
            new_of.entry(a.as_str()).or_default().push(p.key);
        }
    }
    // Authors with at least two history papers and one new one, in a stable random order.
    let mut authors: Vec<&str> =
        history_of.iter().filter(|(a, h)| h.len() >= 2 && new_of.contains_key(*a)).map(|(a, _)| *a).collect();
    authors.sort_unstable();
    shuffle(&mut authors, rng);
    for three in authors.chunks_exact(3).take(per_kind) {
        let mut liked: Vec<u64> = three.iter().flat_map(|a| history_of[a].iter().copied()).collect();
        liked.sort_unstable();
        liked.dedup();
        shuffle(&mut liked, rng);
        let relevant: HashSet<u64> = three.iter().flat_map(|a| new_of[a].iter().copied()).collect();
        users.push(User { kind: "authors", liked, relevant });
    }
    users
}

/// Fisher–Yates with the study's generator.
fn shuffle<T>(items: &mut [T], rng: &mut SplitMix64) {
    for i in (1..items.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper(key: u64, category: &str, author: &str, day: u32) -> StudyPaper {
        StudyPaper {
            key,
            categories: vec![category.to_string()],
            authors: vec![author.to_string(), format!("coauthor {key}")],
            published: format!("2026-03-{day:02}T12:00:00Z").parse().unwrap(),
        }
    }

    /// 3 categories × 10 authors; days 1-20 history, 21-27 new.
    fn corpus() -> Vec<StudyPaper> {
        let mut out = Vec::new();
        for i in 0..600u64 {
            let category = ["cs.LG", "cs.CV", "cs.DB"][(i % 3) as usize];
            let author = format!("author {}", i % 30);
            out.push(paper(i, category, &author, 1 + (i % 27) as u32));
        }
        out
    }

    #[test]
    fn an_oracle_ranker_beats_trending_and_a_blind_one_does_not() {
        let papers = corpus();
        let by_key: HashMap<u64, &StudyPaper> = papers.iter().map(|p| (p.key, p)).collect();
        let options = UserStudyOptions { test_days: 7, likes: vec![5], ..Default::default() };
        // Oracle: the window's papers sharing the first liked paper's category.
        let oracle = |fb: &[Feedback], w: &Filters, _: DateTime<Utc>| -> Result<Vec<u64>, SearchError> {
            let want = &by_key[&fb[0].key].categories[0];
            Ok(papers
                .iter()
                .filter(|p| w.since.is_some_and(|s| p.published >= s) && &p.categories[0] == want)
                .map(|p| p.key)
                .take(10)
                .collect())
        };
        let study = run_study(&papers, &options, &[("oracle", &oracle)], &mut |_| {}).unwrap();
        let category = &study.rows[0];
        assert_eq!((category.users.as_str(), category.count, category.likes), ("category", 3, 5));
        assert_eq!(category.for_you, vec![1.0]);
        assert!(category.trending < 0.5, "one list cannot suit three categories: {}", category.trending);
        assert_eq!(study.papers.0 + study.papers.1, 600);

        let blind = |_: &[Feedback], _: &Filters, _: DateTime<Utc>| -> Result<Vec<u64>, SearchError> { Ok(Vec::new()) };
        let again = run_study(&papers, &options, &[("blind", &blind)], &mut |_| {}).unwrap();
        assert_eq!(again.rows[0].for_you, vec![0.0]);
        assert_eq!(again.rows[0].trending, category.trending, "same seed, same community");
    }
}
