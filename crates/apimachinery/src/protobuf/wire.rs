//! The protobuf wire format: tags, varints and length-delimited fields.

use super::ProtobufError;

/// One field value as it appears on the wire.
#[derive(Debug, Clone, Copy)]
pub(super) enum WireValue<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32,
    Bytes(&'a [u8]),
}

impl WireValue<'_> {
    pub(super) fn as_i64(&self) -> Option<i64> {
        match self {
            WireValue::Varint(v) => Some(*v as i64),
            _ => None,
        }
    }
}

/// Reads fields from a message's bytes.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    /// The next varint, or `None` at the end.
    pub(super) fn next_varint(&mut self) -> Result<Option<u64>, ProtobufError> {
        if self.pos >= self.bytes.len() {
            return Ok(None);
        }
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = *self.bytes.get(self.pos).ok_or_else(|| ProtobufError("truncated varint".into()))?;
            self.pos += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(Some(value));
            }
        }
        Err(ProtobufError("varint too long".into()))
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtobufError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|end| *end <= self.bytes.len())
            .ok_or_else(|| ProtobufError("truncated field".into()))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    /// The next field number and value, or `None` at the end.
    pub(super) fn next_field(&mut self) -> Result<Option<(u32, WireValue<'a>)>, ProtobufError> {
        let Some(key) = self.next_varint()? else { return Ok(None) };
        let number = u32::try_from(key >> 3).map_err(|_| ProtobufError("field number out of range".into()))?;
        let value = match key & 7 {
            0 => WireValue::Varint(self.next_varint()?.ok_or_else(|| ProtobufError("truncated varint".into()))?),
            1 => WireValue::Fixed64(u64::from_le_bytes(
                self.take(8)?.try_into().map_err(|_| ProtobufError("bad fixed64".into()))?,
            )),
            2 => {
                let len = self.next_varint()?.ok_or_else(|| ProtobufError("truncated length".into()))?;
                WireValue::Bytes(
                    self.take(usize::try_from(len).map_err(|_| ProtobufError("length out of range".into()))?)?,
                )
            }
            5 => {
                self.take(4)?;
                WireValue::Fixed32
            }
            other => return Err(ProtobufError(format!("unsupported wire type {other}"))),
        };
        Ok(Some((number, value)))
    }
}
