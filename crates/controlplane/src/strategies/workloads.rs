//! StatefulSets, DaemonSets, Jobs, CronJobs and ReplicationControllers:
//! upstream's defaults and the validation users meet most.

use apimachinery::field::FieldError;
use serde_json::{Value, json};

use super::apps::validate_selector;
use super::kind::{KindStrategy, immutable};
use super::{default_field, default_pod_spec, text, validate_pod_spec};
use crate::cron;
use crate::printers;

fn default_template(template: &mut Value) {
    if let Some(pod_spec) = template.get_mut("spec") {
        default_pod_spec(pod_spec);
    }
}

fn negative_replicas(object: &Value) -> Vec<FieldError> {
    match object["spec"]["replicas"].as_i64() {
        Some(n) if n < 0 => vec![FieldError::invalid("spec.replicas", json!(n), "must be greater than or equal to 0")],
        _ => Vec::new(),
    }
}

/// The template's restartPolicy must be one of `allowed`.
fn restart_policy(pod_spec: &Value, path: &str, allowed: &[&str]) -> Vec<FieldError> {
    let policy = text(pod_spec, &["restartPolicy"]);
    if allowed.contains(&policy) {
        return Vec::new();
    }
    vec![FieldError::not_supported(format!("{path}.restartPolicy"), json!(policy), allowed)]
}

fn statefulset_defaults(object: &mut Value) {
    let Some(spec) = object.get_mut("spec") else { return };
    default_field(spec, "replicas", json!(1));
    default_field(spec, "podManagementPolicy", json!("OrderedReady"));
    default_field(spec, "updateStrategy", json!({"type": "RollingUpdate"}));
    if spec["updateStrategy"]["type"] == "RollingUpdate" {
        default_field(&mut spec["updateStrategy"], "rollingUpdate", json!({"partition": 0}));
    }
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_field(
        spec,
        "persistentVolumeClaimRetentionPolicy",
        json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
    );
    for claim in spec["volumeClaimTemplates"].as_array_mut().into_iter().flatten() {
        default_field(&mut claim["spec"], "volumeMode", json!("Filesystem"));
    }
    default_template(&mut spec["template"]);
}

fn statefulset_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = validate_selector(object, "statefulset");
    errors.extend(negative_replicas(object));
    let policy = text(spec, &["podManagementPolicy"]);
    if !["OrderedReady", "Parallel"].contains(&policy) {
        errors.push(FieldError::invalid(
            "spec.podManagementPolicy",
            json!(policy),
            "must be 'OrderedReady' or 'Parallel'",
        ));
    }
    let strategy = text(spec, &["updateStrategy", "type"]);
    if !["RollingUpdate", "OnDelete"].contains(&strategy) {
        errors.push(FieldError::invalid(
            "spec.updateStrategy",
            json!(strategy),
            "must be 'RollingUpdate' or 'OnDelete'",
        ));
    }
    errors.extend(validate_pod_spec(&spec["template"]["spec"], "spec.template.spec"));
    errors.extend(restart_policy(&spec["template"]["spec"], "spec.template.spec", &["Always"]));
    errors
}

/// Upstream lets an update change only these StatefulSet spec fields.
const STATEFULSET_MUTABLE: [&str; 7] = [
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
];

fn statefulset_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let fixed = |o: &Value| {
        let mut spec = o["spec"].clone();
        if let Some(map) = spec.as_object_mut() {
            map.retain(|k, _| !STATEFULSET_MUTABLE.contains(&k.as_str()));
        }
        spec
    };
    if fixed(new) == fixed(old) {
        return Vec::new();
    }
    vec![FieldError::forbidden(
        "spec",
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    )]
}

/// StatefulSets.
pub fn stateful_sets() -> KindStrategy {
    KindStrategy::new(printers::stateful_sets())
        .defaults(statefulset_defaults)
        .validate(statefulset_validate)
        .validate_update(statefulset_update)
        .with_generation()
}

fn daemonset_defaults(object: &mut Value) {
    let Some(spec) = object.get_mut("spec") else { return };
    default_field(spec, "updateStrategy", json!({"type": "RollingUpdate"}));
    if spec["updateStrategy"]["type"] == "RollingUpdate" {
        default_field(&mut spec["updateStrategy"], "rollingUpdate", json!({}));
        default_field(&mut spec["updateStrategy"]["rollingUpdate"], "maxUnavailable", json!(1));
        default_field(&mut spec["updateStrategy"]["rollingUpdate"], "maxSurge", json!(0));
    }
    default_field(spec, "revisionHistoryLimit", json!(10));
    default_template(&mut spec["template"]);
}

fn daemonset_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = validate_selector(object, "daemonset");
    let strategy = text(spec, &["updateStrategy", "type"]);
    if !["RollingUpdate", "OnDelete"].contains(&strategy) {
        errors.push(FieldError::not_supported(
            "spec.updateStrategy.type",
            json!(strategy),
            &["OnDelete", "RollingUpdate"],
        ));
    }
    errors.extend(validate_pod_spec(&spec["template"]["spec"], "spec.template.spec"));
    errors.extend(restart_policy(&spec["template"]["spec"], "spec.template.spec", &["Always"]));
    errors
}

/// DaemonSets.
pub fn daemon_sets() -> KindStrategy {
    KindStrategy::new(printers::daemon_sets())
        .defaults(daemonset_defaults)
        .validate(daemonset_validate)
        .validate_update(|new, old| immutable(new, old, &["spec.selector"]))
        .with_generation()
}

fn replication_controller_defaults(object: &mut Value) {
    let labels = object["spec"]["template"]["metadata"]["labels"].clone();
    let Some(spec) = object.get_mut("spec") else { return };
    default_field(spec, "replicas", json!(1));
    if labels.is_object() {
        default_field(spec, "selector", labels);
    }
    default_template(&mut spec["template"]);
    let selector = object["spec"]["selector"].clone();
    if let Some(metadata) = object.get_mut("metadata") {
        default_field(metadata, "labels", selector);
    }
}

fn replication_controller_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = negative_replicas(object);
    let selector = spec["selector"].as_object().cloned().unwrap_or_default();
    if selector.is_empty() {
        errors.push(FieldError::required("spec.selector", ""));
    }
    let labels = &spec["template"]["metadata"]["labels"];
    if spec["template"].is_null() {
        errors.push(FieldError::required("spec.template", ""));
        return errors;
    }
    if !selector.is_empty() && selector.iter().any(|(k, v)| &labels[k] != v) {
        errors.push(FieldError::invalid(
            "spec.template.metadata.labels",
            labels.clone(),
            "`selector` does not match template `labels`",
        ));
    }
    errors.extend(validate_pod_spec(&spec["template"]["spec"], "spec.template.spec"));
    errors.extend(restart_policy(&spec["template"]["spec"], "spec.template.spec", &["Always"]));
    errors
}

/// ReplicationControllers (selector and labels defaulted from the template,
/// as upstream's v1 defaults do).
pub fn replication_controllers() -> KindStrategy {
    KindStrategy::new(printers::replication_controllers())
        .defaults(replication_controller_defaults)
        .validate(replication_controller_validate)
        .fields(replicas_field)
        .with_generation()
}

/// `status.replicas`, the field selector of ReplicationControllers and
/// ReplicaSets.
pub(super) fn replicas_field(object: &Value) -> Vec<(String, String)> {
    vec![("status.replicas".into(), object["status"]["replicas"].as_i64().unwrap_or(0).to_string())]
}

/// Upstream's Job defaults; the selector and template labels a Job gets
/// from its own uid (generateSelector) are added on create.
fn job_spec_defaults(spec: &mut Value) {
    if spec["completions"].is_null() && spec["parallelism"].is_null() {
        spec["completions"] = json!(1);
        spec["parallelism"] = json!(1);
    }
    default_field(spec, "parallelism", json!(1));
    default_field(spec, "backoffLimit", json!(6));
    default_field(spec, "completionMode", json!("NonIndexed"));
    default_field(spec, "suspend", json!(false));
    default_field(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
    default_template(&mut spec["template"]);
}

fn job_defaults(object: &mut Value) {
    let uid = object["metadata"]["uid"].as_str().unwrap_or_default().to_string();
    let name = object["metadata"]["name"].as_str().unwrap_or_default().to_string();
    let Some(spec) = object.get_mut("spec") else { return };
    job_spec_defaults(spec);
    if spec["selector"].is_null() && !uid.is_empty() {
        spec["selector"] = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
        let labels = &mut spec["template"]["metadata"]["labels"];
        if !labels.is_object() {
            *labels = json!({});
        }
        for (key, value) in [
            ("batch.kubernetes.io/controller-uid", &uid),
            ("batch.kubernetes.io/job-name", &name),
            ("controller-uid", &uid),
            ("job-name", &name),
        ] {
            default_field(labels, key, json!(value));
        }
    }
}

fn job_template_validate(spec: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in ["parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"] {
        if let Some(n) = spec[field].as_i64()
            && n < 0
        {
            errors.push(FieldError::invalid(format!("{path}.{field}"), json!(n), "must be greater than or equal to 0"));
        }
    }
    let mode = text(spec, &["completionMode"]);
    if !["NonIndexed", "Indexed"].contains(&mode) {
        errors.push(FieldError::not_supported(
            format!("{path}.completionMode"),
            json!(mode),
            &["NonIndexed", "Indexed"],
        ));
    }
    let pod_path = format!("{path}.template.spec");
    errors.extend(validate_pod_spec(&spec["template"]["spec"], &pod_path));
    errors.extend(restart_policy(&spec["template"]["spec"], &pod_path, &["OnFailure", "Never"]));
    errors
}

fn job_validate(object: &Value) -> Vec<FieldError> {
    let mut errors = job_template_validate(&object["spec"], "spec");
    if !object["spec"]["selector"].is_null() {
        errors.extend(validate_selector(object, "job"));
    }
    errors
}

/// Jobs.
pub fn jobs() -> KindStrategy {
    KindStrategy::new(printers::jobs())
        .defaults(job_defaults)
        .validate(job_validate)
        .fields(|job| vec![("status.successful".into(), job["status"]["succeeded"].as_i64().unwrap_or(0).to_string())])
        .validate_update(|new, old| {
            let mut errors = immutable(new, old, &["spec.selector", "spec.completions", "spec.completionMode"]);
            if !old["spec"]["suspend"].as_bool().unwrap_or(false) {
                errors.extend(immutable(new, old, &["spec.template"]));
            }
            errors
        })
        .with_generation()
}

fn cronjob_defaults(object: &mut Value) {
    let Some(spec) = object.get_mut("spec") else { return };
    default_field(spec, "concurrencyPolicy", json!("Allow"));
    default_field(spec, "suspend", json!(false));
    default_field(spec, "successfulJobsHistoryLimit", json!(3));
    default_field(spec, "failedJobsHistoryLimit", json!(1));
    if let Some(job) = spec.get_mut("jobTemplate").and_then(|t| t.get_mut("spec")) {
        job_spec_defaults(job);
    }
}

fn cronjob_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = Vec::new();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    if name.len() > 52 {
        errors.push(FieldError::invalid("metadata.name", json!(name), "must be no more than 52 characters"));
    }
    match spec["schedule"].as_str().filter(|s| !s.is_empty()) {
        None => errors.push(FieldError::required("spec.schedule", "")),
        Some(schedule) if schedule.contains("TZ") => errors.push(FieldError::invalid(
            "spec.schedule",
            json!(schedule),
            "cannot use TZ or CRON_TZ in schedule, use timeZone field instead",
        )),
        Some(schedule) => {
            if let Err(message) = cron::parse(schedule) {
                errors.push(FieldError::invalid("spec.schedule", json!(schedule), message));
            }
        }
    }
    let policy = text(spec, &["concurrencyPolicy"]);
    if !["Allow", "Forbid", "Replace"].contains(&policy) {
        errors.push(FieldError::not_supported(
            "spec.concurrencyPolicy",
            json!(policy),
            &["Allow", "Forbid", "Replace"],
        ));
    }
    errors.extend(job_template_validate(&spec["jobTemplate"]["spec"], "spec.jobTemplate.spec"));
    errors
}

/// CronJobs.
pub fn cron_jobs() -> KindStrategy {
    KindStrategy::new(printers::cron_jobs()).defaults(cronjob_defaults).validate(cronjob_validate).with_generation()
}
