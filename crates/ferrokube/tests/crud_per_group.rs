//! For each API group, kubectl creates, lists, updates (labels) and deletes
//! one object of each kind from a typical manifest, and `kubectl get` shows
//! upstream's columns.

mod support;

use support::Server;

/// (resource, name, manifest, the header `kubectl get` prints).
const KINDS: &[(&str, &str, &str, &str)] = &[
    (
        "configmaps",
        "settings",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: fast}",
        "NAME DATA AGE",
    ),
    (
        "secrets",
        "creds",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: s3cret}",
        "NAME TYPE DATA AGE",
    ),
    ("serviceaccounts", "robot", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: robot}", "NAME SECRETS AGE"),
    (
        "services",
        "web",
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: [{port: 80}]}",
        "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
    ),
    (
        "pods",
        "web",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: nginx:1.27}]}",
        "NAME READY STATUS RESTARTS AGE",
    ),
    (
        "endpoints",
        "web-ep",
        "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web-ep}\nsubsets: [{addresses: [{ip: 10.1.0.5}], ports: [{port: 80}]}]",
        "NAME ENDPOINTS AGE",
    ),
    (
        "limitranges",
        "limits",
        "apiVersion: v1\nkind: LimitRange\nmetadata: {name: limits}\nspec: {limits: [{type: Container, default: {cpu: 500m}}]}",
        "NAME CREATED AT",
    ),
    (
        "resourcequotas",
        "quota",
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: quota}\nspec: {hard: {pods: '10'}}",
        "NAME AGE REQUEST LIMIT",
    ),
    (
        "persistentvolumes",
        "disk",
        "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: disk}\nspec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce], hostPath: {path: /data}}",
        "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE",
    ),
    (
        "persistentvolumeclaims",
        "data",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data}\nspec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}",
        "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE",
    ),
    (
        "podtemplates",
        "tmpl",
        "apiVersion: v1\nkind: PodTemplate\nmetadata: {name: tmpl}\ntemplate: {metadata: {labels: {app: t}}, spec: {containers: [{name: t, image: busybox}]}}",
        "NAME CONTAINERS IMAGES POD LABELS",
    ),
    (
        "replicationcontrollers",
        "rc",
        "apiVersion: v1\nkind: ReplicationController\nmetadata: {name: rc}\nspec: {replicas: 1, template: {metadata: {labels: {app: rc}}, spec: {containers: [{name: rc, image: nginx}]}}}",
        "NAME DESIRED CURRENT READY AGE",
    ),
    ("nodes", "worker-1", "apiVersion: v1\nkind: Node\nmetadata: {name: worker-1}", "NAME STATUS ROLES AGE VERSION"),
    ("namespaces", "team-a", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}", "NAME STATUS AGE"),
    (
        "deployments.apps",
        "web",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}",
        "NAME READY UP-TO-DATE AVAILABLE AGE",
    ),
    (
        "replicasets.apps",
        "web-rs",
        "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-rs}\nspec: {selector: {matchLabels: {app: rs}}, template: {metadata: {labels: {app: rs}}, spec: {containers: [{name: web, image: nginx}]}}}",
        "NAME DESIRED CURRENT READY AGE",
    ),
    (
        "statefulsets.apps",
        "db",
        "apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db}\nspec: {serviceName: db, selector: {matchLabels: {app: db}}, template: {metadata: {labels: {app: db}}, spec: {containers: [{name: db, image: postgres}]}}}",
        "NAME READY AGE",
    ),
    (
        "daemonsets.apps",
        "agent",
        "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec: {selector: {matchLabels: {app: agent}}, template: {metadata: {labels: {app: agent}}, spec: {containers: [{name: agent, image: busybox}]}}}",
        "NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE",
    ),
    (
        "controllerrevisions.apps",
        "agent-1",
        "apiVersion: apps/v1\nkind: ControllerRevision\nmetadata: {name: agent-1}\nrevision: 1\ndata: {}",
        "NAME CONTROLLER REVISION AGE",
    ),
    (
        "horizontalpodautoscalers.autoscaling",
        "web",
        "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 3}",
        "NAME REFERENCE TARGETS MINPODS MAXPODS REPLICAS AGE",
    ),
    (
        "jobs.batch",
        "once",
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: once, image: busybox}]}}}",
        "NAME STATUS COMPLETIONS DURATION AGE",
    ),
    (
        "cronjobs.batch",
        "nightly",
        "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec: {schedule: '0 3 * * *', jobTemplate: {spec: {template: {spec: {restartPolicy: OnFailure, containers: [{name: nightly, image: busybox}]}}}}}",
        "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE",
    ),
    (
        "certificatesigningrequests.certificates.k8s.io",
        "client",
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {name: client}\nspec: {request: CSR_REQUEST, signerName: kubernetes.io/kube-apiserver-client, usages: [client auth]}",
        "NAME AGE SIGNERNAME REQUESTOR REQUESTEDDURATION CONDITION",
    ),
    (
        "leases.coordination.k8s.io",
        "leader",
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: leader}\nspec: {holderIdentity: me}",
        "NAME HOLDER AGE",
    ),
    (
        "endpointslices.discovery.k8s.io",
        "web-abc",
        "apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-abc}\naddressType: IPv4\nendpoints: [{addresses: [10.1.0.5]}]\nports: [{port: 80}]",
        "NAME ADDRESSTYPE PORTS ENDPOINTS AGE",
    ),
    (
        "events.events.k8s.io",
        "poked",
        "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata: {name: poked}\neventTime: '2026-12-03T10:00:00.000000Z'\nreportingController: example.com/c\nreportingInstance: c-1\naction: Poke\nreason: Poked\ntype: Normal\nregarding: {kind: Pod, name: web}",
        "LAST SEEN TYPE REASON OBJECT MESSAGE",
    ),
    (
        "ingresses.networking.k8s.io",
        "site",
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: site}\nspec: {rules: [{host: example.com, http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}}]}",
        "NAME CLASS HOSTS ADDRESS PORTS AGE",
    ),
    (
        "ingressclasses.networking.k8s.io",
        "nginx",
        "apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: nginx}\nspec: {controller: k8s.io/ingress-nginx}",
        "NAME CONTROLLER PARAMETERS AGE",
    ),
    (
        "networkpolicies.networking.k8s.io",
        "deny",
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\nspec: {podSelector: {}}",
        "NAME POD-SELECTOR AGE",
    ),
    (
        "servicecidrs.networking.k8s.io",
        "extra",
        "apiVersion: networking.k8s.io/v1\nkind: ServiceCIDR\nmetadata: {name: extra}\nspec: {cidrs: [10.96.0.0/24]}",
        "NAME CIDRS AGE",
    ),
    (
        "ipaddresses.networking.k8s.io",
        "10.96.0.20",
        "apiVersion: networking.k8s.io/v1\nkind: IPAddress\nmetadata: {name: 10.96.0.20}\nspec: {parentRef: {resource: services, namespace: default, name: web}}",
        "NAME PARENTREF",
    ),
    (
        "runtimeclasses.node.k8s.io",
        "gvisor",
        "apiVersion: node.k8s.io/v1\nkind: RuntimeClass\nmetadata: {name: gvisor}\nhandler: runsc",
        "NAME HANDLER AGE",
    ),
    (
        "poddisruptionbudgets.policy",
        "budget",
        "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: budget}\nspec: {minAvailable: 1, selector: {matchLabels: {app: web}}}",
        "NAME MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS AGE",
    ),
    (
        "roles.rbac.authorization.k8s.io",
        "reader",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: reader}\nrules: [{apiGroups: [''], resources: [pods], verbs: [get]}]",
        "NAME CREATED AT",
    ),
    (
        "rolebindings.rbac.authorization.k8s.io",
        "reader",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: reader}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}\nsubjects: [{kind: User, name: bob}]",
        "NAME ROLE AGE",
    ),
    (
        "clusterroles.rbac.authorization.k8s.io",
        "metrics-reader",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: metrics-reader}\nrules: [{nonResourceURLs: [/metrics], verbs: [get]}]",
        "NAME CREATED AT",
    ),
    (
        "clusterrolebindings.rbac.authorization.k8s.io",
        "metrics-reader",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: metrics-reader}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: metrics-reader}\nsubjects: [{kind: Group, name: monitoring}]",
        "NAME ROLE AGE",
    ),
    (
        "deviceclasses.resource.k8s.io",
        "gpu",
        "apiVersion: resource.k8s.io/v1\nkind: DeviceClass\nmetadata: {name: gpu}\nspec: {}",
        "NAME AGE",
    ),
    (
        "resourceclaimtemplates.resource.k8s.io",
        "gpu-claim",
        "apiVersion: resource.k8s.io/v1\nkind: ResourceClaimTemplate\nmetadata: {name: gpu-claim}\nspec: {spec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu}}]}}}",
        "NAME AGE",
    ),
    (
        "resourceclaims.resource.k8s.io",
        "gpu-claim",
        "apiVersion: resource.k8s.io/v1\nkind: ResourceClaim\nmetadata: {name: gpu-claim}\nspec: {devices: {requests: [{name: gpu, exactly: {deviceClassName: gpu}}]}}",
        "NAME STATE AGE",
    ),
    (
        "resourceslices.resource.k8s.io",
        "node-1-gpus",
        "apiVersion: resource.k8s.io/v1\nkind: ResourceSlice\nmetadata: {name: node-1-gpus}\nspec: {driver: gpu.example.com, nodeName: node-1, pool: {name: node-1, generation: 1, resourceSliceCount: 1}}",
        "NAME NODE DRIVER POOL AGE",
    ),
    (
        "priorityclasses.scheduling.k8s.io",
        "high",
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000",
        "NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY",
    ),
    (
        "storageclasses.storage.k8s.io",
        "fast",
        "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: fast}\nprovisioner: example.com/disk",
        "NAME PROVISIONER RECLAIMPOLICY VOLUMEBINDINGMODE ALLOWVOLUMEEXPANSION AGE",
    ),
    (
        "csidrivers.storage.k8s.io",
        "disk.example.com",
        "apiVersion: storage.k8s.io/v1\nkind: CSIDriver\nmetadata: {name: disk.example.com}\nspec: {}",
        "NAME ATTACHREQUIRED PODINFOONMOUNT STORAGECAPACITY TOKENREQUESTS REQUIRESREPUBLISH MODES AGE",
    ),
    (
        "csinodes.storage.k8s.io",
        "worker-2",
        "apiVersion: storage.k8s.io/v1\nkind: CSINode\nmetadata: {name: worker-2}\nspec: {drivers: []}",
        "NAME DRIVERS AGE",
    ),
    (
        "csistoragecapacities.storage.k8s.io",
        "fast-capacity",
        "apiVersion: storage.k8s.io/v1\nkind: CSIStorageCapacity\nmetadata: {name: fast-capacity}\nstorageClassName: fast\ncapacity: 10Gi",
        "NAME STORAGECLASSNAME CAPACITY",
    ),
    (
        "volumeattachments.storage.k8s.io",
        "attach-1",
        "apiVersion: storage.k8s.io/v1\nkind: VolumeAttachment\nmetadata: {name: attach-1}\nspec: {attacher: disk.example.com, nodeName: worker-1, source: {persistentVolumeName: disk}}",
        "NAME ATTACHER PV NODE ATTACHED AGE",
    ),
    (
        "volumeattributesclasses.storage.k8s.io",
        "gold",
        "apiVersion: storage.k8s.io/v1\nkind: VolumeAttributesClass\nmetadata: {name: gold}\ndriverName: disk.example.com",
        "NAME DRIVERNAME AGE",
    ),
    (
        "validatingwebhookconfigurations.admissionregistration.k8s.io",
        "check",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: check}\nwebhooks: [{name: check.example.com, clientConfig: {url: 'https://example.com/check'}, sideEffects: None, admissionReviewVersions: [v1]}]",
        "NAME WEBHOOKS AGE",
    ),
    (
        "mutatingwebhookconfigurations.admissionregistration.k8s.io",
        "inject",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: inject}\nwebhooks: [{name: inject.example.com, clientConfig: {url: 'https://example.com/inject'}, sideEffects: None, admissionReviewVersions: [v1]}]",
        "NAME WEBHOOKS AGE",
    ),
    (
        "validatingadmissionpolicies.admissionregistration.k8s.io",
        "replicas",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicy\nmetadata: {name: replicas}\nspec: {matchConstraints: {resourceRules: [{apiGroups: [apps], apiVersions: [v1], operations: [CREATE], resources: [deployments]}]}, validations: [{expression: 'object.spec.replicas <= 5'}]}",
        "NAME VALIDATIONS PARAMKIND AGE",
    ),
    (
        "validatingadmissionpolicybindings.admissionregistration.k8s.io",
        "replicas",
        "apiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingAdmissionPolicyBinding\nmetadata: {name: replicas}\nspec: {policyName: replicas, validationActions: [Deny]}",
        "NAME POLICYNAME PARAMREF AGE",
    ),
    (
        "flowschemas.flowcontrol.apiserver.k8s.io",
        "batch-jobs",
        "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: FlowSchema\nmetadata: {name: batch-jobs}\nspec: {priorityLevelConfiguration: {name: workload-low}, matchingPrecedence: 5000, distinguisherMethod: {type: ByUser}}",
        "NAME PRIORITYLEVEL MATCHINGPRECEDENCE DISTINGUISHERMETHOD AGE MISSINGPL",
    ),
    (
        "prioritylevelconfigurations.flowcontrol.apiserver.k8s.io",
        "batch",
        "apiVersion: flowcontrol.apiserver.k8s.io/v1\nkind: PriorityLevelConfiguration\nmetadata: {name: batch}\nspec: {type: Limited, limited: {nominalConcurrencyShares: 10, limitResponse: {type: Queue, queuing: {queues: 16, handSize: 4, queueLengthLimit: 50}}}}",
        "NAME TYPE NOMINALCONCURRENCYSHARES QUEUES HANDSIZE QUEUELENGTHLIMIT AGE",
    ),
];

/// A PKCS#10 request (base64 of its PEM), as CertificateSigningRequests
/// carry it.
fn certificate_request() -> String {
    use base64::Engine;
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, "client");
    let pem = params.serialize_request(&key).unwrap().pem().unwrap();
    base64::engine::general_purpose::STANDARD.encode(pem)
}

fn words(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_kind_goes_through_create_list_update_delete() {
    let server = Server::start();
    for (resource, name, manifest, header) in KINDS {
        let manifest = manifest.replace("CSR_REQUEST", &certificate_request());
        let created = server.kubectl_stdin(&["create", "-f", "-"], &manifest);
        assert!(created.status.success(), "{resource}: {}", String::from_utf8_lossy(&created.stderr));

        let table = server.ok(&["get", resource, name]);
        assert_eq!(words(table.lines().next().unwrap_or_default()), *header, "{resource}:\n{table}");
        assert_eq!(table.lines().count(), 2, "{resource}: one row:\n{table}");

        let listed = server.ok(&["get", resource, "-o", "name"]);
        assert!(listed.lines().any(|l| l.ends_with(&format!("/{name}"))), "{resource} list:\n{listed}");

        server.ok(&["label", resource, name, "tier=test"]);
        let label = server.ok(&["get", resource, name, "-o", "jsonpath={.metadata.labels.tier}"]);
        assert_eq!(label, "test", "{resource} update");

        server.ok(&["delete", resource, name, "--wait=true"]);
        let gone = server.fails(&["get", resource, name]);
        assert!(gone.contains("NotFound"), "{resource} after delete: {gone}");
    }
}
