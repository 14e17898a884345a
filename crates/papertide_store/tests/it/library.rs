//! The library (tags), "not interested" clicks, and the taste signals built from them.

use crate::{backends, paper, t, user};
use chrono::Duration;
use papertide_core::{PaperId, SignalKind, Tag, UserId};
use papertide_store::StoreError;

fn tag(s: &str) -> Tag {
    s.parse().unwrap()
}

fn id(s: &str) -> PaperId {
    s.parse().unwrap()
}

#[test]
fn papers_are_saved_under_tags_listed_and_removed() {
    for (store, _dir) in backends() {
        let ada = user(&*store, "ada");
        let bob = user(&*store, "bob");
        store.upsert_papers(&[paper("2401.00001", 1, "Attention"), paper("2401.00002", 1, "Diffusion")]).unwrap();
        let now = t("2024-05-01T12:00:00Z");
        let (a, b) = (id("2401.00001"), id("2401.00002"));
        assert!(store.tag_paper(ada.id, &a, &tag("to read"), now).unwrap());
        assert!(!store.tag_paper(ada.id, &a, &tag("To  Read"), now).unwrap(), "same tag once normalised");
        assert!(store.tag_paper(ada.id, &a, &tag("attention"), now + Duration::seconds(1)).unwrap());
        assert!(store.tag_paper(ada.id, &b, &tag("to read"), now + Duration::seconds(2)).unwrap());
        assert!(matches!(store.tag_paper(ada.id, &id("2401.09999"), &tag("x"), now), Err(StoreError::NotFound { .. })));
        assert!(matches!(store.tag_paper(UserId(999), &a, &tag("x"), now), Err(StoreError::NotFound { .. })));

        let all = store.library(ada.id, None, 10).unwrap();
        let got: Vec<(String, String)> = all.iter().map(|i| (i.paper.id.to_string(), i.tag.to_string())).collect();
        assert_eq!(
            got,
            [("2401.00002", "to read"), ("2401.00001", "attention"), ("2401.00001", "to read")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert_eq!(store.library(ada.id, Some(&tag("to read")), 10).unwrap().len(), 2);
        assert_eq!(store.library(ada.id, None, 1).unwrap().len(), 1);
        assert_eq!(store.library_tags(ada.id).unwrap(), vec![(tag("attention"), 1), (tag("to read"), 2)]);
        assert!(store.library(bob.id, None, 10).unwrap().is_empty());
        assert_eq!(store.paper_marks(ada.id, &a).unwrap(), (vec![tag("attention"), tag("to read")], false));
        assert_eq!(store.paper_marks(bob.id, &a).unwrap(), (vec![], false));
        assert_eq!(store.paper_marks(ada.id, &id("2401.09999")).unwrap(), (vec![], false));

        assert!(store.untag_paper(ada.id, &a, Some(&tag("attention"))).unwrap());
        assert!(!store.untag_paper(ada.id, &a, Some(&tag("attention"))).unwrap());
        assert!(store.untag_paper(ada.id, &b, None).unwrap());
        assert!(!store.untag_paper(ada.id, &id("2401.09999"), None).unwrap());
        assert_eq!(store.library_tags(ada.id).unwrap(), vec![(tag("to read"), 1)]);
    }
}

#[test]
fn signals_hold_upvotes_saves_once_and_dismissals() {
    for (store, _dir) in backends() {
        let ada = user(&*store, "ada");
        let bob = user(&*store, "bob");
        store
            .upsert_papers(&[
                paper("2401.00001", 1, "Attention"),
                paper("2401.00002", 1, "Diffusion"),
                paper("2401.00003", 1, "Graphs"),
            ])
            .unwrap();
        let now = t("2024-05-01T12:00:00Z");
        let (a, b, c) = (id("2401.00001"), id("2401.00002"), id("2401.00003"));
        store.upvote(ada.id, &a, now).unwrap();
        store.tag_paper(ada.id, &b, &tag("later"), now + Duration::seconds(1)).unwrap();
        store.tag_paper(ada.id, &b, &tag("diffusion"), now + Duration::seconds(5)).unwrap();
        assert!(store.set_not_interested(ada.id, &c, true, now + Duration::seconds(2)).unwrap());
        assert!(!store.set_not_interested(ada.id, &c, true, now).unwrap(), "idempotent");
        assert_eq!(store.paper_marks(ada.id, &c).unwrap(), (vec![], true));
        store.upvote(bob.id, &c, now).unwrap();

        let signals = store.signals(ada.id, 10).unwrap();
        let got: Vec<(String, SignalKind, String)> =
            signals.iter().map(|s| (s.paper.to_string(), s.kind, s.title.clone())).collect();
        assert_eq!(
            got,
            vec![
                ("2401.00001".to_string(), SignalKind::Upvote, "Attention".to_string()),
                ("2401.00002".to_string(), SignalKind::Saved, "Diffusion".to_string()),
                ("2401.00003".to_string(), SignalKind::NotInterested, "Graphs".to_string()),
            ]
        );
        assert_eq!(signals[1].at, now + Duration::seconds(1), "a paper saved twice counts from its first save");
        assert_eq!(Some(signals[0].key), store.key_of(&a).unwrap());

        assert!(store.set_not_interested(ada.id, &c, false, now).unwrap());
        assert_eq!(store.signals(ada.id, 10).unwrap().len(), 2);
        assert!(matches!(store.signals(UserId(999), 10), Err(StoreError::NotFound { .. })));
    }
}
