//! Bodies encoded by k8s-pb (the Kubernetes protobuf types, as client-go
//! encodes them) decode to the JSON upstream would accept.

use k8s_pb::api::apps::v1 as apps;
use k8s_pb::api::core::v1 as core;
use k8s_pb::apimachinery::pkg::apis::meta::v1 as meta;
use k8s_pb::apimachinery::pkg::runtime::{TypeMeta, Unknown};
use k8s_pb::apimachinery::pkg::util::intstr::IntOrString;
use prost::Message;
use serde_json::json;

fn envelope(api_version: &str, kind: &str, raw: Vec<u8>) -> Vec<u8> {
    let unknown = Unknown {
        type_meta: Some(TypeMeta { api_version: Some(api_version.into()), kind: Some(kind.into()) }),
        raw: Some(raw),
        content_encoding: Some(String::new()),
        content_type: Some(String::new()),
    };
    let mut body = super::MAGIC.to_vec();
    body.extend(unknown.encode_to_vec());
    body
}

fn meta(name: &str) -> meta::ObjectMeta {
    meta::ObjectMeta {
        name: Some(name.into()),
        namespace: Some(String::new()),
        creation_timestamp: Some(meta::Time { seconds: Some(-62_135_596_800), nanos: Some(0) }),
        ..Default::default()
    }
}

#[test]
fn a_configmap_from_kubectl_create_decodes() {
    let configmap = core::ConfigMap {
        metadata: Some(meta("settings")),
        data: [("mode".to_string(), "fast".to_string())].into(),
        binary_data: [("blob".to_string(), vec![0u8, 1, 2])].into(),
        immutable: None,
    };
    let value = super::decode(&envelope("v1", "ConfigMap", configmap.encode_to_vec())).unwrap();
    assert_eq!(
        value,
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "settings"},
            "data": {"mode": "fast"},
            "binaryData": {"blob": "AAEC"},
        })
    );
}

#[test]
fn a_deployment_keeps_zero_replicas_int_or_string_and_nesting() {
    let deployment = apps::Deployment {
        metadata: Some(meta("web")),
        spec: Some(apps::DeploymentSpec {
            replicas: Some(0),
            selector: Some(meta::LabelSelector {
                match_labels: [("app".to_string(), "web".to_string())].into(),
                ..Default::default()
            }),
            template: Some(core::PodTemplateSpec {
                metadata: Some(meta::ObjectMeta {
                    labels: [("app".to_string(), "web".to_string())].into(),
                    ..Default::default()
                }),
                spec: Some(core::PodSpec {
                    containers: vec![core::Container {
                        name: Some("nginx".into()),
                        image: Some("nginx:1.27".into()),
                        ports: vec![core::ContainerPort { container_port: Some(80), ..Default::default() }],
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
            }),
            min_ready_seconds: Some(0),
            strategy: Some(apps::DeploymentStrategy {
                r#type: Some("RollingUpdate".into()),
                rolling_update: Some(apps::RollingUpdateDeployment {
                    max_surge: Some(IntOrString { r#type: Some(1), int_val: None, str_val: Some("25%".into()) }),
                    max_unavailable: Some(IntOrString { r#type: Some(0), int_val: Some(1), str_val: None }),
                }),
            }),
            ..Default::default()
        }),
        status: None,
    };
    let value = super::decode(&envelope("apps/v1", "Deployment", deployment.encode_to_vec())).unwrap();
    assert_eq!(value["spec"]["replicas"], json!(0), "a pointer field keeps an explicit zero");
    assert_eq!(value["spec"].get("minReadySeconds"), None, "a plain zero is left out as Go leaves it out");
    assert_eq!(value["spec"]["selector"], json!({"matchLabels": {"app": "web"}}));
    assert_eq!(
        value["spec"]["template"]["spec"]["containers"][0],
        json!({"name": "nginx", "image": "nginx:1.27", "ports": [{"containerPort": 80}]})
    );
    assert_eq!(value["spec"]["strategy"]["rollingUpdate"], json!({"maxSurge": "25%", "maxUnavailable": 1}));
}

#[test]
fn garbage_and_unknown_kinds_are_errors() {
    assert!(super::decode(b"{}").is_err());
    assert!(super::decode(&envelope("v1", "NoSuchKind", Vec::new())).is_err());
    assert!(super::decode(&[b'k', b'8', b's', 0, 0x0a, 0xff]).is_err());
}

#[test]
fn absurdly_deep_nesting_is_refused_not_a_crash() {
    use k8s_pb::apiextensions_apiserver::pkg::apis::apiextensions::v1 as ext;
    let mut schema = ext::JsonSchemaProps::default();
    for _ in 0..300 {
        schema = ext::JsonSchemaProps { not: Some(Box::new(schema)), ..Default::default() };
    }
    let crd = ext::CustomResourceDefinition {
        spec: Some(ext::CustomResourceDefinitionSpec {
            versions: vec![ext::CustomResourceDefinitionVersion {
                schema: Some(ext::CustomResourceValidation { open_apiv3_schema: Some(schema) }),
                ..Default::default()
            }],
            ..Default::default()
        }),
        ..Default::default()
    };
    let body = envelope("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd.encode_to_vec());
    assert!(super::decode(&body).unwrap_err().0.contains("nests more than"));
}
