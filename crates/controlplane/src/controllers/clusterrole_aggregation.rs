//! Upstream's clusterrole-aggregation controller: a ClusterRole with an
//! aggregationRule (admin, edit, view) gets the union of the rules of every
//! ClusterRole its selectors pick, kept up to date as those change.

use std::sync::Arc;

use apimachinery::labels::selects;
use apiserver::registry::{Store, Subresource};
use serde_json::{Value, json};
use storage::ListOptions;

use super::watch_store;

/// Keeps aggregated ClusterRoles' rules the union of the roles they select.
pub struct ClusterRoleAggregation {
    /// The ClusterRoles.
    pub roles: Arc<Store>,
}

fn selected_by(aggregate: &Value, role: &Value) -> bool {
    let labels = &role["metadata"]["labels"];
    aggregate["aggregationRule"]["clusterRoleSelectors"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|selector| selects(selector, labels))
}

impl ClusterRoleAggregation {
    /// Starts the controller: every change to a ClusterRole re-aggregates.
    pub fn start(self: Arc<Self>) {
        let me = self.clone();
        watch_store(self.roles.clone(), "clusterrole-aggregation", move |_, _| {
            let me = me.clone();
            async move { me.aggregate_all().await }
        });
    }

    async fn aggregate_all(&self) {
        let ctx = super::controller_context("clusterrole-aggregation-controller", "");
        let Ok(list) = self.roles.list(&ctx, ListOptions::default()).await else { return };
        let roles: Vec<Value> = list.items.iter().filter_map(|o| serde_json::from_slice(&o.data).ok()).collect();
        for aggregate in roles.iter().filter(|r| r["aggregationRule"].is_object()) {
            let mut rules: Vec<Value> = Vec::new();
            for role in roles.iter().filter(|r| r["metadata"]["name"] != aggregate["metadata"]["name"]) {
                if selected_by(aggregate, role) {
                    for rule in role["rules"].as_array().into_iter().flatten() {
                        if !rules.contains(rule) {
                            rules.push(rule.clone());
                        }
                    }
                }
            }
            let rules = json!(rules);
            if aggregate["rules"] == rules
                || (rules.as_array().is_some_and(Vec::is_empty) && aggregate["rules"].is_null())
            {
                continue;
            }
            let name = aggregate["metadata"]["name"].as_str().unwrap_or_default().to_string();
            let set = Arc::new(move |current: &Value| {
                let mut updated = current.clone();
                updated["rules"] = rules.clone();
                Ok(updated)
            });
            if let Err(e) = self.roles.update(&ctx, &name, set, Subresource::Main).await {
                tracing::warn!(role = %name, error = %e.message, "clusterrole aggregation failed");
            }
        }
    }
}
