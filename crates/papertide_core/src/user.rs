//! Accounts: [`UserId`], the validated [`UserName`], [`Role`], [`User`] and the login
//! [`Session`] a store hands back for a session token.
//!
//! Passwords and session tokens never appear here: the store keeps a password hash next to
//! the user row and only ever sees a hash of a session token (`papertide_store`'s session
//! methods). Feed and comment types are in [`crate::feed`] and [`crate::comment`].

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The store's key of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Fewest characters a user name may have.
pub const MIN_USER_NAME_CHARS: usize = 3;
/// Most characters a user name may have.
pub const MAX_USER_NAME_CHARS: usize = 32;

/// Why a string is not a valid user name. Each variant names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserNameError {
    /// Shorter than [`MIN_USER_NAME_CHARS`].
    #[error("user name is too short ({0} characters, at least {MIN_USER_NAME_CHARS})")]
    TooShort(usize),
    /// Longer than [`MAX_USER_NAME_CHARS`].
    #[error("user name is too long ({0} characters, at most {MAX_USER_NAME_CHARS})")]
    TooLong(usize),
    /// The first character is not an ASCII letter.
    #[error("user name must start with a letter, not {0:?}")]
    BadStart(char),
    /// A character other than ASCII letters, digits, `-` and `_`.
    #[error("user name may only hold ASCII letters, digits, `-` and `_`, not {0:?}")]
    BadChar(char),
}

/// A validated user name: 3 to 32 ASCII letters, digits, `-` or `_`, starting with a letter.
///
/// Names are unique case-insensitively: `Ada` and `ada` are the same name. The value keeps
/// the form the user chose for display ([`UserName::as_str`], `Display`); equality, ordering
/// and hashing use the lowercase form ([`UserName::key`]), which is what the store indexes.
#[derive(Debug, Clone)]
pub struct UserName {
    display: String,
    key: String,
}

impl UserName {
    /// The name as the user wrote it, e.g. `AdaL`.
    pub fn as_str(&self) -> &str {
        &self.display
    }

    /// The lowercase form used for comparison and uniqueness, e.g. `adal`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl FromStr for UserName {
    type Err = UserNameError;

    /// Validates a name; surrounding whitespace is not trimmed (it is an error).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let chars = s.chars().count();
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(UserNameError::BadChar(c));
        }
        if chars < MIN_USER_NAME_CHARS {
            return Err(UserNameError::TooShort(chars));
        }
        if chars > MAX_USER_NAME_CHARS {
            return Err(UserNameError::TooLong(chars));
        }
        match s.chars().next() {
            Some(c) if c.is_ascii_alphabetic() => {}
            Some(c) => return Err(UserNameError::BadStart(c)),
            None => return Err(UserNameError::TooShort(0)),
        }
        Ok(UserName { display: s.to_string(), key: s.to_ascii_lowercase() })
    }
}

impl fmt::Display for UserName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl PartialEq for UserName {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for UserName {}

impl Hash for UserName {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key.hash(state);
    }
}

impl PartialOrd for UserName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UserName {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

impl Serialize for UserName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.display)
    }
}

impl<'de> Deserialize<'de> for UserName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Submit, upvote and comment.
    #[default]
    User,
    /// Also feature papers, remove submissions and hide comments.
    Admin,
}

/// Why a string is not a [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (expected `user` or `admin`)")]
pub struct RoleError(pub String);

impl Role {
    /// The name used in the database and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = RoleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Role::User),
            "admin" => Ok(Role::Admin),
            other => Err(RoleError(other.to_string())),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An account. The password hash is kept apart (the store returns it only on request).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The store's key.
    pub id: UserId,
    /// The name, in the form the user chose.
    pub name: UserName,
    /// An e-mail address for digests, if given.
    pub email: Option<String>,
    /// What the user may do.
    pub role: Role,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// True for administrators.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// A live login session, as found by the hash of its token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Whose session it is.
    pub user: UserId,
    /// The token forms must echo back (double-submit CSRF protection).
    pub csrf: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// When it was last used (updated at most once a minute).
    pub last_seen_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_validated() {
        for ok in ["ada", "Ada_Lovelace-1815", "x23", &"a".repeat(32)] {
            assert_eq!(ok.parse::<UserName>().map(|n| n.to_string()), Ok(ok.to_string()));
        }
        assert_eq!("ab".parse::<UserName>(), Err(UserNameError::TooShort(2)));
        assert_eq!("".parse::<UserName>(), Err(UserNameError::TooShort(0)));
        assert_eq!("a".repeat(33).parse::<UserName>(), Err(UserNameError::TooLong(33)));
        assert_eq!("1ada".parse::<UserName>(), Err(UserNameError::BadStart('1')));
        assert_eq!("_ada".parse::<UserName>(), Err(UserNameError::BadStart('_')));
        assert_eq!("ada lovelace".parse::<UserName>(), Err(UserNameError::BadChar(' ')));
        assert_eq!("adé".parse::<UserName>(), Err(UserNameError::BadChar('é')));
        assert_eq!("ad'; DROP".parse::<UserName>(), Err(UserNameError::BadChar('\'')));
    }

    #[test]
    fn names_compare_case_insensitively_and_keep_their_display_form() {
        let a: UserName = "AdaL".parse().unwrap();
        let b: UserName = "adal".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!((a.as_str(), a.key()), ("AdaL", "adal"));
        let set: std::collections::HashSet<UserName> = [a, b].into_iter().collect();
        assert_eq!(set.len(), 1);
        let json = serde_json::to_string(&"AdaL".parse::<UserName>().unwrap()).unwrap();
        assert_eq!(json, "\"AdaL\"");
        assert!(serde_json::from_str::<UserName>("\"1x\"").is_err());
    }

    #[test]
    fn roles_round_trip() {
        for r in [Role::User, Role::Admin] {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("root".parse::<Role>().is_err());
    }

    proptest! {
        #[test]
        fn valid_names_round_trip(s in "[A-Za-z][A-Za-z0-9_-]{2,31}") {
            let n: UserName = s.parse().unwrap();
            prop_assert_eq!(n.as_str(), s.as_str());
            prop_assert_eq!(n.key(), s.to_ascii_lowercase());
        }

        #[test]
        fn any_string_never_panics(s in "\\PC{0,40}") {
            if let Ok(n) = s.parse::<UserName>() {
                prop_assert_eq!(n.as_str(), s.as_str());
            }
        }
    }
}
