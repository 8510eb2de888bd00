//! The encrypted file format written by `ekms sym encrypt` (see `docs/file-format.md`).
//!
//! A file starts with the magic `EKMS` and a version byte; the reader dispatches on the version
//! so that files written by older releases keep decrypting when newer versions (such as the
//! streaming format) are added. Version 1 is one AEAD message produced by a single KMIP
//! Encrypt:
//!
//! ```text
//! magic "EKMS" | version 0x01 | uid length (u16 BE) | uid (UTF-8) | algorithm (u8)   <- header = AAD
//! IV length (u8) | IV | tag length (u8) | tag | ciphertext (to the end of the file)
//! ```

use std::fmt;

/// The first four bytes of every ekms encrypted file.
pub const MAGIC: [u8; 4] = *b"EKMS";

/// Version 1: one AEAD message (single KMIP Encrypt), header as associated data.
pub const VERSION_1: u8 = 1;

/// The longest key identifier the format stores.
pub const MAX_UID_LEN: usize = u16::MAX as usize;

/// The AEAD that protects a version 1 file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    /// AES-GCM (any AES key size).
    AesGcm,
    /// ChaCha20-Poly1305.
    ChaCha20Poly1305,
}

impl Algorithm {
    /// The byte stored in the header.
    pub fn code(self) -> u8 {
        match self {
            Algorithm::AesGcm => 1,
            Algorithm::ChaCha20Poly1305 => 2,
        }
    }

    /// The algorithm for a header byte.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Algorithm::AesGcm),
            2 => Some(Algorithm::ChaCha20Poly1305),
            _ => None,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Algorithm::AesGcm => "AES-GCM",
            Algorithm::ChaCha20Poly1305 => "ChaCha20-Poly1305",
        })
    }
}

/// Why a file cannot be read.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The file does not start with the magic.
    #[error("not an ekms encrypted file (it does not start with the ekms magic bytes)")]
    NotEkms,
    /// A version this program does not know (written by a newer ekms).
    #[error(
        "the file uses format version {0}, which this ekms does not know: upgrade ekms to decrypt it"
    )]
    UnsupportedVersion(u8),
    /// The file ends inside a field.
    #[error("the file is truncated (it ends inside the {0})")]
    Truncated(&'static str),
    /// A field holds an impossible value.
    #[error("the file is corrupted: {0}")]
    Corrupted(String),
}

/// The authenticated header of a version 1 file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderV1 {
    /// Unique identifier of the key that encrypted the file.
    pub key_uid: String,
    /// The AEAD used.
    pub algorithm: Algorithm,
}

impl HeaderV1 {
    /// The header bytes, which are also the associated data of the encryption.
    pub fn to_bytes(&self) -> Result<Vec<u8>, FormatError> {
        let uid = self.key_uid.as_bytes();
        if uid.is_empty() || uid.len() > MAX_UID_LEN {
            return Err(FormatError::Corrupted(format!(
                "a key identifier must have 1 to {MAX_UID_LEN} bytes"
            )));
        }
        let uid_len = u16::try_from(uid.len())
            .map_err(|_| FormatError::Corrupted("key identifier too long".into()))?;
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + uid.len());
        out.extend_from_slice(&MAGIC);
        out.push(VERSION_1);
        out.extend_from_slice(&uid_len.to_be_bytes());
        out.extend_from_slice(uid);
        out.push(self.algorithm.code());
        Ok(out)
    }
}

/// A parsed encrypted file, borrowing from the file bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum EncryptedFile<'a> {
    /// Version 1.
    V1(FileV1<'a>),
}

impl EncryptedFile<'_> {
    /// The format version.
    pub fn version(&self) -> u8 {
        match self {
            EncryptedFile::V1(_) => VERSION_1,
        }
    }
}

/// A version 1 file.
#[derive(Debug, PartialEq, Eq)]
pub struct FileV1<'a> {
    /// The parsed header.
    pub header: HeaderV1,
    /// The header bytes as stored (the associated data).
    pub aad: &'a [u8],
    /// The IV (nonce).
    pub iv: &'a [u8],
    /// The authentication tag.
    pub tag: &'a [u8],
    /// The ciphertext.
    pub ciphertext: &'a [u8],
}

/// Writes a version 1 file: `header || IV length || IV || tag length || tag || ciphertext`.
pub fn write_v1(
    header: &HeaderV1,
    iv: &[u8],
    tag: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, FormatError> {
    let header = header.to_bytes()?;
    let iv_len = short_len(iv, "IV")?;
    let tag_len = short_len(tag, "tag")?;
    let mut out = Vec::with_capacity(header.len() + 2 + iv.len() + tag.len() + ciphertext.len());
    out.extend_from_slice(&header);
    out.push(iv_len);
    out.extend_from_slice(iv);
    out.push(tag_len);
    out.extend_from_slice(tag);
    out.extend_from_slice(ciphertext);
    Ok(out)
}

fn short_len(field: &[u8], name: &str) -> Result<u8, FormatError> {
    match u8::try_from(field.len()) {
        Ok(0) | Err(_) => Err(FormatError::Corrupted(format!(
            "the {name} must have 1 to 255 bytes, not {}",
            field.len()
        ))),
        Ok(n) => Ok(n),
    }
}

/// Parses a file, dispatching on its version byte.
pub fn parse(bytes: &[u8]) -> Result<EncryptedFile<'_>, FormatError> {
    if bytes.get(..MAGIC.len()) != Some(&MAGIC[..]) {
        return Err(FormatError::NotEkms);
    }
    let mut reader = Reader {
        bytes,
        pos: MAGIC.len(),
    };
    let version = reader.u8("version")?;
    match version {
        VERSION_1 => parse_v1(reader).map(EncryptedFile::V1),
        other => Err(FormatError::UnsupportedVersion(other)),
    }
}

fn parse_v1(mut reader: Reader<'_>) -> Result<FileV1<'_>, FormatError> {
    let uid_len = usize::from(reader.u16("key identifier length")?);
    if uid_len == 0 {
        return Err(FormatError::Corrupted("empty key identifier".into()));
    }
    let uid = reader.take(uid_len, "key identifier")?;
    let key_uid = std::str::from_utf8(uid)
        .map_err(|_| FormatError::Corrupted("the key identifier is not UTF-8".into()))?
        .to_string();
    let code = reader.u8("algorithm")?;
    let algorithm = Algorithm::from_code(code)
        .ok_or_else(|| FormatError::Corrupted(format!("unknown algorithm {code}")))?;
    let aad = reader.consumed();
    let iv_len = usize::from(reader.u8("IV length")?);
    if iv_len == 0 {
        return Err(FormatError::Corrupted("empty IV".into()));
    }
    let iv = reader.take(iv_len, "IV")?;
    let tag_len = usize::from(reader.u8("tag length")?);
    if tag_len == 0 {
        return Err(FormatError::Corrupted("empty tag".into()));
    }
    let tag = reader.take(tag_len, "tag")?;
    let ciphertext = reader.rest();
    Ok(FileV1 {
        header: HeaderV1 { key_uid, algorithm },
        aad,
        iv,
        tag,
        ciphertext,
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], FormatError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(FormatError::Truncated(what))?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(FormatError::Truncated(what))?;
        self.pos = end;
        Ok(slice)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, FormatError> {
        let b = self.take(1, what)?;
        b.first().copied().ok_or(FormatError::Truncated(what))
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, FormatError> {
        let b = self.take(2, what)?;
        let b = <[u8; 2]>::try_from(b).map_err(|_| FormatError::Truncated(what))?;
        Ok(u16::from_be_bytes(b))
    }

    fn consumed(&self) -> &'a [u8] {
        self.bytes.get(..self.pos).unwrap_or_default()
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos = self.bytes.len();
        rest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (HeaderV1, Vec<u8>) {
        let header = HeaderV1 {
            key_uid: "2f1e7c9a-uid".to_string(),
            algorithm: Algorithm::AesGcm,
        };
        let file = write_v1(&header, &[7u8; 12], &[9u8; 16], b"ciphertext bytes").unwrap();
        (header, file)
    }

    #[test]
    fn round_trip() {
        let (header, file) = sample();
        let parsed = parse(&file).unwrap();
        assert_eq!(parsed.version(), 1);
        let EncryptedFile::V1(v1) = parsed;
        assert_eq!(v1.header, header);
        assert_eq!(v1.aad, header.to_bytes().unwrap().as_slice());
        assert_eq!(v1.iv, &[7u8; 12]);
        assert_eq!(v1.tag, &[9u8; 16]);
        assert_eq!(v1.ciphertext, b"ciphertext bytes");
    }

    #[test]
    fn round_trip_chacha_and_empty_plaintext() {
        let header = HeaderV1 {
            key_uid: "k".to_string(),
            algorithm: Algorithm::ChaCha20Poly1305,
        };
        let file = write_v1(&header, &[1u8; 12], &[2u8; 16], b"").unwrap();
        let EncryptedFile::V1(v1) = parse(&file).unwrap();
        assert_eq!(v1.header, header);
        assert!(v1.ciphertext.is_empty());
    }

    #[test]
    fn layout_is_stable() {
        let header = HeaderV1 {
            key_uid: "ab".to_string(),
            algorithm: Algorithm::AesGcm,
        };
        let file = write_v1(&header, &[0xA0, 0xA1], &[0xB0], &[0xC0, 0xC1]).unwrap();
        assert_eq!(
            file,
            vec![
                b'E', b'K', b'M', b'S', 1, 0, 2, b'a', b'b', 1, 2, 0xA0, 0xA1, 1, 0xB0, 0xC0, 0xC1
            ]
        );
    }

    #[test]
    fn bad_magic() {
        assert_eq!(parse(b"hello world"), Err(FormatError::NotEkms));
        assert_eq!(parse(b""), Err(FormatError::NotEkms));
        assert_eq!(parse(b"EKM"), Err(FormatError::NotEkms));
    }

    #[test]
    fn unknown_version() {
        let (_, mut file) = sample();
        file[4] = 9;
        assert_eq!(parse(&file), Err(FormatError::UnsupportedVersion(9)));
        assert_eq!(parse(b"EKMS"), Err(FormatError::Truncated("version")));
    }

    #[test]
    fn truncated_everywhere() {
        let (_, file) = sample();
        // Every strict prefix that ends before the ciphertext is refused as truncated.
        let header_and_framing = file.len() - b"ciphertext bytes".len();
        for cut in MAGIC.len()..header_and_framing {
            match parse(&file[..cut]) {
                Err(FormatError::Truncated(_)) => {}
                other => panic!("prefix of {cut} bytes: {other:?}"),
            }
        }
    }

    #[test]
    fn corrupted_fields() {
        let (_, file) = sample();
        let mut bad_alg = file.clone();
        let alg_pos = 4 + 1 + 2 + "2f1e7c9a-uid".len();
        bad_alg[alg_pos] = 77;
        assert!(matches!(parse(&bad_alg), Err(FormatError::Corrupted(_))));
        let mut zero_uid = file.clone();
        zero_uid[5] = 0;
        zero_uid[6] = 0;
        assert!(matches!(parse(&zero_uid), Err(FormatError::Corrupted(_))));
        let mut bad_utf8 = file;
        bad_utf8[7] = 0xFF;
        assert!(matches!(parse(&bad_utf8), Err(FormatError::Corrupted(_))));
    }

    #[test]
    fn writer_refuses_bad_fields() {
        let header = HeaderV1 {
            key_uid: String::new(),
            algorithm: Algorithm::AesGcm,
        };
        assert!(write_v1(&header, &[1; 12], &[1; 16], b"").is_err());
        let header = HeaderV1 {
            key_uid: "k".into(),
            algorithm: Algorithm::AesGcm,
        };
        assert!(write_v1(&header, &[], &[1; 16], b"").is_err());
        assert!(write_v1(&header, &[1; 256], &[1; 16], b"").is_err());
    }
}
