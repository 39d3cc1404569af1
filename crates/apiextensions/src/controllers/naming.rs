//! Upstream's naming and establishing controllers: a CRD's names are
//! accepted unless another CRD of the same group already uses them (each
//! conflict reported as NamesAccepted=False with its reason), accepted names
//! are recorded in status.acceptedNames, and a CRD whose names are accepted
//! becomes Established.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use apiserver::informer::controller_context;
use apiserver::registry::{Store, Subresource};
use serde_json::{Value, json};

use crate::crd::{self, conditions};

/// Accepts the names of CRDs and establishes them.
pub struct NamingController {
    crds: Arc<Store>,
    known: Mutex<HashMap<String, Value>>,
}

fn name_of(crd: &Value) -> String {
    crd["metadata"]["name"].as_str().unwrap_or_default().to_string()
}

fn strings(value: &Value) -> Vec<String> {
    value.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

/// The names other CRDs of a group hold: resource names (plural, singular,
/// short names) and kinds (kind, listKind).
#[derive(Default)]
struct Taken {
    resources: HashSet<String>,
    kinds: HashSet<String>,
}

/// The accepted names of `crd` given what others hold, and the conflict
/// that kept a name from being accepted (reason, message).
fn accept(crd: &Value, taken: &Taken) -> (Value, Option<(&'static str, String)>) {
    let requested = &crd["spec"]["names"];
    let current = crd::accepted_names(crd);
    let mut accepted = json!({"plural": current["plural"].as_str().unwrap_or_default(), "kind": current["kind"].as_str().unwrap_or_default()});
    for field in ["singular", "shortNames", "listKind"] {
        if !current[field].is_null() {
            accepted[field] = current[field].clone();
        }
    }
    let mut conflict = None;
    let check = |field: &str, reason: &'static str, pool: &HashSet<String>, accepted: &mut Value| {
        let wanted = requested[field].as_str().unwrap_or_default();
        if wanted == current[field].as_str().unwrap_or_default() || !pool.contains(wanted) {
            accepted[field] = json!(wanted);
            None
        } else {
            Some((reason, format!("\"{wanted}\" is already in use")))
        }
    };
    conflict = check("plural", "PluralConflict", &taken.resources, &mut accepted).or(conflict);
    conflict = check("singular", "SingularConflict", &taken.resources, &mut accepted).or(conflict);
    let wanted_short = strings(&requested["shortNames"]);
    let current_short = strings(&current["shortNames"]);
    let short_conflicts: Vec<String> = wanted_short
        .iter()
        .filter(|s| !current_short.contains(s) && taken.resources.contains(*s))
        .map(|s| format!("\"{s}\" is already in use"))
        .collect();
    if short_conflicts.is_empty() {
        if !wanted_short.is_empty() || !current["shortNames"].is_null() {
            accepted["shortNames"] = json!(wanted_short);
        }
    } else {
        let message = if short_conflicts.len() == 1 {
            short_conflicts[0].clone()
        } else {
            format!("[{}]", short_conflicts.join(", "))
        };
        conflict = Some(("ShortNamesConflict", message));
    }
    conflict = check("kind", "KindConflict", &taken.kinds, &mut accepted).or(conflict);
    conflict = check("listKind", "ListKindConflict", &taken.kinds, &mut accepted).or(conflict);
    if !requested["categories"].is_null() {
        accepted["categories"] = requested["categories"].clone();
    }
    (accepted, conflict)
}

/// The status `crd` should have, given the names others hold.
fn desired_status(crd: &Value, taken: &Taken) -> Value {
    let (accepted, conflict) = accept(crd, taken);
    let mut next = crd.clone();
    next["status"]["acceptedNames"] = accepted;
    match &conflict {
        None => conditions::set(&mut next, conditions::NAMES_ACCEPTED, "True", "NoConflicts", "no conflicts found"),
        Some((reason, message)) => conditions::set(&mut next, conditions::NAMES_ACCEPTED, "False", reason, message),
    };
    if conflict.is_none() {
        conditions::set(
            &mut next,
            conditions::ESTABLISHED,
            "True",
            "InitialNamesAccepted",
            "the initial names have been accepted",
        );
    } else if conditions::find(&next, conditions::ESTABLISHED).is_none() {
        conditions::set(&mut next, conditions::ESTABLISHED, "False", "NotAccepted", "not all names are accepted");
    }
    next["status"].clone()
}

impl NamingController {
    /// A controller writing the status of `crds`.
    pub fn new(crds: Arc<Store>) -> Self {
        NamingController { crds, known: Mutex::default() }
    }

    fn taken_by_others(&self, crd: &Value) -> Taken {
        let mut taken = Taken::default();
        let name = name_of(crd);
        let known = self.known.lock().unwrap_or_else(|p| p.into_inner());
        for other in known.values().filter(|o| name_of(o) != name && crd::group(o) == crd::group(crd)) {
            let names = crd::accepted_names(other);
            for field in ["plural", "singular"] {
                taken.resources.extend(names[field].as_str().filter(|s| !s.is_empty()).map(str::to_string));
            }
            taken.resources.extend(strings(&names["shortNames"]));
            for field in ["kind", "listKind"] {
                taken.kinds.extend(names[field].as_str().filter(|s| !s.is_empty()).map(str::to_string));
            }
        }
        taken
    }

    /// Accepts the names of a new or changed CRD.
    pub async fn crd_changed(&self, crd: &Value) {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).insert(name_of(crd), crd.clone());
        if !crd["metadata"]["deletionTimestamp"].is_null() {
            return;
        }
        let taken = Arc::new(self.taken_by_others(crd));
        if desired_status(crd, &taken) == crd["status"] {
            return;
        }
        let ctx = controller_context("crd-naming-controller", "");
        let update = Arc::new(move |current: &Value| {
            let mut next = current.clone();
            next["status"] = desired_status(current, &taken);
            Ok(next)
        });
        if let Err(e) = self.crds.update(&ctx, &name_of(crd), update, Subresource::Status).await
            && e.code != 404
            && e.code != 409
        {
            tracing::warn!(crd = %name_of(crd), error = %e.message, "cannot accept the names of a CRD");
        }
    }

    /// Forgets a deleted CRD, freeing its names.
    pub fn crd_deleted(&self, crd: &Value) {
        self.known.lock().unwrap_or_else(|p| p.into_inner()).remove(&name_of(crd));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crd(plural: &str, kind: &str) -> Value {
        json!({"spec": {"names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind, "listKind": format!("{kind}List")}}})
    }

    #[test]
    fn free_names_are_accepted() {
        let (accepted, conflict) = accept(&crd("foos", "Foo"), &Taken::default());
        assert!(conflict.is_none());
        assert_eq!(accepted["plural"], "foos");
        assert_eq!(accepted["listKind"], "FooList");
    }

    #[test]
    fn a_name_in_use_is_a_conflict() {
        let mut taken = Taken::default();
        taken.kinds.insert("Foo".into());
        let (accepted, conflict) = accept(&crd("foos", "Foo"), &taken);
        assert_eq!(conflict, Some(("KindConflict", "\"Foo\" is already in use".to_string())));
        assert_eq!(accepted["plural"], "foos");
        assert_eq!(accepted["kind"], "");
    }
}
