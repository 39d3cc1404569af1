//! Content negotiation: which representation a client asked for (JSON,
//! YAML, a Table, PartialObjectMetadata, aggregated discovery) and how a
//! request body is encoded.

use apimachinery::ApiError;
use serde_json::Value;

use crate::registry::table::IncludeObject;

/// A response representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// application/json.
    Json,
    /// application/yaml.
    Yaml,
    /// meta.k8s.io/v1 Table (`as=Table`).
    Table(IncludeObject),
    /// meta.k8s.io/v1 PartialObjectMetadata(List).
    PartialMetadata,
    /// apidiscovery.k8s.io/v2 APIGroupDiscoveryList.
    AggregatedDiscovery,
}

struct MediaRange<'a> {
    essence: &'a str,
    params: Vec<(&'a str, &'a str)>,
}

impl<'a> MediaRange<'a> {
    fn parse(range: &'a str) -> Self {
        let mut parts = range.split(';').map(str::trim);
        let essence = parts.next().unwrap_or_default();
        let params = parts.filter_map(|p| p.split_once('=')).map(|(k, v)| (k.trim(), v.trim())).collect();
        MediaRange { essence, params }
    }

    fn param(&self, name: &str) -> Option<&'a str> {
        self.params.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// The representation for an `Accept` header, for a resource endpoint
/// (`discovery` false) or a discovery endpoint.
pub fn output_for(accept: Option<&str>, include_object: Option<&str>, discovery: bool) -> Result<Output, ApiError> {
    let accept = accept.unwrap_or("").trim();
    if accept.is_empty() {
        return Ok(Output::Json);
    }
    for range in accept.split(',').map(MediaRange::parse) {
        let json_like = matches!(range.essence, "application/json" | "*/*" | "application/*");
        match (range.essence, range.param("as"), range.param("g")) {
            ("application/json", Some("Table"), Some("meta.k8s.io")) if !discovery => {
                return Ok(Output::Table(IncludeObject::parse(include_object)));
            }
            ("application/json", Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io"))
                if !discovery =>
            {
                return Ok(Output::PartialMetadata);
            }
            ("application/json", Some("APIGroupDiscoveryList"), Some("apidiscovery.k8s.io"))
                if discovery && matches!(range.param("v"), Some("v2")) =>
            {
                return Ok(Output::AggregatedDiscovery);
            }
            (_, Some(_), _) => continue,
            _ if json_like => return Ok(Output::Json),
            ("application/yaml", _, _) => return Ok(Output::Yaml),
            _ => continue,
        }
    }
    Err(ApiError::not_acceptable(&["application/json", "application/yaml"]))
}

/// How a request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    /// JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Decodes an object body by its Content-Type.
pub fn decode_body(content_type: Option<&str>, body: &[u8]) -> Result<Value, ApiError> {
    let essence = content_type.map(|c| MediaRange::parse(c).essence).unwrap_or("application/json");
    let format = match essence {
        "application/json" | "" | "*/*" => BodyFormat::Json,
        "application/yaml" | "application/x-yaml" | "text/yaml" => BodyFormat::Yaml,
        "application/vnd.kubernetes.protobuf" => {
            return apimachinery::protobuf::decode(body)
                .map_err(|e| ApiError::bad_request(format!("error decoding protobuf: {e}")));
        }
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    decode_as(format, body)
}

/// Decodes a body known to be JSON or YAML.
pub fn decode_as(format: BodyFormat, body: &[u8]) -> Result<Value, ApiError> {
    match format {
        BodyFormat::Json => {
            serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("error decoding JSON: {e}")))
        }
        BodyFormat::Yaml => {
            let value: serde_yaml::Value =
                serde_yaml::from_slice(body).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?;
            serde_json::to_value(value).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_get_asks_for_a_table() {
        let accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(output_for(Some(accept), None, false).unwrap(), Output::Table(IncludeObject::Metadata));
        assert_eq!(output_for(Some(accept), None, true).unwrap(), Output::Json);
        let discovery = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(output_for(Some(discovery), None, true).unwrap(), Output::AggregatedDiscovery);
        assert_eq!(output_for(Some("application/yaml"), None, false).unwrap(), Output::Yaml);
        assert!(output_for(Some("application/vnd.kubernetes.protobuf"), None, false).is_err());
    }

    #[test]
    fn bodies_decode_from_json_and_yaml() {
        let yaml =
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  creationTimestamp: null\ndata:\n  a: '1'\n";
        let value = decode_body(Some("application/yaml"), yaml).unwrap();
        assert_eq!(value["metadata"]["name"], "x");
        assert!(decode_body(Some("application/json"), b"{not json").is_err());
        assert!(decode_body(Some("text/plain"), b"{}").is_err());
    }
}
