//! The deploy scripts, checked without a release build, Gramine or a Docker engine:
//!
//! * rust-toolchain.toml pins one exact release (a channel would let the compiler drift);
//! * deploy/reproducible-build.sh, run in a throwaway repository with a stand-in `cargo` that
//!   records what it was given, passes the flags a reproducible build needs (`--locked`,
//!   the target dir inside the tree, every path through the fixed root's links, the Rust and C
//!   path remaps, SOURCE_DATE_EPOCH from the last commit, the caller's own RUSTFLAGS dropped)
//!   and prints `sha256 <hex>  <path>`;
//! * deploy/docker/Dockerfile: the builder stage runs reproducible-build.sh, the runtime stage
//!   runs deploy/sgx/build.sh with the template build.sh names, every file it copies from the
//!   repository exists, and the base image is pinned by digest.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

fn read(relative: &str) -> String {
    std::fs::read_to_string(xtask::workspace_root().join(relative))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

#[test]
fn the_toolchain_is_one_exact_release() {
    let toolchain = read("rust-toolchain.toml");
    let channel = toolchain
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .expect("rust-toolchain.toml names no channel");
    let version = channel.trim_matches('"');
    let parts: Vec<&str> = version.split('.').collect();
    assert_eq!(parts.len(), 3, "{version} is not an exact release (x.y.z)");
    assert!(
        parts.iter().all(|p| p.parse::<u32>().is_ok()),
        "{version} is not an exact release (x.y.z)"
    );
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_COMMITTER_DATE", "2024-01-02T03:04:05Z")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

#[test]
fn reproducible_build_passes_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().canonicalize().unwrap().join("some clone");
    std::fs::create_dir_all(src.join("deploy")).unwrap();
    let script = src.join("deploy/reproducible-build.sh");
    std::fs::copy(
        xtask::workspace_root().join("deploy/reproducible-build.sh"),
        &script,
    )
    .unwrap();
    git(&src, &["init", "-q"]);
    git(&src, &["add", "."]);
    git(&src, &["commit", "-q", "-m", "one"]);
    let cargo_home = dir.path().canonicalize().unwrap().join("cargo home");
    std::fs::create_dir_all(&cargo_home).unwrap();
    // The stand-in cargo records its arguments and environment, and "builds" a binary.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let record = dir.path().join("cargo.record");
    let cargo = bin.join("cargo");
    std::fs::write(
        &cargo,
        format!(
            "#!/bin/bash\nset -eu\n{{ printf 'arg %s\\n' \"$@\"; env | sed 's/^/env /'; }} > '{}'\nmkdir -p \"$CARGO_TARGET_DIR/release\"\necho built > \"$CARGO_TARGET_DIR/release/ekms-server\"\n",
            record.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&cargo, std::fs::Permissions::from_mode(0o755)).unwrap();

    let root = dir.path().canonicalize().unwrap().join("fixed root");
    let out = Command::new("/bin/bash")
        .arg(&script)
        .arg("--offline")
        .current_dir("/")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .env("CARGO_HOME", &cargo_home)
        .env("EKMS_REPRO_ROOT", &root)
        .env("RUSTFLAGS", "-C target-cpu=native")
        .env("CARGO_TARGET_DIR", dir.path().join("elsewhere"))
        .env("CFLAGS", "-march=native")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let record = std::fs::read_to_string(&record).unwrap();
    let has = |line: String| {
        assert!(
            record.lines().any(|l| l == line),
            "cargo was not given `{line}`:\n{record}"
        )
    };
    // Every path the compilers see goes through the fixed root's links, whatever the clone's
    // own directory: the flags are the same strings for every clone.
    let r = root.display();
    for arg in [
        "build",
        "--release",
        "--locked",
        "-p",
        "ekms-server",
        "--offline",
        "--manifest-path",
        &format!("{r}/src/Cargo.toml"),
    ] {
        has(format!("arg {arg}"));
    }
    has(format!("env PWD={r}/src"));
    has(format!("env CARGO_TARGET_DIR={r}/target"));
    has(format!("env CARGO_HOME={r}/cargo"));
    has(format!(
        "env RUSTFLAGS=--remap-path-prefix={r}/src=/ekms --remap-path-prefix={r}/target=/ekms/target --remap-path-prefix={r}/cargo=/cargo"
    ));
    let prefix_map = format!(
        "-ffile-prefix-map={r}/src=/ekms -ffile-prefix-map={r}/target=/ekms/target -ffile-prefix-map={r}/cargo=/cargo"
    );
    has(format!("env CFLAGS={prefix_map}"));
    has(format!("env CXXFLAGS={prefix_map}"));
    has("env SOURCE_DATE_EPOCH=1704164645".to_string());
    let target = src.join("target/reproducible");
    for (link, to) in [("src", &src), ("target", &target), ("cargo", &cargo_home)] {
        assert_eq!(&std::fs::read_link(root.join(link)).unwrap(), to, "{link}");
    }

    // The last line names the binary and its SHA-256, as sha256sum computes it.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let binary = target.join("release/ekms-server").display().to_string();
    let sum = Command::new("sha256sum").arg(&binary).output().unwrap();
    let sum = String::from_utf8(sum.stdout).unwrap();
    let hex = sum.split_whitespace().next().unwrap();
    assert_eq!(
        stdout.lines().last(),
        Some(format!("sha256 {hex}  {binary}").as_str())
    );
}

/// The instructions of each stage of a Dockerfile, continuation lines joined.
fn stages(dockerfile: &str) -> Vec<(String, Vec<String>)> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in dockerfile.lines() {
        let line = line.trim();
        if line.starts_with('#') && current.is_empty() || line.is_empty() {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for instruction in joined {
        if let Some(from) = instruction.strip_prefix("FROM ") {
            let name = from.split(" AS ").nth(1).unwrap_or("").trim().to_string();
            out.push((name, Vec::new()));
        } else if let Some((_, list)) = out.last_mut() {
            list.push(instruction);
        }
    }
    out
}

#[test]
fn the_dockerfile_builds_with_the_same_scripts_and_copies_existing_files() {
    let dockerfile = read("deploy/docker/Dockerfile");
    let stages = stages(&dockerfile);
    let names: Vec<&str> = stages.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["builder", "runtime"]);
    let runs = |stage: usize, what: &str| {
        stages[stage]
            .1
            .iter()
            .any(|i| i.starts_with("RUN ") && i.contains(what))
    };
    assert!(runs(0, "deploy/reproducible-build.sh"));
    assert!(runs(1, "deploy/sgx/build.sh"));

    // The template the image renders is the one build.sh renders by default.
    let build_sh = read("deploy/sgx/build.sh");
    let template = build_sh
        .lines()
        .find_map(|l| l.strip_prefix("template=\"$src/"))
        .map(|t| t.trim_end_matches('"').to_string())
        .expect("build.sh names no default template");
    assert_eq!(template, "deploy/sgx/ekms-server.manifest.template");
    assert!(
        xtask::workspace_root().join(&template).is_file(),
        "the template build.sh renders is not in the repository"
    );
    assert!(runs(1, &format!("--template /ekms/{template}")));

    // Every file copied from the repository exists (COPY --from copies from a stage).
    let root = xtask::workspace_root();
    let mut copied = 0;
    for (_, instructions) in &stages {
        for copy in instructions.iter().filter_map(|i| i.strip_prefix("COPY ")) {
            if copy.starts_with("--from=") {
                continue;
            }
            let words: Vec<&str> = copy.split_whitespace().collect();
            for source in &words[..words.len() - 1] {
                assert!(
                    root.join(source).exists(),
                    "the Dockerfile copies {source}, which is not in the repository"
                );
                copied += 1;
            }
        }
    }
    assert!(
        copied >= 3,
        "expected the source tree, deploy/sgx/ and the entry script"
    );
    // The runtime stage's deploy/sgx/ copy carries build.sh and the template's directory.
    assert!(
        stages[1]
            .1
            .iter()
            .any(|i| i.starts_with("COPY deploy/sgx/ /ekms/deploy/sgx/")),
        "the runtime stage must copy deploy/sgx/ to /ekms/deploy/sgx/"
    );

    // The base image is pinned by digest, and both stages use it.
    let base = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("ARG UBUNTU_2204="))
        .expect("no ARG UBUNTU_2204");
    let digest = base
        .strip_prefix("ubuntu:22.04@sha256:")
        .expect("not ubuntu:22.04@sha256:");
    assert_eq!(digest.len(), 64);
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(
        dockerfile.matches("FROM ${UBUNTU_2204} AS").count(),
        2,
        "both stages start from the pinned image"
    );
    let gramine = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("ARG GRAMINE_VERSION="))
        .expect("no pinned Gramine version");
    assert!(
        gramine.split('.').all(|p| p.parse::<u32>().is_ok()),
        "{gramine}"
    );
    assert!(runs(1, "\"gramine=${GRAMINE_VERSION}\""));
}
