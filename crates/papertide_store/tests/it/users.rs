//! Accounts and login sessions.

use crate::{backends, t, user};
use chrono::Duration;
use papertide_core::{Role, UserId, UserName};
use papertide_store::StoreError;

fn name(s: &str) -> UserName {
    s.parse().unwrap()
}

#[test]
fn user_names_are_unique_case_insensitively() {
    for (store, _dir) in backends() {
        let ada = store.create_user(&name("Ada"), Some("ada@example.org"), "h1", Role::User).unwrap();
        assert_eq!((ada.name.as_str(), ada.role), ("Ada", Role::User));
        for taken in ["ada", "ADA", "Ada"] {
            match store.create_user(&name(taken), None, "h2", Role::User) {
                Err(StoreError::Conflict { what }) => assert!(what.contains("ada"), "{what}"),
                other => panic!("expected Conflict for {taken}, got {other:?}"),
            }
        }
        assert_eq!(store.count_users().unwrap(), 1);
        let found = store.user_by_name(&name("aDA")).unwrap().unwrap();
        assert_eq!(found, ada);
        assert_eq!(found.name.as_str(), "Ada", "the display form is kept");
        assert_eq!(store.user_by_id(ada.id).unwrap().as_ref(), Some(&ada));
        assert_eq!(store.user_by_id(UserId(9999)).unwrap(), None);
        assert_eq!(store.user_by_name(&name("bob")).unwrap(), None);
        let (u, hash) = store.password_hash_of(&name("ada")).unwrap().unwrap();
        assert_eq!((u.id, hash.as_str()), (ada.id, "h1"));
        store.set_password_hash(ada.id, "h3").unwrap();
        assert_eq!(store.password_hash_of(&name("ada")).unwrap().unwrap().1, "h3");
        store.set_role(ada.id, Role::Admin).unwrap();
        assert!(store.user_by_id(ada.id).unwrap().unwrap().is_admin());
        assert!(matches!(store.set_role(UserId(9999), Role::Admin), Err(StoreError::NotFound { .. })));
        let bob = user(&*store, "bob");
        assert_ne!(bob.id, ada.id);
        assert_eq!(store.count_users().unwrap(), 2);
    }
}

#[test]
fn a_password_reset_happens_once_and_ends_every_session() {
    for (store, _dir) in backends() {
        let ada = store.create_user(&name("ada"), Some("ada@example.org"), "old", Role::User).unwrap();
        let bob = user(&*store, "bob");
        let now = t("2024-05-01T12:00:00Z");
        for (token, who) in [(&b"ada-laptop"[..], ada.id), (b"ada-phone", ada.id), (b"bob", bob.id)] {
            store.create_session(token, who, "csrf", now, now + Duration::hours(1)).unwrap();
        }
        assert!(!store.replace_password_hash(ada.id, "stale", "new").unwrap(), "not the current hash");
        assert!(store.session(b"ada-laptop", now).unwrap().is_some(), "nothing ended");
        assert!(store.replace_password_hash(ada.id, "old", "new").unwrap());
        assert_eq!(store.password_hash_of(&name("ada")).unwrap().unwrap().1, "new");
        assert!(store.session(b"ada-laptop", now).unwrap().is_none());
        assert!(store.session(b"ada-phone", now).unwrap().is_none());
        assert!(store.session(b"bob", now).unwrap().is_some(), "other users keep theirs");
        assert!(!store.replace_password_hash(ada.id, "old", "newer").unwrap(), "the same link twice");
        assert_eq!(store.password_hash_of(&name("ada")).unwrap().unwrap().1, "new");
        assert!(!store.replace_password_hash(UserId(9999), "old", "new").unwrap());
    }
}

#[test]
fn sessions_expire_and_end() {
    for (store, _dir) in backends() {
        let ada = user(&*store, "ada");
        let bob = user(&*store, "bob");
        let now = t("2024-05-01T12:00:00Z");
        let token: &[u8] = &[0xde, 0xad, 0xbe, 0xef];
        store.create_session(token, ada.id, "csrf-1", now, now + Duration::hours(1)).unwrap();
        store.create_session(b"other", ada.id, "csrf-2", now, now + Duration::hours(3)).unwrap();
        store.create_session(b"bobs", bob.id, "csrf-3", now, now + Duration::hours(1)).unwrap();
        assert!(matches!(
            store.create_session(token, bob.id, "x", now, now + Duration::hours(1)),
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            store.create_session(b"new", UserId(9999), "x", now, now + Duration::hours(1)),
            Err(StoreError::NotFound { .. })
        ));

        let (u, s) = store.session(token, now + Duration::seconds(30)).unwrap().unwrap();
        assert_eq!((u.id, s.user, s.csrf.as_str()), (ada.id, ada.id, "csrf-1"));
        assert_eq!((s.created_at, s.expires_at, s.last_seen_at), (now, now + Duration::hours(1), now));
        // Last seen is recorded, at most once a minute.
        let later = now + Duration::minutes(10);
        assert_eq!(store.session(token, later).unwrap().unwrap().1.last_seen_at, later);
        assert_eq!(store.session(token, later + Duration::seconds(5)).unwrap().unwrap().1.last_seen_at, later);

        // Expired at exactly expires_at.
        assert!(store.session(token, now + Duration::hours(1)).unwrap().is_none());
        assert!(store.session(b"unknown", now).unwrap().is_none());
        assert_eq!(store.purge_expired_sessions(now + Duration::hours(2)).unwrap(), 2, "ada's first and bob's");
        assert!(store.session(b"other", now + Duration::hours(2)).unwrap().is_some());
        assert_eq!(store.purge_expired_sessions(now + Duration::hours(2)).unwrap(), 0);

        store.create_session(b"third", ada.id, "csrf-4", now, now + Duration::hours(3)).unwrap();
        assert!(store.delete_session(b"third").unwrap());
        assert!(!store.delete_session(b"third").unwrap());
        store.create_session(b"fourth", ada.id, "csrf-5", now, now + Duration::hours(3)).unwrap();
        assert_eq!(store.delete_user_sessions(ada.id).unwrap(), 2);
        assert!(store.session(b"other", now).unwrap().is_none());
    }
}
