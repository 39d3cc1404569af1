//! Authentication: who is making a request. Client certificates (verified
//! by the TLS layer against the client CA; CN is the user, O the groups) and
//! bearer tokens from a `--token-auth-file` (upstream's CSV format).

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

/// The authenticated user (upstream's user.Info).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserInfo {
    /// The user name.
    pub username: String,
    /// A unique ID, if the authenticator knows one.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// Groups, including `system:authenticated`.
    pub groups: Vec<String>,
    /// Extra attributes.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub extra: HashMap<String, Vec<String>>,
}

impl UserInfo {
    /// The anonymous user, allowed only on health and version paths.
    pub fn anonymous() -> Self {
        UserInfo {
            username: "system:anonymous".into(),
            groups: vec!["system:unauthenticated".into()],
            ..Default::default()
        }
    }

    /// True for the anonymous user.
    pub fn is_anonymous(&self) -> bool {
        self.username == "system:anonymous"
    }

    fn authenticated(mut self) -> Self {
        if !self.groups.iter().any(|g| g == "system:authenticated") {
            self.groups.push("system:authenticated".into());
        }
        self
    }
}

/// The leaf certificate a client presented, verified by the TLS layer.
#[derive(Debug, Clone)]
pub struct PeerCertificate(pub Vec<u8>);

/// The user a verified client certificate names.
pub fn user_from_certificate(der: &[u8]) -> Option<UserInfo> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let subject = cert.subject();
    let username = subject.iter_common_name().next()?.as_str().ok()?.to_string();
    let groups = subject.iter_organization().filter_map(|o| o.as_str().ok().map(str::to_string)).collect();
    Some(UserInfo { username, groups, ..Default::default() }.authenticated())
}

/// Upstream's requestheader authenticator: a front proxy (an aggregator)
/// whose client certificate the requestheader CA signed, and whose common
/// name is allowed, names the user it serves in request headers.
pub struct RequestHeader {
    /// --requestheader-client-ca-file.
    pub ca: std::sync::Arc<crate::dynamic_ca::DynamicCa>,
    /// --requestheader-allowed-names (empty: any name).
    pub allowed_names: Vec<String>,
    /// --requestheader-username-headers.
    pub username_headers: Vec<String>,
    /// --requestheader-uid-headers.
    pub uid_headers: Vec<String>,
    /// --requestheader-group-headers.
    pub group_headers: Vec<String>,
    /// --requestheader-extra-headers-prefix.
    pub extra_prefixes: Vec<String>,
}

/// `%XX` escapes decoded, as Go's url.PathUnescape does (a malformed
/// escape leaves the text as it was).
fn path_unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (b'%', _, _) => return text.to_string(),
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

impl RequestHeader {
    /// Whether the certificate is a front proxy's (the requestheader CA
    /// signed it).
    pub fn is_front_proxy(&self, leaf: &[u8]) -> bool {
        self.ca.verifies(leaf)
    }

    /// The user a front proxy's request names; `None` when it names none;
    /// an error when the proxy's name is not allowed.
    pub fn authenticate(&self, leaf: &[u8], headers: &http::HeaderMap) -> Result<Option<UserInfo>, String> {
        if !self.allowed_names.is_empty() {
            let name = x509_parser::parse_x509_certificate(leaf)
                .ok()
                .and_then(|(_, cert)| cert.subject().iter_common_name().next()?.as_str().ok().map(str::to_string))
                .unwrap_or_default();
            if !self.allowed_names.contains(&name) {
                return Err(format!("x509: subject with cn={name} is not in the allowed list"));
            }
        }
        let first = |names: &[String]| {
            names
                .iter()
                .find_map(|n| headers.get(n.as_str())?.to_str().ok().filter(|v| !v.is_empty()).map(str::to_string))
        };
        let Some(username) = first(&self.username_headers) else { return Ok(None) };
        let uid = first(&self.uid_headers).unwrap_or_default();
        let groups = self
            .group_headers
            .iter()
            .flat_map(|n| headers.get_all(n.as_str()).iter())
            .filter_map(|v| v.to_str().ok().filter(|v| !v.is_empty()).map(str::to_string))
            .collect();
        let mut extra: HashMap<String, Vec<String>> = HashMap::new();
        for (name, value) in headers {
            let lower = name.as_str().to_ascii_lowercase();
            let Some(key) = self.extra_prefixes.iter().find_map(|p| lower.strip_prefix(&p.to_ascii_lowercase())) else {
                continue;
            };
            if let Ok(value) = value.to_str() {
                extra.entry(path_unescape(key)).or_default().push(value.to_string());
            }
        }
        Ok(Some(UserInfo { username, uid, groups, extra }))
    }
}

/// Users by bearer token, read from a token file: `token,user,uid,"g1,g2"`.
#[derive(Debug, Clone, Default)]
pub struct TokenFile {
    users: HashMap<String, UserInfo>,
}

impl TokenFile {
    /// Reads the file; a malformed line is an error naming it.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the CSV text.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut users = HashMap::new();
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields = split_csv(line);
            if fields.len() < 3 {
                return Err(format!("line {}: expected token,user,uid[,\"groups\"]", number + 1));
            }
            let groups = fields
                .get(3)
                .map(|g| g.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            let user = UserInfo { username: fields[1].clone(), uid: fields[2].clone(), groups, ..Default::default() };
            users.insert(fields[0].clone(), user.authenticated());
        }
        Ok(TokenFile { users })
    }

    /// The user a token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<UserInfo> {
        self.users.get(token).cloned()
    }
}

fn split_csv(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    fields.push(current);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_front_proxy_names_the_user_in_headers() {
        let ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca = ca;
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let mut proxy = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        proxy.distinguished_name.push(rcgen::DnType::CommonName, "front-proxy-client");
        let proxy_key = rcgen::KeyPair::generate().unwrap();
        let issuer = rcgen::Issuer::new(ca, ca_key);
        let proxy_cert = proxy.signed_by(&proxy_key, &issuer).unwrap();
        let request_header = RequestHeader {
            ca: crate::dynamic_ca::DynamicCa::fixed(ca_cert.pem().into_bytes()).unwrap(),
            allowed_names: vec!["front-proxy-client".into()],
            username_headers: vec!["X-Remote-User".into()],
            uid_headers: vec![],
            group_headers: vec!["X-Remote-Group".into()],
            extra_prefixes: vec!["X-Remote-Extra-".into()],
        };
        let mut headers = http::HeaderMap::new();
        headers.insert("x-remote-user", "alice".parse().unwrap());
        headers.append("x-remote-group", "dev".parse().unwrap());
        headers.append("x-remote-group", "system:authenticated".parse().unwrap());
        headers.insert("x-remote-extra-scopes.example.com%2Fa", "read".parse().unwrap());
        assert!(request_header.is_front_proxy(proxy_cert.der()));
        let user = request_header.authenticate(proxy_cert.der(), &headers).unwrap().unwrap();
        assert_eq!(user.username, "alice");
        assert_eq!(user.groups, ["dev", "system:authenticated"]);
        assert_eq!(user.extra["scopes.example.com/a"], ["read"]);
        let strict = RequestHeader { allowed_names: vec!["aggregator".into()], ..request_header };
        assert_eq!(
            strict.authenticate(proxy_cert.der(), &headers).unwrap_err(),
            "x509: subject with cn=front-proxy-client is not in the allowed list"
        );
    }

    #[test]
    fn token_file_lines_become_users() {
        let file = TokenFile::parse("secret,alice,1001,\"dev,ops\"\n# comment\nother,bob,1002\n").unwrap();
        let alice = file.authenticate("secret").unwrap();
        assert_eq!(alice.username, "alice");
        assert_eq!(alice.groups, ["dev", "ops", "system:authenticated"]);
        assert_eq!(file.authenticate("other").unwrap().uid, "1002");
        assert!(file.authenticate("nope").is_none());
    }
}
