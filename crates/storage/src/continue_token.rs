//! List continuation tokens in upstream's format: base64 of
//! `{"v":"meta.k8s.io/v1","rv":N,"start":"<key after the resource prefix>"}`.
//! The revision pins every page of one list to the same snapshot.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL_SAFE;
use serde::{Deserialize, Serialize};

use crate::{Result, StorageError};

#[derive(Serialize, Deserialize)]
struct Token {
    v: String,
    rv: i64,
    start: String,
}

const VERSION: &str = "meta.k8s.io/v1";

/// Encodes a token that continues at `next_key` (a full key under
/// `key_prefix`) at revision `rv`.
pub fn encode(key_prefix: &str, next_key: &str, rv: u64) -> String {
    let start = next_key.strip_prefix(key_prefix).unwrap_or(next_key).to_string();
    let token = Token { v: VERSION.to_string(), rv: rv as i64, start };
    URL_SAFE.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// Decodes a token into the full key to continue from and its revision.
pub fn decode(key_prefix: &str, token: &str) -> Result<(String, u64)> {
    let bad = |why: &str| StorageError::BadRequest(format!("continue key is not valid: {why}"));
    let raw =
        URL_SAFE.decode(token).map_err(|_| bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))?;
    let token: Token = serde_json::from_slice(&raw)
        .map_err(|_| bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)"))?;
    if token.v != VERSION {
        return Err(bad(&format!("server does not recognize this encoded key version {:?}", token.v)));
    }
    if token.rv <= 0 {
        return Err(bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)"));
    }
    if token.start.is_empty() || token.start.split('/').any(|p| p == "..") {
        return Err(bad("continue key is not valid: key cannot be empty or contain \"..\""));
    }
    Ok((format!("{key_prefix}{}", token.start), token.rv as u64))
}

/// The message of the 410 a client gets when its token's revision has been
/// compacted, worded as upstream words it.
pub const EXPIRED_MESSAGE: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let token = encode("/registry/pods/", "/registry/pods/default/web\u{0}", 17);
        assert_eq!(decode("/registry/pods/", &token).unwrap(), ("/registry/pods/default/web\u{0}".to_string(), 17));
        assert!(decode("/registry/pods/", "not-base64!").is_err());
        let escaping = URL_SAFE.encode(br#"{"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"}"#);
        assert!(decode("/registry/pods/", &escaping).is_err());
    }
}
