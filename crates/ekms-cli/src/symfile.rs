//! `ekms sym encrypt` and `ekms sym decrypt`: files of any size in the stream format of
//! docs/stream-format.md, and version 1 files of docs/file-format.md still read.
//!
//! By default the server does the work through `POST /v1/encrypt|decrypt/{uid}`: the input is
//! streamed up as it is read and the answer streamed down to the output, so memory stays
//! constant. With `--client-side` the KMS only wraps (or unwraps) a fresh per-stream data key
//! with a KMIP Encrypt (Decrypt) under the KMS key, and the payload is encrypted here in the
//! same format; either side reads the other's streams.
//!
//! `-` names standard input (IN) or standard output (`-o -`). A file output is written to a
//! temporary file next to it and renamed only on success; any failure, including an answer the
//! server cut short, removes it. On standard output a failure gives a non-zero exit status. A
//! progress bar (bytes, rate, ETA) is drawn on stderr only when stderr is a terminal.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, anyhow, bail};
use ekms_client::{Client, SymmetricAlgorithm};
use ekms_crypto::stream::{
    self as fmt, DATA_KEY_LEN, DEFAULT_CHUNK_SIZE, HeaderParse, StreamHeader, StreamIoError,
};
use futures_util::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio_util::io::SyncIoBridge;

use crate::cli::keys::{SymDecryptArgs, SymEncryptArgs};
use crate::context::Context;
use crate::format::{self, Algorithm, EncryptedFile, HeaderV1};
use crate::report::Explained;

mod damaged;

type Reader = Box<dyn AsyncRead + Unpin + Send>;
type Writer = Box<dyn AsyncWrite + Unpin + Send>;

fn is_dash(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Standard I/O moves in blocks of this size. tokio runs each stdin/stdout/file call on its
/// blocking pool, one thread hand-off per call: with 64 KiB pipe reads and writes those
/// hand-offs, not the cryptography, dominated a large round trip (see BENCHMARKS.md).
const IO_BLOCK: usize = 1 << 20;

/// The pipe buffer asked for on standard input and output: Linux's default limit for any
/// process (`/proc/sys/fs/pipe-max-size`). With the default 64 KiB, every 64 KiB through a pipe
/// put the reader to sleep and woke it again; in a pipeline such as `head | ekms sym encrypt - -o
/// - | ekms sym decrypt - -o -` those wake-ups were the largest cost of `ekms` itself.
const PIPE_SIZE: usize = 1 << 20;

/// Asks for a [`PIPE_SIZE`] buffer when `fd` is a pipe; anything else (a file, a terminal, a
/// kernel that refuses) is left as it is.
fn enlarge_pipe(fd: impl std::os::fd::AsFd) {
    #[cfg(target_os = "linux")]
    {
        let _ = rustix::pipe::fcntl_setpipe_size(fd, PIPE_SIZE);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

/// Standard input, read on a thread of its own in blocks of [`IO_BLOCK`] (as many pipe reads
/// as it takes) and handed over through a small bounded channel, so memory stays constant.
fn stdin_reader() -> Reader {
    enlarge_pipe(std::io::stdin());
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<bytes::Bytes>>(2);
    std::thread::spawn(move || {
        use std::os::fd::AsFd as _;
        let stdin = std::io::stdin();
        loop {
            // Read into the block's capacity, not into zeroed memory: zeroing each block first
            // cost as much CPU as a pass over the data (BENCHMARKS.md, "Sixth round").
            let mut block = Vec::with_capacity(IO_BLOCK);
            while block.len() < IO_BLOCK {
                match rustix::io::read(stdin.as_fd(), rustix::buffer::spare_capacity(&mut block)) {
                    Ok(0) => break,
                    Ok(_) | Err(rustix::io::Errno::INTR) => {}
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e.into()));
                        return;
                    }
                }
            }
            if block.is_empty() {
                return;
            }
            let end_of_input = block.len() < IO_BLOCK;
            if tx.blocking_send(Ok(bytes::Bytes::from(block))).is_err() || end_of_input {
                return;
            }
        }
    });
    let blocks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|block| (block, rx))
    });
    Box::new(tokio_util::io::StreamReader::new(Box::pin(blocks)))
}

/// Standard output as a plain file: `tokio::io::stdout()` writes through the standard library's
/// line-buffered stdout, which scans every block for a newline (about 1% of a round trip's CPU)
/// although this output is binary and already written in blocks of [`IO_BLOCK`].
fn raw_stdout() -> Result<tokio::fs::File> {
    use std::os::fd::AsFd as _;
    let fd = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .context("cannot write to standard output")?;
    Ok(tokio::fs::File::from_std(std::fs::File::from(fd)))
}

/// Opens IN: standard input for `-`; also returns the size of a regular file.
async fn open_input(path: &Path) -> Result<(Reader, Option<u64>)> {
    if is_dash(path) {
        return Ok((stdin_reader(), None));
    }
    let file = tokio::fs::File::open(path)
        .await
        .with_context(|| format!("cannot read {}", path.display()))?;
    let len = file
        .metadata()
        .await
        .ok()
        .filter(|m| m.is_file())
        .map(|m| m.len());
    Ok((Box::new(file), len))
}

/// OUT while it is written: a temporary file next to it (deleted when dropped), or stdout.
struct Output {
    target: Option<(PathBuf, tempfile::NamedTempFile)>,
    writer: Writer,
    force: bool,
}

impl Output {
    /// `force`: replace OUT if it appeared since it was checked; otherwise the rename fails.
    fn create(path: &Path, force: bool) -> Result<Self> {
        if is_dash(path) {
            enlarge_pipe(std::io::stdout());
            return Ok(Output {
                target: None,
                writer: Box::new(tokio::io::BufWriter::with_capacity(IO_BLOCK, raw_stdout()?)),
                force,
            });
        }
        let temp = crate::output::temp_beside(path)?;
        let file = temp
            .as_file()
            .try_clone()
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(Output {
            target: Some((path.to_path_buf(), temp)),
            writer: Box::new(tokio::io::BufWriter::with_capacity(
                IO_BLOCK,
                tokio::fs::File::from_std(file),
            )),
            force,
        })
    }

    fn is_stdout(&self) -> bool {
        self.target.is_none()
    }

    /// Flushes and, for a file, syncs and renames it over OUT.
    async fn commit(mut self) -> Result<()> {
        self.writer
            .flush()
            .await
            .context("cannot write the output")?;
        drop(self.writer);
        if let Some((path, temp)) = self.target {
            temp.as_file()
                .sync_all()
                .and_then(|()| {
                    let persisted = if self.force {
                        temp.persist(&path)
                    } else {
                        temp.persist_noclobber(&path)
                    };
                    persisted.map(|_| ()).map_err(|e| e.error)
                })
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

/// A progress bar on stderr when it is a terminal, else a hidden one.
fn progress(len: Option<u64>) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let (bar, template) = match len {
        Some(n) => (
            ProgressBar::new(n),
            "{bytes}/{total_bytes} [{bar:30}] {binary_bytes_per_sec}, ETA {eta}",
        ),
        None => (
            ProgressBar::new_spinner(),
            "{spinner} {bytes} {binary_bytes_per_sec}",
        ),
    };
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}

/// Prints the summary: to stdout, or to stderr when stdout carries the data.
/// What a file command did, for [`report`]: `"<verb> <input> to <output> with key <uid><note>"`
/// as a line, or the JSON object of `fields` with `input`, `output` and `unique_identifier`
/// added (`--json`).
struct Done<'a> {
    verb: &'static str,
    input: &'a Path,
    output: &'a Path,
    uid: &'a str,
    note: String,
    fields: serde_json::Value,
}

fn client_side_note(client_side: bool) -> &'static str {
    if client_side { " (client side)" } else { "" }
}

/// Reports what a file command did: on stderr when the output file is stdout.
fn report(to_stderr: bool, json: bool, done: Done<'_>) -> Result<()> {
    let line = if json {
        let mut value = done.fields;
        if let Some(map) = value.as_object_mut() {
            map.insert("input".into(), done.input.display().to_string().into());
            map.insert("output".into(), done.output.display().to_string().into());
            map.insert("unique_identifier".into(), done.uid.into());
        }
        serde_json::to_string_pretty(&value)?
    } else {
        format!(
            "{} {} to {} with key {}{}",
            done.verb,
            done.input.display(),
            done.output.display(),
            done.uid,
            done.note
        )
    };
    if to_stderr {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
    Ok(())
}

fn stream_error(e: StreamIoError, what: &str, input: &Path) -> anyhow::Error {
    match e {
        StreamIoError::Io(io) => anyhow!(io).context(format!("{what} of {} failed", input.display())),
        other => Explained {
            message: format!("{what} of {} failed: {other}", input.display()),
            hint: Some(
                "the file was modified, truncated or corrupted, or it is not an ekms stream; nothing was written"
                    .to_string(),
            ),
        }
        .into(),
    }
}

/// `ekms sym encrypt`.
pub async fn sym_encrypt(ctx: &Context, args: &SymEncryptArgs) -> Result<()> {
    let output =
        crate::output::choose_output(&args.input, args.output.as_deref(), true, args.force)?;
    if args.legacy_v1 {
        return encrypt_v1(ctx, args, &output).await;
    }
    let client = ctx.stream_client()?;
    let (input, len) = open_input(&args.input).await?;
    let bar = progress(len);
    let input: Reader = Box::new(bar.wrap_async_read(input));
    let mut out = Output::create(&output, args.force)?;
    let result = if args.client_side {
        encrypt_local(&client, &args.key, input, &mut out).await
    } else {
        encrypt_remote(&client, &args.key, input, len, &mut out).await
    };
    bar.finish_and_clear();
    let written = result?;
    let plain = bar.position();
    let to_stderr = out.is_stdout();
    out.commit().await?;
    report(
        to_stderr,
        ctx.json,
        Done {
            verb: "encrypted",
            input: &args.input,
            output: &output,
            uid: &args.key,
            note: client_side_note(args.client_side).into(),
            fields: json!({
                "format": "stream",
                "format_version": fmt::VERSION,
                "client_side": args.client_side,
                "plaintext_bytes": plain,
                "file_bytes": written,
            }),
        },
    )
}

/// Copies the server's answer to the output; returns the bytes written.
async fn drain(mut body: ekms_client::ByteStream, out: &mut Output) -> Result<u64> {
    let mut written = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        out.writer
            .write_all(&chunk)
            .await
            .context("cannot write the output")?;
        written += chunk.len() as u64;
    }
    Ok(written)
}

async fn encrypt_remote(
    client: &Client,
    uid: &str,
    input: Reader,
    len: Option<u64>,
    out: &mut Output,
) -> Result<u64> {
    let body = client
        .encrypt_reader(uid, input, len)
        .await
        .map_err(|e| match e {
            ekms_client::Error::Http { .. } => encrypt_cut_short(anyhow!(e)),
            other => limit_error(other),
        })?;
    drain(body, out).await.map_err(encrypt_cut_short)
}

/// An encryption the server ended with an error (the input passed its size limit).
fn encrypt_cut_short(e: anyhow::Error) -> anyhow::Error {
    Explained {
        message: format!("encryption failed: {e:#}"),
        hint: Some(
            "the server cuts its answer when the input passes its size limit (--max-payload-bytes): use --client-side for larger inputs; nothing was kept"
                .to_string(),
        ),
    }
    .into()
}

fn limit_error(e: ekms_client::Error) -> anyhow::Error {
    if e.status() == Some(413) {
        return Explained {
            message: format!("the server refused the payload: it is over its size limit ({e})"),
            hint: Some(
                "encrypt it with --client-side (no size limit), or split it; nothing was written"
                    .to_string(),
            ),
        }
        .into();
    }
    e.into()
}

async fn encrypt_local(client: &Client, uid: &str, input: Reader, out: &mut Output) -> Result<u64> {
    let algorithm = client.symmetric_algorithm(uid).await?;
    let data_key = ekms_crypto::rand::secret(DATA_KEY_LEN)
        .map_err(|e| anyhow!("cannot draw a data key: {e}"))?;
    let wrapped = client
        .encrypt(
            uid,
            Some(algorithm),
            &data_key,
            Some(&fmt::data_key_aad(uid)),
        )
        .await?;
    let wrapped = fmt::assemble_wrapped_key(&wrapped.iv, &wrapped.ciphertext, &wrapped.tag);
    fmt::split_wrapped_key(&wrapped)
        .map_err(|e| anyhow!("the server's wrapped data key cannot be used: {e}"))?;
    let header = StreamHeader::new(DEFAULT_CHUNK_SIZE, uid, wrapped)
        .map_err(|e| anyhow!("cannot build the stream header: {e}"))?;
    let header_len = header.encode().len() as u64;
    let writer = std::mem::replace(&mut out.writer, Box::new(tokio::io::sink()));
    let mut reader = SyncIoBridge::new(input);
    let mut writer = SyncIoBridge::new(writer);
    let (result, writer) = tokio::task::spawn_blocking(move || {
        let result = fmt::encrypt_all(&header, &data_key, &mut reader, &mut writer)
            .and_then(|n| writer.flush().map(|()| n).map_err(StreamIoError::from));
        (result, writer.into_inner())
    })
    .await
    .context("the encryption task failed")?;
    out.writer = writer;
    let plain = result.map_err(|e| anyhow!("encryption failed: {e}"))?;
    // The stream's size, as docs/stream-format.md gives it.
    let chunks = plain.div_ceil(u64::from(DEFAULT_CHUNK_SIZE)).max(1);
    Ok(header_len + plain + chunks * fmt::TAG_LEN as u64)
}

/// `ekms sym decrypt`: dispatches on the file's magic.
pub async fn sym_decrypt(ctx: &Context, args: &SymDecryptArgs) -> Result<()> {
    let output =
        crate::output::choose_output(&args.input, args.output.as_deref(), false, args.force)?;
    let (input, len) = open_input(&args.input).await?;
    let bar = progress(len);
    let mut input: Reader = Box::new(bar.wrap_async_read(input));
    let mut prefix = Vec::new();
    read_up_to(&mut input, &mut prefix, fmt::MAGIC.len()).await?;
    if prefix.as_slice() != fmt::MAGIC.as_slice() {
        // Not a stream: the single-message format, read whole (it is small by construction).
        input
            .read_to_end(&mut prefix)
            .await
            .with_context(|| format!("cannot read {}", args.input.display()))?;
        bar.finish_and_clear();
        return decrypt_v1(ctx, args, &output, &prefix).await;
    }
    let header = loop {
        let parsed = StreamHeader::parse(&prefix).map_err(|e| Explained {
            message: format!("cannot decrypt {}: {e}", args.input.display()),
            hint: None,
        })?;
        if let HeaderParse::Complete(header, _) = parsed {
            break header;
        }
        let before = prefix.len();
        read_up_to(&mut input, &mut prefix, before + 512).await?;
        if prefix.len() == before {
            bail!(Explained {
                message: format!(
                    "cannot decrypt {}: the file ends inside its header",
                    args.input.display()
                ),
                hint: None,
            });
        }
    };
    let uid = header.key_uid.clone();
    check_key(args, &uid)?;
    let input: Reader = Box::new(std::io::Cursor::new(prefix).chain(input));
    let client = ctx.stream_client()?;
    let mut out = Output::create(&output, args.force)?;
    let result = if args.client_side {
        decrypt_local(&client, &header, input, &mut out, &args.input).await
    } else {
        decrypt_remote(&client, &header, input, len, &mut out, &args.input).await
    };
    bar.finish_and_clear();
    let plain = result?;
    let to_stderr = out.is_stdout();
    out.commit().await?;
    report(
        to_stderr,
        ctx.json,
        Done {
            verb: "decrypted",
            input: &args.input,
            output: &output,
            uid: &uid,
            note: client_side_note(args.client_side).into(),
            fields: json!({
                "format": "stream",
                "format_version": fmt::VERSION,
                "client_side": args.client_side,
                "plaintext_bytes": plain,
            }),
        },
    )
}

/// Reads until `buf` holds `want` bytes or the input ends.
async fn read_up_to(input: &mut Reader, buf: &mut Vec<u8>, want: usize) -> Result<()> {
    let mut piece = [0u8; 512];
    while buf.len() < want {
        let room = (want - buf.len()).min(piece.len());
        let n = input
            .read(&mut piece[..room])
            .await
            .context("cannot read the input")?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&piece[..n]);
    }
    Ok(())
}

fn check_key(args: &SymDecryptArgs, uid: &str) -> Result<()> {
    match &args.key {
        Some(key) if key != uid => Err(Explained {
            message: format!(
                "{} was encrypted with key {uid}, not {key}",
                args.input.display()
            ),
            hint: Some("omit --key to use the key named in the file".to_string()),
        }
        .into()),
        _ => Ok(()),
    }
}

async fn decrypt_remote(
    client: &Client,
    header: &StreamHeader,
    input: Reader,
    len: Option<u64>,
    out: &mut Output,
    path: &Path,
) -> Result<u64> {
    let failure = match client.decrypt_reader(&header.key_uid, input, len).await {
        // The server may reset the exchange before its answer starts (a small stream that
        // fails at once): the same failure as an answer cut short.
        Err(e @ ekms_client::Error::Http { .. }) => anyhow!(e),
        Err(other) => return Err(decrypt_error(other, path)),
        Ok(body) => match drain(body, out).await {
            Ok(n) => return Ok(n),
            // A failure to write here is reported as it is.
            Err(e) if e.downcast_ref::<ekms_client::Error>().is_none() => return Err(e),
            Err(e) => e,
        },
    };
    Err(damaged::explain(client, header, path, failure).await)
}

/// The stream's data key, unwrapped by the KMS key named in its header.
pub(crate) async fn unwrap_data_key(
    client: &Client,
    header: &StreamHeader,
    path: &Path,
) -> Result<zeroize::Zeroizing<Vec<u8>>> {
    let uid = header.key_uid.as_str();
    let (iv, ct, tag) = fmt::split_wrapped_key(&header.wrapped_key).map_err(|e| Explained {
        message: format!("cannot decrypt {}: {e}", path.display()),
        hint: None,
    })?;
    let algorithm = client.symmetric_algorithm(uid).await?;
    client
        .decrypt(
            uid,
            Some(algorithm),
            ct,
            iv,
            tag,
            Some(&fmt::data_key_aad(uid)),
        )
        .await
        .map_err(|e| decrypt_error(e, path))
}

async fn decrypt_local(
    client: &Client,
    header: &StreamHeader,
    input: Reader,
    out: &mut Output,
    path: &Path,
) -> Result<u64> {
    let data_key = unwrap_data_key(client, header, path).await?;
    let writer = std::mem::replace(&mut out.writer, Box::new(tokio::io::sink()));
    let mut reader = SyncIoBridge::new(input);
    let mut writer = SyncIoBridge::new(writer);
    let (result, writer) = tokio::task::spawn_blocking(move || {
        let result = fmt::decrypt_all(&mut reader, &mut writer, |_, _| Ok(data_key))
            .and_then(|n| writer.flush().map(|()| n).map_err(StreamIoError::from));
        (result, writer.into_inner())
    })
    .await
    .context("the decryption task failed")?;
    out.writer = writer;
    result.map_err(|e| stream_error(e, "decryption", path))
}

// ---- version 1: one KMIP message (docs/file-format.md) ----

fn file_algorithm(algorithm: SymmetricAlgorithm) -> Algorithm {
    match algorithm {
        SymmetricAlgorithm::Aes => Algorithm::AesGcm,
        SymmetricAlgorithm::ChaCha20 => Algorithm::ChaCha20Poly1305,
    }
}

/// Writes `data` to OUT: atomically for a file, as is for `-`.
fn write_all_output(path: &Path, data: &[u8]) -> Result<()> {
    if is_dash(path) {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(data)
            .and_then(|()| stdout.flush())
            .context("cannot write to standard output")
    } else {
        crate::output::write_atomic(path, data)
    }
}

/// The earlier format, kept as a writer so that compatibility stays tested.
async fn encrypt_v1(ctx: &Context, args: &SymEncryptArgs, output: &Path) -> Result<()> {
    let plaintext = if is_dash(&args.input) {
        let mut buf = Vec::new();
        tokio::io::stdin().read_to_end(&mut buf).await?;
        zeroize::Zeroizing::new(buf)
    } else {
        zeroize::Zeroizing::new(
            std::fs::read(&args.input)
                .with_context(|| format!("cannot read {}", args.input.display()))?,
        )
    };
    let client = ctx.client(true)?;
    let algorithm = client.symmetric_algorithm(&args.key).await?;
    let header = HeaderV1 {
        key_uid: args.key.clone(),
        algorithm: file_algorithm(algorithm),
    };
    let aad = header.to_bytes()?;
    let encrypted = client
        .encrypt(&args.key, Some(algorithm), &plaintext, Some(&aad))
        .await?;
    if encrypted.ciphertext.len() != plaintext.len() {
        bail!(
            "the server returned {} bytes of ciphertext for {} bytes of plaintext: refusing to write the file",
            encrypted.ciphertext.len(),
            plaintext.len()
        );
    }
    let file = format::write_v1(
        &header,
        &encrypted.iv,
        &encrypted.tag,
        &encrypted.ciphertext,
    )
    .map_err(|e| anyhow!("the server's answer cannot be stored: {e}"))?;
    write_all_output(output, &file)?;
    report(
        is_dash(output),
        ctx.json,
        Done {
            verb: "encrypted",
            input: &args.input,
            output,
            uid: &args.key,
            note: format!(" ({}, format version 1)", header.algorithm),
            fields: json!({
                "algorithm": header.algorithm.to_string(),
                "format_version": format::VERSION_1,
                "plaintext_bytes": plaintext.len(),
                "file_bytes": file.len(),
            }),
        },
    )
}

async fn decrypt_v1(
    ctx: &Context,
    args: &SymDecryptArgs,
    output: &Path,
    bytes: &[u8],
) -> Result<()> {
    let parsed = format::parse(bytes).map_err(|e| Explained {
        message: format!("cannot decrypt {}: {e}", args.input.display()),
        hint: None,
    })?;
    let version = parsed.version();
    let EncryptedFile::V1(file) = parsed;
    let uid = file.header.key_uid.clone();
    check_key(args, &uid)?;
    let algorithm = match file.header.algorithm {
        Algorithm::AesGcm => SymmetricAlgorithm::Aes,
        Algorithm::ChaCha20Poly1305 => SymmetricAlgorithm::ChaCha20,
    };
    let client = ctx.client(true)?;
    let plaintext = client
        .decrypt(
            &uid,
            Some(algorithm),
            file.ciphertext,
            file.iv,
            file.tag,
            Some(file.aad),
        )
        .await
        .map_err(|e| decrypt_error(e, &args.input))?;
    write_all_output(output, &plaintext)?;
    report(
        is_dash(output),
        ctx.json,
        Done {
            verb: "decrypted",
            input: &args.input,
            output,
            uid: &uid,
            note: String::new(),
            fields: json!({
                "algorithm": file.header.algorithm.to_string(),
                "format_version": version,
                "plaintext_bytes": plaintext.len(),
            }),
        },
    )
}

fn decrypt_error(e: ekms_client::Error, input: &Path) -> anyhow::Error {
    let lifecycle = e.code() == Some("WrongKeyLifecycleState");
    // Not a damaged file: its key is gone, and no file repair can help.
    if e.code() == Some("ObjectDestroyed") {
        return Explained {
            message: format!(
                "cannot decrypt {}: the key that encrypted it was destroyed ({})",
                input.display(),
                api_message(&e)
            ),
            hint: Some(
                "a destroyed key's material is gone from the server, so nothing encrypted under it can be decrypted through it; nothing was written"
                    .to_string(),
            ),
        }
        .into();
    }
    match e.status() {
        Some(400) | Some(422) if !lifecycle => Explained {
            message: format!(
                "decryption of {} failed: {} ({})",
                input.display(),
                e.code().unwrap_or("refused"),
                api_message(&e)
            ),
            hint: Some(
                "the file was modified or corrupted, or its key is not the one that encrypted it; nothing was written"
                    .to_string(),
            ),
        }
        .into(),
        Some(413) => limit_error(e),
        _ => e.into(),
    }
}

fn api_message(e: &ekms_client::Error) -> String {
    match e {
        ekms_client::Error::Api { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn pipes_get_the_larger_buffer_and_files_are_left_alone() {
        let (read, write) = rustix::pipe::pipe().unwrap();
        let before = rustix::pipe::fcntl_getpipe_size(&read).unwrap();
        let allowed: usize = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        enlarge_pipe(&write);
        let after = rustix::pipe::fcntl_getpipe_size(&read).unwrap();
        if allowed >= PIPE_SIZE {
            assert_eq!(after, PIPE_SIZE);
        } else {
            assert_eq!(
                after, before,
                "a size over the system's limit is not forced"
            );
        }
        // Not a pipe: nothing to do, nothing fails.
        let file = tempfile::tempfile().unwrap();
        enlarge_pipe(&file);
    }
}
