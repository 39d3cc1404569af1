//! Query parameters of REST requests, parsed and checked as upstream does.

use std::collections::HashMap;

use apimachinery::{ApiError, FieldSelector, LabelSelector};
use storage::{ResourceVersionMatch, SelectionPredicate};

/// The query string as a map (the last value of a repeated key wins).
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        Query(form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    /// A parameter's value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A boolean parameter (`true`/`1`).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }

    /// An integer parameter; a malformed one is a 400.
    pub fn integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.get(name).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => {
                v.parse().map(Some).map_err(|_| ApiError::bad_request(format!("invalid value for {name}: {v:?}")))
            }
        }
    }

    /// `resourceVersion`: `None` for "" , else the number.
    pub fn resource_version(&self) -> Result<Option<u64>, ApiError> {
        match self.get("resourceVersion").filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!(
                    "resourceVersion: Invalid value: \"{v}\": strconv.ParseUint: parsing \"{v}\": invalid syntax"
                ))
            }),
        }
    }

    /// `resourceVersionMatch`.
    pub fn resource_version_match(&self) -> Result<Option<ResourceVersionMatch>, ApiError> {
        match self.get("resourceVersionMatch").filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some("NotOlderThan") => Ok(Some(ResourceVersionMatch::NotOlderThan)),
            Some("Exact") => Ok(Some(ResourceVersionMatch::Exact)),
            Some(other) => Err(ApiError::bad_request(format!(
                "resourceVersionMatch: Unsupported value: \"{other}\": supported values: \"Exact\", \"NotOlderThan\", \"\""
            ))),
        }
    }

    /// The label and field selectors; fields outside `supported_fields` are
    /// refused as upstream refuses them.
    pub fn predicate(&self, supported_fields: &[String]) -> Result<SelectionPredicate, ApiError> {
        let label = LabelSelector::parse(self.get("labelSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let field = FieldSelector::parse(self.get("fieldSelector").unwrap_or_default())
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        for name in field.fields() {
            if !supported_fields.iter().any(|f| f == name) {
                return Err(ApiError::bad_request(format!("field label not supported: {name}")));
            }
        }
        Ok(SelectionPredicate { label, field })
    }

    /// `dryRun=All` (any other value is refused).
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => {
                Err(ApiError::bad_request(format!("dryRun: Unsupported value: \"{other}\": supported values: \"All\"")))
            }
        }
    }
}
