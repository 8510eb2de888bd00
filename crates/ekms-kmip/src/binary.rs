//! The binary TTLV encoding (KMIP over TLS on port 5696, and `application/octet-stream` bodies).
//!
//! Each item is a 3-byte tag, a 1-byte type, a 4-byte big-endian length and the value, padded
//! with zeros to a multiple of 8 bytes. This module owns the encoder (structures are written
//! with a placeholder length that is patched once their children are written) and a strict
//! decoder: fixed lengths per type, zero padding, Booleans 0 or 1, UTF-8 text, a nesting limit
//! of [`MAX_DEPTH`], exactly one top-level item, and every declared length checked against the
//! bytes actually present before anything is allocated. A Structure's children are counted
//! before its vector is allocated, so that it is allocated once at its exact size, and every
//! allocation is counted against [`crate::ttlv::memory_budget`]: whatever its shape, decoding
//! a message never takes more than 4 times its size.

use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::{Budget, ItemType, Ttlv, Value};

/// Deepest nesting of structures the decoder accepts (the top-level item is depth 1).
pub const MAX_DEPTH: usize = 64;

/// Length of an item header (tag, type, length).
pub const HEADER_LEN: usize = 8;

/// A cursor over input bytes; every read is bounds-checked and returns an error past the end.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Absolute offset of `buf[0]` in the whole input, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    fn offset(&self) -> usize {
        self.base + self.pos
    }

    fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let err = Error::Truncated {
            offset: self.offset(),
            needed: n,
            available: self.remaining(),
        };
        let end = self.pos.checked_add(n).ok_or_else(|| err.clone())?;
        let out = self.buf.get(self.pos..end).ok_or(err)?;
        self.pos = end;
        Ok(out)
    }

    /// A reader over the next `n` bytes, advancing this one past them.
    fn sub(&mut self, n: usize) -> Result<Reader<'a>, Error> {
        let base = self.offset();
        let buf = self.take(n)?;
        Ok(Reader { buf, pos: 0, base })
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let s = self.take(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }
}

fn padded(len: usize) -> Option<usize> {
    len.checked_add(7).map(|v| v & !7)
}

/// The fields of an item header.
struct Header {
    tag: Tag,
    item_type: ItemType,
    length: u32,
}

fn parse_header(h: [u8; 8], offset: usize) -> Result<Header, Error> {
    let [t0, t1, t2, ty, l0, l1, l2, l3] = h;
    let tag = u32::from_be_bytes([0, t0, t1, t2]);
    if t0 != 0x42 && t0 != 0x54 {
        return Err(Error::InvalidTag { tag, offset });
    }
    let tag = Tag(tag);
    let item_type = ItemType::from_u8(ty).ok_or(Error::UnknownType {
        tag,
        item_type: ty,
        offset,
    })?;
    Ok(Header {
        tag,
        item_type,
        length: u32::from_be_bytes([l0, l1, l2, l3]),
    })
}

/// The total length in bytes (header, value and padding) of the item whose first 8 bytes are
/// `header`: what a socket reader must read in all. Refuses an invalid tag or type byte.
pub fn message_length(header: &[u8; 8]) -> Result<usize, Error> {
    let h = parse_header(*header, 0)?;
    let len = usize::try_from(h.length).map_err(|_| Error::TooLarge {
        tag: h.tag,
        length: usize::MAX,
    })?;
    let body = if h.item_type == ItemType::Structure {
        if len % 8 != 0 {
            return Err(Error::InvalidLength {
                tag: h.tag,
                item_type: "Structure",
                length: u64::from(h.length),
                expected: "a multiple of 8",
                offset: 0,
            });
        }
        len
    } else {
        padded(len).ok_or(Error::TooLarge {
            tag: h.tag,
            length: len,
        })?
    };
    body.checked_add(HEADER_LEN).ok_or(Error::TooLarge {
        tag: h.tag,
        length: len,
    })
}

/// Decodes exactly one item; trailing bytes are an error.
pub fn decode(b: &[u8]) -> Result<Ttlv, Error> {
    let mut r = Reader::new(b);
    let mut budget = Budget::for_message(b.len());
    let t = read_item(&mut r, 1, &mut budget)?;
    if r.remaining() != 0 {
        return Err(Error::TrailingBytes {
            offset: r.offset(),
            count: r.remaining(),
        });
    }
    Ok(t)
}

#[cfg(test)]
/// Decodes one item from the front of `b`, returning it and the number of bytes it used.
pub fn decode_prefix(b: &[u8]) -> Result<(Ttlv, usize), Error> {
    let mut r = Reader::new(b);
    let mut budget = Budget::for_message(b.len());
    let t = read_item(&mut r, 1, &mut budget)?;
    Ok((t, r.pos))
}

fn fixed(h: &Header, want: u32, what: &'static str, offset: usize) -> Result<(), Error> {
    if h.length == want {
        Ok(())
    } else {
        Err(Error::InvalidLength {
            tag: h.tag,
            item_type: h.item_type.name(),
            length: u64::from(h.length),
            expected: what,
            offset,
        })
    }
}

fn check_padding(r: &mut Reader<'_>, len: usize, tag: Tag) -> Result<(), Error> {
    let pad = padded(len).map(|p| p - len).unwrap_or(0);
    let offset = r.offset();
    let bytes = r.take(pad)?;
    if bytes.iter().any(|&b| b != 0) {
        return Err(Error::NonZeroPadding { tag, offset });
    }
    Ok(())
}

/// How many items the body of a Structure holds, from their headers alone: exact for a valid
/// body; for an invalid one, the count up to the first item that does not fit, which the
/// decoder then refuses.
fn count_items(body: &[u8]) -> usize {
    let mut pos = 0usize;
    let mut n = 0usize;
    while pos < body.len() {
        n += 1;
        let Some(h) = body
            .get(pos..)
            .and_then(|rest| rest.first_chunk::<HEADER_LEN>())
        else {
            break;
        };
        let [_, _, _, ty, l0, l1, l2, l3] = *h;
        let len = u32::from_be_bytes([l0, l1, l2, l3]) as usize;
        let value = if ty == ItemType::Structure as u8 {
            Some(len)
        } else {
            padded(len)
        };
        match value
            .and_then(|v| v.checked_add(HEADER_LEN))
            .and_then(|v| v.checked_add(pos))
        {
            Some(next) => pos = next,
            None => break,
        }
    }
    n
}

fn read_item(r: &mut Reader<'_>, depth: usize, budget: &mut Budget) -> Result<Ttlv, Error> {
    let offset = r.offset();
    let h = parse_header(r.array::<8>()?, offset)?;
    let tag = h.tag;
    let len = h.length as usize;
    let value = match h.item_type {
        ItemType::Structure => {
            if depth > MAX_DEPTH {
                return Err(Error::TooDeep {
                    limit: MAX_DEPTH,
                    location: format!("offset {offset}"),
                });
            }
            let mut sub = r.sub(len)?;
            let count = count_items(sub.buf);
            budget.take_nodes(count)?;
            let mut items = Vec::with_capacity(count);
            while sub.remaining() > 0 {
                items.push(read_item(&mut sub, depth + 1, budget)?);
            }
            Value::Structure(items)
        }
        ItemType::Integer => {
            fixed(&h, 4, "4", offset)?;
            let v = i32::from_be_bytes(r.array::<4>()?);
            check_padding(r, 4, tag)?;
            Value::Integer(v)
        }
        ItemType::Enumeration => {
            fixed(&h, 4, "4", offset)?;
            let v = u32::from_be_bytes(r.array::<4>()?);
            check_padding(r, 4, tag)?;
            Value::Enumeration(v)
        }
        ItemType::Interval => {
            fixed(&h, 4, "4", offset)?;
            let v = u32::from_be_bytes(r.array::<4>()?);
            check_padding(r, 4, tag)?;
            Value::Interval(v)
        }
        ItemType::LongInteger => {
            fixed(&h, 8, "8", offset)?;
            Value::LongInteger(i64::from_be_bytes(r.array::<8>()?))
        }
        ItemType::DateTime => {
            fixed(&h, 8, "8", offset)?;
            Value::DateTime(i64::from_be_bytes(r.array::<8>()?))
        }
        ItemType::DateTimeExtended => {
            fixed(&h, 8, "8", offset)?;
            Value::DateTimeExtended(i64::from_be_bytes(r.array::<8>()?))
        }
        ItemType::Boolean => {
            fixed(&h, 8, "8", offset)?;
            match u64::from_be_bytes(r.array::<8>()?) {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                _ => {
                    return Err(Error::InvalidValue {
                        tag,
                        offset,
                        reason: "a Boolean must be 0 or 1".into(),
                    });
                }
            }
        }
        ItemType::BigInteger => {
            if len == 0 || !len.is_multiple_of(8) {
                return Err(Error::InvalidLength {
                    tag,
                    item_type: "BigInteger",
                    length: u64::from(h.length),
                    expected: "a non-zero multiple of 8",
                    offset,
                });
            }
            let bytes = r.take(len)?;
            budget.take(len)?;
            Value::BigInteger(bytes.to_vec())
        }
        ItemType::TextString => {
            let bytes = r.take(len)?;
            budget.take(len)?;
            let s = std::str::from_utf8(bytes).map_err(|e| Error::InvalidValue {
                tag,
                offset,
                reason: format!("TextString is not UTF-8 (byte {})", e.valid_up_to()),
            })?;
            let s = s.to_owned();
            check_padding(r, len, tag)?;
            Value::TextString(s)
        }
        ItemType::ByteString => {
            let bytes = r.take(len)?;
            budget.take(len)?;
            let v = bytes.to_vec();
            check_padding(r, len, tag)?;
            Value::ByteString(v)
        }
    };
    Ok(Ttlv { tag, value })
}

/// Appends the encoding of `t` to `out`. Operation pseudo-tags of the JSON profile are
/// written as `RequestPayload` / `ResponsePayload`. A value longer than `u32::MAX` bytes, or a
/// tag outside 0x42XXXX / 0x54XXXX, cannot be expressed in TTLV: [`try_encode`] refuses them,
/// this function writes the length saturated and the tag's low 24 bits.
pub fn encode(t: &Ttlv, out: &mut Vec<u8>) {
    write_item(t, out, false).unwrap_or(());
}

/// Appends the encoding of `t` to `out`, refusing values too large for a TTLV length.
pub fn try_encode(t: &Ttlv, out: &mut Vec<u8>) -> Result<(), Error> {
    write_item(t, out, true)
}

/// The encoding of `t`.
pub fn to_vec(t: &Ttlv) -> Vec<u8> {
    let mut out = Vec::new();
    encode(t, &mut out);
    out
}

/// The encoding of `t`, refusing values too large for a TTLV length.
pub fn try_to_vec(t: &Ttlv) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    try_encode(t, &mut out)?;
    Ok(out)
}

fn len32(tag: Tag, len: usize, strict: bool) -> Result<u32, Error> {
    match u32::try_from(len) {
        Ok(v) => Ok(v),
        Err(_) if strict => Err(Error::TooLarge { tag, length: len }),
        Err(_) => Ok(u32::MAX),
    }
}

fn header(out: &mut Vec<u8>, tag: Tag, ty: ItemType, len: u32) {
    let [_, a, b, c] = tag.wire_tag().0.to_be_bytes();
    out.extend_from_slice(&[a, b, c, ty as u8]);
    out.extend_from_slice(&len.to_be_bytes());
}

fn pad(out: &mut Vec<u8>, len: usize) {
    let p = (8 - len % 8) % 8;
    out.extend(std::iter::repeat_n(0u8, p));
}

fn write_item(t: &Ttlv, out: &mut Vec<u8>, strict: bool) -> Result<(), Error> {
    let tag = t.tag;
    if strict && !matches!(tag.wire_tag().0 >> 16, 0x42 | 0x54) {
        return Err(Error::InvalidTag {
            tag: tag.0,
            offset: out.len(),
        });
    }
    let ty = t.value.item_type();
    match &t.value {
        Value::Structure(items) => {
            let at = out.len();
            header(out, tag, ty, 0);
            for i in items {
                write_item(i, out, strict)?;
            }
            let len = len32(tag, out.len() - at - HEADER_LEN, strict)?;
            if let Some(slot) = out.get_mut(at + 4..at + 8) {
                slot.copy_from_slice(&len.to_be_bytes());
            }
        }
        Value::Integer(v) => {
            header(out, tag, ty, 4);
            out.extend_from_slice(&v.to_be_bytes());
            pad(out, 4);
        }
        Value::Enumeration(v) | Value::Interval(v) => {
            header(out, tag, ty, 4);
            out.extend_from_slice(&v.to_be_bytes());
            pad(out, 4);
        }
        Value::LongInteger(v) | Value::DateTime(v) | Value::DateTimeExtended(v) => {
            header(out, tag, ty, 8);
            out.extend_from_slice(&v.to_be_bytes());
        }
        Value::Boolean(v) => {
            header(out, tag, ty, 8);
            out.extend_from_slice(&u64::from(*v).to_be_bytes());
        }
        Value::BigInteger(v) => {
            // Sign-extend on the left to a non-zero multiple of 8 bytes.
            let negative = v.first().is_some_and(|b| b & 0x80 != 0);
            let total = padded(v.len().max(1)).unwrap_or(v.len());
            let fill = total - v.len();
            header(out, tag, ty, len32(tag, total, strict)?);
            out.extend(std::iter::repeat_n(
                if negative { 0xFF } else { 0x00 },
                fill,
            ));
            out.extend_from_slice(v);
        }
        Value::TextString(s) => {
            header(out, tag, ty, len32(tag, s.len(), strict)?);
            out.extend_from_slice(s.as_bytes());
            pad(out, s.len());
        }
        Value::ByteString(b) => {
            header(out, tag, ty, len32(tag, b.len(), strict)?);
            out.extend_from_slice(b);
            pad(out, b.len());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
