//! The arrows between the parts of ekms, as docs/design.md draws them, checked on the real
//! dependency graph that `cargo metadata --locked` resolves: a crate that gains a forbidden
//! dependency, directly or through another crate, fails here with the path that brings it in.
//!
//! Only normal dependencies count (what is compiled into the crate and the binaries built on
//! it); dev-dependencies serve tests only. Targets of every platform count, so a dependency that
//! only some platform pulls in is caught too.
//!
//! The same file checks the workspace's lint and toolchain settings that docs/design.md states:
//! every crate takes `[workspace.lints]`, every crate root forbids `unsafe`, and only the one
//! test named there allows it.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Cryptography: the codec must know none of it (crypto is composed in ekms-crypto, on aws-lc-rs).
const CRYPTO: &[&str] = &[
    "aws-lc-rs",
    "aws-lc-sys",
    "ring",
    "rustls",
    "openssl",
    "openssl-sys",
    "ekms-crypto",
];

/// Serving and calling over the network: runtimes, HTTP stacks, routers.
const NETWORK: &[&str] = &[
    "tokio",
    "mio",
    "hyper",
    "hyper-util",
    "http",
    "axum",
    "tower",
    "tower-http",
    "reqwest",
];

/// HTTP routing: what a store must never see.
const ROUTES: &[&str] = &["axum", "hyper", "hyper-util", "http", "tower", "tower-http"];

/// Storage engines.
const STORAGE: &[&str] = &["rusqlite", "libsqlite3-sys", "ekms-store"];

/// One part and what it must never depend on, directly or through another crate.
struct Rule {
    part: &'static str,
    /// The workspace crates it may depend on; `None`: any not named in `never`.
    workspace_crates: Option<&'static [&'static str]>,
    never: &'static [&'static [&'static str]],
    why: &'static str,
}

/// The rules of docs/design.md ("What each part must never depend on"), in its order.
const RULES: &[Rule] = &[
    Rule {
        part: "ekms-kmip",
        workspace_crates: Some(&[]),
        never: &[CRYPTO, NETWORK, STORAGE],
        why: "the codec knows no server, no crypto and no store",
    },
    Rule {
        part: "ekms-crypto",
        workspace_crates: Some(&[]),
        never: &[NETWORK, STORAGE],
        why: "the crypto knows no KMIP, no server and no store",
    },
    Rule {
        part: "ekms-attest",
        workspace_crates: Some(&[]),
        never: &[NETWORK, STORAGE],
        why: "SGX evidence is bytes and checks, shared by server and clients; no transport",
    },
    Rule {
        part: "ekms-store",
        workspace_crates: Some(&["ekms-kmip", "ekms-crypto"]),
        never: &[ROUTES, &["reqwest"]],
        why: "stores know no routes",
    },
    Rule {
        part: "ekms-server",
        workspace_crates: Some(&[
            "ekms-kmip",
            "ekms-crypto",
            "ekms-attest",
            "ekms-store",
            "ekms-listen",
        ]),
        never: &[&["ekms-client", "ekms-cli", "ekms-attest-service", "xtask"]],
        why: "the server binary carries no client or attestation-service code",
    },
    Rule {
        part: "ekms-client",
        workspace_crates: Some(&["ekms-kmip", "ekms-attest", "ekms-crypto"]),
        never: &[
            STORAGE,
            &["axum", "ekms-server", "ekms-cli", "ekms-attest-service"],
        ],
        why: "the client library serves nothing and stores nothing",
    },
    Rule {
        part: "ekms-cli",
        workspace_crates: Some(&["ekms-client", "ekms-kmip", "ekms-crypto", "ekms-attest"]),
        never: &[STORAGE, &["axum", "ekms-server", "ekms-attest-service"]],
        why: "the command-line client reaches the server through ekms-client only",
    },
    Rule {
        part: "ekms-attest-service",
        workspace_crates: Some(&["ekms-attest", "ekms-listen"]),
        never: &[STORAGE, &["ekms-server", "ekms-client", "ekms-cli"]],
        why: "the attestation service is a separate program that shares only ekms-attest",
    },
    Rule {
        part: "ekms-listen",
        workspace_crates: Some(&[]),
        never: &[ROUTES, STORAGE, &["reqwest"]],
        why: "the shared accept loop knows no HTTP, no KMIP and no store: both servers use it",
    },
    Rule {
        part: "ekms-testkit",
        workspace_crates: Some(&[]),
        never: &[STORAGE],
        why: "the shared test harness starts binaries; it links none of them",
    },
    Rule {
        part: "xtask",
        workspace_crates: Some(&[]),
        never: &[],
        why: "repository chores run with std only and never reach a shipped binary",
    },
];

/// The resolved graph: package names and their normal dependencies.
struct Graph {
    members: BTreeSet<String>,
    /// Package name → names of its normal dependencies (all platforms). Two versions of one
    /// crate share a name, which is what the rules speak about.
    edges: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    fn from_metadata(meta: &serde_json::Value) -> Graph {
        let names: BTreeMap<&str, &str> = meta["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
            .collect();
        let members = meta["workspace_members"]
            .as_array()
            .expect("workspace_members")
            .iter()
            .map(|id| names[id.as_str().unwrap()].to_string())
            .collect();
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for node in meta["resolve"]["nodes"].as_array().expect("resolve.nodes") {
            let from = names[node["id"].as_str().unwrap()].to_string();
            let out = edges.entry(from).or_default();
            for dep in node["deps"].as_array().expect("deps") {
                // `kind` is null for a normal dependency, "dev" or "build" otherwise.
                let normal = dep["dep_kinds"]
                    .as_array()
                    .expect("dep_kinds")
                    .iter()
                    .any(|k| k["kind"].is_null());
                if normal {
                    out.insert(names[dep["pkg"].as_str().unwrap()].to_string());
                }
            }
        }
        Graph { members, edges }
    }

    /// Every crate `from` reaches through normal dependencies, with the path that reaches it.
    fn reach(&self, from: &str) -> BTreeMap<String, Vec<String>> {
        let mut paths: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut queue = VecDeque::from([vec![from.to_string()]]);
        while let Some(path) = queue.pop_front() {
            let last = path.last().expect("non-empty path");
            for next in self.edges.get(last).into_iter().flatten() {
                if next != from && !paths.contains_key(next) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    paths.insert(next.clone(), longer.clone());
                    queue.push_back(longer);
                }
            }
        }
        paths
    }

    /// Every broken rule, one line each, with the dependency path that breaks it.
    fn violations(&self, rules: &[&Rule]) -> Vec<String> {
        let mut out = Vec::new();
        for rule in rules {
            if !self.members.contains(rule.part) {
                out.push(format!("{}: not a workspace member any more", rule.part));
                continue;
            }
            let reach = self.reach(rule.part);
            if let Some(allowed) = rule.workspace_crates {
                for dep in self.edges.get(rule.part).into_iter().flatten() {
                    if self.members.contains(dep) && !allowed.contains(&dep.as_str()) {
                        out.push(format!(
                            "{} depends on workspace crate {dep} ({})",
                            rule.part, rule.why
                        ));
                    }
                }
            }
            for name in rule.never.iter().flat_map(|set| set.iter()) {
                if let Some(path) = reach.get(*name) {
                    out.push(format!(
                        "{} reaches {name}: {} ({})",
                        rule.part,
                        path.join(" -> "),
                        rule.why
                    ));
                }
            }
        }
        for member in &self.members {
            if !rules.iter().any(|r| r.part == member) {
                out.push(format!(
                    "{member}: a workspace crate with no rule here nor in docs/design.md"
                ));
            }
        }
        out
    }
}

fn root() -> PathBuf {
    xtask::workspace_root()
}

fn metadata() -> serde_json::Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(root())
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata JSON")
}

#[test]
fn the_parts_depend_only_along_the_arrows() {
    let graph = Graph::from_metadata(&metadata());
    let broken = graph.violations(&RULES.iter().collect::<Vec<_>>());
    assert!(
        broken.is_empty(),
        "dependencies against docs/design.md:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_test_kit_is_a_dev_dependency_only() {
    let graph = Graph::from_metadata(&metadata());
    let linked: Vec<&String> = graph
        .edges
        .iter()
        .filter(|(_, deps)| deps.contains("ekms-testkit"))
        .map(|(from, _)| from)
        .collect();
    assert!(
        linked.is_empty(),
        "ekms-testkit is test code, a dev-dependency only, yet these depend on it normally: {linked:?}"
    );
}

/// A graph of four made-up packages, to show that the check finds an edge it must refuse.
fn synthetic(edges: &[(&str, &str)]) -> serde_json::Value {
    let mut names: BTreeSet<&str> = ["ekms-kmip", "ekms-server"].into();
    for (a, b) in edges {
        names.insert(a);
        names.insert(b);
    }
    let packages: Vec<_> = names
        .iter()
        .map(|n| serde_json::json!({"id": format!("id-{n}"), "name": n}))
        .collect();
    let nodes: Vec<_> = names
        .iter()
        .map(|n| {
            let deps: Vec<_> = edges
                .iter()
                .filter(|(a, _)| a == n)
                .map(|(_, b)| serde_json::json!({"pkg": format!("id-{b}"), "dep_kinds": [{"kind": null}]}))
                .collect();
            serde_json::json!({"id": format!("id-{n}"), "deps": deps})
        })
        .collect();
    let members: Vec<_> = names
        .iter()
        .filter(|n| n.starts_with("ekms-"))
        .map(|n| format!("id-{n}"))
        .collect();
    serde_json::json!({"packages": packages, "workspace_members": members, "resolve": {"nodes": nodes}})
}

#[test]
fn a_forbidden_edge_is_named_with_its_path() {
    let pick = |g: &Graph, parts: &[&str]| -> Vec<String> {
        let rules: Vec<&Rule> = RULES.iter().filter(|r| parts.contains(&r.part)).collect();
        g.violations(&rules)
    };

    // The codec reaching tokio through a third-party crate.
    let g = Graph::from_metadata(&synthetic(&[("ekms-kmip", "helper"), ("helper", "tokio")]));
    let broken = pick(&g, &["ekms-kmip", "ekms-server"]);
    assert_eq!(
        broken,
        ["ekms-kmip reaches tokio: ekms-kmip -> helper -> tokio \
          (the codec knows no server, no crypto and no store)"]
    );

    // The server linking the client library, and the codec depending on a workspace crate.
    let g = Graph::from_metadata(&synthetic(&[
        ("ekms-server", "ekms-client"),
        ("ekms-kmip", "ekms-crypto"),
    ]));
    let broken = pick(
        &g,
        &["ekms-kmip", "ekms-server", "ekms-client", "ekms-crypto"],
    );
    assert!(
        broken.contains(&"ekms-kmip depends on workspace crate ekms-crypto (the codec knows no server, no crypto and no store)".to_string()),
        "{broken:?}"
    );
    assert!(
        broken.contains(&"ekms-server reaches ekms-client: ekms-server -> ekms-client (the server binary carries no client or attestation-service code)".to_string()),
        "{broken:?}"
    );

    // A dev-dependency is not an arrow of the shipped code.
    let mut meta = synthetic(&[("ekms-kmip", "tokio")]);
    for node in meta["resolve"]["nodes"].as_array_mut().unwrap() {
        for dep in node["deps"].as_array_mut().unwrap() {
            dep["dep_kinds"] = serde_json::json!([{"kind": "dev"}]);
        }
    }
    let g = Graph::from_metadata(&meta);
    assert_eq!(
        pick(&g, &["ekms-kmip", "ekms-server"]),
        Vec::<String>::new()
    );
}

/// The `.rs` files under `dir`, recursively, skipping build output.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "target") {
                continue;
            }
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_crate_takes_the_workspace_lints_and_forbids_unsafe() {
    let meta = metadata();
    let root = root();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("root Cargo.toml");
    for line in [
        "unsafe_code = \"deny\"",
        "unwrap_used = \"deny\"",
        "expect_used = \"deny\"",
        "rust-version = \"1.88\"",
    ] {
        assert!(manifest.contains(line), "root Cargo.toml lacks `{line}`");
    }
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut problems = Vec::new();
    for package in meta["packages"].as_array().unwrap() {
        if !members.contains(package["id"].as_str().unwrap()) {
            continue;
        }
        let name = package["name"].as_str().unwrap();
        let toml = std::fs::read_to_string(package["manifest_path"].as_str().unwrap()).unwrap();
        if !toml.contains("[lints]\nworkspace = true\n") {
            problems.push(format!(
                "{name}: Cargo.toml lacks `[lints] workspace = true`"
            ));
        }
        if package["rust_version"].as_str() != Some("1.88") {
            problems.push(format!("{name}: rust-version is not the workspace's 1.88"));
        }
        // Every library and binary root forbids unsafe code, which no inner `allow` can lift.
        for target in package["targets"].as_array().unwrap() {
            let kinds: Vec<&str> = target["kind"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap())
                .collect();
            if !kinds.iter().any(|k| *k == "lib" || *k == "bin") {
                continue;
            }
            let src = target["src_path"].as_str().unwrap();
            let text = std::fs::read_to_string(src).unwrap();
            if !text.contains("\n#![forbid(unsafe_code)]\n") {
                problems.push(format!(
                    "{src}: no `#![forbid(unsafe_code)]` at the crate root"
                ));
            }
        }
    }
    // The one test that needs `unsafe` (a counting global allocator) is the only file allowed
    // to lift the workspace's `deny`.
    let mut files = Vec::new();
    rust_files(&root.join("crates"), &mut files);
    let allowed = root.join("crates/ekms-kmip/tests/decode_memory.rs");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        // Spelled in two pieces so that this file does not match itself.
        let lifts = ["allow", "warn", "expect"]
            .iter()
            .any(|level| text.contains(&format!("{level}(unsafe_code)")));
        if lifts && file != allowed {
            problems.push(format!("{}: lifts the `unsafe_code` lint", file.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// rust-version promises a toolchain that builds the locked graph; a dependency that needs a
/// newer one breaks that promise (fix: `cargo update -p <crate> --precise <older version>`).
#[test]
fn no_locked_dependency_needs_a_newer_toolchain() {
    let meta = metadata();
    let msrv = (1u32, 88u32);
    let mut newer = Vec::new();
    for package in meta["packages"].as_array().unwrap() {
        let Some(v) = package["rust_version"].as_str() else {
            continue;
        };
        let mut parts = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let version = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if version > msrv {
            newer.push(format!(
                "{} {} needs Rust {v}",
                package["name"].as_str().unwrap(),
                package["version"].as_str().unwrap()
            ));
        }
    }
    assert!(newer.is_empty(), "{}", newer.join("\n"));
}
