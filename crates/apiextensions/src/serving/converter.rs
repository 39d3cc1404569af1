//! Converting custom resources between a CRD's versions (upstream's
//! crConverter): strategy `None` only rewrites apiVersion; strategy
//! `Webhook` sends a ConversionReview to the CRD's webhook. Objects read in
//! a version also get that version's defaults (upstream defaults what it
//! reads from storage).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use apiserver::conversion::StorageConverter;
use apiserver::webhook::{ServiceResolver, Target};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::schema::VersionSchema;

/// How a CRD converts between versions.
pub enum Strategy {
    /// Only apiVersion changes.
    None,
    /// A ConversionReview to the webhook of this clientConfig, in the first
    /// review version it accepts that ferrokube speaks.
    Webhook { client_config: Value, review_version: String },
}

/// Where the webhook of a Service is found, set once the core server (which
/// has the Services) exists.
pub type Resolver = Arc<OnceLock<Arc<dyn ServiceResolver>>>;

/// The conversion of one served version over the storage version.
pub struct CustomResourceConverter {
    /// The CRD's group.
    pub group: String,
    /// The kind, for error messages.
    pub kind: String,
    /// The version requests speak.
    pub served_version: String,
    /// The version objects are stored in.
    pub storage_version: String,
    /// The CRD's conversion.
    pub strategy: Arc<Strategy>,
    /// The served version's schema, for defaults.
    pub schema: Arc<VersionSchema>,
    /// Resolves webhook Services.
    pub resolver: Resolver,
}

impl CustomResourceConverter {
    fn api_version(&self, version: &str) -> String {
        format!("{}/{version}", self.group)
    }

    /// Converts objects to `version`; those already in it are left alone.
    async fn convert(&self, objects: Vec<Value>, version: &str) -> Result<Vec<Value>, String> {
        let desired = self.api_version(version);
        let pending: Vec<usize> = (0..objects.len()).filter(|i| objects[*i]["apiVersion"] != desired).collect();
        if pending.is_empty() {
            return Ok(objects);
        }
        let mut objects = objects;
        match self.strategy.as_ref() {
            Strategy::None => {
                for i in pending {
                    objects[i]["apiVersion"] = json!(desired);
                }
            }
            Strategy::Webhook { client_config, review_version } => {
                let sent: Vec<Value> = pending.iter().map(|i| objects[*i].clone()).collect();
                let from = sent[0]["apiVersion"].as_str().unwrap_or_default().to_string();
                let converted = self.review(client_config, review_version, &desired, sent).await.map_err(|e| {
                    let version = from.rsplit('/').next().unwrap_or_default();
                    format!("conversion webhook for {}/{version}, Kind={} failed: {e}", self.group, self.kind)
                })?;
                for (i, mut object) in pending.into_iter().zip(converted) {
                    restore_metadata(&mut object, &objects[i]);
                    objects[i] = object;
                }
            }
        }
        Ok(objects)
    }

    /// One ConversionReview round trip.
    async fn review(
        &self,
        client_config: &Value,
        review_version: &str,
        desired: &str,
        objects: Vec<Value>,
    ) -> Result<Vec<Value>, String> {
        let count = objects.len();
        let uid = uuid::Uuid::new_v4().to_string();
        let review_api_version = format!("apiextensions.k8s.io/{review_version}");
        let review = json!({
            "kind": "ConversionReview",
            "apiVersion": review_api_version,
            "request": {"uid": uid, "desiredAPIVersion": desired, "objects": objects},
            "response": {"uid": "", "convertedObjects": null, "result": {"metadata": {}}},
        });
        let resolver = self.resolver.get().map(|r| r.as_ref());
        let target = Target::of(client_config, resolver).await?;
        let answer = target.post(&review, Duration::from_secs(30)).await?;
        if answer["kind"] != "ConversionReview" || answer["apiVersion"] != review_api_version.as_str() {
            return Err(format!(
                "expected webhook response of {review_api_version}, Kind=ConversionReview, got {}, Kind={}",
                answer["apiVersion"].as_str().unwrap_or_default(),
                answer["kind"].as_str().unwrap_or_default()
            ));
        }
        let response = answer.get("response").filter(|r| r.is_object()).ok_or("no response provided")?;
        if review_version == "v1" && response["uid"] != uid.as_str() {
            return Err(format!(
                "expected response.uid=\"{uid}\", got \"{}\"",
                response["uid"].as_str().unwrap_or_default()
            ));
        }
        let status = response["result"]["status"].as_str().unwrap_or_default();
        if status != "Success" {
            return Err(match response["result"]["message"].as_str().filter(|m| !m.is_empty()) {
                Some(message) => message.to_string(),
                None => format!("response.result.status was '{status}', not 'Success'"),
            });
        }
        let converted = response["convertedObjects"].as_array().cloned().unwrap_or_default();
        if converted.len() != count {
            return Err(format!("returned {} objects, expected {count}", converted.len()));
        }
        for (i, object) in converted.iter().enumerate() {
            if object["apiVersion"] != desired {
                return Err(format!(
                    "returned invalid object at index {i}: invalid groupVersion (expected {desired}, received {})",
                    object["apiVersion"].as_str().unwrap_or_default()
                ));
            }
        }
        Ok(converted)
    }
}

/// The converted object keeps the original's metadata, except labels and
/// annotations, which the webhook may change.
fn restore_metadata(converted: &mut Value, original: &Value) {
    let mut metadata = original["metadata"].clone();
    for field in ["labels", "annotations"] {
        match converted["metadata"].get(field) {
            Some(value) => metadata[field] = value.clone(),
            None => {
                metadata.as_object_mut().map(|m| m.remove(field));
            }
        }
    }
    converted["metadata"] = metadata;
}

#[async_trait]
impl StorageConverter for CustomResourceConverter {
    async fn to_served(&self, stored: Vec<Value>) -> Result<Vec<Option<Value>>, String> {
        let desired = self.api_version(&self.served_version);
        let in_version: Vec<bool> = stored.iter().map(|o| o["apiVersion"] == desired.as_str()).collect();
        let served = self.convert(stored, &self.served_version).await?;
        Ok(served
            .into_iter()
            .zip(in_version)
            .map(|(mut object, unconverted)| {
                let defaulted = self.schema.apply_defaults(&mut object);
                (defaulted || !unconverted).then_some(object)
            })
            .collect())
    }

    async fn to_stored(&self, served: Value) -> Result<Value, String> {
        let mut stored = self.convert(vec![served], &self.storage_version).await?;
        stored.pop().ok_or_else(|| "no object converted".to_string())
    }

    fn deterministic(&self) -> bool {
        matches!(self.strategy.as_ref(), Strategy::None)
    }
}
