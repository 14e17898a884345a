//! Upvotes, comments, the counters they keep in `paper_community`, and user activity.

use std::collections::HashSet;

use crate::{backends, paper, t, user};
use chrono::Duration;
use papertide_core::{CommentBody, CommentId, FeedQuery, FeedWindow, PaperId, Role};
use papertide_store::StoreError;

fn id(s: &str) -> PaperId {
    s.parse().unwrap()
}

fn body(s: &str) -> CommentBody {
    CommentBody::new(s).unwrap()
}

#[test]
fn upvotes_are_idempotent_and_counted() {
    for (store, _dir) in backends() {
        store
            .upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B"), paper("2401.00003", 1, "C")])
            .unwrap();
        let (ada, bob) = (user(&*store, "ada"), user(&*store, "bob"));
        let (a, now) = (id("2401.00001"), t("2024-03-05T10:00:00Z"));
        assert!(store.upvote(ada.id, &a, now).unwrap());
        assert!(!store.upvote(ada.id, &a, now).unwrap(), "a second vote changes nothing");
        assert_eq!(store.community(&a).unwrap().upvotes, 1);
        assert!(store.upvote(bob.id, &a, now).unwrap());
        assert!(store.upvote(bob.id, &id("2401.00002"), now).unwrap());
        assert_eq!(store.community(&a).unwrap().upvotes, 2);
        let asked = [id("2401.00001"), id("2401.00002"), id("2401.00003"), id("2401.09999")];
        assert_eq!(store.has_upvoted(ada.id, &asked).unwrap(), HashSet::from([a.clone()]));
        assert_eq!(store.has_upvoted(bob.id, &asked).unwrap(), HashSet::from([a.clone(), id("2401.00002")]));
        assert!(store.remove_upvote(ada.id, &a).unwrap());
        assert!(!store.remove_upvote(ada.id, &a).unwrap());
        assert!(!store.remove_upvote(ada.id, &id("2401.09999")).unwrap());
        assert_eq!(store.community(&a).unwrap().upvotes, 1);
        assert!(matches!(store.upvote(ada.id, &id("2401.09999"), now), Err(StoreError::NotFound { .. })));
        assert!(matches!(store.upvote(papertide_core::UserId(999), &a, now), Err(StoreError::NotFound { .. })));

        // The feed shows the same counts; an unsubmitted paper can be voted on but is not listed.
        store.submit(&a, now.date_naive(), Some(ada.id), false, now).unwrap();
        let page = store.feed(&FeedQuery::new(FeedWindow::Day(now.date_naive())), now).unwrap();
        assert_eq!(
            page.items.iter().map(|i| (i.paper.id.as_str(), i.upvotes)).collect::<Vec<_>>(),
            [("2401.00001", 1)]
        );
        // Re-importing a paper keeps its votes.
        store.upsert_papers(&[paper("2401.00001", 2, "A, revised")]).unwrap();
        assert_eq!(store.community(&a).unwrap().upvotes, 1);
        assert!(store.check().unwrap().is_ok());
    }
}

#[test]
fn only_the_author_edits_or_deletes_a_comment() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
        let (ada, bob) = (user(&*store, "ada"), user(&*store, "bob"));
        let (a, now) = (id("2401.00001"), t("2024-03-05T10:00:00Z"));
        let c = store.add_comment(ada.id, &a, &body("First!"), now).unwrap();
        assert_eq!(
            (c.author.as_str(), c.author_id, c.body_markdown.as_str(), c.edited_at),
            ("ada", ada.id, "First!", None)
        );
        assert!(c.is_visible());
        match store.edit_comment(c.id, bob.id, &body("hijacked"), now) {
            Err(StoreError::Forbidden { what }) => assert!(what.contains(&c.id.to_string()), "{what}"),
            other => panic!("expected Forbidden, got {other:?}"),
        }
        assert!(matches!(store.delete_comment(c.id, bob.id), Err(StoreError::Forbidden { .. })));
        let later = now + Duration::minutes(5);
        let edited = store.edit_comment(c.id, ada.id, &body("First, edited."), later).unwrap();
        assert_eq!(
            (edited.body_markdown.as_str(), edited.edited_at, edited.created_at),
            ("First, edited.", Some(later), now)
        );
        assert_eq!(store.comment(c.id).unwrap().as_ref(), Some(&edited));

        store.delete_comment(c.id, ada.id).unwrap();
        let gone = store.comment(c.id).unwrap().unwrap();
        assert!(gone.deleted && gone.body_markdown.is_empty() && !gone.is_visible());
        assert!(matches!(store.edit_comment(c.id, ada.id, &body("back"), later), Err(StoreError::Forbidden { .. })));
        assert_eq!(store.community(&a).unwrap().comment_count, 0);

        let missing = CommentId(9999);
        assert!(matches!(store.edit_comment(missing, ada.id, &body("x"), now), Err(StoreError::NotFound { .. })));
        assert!(matches!(store.delete_comment(missing, ada.id), Err(StoreError::NotFound { .. })));
        assert!(matches!(store.set_comment_hidden(missing, true), Err(StoreError::NotFound { .. })));
        assert!(matches!(
            store.add_comment(ada.id, &id("2401.09999"), &body("x"), now),
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(store.comment(missing).unwrap(), None);
    }
}

#[test]
fn hidden_and_deleted_comments_are_listed_flagged_but_not_counted() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
        let (ada, bob) = (user(&*store, "ada"), user(&*store, "bob"));
        let admin = user(&*store, "admin");
        store.set_role(admin.id, Role::Admin).unwrap();
        let (a, now) = (id("2401.00001"), t("2024-03-05T10:00:00Z"));
        let c1 = store.add_comment(ada.id, &a, &body("one"), now).unwrap();
        let c2 = store.add_comment(bob.id, &a, &body("two"), now + Duration::seconds(1)).unwrap();
        let c3 = store.add_comment(ada.id, &a, &body("three"), now + Duration::seconds(2)).unwrap();
        assert_eq!(store.community(&a).unwrap().comment_count, 3);
        store.set_comment_hidden(c2.id, true).unwrap();
        assert_eq!(store.community(&a).unwrap().comment_count, 2);
        store.delete_comment(c3.id, ada.id).unwrap();
        assert_eq!(store.community(&a).unwrap().comment_count, 1);
        let listed = store.comments(&a).unwrap();
        assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [c1.id, c2.id, c3.id], "oldest first");
        assert_eq!(
            listed.iter().map(|c| (c.hidden, c.deleted)).collect::<Vec<_>>(),
            [(false, false), (true, false), (false, true)]
        );
        assert_eq!(listed[1].body_markdown, "two", "hidden bodies are kept for admins");
        store.set_comment_hidden(c2.id, false).unwrap();
        assert_eq!(store.community(&a).unwrap().comment_count, 2);
        store.set_comment_hidden(c2.id, false).unwrap();
        assert_eq!(store.community(&a).unwrap().comment_count, 2, "showing twice is harmless");

        store.submit(&a, now.date_naive(), None, true, now).unwrap();
        let page = store.feed(&FeedQuery::new(FeedWindow::Day(now.date_naive())), now).unwrap();
        assert_eq!(page.items[0].comment_count, 2);
        assert!(store.comments(&id("2401.09999")).unwrap().is_empty());
        assert!(store.check().unwrap().is_ok());
    }
}

#[test]
fn sql_meta_characters_are_stored_verbatim() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
        let email = "o'brien+\"x\"@example.org; DROP TABLE users; --";
        let hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$'%_\\";
        let u = store.create_user(&"O_Brien-1".parse().unwrap(), Some(email), hash, Role::User).unwrap();
        let (found, stored_hash) = store.password_hash_of(&"o_brien-1".parse().unwrap()).unwrap().unwrap();
        assert_eq!((found.email.as_deref(), stored_hash.as_str()), (Some(email), hash));
        let text = "Robert'); DROP TABLE comments; --\n%_\\ \"quoted\" `code` \u{1F600} ?1 :name $1";
        let c = store.add_comment(u.id, &id("2401.00001"), &body(text), t("2024-03-05T10:00:00Z")).unwrap();
        assert_eq!(store.comment(c.id).unwrap().unwrap().body_markdown, text);
        assert_eq!(store.comments(&id("2401.00001")).unwrap()[0].body_markdown, text);
        let token = b"'; DELETE FROM sessions; --\x00\xff";
        let now = t("2024-03-05T10:00:00Z");
        store.create_session(token, u.id, "csrf'\"", now, now + Duration::hours(1)).unwrap();
        assert_eq!(store.session(token, now).unwrap().unwrap().1.csrf, "csrf'\"");
        assert_eq!(store.count_users().unwrap(), 1);
    }
}

#[test]
fn user_activity_is_newest_first_and_limited() {
    for (store, _dir) in backends() {
        let papers: Vec<String> = (1..=4).map(|i| format!("2401.0000{i}")).collect();
        store.upsert_papers(&papers.iter().map(|p| paper(p, 1, "T")).collect::<Vec<_>>()).unwrap();
        let (ada, bob) = (user(&*store, "ada"), user(&*store, "bob"));
        let base = t("2024-03-05T10:00:00Z");
        for (i, p) in papers.iter().enumerate() {
            let at = base + Duration::hours(i as i64);
            store.submit(&id(p), at.date_naive(), Some(ada.id), false, at).unwrap();
            store.upvote(ada.id, &id(p), at).unwrap();
            store.add_comment(ada.id, &id(p), &body(&format!("on {p}")), at).unwrap();
        }
        store.upvote(bob.id, &id(&papers[0]), base).unwrap();
        store.remove_submission(&id(&papers[3]), base.date_naive(), base).unwrap();
        let hidden = store.comments(&id(&papers[2])).unwrap()[0].id;
        store.set_comment_hidden(hidden, true).unwrap();

        let act = store.user_activity(ada.id, 2).unwrap();
        let sub: Vec<&str> = act.submissions.iter().map(|s| s.paper.id.as_str()).collect();
        assert_eq!(sub, ["2401.00003", "2401.00002"], "removed submissions are left out");
        assert_eq!(act.submissions[0].feed_date, base.date_naive());
        assert_eq!(act.submissions[0].submitted_at, base + Duration::hours(2));
        let up: Vec<&str> = act.upvoted.iter().map(|u| u.paper.id.as_str()).collect();
        assert_eq!(up, ["2401.00004", "2401.00003"]);
        assert_eq!(act.upvoted[0].upvoted_at, base + Duration::hours(3));
        let com: Vec<&str> = act.comments.iter().map(|c| c.body_markdown.as_str()).collect();
        assert_eq!(com, ["on 2401.00004", "on 2401.00002"], "hidden comments are left out");

        let bobs = store.user_activity(bob.id, 10).unwrap();
        assert_eq!((bobs.submissions.len(), bobs.upvoted.len(), bobs.comments.len()), (0, 1, 0));
        assert!(matches!(store.user_activity(papertide_core::UserId(999), 10), Err(StoreError::NotFound { .. })));
    }
}
