//! Discovery against kube-apiserver 1.35's, recorded here as data: what
//! `kubectl api-resources -o wide` and `kubectl api-versions` print with
//! default flags, and every subresource the legacy discovery documents list.

mod support;

use support::Server;

/// `kubectl api-resources -o wide --no-headers` against kube-apiserver 1.35
/// (default flags), columns separated by single spaces: NAME SHORTNAMES
/// APIVERSION NAMESPACED KIND VERBS CATEGORIES.
const API_RESOURCES_1_35: &str = "
bindings v1 true Binding create
componentstatuses cs v1 false ComponentStatus get,list
configmaps cm v1 true ConfigMap create,delete,deletecollection,get,list,patch,update,watch
endpoints ep v1 true Endpoints create,delete,deletecollection,get,list,patch,update,watch
events ev v1 true Event create,delete,deletecollection,get,list,patch,update,watch
limitranges limits v1 true LimitRange create,delete,deletecollection,get,list,patch,update,watch
namespaces ns v1 false Namespace create,delete,get,list,patch,update,watch
nodes no v1 false Node create,delete,deletecollection,get,list,patch,update,watch
persistentvolumeclaims pvc v1 true PersistentVolumeClaim create,delete,deletecollection,get,list,patch,update,watch
persistentvolumes pv v1 false PersistentVolume create,delete,deletecollection,get,list,patch,update,watch
pods po v1 true Pod create,delete,deletecollection,get,list,patch,update,watch all
podtemplates v1 true PodTemplate create,delete,deletecollection,get,list,patch,update,watch
replicationcontrollers rc v1 true ReplicationController create,delete,deletecollection,get,list,patch,update,watch all
resourcequotas quota v1 true ResourceQuota create,delete,deletecollection,get,list,patch,update,watch
secrets v1 true Secret create,delete,deletecollection,get,list,patch,update,watch
serviceaccounts sa v1 true ServiceAccount create,delete,deletecollection,get,list,patch,update,watch
services svc v1 true Service create,delete,deletecollection,get,list,patch,update,watch all
mutatingwebhookconfigurations admissionregistration.k8s.io/v1 false MutatingWebhookConfiguration create,delete,deletecollection,get,list,patch,update,watch api-extensions
validatingadmissionpolicies admissionregistration.k8s.io/v1 false ValidatingAdmissionPolicy create,delete,deletecollection,get,list,patch,update,watch api-extensions
validatingadmissionpolicybindings admissionregistration.k8s.io/v1 false ValidatingAdmissionPolicyBinding create,delete,deletecollection,get,list,patch,update,watch api-extensions
validatingwebhookconfigurations admissionregistration.k8s.io/v1 false ValidatingWebhookConfiguration create,delete,deletecollection,get,list,patch,update,watch api-extensions
customresourcedefinitions crd,crds apiextensions.k8s.io/v1 false CustomResourceDefinition create,delete,deletecollection,get,list,patch,update,watch api-extensions
apiservices apiregistration.k8s.io/v1 false APIService create,delete,deletecollection,get,list,patch,update,watch api-extensions
controllerrevisions apps/v1 true ControllerRevision create,delete,deletecollection,get,list,patch,update,watch
daemonsets ds apps/v1 true DaemonSet create,delete,deletecollection,get,list,patch,update,watch all
deployments deploy apps/v1 true Deployment create,delete,deletecollection,get,list,patch,update,watch all
replicasets rs apps/v1 true ReplicaSet create,delete,deletecollection,get,list,patch,update,watch all
statefulsets sts apps/v1 true StatefulSet create,delete,deletecollection,get,list,patch,update,watch all
selfsubjectreviews authentication.k8s.io/v1 false SelfSubjectReview create
tokenreviews authentication.k8s.io/v1 false TokenReview create
localsubjectaccessreviews authorization.k8s.io/v1 true LocalSubjectAccessReview create
selfsubjectaccessreviews authorization.k8s.io/v1 false SelfSubjectAccessReview create
selfsubjectrulesreviews authorization.k8s.io/v1 false SelfSubjectRulesReview create
subjectaccessreviews authorization.k8s.io/v1 false SubjectAccessReview create
horizontalpodautoscalers hpa autoscaling/v2 true HorizontalPodAutoscaler create,delete,deletecollection,get,list,patch,update,watch all
cronjobs cj batch/v1 true CronJob create,delete,deletecollection,get,list,patch,update,watch all
jobs batch/v1 true Job create,delete,deletecollection,get,list,patch,update,watch all
certificatesigningrequests csr certificates.k8s.io/v1 false CertificateSigningRequest create,delete,deletecollection,get,list,patch,update,watch
leases coordination.k8s.io/v1 true Lease create,delete,deletecollection,get,list,patch,update,watch
endpointslices discovery.k8s.io/v1 true EndpointSlice create,delete,deletecollection,get,list,patch,update,watch
events ev events.k8s.io/v1 true Event create,delete,deletecollection,get,list,patch,update,watch
flowschemas flowcontrol.apiserver.k8s.io/v1 false FlowSchema create,delete,deletecollection,get,list,patch,update,watch
prioritylevelconfigurations flowcontrol.apiserver.k8s.io/v1 false PriorityLevelConfiguration create,delete,deletecollection,get,list,patch,update,watch
ingressclasses networking.k8s.io/v1 false IngressClass create,delete,deletecollection,get,list,patch,update,watch
ingresses ing networking.k8s.io/v1 true Ingress create,delete,deletecollection,get,list,patch,update,watch
ipaddresses ip networking.k8s.io/v1 false IPAddress create,delete,deletecollection,get,list,patch,update,watch
networkpolicies netpol networking.k8s.io/v1 true NetworkPolicy create,delete,deletecollection,get,list,patch,update,watch
servicecidrs networking.k8s.io/v1 false ServiceCIDR create,delete,deletecollection,get,list,patch,update,watch
runtimeclasses node.k8s.io/v1 false RuntimeClass create,delete,deletecollection,get,list,patch,update,watch
poddisruptionbudgets pdb policy/v1 true PodDisruptionBudget create,delete,deletecollection,get,list,patch,update,watch
clusterrolebindings rbac.authorization.k8s.io/v1 false ClusterRoleBinding create,delete,deletecollection,get,list,patch,update,watch
clusterroles rbac.authorization.k8s.io/v1 false ClusterRole create,delete,deletecollection,get,list,patch,update,watch
rolebindings rbac.authorization.k8s.io/v1 true RoleBinding create,delete,deletecollection,get,list,patch,update,watch
roles rbac.authorization.k8s.io/v1 true Role create,delete,deletecollection,get,list,patch,update,watch
deviceclasses resource.k8s.io/v1 false DeviceClass create,delete,deletecollection,get,list,patch,update,watch
resourceclaims resource.k8s.io/v1 true ResourceClaim create,delete,deletecollection,get,list,patch,update,watch
resourceclaimtemplates resource.k8s.io/v1 true ResourceClaimTemplate create,delete,deletecollection,get,list,patch,update,watch
resourceslices resource.k8s.io/v1 false ResourceSlice create,delete,deletecollection,get,list,patch,update,watch
priorityclasses pc scheduling.k8s.io/v1 false PriorityClass create,delete,deletecollection,get,list,patch,update,watch
csidrivers storage.k8s.io/v1 false CSIDriver create,delete,deletecollection,get,list,patch,update,watch
csinodes storage.k8s.io/v1 false CSINode create,delete,deletecollection,get,list,patch,update,watch
csistoragecapacities storage.k8s.io/v1 true CSIStorageCapacity create,delete,deletecollection,get,list,patch,update,watch
storageclasses sc storage.k8s.io/v1 false StorageClass create,delete,deletecollection,get,list,patch,update,watch
volumeattachments storage.k8s.io/v1 false VolumeAttachment create,delete,deletecollection,get,list,patch,update,watch
volumeattributesclasses vac storage.k8s.io/v1 false VolumeAttributesClass create,delete,deletecollection,get,list,patch,update,watch
";

/// `kubectl api-versions` against kube-apiserver 1.35 (default flags).
const API_VERSIONS_1_35: &str = "
admissionregistration.k8s.io/v1
apiextensions.k8s.io/v1
apiregistration.k8s.io/v1
apps/v1
authentication.k8s.io/v1
authorization.k8s.io/v1
autoscaling/v1
autoscaling/v2
batch/v1
certificates.k8s.io/v1
coordination.k8s.io/v1
discovery.k8s.io/v1
events.k8s.io/v1
flowcontrol.apiserver.k8s.io/v1
networking.k8s.io/v1
node.k8s.io/v1
policy/v1
rbac.authorization.k8s.io/v1
resource.k8s.io/v1
scheduling.k8s.io/v1
storage.k8s.io/v1
v1
";

/// Every subresource of kube-apiserver 1.35 (default flags) with its kind
/// and verbs, as its legacy discovery documents list them.
const SUBRESOURCES_1_35: &str = "
v1 namespaces/finalize Namespace update
v1 namespaces/status Namespace get,patch,update
v1 nodes/proxy NodeProxyOptions create,delete,get,patch,update
v1 nodes/status Node get,patch,update
v1 persistentvolumeclaims/status PersistentVolumeClaim get,patch,update
v1 persistentvolumes/status PersistentVolume get,patch,update
v1 pods/attach PodAttachOptions create,get
v1 pods/binding Binding create
v1 pods/ephemeralcontainers Pod get,patch,update
v1 pods/eviction Eviction create
v1 pods/exec PodExecOptions create,get
v1 pods/log Pod get
v1 pods/portforward PodPortForwardOptions create,get
v1 pods/proxy PodProxyOptions create,delete,get,patch,update
v1 pods/resize Pod get,patch,update
v1 pods/status Pod get,patch,update
v1 replicationcontrollers/scale Scale get,patch,update
v1 replicationcontrollers/status ReplicationController get,patch,update
v1 resourcequotas/status ResourceQuota get,patch,update
v1 serviceaccounts/token TokenRequest create
v1 services/proxy ServiceProxyOptions create,delete,get,patch,update
v1 services/status Service get,patch,update
admissionregistration.k8s.io/v1 validatingadmissionpolicies/status ValidatingAdmissionPolicy get,patch,update
apiextensions.k8s.io/v1 customresourcedefinitions/status CustomResourceDefinition get,patch,update
apiregistration.k8s.io/v1 apiservices/status APIService get,patch,update
apps/v1 daemonsets/status DaemonSet get,patch,update
apps/v1 deployments/scale Scale get,patch,update
apps/v1 deployments/status Deployment get,patch,update
apps/v1 replicasets/scale Scale get,patch,update
apps/v1 replicasets/status ReplicaSet get,patch,update
apps/v1 statefulsets/scale Scale get,patch,update
apps/v1 statefulsets/status StatefulSet get,patch,update
autoscaling/v1 horizontalpodautoscalers/status HorizontalPodAutoscaler get,patch,update
autoscaling/v2 horizontalpodautoscalers/status HorizontalPodAutoscaler get,patch,update
batch/v1 cronjobs/status CronJob get,patch,update
batch/v1 jobs/status Job get,patch,update
certificates.k8s.io/v1 certificatesigningrequests/approval CertificateSigningRequest get,patch,update
certificates.k8s.io/v1 certificatesigningrequests/status CertificateSigningRequest get,patch,update
flowcontrol.apiserver.k8s.io/v1 flowschemas/status FlowSchema get,patch,update
flowcontrol.apiserver.k8s.io/v1 prioritylevelconfigurations/status PriorityLevelConfiguration get,patch,update
networking.k8s.io/v1 ingresses/status Ingress get,patch,update
networking.k8s.io/v1 servicecidrs/status ServiceCIDR get,patch,update
policy/v1 poddisruptionbudgets/status PodDisruptionBudget get,patch,update
resource.k8s.io/v1 resourceclaims/status ResourceClaim get,patch,update
storage.k8s.io/v1 volumeattachments/status VolumeAttachment get,patch,update
";

fn lines(text: &str) -> Vec<String> {
    text.lines().map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|l| !l.is_empty()).collect()
}

fn assert_same(what: &str, got: Vec<String>, want: Vec<String>) {
    let missing: Vec<_> = want.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<_> = got.iter().filter(|l| !want.contains(l)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "{what}\nmissing: {missing:#?}\nunexpected: {extra:#?}");
    assert_eq!(got, want, "{what}: same rows, different order");
}

/// The subresources in a server's legacy discovery documents, as
/// `SUBRESOURCES_1_35` writes them.
fn subresources(server: &Server) -> Vec<String> {
    let mut out = Vec::new();
    for group_version in lines(&server.ok(&["api-versions"])) {
        let path = if group_version.contains('/') { format!("/apis/{group_version}") } else { "/api/v1".into() };
        let list: serde_json::Value = serde_json::from_str(&server.ok(&["get", "--raw", &path])).unwrap();
        for resource in list["resources"].as_array().unwrap() {
            let name = resource["name"].as_str().unwrap();
            if name.contains('/') {
                let verbs: Vec<&str> =
                    resource["verbs"].as_array().unwrap().iter().filter_map(|v| v.as_str()).collect();
                out.push(format!("{group_version} {name} {} {}", resource["kind"].as_str().unwrap(), verbs.join(",")));
            }
        }
    }
    out
}

#[test]
fn discovery_matches_kube_apiserver_1_35() {
    let server = Server::start();
    assert_same(
        "kubectl api-resources -o wide",
        lines(&server.ok(&["api-resources", "-o", "wide", "--no-headers"])),
        lines(API_RESOURCES_1_35),
    );
    assert_same("kubectl api-versions", lines(&server.ok(&["api-versions"])), lines(API_VERSIONS_1_35));
    let mut want = lines(SUBRESOURCES_1_35);
    want.sort();
    let mut got = subresources(&server);
    got.sort();
    assert_same("subresources", got, want);
    let core = server.ok(&["api-resources", "--api-group=", "--categories=all", "-o", "name"]);
    assert_eq!(lines(&core), ["pods", "replicationcontrollers", "services"]);
}

/// `/apis` of kube-apiserver 1.35: the groups in their APIService order
/// (group priority, then APIService name) and each preferred version.
const GROUP_ORDER_1_35: &str = "
apiregistration.k8s.io/v1
apps/v1
events.k8s.io/v1
authentication.k8s.io/v1
authorization.k8s.io/v1
autoscaling/v2
batch/v1
certificates.k8s.io/v1
networking.k8s.io/v1
policy/v1
rbac.authorization.k8s.io/v1
storage.k8s.io/v1
admissionregistration.k8s.io/v1
apiextensions.k8s.io/v1
scheduling.k8s.io/v1
coordination.k8s.io/v1
node.k8s.io/v1
discovery.k8s.io/v1
resource.k8s.io/v1
flowcontrol.apiserver.k8s.io/v1
";

#[test]
fn groups_are_ordered_by_their_apiservices_as_upstream() {
    let server = Server::start();
    let list: serde_json::Value = serde_json::from_str(&server.ok(&["get", "--raw", "/apis"])).unwrap();
    let preferred: Vec<String> = list["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["preferredVersion"]["groupVersion"].as_str().unwrap().to_string())
        .collect();
    assert_same("/apis", preferred, lines(GROUP_ORDER_1_35));
    let autoscaling: serde_json::Value =
        serde_json::from_str(&server.ok(&["get", "--raw", "/apis/autoscaling"])).unwrap();
    assert_eq!(autoscaling["versions"][0]["version"], "v2");
    assert_eq!(autoscaling["versions"][1]["version"], "v1");

    let apiservices = server.ok(&["get", "apiservices"]);
    assert!(apiservices.starts_with("NAME"), "{apiservices}");
    for name in ["v1. ", "v1.apps ", "v2.autoscaling ", "v1.apiextensions.k8s.io "] {
        let row =
            apiservices.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name} in {apiservices}"));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[1..3], ["Local", "True"], "{row}");
    }
    let labels = server.ok(&["get", "apiservice", "v1.apps", "-o", "jsonpath={.metadata.labels}"]);
    assert!(labels.contains(r#""kube-aggregator.kubernetes.io/automanaged":"onstart""#), "{labels}");
    let ready = server.ok(&["get", "--raw", "/readyz/autoregister-completion"]);
    assert_eq!(ready.trim(), "ok");

    let crd = r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
        "spec":{"group":"example.com","scope":"Cluster","names":{"plural":"widgets","kind":"Widget"},
        "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}"#;
    let out = server.kubectl_stdin(&["create", "-f", "-"], crd);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    server.ok(&["wait", "--for=condition=Available", "apiservice/v1.example.com", "--timeout=10s"]);
    let spec = server.ok(&[
        "get",
        "apiservice",
        "v1.example.com",
        "-o",
        "jsonpath={.spec.groupPriorityMinimum}/{.spec.versionPriority}",
    ]);
    assert_eq!(spec, "1000/100");
    let list: serde_json::Value = serde_json::from_str(&server.ok(&["get", "--raw", "/apis"])).unwrap();
    let last = list["groups"].as_array().unwrap().last().unwrap();
    assert_eq!(last["name"], "example.com", "custom resource groups come after the built-in ones");
    server.ok(&["delete", "crd", "widgets.example.com"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while server.kubectl(&["get", "apiservice", "v1.example.com"]).status.success() {
        assert!(std::time::Instant::now() < deadline, "the CRD's APIService is removed");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}
