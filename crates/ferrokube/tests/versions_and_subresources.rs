//! Kinds served in more than one version over one storage, the access
//! reviews, and the pod subresources, driven by the real kubectl.

mod support;

use serde_json::Value;
use support::Server;

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

const HPA_V2: &str = r#"
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: default}
spec:
  scaleTargetRef: {kind: Deployment, name: web, apiVersion: apps/v1}
  minReplicas: 1
  maxReplicas: 4
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}
  - type: Pods
    pods: {metric: {name: qps}, target: {type: AverageValue, averageValue: "10"}}
"#;

#[test]
fn one_object_read_and_written_in_two_versions() {
    let server = Server::start();
    server.kubectl_stdin(&["create", "-f", "-"], HPA_V2);
    let v1 =
        json(&server.ok(&["get", "--raw", "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers/web"]));
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 60);
    let patch = r#"{"spec":{"targetCPUUtilizationPercentage":75,"maxReplicas":6}}"#;
    server.ok(&["patch", "horizontalpodautoscalers.v1.autoscaling", "web", "--type=merge", "-p", patch]);
    let v2 = json(&server.ok(&["get", "horizontalpodautoscalers.v2.autoscaling", "web", "-o", "json"]));
    assert_eq!(v2["spec"]["maxReplicas"], 6);
    assert_eq!(v2["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 75);
    assert_eq!(v2["spec"]["metrics"][1]["pods"]["metric"]["name"], "qps", "the metric v1 cannot show survives: {v2}");
    assert!(v2["metadata"]["annotations"].get("autoscaling.alpha.kubernetes.io/metrics").is_none());

    let event = r#"
apiVersion: events.k8s.io/v1
kind: Event
metadata: {name: poked, namespace: default}
eventTime: "2026-12-03T10:00:00.000000Z"
reportingController: example.com/poker
reportingInstance: poker-1
action: Poke
reason: Poked
type: Normal
note: poked the pod
regarding: {kind: Pod, name: web-1, namespace: default}
"#;
    server.kubectl_stdin(&["create", "-f", "-"], event);
    let core = json(&server.ok(&["get", "events.v1.", "poked", "-o", "json"]));
    assert_eq!(core["message"], "poked the pod");
    assert_eq!(core["involvedObject"]["name"], "web-1");
    assert_eq!(core["reportingComponent"], "example.com/poker");
    let table = server.ok(&["get", "events.events.k8s.io"]);
    assert!(table.contains("pod/web-1") && table.contains("poked the pod"), "{table}");
    let selected = server.ok(&["get", "events", "--field-selector", "involvedObject.name=web-1", "-o", "name"]);
    assert_eq!(selected.trim(), "event/poked");
    server.ok(&["delete", "events.events.k8s.io", "poked"]);
    let services = server.ok(&[
        "get",
        "svc",
        "-A",
        "--field-selector",
        "spec.type=ClusterIP,spec.clusterIP=10.0.0.1",
        "-o",
        "name",
    ]);
    assert_eq!(services.trim(), "service/kubernetes", "upstream's service field selectors");
    assert!(server.fails(&["get", "events.v1.", "poked"]).contains("NotFound"));
}

#[test]
fn access_reviews_answer_for_the_always_allow_mode() {
    let server = Server::start();
    assert_eq!(server.ok(&["auth", "can-i", "create", "pods"]).trim(), "yes");
    let rules = server.ok(&["auth", "can-i", "--list"]);
    assert!(rules.contains("*.*"), "{rules}");
    let review = r#"{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview",
        "spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}"#;
    // A create-only kind has no PATCH in the v3 documents, so kubectl
    // validates it against /openapi/v2 in protobuf.
    let error = String::from_utf8(server.kubectl_stdin(&["create", "-f", "-"], review).stderr).unwrap();
    assert!(
        error.contains("spec.user: Invalid value: \"\": at least one of user or group must be specified"),
        "{error}"
    );
}

#[test]
fn pod_subresources() {
    let server = Server::start();
    let overrides =
        r#"{"spec":{"containers":[{"name":"web","image":"nginx:1.27","resources":{"requests":{"cpu":"100m"}}}]}}"#;
    server.ok(&["run", "web", "--image=nginx:1.27", &format!("--overrides={overrides}")]);

    server.ok(&["debug", "web", "--image=busybox:1.36", "--container=debugger"]);
    let pod = json(&server.ok(&["get", "pod", "web", "-o", "json"]));
    assert_eq!(pod["spec"]["ephemeralContainers"][0]["name"], "debugger");
    assert_eq!(pod["spec"]["ephemeralContainers"][0]["terminationMessagePolicy"], "File");
    let remove = r#"{"spec":{"ephemeralContainers":[]}}"#;
    let error =
        server.fails(&["patch", "pod", "web", "--subresource=ephemeralcontainers", "--type=merge", "-p", remove]);
    assert!(error.contains("existing ephemeral containers \"debugger\" may not be removed"), "{error}");

    let resize = r#"{"spec":{"containers":[{"name":"web","resources":{"requests":{"cpu":"250m"}}}]}}"#;
    server.ok(&["patch", "pod", "web", "--subresource=resize", "-p", resize]);
    let pod = json(&server.ok(&["get", "pod", "web", "-o", "json"]));
    assert_eq!(pod["spec"]["containers"][0]["resources"]["requests"]["cpu"], "250m");
    let image = r#"{"spec":{"containers":[{"name":"web","image":"nginx:1.28"}]}}"#;
    let error = server.fails(&["patch", "pod", "web", "--subresource=resize", "-p", image]);
    assert!(error.contains("only cpu and memory resources are mutable"), "{error}");

    assert_eq!(server.ok(&["logs", "web", "-c", "web"]), "", "a pod with no node has no log yet");
    assert!(server.fails(&["logs", "web", "-c", "nope"]).contains("container nope is not valid for pod web"));
    let error = server.fails(&["exec", "web", "-c", "web", "--", "ls"]);
    assert!(error.contains("pod web does not have a host assigned"), "{error}");
}
