//! The strategy of CustomResourceDefinitions: upstream's defaults, status
//! bookkeeping (storedVersions), validation, and the first delete that only
//! marks the CRD Terminating and adds the cleanup finalizer.

use apimachinery::field::FieldError;
use apiserver::registry::Strategy;
use apiserver::registry::table::{DefaultTable, TableConvertor};
use serde_json::{Value, json};

use super::{CLEANUP_FINALIZER, conditions, storage_version, validation};

/// The strategy of CustomResourceDefinitions: NAME CREATED AT.
#[derive(Default)]
pub struct CrdStrategy;

/// Upstream's SetDefaults for a CRD's spec.
fn set_defaults(crd: &mut Value) {
    let Some(spec) = crd.get_mut("spec").and_then(Value::as_object_mut) else { return };
    if let Some(names) = spec.get_mut("names").and_then(Value::as_object_mut) {
        let kind = names.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
        if names.get("singular").and_then(Value::as_str).is_none_or(str::is_empty) {
            names.insert("singular".into(), json!(kind.to_lowercase()));
        }
        if names.get("listKind").and_then(Value::as_str).is_none_or(str::is_empty) && !kind.is_empty() {
            names.insert("listKind".into(), json!(format!("{kind}List")));
        }
    }
    let conversion = spec.entry("conversion").or_insert_with(|| json!({}));
    if conversion.get("strategy").and_then(Value::as_str).is_none_or(str::is_empty) {
        conversion["strategy"] = json!("None");
    }
    if let Some(service) = conversion.pointer_mut("/webhook/clientConfig/service")
        && service.get("port").is_none_or(Value::is_null)
    {
        service["port"] = json!(443);
    }
}

/// Adds the storage version to status.storedVersions if it is not there.
fn record_storage_version(crd: &mut Value) {
    let Some(version) = storage_version(crd).map(str::to_string) else { return };
    if !crd["status"].is_object() {
        crd["status"] = json!({});
    }
    let stored = crd["status"].as_object_mut().map(|s| s.entry("storedVersions").or_insert_with(|| json!([])));
    if let Some(Value::Array(list)) = stored
        && !list.iter().any(|v| *v == version)
    {
        list.push(json!(version));
    }
}

impl Strategy for CrdStrategy {
    fn prepare_for_create(&self, crd: &mut Value) {
        set_defaults(crd);
        crd["status"] = json!({"acceptedNames": {"plural": "", "kind": ""}});
        record_storage_version(crd);
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        set_defaults(new);
        record_storage_version(new);
    }

    fn validate(&self, crd: &Value) -> Vec<FieldError> {
        validation::validate(crd, None)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        validation::validate(new, Some(old))
    }

    fn tracks_generation(&self) -> bool {
        true
    }

    fn deletion_blocked(&self, crd: &Value) -> bool {
        crd["metadata"]["deletionTimestamp"].is_null()
    }

    fn prepare_for_delete(&self, crd: &mut Value) {
        let finalizers = crd["metadata"].as_object_mut().map(|m| m.entry("finalizers").or_insert_with(|| json!([])));
        if let Some(Value::Array(list)) = finalizers
            && !list.iter().any(|f| f == CLEANUP_FINALIZER)
        {
            list.push(json!(CLEANUP_FINALIZER));
        }
        conditions::set(
            crd,
            conditions::TERMINATING,
            "True",
            "InstanceDeletionPending",
            "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
        );
    }

    fn return_deleted_object(&self) -> bool {
        true
    }

    fn table(&self) -> &dyn TableConvertor {
        &DefaultTable
    }
}
