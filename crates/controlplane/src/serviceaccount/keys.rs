//! The keys that verify service account tokens (--service-account-key-file):
//! PEM files holding public keys ("PUBLIC KEY", "RSA PUBLIC KEY") or private
//! keys whose public half is used ("PRIVATE KEY", "RSA PRIVATE KEY"), RSA or
//! ECDSA P-256, so tokens signed by a previous or another signing key keep
//! authenticating.

use base64::Engine;
use ring::signature::{self, KeyPair};
use x509_parser::prelude::FromDer;

/// A public key that verifies token signatures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerificationKey {
    /// An ECDSA P-256 public key (uncompressed point), for ES256 tokens.
    Es256(Vec<u8>),
    /// An RSA public key (PKCS#1 DER), for RS256 tokens.
    Rs256(Vec<u8>),
}

impl VerificationKey {
    /// Whether this key signed `message` with `signature` under the JWT
    /// algorithm `alg`.
    pub fn verifies(&self, alg: &str, message: &[u8], signature_bytes: &[u8]) -> bool {
        let (algorithm, key): (&dyn signature::VerificationAlgorithm, &[u8]) = match (self, alg) {
            (VerificationKey::Es256(key), "ES256") => (&signature::ECDSA_P256_SHA256_FIXED, key),
            (VerificationKey::Rs256(key), "RS256") => (&signature::RSA_PKCS1_2048_8192_SHA256, key),
            _ => return false,
        };
        signature::UnparsedPublicKey::new(algorithm, key).verify(message, signature_bytes).is_ok()
    }
}

/// The PEM blocks of a file: (label, DER).
fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----").ok_or("a PEM header is not closed")?;
        let label = after[..label_end].to_string();
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let body_end = body_start.find(&end_marker).ok_or_else(|| format!("no END line for {label}"))?;
        let body: String = body_start[..body_end].chars().filter(|c| !c.is_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(body).map_err(|e| format!("{label}: {e}"))?;
        blocks.push((label, der));
        rest = &body_start[body_end + end_marker.len()..];
    }
    Ok(blocks)
}

fn from_spki(der: &[u8]) -> Result<VerificationKey, String> {
    let (_, spki) = x509_parser::x509::SubjectPublicKeyInfo::from_der(der).map_err(|e| e.to_string())?;
    let key = spki.subject_public_key.data.to_vec();
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" => Ok(VerificationKey::Rs256(key)),
        "1.2.840.10045.2.1" => Ok(VerificationKey::Es256(key)),
        other => Err(format!("unsupported public key algorithm {other}")),
    }
}

fn from_pkcs8(der: &[u8]) -> Result<VerificationKey, String> {
    let rng = ring::rand::SystemRandom::new();
    if let Ok(key) = signature::EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der, &rng) {
        return Ok(VerificationKey::Es256(key.public_key().as_ref().to_vec()));
    }
    signature::RsaKeyPair::from_pkcs8(der)
        .map(|key| VerificationKey::Rs256(key.public_key().as_ref().to_vec()))
        .map_err(|e| format!("neither an ECDSA P-256 nor an RSA key: {e}"))
}

/// Every verification key in a PEM file.
pub fn parse(text: &str) -> Result<Vec<VerificationKey>, String> {
    let mut keys = Vec::new();
    for (label, der) in pem_blocks(text)? {
        let key = match label.as_str() {
            "PUBLIC KEY" => from_spki(&der)?,
            "RSA PUBLIC KEY" => VerificationKey::Rs256(der),
            "PRIVATE KEY" => from_pkcs8(&der)?,
            "RSA PRIVATE KEY" => signature::RsaKeyPair::from_der(&der)
                .map(|key| VerificationKey::Rs256(key.public_key().as_ref().to_vec()))
                .map_err(|e| format!("RSA PRIVATE KEY: {e}"))?,
            "CERTIFICATE" => {
                let (_, certificate) = x509_parser::parse_x509_certificate(&der).map_err(|e| e.to_string())?;
                from_spki(certificate.public_key().raw)?
            }
            other => return Err(format!("unsupported PEM block {other:?} (use PUBLIC KEY or PKCS#8 PRIVATE KEY)")),
        };
        keys.push(key);
    }
    if keys.is_empty() {
        return Err("no PEM-encoded keys found".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_and_private_halves_give_the_same_key() {
        let key = rcgen::KeyPair::generate().unwrap();
        let from_private = parse(&key.serialize_pem()).unwrap();
        let from_public = parse(&key.public_key_pem()).unwrap();
        assert_eq!(from_private, from_public);
        assert!(matches!(from_public[0], VerificationKey::Es256(_)));
        assert!(parse("no keys here").is_err());
    }
}
