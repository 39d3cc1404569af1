//! The serving TLS configuration: the serving certificate, client
//! certificates verified by the given verifier (the client CAs, which follow
//! their files; a certificate is optional, requests without one fall
//! through to token or anonymous authentication), and ALPN for HTTP/2 and
//! HTTP/1.1.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use rustls::server::danger::ClientCertVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// Builds the server config from PEM files.
pub fn server_config(
    cert: &Path,
    key: &Path,
    client_cas: Arc<dyn ClientCertVerifier>,
) -> Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing {}", cert.display()))?;
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading {}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(client_cas)
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
