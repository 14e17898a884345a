//! Email subscriptions and the outbox.

use crate::{backends, t, user};
use chrono::Duration;
use papertide_core::{Frequency, OutboxStatus, Topics, UserId};
use papertide_store::StoreError;

#[test]
fn subscriptions_need_confirmation_and_restart_after_unsubscribing() {
    for (store, _dir) in backends() {
        let now = t("2026-03-05T08:00:00Z");
        let topics = Topics { categories: vec!["cs.LG".into()], ..Topics::default() };
        let (sub, confirm) = store.subscribe("Ada@Example.org", None, Frequency::Daily, &topics, now).unwrap();
        assert!(confirm && !sub.is_active());
        assert_eq!((sub.email.as_str(), &sub.topics), ("Ada@Example.org", &topics));
        assert!(store.active_subscriptions(Frequency::Daily).unwrap().is_empty(), "unconfirmed: nothing is sent");
        assert!(store.confirm_subscription(sub.id, now).unwrap());
        assert!(!store.confirm_subscription(sub.id, now).unwrap());
        assert_eq!(store.active_subscriptions(Frequency::Daily).unwrap().len(), 1);
        assert!(store.active_subscriptions(Frequency::Weekly).unwrap().is_empty());

        // The same address (any case) updates its one subscription and stays confirmed.
        let (same, confirm) =
            store.subscribe("ada@example.org", None, Frequency::Weekly, &Topics::default(), now).unwrap();
        assert_eq!((same.id, confirm, same.frequency), (sub.id, false, Frequency::Weekly));
        assert!(same.is_active());

        assert!(store.unsubscribe(sub.id, now).unwrap());
        assert!(!store.unsubscribe(sub.id, now).unwrap());
        assert!(store.active_subscriptions(Frequency::Weekly).unwrap().is_empty());
        let (back, confirm) = store.subscribe("ADA@example.org", None, Frequency::Daily, &topics, now).unwrap();
        assert_eq!((back.id, confirm, back.is_active()), (sub.id, true, false), "must confirm again");

        let ada = user(&*store, "ada");
        let (mine, _) = store.subscribe("ada2@example.org", Some(ada.id), Frequency::Daily, &topics, now).unwrap();
        assert_eq!(store.subscriptions_of(ada.id).unwrap(), vec![mine]);
        assert!(matches!(
            store.subscribe("x@example.org", Some(UserId(999)), Frequency::Daily, &topics, now),
            Err(StoreError::NotFound { .. })
        ));
    }
}

#[test]
fn the_outbox_builds_once_claims_with_a_lease_and_records_outcomes() {
    for (store, _dir) in backends() {
        let now = t("2026-03-05T08:00:00Z");
        let (a, _) = store.subscribe("a@example.org", None, Frequency::Daily, &Topics::default(), now).unwrap();
        let (b, _) = store.subscribe("b@example.org", None, Frequency::Daily, &Topics::default(), now).unwrap();
        for s in [a.id, b.id] {
            store.confirm_subscription(s, now).unwrap();
        }
        assert!(store.enqueue_mail(a.id, "digest", "2026-03-04", "{\"a\":1}", now).unwrap());
        assert!(!store.enqueue_mail(a.id, "digest", "2026-03-04", "{\"a\":2}", now).unwrap(), "built once");
        assert!(store.enqueue_mail(b.id, "digest", "2026-03-04", "{}", now).unwrap());
        assert!(store.has_mail(a.id, "digest", "2026-03-04").unwrap());
        assert!(!store.has_mail(a.id, "digest", "2026-03-05").unwrap());

        let lease = now + Duration::minutes(5);
        let claimed = store.claim_due_mail(now, lease, 10).unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(claimed.iter().all(|e| e.status == OutboxStatus::Sending && e.attempts == 1));
        assert_eq!(claimed[0].message, "{\"a\":1}");
        assert!(store.claim_due_mail(now, lease, 10).unwrap().is_empty(), "held while leased");

        store.mark_mail_sent(claimed[0].id, now).unwrap();
        store.mark_mail_failed(claimed[1].id, "421 try later", Some(now + Duration::minutes(1)), 3, now).unwrap();
        // A sender that died holding a row: due again once the lease ends.
        let later = store.claim_due_mail(now + Duration::minutes(6), now + Duration::minutes(11), 10).unwrap();
        assert_eq!(later.iter().map(|e| (e.subscription, e.attempts)).collect::<Vec<_>>(), vec![(b.id, 2)]);
        let sent = &store.outbox_of(a.id).unwrap()[0];
        assert_eq!((sent.status, sent.sent_at), (OutboxStatus::Sent, Some(now)));

        // Permanent failures disable the address after `disable_after` in a row.
        let mut disabled = false;
        for (i, period) in ["2026-03-05", "2026-03-06", "2026-03-09"].iter().enumerate() {
            let at = now + Duration::days(i as i64 + 1);
            store.enqueue_mail(b.id, "digest", period, "{}", at).unwrap();
            for e in store.claim_due_mail(at, at + Duration::minutes(5), 10).unwrap() {
                disabled |= store.mark_mail_failed(e.id, "550 no such user", None, 3, at).unwrap();
            }
        }
        assert!(disabled);
        let b_now = store.subscription(b.id).unwrap().unwrap();
        assert!(b_now.disabled_at.is_some() && !b_now.is_active());
        assert_eq!(store.active_subscriptions(Frequency::Daily).unwrap().len(), 1);

        // Digests of a subscription that unsubscribed meanwhile are not sent.
        store.enqueue_mail(a.id, "digest", "2026-03-10", "{}", now).unwrap();
        store.unsubscribe(a.id, now).unwrap();
        assert!(store.claim_due_mail(now + Duration::days(30), now + Duration::days(31), 10).unwrap().is_empty());
        assert_eq!(store.outbox_of(a.id).unwrap()[1].status, OutboxStatus::Failed);
    }
}
