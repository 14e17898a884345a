//! Opaque paging cursors of the API's lists.
//!
//! A cursor is `next_cursor` from the previous page, passed back as `cursor`. Inside (base64url,
//! not meant to be read) it holds the list's kind, a position (an offset, or the last id or
//! change number seen) and a fingerprint of the query it was made for, so a cursor given to a
//! different list or query is a clear `400` rather than a silently wrong page.

use base64::Engine as _;
use sha2::Digest;

use crate::error::AppError;

/// The fingerprint of a query: 16 hex digits of the SHA-256 of its normalised parts.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = sha2::Sha256::new();
    for p in parts {
        hasher.update(p.as_bytes());
        hasher.update([0x1f]);
    }
    hasher.finalize().iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// A cursor for `position` in the list `kind` of the query with this fingerprint.
pub fn encode(kind: &str, position: u64, fingerprint: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{kind}:{position}:{fingerprint}"))
}

/// The position held by `cursor`; a `400` naming `cursor` when it is not one of this list's.
pub fn decode(cursor: &str, kind: &str, fingerprint: &str) -> Result<u64, AppError> {
    let bad = || AppError::bad_request("`cursor` is not a cursor of this list and query; pass back `next_cursor`");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let mut fields = text.splitn(3, ':');
    match (fields.next(), fields.next(), fields.next()) {
        (Some(k), Some(pos), Some(f)) if k == kind && f == fingerprint => pos.parse().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn cursors_round_trip_and_belong_to_their_query() {
        let f = fingerprint(&["attention", "hybrid"]);
        let c = encode("search", 40, &f);
        assert_eq!(decode(&c, "search", &f).unwrap(), 40);
        assert!(decode(&c, "comments", &f).is_err(), "another list");
        assert!(decode(&c, "search", &fingerprint(&["attention", "keyword"])).is_err(), "another query");
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]), "parts are separated");
        for junk in ["", "!!!", "bm90IGEgY3Vyc29y", &encode("search", 1, "zz")] {
            assert!(decode(junk, "search", &f).is_err(), "{junk}");
        }
    }

    proptest! {
        #[test]
        fn any_text_decodes_or_fails_cleanly(s in ".{0,80}") {
            let _ = decode(&s, "search", "0011223344556677");
        }
    }
}
