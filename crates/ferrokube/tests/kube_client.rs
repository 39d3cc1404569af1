//! kube-rs, the Rust client operators are written with, against ferrokube:
//! typed lists, patches, and a watcher feeding a reflector store.

mod support;

use std::time::Duration;

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use serde_json::json;
use support::Server;

fn configmap(name: &str, value: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": {"app": "demo"}}, "data": {"v": value}}))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kube_rs_lists_patches_and_reflects() {
    let server = Server::start();
    let client = server.client().await;
    let api: Api<ConfigMap> = Api::namespaced(client, "default");

    let (reader, writer) = reflector::store::<ConfigMap>();
    let stream = watcher(api.clone(), watcher::Config::default().labels("app=demo"))
        .default_backoff()
        .reflect(writer)
        .applied_objects();
    let watching = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        let mut seen = Vec::new();
        while let Some(Ok(cm)) = stream.next().await {
            seen.push((
                cm.metadata.name.clone().unwrap_or_default(),
                cm.data.clone().unwrap_or_default().get("v").cloned(),
            ));
            if seen.iter().any(|(n, v)| n == "b" && v.as_deref() == Some("patched")) {
                return seen;
            }
        }
        seen
    });

    for name in ["a", "b", "c"] {
        api.create(&PostParams::default(), &configmap(name, "1")).await.unwrap();
    }
    let listed = api.list(&ListParams::default().labels("app=demo").limit(2)).await.unwrap();
    assert_eq!(listed.items.len(), 2);
    assert!(listed.metadata.continue_.is_some(), "a limited list continues");
    let rest = api
        .list(
            &ListParams::default()
                .labels("app=demo")
                .limit(2)
                .continue_token(listed.metadata.continue_.as_deref().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);

    let patched =
        api.patch("b", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "patched"}}))).await.unwrap();
    assert_eq!(patched.data.unwrap()["v"], "patched");

    let seen =
        tokio::time::timeout(Duration::from_secs(20), watching).await.expect("the watcher saw the patch").unwrap();
    assert!(seen.iter().any(|(n, _)| n == "a"), "{seen:?}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while reader.state().len() < 3 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut names: Vec<String> = reader.state().iter().map(|cm| cm.metadata.name.clone().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["a", "b", "c"], "the reflector holds every object");
}
