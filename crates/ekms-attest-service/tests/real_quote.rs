//! End-to-end tests of `ekms-attest` with the real SGX DCAP quote of `testdata/sgx/` and
//! its PCCS collateral: tokens, their claims and signature (verified through `/certs` as a
//! relying party would), the refusals (runtime data, TCB policy, expired collateral), and the
//! clear 400s of malformed requests.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_attest::Quote;
use serde_json::json;
use support::*;

const MR_ENCLAVE: &str = "33d8736db756ed4997e04ba358d27833188f1932ff7b1d156904d3f560452fbb";
const MR_SIGNER: &str = "815f42f11cf64430c30bab7816ba596a1da0130c3b028b673133a66cf9a3e0e6";
const LENIENT: &str = "ConfigurationAndSWHardeningNeeded";

fn in_window(extra: &[&str]) -> Service {
    let mut args = vec!["--fixed-time", IN_WINDOW, "--tcb-policy", LENIENT];
    args.extend_from_slice(extra);
    Service::real(&args)
}

#[tokio::test]
async fn real_quote_gets_a_token_whose_claims_are_the_quote() {
    let service = in_window(&[]);
    assert!(
        service.log_shows("--fixed-time"),
        "the fixed time is warned about: {}",
        service.log()
    );
    let quote = real_quote();
    let parsed = Quote::parse(&quote).unwrap();
    let (status, answer) = service
        .attest(
            &json!({"quote": b64url(&quote), "nonce": "n-123", "draftPolicyForAttestation": ""}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let token = answer["token"].as_str().unwrap();
    let claims = verify_token(&service, token).await;

    assert_eq!(claims["iss"], service.issuer.as_str());
    assert_eq!(claims["iat"], 1_750_809_600i64);
    assert_eq!(claims["nbf"], 1_750_809_600i64);
    assert_eq!(claims["exp"], 1_750_809_600i64 + 8 * 3600);
    assert_eq!(claims["jti"].as_str().unwrap().len(), 64);
    assert_eq!(claims["nonce"], "n-123");
    assert_eq!(claims["x-ms-ver"], "1.0");
    assert_eq!(claims["x-ms-attestation-type"], "sgx");
    assert_eq!(claims["x-ms-sgx-mrenclave"], MR_ENCLAVE);
    assert_eq!(claims["x-ms-sgx-mrsigner"], MR_SIGNER);
    assert_eq!(
        claims["x-ms-sgx-product-id"],
        parsed.report_body.isv_prod_id
    );
    assert_eq!(claims["x-ms-sgx-svn"], parsed.report_body.isv_svn);
    assert_eq!(
        claims["x-ms-sgx-is-debuggable"],
        parsed.report_body.is_debug()
    );
    let mut report_data = b"Hello, world!".to_vec();
    report_data.resize(64, 0);
    assert_eq!(claims["x-ekms-sgx-report-data"], hex::encode(&report_data));
    assert!(
        claims.get("x-ms-sgx-report-data").is_none(),
        "Azure Attestation states no report data claim"
    );
    assert_eq!(
        claims["x-ms-sgx-collateral"]["quotehash"],
        hex::encode(sha256(&quote))
    );
    assert_eq!(
        claims["maa-attestationcollateral"]["quotehash"],
        hex::encode(sha256(&quote))
    );
    for key in [
        "qeidcertshash",
        "qeidcrlhash",
        "qeidhash",
        "tcbinfocertshash",
        "tcbinfocrlhash",
        "tcbinfohash",
    ] {
        assert_eq!(
            claims["x-ms-sgx-collateral"][key].as_str().unwrap().len(),
            64
        );
    }
    assert_eq!(claims["sgx-mrenclave"], MR_ENCLAVE);
    assert_eq!(claims["tee"], "sgx");
    assert!(claims.get("x-ms-sgx-ehd").is_none(), "no runtime data sent");
    assert!(claims["x-ms-policy-hash"].as_str().unwrap().len() >= 43);

    assert_eq!(claims["x-ekms-emulated"], false);
    assert_eq!(claims["x-ekms-sgx-tcb-status"], LENIENT);
    let advisories = claims["x-ekms-sgx-advisory-ids"].as_array().unwrap();
    assert!(
        advisories.iter().any(|a| a == "INTEL-SA-00289"),
        "{advisories:?}"
    );
    assert!(
        advisories.iter().any(|a| a == "INTEL-SA-00615"),
        "{advisories:?}"
    );
    assert_eq!(claims["x-ekms-sgx-fmspc"], "00a067110000");
    assert!(
        claims["x-ekms-sgx-root"]
            .as_str()
            .unwrap()
            .contains("Intel SGX Root CA")
    );

    // The older api-version gives a token too; standard base64 is accepted as well.
    let std_b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &quote);
    let (status, answer) = service
        .post_raw(
            &service.attest_url(Some("2020-10-01")),
            serde_json::to_vec(&json!({"quote": std_b64})).unwrap(),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    let claims = verify_token(&service, answer["token"].as_str().unwrap()).await;
    assert_eq!(claims["x-ms-sgx-mrenclave"], MR_ENCLAVE);
    assert!(claims.get("nonce").is_none());
}

#[tokio::test]
async fn runtime_data_must_hash_to_the_report_data() {
    let service = in_window(&[]);
    let quote = real_quote();
    // The vector's report data is "Hello, world!" and zeros: no runtime data hashes to it.
    let answer = service
        .attest(&json!({
            "quote": b64url(&quote),
            "runtimeData": {"data": b64url(b"Hello, world!"), "dataType": "Binary"},
            "initTimeData": {"data": "", "dataType": "Binary"},
        }))
        .await;
    let message = expect_error(&answer, 400, "RuntimeDataMismatch");
    assert!(message.contains("runtime data"), "{message}");
    assert!(
        message.contains(&hex::encode(sha256(b"Hello, world!"))),
        "{message}"
    );
    assert!(
        message.contains(&hex::encode(b"Hello, world!")),
        "the message shows the report data: {message}"
    );
    // JSON runtime data is checked the same way.
    let answer = service
        .attest(&json!({
            "quote": b64url(&quote),
            "runtimeData": {"data": b64url(br#"{"k":1}"#), "dataType": "JSON"},
        }))
        .await;
    expect_error(&answer, 400, "RuntimeDataMismatch");
}

#[tokio::test]
async fn default_policy_refuses_the_tcb_status() {
    let service = Service::real(&["--fixed-time", IN_WINDOW]);
    let answer = service.attest(&quote_body(&real_quote())).await;
    let message = expect_error(&answer, 400, "PolicyEvaluationError");
    assert!(message.contains(LENIENT), "{message}");
    assert!(message.contains("UpToDate"), "{message}");
    assert!(message.contains("INTEL-SA-00615"), "{message}");
}

#[tokio::test]
async fn expired_collateral_is_refused_at_the_real_time() {
    let service = Service::real(&["--tcb-policy", LENIENT]);
    let answer = service.attest(&quote_body(&real_quote())).await;
    let message = expect_error(&answer, 400, "InvalidQuote");
    assert!(message.contains("verification failed"), "{message}");
    assert!(message.contains("--collateral"), "{message}");
}

#[tokio::test]
async fn without_collateral_genuine_quotes_cannot_be_verified() {
    let service = Service::start(&["--fixed-time", IN_WINDOW, "--tcb-policy", LENIENT]);
    let answer = service.attest(&quote_body(&real_quote())).await;
    let message = expect_error(&answer, 400, "InvalidQuote");
    assert!(message.contains("--collateral"), "{message}");
}

#[tokio::test]
async fn tampered_quotes_are_refused() {
    let service = in_window(&[]);
    let quote = real_quote();
    // A byte of the report body (mr_enclave) changed.
    let mut tampered = quote.clone();
    tampered[112] ^= 1;
    let message = expect_error(
        &service.attest(&quote_body(&tampered)).await,
        400,
        "InvalidQuote",
    );
    assert!(message.contains("verification failed"), "{message}");
    // Truncated: not a quote at all.
    let message = expect_error(
        &service.attest(&quote_body(&quote[..600])).await,
        400,
        "InvalidQuote",
    );
    assert!(message.contains("not a DCAP v3"), "{message}");
    let message = expect_error(&service.attest(&quote_body(b"")).await, 400, "InvalidQuote");
    assert!(message.contains("not a DCAP v3"), "{message}");
}

#[tokio::test]
async fn malformed_requests_get_clear_400s() {
    let service = in_window(&[]);
    let quote = real_quote();
    let body = serde_json::to_vec(&quote_body(&quote)).unwrap();

    // api-version: missing, unknown.
    let m = expect_error(
        &service
            .post_raw(&service.attest_url(None), body.clone())
            .await,
        400,
        "UnsupportedApiVersion",
    );
    assert!(m.contains("api-version") && m.contains("2022-08-01"), "{m}");
    let m = expect_error(
        &service
            .post_raw(&service.attest_url(Some("2099-01-01")), body.clone())
            .await,
        400,
        "UnsupportedApiVersion",
    );
    assert!(m.contains("2099-01-01"), "{m}");

    // Body: not JSON, wrong types, missing quote, bad base64.
    let url = service.attest_url(Some("2022-08-01"));
    let m = expect_error(
        &service.post_raw(&url, b"{not json".to_vec()).await,
        400,
        "InvalidParameter",
    );
    assert!(m.contains("not valid"), "{m}");
    expect_error(
        &service.attest(&json!({"quote": 42})).await,
        400,
        "InvalidParameter",
    );
    let m = expect_error(
        &service
            .attest(&json!({"runtimeData": {"data": "AA"}}))
            .await,
        400,
        "InvalidParameter",
    );
    assert!(m.contains("quote"), "{m}");
    let m = expect_error(
        &service.attest(&json!({"quote": "###"})).await,
        400,
        "InvalidParameter",
    );
    assert!(m.contains("base64"), "{m}");
    let m = expect_error(
        &service
            .attest(&json!({"quote": b64url(&quote), "runtimeData": {"data": "@@"}}))
            .await,
        400,
        "InvalidParameter",
    );
    assert!(m.contains("runtimeData.data"), "{m}");
    let m = expect_error(
        &service
            .attest(&json!({"quote": b64url(&quote), "runtimeData": {"dataType": "Binary"}}))
            .await,
        400,
        "InvalidParameter",
    );
    assert!(m.contains("runtimeData.data"), "{m}");
    expect_error(
        &service
            .attest(&json!({"quote": b64url(&quote), "runtimeData": {"data": "AA", "dataType": "Text"}}))
            .await,
        400,
        "InvalidParameter",
    );

    // Too large: refused from its Content-Length. The client may still be sending when the
    // answer and the close come, so an exchange can fail on its side (broken pipe); every
    // answer received must be the 413, and one of a few tries must receive it.
    let big = vec![b' '; 2 * 1024 * 1024];
    let mut answered = 0;
    for _ in 0..5 {
        match service.try_post_raw(&url, big.clone()).await {
            Ok(answer) => {
                expect_error(&answer, 413, "RequestTooLarge");
                answered += 1;
            }
            Err(e) => assert!(
                e.contains("BrokenPipe")
                    || e.contains("ConnectionReset")
                    || e.contains("BodyWrite"),
                "{e}"
            ),
        }
    }
    assert!(answered > 0, "no 413 received in 5 tries");

    // Unknown route and method, in MAA's shape.
    let answer = service.get_json(&format!("{}/nope", service.url)).await;
    expect_error(&answer, 404, "NotFound");
    let answer = service.get_json(&url).await;
    expect_error(&answer, 405, "MethodNotAllowed");
    // The emulated PCCS is off without --allow-emulated.
    let answer = service
        .get_json(&format!("{}/sgx/certification/v4/qe/identity", service.url))
        .await;
    expect_error(&answer, 404, "NotFound");

    // Still serving after all that.
    let (status, _) = service.attest(&quote_body(&quote)).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn certs_and_openid_metadata() {
    let service = Service::real(&[]);
    let (status, meta) = service
        .get_json(&format!(
            "{}/.well-known/openid-configuration?api-version=2022-08-01",
            service.url
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(meta["issuer"], service.issuer.as_str());
    assert_eq!(meta["response_types_supported"], json!(["token", "none"]));
    assert_eq!(
        meta["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert!(meta["revocation_endpoint"].as_str().is_some());
    assert!(
        meta["claims_supported"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "x-ms-sgx-mrsigner")
    );
    let (status, jwks) = service.get_json(meta["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["kid"], service.kid.as_str());
    assert_eq!(key["e"], "AQAB");
    // x5c: one base64 DER certificate holding the same RSA modulus as n.
    let der = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        key["x5c"][0].as_str().unwrap(),
    )
    .unwrap();
    let n = base64::Engine::decode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        key["n"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(n.len(), 256);
    assert!(der.windows(n.len()).any(|w| w == n.as_slice()));
}
