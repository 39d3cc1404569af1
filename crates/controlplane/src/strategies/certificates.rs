//! CertificateSigningRequests: the requester recorded from the request,
//! upstream's validation of the request, signer and usages, and of the
//! approval conditions; the spec cannot change after creation.

use apimachinery::field::FieldError;
use apiserver::authn::UserInfo;
use apiserver::registry::Strategy;
use apiserver::registry::table::{Printer, TableConvertor};
use base64::Engine;
use serde_json::{Value, json};
use x509_parser::prelude::FromDer;

use super::text;
use crate::printers;

/// The key usages a request may list, as upstream sorts them.
pub const KEY_USAGES: [&str; 23] = [
    "any",
    "cert sign",
    "client auth",
    "code signing",
    "content commitment",
    "crl sign",
    "data encipherment",
    "decipher only",
    "digital signature",
    "email protection",
    "encipher only",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "key agreement",
    "key encipherment",
    "microsoft sgc",
    "netscape sgc",
    "ocsp signing",
    "s/mime",
    "server auth",
    "signing",
    "timestamping",
];

/// The PEM text of a request's spec.request (base64 in JSON).
pub fn request_pem(csr: &Value) -> Option<String> {
    let encoded = csr["spec"]["request"].as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    String::from_utf8(bytes).ok()
}

fn validate_request(csr: &Value) -> Vec<FieldError> {
    let Some(encoded) = csr["spec"]["request"].as_str().filter(|r| !r.is_empty()) else {
        return vec![FieldError::required("spec.request", "")];
    };
    let invalid = |message: &str| vec![FieldError::invalid("spec.request", json!(encoded), message)];
    let Some(pem) = request_pem(csr) else { return invalid("PEM block type must be CERTIFICATE REQUEST") };
    let Some(body) = pem
        .split("-----BEGIN CERTIFICATE REQUEST-----")
        .nth(1)
        .and_then(|rest| rest.split("-----END CERTIFICATE REQUEST-----").next())
    else {
        return invalid("PEM block type must be CERTIFICATE REQUEST");
    };
    let der: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    match base64::engine::general_purpose::STANDARD.decode(der) {
        Ok(der) if x509_parser::certification_request::X509CertificationRequest::from_der(&der).is_ok() => Vec::new(),
        _ => invalid("asn1: structure error: the request is not a valid PKCS#10 certificate request"),
    }
}

fn validate_spec(csr: &Value) -> Vec<FieldError> {
    let spec = &csr["spec"];
    let mut errors = validate_request(csr);
    let signer = text(spec, &["signerName"]);
    if signer.is_empty() {
        errors.push(FieldError::required("spec.signerName", ""));
    } else if !signer.split_once('/').is_some_and(|(domain, name)| {
        !name.is_empty() && domain.contains('.') && apimachinery::validation::dns1123_subdomain(domain).is_empty()
    }) {
        errors.push(FieldError::invalid(
            "spec.signerName",
            json!(signer),
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        ));
    }
    let usages = spec["usages"].as_array().cloned().unwrap_or_default();
    if usages.is_empty() {
        errors.push(FieldError::required("spec.usages", "usages must be provided"));
    }
    for (i, usage) in usages.iter().enumerate() {
        let usage = usage.as_str().unwrap_or_default();
        if !KEY_USAGES.contains(&usage) {
            errors.push(FieldError::not_supported(format!("spec.usages[{i}]"), json!(usage), &KEY_USAGES));
        }
    }
    if let Some(seconds) = spec["expirationSeconds"].as_i64()
        && seconds < 600
    {
        errors.push(FieldError::invalid(
            "spec.expirationSeconds",
            json!(seconds),
            "may not specify a duration less than 600 seconds (10 minutes)",
        ));
    }
    errors
}

fn validate_conditions(csr: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (i, condition) in csr["status"]["conditions"].as_array().into_iter().flatten().enumerate() {
        let kind = condition["type"].as_str().unwrap_or_default();
        let at = format!("status.conditions[{i}]");
        if kind.is_empty() {
            errors.push(FieldError::required(format!("{at}.type"), ""));
            continue;
        }
        if ["Approved", "Denied", "Failed"].contains(&kind) && seen.contains(&kind) {
            errors.push(FieldError::duplicate(format!("{at}.type"), json!(kind)));
        }
        let exclusive =
            (kind == "Approved" && seen.contains(&"Denied")) || (kind == "Denied" && seen.contains(&"Approved"));
        if exclusive {
            errors.push(FieldError::invalid(
                format!("{at}.type"),
                json!(kind),
                "Approved and Denied conditions are mutually exclusive",
            ));
        }
        if ["Approved", "Denied"].contains(&kind) && condition["status"] != "True" {
            errors.push(FieldError::not_supported(format!("{at}.status"), condition["status"].clone(), &["True"]));
        }
        seen.push(kind);
    }
    errors
}

/// CertificateSigningRequests.
pub struct CertificateSigningRequestStrategy(Printer);

impl Default for CertificateSigningRequestStrategy {
    fn default() -> Self {
        CertificateSigningRequestStrategy(printers::certificate_signing_requests())
    }
}

impl Strategy for CertificateSigningRequestStrategy {
    fn name_rule(&self) -> apimachinery::validation::NameRule {
        apimachinery::validation::NameRule::PathSegment
    }

    fn record_requester(&self, user: &UserInfo, csr: &mut Value) {
        let spec = &mut csr["spec"];
        if !spec.is_object() {
            *spec = json!({});
        }
        let Some(spec) = spec.as_object_mut() else { return };
        spec.insert("username".into(), json!(user.username));
        spec.insert("groups".into(), json!(user.groups));
        spec.remove("uid");
        spec.remove("extra");
        if !user.uid.is_empty() {
            spec.insert("uid".into(), json!(user.uid));
        }
        if !user.extra.is_empty() {
            spec.insert("extra".into(), json!(user.extra));
        }
    }

    fn prepare_for_update(&self, new: &mut Value, old: &Value) {
        new["spec"] = old["spec"].clone();
    }

    fn validate(&self, csr: &Value) -> Vec<FieldError> {
        let mut errors = validate_spec(csr);
        errors.extend(validate_conditions(csr));
        errors
    }

    fn validate_update(&self, new: &Value, _old: &Value) -> Vec<FieldError> {
        validate_conditions(new)
    }

    fn selectable_fields(&self, csr: &Value) -> Vec<(String, String)> {
        vec![("spec.signerName".into(), text(csr, &["spec", "signerName"]).to_string())]
    }

    fn table(&self) -> &dyn TableConvertor {
        &self.0
    }
}
