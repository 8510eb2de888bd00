//! Repository chores run with `cargo run -p xtask -- <task>`; see `main.rs` for the list.
//!
//! This crate owns the generator of the KMIP tables of `ekms-kmip` ([`tables`]) and the walk
//! over the repository's Rust sources its tests share ([`rust_files`]). It depends on std only
//! and no crate depends on it.

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

/// The `.rs` files under `dir`, recursively, in no particular order.
pub fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let path = entry?.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    Ok(out)
}
