//! The certificates a fresh server makes for itself on first start — a CA,
//! a serving certificate and an admin client certificate (CN=admin,
//! O=system:masters) — and the admin kubeconfig that uses them.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use base64::Engine;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// Paths of the generated files.
pub struct Pki {
    /// The CA certificate.
    pub ca_cert: PathBuf,
    /// The CA key: it signs approved CertificateSigningRequests.
    pub ca_key: PathBuf,
    /// The serving certificate.
    pub serving_cert: PathBuf,
    /// The serving key.
    pub serving_key: PathBuf,
    /// The admin client certificate.
    pub admin_cert: PathBuf,
    /// The admin client key.
    pub admin_key: PathBuf,
}

impl Pki {
    /// The files under `<data dir>/pki`.
    pub fn in_dir(data_dir: &Path) -> Self {
        let dir = data_dir.join("pki");
        Pki {
            ca_cert: dir.join("ca.crt"),
            ca_key: dir.join("ca.key"),
            serving_cert: dir.join("apiserver.crt"),
            serving_key: dir.join("apiserver.key"),
            admin_cert: dir.join("admin.crt"),
            admin_key: dir.join("admin.key"),
        }
    }

    /// Generates the files unless they exist. `sans` are the serving
    /// certificate's names and addresses.
    pub fn ensure(&self, sans: &[String]) -> Result<()> {
        if [&self.ca_cert, &self.ca_key, &self.serving_cert, &self.serving_key, &self.admin_cert, &self.admin_key]
            .iter()
            .all(|p| p.exists())
        {
            return Ok(());
        }
        let dir = self.ca_cert.parent().context("pki dir")?;
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, "ferrokube-ca");
        ca_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::CrlSign];
        ca_params.not_after = rcgen::date_time_ymd(2036, 1, 1);
        let ca_key = KeyPair::generate()?;
        let ca_key_pem = ca_key.serialize_pem();
        let ca = CertifiedIssuer::self_signed(ca_params, ca_key)?;

        let serving_key = KeyPair::generate()?;
        let mut serving = CertificateParams::new(sans.to_vec())?;
        serving.distinguished_name.push(DnType::CommonName, "kube-apiserver");
        serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        serving.not_after = rcgen::date_time_ymd(2036, 1, 1);
        let serving_cert = serving.signed_by(&serving_key, &ca)?;

        let admin_key = KeyPair::generate()?;
        let mut admin = CertificateParams::new(Vec::<String>::new())?;
        admin.distinguished_name.push(DnType::CommonName, "admin");
        admin.distinguished_name.push(DnType::OrganizationName, "system:masters");
        admin.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        admin.not_after = rcgen::date_time_ymd(2036, 1, 1);
        let admin_cert = admin.signed_by(&admin_key, &ca)?;

        write_private(&self.ca_key, &ca_key_pem)?;
        write_private(&self.serving_key, &serving_key.serialize_pem())?;
        write_private(&self.admin_key, &admin_key.serialize_pem())?;
        std::fs::write(&self.serving_cert, serving_cert.pem())?;
        std::fs::write(&self.admin_cert, admin_cert.pem())?;
        std::fs::write(&self.ca_cert, ca.pem())?;
        Ok(())
    }

    /// Writes the admin kubeconfig for `server` (an https URL).
    pub fn write_kubeconfig(&self, path: &Path, server: &str) -> Result<()> {
        let b64 =
            |p: &Path| -> Result<String> { Ok(base64::engine::general_purpose::STANDARD.encode(std::fs::read(p)?)) };
        let config = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "ferrokube", "cluster": {"server": server, "certificate-authority-data": b64(&self.ca_cert)?}}],
            "users": [{"name": "admin", "user": {"client-certificate-data": b64(&self.admin_cert)?, "client-key-data": b64(&self.admin_key)?}}],
            "contexts": [{"name": "ferrokube", "context": {"cluster": "ferrokube", "user": "admin"}}],
            "current-context": "ferrokube",
            "preferences": {},
        });
        write_private(path, &serde_yaml::to_string(&config)?)
    }
}

fn write_private(path: &Path, contents: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}

/// The service account signing key: the given PEM file, or one generated
/// under `<data dir>/pki/sa.key` on first start. Returns the PKCS#8 DER.
pub fn service_account_key(data_dir: &Path, given: Option<&Path>) -> Result<Vec<u8>> {
    use rustls_pki_types::PrivateKeyDer;
    use rustls_pki_types::pem::PemObject;
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => {
            let path = data_dir.join("pki").join("sa.key");
            if !path.exists() {
                let rng = ring::rand::SystemRandom::new();
                let pkcs8 = ring::signature::EcdsaKeyPair::generate_pkcs8(
                    &ring::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &rng,
                )
                .map_err(|_| anyhow::anyhow!("cannot generate the service account key"))?;
                let body = base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref());
                let lines: Vec<&str> =
                    body.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap_or_default()).collect();
                write_private(
                    &path,
                    &format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n")),
                )?;
            }
            path
        }
    };
    match PrivateKeyDer::from_pem_file(&path).with_context(|| format!("reading {}", path.display()))? {
        PrivateKeyDer::Pkcs8(key) => Ok(key.secret_pkcs8_der().to_vec()),
        _ => anyhow::bail!(
            "{}: the service account key must be a PKCS#8 (\"PRIVATE KEY\") ECDSA P-256 key",
            path.display()
        ),
    }
}
