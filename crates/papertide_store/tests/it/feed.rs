//! The change feed, paper keys and stored embeddings (what the search indexes build on).

use crate::{backends, paper};

#[test]
fn change_feed_lists_inserts_and_updates_in_order() {
    for (store, _dir) in backends() {
        assert_eq!(store.max_seq().unwrap(), 0);
        store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B")]).unwrap();
        let first = store.papers_changed_since(0, 10).unwrap();
        assert_eq!(first.iter().map(|c| c.paper.id.as_str()).collect::<Vec<_>>(), ["2401.00001", "2401.00002"]);
        let cursor = first.last().unwrap().seq;
        assert_eq!(store.max_seq().unwrap(), cursor);
        assert!(store.papers_changed_since(cursor, 10).unwrap().is_empty());
        // Unchanged re-imports are not changes; a new version is.
        store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 2, "B2")]).unwrap();
        let next = store.papers_changed_since(cursor, 10).unwrap();
        assert_eq!(next.len(), 1);
        assert_eq!((next[0].paper.id.as_str(), next[0].paper.title.as_str()), ("2401.00002", "B2"));
        assert_eq!(next[0].key, first[1].key, "keys are stable across updates");
        assert_eq!(store.papers_changed_since(0, 1).unwrap().len(), 1, "limit applies");
    }
}

#[test]
fn keys_resolve_both_ways() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B")]).unwrap();
        let a = store.key_of(&"2401.00001".parse().unwrap()).unwrap().unwrap();
        let b = store.key_of(&"2401.00002".parse().unwrap()).unwrap().unwrap();
        assert!(store.key_of(&"2401.00009".parse().unwrap()).unwrap().is_none());
        let got = store.papers_by_keys(&[b, 999_999, a]).unwrap();
        assert_eq!(
            got.iter().map(|(k, p)| (*k, p.id.as_str())).collect::<Vec<_>>(),
            [(b, "2401.00002"), (a, "2401.00001")]
        );
    }
}

#[test]
fn embeddings_round_trip_and_text_changes_reopen_the_backlog() {
    for (store, _dir) in backends() {
        store.upsert_papers(&[paper("2401.00001", 1, "A"), paper("2401.00002", 1, "B")]).unwrap();
        let m = "all-MiniLM-L6-v2";
        assert_eq!(store.embedding_backlog(m).unwrap(), 2);
        let todo = store.papers_without_embedding(m, 0, 10).unwrap();
        assert_eq!(todo.len(), 2);
        let (ka, kb) = (todo[0].0, todo[1].0);
        store.put_embeddings(m, &[(ka, vec![0.5, -1.25, 3.0]), (kb, vec![1.0, 0.0, 0.0])]).unwrap();
        assert_eq!(store.embedding(m, ka).unwrap(), Some(vec![0.5, -1.25, 3.0]));
        assert_eq!(store.embedding("other-model", ka).unwrap(), None);
        assert_eq!(store.embedding_backlog(m).unwrap(), 0);
        assert!(store.papers_without_embedding(m, 0, 10).unwrap().is_empty());
        let mut all = Vec::new();
        store
            .for_each_embedding(m, &mut |k, v| {
                all.push((k, v.len()));
                Ok(())
            })
            .unwrap();
        assert_eq!(all, [(ka, 3), (kb, 3)]);
        // Same text again: the embedding stays. A new title: it must be recomputed.
        store.upsert_papers(&[paper("2401.00001", 1, "A")]).unwrap();
        assert_eq!(store.embedding_backlog(m).unwrap(), 0);
        store.upsert_papers(&[paper("2401.00001", 2, "A, revised")]).unwrap();
        assert_eq!(store.embedding(m, ka).unwrap(), None);
        assert_eq!(store.papers_without_embedding(m, 0, 10).unwrap().iter().map(|(k, _)| *k).collect::<Vec<_>>(), [ka]);
        assert_eq!(store.papers_without_embedding(m, ka, 10).unwrap().len(), 0, "after_key pages");
        // Embeddings for unknown keys are ignored, not errors.
        store.put_embeddings(m, &[(987_654, vec![1.0])]).unwrap();
        assert!(store.check().unwrap().is_ok());
    }
}
