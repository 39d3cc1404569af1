//! authorization.k8s.io: the access reviews that are answered, never
//! stored. The server runs upstream's default authorization mode,
//! AlwaysAllow, so every well-formed review is allowed, and a rules review
//! lists the rules that mode grants: everything.

use apimachinery::ApiError;
use apimachinery::field::FieldError;
use apiserver::registry::{Context, Strategy};
use async_trait::async_trait;
use serde_json::{Value, json};

/// Which access review a strategy answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessReview {
    /// SubjectAccessReview: may this user do this?
    Subject,
    /// LocalSubjectAccessReview: the same, within the request's namespace.
    LocalSubject,
    /// SelfSubjectAccessReview: may I do this? (`kubectl auth can-i`)
    SelfSubject,
    /// SelfSubjectRulesReview: what may I do in a namespace?
    SelfSubjectRules,
}

impl AccessReview {
    fn kind(self) -> &'static str {
        match self {
            AccessReview::Subject => "SubjectAccessReview",
            AccessReview::LocalSubject => "LocalSubjectAccessReview",
            AccessReview::SelfSubject => "SelfSubjectAccessReview",
            AccessReview::SelfSubjectRules => "SelfSubjectRulesReview",
        }
    }

    /// Upstream's validation of the review's spec.
    fn validate(self, review: &Value, namespace: &str) -> Vec<FieldError> {
        let spec = &review["spec"];
        let mut errors = Vec::new();
        if self == AccessReview::SelfSubjectRules {
            return errors;
        }
        let resource = spec.get("resourceAttributes").filter(|v| !v.is_null());
        let non_resource = spec.get("nonResourceAttributes").filter(|v| !v.is_null());
        if resource.is_some() == non_resource.is_some() {
            errors.push(FieldError::invalid(
                "spec.resourceAttributes",
                resource.cloned().unwrap_or(Value::Null),
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            ));
        }
        let has_user = spec["user"].as_str().is_some_and(|u| !u.is_empty());
        let has_groups = spec["groups"].as_array().is_some_and(|g| !g.is_empty());
        if matches!(self, AccessReview::Subject | AccessReview::LocalSubject) && !has_user && !has_groups {
            errors.push(FieldError::invalid("spec.user", json!(""), "at least one of user or group must be specified"));
        }
        if self == AccessReview::LocalSubject
            && let Some(attributes) = resource
        {
            let wanted = attributes["namespace"].as_str().unwrap_or_default();
            if wanted != namespace {
                errors.push(FieldError::invalid(
                    "spec.resourceAttributes.namespace",
                    json!(wanted),
                    "must match metadata.namespace",
                ));
            }
        }
        errors
    }
}

/// Answers one kind of access review.
pub struct AccessReviewStrategy(pub AccessReview);

#[async_trait]
impl Strategy for AccessReviewStrategy {
    async fn create_without_storage(&self, ctx: &Context, review: &Value) -> Option<Result<Value, ApiError>> {
        let errors = self.0.validate(review, &ctx.namespace);
        if !errors.is_empty() {
            return Some(Err(ApiError::invalid("authorization.k8s.io", self.0.kind(), "", &errors)));
        }
        let mut answer = review.clone();
        answer["metadata"] = json!({"creationTimestamp": null});
        if self.0 == AccessReview::LocalSubject {
            answer["metadata"]["namespace"] = json!(ctx.namespace);
        }
        answer["status"] = match self.0 {
            AccessReview::SelfSubjectRules => json!({
                "resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
                "incomplete": false,
            }),
            _ => json!({"allowed": true}),
        };
        Some(Ok(answer))
    }
}
