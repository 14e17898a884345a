//! Personal API tokens: [`TokenScope`] (what a token may do) and [`ApiToken`] (a token's
//! record, never its secret).
//!
//! The secret is shown to its owner once, when it is created; the store keeps only its
//! SHA-256 (as with login sessions, [`crate::user::Session`]). The web crate's `api::auth`
//! checks `Authorization: Bearer` headers against it; `papertide token create` and the
//! profile page mint them.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::user::UserId;

/// The prefix of every token secret, so that leaked tokens are easy to recognise (and scan
/// for) and never mistaken for a session cookie.
pub const TOKEN_PREFIX: &str = "pt_";

/// Most characters a token's name may have.
pub const MAX_TOKEN_NAME_CHARS: usize = 64;

/// The store's key of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TokenId(pub i64);

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a token may do. `Write` includes `Read`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Read endpoints only (everything public, plus the owner's own data).
    #[default]
    Read,
    /// Also submit papers, upvote and comment as the owner.
    Write,
}

/// Why a string is not a [`TokenScope`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown token scope `{0}` (expected `read` or `write`)")]
pub struct ScopeError(pub String);

impl TokenScope {
    /// The name used in the database, JSON and the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// True when a token of this scope may do what `needed` calls for.
    pub fn allows(self, needed: TokenScope) -> bool {
        self >= needed
    }
}

impl FromStr for TokenScope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(TokenScope::Read),
            "write" => Ok(TokenScope::Write),
            other => Err(ScopeError(other.to_string())),
        }
    }
}

impl fmt::Display for TokenScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A token's record (the secret itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// The store's key.
    pub id: TokenId,
    /// Whose token it is.
    pub user: UserId,
    /// A name its owner chose ("laptop script").
    pub name: String,
    /// The first characters of the secret (`pt_AbCd`), to tell tokens apart in lists.
    pub hint: String,
    /// What it may do.
    pub scope: TokenScope,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (at most a minute stale), if ever.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Checks a token name: 1 to [`MAX_TOKEN_NAME_CHARS`] characters, no control characters;
/// surrounding whitespace is trimmed.
pub fn token_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let chars = name.chars().count();
    if chars == 0 {
        return Err("token name is empty".into());
    }
    if chars > MAX_TOKEN_NAME_CHARS {
        return Err(format!("token name is too long ({chars} characters, at most {MAX_TOKEN_NAME_CHARS})"));
    }
    if name.chars().any(char::is_control) {
        return Err("token name holds a control character".into());
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_order() {
        assert_eq!("read".parse::<TokenScope>(), Ok(TokenScope::Read));
        assert_eq!("write".parse::<TokenScope>(), Ok(TokenScope::Write));
        assert!("admin".parse::<TokenScope>().unwrap_err().to_string().contains("`admin`"));
        assert!(TokenScope::Write.allows(TokenScope::Read));
        assert!(TokenScope::Write.allows(TokenScope::Write));
        assert!(TokenScope::Read.allows(TokenScope::Read));
        assert!(!TokenScope::Read.allows(TokenScope::Write));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(token_name("  laptop  ").as_deref(), Ok("laptop"));
        assert!(token_name("   ").is_err());
        assert!(token_name(&"x".repeat(65)).unwrap_err().contains("65"));
        assert!(token_name("a\nb").is_err());
    }
}
