//! Label selectors in upstream's string syntax: equality (`a=b`, `a==b`,
//! `a!=b`), existence (`a`, `!a`), sets (`a in (x,y)`, `a notin (x)`) and
//! integer comparisons (`a>3`, `a<3`), joined by commas (logical AND).

use crate::SelectorParseError;

/// How one requirement compares a label's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// The label is present with one of the values.
    In(Vec<String>),
    /// The label is absent, or present with none of the values.
    NotIn(Vec<String>),
    /// The label is present, whatever its value.
    Exists,
    /// The label is absent.
    DoesNotExist,
    /// The label's value parses as an integer greater than this one.
    GreaterThan(i64),
    /// The label's value parses as an integer less than this one.
    LessThan(i64),
}

/// One clause of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The label key the clause tests.
    pub key: String,
    /// What the clause demands of that key.
    pub operator: Operator,
}

impl Requirement {
    fn matches(&self, labels: &dyn LabelSource) -> bool {
        let value = labels.label(&self.key);
        match &self.operator {
            Operator::In(values) => value.is_some_and(|v| values.iter().any(|x| x == v)),
            Operator::NotIn(values) => value.is_none_or(|v| values.iter().all(|x| x != v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::GreaterThan(n) => value.and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v > *n),
            Operator::LessThan(n) => value.and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v < *n),
        }
    }
}

/// Anything that can answer "what is the value of label `key`?". The watch
/// cache implements it on the labels it extracted once per object version.
pub trait LabelSource {
    /// The label's value, if the label is set.
    fn label(&self, key: &str) -> Option<&str>;
}

impl LabelSource for std::collections::BTreeMap<String, String> {
    fn label(&self, key: &str) -> Option<&str> {
        self.get(key).map(String::as_str)
    }
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// The clauses, all of which must hold.
    pub requirements: Vec<Requirement>,
}

impl LabelSelector {
    /// Parses upstream's selector syntax, as sent in `?labelSelector=`.
    pub fn parse(input: &str) -> Result<Self, SelectorParseError> {
        let mut parser = Parser { src: input.as_bytes(), pos: 0, input };
        let mut requirements = Vec::new();
        parser.skip_ws();
        if parser.at_end() {
            return Ok(Self::default());
        }
        loop {
            requirements.push(parser.requirement()?);
            parser.skip_ws();
            if parser.at_end() {
                break;
            }
            parser.expect(b',')?;
        }
        Ok(Self { requirements })
    }

    /// True when the selector has no clauses.
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// True when every clause holds for these labels.
    pub fn matches(&self, labels: &dyn LabelSource) -> bool {
        self.requirements.iter().all(|r| r.matches(labels))
    }

    /// The value this selector pins `key` to with a single-valued equality,
    /// if it does; lets callers narrow a search before matching.
    pub fn required_value(&self, key: &str) -> Option<&str> {
        self.requirements.iter().find_map(|r| match &r.operator {
            Operator::In(values) if r.key == key && values.len() == 1 => Some(values[0].as_str()),
            _ => None,
        })
    }
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    input: &'a str,
}

impl Parser<'_> {
    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_whitespace()) {
            self.pos += 1;
        }
    }

    fn error(&self, what: &str) -> SelectorParseError {
        SelectorParseError(format!("unable to parse requirement: {what} in selector {:?}", self.input))
    }

    fn expect(&mut self, c: u8) -> Result<(), SelectorParseError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected '{}'", c as char)))
        }
    }

    fn word(&mut self) -> &str {
        self.skip_ws();
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'/')) {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorParseError> {
        self.skip_ws();
        if self.peek() == Some(b'!') {
            self.pos += 1;
            let key = self.key()?;
            return Ok(Requirement { key, operator: Operator::DoesNotExist });
        }
        let key = self.key()?;
        self.skip_ws();
        let operator = match self.peek() {
            None | Some(b',') => Operator::Exists,
            Some(b'=') => {
                self.pos += 1;
                if self.peek() == Some(b'=') {
                    self.pos += 1;
                }
                Operator::In(vec![self.value()?])
            }
            Some(b'!') if self.src.get(self.pos + 1) == Some(&b'=') => {
                self.pos += 2;
                Operator::NotIn(vec![self.value()?])
            }
            Some(b'>') => {
                self.pos += 1;
                Operator::GreaterThan(self.integer()?)
            }
            Some(b'<') => {
                self.pos += 1;
                Operator::LessThan(self.integer()?)
            }
            _ => match self.word().to_string().as_str() {
                "in" => Operator::In(self.value_set()?),
                "notin" => Operator::NotIn(self.value_set()?),
                other => return Err(self.error(&format!("found '{other}', expected: in, notin, =, ==, !=, gt, lt"))),
            },
        };
        Ok(Requirement { key, operator })
    }

    fn key(&mut self) -> Result<String, SelectorParseError> {
        let key = self.word().to_string();
        validate_key(&key).map_err(|e| self.error(&e))?;
        Ok(key)
    }

    fn value(&mut self) -> Result<String, SelectorParseError> {
        let value = self.word().to_string();
        validate_value(&value).map_err(|e| self.error(&e))?;
        Ok(value)
    }

    fn integer(&mut self) -> Result<i64, SelectorParseError> {
        let word = self.word().to_string();
        word.parse()
            .map_err(|_| self.error(&format!("for 'Gt', 'Lt' operators, the value must be an integer, got {word:?}")))
    }

    fn value_set(&mut self) -> Result<Vec<String>, SelectorParseError> {
        self.expect(b'(')?;
        let mut values = Vec::new();
        loop {
            values.push(self.value()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(values);
                }
                _ => return Err(self.error("expected ',' or ')'")),
            }
        }
    }
}

fn validate_key(key: &str) -> Result<(), String> {
    let name = match key.split_once('/') {
        Some((prefix, name)) => {
            if prefix.is_empty() || prefix.len() > 253 {
                return Err(format!("invalid label key {key:?}: prefix part must be a DNS subdomain"));
            }
            name
        }
        None => key,
    };
    if name.is_empty() || name.len() > 63 || !is_label_token(name) {
        return Err(format!(
            "invalid label key {key:?}: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ));
    }
    Ok(())
}

fn validate_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Ok(());
    }
    if value.len() > 63 || !is_label_token(value) || value.contains('/') {
        return Err(format!(
            "invalid label value: {value:?}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
        ));
    }
    Ok(())
}

fn is_label_token(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
        && bytes.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A metav1.LabelSelector object (`matchLabels`, `matchExpressions`) in the
/// string syntax, as Scale's `status.selector` and kubectl print it.
pub fn selector_to_string(selector: &serde_json::Value) -> String {
    let mut clauses: Vec<String> = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    for expression in selector["matchExpressions"].as_array().into_iter().flatten() {
        let key = expression["key"].as_str().unwrap_or_default();
        let values: Vec<&str> =
            expression["values"].as_array().into_iter().flatten().filter_map(|v| v.as_str()).collect();
        clauses.push(match expression["operator"].as_str().unwrap_or_default() {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            _ => format!("!{key}"),
        });
    }
    clauses.join(",")
}

/// True when a metav1.LabelSelector object selects an object with these
/// labels (a `metadata.labels` map). An empty selector selects everything;
/// a malformed one selects nothing.
pub fn selects(selector: &serde_json::Value, labels: &serde_json::Value) -> bool {
    let Ok(parsed) = LabelSelector::parse(&selector_to_string(selector)) else { return false };
    let labels: std::collections::BTreeMap<String, String> = labels
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
        .collect();
    parsed.matches(&labels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn equality_set_and_existence_clauses_combine_with_and() {
        let sel = LabelSelector::parse("app=web, tier in (front, back),!legacy,env!=prod,version").unwrap();
        assert!(sel.matches(&labels(&[("app", "web"), ("tier", "front"), ("version", "2")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "front")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "front"), ("version", "2"), ("legacy", "")])));
        assert!(!sel.matches(&labels(&[("app", "web"), ("tier", "front"), ("version", "2"), ("env", "prod")])));
    }

    #[test]
    fn notin_matches_absent_labels_and_comparisons_need_integers() {
        let sel = LabelSelector::parse("tier notin (db),replicas>2,zone.example.com/rank<10").unwrap();
        assert!(sel.matches(&labels(&[("replicas", "3"), ("zone.example.com/rank", "1")])));
        assert!(!sel.matches(&labels(&[("replicas", "x"), ("zone.example.com/rank", "1")])));
        assert!(!sel.matches(&labels(&[("tier", "db"), ("replicas", "3"), ("zone.example.com/rank", "1")])));
    }

    #[test]
    fn empty_selector_matches_everything_and_garbage_is_rejected() {
        assert!(LabelSelector::parse("").unwrap().matches(&labels(&[])));
        assert!(LabelSelector::parse("a in b").is_err());
        assert!(LabelSelector::parse("-bad=x").is_err());
        assert!(LabelSelector::parse("a=b c").is_err());
        assert!(LabelSelector::parse("a>b").is_err());
    }
}
