//! Field selectors in upstream's string syntax: `f=v`, `f==v` and `f!=v`
//! clauses joined by commas, with `\` escaping `,`, `=`, `!` and `\` in values.

use crate::SelectorParseError;

/// One clause of a field selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRequirement {
    /// The field path, such as `metadata.name` or `spec.nodeName`.
    pub field: String,
    /// The value compared against.
    pub value: String,
    /// True for `!=`, false for `=` and `==`.
    pub negated: bool,
}

/// Anything that can answer "what is the value of field `path`?".
pub trait FieldSource {
    /// The field's value; a field the kind does not expose is `None`.
    fn field(&self, path: &str) -> Option<&str>;
}

/// A parsed field selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    /// The clauses, all of which must hold.
    pub requirements: Vec<FieldRequirement>,
}

impl FieldSelector {
    /// Parses upstream's selector syntax, as sent in `?fieldSelector=`.
    pub fn parse(input: &str) -> Result<Self, SelectorParseError> {
        let mut requirements = Vec::new();
        for clause in split_unescaped(input, ',') {
            if clause.trim().is_empty() {
                continue;
            }
            requirements.push(parse_clause(&clause)?);
        }
        Ok(Self { requirements })
    }

    /// True when the selector has no clauses.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// True when every clause holds. A field the source does not know compares
    /// as the empty string, as upstream's field sets do.
    pub fn matches(&self, fields: &dyn FieldSource) -> bool {
        self.requirements.iter().all(|r| {
            let value = fields.field(&r.field).unwrap_or("");
            (value == r.value) != r.negated
        })
    }

    /// The value this selector pins `field` to with an equality, if it does.
    pub fn required_value(&self, field: &str) -> Option<&str> {
        self.requirements.iter().find(|r| r.field == field && !r.negated).map(|r| r.value.as_str())
    }

    /// Every field path the selector mentions; lets the REST layer refuse
    /// fields a kind does not support before anything is read.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.requirements.iter().map(|r| r.field.as_str())
    }
}

fn parse_clause(clause: &str) -> Result<FieldRequirement, SelectorParseError> {
    let bytes = clause.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'!' if bytes.get(i + 1) == Some(&b'=') => return requirement(clause, i, i + 2, true),
            b'=' if bytes.get(i + 1) == Some(&b'=') => return requirement(clause, i, i + 2, false),
            b'=' => return requirement(clause, i, i + 1, false),
            _ => i += 1,
        }
    }
    Err(SelectorParseError(format!("invalid selector: '{clause}'; can't understand '{clause}'")))
}

fn requirement(
    clause: &str,
    op_start: usize,
    value_start: usize,
    negated: bool,
) -> Result<FieldRequirement, SelectorParseError> {
    let field = clause[..op_start].trim().to_string();
    if field.is_empty() {
        return Err(SelectorParseError(format!("invalid selector: '{clause}'; field name is empty")));
    }
    Ok(FieldRequirement { field, value: unescape(clause[value_start..].trim()), negated })
}

fn split_unescaped(input: &str, sep: char) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        let current = parts.last_mut().expect("parts is never empty");
        if c == '\\' {
            current.push(c);
            if let Some(next) = chars.next() {
                current.push(next);
            }
        } else if c == sep {
            parts.push(String::new());
        } else {
            current.push(c);
        }
    }
    parts
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Fields(BTreeMap<&'static str, &'static str>);
    impl FieldSource for Fields {
        fn field(&self, path: &str) -> Option<&str> {
            self.0.get(path).copied()
        }
    }

    #[test]
    fn equality_and_inequality_clauses() {
        let sel = FieldSelector::parse("metadata.name=web,status.phase!=Failed").unwrap();
        let pod = Fields([("metadata.name", "web"), ("status.phase", "Running")].into());
        assert!(sel.matches(&pod));
        let failed = Fields([("metadata.name", "web"), ("status.phase", "Failed")].into());
        assert!(!sel.matches(&failed));
        assert_eq!(sel.required_value("metadata.name"), Some("web"));
    }

    #[test]
    fn empty_value_matches_unset_field_and_escapes_are_honoured() {
        let sel = FieldSelector::parse("spec.nodeName=").unwrap();
        assert!(sel.matches(&Fields(BTreeMap::new())));
        let sel = FieldSelector::parse(r"metadata.name==a\,b").unwrap();
        assert_eq!(sel.requirements[0].value, "a,b");
        assert!(FieldSelector::parse("justaname").is_err());
    }
}
