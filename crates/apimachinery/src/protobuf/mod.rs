//! Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`,
//! the `k8s\0` envelope around a runtime.Unknown) decoded into the JSON the
//! rest of the server works with. kubectl sends its `create configmap`,
//! `create deployment` and similar bodies this way.
//!
//! The field numbers and JSON names of every built-in message live in
//! `schema.txt`, derived by `scripts/derive-protobuf-schema.py`.

mod schema;
mod wire;

use serde_json::{Map, Value, json};

use self::schema::{FieldType, Scalar, Schema};
use self::wire::{Reader, WireValue};

/// The four bytes every Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// Why a protobuf body could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ProtobufError(pub String);

/// Decodes an enveloped object into JSON, with `apiVersion` and `kind` set
/// from the envelope.
pub fn decode(body: &[u8]) -> Result<Value, ProtobufError> {
    let raw = body
        .strip_prefix(MAGIC)
        .ok_or_else(|| ProtobufError("the body does not start with the k8s protobuf magic".into()))?;
    let schema = Schema::get();
    let mut api_version = String::new();
    let mut kind = String::new();
    let mut payload: &[u8] = &[];
    let mut reader = Reader::new(raw);
    while let Some((field, value)) = reader.next_field()? {
        match (field, value) {
            (1, WireValue::Bytes(type_meta)) => {
                let mut meta = Reader::new(type_meta);
                while let Some((f, v)) = meta.next_field()? {
                    match (f, v) {
                        (1, WireValue::Bytes(b)) => api_version = utf8(b)?,
                        (2, WireValue::Bytes(b)) => kind = utf8(b)?,
                        _ => {}
                    }
                }
            }
            (2, WireValue::Bytes(bytes)) => payload = bytes,
            _ => {}
        }
    }
    let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
    let message = schema
        .message_for_kind(group, version, &kind)
        .ok_or_else(|| ProtobufError(format!("no protobuf schema for {api_version}, Kind={kind}")))?;
    let mut object = Map::new();
    object.insert("apiVersion".into(), json!(api_version));
    object.insert("kind".into(), json!(kind));
    if let Value::Object(fields) = decode_message(schema, message, payload, 0)? {
        object.extend(fields);
    }
    Ok(Value::Object(object))
}

fn utf8(bytes: &[u8]) -> Result<String, ProtobufError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ProtobufError("invalid UTF-8 in a string field".into()))
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Messages whose JSON form is not an object of their fields.
fn special(message: &str, bytes: &[u8]) -> Result<Option<Value>, ProtobufError> {
    let name = message.rsplit('.').next().unwrap_or_default();
    let package = &message[..message.len() - name.len()];
    let fields = || -> Result<Vec<(u32, WireValue<'_>)>, ProtobufError> {
        let mut reader = Reader::new(bytes);
        let mut out = Vec::new();
        while let Some(field) = reader.next_field()? {
            out.push(field);
        }
        Ok(out)
    };
    let int = |fields: &[(u32, WireValue<'_>)], n: u32| {
        fields.iter().rev().find_map(|(f, v)| (*f == n).then(|| v.as_i64()).flatten())
    };
    let text = |fields: &[(u32, WireValue<'_>)], n: u32| -> Result<Option<String>, ProtobufError> {
        fields
            .iter()
            .rev()
            .find_map(|(f, v)| match v {
                WireValue::Bytes(b) if *f == n => Some(utf8(b)),
                _ => None,
            })
            .transpose()
    };
    let value = match (package, name) {
        ("apimachinery.pkg.apis.meta.v1.", "Time") => {
            let fields = fields()?;
            Some(timestamp(int(&fields, 1).unwrap_or(0), None))
        }
        ("apimachinery.pkg.apis.meta.v1.", "MicroTime") => {
            let fields = fields()?;
            Some(timestamp(int(&fields, 1).unwrap_or(0), Some(int(&fields, 2).unwrap_or(0))))
        }
        ("apimachinery.pkg.api.resource.", "Quantity" | "QuantityValue") => {
            Some(json!(text(&fields()?, 1)?.unwrap_or_default()))
        }
        ("apimachinery.pkg.util.intstr.", "IntOrString") => {
            let fields = fields()?;
            Some(match int(&fields, 1).unwrap_or(0) {
                1 => json!(text(&fields, 3)?.unwrap_or_default()),
                _ => json!(int(&fields, 2).unwrap_or(0) as i32),
            })
        }
        ("apimachinery.pkg.apis.meta.v1.", "Duration") => Some(json!(go_duration(int(&fields()?, 1).unwrap_or(0)))),
        ("apimachinery.pkg.runtime.", "RawExtension")
        | ("apimachinery.pkg.apis.meta.v1.", "FieldsV1")
        | (_, "JSON") => {
            let fields = fields()?;
            let raw = fields.iter().rev().find_map(|(f, v)| match v {
                WireValue::Bytes(b) if *f == 1 => Some(*b),
                _ => None,
            });
            match raw {
                Some(raw) if !raw.is_empty() => Some(
                    serde_json::from_slice(raw)
                        .map_err(|e| ProtobufError(format!("embedded JSON in {message}: {e}")))?,
                ),
                _ => Some(Value::Null),
            }
        }
        _ => None,
    };
    Ok(value)
}

fn timestamp(seconds: i64, nanos: Option<i64>) -> Value {
    if seconds <= 0 {
        return Value::Null;
    }
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds as u64);
    match nanos {
        None => json!(humantime::format_rfc3339_seconds(time).to_string()),
        Some(nanos) => {
            let base = humantime::format_rfc3339_seconds(time).to_string();
            json!(format!("{}.{:06}Z", base.trim_end_matches('Z'), nanos / 1000))
        }
    }
}

/// Go's time.Duration String() form, e.g. `1h0m0s`, `1.5s`.
fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let total = nanos.unsigned_abs();
    let (hours, rest) = (total / 3_600_000_000_000, total % 3_600_000_000_000);
    let (minutes, rest) = (rest / 60_000_000_000, rest % 60_000_000_000);
    let seconds = rest as f64 / 1e9;
    let seconds = format!("{seconds}");
    match (hours, minutes) {
        (0, 0) => format!("{sign}{seconds}s"),
        (0, m) => format!("{sign}{m}m{seconds}s"),
        (h, m) => format!("{sign}{h}h{m}m{seconds}s"),
    }
}

/// Fields that are pointers in upstream's Go types, where an explicit zero
/// or `false` means something. Every other scalar field is a plain value that
/// Go writes to the wire even when unset and omits from JSON when zero, so
/// zeros and `false` are dropped for them.
const POINTER_FIELDS: &[&str] = &[
    "activeDeadlineSeconds",
    "allocateLoadBalancerNodePorts",
    "allowPrivilegeEscalation",
    "automountServiceAccountToken",
    "backoffLimit",
    "completions",
    "defaultMode",
    "enableServiceLinks",
    "expirationSeconds",
    "failedJobsHistoryLimit",
    "fsGroup",
    "hostUsers",
    "mode",
    "optional",
    "parallelism",
    "privileged",
    "progressDeadlineSeconds",
    "readOnlyRootFilesystem",
    "replicas",
    "revisionHistoryLimit",
    "runAsGroup",
    "runAsNonRoot",
    "runAsUser",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "startingDeadlineSeconds",
    "successfulJobsHistoryLimit",
    "suspend",
    "terminationGracePeriodSeconds",
    "ttlSecondsAfterFinished",
];

/// True for values Go would leave out of JSON for a plain (non-pointer)
/// field.
fn is_unset_plain_value(json_name: &str, value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Bool(false) => !POINTER_FIELDS.contains(&json_name),
        Value::Number(n) => n.as_f64() == Some(0.0) && !POINTER_FIELDS.contains(&json_name),
        _ => false,
    }
}

/// How deep messages may nest; deeper bodies are refused rather than
/// allowed to exhaust the stack (JSON decoding has the same kind of limit).
const MAX_DEPTH: usize = 100;

fn decode_message(schema: &Schema, message: &str, bytes: &[u8], depth: usize) -> Result<Value, ProtobufError> {
    if depth > MAX_DEPTH {
        return Err(ProtobufError(format!("the object nests more than {MAX_DEPTH} levels deep")));
    }
    if let Some(value) = special(message, bytes)? {
        return Ok(value);
    }
    let fields = schema.fields(message).ok_or_else(|| ProtobufError(format!("no protobuf schema for {message}")))?;
    let mut object = Map::new();
    let mut reader = Reader::new(bytes);
    while let Some((number, value)) = reader.next_field()? {
        let Some(field) = fields.get(&number) else { continue };
        match &field.field_type {
            FieldType::List(item) => {
                let entry = object.entry(field.json_name).or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(items) = entry {
                    match (item.as_ref(), &value) {
                        (FieldType::Scalar(scalar), WireValue::Bytes(packed)) if scalar.is_numeric() => {
                            let mut packed_reader = Reader::new(packed);
                            while let Some(v) = packed_reader.next_varint()? {
                                items.push(scalar.decode_varint(v));
                            }
                        }
                        _ => items.push(decode_value(schema, item, value, depth)?),
                    }
                }
            }
            FieldType::Map(value_type) => {
                let WireValue::Bytes(entry) = value else { continue };
                let (mut key, mut val) = (String::new(), Value::Null);
                let mut entry_reader = Reader::new(entry);
                while let Some((f, v)) = entry_reader.next_field()? {
                    match (f, v) {
                        (1, WireValue::Bytes(b)) => key = utf8(b)?,
                        (2, v) => val = decode_value(schema, value_type, v, depth)?,
                        _ => {}
                    }
                }
                if val.is_null() {
                    val = empty_value(value_type);
                }
                let map = object.entry(field.json_name).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(map) = map {
                    map.insert(key, val);
                }
            }
            field_type => {
                let decoded = decode_value(schema, field_type, value, depth)?;
                if field.json_name == "-" {
                    if let Value::Object(inline) = decoded {
                        object.extend(inline);
                    }
                } else if !is_unset_plain_value(field.json_name, &decoded) {
                    object.insert(field.json_name.to_string(), decoded);
                }
            }
        }
    }
    Ok(Value::Object(object))
}

fn empty_value(field_type: &FieldType) -> Value {
    match field_type {
        FieldType::Scalar(Scalar::String | Scalar::Bytes) => json!(""),
        _ => Value::Null,
    }
}

fn decode_value(
    schema: &Schema,
    field_type: &FieldType,
    value: WireValue<'_>,
    depth: usize,
) -> Result<Value, ProtobufError> {
    Ok(match (field_type, value) {
        (FieldType::Scalar(Scalar::String), WireValue::Bytes(b)) => json!(utf8(b)?),
        (FieldType::Scalar(Scalar::Bytes), WireValue::Bytes(b)) => json!(base64(b)),
        (FieldType::Scalar(Scalar::Double), WireValue::Fixed64(bits)) => json!(f64::from_bits(bits)),
        (FieldType::Scalar(scalar), WireValue::Varint(v)) => scalar.decode_varint(v),
        (FieldType::Message(message), WireValue::Bytes(b)) => decode_message(schema, message, b, depth + 1)?,
        (_, other) => return Err(ProtobufError(format!("unexpected wire value {other:?} for {field_type:?}"))),
    })
}

#[cfg(test)]
mod tests;
