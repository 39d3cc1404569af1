//! Duplicate member names in a JSON document, which a JSON decoder silently
//! collapses but upstream's strict decoding reports (`duplicate field
//! "data.a"`).

/// The paths of members that appear more than once in their object, e.g.
/// `metadata.name` or `spec.containers[0].image`. Malformed input yields
/// what was found before the error (the decoder reports the error itself).
pub fn duplicate_fields(json: &[u8]) -> Vec<String> {
    let mut scanner = Scanner { json, pos: 0, found: Vec::new() };
    scanner.skip_ws();
    let _ = scanner.value("");
    scanner.found
}

struct Scanner<'a> {
    json: &'a [u8],
    pos: usize,
    found: Vec<String>,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.json.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Option<String> {
        let start = self.pos + 1;
        self.pos += 1;
        while let Some(c) = self.peek() {
            match c {
                b'\\' => self.pos += 2,
                b'"' => {
                    let raw = &self.json[start..self.pos];
                    self.pos += 1;
                    return serde_json::from_slice::<String>(&self.json[start - 1..self.pos])
                        .ok()
                        .or_else(|| Some(String::from_utf8_lossy(raw).into_owned()));
                }
                _ => self.pos += 1,
            }
        }
        None
    }

    fn value(&mut self, path: &str) -> Option<()> {
        match self.peek()? {
            b'{' => {
                self.pos += 1;
                let mut seen: Vec<String> = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        b'}' => {
                            self.pos += 1;
                            return Some(());
                        }
                        b',' => self.pos += 1,
                        b'"' => {
                            let key = self.string()?;
                            let child = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
                            if seen.contains(&key) {
                                self.found.push(child.clone());
                            } else {
                                seen.push(key);
                            }
                            self.skip_ws();
                            if self.peek()? != b':' {
                                return None;
                            }
                            self.pos += 1;
                            self.skip_ws();
                            self.value(&child)?;
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.pos += 1;
                let mut index = 0;
                loop {
                    self.skip_ws();
                    match self.peek()? {
                        b']' => {
                            self.pos += 1;
                            return Some(());
                        }
                        b',' => self.pos += 1,
                        _ => {
                            self.value(&format!("{path}[{index}]"))?;
                            index += 1;
                        }
                    }
                }
            }
            b'"' => self.string().map(|_| ()),
            _ => {
                while self.peek().is_some_and(|c| !matches!(c, b',' | b'}' | b']') && !c.is_ascii_whitespace()) {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::duplicate_fields;

    #[test]
    fn finds_repeated_members_with_their_paths() {
        let json = br#"{"metadata":{"name":"a","name":"b"},"data":{"x":"1"},"list":[{"k":1,"k":2}],"data":{}}"#;
        assert_eq!(duplicate_fields(json), ["metadata.name", "list[0].k", "data"]);
        assert!(duplicate_fields(br#"{"a":"\"quoted\"","b":[1,2,{"c":null}]}"#).is_empty());
    }
}
