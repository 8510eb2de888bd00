//! Peak memory of the decoders: for the worst shapes we can think of (wide and deep structures,
//! arrays of tiny numbers, many tiny strings, escapes, members out of order), decoding a
//! message never allocates more than 4 times the message's size on top of the message itself,
//! whether the decoder accepts the message or refuses it.
//!
//! The measure is a counting global allocator: it forwards to the system allocator and keeps
//! the bytes currently allocated and their high-water mark. Each block is counted at what
//! glibc's allocator really uses for it (16-byte chunks with an 8-byte header, 32 bytes at
//! least), so that many tiny allocations are not undercounted. A `realloc` is counted as a new
//! block allocated before the old one is freed, the worst case of a moving reallocation. The
//! test binary holds only these tests and they take a lock, so nothing else allocates while a
//! decoder is measured.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]
// The one `unsafe` of the workspace: the counting global allocator below must implement
// `GlobalAlloc`, an unsafe trait; it only forwards to the system allocator. Library and
// binary code forbids `unsafe` (`#![forbid(unsafe_code)]` at every crate root).
#![allow(unsafe_code)]

use ekms_kmip::{binary, json, xml};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// What glibc's allocator uses for a block of `n` bytes.
fn chunk(n: usize) -> usize {
    (n.saturating_add(8 + 15) & !15).max(32)
}

fn grow(n: usize) {
    let n = chunk(n);
    let now = CURRENT.fetch_add(n, Ordering::SeqCst) + n;
    PEAK.fetch_max(now, Ordering::SeqCst);
}

fn shrink(n: usize) {
    let n = chunk(n);
    CURRENT.fetch_sub(n, Ordering::SeqCst);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grow(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Counted as a move: both blocks exist at once.
        grow(new_size);
        // SAFETY: same contract as the caller's.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if p.is_null() {
            shrink(new_size);
        } else {
            shrink(layout.size());
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

static LOCK: Mutex<()> = Mutex::new(());

/// Bytes allocated at the high-water mark of `f`, above what was allocated before it.
fn peak_of<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let base = CURRENT.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let r = f();
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(base);
    (peak, r)
}

/// The size of the messages measured: large enough that fixed costs do not matter.
const SIZE: usize = 2 << 20;

fn check(name: &str, input: &[u8], decode: impl FnOnce(&[u8]) -> Result<(), String>) -> String {
    let (peak, outcome) = peak_of(|| decode(input));
    let ratio = peak as f64 / input.len() as f64;
    let verdict = match &outcome {
        Ok(()) => "accepted".to_string(),
        Err(e) => format!("refused: {}", e.chars().take(80).collect::<String>()),
    };
    let line = format!(
        "{name}: {} bytes, peak {peak} bytes ({ratio:.2}x), {verdict}",
        input.len()
    );
    eprintln!("{line}");
    if peak > 4 * input.len() {
        format!("{line}\n")
    } else {
        String::new()
    }
}

fn bin(input: &[u8]) -> Result<(), String> {
    binary::decode(input).map(drop).map_err(|e| e.to_string())
}

fn js(input: &[u8]) -> Result<(), String> {
    json::from_slice(input).map(drop).map_err(|e| e.to_string())
}

fn op(input: &[u8]) -> Result<(), String> {
    json::from_slice_operation(input)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A binary item header.
fn header(tag: u32, ty: u8, len: usize) -> Vec<u8> {
    let [_, a, b, c] = tag.to_be_bytes();
    let mut h = vec![a, b, c, ty];
    h.extend_from_slice(&(len as u32).to_be_bytes());
    h
}

/// A binary Structure holding `body`.
fn structure(body: &[u8]) -> Vec<u8> {
    let mut v = header(0x420001, 0x01, body.len());
    v.extend_from_slice(body);
    v
}

/// A top-level Structure whose body is `unit` repeated to fill [`SIZE`].
fn wide(unit: &[u8]) -> Vec<u8> {
    let n = (SIZE - 8) / unit.len();
    structure(&unit.repeat(n))
}

fn integer() -> Vec<u8> {
    let mut v = header(0x42000A, 0x02, 4);
    v.extend_from_slice(&[0, 0, 0, 7, 0, 0, 0, 0]);
    v
}

/// Structures nested `depth` deep, the innermost empty.
fn chain(depth: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for _ in 0..depth {
        v = structure(&v);
    }
    v
}

#[test]
fn binary_decoder_stays_within_four_times_the_message() {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut failures = String::new();
    let empty = structure(&[]);
    failures += &check("binary empty structures", &wide(&empty), bin);
    failures += &check("binary integers", &wide(&integer()), bin);
    failures += &check(
        "binary structures of one integer",
        &wide(&structure(&integer())),
        bin,
    );
    failures += &check("binary chains of 63", &wide(&chain(63)), bin);
    failures += &check("binary chains of 2", &wide(&chain(2)), bin);
    failures += &check("binary empty text", &wide(&header(0x420055, 0x07, 0)), bin);
    failures += &check("binary empty bytes", &wide(&header(0x420055, 0x08, 0)), bin);
    let mut one = header(0x420055, 0x07, 1);
    one.extend_from_slice(b"a\0\0\0\0\0\0\0");
    failures += &check("binary one-byte text", &wide(&one), bin);
    let mut big = header(0x420042, 0x08, SIZE - 16);
    big.resize(SIZE - 8, 0x5A);
    failures += &check("binary one byte string", &structure(&big), bin);
    // Refused at the end: everything before is decoded first.
    let mut late = wide(&empty);
    late.extend_from_slice(&[0; 8]);
    failures += &check("binary empty structures, trailing bytes", &late, bin);
    assert!(failures.is_empty(), "over 4x:\n{failures}");
}

/// `n` copies of `unit` separated by commas.
fn list(unit: &str, n: usize) -> String {
    let mut s = String::with_capacity((unit.len() + 1) * n);
    for i in 0..n {
        if i > 0 {
            s.push(',');
        }
        s.push_str(unit);
    }
    s
}

/// A TTLV structure item whose value array is `unit` repeated to fill [`SIZE`].
fn json_wide(unit: &str) -> Vec<u8> {
    json_wide_named("D", unit)
}

/// [`json_wide`] with another top-level tag.
fn json_wide_named(top: &str, unit: &str) -> Vec<u8> {
    let n = (SIZE - 30) / (unit.len() + 1);
    format!("{{\"tag\":\"{top}\",\"value\":[{}]}}", list(unit, n)).into_bytes()
}

fn json_chain(depth: usize) -> String {
    let mut s = String::from("[]");
    for _ in 0..depth {
        s = format!("[{{\"tag\":\"D\",\"value\":{s}}}]");
    }
    format!("{{\"tag\":\"D\",\"value\":{s}}}")
}

/// [`json_chain`] with each `"value"` before its `"tag"`.
fn json_chain_value_first(depth: usize) -> String {
    let mut s = String::from("[]");
    for _ in 0..depth {
        s = format!("[{{\"value\":{s},\"tag\":\"D\"}}]");
    }
    format!("{{\"value\":{s},\"tag\":\"D\"}}")
}

#[test]
fn json_decoder_stays_within_four_times_the_message() {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut failures = String::new();
    let zeros = format!("[{}]", list("0", SIZE / 2 - 1)).into_bytes();
    failures += &check("json [0,0,0,…]", &zeros, js);
    failures += &check("op json [0,0,0,…]", &zeros, op);
    let strings = format!("[{}]", list("\"\"", SIZE / 3 - 1)).into_bytes();
    failures += &check("json [\"\",\"\",…]", &strings, js);
    let objects = format!("[{}]", list("{}", SIZE / 3 - 1)).into_bytes();
    failures += &check("json [{},{},…]", &objects, js);
    let nested = format!("{}{}", "[".repeat(SIZE / 2), "]".repeat(SIZE / 2)).into_bytes();
    failures += &check("json [[[[…]]]]", &nested, js);
    let keys = format!(
        "{{{}}}",
        (0..SIZE / 12)
            .map(|i| format!("\"{i:07}\":0"))
            .collect::<Vec<_>>()
            .join(",")
    )
    .into_bytes();
    failures += &check("json object of many members", &keys, js);
    let numbers = format!("{{\"tag\":\"D\",\"value\":[{}]}}", list("0", SIZE / 2 - 20));
    failures += &check("json structure of numbers", numbers.as_bytes(), js);
    failures += &check(
        "json empty structures",
        &json_wide("{\"tag\":\"D\",\"value\":[]}"),
        js,
    );
    failures += &check(
        "op json empty structures",
        &json_wide_named("Create", "{\"tag\":\"D\",\"value\":[]}"),
        op,
    );
    failures += &check(
        "op json chains of 60, value first",
        &json_wide_named("Create", &json_chain_value_first(60)),
        op,
    );
    failures += &check(
        "json empty structures, value first",
        &json_wide("{\"value\":[],\"tag\":\"D\"}"),
        js,
    );
    failures += &check(
        "json empty text",
        &json_wide("{\"tag\":\"D\",\"type\":\"TextString\",\"value\":\"\"}"),
        js,
    );
    failures += &check(
        "json one-character text, value first",
        &json_wide("{\"value\":\"a\",\"type\":\"TextString\",\"tag\":\"D\"}"),
        js,
    );
    failures += &check(
        "json integers",
        &json_wide("{\"tag\":\"D\",\"type\":\"Integer\",\"value\":0}"),
        js,
    );
    let chains = json_wide(&json_chain(60));
    failures += &check("json chains of 60", &chains, js);
    let escaped = format!(
        "{{\"tag\":\"D\",\"type\":\"TextString\",\"value\":\"{}\"}}",
        "\\n".repeat(SIZE / 2 - 30)
    );
    failures += &check("json escaped text", escaped.as_bytes(), js);
    let hex = format!(
        "{{\"tag\":\"D\",\"type\":\"ByteString\",\"value\":\"{}\"}}",
        "AB".repeat(SIZE / 2 - 30)
    );
    failures += &check("json one byte string", hex.as_bytes(), js);
    let mut late = json_wide("{\"tag\":\"D\",\"value\":[]}");
    late.push(b'x');
    failures += &check("json empty structures, trailing garbage", &late, js);
    assert!(failures.is_empty(), "over 4x:\n{failures}");
}

fn xm(input: &[u8]) -> Result<(), String> {
    xml::from_slice(input).map(drop).map_err(|e| e.to_string())
}

fn xml_all(input: &[u8]) -> Result<(), String> {
    xml::from_slice_all(input)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// An XML Structure `<D>` (or a `<KMIP>` container) holding `unit` repeated to fill [`SIZE`].
fn xml_wide(top: &str, unit: &str) -> Vec<u8> {
    let n = (SIZE - 2 * top.len() - 5) / unit.len();
    format!("<{top}>{}</{top}>", unit.repeat(n)).into_bytes()
}

#[test]
fn xml_decoder_stays_within_four_times_the_message() {
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut failures = String::new();
    failures += &check("xml empty structures", &xml_wide("D", "<D/>"), xm);
    failures += &check(
        "xml empty structures, spaced",
        &xml_wide("D", "<D />\n"),
        xm,
    );
    failures += &check(
        "xml document of empty structures",
        &xml_wide("KMIP", "<D/>"),
        xml_all,
    );
    failures += &check(
        "xml empty text",
        &xml_wide("D", "<D type=\"TextString\" value=\"\"/>"),
        xm,
    );
    failures += &check(
        "xml one-character text",
        &xml_wide("D", "<D value=\"a\" type=\"TextString\"/>"),
        xm,
    );
    failures += &check(
        "xml integers",
        &xml_wide("D", "<D type=\"Integer\" value=\"0\"/>"),
        xm,
    );
    failures += &check(
        "xml one-byte strings",
        &xml_wide("D", "<D type=\"ByteString\" value=\"00\"/>"),
        xm,
    );
    let chain = format!("{}{}", "<D>".repeat(60), "</D>".repeat(60));
    failures += &check("xml chains of 60", &xml_wide("D", &chain), xm);
    let nested = format!("{}{}", "<D>".repeat(SIZE / 7), "</D>".repeat(SIZE / 7)).into_bytes();
    failures += &check("xml <D><D><D>…", &nested, xm);
    let escaped = format!(
        "<D type=\"TextString\" value=\"{}\"/>",
        "&amp;".repeat(SIZE / 5 - 10)
    );
    failures += &check("xml escaped text", escaped.as_bytes(), xm);
    let hex = format!(
        "<D type=\"ByteString\" value=\"{}\"/>",
        "AB".repeat(SIZE / 2 - 30)
    );
    failures += &check("xml one byte string", hex.as_bytes(), xm);
    let comments = xml_wide("D", "<!---->");
    failures += &check("xml comments", &comments, xm);
    let mut late = xml_wide("D", "<D/>");
    late.extend_from_slice(b"<x");
    failures += &check("xml empty structures, trailing garbage", &late, xm);
    assert!(failures.is_empty(), "over 4x:\n{failures}");
}
