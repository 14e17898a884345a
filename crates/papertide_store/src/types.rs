//! Plain result types returned by [`crate::Store`] methods.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use papertide_core::{Comment, Paper, Tag};
use serde::Serialize;

/// What one [`crate::Store::upsert_papers`] call did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertStats {
    /// Papers that were new.
    pub inserted: u64,
    /// Papers that changed (a newer version, or new fields).
    pub updated: u64,
    /// Papers already stored exactly so.
    pub unchanged: u64,
    /// Records of an older version than the stored one (ignored).
    pub stale: u64,
}

impl UpsertStats {
    /// Adds another call's counts to this one.
    pub fn add(&mut self, other: UpsertStats) {
        self.inserted += other.inserted;
        self.updated += other.updated;
        self.unchanged += other.unchanged;
        self.stale += other.stale;
    }

    /// Records seen.
    pub fn total(&self) -> u64 {
        self.inserted + self.updated + self.unchanged + self.stale
    }
}

/// Summary of the store's content, for `papertide stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Number of papers.
    pub papers: u64,
    /// Papers by the source they were first imported from.
    pub by_source: BTreeMap<String, u64>,
    /// Papers by primary category (`(none)` where there is none).
    pub by_primary_category: BTreeMap<String, u64>,
    /// Earliest publication date.
    pub earliest_published: Option<DateTime<Utc>>,
    /// Latest publication date.
    pub latest_published: Option<DateTime<Utc>>,
    /// Size of the database on disk in bytes (including its write-ahead log).
    pub database_bytes: u64,
}

/// Outcome of [`crate::Store::check`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Papers read back.
    pub papers_checked: u64,
    /// Every problem found; empty when the database is sound.
    pub problems: Vec<String>,
}

impl CheckReport {
    /// True when no problem was found.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One entry of the change feed ([`crate::Store::papers_changed_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangedPaper {
    /// The paper's integer key.
    pub key: u64,
    /// Its change number.
    pub seq: u64,
    /// The paper as it is now.
    pub paper: Paper,
}

/// A paper a user put on the feed ([`UserActivity::submissions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmittedPaper {
    /// The paper.
    pub paper: Paper,
    /// The feed date it was submitted to.
    pub feed_date: NaiveDate,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

/// A paper a user upvoted ([`UserActivity::upvoted`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UpvotedPaper {
    /// The paper.
    pub paper: Paper,
    /// When the vote was cast.
    pub upvoted_at: DateTime<Utc>,
}

/// What a user did lately, newest first ([`crate::Store::user_activity`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserActivity {
    /// Papers submitted (removed submissions left out).
    pub submissions: Vec<SubmittedPaper>,
    /// Papers upvoted.
    pub upvoted: Vec<UpvotedPaper>,
    /// Comments written (hidden and deleted ones left out).
    pub comments: Vec<Comment>,
}

/// A paper in a user's library, under one tag ([`crate::Store::library`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LibraryItem {
    /// The paper.
    pub paper: Paper,
    /// The tag it is saved under.
    pub tag: Tag,
    /// When it was saved there.
    pub added_at: DateTime<Utc>,
}
