//! The server under Gramine (`--quote-source gramine`), on the real binary, with a directory
//! standing in for Gramine's `/dev/attestation`: it reads its identity from the quote and the
//! SIGSTRUCT, serves the signed manifest byte for byte, and refuses to start, naming the
//! setting, on a manifest for another binary, a debug manifest without
//! `--allow-debug-enclave`, or a key directory that is not sealed to mr_enclave.

// Test code: a broken expectation panics with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_attest::EmulatedPlatform;
use serde_json::Value;
use std::path::PathBuf;
use support::*;

/// A stand-in for Gramine's pseudo-files, holding an (emulated) quote of the enclave whose
/// SIGSTRUCT sits beside the manifest, as gramine-sgx-sign leaves them.
struct Enclave {
    tmp: tempfile::TempDir,
    root: PathBuf,
    sealed: PathBuf,
    manifest: PathBuf,
    sig: ekms_attest::Sigstruct,
}

impl Enclave {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let sig_bytes = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../ekms-attest/tests/data/test_enclave.sig"
        ))
        .unwrap();
        let sig = ekms_attest::Sigstruct::parse(&sig_bytes).unwrap();
        let platform = EmulatedPlatform::open_or_create(tmp.path().join("cpu")).unwrap();
        let identity = ekms_attest::EnclaveIdentity {
            mr_enclave: sig.mr_enclave(),
            mr_signer: sig.mr_signer(),
            attributes: ekms_attest::EnclaveIdentity::attributes_for(false),
            isv_prod_id: sig.isv_prod_id,
            isv_svn: sig.isv_svn,
        };
        let quote = platform.quote(&identity, &[0u8; 64]).unwrap();
        let root = tmp.path().join("root");
        let att = root.join("dev/attestation");
        std::fs::create_dir_all(att.join("keys")).unwrap();
        std::fs::write(att.join("quote"), &quote).unwrap();
        std::fs::write(att.join("user_report_data"), [0u8; 64]).unwrap();
        std::fs::write(att.join("attestation_type"), b"dcap").unwrap();
        std::fs::write(att.join("keys/_sgx_mrenclave"), [5u8; 16]).unwrap();
        let dir = tmp.path().join("enclave");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ekms-server.sig"), &sig_bytes).unwrap();
        let manifest = dir.join("ekms-server.manifest.sgx");
        Self {
            sealed: tmp.path().join("sealed"),
            tmp,
            root,
            manifest,
            sig,
        }
    }

    fn data(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    fn sealed(&self) -> PathBuf {
        self.sealed.clone()
    }

    /// A signed manifest of the deployed layout: the groups on a plain mount, the key dir on
    /// an encrypted one keyed to mr_enclave; `edit` changes one line of it.
    fn write_manifest(&self, edit: impl Fn(String) -> String) -> String {
        let exe = std::fs::read(env!("CARGO_BIN_EXE_ekms-server")).unwrap();
        let text = format!(
            "libos.entrypoint = \"/ekms/ekms-server\"\n\
             loader.argv = [\"ekms-server\"]\n\
             loader.env.EKMS_DATA_DIR = {data:?}\n\
             loader.env.EKMS_KEY_DIR = {sealed:?}\n\
             loader.env.EKMS_QUOTE_SOURCE = \"gramine\"\n\
             loader.env.EKMS_GRAMINE_ROOT = {root:?}\n\
             fs.mounts = [\n\
             \x20 {{ path = {sealed:?}, uri = \"file:{sealed}\", type = \"encrypted\", key_name = \"_sgx_mrenclave\" }},\n\
             \x20 {{ path = \"{data}/groups\", uri = \"file:{data}/groups\" }},\n\
             ]\n\
             sgx.enclave_size = \"1G\"\n\
             sgx.debug = false\n\
             sgx.trusted_files = [\n\
             \x20 {{ uri = \"file:/ekms/ekms-server\", sha256 = \"{sha}\" }},\n\
             \x20 {{ uri = \"file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so\", sha256 = \"{lib}\" }},\n\
             ]\n",
            data = self.data().to_str().unwrap(),
            sealed = self.sealed().to_str().unwrap(),
            root = self.root.to_str().unwrap(),
            sha = hex::encode(ekms_crypto::hash::sha256(&exe)),
            // Gramine's own files are not at their host paths inside the enclave, and Gramine
            // checks them itself: the server must not try to read them.
            lib = "0".repeat(64),
        );
        let text = edit(text);
        std::fs::write(&self.manifest, &text).unwrap();
        text
    }

    fn args<'a>(&'a self, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "--quote-source",
            "gramine",
            "--gramine-root",
            self.root.to_str().unwrap(),
            "--key-dir",
            self.sealed.to_str().unwrap(),
            "--manifest",
            self.manifest.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        args
    }

    fn start(&self, extra: &[&str]) -> Server {
        Server::start_dirs(
            self.data(),
            self.tmp.path().join("platform"),
            &self.args(extra),
            &[],
        )
    }

    /// Starts the server expecting a refusal whose message names each of `words`.
    fn refused(&self, extra: &[&str], words: &[&str]) {
        let out = Server::command(
            std::process::Command::new(env!("CARGO_BIN_EXE_ekms-server")),
            &self.data(),
            &self.tmp.path().join("platform"),
        )
        .args(self.args(extra))
        .output()
        .unwrap();
        assert!(!out.status.success(), "the server started");
        let err = String::from_utf8_lossy(&out.stderr);
        for word in words {
            assert!(err.contains(word), "`{word}` is not in: {err}");
        }
    }
}

fn same(text: String) -> String {
    text
}

#[tokio::test]
async fn gramine_source_reads_a_stand_in_dev_attestation() {
    let e = Enclave::new();
    let manifest = e.write_manifest(same);
    let mut s = e.start(&[]);
    // The TLS key and certificate are in the key dir (the sealed mount), not among the groups.
    let cert = std::fs::read(e.sealed().join("certificate.pem")).unwrap();
    assert!(!e.data().join("certificate.pem").exists());
    s.http = client_trusting(Some(&cert));
    let log = s.log();
    assert_eq!(printed(&log, "mode:"), "sgx");
    assert_eq!(
        printed(&log, "mr_enclave:"),
        hex::encode(e.sig.mr_enclave())
    );
    assert_eq!(printed(&log, "mr_signer:"), hex::encode(e.sig.mr_signer()));
    assert_eq!(printed(&log, "isv_prod_id:"), e.sig.isv_prod_id.to_string());
    assert!(!log.contains("EMULATION MODE"));
    let certs: Value = s.get_json("/certificates").await;
    let key = certs["enclave_public_key"].as_str().unwrap();
    assert_eq!(
        ekms_attest::mr_signer(key.as_bytes()).unwrap(),
        e.sig.mr_signer()
    );
    // The signed manifest, the bytes mr_enclave was computed over, is what /manifest serves.
    assert_eq!(s.get_text("/manifest").await, manifest);
    assert_eq!(certs["ssl_certificate"].as_str().unwrap().as_bytes(), cert);
    // The stand-in's quote file cannot carry a fresh nonce's report data: the source notices.
    let (status, _) = get_quote(&s, "nonce=abc").await;
    assert_eq!(status, 500);
}

#[test]
fn a_manifest_for_another_binary_is_refused_naming_the_entrypoint() {
    let e = Enclave::new();
    e.write_manifest(|t| {
        let at = t.find("sha256 = \"").unwrap() + 10;
        let flipped = if &t[at..at + 1] == "0" { "1" } else { "0" };
        format!("{}{flipped}{}", &t[..at], &t[at + 1..])
    });
    e.refused(
        &[],
        &[
            "libos.entrypoint",
            "sgx.trusted_files",
            "another ekms-server",
        ],
    );
}

#[test]
fn a_debug_manifest_is_refused_without_the_flag() {
    let e = Enclave::new();
    e.write_manifest(|t| t.replace("sgx.debug = false", "sgx.debug = true"));
    e.refused(&[], &["sgx.debug = true", "--allow-debug-enclave"]);
    // With the flag, the self-check lets it through (and the start goes on).
    let s = e.start(&["--allow-debug-enclave"]);
    assert_eq!(printed(&s.log(), "mode:"), "sgx");
}

#[test]
fn a_key_dir_off_the_sealed_mount_is_refused_naming_it() {
    let e = Enclave::new();
    // The key dir on a plain mount: a key the host could read and swap.
    e.write_manifest(|t| t.replace(", type = \"encrypted\", key_name = \"_sgx_mrenclave\"", ""));
    e.refused(
        &[],
        &["--key-dir", "on the chroot mount", "type = \"encrypted\""],
    );
    // Encrypted, but with a key the host provisions rather than the one of mr_enclave.
    e.write_manifest(|t| t.replace("_sgx_mrenclave", "default"));
    e.refused(
        &[],
        &["--key-dir", "on the encrypted mount", "_sgx_mrenclave"],
    );
    // On no mount at all.
    e.write_manifest(|t| {
        t.lines()
            .filter(|l| !l.contains("_sgx_mrenclave"))
            .collect::<Vec<_>>()
            .join("\n")
    });
    e.refused(&[], &["--key-dir", "on no mount"]);
}
