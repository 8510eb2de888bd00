//! End-to-end tests of `ekms-attest` with emulated evidence: quotes from an emulated platform
//! (ekms-attest's emulated quoting enclave) are accepted only with `--allow-emulated`, their
//! tokens state the quote's fields and `x-ekms-emulated: true`, and the emulated PCCS routes
//! serve collateral that verifies the same quote.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::sync::OnceLock;

use ekms_attest::emulated::{EmulatedPlatform, EnclaveIdentity};
use ekms_attest::{Collateral, TcbStatus, TrustedRoot, Verifier};
use serde_json::json;
use support::*;

fn platform() -> &'static EmulatedPlatform {
    static PLATFORM: OnceLock<EmulatedPlatform> = OnceLock::new();
    PLATFORM.get_or_init(|| {
        // Kept between runs: making a platform (an RSA-3072 signer key) is slow in debug builds.
        let dir =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ekms-attest-svc-platform");
        EmulatedPlatform::open_or_create(dir).unwrap()
    })
}

fn identity(debug: bool) -> EnclaveIdentity {
    EnclaveIdentity {
        mr_enclave: [0x5a; 32],
        mr_signer: platform().mr_signer(),
        attributes: EnclaveIdentity::attributes_for(debug),
        isv_prod_id: 7,
        isv_svn: 3,
    }
}

/// A quote whose report data binds `runtime` as MAA expects: SHA-256(runtime) then zeros.
fn quote_binding(runtime: &[u8], debug: bool) -> Vec<u8> {
    let mut report_data = [0u8; 64];
    report_data[..32].copy_from_slice(&sha256(runtime));
    platform().quote(&identity(debug), &report_data).unwrap()
}

#[tokio::test]
async fn emulated_quote_is_accepted_with_allow_emulated_and_says_so() {
    let service = Service::start(&["--allow-emulated"]);
    assert!(service.log_shows("--allow-emulated"), "{}", service.log());
    let runtime = b"-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\nnonce-1".to_vec();
    let quote = quote_binding(&runtime, false);
    let (status, answer) = service
        .attest(&json!({
            "quote": b64url(&quote),
            "runtimeData": {"data": b64url(&runtime), "dataType": "Binary"},
            "nonce": "abc",
        }))
        .await;
    assert_eq!(status, 200, "{answer}");
    let claims = verify_token(&service, answer["token"].as_str().unwrap()).await;
    let id = identity(false);
    assert_eq!(claims["x-ekms-emulated"], true);
    assert_eq!(claims["x-ms-sgx-mrenclave"], hex::encode(id.mr_enclave));
    assert_eq!(claims["x-ms-sgx-mrsigner"], hex::encode(id.mr_signer));
    assert_eq!(claims["x-ms-sgx-product-id"], 7);
    assert_eq!(claims["x-ms-sgx-svn"], 3);
    assert_eq!(claims["x-ms-sgx-is-debuggable"], false);
    assert_eq!(claims["x-ms-sgx-ehd"], b64url(&runtime));
    assert_eq!(claims["maa-ehd"], b64url(&runtime));
    let mut report_data = sha256(&runtime);
    report_data.resize(64, 0);
    assert_eq!(claims["x-ekms-sgx-report-data"], hex::encode(&report_data));
    assert_eq!(
        claims["x-ms-sgx-collateral"]["quotehash"],
        hex::encode(sha256(&quote))
    );
    assert_eq!(claims["x-ekms-sgx-tcb-status"], "UpToDate");
    assert_eq!(claims["x-ekms-sgx-fmspc"], hex::encode(platform().fmspc()));
    assert!(
        claims["x-ekms-sgx-root"]
            .as_str()
            .unwrap()
            .contains("NOT INTEL"),
        "{claims}"
    );
    assert_eq!(claims["nonce"], "abc");
    assert!(claims.get("x-ms-runtime").is_none());
    same_claim_set_as_azure(&claims, "shared-wus");
    // Real time: the token is valid now, for eight hours.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let iat = claims["iat"].as_i64().unwrap();
    assert!((iat - now).abs() < 300, "iat {iat} now {now}");
    assert_eq!(claims["exp"].as_i64().unwrap(), iat + 8 * 3600);

    // JSON runtime data becomes the x-ms-runtime claim.
    let runtime = br#"{"tls_cert_sha256":"00ff","purpose":"ekms"}"#.to_vec();
    let quote = quote_binding(&runtime, false);
    let (status, answer) = service
        .attest(&json!({
            "quote": b64url(&quote),
            "runtimeData": {"data": b64url(&runtime), "dataType": "JSON"},
        }))
        .await;
    assert_eq!(status, 200, "{answer}");
    let claims = verify_token(&service, answer["token"].as_str().unwrap()).await;
    assert_eq!(
        claims["x-ms-runtime"],
        json!({"tls_cert_sha256": "00ff", "purpose": "ekms"})
    );
    same_claim_set_as_azure(&claims, "shared-wus-json");
}

/// The claims of a token are those of Azure Attestation's recorded token for the same kind of
/// request (`testdata/maa/<recorded>/claims.json`): every name Azure issued, with the same JSON
/// type (and the same keys in the collateral objects), and nothing else but ekms-attest's own
/// `x-ekms-` names and the request's `nonce`.
fn same_claim_set_as_azure(claims: &serde_json::Value, recorded: &str) {
    let path = format!(
        "{}/../../testdata/maa/{recorded}/claims.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let azure: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let (ours, theirs) = (claims.as_object().unwrap(), azure.as_object().unwrap());
    let kind = |v: &serde_json::Value| match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    };
    for (name, value) in theirs {
        let mine = ours
            .get(name)
            .unwrap_or_else(|| panic!("ekms-attest's token lacks {name}, which Azure issues"));
        assert_eq!(kind(mine), kind(value), "{name}");
        if name.ends_with("collateral") {
            let keys =
                |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(mine), keys(value), "{name}");
        }
    }
    for name in ours.keys() {
        assert!(
            theirs.contains_key(name) || name.starts_with("x-ekms-") || name == "nonce",
            "{name} is not a claim Azure issues for {recorded}"
        );
    }
}

#[tokio::test]
async fn emulated_quote_is_refused_without_allow_emulated() {
    let service = Service::start(&[]);
    let runtime = b"data".to_vec();
    let answer = service
        .attest(&json!({
            "quote": b64url(&quote_binding(&runtime, false)),
            "runtimeData": {"data": b64url(&runtime), "dataType": "Binary"},
        }))
        .await;
    let message = expect_error(&answer, 400, "PolicyEvaluationError");
    assert!(message.contains("emulated"), "{message}");
    assert!(message.contains("--allow-emulated"), "{message}");
}

#[tokio::test]
async fn debug_enclaves_need_allow_debug() {
    let runtime = b"dbg".to_vec();
    let body = json!({
        "quote": b64url(&quote_binding(&runtime, true)),
        "runtimeData": {"data": b64url(&runtime)},
    });
    let strict = Service::start(&["--allow-emulated"]);
    let message = expect_error(&strict.attest(&body).await, 400, "PolicyEvaluationError");
    assert!(message.contains("debug"), "{message}");
    let lenient = Service::start(&["--allow-emulated", "--allow-debug"]);
    let (status, answer) = lenient.attest(&body).await;
    assert_eq!(status, 200, "{answer}");
    let claims = verify_token(&lenient, answer["token"].as_str().unwrap()).await;
    assert_eq!(claims["x-ms-sgx-is-debuggable"], true);
    assert_eq!(claims["is-debuggable"], true);
}

#[tokio::test]
async fn emulated_refusals_name_the_check() {
    let service = Service::start(&["--allow-emulated"]);
    let runtime = b"bound".to_vec();
    let quote = quote_binding(&runtime, false);

    // Other runtime data than the quote binds.
    let answer = service
        .attest(&json!({
            "quote": b64url(&quote),
            "runtimeData": {"data": b64url(b"other"), "dataType": "Binary"},
        }))
        .await;
    let message = expect_error(&answer, 400, "RuntimeDataMismatch");
    assert!(message.contains("report_data"), "{message}");

    // Init-time data must hash to CONFIGID (zero for emulated enclaves).
    let answer = service
        .attest(&json!({
            "quote": b64url(&quote),
            "runtimeData": {"data": b64url(&runtime)},
            "initTimeData": {"data": b64url(b"init"), "dataType": "Binary"},
        }))
        .await;
    let message = expect_error(&answer, 400, "InitTimeDataMismatch");
    assert!(message.contains("config_id"), "{message}");

    // A changed byte of the report body (isv_svn) breaks the signature.
    let mut tampered = quote.clone();
    tampered[48 + 258] ^= 1;
    let answer = service
        .attest(&json!({"quote": b64url(&tampered), "runtimeData": {"data": b64url(&runtime)}}))
        .await;
    let message = expect_error(&answer, 400, "InvalidQuote");
    assert!(message.contains("emulated PCCS"), "{message}");
}

/// Both DER CRLs parse and have the same issuer, dates and revoked certificates.
fn assert_same_crl(a: &[u8], b: &[u8]) {
    let (_, a) = x509_parser::parse_x509_crl(a).unwrap();
    let (_, b) = x509_parser::parse_x509_crl(b).unwrap();
    assert_eq!(a.issuer(), b.issuer());
    assert_eq!(a.last_update(), b.last_update());
    assert_eq!(a.next_update(), b.next_update());
    assert_eq!(
        a.iter_revoked_certificates().count(),
        b.iter_revoked_certificates().count()
    );
}

/// Decodes the URL-encoded PEM of an issuer chain header.
fn url_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

async fn get(service: &Service, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let resp = service
        .http
        .get(format!("{}{path}", service.url))
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.bytes().await.unwrap().to_vec())
}

fn chain(headers: &reqwest::header::HeaderMap, name: &str) -> String {
    let value = headers
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap();
    assert!(!value.contains('\n'), "the chain is URL-encoded");
    let pem = url_decode(value);
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    pem
}

#[tokio::test]
async fn emulated_pccs_serves_collateral_that_verifies_the_quote() {
    let service = Service::start(&["--allow-emulated"]);
    let fmspc = hex::encode_upper(platform().fmspc());

    let (status, headers, body) = get(
        &service,
        &format!("/sgx/certification/v4/tcb?fmspc={fmspc}"),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["content-type"], "application/json");
    let tcb_chain = chain(&headers, "TCB-Info-Issuer-Chain");
    assert_eq!(chain(&headers, "SGX-TCB-Info-Issuer-Chain"), tcb_chain);
    let tcb: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(tcb["tcbInfo"]["fmspc"], fmspc.as_str());
    // The signed object, byte for byte, as the PCS body carries it.
    let text = String::from_utf8(body).unwrap();
    let tcb_info = text
        .strip_prefix("{\"tcbInfo\":")
        .and_then(|t| t.split_once(",\"signature\":"))
        .map(|(info, _)| info.to_string())
        .unwrap();
    let tcb_sig = hex::decode(tcb["signature"].as_str().unwrap()).unwrap();

    let (status, headers, body) = get(&service, "/sgx/certification/v4/qe/identity").await;
    assert_eq!(status, 200);
    let qe_chain = chain(&headers, "SGX-Enclave-Identity-Issuer-Chain");
    let qe: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(qe["enclaveIdentity"]["id"], "QE");
    let text = String::from_utf8(body).unwrap();
    let qe_identity = text
        .strip_prefix("{\"enclaveIdentity\":")
        .and_then(|t| t.split_once(",\"signature\":"))
        .map(|(info, _)| info.to_string())
        .unwrap();
    let qe_sig = hex::decode(qe["signature"].as_str().unwrap()).unwrap();

    let (status, headers, pck_crl) = get(
        &service,
        "/sgx/certification/v4/pckcrl?ca=platform&encoding=der",
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/pkix-crl");
    let crl_chain = chain(&headers, "SGX-PCK-CRL-Issuer-Chain");
    let (status, headers, pem) = get(&service, "/sgx/certification/v4/pckcrl?ca=platform").await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-pem-file");
    let pem = String::from_utf8(pem).unwrap();
    assert!(pem.starts_with("-----BEGIN X509 CRL-----"), "{pem}");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let from_pem = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64).unwrap();
    // Each answer is signed anew (ECDSA), so compare what the CRLs say, not their bytes.
    assert_same_crl(&from_pem, &pck_crl);

    let (status, _, root_hex) = get(&service, "/sgx/certification/v4/rootcacrl").await;
    assert_eq!(status, 200);
    let root_ca_crl = hex::decode(root_hex).unwrap();
    let (_, headers, root_der) =
        get(&service, "/sgx/certification/v4/rootcacrl?encoding=der").await;
    assert_eq!(headers["content-type"], "application/pkix-crl");
    assert_same_crl(&root_der, &root_ca_crl);

    let collateral = Collateral {
        pck_crl_issuer_chain: crl_chain,
        root_ca_crl,
        pck_crl,
        tcb_info_issuer_chain: tcb_chain,
        tcb_info,
        tcb_info_signature: tcb_sig,
        qe_identity_issuer_chain: qe_chain,
        qe_identity,
        qe_identity_signature: qe_sig,
        pck_certificate_chain: None,
    };
    let runtime = b"pccs".to_vec();
    let quote = quote_binding(&runtime, false);
    let verifier = Verifier::intel()
        .with_root(TrustedRoot::emulated())
        .allow_emulated(true);
    let now = time::OffsetDateTime::now_utc();
    let verified = verifier.verify(&quote, &collateral, now).unwrap();
    assert!(verified.emulated);
    assert_eq!(verified.tcb_status, TcbStatus::UpToDate);
    assert_eq!(verified.report.mr_enclave, identity(false).mr_enclave);
    // The same collateral does not make the quote genuine.
    assert!(Verifier::intel().verify(&quote, &collateral, now).is_err());

    // Errors.
    let (status, _, _) = get(&service, "/sgx/certification/v4/pckcrl?ca=processor").await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&service, "/sgx/certification/v4/pckcrl").await;
    assert_eq!(status, 400);
    let (status, _, _) = get(&service, "/sgx/certification/v4/tcb").await;
    assert_eq!(status, 400);
    let (status, _, _) = get(&service, "/sgx/certification/v4/tcb?fmspc=zz").await;
    assert_eq!(status, 400);
    let (status, _, _) = get(
        &service,
        &format!("/sgx/certification/v4/tcb?fmspc={fmspc}&tcbEvaluationDataNumber=1"),
    )
    .await;
    assert_eq!(status, 404);
}
