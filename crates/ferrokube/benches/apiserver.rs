//! API server figures, printed (not asserted): time from start to /readyz,
//! idle RSS, and p50/p99 of GET, LIST (1k objects) and CREATE with 64
//! concurrent clients, against the release binary on the embedded store.
//!
//! `cargo bench -p ferrokube`

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

const CLIENTS: usize = 64;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
        .unwrap_or(0)
}

fn percentiles(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    (at(0.5), at(0.99))
}

async fn run_clients<F, Fut>(client: &kube::Client, per_client: usize, request: F) -> (Vec<Duration>, Duration)
where
    F: Fn(kube::Client, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = u16> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (client, request) = (client.clone(), request.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(per_client);
                for i in 0..per_client {
                    let t = Instant::now();
                    let code = request(client.clone(), c * per_client + i).await;
                    assert!(code < 300, "request failed with {code}");
                    latencies.push(t.elapsed());
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all, started.elapsed())
}

fn report(name: &str, (latencies, elapsed): (Vec<Duration>, Duration)) {
    let count = latencies.len();
    let (p50, p99) = percentiles(latencies);
    println!(
        "{name:<28} {count:>6} requests  {:>8.0} req/s  p50 {p50:>9.2?}  p99 {p99:>9.2?}",
        count as f64 / elapsed.as_secs_f64()
    );
}

/// A CRD with a schema, a default and a CEL rule, so that every write
/// goes through validation, defaulting and the rule.
fn widget_crd() -> serde_json::Value {
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.bench.example.com"},
        "spec": {
            "group": "bench.example.com",
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {"spec": {"type": "object",
                    "x-kubernetes-validations": [{"rule": "self.size <= 100", "message": "too big"}],
                    "properties": {"size": {"type": "integer", "default": 1}, "note": {"type": "string"}}}},
            }}}],
        },
    })
}

/// Custom resources: how soon a new CRD is served, then writes and reads.
async fn custom_resources(client: &kube::Client) {
    let created = Instant::now();
    let crd = serde_json::to_vec(&widget_crd()).unwrap();
    support::raw_status(client, "POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd).await;
    while support::raw_status(client, "GET", "/apis/bench.example.com/v1/widgets", Vec::new()).await.0 != 200 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!("CRD created to its resources served: {:.2?}", created.elapsed());
    const PATH: &str = "/apis/bench.example.com/v1/namespaces/default/widgets";
    let create = |client: kube::Client, i: usize| async move {
        let body = json!({"apiVersion": "bench.example.com/v1", "kind": "Widget", "metadata": {"name": format!("w-{i:05}")}, "spec": {"note": "v".repeat(200)}});
        support::raw_status(&client, "POST", PATH, serde_json::to_vec(&body).unwrap()).await.0
    };
    report("CREATE custom resource", run_clients(client, 20, create).await);
    let get = |client: kube::Client, i: usize| async move {
        support::raw_status(&client, "GET", &format!("{PATH}/w-{:05}", i % 1280), Vec::new()).await.0
    };
    report("GET custom resource", run_clients(client, 100, get).await);
    let list = |client: kube::Client, _| async move { support::raw_status(&client, "GET", PATH, Vec::new()).await.0 };
    report("LIST 1.3k custom resources", run_clients(client, 10, list).await);
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = testkit::free_port();
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ferrokube"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--secure-port",
            &port.to_string(),
            "--max-requests-inflight",
            "0",
            "--max-mutating-requests-inflight",
            "0",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let kubeconfig = dir.path().join("admin.kubeconfig");
    runtime.block_on(async {
        while !kubeconfig.exists() || std::fs::metadata(&kubeconfig).map(|m| m.len()).unwrap_or(0) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut anonymous_config = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
        for user in &mut anonymous_config.auth_infos {
            if let Some(auth) = user.auth_info.as_mut() {
                auth.client_certificate_data = None;
                auth.client_key_data = None;
            }
        }
        let anonymous = kube::Client::try_from(kube::Config::from_custom_kubeconfig(anonymous_config, &Default::default()).await.unwrap()).unwrap();
        let ready_after = loop {
            let request = http::Request::get("/readyz").body(Vec::new()).unwrap();
            if let Ok(response) = tokio::time::timeout(Duration::from_millis(200), anonymous.send(request.map(kube::client::Body::from))).await
                && response.is_ok_and(|r| r.status().is_success())
            {
                break started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        };
        println!("== ferrokube API server (release, embedded store, {CLIENTS} concurrent clients) ==");
        println!("process start to a 200 from /readyz: {ready_after:.2?}");
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!("idle RSS: {} MiB", rss_kib(child.id()) / 1024);

        let kube_config = kube::config::Kubeconfig::read_from(&kubeconfig).unwrap();
        let config = kube::Config::from_custom_kubeconfig(kube_config, &Default::default()).await.unwrap();
        let client = kube::Client::try_from(config).unwrap();
        let create = |client: kube::Client, i: usize| async move {
            let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:05}")}, "data": {"k": "v".repeat(200)}});
            support::raw_status(&client, "POST", "/api/v1/namespaces/default/configmaps", serde_json::to_vec(&body).unwrap()).await.0
        };
        report("CREATE configmap", run_clients(&client, 50, create).await);
        let get = |client: kube::Client, i: usize| async move {
            support::raw_status(&client, "GET", &format!("/api/v1/namespaces/default/configmaps/cm-{:05}", i % 3200), Vec::new()).await.0
        };
        report("GET configmap", run_clients(&client, 100, get).await);
        let fill = |client: kube::Client, i: usize| async move {
            let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("item-{i:05}")}, "data": {"k": "v".repeat(200)}});
            support::raw_status(&client, "POST", "/api/v1/namespaces/kube-public/configmaps", serde_json::to_vec(&body).unwrap()).await.0
        };
        run_clients(&client, 1000 / CLIENTS + 1, fill).await;
        let list = |client: kube::Client, _| async move {
            support::raw_status(&client, "GET", "/api/v1/namespaces/kube-public/configmaps", Vec::new()).await.0
        };
        report("LIST 1k configmaps", run_clients(&client, 10, list).await);
        let list_any = |client: kube::Client, _| async move {
            support::raw_status(&client, "GET", "/api/v1/namespaces/kube-public/configmaps?resourceVersion=0", Vec::new()).await.0
        };
        report("LIST 1k configmaps, rv=0", run_clients(&client, 10, list_any).await);
        custom_resources(&client).await;
        println!("RSS after the load: {} MiB", rss_kib(child.id()) / 1024);
    });
    let _ = child.kill();
    let _ = child.wait();
}
