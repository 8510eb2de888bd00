//! The stream routes on the real binary: round trips at the chunk edges, the documented
//! format (a stream decrypts locally with the key), the size limit (413 from Content-Length,
//! an aborted answer for a chunked body), tampering, key checks, and two groups streaming at
//! once over HTTP/1.1 and HTTP/2.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_crypto::stream::{DEFAULT_CHUNK_SIZE, decrypt_all, unwrap_data_key};
use support::*;

const C: usize = DEFAULT_CHUNK_SIZE as usize;

fn payload(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

async fn post(
    s: &Server,
    client: &reqwest::Client,
    path: &str,
    secret: &str,
    body: reqwest::Body,
) -> Result<(u16, Vec<u8>), reqwest::Error> {
    let r = client
        .post(format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret)
        .body(body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let bytes = r.bytes().await?;
    Ok((status, bytes.to_vec()))
}

fn chunked(data: Vec<u8>, piece: usize) -> reqwest::Body {
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> =
        data.chunks(piece.max(1)).map(|c| Ok(c.to_vec())).collect();
    reqwest::Body::wrap_stream(futures_util::stream::iter(pieces))
}

#[tokio::test]
async fn round_trips_at_the_edges_and_match_the_documented_format() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let kms_key = key_bytes(&s, &secret, &uid).await;
    for n in [0, 1, C - 1, C, C + 1, 3 * C + 123] {
        let plain = payload(n, 1);
        let (status, enc) = post(
            &s,
            &s.http,
            &format!("/v1/encrypt/{uid}"),
            &secret,
            plain.clone().into(),
        )
        .await
        .unwrap();
        assert_eq!(status, 200, "n = {n}");
        // The documented format: it decrypts locally with the KMS key.
        let mut local = Vec::new();
        decrypt_all(&mut &enc[..], &mut local, |h, _| {
            assert_eq!(h.key_uid, uid);
            Ok(unwrap_data_key(
                ekms_crypto::aead::AeadAlgorithm::Aes256Gcm,
                &kms_key,
                &uid,
                &h.wrapped_key,
            )?)
        })
        .unwrap();
        assert_eq!(local, plain, "n = {n}");
        // And through the server, sent in odd pieces (chunked transfer).
        let (status, dec) = post(
            &s,
            &s.http,
            &format!("/v1/decrypt/{uid}"),
            &secret,
            chunked(enc, 7777),
        )
        .await
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(dec, plain, "n = {n}");
    }
}

#[tokio::test]
async fn the_limit_is_inclusive_and_enforced_both_ways() {
    let tmp = tempfile::tempdir().unwrap();
    let limit = 3 * C + 10;
    let s = Server::start_in(tmp.path(), &["--max-payload-bytes", &limit.to_string()]);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let path = format!("/v1/encrypt/{uid}");

    // Exactly the limit passes, and decrypts (the decrypt route allows the format's overhead).
    let plain = payload(limit, 2);
    let (status, enc) = post(&s, &s.http, &path, &secret, plain.clone().into())
        .await
        .unwrap();
    assert_eq!(status, 200);
    let (status, dec) = post(
        &s,
        &s.http,
        &format!("/v1/decrypt/{uid}"),
        &secret,
        enc.into(),
    )
    .await
    .unwrap();
    assert_eq!((status, dec.len()), (200, limit));

    // One byte more with a Content-Length: 413 before anything is read.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nKmsDatabaseSecret: {secret}\r\nContent-Length: {}\r\n\r\n",
        limit + 1
    );
    let answer = raw_http1(&s.url, &head, &[]).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // One byte more, chunked: the answer is cut, never a complete 200 body.
    let over = payload(limit + 1, 3);
    let res = post(&s, &s.http, &path, &secret, chunked(over.clone(), 4096)).await;
    assert!(
        res.is_err(),
        "an over-limit chunked stream must not end as a whole answer"
    );
    // Over HTTP/1.1, the connection closes without the final chunk, and no more than the
    // limit was answered.
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nKmsDatabaseSecret: {secret}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let pieces: Vec<Vec<u8>> = over
        .chunks(8192)
        .map(|c| {
            [
                format!("{:x}\r\n", c.len()).into_bytes(),
                c.to_vec(),
                b"\r\n".to_vec(),
            ]
            .concat()
        })
        .chain(std::iter::once(b"0\r\n\r\n".to_vec()))
        .collect();
    let answer = raw_http1_bytes(&s.url, &head, &pieces).await;
    assert!(answer.starts_with(b"HTTP/1.1 200"));
    assert!(
        !answer.ends_with(b"0\r\n\r\n"),
        "the final chunk must be missing"
    );
    assert!(
        answer.len() < limit + limit / 8,
        "no output past the limit: {} bytes answered",
        answer.len()
    );
}

#[tokio::test]
async fn tampered_streams_and_wrong_keys_fail() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let other = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
    let plain = payload(2 * C + 5, 4);
    let (_, enc) = post(
        &s,
        &s.http,
        &format!("/v1/encrypt/{uid}"),
        &secret,
        plain.into(),
    )
    .await
    .unwrap();
    // A flipped bit in the last chunk: the body is cut (aborted), never a complete answer.
    let mut bad = enc.clone();
    let last = bad.len() - 3;
    bad[last] ^= 1;
    assert!(
        post(
            &s,
            &s.http,
            &format!("/v1/decrypt/{uid}"),
            &secret,
            bad.into()
        )
        .await
        .is_err()
    );
    // Truncated at a chunk boundary.
    let cut = enc.len() - (5 + 16);
    assert!(
        post(
            &s,
            &s.http,
            &format!("/v1/decrypt/{uid}"),
            &secret,
            enc[..cut].to_vec().into()
        )
        .await
        .is_err()
    );
    // Another key's route: refused from the header, before any output.
    let (status, _) = post(
        &s,
        &s.http,
        &format!("/v1/decrypt/{other}"),
        &secret,
        enc.clone().into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    // Not a stream at all.
    let (status, _) = post(
        &s,
        &s.http,
        &format!("/v1/decrypt/{uid}"),
        &secret,
        b"hello".to_vec().into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 400);
    // A wrapped key altered in the header: the data key does not unwrap.
    let mut hdr = enc.clone();
    let uid_len = uid.len();
    hdr[8 + 1 + 4 + 2 + uid_len + 2 + 13] ^= 1;
    let (status, _) = post(
        &s,
        &s.http,
        &format!("/v1/decrypt/{uid}"),
        &secret,
        hdr.into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 422);
}

#[tokio::test]
async fn key_state_secret_and_uid_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let secret = s.register().await;
    let pre = uid_of(&s.ok(&secret, create_key("AES", 256, None, false)).await);
    let (status, _) = post(
        &s,
        &s.http,
        &format!("/v1/encrypt/{pre}"),
        &secret,
        b"x".to_vec().into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 422, "a PreActive key does not encrypt");
    let (status, _) = post(
        &s,
        &s.http,
        "/v1/encrypt/nope",
        &secret,
        b"x".to_vec().into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 404);
    let (status, _) = post(
        &s,
        &s.http,
        &format!("/v1/encrypt/{pre}"),
        "garbage",
        b"x".to_vec().into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 401);
}

#[tokio::test]
async fn two_groups_stream_concurrently_without_mixing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = Server::start_in(tmp.path(), &[]);
    let h1 = reqwest::Client::builder()
        .use_preconfigured_tls(tls_config(&s))
        .http1_only()
        .build()
        .unwrap();
    let mut jobs = Vec::new();
    for g in 0..2u8 {
        let secret = s.register().await;
        let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
        for (i, client) in [s.http.clone(), h1.clone()].into_iter().enumerate() {
            let plain = payload(5 * C + 77 * (i + 1), g * 10 + i as u8);
            let (url, secret, uid) = (s.url.clone(), secret.clone(), uid.clone());
            jobs.push(tokio::spawn(async move {
                let enc = client
                    .post(format!("{url}/v1/encrypt/{uid}"))
                    .header("KmsDatabaseSecret", &secret)
                    .body(chunked(plain.clone(), 10_000))
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                let dec = client
                    .post(format!("{url}/v1/decrypt/{uid}"))
                    .header("KmsDatabaseSecret", &secret)
                    .body(chunked(enc.to_vec(), 9_000))
                    .send()
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap();
                assert_eq!(dec.to_vec(), plain);
                (secret, uid, enc.to_vec())
            }));
        }
    }
    let mut results = Vec::new();
    for j in jobs {
        results.push(j.await.unwrap());
    }
    // A stream of group 1 cannot be decrypted with group 2's secret, even naming its key.
    let (secret_a, uid_a, enc_a) = &results[0];
    let (secret_b, _, _) = &results[2];
    assert_ne!(secret_a, secret_b);
    let (status, _) = post(
        &s,
        &s.http,
        &format!("/v1/decrypt/{uid_a}"),
        secret_b,
        enc_a.clone().into(),
    )
    .await
    .unwrap();
    assert_eq!(status, 404);
}
