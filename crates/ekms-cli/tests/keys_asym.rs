//! End-to-end tests of the asymmetric-key and key-file commands of `ekms` (`rsa|ec keys
//! create`, `keys import|export|rekey|wrap|unwrap`, `sign`, `verify`, `mac`) against the real
//! `ekms-server` on an ephemeral port (see `support/`).

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use ekms_crypto::SigAlgorithm;
use ekms_crypto::keyformat::{PrivateKey, PrivateKeyFormat, PublicKey};
use predicates::prelude::*;
use support::*;

fn stdout_of(cmd: &mut assert_cmd::Command) -> String {
    let out = cmd.assert().success().get_output().stdout.clone();
    String::from_utf8(out).expect("utf-8")
}

/// The (private, public) identifiers printed by `rsa|ec keys create`.
fn pair(out: &str) -> (String, String) {
    let field = |key: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(key).map(|v| v.trim().to_string()))
            .unwrap_or_else(|| panic!("no {key} in {out}"))
    };
    (field("private key:"), field("public key:"))
}

fn flip(path: &std::path::Path, at: usize) {
    let mut data = std::fs::read(path).unwrap();
    let i = at % data.len();
    data[i] ^= 0x01;
    std::fs::write(path, data).unwrap();
}

#[test]
fn key_pairs_sign_verify_export_import_wrap_and_mac() {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);

    let msg = user.path("msg.txt");
    std::fs::write(&msg, b"the data to sign, twice over").unwrap();

    // RSA and EC key pairs: sign, verify, tamper.
    let rsa =
        pair(&stdout_of(user.ekms().args([
            "rsa", "keys", "create", "--bits", "2048", "--name", "r",
        ])));
    let ec = pair(&stdout_of(
        user.ekms()
            .args(["ec", "keys", "create", "--curve", "p256"]),
    ));
    let ed = pair(&stdout_of(
        user.ekms()
            .args(["ec", "keys", "create", "--curve", "ed25519"]),
    ));
    for (i, (private, public)) in [&rsa, &ec, &ed].into_iter().enumerate() {
        let sig = user.path(&format!("sig{i}"));
        user.ekms()
            .args(["sign", "--key", private])
            .arg(&msg)
            .arg("-o")
            .arg(&sig)
            .assert()
            .success();
        user.ekms()
            .args(["verify", "--key", public])
            .arg(&msg)
            .arg("--signature")
            .arg(&sig)
            .assert()
            .success()
            .stdout(predicate::str::contains("signature valid"));
        // A flipped byte of the data, then of the signature, fails with exit status 1.
        let other = user.path(&format!("msg{i}"));
        std::fs::copy(&msg, &other).unwrap();
        flip(&other, 3);
        user.ekms()
            .args(["verify", "--key", public])
            .arg(&other)
            .arg("--signature")
            .arg(&sig)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("signature INVALID"));
        flip(&sig, 10);
        user.ekms()
            .args(["verify", "--key", public])
            .arg(&msg)
            .arg("--signature")
            .arg(&sig)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("signature INVALID"));
    }

    // RSA-PSS by name; the public key exported as PEM verifies it locally.
    let sig = user.path("pss.sig");
    user.ekms()
        .args(["sign", "--key", &rsa.0, "--algorithm", "rsa-pss-sha256"])
        .arg(&msg)
        .arg("-o")
        .arg(&sig)
        .assert()
        .success();
    let pem = user.path("rsa_pub.pem");
    user.ekms()
        .args(["keys", "export", &rsa.1, "--format", "pem", "-o"])
        .arg(&pem)
        .assert()
        .success();
    let pem_text = std::fs::read(&pem).unwrap();
    assert!(pem_text.starts_with(b"-----BEGIN PUBLIC KEY-----"));
    let public = PublicKey::parse(&pem_text).expect("PEM public key");
    public
        .verify(
            SigAlgorithm::RsaPssSha256,
            &std::fs::read(&msg).unwrap(),
            &std::fs::read(&sig).unwrap(),
        )
        .expect("the server's signature verifies locally");

    // A PEM private key made here: imported, it signs on the server; its public key, exported
    // from the file and imported, verifies.
    let der = ekms_crypto::ec::generate(ekms_crypto::ec::EcCurve::P384).unwrap();
    let local = PrivateKey::parse(&der).unwrap();
    let key_pem = user.path("local.pem");
    std::fs::write(
        &key_pem,
        local.to_pem(PrivateKeyFormat::Pkcs8).unwrap().as_bytes(),
    )
    .unwrap();
    let imported = stdout_of(
        user.ekms()
            .args(["keys", "import"])
            .arg(&key_pem)
            .args(["--format", "pem", "--name", "local"]),
    )
    .trim()
    .to_string();
    let sig = user.path("local.sig");
    user.ekms()
        .args(["sign", "--key", &imported])
        .arg(&msg)
        .arg("-o")
        .arg(&sig)
        .assert()
        .success();
    local
        .public_key()
        .verify(
            SigAlgorithm::EcdsaSha384,
            &std::fs::read(&msg).unwrap(),
            &std::fs::read(&sig).unwrap(),
        )
        .expect("signature by the imported key verifies locally");

    // Export/import round trip: the private key out as PKCS#8 DER and back in signs the same.
    let p8 = user.path("ec.p8");
    user.ekms()
        .args(["keys", "export", &ec.0, "--format", "pkcs8", "--der", "-o"])
        .arg(&p8)
        .assert()
        .success();
    let again = stdout_of(
        user.ekms()
            .args(["keys", "import"])
            .arg(&p8)
            .args(["--format", "der", "--type", "private"]),
    )
    .trim()
    .to_string();
    assert_ne!(again, ec.0);
    let p8_again = user.path("ec2.p8");
    user.ekms()
        .args(["keys", "export", &again, "--format", "der", "-o"])
        .arg(&p8_again)
        .assert()
        .success();
    assert_eq!(
        PrivateKey::parse(&std::fs::read(&p8).unwrap())
            .unwrap()
            .public_key()
            .to_der(ekms_crypto::keyformat::PublicKeyFormat::Spki)
            .unwrap(),
        PrivateKey::parse(&std::fs::read(&p8_again).unwrap())
            .unwrap()
            .public_key()
            .to_der(ekms_crypto::keyformat::PublicKeyFormat::Spki)
            .unwrap()
    );
    let sig = user.path("again.sig");
    user.ekms()
        .args(["sign", "--key", &again])
        .arg(&msg)
        .arg("-o")
        .arg(&sig)
        .assert()
        .success();
    user.ekms()
        .args(["verify", "--key", &ec.1])
        .arg(&msg)
        .arg("--signature")
        .arg(&sig)
        .assert()
        .success();
    // Wrong format for the key half: a clear refusal.
    user.ekms()
        .args(["keys", "export", &ec.1, "--format", "pkcs8", "-o"])
        .arg(user.path("x"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("other half"));

    // Rekey of a symmetric key: a new uid.
    let sym = user.create_key(&[]);
    let new = stdout_of(user.ekms().args(["keys", "rekey", &sym]))
        .trim()
        .to_string();
    assert!(!new.is_empty());
    assert_ne!(new, sym);

    // Wrap / unwrap under an imported AES key-encryption key: the same key material.
    let kek_file = user.path("kek.bin");
    std::fs::write(&kek_file, [7u8; 32]).unwrap();
    let kek = stdout_of(user.ekms().args(["keys", "import"]).arg(&kek_file).args([
        "--type",
        "symmetric",
        "--algorithm",
        "aes",
    ]))
    .trim()
    .to_string();
    let wrapped = user.path("key.wrapped");
    user.ekms()
        .args(["keys", "wrap", &new, "--wrap-key", &kek, "-o"])
        .arg(&wrapped)
        .assert()
        .success();
    let unwrapped = stdout_of(
        user.ekms()
            .args(["keys", "unwrap"])
            .arg(&wrapped)
            .args(["--wrap-key", &kek]),
    )
    .trim()
    .to_string();
    let raw = |uid: &str, name: &str| {
        let path = user.path(name);
        user.ekms()
            .args(["keys", "export", uid, "--format", "raw", "-o"])
            .arg(&path)
            .assert()
            .success();
        std::fs::read(path).unwrap()
    };
    assert_eq!(raw(&new, "new.raw"), raw(&unwrapped, "unwrapped.raw"));
    // export --wrap-key: AES-KW output is 8 bytes longer than the key.
    let w = user.path("wrapped.bin");
    user.ekms()
        .args([
            "keys",
            "export",
            &new,
            "--format",
            "raw",
            "--wrap-key",
            &kek,
            "-o",
        ])
        .arg(&w)
        .assert()
        .success();
    assert_eq!(std::fs::read(&w).unwrap().len(), 32 + 8);

    // MAC with an imported HMAC key; --verify accepts the file or its hex, refuses a change.
    let hmac_file = user.path("hmac.bin");
    std::fs::write(&hmac_file, b"Jefe").unwrap();
    let hmac = stdout_of(user.ekms().args(["keys", "import"]).arg(&hmac_file).args([
        "--type",
        "symmetric",
        "--algorithm",
        "hmac-sha256",
    ]))
    .trim()
    .to_string();
    let data = user.path("jefe.txt");
    std::fs::write(&data, b"what do ya want for nothing?").unwrap();
    let hex_mac = stdout_of(user.ekms().args(["mac", "--key", &hmac]).arg(&data))
        .trim()
        .to_string();
    assert_eq!(
        hex_mac,
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let mac_file = user.path("jefe.mac");
    user.ekms()
        .args(["mac", "--key", &hmac])
        .arg(&data)
        .arg("-o")
        .arg(&mac_file)
        .assert()
        .success();
    user.ekms()
        .args(["mac", "--key", &hmac])
        .arg(&data)
        .arg("--verify")
        .arg(&mac_file)
        .assert()
        .success()
        .stdout(predicate::str::contains("MAC valid"));
    user.ekms()
        .args(["mac", "--key", &hmac])
        .arg(&data)
        .args(["--verify", &hex_mac])
        .assert()
        .success();
    flip(&mac_file, 0);
    user.ekms()
        .args(["mac", "--key", &hmac])
        .arg(&data)
        .arg("--verify")
        .arg(&mac_file)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("MAC INVALID"));
}
