//! A strategy assembled from a kind's parts — its defaults, its
//! validation, the checks an update adds, and its printer — for the many
//! kinds whose behaviour is no more than that.

use apimachinery::field::FieldError;
use apimachinery::validation::NameRule;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Printer, TableConvertor};
use serde_json::Value;

/// Defaults applied before validation (upstream's SetDefaults_*).
pub type Defaults = fn(&mut Value);
/// Field errors of an object.
pub type Validate = fn(&Value) -> Vec<FieldError>;
/// Field errors an update adds (immutable fields), given new and old.
pub type ValidateUpdate = fn(&Value, &Value) -> Vec<FieldError>;
/// The fields field selectors may use, with their values.
pub type SelectableFields = fn(&Value) -> Vec<(String, String)>;

/// A kind's defaults, validation and printer.
pub struct KindStrategy {
    printer: Printer,
    defaults: Defaults,
    validate: Validate,
    validate_update: ValidateUpdate,
    generation: bool,
    name_rule: NameRule,
    fields: SelectableFields,
}

impl KindStrategy {
    /// A kind that prints with `printer` and has no defaults or validation
    /// yet.
    pub fn new(printer: Printer) -> Self {
        KindStrategy {
            printer,
            defaults: |_| {},
            validate: |_| Vec::new(),
            validate_update: |_, _| Vec::new(),
            generation: false,
            name_rule: NameRule::Subdomain,
            fields: |_| Vec::new(),
        }
    }

    /// Sets the defaults.
    pub fn defaults(mut self, defaults: Defaults) -> Self {
        self.defaults = defaults;
        self
    }

    /// Sets the validation of every write.
    pub fn validate(mut self, validate: Validate) -> Self {
        self.validate = validate;
        self
    }

    /// Sets the checks only an update makes.
    pub fn validate_update(mut self, validate_update: ValidateUpdate) -> Self {
        self.validate_update = validate_update;
        self
    }

    /// Sets how names must look (RBAC names are path segments, so
    /// `system:basic-user` is valid).
    pub fn names(mut self, rule: NameRule) -> Self {
        self.name_rule = rule;
        self
    }

    /// Sets the fields field selectors may use beyond the name and
    /// namespace.
    pub fn fields(mut self, fields: SelectableFields) -> Self {
        self.fields = fields;
        self
    }

    /// Counts spec changes in metadata.generation (kinds with a spec and a
    /// status).
    pub fn with_generation(mut self) -> Self {
        self.generation = true;
        self
    }
}

impl Strategy for KindStrategy {
    fn name_rule(&self) -> NameRule {
        self.name_rule
    }

    fn prepare_for_create(&self, object: &mut Value) {
        (self.defaults)(object);
    }

    fn prepare_for_update(&self, new: &mut Value, _old: &Value) {
        (self.defaults)(new);
    }

    fn validate(&self, object: &Value) -> Vec<FieldError> {
        (self.validate)(object)
    }

    fn validate_update(&self, new: &Value, old: &Value) -> Vec<FieldError> {
        let mut errors = (self.validate)(new);
        errors.extend((self.validate_update)(new, old));
        errors
    }

    fn tracks_generation(&self) -> bool {
        self.generation
    }

    fn selectable_fields(&self, object: &Value) -> Vec<(String, String)> {
        (self.fields)(object)
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.printer
    }
}

/// An error for each of `fields` (dotted paths under the object) that an
/// update changed: upstream's "field is immutable".
pub fn immutable(new: &Value, old: &Value, fields: &[&str]) -> Vec<FieldError> {
    fields
        .iter()
        .filter_map(|path| {
            let get = |o: &Value| path.split('.').try_fold(o, |v, k| v.get(k)).cloned().unwrap_or(Value::Null);
            let now = get(new);
            (now != get(old)).then(|| FieldError::invalid(*path, now, "field is immutable"))
        })
        .collect()
}
