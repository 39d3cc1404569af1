//! Calling another HTTPS server — a webhook, or an extension API server
//! behind the aggregator: dial an address, verify the server's certificate
//! for the name it must carry (against a caBundle, or not at all where the
//! configuration says to skip it), present a client certificate when there
//! is one, and exchange one HTTP/1.1 request whose response streams.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use hyper::body::Incoming;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio::net::TcpStream;

/// A client certificate and its key (--proxy-client-cert-file and
/// --proxy-client-key-file).
#[derive(Debug)]
pub struct ClientIdentity {
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl ClientIdentity {
    /// Reads a PEM certificate (chain) and key.
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Self, String> {
        let certs = CertificateDer::pem_file_iter(cert_file)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|e| format!("reading {}: {e}", cert_file.display()))?;
        let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| format!("reading {}: {e}", key_file.display()))?;
        Ok(ClientIdentity { certs, key })
    }
}

/// Accepts any server certificate: for `insecureSkipTLSVerify` and the
/// aggregator's discovery probe, which upstream sends without verifying.
#[derive(Debug)]
struct AcceptAnyServer(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AcceptAnyServer {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// The TLS settings of a client: servers verified against `ca_bundle`
/// (PEM), or not verified when `insecure`; `identity` presented if given.
pub fn tls_config(
    ca_bundle: &[u8],
    insecure: bool,
    identity: Option<&ClientIdentity>,
) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = if insecure {
        builder.dangerous().with_custom_certificate_verifier(Arc::new(AcceptAnyServer(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_bundle) {
            roots.add(cert.map_err(|e| format!("invalid caBundle: {e}"))?).map_err(|e| e.to_string())?;
        }
        builder.with_root_certificates(roots)
    };
    let config = match identity {
        Some(identity) => builder
            .with_client_auth_cert(identity.certs.clone(), identity.key.clone_key())
            .map_err(|e| format!("invalid client certificate: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// A server to send requests to.
pub struct Backend {
    /// Where to dial.
    pub address: SocketAddr,
    /// The name the server's certificate must carry (`<service>.<namespace>.svc`).
    pub server_name: String,
    /// The TLS settings.
    pub tls: Arc<rustls::ClientConfig>,
}

impl Backend {
    /// Sends one request over a new connection; the response body streams
    /// as the server writes it, and an upgraded connection stays usable.
    pub async fn send<B>(&self, request: http::Request<B>) -> Result<http::Response<Incoming>, String>
    where
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let tcp = TcpStream::connect(self.address).await.map_err(|e| format!("dial tcp {}: {e}", self.address))?;
        let server_name = ServerName::try_from(self.server_name.clone()).map_err(|e| e.to_string())?;
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(server_name, tcp)
            .await
            .map_err(|e| format!("tls: {e}"))?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(connection.with_upgrades());
        sender.send_request(request).await.map_err(|e| e.to_string())
    }
}
