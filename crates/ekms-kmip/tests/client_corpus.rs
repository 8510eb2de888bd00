//! The corpus of real clients' requests (`testdata/kmip-clients/`): every whole message decodes
//! as a Request Message and re-encodes to the same bytes (the corpus also seeds the binary fuzz
//! targets, docs/fuzzing.md).

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use ekms_kmip::{FromTtlv, RequestMessage, binary};
use std::path::{Path, PathBuf};

/// The `.bin` files under `dir`, recursively.
fn bins(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(bins(&path));
        } else if path.extension().is_some_and(|e| e == "bin") {
            out.push(path);
        }
    }
    out.sort();
    out
}

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_message_decodes_and_re_encodes_to_its_bytes() {
    let messages = bins(&here().join("../../testdata/kmip-clients/messages"));
    assert!(messages.len() >= 40, "{} messages", messages.len());
    for path in messages {
        let bytes = std::fs::read(&path).unwrap();
        let t = binary::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(binary::to_vec(&t), bytes, "{}", path.display());
        RequestMessage::from_ttlv(t).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
