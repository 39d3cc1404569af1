//! A two-version CRD converted by a webhook: a small HTTPS conversion
//! server started by the test renames `spec.host` (v1) to `spec.hostname`
//! (v2). It is reached by URL, and by a Service whose Endpoints point at it.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use support::Server;

/// Renames the field between the versions, as a conversion webhook does.
fn convert(mut object: Value, desired: &str) -> Value {
    let spec = object["spec"].as_object_mut().expect("spec");
    if desired.ends_with("/v2") {
        if let Some(host) = spec.remove("host") {
            spec.insert("hostname".into(), host);
        }
    } else if let Some(host) = spec.remove("hostname") {
        spec.insert("host".into(), host);
    }
    object["apiVersion"] = json!(desired);
    object
}

fn review_response(review: &Value) -> Value {
    let desired = review["request"]["desiredAPIVersion"].as_str().unwrap();
    let objects: Vec<Value> =
        review["request"]["objects"].as_array().unwrap().iter().map(|o| convert(o.clone(), desired)).collect();
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "response": {"uid": review["request"]["uid"], "convertedObjects": objects, "result": {"status": "Success"}},
    })
}

/// Starts the conversion server with a self-signed certificate for
/// 127.0.0.1 and `converter.default.svc`; returns its port, its CA (the
/// certificate itself) and the count of reviews it answered.
async fn start_webhook() -> (u16, String, Arc<AtomicUsize>) {
    let (acceptor, cert_pem) = support::self_signed_tls(&["converter.default.svc", "127.0.0.1"]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let reviews = Arc::new(AtomicUsize::new(0));
    let counted = reviews.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let (acceptor, counted) = (acceptor.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let counted = counted.clone();
                    async move {
                        let body = request.into_body().collect().await?.to_bytes();
                        let review: Value = serde_json::from_slice(&body).unwrap();
                        counted.fetch_add(1, Ordering::SeqCst);
                        let answer = serde_json::to_vec(&review_response(&review)).unwrap();
                        Ok::<_, hyper::Error>(hyper::Response::new(Full::new(bytes::Bytes::from(answer))))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (port, cert_pem, reviews)
}

fn crd(group: &str, client_config: Value) -> String {
    let version = |name: &str, field: &str, storage: bool| {
        json!({"name": name, "served": true, "storage": storage, "schema": {"openAPIV3Schema": {
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {field: {"type": "string"}}}},
        }}})
    };
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("backends.{group}")},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "backends", "singular": "backend", "kind": "Backend"},
            "versions": [version("v1", "host", true), version("v2", "hostname", false)],
            "conversion": {"strategy": "Webhook", "webhook": {"conversionReviewVersions": ["v1"], "clientConfig": client_config}},
        },
    })
    .to_string()
}

fn objects_convert_through_the_webhook(server: &Server, group: &str, client_config: Value) {
    server.kubectl_stdin(&["apply", "-f", "-"], &crd(group, client_config));
    server.ok(&["wait", "--for=condition=Established", &format!("crd/backends.{group}"), "--timeout=10s"]);
    let backend = json!({"apiVersion": format!("{group}/v1"), "kind": "Backend", "metadata": {"name": "db"}, "spec": {"host": "db.local"}});
    let out = server.kubectl_stdin(&["create", "-f", "-"], &backend.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let v2 = server.ok(&["get", "--raw", &format!("/apis/{group}/v2/namespaces/default/backends/db")]);
    let v2: Value = serde_json::from_str(&v2).unwrap();
    assert_eq!(v2["apiVersion"], format!("{group}/v2"));
    assert_eq!(v2["spec"], json!({"hostname": "db.local"}));
    assert_eq!(v2["metadata"]["name"], "db");

    let written_in_v2 = json!({"apiVersion": format!("{group}/v2"), "kind": "Backend", "metadata": {"name": "cache"}, "spec": {"hostname": "cache.local"}});
    let out = server.kubectl_stdin(&["create", "-f", "-"], &written_in_v2.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list = server.ok(&["get", "--raw", &format!("/apis/{group}/v1/namespaces/default/backends")]);
    let list: Value = serde_json::from_str(&list).unwrap();
    let hosts: Vec<&Value> = list["items"].as_array().unwrap().iter().map(|i| &i["spec"]["host"]).collect();
    assert_eq!(hosts, [&json!("cache.local"), &json!("db.local")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversion_webhook_converts_between_versions() {
    let (port, ca, reviews) = start_webhook().await;
    let ca_bundle = base64::engine::general_purpose::STANDARD.encode(ca);
    let server = Server::start();

    let by_url = json!({"url": format!("https://127.0.0.1:{port}/convert"), "caBundle": ca_bundle});
    objects_convert_through_the_webhook(&server, "url.example.com", by_url);
    assert!(reviews.load(Ordering::SeqCst) > 0, "the webhook was called");

    server.kubectl_stdin(
        &["apply", "-f", "-"],
        &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "converter", "namespace": "default"},
            "spec": {"ports": [{"port": 443, "targetPort": port}]}})
        .to_string(),
    );
    server.kubectl_stdin(
        &["apply", "-f", "-"],
        &json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "converter", "namespace": "default"},
            "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": port}]}]})
        .to_string(),
    );
    let by_service =
        json!({"service": {"namespace": "default", "name": "converter", "path": "/convert"}, "caBundle": ca_bundle});
    objects_convert_through_the_webhook(&server, "service.example.com", by_service);

    let broken = json!({"url": "https://127.0.0.1:1/convert", "caBundle": ca_bundle});
    server.kubectl_stdin(&["apply", "-f", "-"], &crd("url.example.com", broken));
    let failed = server.kubectl(&["get", "--raw", "/apis/url.example.com/v2/namespaces/default/backends/db"]);
    let message = String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success());
    assert!(message.contains("conversion webhook for url.example.com/v1, Kind=Backend failed"), "{message}");
}
