//! deploy/sgx/build.sh, run here without Gramine: it must say so in one line and exit 2 before
//! building anything; with stand-ins for gramine-manifest and gramine-sgx-sign (shell scripts
//! that record their arguments and write the files Gramine would), it must render with the
//! fixed variables, sign with the key asked for (a throwaway RSA-3072 e=3 key under
//! `--emulation`), and print the measurement block of the resulting .sig with this crate's
//! `ekms` (`ekms enclave sigstruct --measurement`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build_sh() -> PathBuf {
    root().join("deploy/sgx/build.sh")
}

fn write_script(path: &Path, body: &str) {
    std::fs::write(path, format!("#!/bin/bash\nset -euo pipefail\n{body}")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A PATH of the system's tools with `bin` first.
fn path_with(bin: &Path) -> String {
    format!("{}:/usr/bin:/bin", bin.display())
}

#[test]
fn without_gramine_it_says_so_and_exits_2_before_building() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    // A cargo that leaves a mark: build.sh must not reach the build.
    let mark = dir.path().join("cargo-ran");
    write_script(&bin.join("cargo"), &format!("touch {}\n", mark.display()));
    for args in [&["--emulation"][..], &["--key", "/nonexistent.pem"][..]] {
        let out = Command::new("/bin/bash")
            .arg(build_sh())
            .args(args)
            .env("PATH", path_with(&bin))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("Gramine is not installed"), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(!mark.exists(), "build.sh started a build without Gramine");
    }
}

/// Stand-ins for Gramine's two tools: each appends its arguments to `<dir>/<tool>.args`;
/// gramine-manifest copies the template to the output, gramine-sgx-sign checks the key is
/// RSA-3072 with exponent 3 (what SGX accepts), writes the signed manifest and copies a real
/// SIGSTRUCT (crates/ekms-attest/tests/data) to the sigfile.
fn fake_gramine(dir: &Path, sig: &Path) -> PathBuf {
    let bin = dir.join("gramine-bin");
    std::fs::create_dir(&bin).unwrap();
    let log = |tool: &str| dir.join(format!("{tool}.args")).display().to_string();
    write_script(
        &bin.join("gramine-manifest"),
        &format!(
            "printf '%s\\n' \"$@\" > {}\nargs=(\"$@\")\ncp \"${{args[-2]}}\" \"${{args[-1]}}\"\n",
            log("gramine-manifest")
        ),
    );
    write_script(
        &bin.join("gramine-sgx-sign"),
        &format!(
            r#"printf '%s\n' "$@" > {log}
while [ $# -gt 0 ]; do
  case "$1" in
    --key) key="$2"; shift 2 ;; --manifest) manifest="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;; --sigfile) sigfile="$2"; shift 2 ;;
    *) shift ;;
  esac
done
text="$(openssl rsa -in "$key" -noout -text 2>/dev/null)"
grep -q 'Private-Key: (3072 bit' <<<"$text" || {{ echo "not RSA-3072" >&2; exit 1; }}
grep -q 'publicExponent: 3 ' <<<"$text" || {{ echo "exponent is not 3" >&2; exit 1; }}
cp "$manifest" "$output"
cp {sig} "$sigfile"
"#,
            log = log("gramine-sgx-sign"),
            sig = sig.display()
        ),
    );
    bin
}

fn run(dir: &Path, bin: &Path, args: &[&str]) -> Output {
    Command::new("/bin/bash")
        .arg(build_sh())
        .args(args)
        .env("PATH", path_with(bin))
        .env_remove("CARGO_TARGET_DIR")
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn renders_signs_and_prints_the_block_of_the_sig() {
    let data = root().join("crates/ekms-attest/tests/data");
    let expected: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("expected.json")).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_gramine(dir.path(), &data.join("test_enclave.sig"));
    // A stand-in template and binary: the tools above do not read them.
    let template = dir.path().join("stand-in.manifest.template");
    std::fs::write(&template, "libos.entrypoint = \"{{ entrypoint }}\"\n").unwrap();
    let binary = dir.path().join("built/ekms-server");
    std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
    write_script(&binary, "echo stand-in\n");
    let entrypoint = dir.path().join("ekms/ekms-server");
    let entrypoint = entrypoint.to_str().unwrap();
    let ekms = env!("CARGO_BIN_EXE_ekms");
    let common = [
        "--binary",
        binary.to_str().unwrap(),
        "--entrypoint",
        entrypoint,
        "--template",
        template.to_str().unwrap(),
        "--arch-libdir",
        "/lib/x86_64-linux-gnu",
        "--ekms",
        ekms,
    ];

    let mut args = vec!["--emulation", "-D", "extra=1"];
    args.extend(common);
    let out = run(dir.path(), &bin, &args);
    assert!(out.status.success(), "{out:?}");
    let mr_enclave = expected["mr_enclave"].as_str().unwrap();
    let block = format!(
        "mode: sgx\nMeasurement:\n    {mr_enclave}\nAttributes:\n    mr_enclave: {mr_enclave}\n    mr_signer: {}\n    isv_prod_id: {}\n    isv_svn: {}\n    debug: false\n",
        expected["mr_signer"].as_str().unwrap(),
        expected["isv_prod_id"],
        expected["isv_svn"]
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), block);
    // The binary was put where the manifest says it lives; the outputs are beside it.
    assert_eq!(
        std::fs::read(entrypoint).unwrap(),
        std::fs::read(&binary).unwrap()
    );
    let ekms_dir = dir.path().join("ekms");
    for name in [
        "ekms-server.manifest",
        "ekms-server.manifest.sgx",
        "ekms-server.sig",
    ] {
        assert!(ekms_dir.join(name).is_file(), "no {name}");
    }
    let rendered = std::fs::read_to_string(dir.path().join("gramine-manifest.args")).unwrap();
    let rendered: Vec<&str> = rendered.lines().collect();
    for want in [
        format!("-Dentrypoint={entrypoint}"),
        "-Darch_libdir=/lib/x86_64-linux-gnu".to_string(),
        "-Ddebug=0".to_string(),
        "-Dextra=1".to_string(),
        template.display().to_string(),
        ekms_dir.join("ekms-server.manifest").display().to_string(),
    ] {
        assert!(
            rendered.contains(&want.as_str()),
            "no {want} in {rendered:?}"
        );
    }
    let signed = std::fs::read_to_string(dir.path().join("gramine-sgx-sign.args")).unwrap();
    let signed: Vec<&str> = signed.lines().collect();
    let key = signed[signed.iter().position(|a| *a == "--key").unwrap() + 1];
    assert!(
        !Path::new(key).exists(),
        "the throwaway key outlived the run"
    );

    // A given key is used as is; --debug renders a debug manifest.
    let key = dir.path().join("release-key.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-3", "-out"])
        .arg(&key)
        .arg("3072")
        .output()
        .unwrap();
    assert!(made.status.success());
    let mut args = vec!["--key", key.to_str().unwrap(), "--debug"];
    args.extend(common);
    let out = run(dir.path(), &bin, &args);
    assert!(out.status.success(), "{out:?}");
    let signed = std::fs::read_to_string(dir.path().join("gramine-sgx-sign.args")).unwrap();
    assert!(
        signed.lines().any(|l| l == key.to_str().unwrap()),
        "{signed}"
    );
    let rendered = std::fs::read_to_string(dir.path().join("gramine-manifest.args")).unwrap();
    assert!(rendered.lines().any(|l| l == "-Ddebug=1"), "{rendered}");

    // A key SGX cannot use (exponent 65537) is refused by the signer: build.sh fails.
    let bad = dir.path().join("e65537.pem");
    let made = Command::new("openssl")
        .args(["genrsa", "-out"])
        .arg(&bad)
        .arg("3072")
        .output()
        .unwrap();
    assert!(made.status.success());
    let mut args = vec!["--key", bad.to_str().unwrap()];
    args.extend(common);
    let out = run(dir.path(), &bin, &args);
    assert!(!out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty());
}

/// deploy/docker/entrypoint.sh outside an image: its paths come from the EKMS_IMAGE_DIR,
/// EKMS_DEV_DIR, EKMS_AESM_DIR and EKMS_PUBLIC_DATA variables (the image's own paths by default).
fn entrypoint(dir: &Path, bin: &Path, args: &[&str]) -> Output {
    Command::new("/bin/bash")
        .arg(root().join("deploy/docker/entrypoint.sh"))
        .args(args)
        .env("PATH", path_with(bin))
        .env("EKMS_IMAGE_DIR", dir.join("ekms"))
        .env("EKMS_DEV_DIR", dir.join("dev"))
        .env("EKMS_AESM_DIR", dir.join("aesmd"))
        .env("EKMS_PUBLIC_DATA", dir.join("public_data"))
        .output()
        .unwrap()
}

#[test]
fn the_image_entry_point_prints_the_measurement_or_runs_gramine_sgx() {
    let data = root().join("crates/ekms-attest/tests/data");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for sub in ["ekms", "dev", "aesmd", "bin"] {
        std::fs::create_dir(d.join(sub)).unwrap();
    }
    let image = d.join("ekms");
    std::fs::copy(data.join("test_enclave.sig"), image.join("ekms-server.sig")).unwrap();
    std::fs::write(image.join("ekms-server.manifest.sgx"), "signed manifest\n").unwrap();
    let bin = d.join("bin");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ekms"), bin.join("ekms")).unwrap();
    let ran = d.join("gramine-sgx.ran");
    write_script(
        &bin.join("gramine-sgx"),
        &format!("{{ pwd; printf '%s\\n' \"$@\"; }} > {}\n", ran.display()),
    );

    // --emulation: the block of the image's .sig, and the files users compare.
    let out = entrypoint(d, &bin, &["--emulation"]);
    assert!(out.status.success(), "{out:?}");
    let block = Command::new(env!("CARGO_BIN_EXE_ekms"))
        .args(["enclave", "sigstruct", "--measurement"])
        .arg(image.join("ekms-server.sig"))
        .output()
        .unwrap();
    assert!(block.status.success());
    assert_eq!(out.stdout, block.stdout);
    let public = d.join("public_data");
    assert_eq!(
        std::fs::read(public.join("measurement.txt")).unwrap(),
        block.stdout
    );
    for name in ["ekms-server.manifest.sgx", "ekms-server.sig"] {
        assert_eq!(
            std::fs::read(public.join(name)).unwrap(),
            std::fs::read(image.join(name)).unwrap()
        );
    }
    assert!(!ran.exists());

    // A damaged .sig: no block, a failure.
    let mut sig = std::fs::read(image.join("ekms-server.sig")).unwrap();
    sig[960] ^= 1;
    std::fs::write(image.join("ekms-server.sig"), &sig).unwrap();
    assert!(!entrypoint(d, &bin, &["--emulation"]).status.success());

    // Arguments other than --emulation are refused: the manifest fixes the server's.
    let out = entrypoint(d, &bin, &["--listen", "0.0.0.0:1"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument --listen"));

    // Without the SGX devices, then without the AESM socket, it says what is missing.
    let out = entrypoint(d, &bin, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no /dev/sgx_enclave"));
    std::fs::write(d.join("dev/sgx_enclave"), "").unwrap();
    let out = entrypoint(d, &bin, &[]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no /dev/sgx_provision"));
    std::fs::write(d.join("dev/sgx_provision"), "").unwrap();
    let out = entrypoint(d, &bin, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no AESM socket"));
    assert!(!ran.exists());
    let _aesm = std::os::unix::net::UnixListener::bind(d.join("aesmd/aesm.socket")).unwrap();
    let out = entrypoint(d, &bin, &[]);
    assert!(out.status.success(), "{out:?}");
    let ran = std::fs::read_to_string(&ran).unwrap();
    let ran: Vec<&str> = ran.lines().collect();
    assert_eq!(ran, [image.to_str().unwrap(), "ekms-server"]);
}
