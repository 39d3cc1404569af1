//! REST semantics generic over every resource, checked with raw requests.

mod support;

use serde_json::{Value, json};
use support::{Server, raw};

fn body(value: Value) -> Vec<u8> {
    serde_json::to_vec(&value).unwrap()
}

const CM: &str = "/api/v1/namespaces/default/configmaps";
const PODS: &str = "/api/v1/namespaces/default/pods";

fn pod(name: &str, node: Option<&str>) -> Value {
    let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {"containers": [{"name": "c", "image": "busybox"}]}});
    if let Some(node) = node {
        pod["spec"]["nodeName"] = json!(node);
    }
    pod
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_follow_upstreams_rules() {
    let server = Server::start();
    let client = server.client().await;

    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}});
    let (code, status) =
        raw(&client, "POST", "/api/v1/namespaces/nope/configmaps", "application/json", body(cm.clone())).await;
    assert_eq!((code, status["message"].as_str()), (404, Some("namespaces \"nope\" not found")), "{status}");

    let (code, dry) = raw(&client, "POST", &format!("{CM}?dryRun=All"), "application/json", body(cm.clone())).await;
    assert_eq!(code, 201, "{dry}");
    let (code, _) = raw(&client, "GET", &format!("{CM}/x"), "application/json", Vec::new()).await;
    assert_eq!(code, 404, "dryRun stores nothing");

    let generated = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}});
    let (code, created) = raw(&client, "POST", CM, "application/json", body(generated)).await;
    assert_eq!(code, 201);
    let name = created["metadata"]["name"].as_str().unwrap();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");
    assert!(created["metadata"]["uid"].is_string() && created["metadata"]["creationTimestamp"].is_string());

    let bad_label =
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "y", "labels": {"ok": "has space"}}});
    let (code, status) = raw(&client, "POST", CM, "application/json", body(bad_label)).await;
    assert_eq!((code, status["details"]["causes"][0]["field"].as_str()), (422, Some("metadata.labels")), "{status}");

    for (name, tier) in [("a", "front"), ("b", "front"), ("c", "back")] {
        let labelled =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"tier": tier}}});
        assert_eq!(raw(&client, "POST", CM, "application/json", body(labelled)).await.0, 201);
    }
    let (code, deleted) =
        raw(&client, "DELETE", &format!("{CM}?labelSelector=tier%3Dfront"), "application/json", Vec::new()).await;
    assert_eq!(code, 200, "{deleted}");
    assert_eq!(deleted["items"].as_array().unwrap().len(), 2);
    let (_, left) = raw(&client, "GET", &format!("{CM}?labelSelector=tier"), "application/json", Vec::new()).await;
    assert_eq!(left["items"][0]["metadata"]["name"], "c");

    let (code, _) = raw(&client, "DELETE", &format!("{CM}/c?dryRun=All"), "application/json", Vec::new()).await;
    assert_eq!(code, 200);
    assert_eq!(
        raw(&client, "GET", &format!("{CM}/c"), "application/json", Vec::new()).await.0,
        200,
        "a dry-run delete keeps the object"
    );

    let held = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "held", "finalizers": ["example.com/hold"]}});
    assert_eq!(raw(&client, "POST", CM, "application/json", body(held)).await.0, 201);
    let (code, pending) = raw(&client, "DELETE", &format!("{CM}/held"), "application/json", Vec::new()).await;
    assert_eq!(code, 202, "{pending}");
    assert!(pending["metadata"]["deletionTimestamp"].is_string());
    let (code, still) = raw(&client, "GET", &format!("{CM}/held"), "application/json", Vec::new()).await;
    assert_eq!((code, still["metadata"]["finalizers"][0].as_str()), (200, Some("example.com/hold")));
    let release = json!({"metadata": {"finalizers": null}});
    let (code, _) = raw(&client, "PATCH", &format!("{CM}/held"), "application/merge-patch+json", body(release)).await;
    assert_eq!(code, 200);
    assert_eq!(
        raw(&client, "GET", &format!("{CM}/held"), "application/json", Vec::new()).await.0,
        404,
        "gone once its last finalizer is removed"
    );

    assert_eq!(raw(&client, "POST", PODS, "application/json", body(pod("unbound", None))).await.0, 201);
    assert_eq!(raw(&client, "POST", PODS, "application/json", body(pod("bound", None))).await.0, 201);
    let binding = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "bound"}, "target": {"kind": "Node", "name": "node-1"}});
    assert_eq!(
        raw(&client, "POST", &format!("{PODS}/bound/binding"), "application/json", body(binding.clone())).await.0,
        201
    );
    let (code, status) =
        raw(&client, "POST", &format!("{PODS}/bound/binding"), "application/json", body(binding)).await;
    assert_eq!(code, 409, "a bound pod cannot be bound again: {status}");
    let (code, _) = raw(&client, "DELETE", &format!("{PODS}/unbound"), "application/json", Vec::new()).await;
    assert_eq!(code, 200);
    assert_eq!(
        raw(&client, "GET", &format!("{PODS}/unbound"), "application/json", Vec::new()).await.0,
        404,
        "an unbound pod goes at once"
    );
    let (code, terminating) = raw(&client, "DELETE", &format!("{PODS}/bound"), "application/json", Vec::new()).await;
    assert_eq!(code, 202, "{terminating}");
    assert_eq!(terminating["metadata"]["deletionGracePeriodSeconds"], 30, "a bound pod is deleted gracefully");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_is_written_only_through_its_subresource() {
    let server = Server::start();
    let client = server.client().await;
    let (_, created) = raw(&client, "POST", PODS, "application/json", body(pod("p", None))).await;
    assert_eq!(created["status"]["phase"], "Pending");

    let mut main = created.clone();
    main["status"]["phase"] = json!("Running");
    main["metadata"]["labels"] = json!({"touched": "yes"});
    let (code, updated) = raw(&client, "PUT", &format!("{PODS}/p"), "application/json", body(main)).await;
    assert_eq!(code, 200, "{updated}");
    assert_eq!(
        (updated["status"]["phase"].as_str(), updated["metadata"]["labels"]["touched"].as_str()),
        (Some("Pending"), Some("yes"))
    );

    let mut status = updated.clone();
    status["status"]["phase"] = json!("Running");
    status["spec"]["activeDeadlineSeconds"] = json!(5);
    let (code, updated) = raw(&client, "PUT", &format!("{PODS}/p/status"), "application/json", body(status)).await;
    assert_eq!(code, 200, "{updated}");
    assert_eq!(updated["status"]["phase"], "Running");
    assert!(updated["spec"]["activeDeadlineSeconds"].is_null(), "a status write leaves the spec alone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_in_every_representation() {
    let server = Server::start();
    let client = server.client().await;
    raw(&client, "POST", PODS, "application/json", body(pod("on-node", Some("node-1")))).await;
    raw(&client, "POST", PODS, "application/json", body(pod("elsewhere", Some("node-2")))).await;

    let (code, on_node) =
        raw(&client, "GET", &format!("{PODS}?fieldSelector=spec.nodeName%3Dnode-1"), "application/json", Vec::new())
            .await;
    assert_eq!(code, 200);
    assert_eq!(on_node["items"].as_array().unwrap().len(), 1);
    assert_eq!(on_node["kind"], "PodList");
    let (code, status) =
        raw(&client, "GET", &format!("{PODS}?fieldSelector=spec.unknown%3Dx"), "application/json", Vec::new()).await;
    assert_eq!((code, status["message"].as_str()), (400, Some("field label not supported: spec.unknown")));

    let request = http::Request::get(PODS)
        .header("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .unwrap();
    let table: Value = client.request(request).await.unwrap();
    let columns: Vec<&str> =
        table["columnDefinitions"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(&columns[..5], ["Name", "Ready", "Status", "Restarts", "Age"]);
    assert_eq!(table["rows"][0]["cells"][1], "0/1");
    assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");

    let request = http::Request::get(PODS)
        .header("accept", "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io")
        .body(Vec::new())
        .unwrap();
    let partial: Value = client.request(request).await.unwrap();
    assert_eq!(partial["kind"], "PartialObjectMetadataList");
    assert!(partial["items"][0]["spec"].is_null() && partial["items"][0]["metadata"]["name"].is_string());

    let request =
        http::Request::get(format!("{PODS}/on-node")).header("accept", "application/yaml").body(Vec::new()).unwrap();
    let yaml = client.request_text(request).await.unwrap();
    assert!(yaml.contains("kind: Pod") && yaml.contains("nodeName: node-1"), "{yaml}");

    let (code, service) =
        raw(&client, "GET", "/api/v1/namespaces/default/services/kubernetes", "application/json", Vec::new()).await;
    assert_eq!((code, service["spec"]["clusterIP"].as_str()), (200, Some("10.0.0.1")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_ips_are_allocated_once_and_released() {
    let server = Server::start();
    let client = server.client().await;
    let services = "/api/v1/namespaces/default/services";
    let service = |name: &str, ip: Option<&str>| {
        let mut s = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": {"ports": [{"port": 80}]}});
        if let Some(ip) = ip {
            s["spec"]["clusterIP"] = json!(ip);
        }
        body(s)
    };
    let (code, first) = raw(&client, "POST", services, "application/json", service("first", Some("10.0.0.50"))).await;
    assert_eq!((code, first["spec"]["clusterIPs"][0].as_str()), (201, Some("10.0.0.50")), "{first}");
    let (code, status) = raw(&client, "POST", services, "application/json", service("second", Some("10.0.0.50"))).await;
    assert_eq!(code, 422, "{status}");
    assert!(status["message"].as_str().unwrap().contains("provided IP is already allocated"));
    let (code, status) =
        raw(&client, "POST", services, "application/json", service("outside", Some("192.168.1.1"))).await;
    assert_eq!(code, 422, "{status}");
    let (code, headless) = raw(&client, "POST", services, "application/json", service("headless", Some("None"))).await;
    assert_eq!((code, headless["spec"]["clusterIP"].as_str()), (201, Some("None")));
    assert_eq!(raw(&client, "DELETE", &format!("{services}/first"), "application/json", Vec::new()).await.0, 200);
    let (code, _) = raw(&client, "POST", services, "application/json", service("second", Some("10.0.0.50"))).await;
    assert_eq!(code, 201, "the address was released with the service");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_version_and_metrics() {
    let server = Server::start();
    let client = server.client().await;
    let verbose = client.request_text(http::Request::get("/readyz?verbose").body(Vec::new()).unwrap()).await.unwrap();
    assert!(
        verbose.contains("[+]ping ok") && verbose.contains("[+]etcd ok") && verbose.contains("readyz check passed"),
        "{verbose}"
    );
    let single = client.request_text(http::Request::get("/livez/etcd").body(Vec::new()).unwrap()).await.unwrap();
    assert_eq!(single, "ok");
    let version: Value = client.request(http::Request::get("/version").body(Vec::new()).unwrap()).await.unwrap();
    assert_eq!((version["major"].as_str(), version["minor"].as_str()), (Some("1"), Some("35")));
    raw(&client, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await;
    let metrics = client.request_text(http::Request::get("/metrics").body(Vec::new()).unwrap()).await.unwrap();
    assert!(metrics.contains("apiserver_request_total{") && metrics.contains("resource=\"namespaces\""), "{metrics}");
    assert!(metrics.contains("apiserver_request_duration_seconds_bucket"));
}
