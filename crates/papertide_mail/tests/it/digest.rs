//! The digest run over a real SQLite store: built once per subscription and period, nothing
//! for days without papers, retries with backoff, permanent failures disable an address.
//! (Delivery through a real SMTP server is in `smtp.rs` and `scripts/mail-check`.)

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use papertide_core::{Frequency, OutboxStatus, Paper, Source, Topics};
use papertide_mail::digest::{deliver, Builder, DigestConfig, FeedPicker, Period};
use papertide_mail::link::Signer;
use papertide_mail::message::OutgoingMail;
use papertide_mail::smtp::{MailError, Mailer};
use papertide_store::{SqliteStore, Store};

/// A mailer that answers from a script of outcomes and keeps what it accepted.
struct Scripted {
    outcomes: Mutex<Vec<Result<(), MailError>>>,
    accepted: Mutex<Vec<OutgoingMail>>,
}

impl Mailer for Scripted {
    fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let next = self.outcomes.lock().unwrap().pop().unwrap_or(Ok(()));
        if next.is_ok() {
            self.accepted.lock().unwrap().push(mail.clone());
        }
        next
    }
}

fn scripted(mut outcomes: Vec<Result<(), MailError>>) -> Scripted {
    outcomes.reverse();
    Scripted { outcomes: Mutex::new(outcomes), accepted: Mutex::new(Vec::new()) }
}

fn paper(id: &str, title: &str, category: &str) -> Paper {
    let mut p = Paper::new(id.parse().unwrap(), title, Source::Kaggle);
    p.abstract_text = format!("We study {title} with $O(n \\log n)$ work.");
    p.authors = vec!["Ada Lovelace".into()];
    p.categories = vec![category.into()];
    p.published = "2026-03-05T00:00:00Z".parse().ok();
    p.normalized()
}

fn setup() -> (SqliteStore, tempfile::TempDir, DateTime<Utc>) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open_dir(dir.path()).unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 3, 5).unwrap();
    let now: DateTime<Utc> = "2026-03-06T07:00:00Z".parse().unwrap();
    let papers =
        [paper("2603.00001", "Sparse attention", "cs.LG"), paper("2603.00002", "Galaxy surveys", "astro-ph.GA")];
    store.upsert_papers(&papers).unwrap();
    for p in &papers {
        store.submit(&p.id, day, None, true, now).unwrap();
    }
    (store, dir, now)
}

fn subscriber(store: &SqliteStore, email: &str, topics: Topics, now: DateTime<Utc>) -> papertide_core::Subscription {
    let (s, _) = store.subscribe(email, None, Frequency::Daily, &topics, now).unwrap();
    store.confirm_subscription(s.id, now).unwrap();
    s
}

#[test]
fn digests_are_built_once_per_period_and_hold_what_was_asked() {
    let (store, _dir, now) = setup();
    let config = DigestConfig { base_url: "https://papers.example.org".into(), ..Default::default() };
    let ml = subscriber(&store, "ml@example.org", Topics { categories: vec!["cs".into()], ..Default::default() }, now);
    let all = subscriber(&store, "all@example.org", Topics::default(), now);
    let (pending, _) = store.subscribe("pending@example.org", None, Frequency::Daily, &Topics::default(), now).unwrap();
    let signer = Signer::new(b"k".to_vec());
    let picker = FeedPicker::new(&store, &config.base_url);
    let builder = Builder { store: &store, picker: &picker, signer: &signer, config: &config };
    let period = Period::last(Frequency::Daily, now);
    let stats = builder.build(Frequency::Daily, &period, now, &mut |_| true).unwrap();
    assert_eq!((stats.built, stats.already, stats.empty), (2, 0, 0));
    let again = builder.build(Frequency::Daily, &period, now, &mut |_| true).unwrap();
    assert_eq!((again.built, again.already), (0, 2), "a rerun builds nothing twice");
    assert!(store.outbox_of(pending.id).unwrap().is_empty(), "unconfirmed: nothing");

    let mail: OutgoingMail = serde_json::from_str(&store.outbox_of(ml.id).unwrap()[0].message).unwrap();
    assert!(mail.text.contains("Sparse attention") && !mail.text.contains("Galaxy"), "{}", mail.text);
    assert!(mail.text.contains("https://papers.example.org/papers/2603.00001"));
    let everything: OutgoingMail = serde_json::from_str(&store.outbox_of(all.id).unwrap()[0].message).unwrap();
    assert!(everything.text.contains("Galaxy surveys"), "no topics: the trending feed");
    let unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.contains("https://papers.example.org/unsubscribe?token="), "{unsubscribe}");

    // A day without papers sends nothing (arXiv's weekends).
    let weekend = Period::Day(NaiveDate::from_ymd_opt(2026, 3, 7).unwrap());
    let empty = builder.build(Frequency::Daily, &weekend, now, &mut |_| true).unwrap();
    assert_eq!((empty.built, empty.empty), (0, 2));
}

#[test]
fn delivery_retries_with_backoff_and_disables_addresses_that_bounce() {
    let (store, _dir, now) = setup();
    // One at a time: the scripted answers go to the messages in the order they are sent.
    let config =
        DigestConfig { max_attempts: 3, backoff_secs: 60, disable_after: 1, concurrency: 1, ..Default::default() };
    let ok = subscriber(&store, "ok@example.org", Topics::default(), now);
    let bad = subscriber(&store, "bad@example.org", Topics::default(), now);
    let signer = Signer::new(b"k".to_vec());
    let picker = FeedPicker::new(&store, &config.base_url);
    let builder = Builder { store: &store, picker: &picker, signer: &signer, config: &config };
    builder.build(Frequency::Daily, &Period::last(Frequency::Daily, now), now, &mut |_| true).unwrap();

    let transient = || MailError::Transient { message: "421 try again".into() };
    let mailer = scripted(vec![Err(transient()), Err(MailError::Permanent { message: "550 no such user".into() })]);
    let clock = std::sync::Mutex::new(now);
    let tick = || *clock.lock().unwrap();
    let first = deliver(&store, &mailer, &config, &tick, &mut |_| true).unwrap();
    assert_eq!((first.sent, first.retried, first.failed, first.disabled), (0, 1, 1, 1));
    assert!(store.subscription(bad.id).unwrap().unwrap().disabled_at.is_some());
    let retry = &store.outbox_of(ok.id).unwrap()[0];
    assert_eq!((retry.status, retry.attempts), (OutboxStatus::Pending, 1));
    assert_eq!(retry.next_attempt_at, now + Duration::seconds(60), "first backoff");

    assert_eq!(deliver(&store, &mailer, &config, &tick, &mut |_| true).unwrap().sent, 0, "not due yet");
    *clock.lock().unwrap() = now + Duration::seconds(61);
    let second = deliver(&store, &mailer, &config, &tick, &mut |_| true).unwrap();
    assert_eq!(second.sent, 1);
    let accepted = mailer.accepted.lock().unwrap();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].to, "ok@example.org");
    assert_eq!(store.outbox_of(ok.id).unwrap()[0].status, OutboxStatus::Sent);
}

/// Counts the sends running at once; each takes 30 ms.
#[derive(Default)]
struct Slow {
    running: std::sync::atomic::AtomicUsize,
    most: std::sync::atomic::AtomicUsize,
    accepted: Mutex<Vec<String>>,
}

impl Mailer for Slow {
    fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = self.running.fetch_add(1, SeqCst) + 1;
        self.most.fetch_max(now, SeqCst);
        std::thread::sleep(std::time::Duration::from_millis(30));
        self.accepted.lock().unwrap().push(mail.to.clone());
        self.running.fetch_sub(1, SeqCst);
        Ok(())
    }
}

#[test]
fn delivery_sends_several_at_once_and_each_exactly_once() {
    let (store, _dir, now) = setup();
    let config = DigestConfig { concurrency: 3, batch: 7, ..Default::default() };
    let people: Vec<String> = (0..10).map(|i| format!("p{i}@example.org")).collect();
    for p in &people {
        subscriber(&store, p, Topics::default(), now);
    }
    let signer = Signer::new(b"k".to_vec());
    let picker = FeedPicker::new(&store, &config.base_url);
    let builder = Builder { store: &store, picker: &picker, signer: &signer, config: &config };
    builder.build(Frequency::Daily, &Period::last(Frequency::Daily, now), now, &mut |_| true).unwrap();

    let mailer = Slow::default();
    let mut asked = 0;
    let stats = deliver(&store, &mailer, &config, &|| now, &mut |_| {
        asked += 1;
        true
    })
    .unwrap();
    assert_eq!(stats.sent, 10);
    let mut got = mailer.accepted.lock().unwrap().clone();
    got.sort();
    let mut want = people.clone();
    want.sort();
    assert_eq!(got, want, "everyone once");
    assert_eq!(mailer.most.load(std::sync::atomic::Ordering::SeqCst), 3, "three at a time, never more");
    assert_eq!(asked, 4, "asked before each group: a batch of 7 in groups of 3, 3 and 1, then one of 3");
    assert_eq!(deliver(&store, &mailer, &config, &|| now, &mut |_| true).unwrap().sent, 0, "nothing left");
}
