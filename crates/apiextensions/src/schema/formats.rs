//! The string formats upstream's validator checks (kube-openapi's strfmt
//! registry, as far as CRDs use it) and the patterns it compiles.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// A schema's `pattern`, compiled once.
pub fn regex(pattern: &str) -> Result<Arc<regex::Regex>, regex::Error> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<regex::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    if let Some(found) = cache.lock().unwrap_or_else(|p| p.into_inner()).get(pattern) {
        return Ok(found.clone());
    }
    let compiled = Arc::new(regex::Regex::new(pattern)?);
    cache.lock().unwrap_or_else(|p| p.into_inner()).insert(pattern.to_string(), compiled.clone());
    Ok(compiled)
}

fn matches(pattern: &str, text: &str) -> bool {
    regex(pattern).is_ok_and(|r| r.is_match(text))
}

/// Whether `text` is a valid `format`; formats upstream does not check are
/// always valid.
pub fn conforms(format: &str, text: &str) -> bool {
    match format {
        "date-time" | "datetime" => rfc3339(text),
        "date" => matches(r"^\d{4}-\d{2}-\d{2}$", text),
        "byte" => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.decode(text).is_ok()
        }
        "uuid" => matches(r"(?i)^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", text),
        "ipv4" => text.parse::<std::net::Ipv4Addr>().is_ok(),
        "ipv6" => text.parse::<std::net::Ipv6Addr>().is_ok(),
        "cidr" => text.split_once('/').is_some_and(|(ip, bits)| {
            let bits: Option<u8> = bits.parse().ok();
            match ip.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(_)) => bits.is_some_and(|b| b <= 32),
                Ok(std::net::IpAddr::V6(_)) => bits.is_some_and(|b| b <= 128),
                Err(_) => false,
            }
        }),
        "mac" => matches(r"(?i)^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$", text),
        "hostname" => {
            text.len() <= 253
                && text.split('.').all(|label| {
                    !label.is_empty()
                        && label.len() <= 63
                        && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                        && !label.starts_with('-')
                        && !label.ends_with('-')
                })
        }
        "duration" => duration(text),
        _ => true,
    }
}

fn rfc3339(text: &str) -> bool {
    matches(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", text)
}

/// Go's time.ParseDuration syntax (`1h30m`, `250ms`), or upstream's
/// alternative unit words.
fn duration(text: &str) -> bool {
    matches(r"^[-+]?(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$", text)
}

#[cfg(test)]
mod tests {
    use super::conforms;

    #[test]
    fn checks_the_common_formats() {
        assert!(conforms("date-time", "2026-12-03T10:00:00Z"));
        assert!(!conforms("date-time", "yesterday"));
        assert!(conforms("ipv4", "10.0.0.1") && !conforms("ipv4", "10.0.0"));
        assert!(conforms("cidr", "10.0.0.0/8") && !conforms("cidr", "10.0.0.0/33"));
        assert!(conforms("duration", "1h30m") && !conforms("duration", "soon"));
        assert!(conforms("uuid", "550e8400-e29b-41d4-a716-446655440000"));
        assert!(conforms("custom-format", "anything"));
    }
}
