//! Discussion under a paper: [`Comment`], its key [`CommentId`] and the validated
//! [`CommentBody`] (Markdown source, 1 to [`MAX_COMMENT_CHARS`] characters).
//!
//! Rendering Markdown is the web app's job; the store keeps the source
//! (`papertide_store`'s comment methods). Users are in [`crate::user`].

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::id::PaperId;
use crate::user::{UserId, UserName};

/// Most characters a comment may have.
pub const MAX_COMMENT_CHARS: usize = 10_000;

/// The store's key of a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CommentId(pub i64);

impl fmt::Display for CommentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a text is not a valid comment body. Each variant names the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommentError {
    /// Nothing but whitespace.
    #[error("field `body` is empty")]
    Empty,
    /// Longer than [`MAX_COMMENT_CHARS`].
    #[error("field `body` is too long ({chars} characters, at most {max})")]
    TooLong {
        /// Its length in characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Control characters other than newline, carriage return and tab.
    #[error("field `body` contains control characters")]
    ControlCharacters,
}

/// A validated comment body: Markdown source with at least one non-whitespace character,
/// at most [`MAX_COMMENT_CHARS`] characters, and no control characters but line breaks
/// and tabs. Kept exactly as written (not trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct CommentBody(String);

impl CommentBody {
    /// Validates a body.
    pub fn new(text: impl Into<String>) -> Result<CommentBody, CommentError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(CommentError::Empty);
        }
        let chars = text.chars().count();
        if chars > MAX_COMMENT_CHARS {
            return Err(CommentError::TooLong { chars, max: MAX_COMMENT_CHARS });
        }
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(CommentError::ControlCharacters);
        }
        Ok(CommentBody(text))
    }

    /// The Markdown source.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CommentBody {
    type Err = CommentError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CommentBody::new(s)
    }
}

impl<'de> Deserialize<'de> for CommentBody {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        CommentBody::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

/// A comment under a paper.
///
/// Hidden (by an admin) and deleted (by the author) comments are still listed, flagged, so
/// pages can show a placeholder and keep the thread's shape; a deleted comment's body is
/// empty. Neither counts in [`crate::Community::comment_count`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The store's key.
    pub id: CommentId,
    /// The paper it is about.
    pub paper: PaperId,
    /// Who wrote it (key).
    pub author_id: UserId,
    /// Who wrote it (name).
    pub author: UserName,
    /// The Markdown source (empty once deleted).
    pub body_markdown: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Hidden by an admin.
    pub hidden: bool,
    /// Deleted by its author.
    pub deleted: bool,
}

impl Comment {
    /// True when the comment is shown and counted (neither hidden nor deleted).
    pub fn is_visible(&self) -> bool {
        !self.hidden && !self.deleted
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_validated_and_name_the_field() {
        assert_eq!(
            CommentBody::new("  Nice *paper*.\n").map(|b| b.as_str().to_string()),
            Ok("  Nice *paper*.\n".into())
        );
        assert_eq!(CommentBody::new(" \n\t"), Err(CommentError::Empty));
        assert_eq!(CommentBody::new(""), Err(CommentError::Empty));
        assert!(CommentBody::new("é".repeat(MAX_COMMENT_CHARS)).is_ok(), "the limit counts characters");
        let long = CommentBody::new("x".repeat(MAX_COMMENT_CHARS + 1)).unwrap_err();
        assert_eq!(long, CommentError::TooLong { chars: MAX_COMMENT_CHARS + 1, max: MAX_COMMENT_CHARS });
        assert!(long.to_string().contains("`body`"));
        assert_eq!(CommentBody::new("a\u{0}b"), Err(CommentError::ControlCharacters));
        assert!(serde_json::from_str::<CommentBody>("\"  \"").is_err());
    }
}
