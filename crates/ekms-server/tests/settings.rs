//! Settings precedence on the real binary: a flag wins over an `EKMS_*` variable, which wins
//! over the TOML file; `--help` documents every setting.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use support::Server;

fn start(root: &Path, config: &Path, env_dir: Option<&Path>, flag_dir: Option<&Path>) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekms-server"));
    cmd.arg("--config")
        .arg(config)
        .arg("--emulated-platform-dir")
        .arg(root.join("platform"))
        .env_remove("EKMS_DATA_DIR")
        .env_remove("EKMS_LISTEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(d) = env_dir {
        cmd.env("EKMS_DATA_DIR", d);
    }
    if let Some(d) = flag_dir {
        cmd.arg("--data-dir").arg(d);
    }
    let used = flag_dir
        .or(env_dir)
        .unwrap_or(&root.join("from-file"))
        .to_path_buf();
    Server::spawn(cmd, used, root.join("platform"))
}

#[tokio::test]
async fn flag_beats_variable_beats_file() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let config = root.join("ekms.toml");
    std::fs::write(
        &config,
        format!(
            "listen = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n",
            root.join("from-file").display()
        ),
    )
    .unwrap();
    let (file, env, flag) = (
        root.join("from-file"),
        root.join("from-env"),
        root.join("from-flag"),
    );

    let s = start(root, &config, None, None);
    assert!(file.join("certificate.pem").exists());
    drop(s);
    let s = start(root, &config, Some(&env), None);
    assert!(env.join("certificate.pem").exists());
    drop(s);
    let s = start(root, &config, Some(&env), Some(&flag));
    assert!(flag.join("certificate.pem").exists());
    // The file's listen setting was used each time (port 0, a free port).
    assert!(s.url.starts_with("https://127.0.0.1:"));
}

#[test]
fn help_documents_every_setting() {
    let out = Command::new(env!("CARGO_BIN_EXE_ekms-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for (flag, var) in [
        ("--config", "EKMS_SERVER_CONFIG"),
        ("--listen", "EKMS_LISTEN"),
        ("--data-dir", "EKMS_DATA_DIR"),
        ("--kmip-listen", "EKMS_KMIP_LISTEN"),
        ("--kmip-client-ca", "EKMS_KMIP_CLIENT_CA"),
        ("--client-ca", "EKMS_CLIENT_CA"),
        ("--tls-san", "EKMS_TLS_SAN"),
        ("--quote-source", "EKMS_QUOTE_SOURCE"),
        ("--emulated-platform-dir", "EKMS_EMULATED_PLATFORM_DIR"),
        ("--manifest", "EKMS_MANIFEST"),
        ("--max-payload-bytes", "EKMS_MAX_PAYLOAD_BYTES"),
        ("--max-kmip-message-bytes", "EKMS_MAX_KMIP_MESSAGE_BYTES"),
        ("--worker-threads", "EKMS_WORKER_THREADS"),
        ("--blocking-threads", "EKMS_BLOCKING_THREADS"),
        ("--default-user", "EKMS_DEFAULT_USER"),
        ("--jwt-jwks", "EKMS_JWT_JWKS"),
        ("--jwt-issuer", "EKMS_JWT_ISSUER"),
        ("--jwt-audience", "EKMS_JWT_AUDIENCE"),
        ("--jwt-user-claim", "EKMS_JWT_USER_CLAIM"),
        ("--allow-host-tls-key", "EKMS_ALLOW_HOST_TLS_KEY"),
        ("--tls-cert", "EKMS_TLS_CERT"),
        ("--tls-key", "EKMS_TLS_KEY"),
        ("--database", "EKMS_DATABASE"),
        ("--database-password-file", "EKMS_DATABASE_PASSWORD_FILE"),
        ("--database-pool-size", "EKMS_DATABASE_POOL_SIZE"),
    ] {
        assert!(
            help.contains(flag) && help.contains(var),
            "{flag} / {var} missing from --help"
        );
    }
}

#[test]
fn bad_config_file_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("bad.toml");
    std::fs::write(&config, "listen = [1, 2\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_ekms-server"))
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not valid TOML"));
}
