//! Bad input gets upstream's status codes and Status bodies, and nothing is
//! written.

mod support;

use serde_json::json;
use support::{Server, raw};

const CONFIGMAPS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_upstreams_status_errors() {
    let server = Server::start();
    let client = server.client().await;

    let (code, status) = raw(&client, "POST", CONFIGMAPS, "application/json", b"{\"kind\": ".to_vec()).await;
    assert_eq!((code, status["reason"].as_str()), (400, Some("BadRequest")), "{status}");
    let (code, status) = raw(&client, "POST", CONFIGMAPS, "application/yaml", b"metadata: [unclosed".to_vec()).await;
    assert_eq!((code, status["kind"].as_str()), (400, Some("Status")), "{status}");

    let (code, status) =
        raw(&client, "GET", "/api/v1/namespaces/default/nosuchthings", "application/json", Vec::new()).await;
    assert_eq!((code, status["reason"].as_str()), (404, Some("NotFound")), "{status}");

    let invalid = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}});
    let (code, status) =
        raw(&client, "POST", CONFIGMAPS, "application/json", serde_json::to_vec(&invalid).unwrap()).await;
    assert_eq!((code, status["reason"].as_str()), (422, Some("Invalid")), "{status}");
    assert_eq!(status["details"]["causes"][0]["field"], "metadata.name");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .starts_with("ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\"")
    );

    let huge = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "huge"}, "data": {"x": "a".repeat(3 * 1024 * 1024 + 1)}});
    let (code, status) = raw(&client, "POST", CONFIGMAPS, "application/json", serde_json::to_vec(&huge).unwrap()).await;
    assert_eq!((code, status["reason"].as_str()), (413, Some("RequestEntityTooLarge")), "{status}");

    let good = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "kept"}, "data": {"v": "1"}});
    let (code, created) =
        raw(&client, "POST", CONFIGMAPS, "application/json", serde_json::to_vec(&good).unwrap()).await;
    assert_eq!(code, 201, "{created}");
    let (code, _) = raw(&client, "POST", CONFIGMAPS, "application/json", serde_json::to_vec(&good).unwrap()).await;
    assert_eq!(code, 409, "a second create is AlreadyExists");
    let mut stale = created.clone();
    stale["data"]["v"] = json!("2");
    let (code, _) =
        raw(&client, "PUT", &format!("{CONFIGMAPS}/kept"), "application/json", serde_json::to_vec(&stale).unwrap())
            .await;
    assert_eq!(code, 200);
    stale["data"]["v"] = json!("3");
    let (code, status) =
        raw(&client, "PUT", &format!("{CONFIGMAPS}/kept"), "application/json", serde_json::to_vec(&stale).unwrap())
            .await;
    assert_eq!((code, status["reason"].as_str()), (409, Some("Conflict")), "{status}");
    assert!(status["message"].as_str().unwrap().contains("the object has been modified"));
    let (_, current) = raw(&client, "GET", &format!("{CONFIGMAPS}/kept"), "application/json", Vec::new()).await;
    assert_eq!(current["data"]["v"], "2", "the stale update changed nothing");

    let (code, listed) = raw(&client, "GET", CONFIGMAPS, "application/json", Vec::new()).await;
    assert_eq!(code, 200);
    let names: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .filter(|name| *name != "kube-root-ca.crt")
        .collect();
    assert_eq!(names, ["kept"], "nothing else was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_valid_credentials_are_unauthorized() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, "good-token,alice,1001,\"devs\"\n").unwrap();
    let server = Server::start_with(&["--token-auth-file", tokens.to_str().unwrap()]);

    let anonymous = server.client_without_certificate(None).await;
    let (code, status) = raw(&anonymous, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await;
    assert_eq!((code, status["reason"].as_str()), (401, Some("Unauthorized")), "{status}");
    let (code, _) = raw(&anonymous, "GET", "/readyz", "application/json", Vec::new()).await;
    assert_eq!(code, 200, "anonymous may read /readyz");
    let (code, _) = raw(&anonymous, "GET", "/version", "application/json", Vec::new()).await;
    assert_eq!(code, 200, "anonymous may read /version");

    let wrong = server.client_without_certificate(Some("wrong-token")).await;
    let (code, _) = raw(&wrong, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await;
    assert_eq!(code, 401);

    let alice = server.client_without_certificate(Some("good-token")).await;
    let (code, _) = raw(&alice, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await;
    assert_eq!(code, 200, "a token from --token-auth-file authenticates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_and_unknown_fields_follow_field_validation() {
    let server = Server::start();
    let client = server.client().await;
    let body =
        br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"},"extra":true}"#
            .to_vec();

    let (code, status) =
        raw(&client, "POST", &format!("{CONFIGMAPS}?fieldValidation=Strict"), "application/json", body.clone()).await;
    assert_eq!(code, 400, "{status}");
    assert_eq!(
        status["message"],
        "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"data.a\", unknown field \"extra\""
    );

    let request = http::Request::post(format!("{CONFIGMAPS}?fieldValidation=Warn"))
        .header("content-type", "application/json")
        .body(body.clone())
        .unwrap();
    let response = client.send(request.map(kube::client::Body::from)).await.unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let warnings: Vec<&str> = response.headers().get_all("warning").iter().map(|v| v.to_str().unwrap()).collect();
    assert_eq!(warnings, [r#"299 - "duplicate field \"data.a\"""#, r#"299 - "unknown field \"extra\"""#]);

    let (code, status) =
        raw(&client, "POST", &format!("{CONFIGMAPS}?fieldValidation=Bogus"), "application/json", body).await;
    assert_eq!(code, 400, "{status}");
}
