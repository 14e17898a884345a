//! Signed links in mails: confirming a subscription (expires) and one-click unsubscribing
//! (does not: RFC 8058 links must keep working). A link carries the subscription id and an
//! HMAC-SHA256 tag over its purpose, id and expiry, keyed by a secret the store keeps
//! (`mail.link_secret` in the state table, made at first use), so links survive restarts
//! and work on every replica.
//!
//! Password reset links ([`Signer::reset_token`]) carry a user id and an expiry, and their tag
//! also covers the account's current password hash: once the password changes (the link was
//! used, or the user changed it otherwise) the link stops working, without a table of used
//! tokens.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use papertide_core::{SubscriptionId, UserId};
use papertide_store::{Store, StoreError};
use sha2::Sha256;

/// The state key of the secret.
const SECRET_KEY: &str = "mail.link_secret";

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Confirming a new subscription (double opt-in).
    Confirm,
    /// Unsubscribing.
    Unsubscribe,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Unsubscribe => "unsubscribe",
        }
    }
}

/// Signs and checks link tokens.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(<masked>)")
    }
}

impl Signer {
    /// A signer with this secret.
    pub fn new(secret: impl Into<Vec<u8>>) -> Signer {
        Signer { secret: secret.into() }
    }

    /// The store's signer, making and saving a random secret the first time.
    pub fn from_store(store: &dyn Store) -> Result<Signer, StoreError> {
        if let Some(s) = store.get_state(SECRET_KEY)? {
            return Ok(Signer::new(s.into_bytes()));
        }
        let bytes: [u8; 32] = rand::random();
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        store.put_state(SECRET_KEY, &secret)?;
        // Another process may have raced us: whatever is stored now wins.
        let stored = store.get_state(SECRET_KEY)?.unwrap_or(secret);
        Ok(Signer::new(stored.into_bytes()))
    }

    /// The first 128 bits of HMAC-SHA256(secret, `message`), base64url; empty only if the
    /// HMAC could not be keyed (it takes keys of any length, so never).
    fn mac(&self, message: &[u8]) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.secret) else { return String::new() };
        mac.update(message);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
    }

    fn tag(&self, purpose: Purpose, id: SubscriptionId, expires: i64) -> String {
        self.mac(format!("{}:{}:{}", purpose.as_str(), id.0, expires).as_bytes())
    }

    fn reset_tag(&self, user: UserId, expires: i64, password_hash: &str) -> String {
        let mut message = format!("reset:{}:{}:", user.0, expires).into_bytes();
        message.extend_from_slice(password_hash.as_bytes());
        self.mac(&message)
    }

    /// A password reset token for `user`, valid until `expires` and only while the account's
    /// password hash is still `password_hash` (so at most once).
    pub fn reset_token(&self, user: UserId, password_hash: &str, expires: DateTime<Utc>) -> String {
        let exp = expires.timestamp();
        format!("{}.{}.{}", user.0, exp, self.reset_tag(user, exp, password_hash))
    }

    /// The user a reset token claims to be for (not yet checked: see [`Signer::check_reset`]).
    pub fn reset_token_user(token: &str) -> Option<UserId> {
        token.trim().split('.').next()?.parse().ok().map(UserId)
    }

    /// True when `token` is a genuine reset token for `user`, unexpired at `now`, and made
    /// while the password hash was `password_hash`.
    pub fn check_reset(&self, token: &str, user: UserId, password_hash: &str, now: DateTime<Utc>) -> bool {
        let mut parts = token.trim().splitn(3, '.');
        let (Some(id), Some(exp), Some(tag)) = (parts.next(), parts.next(), parts.next()) else { return false };
        let (Ok(id), Ok(exp)) = (id.parse::<i64>(), exp.parse::<i64>()) else { return false };
        let want = self.reset_tag(user, exp, password_hash);
        id == user.0 && !want.is_empty() && same(&want, tag) && now.timestamp() < exp
    }

    /// A token for `id` and `purpose`, valid until `expires` (none: forever).
    pub fn token(&self, purpose: Purpose, id: SubscriptionId, expires: Option<DateTime<Utc>>) -> String {
        let exp = expires.map_or(0, |e| e.timestamp());
        format!("{}.{}.{}", id.0, exp, self.tag(purpose, id, exp))
    }

    /// The subscription a token names, when it is genuine, for `purpose` and unexpired at `now`.
    pub fn check(&self, purpose: Purpose, token: &str, now: DateTime<Utc>) -> Option<SubscriptionId> {
        let mut parts = token.trim().splitn(3, '.');
        let id = SubscriptionId(parts.next()?.parse().ok()?);
        let exp: i64 = parts.next()?.parse().ok()?;
        let tag = parts.next()?;
        let want = self.tag(purpose, id, exp);
        (same(&want, tag) && !want.is_empty() && (exp == 0 || now.timestamp() < exp)).then_some(id)
    }
}

/// Constant-time equality of two tags.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn tokens_are_bound_to_purpose_id_secret_and_time() {
        let s = Signer::new(b"secret".to_vec());
        let now: DateTime<Utc> = "2026-03-05T08:00:00Z".parse().unwrap();
        let id = SubscriptionId(42);
        let confirm = s.token(Purpose::Confirm, id, Some(now + Duration::hours(48)));
        assert_eq!(s.check(Purpose::Confirm, &confirm, now), Some(id));
        assert_eq!(s.check(Purpose::Confirm, &confirm, now + Duration::hours(49)), None, "expired");
        assert_eq!(s.check(Purpose::Unsubscribe, &confirm, now), None, "another purpose");
        assert_eq!(Signer::new(b"other".to_vec()).check(Purpose::Confirm, &confirm, now), None, "another secret");
        let forged = confirm.replacen("42.", "43.", 1);
        assert_eq!(s.check(Purpose::Confirm, &forged, now), None, "another id");
        let unsub = s.token(Purpose::Unsubscribe, id, None);
        assert_eq!(s.check(Purpose::Unsubscribe, &unsub, now + Duration::days(3650)), Some(id), "never expires");
        for junk in ["", "42", "42.0", "x.y.z", "42.0.!!"] {
            assert_eq!(s.check(Purpose::Unsubscribe, junk, now), None, "{junk}");
        }
        assert!(!format!("{s:?}").contains("secret"));
    }

    #[test]
    fn reset_tokens_expire_and_die_with_the_password_they_were_made_for() {
        let s = Signer::new(b"secret".to_vec());
        let now: DateTime<Utc> = "2026-03-05T08:00:00Z".parse().unwrap();
        let (ada, hash) = (UserId(7), "$argon2id$v=19$m=19456,t=2,p=1$old");
        let token = s.reset_token(ada, hash, now + Duration::hours(1));
        assert_eq!(Signer::reset_token_user(&token), Some(ada));
        assert!(s.check_reset(&token, ada, hash, now));
        assert!(s.check_reset(&token, ada, hash, now + Duration::minutes(59)));
        assert!(!s.check_reset(&token, ada, hash, now + Duration::hours(1)), "expired");
        assert!(!s.check_reset(&token, ada, "$argon2id$v=19$m=19456,t=2,p=1$new", now), "password changed: used");
        assert!(!s.check_reset(&token, UserId(8), hash, now), "another user");
        assert!(!Signer::new(b"other".to_vec()).check_reset(&token, ada, hash, now), "another secret");
        let later = token.replacen(&format!(".{}.", (now + Duration::hours(1)).timestamp()), ".9999999999.", 1);
        assert!(!s.check_reset(&later, ada, hash, now), "expiry changed");
        let confirm = s.token(Purpose::Confirm, SubscriptionId(7), Some(now + Duration::hours(1)));
        assert!(!s.check_reset(&confirm, ada, hash, now), "a confirmation link is not a reset link");
        for junk in ["", "7", "7.0", "x.y.z", "7.9999999999.!!"] {
            assert!(!s.check_reset(junk, ada, hash, now), "{junk}");
        }
    }
}
