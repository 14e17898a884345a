//! Backend-independent behaviour of papers in the store.

use crate::{backends, paper};
use papertide_core::{Paper, PaperId, Source};
use papertide_store::UpsertStats;

#[test]
fn insert_read_back_and_reimport_is_a_no_op() {
    for (store, _dir) in backends() {
        let mut doi = Paper::new(
            "doi:10.1145/359340.359342".parse().unwrap(),
            "A Method for Obtaining Digital Signatures",
            Source::Local,
        );
        doi.authors = vec!["R. L. Rivest".into()];
        let batch = vec![paper("2401.01234", 1, "First"), paper("hep-th/9901001", 3, "Second"), doi.normalized()];
        let s = store.upsert_papers(&batch).unwrap();
        assert_eq!(s, UpsertStats { inserted: 3, ..Default::default() });
        for p in &batch {
            assert_eq!(store.paper(&p.id).unwrap().as_ref(), Some(p));
        }
        let again = store.upsert_papers(&batch).unwrap();
        assert_eq!(again, UpsertStats { unchanged: 3, ..Default::default() });
        assert_eq!(store.count_papers().unwrap(), 3);
        assert!(store.paper(&"2401.99999".parse().unwrap()).unwrap().is_none());
    }
}

#[test]
fn newer_version_updates_in_place_and_older_is_ignored() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.01234", 1, "Old title")]).unwrap();
        let mut v2 = paper("2401.01234", 2, "New title");
        v2.abstract_text = String::new();
        v2.updated = "2024-03-01T00:00:00Z".parse().ok();
        let s = store.upsert_papers(&[v2]).unwrap();
        assert_eq!(s.updated, 1);
        let got = store.paper(&"2401.01234".parse().unwrap()).unwrap().unwrap();
        assert_eq!((got.title.as_str(), got.version), ("New title", 2));
        assert_eq!(got.abstract_text, "Abstract of 2401.01234.", "fields the update lacks are kept");
        let s = store.upsert_papers(&[paper("2401.01234", 1, "Old title")]).unwrap();
        assert_eq!(s.stale, 1);
        assert_eq!(store.paper(&got.id).unwrap().unwrap().title, "New title");
        assert_eq!(store.count_papers().unwrap(), 1);
    }
}

#[test]
fn duplicates_within_one_batch_merge() {
    for (store, _dir) in backends() {
        let s = store
            .upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00001", 2, "B"), paper("2401.00001", 2, "B")])
            .unwrap();
        assert_eq!(s, UpsertStats { inserted: 1, updated: 1, unchanged: 1, stale: 0 });
        assert_eq!(store.count_papers().unwrap(), 1);
    }
}

#[test]
fn for_each_streams_in_id_order_and_stats_count() {
    for (store, _dir) in backends() {
        let ids = ["2401.00003", "2401.00001", "hep-th/9901001", "2401.00002"];
        let batch: Vec<Paper> = ids.iter().map(|id| paper(id, 1, "T")).collect();
        store.upsert_papers(&batch).unwrap();
        let mut seen: Vec<PaperId> = Vec::new();
        store
            .for_each_paper(&mut |p| {
                seen.push(p.id);
                Ok(())
            })
            .unwrap();
        let mut sorted = seen.clone();
        sorted.sort();
        assert_eq!(seen, sorted);
        assert_eq!(seen.len(), 4);
        let stats = store.stats().unwrap();
        assert_eq!(stats.papers, 4);
        assert_eq!(stats.by_source.get("kaggle"), Some(&4));
        assert_eq!(stats.by_primary_category.get("cs.LG"), Some(&4));
        assert!(stats.database_bytes > 0);
        assert_eq!(stats.earliest_published, "2024-01-02T03:04:05Z".parse().ok());
        assert!(store.check().unwrap().is_ok());
    }
}

#[test]
fn state_round_trips() {
    for (store, _dir) in backends() {
        assert_eq!(store.get_state("harvest.oai").unwrap(), None);
        store.put_state("harvest.oai", "{\"token\":\"a\"}").unwrap();
        store.put_state("harvest.oai", "{\"token\":\"b\"}").unwrap();
        assert_eq!(store.get_state("harvest.oai").unwrap().as_deref(), Some("{\"token\":\"b\"}"));
    }
}

#[test]
fn community_is_zero_for_unsubmitted_papers() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
        let c = store.community(&"2401.00001".parse().unwrap()).unwrap();
        assert_eq!((c.upvotes, c.comment_count, c.submitted_by), (0, 0, None));
    }
}
