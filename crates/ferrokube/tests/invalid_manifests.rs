//! Invalid manifests, one table row per kind: kubectl gets upstream's
//! "<Kind> \"<name>\" is invalid" with upstream's field path and message,
//! and nothing is stored.

mod support;

use support::Server;

/// (resource, name, manifest, what kubectl must print).
const CASES: &[(&str, &str, &str, &str)] = &[
    (
        "pod",
        "web",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web}]",
        r#"The Pod "web" is invalid: spec.containers[0].image: Required value"#,
    ),
    (
        "deployment",
        "web",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: other}}\n    spec: {containers: [{name: web, image: nginx}]}",
        "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`",
    ),
    (
        "statefulset",
        "db",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec:\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {restartPolicy: Never, containers: [{name: db, image: postgres}]}",
        r#"The StatefulSet "db" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#,
    ),
    (
        "daemonset",
        "agent",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  template:\n    metadata: {labels: {app: agent}}\n    spec: {containers: [{name: agent, image: busybox}]}",
        r#"The DaemonSet "agent" is invalid: spec.selector: Required value"#,
    ),
    (
        "replicationcontroller",
        "rc",
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec:\n  replicas: -1\n  template:\n    metadata: {labels: {app: rc}}\n    spec: {containers: [{name: rc, image: nginx}]}",
        r#"The ReplicationController "rc" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"#,
    ),
    (
        "job",
        "once",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec: {containers: [{name: once, image: busybox}]}",
        r#"The Job "once" is invalid: spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never""#,
    ),
    (
        "cronjob",
        "nightly",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  schedule: every night\n  jobTemplate:\n    spec:\n      template:\n        spec: {restartPolicy: OnFailure, containers: [{name: nightly, image: busybox}]}",
        r#"The CronJob "nightly" is invalid: spec.schedule: Invalid value: "every night": expected exactly 5 fields, found 2: [every night]"#,
    ),
    (
        "service",
        "web",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  ports: [{port: 70000}]",
        r#"The Service "web" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive"#,
    ),
    (
        "ingress",
        "site",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: site}\nspec:\n  rules:\n  - host: example.com\n    http:\n      paths:\n      - path: /\n        backend: {service: {name: web, port: {number: 80}}}",
        r#"The Ingress "site" is invalid: spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"#,
    ),
    (
        "ingressclass",
        "nginx",
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: nginx}",
        r#"The IngressClass "nginx" is invalid: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")"#,
    ),
    (
        "networkpolicy",
        "deny",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec:\n  podSelector: {}\n  ingress:\n  - from: [{ipBlock: {cidr: 10.0.0.0/33}}]",
        r#"The NetworkPolicy "deny" is invalid: spec.ingress[0].from[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"#,
    ),
    (
        "persistentvolume",
        "disk",
        "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: disk}\nspec:\n  capacity: {storage: 1Gi}\n  accessModes: [ReadWriteOnce]",
        r#"The PersistentVolume "disk" is invalid: spec: Required value: must specify a volume type"#,
    ),
    (
        "persistentvolumeclaim",
        "data",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec:\n  resources: {requests: {storage: 1Gi}}",
        r#"The PersistentVolumeClaim "data" is invalid: spec.accessModes: Required value: at least 1 access mode is required"#,
    ),
    (
        "storageclass",
        "fast",
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nreclaimPolicy: Keep",
        r#"* reclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Retain""#,
    ),
    (
        "role",
        "reader",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader}\nrules:\n- apiGroups: ['']\n  resources: [pods]",
        r#"The Role "reader" is invalid: rules[0].verbs: Required value: verbs must contain at least one value"#,
    ),
    (
        "clusterrole",
        "metrics",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics}\nrules:\n- nonResourceURLs: [/metrics]\n  resources: [pods]\n  verbs: [get]",
        r#"The ClusterRole "metrics" is invalid: rules[0].nonResourceURLs: Invalid value: []string{"/metrics"}: rules cannot apply to both regular resources and non-resource URLs"#,
    ),
    (
        "rolebinding",
        "bind",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: bind}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Secret, name: view}\nsubjects: [{kind: User, name: bob}]",
        r#"The RoleBinding "bind" is invalid: roleRef.kind: Unsupported value: "Secret": supported values: "Role", "ClusterRole""#,
    ),
    (
        "clusterrolebinding",
        "bind",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: bind}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: robot}]",
        r#"The ClusterRoleBinding "bind" is invalid: subjects[0].namespace: Required value"#,
    ),
    (
        "poddisruptionbudget",
        "budget",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: budget}\nspec: {minAvailable: 1, maxUnavailable: 1}",
        "minAvailable and maxUnavailable cannot be both set",
    ),
    (
        "endpointslice",
        "web-abc",
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-abc}\naddressType: IPv4\nendpoints: [{addresses: [not-an-ip]}]",
        r#"The EndpointSlice "web-abc" is invalid: endpoints[0].addresses[0]: Invalid value: "not-an-ip": must be a valid IPv4 address"#,
    ),
    (
        "runtimeclass",
        "gvisor",
        "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: Run_SC",
        r#"The RuntimeClass "gvisor" is invalid: handler: Invalid value: "Run_SC": a lowercase RFC 1123 label"#,
    ),
    (
        "resourcequota",
        "quota",
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota}\nspec: {hard: {pods: '-1'}}",
        r#"The ResourceQuota "quota" is invalid: spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0"#,
    ),
    (
        "limitrange",
        "limits",
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits}\nspec: {limits: [{type: Node}]}",
        r#"The LimitRange "limits" is invalid: spec.limits[0].type: Unsupported value: "Node""#,
    ),
    (
        "validatingwebhookconfiguration",
        "check",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: check}\nwebhooks: [{name: check, clientConfig: {url: 'http://example.com'}, sideEffects: None, admissionReviewVersions: [v1]}]",
        r#"webhooks[0].name: Invalid value: "check": should be a domain with at least three segments separated by dots"#,
    ),
    (
        "validatingadmissionpolicy",
        "replicas",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: replicas}\nspec: {matchConstraints: {resourceRules: []}}",
        r#"spec.validations: Required value: validations or auditAnnotations must contain at least one item"#,
    ),
    (
        "validatingadmissionpolicybinding",
        "replicas",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: replicas}\nspec: {policyName: replicas, validationActions: [Deny, Warn]}",
        r#"spec.validationActions: Invalid value: []string{"Deny", "Warn"}: must not contain both Deny and Warn"#,
    ),
    (
        "flowschema",
        "batch",
        "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema\nmetadata: {name: batch}\nspec: {priorityLevelConfiguration: {name: workload-low}, matchingPrecedence: 20000}",
        r#"The FlowSchema "batch" is invalid: spec.matchingPrecedence: Invalid value: 20000: must be between 1 and 10000, inclusive"#,
    ),
    (
        "prioritylevelconfiguration",
        "batch",
        "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: PriorityLevelConfiguration\nmetadata: {name: batch}\nspec: {type: Limited}",
        r#"The PriorityLevelConfiguration "batch" is invalid: spec.limited: Required value: must not be empty when type is Limited"#,
    ),
    (
        "configmap",
        "Bad_Name",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: Bad_Name}",
        r#"The ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain"#,
    ),
];

#[test]
fn invalid_manifests_are_refused_with_upstreams_field_paths() {
    let server = Server::start();
    for (resource, name, manifest, expected) in CASES {
        let output = server.kubectl_stdin(&["create", "-f", "-"], manifest);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{resource} was accepted:\n{manifest}");
        assert!(stderr.contains(expected), "{resource}: expected {expected:?}, got:\n{stderr}");
        let gone = server.fails(&["get", resource, name]);
        assert!(gone.contains("NotFound"), "{resource} {name} was stored: {gone}");
    }
}
