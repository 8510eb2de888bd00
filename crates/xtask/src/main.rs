//! `cargo run -p xtask -- <task>`: repository chores that are not part of any shipped crate.
//!
//! Tasks:
//! - `gen-tables`: rewrite `crates/ekms-kmip/src/tags/table.rs` and
//!   `crates/ekms-kmip/src/enums/generated.rs` from the data in `crates/ekms-kmip/spec/`.
//! - `check-tables`: exit non-zero when the committed tables differ from what `gen-tables`
//!   would write (the test `tests/tables.rs` does the same inside `cargo test`).

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask::workspace_root();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen-tables"] => xtask::tables::write(&root).map(|changed| {
            if changed.is_empty() {
                println!("tables are up to date");
            }
            for path in changed {
                println!("wrote {}", path.display());
            }
        }),
        ["check-tables"] => xtask::tables::check(&root).map(|()| println!("tables are up to date")),
        _ => {
            eprintln!("usage: cargo run -p xtask -- gen-tables | check-tables");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
