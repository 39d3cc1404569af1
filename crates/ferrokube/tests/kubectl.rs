//! The real kubectl against a real ferrokube: the commands a newcomer runs.

mod support;

use support::Server;

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports:
        - containerPort: 80
"#;

fn everyday_commands(server: &Server) {
    let namespaces = server.ok(&["get", "ns", "-o", "name"]);
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        assert!(namespaces.contains(&format!("namespace/{ns}")), "{namespaces}");
    }
    server.ok(&["create", "namespace", "demo"]);
    server.ok(&["create", "configmap", "settings", "--from-literal=mode=fast", "-n", "demo"]);
    server.ok(&["create", "secret", "generic", "creds", "--from-literal=password=s3cret", "-n", "demo"]);
    server.ok(&["create", "deployment", "api", "--image=nginx:1.27", "-n", "demo"]);
    server.ok(&["create", "service", "clusterip", "api", "--tcp=80:8080", "-n", "demo"]);
    assert_eq!(server.ok(&["get", "configmap", "settings", "-n", "demo", "-o", "jsonpath={.data.mode}"]), "fast");
    assert_eq!(server.ok(&["get", "secret", "creds", "-n", "demo", "-o", "jsonpath={.data.password}"]), "czNjcmV0");
    let services = server.ok(&["get", "svc", "-n", "demo"]);
    assert!(services.starts_with("NAME   TYPE        CLUSTER-IP"), "{services}");
    assert!(services.contains("80/TCP"), "{services}");

    let file = server.data_dir.join("deployment.yaml");
    std::fs::write(&file, DEPLOYMENT).unwrap();
    let file = file.to_str().unwrap();
    assert!(server.ok(&["create", "-f", file]).contains("deployment.apps/web created"));
    server.ok(&["delete", "-f", file]);
    assert!(server.ok(&["apply", "-f", file]).contains("deployment.apps/web created"));
    std::fs::write(file, DEPLOYMENT.replace("replicas: 2", "replicas: 3")).unwrap();
    assert!(server.ok(&["apply", "-f", file]).contains("deployment.apps/web configured"));
    assert_eq!(server.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "3");
    assert_eq!(server.ok(&["get", "deploy", "web", "-o", "jsonpath={.metadata.generation}"]), "2");

    let table = server.ok(&["get", "deploy", "web"]);
    assert!(table.starts_with("NAME   READY   UP-TO-DATE   AVAILABLE   AGE"), "{table}");
    let wide = server.ok(&["get", "deploy", "web", "-o", "wide"]);
    assert!(wide.contains("CONTAINERS") && wide.contains("nginx:1.27") && wide.contains("app=web"), "{wide}");
    assert_eq!(server.ok(&["get", "deploy", "web", "-o", "name"]).trim(), "deployment.apps/web");
    let custom = server.ok(&[
        "get",
        "deploy",
        "web",
        "-o",
        "custom-columns=NAME:.metadata.name,IMAGE:.spec.template.spec.containers[0].image",
    ]);
    assert!(custom.contains("web    nginx:1.27"), "{custom}");
    let json: serde_json::Value = serde_json::from_str(&server.ok(&["get", "deploy", "web", "-o", "json"])).unwrap();
    assert_eq!(json["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
    assert!(
        server.ok(&["get", "deploy", "web", "-o", "yaml"]).contains("terminationMessagePath: /dev/termination-log")
    );

    server.ok(&["label", "deploy", "web", "tier=front"]);
    server.ok(&["annotate", "deploy", "web", "owner=team-a"]);
    assert_eq!(server.ok(&["get", "deploy", "-l", "tier=front", "-o", "name"]).trim(), "deployment.apps/web");
    server.ok(&["patch", "deploy", "web", "--type=merge", "-p", r#"{"spec":{"replicas":1}}"#]);
    server.ok(&[
        "patch",
        "deploy",
        "web",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/revisionHistoryLimit","value":5}]"#,
    ]);
    server.ok(&[
        "patch",
        "deploy",
        "web",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.28"}]}}}}"#,
    ]);
    let patched: serde_json::Value = serde_json::from_str(&server.ok(&["get", "deploy", "web", "-o", "json"])).unwrap();
    assert_eq!(patched["spec"]["replicas"], 1);
    assert_eq!(patched["spec"]["revisionHistoryLimit"], 5);
    assert_eq!(patched["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28");
    assert_eq!(
        patched["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], 80,
        "strategic merge keeps the rest of the container"
    );
    assert_eq!(patched["metadata"]["annotations"]["owner"], "team-a");

    let explained = server.ok(&["explain", "pod.spec.containers"]);
    assert!(
        explained.contains("FIELD: containers <[]Container>") && explained.contains("imagePullPolicy"),
        "{explained}"
    );

    let resources = server.ok(&["api-resources"]);
    assert!(
        resources.contains("deployments") && resources.contains("deploy") && resources.contains("apps/v1"),
        "{resources}"
    );
    let versions = server.ok(&["api-versions"]);
    assert!(versions.lines().any(|l| l == "v1") && versions.lines().any(|l| l == "apps/v1"), "{versions}");

    assert!(server.ok(&["delete", "configmap", "settings", "-n", "demo"]).contains("deleted"));
    assert!(
        server.fails(&["get", "configmap", "settings", "-n", "demo"]).contains("configmaps \"settings\" not found")
    );
}

#[test]
fn everyday_kubectl_commands_work_on_the_embedded_store() {
    let server = Server::start();
    everyday_commands(&server);
}

#[test]
fn everyday_kubectl_commands_work_on_etcd() {
    let etcd = testkit::EtcdServer::start();
    let server = Server::start_with(&["--etcd-servers", &etcd.url]);
    everyday_commands(&server);
}

#[test]
fn objects_survive_a_restart_and_resource_versions_keep_rising() {
    let mut server = Server::start();
    server.ok(&["create", "configmap", "kept", "--from-literal=a=b"]);
    let before: u64 = server.ok(&["get", "cm", "kept", "-o", "jsonpath={.metadata.resourceVersion}"]).parse().unwrap();
    assert_eq!(server.stop().map(|s| s.success()), Some(true), "SIGTERM exits 0");
    server.restart();
    assert_eq!(server.ok(&["get", "cm", "kept", "-o", "jsonpath={.data.a}"]), "b");
    server.ok(&["create", "configmap", "later", "--from-literal=a=b"]);
    let after: u64 = server.ok(&["get", "cm", "later", "-o", "jsonpath={.metadata.resourceVersion}"]).parse().unwrap();
    assert!(after > before, "{after} > {before}");
}

#[test]
fn watch_scale_edit_describe_and_wait_on_the_embedded_store() {
    watch_scale_edit_describe_and_wait(&Server::start());
}

#[test]
fn watch_scale_edit_describe_and_wait_on_etcd() {
    let etcd = testkit::EtcdServer::start();
    watch_scale_edit_describe_and_wait(&Server::start_with(&["--etcd-servers", &etcd.url]));
}

fn watch_scale_edit_describe_and_wait(server: &Server) {
    let file = server.data_dir.join("deployment.yaml");
    std::fs::write(&file, DEPLOYMENT).unwrap();
    server.ok(&["apply", "-f", file.to_str().unwrap()]);

    let mut watch = std::process::Command::new("kubectl")
        .env("KUBECONFIG", server.kubeconfig())
        .args(["get", "configmaps", "-w", "--request-timeout=30s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    server.ok(&["create", "configmap", "seen-by-watch", "--from-literal=a=b"]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut saw = false;
    while !saw && std::time::Instant::now() < deadline {
        if let Ok(line) = lines_rx.recv_timeout(std::time::Duration::from_millis(200)) {
            saw = line.starts_with("seen-by-watch");
        }
    }
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(saw, "kubectl get -w printed the configmap another command created");

    assert!(server.ok(&["scale", "deployment", "web", "--replicas=5"]).contains("scaled"));
    assert_eq!(server.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "5");
    let scale = server.ok(&["get", "--raw", "/apis/apps/v1/namespaces/default/deployments/web/scale"]);
    let scale: serde_json::Value = serde_json::from_str(&scale).unwrap();
    assert_eq!((scale["kind"].as_str(), scale["spec"]["replicas"].as_i64()), (Some("Scale"), Some(5)));
    assert_eq!(scale["status"]["selector"], "app=web");

    let edited = support::kubectl_in(
        &server.kubeconfig(),
        Some(("KUBE_EDITOR", "sed -i s/replicas:.5/replicas:\\ 7/")),
        &["edit", "deployment", "web"],
        None,
    );
    assert!(edited.status.success(), "{}", String::from_utf8_lossy(&edited.stderr));
    assert_eq!(server.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "7");

    let described = server.ok(&["describe", "deployment", "web"]);
    assert!(
        described.contains("Name:") && described.contains("web") && described.contains("nginx:1.27"),
        "{described}"
    );

    server.ok(&["delete", "deployment", "web", "--wait=false"]);
    server.ok(&["wait", "--for=delete", "deployment/web", "--timeout=20s"]);
    assert!(server.fails(&["get", "deployment", "web"]).contains("not found"));
}

#[test]
fn unknown_fields_are_refused_under_strict_validation_and_dropped_otherwise() {
    let server = Server::start();
    let file = server.data_dir.join("typo.yaml");
    std::fs::write(
        &file,
        DEPLOYMENT
            .replace("  replicas: 2", "  replicas: 2\n  replicaz: 3")
            .replace("image: nginx:1.27", "image: nginx:1.27\n        imagePullPolicyy: Always"),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let refused = server.fails(&["apply", "-f", file]);
    assert!(
        refused.contains("strict decoding error") && refused.contains("unknown field \"spec.replicaz\""),
        "{refused}"
    );
    assert!(refused.contains("unknown field \"spec.template.spec.containers[0].imagePullPolicyy\""), "{refused}");

    let warned = server.kubectl(&["apply", "--validate=warn", "-f", file]);
    assert!(warned.status.success());
    let stderr = String::from_utf8_lossy(&warned.stderr);
    assert!(stderr.contains("Warning: unknown field \"spec.replicaz\""), "{stderr}");
    let stored: serde_json::Value = serde_json::from_str(&server.ok(&["get", "deploy", "web", "-o", "json"])).unwrap();
    assert!(stored["spec"].get("replicaz").is_none(), "unknown fields are not stored");
}

#[test]
fn more_built_in_kinds_are_served_with_their_schemas() {
    let server = Server::start();
    for args in [
        &["create", "job", "hello", "--image=busybox"][..],
        &["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *"],
        &["create", "clusterrole", "reader", "--verb=get", "--resource=pods"],
        &["create", "rolebinding", "rb", "--clusterrole=reader", "--user=alice"],
        &["create", "poddisruptionbudget", "pdb", "--selector=app=x", "--min-available=1"],
        &["create", "priorityclass", "high", "--value=1000"],
        &["create", "ingress", "web", "--rule=example.com/=web:80"],
    ] {
        server.ok(args);
    }
    let listed = server.ok(&["get", "jobs,cronjobs,rolebindings,pdb,ingresses", "-o", "name"]);
    for name in [
        "job.batch/hello",
        "cronjob.batch/tick",
        "rolebinding.rbac.authorization.k8s.io/rb",
        "poddisruptionbudget.policy/pdb",
        "ingress.networking.k8s.io/web",
    ] {
        assert!(listed.contains(name), "{name} in {listed}");
    }
    let resources = server.ok(&["api-resources", "-o", "name"]);
    for resource in [
        "statefulsets.apps",
        "daemonsets.apps",
        "horizontalpodautoscalers.autoscaling",
        "storageclasses.storage.k8s.io",
        "flowschemas.flowcontrol.apiserver.k8s.io",
    ] {
        assert!(resources.lines().any(|l| l == resource), "{resource} in {resources}");
    }
    assert!(server.ok(&["explain", "cronjob.spec.schedule"]).contains("FIELD: schedule <string>"));
    server.ok(&["delete", "job", "hello"]);
}

#[test]
fn system_priority_classes_exist_and_user_classes_stay_below_them() {
    let server = Server::start();
    let table = server.ok(&["get", "priorityclasses"]);
    assert!(table.starts_with("NAME                      VALUE        GLOBAL-DEFAULT   AGE"), "{table}");
    assert!(
        table.contains("system-cluster-critical   2000000000   false")
            && table.contains("system-node-critical      2000001000"),
        "{table}"
    );
    assert!(server.fails(&["create", "priorityclass", "system-mine", "--value=5"]).contains("reserved for system use"));
    assert!(
        server
            .fails(&["create", "priorityclass", "huge", "--value=2000000000"])
            .contains("maximum allowed value of a user defined priority is 1000000000")
    );
    server.ok(&["create", "priorityclass", "batch", "--value=1000"]);
}
