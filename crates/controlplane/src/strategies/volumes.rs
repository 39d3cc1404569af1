//! PersistentVolumes, PersistentVolumeClaims and StorageClasses: upstream's
//! defaults and the validation users meet most.

use apimachinery::field::FieldError;
use serde_json::{Value, json};

use super::kind::KindStrategy;
use super::{default_field, text};
use crate::printers;

const ACCESS_MODES: [&str; 4] = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"];

fn validate_access_modes(modes: &Value, path: &str, required_message: &str) -> Vec<FieldError> {
    let modes = modes.as_array().cloned().unwrap_or_default();
    if modes.is_empty() {
        return vec![FieldError::required(path, required_message)];
    }
    modes
        .iter()
        .filter_map(|m| m.as_str())
        .filter(|m| !ACCESS_MODES.contains(m))
        .map(|m| FieldError::not_supported(path, json!(m), &ACCESS_MODES))
        .collect()
}

/// The volume sources a PersistentVolume may name (exactly one).
const VOLUME_SOURCES: [&str; 21] = [
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "csi",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "glusterfs",
    "hostPath",
    "iscsi",
    "local",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
];

fn pv_defaults(object: &mut Value) {
    let Some(spec) = object.get_mut("spec") else { return };
    default_field(spec, "persistentVolumeReclaimPolicy", json!("Retain"));
    default_field(spec, "volumeMode", json!("Filesystem"));
    default_field(object, "status", json!({}));
    default_field(&mut object["status"], "phase", json!("Pending"));
}

fn pv_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors = Vec::new();
    if spec["capacity"].as_object().is_none_or(|c| c.is_empty()) {
        errors.push(FieldError::required("spec.capacity", ""));
    } else if spec["capacity"]["storage"].is_null() {
        errors.push(FieldError::not_supported("spec.capacity", json!(spec["capacity"]), &["storage"]));
    }
    errors.extend(validate_access_modes(&spec["accessModes"], "spec.accessModes", ""));
    let sources = VOLUME_SOURCES.iter().filter(|s| !spec[**s].is_null()).count();
    if sources == 0 {
        errors.push(FieldError::required("spec", "must specify a volume type"));
    } else if sources > 1 {
        errors.push(FieldError::forbidden("spec", "may not specify more than 1 volume type"));
    }
    let policy = text(spec, &["persistentVolumeReclaimPolicy"]);
    if !["Delete", "Recycle", "Retain"].contains(&policy) {
        errors.push(FieldError::not_supported(
            "spec.persistentVolumeReclaimPolicy",
            json!(policy),
            &["Delete", "Recycle", "Retain"],
        ));
    }
    errors
}

/// PersistentVolumes.
pub fn persistent_volumes() -> KindStrategy {
    KindStrategy::new(printers::persistent_volumes()).defaults(pv_defaults).validate(pv_validate)
}

fn pvc_defaults(object: &mut Value) {
    if let Some(spec) = object.get_mut("spec") {
        default_field(spec, "volumeMode", json!("Filesystem"));
    }
    default_field(object, "status", json!({}));
    default_field(&mut object["status"], "phase", json!("Pending"));
}

fn pvc_validate(object: &Value) -> Vec<FieldError> {
    let spec = &object["spec"];
    let mut errors =
        validate_access_modes(&spec["accessModes"], "spec.accessModes", "at least 1 access mode is required");
    if spec["resources"]["requests"]["storage"].is_null() {
        errors.push(FieldError::required("spec.resources[storage]", ""));
    }
    errors
}

/// A claim's spec without what an update may change.
fn pvc_fixed_spec(claim: &Value) -> Value {
    let mut spec = claim["spec"].clone();
    if let Some(map) = spec.as_object_mut() {
        map.remove("volumeAttributesClassName");
        if claim["spec"]["volumeName"].as_str().is_none_or(str::is_empty) {
            map.remove("volumeName");
        }
    }
    if let Some(requests) = spec["resources"].get_mut("requests").and_then(Value::as_object_mut) {
        requests.remove("storage");
    }
    spec
}

fn pvc_update(new: &Value, old: &Value) -> Vec<FieldError> {
    let mut old_fixed = pvc_fixed_spec(old);
    if let (Some(map), Some(name)) = (old_fixed.as_object_mut(), new["spec"].get("volumeName"))
        && old["spec"]["volumeName"].as_str().is_none_or(str::is_empty)
    {
        map.insert("volumeName".into(), name.clone());
    }
    if pvc_fixed_spec(new) == old_fixed {
        return Vec::new();
    }
    vec![FieldError::forbidden(
        "spec",
        "spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
    )]
}

/// PersistentVolumeClaims.
pub fn persistent_volume_claims() -> KindStrategy {
    KindStrategy::new(printers::persistent_volume_claims())
        .defaults(pvc_defaults)
        .validate(pvc_validate)
        .validate_update(pvc_update)
}

fn storage_class_defaults(object: &mut Value) {
    default_field(object, "reclaimPolicy", json!("Delete"));
    default_field(object, "volumeBindingMode", json!("Immediate"));
}

fn storage_class_validate(object: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if text(object, &["provisioner"]).is_empty() {
        errors.push(FieldError::required("provisioner", ""));
    }
    let policy = text(object, &["reclaimPolicy"]);
    if !["Delete", "Retain"].contains(&policy) {
        errors.push(FieldError::not_supported("reclaimPolicy", json!(policy), &["Delete", "Retain"]));
    }
    let mode = text(object, &["volumeBindingMode"]);
    if !["Immediate", "WaitForFirstConsumer"].contains(&mode) {
        errors.push(FieldError::not_supported(
            "volumeBindingMode",
            json!(mode),
            &["Immediate", "WaitForFirstConsumer"],
        ));
    }
    errors
}

fn storage_class_update(new: &Value, old: &Value) -> Vec<FieldError> {
    ["parameters", "provisioner", "reclaimPolicy"]
        .iter()
        .filter(|field| new.get(**field) != old.get(**field))
        .map(|field| FieldError::forbidden(*field, format!("updates to {field} are forbidden.")))
        .chain(
            (new["volumeBindingMode"] != old["volumeBindingMode"]).then(|| {
                FieldError::invalid("volumeBindingMode", new["volumeBindingMode"].clone(), "field is immutable")
            }),
        )
        .collect()
}

/// StorageClasses.
pub fn storage_classes() -> KindStrategy {
    KindStrategy::new(printers::storage_classes())
        .defaults(storage_class_defaults)
        .validate(storage_class_validate)
        .validate_update(storage_class_update)
}
