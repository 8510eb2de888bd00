//! The layers of `ekms-cli`, as docs/design.md lists them: each module of the crate uses only
//! modules of a lower layer (a handler never uses another handler, a leaf uses no module of the
//! crate), so the modules depend one way; and only `dispatch.rs` (with `main.rs`, which picks
//! the runtime) names the variants of the command tree, so a command is dispatched once.
//!
//! A module added to the crate fails here until it is placed in a layer below.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// The layers, from the bottom: a module may use the modules of the layers before its own.
const LAYERS: &[(&str, &[&str])] = &[
    ("leaves", &["cli", "config", "output", "format", "report"]),
    ("settings", &["context"]),
    ("shared transports", &["kmip_socket"]),
    (
        "handlers",
        &[
            "server",
            "keys",
            "symfile",
            "sign",
            "access",
            "audit",
            "trust",
            "enclave",
            "bench",
            "conformance",
            "completions",
        ],
    ),
    ("dispatch", &["dispatch"]),
    ("entry", &["main"]),
];

/// Where a module stands, or None for a module no layer names.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The crate's modules that `source` uses: every `crate::name` path, and the names of a
/// `crate::{a, b::c}` group.
fn uses(source: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in source.lines() {
        let code = line.trim();
        if code.starts_with("//") {
            continue;
        }
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                // Only the first name of each item of the group, at its top level.
                let mut depth = 0;
                let mut item_start = true;
                let mut name = String::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => {
                            if !name.is_empty() {
                                out.insert(std::mem::take(&mut name));
                            }
                            item_start = true;
                            continue;
                        }
                        _ => {}
                    }
                    if depth == 0 && item_start {
                        if c.is_alphanumeric() || c == '_' {
                            name.push(c);
                        } else if !name.is_empty() {
                            item_start = false;
                        }
                    }
                }
                if !name.is_empty() {
                    out.insert(name);
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
        }
    }
    out
}

/// Whether `source` names a variant of the command tree: a type named `Command` or
/// `…Command` (`KeysCommand`) followed by `::`.
fn names_a_command_variant(source: &str) -> bool {
    source
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//"))
        .any(|l| {
            l.match_indices("Command::").any(|(at, _)| {
                let word_start = l[..at]
                    .rfind(|c: char| !c.is_alphanumeric() && c != '_')
                    .map_or(0, |i| i + 1);
                l[word_start..].starts_with(|c: char| c.is_ascii_uppercase())
            })
        })
}

/// The files of the CLI by top-level module (`keys/files.rs` belongs to `keys`).
fn modules() -> BTreeMap<String, Vec<(PathBuf, String)>> {
    let src = xtask::workspace_root().join("crates/ekms-cli/src");
    let files = xtask::rust_files(&src).expect("read the CLI's sources");
    let mut out: BTreeMap<String, Vec<(PathBuf, String)>> = BTreeMap::new();
    for path in files {
        let relative = path.strip_prefix(&src).expect("under src");
        let first = relative
            .components()
            .next()
            .expect("a file")
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("read a source file");
        out.entry(first).or_default().push((path, text));
    }
    out
}

#[test]
fn cli_modules_depend_one_way() {
    let modules = modules();
    assert!(modules.contains_key("dispatch"), "the walk found the CLI");
    let mut problems = Vec::new();
    for (module, files) in &modules {
        let Some(layer) = layer_of(module) else {
            problems.push(format!(
                "module `{module}` is in no layer of crates/xtask/tests/cli_layers.rs (and docs/design.md): place it"
            ));
            continue;
        };
        for (path, text) in files {
            for used in uses(text) {
                if used == *module {
                    continue;
                }
                match layer_of(&used) {
                    Some(l) if l < layer => {}
                    _ => problems.push(format!(
                        "{}: `{module}` ({}) uses `{used}`, which is not in a lower layer",
                        path.display(),
                        LAYERS[layer].0
                    )),
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_dispatch_maps_commands_to_handlers() {
    let mut problems = Vec::new();
    for (module, files) in modules() {
        if module == "dispatch" || module == "main" {
            continue;
        }
        for (path, text) in files {
            if names_a_command_variant(&text) {
                problems.push(format!(
                    "{} names a variant of the command tree: map commands to handlers in dispatch.rs only",
                    path.display()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn uses_reads_paths_and_groups() {
    let source = "\
use crate::cli::keys::{KeysCommand, SymCommand};
use crate::{access, bench::x, keys::{a, b}};
// use crate::commented;
    let v = crate::config::load();
";
    let found: Vec<String> = uses(source).into_iter().collect();
    assert_eq!(found, ["access", "bench", "cli", "config", "keys"]);
}

#[test]
fn command_variants_are_recognised() {
    assert!(names_a_command_variant(
        "        KeysCommand::Get(args) => get(args),"
    ));
    assert!(names_a_command_variant(
        "    if let Command::Bench(_) = c {}"
    ));
    assert!(!names_a_command_variant(
        "use crate::cli::keys::KeysCommand;"
    ));
    assert!(!names_a_command_variant(
        "// KeysCommand::Get is mapped in dispatch"
    ));
    assert!(!names_a_command_variant("#[command(subcommand)]"));
}
