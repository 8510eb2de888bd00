//! Which settings the enclave is measured with, on the real binary.
//!
//! The settings that decide trust (TLS key source, quote source, authentication, registration,
//! limits, data paths, and a `--config` file's values for those) change mr_enclave; listen
//! addresses, names and secrets do not, so that the nodes of one deployment share one
//! mr_enclave. A TLS key chosen by the host needs the measured `--allow-host-tls-key`, is
//! refused with `--quote-source gramine`, and never appears in `/manifest` or the log.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use support::*;

/// The server's command line in `root`, with `--listen` unless `listen` is empty.
fn command(root: &Path, listen: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekms-server"));
    if !listen.is_empty() {
        cmd.arg("--listen").arg(listen);
    }
    cmd.arg("--data-dir")
        .arg(root.join("data"))
        .arg("--emulated-platform-dir")
        .arg(root.join("platform"))
        .args(extra);
    for var in [
        "EKMS_SERVER_CONFIG",
        "EKMS_LISTEN",
        "EKMS_DATA_DIR",
        "EKMS_MANIFEST",
        "EKMS_QUOTE_SOURCE",
        "EKMS_REGISTRATION",
        "EKMS_ALLOW_HOST_TLS_KEY",
        "EKMS_TLS_CERT",
        "EKMS_TLS_KEY",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("EKMS_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the server in `root` (always the same data and platform paths), returns its
/// mr_enclave and the manifest it serves, and stops it.
async fn measure(root: &Path, listen: &str, extra: &[&str]) -> (String, String) {
    let s = Server::spawn(
        command(root, listen, extra),
        root.join("data"),
        root.join("platform"),
    );
    let mr = printed(&s.log(), "mr_enclave:");
    let manifest = s.get_text("/manifest").await;
    (mr, manifest)
}

/// Runs a server command line that must refuse to start; returns its stderr. A server that
/// starts instead is killed after a while and the test fails (rather than hangs).
fn refused(mut cmd: Command) -> String {
    let mut child = cmd.spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut e, &mut err);
            }
            assert!(!status.success(), "the server exited successfully: {err}");
            return err;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the server started, it should have refused to");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn ca_pem(name: &str) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.self_signed(&key).unwrap().pem()
}

#[tokio::test]
async fn trust_settings_change_mr_enclave_and_addresses_do_not() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (base, base_manifest) = measure(root, "127.0.0.1:0", &[]).await;

    // Not measured: listen addresses and ports, the KMIP listener, the certificate's names.
    let port = free_port();
    let (mr, manifest) = measure(root, &format!("127.0.0.1:{port}"), &[]).await;
    assert_eq!(mr, base, "another listen port, the same mr_enclave");
    assert_eq!(manifest, base_manifest);
    assert!(!manifest.contains(&port.to_string()));
    let (mr, _) = measure(
        root,
        "127.0.0.1:0",
        &["--kmip-listen", "127.0.0.1:1", "--tls-san", "node2.example"],
    )
    .await;
    assert_eq!(mr, base, "the KMIP address and the names are not measured");

    // Measured: each of these changes mr_enclave, and the manifest states it.
    let mut seen = vec![base.clone()];
    for (extra, line) in [
        (
            &["--registration", "closed"][..],
            "loader.env.EKMS_REGISTRATION = \"closed\"",
        ),
        (
            &["--register-rate-per-minute", "11"][..],
            "loader.env.EKMS_REGISTER_RATE_PER_MINUTE = \"11\"",
        ),
        (
            &["--max-kmip-message-bytes", "1000"][..],
            "loader.env.EKMS_MAX_KMIP_MESSAGE_BYTES = \"1000\"",
        ),
        (
            &["--default-user", "bob"][..],
            "loader.env.EKMS_DEFAULT_USER = \"bob\"",
        ),
        (
            &["--jwt-user-claim", "sub"][..],
            "loader.env.EKMS_JWT_USER_CLAIM = \"sub\"",
        ),
    ] {
        let (mr, manifest) = measure(root, "127.0.0.1:0", extra).await;
        assert!(!seen.contains(&mr), "{extra:?} must change mr_enclave");
        assert!(manifest.contains(line), "no `{line}` in:\n{manifest}");
        seen.push(mr);
    }
    let (closed, _) = measure(root, "127.0.0.1:0", &["--registration", "closed"]).await;
    assert_eq!(closed, seen[1], "the same settings, the same mr_enclave");

    // A --config file's values are measured like flags: the same value, the same measurement;
    // its unmeasured keys (listen) change nothing.
    let config = root.join("ekms.toml");
    std::fs::write(
        &config,
        format!("registration = \"closed\"\nlisten = \"127.0.0.1:{port}\"\n"),
    )
    .unwrap();
    // No --listen flag, so the file's is used.
    let cmd = command(root, "", &["--config", config.to_str().unwrap()]);
    let s = Server::spawn(cmd, root.join("data"), root.join("platform"));
    assert!(s.url.ends_with(&format!(":{port}")), "{}", s.url);
    assert_eq!(printed(&s.log(), "mr_enclave:"), closed);
    drop(s);

    // A file-valued trust setting is measured by its content: the same path with another CA
    // is another enclave.
    let ca = root.join("client-ca.pem");
    std::fs::write(&ca, ca_pem("first CA")).unwrap();
    let ca_arg = ca.to_str().unwrap();
    let (with_ca, manifest) = measure(root, "127.0.0.1:0", &["--client-ca", ca_arg]).await;
    assert!(!seen.contains(&with_ca));
    assert!(manifest.contains(&ekms_hex_sha256(&std::fs::read(&ca).unwrap())));
    std::fs::write(&ca, ca_pem("second CA")).unwrap();
    let (other_ca, _) = measure(root, "127.0.0.1:0", &["--client-ca", ca_arg]).await;
    assert_ne!(with_ca, other_ca, "another CA content, another mr_enclave");
}

fn ekms_hex_sha256(bytes: &[u8]) -> String {
    hex::encode(ekms_crypto::hash::sha256(bytes))
}

/// A certificate and PKCS#8 key made by the host, as files.
fn host_pair(dir: &Path) -> (String, String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let key_pem = key.serialize_pem();
    std::fs::write(dir.join("host.pem"), cert.pem()).unwrap();
    std::fs::write(dir.join("host.key"), &key_pem).unwrap();
    (
        dir.join("host.pem").to_str().unwrap().to_string(),
        dir.join("host.key").to_str().unwrap().to_string(),
        key_pem,
    )
}

#[tokio::test]
async fn a_host_tls_key_needs_the_measured_allow_flag() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (cert, key, key_pem) = host_pair(root);

    // Without --allow-host-tls-key: refused, and the message says what to do.
    let err = refused(command(
        root,
        "127.0.0.1:0",
        &["--tls-cert", &cert, "--tls-key", &key],
    ));
    assert!(err.contains("--allow-host-tls-key"), "{err}");

    // Never in a real enclave.
    let err = refused(command(
        root,
        "127.0.0.1:0",
        &[
            "--quote-source",
            "gramine",
            "--allow-host-tls-key",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    ));
    assert!(
        err.contains("gramine") && err.contains("--tls-key"),
        "{err}"
    );

    // Allowed: another mr_enclave than the same command line without it, and the manifest
    // says the host may supply the key; neither the key nor its path is served or logged.
    let (base, _) = measure(root, "127.0.0.1:0", &[]).await;
    let s = Server::spawn(
        command(
            root,
            "127.0.0.1:0",
            &[
                "--allow-host-tls-key",
                "--tls-cert",
                &cert,
                "--tls-key",
                &key,
            ],
        ),
        root.join("data"),
        root.join("platform"),
    );
    let log = s.log();
    let host = printed(&log, "mr_enclave:");
    assert_ne!(host, base, "a host TLS key must change mr_enclave");
    // The server presents the host's certificate.
    let http = client_trusting(Some(&std::fs::read(&cert).unwrap()));
    let manifest = get_text(&http, &format!("{}/manifest", s.url)).await;
    assert!(
        manifest.contains("loader.env.EKMS_ALLOW_HOST_TLS_KEY = \"true\""),
        "{manifest}"
    );
    let key_body: String = key_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for secret in [key_body.as_str(), key.as_str(), &key_body[..40]] {
        assert!(!manifest.contains(secret), "the manifest shows {secret}");
        assert!(!log.contains(secret), "the log shows {secret}");
    }
    // The same settings through the environment and a config file measure the same.
    drop(s);
    let config = root.join("host.toml");
    std::fs::write(&config, "allow_host_tls_key = true\n").unwrap();
    let mut cmd = command(root, "127.0.0.1:0", &["--config", config.to_str().unwrap()]);
    cmd.env("EKMS_TLS_CERT", &cert).env("EKMS_TLS_KEY", &key);
    let s = Server::spawn(cmd, root.join("data"), root.join("platform"));
    assert_eq!(printed(&s.log(), "mr_enclave:"), host);
}

#[tokio::test]
async fn a_given_manifest_must_state_the_measured_settings() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let exe = std::fs::read(env!("CARGO_BIN_EXE_ekms-server")).unwrap();
    let manifest = root.join("ekms.manifest");
    std::fs::write(
        &manifest,
        format!(
            "loader.env.EKMS_DATA_DIR = {:?}\nloader.env.EKMS_REGISTRATION = \"closed\"\nsgx.enclave_size = \"1G\"\nsgx.trusted_files = [ {{ uri = \"file:ekms-server\", sha256 = \"{}\" }} ]\n",
            root.join("data").to_str().unwrap(),
            ekms_hex_sha256(&exe)
        ),
    )
    .unwrap();
    let m = manifest.to_str().unwrap();
    // The server runs with what the manifest states...
    let s = Server::spawn(
        command(
            root,
            "127.0.0.1:0",
            &["--manifest", m, "--registration", "closed"],
        ),
        root.join("data"),
        root.join("platform"),
    );
    let r = s
        .http
        .post(format!("{}/register", s.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "registration is closed, as measured");
    drop(s);
    // ...or refuses to start, naming the setting that differs (a flag, a variable, or a
    // setting the manifest leaves at its default).
    for (extra, env, name) in [
        (&[][..], None, "registration"),
        (
            &["--registration", "closed", "--max-payload-bytes", "5"][..],
            None,
            "max-payload-bytes",
        ),
        (
            &["--registration", "closed"][..],
            Some(("EKMS_ALLOW_HOST_TLS_KEY", "true")),
            "allow-host-tls-key",
        ),
    ] {
        let mut args = vec!["--manifest", m];
        args.extend_from_slice(extra);
        let mut cmd = command(root, "127.0.0.1:0", &args);
        if let Some((k, v)) = env {
            cmd.env(k, v);
        }
        let err = refused(cmd);
        assert!(
            err.contains(name) && err.contains("manifest"),
            "{name}: {err}"
        );
    }
}
