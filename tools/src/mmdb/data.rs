//! Data section: takes record values and gives their bytes in the MaxMind DB data format (spec,
//! "Output Data Section Format"), storing each repeated value (a record, a map key, an
//! organisation name) once and pointing at it from later uses.

use std::collections::{BTreeMap, HashMap};

use super::Error;

/// Type numbers (spec, "Output Data Types"). 1-7 fit in the control byte; the rest are
/// "extended" and stored as `number - 7` in the byte after it.
const POINTER: u8 = 1;
const STRING: u8 = 2;
const DOUBLE: u8 = 3;
const UINT16: u8 = 5;
const UINT32: u8 = 6;
const MAP: u8 = 7;
const UINT64: u8 = 9;
const ARRAY: u8 = 11;
const BOOLEAN: u8 = 14;

/// A value in a record or in the metadata. Build maps with [`Value::map`] and scalars with
/// `From`: `Value::map([("autonomous_system_number", Value::from(13335u32))])`.
///
/// One variant per MaxMind DB type the databases we write need; the enum is `non_exhaustive`
/// so more types (int32, uint128, bytes, float) can be added without breaking callers.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Value {
    String(String),
    Bool(bool),
    U16(u16),
    U32(u32),
    U64(u64),
    Double(f64),
    Array(Vec<Value>),
    /// Keys come out sorted, which keeps encodings (and so files) deterministic.
    Map(BTreeMap<String, Value>),
}

impl Value {
    /// A map from `(key, value)` pairs; a repeated key keeps its last value.
    pub fn map<K: Into<String>, V: Into<Value>>(
        entries: impl IntoIterator<Item = (K, V)>,
    ) -> Value {
        Value::Map(
            entries
                .into_iter()
                .map(|(key, value)| (key.into(), value.into()))
                .collect(),
        )
    }

    /// An array of values.
    pub fn array<V: Into<Value>>(items: impl IntoIterator<Item = V>) -> Value {
        Value::Array(items.into_iter().map(Into::into).collect())
    }

    /// Appends the value's encoding with every part written out in full (no pointers): the
    /// form used for the metadata (which must not point into the data section) and as the
    /// identity of a value when deduplicating.
    pub(crate) fn encode_plain(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        match self {
            Value::String(text) => {
                control(out, STRING, text.len())?;
                out.extend_from_slice(text.as_bytes());
            }
            // A boolean's value is its size field; it has no payload.
            Value::Bool(flag) => control(out, BOOLEAN, usize::from(*flag))?,
            Value::U16(number) => unsigned(out, UINT16, u64::from(*number))?,
            Value::U32(number) => unsigned(out, UINT32, u64::from(*number))?,
            Value::U64(number) => unsigned(out, UINT64, *number)?,
            Value::Double(number) => {
                control(out, DOUBLE, 8)?;
                out.extend_from_slice(&number.to_be_bytes());
            }
            Value::Array(items) => {
                control(out, ARRAY, items.len())?;
                for item in items {
                    item.encode_plain(out)?;
                }
            }
            Value::Map(entries) => {
                control(out, MAP, entries.len())?;
                for (key, value) in entries {
                    control(out, STRING, key.len())?;
                    out.extend_from_slice(key.as_bytes());
                    value.encode_plain(out)?;
                }
            }
        }
        Ok(())
    }

    fn plain(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.encode_plain(&mut out)?;
        Ok(out)
    }
}

impl From<&str> for Value {
    fn from(text: &str) -> Value {
        Value::String(text.to_owned())
    }
}

impl From<String> for Value {
    fn from(text: String) -> Value {
        Value::String(text)
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<u16> for Value {
    fn from(number: u16) -> Value {
        Value::U16(number)
    }
}

impl From<u32> for Value {
    fn from(number: u32) -> Value {
        Value::U32(number)
    }
}

impl From<u64> for Value {
    fn from(number: u64) -> Value {
        Value::U64(number)
    }
}

impl From<f64> for Value {
    fn from(number: f64) -> Value {
        Value::Double(number)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(entries)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Value {
        Value::Array(items)
    }
}

/// The data section being written, and where each value already written starts.
#[derive(Debug, Default)]
pub(crate) struct DataSection {
    bytes: Vec<u8>,
    /// Plain encoding -> offset of its first copy. Only values longer than the shortest
    /// pointer (2 bytes) are kept: shorter ones are cheaper to repeat.
    written: HashMap<Vec<u8>, u32>,
}

impl DataSection {
    /// Writes a whole record (unless an identical value is already there) and gives the offset
    /// the search tree must point at. The offset is always of a real value, never of a pointer:
    /// the spec allows a pointer to point only at a value.
    pub(crate) fn push_record(&mut self, record: &Value) -> Result<u32, Error> {
        let plain = record.plain()?;
        if let Some(&offset) = self.written.get(&plain) {
            return Ok(offset);
        }
        let offset = self.offset()?;
        self.write(record, plain)?;
        Ok(offset)
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// Writes a value inside a record: a pointer to an earlier copy if that is shorter.
    fn push(&mut self, value: &Value) -> Result<(), Error> {
        let plain = value.plain()?;
        if let Some(&offset) = self.written.get(&plain)
            && pointer_len(offset) < plain.len()
        {
            pointer(&mut self.bytes, offset);
            return Ok(());
        }
        self.write(value, plain)
    }

    /// Writes a value in full at the end; its parts may still point at earlier copies.
    fn write(&mut self, value: &Value, plain: Vec<u8>) -> Result<(), Error> {
        let offset = self.offset()?;
        match value {
            Value::Map(entries) => {
                control(&mut self.bytes, MAP, entries.len())?;
                for (key, item) in entries {
                    self.push(&Value::String(key.clone()))?;
                    self.push(item)?;
                }
            }
            Value::Array(items) => {
                control(&mut self.bytes, ARRAY, items.len())?;
                for item in items {
                    self.push(item)?;
                }
            }
            _ => self.bytes.extend_from_slice(&plain),
        }
        if plain.len() > 2 {
            self.written.entry(plain).or_insert(offset);
        }
        Ok(())
    }

    /// The offset of the next byte; pointers can address 32 bits.
    fn offset(&self) -> Result<u32, Error> {
        u32::try_from(self.bytes.len()).map_err(|_| Error::TooLarge {
            what: "the data section",
            size: self.bytes.len() as u64,
        })
    }
}

/// Appends a control byte (type and size) and any extended-type and size bytes (spec,
/// "Control Byte": sizes 0-28 inline, then 29 + 1 byte, 285 + 2 bytes, 65821 + 3 bytes).
fn control(out: &mut Vec<u8>, type_number: u8, size: usize) -> Result<(), Error> {
    let (size_field, extra): (u8, &[u8]) = match size {
        0..29 => (size as u8, &[]),
        29..285 => (29, &[(size - 29) as u8]),
        285..65_821 => (30, &((size - 285) as u16).to_be_bytes()),
        65_821..16_843_037 => (31, &((size - 65_821) as u32).to_be_bytes()[1..]),
        _ => {
            return Err(Error::TooLarge {
                what: "a string, map or array",
                size: size as u64,
            });
        }
    };
    if type_number <= 7 {
        out.push((type_number << 5) | size_field);
    } else {
        out.push(size_field);
        out.push(type_number - 7);
    }
    out.extend_from_slice(extra);
    Ok(())
}

/// Appends an unsigned integer in as few big-endian bytes as it needs (0 takes none).
fn unsigned(out: &mut Vec<u8>, type_number: u8, number: u64) -> Result<(), Error> {
    let bytes = number.to_be_bytes();
    let skip = (number.leading_zeros() / 8) as usize;
    control(out, type_number, bytes.len() - skip)?;
    out.extend_from_slice(&bytes[skip..]);
    Ok(())
}

/// Bytes a pointer to `offset` takes (spec, "Pointer - 1": 11, 19 and 27-bit forms with
/// biases, then a plain 32-bit one).
fn pointer_len(offset: u32) -> usize {
    match offset {
        0..2_048 => 2,
        2_048..526_336 => 3,
        526_336..134_744_064 => 4,
        _ => 5,
    }
}

/// Appends a pointer to data-section offset `offset`: control byte `001SSVVV`, where SS picks
/// the form and VVV are the top bits of the biased value.
fn pointer(out: &mut Vec<u8>, offset: u32) {
    let base = POINTER << 5;
    match offset {
        0..2_048 => {
            out.push(base | (offset >> 8) as u8);
            out.push(offset as u8);
        }
        2_048..526_336 => {
            let value = offset - 2_048;
            out.push(base | (1 << 3) | (value >> 16) as u8);
            out.extend_from_slice(&(value as u16).to_be_bytes());
        }
        526_336..134_744_064 => {
            let value = offset - 526_336;
            out.push(base | (2 << 3) | (value >> 24) as u8);
            out.extend_from_slice(&value.to_be_bytes()[1..]);
        }
        _ => {
            out.push(base | (3 << 3));
            out.extend_from_slice(&offset.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(value: &Value) -> Vec<u8> {
        value.plain().unwrap()
    }

    #[test]
    fn scalars_use_the_minimal_encoding() {
        assert_eq!(encoded(&Value::U32(0)), [0xc0]);
        assert_eq!(encoded(&Value::U32(13335)), [0xc2, 0x34, 0x17]);
        assert_eq!(encoded(&Value::U16(2)), [0xa1, 0x02]);
        assert_eq!(encoded(&Value::U64(1)), [0x01, 0x02, 0x01]);
        assert_eq!(encoded(&Value::Bool(true)), [0x01, 0x07]);
        assert_eq!(encoded(&Value::from("DE")), [0x42, b'D', b'E']);
    }

    #[test]
    fn long_strings_use_the_size_extensions() {
        for (len, header) in [
            (28, vec![0x5c]),
            (29, vec![0x5d, 0x00]),
            (284, vec![0x5d, 0xff]),
            (285, vec![0x5e, 0x00, 0x00]),
            (65_821, vec![0x5f, 0x00, 0x00, 0x00]),
        ] {
            let bytes = encoded(&Value::from("x".repeat(len)));
            assert_eq!(bytes[..header.len()], header[..], "length {len}");
            assert_eq!(bytes.len(), header.len() + len);
        }
    }

    #[test]
    fn pointers_cover_each_form_boundary() {
        for (offset, expected) in [
            (0, vec![0x20, 0x00]),
            (2_047, vec![0x27, 0xff]),
            (2_048, vec![0x28, 0x00, 0x00]),
            (526_335, vec![0x2f, 0xff, 0xff]),
            (526_336, vec![0x30, 0x00, 0x00, 0x00]),
            (134_744_063, vec![0x37, 0xff, 0xff, 0xff]),
            (134_744_064, vec![0x38, 0x08, 0x08, 0x08, 0x00]),
        ] {
            let mut out = Vec::new();
            pointer(&mut out, offset);
            assert_eq!(out, expected, "offset {offset}");
            assert_eq!(out.len(), pointer_len(offset));
        }
    }

    #[test]
    fn repeated_keys_and_records_are_stored_once() {
        let mut data = DataSection::default();
        let a = Value::map([("autonomous_system_organization", "Example")]);
        let b = Value::map([("autonomous_system_organization", "Other")]);
        let first = data.push_record(&a).unwrap();
        let second = data.push_record(&b).unwrap();
        assert_eq!(data.push_record(&a).unwrap(), first);
        let bytes = data.into_bytes();
        // The second record is its map byte, a 2-byte pointer to the key, and its own value.
        assert_eq!(bytes.len() - second as usize, 1 + 2 + 1 + "Other".len());
    }
}
