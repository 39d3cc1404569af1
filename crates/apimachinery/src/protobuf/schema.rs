//! The table of built-in protobuf messages (`schema.txt`), parsed once.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Value, json};

const SCHEMA: &str = include_str!("schema.txt");

/// A scalar protobuf type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scalar {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
    Double,
}

impl Scalar {
    pub(super) fn is_numeric(self) -> bool {
        matches!(self, Scalar::Int32 | Scalar::Int64 | Scalar::Bool)
    }

    pub(super) fn decode_varint(self, v: u64) -> Value {
        match self {
            Scalar::Bool => json!(v != 0),
            Scalar::Int32 => json!(v as i64 as i32),
            _ => json!(v as i64),
        }
    }
}

/// A field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum FieldType {
    Scalar(Scalar),
    Message(&'static str),
    List(Box<FieldType>),
    Map(Box<FieldType>),
}

/// One field of a message.
#[derive(Debug, Clone)]
pub(super) struct Field {
    pub(super) json_name: &'static str,
    pub(super) field_type: FieldType,
}

/// Every message and the kinds that are top-level objects.
pub(super) struct Schema {
    messages: HashMap<&'static str, HashMap<u32, Field>>,
    kinds: HashMap<(&'static str, &'static str, &'static str), &'static str>,
}

fn parse_type(text: &'static str) -> FieldType {
    if let Some(rest) = text.strip_prefix("list:") {
        return FieldType::List(Box::new(parse_type(rest)));
    }
    if let Some(rest) = text.strip_prefix("map:") {
        return FieldType::Map(Box::new(parse_type(rest)));
    }
    if let Some(rest) = text.strip_prefix("msg:") {
        return FieldType::Message(rest);
    }
    FieldType::Scalar(match text {
        "bytes" => Scalar::Bytes,
        "bool" => Scalar::Bool,
        "int32" => Scalar::Int32,
        "int64" => Scalar::Int64,
        "double" => Scalar::Double,
        _ => Scalar::String,
    })
}

impl Schema {
    /// The parsed table.
    pub(super) fn get() -> &'static Schema {
        static PARSED: OnceLock<Schema> = OnceLock::new();
        PARSED.get_or_init(|| {
            let mut messages: HashMap<&'static str, HashMap<u32, Field>> = HashMap::new();
            let mut kinds = HashMap::new();
            let mut current = "";
            for line in SCHEMA.lines() {
                let parts: Vec<&'static str> = line.split(' ').collect();
                match parts[..] {
                    ["M", name] => {
                        current = name;
                        messages.entry(name).or_default();
                    }
                    ["F", number, json_name, field_type] => {
                        if let (Ok(number), Some(fields)) = (number.parse(), messages.get_mut(current)) {
                            fields.insert(number, Field { json_name, field_type: parse_type(field_type) });
                        }
                    }
                    ["K", group, version, kind, message] => {
                        kinds.insert((if group == "-" { "" } else { group }, version, kind), message);
                    }
                    _ => {}
                }
            }
            Schema { messages, kinds }
        })
    }

    pub(super) fn fields(&self, message: &str) -> Option<&HashMap<u32, Field>> {
        self.messages.get(message)
    }

    pub(super) fn message_for_kind(&self, group: &str, version: &str, kind: &str) -> Option<&'static str> {
        self.kinds.get(&(group, version, kind)).copied()
    }
}
