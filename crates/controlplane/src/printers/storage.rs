//! Printers of storage kinds.

use apiserver::registry::table::Printer;
use serde_json::{Value, json};

use super::*;

/// Access modes in kubectl's short form: RWO, ROX, RWX, RWOP.
fn access_modes(modes: &Value) -> Value {
    let short = modes.as_array().into_iter().flatten().filter_map(|m| match m.as_str()? {
        "ReadWriteOnce" => Some("RWO".to_string()),
        "ReadOnlyMany" => Some("ROX".to_string()),
        "ReadWriteMany" => Some("RWX".to_string()),
        "ReadWriteOncePod" => Some("RWOP".to_string()),
        _ => None,
    });
    joined(short, ",", "")
}

/// PersistentVolumes: NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM
/// STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE (wide: VOLUMEMODE).
pub fn persistent_volumes() -> Printer {
    Printer::new()
        .add("Capacity", "The capacity of the volume.", |o| text(o, &["spec", "capacity", "storage"]))
        .add("Access Modes", "How the volume can be mounted.", |o| access_modes(&o["spec"]["accessModes"]))
        .add("Reclaim Policy", "What happens to the volume when released from its claim.", |o| {
            text(o, &["spec", "persistentVolumeReclaimPolicy"])
        })
        .add("Status", "The phase of the volume.", |o| text(o, &["status", "phase"]))
        .add("Claim", "The claim bound to the volume.", |o| match o["spec"]["claimRef"]["name"].as_str() {
            Some(name) => json!(format!("{}/{name}", o["spec"]["claimRef"]["namespace"].as_str().unwrap_or_default())),
            None => json!(""),
        })
        .add("StorageClass", "The StorageClass the volume belongs to.", |o| text(o, &["spec", "storageClassName"]))
        .add("VolumeAttributesClass", "The VolumeAttributesClass the volume belongs to.", |o| {
            text_or(o, &["spec", "volumeAttributesClassName"], "<unset>")
        })
        .add("Reason", "The reason for the volume's phase.", |o| text(o, &["status", "reason"]))
        .age()
        .wide("VolumeMode", "Filesystem or Block.", |o| text_or(o, &["spec", "volumeMode"], "Filesystem"))
}

/// PersistentVolumeClaims: NAME STATUS VOLUME CAPACITY ACCESS MODES
/// STORAGECLASS VOLUMEATTRIBUTESCLASS AGE (wide: VOLUMEMODE).
pub fn persistent_volume_claims() -> Printer {
    Printer::new()
        .add("Status", "The phase of the claim.", |o| text(o, &["status", "phase"]))
        .add("Volume", "The volume bound to the claim.", |o| text(o, &["spec", "volumeName"]))
        .add("Capacity", "The capacity of the bound volume.", |o| text(o, &["status", "capacity", "storage"]))
        .add("Access Modes", "How the volume can be mounted.", |o| access_modes(&o["status"]["accessModes"]))
        .add("StorageClass", "The StorageClass the claim asks for.", |o| text(o, &["spec", "storageClassName"]))
        .add("VolumeAttributesClass", "The VolumeAttributesClass the claim asks for.", |o| {
            text_or(o, &["spec", "volumeAttributesClassName"], "<unset>")
        })
        .age()
        .wide("VolumeMode", "Filesystem or Block.", |o| text_or(o, &["spec", "volumeMode"], "Filesystem"))
}

/// StorageClasses: NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE
/// ALLOWVOLUMEEXPANSION AGE; the default class is marked `(default)`.
pub fn storage_classes() -> Printer {
    Printer::new()
        .name_cell(|o| {
            let name = o["metadata"]["name"].as_str().unwrap_or_default();
            let annotations = &o["metadata"]["annotations"];
            let default =
                ["storageclass.kubernetes.io/is-default-class", "storageclass.beta.kubernetes.io/is-default-class"]
                    .iter()
                    .any(|key| annotations[*key] == "true");
            json!(if default { format!("{name} (default)") } else { name.to_string() })
        })
        .add("Provisioner", "The provisioner of the class.", |o| text(o, &["provisioner"]))
        .add("ReclaimPolicy", "The reclaim policy of volumes of the class.", |o| {
            text_or(o, &["reclaimPolicy"], "Delete")
        })
        .add("VolumeBindingMode", "When volumes are bound and provisioned.", |o| {
            text_or(o, &["volumeBindingMode"], "Immediate")
        })
        .add("AllowVolumeExpansion", "Whether volumes of the class can be expanded.", |o| {
            boolean(o, &["allowVolumeExpansion"], false)
        })
        .age()
}

/// VolumeAttributesClasses: NAME DRIVERNAME AGE.
pub fn volume_attributes_classes() -> Printer {
    Printer::new().add("DriverName", "The CSI driver of the class.", |o| text(o, &["driverName"])).age()
}

/// CSIDrivers: NAME ATTACHREQUIRED PODINFOONMOUNT STORAGECAPACITY
/// TOKENREQUESTS REQUIRESREPUBLISH MODES AGE.
pub fn csi_drivers() -> Printer {
    Printer::new()
        .add("AttachRequired", "Whether the driver needs an attach operation.", |o| {
            boolean(o, &["spec", "attachRequired"], true)
        })
        .add("PodInfoOnMount", "Whether pod information is passed on mount.", |o| {
            boolean(o, &["spec", "podInfoOnMount"], false)
        })
        .add("StorageCapacity", "Whether the driver reports storage capacity.", |o| {
            boolean(o, &["spec", "storageCapacity"], false)
        })
        .add("TokenRequests", "The audiences of tokens passed to the driver.", |o| {
            let audiences = o["spec"]["tokenRequests"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| t["audience"].as_str().unwrap_or_default().to_string());
            joined(audiences, ",", "<unset>")
        })
        .add("RequiresRepublish", "Whether the driver wants NodePublishVolume called again.", |o| {
            boolean(o, &["spec", "requiresRepublish"], false)
        })
        .add("Modes", "The volume lifecycle modes the driver supports.", |o| {
            joined(strings(o, &["spec", "volumeLifecycleModes"]), ",", "Persistent")
        })
        .age()
}

/// CSINodes: NAME DRIVERS AGE.
pub fn csi_nodes() -> Printer {
    Printer::new().add("Drivers", "The number of CSI drivers on the node.", |o| count(o, &["spec", "drivers"])).age()
}

/// CSIStorageCapacities: NAME STORAGECLASSNAME CAPACITY.
pub fn csi_storage_capacities() -> Printer {
    Printer::new()
        .add("StorageClassName", "The StorageClass the capacity applies to.", |o| text(o, &["storageClassName"]))
        .add("Capacity", "The available capacity.", |o| text_or(o, &["capacity"], "<unset>"))
}

/// VolumeAttachments: NAME ATTACHER PV NODE ATTACHED AGE.
pub fn volume_attachments() -> Printer {
    Printer::new()
        .add("Attacher", "The volume driver that attaches the volume.", |o| text(o, &["spec", "attacher"]))
        .add("PV", "The persistent volume being attached.", |o| text(o, &["spec", "source", "persistentVolumeName"]))
        .add("Node", "The node the volume is attached to.", |o| text(o, &["spec", "nodeName"]))
        .add("Attached", "Whether the volume is attached.", |o| boolean(o, &["status", "attached"], false))
        .age()
}
