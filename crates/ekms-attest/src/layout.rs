//! Bounds-checked reading of fixed byte layouts.
//!
//! This module owns [`LayoutError`], the error every SGX layout parser of the crate returns, and
//! the private `Reader` cursor those parsers are written with. A `Reader` walks a byte slice
//! front to back; every read names the field it reads, checks that the bytes are there (with
//! checked arithmetic, so no offset can overflow) and returns an error instead of panicking.
//! Parsers finish with `Reader::finish`, which refuses trailing bytes, so a layout accepts its
//! exact size and nothing else.

use thiserror::Error;

/// Why bytes could not be read as an SGX structure.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LayoutError {
    /// The input ended before `field` could be read.
    #[error("truncated input: {field} needs {needed} bytes at offset {offset}, {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Its offset from the start of the structure.
        offset: usize,
        /// The bytes it needs.
        needed: usize,
        /// The bytes that were left.
        available: usize,
    },
    /// Bytes remained after the last field of `structure`.
    #[error("{extra} unexpected trailing bytes after {structure}")]
    TrailingBytes {
        /// The structure that was complete.
        structure: &'static str,
        /// How many bytes followed it.
        extra: usize,
    },
    /// A length field disagrees with the data it describes.
    #[error("{field} is {actual} bytes, expected {expected}")]
    BadLength {
        /// The field whose length is wrong.
        field: &'static str,
        /// The length the layout requires.
        expected: usize,
        /// The length found.
        actual: usize,
    },
    /// A value is too long to be encoded in its length field.
    #[error("{field} is {actual} bytes, at most {max} can be encoded")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        actual: usize,
        /// The largest encodable length.
        max: usize,
    },
    /// A constant field (magic header) holds another value.
    #[error("{field} does not hold the constant the layout requires")]
    BadConstant {
        /// The field.
        field: &'static str,
    },
    /// The quote version is not 3.
    #[error("unsupported quote version {0} (only DCAP quote version 3 is supported)")]
    UnsupportedVersion(u16),
    /// The attestation key type is not ECDSA-256-with-P-256 (2).
    #[error("unsupported attestation key type {0} (only 2, ECDSA-256-with-P-256, is supported)")]
    UnsupportedKeyType(u16),
}

/// A cursor over a byte slice whose reads are all bounds-checked.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// How many bytes are left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// The next `n` bytes, as a slice of the input.
    pub(crate) fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], LayoutError> {
        let truncated = || LayoutError::Truncated {
            field,
            offset: self.pos,
            needed: n,
            available: self.remaining(),
        };
        let end = self.pos.checked_add(n).ok_or_else(truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or_else(truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    /// The next `N` bytes, copied into an array.
    pub(crate) fn array<const N: usize>(
        &mut self,
        field: &'static str,
    ) -> Result<[u8; N], LayoutError> {
        let bytes = self.take(N, field)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// A little-endian `u8`.
    pub(crate) fn u8(&mut self, field: &'static str) -> Result<u8, LayoutError> {
        Ok(u8::from_le_bytes(self.array(field)?))
    }

    /// A little-endian `u16`.
    pub(crate) fn u16_le(&mut self, field: &'static str) -> Result<u16, LayoutError> {
        Ok(u16::from_le_bytes(self.array(field)?))
    }

    /// A little-endian `u32`.
    pub(crate) fn u32_le(&mut self, field: &'static str) -> Result<u32, LayoutError> {
        Ok(u32::from_le_bytes(self.array(field)?))
    }

    /// A little-endian `u64`.
    pub(crate) fn u64_le(&mut self, field: &'static str) -> Result<u64, LayoutError> {
        Ok(u64::from_le_bytes(self.array(field)?))
    }

    /// Succeeds only if every byte was read.
    pub(crate) fn finish(self, structure: &'static str) -> Result<(), LayoutError> {
        match self.remaining() {
            0 => Ok(()),
            extra => Err(LayoutError::TrailingBytes { structure, extra }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_little_endian_fields_in_order() {
        let bytes = [1u8, 2, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 9, 9];
        let mut r = Reader::new(&bytes);
        assert_eq!(r.u8("a"), Ok(1));
        assert_eq!(r.u16_le("b"), Ok(2));
        assert_eq!(r.u32_le("c"), Ok(3));
        assert_eq!(r.u64_le("d"), Ok(4));
        assert_eq!(r.array::<2>("e"), Ok([9, 9]));
        assert_eq!(r.finish("s"), Ok(()));
    }

    #[test]
    fn short_input_is_an_error_not_a_panic() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(
            r.u32_le("field"),
            Err(LayoutError::Truncated {
                field: "field",
                offset: 0,
                needed: 4,
                available: 3
            })
        );
        // A failed read consumes nothing.
        assert_eq!(r.remaining(), 3);
        assert!(r.take(usize::MAX, "huge").is_err());
    }

    #[test]
    fn trailing_bytes_are_refused() {
        let mut r = Reader::new(&[0, 0, 7]);
        assert!(r.u16_le("x").is_ok());
        assert_eq!(
            r.finish("thing"),
            Err(LayoutError::TrailingBytes {
                structure: "thing",
                extra: 1
            })
        );
    }
}
