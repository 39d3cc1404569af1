//! ConfigMaps, Secrets and ServiceAccounts.

use apimachinery::field::FieldError;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Column, Columns, TableConvertor};
use serde_json::{Value, json};

use super::text;

type Cells = Columns<fn(&Value) -> Vec<Value>>;

fn count(value: &Value) -> usize {
    value.as_object().map_or(0, |m| m.len())
}

/// ConfigMaps: NAME DATA AGE.
pub struct ConfigMapStrategy(Cells);

impl Default for ConfigMapStrategy {
    fn default() -> Self {
        ConfigMapStrategy(Columns {
            columns: vec![Column::new("Data", "integer", "Number of data items")],
            cells: |cm| vec![json!(count(&cm["data"]) + count(&cm["binaryData"]))],
        })
    }
}

fn validate_keys(object: &Value, fields: &[&str]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for field in fields {
        if let Some(map) = object[*field].as_object() {
            for key in map.keys() {
                let valid = !key.is_empty()
                    && key.len() <= 253
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    && key != "."
                    && key != "..";
                if !valid {
                    errors.push(FieldError::invalid(
                        format!("{field}[{key}]"),
                        json!(key),
                        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
                    ));
                }
            }
        }
    }
    errors
}

impl Strategy for ConfigMapStrategy {
    fn validate(&self, object: &Value) -> Vec<FieldError> {
        validate_keys(object, &["data", "binaryData"])
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}

/// Secrets: NAME TYPE DATA AGE; `type` defaults to Opaque and is selectable.
pub struct SecretStrategy(Cells);

impl Default for SecretStrategy {
    fn default() -> Self {
        SecretStrategy(Columns {
            columns: vec![
                Column::new("Type", "string", "The type of the secret"),
                Column::new("Data", "integer", "Number of data items"),
            ],
            cells: |secret| vec![json!(text(secret, &["type"])), json!(count(&secret["data"]))],
        })
    }
}

impl Strategy for SecretStrategy {
    fn prepare_for_create(&self, object: &mut Value) {
        super::default_field(object, "type", json!("Opaque"));
        if let Some(string_data) = object.get("stringData").and_then(Value::as_object).cloned() {
            let data = object.as_object_mut().map(|m| m.entry("data").or_insert_with(|| json!({})));
            if let Some(data) = data.and_then(Value::as_object_mut) {
                for (key, value) in string_data {
                    data.insert(key, json!(base64(value.as_str().unwrap_or_default().as_bytes())));
                }
            }
            object.as_object_mut().map(|m| m.remove("stringData"));
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        super::default_field(new, "type", old["type"].clone());
        self.prepare_for_create(new);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        validate_keys(object, &["data"])
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = self.validate(new);
        if new["type"] != old["type"] {
            errors.push(FieldError::invalid("type", new["type"].clone(), "field is immutable"));
        }
        if old["immutable"] == json!(true) && (new["data"] != old["data"] || new["immutable"] != old["immutable"]) {
            errors.push(FieldError::forbidden("data", "field is immutable when `immutable` is set"));
        }
        errors
    }

    fn selectable_fields(&self, object: &Value) -> Vec<(String, String)> {
        vec![("type".into(), text(object, &["type"]).to_string())]
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}

/// Standard base64, as Secret data is stored.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// ServiceAccounts: NAME SECRETS AGE, and the token subresource.
pub struct ServiceAccountStrategy {
    table: Cells,
    issuer: std::sync::Arc<crate::serviceaccount::token::TokenIssuer>,
}

impl ServiceAccountStrategy {
    /// Service accounts whose tokens `issuer` signs.
    pub fn new(issuer: std::sync::Arc<crate::serviceaccount::token::TokenIssuer>) -> Self {
        ServiceAccountStrategy {
            issuer,
            table: Columns {
                columns: vec![Column::new(
                    "Secrets",
                    "string",
                    "Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.",
                )],
                cells: |sa| vec![json!(sa["secrets"].as_array().map_or(0, Vec::len))],
            },
        }
    }
}

#[async_trait::async_trait]
impl Strategy for ServiceAccountStrategy {
    fn table(&self) -> &dyn TableConvertor {
        &self.table
    }

    async fn create_subresource(
        &self,
        _ctx: &apiserver::registry::Context,
        subresource: &str,
        account: &Value,
        request: Value,
    ) -> Option<Result<Value, apimachinery::ApiError>> {
        (subresource == "token").then(|| crate::serviceaccount::token_request(&self.issuer, account, &request))
    }
}
