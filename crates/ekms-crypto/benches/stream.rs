//! Criterion benchmarks of the stream format (envelope, AES-256-GCM chunks), in memory:
//! `cargo bench -p ekms-crypto --bench stream`.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ekms_crypto::stream::{DEFAULT_CHUNK_SIZE, StreamHeader, decrypt_all, encrypt_all};
use std::hint::black_box;
use zeroize::Zeroizing;

fn stream(c: &mut Criterion) {
    let data_key = [0x11u8; 32];
    // The wrapped key is opaque to the format: a stand-in of a realistic size (IV + key + tag).
    let header = StreamHeader::new(DEFAULT_CHUNK_SIZE, "bench-key-uid", vec![0x22u8; 60])
        .expect("stream header");
    let mut group = c.benchmark_group("stream");
    group.sample_size(10);
    for (name, len) in [("1MiB", 1usize << 20), ("16MiB", 16usize << 20)] {
        group.throughput(Throughput::Bytes(len as u64));
        let plain = vec![0x5au8; len];
        let mut sealed = Vec::with_capacity(len + len / 1024);
        encrypt_all(&header, &data_key, &mut plain.as_slice(), &mut sealed).expect("encrypt");

        group.bench_function(format!("encrypt_all/{name}"), |b| {
            let mut out = Vec::with_capacity(sealed.len());
            b.iter(|| {
                out.clear();
                let n = encrypt_all(&header, &data_key, &mut plain.as_slice(), &mut out)
                    .expect("encrypt");
                black_box((n, &out));
            })
        });
        group.bench_function(format!("decrypt_all/{name}"), |b| {
            let mut out = Vec::with_capacity(len);
            b.iter(|| {
                out.clear();
                let n = decrypt_all(&mut sealed.as_slice(), &mut out, |_, _| {
                    Ok(Zeroizing::new(data_key.to_vec()))
                })
                .expect("decrypt");
                black_box((n, &out));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stream);
criterion_main!(benches);
