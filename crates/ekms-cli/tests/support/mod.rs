//! Test support for the end-to-end tests of `ekms`: the real `ekms-server` and `ekms-attest`
//! binaries on ephemeral ports, and users of the CLI with their own config file.
//!
//! The binaries are `$EKMS_SERVER_BIN` and `$EKMS_ATTEST_BIN` if set, else `ekms-server` and
//! `ekms-attest` in the test executable's target directory (`target/<profile>/`): build them
//! first (`cargo build -p ekms-server -p ekms-attest-service`). Each process is killed when its
//! handle is dropped, test failures included.
#![allow(dead_code)]

pub mod idp;

use std::path::{Path, PathBuf};
use std::process::Command as StdCommand;
use std::time::Duration;

use ekms_testkit::Process;
pub use ekms_testkit::printed;

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;

/// A binary of the workspace: `$<var>` if set, else `<name>` next to the test executable's
/// directory (`target/<profile>/deps/<test>` -> `target/<profile>/<name>`).
fn binary(var: &str, name: &str, package: &str) -> PathBuf {
    let path = match std::env::var_os(var) {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()
            .expect("test executable path")
            .parent()
            .and_then(Path::parent)
            .map(|dir| dir.join(name))
            .expect("target directory"),
    };
    assert!(
        path.exists(),
        "{name} not found at {}: build it (`cargo build -p {package}`) or set {var}",
        path.display()
    );
    path
}

pub fn server_binary() -> PathBuf {
    binary("EKMS_SERVER_BIN", "ekms-server", "ekms-server")
}

pub fn attest_binary() -> PathBuf {
    binary("EKMS_ATTEST_BIN", "ekms-attest", "ekms-attest-service")
}

/// How long a binary may take to print its start lines (a cold debug build is slow).
const START: Duration = Duration::from_secs(120);

/// A running `ekms-server`, killed on drop.
pub struct Server {
    _child: Process,
    pub url: String,
    /// The binary KMIP listener's address, when started with `--kmip-client-ca`.
    pub kmip: Option<String>,
    pub sha256: String,
    pub mr_enclave: String,
    pub mr_signer: String,
    pub data_dir: PathBuf,
    pub platform_dir: PathBuf,
    _data: Option<TempDir>,
}

/// Starts a server with temporary data and platform directories.
pub fn start_server() -> Server {
    start_server_with(&[])
}

/// Starts a server with temporary directories and extra arguments.
pub fn start_server_with(extra: &[&str]) -> Server {
    let data = tempfile::tempdir().expect("temporary directory");
    let mut server = start_server_in(data.path(), "127.0.0.1:0", extra);
    server._data = Some(data);
    server
}

/// Starts a server keeping its data and platform in `dir` (which outlives it), listening on
/// `listen`.
pub fn start_server_in(dir: &Path, listen: &str, extra: &[&str]) -> Server {
    let mut cmd = StdCommand::new(server_binary());
    cmd.arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--emulated-platform-dir")
        .arg(dir.join("platform"));
    start_server_cmd(cmd, dir, listen, extra)
}

/// Starts a node of a deployment of several in `dir` (which outlives it): run from `dir` with
/// the relative directories `data` and `platform`, so that every node started this way states
/// the same data dir and measures to the same mr_enclave, as nodes on machines of their own do.
pub fn start_node_in(dir: &Path, extra: &[&str]) -> Server {
    std::fs::create_dir_all(dir).expect("node directory");
    let mut cmd = StdCommand::new(server_binary());
    cmd.current_dir(dir)
        .args(["--data-dir", "data", "--emulated-platform-dir", "platform"]);
    start_server_cmd(cmd, dir, "127.0.0.1:0", extra)
}

/// Starts `cmd` (the server binary with its directories under `dir` given), listening on
/// `listen`, with `extra` arguments.
fn start_server_cmd(mut cmd: StdCommand, dir: &Path, listen: &str, extra: &[&str]) -> Server {
    let data_dir = dir.join("data");
    let platform_dir = dir.join("platform");
    cmd.arg("--listen").arg(listen).args(extra);
    ekms_testkit::clear_env(&mut cmd, ekms_testkit::SERVER_ENV);
    let child = Process::start(cmd, "ekms-server");
    let lines = child.wait_for(START, |l| {
        [
            "listening on ",
            "certificate sha256:",
            "mr_enclave:",
            "mr_signer:",
        ]
        .iter()
        .all(|k| printed(l, k).is_some())
    });
    Server {
        _child: child,
        url: printed(&lines, "listening on ").unwrap_or_default(),
        // Printed between the HTTPS line and the certificate line, so already read here.
        kmip: printed(&lines, "kmip listening on "),
        sha256: printed(&lines, "certificate sha256:").unwrap_or_default(),
        mr_enclave: printed(&lines, "mr_enclave:").unwrap_or_default(),
        mr_signer: printed(&lines, "mr_signer:").unwrap_or_default(),
        data_dir,
        platform_dir,
        _data: None,
    }
}

impl Server {
    /// `host:port` of the server.
    pub fn addr(&self) -> String {
        self.url.trim_start_matches("https://").to_string()
    }

    /// Everything the server printed so far (its log on stderr included).
    pub fn log(&self) -> String {
        self._child.log()
    }
}

/// A running `ekms-attest`, killed on drop.
pub struct Attest {
    _child: Process,
    pub url: String,
    pub sha256: String,
    pub issuer: String,
}

/// Starts `ekms-attest --listen 127.0.0.1:0 <extra>`.
pub fn start_attest(extra: &[&str]) -> Attest {
    let mut cmd = StdCommand::new(attest_binary());
    cmd.args(["--listen", "127.0.0.1:0"]).args(extra);
    ekms_testkit::clear_env(&mut cmd, ekms_testkit::ATTEST_ENV);
    let child = Process::start(cmd, "ekms-attest");
    let lines = child.wait_for(START, |l| {
        ["listening on ", "certificate sha256:", "issuer:"]
            .iter()
            .all(|k| printed(l, k).is_some())
    });
    Attest {
        _child: child,
        url: printed(&lines, "listening on ").unwrap_or_default(),
        sha256: printed(&lines, "certificate sha256:").unwrap_or_default(),
        issuer: printed(&lines, "issuer:").unwrap_or_default(),
    }
}

/// A working directory with a config file for one user of the CLI.
pub struct User {
    pub dir: TempDir,
    pub config: PathBuf,
}

impl User {
    pub fn new() -> User {
        let dir = tempfile::tempdir().expect("temporary directory");
        let config = dir.path().join("cfg").join("ekms.toml");
        User { dir, config }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `ekms --config <config> ...` with a clean environment.
    pub fn ekms(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekms"));
        cmd.env_remove("EKMS_SERVER_URL")
            .env_remove("EKMS_CONFIG")
            // The group states seen go under this HOME (~/.local/state/ekms), not the caller's.
            .env_remove("XDG_STATE_HOME")
            .env("HOME", self.dir.path())
            .arg("--config")
            .arg(&self.config)
            .timeout(Duration::from_secs(120));
        cmd
    }

    pub fn register_pinned(&self, server: &Server) {
        self.ekms()
            .args(["--server-url", &server.url, "--pin-sha256", &server.sha256])
            .arg("register")
            .assert()
            .success()
            .stdout(predicate::str::contains("group id:"));
    }

    pub fn config_text(&self) -> String {
        std::fs::read_to_string(&self.config).expect("config file")
    }

    pub fn config_value(&self, key: &str) -> Option<String> {
        let value: toml::Value = toml::from_str(&self.config_text()).expect("config toml");
        value.get(key).and_then(|s| s.as_str()).map(str::to_string)
    }

    pub fn secret(&self) -> String {
        self.config_value("secret").expect("secret in config")
    }

    pub fn create_key(&self, extra: &[&str]) -> String {
        let out = self
            .ekms()
            .args(["sym", "create"])
            .args(extra)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let uid = String::from_utf8(out).expect("utf-8").trim().to_string();
        assert!(!uid.is_empty(), "sym create printed no identifier");
        uid
    }
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}

/// A manifest for the server binary under test (its first trusted file), with `debug` and
/// `isv_svn` chosen by the test, for a server started in `dir` by [`start_server_in`] (the data
/// dir is a measured setting, so the manifest states it); the server measures it and refuses
/// any other binary.
pub fn manifest_for_server(debug: bool, isv_svn: u16, dir: &Path) -> String {
    let exe = std::fs::read(server_binary()).expect("server binary");
    let data_dir = toml::Value::String(dir.join("data").to_string_lossy().into_owned());
    format!(
        "loader.env.EKMS_DATA_DIR = {data_dir}\nsgx.enclave_size = \"1G\"\nsgx.isvprodid = 1\nsgx.isvsvn = {isv_svn}\nsgx.debug = {debug}\nsgx.trusted_files = [\n  {{ uri = \"file:ekms-server\", sha256 = \"{}\" }},\n]\n",
        sha256_hex(&exe)
    )
}

/// The lines of a token's checks and of its statements about the quote, first in every report
/// of `ekms trust` and `ekms trust verify-evidence`, in their order.
pub const TOKEN_LINES: [&str; 7] = [
    "token signature",
    "token issuer",
    "token in date",
    "enclave genuine",
    "quote in token = quote returned",
    "mr_enclave in token = quote",
    "mr_signer in token = quote",
];

/// The check lines of `ekms trust`'s text output (before `TCB status:`): (label, ok, line).
pub fn check_lines(stdout: &str) -> Vec<(String, bool, String)> {
    stdout
        .lines()
        .take_while(|l| !l.starts_with("TCB status:"))
        .map(|l| {
            let (label, rest) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("not a check line: {l:?}"));
            assert!(
                rest == "Ok" || rest.starts_with("Ok (") || rest.starts_with("Ko ("),
                "a check line is `<check>: Ok` or `<check>: Ko (<reason>)`: {l:?}"
            );
            (label.to_string(), rest.starts_with("Ok"), l.to_string())
        })
        .collect()
}

/// Asserts that exactly the checks in `ko` failed (each present), every other line being Ok.
pub fn assert_only_ko(stdout: &str, ko: &[&str]) {
    let lines = check_lines(stdout);
    assert!(!lines.is_empty(), "no check lines in:\n{stdout}");
    for (label, ok, line) in &lines {
        if ko.contains(&label.as_str()) {
            assert!(!ok, "`{label}` should be Ko:\n{stdout}");
        } else {
            assert!(ok, "only {ko:?} should be Ko, not: {line}\n{stdout}");
        }
    }
    for label in ko {
        assert!(
            lines.iter().any(|(l, _, _)| l == label),
            "no `{label}` line in:\n{stdout}"
        );
    }
}

pub fn line_of<'a>(stdout: &'a str, label: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("no `{label}` line in:\n{stdout}"))
}

/// `ekms --server-url <server> trust --attestation-url <attest> --attestation-pin-sha256 <its pin>`.
pub fn trust(user: &User, server_url: &str, attest: &Attest) -> assert_cmd::Command {
    let mut cmd = user.ekms();
    cmd.args(["--server-url", server_url, "trust"]).args([
        "--attestation-url",
        &attest.url,
        "--attestation-pin-sha256",
        &attest.sha256,
    ]);
    cmd
}

/// Runs `cmd`: its exit code, stdout and stderr.
pub fn run(cmd: &mut assert_cmd::Command) -> (i32, String, String) {
    let out = cmd.output().expect("run ekms");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// `ekms trust` of `server` expecting its own mr_enclave, emulated evidence allowed, the
/// evidence exported to `export`: its exit code, stdout and stderr.
pub fn trust_exporting(
    user: &User,
    server: &Server,
    attest: &Attest,
    export: &Path,
) -> (i32, String, String) {
    run(trust(user, &server.url, attest)
        .args([
            "--allow-emulated",
            "--mr-enclave",
            &server.mr_enclave,
            "--export",
        ])
        .arg(export))
}
