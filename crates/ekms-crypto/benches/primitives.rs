//! Criterion benchmarks of the hot primitives: `cargo bench -p ekms-crypto`.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ekms_crypto::aead::AeadAlgorithm;
use ekms_crypto::ec::{EcCurve, EcPrivateKey, EcdsaSigFormat};
use ekms_crypto::ed25519::Ed25519PrivateKey;
use ekms_crypto::mac::{MacAlgorithm, MacKey};
use ekms_crypto::rsa::RsaPrivateKey;
use ekms_crypto::{HashAlgorithm, SigAlgorithm};
use std::hint::black_box;

fn aes_gcm(c: &mut Criterion) {
    let key = [7u8; 32];
    let iv = [1u8; 12];
    let mut group = c.benchmark_group("aes-256-gcm");
    for (name, len) in [("1KiB", 1024usize), ("64KiB", 64 * 1024)] {
        group.throughput(Throughput::Bytes(len as u64));
        let plain = vec![0x5au8; len];
        group.bench_function(format!("seal/{name}"), |b| {
            let mut buf = plain.clone();
            b.iter(|| {
                buf.copy_from_slice(&plain);
                black_box(
                    AeadAlgorithm::Aes256Gcm
                        .seal_in_place(&key, &iv, b"aad", &mut buf)
                        .unwrap(),
                )
            })
        });
        let mut sealed = plain.clone();
        let tag = AeadAlgorithm::Aes256Gcm
            .seal_in_place(&key, &iv, b"aad", &mut sealed)
            .unwrap();
        group.bench_function(format!("open/{name}"), |b| {
            let mut buf = sealed.clone();
            b.iter(|| {
                buf.copy_from_slice(&sealed);
                AeadAlgorithm::Aes256Gcm
                    .open_in_place(&key, &iv, b"aad", &mut buf, &tag)
                    .unwrap();
                black_box(&buf);
            })
        });
    }
    group.finish();
}

fn signatures(c: &mut Criterion) {
    let msg = [0x42u8; 64];
    let p256 = EcPrivateKey::generate(EcCurve::P256).unwrap();
    c.bench_function("ecdsa-p256-sha256/sign", |b| {
        b.iter(|| {
            black_box(
                p256.sign(HashAlgorithm::Sha256, EcdsaSigFormat::Der, &msg)
                    .unwrap(),
            )
        })
    });
    let rsa = RsaPrivateKey::generate(2048).unwrap();
    c.bench_function("rsa-2048-pkcs1v15-sha256/sign", |b| {
        b.iter(|| black_box(rsa.sign(SigAlgorithm::RsaPkcs1v15Sha256, &msg).unwrap()))
    });
    let ed = Ed25519PrivateKey::generate().unwrap();
    c.bench_function("ed25519/sign", |b| {
        b.iter(|| black_box(ed.sign(&msg).unwrap()))
    });
}

fn hmac(c: &mut Criterion) {
    let key = MacKey::new(MacAlgorithm::HmacSha256, &[9u8; 32]).unwrap();
    let data = vec![0x11u8; 1024];
    let mut group = c.benchmark_group("hmac-sha256");
    group.throughput(Throughput::Bytes(1024));
    group.bench_function("1KiB", |b| b.iter(|| black_box(key.sign(&data))));
    group.finish();
}

criterion_group!(benches, aes_gcm, signatures, hmac);
criterion_main!(benches);
