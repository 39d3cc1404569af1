//! What upstream creates at start: the bootstrap RBAC policy with
//! admin/edit/view aggregated, and the API Priority and Fairness defaults.

mod support;

use support::Server;

#[test]
fn bootstrap_rbac_and_flow_control_exist_and_aggregation_follows_labels() {
    let server = Server::start();
    let roles = server.ok(&["get", "clusterroles", "-o", "name"]);
    for role in [
        "cluster-admin",
        "admin",
        "edit",
        "view",
        "system:discovery",
        "system:aggregate-to-edit",
        "system:controller:replicaset-controller",
        "system:controller:service-cidrs-controller",
    ] {
        assert!(roles.contains(&format!("clusterrole.rbac.authorization.k8s.io/{role}\n")), "{role}:\n{roles}");
    }
    let binding = server.ok(&["get", "clusterrolebinding", "cluster-admin", "-o", "jsonpath={.subjects[0].name}"]);
    assert_eq!(binding, "system:masters");
    let controller = "system:controller:job-controller";
    let account = server.ok(&["get", "clusterrolebinding", controller, "-o", "jsonpath={.subjects[0].name}"]);
    assert_eq!(account, "job-controller");
    let roles_in_system = server.ok(&["get", "roles", "-n", "kube-system", "-o", "name"]);
    assert!(roles_in_system.contains("extension-apiserver-authentication-reader"), "{roles_in_system}");

    let view = server.ok(&["get", "clusterrole", "view", "-o", "jsonpath={.rules[*].resources}"]);
    assert!(view.contains("\"pods\""), "view aggregates system:aggregate-to-view: {view}");

    let widgets = "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: widgets-view\n  labels: {rbac.authorization.k8s.io/aggregate-to-view: 'true'}\nrules: [{apiGroups: [example.com], resources: [widgets], verbs: [get, list, watch]}]";
    assert!(server.kubectl_stdin(&["create", "-f", "-"], widgets).status.success());
    let mut aggregated = String::new();
    for _ in 0..50 {
        aggregated = server.ok(&["get", "clusterrole", "view", "-o", "jsonpath={.rules[*].resources}"]);
        if aggregated.contains("widgets") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(aggregated.contains("widgets"), "a labelled role joins view: {aggregated}");

    let schemas = server.ok(&["get", "flowschemas"]);
    for line in
        ["exempt exempt 1 <none>", "catch-all catch-all 10000 ByUser", "service-accounts workload-low 9000 ByUser"]
    {
        let rows: Vec<String> = schemas.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        assert!(rows.iter().any(|r| r.starts_with(line) && r.ends_with("False")), "{line}:\n{schemas}");
    }
    let levels = server.ok(&["get", "prioritylevelconfigurations", "-o", "name"]);
    for level in [
        "exempt",
        "catch-all",
        "system",
        "node-high",
        "leader-election",
        "workload-high",
        "workload-low",
        "global-default",
    ] {
        assert!(levels.contains(&format!("/{level}\n")), "{level}:\n{levels}");
    }
}
