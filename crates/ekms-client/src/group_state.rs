//! Rollbacks a user can see: the client's side of the `Ekms-Group-State` header
//! (docs/server.md).
//!
//! The server states, on every answer to a request that opened a group, the group's version
//! and the hash chain of its commits, with a MAC under a key derived from the group secret
//! (`ekms_crypto::group_state`). This module checks the MAC and remembers, per group, the
//! highest version seen and its chain, in one small file per group under the state directory
//! ([`default_dir`]: `$XDG_STATE_HOME/ekms/`, by default `~/.local/state/ekms/`), each
//! written whole to a temporary file and renamed over the old one, under a lock file of the
//! group, so that several processes merge their states. A process reads a group's file again
//! only when the path names another file or the file changed size or time (`Read`).
//!
//! The rules ([`judge`]), against what was known *before the request was sent* (so that two
//! requests in flight at once never accuse each other): an answer whose version is lower than
//! the one known is a rollback; the same version with another chain is a fork. Either is
//! refused ([`Error::RolledBack`]). What is remembered afterwards is the higher of the known
//! state and the answer's (merged, never lowered).

use crate::error::{Error, Result};
use crate::secret::Secret;
use base64::Engine as _;
use ekms_crypto::group_state::{GroupState, StateKey};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use ekms_crypto::group_state::HEADER;

/// What an answer's state means against the state known before the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// As new as the known state or newer: the group's history goes on.
    Current,
    /// Older than a version seen before: the storage was put back.
    RolledBack,
    /// The version seen before, with another chain: the storage was put back and written again.
    Forked,
}

/// Judges `got` against `known` (see the module documentation).
pub fn judge(known: Option<&GroupState>, got: &GroupState) -> Verdict {
    match known {
        Some(k) if got.version < k.version => Verdict::RolledBack,
        Some(k) if got.version == k.version && got.chain != k.chain => Verdict::Forked,
        _ => Verdict::Current,
    }
}

/// `$XDG_STATE_HOME/ekms`, else `$HOME/.local/state/ekms`; `None` without either.
pub fn default_dir() -> Option<PathBuf> {
    let nonempty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    nonempty("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| nonempty("HOME").map(|h| PathBuf::from(h).join(".local").join("state")))
        .map(|d| d.join("ekms"))
}

/// What a token secret gives the client: its group and the key that group's state headers are
/// MACed under. Derived once per secret a client holds ([`crate::Client`] keeps its own), not per
/// request: decoding the token and the HKDF were a tenth of the client's CPU per request.
pub struct TokenKey {
    group_id: String,
    key: StateKey,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key stays out of logs; the group id is no secret.
        f.debug_struct("TokenKey")
            .field("group_id", &self.group_id)
            .finish_non_exhaustive()
    }
}

impl TokenKey {
    /// The group id and MAC key of a token, or `None` if the secret is not one (the server
    /// refuses it then, and states nothing).
    pub fn of(secret: &Secret) -> Option<Arc<Self>> {
        let raw = zeroize::Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(secret.expose())
                .ok()?,
        );
        #[derive(serde::Deserialize)]
        struct Token {
            group_id: String,
            key: zeroize::Zeroizing<String>,
        }
        let token: Token = serde_json::from_slice(&raw).ok()?;
        let mut key = zeroize::Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(token.key.as_bytes(), &mut *key).ok()?;
        // A group id names a file: only a UUID's characters.
        if token.group_id.is_empty()
            || !token
                .group_id
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == '-')
        {
            return None;
        }
        let key = StateKey::derive(&key, &token.group_id).ok()?;
        Some(Arc::new(Self {
            group_id: token.group_id,
            key,
        }))
    }
}

/// The remembered states of the groups, in a directory.
#[derive(Debug)]
pub struct Memory {
    dir: PathBuf,
    /// Serializes this process's read-merge-write of a group's file.
    writing: Mutex<()>,
    /// The state last read from each group's file, with that file's identity.
    read: Mutex<HashMap<String, Read>>,
}

/// A group's state file as last read. The file stays open, so that its inode cannot be given
/// to another file while it is known here: a path that still names the same inode, with the
/// same size and modification time, still holds what was read (writers replace the file
/// whole, [`Memory::remember`]), and a request costs a `stat` instead of an open and a read.
#[derive(Debug)]
struct Read {
    _pinned: std::fs::File,
    id: FileId,
    state: Option<GroupState>,
}

/// What tells a file from the one before it at the same path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileId {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, i64),
}

impl FileId {
    fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime: (m.mtime(), m.mtime_nsec()),
        }
    }
}

/// A state file's text: `<version> <chain in hex>`.
fn parse_state(text: &str) -> Option<GroupState> {
    let (version, chain) = text.trim().split_once(' ')?;
    Some(GroupState {
        version: version.parse().ok()?,
        chain: hex::decode(chain).ok()?.try_into().ok()?,
    })
}

/// What a request knew before it was sent.
pub struct Watch {
    token: Arc<TokenKey>,
    known: Option<GroupState>,
}

impl Watch {
    /// The group the request's secret names.
    pub fn group_id(&self) -> &str {
        &self.token.group_id
    }
}

impl Memory {
    /// Remembers under `dir` (created when first written).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            writing: Mutex::new(()),
            read: Mutex::default(),
        }
    }

    fn file(&self, group_id: &str) -> PathBuf {
        self.dir.join(format!("group-{group_id}.state"))
    }

    /// The state remembered for `group_id`; an unreadable file counts as none. The file is
    /// read again only when the path names another file than the one last read, or that file
    /// changed size or time ([`Read`]).
    pub fn known(&self, group_id: &str) -> Option<GroupState> {
        let path = self.file(group_id);
        let read = || self.read.lock().unwrap_or_else(|e| e.into_inner());
        let Ok(now) = std::fs::metadata(&path) else {
            read().remove(group_id);
            return None;
        };
        if let Some(r) = read().get(group_id)
            && r.id == FileId::of(&now)
        {
            return r.state;
        }
        let mut file = std::fs::File::open(&path).ok()?;
        // The identity of what was opened, taken before its text: a change after it shows at
        // the next request as another size or time.
        let id = FileId::of(&file.metadata().ok()?);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut file, &mut text).ok()?;
        let state = parse_state(&text);
        read().insert(
            group_id.to_owned(),
            Read {
                _pinned: file,
                id,
                state,
            },
        );
        state
    }

    /// Notes what the request with `secret` knows before it is sent; `None` for a secret that
    /// is not a token.
    pub fn watch(&self, secret: &Secret) -> Option<Watch> {
        TokenKey::of(secret).map(|token| self.watch_token(token))
    }

    /// As [`Memory::watch`], for a token already decoded.
    pub fn watch_token(&self, token: Arc<TokenKey>) -> Watch {
        let known = self.known(&token.group_id);
        Watch { token, known }
    }

    /// Checks an answer's header against what the request knew and remembers the newer state.
    pub fn check(&self, watch: &Watch, header: &str) -> Result<GroupState> {
        let group_id = &watch.token.group_id;
        let got = GroupState::parse(header, &watch.token.key).map_err(|e| {
            Error::Protocol(format!(
                "the server's {HEADER} header for group {group_id} does not verify ({e}): the answer did not come from a server holding this group"
            ))
        })?;
        let verdict = judge(watch.known.as_ref(), &got);
        if let (Some(known), Verdict::RolledBack | Verdict::Forked) = (watch.known, verdict) {
            return Err(Error::RolledBack {
                group: group_id.clone(),
                seen: known.version,
                got: got.version,
                forked: verdict == Verdict::Forked,
            });
        }
        // The file only grows (merged by max): an answer stating what the request already knew
        // (most do: reads, a busy key's Encrypt) needs no second read of it.
        if watch.known.is_some_and(|k| k.version >= got.version) {
            return Ok(got);
        }
        self.remember(group_id, &got)?;
        Ok(got)
    }

    /// Keeps `got` if it is newer than the remembered state (merged by max). The read and the
    /// write hold the group's lock file (`flock`), so processes running at once merge too.
    fn remember(&self, group_id: &str, got: &GroupState) -> Result<()> {
        let newer = |known: Option<GroupState>| known.is_none_or(|k| k.version < got.version);
        // Most answers state what is remembered already (reads, a busy key's Encrypt): no lock.
        if !newer(self.known(group_id)) {
            return Ok(());
        }
        let _one = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let failed = |e: std::io::Error| {
            Error::Invalid(format!(
                "cannot remember the group's state in {}: {e}; set XDG_STATE_HOME to a writable directory",
                self.dir.display()
            ))
        };
        std::fs::create_dir_all(&self.dir).map_err(failed)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(self.dir.join(format!("group-{group_id}.lock")))
            .map_err(failed)?;
        rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| failed(e.into()))?;
        if !newer(self.known(group_id)) {
            return Ok(());
        }
        let path = self.file(group_id);
        let tmp = self
            .dir
            .join(format!(".group-{group_id}.{}.tmp", std::process::id()));
        write_synced(
            &tmp,
            &format!("{} {}\n", got.version, hex::encode(got.chain)),
        )
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            failed(e)
        })
    }
}

fn write_synced(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(test)]
pub(crate) mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use ekms_crypto::group_state::{GENESIS_CHAIN, next_chain};

    fn state(version: u64, chain: [u8; 32]) -> GroupState {
        GroupState { version, chain }
    }

    #[test]
    fn the_rules() {
        let a = state(5, [1; 32]);
        assert_eq!(judge(None, &state(0, GENESIS_CHAIN)), Verdict::Current);
        assert_eq!(judge(Some(&a), &a), Verdict::Current);
        assert_eq!(judge(Some(&a), &state(6, [9; 32])), Verdict::Current);
        assert_eq!(judge(Some(&a), &state(4, [1; 32])), Verdict::RolledBack);
        assert_eq!(judge(Some(&a), &state(5, [2; 32])), Verdict::Forked);
    }

    pub(crate) fn secret_of(group: &str, key: [u8; 32]) -> Secret {
        let json = format!(r#"{{"group_id":"{group}","key":"{}"}}"#, hex::encode(key));
        Secret::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json))
    }

    #[test]
    fn answers_are_checked_against_what_was_known_before_and_merged_by_max() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path().join("ekms"));
        let group = "0b6f3c1e-0000-4000-8000-000000000001";
        let secret = secret_of(group, [4; 32]);
        let key = StateKey::derive(&[4; 32], group).unwrap();
        let s5 = state(5, next_chain(&GENESIS_CHAIN, 5).unwrap());
        let s6 = state(6, next_chain(&s5.chain, 6).unwrap());

        // Two requests sent before either answer: the later answer comes first.
        let first = memory.watch(&secret).unwrap();
        let second = memory.watch(&secret).unwrap();
        memory.check(&second, &s6.header(&key)).unwrap();
        // The older answer of a request sent before is no false alarm, and lowers nothing.
        memory.check(&first, &s5.header(&key)).unwrap();
        assert_eq!(memory.known(group), Some(s6));

        // A request sent now must not see older than version 6, nor another chain at 6.
        let w = memory.watch(&secret).unwrap();
        match memory.check(&w, &s5.header(&key)) {
            Err(
                e @ Error::RolledBack {
                    seen: 6,
                    got: 5,
                    forked: false,
                    ..
                },
            ) => {
                let m = e.to_string();
                assert!(m.contains("version 5") && m.contains("version 6"), "{m}");
                assert!(m.contains("rolled back"), "{m}");
            }
            other => panic!("{other:?}"),
        }
        let fork = state(6, next_chain(&s5.chain, 6).unwrap());
        match memory.check(&w, &fork.header(&key)) {
            Err(e @ Error::RolledBack { forked: true, .. }) => {
                assert!(e.to_string().contains("forked"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        // A header under another key is refused, and remembers nothing.
        let other = StateKey::derive(&[5; 32], group).unwrap();
        let s7 = state(7, next_chain(&s6.chain, 7).unwrap());
        assert!(matches!(
            memory.check(&w, &s7.header(&other)),
            Err(Error::Protocol(_))
        ));
        assert_eq!(memory.known(group), Some(s6));
        // The memory is a file: another client process reads it.
        assert_eq!(Memory::new(dir.path().join("ekms")).known(group), Some(s6));
        assert!(memory.watch(&Secret::new("not a token".into())).is_none());
    }
    /// Writes `text` over the group's state file as another client process does: a new file
    /// renamed over the old one.
    fn replace(memory: &Memory, group: &str, text: &str) {
        let tmp = memory.dir.join("other.tmp");
        std::fs::write(&tmp, text).unwrap();
        std::fs::rename(&tmp, memory.file(group)).unwrap();
    }

    #[test]
    fn what_another_process_writes_is_seen_at_the_next_request() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path().to_path_buf());
        let group = "0b6f3c1e-0000-4000-8000-000000000002";
        assert_eq!(memory.known(group), None);
        let chain = |b| hex::encode([b; 32]);
        replace(&memory, group, &format!("5 {}\n", chain(1)));
        assert_eq!(memory.known(group), Some(state(5, [1; 32])));
        // Replaced by a file of the very same size (the same version, another chain): the
        // renamed file is another file, whatever its size and time.
        replace(&memory, group, &format!("5 {}\n", chain(2)));
        assert_eq!(memory.known(group), Some(state(5, [2; 32])));
        // Rewritten in place (as an editor may): a new size or time is seen too.
        std::fs::write(memory.file(group), format!("12 {}\n", chain(3))).unwrap();
        assert_eq!(memory.known(group), Some(state(12, [3; 32])));
        std::fs::remove_file(memory.file(group)).unwrap();
        assert_eq!(memory.known(group), None);
        replace(&memory, group, "not a state\n");
        assert_eq!(memory.known(group), None);
    }

    #[test]
    fn an_unchanged_file_is_not_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let memory = Memory::new(dir.path().to_path_buf());
        let group = "0b6f3c1e-0000-4000-8000-000000000003";
        replace(&memory, group, &format!("5 {}\n", hex::encode([1u8; 32])));
        assert_eq!(memory.known(group), Some(state(5, [1; 32])));
        // Changed in place with its size and modification time kept: only a read of the
        // file would see it, and the memory does not read a file whose identity it knows.
        let path = memory.file(group);
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, format!("6 {}\n", hex::encode([1u8; 32]))).unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        assert_eq!(memory.known(group), Some(state(5, [1; 32])));
        // Another memory (another process) reads it.
        assert_eq!(
            Memory::new(dir.path().to_path_buf()).known(group),
            Some(state(6, [1; 32]))
        );
    }
}
