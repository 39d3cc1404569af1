//! Upstream's bootstrap RBAC policy: the ClusterRoles, ClusterRoleBindings,
//! Roles and RoleBindings kube-apiserver creates at start (cluster-admin,
//! admin, edit, view, the system:* roles and one system:controller:* role
//! and binding per kube-controller-manager controller), read from upstream's
//! own listing of them (its bootstrappolicy test data) in `policy/`.

use std::sync::Arc;

use apiserver::registry::Store;
use serde_json::Value;

use super::{ensure, find};

/// Each file is a v1 List; (group, plural, file).
const POLICY: [(&str, &str, &str); 6] = [
    ("rbac.authorization.k8s.io", "clusterroles", include_str!("policy/cluster-roles.yaml")),
    ("rbac.authorization.k8s.io", "clusterroles", include_str!("policy/controller-roles.yaml")),
    ("rbac.authorization.k8s.io", "clusterrolebindings", include_str!("policy/cluster-role-bindings.yaml")),
    ("rbac.authorization.k8s.io", "clusterrolebindings", include_str!("policy/controller-role-bindings.yaml")),
    ("rbac.authorization.k8s.io", "roles", include_str!("policy/namespace-roles.yaml")),
    ("rbac.authorization.k8s.io", "rolebindings", include_str!("policy/namespace-role-bindings.yaml")),
];

/// The objects of one policy file, ready to create.
fn items(text: &str) -> Result<Vec<Value>, String> {
    let list: Value = serde_yaml::from_str(text).map_err(|e| format!("bootstrap policy: {e}"))?;
    Ok(list["items"].as_array().cloned().unwrap_or_default())
}

/// Creates every policy object that is missing, all at once (the store
/// commits concurrent writes together).
pub async fn run(stores: &[Arc<Store>]) -> Result<(), String> {
    let mut creations = Vec::new();
    for (group, plural, text) in POLICY {
        let store = find(stores, group, plural)?;
        for item in items(text)? {
            let namespace = item["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
            creations.push(async move { ensure(store, &namespace, item).await });
        }
    }
    futures::future::try_join_all(creations).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_has_upstreams_user_facing_roles() {
        let roles = items(POLICY[0].2).unwrap();
        let named = |name: &str| roles.iter().find(|r| r["metadata"]["name"] == name).cloned();
        for name in ["cluster-admin", "admin", "edit", "view", "system:basic-user", "system:discovery"] {
            assert!(named(name).is_some(), "{name} is missing");
        }
        let admin = named("admin").unwrap();
        let selector = &admin["aggregationRule"]["clusterRoleSelectors"][0]["matchLabels"];
        assert_eq!(selector["rbac.authorization.k8s.io/aggregate-to-admin"], "true");
        for (_, _, text) in POLICY {
            assert!(!items(text).unwrap().is_empty());
        }
        let controller_roles = items(POLICY[1].2).unwrap();
        let controller_bindings = items(POLICY[3].2).unwrap();
        for binding in &controller_bindings {
            let role = &binding["roleRef"]["name"];
            assert!(controller_roles.iter().any(|r| &r["metadata"]["name"] == role), "{role} has no role");
        }
    }
}
