//! The server's logs on the real binary: text logs written to a file hold no colour codes;
//! with `--log-format json` every log line is one JSON object, each HTTPS request has a line
//! with its id (the one `X-Request-Id` answers), route, operation, result and duration; and a
//! full workload under JWT authentication at debug level leaves in the logs none of the group
//! secret, the bearer token, key bytes (hex or base64) or plaintext. An audit row names the id
//! of the request that wrote it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jwt_support;
mod support;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

#[tokio::test]
async fn text_logs_written_to_a_file_hold_no_colour_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, platform) = (tmp.path().join("data"), tmp.path().join("platform"));
    let mut cmd = Server::command(
        Command::new(env!("CARGO_BIN_EXE_ekms-server")),
        &data,
        &platform,
    );
    let out = tmp.path().join("server.log");
    let file = std::fs::File::create(&out).unwrap();
    cmd.stdin(Stdio::null())
        .stdout(file.try_clone().unwrap())
        .stderr(file);
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let log = loop {
        let log = std::fs::read_to_string(&out).unwrap_or_default();
        if log.contains("certificate sha256: ") {
            break log;
        }
        assert!(Instant::now() < deadline, "no start-up lines:\n{log}");
        std::thread::sleep(Duration::from_millis(50));
    };
    // A request, for the lines a request writes.
    let url = printed(&log, "listening on ");
    let http = client_trusting(Some(&std::fs::read(data.join("certificate.pem")).unwrap()));
    assert_eq!(
        http.get(format!("{url}/health"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&out).unwrap();
    assert!(log.contains("request answered"), "{log}");
    assert!(log.contains(" INFO "), "{log}");
    assert!(!log.contains('\u{1b}'), "a colour code in:\n{log}");
}

/// Every `{`-line of `log` as JSON; panics on one that is not.
fn json_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[tokio::test]
async fn json_logs_carry_the_request_and_no_secret_token_key_or_plaintext() {
    let tmp = tempfile::tempdir().unwrap();
    let idp = jwt_support::Idp::new(tmp.path(), "logs-kid");
    let mut flags = idp.flags();
    flags.extend(["--log-format".to_string(), "json".to_string()]);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    // Debug level (the test support's EKMS_LOG): the most the server ever writes.
    let s = Server::start_in(tmp.path(), &flags);
    let token = idp.token("alice@example.test");
    let (status, reg, _) = jwt_support::register(&s.http, &s.url, Some(&token)).await;
    assert_eq!(status, 201, "{reg}");
    let secret = reg["secret"].as_str().unwrap().to_string();
    let kmip = |body: Value| {
        let (http, url, token, secret) =
            (s.http.clone(), s.url.clone(), token.clone(), secret.clone());
        async move {
            let r = jwt_support::request(
                &http,
                reqwest::Method::POST,
                format!("{url}/kmip/2_1"),
                Some(&token),
                Some(&secret),
            )
            .json(&body)
            .send()
            .await
            .unwrap();
            assert_eq!(r.status(), 200);
            let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
            let v: Value = r.json().await.unwrap();
            (id, v["value"].as_array().cloned().unwrap_or_default())
        }
    };
    let (create_id, created) = kmip(create_key("AES", 256, Some("logs-key-name"), true)).await;
    let uid = uid_of(&created);
    let plaintext = b"log-plaintext-7c1d-do-not-log";
    let (_, enc) = kmip(op(
        "Encrypt",
        vec![text("UniqueIdentifier", &uid), bytes("Data", plaintext)],
    ))
    .await;
    let (_, dec) = kmip(op(
        "Decrypt",
        vec![
            text("UniqueIdentifier", &uid),
            serde_json::json!({"tag": "Data", "type": "ByteString", "value": field(&enc, "Data")}),
            serde_json::json!({"tag": "IVCounterNonce", "type": "ByteString", "value": field(&enc, "IVCounterNonce")}),
            serde_json::json!({"tag": "AuthenticatedEncryptionTag", "type": "ByteString", "value": field(&enc, "AuthenticatedEncryptionTag")}),
        ],
    ))
    .await;
    assert_eq!(
        hex::decode(field(&dec, "Data").as_str().unwrap()).unwrap(),
        plaintext
    );
    let (_, got) = kmip(uid_op("Get", &uid)).await;
    let block = field(&got, "SymmetricKey").as_array().unwrap()[0]["value"].clone();
    let value = field(block.as_array().unwrap(), "KeyValue")
        .as_array()
        .unwrap()
        .clone();
    let key = hex::decode(field(&value, "KeyMaterial").as_str().unwrap()).unwrap();
    assert_eq!(key.len(), 32);
    let streamed_plain = b"stream-plaintext-3e9a-do-not-log".repeat(100);
    let r = jwt_support::request(
        &s.http,
        reqwest::Method::POST,
        format!("{}/v1/encrypt/{uid}", s.url),
        Some(&token),
        Some(&secret),
    )
    .body(streamed_plain.clone())
    .send()
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let stream_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let sealed = r.bytes().await.unwrap();
    assert!(sealed.len() > streamed_plain.len());
    // A refused request too: a wrong secret.
    let (status, _) = answer(jwt_support::request(
        &s.http,
        reqwest::Method::POST,
        format!("{}/kmip/2_1", s.url),
        Some(&token),
        Some("not-the-secret-4b2f"),
    ))
    .await;
    assert_ne!(status, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = s.log();

    // One object per line, and the request lines say what the issue asks.
    let lines = json_lines(&log);
    assert!(lines.len() > 10, "{log}");
    for l in &lines {
        assert!(l["timestamp"].is_string() && l["level"].is_string(), "{l}");
    }
    let request_line = |id: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == "request answered" && l["span"]["request_id"] == id)
            .unwrap_or_else(|| panic!("no request line of {id} in:\n{log}"))
            .clone()
    };
    let create = request_line(&create_id);
    assert_eq!(create["span"]["route"], "/kmip/2_1", "{create}");
    assert_eq!(create["span"]["operation"], "Create", "{create}");
    assert_eq!(create["span"]["result"], "Success", "{create}");
    assert_eq!(create["fields"]["status"], 200, "{create}");
    assert!(create["fields"]["duration_ms"].is_f64(), "{create}");
    let http = create["fields"]["http"].as_str().unwrap_or_default();
    assert!(["HTTP/1.1", "HTTP/2.0"].contains(&http), "{create}");
    let stream = request_line(&stream_id);
    assert_eq!(stream["span"]["route"], "/v1/encrypt/{uid}", "{stream}");
    assert_eq!(stream["span"]["operation"], "Encrypt", "{stream}");
    // The server makes each id: 16 hex digits, all different.
    assert_eq!(create_id.len(), 16);
    assert_ne!(create_id, stream_id);

    // Nothing secret, in any spelling.
    let mut forbidden = vec![
        ("the group secret", secret.clone()),
        ("the bearer token", token.clone()),
        (
            "the token's signature",
            token.rsplit('.').next().unwrap().to_string(),
        ),
        ("key bytes, hex", hex::encode(&key)),
        ("key bytes, HEX", hex::encode_upper(&key)),
        ("key bytes, base64", STANDARD.encode(&key)),
        ("key bytes, base64url", URL_SAFE_NO_PAD.encode(&key)),
        ("plaintext", String::from_utf8_lossy(plaintext).into_owned()),
        ("plaintext, hex", hex::encode_upper(plaintext)),
        ("plaintext, base64", STANDARD.encode(plaintext)),
        ("stream plaintext", "stream-plaintext-3e9a".to_string()),
        ("the wrong secret", "not-the-secret-4b2f".to_string()),
    ];
    forbidden.push((
        "the stream's plaintext, hex",
        hex::encode(&streamed_plain[..32]),
    ));
    for (what, value) in &forbidden {
        assert!(
            !log.to_lowercase().contains(&value.to_lowercase()) || value.is_empty(),
            "{what} is in the log"
        );
    }
}

/// The audit row of an HTTPS request names the request's id, the one its answer's
/// `X-Request-Id` carries, for a KMIP operation and for a grant alike.
#[tokio::test]
async fn the_audit_row_names_the_request_id_of_its_answer() {
    let root = tempfile::tempdir().unwrap();
    let s = Server::start_in(root.path(), &[]);
    let secret = s.register().await;
    let r = s
        .http
        .post(format!("{}/kmip/2_1", s.url))
        .header("KmsDatabaseSecret", &secret)
        .json(&create_key("AES", 256, Some("audited"), true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let create_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let uid = uid_of(
        r.json::<Value>().await.unwrap()["value"]
            .as_array()
            .unwrap(),
    );
    let r = s
        .http
        .post(format!("{}/access/grant", s.url))
        .header("KmsDatabaseSecret", &secret)
        .json(
            &serde_json::json!({"unique_identifier": uid, "user_id": "bob", "operations": ["get"]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    let grant_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(create_id, grant_id);

    let (status, rows) = s
        .call(
            reqwest::Method::GET,
            &format!("/audit?object={uid}"),
            &secret,
        )
        .await;
    assert_eq!(status, 200, "{rows}");
    let rows = rows.as_array().unwrap();
    let id_of = |op: &str| {
        rows.iter()
            .find(|r| r["operation"] == op)
            .unwrap_or_else(|| panic!("no {op} row in {rows:?}"))["request_id"]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(id_of("Create"), Some(create_id));
    assert_eq!(id_of("Grant"), Some(grant_id));
}
