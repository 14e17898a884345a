//! Personal recommendations ("For you"): a linear model of a user's taste over the paper
//! embeddings, from what they upvoted or saved in their library (recent ones count more) and
//! what they marked "not interested".
//!
//! The model is Rocchio's relevance feedback: the taste vector is the recency-weighted mean of
//! the liked papers' embeddings minus a share of the mean of the disliked ones,
//! `q = Σ wᵢ·pᵢ / Σ wᵢ − β · mean(nⱼ)`, with `wᵢ = 2^(−age/half-life)`. A paper's score is
//! `q·x`, a linear classifier's decision value, so ranking the whole collection is a nearest
//! neighbour search with `q` on the vector index (HNSW at scale): milliseconds, nothing to
//! retrain, and every new signal counts at once. Within a window (a digest's day or week),
//! the window's papers are scored exactly instead. Every recommendation names the liked paper
//! it is closest to, for "similar to X, which you upvoted".
//!
//! Keyword features (on by default, [`RecommendOptions::keyword`]): the words and author
//! names of the most recent liked papers, as BM25 "more like this" rankings, fused with the
//! embedding ranking by reciprocal rank fusion, as `similar` does in hybrid mode; and the
//! papers by the authors who wrote the most liked papers ([`RecommendOptions::authors`]), a
//! third list in the fusion: a follower of three authors gets their new papers.
//!
//! With nothing liked there is no taste vector: callers fall back to trending papers.
//! Measured quality (CSFCube, simulated users): `papertide eval`, docs/RECOMMEND.md.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use papertide_core::{Paper, Signal, SignalKind, UserId};

use super::{Hit, SearchEngine};
use crate::fusion::{fuse, Fusion, Ranked};
use crate::keyword::Filters;
use crate::vector::VectorIndex;
use crate::SearchError;

/// Signals of each kind a user's model reads (the most recent ones).
pub const SIGNALS: usize = 500;
/// Authors (those with the most liked papers) whose other papers are looked up.
const TOP_AUTHORS: usize = 20;
/// Most papers of a window scored exactly; a larger window is ranked on the index.
const WINDOW_CANDIDATES: usize = 100_000;

/// A signal from a user about one paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    /// The paper's key.
    pub key: u64,
    /// When the user gave it.
    pub at: DateTime<Utc>,
    /// True for an upvote or a save, false for "not interested".
    pub liked: bool,
}

impl From<&Signal> for Feedback {
    fn from(s: &Signal) -> Feedback {
        Feedback { key: s.key, at: s.at, liked: s.kind.is_positive() }
    }
}

/// Settings of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommendOptions {
    /// Days after which a vote counts half as much.
    pub half_life_days: f32,
    /// How much the disliked papers pull the taste away (Rocchio's β).
    pub dislike_weight: f32,
    /// Fuse in the keyword ("more like this") rankings of the most recent liked papers.
    pub keyword: bool,
    /// How many of the most recent liked papers give keyword rankings.
    pub keyword_papers: usize,
    /// Fuse in the papers by the authors the user liked most (with the keyword features).
    pub authors: bool,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions { half_life_days: 90.0, dislike_weight: 0.5, keyword: true, keyword_papers: 5, authors: true }
    }
}

/// One recommended paper.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommendation {
    /// The paper, with its score (`q·x`).
    pub hit: Hit,
    /// The liked paper it is most similar to (the reason), by key.
    pub because: Option<u64>,
}

/// One paper recommended to a user, with the signal that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecommendation {
    /// The paper, with its score.
    pub hit: Hit,
    /// The paper the user upvoted or saved that it is most similar to.
    pub because: Option<Signal>,
}

impl UserRecommendation {
    /// "Similar to “X”, which you upvoted" (or saved).
    pub fn reason(&self) -> String {
        match &self.because {
            Some(s) => {
                let did = if s.kind == SignalKind::Saved { "saved" } else { "upvoted" };
                format!("Similar to “{}”, which you {did}", s.title)
            }
            None => "Close to what you liked".to_string(),
        }
    }
}

impl SearchEngine {
    /// The liked and disliked papers' vectors, in `feedback` order (papers without a vector
    /// left out).
    fn feedback_vectors(&self, feedback: &[Feedback]) -> Result<Vec<(Feedback, Vec<f32>)>, SearchError> {
        let mut out = Vec::with_capacity(feedback.len());
        for f in feedback {
            if let Some(v) = self.paper_vector(f.key)? {
                out.push((*f, v));
            }
        }
        Ok(out)
    }

    /// The taste vector of `feedback` at `now`, unit length; `None` when nothing liked has an
    /// embedding yet.
    pub fn taste(
        &self,
        feedback: &[Feedback],
        now: DateTime<Utc>,
        options: &RecommendOptions,
    ) -> Result<Option<Vec<f32>>, SearchError> {
        Ok(taste_of(&self.feedback_vectors(feedback)?, now, options))
    }

    /// Up to `limit` papers for a user with this `feedback`, best first, only papers that pass
    /// `within` and never one they gave feedback on, each with the liked paper it is closest
    /// to. Empty when nothing is liked (cold start: fall back to trending); by keywords alone
    /// while the liked papers have no embeddings (no model installed).
    pub fn recommend(
        &self,
        feedback: &[Feedback],
        within: &Filters,
        limit: usize,
        now: DateTime<Utc>,
        options: &RecommendOptions,
    ) -> Result<Vec<Recommendation>, SearchError> {
        let vectors = self.feedback_vectors(feedback)?;
        let q = taste_of(&vectors, now, options);
        let words = options.keyword && feedback.iter().any(|f| f.liked);
        let seen: HashSet<u64> = feedback.iter().map(|f| f.key).collect();
        let ranked = match (q, words) {
            (None, false) => return Ok(Vec::new()),
            (Some(q), false) => self.rank_by_taste(&q, within, &seen, limit)?,
            (q, true) => {
                // Without embeddings (no model yet), the keyword side alone.
                let depth = limit.max(self.fusion_depth);
                let semantic = match q {
                    Some(q) => self.rank_by_taste(&q, within, &seen, depth)?,
                    None => Vec::new(),
                };
                // The liked papers, newest first, read once for both word-based lists.
                let mut liked: Vec<&Feedback> = feedback.iter().filter(|f| f.liked).collect();
                liked.sort_by(|a, b| b.at.cmp(&a.at).then(a.key.cmp(&b.key)));
                let keys: Vec<u64> = liked.iter().map(|f| f.key).collect();
                let liked: Vec<Paper> =
                    self.store.papers_by_keys(&keys).map_err(SearchError::store)?.into_iter().map(|(_, p)| p).collect();
                let keyword = self.rank_by_words(&liked, within, &seen, depth, options.keyword_papers)?;
                let authors = match options.authors {
                    // Ties among the authors' papers keep the order of the other lists.
                    true => {
                        let mut order: HashMap<u64, usize> = HashMap::new();
                        for (i, (k, _)) in semantic.iter().chain(&keyword).enumerate() {
                            order.entry(*k).or_insert(i);
                        }
                        self.rank_by_authors(&liked, within, &seen, depth, &order)?
                    }
                    false => Vec::new(),
                };
                let mut fused = fuse(
                    self.fusion,
                    &[
                        Ranked { hits: &keyword, weight: 1.0 },
                        Ranked { hits: &semantic, weight: 1.0 },
                        Ranked { hits: &authors, weight: 1.0 },
                    ],
                );
                fused.truncate(limit);
                fused
            }
        };
        let liked: Vec<&(Feedback, Vec<f32>)> = vectors.iter().filter(|(f, _)| f.liked).collect();
        let index = self.vectors.read().map_err(|_| SearchError::Poisoned)?;
        let because: Vec<Option<u64>> = ranked
            .iter()
            .map(|(key, _)| {
                let x = index.get(*key)?;
                liked.iter().map(|(f, v)| (f.key, dot(v, &x))).max_by(|a, b| a.1.total_cmp(&b.1)).map(|(k, _)| k)
            })
            .collect();
        drop(index);
        let because: HashMap<u64, Option<u64>> = ranked.iter().map(|r| r.0).zip(because).collect();
        Ok(self
            .hydrate(&ranked)?
            .into_iter()
            .map(|hit| Recommendation { because: because.get(&hit.key).copied().flatten(), hit })
            .collect())
    }

    /// [`SearchEngine::recommend`] for a user of the store, from their upvotes, saved papers
    /// and "not interested" clicks ([`papertide_store::Store::signals`]), each paper with the
    /// signal that explains it. Empty on a cold start.
    pub fn recommend_for_user(
        &self,
        user: UserId,
        within: &Filters,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserRecommendation>, SearchError> {
        let signals = self.store.signals(user, SIGNALS).map_err(SearchError::store)?;
        let feedback: Vec<Feedback> = signals.iter().map(Feedback::from).collect();
        let recs = self.recommend(&feedback, within, limit, now, &RecommendOptions::default())?;
        let by_key: HashMap<u64, &Signal> =
            signals.iter().filter(|s| s.kind.is_positive()).map(|s| (s.key, s)).collect();
        Ok(recs
            .into_iter()
            .map(|r| UserRecommendation {
                because: r.because.and_then(|k| by_key.get(&k).map(|s| (*s).clone())),
                hit: r.hit,
            })
            .collect())
    }

    /// The `limit` papers with the highest `q·x` that pass `within`, leaving out `seen`: on
    /// the vector index for the whole collection, exactly over the window's papers otherwise.
    fn rank_by_taste(
        &self,
        q: &[f32],
        within: &Filters,
        seen: &HashSet<u64>,
        limit: usize,
    ) -> Result<Vec<(u64, f32)>, SearchError> {
        let index = self.vectors.read().map_err(|_| SearchError::Poisoned)?;
        if within.is_empty() {
            let keep = |k: u64| !seen.contains(&k);
            return index.search(q, limit, Some(&keep));
        }
        let candidates = self.keyword.filtered_keys(within, WINDOW_CANDIDATES)?;
        let mut scored: Vec<(u64, f32)> = candidates
            .into_iter()
            .filter(|k| !seen.contains(k))
            .filter_map(|k| index.get(k).map(|x| (k, dot(q, &x))))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        scored.truncate(limit);
        Ok(scored)
    }
}

impl SearchEngine {
    /// The "more like this" rankings of the first `papers` of `liked` (newest first), fused into
    /// one (reciprocal rank fusion), without `seen`.
    fn rank_by_words(
        &self,
        liked: &[Paper],
        within: &Filters,
        seen: &HashSet<u64>,
        depth: usize,
        papers: usize,
    ) -> Result<Vec<(u64, f32)>, SearchError> {
        let mut lists = Vec::with_capacity(papers);
        for paper in liked.iter().take(papers) {
            let mut list = self.keyword.more_like_this_keys(&paper.id, depth + seen.len(), within)?;
            list.retain(|(k, _)| !seen.contains(k));
            lists.push(list);
        }
        let ranked: Vec<Ranked<'_>> = lists.iter().map(|l| Ranked { hits: l, weight: 1.0 }).collect();
        let mut fused = fuse(Fusion::default(), &ranked);
        fused.truncate(depth);
        Ok(fused)
    }
}

impl SearchEngine {
    /// Papers by the [`TOP_AUTHORS`] authors who wrote the most liked papers, scored by how
    /// many liked papers each author wrote (summed over a paper's matching authors), ties in
    /// `order` (then by key), without `seen`. Empty when no liked paper has authors.
    fn rank_by_authors(
        &self,
        liked: &[Paper],
        within: &Filters,
        seen: &HashSet<u64>,
        depth: usize,
        order: &HashMap<u64, usize>,
    ) -> Result<Vec<(u64, f32)>, SearchError> {
        let mut count: HashMap<String, u32> = HashMap::new();
        for paper in liked {
            for author in paper.authors.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
                *count.entry(author.to_string()).or_default() += 1;
            }
        }
        let mut authors: Vec<(String, u32)> = count.into_iter().collect();
        authors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut score: HashMap<u64, f32> = HashMap::new();
        for (author, n) in authors.into_iter().take(TOP_AUTHORS) {
            let filters = Filters { author: Some(author), ..within.clone() };
            for key in self.keyword.filtered_keys(&filters, depth)? {
                if !seen.contains(&key) {
                    *score.entry(key).or_default() += n as f32;
                }
            }
        }
        let mut ranked: Vec<(u64, f32)> = score.into_iter().collect();
        let place = |k: &u64| order.get(k).copied().unwrap_or(usize::MAX);
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| place(&a.0).cmp(&place(&b.0))).then(a.0.cmp(&b.0)));
        ranked.truncate(depth);
        Ok(ranked)
    }
}

/// Rocchio's taste vector of feedback with vectors, unit length; `None` without a liked one.
fn taste_of(vectors: &[(Feedback, Vec<f32>)], now: DateTime<Utc>, options: &RecommendOptions) -> Option<Vec<f32>> {
    let dim = vectors.first()?.1.len();
    let (mut liked, mut disliked) = (vec![0f32; dim], vec![0f32; dim]);
    let (mut liked_weight, mut disliked_count) = (0f32, 0f32);
    for (f, v) in vectors {
        if f.liked {
            let age_days = (now - f.at).num_seconds().max(0) as f32 / 86_400.0;
            let w = 0.5f32.powf(age_days / options.half_life_days.max(1e-3));
            liked.iter_mut().zip(v).for_each(|(a, x)| *a += w * x);
            liked_weight += w;
        } else {
            disliked.iter_mut().zip(v).for_each(|(a, x)| *a += x);
            disliked_count += 1.0;
        }
    }
    if liked_weight <= 0.0 {
        return None;
    }
    let beta = if disliked_count > 0.0 { options.dislike_weight / disliked_count } else { 0.0 };
    let mut q: Vec<f32> = liked.iter().zip(&disliked).map(|(l, d)| l / liked_weight - beta * d).collect();
    let norm = q.iter().map(|x| x * x).sum::<f32>().sqrt();
    if !norm.is_finite() || norm < 1e-6 {
        return None;
    }
    q.iter_mut().for_each(|x| *x /= norm);
    Some(q)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
