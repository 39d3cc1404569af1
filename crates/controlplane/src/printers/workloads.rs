//! Printers of workload kinds without strategies of their own.

use apiserver::registry::table::Printer;
use serde_json::{Value, json};

use super::*;

/// The pod template of a workload (`spec.template.spec`).
fn pod_template(o: &Value) -> &Value {
    &o["spec"]["template"]["spec"]
}

/// Adds the wide Containers and Images columns of the pod template that
/// `template` finds.
fn with_template(printer: Printer, template: fn(&Value) -> &Value) -> Printer {
    printer
        .wide("Containers", "Names of each container in the template.", move |o| containers_and_images(template(o)).0)
        .wide("Images", "Images referenced by each container in the template.", move |o| {
            containers_and_images(template(o)).1
        })
}

/// Deployments: NAME READY UP-TO-DATE AVAILABLE AGE (wide: CONTAINERS
/// IMAGES SELECTOR).
pub fn deployments() -> Printer {
    Printer::new()
        .add("Ready", "Number of the pod with ready state", |o| {
            json!(format!("{}/{}", int(o, &["status", "readyReplicas"]), int(o, &["spec", "replicas"])))
        })
        .add(
            "Up-to-date",
            "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            |o| int(o, &["status", "updatedReplicas"]),
        )
        .add(
            "Available",
            "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            |o| int(o, &["status", "availableReplicas"]),
        )
        .age()
        .apply(|p| with_template(p, pod_template))
        .wide("Selector", "Label selector for pods.", |o| label_selector(&o["spec"]["selector"]))
}

/// ReplicaSets: NAME DESIRED CURRENT READY AGE (wide: CONTAINERS IMAGES
/// SELECTOR).
pub fn replica_sets() -> Printer {
    Printer::new()
        .add("Desired", "Number of desired pods.", |o| int(o, &["spec", "replicas"]))
        .add("Current", "Number of actual replicas.", |o| int(o, &["status", "replicas"]))
        .add("Ready", "Number of ready replicas.", |o| int(o, &["status", "readyReplicas"]))
        .age()
        .apply(|p| with_template(p, pod_template))
        .wide("Selector", "Label query over pods that should match the replica count.", |o| {
            label_selector(&o["spec"]["selector"])
        })
}

/// ReplicationControllers: NAME DESIRED CURRENT READY AGE (wide: CONTAINERS
/// IMAGES SELECTOR).
pub fn replication_controllers() -> Printer {
    Printer::new()
        .add("Desired", "Number of desired pods.", |o| int(o, &["spec", "replicas"]))
        .add("Current", "Number of actual replicas.", |o| int(o, &["status", "replicas"]))
        .add("Ready", "The number of ready replicas for this replication controller.", |o| {
            int(o, &["status", "readyReplicas"])
        })
        .age()
        .apply(|p| with_template(p, pod_template))
        .wide("Selector", "Label keys and values that pods must match to be controlled.", |o| {
            label_map(&o["spec"]["selector"])
        })
}

/// StatefulSets: NAME READY AGE (wide: CONTAINERS IMAGES).
pub fn stateful_sets() -> Printer {
    Printer::new()
        .add("Ready", "Number of the pod with ready state", |o| {
            json!(format!("{}/{}", int(o, &["status", "readyReplicas"]), int(o, &["spec", "replicas"])))
        })
        .age()
        .apply(|p| with_template(p, pod_template))
}

/// DaemonSets: NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR
/// AGE (wide: CONTAINERS IMAGES SELECTOR).
pub fn daemon_sets() -> Printer {
    Printer::new()
        .add("Desired", "The total number of nodes that should be running the daemon pod.", |o| {
            int(o, &["status", "desiredNumberScheduled"])
        })
        .add("Current", "The number of nodes running at least one daemon pod.", |o| {
            int(o, &["status", "currentNumberScheduled"])
        })
        .add("Ready", "The number of nodes running the daemon pod with a Ready pod.", |o| {
            int(o, &["status", "numberReady"])
        })
        .add("Up-to-date", "The total number of nodes running updated daemon pod.", |o| {
            int(o, &["status", "updatedNumberScheduled"])
        })
        .add("Available", "The number of nodes running the daemon pod available.", |o| {
            int(o, &["status", "numberAvailable"])
        })
        .add("Node Selector", "NodeSelector of the daemon pods.", |o| {
            label_map(&o["spec"]["template"]["spec"]["nodeSelector"])
        })
        .age()
        .apply(|p| with_template(p, pod_template))
        .wide("Selector", "A label query over pods that are managed by the daemon set.", |o| {
            label_selector(&o["spec"]["selector"])
        })
}

fn has_condition(object: &Value, kind: &str) -> bool {
    object["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == kind && c["status"] == "True")
}

/// A Job's STATUS column, as upstream derives it from its conditions.
fn job_status(job: &Value) -> &'static str {
    if has_condition(job, "Complete") {
        "Complete"
    } else if has_condition(job, "Failed") {
        "Failed"
    } else if job["metadata"]["deletionTimestamp"].is_string() {
        "Terminating"
    } else if has_condition(job, "FailureTarget") {
        "FailureTarget"
    } else if has_condition(job, "SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else if has_condition(job, "Suspended") {
        "Suspended"
    } else {
        "Running"
    }
}

fn job_completions(job: &Value) -> String {
    let succeeded = job["status"]["succeeded"].as_i64().unwrap_or(0);
    match job["spec"]["completions"].as_i64() {
        Some(completions) => format!("{succeeded}/{completions}"),
        None => format!("{succeeded}/1 of {}", job["spec"]["parallelism"].as_i64().unwrap_or(1)),
    }
}

/// Jobs: NAME STATUS COMPLETIONS DURATION AGE (wide: CONTAINERS IMAGES
/// SELECTOR).
pub fn jobs() -> Printer {
    Printer::new()
        .add("Status", "Status of the job.", |o| json!(job_status(o)))
        .add("Completions", "The completion status of the job.", |o| json!(job_completions(o)))
        .add("Duration", "Time required to complete the job.", |o| match o["status"]["startTime"].as_str() {
            Some(start) => json!(duration_between(start, o["status"]["completionTime"].as_str())),
            None => json!(""),
        })
        .age()
        .apply(|p| with_template(p, pod_template))
        .wide("Selector", "Selector of the job.", |o| label_selector(&o["spec"]["selector"]))
}

/// CronJobs: NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE (wide:
/// CONTAINERS IMAGES SELECTOR).
pub fn cron_jobs() -> Printer {
    let template: fn(&Value) -> &Value = |o| &o["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    Printer::new()
        .add("Schedule", "The schedule in Cron format.", |o| text(o, &["spec", "schedule"]))
        .add("Timezone", "The time zone of the schedule.", |o| text_or(o, &["spec", "timeZone"], "<none>"))
        .add("Suspend", "Whether the cron job is suspended.", |o| {
            json!(if o["spec"]["suspend"].as_bool().unwrap_or(false) { "True" } else { "False" })
        })
        .add("Active", "The number of active jobs.", |o| count(o, &["status", "active"]))
        .add("Last Schedule", "When the job was last scheduled.", |o| since(o, &["status", "lastScheduleTime"]))
        .age()
        .apply(|p| with_template(p, template))
        .wide("Selector", "Selector of the job.", |o| label_selector(&o["spec"]["jobTemplate"]["spec"]["selector"]))
}

/// ControllerRevisions: NAME CONTROLLER REVISION AGE.
pub fn controller_revisions() -> Printer {
    Printer::new()
        .add("Controller", "The controller of this revision.", |o| {
            let owners = o["metadata"]["ownerReferences"].as_array().cloned().unwrap_or_default();
            match owners.iter().find(|r| r["controller"] == true) {
                Some(owner) => {
                    let group = owner["apiVersion"].as_str().unwrap_or_default().rsplit_once('/').map(|(g, _)| g);
                    let kind = owner["kind"].as_str().unwrap_or_default().to_lowercase();
                    let name = owner["name"].as_str().unwrap_or_default();
                    json!(match group {
                        Some(group) => format!("{kind}.{group}/{name}"),
                        None => format!("{kind}/{name}"),
                    })
                }
                None => json!("<none>"),
            }
        })
        .add("Revision", "The revision number.", |o| int(o, &["revision"]))
        .age()
}

/// HorizontalPodAutoscalers (autoscaling/v2): NAME REFERENCE TARGETS MINPODS
/// MAXPODS REPLICAS AGE.
pub fn horizontal_pod_autoscalers() -> Printer {
    Printer::new()
        .add("Reference", "The target reference.", |o| {
            json!(format!(
                "{}/{}",
                o["spec"]["scaleTargetRef"]["kind"].as_str().unwrap_or_default(),
                o["spec"]["scaleTargetRef"]["name"].as_str().unwrap_or_default()
            ))
        })
        .add("Targets", "The current and target metrics.", |o| json!(hpa_targets(o)))
        .add("MinPods", "Lower limit for the number of pods.", |o| match o["spec"]["minReplicas"].as_i64() {
            Some(n) => json!(n.to_string()),
            None => json!("<unset>"),
        })
        .add("MaxPods", "Upper limit for the number of pods.", |o| int(o, &["spec", "maxReplicas"]))
        .add("Replicas", "Current number of replicas.", |o| int(o, &["status", "currentReplicas"]))
        .age()
}

/// The TARGETS column: `current/target` per metric, as upstream formats it.
fn hpa_targets(hpa: &Value) -> String {
    let metrics = hpa["spec"]["metrics"].as_array().cloned().unwrap_or_default();
    if metrics.is_empty() {
        return "<none>".into();
    }
    let current = hpa["status"]["currentMetrics"].as_array().cloned().unwrap_or_default();
    let mut shown: Vec<String> = metrics
        .iter()
        .enumerate()
        .take(3)
        .map(|(i, metric)| {
            let kind = metric["type"].as_str().unwrap_or_default();
            let source = &metric[super::lower_first(kind)];
            let target = &source["target"];
            let now = current.get(i).map(|c| &c[super::lower_first(kind)]["current"]);
            let (target_text, current_text) = match target["type"].as_str() {
                Some("Utilization") => (
                    format!("{}%", target["averageUtilization"]),
                    now.and_then(|n| n["averageUtilization"].as_i64()).map(|v| format!("{v}%")),
                ),
                Some("AverageValue") => (
                    target["averageValue"].as_str().unwrap_or_default().to_string(),
                    now.and_then(|n| n["averageValue"].as_str()).map(str::to_string),
                ),
                _ => (
                    target["value"].as_str().unwrap_or_default().to_string(),
                    now.and_then(|n| n["value"].as_str()).map(str::to_string),
                ),
            };
            let current_text = current_text.unwrap_or_else(|| "<unknown>".into());
            match kind {
                "Resource" | "ContainerResource" => {
                    format!("{}: {current_text}/{target_text}", source["name"].as_str().unwrap_or_default())
                }
                _ => format!("{current_text}/{target_text}"),
            }
        })
        .collect();
    if metrics.len() > 3 {
        shown.push(format!("+ {} more...", metrics.len() - 3));
    }
    shown.join(", ")
}

/// PodTemplates: NAME CONTAINERS IMAGES POD LABELS.
pub fn pod_templates() -> Printer {
    Printer::new()
        .add("Containers", "Names of each container in the template.", |o| {
            containers_and_images(&o["template"]["spec"]).0
        })
        .add("Images", "Images referenced by each container in the template.", |o| {
            containers_and_images(&o["template"]["spec"]).1
        })
        .add("Pod Labels", "The labels for the pod template.", |o| label_map(&o["template"]["metadata"]["labels"]))
}
