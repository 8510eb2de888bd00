//! Criterion benchmarks of the TTLV codecs on typical KMIP 1.4 messages:
//! `cargo bench -p ekms-kmip --bench ttlv`.
//!
//! Encode is message struct → tree → bytes; decode is bytes → tree → message struct (what the
//! server does per request), for the binary encoding and the JSON one.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group};
use ekms_kmip::attributes::{Attributes, CryptographicParameters, Name};
use ekms_kmip::enums::{
    BlockCipherMode, CryptographicAlgorithm, KeyFormatType, ObjectType, Operation, usage_mask,
};
use ekms_kmip::message::{
    Credential, Password, ProtocolVersion, RequestBatchItem, RequestHeader, RequestMessage,
    ResponseBatchItem, ResponseHeader, ResponseMessage,
};
use ekms_kmip::{FromTtlv, Tag, ToTtlv, Ttlv, binary, json};
use std::hint::black_box;

const KEY_UID: &str = "7f3c2a1e-0b9d-4c8e-a5f6-1d2e3f405162";

fn header() -> RequestHeader {
    let mut h = RequestHeader::new(ProtocolVersion::V1_4);
    h.credentials.push(Credential::UsernameAndPassword {
        username: "alice".into(),
        password: Some(Password::new("s3cr3t-group-token-0123456789abcdef".into())),
    });
    h
}

/// Encrypt of 1 KiB under an AES-256 key, GCM with a client IV and associated data.
fn encrypt_request() -> RequestMessage {
    let params = CryptographicParameters {
        block_cipher_mode: Some(BlockCipherMode::Gcm),
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        tag_length: Some(16),
        ..CryptographicParameters::default()
    };
    let item = RequestBatchItem::new(
        Operation::Encrypt,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, KEY_UID),
            params.to_ttlv(),
            Ttlv::bytes(Tag::DATA, vec![0x5a; 1024]),
            Ttlv::bytes(Tag::IV_COUNTER_NONCE, vec![1; 12]),
            Ttlv::bytes(
                Tag::AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA,
                b"tenant=42".to_vec(),
            ),
        ],
    );
    RequestMessage::new(header(), vec![item])
}

/// Create of an AES-256 key with a Template-Attribute (1.x form).
fn create_request() -> RequestMessage {
    let attrs = Attributes {
        names: vec![Name::text("orders-db/data-key")],
        cryptographic_algorithm: Some(CryptographicAlgorithm::Aes),
        cryptographic_length: Some(256),
        cryptographic_usage_mask: Some(usage_mask::ENCRYPT | usage_mask::DECRYPT),
        cryptographic_parameters: Some(CryptographicParameters {
            block_cipher_mode: Some(BlockCipherMode::Gcm),
            ..CryptographicParameters::default()
        }),
        object_groups: vec!["orders".into()],
        description: Some("data key of the orders database".into()),
        ..Attributes::default()
    };
    let item = RequestBatchItem::new(
        Operation::Create,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            attrs.to_template_attribute(Tag::TEMPLATE_ATTRIBUTE),
        ],
    );
    RequestMessage::new(header(), vec![item])
}

/// The response to a Get of an AES-256 key: a Symmetric Key with a Raw key block.
fn get_response() -> ResponseMessage {
    let request = RequestBatchItem::new(
        Operation::Get,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, KEY_UID)],
    );
    let key_block = Ttlv::structure(
        Tag::KEY_BLOCK,
        vec![
            Ttlv::enumeration(Tag::KEY_FORMAT_TYPE, KeyFormatType::Raw.as_u32()),
            Ttlv::structure(
                Tag::KEY_VALUE,
                vec![Ttlv::bytes(Tag::KEY_MATERIAL, vec![0x42; 32])],
            ),
            Ttlv::enumeration(
                Tag::CRYPTOGRAPHIC_ALGORITHM,
                CryptographicAlgorithm::Aes.as_u32(),
            ),
            Ttlv::integer(Tag::CRYPTOGRAPHIC_LENGTH, 256),
        ],
    );
    let item = ResponseBatchItem::success(
        &request,
        vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, ObjectType::SymmetricKey.as_u32()),
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, KEY_UID),
            Ttlv::structure(Tag::SYMMETRIC_KEY, vec![key_block]),
        ],
    );
    ResponseMessage::new(
        ResponseHeader::new(ProtocolVersion::V1_4, 1_700_000_000),
        vec![item],
    )
}

/// Encode and decode benchmarks of one message, binary and JSON.
fn bench_message<M>(
    c: &mut Criterion,
    name: &str,
    msg: &M,
    to_ttlv: fn(&M) -> Ttlv,
    from_ttlv: fn(Ttlv) -> Result<M, ekms_kmip::Error>,
) {
    let bin = binary::to_vec(&to_ttlv(msg));
    let js = json::to_vec(&to_ttlv(msg));
    // Both encodings read back before anything is measured.
    from_ttlv(binary::decode(&bin).expect("binary decode")).expect("binary message");
    from_ttlv(json::from_slice(&js).expect("json decode")).expect("json message");

    let mut group = c.benchmark_group(format!("ttlv/{name}"));
    group.throughput(Throughput::Bytes(bin.len() as u64));
    group.bench_function("binary/encode", |b| {
        let mut out = Vec::with_capacity(bin.len());
        b.iter(|| {
            out.clear();
            binary::encode(&to_ttlv(black_box(msg)), &mut out);
            black_box(&out);
        })
    });
    group.bench_function("binary/decode", |b| {
        b.iter(|| {
            let tree = binary::decode(black_box(&bin)).expect("decode");
            black_box(from_ttlv(tree).expect("message"))
        })
    });
    group.throughput(Throughput::Bytes(js.len() as u64));
    group.bench_function("json/encode", |b| {
        b.iter(|| black_box(json::to_vec(&to_ttlv(black_box(msg)))))
    });
    group.bench_function("json/decode", |b| {
        b.iter(|| {
            let tree = json::from_slice(black_box(&js)).expect("decode");
            black_box(from_ttlv(tree).expect("message"))
        })
    });
    group.finish();
}

fn ttlv(c: &mut Criterion) {
    bench_message(
        c,
        "encrypt-request-1KiB",
        &encrypt_request(),
        |m| m.to_ttlv(),
        RequestMessage::from_ttlv,
    );
    bench_message(
        c,
        "create-request",
        &create_request(),
        |m| m.to_ttlv(),
        RequestMessage::from_ttlv,
    );
    bench_message(
        c,
        "get-response",
        &get_response(),
        |m| m.to_ttlv(),
        ResponseMessage::from_ttlv,
    );
}

/// The Encrypt request of `POST /kmip/2_1` (a bare operation, 1 KiB and 64 KiB of data) and
/// its answer, as the server reads and writes them: body → operation and payload → typed
/// request; answer payload → JSON text with the `<Operation>Response` tag, enumerations by name.
fn kmip_2_1(c: &mut Criterion) {
    for (name, size) in [("1KiB", 1024), ("64KiB", 64 * 1024)] {
        kmip_2_1_encrypt(c, name, size);
    }
}

/// The body of an Encrypt of `size` bytes on `POST /kmip/2_1`, and the payload of its answer.
fn kmip_2_1_case(size: usize) -> (Vec<u8>, Ttlv) {
    let message = encrypt_request().to_ttlv();
    let mut payload = message
        .child(Tag::BATCH_ITEM)
        .and_then(|b| b.child(Tag::REQUEST_PAYLOAD))
        .expect("payload")
        .clone();
    for item in payload.items_mut().expect("a structure") {
        if item.tag == Tag::DATA {
            *item = Ttlv::bytes(Tag::DATA, vec![0x5a; size]);
        }
    }
    let mut body = json::to_value(&payload);
    body["tag"] = "Encrypt".into();
    let body = serde_json::to_vec(&body).expect("body");
    let answer = Ttlv::structure(
        Tag::RESPONSE_PAYLOAD,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, KEY_UID),
            Ttlv::bytes(Tag::DATA, vec![0xa5; size]),
            Ttlv::bytes(Tag::AUTHENTICATED_ENCRYPTION_TAG, vec![7; 16]),
        ],
    );
    assert_eq!(decode_encrypt(&body).data.len(), size);
    (body, answer)
}

/// The typed Encrypt request of a `POST /kmip/2_1` body, as the server reads it.
fn decode_encrypt(b: &[u8]) -> ekms_kmip::operations::encrypt::Request {
    let (op, payload) = json::from_slice_operation(b).expect("decode");
    assert_eq!(op, Operation::Encrypt);
    ekms_kmip::operations::encrypt::Request::from_ttlv(payload).expect("request")
}

fn kmip_2_1_encrypt(c: &mut Criterion, name: &str, size: usize) {
    let (body, answer) = kmip_2_1_case(size);
    let mut group = c.benchmark_group(format!("ttlv/kmip-2_1-encrypt-{name}"));
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("json/decode-request", |b| {
        b.iter(|| black_box(decode_encrypt(black_box(&body))))
    });
    group.bench_function("json/encode-answer", |b| {
        b.iter(|| black_box(answer_json(black_box(&answer), "EncryptResponse")))
    });
    group.finish();
}

/// `--cpu`: the CPU time (not wall time) per operation of the `POST /kmip/2_1` Encrypt cases,
/// for a machine that other work keeps busy, where criterion's wall-clock figures swing by
/// 2x. Each case runs in rounds of about 200 ms; the least CPU time per operation of a round
/// is printed, read from the kernel's count of this thread's time on a CPU (updated at each
/// scheduler tick: a round is long enough for a tick to be a small error).
fn cpu_per_op() {
    for (name, size) in [("1KiB", 1024), ("64KiB", 64 * 1024)] {
        let (body, answer) = kmip_2_1_case(size);
        let decode = least_cpu_ns(|| {
            black_box(decode_encrypt(black_box(&body)));
        });
        let encode = least_cpu_ns(|| {
            black_box(answer_json(black_box(&answer), "EncryptResponse"));
        });
        println!(
            "kmip-2_1-encrypt-{name}: decode-request {decode:.0} ns, encode-answer {encode:.0} ns, \
             both {:.0} ns (CPU per operation, least of 9 rounds)",
            decode + encode
        );
    }
    // What the decoder does for the "tag" of every item: every JSON name, looked up.
    let names: Vec<&str> = Tag::all().map(|(_, n)| n).collect();
    let lookup = least_cpu_ns(|| {
        for n in &names {
            black_box(Tag::from_name(black_box(n)));
        }
    });
    println!(
        "Tag::from_name: {:.1} ns per name ({} names, CPU, least of 9 rounds)",
        lookup / names.len() as f64,
        names.len()
    );
}

/// The least CPU time per call of `f` over 9 rounds of about 200 ms, in nanoseconds.
fn least_cpu_ns(mut f: impl FnMut()) -> f64 {
    let start = std::time::Instant::now();
    let mut n = 0u32;
    while start.elapsed() < std::time::Duration::from_millis(200) {
        f();
        n += 1;
    }
    (0..9)
        .map(|_| {
            let start = thread_cpu_ns();
            for _ in 0..n {
                f();
            }
            (thread_cpu_ns() - start) as f64 / f64::from(n)
        })
        .fold(f64::INFINITY, f64::min)
}

/// This thread's time on a CPU so far (Linux: the first field of its schedstat), in ns.
fn thread_cpu_ns() -> u64 {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").expect("schedstat");
    s.split_whitespace()
        .next()
        .and_then(|t| t.parse().ok())
        .expect("a CPU time")
}

/// The answer's JSON text as the server writes it.
fn answer_json(answer: &Ttlv, tag: &str) -> Vec<u8> {
    json::to_vec_answer(answer, tag, json::EnumForm::Name)
}

criterion_group!(benches, ttlv, kmip_2_1);

fn main() {
    if std::env::args().any(|a| a == "--cpu") {
        cpu_per_op();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
