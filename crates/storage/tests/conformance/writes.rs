//! Writes: create, get, update, delete, preconditions, conflicts, TTLs.

use std::sync::Arc;
use std::time::Duration;

use storage::{GetOptions, ListOptions, Preconditions, StorageError, WatchOptions};

use crate::harness::*;

pub async fn create_get_update_delete_and_their_errors(h: Harness) {
    let s = &h.storage;
    let created = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    assert!(created.resource_version > 0);
    assert_eq!(rv_in_metadata(&created.data), created.resource_version);

    let again = s.create(&key("a"), object("a", "1"), None).await;
    assert!(matches!(again, Err(StorageError::AlreadyExists { .. })), "{again:?}");

    let got = s.get(&key("a"), &GetOptions::default()).await.unwrap().unwrap();
    assert_eq!(got, created);

    let listed = s.get_list(PREFIX, &ListOptions { recursive: true, ..Default::default() }).await.unwrap();
    assert_eq!(listed.items, vec![created.clone()], "a consistent list sees the write at once");

    let missing = s.get(&key("nope"), &GetOptions::default()).await;
    assert!(matches!(missing, Err(StorageError::NotFound { .. })), "{missing:?}");
    let ignored = s.get(&key("nope"), &GetOptions { ignore_not_found: true, ..Default::default() }).await.unwrap();
    assert_eq!(ignored, None);

    let updated = s
        .guaranteed_update(
            &key("a"),
            &Preconditions::default(),
            false,
            update_fn(|cur| Ok(with_value(&cur.unwrap().data, "2"))),
        )
        .await
        .unwrap();
    assert!(updated.resource_version > created.resource_version);
    assert_eq!(value_of(&updated), "2");
    let got = s.get(&key("a"), &GetOptions::default()).await.unwrap().unwrap();
    assert_eq!(got, updated);

    let absent = s
        .guaranteed_update(&key("nope"), &Preconditions::default(), false, update_fn(|_| Ok(object("nope", "x"))))
        .await;
    assert!(matches!(absent, Err(StorageError::NotFound { .. })), "{absent:?}");
    let upserted = s
        .guaranteed_update(
            &key("new"),
            &Preconditions::default(),
            true,
            update_fn(|cur| {
                assert!(cur.is_none());
                Ok(object("new", "x"))
            }),
        )
        .await
        .unwrap();
    assert_eq!(value_of(&upserted), "x");

    let deleted = s.delete(&key("a"), &Preconditions::default()).await.unwrap();
    assert!(deleted.resource_version > upserted.resource_version, "stamped with the deletion's revision");
    assert_eq!(rv_in_metadata(&deleted.data), deleted.resource_version);
    assert_eq!(value_of(&deleted), "2", "the last state is returned");
    let gone = s.get(&key("a"), &GetOptions::default()).await;
    assert!(matches!(gone, Err(StorageError::NotFound { .. })));
    let twice = s.delete(&key("a"), &Preconditions::default()).await;
    assert!(matches!(twice, Err(StorageError::NotFound { .. })));
    assert_eq!(s.count(PREFIX).await.unwrap(), 1);
}

pub async fn preconditions_guard_updates_and_deletes(h: Harness) {
    let s = &h.storage;
    let created = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    let wrong_uid = Preconditions { uid: Some("other".into()), resource_version: None };
    let err = s.delete(&key("a"), &wrong_uid).await.unwrap_err();
    assert!(
        matches!(&err, StorageError::Conflict { message, .. } if message.contains("UID in precondition: other")),
        "{err:?}"
    );
    let wrong_rv = Preconditions { uid: None, resource_version: Some(created.resource_version + 100) };
    let err = s.delete(&key("a"), &wrong_rv).await.unwrap_err();
    assert!(
        matches!(&err, StorageError::Conflict { message, .. } if message.contains("ResourceVersion in precondition")),
        "{err:?}"
    );
    let err = s
        .guaranteed_update(&key("a"), &wrong_uid, false, update_fn(|cur| Ok(with_value(&cur.unwrap().data, "2"))))
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Conflict { .. }));
    assert_eq!(s.get(&key("a"), &GetOptions::default()).await.unwrap().unwrap(), created, "nothing was written");

    let right = Preconditions { uid: Some("uid-a".into()), resource_version: Some(created.resource_version) };
    s.delete(&key("a"), &right).await.unwrap();
}

pub async fn an_update_that_changes_nothing_keeps_the_revision(h: Harness) {
    let s = &h.storage;
    let created = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    let before = s.current_resource_version().await.unwrap();
    let same = s
        .guaranteed_update(&key("a"), &Preconditions::default(), false, update_fn(|cur| Ok(cur.unwrap().data)))
        .await
        .unwrap();
    assert_eq!(same, created);
    assert_eq!(s.current_resource_version().await.unwrap(), before);
}

pub async fn exactly_one_conflicting_writer_wins_each_round(h: Harness) {
    let s = h.storage.clone();
    s.create(&key("a"), object("a", "0"), None).await.unwrap();
    for round in 0..10 {
        let current = s.get(&key("a"), &GetOptions::default()).await.unwrap().unwrap();
        let mut writers = Vec::new();
        for writer in 0..8 {
            let s = s.clone();
            let pre = Preconditions { uid: None, resource_version: Some(current.resource_version) };
            writers.push(tokio::spawn(async move {
                let value = format!("{round}-{writer}");
                s.guaranteed_update(
                    &key("a"),
                    &pre,
                    false,
                    update_fn(move |cur| Ok(with_value(&cur.unwrap().data, &value))),
                )
                .await
            }));
        }
        let mut wins = 0;
        for writer in writers {
            match writer.await.unwrap() {
                Ok(_) => wins += 1,
                Err(StorageError::Conflict { .. }) => {}
                Err(e) => panic!("unexpected error {e}"),
            }
        }
        assert_eq!(wins, 1, "round {round}");
    }
}

pub async fn concurrent_read_modify_writes_lose_nothing(h: Harness) {
    let s = h.storage.clone();
    s.create(&key("counter"), object("counter", "0"), None).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                s.guaranteed_update(
                    &key("counter"),
                    &Preconditions::default(),
                    false,
                    update_fn(|cur| {
                        let cur = cur.unwrap();
                        let n: u64 = value_of(&cur).parse().unwrap();
                        Ok(with_value(&cur.data, &(n + 1).to_string()))
                    }),
                )
                .await
                .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let last = s.get(&key("counter"), &GetOptions::default()).await.unwrap().unwrap();
    assert_eq!(value_of(&last), "200");
}

pub async fn keys_with_a_ttl_expire(h: Harness) {
    let s = Arc::clone(&h.storage);
    let start = s.current_resource_version().await.unwrap();
    let mut watch = s
        .watch(PREFIX, WatchOptions { resource_version: Some(start), recursive: true, ..Default::default() })
        .await
        .unwrap();
    s.create(&key("short"), object("short", "1"), Some(1)).await.unwrap();
    s.create(&key("long"), object("long", "1"), None).await.unwrap();
    assert_eq!(next_change(&mut watch).await.event_type, storage::EventType::Added);
    assert_eq!(next_change(&mut watch).await.event_type, storage::EventType::Added);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = s.get(&key("short"), &GetOptions { ignore_not_found: true, ..Default::default() }).await.unwrap();
        if got.is_none() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the key outlived its TTL");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let deleted = next_change(&mut watch).await;
    assert_eq!(deleted.event_type, storage::EventType::Deleted);
    assert_eq!(name_of(&deleted.object), "short");
    assert!(s.get(&key("long"), &GetOptions::default()).await.is_ok());
}
