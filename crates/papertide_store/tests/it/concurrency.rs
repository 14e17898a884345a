//! Several writers at once (PostgreSQL's case: several web replicas; SQLite serialises them):
//! leases go to one holder, counters stay exact, and the change feed never skips a paper.

use std::collections::HashSet;
use std::time::Duration;

use crate::{backends, paper, t, user};
use chrono::Duration as Span;
use papertide_core::PaperId;

#[test]
fn a_lease_has_one_holder_until_it_expires_or_is_released() {
    for (store, _guard) in backends() {
        let (now, ttl) = (t("2026-12-01T08:00:00Z"), Duration::from_secs(30));
        assert!(store.try_lease("mail", "a", now, ttl).unwrap());
        assert!(!store.try_lease("mail", "b", now + Span::seconds(10), ttl).unwrap(), "held by a");
        assert!(store.try_lease("mail", "a", now + Span::seconds(20), ttl).unwrap(), "a renews");
        assert!(!store.try_lease("mail", "b", now + Span::seconds(49), ttl).unwrap(), "renewed until :50");
        assert!(store.try_lease("other", "b", now, ttl).unwrap(), "leases are independent");
        assert!(store.try_lease("mail", "b", now + Span::seconds(50), ttl).unwrap(), "expired: b takes over");
        assert!(!store.try_lease("mail", "a", now + Span::seconds(51), ttl).unwrap());
        store.release_lease("mail", "a").unwrap();
        assert!(!store.try_lease("mail", "a", now + Span::seconds(52), ttl).unwrap(), "only the holder releases");
        store.release_lease("mail", "b").unwrap();
        assert!(store.try_lease("mail", "a", now + Span::seconds(53), ttl).unwrap(), "released: free at once");
    }
}

#[test]
fn many_racing_claims_of_a_lease_give_it_to_exactly_one() {
    for (store, _guard) in backends() {
        let now = t("2026-12-01T08:00:00Z");
        let winners: usize = std::thread::scope(|s| {
            let store = &*store;
            let handles: Vec<_> = (0..8)
                .map(|i| s.spawn(move || store.try_lease("digest", &format!("r{i}"), now, Duration::from_secs(60))))
                .collect();
            handles.into_iter().map(|h| usize::from(h.join().unwrap().unwrap())).sum()
        });
        assert_eq!(winners, 1);
    }
}

#[test]
fn concurrent_votes_and_comments_keep_the_counters_exact() {
    for (store, _guard) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B")]).unwrap();
        let users: Vec<_> = (0..24).map(|i| user(&*store, &format!("user{i}"))).collect();
        let (a, b): (PaperId, PaperId) = ("2401.00001".parse().unwrap(), "2401.00002".parse().unwrap());
        let now = t("2026-12-01T08:00:00Z");
        std::thread::scope(|s| {
            for chunk in users.chunks(4) {
                let (store, a, b) = (&*store, &a, &b);
                s.spawn(move || {
                    for u in chunk {
                        store.upvote(u.id, a, now).unwrap();
                        store.upvote(u.id, b, now).unwrap();
                        let body = papertide_core::CommentBody::new(format!("from {}", u.name)).unwrap();
                        store.add_comment(u.id, a, &body, now).unwrap();
                        store.remove_upvote(u.id, b).unwrap();
                    }
                });
            }
        });
        assert_eq!(store.community(&a).unwrap().upvotes, 24);
        assert_eq!(store.community(&a).unwrap().comment_count, 24);
        assert_eq!(store.community(&b).unwrap().upvotes, 0);
        assert!(store.check().unwrap().is_ok(), "{:?}", store.check().unwrap());
    }
}

#[test]
fn a_follower_of_the_change_feed_never_skips_a_paper_written_concurrently() {
    for (store, _guard) in backends() {
        const WRITERS: usize = 4;
        const BATCHES: usize = 15;
        const PER_BATCH: usize = 20;
        let done = std::sync::atomic::AtomicUsize::new(0);
        let seen = std::thread::scope(|s| {
            let (store, done) = (&*store, &done);
            for w in 0..WRITERS {
                s.spawn(move || {
                    // Counts this writer as done even when it panics, so the follower stops
                    // and the scope re-raises the panic instead of the test spinning forever.
                    let _done = DoneOnDrop(done);
                    for b in 0..BATCHES {
                        let batch: Vec<_> = (0..PER_BATCH)
                            .map(|i| paper(&format!("2401.{:05}", (w * BATCHES + b) * PER_BATCH + i), 1, "T"))
                            .collect();
                        store.upsert_papers(&batch).unwrap();
                    }
                });
            }
            // The follower: reads after its cursor, as a replica's indexer does.
            let mut cursor = 0;
            let mut seen = HashSet::new();
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS;
                for change in store.papers_changed_since(cursor, 50).unwrap() {
                    assert!(change.seq > cursor);
                    cursor = change.seq;
                    assert!(seen.insert(change.paper.id.clone()), "{} twice", change.paper.id);
                }
                if finished && store.papers_changed_since(cursor, 1).unwrap().is_empty() {
                    break seen;
                }
            }
        });
        assert_eq!(seen.len(), WRITERS * BATCHES * PER_BATCH, "the follower missed papers");
    }
}

#[test]
fn shared_rate_limits_count_every_hit_of_a_window_once() {
    for (store, _guard) in backends() {
        let w1 = t("2026-12-01T08:00:00Z");
        let counted: Vec<u64> = std::thread::scope(|s| {
            let store = &*store;
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(move || (0..25).map(|_| store.rate_limit_hit("signin", "10.0.0.1", w1).unwrap()).max())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap().unwrap()).collect()
        });
        assert_eq!(counted.into_iter().max(), Some(200), "every hit counted once");
        assert_eq!(store.rate_limit_hit("signin", "10.0.0.2", w1).unwrap(), 1, "keys are separate");
        assert_eq!(store.rate_limit_hit("post", "10.0.0.1", w1).unwrap(), 1, "actions are separate");
        assert_eq!(store.rate_limit_hit("signin", "10.0.0.1", w1 + Span::seconds(60)).unwrap(), 1, "a new window");
    }
}

/// Adds one to the counter when dropped (at the end of a thread, or when it unwinds).
struct DoneOnDrop<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for DoneOnDrop<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
