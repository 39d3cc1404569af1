//! CustomResourceDefinitions end to end with the real kubectl: a CRD is
//! applied and established, its custom resources are served with their
//! printer columns, explained, validated (schema, CEL and transition rules),
//! pruned, defaulted, selected by their selectable fields, scaled, and go
//! away with their namespace or their CRD.

mod support;

use std::time::{Duration, Instant};

use support::Server;

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: [ct]
    categories: [all]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [cronSpec]
            x-kubernetes-validations:
            - rule: "self.replicas <= 10"
              message: "at most 10 replicas"
            - rule: "!has(oldSelf.image) || self.image == oldSelf.image"
              message: "image is immutable"
            properties:
              cronSpec:
                type: string
                description: "The schedule, in cron syntax."
                pattern: '^(\d+|\*)(/\d+)?(\s+(\d+|\*)(/\d+)?){4}$'
              image:
                type: string
              color:
                type: string
                enum: [red, green]
              replicas:
                type: integer
                minimum: 1
                default: 1
          status:
            type: object
            properties:
              replicas:
                type: integer
    selectableFields:
    - jsonPath: .spec.color
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    additionalPrinterColumns:
    - name: Spec
      type: string
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
"#;

const CRONTAB: &str = r#"
apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: nightly
spec:
  cronSpec: "* * * * */5"
  image: backup:1
  color: red
  extra: not in the schema
"#;

/// Writes a manifest into the server's directory and returns its path.
fn manifest(server: &Server, name: &str, text: &str) -> String {
    let path = server.data_dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Waits until `check` holds, failing after ten seconds.
fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn established(server: &Server) {
    let crd = manifest(server, "crd.yaml", CRD);
    assert!(
        server
            .ok(&["apply", "-f", &crd])
            .contains("customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created")
    );
    server.ok(&["wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=10s"]);
    let names = server.ok(&[
        "get",
        "crd",
        "crontabs.stable.example.com",
        "-o",
        "jsonpath={.status.acceptedNames.kind} {.status.storedVersions}",
    ]);
    assert_eq!(names, "CronTab [\"v1\"]");
    let resources = server.ok(&["api-resources", "--api-group=stable.example.com"]);
    assert!(resources.contains("crontabs") && resources.contains("ct") && resources.contains("CronTab"), "{resources}");
}

#[test]
fn custom_resources_are_served_validated_and_cleaned_up() {
    let server = Server::start();
    established(&server);
    let crontab = manifest(&server, "crontab.yaml", CRONTAB);

    let strict = server.fails(&["apply", "-f", &crontab]);
    assert!(strict.contains("strict decoding error: unknown field \"spec.extra\""), "{strict}");
    server.ok(&["apply", "-f", &crontab, "--validate=false"]);
    let stored = server.ok(&["get", "ct", "nightly", "-o", "jsonpath={.spec}"]);
    assert!(!stored.contains("extra"), "unknown fields are pruned: {stored}");
    assert!(stored.contains("\"replicas\":1"), "defaults are applied: {stored}");

    let table = server.ok(&["get", "crontabs"]);
    let header: Vec<&str> = table.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "SPEC", "REPLICAS", "AGE"]);
    assert!(table.contains("nightly   * * * * */5   1"), "{table}");
    assert!(server.ok(&["get", "all"]).contains("crontab.stable.example.com/nightly"));

    let explained = server.ok(&["explain", "crontab.spec.cronSpec"]);
    assert!(explained.contains("The schedule, in cron syntax."), "{explained}");

    let invalid = manifest(&server, "invalid.yaml", &CRONTAB.replace("*/5", "often").replace("red", "blue"));
    let refused = server.fails(&["apply", "-f", &invalid, "--validate=false"]);
    assert!(
        refused.contains("spec.color: Unsupported value: \"blue\": supported values: \"red\", \"green\""),
        "{refused}"
    );
    assert!(
        refused.contains("spec.cronSpec: Invalid value: \"* * * * often\": spec.cronSpec in body should match"),
        "{refused}"
    );

    let too_many = server.fails(&["patch", "ct", "nightly", "--type=merge", "-p", r#"{"spec":{"replicas":11}}"#]);
    assert!(too_many.contains("at most 10 replicas"), "{too_many}");
    let immutable = server.fails(&["patch", "ct", "nightly", "--type=merge", "-p", r#"{"spec":{"image":"backup:2"}}"#]);
    assert!(immutable.contains("image is immutable"), "{immutable}");
    let strategic = server.fails(&["patch", "ct", "nightly", "-p", r#"{"spec":{"replicas":2}}"#]);
    assert!(
        strategic.contains("application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"),
        "{strategic}"
    );

    server.ok(&["scale", "ct", "nightly", "--replicas=3"]);
    assert_eq!(server.ok(&["get", "ct", "nightly", "-o", "jsonpath={.spec.replicas}"]), "3");
    server.ok(&[
        "patch",
        "ct",
        "nightly",
        "--subresource=status",
        "--type=merge",
        "-p",
        r#"{"status":{"replicas":3}}"#,
    ]);
    assert_eq!(server.ok(&["get", "ct", "nightly", "-o", "jsonpath={.status.replicas}"]), "3");

    let green = manifest(&server, "green.yaml", &CRONTAB.replace("nightly", "hourly").replace("red", "green"));
    server.ok(&["apply", "-f", &green, "--validate=false"]);
    assert_eq!(
        server.ok(&["get", "ct", "--field-selector", "spec.color=green", "-o", "name"]).trim(),
        "crontab.stable.example.com/hourly"
    );
    let unknown_field = server.fails(&["get", "ct", "--field-selector", "spec.image=x"]);
    assert!(unknown_field.contains("field label not supported: spec.image"), "{unknown_field}");

    server.ok(&["create", "namespace", "jobs"]);
    server.ok(&["apply", "-f", &green, "-n", "jobs", "--validate=false"]);
    server.ok(&["delete", "namespace", "jobs", "--timeout=20s"]);
    assert!(server.ok(&["get", "ct", "-A", "-o", "name"]).lines().count() == 2);

    server.ok(&["delete", "crd", "crontabs.stable.example.com", "--timeout=20s"]);
    eventually("the CRD's resources to leave discovery", || !server.ok(&["api-resources"]).contains("crontabs"));
    let gone = server.fails(&["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/crontabs"]);
    assert!(gone.contains("NotFound") || gone.contains("not found"), "{gone}");
    established(&server);
    assert!(server.ok(&["get", "ct", "-A", "-o", "name"]).trim().is_empty(), "the old resources were deleted");
}

#[test]
fn a_terminating_crd_refuses_new_resources_until_its_last_one_is_gone() {
    let server = Server::start();
    established(&server);
    let held = CRONTAB.replace("  name: nightly\n", "  name: nightly\n  finalizers: [example.com/hold]\n");
    let held = manifest(&server, "held.yaml", &held);
    server.ok(&["apply", "-f", &held, "--validate=false"]);
    server.ok(&["delete", "crd", "crontabs.stable.example.com", "--wait=false"]);
    eventually("the CRD to report its deletion in progress", || {
        server.ok(&[
            "get",
            "crd",
            "crontabs.stable.example.com",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Terminating\")].reason}",
        ]) == "InstanceDeletionInProgress"
    });
    let another = manifest(&server, "another.yaml", &CRONTAB.replace("nightly", "another"));
    let refused = server.fails(&["create", "-f", &another, "--validate=false"]);
    assert!(
        refused.contains(r#"crontabs.stable.example.com "another" is forbidden: create not allowed while custom resource definition is terminating"#),
        "{refused}"
    );
    server.ok(&["patch", "ct", "nightly", "--type=json", "-p", r#"[{"op":"remove","path":"/metadata/finalizers"}]"#]);
    eventually("the CRD to be deleted", || server.ok(&["get", "crd", "-o", "name"]).trim().is_empty());
}

const TWO_VERSIONS: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1beta1
    served: true
    storage: false
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: string}}}
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: string}, color: {type: string, default: blue}}}
"#;

#[test]
fn a_two_version_crd_serves_both_versions_of_the_same_objects() {
    let server = Server::start();
    let crd = manifest(&server, "crd.yaml", TWO_VERSIONS);
    server.ok(&["apply", "-f", &crd]);
    server.ok(&["wait", "--for=condition=Established", "crd/widgets.example.com", "--timeout=10s"]);
    let group = server.ok(&["get", "--raw", "/apis/example.com"]);
    assert!(group.contains(r#""preferredVersion":{"groupVersion":"example.com/v1","version":"v1"}"#), "{group}");

    let old = manifest(
        &server,
        "old.yaml",
        "apiVersion: example.com/v1beta1\nkind: Widget\nmetadata: {name: small}\nspec: {size: S}\n",
    );
    server.ok(&["apply", "-f", &old]);
    let as_v1 = server.ok(&["get", "--raw", "/apis/example.com/v1/widgets/small"]);
    assert!(as_v1.contains(r#""apiVersion":"example.com/v1""#) && as_v1.contains(r#""size":"S""#), "{as_v1}");
    assert!(as_v1.contains(r#""color":"blue""#), "read in v1, the v1 defaults apply: {as_v1}");
    let as_v1beta1 = server.ok(&["get", "--raw", "/apis/example.com/v1beta1/widgets/small"]);
    assert!(as_v1beta1.contains(r#""apiVersion":"example.com/v1beta1""#), "{as_v1beta1}");
    assert_eq!(server.ok(&["get", "widgets.v1beta1.example.com", "-o", "name"]).trim(), "widget.example.com/small");
}

#[test]
fn an_invalid_crd_is_refused_with_upstreams_messages() {
    let server = Server::start();
    let untyped = CRD.replace("          spec:\n            type: object\n", "          spec:\n");
    let crd = manifest(&server, "untyped.yaml", &untyped);
    let refused = server.fails(&["apply", "-f", &crd, "--validate=false"]);
    assert!(
        refused.contains("spec.validation.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields"),
        "{refused}"
    );
    let misnamed = manifest(
        &server,
        "misnamed.yaml",
        &CRD.replace("name: crontabs.stable.example.com", "name: crons.stable.example.com"),
    );
    let refused = server.fails(&["apply", "-f", &misnamed]);
    assert!(
        refused.contains(
            r#"metadata.name: Invalid value: "crons.stable.example.com": must be spec.names.plural+"."+spec.group"#
        ),
        "{refused}"
    );
    let no_storage = manifest(&server, "nostorage.yaml", &CRD.replace("storage: true", "storage: false"));
    let refused = server.fails(&["apply", "-f", &no_storage]);
    assert!(refused.contains("must have exactly one version marked as storage version"), "{refused}");
    let bad_rule = manifest(&server, "badrule.yaml", &CRD.replace("self.replicas <= 10", "self.replicas <="));
    let refused = server.fails(&["apply", "-f", &bad_rule]);
    assert!(
        refused.contains("x-kubernetes-validations[0].rule: Invalid value") && refused.contains("compilation failed"),
        "{refused}"
    );
    assert!(server.ok(&["get", "crd", "-o", "name"]).trim().is_empty());
}
