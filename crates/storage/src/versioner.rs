//! Upstream's Versioner for JSON objects: an object's resourceVersion is the
//! store revision of its last write, written as a decimal string in
//! `metadata.resourceVersion`.
//!
//! Objects are stored without a resourceVersion (the revision is only known
//! once the write commits) and stamped when read. Stamping edits the bytes in
//! place of the one member instead of decoding the object into a tree.

use bytes::Bytes;
use serde::Deserialize;

/// Why a value could not be treated as a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a JSON object: {0}")]
pub struct NotAnObject(pub &'static str);

/// Returns the object with `metadata.resourceVersion` set to `rv`.
pub fn stamp(json: &[u8], rv: u64) -> Result<Bytes, NotAnObject> {
    let value = format!("\"{rv}\"");
    set_metadata_member(json, "resourceVersion", Some(&value))
}

/// Returns the object without `metadata.resourceVersion`, as it is stored.
pub fn strip(json: &[u8]) -> Result<Bytes, NotAnObject> {
    set_metadata_member(json, "resourceVersion", None)
}

/// The metadata fields the storage layer itself needs.
#[derive(Debug, Default, Deserialize)]
pub struct StorageMeta {
    /// metadata.uid, checked by UID preconditions.
    #[serde(default)]
    pub uid: Option<String>,
}

#[derive(Deserialize)]
struct WithMeta {
    #[serde(default)]
    metadata: StorageMeta,
}

/// Reads the metadata fields the storage layer needs.
pub fn storage_meta(json: &[u8]) -> Result<StorageMeta, NotAnObject> {
    serde_json::from_slice::<WithMeta>(json).map(|w| w.metadata).map_err(|_| NotAnObject("invalid JSON"))
}

fn set_metadata_member(json: &[u8], member: &str, value: Option<&str>) -> Result<Bytes, NotAnObject> {
    let top = skip_ws(json, 0);
    if json.get(top) != Some(&b'{') {
        return Err(NotAnObject("expected '{'"));
    }
    let Some(meta) = find_member(json, top, "metadata")? else {
        return Ok(match value {
            Some(v) => splice(
                json,
                top + 1,
                top + 1,
                &[b"\"metadata\":{\"", member.as_bytes(), b"\":", v.as_bytes(), b"}", comma_if_members(json, top)],
            ),
            None => Bytes::copy_from_slice(json),
        });
    };
    if json.get(meta.value_start) != Some(&b'{') {
        return Err(NotAnObject("metadata is not an object"));
    }
    match (find_member(json, meta.value_start, member)?, value) {
        (Some(found), Some(v)) => Ok(splice(json, found.value_start, found.value_end, &[v.as_bytes()])),
        (Some(found), None) => Ok(splice(json, found.remove_start, found.remove_end, &[])),
        (None, Some(v)) => {
            let at = meta.value_start + 1;
            Ok(splice(
                json,
                at,
                at,
                &[b"\"", member.as_bytes(), b"\":", v.as_bytes(), comma_if_members(json, meta.value_start)],
            ))
        }
        (None, None) => Ok(Bytes::copy_from_slice(json)),
    }
}

fn comma_if_members(json: &[u8], object_start: usize) -> &'static [u8] {
    if json.get(skip_ws(json, object_start + 1)) == Some(&b'}') { b"" } else { b"," }
}

fn splice(json: &[u8], start: usize, end: usize, insert: &[&[u8]]) -> Bytes {
    let extra: usize = insert.iter().map(|s| s.len()).sum();
    let mut out = Vec::with_capacity(json.len() - (end - start) + extra);
    out.extend_from_slice(&json[..start]);
    for part in insert {
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&json[end..]);
    Bytes::from(out)
}

/// Where one member of an object sits in the bytes.
struct Member {
    value_start: usize,
    value_end: usize,
    /// The span to cut to remove the member together with one comma.
    remove_start: usize,
    remove_end: usize,
}

fn find_member(json: &[u8], object_start: usize, name: &str) -> Result<Option<Member>, NotAnObject> {
    let mut pos = skip_ws(json, object_start + 1);
    let mut previous_value_end: Option<usize> = None;
    if json.get(pos) == Some(&b'}') {
        return Ok(None);
    }
    loop {
        let key_start = pos;
        if json.get(pos) != Some(&b'"') {
            return Err(NotAnObject("expected a member name"));
        }
        let key_end = skip_string(json, pos)?;
        pos = skip_ws(json, key_end);
        if json.get(pos) != Some(&b':') {
            return Err(NotAnObject("expected ':'"));
        }
        let value_start = skip_ws(json, pos + 1);
        let value_end = skip_value(json, value_start)?;
        pos = skip_ws(json, value_end);
        let is_last = match json.get(pos) {
            Some(b',') => false,
            Some(b'}') => true,
            _ => return Err(NotAnObject("expected ',' or '}'")),
        };
        if &json[key_start + 1..key_end - 1] == name.as_bytes() {
            let (remove_start, remove_end) = match (is_last, previous_value_end) {
                (false, _) => (key_start, skip_ws(json, pos + 1)),
                (true, Some(prev_end)) => (prev_end, value_end),
                (true, None) => (key_start, value_end),
            };
            return Ok(Some(Member { value_start, value_end, remove_start, remove_end }));
        }
        if is_last {
            return Ok(None);
        }
        previous_value_end = Some(value_end);
        pos = skip_ws(json, pos + 1);
    }
}

fn skip_ws(json: &[u8], mut pos: usize) -> usize {
    while json.get(pos).is_some_and(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
        pos += 1;
    }
    pos
}

/// Given the index of an opening quote, returns the index after the closing one.
fn skip_string(json: &[u8], start: usize) -> Result<usize, NotAnObject> {
    let mut pos = start + 1;
    while let Some(&c) = json.get(pos) {
        match c {
            b'\\' => pos += 2,
            b'"' => return Ok(pos + 1),
            _ => pos += 1,
        }
    }
    Err(NotAnObject("unterminated string"))
}

fn skip_value(json: &[u8], start: usize) -> Result<usize, NotAnObject> {
    match json.get(start) {
        Some(b'"') => skip_string(json, start),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut pos = start;
            while let Some(&c) = json.get(pos) {
                match c {
                    b'"' => {
                        pos = skip_string(json, pos)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(pos + 1);
                        }
                    }
                    _ => {}
                }
                pos += 1;
            }
            Err(NotAnObject("unterminated object or array"))
        }
        Some(_) => {
            let mut pos = start;
            while json.get(pos).is_some_and(|c| !matches!(c, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r')) {
                pos += 1;
            }
            Ok(pos)
        }
        None => Err(NotAnObject("unexpected end")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rv_of(json: &[u8]) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(json).unwrap();
        v["metadata"]["resourceVersion"].as_str().map(str::to_string)
    }

    #[test]
    fn stamp_replaces_inserts_and_keeps_everything_else() {
        let cases: &[&[u8]] = &[
            br#"{"kind":"Pod","metadata":{"name":"a","resourceVersion":"3"},"spec":{"x":"}\"{"}}"#,
            br#"{"kind":"Pod","metadata":{"name":"a"}}"#,
            br#"{ "metadata" : { } , "data": [1, {"a": "b"}] }"#,
            br#"{"kind":"Pod"}"#,
            br#"{}"#,
        ];
        for case in cases {
            let stamped = stamp(case, 42).unwrap();
            assert_eq!(rv_of(&stamped).as_deref(), Some("42"), "{}", String::from_utf8_lossy(&stamped));
            let mut original: serde_json::Value = serde_json::from_slice(case).unwrap();
            let mut after: serde_json::Value = serde_json::from_slice(&stamped).unwrap();
            for v in [&mut original, &mut after] {
                if let Some(m) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                    m.remove("resourceVersion");
                }
                if v.get("metadata").is_some_and(|m| m.as_object().is_some_and(|m| m.is_empty())) {
                    v.as_object_mut().unwrap().remove("metadata");
                }
            }
            assert_eq!(original, after);
        }
    }

    #[test]
    fn strip_removes_the_member_wherever_it_is() {
        for case in [
            &br#"{"metadata":{"resourceVersion":"3","name":"a"}}"#[..],
            br#"{"metadata":{"name":"a","resourceVersion":"3"}}"#,
            br#"{"metadata":{"name":"a", "resourceVersion" : "3" , "uid":"u"}}"#,
            br#"{"metadata":{"resourceVersion":"3"}}"#,
        ] {
            let stripped = strip(case).unwrap();
            assert_eq!(rv_of(&stripped), None);
            serde_json::from_slice::<serde_json::Value>(&stripped).unwrap();
        }
    }

    #[test]
    fn non_objects_are_refused() {
        assert!(stamp(b"[1]", 1).is_err());
        assert!(stamp(br#"{"metadata":"#, 1).is_err());
        assert!(stamp(br#"{"metadata":[]}"#, 1).is_err());
    }
}
