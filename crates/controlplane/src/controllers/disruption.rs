//! The disruption controller: keeps each PodDisruptionBudget's status
//! (expected, healthy and desired pods, disruptions allowed) in step with
//! the pods it selects, so that evictions can honour it. Pods an eviction
//! has counted (status.disruptedPods) are not healthy while they remain.

use std::sync::Arc;

use apimachinery::labels::selects;
use apiserver::registry::{Store, Subresource};
use serde_json::{Value, json};
use storage::ListOptions;

use super::controller_context;

const NAME: &str = "disruption-controller";

/// Computes PodDisruptionBudget status.
pub struct DisruptionController {
    /// The pods' store.
    pub pods: Arc<Store>,
    /// The PodDisruptionBudgets' store.
    pub budgets: Arc<Store>,
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == "Ready" && c["status"] == "True")
        && pod["metadata"]["deletionTimestamp"].is_null()
}

/// How many of `expected` pods `value` (an int or a percentage) stands for,
/// rounding up as upstream does.
fn scaled(value: &Value, expected: i64) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()).map(|p| (p * expected + 99) / 100),
        _ => None,
    }
}

/// How long an evicted pod counts as disrupted while it is not yet deleted
/// (upstream's DeletionTimeout); after that it counts again.
const DELETION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// Whether an eviction recorded at `since` is still expected to end in the
/// pod's deletion.
fn eviction_pending(since: &str) -> bool {
    apiserver::registry::table::parse_rfc3339(since)
        .and_then(|at| std::time::SystemTime::now().duration_since(at).ok())
        .is_some_and(|elapsed| elapsed < DELETION_TIMEOUT)
}

/// The status a budget should have given the pods it selects.
pub fn budget_status(budget: &Value, pods: &[Value]) -> Value {
    let selected: Vec<&Value> =
        pods.iter().filter(|pod| selects(&budget["spec"]["selector"], &pod["metadata"]["labels"])).collect();
    let expected = selected.len() as i64;
    let disrupted = &budget["status"]["disruptedPods"];
    let being_evicted = |pod: &Value| {
        pod["metadata"]["name"].as_str().and_then(|n| disrupted[n].as_str()).is_some_and(eviction_pending)
    };
    let healthy = selected.iter().filter(|pod| ready(pod) && !being_evicted(pod)).count() as i64;
    let still_disrupted: serde_json::Map<String, Value> = selected
        .iter()
        .filter(|pod| being_evicted(pod))
        .filter_map(|pod| pod["metadata"]["name"].as_str().map(|n| (n.to_string(), disrupted[n].clone())))
        .collect();
    let desired = match (
        scaled(&budget["spec"]["minAvailable"], expected),
        scaled(&budget["spec"]["maxUnavailable"], expected),
    ) {
        (Some(min), _) => min,
        (None, Some(max)) => (expected - max).max(0),
        (None, None) => 0,
    };
    let allowed = (healthy - desired).max(0);
    json!({
        "observedGeneration": budget["metadata"]["generation"],
        "expectedPods": expected,
        "currentHealthy": healthy,
        "desiredHealthy": desired,
        "disruptionsAllowed": allowed,
        "disruptedPods": still_disrupted,
        "conditions": [{
            "type": "DisruptionAllowed",
            "status": if allowed > 0 { "True" } else { "False" },
            "reason": if allowed > 0 { "SufficientPods" } else { "InsufficientPods" },
            "message": "",
            "observedGeneration": budget["metadata"]["generation"],
            "lastTransitionTime": apimachinery::now_rfc3339(),
        }],
    })
}

impl DisruptionController {
    /// Recomputes every budget in `namespace`.
    async fn sync(&self, namespace: &str) {
        let ctx = controller_context(NAME, namespace);
        let Ok(budgets) = self.budgets.list(&ctx, ListOptions::default()).await else { return };
        if budgets.items.is_empty() {
            return;
        }
        let Ok(pods) = self.pods.list(&ctx, ListOptions::default()).await else { return };
        let pods: Vec<Value> = pods.items.iter().filter_map(|p| serde_json::from_slice(&p.data).ok()).collect();
        for item in budgets.items {
            let Ok(budget) = serde_json::from_slice::<Value>(&item.data) else { continue };
            let status = budget_status(&budget, &pods);
            let same = [
                "observedGeneration",
                "expectedPods",
                "currentHealthy",
                "desiredHealthy",
                "disruptionsAllowed",
                "disruptedPods",
            ]
            .iter()
            .all(|field| budget["status"][field] == status[field]);
            if same {
                continue;
            }
            let name = budget["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let set = Arc::new(move |current: &Value| {
                let mut next = current.clone();
                next["status"] = status.clone();
                Ok(next)
            });
            if let Err(e) = self.budgets.update(&ctx, &name, set, Subresource::Status).await {
                tracing::debug!(budget = name, error = %e.message, "disruption controller: status not written");
            }
        }
    }

    /// Recomputes the budgets of a namespace whenever a pod or a budget in
    /// it changes.
    pub fn start(self: Arc<Self>) {
        for store in [self.pods.clone(), self.budgets.clone()] {
            let controller = self.clone();
            super::watch_store(store, NAME, move |_, object| {
                let controller = controller.clone();
                async move {
                    if let Some(namespace) = object["metadata"]["namespace"].as_str() {
                        controller.sync(namespace).await;
                    }
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(app: &str, ready: bool) -> Value {
        json!({"metadata": {"labels": {"app": app}}, "status": {"conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" }}]}})
    }

    #[test]
    fn allowed_disruptions_follow_min_available_and_max_unavailable() {
        let pods = [pod("web", true), pod("web", true), pod("web", false), pod("db", true)];
        let min = json!({"metadata": {"generation": 1}, "spec": {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}});
        let status = budget_status(&min, &pods);
        assert_eq!(
            (status["expectedPods"].as_i64(), status["currentHealthy"].as_i64(), status["disruptionsAllowed"].as_i64()),
            (Some(3), Some(2), Some(1))
        );
        let max = json!({"metadata": {"generation": 1}, "spec": {"maxUnavailable": "50%", "selector": {"matchLabels": {"app": "web"}}}});
        assert_eq!(budget_status(&max, &pods)["desiredHealthy"], 1);
        let none = json!({"metadata": {"generation": 1}, "spec": {"minAvailable": "100%", "selector": {"matchLabels": {"app": "web"}}}});
        assert_eq!(budget_status(&none, &pods)["disruptionsAllowed"], 0);
    }
}
