//! Saying what is wrong with a stream the server could not decrypt.
//!
//! The server ends its answer early when a chunk does not authenticate, and over HTTP/2 that
//! reaches the client as a bare stream reset, which says nothing about the file. When the input
//! is a file, it is decrypted again here (the data key unwrapped by the KMS, as `--client-side`
//! does) into a counter: the plaintext bytes released before the first failure say which chunk
//! failed. When that is the file's last chunk, the file ends too early: a cut at a chunk
//! boundary leaves a last chunk that was not sealed as last, and a cut inside one a bad tag.

use std::io::{BufReader, Write};
use std::path::Path;

use ekms_client::Client;
use ekms_crypto::stream::{self as fmt, StreamHeader};

use crate::report::Explained;

/// The error for a decryption of `path` the server ended with `failure`.
pub async fn explain(
    client: &Client,
    header: &StreamHeader,
    path: &Path,
    failure: anyhow::Error,
) -> anyhow::Error {
    let message = match locate_failure(client, header, path).await {
        Some(Failure::Truncated) => format!(
            "decryption of {} failed: the file is truncated: it ends before its encrypted stream does (or its last part was altered)",
            path.display()
        ),
        Some(Failure::Altered { from }) => format!(
            "decryption of {} failed: its data does not authenticate from plaintext byte {from} on: the file was modified or corrupted",
            path.display()
        ),
        None => format!(
            "decryption of {} failed: the server stopped ({failure:#}); the file is truncated, modified or corrupted",
            path.display()
        ),
    };
    Explained {
        message,
        hint: Some(
            "decrypt an intact copy of the file (an interrupted copy or download leaves it truncated); nothing was kept"
                .to_string(),
        ),
    }
    .into()
}

enum Failure {
    /// The last chunk of the file as given does not authenticate.
    Truncated,
    /// An earlier chunk does not: `from` is the first plaintext byte it holds.
    Altered { from: u64 },
}

/// Where the stream in `path` stops authenticating; `None` when that cannot be told (standard
/// input, the key cannot be unwrapped here, or the file decrypts here after all).
async fn locate_failure(client: &Client, header: &StreamHeader, path: &Path) -> Option<Failure> {
    if path == Path::new("-") {
        return None;
    }
    let data_key = crate::symfile::unwrap_data_key(client, header, path)
        .await
        .ok()?;
    let file = std::fs::File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    let released = tokio::task::spawn_blocking(move || {
        let mut counter = Counter(0);
        let result = fmt::decrypt_all(&mut BufReader::new(file), &mut counter, |_, _| Ok(data_key));
        result.is_err().then_some(counter.0)
    })
    .await
    .ok()??;
    let chunk = u64::from(header.chunk_size).max(1);
    let sealed = chunk + fmt::TAG_LEN as u64;
    let body = len.saturating_sub(header.encode().len() as u64);
    let chunks_in_file = body.div_ceil(sealed).max(1);
    let failed = released / chunk;
    Some(if failed + 1 >= chunks_in_file {
        Failure::Truncated
    } else {
        Failure::Altered { from: released }
    })
}

/// Counts the plaintext bytes the reader releases (each only once its chunk authenticated).
struct Counter(u64);

impl Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
