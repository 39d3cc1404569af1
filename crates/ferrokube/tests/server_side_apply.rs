//! Server-side apply and managedFields with the real kubectl and kube-rs:
//! fields are created, updated and removed by applies, a second manager's
//! change of an applied field conflicts until forced, each kubectl command
//! is recorded as its own manager, and client-side apply hands over to
//! server-side apply.

mod support;

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::wait::{await_condition, conditions};
use serde_json::json;
use support::Server;

fn apply(server: &Server, manifest: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["apply", "--server-side", "-f", "-"];
    args.extend_from_slice(extra);
    server.kubectl_stdin(&args, manifest)
}

const SETTINGS: &str = "
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: web}
data:
  mode: fast
  size: large
";

#[test]
fn applies_create_update_remove_and_conflict() {
    let server = Server::start();
    assert!(apply(&server, SETTINGS, &[]).status.success());
    let managers = server.ok(&[
        "get",
        "cm",
        "settings",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}/{.metadata.managedFields[*].operation}",
    ]);
    assert_eq!(managers, "kubectl/Apply");

    let updated = SETTINGS.replace("mode: fast", "mode: quick").replace("  size: large\n", "");
    assert!(apply(&server, &updated, &[]).status.success());
    assert_eq!(
        server.ok(&["get", "cm", "settings", "-o", "jsonpath={.data}"]),
        r#"{"mode":"quick"}"#,
        "size is removed"
    );

    let other = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: slow}\n";
    let refused = apply(&server, other, &["--field-manager=other"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains(r#"Apply failed with 1 conflict: conflict with "kubectl" using v1: .data.mode"#),
        "{message}"
    );
    let same_value = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: quick}\n";
    assert!(
        apply(&server, same_value, &["--field-manager=other"]).status.success(),
        "co-owning a field at its value does not conflict"
    );
    assert!(apply(&server, other, &["--field-manager=other", "--force-conflicts"]).status.success());
    assert_eq!(server.ok(&["get", "cm", "settings", "-o", "jsonpath={.data.mode}"]), "slow");
    let owners = server.ok(&[
        "get",
        "cm",
        "settings",
        "-o",
        r#"jsonpath={range .metadata.managedFields[*]}{.manager}={.fieldsV1}{"\n"}{end}"#,
    ]);
    let kubectl = owners.lines().find(|l| l.starts_with("kubectl=")).unwrap();
    assert!(!kubectl.contains("f:mode"), "forcing takes the field over: {owners}");

    let listed = server.ok(&["get", "cm", "settings", "-o", "yaml", "--show-managed-fields"]);
    assert!(listed.contains("managedFields:") && listed.contains("fieldsType: FieldsV1"), "{listed}");
    assert!(!server.ok(&["get", "cm", "settings", "-o", "yaml"]).contains("managedFields"), "hidden by default");
}

const DEPLOYMENT: &str = "
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: nginx:1.27
";

#[test]
fn kubectl_commands_are_recorded_as_their_managers() {
    let server = Server::start();
    server.ok(&["create", "deployment", "web", "--image=nginx:1.27"]);
    server.ok(&["label", "deployment", "web", "tier=front"]);
    server.ok(&["patch", "deployment", "web", "-p", r#"{"metadata":{"annotations":{"owner":"team"}}}"#]);
    // kubectl scale names no manager: the User-Agent's product is the default.
    server.ok(&["scale", "deployment", "web", "--replicas=3"]);
    let edit = edit_image(&server);
    assert!(edit.status.success(), "{}", String::from_utf8_lossy(&edit.stderr));
    let managers = server.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        r#"jsonpath={range .metadata.managedFields[*]}{.manager}/{.operation}/{.subresource}{"\n"}{end}"#,
    ]);
    for expected in [
        "kubectl-create/Update/",
        "kubectl-label/Update/",
        "kubectl-patch/Update/",
        "kubectl/Update/scale",
        "kubectl-edit/Update/",
    ] {
        assert!(managers.lines().any(|l| l == expected), "{expected} in {managers}");
    }

    let file = server.data_dir.join("api.yaml");
    std::fs::write(&file, DEPLOYMENT).unwrap();
    server.ok(&["apply", "-f", file.to_str().unwrap()]);
    std::fs::write(&file, DEPLOYMENT.replace("replicas: 2", "replicas: 3")).unwrap();
    server.ok(&["apply", "--server-side", "-f", file.to_str().unwrap()]);
    assert_eq!(server.ok(&["get", "deploy", "api", "-o", "jsonpath={.spec.replicas}"]), "3");
    let managers = server.ok(&["get", "deploy", "api", "-o", "jsonpath={.metadata.managedFields[*].manager}"]);
    assert!(
        managers.contains("kubectl-client-side-apply") && managers.split(' ').any(|m| m == "kubectl"),
        "{managers}"
    );
}

/// `kubectl edit` with an editor that changes the image.
fn edit_image(server: &Server) -> std::process::Output {
    support::kubectl_in(
        &server.kubeconfig(),
        Some(("KUBE_EDITOR", "sed -i s/nginx:1.27/nginx:1.28/")),
        &["edit", "deployment", "web"],
        None,
    )
}

#[tokio::test]
async fn kube_rs_applies_built_in_kinds_crds_and_custom_resources() {
    let server = Server::start();
    let client = server.client().await;
    let params = PatchParams::apply("ferrokube-test");

    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let applied = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"k": "v"}});
    let created = configmaps.patch("applied", &params, &Patch::Apply(&applied)).await.unwrap();
    assert_eq!(created.data.unwrap()["k"], "v");
    let entry = &created.metadata.managed_fields.unwrap()[0];
    assert_eq!((entry.manager.as_deref(), entry.operation.as_deref()), (Some("ferrokube-test"), Some("Apply")));

    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), "default");
    let deployment: serde_json::Value = serde_yaml::from_str(DEPLOYMENT).unwrap();
    deployments.patch("api", &params, &Patch::Apply(&deployment)).await.unwrap();
    let scale =
        json!({"apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "api"}, "spec": {"replicas": 4}});
    let scaled = deployments.patch_scale("api", &params, &Patch::Apply(&scale)).await.unwrap();
    assert_eq!(scaled.spec.unwrap().replicas, Some(4), "the scale subresource takes applied Scales");

    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "gadgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object",
                "properties": {"spec": {"type": "object", "properties": {
                    "size": {"type": "integer"},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                        "items": {"type": "object", "properties": {"name": {"type": "string"}, "port": {"type": "integer"}}}}}}}}}}]}});
    crds.patch("gadgets.example.com", &params, &Patch::Apply(&crd)).await.unwrap();
    let established = await_condition(crds, "gadgets.example.com", conditions::is_crd_established());
    tokio::time::timeout(Duration::from_secs(10), established).await.unwrap().unwrap();

    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk("example.com", "v1", "Gadget"));
    let gadgets: Api<DynamicObject> = Api::namespaced_with(client, "default", &resource);
    let first = json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"},
        "spec": {"size": 1, "ports": [{"name": "http", "port": 80}]}});
    gadgets.patch("g", &params, &Patch::Apply(&first)).await.unwrap();
    let second = json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"},
        "spec": {"ports": [{"name": "metrics", "port": 9090}]}});
    let other = PatchParams::apply("second-manager");
    let merged = gadgets.patch("g", &other, &Patch::Apply(&second)).await.unwrap();
    assert_eq!(merged.data["spec"]["size"], 1);
    assert_eq!(
        merged.data["spec"]["ports"],
        json!([{"name": "http", "port": 80}, {"name": "metrics", "port": 9090}]),
        "a map list merges by key"
    );
    let conflicting =
        json!({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}, "spec": {"size": 2}});
    let error = gadgets.patch("g", &other, &Patch::Apply(&conflicting)).await.unwrap_err();
    assert!(matches!(&error, kube::Error::Api(status) if status.code == 409), "{error:?}");
    let forced = gadgets.patch("g", &other.clone().force(), &Patch::Apply(&conflicting)).await.unwrap();
    assert_eq!(forced.data["spec"]["size"], 2);
}
