//! What the integration tests of several crates share: [`Process`], a binary of the workspace
//! started for a test (its output collected into one log, its start-up lines awaited, killed
//! when dropped), [`printed`] to read the `key value` lines a binary prints at start, and the
//! environment variables ([`SERVER_ENV`], [`ATTEST_ENV`]) a test clears so that the caller's
//! settings do not leak into the binary under test, and [`ClientCa`], a certificate authority
//! for the clients of the KMIP socket with the client certificates it signs; [`postgres`], a
//! throwaway PostgreSQL cluster for the tests of the PostgreSQL store; [`haproxy`], a throwaway
//! HAProxy in front of several nodes.
//!
//! Test code, taken as a dev-dependency only: a failed start panics with the child's log.

#![forbid(unsafe_code)]
// A harness that cannot start its binary has nothing to return but the reason, with the log.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod haproxy;
pub mod postgres;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose,
};
use std::io::{BufRead, BufReader, Read, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The settings of `ekms-server` read from the environment that a test starting it must not
/// inherit from whoever runs the tests.
pub const SERVER_ENV: &[&str] = &[
    "EKMS_SERVER_CONFIG",
    "EKMS_LISTEN",
    "EKMS_DATA_DIR",
    "EKMS_MANIFEST",
    "EKMS_QUOTE_SOURCE",
    "EKMS_EMULATED_PLATFORM_DIR",
    "EKMS_DATABASE",
    "EKMS_DATABASE_PASSWORD_FILE",
    "EKMS_DATABASE_POOL_SIZE",
    "EKMS_METRICS_LISTEN",
    "EKMS_SHUTDOWN_GRACE_SECONDS",
];

/// The settings of `ekms-attest` read from the environment, likewise.
pub const ATTEST_ENV: &[&str] = &[
    "EKMS_ATTEST_LISTEN",
    "EKMS_ATTEST_ALLOW_EMULATED",
    "EKMS_ATTEST_ALLOW_DEBUG",
    "EKMS_ATTEST_TCB_POLICY",
    "EKMS_ATTEST_COLLATERAL",
    "EKMS_ATTEST_FIXED_TIME",
    "EKMS_ATTEST_SIGNING_KEY",
    "EKMS_ATTEST_PUBLIC_URL",
];

/// What a test does when the outside program `what` is missing: with the environment variable
/// `CI` set it panics, so that a CI run never passes without the tests that need it; elsewhere
/// it prints one line naming the Debian `package` to install (the test then skips).
pub fn missing(what: &str, package: &str) {
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is not installed and CI is set: install the Debian package {package}"
    );
    // Written to the process's stderr itself: the test harness captures `eprintln!`.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {what} is not installed (install the Debian package {package})"
    );
}

/// Removes `vars` from the environment `cmd` passes on.
pub fn clear_env(cmd: &mut Command, vars: &[&str]) {
    for var in vars {
        cmd.env_remove(var);
    }
}

/// A binary started for a test, killed (and reaped) when dropped, test failures included.
pub struct Process {
    child: Child,
    what: String,
    /// Everything it printed: stderr as it comes, stdout line by line.
    log: Arc<Mutex<String>>,
    /// Its stdout lines, as read (behind a lock so that a `Process` can be shared between
    /// threads, as a server is between a test's tasks).
    lines: Mutex<Receiver<String>>,
}

impl Process {
    /// Starts `cmd` with stdin closed and stdout and stderr collected (a thread drains each,
    /// so the child never blocks on a full pipe). `what` names it in panics.
    pub fn start(mut cmd: Command, what: &str) -> Process {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr is piped");
        pump(stderr, log.clone());
        let stdout = child.stdout.take().expect("stdout is piped");
        let (tx, lines) = channel::<String>();
        let log2 = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                log2.lock().unwrap().push_str(&format!("{line}\n"));
                // The receiver may be gone; keep draining.
                let _ = tx.send(line);
            }
        });
        Process {
            child,
            what: what.to_string(),
            log,
            lines: Mutex::new(lines),
        }
    }

    /// Reads stdout lines until `done` says the lines read so far are enough, and returns
    /// them; panics with the log when `timeout` passes first or stdout ends.
    pub fn wait_for(&self, timeout: Duration, done: impl Fn(&[String]) -> bool) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut lines = Vec::new();
        let printed = self.lines.lock().unwrap();
        while !done(&lines) {
            let left = deadline.saturating_duration_since(Instant::now());
            match printed.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(_) => panic!(
                    "{} did not print its start lines; log:\n{}",
                    self.what,
                    self.log()
                ),
            }
        }
        lines
    }

    /// Everything it printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// The shared log itself, for a caller that keeps a handle on it.
    pub fn log_handle(&self) -> Arc<Mutex<String>> {
        self.log.clone()
    }

    /// Its process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its exit status if it has ended.
    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        self.child.try_wait()
    }

    /// SIGKILL, as a crash would, and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Appends everything `r` yields to `log`, on a thread of its own.
fn pump(mut r: impl Read + Send + 'static, log: Arc<Mutex<String>>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            log.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}

/// The value of the first printed line `<key><value>` (`key` with its colon or space), trimmed.
pub fn printed(lines: &[String], key: &str) -> Option<String> {
    lines
        .iter()
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
}

/// A certificate authority for the clients of the KMIP socket (what `--kmip-client-ca` names).
pub struct ClientCa {
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate as a PEM file.
    pub ca_file: PathBuf,
}

/// A client certificate signed by a [`ClientCa`], and its key.
pub struct ClientCert {
    pub cert_der: Vec<u8>,
    pub cert_pem: String,
    /// PKCS#8.
    pub key_der: Vec<u8>,
    pub key_pem: String,
}

impl ClientCa {
    /// A new CA with the common name `name`, its certificate written to `<dir>/<name>.pem`.
    pub fn new(dir: &Path, name: &str) -> ClientCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = common_name(name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let ca_file = dir.join(format!("{name}.pem"));
        std::fs::write(&ca_file, ca.pem()).unwrap();
        ClientCa { ca, ca_file }
    }

    /// A client certificate whose subject common name is `cn` (the server's user name).
    pub fn client(&self, cn: &str) -> ClientCert {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name = common_name(cn);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        ClientCert {
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
            key_der: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }
}

fn common_name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, cn);
    dn
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script);
        cmd
    }

    #[test]
    fn waits_for_the_start_lines_and_keeps_both_streams_in_the_log() {
        let p = Process::start(
            shell("echo 'listening on https://x'; echo oops >&2; echo 'sha: ab'; sleep 30"),
            "sh",
        );
        let lines = p.wait_for(Duration::from_secs(10), |l| printed(l, "sha:").is_some());
        assert_eq!(
            printed(&lines, "listening on ").as_deref(),
            Some("https://x")
        );
        assert_eq!(printed(&lines, "sha:").as_deref(), Some("ab"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !p.log().contains("oops") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(p.log().contains("oops") && p.log().contains("sha: ab"));
    }

    #[test]
    #[should_panic(expected = "sh did not print its start lines; log:\nsomething else")]
    fn a_start_that_ends_early_panics_with_the_log() {
        let p = Process::start(shell("echo 'something else'"), "sh");
        p.wait_for(Duration::from_secs(10), |l| printed(l, "sha:").is_some());
    }

    #[test]
    fn the_client_ca_signs_clients_with_their_common_name() {
        let dir = std::env::temp_dir().join(format!("ekms-testkit-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = ClientCa::new(&dir, "clients");
        let pem = std::fs::read_to_string(&ca.ca_file).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"));
        let alice = ca.client("alice");
        // The DER of the subject names alice; the key is PKCS#8.
        assert!(alice.cert_der.windows(5).any(|w| w == b"alice"));
        assert!(alice.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn kill_ends_the_process_and_clear_env_removes_the_settings() {
        let mut cmd = shell("echo \"[$EKMS_LISTEN]\"; sleep 30");
        cmd.env("EKMS_LISTEN", "set");
        clear_env(&mut cmd, SERVER_ENV);
        let mut p = Process::start(cmd, "sh");
        let lines = p.wait_for(Duration::from_secs(10), |l| !l.is_empty());
        assert_eq!(lines, ["[]"]);
        assert!(p.try_wait().unwrap().is_none());
        p.kill();
        assert!(p.try_wait().unwrap().is_some());
    }
}
