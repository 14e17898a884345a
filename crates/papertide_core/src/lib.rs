//! Domain types of papertide, with no I/O.
//!
//! This crate owns the vocabulary every other crate speaks:
//! - [`ArxivId`] and [`PaperId`] ([`id`]): validated identifiers, parsed with `FromStr`.
//! - [`Paper`] ([`paper`]): the bibliographic record, and [`Community`], the feed data
//!   (submissions, upvotes, comment counts) kept apart from it.
//! - [`Paper::merge`]: the rule for combining a stored record with a newly imported one.
//!
//! Storage lives in `papertide_store`, parsing of external formats in `papertide_ingest`.

pub mod id;
pub mod paper;

pub use id::{ArxivId, IdError, PaperId};
pub use paper::{Community, Links, MergeOutcome, Paper, Source};
