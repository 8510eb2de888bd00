//! The ekms stream format: envelope encryption of payloads of any size in constant memory
//! (docs/stream-format.md).
//!
//! A header names the KMS key and carries a fresh per-stream data key wrapped under it; the
//! payload follows as AES-256-GCM chunks under the data key. Each chunk's nonce is the header's
//! 7-byte prefix, a 32-bit big-endian chunk counter and a last-chunk flag byte, and each chunk's
//! associated data is the whole header. So reordering or duplicating chunks fails (counter),
//! truncation fails (the new last chunk was not sealed as last), splicing two streams fails
//! (another data key and header), and a changed header fails (associated data).
//!
//! This module holds the byte format and the per-chunk cryptography; the I/O loops live with
//! their callers (the server's stream routes, the CLI's client-side mode) and use
//! [`Framer`] to cut their input into chunks without buffering more than one chunk ahead.

use crate::CryptoError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use zeroize::Zeroizing;

/// The first bytes of every stream.
pub const MAGIC: &[u8; 8] = b"EKMSSTRM";
/// The version this module writes.
pub const VERSION: u8 = 1;
/// The chunk size written by default (64 KiB of plaintext per chunk).
pub const DEFAULT_CHUNK_SIZE: u32 = 64 * 1024;
/// The smallest and largest chunk sizes accepted.
pub const MIN_CHUNK_SIZE: u32 = 1024;
pub const MAX_CHUNK_SIZE: u32 = 16 * 1024 * 1024;
/// Length of the authentication tag of each chunk.
pub const TAG_LEN: usize = 16;
/// Length of the nonce prefix in the header.
pub const NONCE_PREFIX_LEN: usize = 7;
/// Length of the per-stream data key.
pub const DATA_KEY_LEN: usize = 32;
/// Headers longer than this are refused (a uid and a wrapped key are small).
pub const MAX_HEADER_LEN: usize = 4096;

/// The stream header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamHeader {
    /// Plaintext bytes per chunk (the last chunk may be shorter, even empty).
    pub chunk_size: u32,
    /// Unique identifier of the KMS key that wraps the data key.
    pub key_uid: String,
    /// The data key wrapped under the KMS key (opaque here; see docs/stream-format.md).
    pub wrapped_key: Vec<u8>,
    /// The nonce prefix of every chunk.
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
}

/// What parsing a header from a buffer that may not hold all of it yet gives.
#[derive(Debug, PartialEq, Eq)]
pub enum HeaderParse {
    /// The header and how many bytes of the buffer it took.
    Complete(StreamHeader, usize),
    /// More bytes are needed.
    Incomplete,
}

impl StreamHeader {
    /// A header with a fresh random nonce prefix.
    pub fn new(chunk_size: u32, key_uid: &str, wrapped_key: Vec<u8>) -> Result<Self, CryptoError> {
        check_chunk_size(chunk_size)?;
        let h = Self {
            chunk_size,
            key_uid: key_uid.to_string(),
            wrapped_key,
            nonce_prefix: crate::rand::array()?,
        };
        // Refuse now what a reader would refuse later.
        if h.encoded_len() > MAX_HEADER_LEN
            || h.key_uid.len() > usize::from(u16::MAX)
            || h.wrapped_key.len() > usize::from(u16::MAX)
        {
            return Err(CryptoError::InvalidInput("stream header too long"));
        }
        Ok(h)
    }

    fn encoded_len(&self) -> usize {
        MAGIC.len() + 1 + 4 + 2 + self.key_uid.len() + 2 + self.wrapped_key.len() + NONCE_PREFIX_LEN
    }

    /// The header's bytes: magic, version, chunk size (u32 BE), key uid (u16 BE length +
    /// UTF-8), wrapped key (u16 BE length + bytes), nonce prefix.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.chunk_size.to_be_bytes());
        out.extend_from_slice(&(self.key_uid.len() as u16).to_be_bytes());
        out.extend_from_slice(self.key_uid.as_bytes());
        out.extend_from_slice(&(self.wrapped_key.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.wrapped_key);
        out.extend_from_slice(&self.nonce_prefix);
        out
    }

    /// Parses a header at the start of `buf`.
    pub fn parse(buf: &[u8]) -> Result<HeaderParse, CryptoError> {
        let mut r = Reader { buf, pos: 0 };
        let Some(magic) = r.take(MAGIC.len()) else {
            return if MAGIC.starts_with(buf) {
                Ok(HeaderParse::Incomplete)
            } else {
                Err(CryptoError::InvalidInput("not an ekms stream (bad magic)"))
            };
        };
        if magic != MAGIC {
            return Err(CryptoError::InvalidInput("not an ekms stream (bad magic)"));
        }
        let Some(version) = r.take(1) else {
            return Ok(HeaderParse::Incomplete);
        };
        if version != [VERSION] {
            return Err(CryptoError::InvalidInput("unsupported ekms stream version"));
        }
        let Some(chunk_size) = r.u32() else {
            return Ok(HeaderParse::Incomplete);
        };
        check_chunk_size(chunk_size)?;
        let Some(uid_len) = r.u16() else {
            return Ok(HeaderParse::Incomplete);
        };
        let Some(uid) = r.take(usize::from(uid_len)) else {
            return incomplete_or_too_long(buf);
        };
        let key_uid = std::str::from_utf8(uid)
            .map_err(|_| CryptoError::InvalidInput("stream key uid is not UTF-8"))?
            .to_string();
        let Some(wrapped_len) = r.u16() else {
            return incomplete_or_too_long(buf);
        };
        let Some(wrapped) = r.take(usize::from(wrapped_len)) else {
            return incomplete_or_too_long(buf);
        };
        let wrapped_key = wrapped.to_vec();
        let Some(prefix) = r.take(NONCE_PREFIX_LEN) else {
            return incomplete_or_too_long(buf);
        };
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        nonce_prefix.copy_from_slice(prefix);
        if r.pos > MAX_HEADER_LEN {
            return Err(CryptoError::InvalidInput("stream header too long"));
        }
        Ok(HeaderParse::Complete(
            Self {
                chunk_size,
                key_uid,
                wrapped_key,
                nonce_prefix,
            },
            r.pos,
        ))
    }
}

fn incomplete_or_too_long(buf: &[u8]) -> Result<HeaderParse, CryptoError> {
    if buf.len() > MAX_HEADER_LEN {
        Err(CryptoError::InvalidInput("stream header too long"))
    } else {
        Ok(HeaderParse::Incomplete)
    }
}

fn check_chunk_size(size: u32) -> Result<(), CryptoError> {
    if (MIN_CHUNK_SIZE..=MAX_CHUNK_SIZE).contains(&size) {
        Ok(())
    } else {
        Err(CryptoError::InvalidInput(
            "stream chunk size out of range (1 KiB to 16 MiB)",
        ))
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let out = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(out)
    }
    fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// The associated data under which a stream's data key is wrapped by the KMS key:
/// `b"ekms stream data key v1"` followed by the KMS key's uid. A client doing client-side
/// encryption asks the KMS for a KMIP Encrypt of the data key with exactly this
/// AuthenticatedEncryptionAdditionalData, so either side can unwrap the other's streams.
pub fn data_key_aad(key_uid: &str) -> Vec<u8> {
    let mut aad = b"ekms stream data key v1".to_vec();
    aad.extend_from_slice(key_uid.as_bytes());
    aad
}

/// A wrapped data key: IV (12) ‖ encrypted key (32) ‖ tag (16), from the KMS key's AEAD.
pub fn assemble_wrapped_key(iv: &[u8], ciphertext: &[u8], tag: &[u8]) -> Vec<u8> {
    [iv, ciphertext, tag].concat()
}

/// The parts of a wrapped data key: IV, encrypted key, tag.
pub type WrappedKeyParts<'a> = (&'a [u8], &'a [u8], &'a [u8]);

/// Splits a wrapped data key into IV, encrypted key and tag.
pub fn split_wrapped_key(wrapped: &[u8]) -> Result<WrappedKeyParts<'_>, CryptoError> {
    const IV: usize = crate::aead::NONCE_LEN;
    if wrapped.len() != IV + DATA_KEY_LEN + TAG_LEN {
        return Err(CryptoError::InvalidInput("malformed wrapped data key"));
    }
    let (iv, rest) = wrapped.split_at(IV);
    let (ct, tag) = rest.split_at(DATA_KEY_LEN);
    Ok((iv, ct, tag))
}

/// Draws a fresh data key and wraps it under the KMS key (`alg`, `kms_key`).
pub fn new_data_key(
    alg: crate::aead::AeadAlgorithm,
    kms_key: &[u8],
    key_uid: &str,
) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), CryptoError> {
    let data_key = crate::rand::secret(DATA_KEY_LEN)?;
    let iv: [u8; crate::aead::NONCE_LEN] = crate::rand::array()?;
    let mut ct = data_key.to_vec();
    let tag = alg.seal_in_place(kms_key, &iv, &data_key_aad(key_uid), &mut ct)?;
    Ok((data_key, assemble_wrapped_key(&iv, &ct, &tag)))
}

/// Unwraps a data key made by [`new_data_key`] (or by a KMIP Encrypt with [`data_key_aad`]).
pub fn unwrap_data_key(
    alg: crate::aead::AeadAlgorithm,
    kms_key: &[u8],
    key_uid: &str,
    wrapped: &[u8],
) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    let (iv, ct, tag) = split_wrapped_key(wrapped)?;
    let mut key = Zeroizing::new(ct.to_vec());
    alg.open_in_place(kms_key, iv, &data_key_aad(key_uid), &mut key, tag)?;
    Ok(key)
}

/// The per-chunk cipher of one stream, for either direction.
pub struct ChunkCipher {
    key: LessSafeKey,
    aad: Vec<u8>,
    prefix: [u8; NONCE_PREFIX_LEN],
    counter: u32,
    finished: bool,
}

impl ChunkCipher {
    /// The cipher for the stream with this header (bytes as encoded) and data key.
    pub fn new(
        header: &StreamHeader,
        header_bytes: &[u8],
        data_key: &[u8],
    ) -> Result<Self, CryptoError> {
        if data_key.len() != DATA_KEY_LEN {
            return Err(CryptoError::KeyLength {
                algorithm: "stream data key",
                got: data_key.len(),
                expected: "32",
            });
        }
        let unbound = UnboundKey::new(&AES_256_GCM, data_key)
            .map_err(|_| CryptoError::Failed("stream key setup"))?;
        Ok(Self {
            key: LessSafeKey::new(unbound),
            aad: header_bytes.to_vec(),
            prefix: header.nonce_prefix,
            counter: 0,
            finished: false,
        })
    }

    fn nonce(&mut self, last: bool) -> Result<Nonce, CryptoError> {
        if self.finished {
            return Err(CryptoError::InvalidInput("data after the last chunk"));
        }
        let mut n = [0u8; 12];
        n[..NONCE_PREFIX_LEN].copy_from_slice(&self.prefix);
        n[NONCE_PREFIX_LEN..11].copy_from_slice(&self.counter.to_be_bytes());
        n[11] = u8::from(last);
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or(CryptoError::InvalidInput("stream has too many chunks"))?;
        self.finished = last;
        Ok(Nonce::assume_unique_for_key(n))
    }

    /// Encrypts one chunk in place and appends its tag.
    pub fn seal(&mut self, chunk: &mut Vec<u8>, last: bool) -> Result<(), CryptoError> {
        let nonce = self.nonce(last)?;
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(&self.aad), chunk)
            .map_err(|_| CryptoError::Failed("stream chunk seal"))
    }

    /// Checks and decrypts one chunk (ciphertext then tag) in place; returns the plaintext
    /// length. Nothing of the chunk may be used unless this returns Ok.
    pub fn open(&mut self, chunk: &mut [u8], last: bool) -> Result<usize, CryptoError> {
        if chunk.len() < TAG_LEN {
            return Err(CryptoError::Authentication);
        }
        let nonce = self.nonce(last)?;
        match self.key.open_in_place(nonce, Aad::from(&self.aad), chunk) {
            Ok(plain) => Ok(plain.len()),
            Err(_) => {
                zeroize::Zeroize::zeroize(chunk);
                Err(CryptoError::Authentication)
            }
        }
    }

    /// Whether the last chunk has been processed.
    pub fn is_finished(&self) -> bool {
        self.finished
    }
}

/// Cuts a byte stream into chunks of a fixed size, holding back the final one until the
/// input ends, because the last chunk is sealed (and checked) differently. Memory: at most
/// two chunks.
pub struct Framer {
    size: usize,
    current: Vec<u8>,
    ready: Option<Vec<u8>>,
}

impl Framer {
    /// A framer for chunks of `size` bytes.
    pub fn new(size: usize) -> Self {
        Self {
            size,
            current: Self::buffer(size),
            ready: None,
        }
    }

    /// A chunk's buffer, with room for the tag sealing appends: a chunk sealed in place is
    /// not moved to a larger allocation (that copy was 2% of the server's CPU in a stream).
    fn buffer(size: usize) -> Vec<u8> {
        Vec::with_capacity(size + TAG_LEN)
    }

    /// Adds input; calls `emit(chunk, last = false)` for each chunk known not to be the last.
    pub fn push<E>(
        &mut self,
        mut data: &[u8],
        emit: &mut impl FnMut(Vec<u8>, bool) -> Result<(), E>,
    ) -> Result<(), E> {
        while !data.is_empty() {
            let room = self.size - self.current.len();
            let n = room.min(data.len());
            self.current.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.current.len() == self.size {
                // A full chunk exists, so the previously held one was not the last.
                let full = std::mem::replace(&mut self.current, Self::buffer(self.size));
                if let Some(prev) = self.ready.replace(full) {
                    emit(prev, false)?;
                }
            }
        }
        Ok(())
    }

    /// Ends the input: emits the remaining chunks, the final one with `last = true` (an
    /// empty final chunk when the input was empty or ended on a chunk boundary is not
    /// needed: the held full chunk is then the last).
    pub fn finish<E>(
        mut self,
        emit: &mut impl FnMut(Vec<u8>, bool) -> Result<(), E>,
    ) -> Result<(), E> {
        match (self.ready.take(), self.current.is_empty()) {
            (Some(prev), true) => emit(prev, true),
            (Some(prev), false) => {
                emit(prev, false)?;
                emit(std::mem::take(&mut self.current), true)
            }
            (None, _) => emit(std::mem::take(&mut self.current), true),
        }
    }
}

/// Encrypts everything `input` yields into `output` (header, then chunks). For callers that
/// hold the data key themselves (client-side encryption) and for tests.
pub fn encrypt_all(
    header: &StreamHeader,
    data_key: &[u8],
    input: &mut impl std::io::Read,
    output: &mut impl std::io::Write,
) -> Result<u64, StreamIoError> {
    let header_bytes = header.encode();
    let mut cipher = ChunkCipher::new(header, &header_bytes, data_key)?;
    output.write_all(&header_bytes)?;
    let mut framer = Framer::new(header.chunk_size as usize);
    let mut buf = Zeroizing::new(vec![0u8; 64 * 1024]);
    let mut total = 0u64;
    let mut emit = |mut chunk: Vec<u8>, last: bool| -> Result<(), StreamIoError> {
        cipher.seal(&mut chunk, last)?;
        output.write_all(&chunk)?;
        Ok(())
    };
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n as u64;
        framer.push(&buf[..n], &mut emit)?;
    }
    framer.finish(&mut emit)?;
    Ok(total)
}

/// Decrypts a whole stream from `input` into `output`, after `unwrap` has turned the header's
/// wrapped key into the data key. No plaintext of a chunk is written before it authenticates;
/// a stream that ends before its last chunk is an error.
pub fn decrypt_all(
    input: &mut impl std::io::Read,
    output: &mut impl std::io::Write,
    unwrap: impl FnOnce(&StreamHeader, &[u8]) -> Result<Zeroizing<Vec<u8>>, StreamIoError>,
) -> Result<u64, StreamIoError> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let (header, used) = loop {
        if let HeaderParse::Complete(h, used) = StreamHeader::parse(&buf)? {
            break (h, used);
        }
        let n = input.read(&mut tmp)?;
        if n == 0 {
            return Err(CryptoError::InvalidInput("the stream ends inside its header").into());
        }
        buf.extend_from_slice(&tmp[..n]);
    };
    let header_bytes = buf[..used].to_vec();
    let data_key = unwrap(&header, &header_bytes)?;
    let mut cipher = ChunkCipher::new(&header, &header_bytes, &data_key)?;
    let mut framer = Framer::new(header.chunk_size as usize + TAG_LEN);
    let mut total = 0u64;
    let mut emit = |mut chunk: Vec<u8>, last: bool| -> Result<(), StreamIoError> {
        let n = cipher.open(&mut chunk, last)?;
        output.write_all(&chunk[..n])?;
        total += n as u64;
        Ok(())
    };
    framer.push(&buf[used..], &mut emit)?;
    let mut read_buf = vec![0u8; 64 * 1024];
    loop {
        let n = input.read(&mut read_buf)?;
        if n == 0 {
            break;
        }
        framer.push(&read_buf[..n], &mut emit)?;
    }
    framer.finish(&mut emit)?;
    Ok(total)
}

/// An error of [`encrypt_all`] / [`decrypt_all`].
#[derive(Debug, thiserror::Error)]
pub enum StreamIoError {
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// An error of the caller's key unwrapping.
    #[error("{0}")]
    Unwrap(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHUNK: u32 = 1024;

    fn encrypt(data: &[u8], key: &[u8; 32]) -> Vec<u8> {
        let header = StreamHeader::new(CHUNK, "key-1", b"wrapped".to_vec()).unwrap();
        let mut out = Vec::new();
        encrypt_all(&header, key, &mut &data[..], &mut out).unwrap();
        out
    }

    fn decrypt(stream: &[u8], key: &[u8; 32]) -> Result<Vec<u8>, StreamIoError> {
        let mut out = Vec::new();
        decrypt_all(&mut &stream[..], &mut out, |h, _| {
            assert_eq!(h.key_uid, "key-1");
            Ok(Zeroizing::new(key.to_vec()))
        })?;
        Ok(out)
    }

    fn data(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 7 + 3) as u8).collect()
    }

    fn header_len(stream: &[u8]) -> usize {
        match StreamHeader::parse(stream).unwrap() {
            HeaderParse::Complete(_, n) => n,
            HeaderParse::Incomplete => panic!("incomplete"),
        }
    }

    #[test]
    fn round_trips_at_the_edges() {
        let key = [9u8; 32];
        let c = CHUNK as usize;
        for n in [0, 1, c - 1, c, c + 1, 2 * c, 3 * c + 17, 10 * c] {
            let plain = data(n);
            let enc = encrypt(&plain, &key);
            let chunks = if n == 0 { 1 } else { n.div_ceil(c) };
            assert_eq!(
                enc.len(),
                header_len(&enc) + n + chunks * TAG_LEN,
                "n = {n}"
            );
            assert_eq!(decrypt(&enc, &key).unwrap(), plain, "n = {n}");
        }
    }

    #[test]
    fn a_chunk_is_sealed_where_the_framer_cut_it() {
        let header = StreamHeader::new(CHUNK, "key-1", b"wrapped".to_vec()).unwrap();
        let mut cipher = ChunkCipher::new(&header, &header.encode(), &[9u8; 32]).unwrap();
        let mut framer = Framer::new(CHUNK as usize);
        let mut moved = Vec::new();
        let mut seal = |mut chunk: Vec<u8>, last: bool| {
            let at = chunk.as_ptr();
            cipher.seal(&mut chunk, last)?;
            moved.push(chunk.as_ptr() != at);
            Ok::<_, CryptoError>(())
        };
        framer
            .push(&data(3 * CHUNK as usize + 5), &mut seal)
            .unwrap();
        framer.finish(&mut seal).unwrap();
        // No chunk, full or last, was copied to a larger allocation to take its tag.
        assert_eq!(moved, [false; 4]);
    }

    #[test]
    fn every_tampering_fails() {
        let key = [9u8; 32];
        let c = CHUNK as usize + TAG_LEN;
        let plain = data(3 * CHUNK as usize + 100);
        let enc = encrypt(&plain, &key);
        let h = header_len(&enc);
        let body = &enc[h..];
        // A flipped bit anywhere (header or body).
        for pos in [0, 9, h - 1, h, h + c - 1, h + c, enc.len() - 1] {
            let mut t = enc.clone();
            t[pos] ^= 0x01;
            assert!(decrypt(&t, &key).is_err(), "flip at {pos}");
        }
        // Truncation at a chunk boundary and inside a chunk.
        for cut in [h, h + c, h + 2 * c, h + 3 * c, enc.len() - 1] {
            assert!(decrypt(&enc[..cut], &key).is_err(), "cut at {cut}");
        }
        // Reordering and duplicating chunks.
        let mut swapped = enc[..h].to_vec();
        swapped.extend_from_slice(&body[c..2 * c]);
        swapped.extend_from_slice(&body[..c]);
        swapped.extend_from_slice(&body[2 * c..]);
        assert!(decrypt(&swapped, &key).is_err());
        let mut dup = enc[..h + c].to_vec();
        dup.extend_from_slice(&body[..c]);
        dup.extend_from_slice(&body[c..]);
        assert!(decrypt(&dup, &key).is_err());
        // Splicing: the header of one stream with the chunks of another under the same key.
        let other = encrypt(&plain, &key);
        let mut spliced = other[..header_len(&other)].to_vec();
        spliced.extend_from_slice(body);
        assert!(decrypt(&spliced, &key).is_err());
        // Trailing data after the last chunk.
        let mut trailing = enc.clone();
        trailing.extend_from_slice(&[0u8; 20]);
        assert!(decrypt(&trailing, &key).is_err());
        // A wrong key.
        assert!(decrypt(&enc, &[8u8; 32]).is_err());
    }

    #[test]
    fn no_plaintext_escapes_a_failed_chunk() {
        let key = [9u8; 32];
        let plain = data(2 * CHUNK as usize + 5);
        let mut enc = encrypt(&plain, &key);
        let h = header_len(&enc);
        let second = h + CHUNK as usize + TAG_LEN + 3;
        enc[second] ^= 0x80;
        let mut out = Vec::new();
        let res = decrypt_all(&mut &enc[..], &mut out, |_, _| {
            Ok(Zeroizing::new(key.to_vec()))
        });
        assert!(res.is_err());
        assert_eq!(
            out,
            plain[..CHUNK as usize],
            "only the first, authentic chunk is out"
        );
    }

    #[test]
    fn data_keys_wrap_under_the_kms_key_and_its_uid() {
        use crate::aead::AeadAlgorithm;
        let kms = [3u8; 32];
        for alg in [AeadAlgorithm::Aes256Gcm, AeadAlgorithm::ChaCha20Poly1305] {
            let (dk, wrapped) = new_data_key(alg, &kms, "uid-a").unwrap();
            assert_eq!(wrapped.len(), 60);
            assert_eq!(unwrap_data_key(alg, &kms, "uid-a", &wrapped).unwrap(), dk);
            assert!(unwrap_data_key(alg, &kms, "uid-b", &wrapped).is_err());
            assert!(unwrap_data_key(alg, &[4u8; 32], "uid-a", &wrapped).is_err());
            assert!(unwrap_data_key(alg, &kms, "uid-a", &wrapped[1..]).is_err());
        }
    }

    #[test]
    fn header_parsing_is_strict_and_incremental() {
        let header = StreamHeader::new(DEFAULT_CHUNK_SIZE, "k", vec![1, 2, 3]).unwrap();
        let bytes = header.encode();
        for i in 0..bytes.len() {
            assert_eq!(
                StreamHeader::parse(&bytes[..i]).unwrap(),
                HeaderParse::Incomplete
            );
        }
        assert_eq!(
            StreamHeader::parse(&bytes).unwrap(),
            HeaderParse::Complete(header.clone(), bytes.len())
        );
        let mut bad = bytes.clone();
        bad[0] = b'X';
        assert!(StreamHeader::parse(&bad).is_err());
        let mut bad = bytes.clone();
        bad[8] = 2;
        assert!(StreamHeader::parse(&bad).is_err());
        let mut bad = bytes.clone();
        bad[9..13].copy_from_slice(&16u32.to_be_bytes());
        assert!(StreamHeader::parse(&bad).is_err());
        assert!(StreamHeader::parse(b"GARBAGE!").is_err());
        assert!(StreamHeader::new(100, "k", vec![]).is_err());
    }
}
