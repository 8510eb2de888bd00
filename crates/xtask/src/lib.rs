//! Repository chores run with `cargo run -p xtask -- <task>`; see `main.rs` for the list.
//!
//! This crate owns the generator of the KMIP tables of `ekms-kmip` ([`tables`]). It depends on
//! std only and no crate depends on it.

#![forbid(unsafe_code)]

pub mod tables;

use std::path::{Path, PathBuf};

/// The workspace root: this crate lives in `<root>/crates/xtask`.
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| here.to_path_buf())
}
