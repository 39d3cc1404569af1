//! The etcd backend over TLS with client certificates, as with
//! `--etcd-cafile/--etcd-certfile/--etcd-keyfile`.

use bytes::Bytes;
use storage::Backend;
use storage::backend::WriteOutcome;
use storage::etcd3::{EtcdBackend, EtcdConfig};

#[tokio::test]
async fn talks_to_etcd_over_mutual_tls() {
    let pki = testkit::TestPki::generate();
    let etcd = testkit::EtcdServer::start_tls(&pki);
    let config = EtcdConfig {
        endpoints: vec![etcd.url.clone()],
        ca_file: Some(pki.ca.clone()),
        cert_file: Some(pki.client_cert.clone()),
        key_file: Some(pki.client_key.clone()),
    };
    let backend = EtcdBackend::connect(&config).unwrap();
    let mut written = None;
    for _ in 0..50 {
        match backend.create("/registry/tls/a", Bytes::from_static(b"{}"), None).await {
            Ok(outcome) => {
                written = Some(outcome);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    assert!(matches!(written, Some(WriteOutcome::Committed { .. })), "{written:?}");
    let (kv, _) = backend.get("/registry/tls/a").await.unwrap();
    assert_eq!(kv.unwrap().value, Bytes::from_static(b"{}"));

    let without_client_cert = EtcdBackend::connect(&EtcdConfig { cert_file: None, key_file: None, ..config }).unwrap();
    assert!(without_client_cert.get("/registry/tls/a").await.is_err(), "etcd demands a client certificate");
}
