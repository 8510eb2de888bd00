//! Test support: starts the real `ekms-attest` binary on an ephemeral port, reads the lines it
//! prints, and makes an HTTPS client that trusts exactly the certificate whose SHA-256 it
//! printed.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ekms_testkit::{Process, printed};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde_json::{Value, json};

/// The real test vector's directory.
pub fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sgx")
}

pub fn real_quote() -> Vec<u8> {
    std::fs::read(testdata().join("real_dcap_v3_quote.bin")).unwrap()
}

pub fn real_collateral_path() -> String {
    testdata()
        .join("real_dcap_v3_quote_collateral.json")
        .display()
        .to_string()
}

/// A time inside the real vector's collateral validity window.
pub const IN_WINDOW: &str = "2025-06-25T00:00:00Z";

pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256(bytes: &[u8]) -> Vec<u8> {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

pub struct Service {
    /// The running binary (killed when the service is dropped) and everything it printed.
    pub child: Process,
    pub url: String,
    pub cert_sha256: String,
    pub issuer: String,
    pub kid: String,
    pub http: reqwest::Client,
}

pub fn command(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ekms-attest"));
    ekms_testkit::clear_env(&mut cmd, ekms_testkit::ATTEST_ENV);
    cmd.arg("--listen")
        .arg("127.0.0.1:0")
        .args(args)
        .env("EKMS_ATTEST_LOG", "debug")
        // Piped for a test that reads the output itself (tests/startup.rs).
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

impl Service {
    pub fn start(args: &[&str]) -> Service {
        let child = Process::start(command(args), "ekms-attest");
        let keys = [
            "listening on ",
            "certificate sha256: ",
            "issuer: ",
            "token signing key id: ",
        ];
        let lines = child.wait_for(Duration::from_secs(30), |l| {
            keys.iter().all(|k| printed(l, k).is_some())
        });
        let [url, cert_sha256, issuer, kid] = keys.map(|k| printed(&lines, k).unwrap());
        let http = pinned_client(&cert_sha256);
        Service {
            child,
            url,
            cert_sha256,
            issuer,
            kid,
            http,
        }
    }

    /// Everything the service printed so far.
    pub fn log(&self) -> String {
        self.child.log()
    }

    /// Starts with the real vector's collateral at a time inside its window.
    pub fn real(extra: &[&str]) -> Service {
        let collateral = real_collateral_path();
        let mut args = vec!["--collateral", collateral.as_str()];
        args.extend_from_slice(extra);
        Service::start(&args)
    }

    pub fn attest_url(&self, api_version: Option<&str>) -> String {
        match api_version {
            Some(v) => format!("{}/attest/SgxEnclave?api-version={v}", self.url),
            None => format!("{}/attest/SgxEnclave", self.url),
        }
    }

    /// POSTs raw bytes to the attest route; returns status and JSON body.
    pub async fn post_raw(&self, url: &str, body: Vec<u8>) -> (u16, Value) {
        self.try_post_raw(url, body).await.unwrap()
    }

    /// As [`Self::post_raw`], but a failed exchange is returned: a server that refuses a body
    /// from its Content-Length answers and closes at once, so the client may fail to send the
    /// rest (broken pipe, reset) before it reads the answer.
    pub async fn try_post_raw(&self, url: &str, body: Vec<u8>) -> Result<(u16, Value), String> {
        let resp = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| format!("{e:?}"))?;
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON answer ({status}): {text}"));
        Ok((status, value))
    }

    pub async fn attest(&self, body: &Value) -> (u16, Value) {
        self.post_raw(
            &self.attest_url(Some("2022-08-01")),
            serde_json::to_vec(body).unwrap(),
        )
        .await
    }

    pub async fn get_json(&self, url: &str) -> (u16, Value) {
        let resp = self.http.get(url).send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON answer ({status}): {text}"));
        (status, value)
    }

    /// Whether the service's output (stdout and stderr) shows `needle` within 10 seconds
    /// (stderr is read by another thread, so it may lag behind the start lines).
    pub fn log_shows(&self, needle: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

/// Asserts an MAA-shaped error with `status` and `code`; returns its message.
pub fn expect_error(answer: &(u16, Value), status: u16, code: &str) -> String {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"]["code"], code, "{}", answer.1);
    answer.1["error"]["message"].as_str().unwrap().to_string()
}

pub fn quote_body(quote: &[u8]) -> Value {
    json!({"quote": b64url(quote)})
}

/// Verifies `token` with the service's JWKS (found through its OpenID metadata), as a relying
/// party would; the validity window is not checked (tokens made at a fixed time are old).
pub async fn verify_token(service: &Service, token: &str) -> Value {
    let (status, meta) = service
        .get_json(&format!("{}/.well-known/openid-configuration", service.url))
        .await;
    assert_eq!(status, 200);
    assert_eq!(meta["issuer"], service.issuer.as_str());
    let jwks_uri = meta["jwks_uri"].as_str().unwrap().to_string();
    assert_eq!(jwks_uri, format!("{}/certs", service.issuer));
    let (status, jwks) = service.get_json(&jwks_uri).await;
    assert_eq!(status, 200);
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.jku.as_deref(), Some(jwks_uri.as_str()));
    let kid = header.kid.expect("kid in the token header");
    assert_eq!(kid, service.kid);
    let jwk = jwks.find(&kid).expect("the token's kid is in the JWKS");
    let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_issuer(&[service.issuer.as_str()]);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_required_spec_claims(&["iss", "exp", "nbf"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .expect("the token verifies with the published key")
        .claims
}

#[derive(Debug)]
struct Pinned {
    sha256: Vec<u8>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if sha256(end_entity.as_ref()) == self.sha256 {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("certificate pin mismatch".into()))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// An HTTPS client that accepts exactly the certificate with this SHA-256 (hex).
pub fn pinned_client(sha256_hex: &str) -> reqwest::Client {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = Arc::new(Pinned {
        sha256: hex::decode(sha256_hex).unwrap(),
        provider: provider.clone(),
    });
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}
