//! Service account tokens: `kubectl create token` returns a token that
//! authenticates, TokenReview says whose it is, and `kubectl auth whoami`
//! shows who is asking.

mod support;

use serde_json::json;
use support::{Server, raw};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_tokens_authenticate_and_are_reviewed() {
    let server = Server::start();
    let whoami = server.ok(&["auth", "whoami"]);
    assert!(whoami.contains("Username    admin") && whoami.contains("system:masters"), "{whoami}");

    server.ok(&["create", "serviceaccount", "builder"]);
    let token = server.ok(&["create", "token", "builder"]);
    let token = token.trim();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");

    let as_builder = server.client_without_certificate(Some(token)).await;
    let (code, review) = raw(
        &as_builder,
        "POST",
        "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        "application/json",
        serde_json::to_vec(&json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})).unwrap(),
    )
    .await;
    assert_eq!(code, 201, "{review}");
    assert_eq!(review["status"]["userInfo"]["username"], "system:serviceaccount:default:builder");
    assert!(
        review["status"]["userInfo"]["groups"].as_array().unwrap().contains(&json!("system:serviceaccounts:default"))
    );

    let admin = server.client().await;
    let body = |token: &str| {
        serde_json::to_vec(
            &json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": token}}),
        )
        .unwrap()
    };
    let (code, reviewed) =
        raw(&admin, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", "application/json", body(token)).await;
    assert_eq!(code, 201, "{reviewed}");
    assert_eq!(reviewed["status"]["authenticated"], true);
    assert_eq!(reviewed["status"]["user"]["username"], "system:serviceaccount:default:builder");
    let (_, rejected) =
        raw(&admin, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", "application/json", body("bogus")).await;
    assert_eq!(rejected["status"]["authenticated"], false);

    let (code, status) =
        raw(&admin, "GET", "/apis/authentication.k8s.io/v1/tokenreviews", "application/json", Vec::new()).await;
    assert_eq!(code, 405, "reviews are create-only: {status}");

    let short =
        json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"expirationSeconds": 60}});
    let (code, status) = raw(
        &admin,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts/builder/token",
        "application/json",
        serde_json::to_vec(&short).unwrap(),
    )
    .await;
    assert_eq!(code, 422, "{status}");

    server.ok(&["delete", "serviceaccount", "builder"]);
    let mut revoked = json!(null);
    for _ in 0..50 {
        // The check reads the watch cache, which follows the delete closely.
        (_, revoked) =
            raw(&admin, "POST", "/apis/authentication.k8s.io/v1/tokenreviews", "application/json", body(token)).await;
        if revoked["status"]["authenticated"] == false {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(revoked["status"]["authenticated"], false, "a deleted account's token is revoked: {revoked}");
    let (code, _) = raw(&as_builder, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await;
    assert_eq!(code, 401, "a deleted account's token no longer authenticates");
    server.ok(&["create", "serviceaccount", "builder"]);
    let (code, _) = raw(&as_builder, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await;
    assert_eq!(code, 401, "nor does it for a new account of the same name (another uid)");
}

/// Rotating the signing key: tokens signed by the old key authenticate only
/// while the old key is listed in --service-account-key-file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_of_a_previous_signing_key_verify_through_key_files() {
    let mut server = Server::start();
    server.ok(&["create", "serviceaccount", "robot"]);
    let old_token = server.ok(&["create", "token", "robot"]).trim().to_string();
    let old_key = server.data_dir().join("pki").join("sa.key");
    let dir = tempfile::tempdir().unwrap();
    let new_key = dir.path().join("new-sa.key");
    std::fs::write(&new_key, rcgen::KeyPair::generate().unwrap().serialize_pem()).unwrap();
    let old_public = dir.path().join("old-sa.pub");
    let pkcs8 = std::fs::read_to_string(&old_key).unwrap();
    std::fs::write(&old_public, rcgen::KeyPair::from_pem(&pkcs8).unwrap().public_key_pem()).unwrap();
    let signing = format!("--service-account-signing-key-file={}", new_key.display());

    let namespaces = |client: kube::Client| async move {
        raw(&client, "GET", "/api/v1/namespaces", "application/json", Vec::new()).await.0
    };

    server.restart_with(&[&signing]);
    assert_eq!(namespaces(server.client_without_certificate(Some(&old_token)).await).await, 401, "a new key alone");

    let verifying = format!("--service-account-key-file={}", old_public.display());
    server.restart_with(&[&signing, &verifying]);
    assert_eq!(
        namespaces(server.client_without_certificate(Some(&old_token)).await).await,
        200,
        "the old key verifies"
    );
    let new_token = server.ok(&["create", "token", "robot"]).trim().to_string();
    assert_eq!(namespaces(server.client_without_certificate(Some(&new_token)).await).await, 200, "the new key signs");
}
