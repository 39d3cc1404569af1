//! Upstream's RequestInfo: what a request path and method mean — a
//! resource request (group, version, namespace, resource, name,
//! subresource, verb) or a non-resource path such as `/healthz`.

use http::Method;

/// The parsed meaning of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestInfo {
    /// True for `/api/...` and `/apis/...` paths naming a resource.
    pub is_resource_request: bool,
    /// The request path.
    pub path: String,
    /// `api` or `apis`, empty for other paths.
    pub api_prefix: String,
    /// The API group (empty for core).
    pub api_group: String,
    /// The API version.
    pub api_version: String,
    /// The namespace, if the path has one.
    pub namespace: String,
    /// The resource's plural name.
    pub resource: String,
    /// The subresource, e.g. `status`.
    pub subresource: String,
    /// The object's name.
    pub name: String,
    /// get, list, watch, create, update, patch, delete, deletecollection;
    /// for non-resource paths the lowercased HTTP method.
    pub verb: String,
}

/// Subresources of namespaces that are not namespaced resources.
const NAMESPACE_SUBRESOURCES: [&str; 2] = ["status", "finalize"];

impl RequestInfo {
    /// Parses a path and method, with `watch=true` from the query.
    pub fn parse(method: &Method, path: &str, query_watch: bool) -> RequestInfo {
        let mut info =
            RequestInfo { path: path.to_string(), verb: method.as_str().to_lowercase(), ..Default::default() };
        let parts: Vec<&str> = path.trim_matches('/').split('/').filter(|p| !p.is_empty()).collect();
        let (prefix, rest) = match parts.split_first() {
            Some((prefix @ (&"api" | &"apis"), rest)) => (*prefix, rest),
            _ => return info,
        };
        info.api_prefix = prefix.to_string();
        let rest = if prefix == "apis" {
            match rest.split_first() {
                Some((group, rest)) => {
                    info.api_group = group.to_string();
                    rest
                }
                None => return info,
            }
        } else {
            rest
        };
        let Some((version, mut rest)) = rest.split_first() else { return info };
        info.api_version = version.to_string();
        if rest.is_empty() {
            return info;
        }
        info.is_resource_request = true;
        let mut watch_path = false;
        if rest[0] == "watch" {
            watch_path = true;
            rest = &rest[1..];
        }
        if rest.first() == Some(&"namespaces")
            && let Some(namespace) = rest.get(1)
        {
            info.namespace = namespace.to_string();
            if rest.len() > 2 && !NAMESPACE_SUBRESOURCES.contains(&rest[2]) {
                rest = &rest[2..];
            } else {
                info.resource = "namespaces".into();
                info.name = namespace.to_string();
                info.namespace = String::new();
                info.subresource = rest.get(2).map(|s| s.to_string()).unwrap_or_default();
                info.verb = verb(method, &info.name, watch_path || query_watch);
                return info;
            }
        }
        info.resource = rest.first().map(|s| s.to_string()).unwrap_or_default();
        info.name = rest.get(1).map(|s| s.to_string()).unwrap_or_default();
        info.subresource = rest.get(2).map(|s| s.to_string()).unwrap_or_default();
        if rest.len() > 3 {
            info.is_resource_request = false;
        }
        info.verb = verb(method, &info.name, watch_path || query_watch);
        info
    }
}

fn verb(method: &Method, name: &str, watch: bool) -> String {
    match *method {
        Method::GET | Method::HEAD if watch => "watch",
        Method::GET | Method::HEAD if name.is_empty() => "list",
        Method::GET | Method::HEAD => "get",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if name.is_empty() => "deletecollection",
        Method::DELETE => "delete",
        _ => return method.as_str().to_lowercase(),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: Method, path: &str) -> RequestInfo {
        RequestInfo::parse(&method, path, false)
    }

    #[test]
    fn resource_paths() {
        let i = parse(Method::GET, "/api/v1/namespaces/default/pods/web/status");
        assert_eq!(
            (
                i.api_group.as_str(),
                i.namespace.as_str(),
                i.resource.as_str(),
                i.name.as_str(),
                i.subresource.as_str(),
                i.verb.as_str()
            ),
            ("", "default", "pods", "web", "status", "get")
        );
        let i = parse(Method::GET, "/apis/apps/v1/deployments");
        assert_eq!((i.api_group.as_str(), i.resource.as_str(), i.verb.as_str()), ("apps", "deployments", "list"));
        let i = parse(Method::GET, "/api/v1/watch/namespaces/default/pods");
        assert_eq!((i.namespace.as_str(), i.resource.as_str(), i.verb.as_str()), ("default", "pods", "watch"));
        let i = parse(Method::DELETE, "/api/v1/namespaces/default/configmaps");
        assert_eq!(i.verb, "deletecollection");
    }

    #[test]
    fn namespaces_and_non_resource_paths() {
        let i = parse(Method::PUT, "/api/v1/namespaces/kube-system/finalize");
        assert_eq!(
            (i.resource.as_str(), i.name.as_str(), i.subresource.as_str()),
            ("namespaces", "kube-system", "finalize")
        );
        let i = parse(Method::GET, "/api/v1/namespaces/kube-system");
        assert_eq!((i.resource.as_str(), i.name.as_str(), i.namespace.as_str()), ("namespaces", "kube-system", ""));
        assert!(!parse(Method::GET, "/apis/apps/v1").is_resource_request);
        assert!(!parse(Method::GET, "/healthz").is_resource_request);
    }
}
