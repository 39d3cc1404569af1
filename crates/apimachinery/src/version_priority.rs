//! Upstream's kube-aware version ordering (`CompareKubeAwareVersionStrings`):
//! how the versions of a group are ranked for discovery and the preferred
//! version. GA versions come first (higher major first), then betas, then
//! alphas (each by major, then by the number after the stage, higher
//! first), then every version that does not look like a Kubernetes version,
//! alphabetically.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Alpha,
    Beta,
    Ga,
}

/// A version such as `v2beta1`: major, stage and the stage's number.
fn parse(version: &str) -> Option<(u64, Stage, u64)> {
    let rest = version.strip_prefix('v')?;
    let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
    let (major, rest) = rest.split_at(digits);
    if major.is_empty() || major.starts_with('0') {
        return None;
    }
    let major = major.parse().ok()?;
    if rest.is_empty() {
        return Some((major, Stage::Ga, 0));
    }
    let (stage, number) = if let Some(n) = rest.strip_prefix("alpha") {
        (Stage::Alpha, n)
    } else if let Some(n) = rest.strip_prefix("beta") {
        (Stage::Beta, n)
    } else {
        return None;
    };
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.starts_with('0') {
        return None;
    }
    Some((major, stage, number.parse().ok()?))
}

/// Orders two versions, the one to prefer first.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (parse(a), parse(b)) {
        (Some((major_a, stage_a, n_a)), Some((major_b, stage_b, n_b))) => {
            stage_b.cmp(&stage_a).then(major_b.cmp(&major_a)).then(n_b.cmp(&n_a))
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sorts_as_upstream_documents() {
        let mut versions = vec![
            "foo1",
            "v1beta2",
            "v11alpha2",
            "v1",
            "v12alpha1",
            "foo10",
            "v10",
            "v2",
            "v10beta3",
            "v11beta2",
            "v3beta1",
        ];
        versions.sort_by(|a, b| super::compare(a, b));
        assert_eq!(
            versions,
            [
                "v10",
                "v2",
                "v1",
                "v11beta2",
                "v10beta3",
                "v3beta1",
                "v1beta2",
                "v12alpha1",
                "v11alpha2",
                "foo1",
                "foo10"
            ]
        );
    }
}
