//! What a running control plane does by itself: namespaces are emptied and
//! removed when deleted, and every namespace gets a default
//! ServiceAccount and the root CA ConfigMap.

mod support;

use std::time::{Duration, Instant};

use support::Server;

fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn new_namespaces_get_a_service_account_and_the_root_ca() {
    let server = Server::start();
    server.ok(&["create", "namespace", "team"]);
    eventually("the default service account", || {
        server.kubectl(&["get", "sa", "default", "-n", "team"]).status.success()
    });
    eventually("kube-root-ca.crt", || {
        server.kubectl(&["get", "cm", "kube-root-ca.crt", "-n", "team"]).status.success()
    });
    let ca = server.ok(&["get", "cm", "kube-root-ca.crt", "-n", "team", "-o", "jsonpath={.data.ca\\.crt}"]);
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    eventually("the default namespace's account too", || {
        server.kubectl(&["get", "sa", "default", "-n", "default"]).status.success()
    });
}

#[test]
fn deleting_a_namespace_removes_its_contents_and_then_itself() {
    let server = Server::start();
    server.ok(&["create", "namespace", "doomed"]);
    server.ok(&["create", "configmap", "c1", "--from-literal=a=b", "-n", "doomed"]);
    server.ok(&["create", "deployment", "d1", "--image=nginx", "-n", "doomed"]);
    let out = server.ok(&["delete", "namespace", "doomed", "--timeout=30s"]);
    assert!(out.contains("namespace \"doomed\" deleted"), "{out}");
    assert!(server.fails(&["get", "namespace", "doomed"]).contains("not found"));
    assert!(server.ok(&["get", "configmaps", "-n", "doomed", "-o", "name"]).trim().is_empty());
    assert!(server.ok(&["get", "deployments", "-n", "doomed", "-o", "name"]).trim().is_empty());
}

#[test]
fn a_terminating_namespace_refuses_new_content_until_it_is_gone() {
    let server = Server::start();
    server.ok(&["create", "namespace", "held"]);
    let held = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"pinned","namespace":"held","finalizers":["example.com/hold"]}}"#;
    server.kubectl_stdin(&["create", "-f", "-"], held);
    server.ok(&["delete", "namespace", "held", "--wait=false"]);
    eventually("Terminating", || server.ok(&["get", "ns", "held", "-o", "jsonpath={.status.phase}"]) == "Terminating");
    let refused = server.fails(&["create", "configmap", "late", "-n", "held"]);
    assert!(
        refused.contains("unable to create new content in namespace held because it is being terminated"),
        "{refused}"
    );
    server.ok(&[
        "patch",
        "configmap",
        "pinned",
        "-n",
        "held",
        "--type=merge",
        "-p",
        r#"{"metadata":{"finalizers":null}}"#,
    ]);
    server.ok(&["wait", "--for=delete", "namespace/held", "--timeout=30s"]);
}

#[test]
fn controllers_can_be_switched_off() {
    let server = Server::start_with(&["--controllers", "*,-serviceaccount"]);
    server.ok(&["create", "namespace", "quiet"]);
    eventually("the root CA", || server.kubectl(&["get", "cm", "kube-root-ca.crt", "-n", "quiet"]).status.success());
    assert!(
        !server.kubectl(&["get", "sa", "default", "-n", "quiet"]).status.success(),
        "no service account controller"
    );
}

/// Creates a deployment and a ReplicaSet it owns; returns the ReplicaSet's
/// name.
fn deployment_with_replicaset(server: &Server, name: &str) -> String {
    server.ok(&["create", "deployment", name, "--image=nginx"]);
    let uid = server.ok(&["get", "deploy", name, "-o", "jsonpath={.metadata.uid}"]);
    let rs = format!("{name}-rs");
    let manifest = serde_json::json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": rs, "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid, "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}},
    });
    let out = server.kubectl_stdin(&["create", "-f", "-"], &manifest.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    rs
}

#[test]
fn deleting_an_owner_follows_the_propagation_policy() {
    let server = Server::start();
    let background = deployment_with_replicaset(&server, "bg");
    server.ok(&["delete", "deployment", "bg"]);
    eventually("the background dependent to go", || !server.kubectl(&["get", "rs", &background]).status.success());

    let orphaned = deployment_with_replicaset(&server, "orphan");
    server.ok(&["delete", "deployment", "orphan", "--cascade=orphan"]);
    eventually("the orphaning owner to go", || !server.kubectl(&["get", "deploy", "orphan"]).status.success());
    assert!(server.kubectl(&["get", "rs", &orphaned]).status.success(), "orphan leaves the ReplicaSet");
    assert_eq!(
        server.ok(&["get", "rs", &orphaned, "-o", "jsonpath={.metadata.ownerReferences}"]),
        "",
        "and drops its owner reference"
    );

    let foreground = deployment_with_replicaset(&server, "fg");
    server.ok(&["delete", "deployment", "fg", "--cascade=foreground", "--timeout=30s"]);
    assert!(!server.kubectl(&["get", "deploy", "fg"]).status.success());
    assert!(!server.kubectl(&["get", "rs", &foreground]).status.success(), "foreground deleted the dependent first");
}
