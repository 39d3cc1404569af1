//! Upstream's csrsigning controller: an approved CertificateSigningRequest
//! for one of the kubernetes.io signers gets a certificate signed by the
//! cluster CA (valid for a year, or for spec.expirationSeconds when
//! shorter); a request the signer refuses gets a Failed condition.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use apiserver::registry::{Store, Subresource};
use base64::Engine;
use rcgen::{ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::{Value, json};
use storage::EventType;

use super::{controller_context, watch_store};
use crate::strategies::request_pem;

const NAME: &str = "certificate-controller";

/// The signers this controller signs for.
const SIGNERS: [&str; 4] = [
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/kubelet-serving",
    "kubernetes.io/legacy-unknown",
];

/// The longest certificate it signs (--cluster-signing-duration).
const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);

/// Signs approved requests with the cluster CA.
pub struct CsrSigningController {
    /// The CertificateSigningRequests.
    pub requests: Arc<Store>,
    /// The CA certificate (PEM).
    pub ca_pem: String,
    /// The CA key (PEM).
    pub ca_key_pem: String,
}

fn has_condition(csr: &Value, kind: &str) -> bool {
    csr["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["type"] == kind)
}

/// Why the signer refuses the usages, as upstream's signers word it.
fn refused_usages(signer: &str, usages: &[&str]) -> Option<String> {
    let allowed: &[&str] = match signer {
        "kubernetes.io/kube-apiserver-client" | "kubernetes.io/kube-apiserver-client-kubelet" => {
            &["client auth", "digital signature", "key encipherment"]
        }
        "kubernetes.io/kubelet-serving" => &["server auth", "digital signature", "key encipherment"],
        _ => return None,
    };
    let required = if signer == "kubernetes.io/kubelet-serving" { "server auth" } else { "client auth" };
    let bad: Vec<&str> = usages.iter().filter(|u| !allowed.contains(u)).copied().collect();
    if !bad.is_empty() || !usages.contains(&required) {
        return Some(format!("invalid usage for {signer} certificate: {}", usages.join(", ")));
    }
    None
}

impl CsrSigningController {
    /// Starts the controller.
    pub fn start(self: Arc<Self>) {
        let me = self.clone();
        watch_store(self.requests.clone(), NAME, move |kind, csr| {
            let me = me.clone();
            async move {
                if kind != EventType::Deleted {
                    me.sync(csr).await;
                }
            }
        });
    }

    async fn sync(&self, csr: Value) {
        let signer = csr["spec"]["signerName"].as_str().unwrap_or_default().to_string();
        let issued = csr["status"]["certificate"].as_str().is_some_and(|c| !c.is_empty());
        if issued
            || !SIGNERS.contains(&signer.as_str())
            || !has_condition(&csr, "Approved")
            || has_condition(&csr, "Denied")
            || has_condition(&csr, "Failed")
        {
            return;
        }
        let usages: Vec<&str> =
            csr["spec"]["usages"].as_array().into_iter().flatten().filter_map(|u| u.as_str()).collect();
        let outcome = match refused_usages(&signer, &usages) {
            Some(reason) => Err(reason),
            None => self.sign(&csr, &usages),
        };
        let now = apimachinery::now_rfc3339();
        let set = Arc::new(move |current: &Value| {
            let mut updated = current.clone();
            match &outcome {
                Ok(certificate) => updated["status"]["certificate"] = json!(certificate),
                Err(message) => {
                    let mut conditions = current["status"]["conditions"].as_array().cloned().unwrap_or_default();
                    conditions.push(json!({
                        "type": "Failed", "status": "True", "reason": "SignerValidationFailure",
                        "message": message, "lastUpdateTime": now, "lastTransitionTime": now,
                    }));
                    updated["status"]["conditions"] = json!(conditions);
                }
            }
            Ok(updated)
        });
        let name = csr["metadata"]["name"].as_str().unwrap_or_default().to_string();
        if let Err(e) = self.requests.update(&controller_context(NAME, ""), &name, set, Subresource::Status).await {
            tracing::warn!(csr = %name, error = %e.message, "signing failed");
        }
    }

    /// The signed certificate, base64 of its PEM as status.certificate
    /// holds it.
    fn sign(&self, csr: &Value, usages: &[&str]) -> Result<String, String> {
        let pem = request_pem(csr).ok_or("the request is not PEM")?;
        let mut request = rcgen::CertificateSigningRequestParams::from_pem(&pem).map_err(|e| e.to_string())?;
        let lifetime = csr["spec"]["expirationSeconds"]
            .as_u64()
            .map(Duration::from_secs)
            .map_or(MAX_DURATION, |d| d.min(MAX_DURATION));
        let now = SystemTime::now();
        request.params.not_before = (now - Duration::from_secs(300)).into();
        request.params.not_after = (now + lifetime).into();
        request.params.is_ca = rcgen::IsCa::NoCa;
        request.params.key_usages = usages
            .iter()
            .filter_map(|u| match *u {
                "digital signature" => Some(KeyUsagePurpose::DigitalSignature),
                "key encipherment" => Some(KeyUsagePurpose::KeyEncipherment),
                _ => None,
            })
            .collect();
        request.params.extended_key_usages = usages
            .iter()
            .filter_map(|u| match *u {
                "client auth" => Some(ExtendedKeyUsagePurpose::ClientAuth),
                "server auth" => Some(ExtendedKeyUsagePurpose::ServerAuth),
                _ => None,
            })
            .collect();
        let key = KeyPair::from_pem(&self.ca_key_pem).map_err(|e| e.to_string())?;
        let issuer = Issuer::from_ca_cert_pem(&self.ca_pem, key).map_err(|e| e.to_string())?;
        let certificate = request.signed_by(&issuer).map_err(|e| e.to_string())?;
        Ok(base64::engine::general_purpose::STANDARD.encode(certificate.pem()))
    }
}
