//! A throwaway PKI for TLS tests: a CA, a server certificate for localhost
//! and 127.0.0.1, and a client certificate, as PEM files in a temp dir.

use std::path::PathBuf;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// PEM files of a test CA and the certificates it signed.
pub struct TestPki {
    /// The CA certificate.
    pub ca: PathBuf,
    /// The server certificate (SANs localhost and 127.0.0.1).
    pub server_cert: PathBuf,
    /// The server's private key.
    pub server_key: PathBuf,
    /// A client certificate with CN `test-client`.
    pub client_cert: PathBuf,
    /// The client's private key.
    pub client_key: PathBuf,
    _dir: tempfile::TempDir,
}

impl TestPki {
    /// Generates the CA and both certificates.
    pub fn generate() -> Self {
        let dir = tempfile::tempdir().expect("temp dir for the PKI");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "ferrokube-test-ca");
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
        let leaf = |cn: &str, sans: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(sans).unwrap();
            params.distinguished_name.push(DnType::CommonName, cn);
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
            (params.signed_by(&key, &ca).unwrap().pem(), key.serialize_pem())
        };
        let (server_cert, server_key) = leaf("localhost", vec!["localhost".into(), "127.0.0.1".into()]);
        let (client_cert, client_key) = leaf("test-client", vec![]);
        let write = |name: &str, pem: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, pem).expect("write PEM");
            path
        };
        TestPki {
            ca: write("ca.crt", &ca.pem()),
            server_cert: write("server.crt", &server_cert),
            server_key: write("server.key", &server_key),
            client_cert: write("client.crt", &client_cert),
            client_key: write("client.key", &client_key),
            _dir: dir,
        }
    }
}
