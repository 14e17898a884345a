//! The daily feed: submissions, sorting, windows, filters and cursor pagination.

use std::collections::HashSet;

use crate::{backends, paper, t, user};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use papertide_core::{
    trending_score, FeedCursor, FeedItem, FeedQuery, FeedSort, FeedWindow, PaperId, SubmitOutcome, User,
};
use papertide_store::{FeedQueryExt, Store, StoreError};

fn id(s: &str) -> PaperId {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn window(s: &str) -> FeedWindow {
    s.parse().unwrap()
}

fn ids(items: &[FeedItem]) -> Vec<&str> {
    items.iter().map(|i| i.paper.id.as_str()).collect()
}

fn query(w: &str, sort: FeedSort) -> FeedQuery {
    let mut q = FeedQuery::new(window(w));
    q.sort = sort;
    q.limit = 100;
    q
}

/// `voters` distinct users upvote `paper`.
fn votes(store: &dyn Store, voters: &[User], paper: &str, n: usize, now: DateTime<Utc>) {
    for u in &voters[..n] {
        assert!(store.upvote(u.id, &id(paper), now).unwrap());
    }
}

#[test]
fn submit_duplicate_unknown_and_removed() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B")]).unwrap();
        let ada = store.create_user(&"Ada".parse().unwrap(), None, "h", papertide_core::Role::User).unwrap();
        let bob = user(&*store, "bob");
        let (d, now) = (date("2024-03-05"), t("2024-03-05T09:00:00Z"));
        assert_eq!(store.submit(&id("2401.00001"), d, Some(ada.id), false, now).unwrap(), SubmitOutcome::Submitted);
        match store.submit(&id("2401.00001"), d, Some(bob.id), false, now).unwrap() {
            SubmitOutcome::AlreadyOnFeed { by: Some(by) } => assert_eq!(by.as_str(), "Ada"),
            other => panic!("expected AlreadyOnFeed by Ada, got {other:?}"),
        }
        assert_eq!(store.submit(&id("2401.00002"), d, None, true, now).unwrap(), SubmitOutcome::Submitted);
        assert_eq!(
            store.submit(&id("2401.00002"), d, Some(bob.id), false, now).unwrap(),
            SubmitOutcome::AlreadyOnFeed { by: None }
        );
        match store.submit(&id("2401.09999"), d, Some(ada.id), false, now) {
            Err(StoreError::NotFound { what }) => assert!(what.contains("2401.09999"), "{what}"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        assert!(matches!(
            store.submit(&id("2401.00001"), date("2024-03-06"), Some(papertide_core::UserId(999)), false, now),
            Err(StoreError::NotFound { .. })
        ));
        let c = store.community(&id("2401.00001")).unwrap();
        assert_eq!((c.submitted_by.as_deref(), c.submitted_at), (Some("Ada"), Some(now)));

        let page = store.feed(&query("2024-03-05", FeedSort::Newest), now).unwrap();
        assert_eq!(ids(&page.items), ["2401.00001", "2401.00002"]);
        let featured = &page.items[1];
        assert!(featured.featured && featured.submitted_by.is_none());
        assert_eq!(featured.feed_date, d);

        // Removed: off the feed; submitting again brings it back, by the new submitter.
        assert!(store.remove_submission(&id("2401.00001"), d, now).unwrap());
        assert!(!store.remove_submission(&id("2401.00001"), d, now).unwrap());
        assert!(!store.remove_submission(&id("2401.09999"), d, now).unwrap());
        assert_eq!(ids(&store.feed(&query("2024-03-05", FeedSort::Newest), now).unwrap().items), ["2401.00002"]);
        assert_eq!(store.community(&id("2401.00001")).unwrap().submitted_by, None);
        let later = now + Duration::hours(1);
        assert_eq!(store.submit(&id("2401.00001"), d, Some(bob.id), false, later).unwrap(), SubmitOutcome::Submitted);
        let c = store.community(&id("2401.00001")).unwrap();
        assert_eq!((c.submitted_by.as_deref(), c.submitted_at), (Some("bob"), Some(later)));
        assert!(store.check().unwrap().is_ok());
    }
}

#[test]
fn each_sort_orders_with_paper_id_tie_breaks() {
    for (store, _dir) in backends() {
        let papers = ["2401.00001", "2401.00002", "2401.00003", "2401.00004", "2401.00005"];
        store.upsert_papers(&papers.iter().map(|p| paper(p, 1, "T")).collect::<Vec<_>>()).unwrap();
        let voters: Vec<User> = (0..5).map(|i| user(&*store, &format!("voter{i}"))).collect();
        let d = date("2024-03-05");
        let base = t("2024-03-05T00:00:00Z");
        // (paper, hours after midnight, votes): 02 and 04 tie on votes, 03 and 05 on time.
        let setup = [
            ("2401.00001", 1, 0),
            ("2401.00002", 2, 2),
            ("2401.00003", 5, 5),
            ("2401.00004", 3, 2),
            ("2401.00005", 5, 1),
        ];
        for (p, h, v) in setup {
            store.submit(&id(p), d, Some(voters[0].id), false, base + Duration::hours(h)).unwrap();
            votes(&*store, &voters, p, v, base);
        }
        let now = t("2024-03-05T12:00:00Z");
        let page = store.feed(&query("2024-03-05", FeedSort::Upvotes), now).unwrap();
        assert_eq!(ids(&page.items), ["2401.00003", "2401.00002", "2401.00004", "2401.00005", "2401.00001"]);
        assert_eq!(page.items.iter().map(|i| i.upvotes).collect::<Vec<_>>(), [5, 2, 2, 1, 0]);
        assert!(page.items.iter().all(|i| i.trending.is_none()));
        assert!(page.next_cursor.is_none());

        let page = store.feed(&query("2024-03-05", FeedSort::Newest), now).unwrap();
        assert_eq!(ids(&page.items), ["2401.00003", "2401.00005", "2401.00004", "2401.00002", "2401.00001"]);

        let page = store.feed(&query("2024-03-05", FeedSort::Trending), now).unwrap();
        let mut expected: Vec<(f64, &str)> =
            setup.iter().map(|(p, h, v)| (trending_score(*v as i64, (12 - h) as f64), *p)).collect();
        expected.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        assert_eq!(ids(&page.items), expected.iter().map(|e| e.1).collect::<Vec<_>>());
        for (item, (score, _)) in page.items.iter().zip(&expected) {
            assert_eq!(item.trending, Some(*score));
        }
        // Same votes and age: the tie is broken by paper id.
        store.upsert_papers(&[paper("2401.00006", 1, "T")]).unwrap();
        store.submit(&id("2401.00006"), d, None, true, base + Duration::hours(5)).unwrap();
        votes(&*store, &voters, "2401.00006", 1, base);
        let page = store.feed(&query("2024-03-05", FeedSort::Trending), now).unwrap();
        let pos = |p: &str| ids(&page.items).iter().position(|x| *x == p).unwrap();
        assert_eq!(pos("2401.00006"), pos("2401.00005") + 1);
        assert_eq!(page.items[pos("2401.00006")].trending, page.items[pos("2401.00005")].trending);
        // The extension runs the same query.
        assert_eq!(query("2024-03-05", FeedSort::Trending).list(&*store, now).unwrap(), page);
    }
}

#[test]
fn windows_are_utc_days_iso_weeks_and_months() {
    for (store, _dir) in backends() {
        // 2024-12-29 is the Sunday of 2024-W52; 2024-12-30 the Monday of 2025-W01;
        // 2025-01-05 its Sunday and 2025-01-06 the Monday of 2025-W02.
        let days = ["2024-12-29", "2024-12-30", "2024-12-31", "2025-01-01", "2025-01-05", "2025-01-06"];
        let papers: Vec<String> = (1..=days.len()).map(|i| format!("2501.0000{i}")).collect();
        store.upsert_papers(&papers.iter().map(|p| paper(p, 1, "T")).collect::<Vec<_>>()).unwrap();
        for (p, d) in papers.iter().zip(days) {
            // Submitted late in the evening: the feed date decides, not the time.
            store.submit(&id(p), date(d), None, true, t(&format!("{d}T23:59:59Z"))).unwrap();
        }
        let now = t("2025-02-01T00:00:00Z");
        let in_window = |w: &str| -> Vec<String> {
            let mut got: Vec<String> = store
                .feed(&query(w, FeedSort::Newest), now)
                .unwrap()
                .items
                .iter()
                .map(|i| i.feed_date.to_string())
                .collect();
            got.sort();
            got
        };
        assert_eq!(in_window("2024-12-31"), ["2024-12-31"]);
        assert_eq!(in_window("2024-W52"), ["2024-12-29"]);
        assert_eq!(in_window("2025-W01"), ["2024-12-30", "2024-12-31", "2025-01-01", "2025-01-05"]);
        assert_eq!(in_window("2025-W02"), ["2025-01-06"]);
        assert_eq!(in_window("2024-12"), ["2024-12-29", "2024-12-30", "2024-12-31"]);
        assert_eq!(in_window("2025-01"), ["2025-01-01", "2025-01-05", "2025-01-06"]);
        assert!(in_window("2025-01-02").is_empty());

        // A paper on two dates of one week is listed once, under its earliest submission.
        store.submit(&id(&papers[1]), date("2025-01-05"), None, true, t("2025-01-05T08:00:00Z")).unwrap();
        let week = store.feed(&query("2025-W01", FeedSort::Newest), now).unwrap();
        assert_eq!(week.items.len(), 4);
        let item = week.items.iter().find(|i| i.paper.id.as_str() == papers[1]).unwrap();
        assert_eq!(item.feed_date, date("2024-12-30"));

        assert_eq!(
            store.feed_dates_around(date("2025-01-02")).unwrap(),
            (Some(date("2025-01-01")), Some(date("2025-01-05")))
        );
        assert_eq!(store.feed_dates_around(date("2024-12-29")).unwrap(), (None, Some(date("2024-12-30"))));
        assert_eq!(store.feed_dates_around(date("2025-01-06")).unwrap(), (Some(date("2025-01-05")), None));
        store.remove_submission(&id(&papers[3]), date("2025-01-01"), now).unwrap();
        assert_eq!(
            store.feed_dates_around(date("2025-01-02")).unwrap().0,
            Some(date("2024-12-31")),
            "removed ones do not count"
        );
    }
}

#[test]
fn category_and_submitter_filters() {
    for (store, _dir) in backends() {
        let cats: [(&str, &[&str]); 5] = [
            ("2401.00001", &["cs.LG", "stat.ML"]),
            ("2401.00002", &["cs.CV"]),
            ("2401.00003", &["math.ST", "stat.TH"]),
            ("2401.00004", &["hep-th"]),
            ("2401.00005", &["csx.AB"]),
        ];
        let batch: Vec<_> = cats
            .iter()
            .map(|(p, c)| {
                let mut x = paper(p, 1, "T");
                x.categories = c.iter().map(|s| s.to_string()).collect();
                x
            })
            .collect();
        store.upsert_papers(&batch).unwrap();
        let ada = user(&*store, "Ada");
        let bob = user(&*store, "bob");
        let d = date("2024-03-05");
        for (i, (p, _)) in cats.iter().enumerate() {
            let by = if i % 2 == 0 { ada.id } else { bob.id };
            store.submit(&id(p), d, Some(by), false, t("2024-03-05T10:00:00Z")).unwrap();
        }
        let now = t("2024-03-06T00:00:00Z");
        let filtered = |category: Option<&str>, submitter: Option<&str>| -> Vec<String> {
            let mut q = query("2024-03-05", FeedSort::Upvotes);
            q.category = category.map(str::to_string);
            q.submitter = submitter.map(|s| s.parse().unwrap());
            store.feed(&q, now).unwrap().items.iter().map(|i| i.paper.id.to_string()).collect()
        };
        assert_eq!(filtered(Some("cs"), None), ["2401.00001", "2401.00002"]);
        assert_eq!(filtered(Some("cs.*"), None), ["2401.00001", "2401.00002"]);
        assert_eq!(filtered(Some("CS.lg"), None), ["2401.00001"]);
        assert_eq!(filtered(Some("stat"), None), ["2401.00001", "2401.00003"], "secondary categories count");
        assert_eq!(filtered(Some("stat.ML"), None), ["2401.00001"]);
        assert_eq!(filtered(Some("hep-th"), None), ["2401.00004"]);
        assert_eq!(filtered(Some("hep"), None), Vec::<String>::new(), "an archive is a whole name");
        assert_eq!(filtered(Some("  "), None).len(), 5, "a blank filter is no filter");
        assert_eq!(filtered(Some("cs' OR 1=1 --"), None), Vec::<String>::new());
        assert_eq!(filtered(Some("%"), None), Vec::<String>::new());
        assert_eq!(filtered(None, Some("ADA")), ["2401.00001", "2401.00003", "2401.00005"]);
        assert_eq!(filtered(Some("cs"), Some("bob")), ["2401.00002"]);
        assert_eq!(filtered(None, Some("nobody")), Vec::<String>::new());
    }
}

/// Walks every page of `q` with `limit`, printing and re-parsing cursors as a web client would.
fn walk(store: &dyn Store, mut q: FeedQuery, limit: usize, now: DateTime<Utc>) -> (Vec<String>, usize) {
    q.limit = limit;
    let (mut seen, mut pages) = (Vec::new(), 0);
    loop {
        let page = store.feed(&q, now + Duration::minutes(pages as i64)).unwrap();
        pages += 1;
        assert!(page.items.len() <= limit);
        seen.extend(page.items.iter().map(|i| i.paper.id.to_string()));
        match page.next_cursor {
            Some(c) => {
                assert_eq!(page.items.len(), limit, "only the last page is short");
                q.cursor = Some(c.to_string().parse::<FeedCursor>().unwrap());
            }
            None => return (seen, pages),
        }
        assert!(pages < 100, "runaway pagination");
    }
}

#[test]
fn cursor_walk_never_repeats_or_skips() {
    for (store, _dir) in backends() {
        let papers: Vec<String> = (1..=57).map(|i| format!("2402.{i:05}")).collect();
        store.upsert_papers(&papers.iter().map(|p| paper(p, 1, "T")).collect::<Vec<_>>()).unwrap();
        let voters: Vec<User> = (0..4).map(|i| user(&*store, &format!("voter{i}"))).collect();
        for (i, p) in papers.iter().enumerate() {
            // Few distinct dates, times and vote counts: many ties for every sort.
            let d = date(&format!("2024-02-{:02}", 1 + i % 3));
            store
                .submit(
                    &id(p),
                    d,
                    Some(voters[i % 4].id),
                    false,
                    t("2024-02-01T08:00:00Z") + Duration::hours((i % 5) as i64),
                )
                .unwrap();
            votes(&*store, &voters, p, i % 4, t("2024-02-03T00:00:00Z"));
        }
        let now = t("2024-02-04T00:00:00Z");
        for sort in FeedSort::ALL {
            let all = store.feed(&query("2024-02", sort), now).unwrap();
            assert_eq!(all.items.len(), 57);
            assert!(all.next_cursor.is_none());
            let (seen, pages) = walk(&*store, query("2024-02", sort), 10, now);
            assert_eq!(pages, 6, "{sort}");
            assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 57, "{sort}: no repeats");
            assert_eq!(seen, ids(&all.items), "{sort}: same order as one big page, nothing skipped");
            // Exactly one full page: no empty page after it.
            let (_, pages) = walk(&*store, query("2024-02", sort), 57, now);
            assert_eq!(pages, 1, "{sort}");
        }
        // A cursor of another sort is ignored: the first page comes back.
        let first = store.feed(&query("2024-02", FeedSort::Upvotes), now).unwrap();
        let mut q = query("2024-02", FeedSort::Newest);
        q.limit = 10;
        let cursor = store.feed(&q, now).unwrap().next_cursor.unwrap();
        let mut q = query("2024-02", FeedSort::Upvotes);
        q.cursor = Some(cursor);
        assert_eq!(store.feed(&q, now).unwrap(), first);
    }
}
