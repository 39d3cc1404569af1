//! Real parts for tests. [`EtcdServer`] starts Debian's `etcd` binary on
//! loopback, on free ports, in a temporary data directory, and stops it when
//! dropped.

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
        let data = tempfile::tempdir().expect("temp dir for etcd");
        let (client, peer) = (free_port(), free_port());
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new(std::env::var("ETCD_BIN").unwrap_or_else(|_| "etcd".into()))
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
        server.wait_healthy(client);
        server
    }

    fn wait_healthy(&self, port: u16) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) {
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
