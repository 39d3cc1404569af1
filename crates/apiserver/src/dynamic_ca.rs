//! CA bundles that follow their files (upstream's DynamicFileCAContent with
//! its Listener/Notifier design): `--client-ca-file` and
//! `--requestheader-client-ca-file` are read again when they change on disk,
//! new TLS handshakes and authentication use the new bundle at once, and
//! every registered [`Listener`] is told so it can enqueue its own work
//! (publishing the bundle in a ConfigMap, say).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::WebPkiClientVerifier;
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// Told when a dynamic content changes.
pub trait Listener: Send + Sync {
    /// Queues the listener's work; must not block.
    fn enqueue(&self);
}

/// What one bundle is now: its PEM text and a verifier of client
/// certificates it signed.
struct Content {
    pem: Vec<u8>,
    verifier: Arc<dyn ClientCertVerifier>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn content(pem: Vec<u8>) -> Result<Content, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.map_err(|e| e.to_string())?).map_err(|e| e.to_string())?;
    }
    if roots.is_empty() {
        return Err("no certificate found".into());
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
        .allow_unauthenticated()
        .build()
        .map_err(|e| e.to_string())?;
    Ok(Content { pem, verifier })
}

/// A CA bundle read from a file, or given once.
pub struct DynamicCa {
    /// The file it follows, if any.
    path: Option<PathBuf>,
    current: RwLock<Content>,
    listeners: Mutex<Vec<Arc<dyn Listener>>>,
}

impl DynamicCa {
    /// The bundle in `path`, followed as it changes.
    pub fn from_file(path: &Path) -> Result<Arc<Self>, String> {
        let pem = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let current = content(pem).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Arc::new(DynamicCa {
            path: Some(path.to_path_buf()),
            current: RwLock::new(current),
            listeners: Mutex::default(),
        }))
    }

    /// A bundle that never changes.
    pub fn fixed(pem: Vec<u8>) -> Result<Arc<Self>, String> {
        Ok(Arc::new(DynamicCa { path: None, current: RwLock::new(content(pem)?), listeners: Mutex::default() }))
    }

    /// The bundle's PEM text now.
    pub fn pem(&self) -> Vec<u8> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).pem.clone()
    }

    fn verifier(&self) -> Arc<dyn ClientCertVerifier> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).verifier.clone()
    }

    /// Whether the bundle signed this client certificate.
    pub fn verifies(&self, leaf: &[u8]) -> bool {
        self.verifier().verify_client_cert(&CertificateDer::from(leaf.to_vec()), &[], UnixTime::now()).is_ok()
    }

    /// Registers a listener told of every change.
    pub fn add_listener(&self, listener: Arc<dyn Listener>) {
        self.listeners.lock().unwrap_or_else(|p| p.into_inner()).push(listener);
    }

    /// Reads the file again; returns whether the bundle changed. A file
    /// that cannot be read or holds no certificate leaves the bundle as it
    /// was (upstream keeps serving with the last good content).
    pub fn reload(&self) -> bool {
        let Some(path) = &self.path else { return false };
        let Ok(pem) = std::fs::read(path) else { return false };
        if pem == self.pem() {
            return false;
        }
        match content(pem) {
            Ok(next) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = next;
                tracing::info!(file = %path.display(), "loaded a new CA bundle");
                let listeners = self.listeners.lock().unwrap_or_else(|p| p.into_inner()).clone();
                listeners.iter().for_each(|l| l.enqueue());
                true
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "ignoring an invalid CA bundle");
                false
            }
        }
    }

    /// Checks the file every `interval` until the handle is aborted.
    pub fn follow(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(interval).await;
                this.reload();
            }
        })
    }
}

/// The TLS layer's verifier of client certificates: any of several dynamic
/// bundles may have signed one; a client without a certificate is let
/// through to token or anonymous authentication.
#[derive(Debug)]
pub struct ClientCas {
    bundles: Vec<Arc<DynamicCa>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl std::fmt::Debug for DynamicCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamicCa").field("path", &self.path).finish()
    }
}

impl ClientCas {
    /// A verifier accepting what any of `bundles` signed.
    pub fn new(bundles: Vec<Arc<DynamicCa>>) -> Arc<Self> {
        Arc::new(ClientCas { bundles, provider: provider() })
    }
}

impl ClientCertVerifier for ClientCas {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let mut last = rustls::Error::General("no client CA configured".into());
        for bundle in &self.bundles {
            match bundle.verifier().verify_client_cert(end_entity, intermediates, now) {
                Ok(verified) => return Ok(verified),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}
