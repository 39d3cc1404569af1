//! Service account credentials: TokenRequest (serviceaccounts/token), and
//! the review kinds that are answered, never stored: TokenReview and
//! SelfSubjectReview (`kubectl auth whoami`).

pub mod token;

use std::sync::Arc;

use apimachinery::ApiError;
use apimachinery::field::FieldError;
use apiserver::registry::{Context, Strategy};
use async_trait::async_trait;
use serde_json::{Value, json};

use self::token::TokenIssuer;

/// Upstream's default and minimum token lifetimes.
const DEFAULT_EXPIRATION_SECONDS: u64 = 3600;
const MIN_EXPIRATION_SECONDS: u64 = 600;

/// Answers serviceaccounts/token with a signed token.
pub fn token_request(issuer: &TokenIssuer, account: &Value, request: &Value) -> Result<Value, ApiError> {
    let name = account["metadata"]["name"].as_str().unwrap_or_default();
    let namespace = account["metadata"]["namespace"].as_str().unwrap_or_default();
    let uid = account["metadata"]["uid"].as_str().unwrap_or_default();
    let seconds = request["spec"]["expirationSeconds"].as_u64().unwrap_or(DEFAULT_EXPIRATION_SECONDS);
    if seconds < MIN_EXPIRATION_SECONDS {
        return Err(ApiError::invalid(
            "authentication.k8s.io",
            "TokenRequest",
            name,
            &[FieldError::invalid(
                "spec.expirationSeconds",
                json!(seconds),
                "may not specify a duration less than 10 minutes",
            )],
        ));
    }
    let audiences: Vec<String> = request["spec"]["audiences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a.as_str().map(str::to_string))
        .collect();
    let (token, expires) =
        issuer.issue(namespace, name, uid, audiences.clone(), seconds).map_err(ApiError::internal)?;
    let audiences = if audiences.is_empty() { vec![issuer.issuer.clone()] } else { audiences };
    let expiration = apimachinery::format_rfc3339(std::time::UNIX_EPOCH + std::time::Duration::from_secs(expires));
    Ok(json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace, "creationTimestamp": null},
        "spec": {"audiences": audiences, "expirationSeconds": seconds, "boundObjectRef": request["spec"]["boundObjectRef"]},
        "status": {"token": token, "expirationTimestamp": expiration},
    }))
}

fn user_json(user: &apiserver::authn::UserInfo) -> Value {
    let mut out = json!({"username": user.username, "groups": user.groups});
    if !user.uid.is_empty() {
        out["uid"] = json!(user.uid);
    }
    if !user.extra.is_empty() {
        out["extra"] = json!(user.extra);
    }
    out
}

/// TokenReview: is this bearer token valid, and whose is it?
pub struct TokenReviewStrategy {
    /// The service account token issuer.
    pub issuer: Arc<TokenIssuer>,
}

#[async_trait]
impl Strategy for TokenReviewStrategy {
    async fn create_without_storage(&self, _ctx: &Context, review: &Value) -> Option<Result<Value, ApiError>> {
        let token = review["spec"]["token"].as_str().unwrap_or_default();
        let wanted: Vec<String> = review["spec"]["audiences"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|a| a.as_str().map(str::to_string))
            .collect();
        let audiences = if wanted.is_empty() { vec![self.issuer.issuer.clone()] } else { wanted };
        let mut answer = review.clone();
        answer["status"] = match self.issuer.authenticate_for(token, &audiences) {
            Some(user) => json!({"authenticated": true, "user": user_json(&user), "audiences": audiences}),
            None => json!({"authenticated": false, "user": {}, "error": "[invalid bearer token, token lookup failed]"}),
        };
        Some(Ok(answer))
    }
}

/// SelfSubjectReview: who am I?
pub struct SelfSubjectReviewStrategy;

#[async_trait]
impl Strategy for SelfSubjectReviewStrategy {
    async fn create_without_storage(&self, ctx: &Context, review: &Value) -> Option<Result<Value, ApiError>> {
        let mut answer = review.clone();
        answer["metadata"] = json!({"creationTimestamp": null});
        answer["status"] = json!({"userInfo": user_json(&ctx.user)});
        Some(Ok(answer))
    }
}
