//! An operator's view of custom resources through kube-rs: the CRD of a
//! `#[derive(CustomResource)]` type is created, Established is awaited, and
//! the resources are created, listed, watched, and written through their
//! status and scale subresources.

mod support;

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{CustomResource, CustomResourceExt, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use support::Server;

/// A document that is printed a number of times.
#[derive(CustomResource, Serialize, Deserialize, Debug, Clone, JsonSchema)]
#[kube(
    group = "printing.example.com",
    version = "v1",
    kind = "Document",
    namespaced,
    status = "DocumentStatus",
    shortname = "doc",
    scale(spec_replicas_path = ".spec.copies", status_replicas_path = ".status.printed"),
    printcolumn(name = "Title", type_ = "string", json_path = ".spec.title")
)]
struct DocumentSpec {
    title: String,
    copies: i32,
}

/// What has been printed.
#[derive(Serialize, Deserialize, Debug, Clone, Default, JsonSchema)]
struct DocumentStatus {
    printed: i32,
}

#[tokio::test]
async fn a_derived_custom_resource_works_through_the_kube_client() {
    let server = Server::start();
    let client = server.client().await;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.create(&PostParams::default(), &Document::crd()).await.unwrap();
    let established = await_condition(crds.clone(), "documents.printing.example.com", conditions::is_crd_established());
    tokio::time::timeout(Duration::from_secs(10), established).await.unwrap().unwrap();

    let documents: Api<Document> = Api::namespaced(client.clone(), "default");
    let mut watch = documents.watch(&WatchParams::default(), "0").await.unwrap().boxed();
    let created = documents
        .create(
            &PostParams::default(),
            &Document::new("report", DocumentSpec { title: "Quarterly report".into(), copies: 2 }),
        )
        .await
        .unwrap();
    assert_eq!(created.spec.copies, 2);
    assert!(created.status.is_none(), "status is dropped on create");
    match tokio::time::timeout(Duration::from_secs(5), watch.try_next()).await.unwrap().unwrap() {
        Some(WatchEvent::Added(document)) => assert_eq!(document.name_any(), "report"),
        other => panic!("expected the document to be added, got {other:?}"),
    }

    let status = json!({"status": {"printed": 1}});
    let patched = documents.patch_status("report", &PatchParams::default(), &Patch::Merge(&status)).await.unwrap();
    assert_eq!(patched.status.unwrap().printed, 1);
    assert_eq!(patched.spec.copies, 2, "a status write leaves the spec alone");

    let scale = documents.get_scale("report").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(2));
    assert_eq!(scale.status.unwrap().replicas, 1);
    let more = json!({"spec": {"replicas": 5}});
    documents.patch_scale("report", &PatchParams::default(), &Patch::Merge(&more)).await.unwrap();
    assert_eq!(documents.get("report").await.unwrap().spec.copies, 5);

    let listed = documents.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.iter().map(ResourceExt::name_any).collect::<Vec<_>>(), ["report"]);

    documents.delete("report", &DeleteParams::default()).await.unwrap();
    assert!(documents.list(&ListParams::default()).await.unwrap().items.is_empty());
    crds.delete("documents.printing.example.com", &DeleteParams::default()).await.unwrap();
    let gone = await_condition(crds, "documents.printing.example.com", conditions::is_deleted(""));
    tokio::time::timeout(Duration::from_secs(10), gone).await.unwrap().unwrap();
}
