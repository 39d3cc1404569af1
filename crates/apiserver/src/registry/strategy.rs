//! Upstream's RESTCreateStrategy / RESTUpdateStrategy / RESTDeleteStrategy:
//! what is particular to one kind. Everything a kind does not override
//! behaves as upstream's defaults do.

use apimachinery::ApiError;
use apimachinery::field::FieldError;
use apimachinery::validation::NameRule;
use async_trait::async_trait;
use serde_json::Value;

use super::store::Context;
use super::table::TableConvertor;
use crate::endpoints::Query;

/// The behaviour of one kind.
#[async_trait]
pub trait Strategy: Send + Sync {
    /// How the object's name must look.
    fn name_rule(&self) -> NameRule {
        NameRule::Subdomain
    }

    /// Normalizes a new object before validation (drop status, set
    /// defaults).
    fn prepare_for_create(&self, _object: &mut Value) {}

    /// Records who asks for a new object, before `prepare_for_create` (a
    /// CertificateSigningRequest's spec.username, uid, groups and extra).
    fn record_requester(&self, _user: &crate::authn::UserInfo, _object: &mut Value) {}

    /// Normalizes an update before validation; `old` is the stored object.
    fn prepare_for_update(&self, _new: &mut Value, _old: &Value) {}

    /// Field errors of a new object, beyond metadata.
    fn validate(&self, _object: &Value) -> Vec<FieldError> {
        Vec::new()
    }

    /// Field errors of an update, beyond metadata; by default the same as
    /// for a new object.
    fn validate_update(&self, new: &Value, _old: &Value) -> Vec<FieldError> {
        self.validate(new)
    }

    /// Fields that field selectors may use beyond `metadata.name` and
    /// `metadata.namespace`, with their values.
    fn selectable_fields(&self, _object: &Value) -> Vec<(String, String)> {
        Vec::new()
    }

    /// The Table columns `kubectl get` prints.
    fn table(&self) -> &dyn TableConvertor {
        &super::table::DefaultTable
    }

    /// For kinds that are never stored (TokenReview, SelfSubjectReview):
    /// the answer to a create. `None` for stored kinds.
    async fn create_without_storage(&self, _ctx: &Context, _object: &Value) -> Option<Result<Value, ApiError>> {
        None
    }

    /// The answer to a create on a subresource of a stored object (such as
    /// serviceaccounts/token), given the parent; `None` if the kind has no
    /// such subresource.
    async fn create_subresource(
        &self,
        _ctx: &Context,
        _subresource: &str,
        _parent: &Value,
        _body: Value,
    ) -> Option<Result<Value, ApiError>> {
        None
    }

    /// Work outside the object that must succeed before it is stored,
    /// such as allocating a Service's cluster IP.
    async fn before_create(&self, _object: &mut Value, _dry_run: bool) -> Result<(), ApiError> {
        Ok(())
    }

    /// Work outside the object that must succeed before an update is
    /// stored, such as allocating node ports when a Service becomes a
    /// NodePort; `old` is the stored object.
    async fn before_update(&self, _new: &mut Value, _old: &Value, _dry_run: bool) -> Result<(), ApiError> {
        Ok(())
    }

    /// Work outside the object after an update is stored, given the object
    /// it replaced, such as releasing the node ports a Service gave up.
    async fn after_update(&self, _new: &Value, _old: &Value) {}

    /// Work outside the object after it is gone, such as releasing a
    /// cluster IP.
    async fn after_delete(&self, _object: &Value) {}

    /// Whether something other than metadata.finalizers holds a deleted
    /// object (a namespace's spec.finalizers).
    fn deletion_blocked(&self, _object: &Value) -> bool {
        false
    }

    /// Changes made to an object when its deletion starts but it has to wait
    /// (a namespace turns Terminating).
    fn prepare_for_delete(&self, _object: &mut Value) {}

    /// For graceful deletion: the grace period to wait, or `None` to delete
    /// at once (upstream: only bound pods wait).
    fn grace_period(&self, _object: &Value, _requested: Option<i64>) -> Option<i64> {
        None
    }

    /// Seconds after its last write that an object expires (events'
    /// --event-ttl); `None` keeps it.
    fn ttl_seconds(&self) -> Option<u64> {
        None
    }

    /// Whether `metadata.generation` counts changes to the object's spec
    /// (starting at 1 on create).
    fn tracks_generation(&self) -> bool {
        false
    }

    /// Whether a delete answers with the deleted object (as pods do) rather
    /// than a Success Status.
    fn return_deleted_object(&self) -> bool {
        false
    }

    /// For subresources that write one part of the object
    /// (pods/ephemeralcontainers, pods/resize): the stored object `current`
    /// with that part taken from `new`, or the errors of that change.
    fn update_part(&self, subresource: &str, _new: &Value, _current: &Value) -> Result<Value, Vec<FieldError>> {
        Err(vec![FieldError::forbidden("", format!("the {subresource} subresource cannot be written"))])
    }

    /// Upstream's connecter subresources (pods/log, exec, attach,
    /// portforward, proxy): the answer for the parent object and the
    /// request's query; `None` for kinds without them.
    async fn connect(
        &self,
        _subresource: &str,
        _parent: &Value,
        _query: &Query,
    ) -> Option<Result<Connected, ApiError>> {
        None
    }

    /// Whether an update without a resourceVersion is accepted.
    fn allow_unconditional_update(&self) -> bool {
        true
    }
}

/// What a connecter subresource answered: a body of its own type (a log is
/// text/plain).
pub struct Connected {
    /// The Content-Type of the body.
    pub content_type: &'static str,
    /// The body.
    pub body: bytes::Bytes,
}

/// The strategy of kinds with no behaviour of their own.
pub struct DefaultStrategy;

impl Strategy for DefaultStrategy {}

/// The strategy of kinds whose only behaviour of their own is their Table.
pub struct PrintedStrategy(pub super::table::Printer);

impl Strategy for PrintedStrategy {
    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
