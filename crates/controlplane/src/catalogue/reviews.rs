//! The kinds that are answered, never stored: authentication.k8s.io's
//! TokenReview and SelfSubjectReview, and authorization.k8s.io's access
//! reviews.

use std::sync::Arc;

use apiserver::resource::{ResourceDef, schema_of};

use super::{Entry, entry};
use crate::Config;
use crate::authorization::{AccessReview, AccessReviewStrategy};

/// The authentication.k8s.io kinds that are answered, never stored.
pub(super) fn review_entries(config: &Config) -> Vec<Entry> {
    use crate::serviceaccount::{SelfSubjectReviewStrategy, TokenReviewStrategy};
    use k8s_openapi::api::authentication::v1 as authentication;
    vec![
        entry(
            ResourceDef::new("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", false)
                .verbs(&["create"])
                .schema(schema_of::<authentication::SelfSubjectReview>),
            "selfsubjectreviews",
            Arc::new(SelfSubjectReviewStrategy),
        ),
        entry(
            ResourceDef::new("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", false)
                .verbs(&["create"])
                .schema(schema_of::<authentication::TokenReview>),
            "tokenreviews",
            Arc::new(TokenReviewStrategy { tokens: config.service_account_tokens.clone() }),
        ),
    ]
    .into_iter()
    .chain(access_review_entries())
    .collect()
}

/// The authorization.k8s.io access reviews.
fn access_review_entries() -> Vec<Entry> {
    use k8s_openapi::api::authorization::v1 as authorization;
    let review = |kind: &str, plural: &'static str, namespaced: bool, schema: apiserver::resource::SchemaFn, which| {
        entry(
            ResourceDef::new("authorization.k8s.io", "v1", kind, plural, namespaced).verbs(&["create"]).schema(schema),
            plural,
            Arc::new(AccessReviewStrategy(which)),
        )
    };
    vec![
        review(
            "LocalSubjectAccessReview",
            "localsubjectaccessreviews",
            true,
            schema_of::<authorization::LocalSubjectAccessReview>,
            AccessReview::LocalSubject,
        ),
        review(
            "SelfSubjectAccessReview",
            "selfsubjectaccessreviews",
            false,
            schema_of::<authorization::SelfSubjectAccessReview>,
            AccessReview::SelfSubject,
        ),
        review(
            "SelfSubjectRulesReview",
            "selfsubjectrulesreviews",
            false,
            schema_of::<authorization::SelfSubjectRulesReview>,
            AccessReview::SelfSubjectRules,
        ),
        review(
            "SubjectAccessReview",
            "subjectaccessreviews",
            false,
            schema_of::<authorization::SubjectAccessReview>,
            AccessReview::Subject,
        ),
    ]
}
