//! The command line, with kube-apiserver's flag names where one exists.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// ferrokube: a Kubernetes API server.
#[derive(Debug, Clone, Parser)]
#[command(name = "ferrokube", version, about)]
pub struct Options {
    /// Where the embedded store, certificates and kubeconfig live.
    #[arg(long, default_value = "./ferrokube-data")]
    pub data_dir: PathBuf,
    /// The address to serve HTTPS on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind_address: String,
    /// The HTTPS port.
    #[arg(long, default_value_t = 6443)]
    pub secure_port: u16,
    /// etcd endpoints (comma separated); without them the embedded store is used.
    #[arg(long, value_delimiter = ',')]
    pub etcd_servers: Vec<String>,
    /// The key prefix in the store.
    #[arg(long, default_value = "/registry")]
    pub etcd_prefix: String,
    /// CA bundle for etcd's server certificates.
    #[arg(long)]
    pub etcd_cafile: Option<PathBuf>,
    /// Client certificate for etcd.
    #[arg(long)]
    pub etcd_certfile: Option<PathBuf>,
    /// Client key for etcd.
    #[arg(long)]
    pub etcd_keyfile: Option<PathBuf>,
    /// Serving certificate (PEM); generated in the data dir when absent.
    #[arg(long)]
    pub tls_cert_file: Option<PathBuf>,
    /// Serving key (PEM).
    #[arg(long)]
    pub tls_private_key_file: Option<PathBuf>,
    /// CA that signs client certificates (in addition to the generated CA).
    #[arg(long)]
    pub client_ca_file: Option<PathBuf>,
    /// Client certificate the aggregator presents to extension API servers.
    #[arg(long)]
    pub proxy_client_cert_file: Option<PathBuf>,
    /// Its key.
    #[arg(long)]
    pub proxy_client_key_file: Option<PathBuf>,
    /// CA of the front proxies (an aggregator) whose client certificates may
    /// name the user in request headers.
    #[arg(long)]
    pub requestheader_client_ca_file: Option<PathBuf>,
    /// Common names of the front proxies' certificates; empty allows any
    /// certificate of the requestheader CA.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_allowed_names: Vec<String>,
    /// Headers that carry the user name (X-Remote-User when unset).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_username_headers: Vec<String>,
    /// Headers that carry the user's uid.
    #[arg(long, value_delimiter = ',')]
    pub requestheader_uid_headers: Vec<String>,
    /// Headers that carry the user's groups (X-Remote-Group when unset).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_group_headers: Vec<String>,
    /// Prefixes of headers that carry the user's extra attributes
    /// (X-Remote-Extra- when unset).
    #[arg(long, value_delimiter = ',')]
    pub requestheader_extra_headers_prefix: Vec<String>,
    /// Static bearer tokens, upstream's CSV format: token,user,uid,"group1,group2".
    #[arg(long)]
    pub token_auth_file: Option<PathBuf>,
    /// PKCS#8 ECDSA P-256 private key (PEM) that signs service account
    /// tokens; generated in the data dir when absent.
    #[arg(long)]
    pub service_account_signing_key_file: Option<PathBuf>,
    /// PEM files of further RSA or ECDSA keys (public, or private whose
    /// public half is used) that verify service account tokens, e.g. the
    /// previous signing key during a rotation; may be repeated.
    #[arg(long)]
    pub service_account_key_file: Vec<PathBuf>,
    /// The issuer of service account tokens (their `iss` claim and the API's
    /// audience).
    #[arg(long, default_value = "https://kubernetes.default.svc.cluster.local")]
    pub service_account_issuer: String,
    /// The range cluster IPs of Services are allocated from.
    #[arg(long, default_value = "10.0.0.0/24")]
    pub service_cluster_ip_range: String,
    /// The range node ports of Services are allocated from.
    #[arg(long, default_value = "30000-32767")]
    pub service_node_port_range: String,
    /// How long events are kept.
    #[arg(long, default_value = "1h", value_parser = parse_duration)]
    pub event_ttl: Duration,
    /// Most non-mutating requests in flight (0 = no limit).
    #[arg(long, default_value_t = 400)]
    pub max_requests_inflight: usize,
    /// Most mutating requests in flight (0 = no limit).
    #[arg(long, default_value_t = 200)]
    pub max_mutating_requests_inflight: usize,
    /// Deadline of non-long-running requests.
    #[arg(long, default_value = "1m0s", value_parser = parse_duration)]
    pub request_timeout: Duration,
    /// How often the store is compacted (upstream: 5m).
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub etcd_compaction_interval: Duration,
    /// In-process controllers to run: `*` for all, `name` to enable, `-name`
    /// to disable (namespace, garbage-collector, disruption, serviceaccount,
    /// root-ca-cert-publisher, clusterrole-aggregation, csrsigning,
    /// endpointslicemirroring).
    #[arg(long, value_delimiter = ',', default_value = "*")]
    pub controllers: Vec<String>,
    /// Log verbosity (as upstream's -v): 0 info, 4+ one line per request.
    #[arg(short = 'v', long = "v", default_value_t = 0)]
    pub verbosity: u8,
}

/// Parses Go-style durations: `1h`, `5m`, `1m0s`, `30s`, `500ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let mut total = Duration::ZERO;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let mut unit = c.to_string();
        if c == 'm' && chars.peek() == Some(&'s') {
            unit.push(chars.next().unwrap_or('s'));
        }
        let value: f64 = number.parse().map_err(|_| format!("invalid duration {text:?}"))?;
        number.clear();
        let seconds = match unit.as_str() {
            "h" => value * 3600.0,
            "m" => value * 60.0,
            "s" => value,
            "ms" => value / 1000.0,
            _ => return Err(format!("invalid duration {text:?}: unknown unit {unit:?}")),
        };
        total += Duration::from_secs_f64(seconds);
    }
    if !number.is_empty() {
        return Err(format!("invalid duration {text:?}: missing unit"));
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_parse() {
        assert_eq!(parse_duration("1m0s").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert!(parse_duration("5").is_err());
    }
}
