//! Watches: ordering, resumption, initial state, selectors, slow watchers.

use std::time::Duration;

use apimachinery::LabelSelector;
use futures::StreamExt;
use storage::{EventType, Preconditions, SelectionPredicate, WatchOptions};

use crate::harness::*;

fn from(revision: u64) -> WatchOptions {
    WatchOptions { resource_version: Some(revision), recursive: true, ..Default::default() }
}

pub async fn watch_reports_changes_in_order_with_the_last_state_on_delete(h: Harness) {
    let s = &h.storage;
    let start = s.current_resource_version().await.unwrap();
    let mut watch = s.watch(PREFIX, from(start)).await.unwrap();
    let a1 = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    let a2 = s
        .guaranteed_update(
            &key("a"),
            &Preconditions::default(),
            false,
            update_fn(|c| Ok(with_value(&c.unwrap().data, "2"))),
        )
        .await
        .unwrap();
    let b = s.create(&key("b"), object("b", "1"), None).await.unwrap();
    let deleted = s.delete(&key("a"), &Preconditions::default()).await.unwrap();

    let expected =
        [(EventType::Added, &a1), (EventType::Modified, &a2), (EventType::Added, &b), (EventType::Deleted, &deleted)];
    for (kind, object) in expected {
        let event = next_change(&mut watch).await;
        assert_eq!((event.event_type, event.resource_version), (kind, object.resource_version));
        assert_eq!(event.object, object.data);
    }
    assert_eq!(value_of(&deleted), "2");
    assert_quiet(&mut watch).await;

    let mut one_key =
        s.watch(&key("b"), WatchOptions { resource_version: Some(start), ..Default::default() }).await.unwrap();
    assert_eq!(next_change(&mut one_key).await.resource_version, b.resource_version);
    assert_quiet(&mut one_key).await;
}

pub async fn resuming_from_every_revision_has_no_gap_and_no_duplicate(h: Harness) {
    let s = &h.storage;
    let start = s.current_resource_version().await.unwrap();
    let mut watch = s.watch(PREFIX, from(start)).await.unwrap();
    for i in 0..6 {
        s.create(&key(&format!("k{i}")), object(&format!("k{i}"), "0"), None).await.unwrap();
    }
    for i in 0..6 {
        let v = format!("u{i}");
        s.guaranteed_update(
            &key(&format!("k{}", i % 3)),
            &Preconditions::default(),
            false,
            update_fn(move |c| Ok(with_value(&c.unwrap().data, &v))),
        )
        .await
        .unwrap();
    }
    for i in 0..3 {
        s.delete(&key(&format!("k{i}")), &Preconditions::default()).await.unwrap();
    }
    let mut all = Vec::new();
    for _ in 0..15 {
        all.push(next_change(&mut watch).await);
    }
    let revisions: Vec<u64> = all.iter().map(|e| e.resource_version).collect();
    assert!(revisions.windows(2).all(|w| w[0] < w[1]), "{revisions:?}");
    for (i, seen) in all.iter().enumerate() {
        let mut resumed = s.watch(PREFIX, from(seen.resource_version)).await.unwrap();
        for expected in &all[i + 1..] {
            let event = next_change(&mut resumed).await;
            assert_eq!((event.event_type, event.resource_version), (expected.event_type, expected.resource_version));
            assert_eq!(event.object, expected.object);
        }
        assert_quiet(&mut resumed).await;
    }
}

pub async fn watch_without_revision_starts_with_the_current_state(h: Harness) {
    let s = &h.storage;
    let a = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    let b = s.create(&key("b"), object("b", "1"), None).await.unwrap();
    let mut watch = s.watch(PREFIX, WatchOptions { recursive: true, ..Default::default() }).await.unwrap();
    let mut initial = [next_change(&mut watch).await, next_change(&mut watch).await];
    initial.sort_by_key(|e| e.resource_version);
    assert!(initial.iter().all(|e| e.event_type == EventType::Added));
    assert_eq!((initial[0].object.clone(), initial[1].object.clone()), (a.data.clone(), b.data.clone()));
    let c = s.create(&key("c"), object("c", "1"), None).await.unwrap();
    let live = next_change(&mut watch).await;
    assert_eq!((live.event_type, live.resource_version), (EventType::Added, c.resource_version));

    let opts =
        WatchOptions { recursive: true, send_initial_events: Some(true), allow_bookmarks: true, ..Default::default() };
    let mut streaming = s.watch(PREFIX, opts).await.unwrap();
    let mut added = 0;
    loop {
        let event = next(&mut streaming).await;
        match event.event_type {
            EventType::Added => added += 1,
            EventType::Bookmark if event.initial_events_end => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(added, 3, "initial events, then the bookmark that ends them");

    let opts = WatchOptions { recursive: true, send_initial_events: Some(false), ..Default::default() };
    let mut from_now = s.watch(PREFIX, opts).await.unwrap();
    assert_quiet(&mut from_now).await;
}

pub async fn selectors_turn_relabels_into_added_and_deleted(h: Harness) {
    let s = &h.storage;
    let start = s.current_resource_version().await.unwrap();
    let predicate = SelectionPredicate { label: LabelSelector::parse("app=web").unwrap(), ..Default::default() };
    let mut watch = s.watch(PREFIX, WatchOptions { predicate, ..from(start) }).await.unwrap();
    s.create(&key("web"), labelled("web", "1", &[("app", "web")], ""), None).await.unwrap();
    s.create(&key("db"), labelled("db", "1", &[("app", "db")], ""), None).await.unwrap();
    let relabel =
        |labels: &'static [(&'static str, &'static str)]| update_fn(move |c| Ok(with_labels(&c.unwrap().data, labels)));
    let joined =
        s.guaranteed_update(&key("db"), &Preconditions::default(), false, relabel(&[("app", "web")])).await.unwrap();
    let left =
        s.guaranteed_update(&key("web"), &Preconditions::default(), false, relabel(&[("app", "db")])).await.unwrap();
    s.delete(&key("web"), &Preconditions::default()).await.unwrap();

    let first = next_change(&mut watch).await;
    assert_eq!((first.event_type, name_of(&first.object)), (EventType::Added, "web".into()));
    let second = next_change(&mut watch).await;
    assert_eq!((second.event_type, second.resource_version), (EventType::Added, joined.resource_version));
    let third = next_change(&mut watch).await;
    assert_eq!((third.event_type, third.resource_version), (EventType::Deleted, left.resource_version));
    assert_eq!(name_of(&third.object), "web");
    assert_eq!(parse(&third.object)["metadata"]["labels"]["app"], "web", "the last state that matched");
    assert_quiet(&mut watch).await;
}

pub async fn a_watcher_that_stops_reading_does_not_stall_the_others(h: Harness) {
    let s = h.storage.clone();
    let start = s.current_resource_version().await.unwrap();
    let mut slow = s.watch(PREFIX, from(start)).await.unwrap();
    let mut fast = s.watch(PREFIX, from(start)).await.unwrap();
    const WRITES: usize = 3000;
    let reader = tokio::spawn(async move {
        let mut revisions = Vec::with_capacity(WRITES);
        while revisions.len() < WRITES {
            revisions.push(next_change(&mut fast).await.resource_version);
        }
        revisions
    });
    let mut writers = Vec::new();
    for w in 0..16 {
        let s = s.clone();
        writers.push(tokio::spawn(async move {
            for i in (w..WRITES).step_by(16) {
                s.create(&key(&format!("o{i}")), object(&format!("o{i}"), "v"), None).await.unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let fast_revisions =
        tokio::time::timeout(Duration::from_secs(60), reader).await.expect("the fast watcher stalled").unwrap();
    assert!(fast_revisions.windows(2).all(|w| w[0] < w[1]));

    let mut slow_revisions = Vec::new();
    while let Ok(Some(item)) = tokio::time::timeout(Duration::from_secs(5), slow.next()).await {
        match item {
            Ok(event) if event.event_type == EventType::Bookmark => {}
            Ok(event) => slow_revisions.push(event.resource_version),
            Err(e) => panic!("slow watcher failed: {e}"),
        }
        if slow_revisions.len() == WRITES {
            break;
        }
    }
    assert_eq!(slow_revisions[..], fast_revisions[..slow_revisions.len()], "what the slow watcher got has no gap");
    if h.cached {
        assert!(slow_revisions.len() < WRITES, "the cache closes a watcher that falls behind");
    }
}

/// Bookmarks come from the watch cache (upstream's etcd3 watcher sends none):
/// a watch on a quiet resource learns that the store moved on.
pub async fn bookmarks_carry_the_store_revision_to_quiet_watches(h: Harness) {
    if !h.cached {
        return;
    }
    let s = &h.storage;
    let start = s.current_resource_version().await.unwrap();
    let mut watch = s.watch(PREFIX, WatchOptions { allow_bookmarks: true, ..from(start) }).await.unwrap();
    let elsewhere = match h.backend.create("/registry/secrets/default/x", object("x", "1"), None).await.unwrap() {
        storage::backend::WriteOutcome::Committed { revision, .. } => revision,
        other => panic!("{other:?}"),
    };
    loop {
        let event = next(&mut watch).await;
        assert_eq!(event.event_type, EventType::Bookmark, "nothing changed under the watched prefix");
        if event.resource_version >= elsewhere {
            break;
        }
    }
}

/// Revision 0 is a real starting point (an empty store lists at it), not
/// "from now": a cache that listed an empty store must still see the writes
/// made before its watch began.
pub async fn a_backend_watch_from_revision_zero_replays_all_history(h: Harness) {
    let first = match h.backend.create(&key("early"), object("early", "1"), None).await.unwrap() {
        storage::backend::WriteOutcome::Committed { revision, .. } => revision,
        other => panic!("{other:?}"),
    };
    let end = storage::backend::prefix_end(PREFIX);
    let mut watch = h.backend.watch(PREFIX, &end, first - 1).await.unwrap();
    let event =
        tokio::time::timeout(std::time::Duration::from_secs(10), watch.events.recv()).await.unwrap().unwrap().unwrap();
    match event {
        storage::backend::BackendEvent::Put { kv, .. } => assert_eq!(kv.mod_revision, first),
        other => panic!("expected the earlier write, got {other:?}"),
    }
}
