//! End-to-end tests of `ekms trust` and `ekms enclave` through the real binaries: `ekms-server`
//! (emulated platform) and `ekms-attest` (the MAA-shaped attestation service, with the emulated
//! PCCS), started on ephemeral ports; the CLI runs as a user would run it.
//!
//! The happy paths (token and `--offline`) end with every check `Ok`, exit 0 and the certificate
//! pinned, so that later commands work with the pin and a changed certificate sends the user back
//! to `ekms trust`. The attacks that need a live peer (a TLS-terminating proxy, a debug enclave,
//! an expired token, emulated evidence not allowed, a wrong expected measurement) each fail
//! exactly the line that must fail. Attacks on collected evidence are in `trust_attacks.rs`.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::Arc;

use predicates::prelude::*;
use support::*;

#[test]
fn trust_pins_the_certificate_and_a_changed_one_sends_back_to_trust() {
    let attest = start_attest(&["--allow-emulated"]);
    let dir = tempfile::tempdir().unwrap();
    let server = start_server_in(dir.path(), "127.0.0.1:0", &[]);
    let user = User::new();
    let export = user.path("evidence");

    let (code, stdout, stderr) = trust_exporting(&user, &server, &attest, &export);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_only_ko(&stdout, &[]);
    let labels: Vec<String> = check_lines(&stdout)
        .into_iter()
        .map(|(l, _, _)| l)
        .collect();
    assert_eq!(
        labels,
        TOKEN_LINES
            .iter()
            .chain(&[
                "mr_enclave = expected",
                "mr_signer = enclave public key",
                "manifest measures to mr_enclave",
                "report data in token = quote",
                "report data = SHA-256(certificate + nonce)",
                "TLS certificate = bound certificate",
                "TLS key made in the enclave",
                "not a debug enclave",
            ])
            .copied()
            .collect::<Vec<_>>()
    );
    // Emulated evidence says so in its line, even when allowed.
    assert!(
        line_of(&stdout, "enclave genuine").contains("EMULATED"),
        "{stdout}"
    );
    for expected in [
        "TCB status: UpToDate".to_string(),
        "advisories: none".to_string(),
        "mode: emulated".to_string(),
        format!("mr_enclave: {}", server.mr_enclave),
        format!("mr_signer: {}", server.mr_signer),
        format!("certificate sha256: {}", server.sha256),
    ] {
        assert!(
            stdout.lines().any(|l| l == expected),
            "no `{expected}` in:\n{stdout}"
        );
    }
    assert!(stderr.contains("pinned"), "{stderr}");

    // The pin, the server and the attestation settings are in the private config file.
    assert_eq!(user.config_value("pin_sha256"), Some(server.sha256.clone()));
    assert_eq!(user.config_value("server_url"), Some(server.url.clone()));
    assert_eq!(
        user.config_value("attestation_url"),
        Some(attest.url.clone())
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&user.config)
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The export holds the evidence; the token's text appears nowhere else.
    let token = std::fs::read_to_string(export.join("token.jwt")).unwrap();
    assert_eq!(token.trim().split('.').count(), 3, "{token}");
    assert!(!stdout.contains(token.trim()) && !stderr.contains(token.trim()));
    let nonce = std::fs::read_to_string(export.join("nonce.txt")).unwrap();
    assert_eq!(nonce.trim().len(), 64);
    let quote = std::fs::read(export.join("quote.bin")).unwrap();
    let b64 = std::fs::read_to_string(export.join("quote.b64")).unwrap();
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .unwrap(),
        quote
    );
    let certs: serde_json::Value =
        serde_json::from_slice(&std::fs::read(export.join("certificates.json")).unwrap()).unwrap();
    assert!(
        certs["ssl_certificate"]
            .as_str()
            .unwrap()
            .contains("BEGIN CERTIFICATE")
    );
    for name in [
        "manifest.toml",
        "jwks.json",
        "tls_presented_certificates.pem",
        "checks.json",
    ] {
        assert!(export.join(name).exists(), "{name} not exported");
    }
    let checks: serde_json::Value =
        serde_json::from_slice(&std::fs::read(export.join("checks.json")).unwrap()).unwrap();
    assert_eq!(checks["trusted"], true);

    // Later commands use the pin: register and create a key without any trust flag.
    user.ekms().arg("register").assert().success();
    user.create_key(&[]);

    // An update: the same server dir and port, another manifest, so another measurement; the
    // sealed TLS key cannot be unsealed and a new certificate is made.
    let port = server.addr();
    drop(server);
    let manifest = dir.path().join("ekms.manifest");
    std::fs::write(&manifest, manifest_for_server(false, 2, dir.path())).unwrap();
    let updated = start_server_in(
        dir.path(),
        &port,
        &["--manifest", manifest.to_str().unwrap()],
    );
    assert_ne!(updated.sha256, user.config_value("pin_sha256").unwrap());
    user.ekms()
        .args(["sym", "create"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("certificate changed"))
        .stderr(predicate::str::contains("run `ekms trust` again"));
    // `ekms trust` again, with the attestation settings of the config file: the new
    // certificate is verified and pinned, and the group works again.
    user.ekms()
        .args([
            "trust",
            "--allow-emulated",
            "--mr-enclave",
            &updated.mr_enclave,
        ])
        .assert()
        .success();
    assert_eq!(
        user.config_value("pin_sha256"),
        Some(updated.sha256.clone())
    );
    user.create_key(&[]);
}

#[test]
fn offline_verification_with_the_emulated_pccs() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let mut cmd = user.ekms();
    cmd.args(["--json", "--server-url", &server.url, "trust", "--offline"])
        .args([
            "--pccs-url",
            &attest.url,
            "--attestation-pin-sha256",
            &attest.sha256,
        ])
        .args(["--allow-emulated", "--mr-enclave", &server.mr_enclave]);
    let (code, stdout, stderr) = run(&mut cmd);
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let out: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(out["trusted"], true, "{out}");
    assert_eq!(out["pinned"], true);
    assert_eq!(out["tcb_status"], "UpToDate");
    assert_eq!(out["emulated"], true);
    assert_eq!(out["certificate_sha256"], server.sha256.as_str());
    let ids: Vec<&str> = out["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["ok"], true, "{c}");
            c["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        ids,
        [
            "quote_verified",
            "enclave_genuine",
            "mr_enclave_expected",
            "mr_signer_enclave_key",
            "manifest_measured",
            "report_data_binding",
            "tls_certificate",
            "tls_key_in_enclave",
            "not_debug",
        ]
    );
    assert_eq!(user.config_value("pin_sha256"), Some(server.sha256.clone()));

    // The same evidence without --allow-emulated: the local verification passes (the chain is
    // sound under the emulated root) but the enclave is not genuine.
    let other = User::new();
    let (code, stdout, _) = run(other
        .ekms()
        .args(["--server-url", &server.url, "trust", "--offline"])
        .args([
            "--pccs-url",
            &attest.url,
            "--attestation-pin-sha256",
            &attest.sha256,
        ])
        .args(["--mr-enclave", &server.mr_enclave]));
    assert_eq!(code, 1);
    assert_only_ko(&stdout, &["enclave genuine"]);
    assert!(
        !other.config.exists(),
        "nothing is written when a check fails"
    );
}

#[test]
fn emulated_evidence_without_allow_emulated_is_ko() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let (code, stdout, stderr) =
        run(trust(&user, &server.url, &attest).args(["--mr-enclave", &server.mr_enclave]));
    assert_eq!(code, 1, "{stdout}");
    assert_only_ko(&stdout, &["enclave genuine"]);
    let line = line_of(&stdout, "enclave genuine");
    assert!(
        line.contains("EMULATED") && line.contains("--allow-emulated"),
        "{line}"
    );
    assert!(stderr.contains("nothing was pinned"), "{stderr}");
    assert!(!user.config.exists());
}

#[test]
fn wrong_or_missing_expected_mr_enclave_is_ko() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let wrong = "5a".repeat(32);
    let (code, stdout, _) =
        run(trust(&user, &server.url, &attest).args(["--allow-emulated", "--mr-enclave", &wrong]));
    assert_eq!(code, 1);
    assert_only_ko(&stdout, &["mr_enclave = expected"]);
    let line = line_of(&stdout, "mr_enclave = expected");
    assert!(
        line.contains(&wrong) && line.contains(&server.mr_enclave),
        "{line}"
    );

    // No expected value: the check is not made, so it is not Ok; the hint says what to pass.
    let (code, stdout, stderr) = run(trust(&user, &server.url, &attest).arg("--allow-emulated"));
    assert_eq!(code, 1);
    assert_only_ko(&stdout, &["mr_enclave = expected"]);
    assert!(line_of(&stdout, "mr_enclave = expected").contains("no expected value"));
    assert!(stderr.contains("hint: pass --mr-enclave HEX"), "{stderr}");
    assert!(!user.config.exists());

    // --mr-signer: checked when given.
    let (code, stdout, _) = run(trust(&user, &server.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &server.mr_enclave,
        "--mr-signer",
        &"00".repeat(32),
    ]));
    assert_eq!(code, 1);
    assert_only_ko(&stdout, &["mr_signer = expected"]);
    let (code, stdout, _) = run(trust(&user, &server.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &server.mr_enclave,
        "--mr-signer",
        &server.mr_signer,
    ]));
    assert_eq!(code, 0, "{stdout}");
    assert!(line_of(&stdout, "mr_signer = expected").ends_with(": Ok"));
}

#[test]
fn debug_enclave_is_ko_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("debug.manifest");
    std::fs::write(&manifest, manifest_for_server(true, 1, dir.path())).unwrap();
    let server = start_server_in(
        dir.path(),
        "127.0.0.1:0",
        &["--manifest", manifest.to_str().unwrap()],
    );
    let user = User::new();

    // An attestation service that refuses debug enclaves issues no token at all.
    let strict = start_attest(&["--allow-emulated"]);
    let (code, stdout, _) = run(trust(&user, &server.url, &strict).args([
        "--allow-emulated",
        "--allow-debug",
        "--mr-enclave",
        &server.mr_enclave,
    ]));
    assert_eq!(code, 1);
    assert!(
        line_of(&stdout, "token signature").contains("PolicyEvaluationError"),
        "{stdout}"
    );
    drop(strict);

    // One that accepts them: the token is sound, and the client refuses the debug enclave.
    let attest = start_attest(&["--allow-emulated", "--allow-debug"]);
    let (code, stdout, _) = run(trust(&user, &server.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &server.mr_enclave,
    ]));
    assert_eq!(code, 1, "{stdout}");
    assert_only_ko(&stdout, &["not a debug enclave"]);
    assert!(stdout.lines().any(|l| l == "debug: true"), "{stdout}");
    assert!(!user.config.exists());

    // --allow-debug accepts it, and says so in the line.
    let (code, stdout, _) = run(trust(&user, &server.url, &attest).args([
        "--allow-emulated",
        "--allow-debug",
        "--mr-enclave",
        &server.mr_enclave,
    ]));
    assert_eq!(code, 0, "{stdout}");
    assert!(
        line_of(&stdout, "not a debug enclave")
            .contains("debug enclave, accepted by --allow-debug")
    );
}

#[test]
fn expired_token_is_ko() {
    // The service's clock is 9 hours behind: its tokens (valid 8 hours) expired an hour ago.
    let past = time::OffsetDateTime::now_utc() - time::Duration::hours(9);
    let past = past
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let attest = start_attest(&["--allow-emulated", "--fixed-time", &past]);
    let server = start_server();
    let user = User::new();
    let (code, stdout, _) = run(trust(&user, &server.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &server.mr_enclave,
    ]));
    assert_eq!(code, 1);
    assert_only_ko(&stdout, &["token in date"]);
    assert!(
        line_of(&stdout, "token in date").contains("expired"),
        "{stdout}"
    );
}

#[test]
fn a_proxy_re_terminating_tls_is_ko() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    // The proxy forwards everything to the real server, so the quote, the certificates and the
    // manifest are the enclave's own; only the TLS certificate the client meets is the proxy's.
    let proxy = Proxy::start(&server.addr());
    let user = User::new();
    let (code, stdout, _) = run(trust(&user, &proxy.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &server.mr_enclave,
    ]));
    assert_eq!(code, 1);
    assert_only_ko(&stdout, &["TLS certificate = bound certificate"]);
    let line = line_of(&stdout, "TLS certificate = bound certificate");
    assert!(
        line.contains(&proxy.sha256) && line.contains(&server.sha256),
        "{line}"
    );
    assert!(!user.config.exists());
}

#[test]
fn enclave_commands_compute_the_identities_locally() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let export = user.path("evidence");
    trust(&user, &server.url, &attest)
        .args([
            "--allow-emulated",
            "--mr-enclave",
            &server.mr_enclave,
            "--export",
        ])
        .arg(&export)
        .assert()
        .success();

    // mr_signer of the enclave key the server returned; mr_enclave of its manifest.
    user.ekms()
        .args(["enclave", "mr-signer", "--key"])
        .arg(export.join("enclave_public_key.pem"))
        .assert()
        .success()
        .stdout(format!("{}\n", server.mr_signer));
    user.ekms()
        .args(["enclave", "measure", "--manifest"])
        .arg(export.join("manifest.toml"))
        .assert()
        .success()
        .stdout(format!("{}\n", server.mr_enclave));
    // Another enclave size, another measurement.
    let other = user
        .ekms()
        .args(["enclave", "measure", "--enclave-size", "2G", "--manifest"])
        .arg(export.join("manifest.toml"))
        .output()
        .unwrap();
    assert!(other.status.success());
    assert_ne!(
        String::from_utf8_lossy(&other.stdout).trim(),
        server.mr_enclave
    );
    // The expected manifest matches what the server serves.
    trust(&user, &server.url, &attest)
        .args([
            "--allow-emulated",
            "--mr-enclave",
            &server.mr_enclave,
            "--manifest",
        ])
        .arg(export.join("manifest.toml"))
        .assert()
        .success()
        .stdout(predicate::str::contains("manifest = expected: Ok"));

    // A SIGSTRUCT made independently (crates/ekms-attest/tests/data).
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ekms-attest/tests/data");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("expected.json")).unwrap()).unwrap();
    let sig = data.join("test_enclave.sig");
    let out = user
        .ekms()
        .args(["enclave", "sigstruct"])
        .arg(&sig)
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for line in [
        format!("mr_enclave: {}", expected["mr_enclave"].as_str().unwrap()),
        format!("mr_signer: {}", expected["mr_signer"].as_str().unwrap()),
        format!("isv_prod_id: {}", expected["isv_prod_id"]),
        format!("isv_svn: {}", expected["isv_svn"]),
        "debug: false".to_string(),
        "signature: Ok".to_string(),
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    let json = user
        .ekms()
        .args(["--json", "enclave", "sigstruct"])
        .arg(&sig)
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["signature_verifies"], true);
    assert_eq!(json["mr_signer"], expected["mr_signer"]);
    // The public key from the same directory gives the same mr_signer.
    user.ekms()
        .args(["enclave", "mr-signer", "--key"])
        .arg(data.join("signer.spki.pem"))
        .assert()
        .success()
        .stdout(format!("{}\n", expected["mr_signer"].as_str().unwrap()));
    // One byte changed in the signed part: the signature no longer verifies.
    let mut bytes = std::fs::read(&sig).unwrap();
    bytes[1026] ^= 1; // isv_svn
    let tampered = user.path("tampered.sig");
    std::fs::write(&tampered, &bytes).unwrap();
    user.ekms()
        .args(["enclave", "sigstruct"])
        .arg(&tampered)
        .assert()
        .failure()
        .stdout(predicate::str::contains("signature: Ko"))
        .stderr(predicate::str::contains("does not verify"));
    // Not a key, not a SIGSTRUCT: explained.
    user.ekms()
        .args(["enclave", "mr-signer", "--key"])
        .arg(&sig)
        .assert()
        .failure()
        .stderr(predicate::str::contains("hint:"));
    user.ekms()
        .args(["enclave", "sigstruct"])
        .arg(export.join("manifest.toml"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("is not a SIGSTRUCT"));
}

/// A TLS-terminating proxy in front of a server: it presents its own certificate and forwards
/// the bytes over its own TLS connection to the server (as a malicious host or a corporate
/// middlebox would).
struct Proxy {
    url: String,
    sha256: String,
    _runtime: tokio::runtime::Runtime,
}

impl Proxy {
    fn start(upstream: &str) -> Proxy {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".into(), "localhost".into()])
            .unwrap();
        let cert = ck.cert.der().clone();
        let sha256 = sha256_hex(cert.as_ref());
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(
            rustls::pki_types::PrivatePkcs8KeyDer::from(ck.signing_key.serialize_der()),
        );
        let mut server_config = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        server_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut client_config = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap()
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth();
        client_config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config));
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client_config));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let upstream = upstream.to_string();
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, connector, upstream) =
                    (acceptor.clone(), connector.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(mut client) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Ok(tcp) = tokio::net::TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
                    let Ok(mut server) = connector.connect(name, tcp).await else {
                        return;
                    };
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        });
        Proxy {
            url,
            sha256,
            _runtime: runtime,
        }
    }
}

#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[test]
fn the_attestation_service_must_be_trusted_and_reachable() {
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let args = [
        "--allow-emulated",
        "--mr-enclave",
        server.mr_enclave.as_str(),
    ];

    // A wrong pin for the service: refused before any token is asked for, with what to do.
    user.ekms()
        .args([
            "--server-url",
            &server.url,
            "trust",
            "--attestation-url",
            &attest.url,
        ])
        .args(["--attestation-pin-sha256", &"00".repeat(32)])
        .args(args)
        .assert()
        .failure()
        .stderr(predicate::str::contains(attest.sha256.as_str()))
        .stderr(predicate::str::contains(
            "hint: pass --attestation-ca FILE or --attestation-pin-sha256 HEX",
        ));
    // No trust option: the public Web PKI roots do not include a self-signed certificate.
    user.ekms()
        .args([
            "--server-url",
            &server.url,
            "trust",
            "--attestation-url",
            &attest.url,
        ])
        .args(args)
        .assert()
        .failure()
        .stderr(predicate::str::contains("the attestation service at"))
        .stderr(predicate::str::contains("not trusted"));
    // A service that does not answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let gone = format!("https://{}", listener.local_addr().unwrap());
    drop(listener);
    user.ekms()
        .args([
            "--server-url",
            &server.url,
            "trust",
            "--attestation-url",
            &gone,
        ])
        .args(["--attestation-pin-sha256", &attest.sha256])
        .args(args)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "is the attestation service running at",
        ));
    assert!(!user.config.exists(), "nothing was pinned");
}

/// A certificate and PKCS#8 key made by the host (not the enclave), as files in `dir`.
fn host_tls_pair(dir: &std::path::Path) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params =
        rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = params.self_signed(&key).unwrap();
    let (c, k) = (dir.join("host.pem"), dir.join("host.key"));
    std::fs::write(&c, cert.pem()).unwrap();
    std::fs::write(&k, key.serialize_pem()).unwrap();
    (
        c.to_str().unwrap().to_string(),
        k.to_str().unwrap().to_string(),
    )
}

#[test]
fn a_tls_key_chosen_by_the_host_is_ko() {
    // A relay holding a host-made key must not pass `ekms trust`, even for a
    // user who expects the mr_enclave that server really has.
    let attest = start_attest(&["--allow-emulated"]);
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = host_tls_pair(dir.path());

    // The first server: the enclave makes its TLS key. Every check is Ok.
    let first = start_server_in(dir.path(), "127.0.0.1:0", &[]);
    let user = User::new();
    let (code, stdout, stderr) = run(trust(&user, &first.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &first.mr_enclave,
    ]));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert_eq!(
        line_of(&stdout, "TLS key made in the enclave"),
        "TLS key made in the enclave: Ok"
    );
    let first_mr_enclave = first.mr_enclave.clone();
    drop(first);

    // The second: the same command line, plus a key the host chose.
    let second = start_server_in(
        dir.path(),
        "127.0.0.1:0",
        &[
            "--allow-host-tls-key",
            "--tls-cert",
            &cert,
            "--tls-key",
            &key,
        ],
    );
    assert_ne!(
        second.mr_enclave, first_mr_enclave,
        "a host TLS key is a measured setting"
    );
    let user = User::new();
    let (code, stdout, _) = run(trust(&user, &second.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &second.mr_enclave,
    ]));
    assert_ne!(code, 0, "{stdout}");
    // The quote does bind the host's certificate and every other check passes: only this
    // line tells the relay from the enclave.
    assert_only_ko(&stdout, &["TLS key made in the enclave"]);
    assert!(
        line_of(&stdout, "TLS key made in the enclave")
            .starts_with("TLS key made in the enclave: Ko"),
        "{stdout}"
    );
    assert!(!user.config.exists(), "nothing is pinned");
}

#[test]
fn a_nonce_given_in_hex_is_sent_as_bytes() {
    // The nonce is bytes, not text; bytes that are not UTF-8 round-trip.
    let attest = start_attest(&["--allow-emulated"]);
    let server = start_server();
    let user = User::new();
    let export = user.path("evidence");
    let (code, stdout, stderr) = run(trust(&user, &server.url, &attest)
        .args([
            "--allow-emulated",
            "--mr-enclave",
            &server.mr_enclave,
            "--nonce-hex",
            "ff80002b2526c3",
            "--export",
        ])
        .arg(&export));
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(
        stdout.contains("report data = SHA-256(certificate + nonce): Ok"),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(export.join("nonce.txt"))
            .unwrap()
            .trim(),
        "ff80002b2526c3",
        "the exported nonce is its bytes in hex"
    );
    let (code, _, stderr) = run(trust(&user, &server.url, &attest).args([
        "--allow-emulated",
        "--mr-enclave",
        &server.mr_enclave,
        "--nonce-hex",
        "zz",
    ]));
    assert_ne!(code, 0);
    assert!(stderr.contains("--nonce-hex"), "{stderr}");
}
