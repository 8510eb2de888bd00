//! The committed KMIP tables of ekms-kmip are exactly what the generator makes of the data in
//! `crates/ekms-kmip/spec/`: a hand edit of either side alone fails here.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[test]
fn committed_tables_match_the_generator() {
    let root = xtask::workspace_root();
    if let Err(e) = xtask::tables::check(&root) {
        panic!("{e}");
    }
}

#[test]
fn generation_is_deterministic() {
    let root = xtask::workspace_root();
    let a = xtask::tables::generate(&root);
    let b = xtask::tables::generate(&root);
    assert_eq!(a, b);
}

#[test]
fn data_errors_name_the_file_and_line() {
    let dir = std::env::temp_dir().join(format!("xtask-tables-{}", std::process::id()));
    let spec = xtask::workspace_root().join(xtask::tables::SPEC_DIR);
    std::fs::create_dir_all(&dir).expect("temp dir");
    for f in ["tags.tsv", "enums.tsv", "enum-values.tsv"] {
        std::fs::copy(spec.join(f), dir.join(f)).expect("copy data");
    }
    let tags = std::fs::read_to_string(dir.join("tags.tsv")).expect("read");
    // A second row with the value of the first: a repeated value must be refused.
    let broken = tags.replacen("0x420002\t", "0x420001\t", 1);
    std::fs::write(dir.join("tags.tsv"), broken).expect("write");
    let err = xtask::tables::load(&dir).expect_err("a repeated tag value is refused");
    assert!(err.contains("0x420001"), "{err}");
    std::fs::write(dir.join("tags.tsv"), tags.replacen("\t1.0\t", "\t1.5\t", 1)).expect("write");
    let err = xtask::tables::load(&dir).expect_err("an unknown version is refused");
    assert!(err.starts_with("tags.tsv:2:"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
