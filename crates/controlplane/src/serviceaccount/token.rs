//! Service account tokens: JWTs signed with the service account key (ES256,
//! ECDSA P-256), with upstream's claims, issued by TokenRequest and
//! accepted as bearer tokens.

use std::time::{SystemTime, UNIX_EPOCH};

use apiserver::authn::UserInfo;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::keys::VerificationKey;

/// What a token says about its service account.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Who may accept the token.
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
    /// Issued at.
    pub iat: u64,
    /// Not before.
    pub nbf: u64,
    /// The token's unique ID.
    pub jti: String,
    /// The issuer (--service-account-issuer).
    pub iss: String,
    /// `system:serviceaccount:<namespace>:<name>`.
    pub sub: String,
    /// The service account.
    #[serde(rename = "kubernetes.io")]
    pub kubernetes: KubernetesClaims,
}

/// The `kubernetes.io` claim.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KubernetesClaims {
    /// The service account's namespace.
    pub namespace: String,
    /// The service account.
    pub serviceaccount: Reference,
}

/// A reference by name and UID.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Reference {
    /// Its name.
    pub name: String,
    /// Its UID.
    pub uid: String,
}

/// Signs and verifies service account tokens.
pub struct TokenIssuer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// Further keys whose tokens are accepted (--service-account-key-file).
    verification_keys: Vec<VerificationKey>,
    /// The issuer, also the API's audience.
    pub issuer: String,
    key_id: String,
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

impl TokenIssuer {
    /// An issuer from a PKCS#8 ECDSA P-256 private key (DER).
    pub fn new(pkcs8: &[u8], issuer: &str) -> Result<Self, String> {
        let rng = SystemRandom::new();
        let key = EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng)
            .map_err(|e| format!("the service account key must be an ECDSA P-256 key in PKCS#8: {e}"))?;
        let digest = ring::digest::digest(&ring::digest::SHA256, key.public_key().as_ref());
        let key_id = URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]);
        Ok(TokenIssuer { key, rng, verification_keys: Vec::new(), issuer: issuer.to_string(), key_id })
    }

    /// Also accepts tokens signed by these keys.
    pub fn with_verification_keys(mut self, keys: Vec<VerificationKey>) -> Self {
        self.verification_keys = keys;
        self
    }

    /// A signed token for a service account, valid for `seconds`.
    pub fn issue(
        &self,
        namespace: &str,
        name: &str,
        uid: &str,
        audiences: Vec<String>,
        seconds: u64,
    ) -> Result<(String, u64), String> {
        let issued = now();
        let claims = Claims {
            aud: if audiences.is_empty() { vec![self.issuer.clone()] } else { audiences },
            exp: issued + seconds,
            iat: issued,
            nbf: issued,
            jti: uuid::Uuid::new_v4().to_string(),
            iss: self.issuer.clone(),
            sub: format!("system:serviceaccount:{namespace}:{name}"),
            kubernetes: KubernetesClaims {
                namespace: namespace.to_string(),
                serviceaccount: Reference { name: name.to_string(), uid: uid.to_string() },
            },
        };
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).map_err(|e| e.to_string())?)
        );
        let signature = self.key.sign(&self.rng, signing_input.as_bytes()).map_err(|_| "signing failed".to_string())?;
        Ok((format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_ref())), claims.exp))
    }

    /// The claims of a token this issuer signed, if it is valid now and
    /// meant for one of `audiences`.
    pub fn verify(&self, token: &str, audiences: &[String]) -> Option<Claims> {
        let (signing_input, signature) = token.rsplit_once('.')?;
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        let (header, payload) = signing_input.split_once('.')?;
        let header: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
        let alg = header["alg"].as_str()?;
        let own = VerificationKey::Es256(self.key.public_key().as_ref().to_vec());
        let signed = std::iter::once(&own)
            .chain(&self.verification_keys)
            .any(|key| key.verifies(alg, signing_input.as_bytes(), &signature));
        if !signed {
            return None;
        }
        let claims: Claims = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let time = now();
        let meant_for_us = claims.aud.iter().any(|a| audiences.contains(a));
        (claims.iss == self.issuer && claims.nbf <= time + 60 && time < claims.exp && meant_for_us).then_some(claims)
    }

    /// The user a valid token for the API authenticates as.
    pub fn authenticate(&self, token: &str) -> Option<UserInfo> {
        self.authenticate_for(token, std::slice::from_ref(&self.issuer))
    }

    /// The user a valid token for one of `audiences` authenticates as.
    pub fn authenticate_for(&self, token: &str, audiences: &[String]) -> Option<UserInfo> {
        let claims = self.verify(token, audiences)?;
        let namespace = claims.kubernetes.namespace.clone();
        let mut extra = std::collections::HashMap::new();
        extra.insert("authentication.kubernetes.io/credential-id".to_string(), vec![format!("JTI={}", claims.jti)]);
        Some(UserInfo {
            username: claims.sub,
            uid: claims.kubernetes.serviceaccount.uid,
            groups: vec![
                "system:serviceaccounts".into(),
                format!("system:serviceaccounts:{namespace}"),
                "system:authenticated".into(),
            ],
            extra,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> TokenIssuer {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        TokenIssuer::new(pkcs8.as_ref(), "https://kubernetes.default.svc").unwrap()
    }

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let issuer = issuer();
        let (token, _) = issuer.issue("default", "builder", "uid-1", vec![], 600).unwrap();
        let user = issuer.authenticate(&token).unwrap();
        assert_eq!(user.username, "system:serviceaccount:default:builder");
        assert!(user.groups.contains(&"system:serviceaccounts:default".to_string()));
        let mut tampered = token.clone();
        tampered.replace_range(token.len() - 5.., "AAAAA");
        assert!(issuer.authenticate(&tampered).is_none());
        let (other_audience, _) = issuer.issue("default", "builder", "uid-1", vec!["vault".into()], 600).unwrap();
        assert!(issuer.authenticate(&other_audience).is_none(), "a token for another audience is not for the API");
        assert!(issuer.authenticate("not.a.jwt").is_none());
    }
}
