//! Signed links in mails: confirming a subscription (expires) and one-click unsubscribing
//! (does not: RFC 8058 links must keep working). A link carries the subscription id and an
//! HMAC-SHA256 tag over its purpose, id and expiry, keyed by a secret the store keeps
//! (`mail.link_secret` in the state table, made at first use), so links survive restarts
//! and work on every replica.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use papertide_core::SubscriptionId;
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

    fn tag(&self, purpose: Purpose, id: SubscriptionId, expires: i64) -> String {
        // An HMAC takes a key of any length: new_from_slice cannot fail for Hmac<Sha256>.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => return String::new(),
        };
        mac.update(format!("{}:{}:{}", purpose.as_str(), id.0, expires).as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&mac.finalize().into_bytes()[..16])
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
        let same = want.len() == tag.len() && want.bytes().zip(tag.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0;
        (same && !want.is_empty() && (exp == 0 || now.timestamp() < exp)).then_some(id)
    }
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
}
