//! Personal API tokens.

use crate::{backends, t, user};
use chrono::Duration;
use papertide_core::{TokenId, TokenScope, UserId};
use papertide_store::StoreError;

#[test]
fn tokens_are_found_by_hash_listed_and_revoked() {
    for (store, _dir) in backends() {
        let ada = user(&*store, "ada");
        let bob = user(&*store, "bob");
        let now = t("2024-05-01T12:00:00Z");
        let read = store.create_api_token(ada.id, "laptop", b"hash-1", "pt_abcd", TokenScope::Read, now).unwrap();
        let write = store
            .create_api_token(ada.id, "bot", b"hash-2", "pt_efgh", TokenScope::Write, now + Duration::seconds(1))
            .unwrap();
        assert_eq!((read.name.as_str(), read.hint.as_str(), read.scope), ("laptop", "pt_abcd", TokenScope::Read));
        assert!(matches!(
            store.create_api_token(bob.id, "dup", b"hash-1", "pt_x", TokenScope::Read, now),
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            store.create_api_token(UserId(999), "x", b"hash-9", "pt_x", TokenScope::Read, now),
            Err(StoreError::NotFound { .. })
        ));

        let (owner, found) = store.api_token(b"hash-2", now + Duration::seconds(5)).unwrap().unwrap();
        assert_eq!((owner.id, found.id, found.scope), (ada.id, write.id, TokenScope::Write));
        assert_eq!(found.last_used_at, Some(now + Duration::seconds(5)), "first use is recorded");
        let (_, again) = store.api_token(b"hash-2", now + Duration::seconds(30)).unwrap().unwrap();
        assert_eq!(again.last_used_at, Some(now + Duration::seconds(5)), "refreshed at most once a minute");
        let (_, later) = store.api_token(b"hash-2", now + Duration::seconds(70)).unwrap().unwrap();
        assert_eq!(later.last_used_at, Some(now + Duration::seconds(70)));
        assert_eq!(store.api_token(b"nope", now).unwrap(), None);

        let listed: Vec<TokenId> = store.api_tokens(ada.id).unwrap().iter().map(|k| k.id).collect();
        assert_eq!(listed, vec![write.id, read.id], "newest first");
        assert!(store.api_tokens(bob.id).unwrap().is_empty());

        assert!(!store.revoke_api_token(bob.id, read.id).unwrap(), "only the owner revokes");
        assert!(store.revoke_api_token(ada.id, read.id).unwrap());
        assert!(!store.revoke_api_token(ada.id, read.id).unwrap());
        assert_eq!(store.api_token(b"hash-1", now).unwrap(), None, "a revoked token no longer works");
        assert_eq!(store.api_tokens(ada.id).unwrap().len(), 1);
    }
}
