//! Domain types of papertide, with no I/O.
//!
//! This crate owns the vocabulary every other crate speaks:
//! - [`ArxivId`] and [`PaperId`] ([`id`]): validated identifiers, parsed with `FromStr`.
//! - [`Paper`] ([`paper`]): the bibliographic record, and [`Community`], the feed data
//!   (submissions, upvotes, comment counts) kept apart from it.
//! - [`Paper::merge`]: the rule for combining a stored record with a newly imported one.
//! - [`User`], [`UserName`], [`Role`], [`Session`] ([`user`]): accounts and logins.
//! - [`FeedQuery`], [`FeedWindow`], [`FeedCursor`], [`trending_score`] ([`feed`]): the daily
//!   feed of submitted papers.
//! - [`Comment`], [`CommentBody`] ([`comment`]): discussion under a paper.
//! - [`ApiToken`], [`TokenScope`] ([`token`]): personal API tokens.
//! - [`Subscription`], [`Topics`], [`OutboxEntry`] ([`subscription`]): email digests.
//! - [`Tag`], [`Signal`] ([`library`]): a user's library tags and the signals "For you" learns from.
//! - [`text`]: HTML and XML escaping.
//!
//! Storage lives in `papertide_store`, parsing of external formats in `papertide_ingest`.

pub mod comment;
pub mod feed;
pub mod id;
pub mod library;
pub mod paper;
pub mod subscription;
pub mod text;
pub mod token;
pub mod user;

pub use comment::{Comment, CommentBody, CommentError, CommentId, MAX_COMMENT_CHARS};
pub use feed::{
    trending_score, FeedCursor, FeedItem, FeedPage, FeedParseError, FeedQuery, FeedSort, FeedWindow, SubmitOutcome,
};
pub use id::{ArxivId, IdError, PaperId};
pub use library::{Signal, SignalKind, Tag, TagError, MAX_TAG_CHARS};
pub use paper::{valid_category, valid_category_filter, Community, Links, MergeOutcome, Paper, Source};
pub use subscription::{
    check_email, Frequency, FrequencyError, OutboxEntry, OutboxStatus, Subscription, SubscriptionId, Topics,
};
pub use token::{token_name, ApiToken, ScopeError, TokenId, TokenScope, TOKEN_PREFIX};
pub use user::{Role, RoleError, Session, User, UserId, UserName, UserNameError};
