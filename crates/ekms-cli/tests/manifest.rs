//! What users verify of a manifest, through the real binaries: `ekms trust` shows what the
//! served manifest states (sgx.debug, the measured settings, the encrypted mounts), and
//! `ekms enclave manifest-check` sets the served manifest beside one the user rendered, Ok or Ko
//! per setting and per trusted file, exiting non-zero on any Ko.

// Test code: a broken expectation panics with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use support::*;

/// `ekms enclave manifest-check --served <served> --rendered <rendered text>`: exit code, the
/// Ko lines, and how many lines there were.
fn manifest_check(
    user: &User,
    served: &std::path::Path,
    rendered: &str,
) -> (i32, Vec<String>, usize) {
    let path = user.path("rendered.manifest");
    std::fs::write(&path, rendered).unwrap();
    let (code, stdout, stderr) = run(user
        .ekms()
        .args(["enclave", "manifest-check", "--served"])
        .arg(served)
        .arg("--rendered")
        .arg(&path));
    let lines: Vec<&str> = stdout.lines().collect();
    for l in &lines {
        assert!(
            l.ends_with(": Ok") || l.contains(": Ko ("),
            "{l:?}\n{stderr}"
        );
    }
    let ko = lines
        .iter()
        .filter(|l| l.contains(": Ko ("))
        .map(|l| l.to_string())
        .collect();
    (code, ko, lines.len())
}

#[test]
fn trust_shows_the_manifest_and_manifest_check_finds_each_difference() {
    let attest = start_attest(&["--allow-emulated"]);
    let dir = tempfile::tempdir().unwrap();
    let sealed = dir.path().join("sealed");
    let server = start_server_in(
        dir.path(),
        "127.0.0.1:0",
        &[
            "--registration",
            "closed",
            "--key-dir",
            sealed.to_str().unwrap(),
        ],
    );
    let user = User::new();
    let export = user.path("evidence");
    let (code, stdout, stderr) = trust_exporting(&user, &server, &attest, &export);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    // The report shows what the manifest states, after the checks.
    let shown: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("manifest sgx.debug:"))
        .collect();
    assert_eq!(
        shown.first(),
        Some(&"manifest sgx.debug: false"),
        "{stdout}"
    );
    for line in [
        "manifest setting: EKMS_REGISTRATION = \"closed\"".to_string(),
        "manifest setting: EKMS_QUOTE_SOURCE = \"emulated\"".to_string(),
        format!("manifest setting: EKMS_KEY_DIR = \"{}\"", sealed.display()),
        format!(
            "manifest encrypted mount: {} (key_name _sgx_mrenclave)",
            sealed.display()
        ),
    ] {
        assert!(shown.contains(&line.as_str()), "{line} not in:\n{stdout}");
    }
    // Only the key dir is sealed: the groups are on a plain mount.
    assert_eq!(
        shown
            .iter()
            .filter(|l| l.starts_with("manifest encrypted mount:"))
            .count(),
        1,
        "{stdout}"
    );

    // The served manifest, as exported, against copies of it.
    let served_path = export.join("manifest.toml");
    let served = std::fs::read_to_string(&served_path).unwrap();
    let (code, ko, total) = manifest_check(&user, &served_path, &served);
    assert_eq!((code, ko.len()), (0, 0), "{ko:?}");
    assert!(
        total > 30,
        "one line per setting and per trusted file: {total}"
    );

    let one_change = |from: &str, to: &str, expected: &str| {
        assert!(served.contains(from), "{from}");
        let (code, ko, _) = manifest_check(&user, &served_path, &served.replacen(from, to, 1));
        assert_ne!(code, 0, "{from} -> {to}");
        assert_eq!(ko.len(), 1, "{ko:?}");
        assert!(ko[0].starts_with(expected), "{ko:?}");
    };
    one_change(
        "EKMS_REGISTRATION = \"closed\"",
        "EKMS_REGISTRATION = \"open\"",
        "loader.env.EKMS_REGISTRATION: Ko (served \"closed\", rendered \"open\")",
    );
    let hash = served.split("sha256 = \"").nth(1).unwrap()[..64].to_string();
    let other = format!(
        "{}{}",
        if hash.starts_with('0') { "1" } else { "0" },
        &hash[1..]
    );
    one_change(
        &hash,
        &other,
        &format!(
            "trusted file file:/ekms/ekms-server: Ko (served sha256 {hash}, rendered sha256 {other})"
        ),
    );
    one_change(
        "sgx.debug = false",
        "sgx.debug = true",
        "sgx.debug: Ko (served false, rendered true)",
    );
}
