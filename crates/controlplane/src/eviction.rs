//! pods/eviction: deleting a pod only if its PodDisruptionBudget allows it,
//! answering 429 with upstream's causes when it does not.

use std::sync::Arc;

use apimachinery::ApiError;
use apimachinery::labels::selects;
use apimachinery::status::{StatusCause, StatusDetails};
use apiserver::registry::{Context, DeleteOptions, Store, Subresource};
use serde_json::{Value, json};
use storage::ListOptions;

/// The stores eviction needs, set once the catalogue is installed.
pub struct Eviction {
    /// The pods' store.
    pub pods: Arc<Store>,
    /// The PodDisruptionBudgets' store.
    pub budgets: Arc<Store>,
}

const REFUSED: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

fn refused(cause: String) -> ApiError {
    let mut error = ApiError::too_many_requests(REFUSED, 10);
    if let Some(details) = error.details.as_mut() {
        details.causes = vec![StatusCause { reason: "DisruptionBudget".into(), message: cause, field: String::new() }];
    } else {
        error.details = Some(Box::new(StatusDetails::default()));
    }
    error
}

impl Eviction {
    /// Evicts `pod` if its budget allows it.
    pub async fn evict(&self, ctx: &Context, pod: &Value, eviction: &Value) -> Result<Value, ApiError> {
        let name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let options = DeleteOptions {
            grace_period_seconds: eviction["deleteOptions"]["gracePeriodSeconds"].as_i64(),
            dry_run: ctx.dry_run,
            ..Default::default()
        };
        let phase = pod["status"]["phase"].as_str().unwrap_or_default();
        let exempt =
            matches!(phase, "Succeeded" | "Failed" | "Pending") || !pod["metadata"]["deletionTimestamp"].is_null();
        if !exempt {
            self.take_disruption(ctx, pod).await?;
        }
        self.pods.delete(ctx, &name, options).await?;
        Ok(json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}))
    }

    /// Checks the pod's budget and counts one disruption against it.
    async fn take_disruption(&self, ctx: &Context, pod: &Value) -> Result<(), ApiError> {
        let budgets = self.budgets.list(ctx, ListOptions::default()).await?;
        let matching: Vec<Value> = budgets
            .items
            .iter()
            .filter_map(|b| serde_json::from_slice::<Value>(&b.data).ok())
            .filter(|b| selects(&b["spec"]["selector"], &pod["metadata"]["labels"]))
            .collect();
        let budget = match matching.as_slice() {
            [] => return Ok(()),
            [one] => one,
            _ => {
                return Err(ApiError::internal(
                    "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
                ));
            }
        };
        let budget_name = budget["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let observed = budget["status"]["observedGeneration"].as_i64().unwrap_or(0);
        if observed < budget["metadata"]["generation"].as_i64().unwrap_or(0) {
            return Err(refused(format!(
                "The disruption budget {budget_name} is still being processed by the server."
            )));
        }
        let ready = pod["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True");
        let desired = budget["status"]["desiredHealthy"].as_i64().unwrap_or(0);
        let healthy = budget["status"]["currentHealthy"].as_i64().unwrap_or(0);
        if !ready {
            // An unready pod does not count as healthy: upstream evicts it
            // without spending a disruption when the policy says AlwaysAllow,
            // or (IfHealthyBudget, the default) when the budget is met.
            let always = budget["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow";
            if always || (desired > 0 && healthy >= desired) {
                return Ok(());
            }
        }
        let allowed = budget["status"]["disruptionsAllowed"].as_i64().unwrap_or(0);
        if allowed <= 0 {
            return Err(refused(format!(
                "The disruption budget {budget_name} needs {desired} healthy pods and has {healthy} currently"
            )));
        }
        if ctx.dry_run {
            return Ok(());
        }
        let expected_rv = budget["metadata"]["resourceVersion"].clone();
        let name = budget_name.clone();
        let pod_name = pod["metadata"]["name"].as_str().unwrap_or_default().to_string();
        let take = Arc::new(move |current: &Value| {
            if current["metadata"]["resourceVersion"] != expected_rv {
                return Err(refused(format!("The disruption budget {name} changed while evicting; try again")));
            }
            let mut next = current.clone();
            next["status"]["disruptionsAllowed"] = json!(allowed - 1);
            if !next["status"]["disruptedPods"].is_object() {
                next["status"]["disruptedPods"] = json!({});
            }
            next["status"]["disruptedPods"][&pod_name] = json!(apimachinery::now_rfc3339());
            Ok(next)
        });
        self.budgets.update(ctx, &budget_name, take, Subresource::Status).await.map(|_| ())
    }
}
