//! [`Store`], upstream's genericregistry.Store: create, get, list, watch,
//! update, patch and delete of one resource over `storage::Interface`.

use std::sync::{Arc, Mutex};

use apimachinery::field::FieldError;
use apimachinery::meta::ObjectMetaExt;
use apimachinery::validation::validate_object_meta;
use apimachinery::{ApiError, now_rfc3339};
use bytes::Bytes;
use serde_json::{Value, json};
use storage::{
    GetOptions, Interface, ListOptions, Object, ObjectList, Preconditions, StorageError, UpdateResult, WatchOptions,
    WatchStream,
};

use super::errors::storage_error;
use super::strategy::Strategy;
use crate::admission::{AdmissionChain, Attributes, Operation};
use crate::authn::UserInfo;
use crate::resource::ResourceDef;

/// Computes an updated object from the stored one (a PUT body, a patch
/// applied, deletion fields set).
pub type Mutation = Arc<dyn Fn(&Value) -> Result<Value, ApiError> + Send + Sync>;

/// Who is asking, where, and whether to persist.
#[derive(Debug, Clone)]
pub struct Context {
    /// The authenticated user.
    pub user: UserInfo,
    /// The namespace of the request (empty for cluster-scoped).
    pub namespace: String,
    /// dryRun=All: run everything but the write.
    pub dry_run: bool,
}

/// Which part of the object a write addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subresource {
    /// The object itself; its status is kept as stored.
    Main,
    /// `/status`: only the status changes.
    Status,
    /// `/finalize` (namespaces): only spec.finalizers changes.
    Finalize,
    /// `/approval` (CertificateSigningRequests): only status.conditions
    /// changes.
    Approval,
    /// A subresource whose part of the object the strategy's
    /// [`Strategy::update_part`] writes (pods/ephemeralcontainers,
    /// pods/resize).
    Part(String),
}

impl Subresource {
    /// The path segment, empty for the object itself.
    pub fn name(&self) -> &str {
        match self {
            Subresource::Main => "",
            Subresource::Status => "status",
            Subresource::Finalize => "finalize",
            Subresource::Approval => "approval",
            Subresource::Part(name) => name,
        }
    }
}

/// What happens to an object's dependents (upstream's propagationPolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// The object goes at once; the garbage collector removes dependents.
    Background,
    /// The object waits (finalizer `foregroundDeletion`) until its blocking
    /// dependents are gone.
    Foreground,
    /// The object waits (finalizer `orphan`) until its dependents no longer
    /// point at it.
    Orphan,
}

impl Propagation {
    /// The finalizer that holds the object while the policy is carried out.
    pub fn finalizer(self) -> Option<&'static str> {
        match self {
            Propagation::Background => None,
            Propagation::Foreground => Some("foregroundDeletion"),
            Propagation::Orphan => Some("orphan"),
        }
    }
}

/// Options of a delete (metav1.DeleteOptions).
#[derive(Debug, Clone, Default)]
pub struct DeleteOptions {
    /// UID and resourceVersion preconditions.
    pub preconditions: Preconditions,
    /// gracePeriodSeconds.
    pub grace_period_seconds: Option<i64>,
    /// propagationPolicy (unset means Background).
    pub propagation: Option<Propagation>,
    /// dryRun=All.
    pub dry_run: bool,
}

/// What a delete did.
pub enum DeleteOutcome {
    /// The object is gone; its last state.
    Deleted(Value),
    /// The object waits for finalizers or its grace period; its state now.
    Pending(Value),
}

/// The storage of one resource.
pub struct Store {
    /// The resource's registration facts.
    pub def: ResourceDef,
    /// The storage (normally a watch cache in front of the backend).
    pub storage: Arc<dyn Interface>,
    /// The kind's behaviour.
    pub strategy: Arc<dyn Strategy>,
    /// Admission plugins run on every write.
    pub admission: AdmissionChain,
    key_prefix: String,
}

fn decode(data: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(data).map_err(|e| ApiError::internal(format!("stored object is not JSON: {e}")))
}

fn encode(value: &Value) -> Result<Bytes, ApiError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| ApiError::internal(e.to_string()))
}

/// Characters upstream uses for generateName suffixes.
const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn random_suffix() -> String {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    bytes.iter().take(5).map(|b| NAME_ALPHABET[*b as usize % NAME_ALPHABET.len()] as char).collect()
}

/// The parts of an object that a spec change is judged by: all but
/// metadata, status and the type fields.
fn spec_of(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(map) = rest.as_object_mut() {
        for field in ["metadata", "status", "apiVersion", "kind"] {
            map.remove(field);
        }
    }
    rest
}

impl Store {
    /// Storage for `def` under `key_prefix` (e.g. `/registry/pods`).
    pub fn new(
        def: ResourceDef,
        storage: Arc<dyn Interface>,
        key_prefix: &str,
        strategy: Arc<dyn Strategy>,
        admission: AdmissionChain,
    ) -> Self {
        let key_prefix = format!("{}/", key_prefix.trim_end_matches('/'));
        Store { def, storage, strategy, admission, key_prefix }
    }

    /// The storage key of an object.
    pub fn key(&self, namespace: &str, name: &str) -> String {
        if self.def.namespaced {
            format!("{}{namespace}/{name}", self.key_prefix)
        } else {
            format!("{}{name}", self.key_prefix)
        }
    }

    /// The key prefix of a list: one namespace, or all.
    pub fn list_prefix(&self, namespace: &str) -> String {
        if self.def.namespaced && !namespace.is_empty() {
            format!("{}{namespace}/", self.key_prefix)
        } else {
            self.key_prefix.clone()
        }
    }

    fn error(&self, e: StorageError, name: &str) -> ApiError {
        storage_error(e, &self.def.group_resource(), name)
    }

    fn invalid(&self, name: &str, errors: &[FieldError]) -> ApiError {
        ApiError::invalid(&self.def.group, &self.def.kind, name, errors)
    }

    fn check_type(&self, object: &mut Value) -> Result<(), ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request("the body of the request must be a JSON or YAML object"));
        }
        let api_version = self.def.api_version();
        let sent_version = object["apiVersion"].as_str().unwrap_or_default().to_string();
        let sent_kind = object["kind"].as_str().unwrap_or_default().to_string();
        if !sent_kind.is_empty() && sent_kind != self.def.kind {
            return Err(ApiError::bad_request(format!(
                "the kind in the data ({sent_kind}) does not match the expected kind ({})",
                self.def.kind
            )));
        }
        if !sent_version.is_empty() && sent_version != api_version {
            return Err(ApiError::bad_request(format!(
                "the API version in the data ({sent_version}) does not match the expected API version ({api_version})"
            )));
        }
        object["apiVersion"] = json!(api_version);
        object["kind"] = json!(self.def.kind);
        Ok(())
    }

    fn check_namespace(&self, ctx: &Context, object: &mut Value) -> Result<(), ApiError> {
        if !self.def.namespaced {
            object.remove_meta("namespace");
            return Ok(());
        }
        match object.meta_str("namespace") {
            None | Some("") => object.set_meta("namespace", json!(ctx.namespace)),
            Some(ns) if ns != ctx.namespace => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            Some(_) => {}
        }
        Ok(())
    }

    fn validate(&self, object: &Value, old: Option<&Value>) -> Result<(), ApiError> {
        let meta = object.get("metadata").and_then(Value::as_object).cloned().unwrap_or_default();
        let mut errors = validate_object_meta(&meta, self.def.namespaced, self.strategy.name_rule());
        errors.extend(match old {
            Some(old) => self.strategy.validate_update(object, old),
            None => self.strategy.validate(object),
        });
        if errors.is_empty() { Ok(()) } else { Err(self.invalid(object.name(), &errors)) }
    }

    fn attributes<'a>(
        &'a self,
        ctx: &'a Context,
        operation: Operation,
        name: &'a str,
        subresource: &'a str,
    ) -> Attributes<'a> {
        Attributes {
            operation,
            resource: &self.def,
            subresource,
            namespace: &ctx.namespace,
            name,
            user: &ctx.user,
            dry_run: ctx.dry_run,
        }
    }

    /// Creates an object; returns it as stored.
    pub async fn create(&self, ctx: &Context, mut object: Value) -> Result<Value, ApiError> {
        self.check_type(&mut object)?;
        if let Some(answer) = self.strategy.create_without_storage(ctx, &object).await {
            return answer;
        }
        self.check_namespace(ctx, &mut object)?;
        if object.name().is_empty()
            && let Some(prefix) = object.meta_str("generateName").filter(|p| !p.is_empty()).map(str::to_string)
        {
            object.set_meta("name", json!(format!("{prefix}{}", random_suffix())));
        }
        for field in ["resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"] {
            object.remove_meta(field);
        }
        object.set_meta("uid", json!(uuid::Uuid::new_v4().to_string()));
        object.set_meta("creationTimestamp", json!(now_rfc3339()));
        if self.strategy.tracks_generation() {
            object.set_meta("generation", json!(1));
        } else {
            object.remove_meta("generation");
        }
        if self.def.has_subresource("status")
            && let Some(map) = object.as_object_mut()
        {
            map.remove("status");
        }
        self.strategy.record_requester(&ctx.user, &mut object);
        self.strategy.prepare_for_create(&mut object);
        self.validate(&object, None)?;
        let name = object.name().to_string();
        self.admission.admit(&self.attributes(ctx, Operation::Create, &name, ""), Some(&mut object)).await?;
        self.strategy.before_create(&mut object, ctx.dry_run).await?;
        if ctx.dry_run {
            return Ok(object);
        }
        let key = self.key(&ctx.namespace, &name);
        let created = self.storage.create(&key, encode(&object)?, self.strategy.ttl_seconds()).await;
        match created {
            Ok(stored) => decode(&stored.data),
            Err(e) => {
                self.strategy.after_delete(&object).await;
                Err(self.error(e, &name))
            }
        }
    }

    /// Reads one object.
    pub async fn get(&self, ctx: &Context, name: &str, resource_version: Option<u64>) -> Result<Object, ApiError> {
        let opts = GetOptions { resource_version, ignore_not_found: false };
        match self.storage.get(&self.key(&ctx.namespace, name), &opts).await {
            Ok(Some(object)) => Ok(object),
            Ok(None) => Err(ApiError::not_found(&self.def.group_resource(), name)),
            Err(e) => Err(self.error(e, name)),
        }
    }

    /// Lists objects in the context's namespace (or all).
    pub async fn list(&self, ctx: &Context, opts: ListOptions) -> Result<ObjectList, ApiError> {
        let opts = ListOptions { recursive: true, ..opts };
        self.storage.get_list(&self.list_prefix(&ctx.namespace), &opts).await.map_err(|e| self.error(e, ""))
    }

    /// Watches objects in the context's namespace (or all), or one object.
    pub async fn watch(&self, ctx: &Context, name: Option<&str>, opts: WatchOptions) -> Result<WatchStream, ApiError> {
        let (key, recursive) = match name {
            Some(name) => (self.key(&ctx.namespace, name), false),
            None => (self.list_prefix(&ctx.namespace), true),
        };
        self.storage.watch(&key, WatchOptions { recursive, ..opts }).await.map_err(|e| self.error(e, ""))
    }

    /// The new object an update produces from the stored one: the caller's
    /// `mutate` result with system fields kept, status kept or replaced as
    /// the subresource says, generation counted, then validated and
    /// admitted.
    async fn updated_object(
        &self,
        ctx: &Context,
        name: &str,
        current: Value,
        mutate: &(dyn Fn(&Value) -> Result<Value, ApiError> + Send + Sync),
        subresource: &Subresource,
    ) -> Result<Value, ApiError> {
        let mut new = mutate(&current)?;
        self.check_type(&mut new)?;
        self.check_namespace(ctx, &mut new)?;
        if new.name().is_empty() {
            new.set_meta("name", json!(name));
        } else if new.name() != name {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({name})",
                new.name()
            )));
        }
        let current_rv = current.meta_str("resourceVersion").unwrap_or_default().to_string();
        match new.meta_str("resourceVersion") {
            Some(rv) if !rv.is_empty() && rv != current_rv => {
                return Err(ApiError::conflict(
                    &self.def.group_resource(),
                    name,
                    "the object has been modified; please apply your changes to the latest version and try again",
                ));
            }
            Some(rv) if !rv.is_empty() => {}
            _ if !self.strategy.allow_unconditional_update() => {
                return Err(self.invalid(
                    name,
                    &[FieldError::invalid("metadata.resourceVersion", json!(""), "must be specified for an update")],
                ));
            }
            _ => {}
        }
        let managed_fields = new["metadata"].get("managedFields").cloned();
        if *subresource == Subresource::Status {
            let mut status_only = current.clone();
            status_only["status"] = new.get("status").cloned().unwrap_or(Value::Null);
            new = status_only;
        } else if *subresource == Subresource::Approval {
            let mut conditions_only = current.clone();
            conditions_only["status"]["conditions"] =
                new["status"].get("conditions").cloned().unwrap_or_else(|| json!([]));
            new = conditions_only;
        } else if *subresource == Subresource::Finalize {
            let mut finalizers_only = current.clone();
            finalizers_only["spec"]["finalizers"] = new["spec"].get("finalizers").cloned().unwrap_or_else(|| json!([]));
            new = finalizers_only;
        } else if let Subresource::Part(part) = subresource {
            new = self.strategy.update_part(part, &new, &current).map_err(|errors| self.invalid(name, &errors))?;
        } else if self.def.has_subresource("status") {
            if self.def.has_subresource("finalize") {
                match current["spec"].get("finalizers") {
                    Some(finalizers) => new["spec"]["finalizers"] = finalizers.clone(),
                    None => {
                        new.get_mut("spec").and_then(Value::as_object_mut).map(|spec| spec.remove("finalizers"));
                    }
                }
            }
            match current.get("status") {
                Some(status) => new["status"] = status.clone(),
                None => {
                    new.as_object_mut().map(|m| m.remove("status"));
                }
            }
        }
        if let Some(managed_fields) = managed_fields {
            new.set_meta("managedFields", managed_fields);
        }
        for field in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
            match current.get("metadata").and_then(|m| m.get(field)) {
                Some(value) => new.set_meta(field, value.clone()),
                None => {
                    new.remove_meta(field);
                }
            }
        }
        if self.strategy.tracks_generation() && *subresource == Subresource::Main && spec_of(&new) != spec_of(&current)
        {
            let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            new.set_meta("generation", json!(generation));
        }
        if matches!(subresource, Subresource::Part(_)) {
            self.validate(&new, None)?;
        } else {
            self.strategy.prepare_for_update(&mut new, &current);
            self.validate(&new, Some(&current))?;
        }
        let sub = subresource.name();
        self.admission.admit(&self.attributes(ctx, Operation::Update, name, sub), Some(&mut new)).await?;
        self.strategy.before_update(&mut new, &current, ctx.dry_run).await?;
        Ok(new)
    }

    /// Replaces or patches an object: `mutate` computes the new object from
    /// the stored one and may run more than once if writers race.
    pub async fn update(
        self: &Arc<Self>,
        ctx: &Context,
        name: &str,
        mutate: Mutation,
        subresource: Subresource,
    ) -> Result<Value, ApiError> {
        let key = self.key(&ctx.namespace, name);
        if ctx.dry_run {
            let current = decode(&self.get(ctx, name, None).await?.data)?;
            return self.updated_object(ctx, name, current, mutate.as_ref(), &subresource).await;
        }
        let failure: Arc<Mutex<Option<ApiError>>> = Arc::default();
        let replaced: Arc<Mutex<Option<Value>>> = Arc::default();
        let (store, ctx_owned, name_owned, failure_slot, replaced_slot) =
            (self.clone(), ctx.clone(), name.to_string(), failure.clone(), replaced.clone());
        let try_update: storage::UpdateFn = Box::new(move |current: Option<Object>| {
            let (store, ctx, name, mutate, failure, subresource, replaced) = (
                store.clone(),
                ctx_owned.clone(),
                name_owned.clone(),
                mutate.clone(),
                failure_slot.clone(),
                subresource.clone(),
                replaced_slot.clone(),
            );
            Box::pin(async move {
                let reject = |e: ApiError| {
                    *failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                    StorageError::BadRequest("update rejected".into())
                };
                let Some(current) = current else {
                    return Err(StorageError::NotFound { key: name.clone() });
                };
                let current = decode(&current.data).map_err(reject)?;
                *replaced.lock().unwrap_or_else(|p| p.into_inner()) = Some(current.clone());
                let new =
                    store.updated_object(&ctx, &name, current, mutate.as_ref(), &subresource).await.map_err(reject)?;
                Ok(UpdateResult { data: encode(&new).map_err(reject)?, ttl_seconds: store.strategy.ttl_seconds() })
            })
        });
        let result = self.storage.guaranteed_update(&key, &Preconditions::default(), false, try_update).await;
        if let Some(rejection) = failure.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(rejection);
        }
        let updated = decode(&result.map_err(|e| self.error(e, name))?.data)?;
        let old = replaced.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(old) = old {
            self.strategy.after_update(&updated, &old).await;
        }
        if self.should_delete_during_update(&updated) {
            let preconditions = Preconditions {
                uid: None,
                resource_version: updated["metadata"]["resourceVersion"].as_str().and_then(|rv| rv.parse().ok()),
            };
            match self.storage.delete(&key, &preconditions).await {
                Ok(_) | Err(StorageError::NotFound { .. }) => self.strategy.after_delete(&updated).await,
                Err(e) => return Err(self.error(e, name)),
            }
        }
        Ok(updated)
    }

    /// Upstream's ShouldDeleteDuringUpdate: a deleted object whose last
    /// finalizer was just removed goes away.
    fn should_delete_during_update(&self, object: &Value) -> bool {
        let meta = &object["metadata"];
        !meta["deletionTimestamp"].is_null()
            && meta["finalizers"].as_array().is_none_or(Vec::is_empty)
            && meta["deletionGracePeriodSeconds"].as_i64().unwrap_or(0) == 0
            && !self.strategy.deletion_blocked(object)
    }

    /// Deletes an object, or marks it for deletion while finalizers or a
    /// grace period hold it.
    pub async fn delete(
        self: &Arc<Self>,
        ctx: &Context,
        name: &str,
        opts: DeleteOptions,
    ) -> Result<DeleteOutcome, ApiError> {
        let key = self.key(&ctx.namespace, name);
        let stored = self.get(ctx, name, None).await?;
        let current = decode(&stored.data)?;
        if let Some(uid) = &opts.preconditions.uid
            && current.meta_str("uid") != Some(uid.as_str())
        {
            let message = format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                current.meta_str("uid").unwrap_or_default()
            );
            return Err(ApiError::conflict(&self.def.group_resource(), name, &message));
        }
        if let Some(rv) = opts.preconditions.resource_version
            && rv != stored.resource_version
        {
            let message = format!(
                "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                stored.resource_version
            );
            return Err(ApiError::conflict(&self.def.group_resource(), name, &message));
        }
        self.admission.admit(&self.attributes(ctx, Operation::Delete, name, ""), None).await?;
        let policy_finalizer = opts.propagation.and_then(Propagation::finalizer);
        let has_finalizers = current["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty())
            || self.strategy.deletion_blocked(&current)
            || policy_finalizer.is_some();
        let grace = self.strategy.grace_period(&current, opts.grace_period_seconds).filter(|g| *g > 0);
        if has_finalizers || grace.is_some() {
            if !current["metadata"]["deletionTimestamp"].is_null() && policy_finalizer.is_none() {
                return Ok(DeleteOutcome::Pending(current));
            }
            let grace = grace.unwrap_or(0);
            let deletion_time = std::time::SystemTime::now() + std::time::Duration::from_secs(grace as u64);
            let timestamp = apimachinery::format_rfc3339(deletion_time);
            let mut marked = current.clone();
            marked.set_meta("deletionTimestamp", json!(timestamp));
            marked.set_meta("deletionGracePeriodSeconds", json!(grace));
            self.strategy.prepare_for_delete(&mut marked);
            if ctx.dry_run {
                return Ok(DeleteOutcome::Pending(marked));
            }
            let marked = Arc::new(marked);
            let strategy = self.strategy.clone();
            let mark: Mutation = Arc::new(move |cur: &Value| {
                let mut next = cur.clone();
                if next["metadata"]["deletionTimestamp"].is_null() {
                    next.set_meta("deletionTimestamp", marked["metadata"]["deletionTimestamp"].clone());
                    next.set_meta(
                        "deletionGracePeriodSeconds",
                        marked["metadata"]["deletionGracePeriodSeconds"].clone(),
                    );
                }
                if let Some(finalizer) = policy_finalizer {
                    let finalizers = next.metadata_mut().entry("finalizers").or_insert_with(|| json!([]));
                    if let Some(list) = finalizers.as_array_mut()
                        && !list.iter().any(|f| f == finalizer)
                    {
                        list.push(json!(finalizer));
                    }
                }
                strategy.prepare_for_delete(&mut next);
                Ok(next)
            });
            let updated = self.update_marking_deletion(ctx, name, mark).await?;
            return Ok(DeleteOutcome::Pending(updated));
        }
        if ctx.dry_run || opts.dry_run {
            return Ok(DeleteOutcome::Deleted(current));
        }
        let preconditions = Preconditions { uid: None, resource_version: Some(stored.resource_version) };
        let deleted = self.storage.delete(&key, &preconditions).await.map_err(|e| self.error(e, name))?;
        let deleted = decode(&deleted.data)?;
        self.strategy.after_delete(&deleted).await;
        Ok(DeleteOutcome::Deleted(deleted))
    }

    /// Sets the deletion fields, which ordinary updates keep as stored.
    async fn update_marking_deletion(
        self: &Arc<Self>,
        ctx: &Context,
        name: &str,
        mark: Mutation,
    ) -> Result<Value, ApiError> {
        let key = self.key(&ctx.namespace, name);
        let try_update: storage::UpdateFn = Box::new(move |current: Option<Object>| {
            let mark = mark.clone();
            Box::pin(async move {
                let current = current.ok_or_else(|| StorageError::NotFound { key: String::new() })?;
                let value: Value =
                    serde_json::from_slice(&current.data).map_err(|e| StorageError::BadRequest(e.to_string()))?;
                let next = mark(&value).map_err(|e| StorageError::BadRequest(e.message))?;
                let data = serde_json::to_vec(&next).map_err(|e| StorageError::BadRequest(e.to_string()))?;
                Ok(UpdateResult { data: Bytes::from(data), ttl_seconds: None })
            })
        });
        let updated = self.storage.guaranteed_update(&key, &Preconditions::default(), false, try_update).await;
        decode(&updated.map_err(|e| self.error(e, name))?.data)
    }
}
