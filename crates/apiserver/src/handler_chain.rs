//! The handler chain every request passes, read top to bottom as upstream's
//! DefaultBuildHandlerChain: panic recovery -> request info ->
//! authentication -> authorization -> in-flight limits -> request timeout
//! -> non-resource paths or the delegation chain.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use apimachinery::ApiError;
use axum::body::Body;
use futures::FutureExt;
use futures::future::BoxFuture;
use http::header;
use tokio::sync::Semaphore;

use crate::authn::{PeerCertificate, RequestHeader, TokenFile, UserInfo, user_from_certificate};
use crate::dynamic_ca::DynamicCa;
use crate::metrics::{DurationLabels, Metrics};
use crate::nonresource::{self, HealthChecks};
use crate::request_info::RequestInfo;
use crate::responses::{self, Response};
use crate::server::GenericApiServer;

/// Settings of the chain, from the server's flags.
#[derive(Debug, Clone)]
pub struct ChainConfig {
    /// --max-requests-inflight (0 = unlimited).
    pub max_requests_inflight: usize,
    /// --max-mutating-requests-inflight (0 = unlimited).
    pub max_mutating_requests_inflight: usize,
    /// --request-timeout.
    pub request_timeout: Duration,
}

impl Default for ChainConfig {
    fn default() -> Self {
        ChainConfig {
            max_requests_inflight: 400,
            max_mutating_requests_inflight: 200,
            request_timeout: Duration::from_secs(60),
        }
    }
}

/// Authenticates a bearer token (service account tokens and the like).
pub type TokenAuthenticator = Arc<dyn Fn(String) -> BoxFuture<'static, Option<UserInfo>> + Send + Sync>;

/// Who may be authenticated, and how.
#[derive(Clone, Default)]
pub struct Authenticator {
    /// Users of --token-auth-file.
    pub tokens: Option<TokenFile>,
    /// Extra bearer-token authenticators (service account tokens).
    pub token_authenticators: Vec<TokenAuthenticator>,
    /// Front proxies that name the user in headers (--requestheader-*).
    pub request_header: Option<Arc<RequestHeader>>,
    /// Where front proxies are trusted too, the CAs whose certificates
    /// name their own user (the TLS layer accepts both kinds).
    pub client_cas: Option<Vec<Arc<DynamicCa>>>,
}

enum Authenticated {
    User(UserInfo),
    Anonymous,
    Rejected,
}

impl Authenticator {
    /// Who sent the request: a front proxy's headers first, then a bearer
    /// token when present (a bad one is rejected), then the client
    /// certificate, if any.
    async fn authenticate(&self, headers: &http::HeaderMap, leaf: Option<&[u8]>) -> Authenticated {
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string());
        if let (Some(request_header), Some(leaf)) = (&self.request_header, leaf)
            && request_header.is_front_proxy(leaf)
        {
            match request_header.authenticate(leaf, headers) {
                Ok(Some(user)) => return Authenticated::User(user),
                Ok(None) => {}
                Err(e) => {
                    tracing::debug!(error = %e, "front proxy refused");
                    return Authenticated::Rejected;
                }
            }
        }
        let certificate_user = leaf
            .filter(|leaf| self.client_cas.as_ref().is_none_or(|cas| cas.iter().any(|ca| ca.verifies(leaf))))
            .and_then(user_from_certificate);
        if let Some(token) = bearer {
            if let Some(user) = self.tokens.as_ref().and_then(|t| t.authenticate(&token)) {
                return Authenticated::User(user);
            }
            for authenticator in &self.token_authenticators {
                if let Some(user) = authenticator(token.clone()).await {
                    return Authenticated::User(user);
                }
            }
            return Authenticated::Rejected;
        }
        match certificate_user {
            Some(user) => Authenticated::User(user),
            None => Authenticated::Anonymous,
        }
    }
}

/// Paths anonymous users may read.
fn anonymous_allowed(path: &str) -> bool {
    ["/healthz", "/livez", "/readyz", "/version"].iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

/// Requests that run long and are not limited by in-flight or timeout
/// settings (watches).
fn long_running(info: &RequestInfo) -> bool {
    info.verb == "watch"
}

/// The whole server as one request handler.
pub struct HandlerChain {
    head: Arc<GenericApiServer>,
    authenticator: Authenticator,
    checks: HealthChecks,
    read_only: Option<Arc<Semaphore>>,
    mutating: Option<Arc<Semaphore>>,
    request_timeout: Duration,
    /// The metrics this chain records.
    pub metrics: Arc<Metrics>,
}

impl HandlerChain {
    /// A chain in front of the head of the delegation chain.
    pub fn new(
        head: Arc<GenericApiServer>,
        authenticator: Authenticator,
        checks: HealthChecks,
        config: &ChainConfig,
    ) -> Self {
        let limit = |n: usize| (n > 0).then(|| Arc::new(Semaphore::new(n)));
        HandlerChain {
            head,
            authenticator,
            checks,
            read_only: limit(config.max_requests_inflight),
            mutating: limit(config.max_mutating_requests_inflight),
            request_timeout: config.request_timeout,
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// Serves one request.
    pub async fn serve(self: Arc<Self>, request: http::Request<Body>) -> Response {
        let started = Instant::now();
        let method = request.method().clone();
        let path = request.uri().path().to_string();
        let watch = request.uri().query().is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"));
        let info = RequestInfo::parse(&method, &path, watch);
        let response = match AssertUnwindSafe(self.clone().serve_inner(request, info.clone())).catch_unwind().await {
            Ok(response) => response,
            Err(_) => {
                tracing::error!(%method, %path, "panic while serving a request");
                responses::error(&ApiError::internal("a panic occurred while serving the request"))
            }
        };
        let code = response.status().as_u16();
        tracing::debug!(%method, %path, verb = %info.verb, code, latency = ?started.elapsed(), "request");
        if info.is_resource_request {
            let scope = if !info.name.is_empty() {
                "resource"
            } else if !info.namespace.is_empty() {
                "namespace"
            } else {
                "cluster"
            };
            let labels = DurationLabels {
                verb: info.verb.to_uppercase(),
                group: info.api_group.clone(),
                version: info.api_version.clone(),
                resource: info.resource.clone(),
                subresource: info.subresource.clone(),
                scope: scope.into(),
                component: "apiserver".into(),
            };
            self.metrics.observe(labels, code, started.elapsed());
        }
        response
    }

    async fn serve_inner(self: Arc<Self>, request: http::Request<Body>, info: RequestInfo) -> Response {
        let (parts, body) = request.into_parts();
        let leaf = parts.extensions.get::<PeerCertificate>().map(|c| c.0.as_slice());
        let authenticated = self.authenticator.authenticate(&parts.headers, leaf).await;
        let request = http::Request::from_parts(parts, body);
        let user = match authenticated {
            Authenticated::User(user) => user,
            Authenticated::Anonymous if anonymous_allowed(&info.path) => UserInfo::anonymous(),
            Authenticated::Anonymous | Authenticated::Rejected => return responses::error(&ApiError::unauthorized()),
        };
        tracing::debug!(path = %info.path, user = %user.username, groups = ?user.groups, "authenticated");
        let mutating = !matches!(info.verb.as_str(), "get" | "list" | "watch");
        let limiter = if mutating { &self.mutating } else { &self.read_only };
        let _permit = match (long_running(&info), limiter) {
            (false, Some(semaphore)) => match semaphore.clone().try_acquire_owned() {
                Ok(permit) => Some(permit),
                Err(_) => {
                    return responses::error(&ApiError::too_many_requests(
                        "Too many requests, please try again later.",
                        1,
                    ));
                }
            },
            _ => None,
        };
        let kind = if mutating { "mutating" } else { "readOnly" };
        let gauge = self.metrics.inflight(kind);
        gauge.inc();
        let _in_flight = scopeguard(move || {
            gauge.dec();
        });
        if !info.is_resource_request && info.api_prefix.is_empty() {
            let query = request.uri().query().map(str::to_string);
            let accept = request.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).map(str::to_string);
            let (checks, head, metrics) = (&self.checks, &self.head, &self.metrics);
            if let Some(response) =
                nonresource::serve(&info.path, query.as_deref(), accept.as_deref(), checks, head, metrics).await
            {
                return response;
            }
        }
        let served = self.head.clone().handle(request, info.clone(), user);
        if long_running(&info) {
            return served.await;
        }
        match tokio::time::timeout(self.request_timeout, served).await {
            Ok(response) => response,
            Err(_) => responses::error(&ApiError::timeout(
                "request did not complete within requested timeout - context deadline exceeded",
                0,
            )),
        }
    }
}

struct Guard<F: FnOnce()>(Option<F>);

impl<F: FnOnce()> Drop for Guard<F> {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            f();
        }
    }
}

fn scopeguard<F: FnOnce()>(f: F) -> Guard<F> {
    Guard(Some(f))
}
