//! A user's library and taste signals: papers saved under [`Tag`]s (arxiv-sanity-lite's
//! tags), "not interested" clicks, and the [`Signal`]s the "For you" model learns from
//! (upvotes, tags, dismissals). Storage: `papertide_store` (`library`, `dismissals`);
//! the model: `papertide_search::engine::recommend`.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PaperId;

/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 40;

/// A library tag: 1 to 40 characters of letters, digits, spaces, `-`, `_`, `.` and `+`, trimmed,
/// inner whitespace collapsed to one space, lowercase (so `Diffusion` and `diffusion ` are one tag).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);

/// Why a tag was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagError {
    /// Nothing but whitespace.
    #[error("a tag cannot be empty")]
    Empty,
    /// Over [`MAX_TAG_CHARS`].
    #[error("a tag has at most {MAX_TAG_CHARS} characters")]
    TooLong,
    /// A character outside letters, digits, spaces and `-_.+`.
    #[error("a tag holds letters, digits, spaces and - _ . + only (not {0:?})")]
    BadChar(char),
}

impl Tag {
    /// The tag text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Tag {
    type Err = TagError;

    fn from_str(s: &str) -> Result<Tag, TagError> {
        let words: Vec<&str> = s.split_whitespace().collect();
        let text = words.join(" ").to_lowercase();
        if text.is_empty() {
            return Err(TagError::Empty);
        }
        if text.chars().count() > MAX_TAG_CHARS {
            return Err(TagError::TooLong);
        }
        if let Some(c) = text.chars().find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '+'))) {
            return Err(TagError::BadChar(c));
        }
        Ok(Tag(text))
    }
}

impl TryFrom<String> for Tag {
    type Error = TagError;
    fn try_from(s: String) -> Result<Tag, TagError> {
        s.parse()
    }
}

impl From<Tag> for String {
    fn from(t: Tag) -> String {
        t.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a user told us about one paper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// They upvoted it.
    Upvote,
    /// They saved it in their library (under any tag).
    Saved,
    /// They clicked "not interested".
    NotInterested,
}

impl SignalKind {
    /// True for signals that say the user likes the paper.
    pub fn is_positive(self) -> bool {
        !matches!(self, SignalKind::NotInterested)
    }
}

/// One signal with the paper it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Signal {
    /// The paper's storage key (the vector index key).
    pub key: u64,
    /// The paper's id.
    pub paper: PaperId,
    /// The paper's title (for "similar to X you upvoted").
    pub title: String,
    /// What the user did.
    pub kind: SignalKind,
    /// When.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_and_checked() {
        assert_eq!("  Diffusion   Models ".parse::<Tag>().unwrap().as_str(), "diffusion models");
        assert_eq!("c++".parse::<Tag>().unwrap().as_str(), "c++");
        assert_eq!("Théorie".parse::<Tag>().unwrap().as_str(), "théorie");
        assert_eq!("   ".parse::<Tag>(), Err(TagError::Empty));
        assert_eq!("x".repeat(41).parse::<Tag>(), Err(TagError::TooLong));
        assert_eq!("a<b".parse::<Tag>(), Err(TagError::BadChar('<')));
        assert_eq!("a/b".parse::<Tag>(), Err(TagError::BadChar('/')));
    }

    proptest::proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(s in "\\PC{0,60}") {
            if let Ok(tag) = s.parse::<Tag>() {
                proptest::prop_assert_eq!(tag.as_str().parse::<Tag>(), Ok(tag.clone()));
                proptest::prop_assert!(tag.as_str().chars().count() <= MAX_TAG_CHARS);
            }
        }
    }
}
