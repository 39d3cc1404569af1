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
    assert_eq!(raw(&client, "POST", PODS, "application/json", body(pod("legacy", None))).await.0, 201);
    let legacy = json!({"apiVersion": "v1", "kind": "Binding", "metadata": {"name": "legacy"}, "target": {"kind": "Node", "name": "node-2"}});
    let bindings = "/api/v1/namespaces/default/bindings";
    let (code, status) = raw(&client, "POST", bindings, "application/json", body(legacy)).await;
    assert_eq!(code, 201, "the top-level bindings resource binds too: {status}");
    let (_, legacy) = raw(&client, "GET", &format!("{PODS}/legacy"), "application/json", Vec::new()).await;
    assert_eq!(legacy["spec"]["nodeName"], "node-2");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantities_sent_as_numbers_are_stored_as_canonical_strings() {
    let server = Server::start();
    let client = server.client().await;
    let mut p = pod("sized", None);
    p["spec"]["containers"][0]["resources"] =
        json!({"requests": {"cpu": 0.5, "memory": 1048576}, "limits": {"cpu": "1"}});
    let (code, created) = raw(&client, "POST", PODS, "application/json", body(p)).await;
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["spec"]["containers"][0]["resources"]["requests"], json!({"cpu": "500m", "memory": "1048576"}));
    assert_eq!(created["spec"]["containers"][0]["resources"]["limits"]["cpu"], "1");

    let (code, swagger) = raw(&client, "GET", "/openapi/v2", "application/json", Vec::new()).await;
    assert_eq!(code, 200);
    assert_eq!(swagger["swagger"], "2.0");
    assert!(swagger["definitions"]["io.k8s.api.core.v1.Pod"]["x-kubernetes-group-version-kind"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_limit_get_429() {
    let server = Server::start_with(&["--max-requests-inflight", "1"]);
    let client = server.client().await;
    let creators: Vec<_> = (0..8)
        .map(|w| {
            let client = client.clone();
            tokio::spawn(async move {
                for i in (w..300).step_by(8) {
                    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i}")}, "data": {"v": "x".repeat(500)}});
                    raw(&client, "POST", CM, "application/json", body(cm)).await;
                }
            })
        })
        .collect();
    for creator in creators {
        creator.await.unwrap();
    }
    let lists: Vec<_> = (0..64)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let table = "application/json;as=Table;v=v1;g=meta.k8s.io";
                let request = http::Request::get(CM).header("accept", table).body(Vec::new()).unwrap();
                let response = client.send(request.map(kube::client::Body::from)).await.unwrap();
                (response.status().as_u16(), response.headers().get("retry-after").is_some())
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for list in lists {
        outcomes.push(list.await.unwrap());
    }
    assert!(outcomes.iter().all(|(code, _)| *code == 200 || *code == 429), "{outcomes:?}");
    assert!(
        outcomes.iter().any(|(code, retry)| *code == 429 && *retry),
        "some list was refused with Retry-After: {outcomes:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_watches_and_exits_cleanly() {
    let mut server = Server::start();
    let client = server.client().await;
    let request = http::Request::get(format!("{CM}?watch=true")).body(Vec::new()).unwrap();
    let response = client.send(request.map(kube::client::Body::from)).await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let reading = tokio::spawn(http_body_util::BodyExt::collect(response.into_body()));
    let stopping = std::time::Instant::now();
    let status = tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    assert_eq!(status.map(|s| s.success()), Some(true), "exit status 0");
    assert!(
        stopping.elapsed() < std::time::Duration::from_secs(10),
        "shutdown waited for the watch: {:?}",
        stopping.elapsed()
    );
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), reading).await;
    assert!(ended.is_ok(), "the watch stream ended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_print_upstreams_columns() {
    let server = Server::start();
    let client = server.client().await;
    let event = json!({
        "apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"},
        "involvedObject": {"kind": "Pod", "name": "web"}, "reason": "Started", "type": "Normal", "message": "Started container",
    });
    assert_eq!(raw(&client, "POST", "/api/v1/namespaces/default/events", "application/json", body(event)).await.0, 201);
    let table = server.ok(&["get", "events"]);
    assert!(table.starts_with("LAST SEEN   TYPE     REASON    OBJECT    MESSAGE"), "{table}");
    assert!(table.contains("pod/web") && table.contains("Started container"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_ports_are_allocated_once_and_released() {
    let server = Server::start();
    let client = server.client().await;
    let services = "/api/v1/namespaces/default/services";
    let service = |name: &str, kind: &str, node_port: Option<u16>| {
        let mut port = json!({"port": 80});
        if let Some(n) = node_port {
            port["nodePort"] = json!(n);
        }
        body(
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": {"type": kind, "ports": [port]}}),
        )
    };
    let (code, auto) = raw(&client, "POST", services, "application/json", service("auto", "NodePort", None)).await;
    assert_eq!(code, 201, "{auto}");
    let assigned = auto["spec"]["ports"][0]["nodePort"].as_u64().unwrap();
    assert!((30000..=32767).contains(&assigned), "{assigned}");
    let (code, status) =
        raw(&client, "POST", services, "application/json", service("clash", "NodePort", Some(assigned as u16))).await;
    assert_eq!(code, 422, "{status}");
    assert_eq!(status["details"]["causes"][0]["field"], "spec.ports[0].nodePort");
    let (code, status) =
        raw(&client, "POST", services, "application/json", service("outside", "NodePort", Some(80))).await;
    assert_eq!(code, 422, "{status}");
    let (code, status) =
        raw(&client, "POST", services, "application/json", service("plain", "ClusterIP", Some(30500))).await;
    assert_eq!(code, 422, "a ClusterIP service may not name a node port: {status}");
    assert_eq!(raw(&client, "DELETE", &format!("{services}/auto"), "application/json", Vec::new()).await.0, 200);
    let (code, reused) =
        raw(&client, "POST", services, "application/json", service("clash", "NodePort", Some(assigned as u16))).await;
    assert_eq!(code, 201, "the port was released with its service: {reused}");
    let table = server.ok(&["get", "svc", "clash"]);
    assert!(table.contains(&format!("80:{assigned}/TCP")), "{table}");

    server.ok(&["create", "service", "clusterip", "web", "--tcp=80:8080"]);
    server.ok(&["patch", "svc", "web", "-p", r#"{"spec":{"type":"NodePort"}}"#]);
    let given = server.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"]);
    assert!(
        given.parse::<u32>().is_ok_and(|p| (30000..=32767).contains(&p)),
        "a node port on becoming NodePort: {given}"
    );
    server.ok(&["patch", "svc", "web", "-p", r#"{"spec":{"type":"ClusterIP"}}"#]);
    let dropped = server.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"]);
    assert_eq!(dropped, "", "leaving NodePort drops the node port");
    let (code, status) =
        raw(&client, "POST", services, "application/json", service("taker", "NodePort", Some(given.parse().unwrap())))
            .await;
    assert_eq!(code, 201, "and releases it: {status}");
    server.ok(&["patch", "svc", "web", "-p", r#"{"spec":{"type":"ExternalName","externalName":"example.com"}}"#]);
    let table = server.ok(&["get", "svc", "web"]);
    assert!(table.contains("ExternalName   <none>       example.com"), "{table}");
}

/// Waits until the disruption controller has processed `generation` of the
/// budget at `path`.
async fn settled(client: &kube::Client, path: &str, generation: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (_, current) = raw(client, "GET", path, "application/json", Vec::new()).await;
        if current["status"]["observedGeneration"] == generation {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the budget was not processed: {current}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn evictions_honour_disruption_budgets() {
    let server = Server::start();
    let client = server.client().await;
    let budget = json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}});
    assert_eq!(
        raw(
            &client,
            "POST",
            "/apis/policy/v1/namespaces/default/poddisruptionbudgets",
            "application/json",
            body(budget)
        )
        .await
        .0,
        201
    );
    for name in ["web-1", "web-2"] {
        let mut p = pod(name, None);
        p["metadata"]["labels"] = json!({"app": "web"});
        let (_, created) = raw(&client, "POST", PODS, "application/json", body(p)).await;
        let mut running = created.clone();
        running["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
        let (code, _) = raw(&client, "PUT", &format!("{PODS}/{name}/status"), "application/json", body(running)).await;
        assert_eq!(code, 200);
    }
    let budget_path = "/apis/policy/v1/namespaces/default/poddisruptionbudgets/web";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let (_, current) = raw(&client, "GET", budget_path, "application/json", Vec::new()).await;
        if current["status"]["disruptionsAllowed"] == 1 && current["status"]["currentHealthy"] == 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the budget's status was never computed: {current}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let eviction =
        |name: &str| body(json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name}}));
    let (code, answer) =
        raw(&client, "POST", &format!("{PODS}/web-1/eviction"), "application/json", eviction("web-1")).await;
    assert_eq!(code, 201, "{answer}");
    assert_eq!(raw(&client, "GET", &format!("{PODS}/web-1"), "application/json", Vec::new()).await.0, 404);
    let (code, refused) =
        raw(&client, "POST", &format!("{PODS}/web-2/eviction"), "application/json", eviction("web-2")).await;
    assert_eq!(code, 429, "{refused}");
    assert_eq!(refused["message"], "Cannot evict pod as it would violate the pod's disruption budget.");
    assert_eq!(refused["details"]["causes"][0]["reason"], "DisruptionBudget");
    assert_eq!(
        raw(&client, "GET", &format!("{PODS}/web-2"), "application/json", Vec::new()).await.0,
        200,
        "the pod stays"
    );

    // Unready pods: evicted while the budget is met (IfHealthyBudget), or
    // always with AlwaysAllow; never counted as a disruption.
    for name in ["web-3", "web-4"] {
        let mut p = pod(name, None);
        p["metadata"]["labels"] = json!({"app": "web"});
        let (_, created) = raw(&client, "POST", PODS, "application/json", body(p)).await;
        let mut unready = created.clone();
        unready["status"] = json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}]});
        raw(&client, "PUT", &format!("{PODS}/{name}/status"), "application/json", body(unready)).await;
    }
    let (code, answer) =
        raw(&client, "POST", &format!("{PODS}/web-3/eviction"), "application/json", eviction("web-3")).await;
    assert_eq!(code, 201, "an unready pod goes while the budget is met: {answer}");
    server.ok(&["patch", "pdb", "web", "--type=merge", "-p", r#"{"spec":{"minAvailable":2}}"#]);
    settled(&client, budget_path, 2).await;
    let (code, _) =
        raw(&client, "POST", &format!("{PODS}/web-4/eviction"), "application/json", eviction("web-4")).await;
    assert_eq!(code, 429, "an unready pod stays while the budget is not met");
    let always = r#"{"spec":{"unhealthyPodEvictionPolicy":"AlwaysAllow"}}"#;
    server.ok(&["patch", "pdb", "web", "--type=merge", "-p", always]);
    settled(&client, budget_path, 3).await;
    let (code, answer) =
        raw(&client, "POST", &format!("{PODS}/web-4/eviction"), "application/json", eviction("web-4")).await;
    assert_eq!(code, 201, "AlwaysAllow evicts unready pods: {answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_ips_are_claimed_as_ipaddress_objects() {
    let server = Server::start();
    let cidrs = server.ok(&["get", "servicecidrs", "kubernetes", "-o", "jsonpath={.spec.cidrs[0]}"]);
    assert_eq!(cidrs, "10.0.0.0/24");
    let first = server.ok(&["get", "ipaddress", "10.0.0.1", "-o", "jsonpath={.spec.parentRef.name}"]);
    assert_eq!(first, "kubernetes");

    server.ok(&["create", "service", "clusterip", "web", "--tcp=80"]);
    let ip = server.ok(&["get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"]);
    let holder = server.ok(&["get", "ipaddress", &ip]);
    assert!(holder.contains("services/default/web"), "{holder}");
    server.ok(&["delete", "svc", "web"]);
    assert!(server.fails(&["get", "ipaddress", &ip]).contains("NotFound"), "released with the service");

    // An address claimed elsewhere (as another API server on the same etcd
    // would claim it) is not handed out here.
    let claimed = "apiVersion: networking.k8s.io/v1\nkind: IPAddress\nmetadata: {name: 10.0.0.77}\nspec: {parentRef: {resource: services, namespace: other, name: elsewhere}}";
    assert!(server.kubectl_stdin(&["create", "-f", "-"], claimed).status.success());
    let error = server.fails(&["create", "service", "clusterip", "taker", "--tcp=80", "--clusterip=10.0.0.77"]);
    assert!(error.contains("failed to allocate IP 10.0.0.77: provided IP is already allocated"), "{error}");
}
