//! `/openapi/v2` as protobuf: the Swagger 2.0 document encoded as gnostic's
//! `openapi.v2.Document`, which is what kubectl asks for when it validates a
//! manifest whose kind the v3 documents cannot vouch for (create-only kinds
//! such as SubjectAccessReview). Only the definitions are encoded; kubectl
//! reads nothing else.

use serde_json::{Map, Value};

/// The media type kubectl asks for (the deprecated `@v1.0` spelling, which
/// Go's MIME parser cannot read in a response).
pub const ACCEPTED: [&str; 2] =
    ["com.github.proto-openapi.spec.v2@v1.0+protobuf", "com.github.proto-openapi.spec.v2.v1.0+protobuf"];

/// The Content-Type of the answer, as upstream writes it.
pub const CONTENT_TYPE: &str = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

/// A protobuf message being written.
#[derive(Default)]
struct Message(Vec<u8>);

impl Message {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.0.push((value as u8) | 0x80);
            value >>= 7;
        }
        self.0.push(value as u8);
    }

    fn tag(&mut self, field: u32, wire_type: u8) {
        self.varint(u64::from(field << 3 | u32::from(wire_type)));
    }

    fn bytes(&mut self, field: u32, bytes: &[u8]) {
        self.tag(field, 2);
        self.varint(bytes.len() as u64);
        self.0.extend_from_slice(bytes);
    }

    fn string(&mut self, field: u32, text: &str) {
        if !text.is_empty() {
            self.bytes(field, text.as_bytes());
        }
    }

    fn message(&mut self, field: u32, message: Message) {
        self.bytes(field, &message.0);
    }

    fn int(&mut self, field: u32, value: i64) {
        self.tag(field, 0);
        self.varint(value as u64);
    }

    fn boolean(&mut self, field: u32, value: bool) {
        if value {
            self.int(field, 1);
        }
    }

    fn double(&mut self, field: u32, value: f64) {
        self.tag(field, 1);
        self.0.extend_from_slice(&value.to_le_bytes());
    }
}

/// gnostic's `Any`: a value kept as its YAML text.
fn any(value: &Value) -> Message {
    let mut any = Message::default();
    any.string(2, serde_yaml::to_string(value).unwrap_or_default().trim_end());
    any
}

/// A `NamedSchema` or `NamedAny` pair.
fn named(name: &str, value: Message) -> Message {
    let mut pair = Message::default();
    pair.string(1, name);
    pair.message(2, value);
    pair
}

fn schema(json: &Map<String, Value>) -> Message {
    let mut out = Message::default();
    let text = |key: &str| json.get(key).and_then(Value::as_str).unwrap_or_default();
    out.string(1, text("$ref"));
    out.string(2, text("format"));
    out.string(3, text("title"));
    out.string(4, text("description"));
    if let Some(default) = json.get("default") {
        out.message(5, any(default));
    }
    for (key, field) in [("multipleOf", 6), ("maximum", 7), ("minimum", 9)] {
        if let Some(n) = json.get(key).and_then(Value::as_f64) {
            out.double(field, n);
        }
    }
    for (key, field) in [("exclusiveMaximum", 8), ("exclusiveMinimum", 10), ("uniqueItems", 16), ("readOnly", 27)] {
        out.boolean(field, json.get(key).and_then(Value::as_bool).unwrap_or(false));
    }
    for (key, field) in [
        ("maxLength", 11),
        ("minLength", 12),
        ("maxItems", 14),
        ("minItems", 15),
        ("maxProperties", 17),
        ("minProperties", 18),
    ] {
        if let Some(n) = json.get(key).and_then(Value::as_i64) {
            out.int(field, n);
        }
    }
    out.string(13, text("pattern"));
    for required in json.get("required").and_then(Value::as_array).into_iter().flatten() {
        out.bytes(19, required.as_str().unwrap_or_default().as_bytes());
    }
    for value in json.get("enum").and_then(Value::as_array).into_iter().flatten() {
        out.message(20, any(value));
    }
    match json.get("additionalProperties") {
        Some(Value::Object(inner)) => {
            let mut item = Message::default();
            item.message(1, schema(inner));
            out.message(21, item);
        }
        Some(Value::Bool(allowed)) => {
            let mut item = Message::default();
            item.tag(2, 0);
            item.varint(u64::from(*allowed));
            out.message(21, item);
        }
        _ => {}
    }
    let types: Vec<&str> = match json.get("type") {
        Some(Value::String(kind)) => vec![kind.as_str()],
        Some(Value::Array(kinds)) => kinds.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !types.is_empty() {
        let mut item = Message::default();
        for kind in types {
            item.bytes(1, kind.as_bytes());
        }
        out.message(22, item);
    }
    let items: Vec<&Map<String, Value>> = match json.get("items") {
        Some(Value::Object(one)) => vec![one],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    };
    if !items.is_empty() {
        let mut item = Message::default();
        for inner in items {
            item.message(1, schema(inner));
        }
        out.message(23, item);
    }
    for inner in json.get("allOf").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object) {
        out.message(24, schema(inner));
    }
    if let Some(properties) = json.get("properties").and_then(Value::as_object) {
        let mut all = Message::default();
        for (name, inner) in properties {
            if let Some(inner) = inner.as_object() {
                all.message(1, named(name, schema(inner)));
            }
        }
        out.message(25, all);
    }
    out.string(26, text("discriminator"));
    if let Some(example) = json.get("example") {
        out.message(30, any(example));
    }
    for (key, value) in json.iter().filter(|(k, _)| k.starts_with("x-")) {
        out.message(31, named(key, any(value)));
    }
    out
}

/// The Swagger 2.0 document (as `openapi::swagger` builds it) encoded as
/// gnostic's `openapi.v2.Document`.
pub fn encode(swagger: &Value) -> Vec<u8> {
    let mut document = Message::default();
    document.string(1, swagger["swagger"].as_str().unwrap_or("2.0"));
    let mut info = Message::default();
    info.string(1, swagger["info"]["title"].as_str().unwrap_or_default());
    info.string(2, swagger["info"]["version"].as_str().unwrap_or_default());
    document.message(2, info);
    document.message(8, Message::default());
    let mut definitions = Message::default();
    for (name, definition) in swagger["definitions"].as_object().into_iter().flatten() {
        if let Some(definition) = definition.as_object() {
            definitions.message(1, named(name, schema(definition)));
        }
    }
    document.message(9, definitions);
    document.0
}
