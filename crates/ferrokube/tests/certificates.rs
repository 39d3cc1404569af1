//! CertificateSigningRequests: a user's request is approved with kubectl,
//! signed by the cluster CA, and the certificate then authenticates as the
//! user; a request the signer refuses fails; a malformed one is invalid.

mod support;

use base64::Engine;
use rcgen::{CertificateParams, DnType, KeyPair};
use support::Server;

fn csr_manifest(name: &str, request_pem: &str, usages: &str) -> String {
    let request = base64::engine::general_purpose::STANDARD.encode(request_pem);
    format!(
        "apiVersion: certificates.k8s.io/v1\nkind: CertificateSigningRequest\nmetadata: {{name: {name}}}\nspec:\n  request: {request}\n  signerName: kubernetes.io/kube-apiserver-client\n  expirationSeconds: 86400\n  usages: {usages}\n"
    )
}

fn request_for(user: &str, group: &str) -> (KeyPair, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, user);
    params.distinguished_name.push(DnType::OrganizationName, group);
    let request = params.serialize_request(&key).unwrap().pem().unwrap();
    (key, request)
}

#[test]
fn approved_requests_are_signed_and_the_certificate_authenticates() {
    let server = Server::start();
    let (key, request) = request_for("jane", "dev");
    let created = server.kubectl_stdin(&["create", "-f", "-"], &csr_manifest("jane", &request, "[client auth]"));
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let pending = server.ok(&["get", "csr", "jane"]);
    let row = pending.lines().nth(1).unwrap_or_default().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(row.contains("kubernetes.io/kube-apiserver-client admin 24h Pending"), "{pending}");

    server.ok(&["certificate", "approve", "jane"]);
    let mut certificate = String::new();
    for _ in 0..50 {
        certificate = server.ok(&["get", "csr", "jane", "-o", "jsonpath={.status.certificate}"]);
        if !certificate.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let certificate = base64::engine::general_purpose::STANDARD.decode(certificate.trim()).expect("a certificate");
    let listed = server.ok(&["get", "csr", "jane"]);
    assert!(listed.contains("Approved,Issued"), "{listed}");

    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path, kubeconfig) =
        (dir.path().join("jane.crt"), dir.path().join("jane.key"), dir.path().join("jane.kubeconfig"));
    std::fs::write(&cert_path, &certificate).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    std::fs::copy(server.kubeconfig(), &kubeconfig).unwrap();
    let as_jane = |args: &[&str]| support::kubectl_in(&kubeconfig, None, args, None);
    let set = as_jane(&[
        "config",
        "set-credentials",
        "admin",
        &format!("--client-certificate={}", cert_path.display()),
        &format!("--client-key={}", key_path.display()),
        "--embed-certs=true",
    ]);
    assert!(set.status.success(), "{}", String::from_utf8_lossy(&set.stderr));
    let whoami = as_jane(&["auth", "whoami"]);
    let whoami = String::from_utf8_lossy(&whoami.stdout);
    assert!(whoami.contains("Username    jane") && whoami.contains("dev"), "{whoami}");

    let (_, server_request) = request_for("web", "ops");
    server.kubectl_stdin(&["create", "-f", "-"], &csr_manifest("web", &server_request, "[server auth]"));
    server.ok(&["certificate", "approve", "web"]);
    let mut failed = String::new();
    for _ in 0..50 {
        failed = server.ok(&["get", "csr", "web"]);
        if failed.contains("Failed") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(failed.contains("Approved,Failed"), "the client signer refuses server auth: {failed}");

    let (_, other_request) = request_for("robot", "bots");
    let custom = csr_manifest("custom", &other_request, "[client auth]")
        .replace("kubernetes.io/kube-apiserver-client", "example.com/signer");
    server.kubectl_stdin(&["create", "-f", "-"], &custom);
    server.ok(&["certificate", "approve", "custom"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let custom = server.ok(&["get", "csr", "custom"]);
    assert!(custom.contains("example.com/signer") && custom.contains(" Approved"), "another signer's job: {custom}");
    assert!(!custom.contains("Issued"), "{custom}");

    let bogus = csr_manifest("bogus", "not a request", "[client auth, teleport]");
    let error = String::from_utf8_lossy(&server.kubectl_stdin(&["create", "-f", "-"], &bogus).stderr).to_string();
    assert!(
        error.contains("spec.request: Invalid value:") && error.contains("PEM block type must be CERTIFICATE REQUEST"),
        "{error}"
    );
    assert!(error.contains("spec.usages[1]: Unsupported value: \"teleport\""), "{error}");
}
