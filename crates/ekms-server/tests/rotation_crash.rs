//! A rotation killed at every step never loses the group.
//!
//! The server is built with the `failpoints` feature in test builds (ekms-server's
//! dev-dependency on ekms-store with it); `EKMS_FAILPOINT=<name>` makes it SIGKILL itself at
//! that point. For each point, a copy of a group of about 30 MB is rotated (or confirmed) by a
//! server killed there; a fresh server must then open the group with the secret the client is entitled to
//! (the old one when the rotation's answer never came, the new one once the client sends it),
//! with every key intact, and finish what was interrupted.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod operations_common;
mod support;

use operations_common::{register, seed_data};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use support::{Server, create_key, uid_of, uid_op};

const FILLER_OBJECTS: usize = 120;
const FILLER_BYTES: usize = 256 * 1024;

fn filler(i: usize) -> Vec<u8> {
    (0..FILLER_BYTES)
        .map(|j| (j.wrapping_mul(31) ^ i.wrapping_mul(131)) as u8)
        .collect()
}

struct Group {
    secret: String,
    keys: Vec<(String, String)>,
    filler: Vec<String>,
}

/// The material of `uid` (symmetric key or secret data) as upper-case hex, or the status.
async fn material(s: &Server, secret: &str, uid: &str) -> Result<String, u16> {
    let (status, body) = s.kmip(Some(secret), &uid_op("Get", uid)).await;
    if status != 200 {
        return Err(status);
    }
    Ok(key_material(&body).expect("a KeyMaterial").to_string())
}

/// The value of the first `KeyMaterial` item under `v`.
fn key_material(v: &Value) -> Option<&str> {
    match v {
        Value::Array(items) => items.iter().find_map(key_material),
        Value::Object(_) if v["tag"] == "KeyMaterial" => v["value"].as_str(),
        Value::Object(_) => key_material(&v["value"]),
        _ => None,
    }
}

/// Every key and a sample of the filler, read with `secret`.
async fn check_all(s: &Server, g: &Group, secret: &str, case: &str) {
    for (uid, m) in &g.keys {
        assert_eq!(
            material(s, secret, uid).await.as_ref(),
            Ok(m),
            "{case}: key {uid}\n{}",
            s.log()
        );
    }
    for i in [0, FILLER_OBJECTS / 2, FILLER_OBJECTS - 1] {
        let got = material(s, secret, &g.filler[i]).await;
        assert_eq!(got, Ok(hex::encode_upper(filler(i))), "{case}: filler {i}");
    }
}

/// A group of about 30 MB in `root` (data and platform dirs), made and then killed.
async fn template(root: &Path) -> Group {
    let s = Server::start_in(root, &[]);
    let secret = s.register().await;
    let mut keys = Vec::new();
    for _ in 0..10 {
        let uid = uid_of(&s.ok(&secret, create_key("AES", 256, None, true)).await);
        let m = material(&s, &secret, &uid).await.unwrap();
        keys.push((uid, m));
    }
    let mut uids = Vec::new();
    for i in 0..FILLER_OBJECTS {
        let object = seed_data(&filler(i));
        uids.push(uid_of(
            &s.ok(&secret, register("SecretData", vec![], object)).await,
        ));
    }
    drop(s);
    let size: u64 = support::files_under(&root.join("data/groups"))
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    assert!(size > 25_000_000, "the group is only {size} bytes");
    Group {
        secret,
        keys,
        filler: uids,
    }
}

fn copy_dir(from: &Path, to: &Path) {
    for p in support::files_under(from) {
        let dest = to.join(p.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&p, &dest).unwrap();
    }
}

/// Waits for the server to be killed by its failpoint (SIGKILL) and returns its log.
fn wait_for_kill(s: &mut Server, point: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "{point}: not killed by SIGKILL: {status}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop at {point}:\n{}",
            s.log()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let the log pumps read the last lines.
    std::thread::sleep(Duration::from_millis(100));
    let log = s.log();
    assert!(
        log.contains(&format!("failpoint {point}")),
        "the server stopped elsewhere than {point}:\n{log}"
    );
    log
}

async fn post(s: &Server, path: &str, secret: &str) -> Result<(u16, Value), reqwest::Error> {
    let r = s
        .http
        .post(format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

/// One KMIP 2.1 JSON operation that may find the server gone.
async fn kmip_try(s: &Server, secret: &str, body: &Value) -> Result<(u16, Value), reqwest::Error> {
    let r = s
        .http
        .post(format!("{}/kmip/2_1", s.url))
        .header("KmsDatabaseSecret", secret)
        .json(body)
        .send()
        .await?;
    let status = r.status().as_u16();
    Ok((status, r.json().await.unwrap_or(Value::Null)))
}

#[tokio::test]
async fn a_rotation_killed_at_any_step_keeps_the_group() {
    if support::skipped_on_postgres(
        "copies of a data dir's SQLCipher files and the failpoints of their rotation",
    ) {
        return;
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let template_dir = tmp.path().join("template");
    let g = template(&template_dir).await;
    eprintln!("template made in {:?}", started.elapsed());

    // The first phase: the client never sees the answer, so it holds the old secret only.
    for point in [
        "rotate:before-write",
        "rotate:temp-written",
        "rotate:after-write",
    ] {
        let case = tmp.path().join(point.replace(':', "-"));
        copy_dir(&template_dir, &case);
        let mut s = Server::start_with(&case, &[], &[("EKMS_FAILPOINT", point)]);
        let answer = post(&s, "/group/rotate-secret", &g.secret).await;
        assert!(answer.is_err(), "{point}: answered {answer:?}");
        wait_for_kill(&mut s, point);
        drop(s);
        let s = Server::start_in(&case, &[]);
        check_all(&s, &g, &g.secret, point).await;
        // And the administrator can rotate again.
        let (status, body) = post(&s, "/group/rotate-secret", &g.secret).await.unwrap();
        assert_eq!(status, 200, "{point}: {body}");
        let new = body["secret"].as_str().unwrap().to_string();
        check_all(&s, &g, &new, point).await;
        assert_eq!(material(&s, &g.secret, &g.keys[0].0).await, Err(401));
        drop(s);
        std::fs::remove_dir_all(&case).unwrap();
        eprintln!("{point} done at {:?}", started.elapsed());
    }

    // The second phase: the client holds the new secret and uses it; the server dies while
    // confirming (dropping the old secret, replacing the data key and re-encrypting).
    for point in [
        "confirm:before-write",
        "confirm:temp-written",
        "confirm:after-write",
        "confirm:during-rekey",
        "confirm:after-rekey",
        "confirm-final:temp-written",
        "confirm:done",
    ] {
        let case = tmp.path().join(point.replace(':', "-"));
        copy_dir(&template_dir, &case);
        let mut s = Server::start_with(&case, &[], &[("EKMS_FAILPOINT", point)]);
        let (status, body) = post(&s, "/group/rotate-secret", &g.secret).await.unwrap();
        assert_eq!(status, 200, "{point}: {body}");
        let new = body["secret"].as_str().unwrap().to_string();
        let answer = kmip_try(&s, &new, &uid_op("Get", &g.keys[0].0)).await;
        assert!(answer.is_err(), "{point}: answered {answer:?}");
        let log = wait_for_kill(&mut s, point);
        if point == "confirm:during-rekey" {
            assert!(
                !log.contains("group data key replaced"),
                "the re-encryption ended before the kill: make the group bigger\n{log}"
            );
        }
        drop(s);
        let s = Server::start_in(&case, &[]);
        check_all(&s, &g, &new, point).await;
        // The new secret was used: the old one is refused from now on.
        assert_eq!(
            material(&s, &g.secret, &g.keys[0].0).await,
            Err(401),
            "{point}"
        );
        let uid = uid_of(&s.ok(&new, create_key("AES", 128, None, true)).await);
        drop(s);
        let s = Server::start_in(&case, &[]);
        check_all(&s, &g, &new, point).await;
        assert!(material(&s, &new, &uid).await.is_ok(), "{point}");
        assert_eq!(
            material(&s, &g.secret, &g.keys[0].0).await,
            Err(401),
            "{point}"
        );
        drop(s);
        std::fs::remove_dir_all(&case).unwrap();
        eprintln!("{point} done at {:?}", started.elapsed());
    }
}

const LEGACY_ID: &str = "4660248f-2988-4581-88ca-6e566b213081";
const LEGACY_UID: &str = "6cd7fa9d-aaf2-4672-a82b-dd801a724f60";
const LEGACY_MATERIAL: &str = "7C0D2131FA367A361DDC3AE8E64FC67627D01EA260D385A791637C0152624C52";

#[tokio::test]
async fn the_upgrade_of_a_group_made_before_key_slots_killed_at_any_step() {
    if support::skipped_on_postgres("SQLCipher group files made before key slots") {
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/legacy-group");
    let reg: Value =
        serde_json::from_slice(&std::fs::read(fixture.join("register.json")).unwrap()).unwrap();
    let secret = reg["secret"].as_str().unwrap();
    for point in [
        "upgrade:before-write",
        "upgrade:temp-written",
        "upgrade:after-write",
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let groups = tmp.path().join("data/groups");
        std::fs::create_dir_all(&groups).unwrap();
        let name = format!("{LEGACY_ID}.db");
        std::fs::copy(fixture.join(&name), groups.join(&name)).unwrap();
        let mut s = Server::start_with(tmp.path(), &[], &[("EKMS_FAILPOINT", point)]);
        let answer = kmip_try(&s, secret, &uid_op("Get", LEGACY_UID)).await;
        assert!(answer.is_err(), "{point}: answered {answer:?}");
        wait_for_kill(&mut s, point);
        drop(s);
        let s = Server::start_in(tmp.path(), &[]);
        let got = material(&s, secret, LEGACY_UID).await;
        assert_eq!(got.as_deref(), Ok(LEGACY_MATERIAL), "{point}\n{}", s.log());
        // And it rotates.
        let (status, body) = post(&s, "/group/rotate-secret", secret).await.unwrap();
        assert_eq!(status, 200, "{point}: {body}");
        let new = body["secret"].as_str().unwrap();
        assert_eq!(
            material(&s, new, LEGACY_UID).await.as_deref(),
            Ok(LEGACY_MATERIAL)
        );
        assert_eq!(material(&s, secret, LEGACY_UID).await, Err(401));
    }
}
