//! The aggregator in front of an extension API server: two ferrokube
//! processes, B serving a custom resource group and trusting A as its front
//! proxy, A serving B's group through an APIService. And client CAs that
//! follow their files.

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::Server;
use testkit::TestPki;

const CRD: &str = r#"{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition",
"metadata":{"name":"crontabs.stable.example.com"},
"spec":{"group":"stable.example.com","scope":"Namespaced",
  "names":{"plural":"crontabs","singular":"crontab","kind":"CronTab","shortNames":["ct"]},
  "versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object",
    "properties":{"spec":{"type":"object","properties":{"cronSpec":{"type":"string"}}}}}}}]}}"#;

/// Waits until `check` holds, failing after `seconds`.
fn eventually(what: &str, seconds: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn apply(server: &Server, manifest: &serde_json::Value) {
    let out = server.kubectl_stdin(&["apply", "-f", "-"], &manifest.to_string());
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Serves `group`/v1 on `front` from whatever listens on 127.0.0.1:`port`:
/// a Service and Endpoints named `service` and an APIService, waited for
/// until Available.
fn register_apiservice(front: &Server, group: &str, service: &str, port: u16) {
    apply(
        front,
        &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": service, "namespace": "default"},
        "spec": {"ports": [{"port": 443, "targetPort": port}]}}),
    );
    apply(
        front,
        &json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": service, "namespace": "default"},
        "subsets": [{"addresses": [{"ip": "127.0.0.1"}], "ports": [{"port": port}]}]}),
    );
    apply(
        front,
        &json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": format!("v1.{group}")},
        "spec": {"group": group, "version": "v1", "groupPriorityMinimum": 1000, "versionPriority": 100,
            "insecureSkipTLSVerify": true, "service": {"namespace": "default", "name": service, "port": 443}}}),
    );
    front.ok(&["wait", "--for=condition=Available", &format!("apiservice/v1.{group}"), "--timeout=20s"]);
}

#[test]
fn an_apiservice_serves_another_servers_group_through_the_aggregator() {
    let front_proxy = TestPki::generate();
    let (ca, cert, key) = (
        front_proxy.ca.to_str().unwrap(),
        front_proxy.client_cert.to_str().unwrap(),
        front_proxy.client_key.to_str().unwrap(),
    );
    let mut backend = Server::start_logging(
        &["--requestheader-client-ca-file", ca, "--requestheader-allowed-names", "test-client"],
        "info,apiserver::handler_chain=debug",
    );
    let out = backend.kubectl_stdin(&["create", "-f", "-"], CRD);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    backend.ok(&["wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=10s"]);
    let trust = backend.ok(&[
        "get",
        "configmap",
        "extension-apiserver-authentication",
        "-n",
        "kube-system",
        "-o",
        "jsonpath={.data.requestheader-allowed-names} {.data.requestheader-username-headers}",
    ]);
    assert_eq!(trust, r#"["test-client"] ["X-Remote-User"]"#);

    let tokens = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tokens.path(), "alice-token,alice,1001,\"dev\"\n").unwrap();
    let front = Server::start_with(&[
        "--proxy-client-cert-file",
        cert,
        "--proxy-client-key-file",
        key,
        "--token-auth-file",
        tokens.path().to_str().unwrap(),
    ]);
    register_apiservice(&front, "stable.example.com", "crontabs-api", backend.port);
    let row = front.ok(&["get", "apiservice", "v1.stable.example.com", "--no-headers"]);
    assert_eq!(
        row.split_whitespace().take(3).collect::<Vec<_>>(),
        ["v1.stable.example.com", "default/crontabs-api", "True"]
    );
    assert!(
        front.ok(&["api-resources", "--api-group=stable.example.com"]).contains("crontabs"),
        "aggregated discovery lists the remote group"
    );

    let as_alice = |args: &[&str]| {
        let mut all = vec!["--token=alice-token"];
        all.extend_from_slice(args);
        front.kubectl(&all)
    };
    let created = front.kubectl_stdin(
        &["--token=alice-token", "create", "-f", "-"],
        r#"{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"nightly"},"spec":{"cronSpec":"* * * * */5"}}"#,
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let listed = as_alice(&["get", "ct", "-o", "name"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "crontab.stable.example.com/nightly");
    assert_eq!(
        backend.ok(&["get", "ct", "-o", "name"]).trim(),
        "crontab.stable.example.com/nightly",
        "stored by the backend"
    );
    let watched = front.ok(&[
        "get",
        "--raw",
        "/apis/stable.example.com/v1/namespaces/default/crontabs?watch=true&timeoutSeconds=1",
    ]);
    assert!(watched.contains(r#""type":"ADDED""#) && watched.contains("nightly"), "{watched}");
    let log = backend.log();
    assert!(
        log.lines().any(|l| l.contains("authenticated") && l.contains("alice") && l.contains("\"dev\"")),
        "the backend sees the front's caller"
    );
    assert!(as_alice(&["delete", "ct", "nightly"]).status.success());
    assert!(backend.ok(&["get", "ct", "-o", "name"]).trim().is_empty());

    backend.stop();
    let refused = front.kubectl(&["get", "ct"]);
    assert!(!refused.status.success());
    let refused = String::from_utf8_lossy(&refused.stderr);
    assert!(refused.contains("ServiceUnavailable"), "{refused}");
    eventually("the APIService to turn unavailable", 20, || {
        front.ok(&["get", "apiservice", "v1.stable.example.com", "-o", "jsonpath={.status.conditions[0].reason}"])
            == "FailedDiscoveryCheck"
    });
    let unavailable = front.kubectl(&["get", "--raw", "/apis/stable.example.com/v1/namespaces/default/crontabs"]);
    assert!(
        String::from_utf8_lossy(&unavailable.stderr).contains("ServiceUnavailable"),
        "{}",
        String::from_utf8_lossy(&unavailable.stderr)
    );

    backend.restart();
    eventually("the APIService to recover", 40, || front.kubectl(&["get", "ct"]).status.success());
    assert_eq!(
        front.ok(&["get", "apiservice", "v1.stable.example.com", "-o", "jsonpath={.status.conditions[0].reason}"]),
        "Passed"
    );
}

/// A kubeconfig for the server that authenticates with the test PKI's
/// client certificate.
fn kubeconfig_for(server: &Server, pki: &TestPki) -> std::path::PathBuf {
    let admin: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(server.kubeconfig()).unwrap()).unwrap();
    let cluster = &admin["clusters"][0]["cluster"];
    let kubeconfig = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {
            "server": cluster["server"].as_str().unwrap(),
            "certificate-authority-data": cluster["certificate-authority-data"].as_str().unwrap(),
        }}],
        "users": [{"name": "test", "user": {"client-certificate": pki.client_cert, "client-key": pki.client_key}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
        "current-context": "test",
    });
    let path = pki.ca.with_file_name("kubeconfig");
    std::fs::write(&path, kubeconfig.to_string()).unwrap();
    path
}

#[test]
fn a_replaced_client_ca_file_changes_which_certificates_are_accepted() {
    let (first, second) = (TestPki::generate(), TestPki::generate());
    let ca_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::copy(&first.ca, ca_file.path()).unwrap();
    let server = Server::start_with(&["--client-ca-file", ca_file.path().to_str().unwrap()]);
    let whoami = |pki: &TestPki| {
        let kubeconfig = kubeconfig_for(&server, pki);
        support::kubectl_in(&kubeconfig, None, &["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"], None)
    };
    assert_eq!(String::from_utf8_lossy(&whoami(&first).stdout), "test-client");
    assert!(!whoami(&second).status.success(), "the second CA is not trusted yet");
    let published = |server: &Server| {
        server.ok(&[
            "get",
            "configmap",
            "extension-apiserver-authentication",
            "-n",
            "kube-system",
            "-o",
            "jsonpath={.data.client-ca-file}",
        ])
    };
    let first_ca = std::fs::read_to_string(&first.ca).unwrap();
    assert!(published(&server).contains(first_ca.trim()));

    std::fs::copy(&second.ca, ca_file.path()).unwrap();
    eventually("the new CA to be trusted", 10, || whoami(&second).status.success());
    assert!(!whoami(&first).status.success(), "the replaced CA is no longer trusted");
    let second_ca = std::fs::read_to_string(&second.ca).unwrap();
    eventually("the new CA to be published", 10, || published(&server).contains(second_ca.trim()));
}

/// An extension API server that serves one group version, echoes what it
/// is sent over any upgraded connection, and redirects `.../redirect`.
async fn start_echo_server() -> u16 {
    use http_body_util::Full;
    let (acceptor, _) = support::self_signed_tls(&["echo.default.svc"]);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else { return };
                let service = hyper::service::service_fn(
                    |mut request: hyper::Request<hyper::body::Incoming>| async move {
                        if request.uri().path().ends_with("/stream") {
                            let upgrade = hyper::upgrade::on(&mut request);
                            tokio::spawn(async move {
                                let Ok(upgraded) = upgrade.await else { return };
                                let (mut reader, mut writer) = tokio::io::split(hyper_util::rt::TokioIo::new(upgraded));
                                let _ = tokio::io::copy(&mut reader, &mut writer).await;
                            });
                            let response = hyper::Response::builder()
                                .status(101)
                                .header("connection", "Upgrade")
                                .header("upgrade", "echo")
                                .body(Full::new(bytes::Bytes::new()))
                                .unwrap();
                            return Ok::<_, hyper::Error>(response);
                        }
                        if request.uri().path().ends_with("/redirect") {
                            let response = hyper::Response::builder()
                                .status(302)
                                .header("location", "https://example.com/")
                                .body(Full::new(bytes::Bytes::new()))
                                .unwrap();
                            return Ok(response);
                        }
                        let list = json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "echo.example.com/v1",
                        "resources": [{"name": "echoes", "singularName": "echo", "namespaced": true, "kind": "Echo", "verbs": ["get"]}]});
                        Ok(hyper::Response::new(Full::new(bytes::Bytes::from(list.to_string()))))
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .with_upgrades()
                    .await;
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgraded_connections_pass_through_the_proxy_and_redirects_do_not() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let echo_port = start_echo_server().await;
    let front = Server::start();
    register_apiservice(&front, "echo.example.com", "echo", echo_port);

    let pki = front.data_dir.join("pki");
    let identity = apiserver::backend::ClientIdentity::load(&pki.join("admin.crt"), &pki.join("admin.key")).unwrap();
    let ca = std::fs::read(pki.join("ca.crt")).unwrap();
    let tls = apiserver::backend::tls_config(&ca, false, Some(&identity)).unwrap();
    let address = format!("127.0.0.1:{}", front.port).parse().unwrap();
    let client = apiserver::backend::Backend { address, server_name: "127.0.0.1".into(), tls };
    let request = http::Request::get("/apis/echo.example.com/v1/namespaces/default/echoes/one/stream")
        .header("host", "127.0.0.1")
        .header("connection", "Upgrade")
        .header("upgrade", "echo")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let response = client.send(request).await.unwrap();
    assert_eq!(response.status(), 101);
    let redirect = http::Request::get("/apis/echo.example.com/v1/namespaces/default/echoes/one/redirect")
        .header("host", "127.0.0.1")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    assert_eq!(client.send(redirect).await.unwrap().status(), 502, "redirects from a backend are refused");
    let mut stream = hyper_util::rt::TokioIo::new(hyper::upgrade::on(response).await.unwrap());
    stream.write_all(b"hello through the aggregator").await.unwrap();
    let mut echoed = [0u8; 28];
    tokio::time::timeout(Duration::from_secs(5), stream.read_exact(&mut echoed)).await.unwrap().unwrap();
    assert_eq!(&echoed, b"hello through the aggregator");
}

#[test]
fn an_apiservice_reports_why_it_is_unavailable() {
    let front = Server::start();
    let reason = |front: &Server| {
        front.ok(&[
            "get",
            "apiservice",
            "v1.missing.example.com",
            "-o",
            "jsonpath={.status.conditions[0].reason}: {.status.conditions[0].message}",
        ])
    };
    apply(
        &front,
        &json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService", "metadata": {"name": "v1.missing.example.com"},
        "spec": {"group": "missing.example.com", "version": "v1", "groupPriorityMinimum": 1000, "versionPriority": 100,
            "insecureSkipTLSVerify": true, "service": {"namespace": "default", "name": "missing"}}}),
    );
    eventually("ServiceNotFound", 10, || {
        reason(&front) == r#"ServiceNotFound: service/missing in "default" is not present"#
    });
    apply(
        &front,
        &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "missing", "namespace": "default"},
        "spec": {"ports": [{"port": 443, "targetPort": 8443}]}}),
    );
    eventually("EndpointsNotFound", 10, || {
        reason(&front) == r#"EndpointsNotFound: cannot find endpointslices for service/missing in "default""#
    });
    let row = front.ok(&["get", "apiservice", "v1.missing.example.com", "--no-headers"]);
    assert_eq!(
        row.split_whitespace().take(4).collect::<Vec<_>>(),
        ["v1.missing.example.com", "default/missing", "False", "(EndpointsNotFound)"]
    );
}

#[test]
fn the_endpoints_of_a_service_without_selector_are_mirrored_into_slices() {
    let server = Server::start();
    apply(
        &server,
        &json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "external", "namespace": "default"},
        "spec": {"ports": [{"name": "https", "port": 443}]}}),
    );
    apply(
        &server,
        &json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": "external", "namespace": "default"},
        "subsets": [{"addresses": [{"ip": "10.1.2.3"}], "ports": [{"name": "https", "port": 8443}]}]}),
    );
    let slices = || {
        server.ok(&["get", "endpointslices", "-l", "kubernetes.io/service-name=external,endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io",
            "-o", "jsonpath={range .items[*]}{.addressType} {.endpoints[0].addresses[0]} {.ports[0].port}{end}"])
    };
    eventually("the mirrored slice", 10, || slices() == "IPv4 10.1.2.3 8443");
    server.ok(&["delete", "endpoints", "external"]);
    eventually("the mirrored slice to go", 10, || slices().is_empty());
}
