//! Real parts for tests. [`EtcdServer`] starts Debian's `etcd` binary on
//! loopback, on free ports, in a temporary data directory, and stops it when
//! dropped; [`TestPki`] makes a CA with a server and a client certificate.

mod pki;

pub use pki::TestPki;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A free TCP port on 127.0.0.1 (free when asked; bind it soon).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("no free loopback port")
}

/// A running single-member etcd cluster.
pub struct EtcdServer {
    child: Child,
    /// The client URL, e.g. `http://127.0.0.1:23790`.
    pub url: String,
    _data: tempfile::TempDir,
}

impl EtcdServer {
    /// Starts etcd and waits until it reports healthy. Panics with a hint if
    /// the `etcd` binary is missing (Debian package `etcd-server`).
    pub fn start() -> Self {
        Self::start_with(None)
    }

    /// Starts etcd serving clients over TLS with the PKI's server
    /// certificate, requiring client certificates signed by its CA.
    pub fn start_tls(pki: &TestPki) -> Self {
        Self::start_with(Some(pki))
    }

    fn start_with(pki: Option<&TestPki>) -> Self {
        let data = tempfile::tempdir().expect("temp dir for etcd");
        let (client, peer) = (free_port(), free_port());
        let scheme = if pki.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let mut command = Command::new(std::env::var("ETCD_BIN").unwrap_or_else(|_| "etcd".into()));
        if let Some(pki) = pki {
            command
                .arg("--cert-file")
                .arg(&pki.server_cert)
                .arg("--key-file")
                .arg(&pki.server_key)
                .arg("--trusted-ca-file")
                .arg(&pki.ca)
                .arg("--client-cert-auth");
        }
        let child = command
            .args(["--name", "test", "--data-dir"])
            .arg(data.path())
            .args(["--listen-client-urls", &url, "--advertise-client-urls", &url])
            .args(["--listen-peer-urls", &peer_url, "--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("test={peer_url}")])
            .args(["--logger", "zap", "--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start etcd: install it with `apt-get install etcd-server` (or set ETCD_BIN)");
        let server = EtcdServer { child, url, _data: data };
        server.wait_healthy(client, pki.is_none());
        server
    }

    /// Waits until etcd answers: its /health over plain HTTP, or for TLS (which
    /// this helper does not speak) an accepted connection.
    fn wait_healthy(&self, port: u16, plain: bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
                if !plain {
                    return;
                }
                let _ = stream.write_all(b"GET /health HTTP/1.0\r\n\r\n");
                let mut body = String::new();
                let _ = stream.read_to_string(&mut body);
                if body.contains("\"health\":\"true\"") {
                    return;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("etcd did not become healthy within 30s");
    }
}

impl Drop for EtcdServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etcd_starts_healthy_and_stops_when_dropped() {
        let etcd = EtcdServer::start();
        let port: u16 = etcd.url.rsplit(':').next().unwrap().parse().unwrap();
        assert!(TcpStream::connect(("127.0.0.1", port)).is_ok());
        drop(etcd);
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "etcd still listens after drop");
    }
}
