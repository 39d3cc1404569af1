//! Service account credentials: TokenRequest (serviceaccounts/token), and
//! the review kinds that are answered, never stored: TokenReview and
//! SelfSubjectReview (`kubectl auth whoami`).

pub mod keys;
pub mod token;

use std::sync::{Arc, OnceLock};

use apimachinery::ApiError;
use apimachinery::field::FieldError;
use apiserver::authn::UserInfo;
use apiserver::registry::{Context, Store, Strategy};
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

/// Authenticates service account tokens as upstream's validator does: the
/// signature, issuer, audience and expiry, and then that the service account
/// the token names still exists with the token's uid, so deleting an account
/// revokes its tokens.
pub struct TokenAuthenticator {
    /// Verifies the tokens' signatures and claims.
    pub issuer: Arc<TokenIssuer>,
    accounts: OnceLock<Arc<Store>>,
}

impl TokenAuthenticator {
    /// An authenticator that rejects every token until
    /// [`TokenAuthenticator::set_accounts`] gives it the ServiceAccounts.
    pub fn new(issuer: Arc<TokenIssuer>) -> Self {
        TokenAuthenticator { issuer, accounts: OnceLock::new() }
    }

    /// The ServiceAccount storage, once installed.
    pub fn set_accounts(&self, accounts: Arc<Store>) {
        let _ = self.accounts.set(accounts);
    }

    /// The user a valid token for one of `audiences` authenticates as.
    pub async fn authenticate_for(&self, token: &str, audiences: &[String]) -> Option<UserInfo> {
        let user = self.issuer.authenticate_for(token, audiences)?;
        let (namespace, name) = user.username.strip_prefix("system:serviceaccount:")?.split_once(':')?;
        let ctx = Context { user: user.clone(), namespace: namespace.to_string(), dry_run: false };
        let account = self.accounts.get()?.get(&ctx, name, Some(0)).await.ok()?;
        let account: Value = serde_json::from_slice(&account.data).ok()?;
        (account["metadata"]["uid"].as_str() == Some(user.uid.as_str())).then_some(user)
    }

    /// The user a valid token for the API authenticates as.
    pub async fn authenticate(&self, token: &str) -> Option<UserInfo> {
        self.authenticate_for(token, std::slice::from_ref(&self.issuer.issuer)).await
    }
}

/// TokenReview: is this bearer token valid, and whose is it?
pub struct TokenReviewStrategy {
    /// Authenticates service account tokens.
    pub tokens: Arc<TokenAuthenticator>,
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
        let audiences = if wanted.is_empty() { vec![self.tokens.issuer.issuer.clone()] } else { wanted };
        let mut answer = review.clone();
        answer["status"] = match self.tokens.authenticate_for(token, &audiences).await {
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
