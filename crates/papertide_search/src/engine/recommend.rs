//! Personal recommendations ("For you"): a linear model of a user's taste over the paper
//! embeddings, from what they upvoted (recent votes count more) and what they marked "not
//! interested".
//!
//! The model is Rocchio's relevance feedback: the taste vector is the recency-weighted mean of
//! the liked papers' embeddings minus a share of the mean of the disliked ones,
//! `q = Σ wᵢ·pᵢ / Σ wᵢ − β · mean(nⱼ)`, with `wᵢ = 2^(−age/half-life)`. A paper's score is
//! `q·x`, a linear classifier's decision value, so ranking the whole collection is a nearest
//! neighbour search with `q` on the vector index (HNSW at scale): milliseconds, nothing to
//! retrain, and every new vote counts at once. Every recommendation names the liked paper it
//! is closest to, for "similar to X you upvoted".
//!
//! With nothing liked there is no taste vector: callers fall back to trending papers.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use super::{Hit, SearchEngine};
use crate::vector::VectorIndex;
use crate::SearchError;

/// A signal from a user about one paper.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Feedback {
    /// The paper's key.
    pub key: u64,
    /// When the user gave it.
    pub at: DateTime<Utc>,
    /// True for an upvote, false for "not interested".
    pub liked: bool,
}

/// Settings of the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecommendOptions {
    /// Days after which a vote counts half as much.
    pub half_life_days: f32,
    /// How much the disliked papers pull the taste away (Rocchio's β).
    pub dislike_weight: f32,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        RecommendOptions { half_life_days: 90.0, dislike_weight: 0.5 }
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

impl SearchEngine {
    /// The taste vector of `feedback` at `now`, unit length; `None` when nothing liked has an
    /// embedding yet.
    pub fn taste(
        &self,
        feedback: &[Feedback],
        now: DateTime<Utc>,
        options: &RecommendOptions,
    ) -> Result<Option<Vec<f32>>, SearchError> {
        let dim = self.vectors.read().map_err(|_| SearchError::Poisoned)?.dim();
        let (mut liked, mut disliked) = (vec![0f32; dim], vec![0f32; dim]);
        let (mut liked_weight, mut disliked_count) = (0f32, 0f32);
        for f in feedback {
            let Some(v) = self.paper_vector(f.key)? else { continue };
            if f.liked {
                let age_days = (now - f.at).num_seconds().max(0) as f32 / 86_400.0;
                let w = 0.5f32.powf(age_days / options.half_life_days.max(1e-3));
                liked.iter_mut().zip(&v).for_each(|(a, x)| *a += w * x);
                liked_weight += w;
            } else {
                disliked.iter_mut().zip(&v).for_each(|(a, x)| *a += x);
                disliked_count += 1.0;
            }
        }
        if liked_weight <= 0.0 {
            return Ok(None);
        }
        let beta = if disliked_count > 0.0 { options.dislike_weight / disliked_count } else { 0.0 };
        let mut q: Vec<f32> = liked.iter().zip(&disliked).map(|(l, d)| l / liked_weight - beta * d).collect();
        let norm = q.iter().map(|x| x * x).sum::<f32>().sqrt();
        if !norm.is_finite() || norm < 1e-6 {
            return Ok(None);
        }
        q.iter_mut().for_each(|x| *x /= norm);
        Ok(Some(q))
    }

    /// Up to `limit` papers for a user with this `feedback`, best first, never one they gave
    /// feedback on or one in `exclude`, each with the liked paper it is closest to. Empty when
    /// nothing liked has an embedding (cold start: fall back to trending).
    pub fn recommend(
        &self,
        feedback: &[Feedback],
        exclude: &HashSet<u64>,
        limit: usize,
        now: DateTime<Utc>,
        options: &RecommendOptions,
    ) -> Result<Vec<Recommendation>, SearchError> {
        let Some(q) = self.taste(feedback, now, options)? else { return Ok(Vec::new()) };
        let seen: HashSet<u64> = feedback.iter().map(|f| f.key).chain(exclude.iter().copied()).collect();
        let ranked = {
            let vectors = self.vectors.read().map_err(|_| SearchError::Poisoned)?;
            let keep = |k: u64| !seen.contains(&k);
            vectors.search(&q, limit, Some(&keep))?
        };
        let liked: Vec<(u64, Vec<f32>)> = feedback
            .iter()
            .filter(|f| f.liked)
            .filter_map(|f| self.paper_vector(f.key).ok().flatten().map(|v| (f.key, v)))
            .collect();
        let hits = self.hydrate(&ranked)?;
        Ok(hits
            .into_iter()
            .map(|hit| {
                let because = self.paper_vector(hit.key).ok().flatten().and_then(|x| {
                    liked
                        .iter()
                        .map(|(k, v)| (*k, v.iter().zip(&x).map(|(a, b)| a * b).sum::<f32>()))
                        .max_by(|a, b| a.1.total_cmp(&b.1))
                        .map(|(k, _)| k)
                });
                Recommendation { hit, because }
            })
            .collect())
    }
}
