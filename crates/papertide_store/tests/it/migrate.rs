//! `migrate sqlite-to-postgres`: everything arrives, reads back the same through the Store
//! trait, new rows get fresh keys, and a non-empty destination is refused. Needs the test
//! PostgreSQL server (skipped without `PAPERTIDE_TEST_POSTGRES`).

use crate::{paper, t, user};
use papertide_core::{CommentBody, FeedQuery, FeedWindow, Frequency, PaperId, Tag, Topics};
use papertide_store::migrate::{sqlite_to_postgres, TABLES};
use papertide_store::postgres::testing::TestDatabase;
use papertide_store::{SqliteStore, Store, StoreError};

#[test]
fn everything_is_copied_verified_and_reads_back_the_same() {
    let Some(db) = TestDatabase::from_env().expect("the test PostgreSQL server") else { return };
    let dir = tempfile::tempdir().unwrap();
    let src = SqliteStore::open_dir(dir.path()).unwrap();
    let now = t("2026-12-01T08:00:00Z");
    let mut tricky = paper("2401.00002", 2, "Tabs\tnew\nlines, back\\slashes and \u{1f} «ünïcode» \u{1F600}");
    tricky.comment = Some("NULL \\N \\x00 'quoted' \"double\"".into());
    src.upsert_papers(&[paper("2401.00001", 1, "First"), tricky.clone()]).unwrap();
    let (a, b): (PaperId, PaperId) = ("2401.00001".parse().unwrap(), "2401.00002".parse().unwrap());
    let ada = user(&src, "ada");
    src.create_session(b"session-hash", ada.id, "csrf", now, now + chrono::Duration::days(30)).unwrap();
    src.submit(&a, now.date_naive(), Some(ada.id), false, now).unwrap();
    src.upvote(ada.id, &a, now).unwrap();
    let comment = src.add_comment(ada.id, &a, &CommentBody::new("line one\nline two\t\\").unwrap(), now).unwrap();
    src.set_comment_hidden(comment.id, false).unwrap();
    src.put_embeddings("m", &[(src.key_of(&a).unwrap().unwrap(), vec![0.25, -1.5, f32::MIN_POSITIVE])]).unwrap();
    src.tag_paper(ada.id, &b, &"to read".parse::<Tag>().unwrap(), now).unwrap();
    src.set_not_interested(ada.id, &a, true, now).unwrap();
    let topics = Topics { categories: vec!["cs.LG".into()], ..Topics::default() };
    let (sub, _) = src.subscribe("ada@example.org", Some(ada.id), Frequency::Daily, &topics, now).unwrap();
    src.enqueue_mail(sub.id, "digest", "2026-12-01", "{\"subject\":\"x\"}", now).unwrap();
    src.put_state("harvest.cursor", "2026-11-30").unwrap();
    src.create_api_token(ada.id, "laptop", b"token-hash", "pt_ab", papertide_core::TokenScope::Write, now).unwrap();

    let dst = db.open().unwrap();
    let mut seen = Vec::new();
    let report =
        sqlite_to_postgres(&src, &dst, &mut |table, done, total| seen.push((table.to_string(), done, total))).unwrap();
    assert_eq!(report.iter().map(|r| r.table.as_str()).collect::<Vec<_>>(), TABLES);
    let rows = |name: &str| report.iter().find(|r| r.table == name).unwrap().rows;
    assert_eq!((rows("papers"), rows("users"), rows("comments"), rows("outbox")), (2, 1, 1, 1));
    assert!(seen.contains(&("papers".to_string(), 2, 2)), "{seen:?}");

    // Read back through the trait: the same papers, community, people and mail.
    assert_eq!(dst.paper(&b).unwrap().unwrap(), tricky);
    assert_eq!(dst.community(&a).unwrap(), src.community(&a).unwrap());
    assert_eq!(dst.comments(&a).unwrap(), src.comments(&a).unwrap());
    assert_eq!(dst.session(b"session-hash", now).unwrap().map(|s| s.0), Some(ada.clone()));
    let key = dst.key_of(&a).unwrap().unwrap();
    assert_eq!(dst.embedding("m", key).unwrap(), Some(vec![0.25, -1.5, f32::MIN_POSITIVE]));
    assert_eq!(dst.library(ada.id, None, 10).unwrap(), src.library(ada.id, None, 10).unwrap());
    assert_eq!(dst.signals(ada.id, 10).unwrap(), src.signals(ada.id, 10).unwrap());
    assert_eq!(dst.outbox_of(sub.id).unwrap(), src.outbox_of(sub.id).unwrap());
    assert_eq!(dst.get_state("harvest.cursor").unwrap().as_deref(), Some("2026-11-30"));
    assert_eq!(dst.api_tokens(ada.id).unwrap(), src.api_tokens(ada.id).unwrap());
    let day = FeedQuery::new(FeedWindow::Day(now.date_naive()));
    assert_eq!(dst.feed(&day, now).unwrap(), src.feed(&day, now).unwrap());
    assert_eq!(dst.max_seq().unwrap(), src.max_seq().unwrap(), "replicas resume the change feed where it was");
    assert!(dst.check().unwrap().is_ok());

    // New rows get keys after the copied ones.
    let bob = user(&dst, "bob");
    assert!(bob.id.0 > ada.id.0);
    dst.upsert_papers(&[paper("2401.00003", 1, "Third")]).unwrap();
    assert!(dst.key_of(&"2401.00003".parse().unwrap()).unwrap().unwrap() > key);

    // A second run into the now non-empty database is refused and changes nothing.
    let again = sqlite_to_postgres(&src, &dst, &mut |_, _, _| {});
    assert!(matches!(again, Err(StoreError::Conflict { .. })), "{again:?}");
    assert_eq!(dst.count_papers().unwrap(), 3);
}
