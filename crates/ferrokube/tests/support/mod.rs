//! A real ferrokube process for end-to-end tests, and the real kubectl
//! pointed at it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A running server with its own data directory and port.
pub struct Server {
    child: Option<Child>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The HTTPS port.
    pub port: u16,
    /// Extra flags it was started with.
    pub flags: Vec<String>,
    /// Its log filter (RUST_LOG), when its log is kept in `ferrokube.log`.
    pub log_filter: Option<String>,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    /// Starts a server on the embedded store.
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    /// Starts a server with extra flags (e.g. `--etcd-servers`).
    pub fn start_with(flags: &[&str]) -> Server {
        Self::launched(flags, None)
    }

    /// Starts a server whose log (at `filter`, RUST_LOG's syntax) goes to
    /// `ferrokube.log` in its data directory.
    pub fn start_logging(flags: &[&str], filter: &str) -> Server {
        Self::launched(flags, Some(filter))
    }

    fn launched(flags: &[&str], log_filter: Option<&str>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let mut server = Server {
            child: None,
            data_dir: dir.path().to_path_buf(),
            port: testkit::free_port(),
            flags: flags.iter().map(|s| s.to_string()).collect(),
            log_filter: log_filter.map(str::to_string),
            _dir: Some(dir),
        };
        server.launch();
        server
    }

    /// What the server logged, if it was started with [`Server::start_logging`].
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir.join("ferrokube.log")).unwrap_or_default()
    }

    fn launch(&mut self) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ferrokube"));
        command
            .arg("--data-dir")
            .arg(&self.data_dir)
            .args(["--secure-port", &self.port.to_string()])
            .args(&self.flags)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(filter) = &self.log_filter {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.data_dir.join("ferrokube.log"))
                .unwrap();
            command.env("RUST_LOG", filter).stderr(log);
        }
        let child = command.spawn().expect("start ferrokube");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.kubeconfig().exists() && self.kubectl(&["get", "--raw", "/readyz"]).status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("ferrokube did not become ready");
    }

    /// Stops the server with SIGTERM and starts it again on the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }

    /// Restarts the server on the same data with other extra flags.
    pub fn restart_with(&mut self, flags: &[&str]) {
        self.stop();
        self.flags = flags.iter().map(|s| s.to_string()).collect();
        self.launch();
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        child.wait().ok()
    }

    /// The admin kubeconfig the server wrote.
    pub fn kubeconfig(&self) -> PathBuf {
        self.data_dir.join("admin.kubeconfig")
    }

    /// Runs kubectl against the server.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        kubectl_in(&self.kubeconfig(), None, args, None)
    }

    /// Runs kubectl with standard input.
    pub fn kubectl_stdin(&self, args: &[&str], input: &str) -> Output {
        kubectl_in(&self.kubeconfig(), None, args, Some(input))
    }

    /// Runs kubectl and returns its stdout, failing the test if it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(out.status.success(), "kubectl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl expecting failure and returns its stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs kubectl with a kubeconfig, optionally with an environment variable
/// and standard input.
pub fn kubectl_in(kubeconfig: &Path, env: Option<(&str, &str)>, args: &[&str], input: Option<&str>) -> Output {
    let mut command = Command::new("kubectl");
    command.env("KUBECONFIG", kubeconfig).env("HOME", kubeconfig.parent().unwrap()).args(args);
    if let Some((key, value)) = env {
        command.env(key, value);
    }
    command.stdin(if input.is_some() { Stdio::piped() } else { Stdio::null() });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("kubectl on PATH (scripts/test.sh installs it)");
    if let Some(input) = input {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

impl Server {
    /// A kube-rs client with the admin credentials. Its automatic retry of
    /// 429 and 503 is off, so that tests see what the server answers.
    pub async fn client(&self) -> kube::Client {
        let kubeconfig = kube::config::Kubeconfig::read_from(self.kubeconfig()).unwrap();
        let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.unwrap();
        config.default_retry = false;
        kube::Client::try_from(config).unwrap()
    }

    /// A kube-rs client that trusts the server but presents no credentials,
    /// or the given bearer token.
    pub async fn client_without_certificate(&self, token: Option<&str>) -> kube::Client {
        let mut kubeconfig = kube::config::Kubeconfig::read_from(self.kubeconfig()).unwrap();
        for user in &mut kubeconfig.auth_infos {
            if let Some(auth) = user.auth_info.as_mut() {
                auth.client_certificate_data = None;
                auth.client_key_data = None;
                auth.token = token.map(|t| t.to_string().into());
            }
        }
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.unwrap();
        kube::Client::try_from(config).unwrap()
    }
}

/// Sends a raw request; returns the status code and the body.
async fn send(
    client: &kube::Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, bytes::Bytes) {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .header("accept", "application/json")
        .body(body)
        .unwrap();
    let response = client.send(request.map(kube::client::Body::from)).await.unwrap();
    let status = response.status().as_u16();
    (status, http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes())
}

/// Sends a raw request and returns the status code and the body as JSON
/// (or a JSON string when it is not JSON).
pub async fn raw(
    client: &kube::Client,
    method: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    let (status, bytes) = send(client, method, path, content_type, body).await;
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, body)
}

/// Sends a raw JSON request and returns only the status code and body
/// length, for load tests that should not spend their time parsing.
pub async fn raw_status(client: &kube::Client, method: &str, path: &str, body: Vec<u8>) -> (u16, usize) {
    let (status, bytes) = send(client, method, path, "application/json", body).await;
    (status, bytes.len())
}

/// A TLS acceptor with a self-signed certificate for `names`, for the
/// small HTTPS servers tests start (webhooks, extension API servers), and
/// the certificate's PEM (their CA bundle).
pub fn self_signed_tls(names: &[&str]) -> (tokio_rustls::TlsAcceptor, String) {
    let certified =
        rcgen::generate_simple_self_signed(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![certified.cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into()),
        )
        .unwrap();
    (tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config)), certified.cert.pem())
}
