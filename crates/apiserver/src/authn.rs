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
    fn token_file_lines_become_users() {
        let file = TokenFile::parse("secret,alice,1001,\"dev,ops\"\n# comment\nother,bob,1002\n").unwrap();
        let alice = file.authenticate("secret").unwrap();
        assert_eq!(alice.username, "alice");
        assert_eq!(alice.groups, ["dev", "ops", "system:authenticated"]);
        assert_eq!(file.authenticate("other").unwrap().uid, "1002");
        assert!(file.authenticate("nope").is_none());
    }
}
