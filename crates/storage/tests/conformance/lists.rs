//! Lists: pagination, resourceVersion semantics, selectors, compaction.

use apimachinery::{FieldSelector, LabelSelector};
use futures::StreamExt;
use storage::{
    GetOptions, ListOptions, Preconditions, ResourceVersionMatch, SelectionPredicate, StorageError, WatchOptions,
};

use crate::harness::*;

fn names(items: &[storage::Object]) -> Vec<String> {
    items.iter().map(|o| name_of(&o.data)).collect()
}

fn page(limit: usize, continue_token: Option<String>) -> ListOptions {
    ListOptions { recursive: true, limit: Some(limit), continue_token, ..Default::default() }
}

pub async fn pages_of_one_list_share_a_revision_while_writes_go_on(h: Harness) {
    let s = &h.storage;
    for i in 0..25 {
        s.create(&key(&format!("obj-{i:02}")), object(&format!("obj-{i:02}"), "old"), None).await.unwrap();
    }
    let first = s.get_list(PREFIX, &page(10, None)).await.unwrap();
    assert_eq!(names(&first.items), (0..10).map(|i| format!("obj-{i:02}")).collect::<Vec<_>>());
    assert_eq!(first.remaining_item_count, Some(15));
    let revision = first.resource_version;

    s.create(&key("obj-99"), object("obj-99", "new"), None).await.unwrap();
    s.delete(&key("obj-15"), &Preconditions::default()).await.unwrap();
    s.guaranteed_update(
        &key("obj-12"),
        &Preconditions::default(),
        false,
        update_fn(|c| Ok(with_value(&c.unwrap().data, "new"))),
    )
    .await
    .unwrap();

    let second = s.get_list(PREFIX, &page(10, first.continue_token.clone())).await.unwrap();
    assert_eq!(second.resource_version, revision);
    assert_eq!(names(&second.items), (10..20).map(|i| format!("obj-{i:02}")).collect::<Vec<_>>());
    assert!(second.items.iter().all(|o| value_of(o) == "old" && o.resource_version <= revision));
    assert_eq!(second.remaining_item_count, Some(5));
    let third = s.get_list(PREFIX, &page(10, second.continue_token.clone())).await.unwrap();
    assert_eq!(names(&third.items), (20..25).map(|i| format!("obj-{i:02}")).collect::<Vec<_>>());
    assert_eq!(third.continue_token, None);

    let now = s.get_list(PREFIX, &ListOptions { recursive: true, ..Default::default() }).await.unwrap();
    assert_eq!(now.items.len(), 25);
    assert!(names(&now.items).contains(&"obj-99".to_string()) && !names(&now.items).contains(&"obj-15".to_string()));

    let bad = s.get_list(PREFIX, &page(10, Some("garbage".into()))).await;
    assert!(matches!(bad, Err(StorageError::BadRequest(_))), "{bad:?}");
}

pub async fn resource_version_semantics_of_lists_and_gets(h: Harness) {
    let s = &h.storage;
    let a = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    s.guaranteed_update(
        &key("a"),
        &Preconditions::default(),
        false,
        update_fn(|c| Ok(with_value(&c.unwrap().data, "2"))),
    )
    .await
    .unwrap();
    let current = s.current_resource_version().await.unwrap();

    let exact = ListOptions {
        recursive: true,
        resource_version: Some(a.resource_version),
        resource_version_match: Some(ResourceVersionMatch::Exact),
        ..Default::default()
    };
    let old = s.get_list(PREFIX, &exact).await.unwrap();
    assert_eq!(old.resource_version, a.resource_version);
    assert_eq!(old.items, vec![a.clone()], "an exact list reads the past");

    let not_older = ListOptions { recursive: true, resource_version: Some(current), ..Default::default() };
    let fresh = s.get_list(PREFIX, &not_older).await.unwrap();
    assert!(fresh.resource_version >= current, "not older than the revision asked for");
    assert_eq!(value_of(&fresh.items[0]), "2");
    let older_allowed =
        ListOptions { recursive: true, resource_version: Some(a.resource_version), ..Default::default() };
    assert!(s.get_list(PREFIX, &older_allowed).await.unwrap().resource_version >= a.resource_version);

    let any = s
        .get_list(PREFIX, &ListOptions { recursive: true, resource_version: Some(0), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(any.items.len(), 1);

    let future = ListOptions { recursive: true, resource_version: Some(current + 1000), ..Default::default() };
    let err = s.get_list(PREFIX, &future).await.unwrap_err();
    assert!(matches!(err, StorageError::TooLargeResourceVersion { .. }), "{err:?}");
    let err = s
        .get(&key("a"), &GetOptions { resource_version: Some(current + 1000), ..Default::default() })
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::TooLargeResourceVersion { .. }), "{err:?}");
    let got =
        s.get(&key("a"), &GetOptions { resource_version: Some(current), ..Default::default() }).await.unwrap().unwrap();
    assert_eq!(value_of(&got), "2");

    let one = s.get_list(&key("a"), &ListOptions::default()).await.unwrap();
    assert_eq!(one.items.len(), 1, "a non-recursive list reads the one key");
}

pub async fn selectors_filter_lists(h: Harness) {
    let s = &h.storage;
    s.create(&key("web-1"), labelled("web-1", "v", &[("app", "web")], "n1"), None).await.unwrap();
    s.create(&key("web-2"), labelled("web-2", "v", &[("app", "web"), ("tier", "front")], "n2"), None).await.unwrap();
    s.create(&key("db-1"), labelled("db-1", "v", &[("app", "db")], "n1"), None).await.unwrap();
    let select = |label: &str, field: &str, limit: Option<usize>| ListOptions {
        recursive: true,
        limit,
        predicate: SelectionPredicate {
            label: LabelSelector::parse(label).unwrap(),
            field: FieldSelector::parse(field).unwrap(),
        },
        ..Default::default()
    };
    let web = s.get_list(PREFIX, &select("app=web", "", None)).await.unwrap();
    assert_eq!(names(&web.items), ["web-1", "web-2"]);
    let on_n1 = s.get_list(PREFIX, &select("", "data.node=n1", None)).await.unwrap();
    assert_eq!(names(&on_n1.items), ["db-1", "web-1"]);
    let both = s.get_list(PREFIX, &select("app in (web,db),!tier", "metadata.name!=db-1", None)).await.unwrap();
    assert_eq!(names(&both.items), ["web-1"]);
    let paged = s.get_list(PREFIX, &select("app=web", "", Some(1))).await.unwrap();
    assert_eq!(names(&paged.items), ["web-1"]);
    let rest = s
        .get_list(
            PREFIX,
            &ListOptions { continue_token: paged.continue_token.clone(), ..select("app=web", "", Some(1)) },
        )
        .await
        .unwrap();
    assert_eq!(names(&rest.items), ["web-2"]);
}

pub async fn compaction_expires_old_revisions(h: Harness) {
    let s = &h.storage;
    let first = s.create(&key("a"), object("a", "1"), None).await.unwrap();
    for i in 0..5 {
        s.create(&key(&format!("b{i}")), object(&format!("b{i}"), "1"), None).await.unwrap();
    }
    let token = s.get_list(PREFIX, &page(2, None)).await.unwrap().continue_token;
    for i in 2..5 {
        s.guaranteed_update(
            &key("a"),
            &Preconditions::default(),
            false,
            update_fn(move |c| Ok(with_value(&c.unwrap().data, &i.to_string()))),
        )
        .await
        .unwrap();
    }
    let current = s.current_resource_version().await.unwrap();
    h.backend.compact(current).await.unwrap();
    let s = h.fresh_storage().await;

    let exact = ListOptions {
        recursive: true,
        resource_version: Some(first.resource_version),
        resource_version_match: Some(ResourceVersionMatch::Exact),
        ..Default::default()
    };
    let err = s.get_list(PREFIX, &exact).await.unwrap_err();
    assert!(matches!(err, StorageError::Expired { .. }), "{err:?}");

    let err = s.get_list(PREFIX, &page(2, token)).await.unwrap_err();
    assert!(
        matches!(&err, StorageError::Expired { message } if message.contains("continue parameter is too old")),
        "{err:?}"
    );

    let old_watch =
        WatchOptions { resource_version: Some(first.resource_version), recursive: true, ..Default::default() };
    match s.watch(PREFIX, old_watch).await {
        Err(StorageError::Expired { message }) => assert!(message.contains("too old resource version"), "{message}"),
        Err(e) => panic!("unexpected error {e}"),
        Ok(mut stream) => match stream.next().await {
            Some(Err(StorageError::Expired { message })) => assert!(message.contains("too old resource version")),
            other => panic!("expected 410, got {:?}", other.map(|r| r.map(|e| e.event_type))),
        },
    }

    let recent = WatchOptions { resource_version: Some(current), recursive: true, ..Default::default() };
    let mut watch = s.watch(PREFIX, recent).await.unwrap();
    s.delete(&key("a"), &Preconditions::default()).await.unwrap();
    assert_eq!(next_change(&mut watch).await.event_type, storage::EventType::Deleted);
    let latest = s.get_list(PREFIX, &ListOptions { recursive: true, ..Default::default() }).await.unwrap();
    assert_eq!(latest.items.len(), 5, "compaction keeps the current state");
}
