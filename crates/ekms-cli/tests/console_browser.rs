//! The web console (`/ui/`, docs/console.md) in a real browser: headless Chromium (Debian's
//! `chromium` and `chromium-driver`) driven over WebDriver against the real server binary on an
//! ephemeral port, next to the real `ekms` CLI. Every check is on what the page shows.
//!
//! Chromium trusts the server's self-signed certificate by its public key only
//! (`--ignore-certificate-errors-spki-list` with the SPKI's SHA-256), not by a blanket ignore.
//! axe-core (`$EKMS_AXE_CORE_JS`, fetched by `ci/lib.sh`'s `ekms_axe_core`) is injected into each
//! page through WebDriver and must report no violation. Without chromium, chromedriver or
//! axe-core the tests fail when `CI` is set and skip with one line elsewhere.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::io::Write;
use std::path::PathBuf;
use std::process::Command as StdCommand;
use std::time::{Duration, Instant};
use support::idp::{Idp, write_config};
use support::*;

/// How long the page may take to show what a step expects: generous, since CI runs these
/// tests beside the whole suite on two cores; a passing step waits only as long as it needs.
const WAIT: Duration = Duration::from_secs(60);

/// An executable named `name` on `PATH`.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Everything a browser test needs from outside, or `None` (after failing under CI) to skip.
struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    axe: String,
}

fn tools() -> Option<Tools> {
    let (Some(chromium), Some(chromedriver)) = (on_path("chromium"), on_path("chromedriver"))
    else {
        ekms_testkit::missing("chromium or chromedriver", "chromium chromium-driver");
        return None;
    };
    let axe = std::env::var_os("EKMS_AXE_CORE_JS").and_then(|p| std::fs::read_to_string(p).ok());
    let Some(axe) = axe else {
        assert!(
            std::env::var_os("CI").is_none(),
            "axe-core is missing and CI is set: set EKMS_AXE_CORE_JS to its axe.min.js \
             (`source ci/lib.sh; ekms_axe_core /var/tmp/ekms-axe-core` fetches it)"
        );
        // Written to the process's stderr itself: the test harness captures `eprintln!`.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: EKMS_AXE_CORE_JS names no axe.min.js (`source ci/lib.sh; ekms_axe_core DIR`)"
        );
        return None;
    };
    Some(Tools {
        chromium,
        chromedriver,
        axe,
    })
}

/// chromedriver on a free loopback port, killed on drop.
struct Driver {
    _process: ekms_testkit::Process,
    url: String,
}

fn start_driver(tools: &Tools) -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cmd = StdCommand::new(&tools.chromedriver);
    cmd.arg(format!("--port={port}"));
    let process = ekms_testkit::Process::start(cmd, "chromedriver");
    process.wait_for(Duration::from_secs(30), |lines| {
        lines.iter().any(|l| l.contains("started successfully"))
    });
    Driver {
        _process: process,
        url: format!("http://127.0.0.1:{port}"),
    }
}

impl Drop for Driver {
    /// Asks chromedriver to quit its browsers before the process is killed, so that a failed
    /// test (whose session was never closed) leaves no Chromium behind.
    fn drop(&mut self) {
        use std::io::Read;
        let addr = self.url.trim_start_matches("http://");
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                s,
                "GET /shutdown HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
            );
            let _ = s.read_to_end(&mut Vec::new());
        }
    }
}

/// base64 of SHA-256 of the server certificate's SubjectPublicKeyInfo: what
/// `--ignore-certificate-errors-spki-list` names.
fn spki_hash(server: &Server) -> String {
    let pem = std::fs::read(server.data_dir.join("certificate.pem")).unwrap();
    let (_, pem) = x509_parser::pem::parse_x509_pem(&pem).unwrap();
    let cert = pem.parse_x509().unwrap();
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, cert.public_key().raw);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

/// A headless Chromium session that trusts exactly `server`'s key.
async fn browser(
    tools: &Tools,
    driver: &Driver,
    server: &Server,
    profile: &std::path::Path,
) -> Client {
    let mut args = vec![
        "--headless=new".to_string(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--no-first-run".into(),
        "--window-size=1280,1000".into(),
        // The SPKI list takes effect only with a profile directory of its own.
        format!("--user-data-dir={}", profile.display()),
        format!(
            "--ignore-certificate-errors-spki-list={}",
            spki_hash(server)
        ),
    ];
    // Chromium's sandbox refuses to run as root (CI runs as root); the page is our own.
    if is_root() {
        args.push("--no-sandbox".into());
    }
    let caps = json!({
        "goog:chromeOptions": {"binary": tools.chromium, "args": args},
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session of headless Chromium")
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|u| u.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

/// The visible text of the first element matching `css`, once it contains `needle` (within [`WAIT`]).
async fn wait_text(c: &Client, css: &str, needle: &str) -> String {
    let deadline = Instant::now() + WAIT;
    loop {
        let text = match c.find(Locator::Css(css)).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if text.contains(needle) {
            return text;
        }
        if Instant::now() > deadline {
            panic!(
                "`{css}` never showed {needle:?}; it shows {text:?}; page:\n{}",
                c.source().await.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn fill(c: &Client, id: &str, value: &str) {
    let e = c.find(Locator::Id(id)).await.unwrap();
    e.clear().await.unwrap();
    e.send_keys(value).await.unwrap();
}

/// Fills the `fields` (id, value) of the form `form`, submits it and waits for the status line
/// to show `status`.
async fn submit(c: &Client, form: &str, fields: &[(&str, &str)], status: &str) {
    for (id, value) in fields {
        fill(c, id, value).await;
    }
    click(c, &format!("#{form} button[type=submit]")).await;
    wait_text(c, "#status", status).await;
}

/// Grants `rights` (separated by spaces) on the key shown to `user` in the form of the key
/// page; returns what the access list then shows.
async fn grant(c: &Client, user: &str, rights: &str) -> String {
    let said = format!("Granted {} to {user}", rights.to_lowercase());
    submit(
        c,
        "grant-form",
        &[("grant-user", user), ("grant-rights", rights)],
        &said,
    )
    .await;
    wait_text(c, "#grants-table tbody", user).await
}

/// Asserts that the page keeps nothing in `localStorage`, `sessionStorage` or cookies, and
/// none of `secrets` in particular.
async fn assert_nothing_stored(c: &Client, secrets: &[&str]) {
    let stored = c
        .execute(
            "const all = (s) => Array.from({length: s.length}, (_, i) => s.key(i) + '=' + s.getItem(s.key(i)));
             return {local: all(localStorage), session: all(sessionStorage), cookie: document.cookie};",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        stored,
        json!({"local": [], "session": [], "cookie": ""}),
        "the console stored something"
    );
    for secret in secrets {
        assert!(!stored.to_string().contains(secret));
    }
    assert!(c.get_all_cookies().await.unwrap().is_empty());
}

/// Asserts that `text` (what an element shows) contains every one of `words`.
fn shows_all(text: &str, words: &[&str]) {
    for word in words {
        assert!(text.contains(word), "{word:?} is not shown in {text:?}");
    }
}

/// Clicks the element matching `css`, trying again for [`WAIT`] while it is missing or was
/// replaced between finding and clicking (the page redraws a table when its data arrives).
async fn click(c: &Client, css: &str) {
    let deadline = Instant::now() + WAIT;
    loop {
        let clicked = match c.find(Locator::Css(css)).await {
            Ok(e) => e.click().await,
            Err(e) => Err(e),
        };
        match clicked {
            Ok(()) => return,
            Err(e) if Instant::now() > deadline => panic!("cannot click `{css}`: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// Runs axe-core on the page as it is and asserts that it reports no violation.
async fn assert_accessible(c: &Client, tools: &Tools, page: &str) {
    c.execute(&tools.axe, vec![]).await.unwrap();
    let violations = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(
               r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' +
                 v.nodes.map(n => n.target.join(' ')).join(', '))),
               e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(violations, json!([]), "axe-core on the {page} page");
}

async fn audit_rows(c: &Client) -> usize {
    c.find_all(Locator::Css("#audit-table tbody tr"))
        .await
        .unwrap()
        .len()
}

async fn sign_in(c: &Client, server: &Server, secret: &str) {
    c.goto(&format!("{}/ui/", server.url)).await.unwrap();
    wait_text(c, "#sign-in-title", "Sign in").await;
    submit(c, "sign-in-form", &[("secret", secret)], "Signed in.").await;
    wait_text(c, "#keys-title", "Keys").await;
}

/// A server, a user of the CLI registered with it, its group secret, a browser, and what must
/// live as long as the browser (chromedriver and the profile directory).
type Scene = (Server, User, String, Client, (Driver, tempfile::TempDir));

async fn scene(tools: &Tools) -> Scene {
    let server = start_server();
    let user = User::new();
    user.register_pinned(&server);
    let secret = user.secret();
    let driver = start_driver(tools);
    let profile = tempfile::tempdir().unwrap();
    let c = browser(tools, &driver, &server, profile.path()).await;
    (server, user, secret, c, (driver, profile))
}

#[tokio::test]
async fn sign_in_create_encrypt_revoke_grant_audit_and_attestation() {
    let Some(tools) = tools() else { return };
    let (server, user, secret, c, _keep) = scene(&tools).await;

    c.goto(&format!("{}/ui/", server.url)).await.unwrap();
    wait_text(&c, "#sign-in-title", "Sign in").await;
    assert_accessible(&c, &tools, "sign-in").await;

    // A wrong secret is refused on the page, and nothing else shows.
    submit(
        &c,
        "sign-in-form",
        &[("secret", "not-the-secret")],
        "Sign-in refused",
    )
    .await;
    assert!(
        c.find(Locator::Id("nav"))
            .await
            .unwrap()
            .attr("hidden")
            .await
            .unwrap()
            .is_some()
    );

    sign_in(&c, &server, &secret).await;

    // Create an active key in the console; the table shows it with its name and state.
    submit(
        &c,
        "create-form",
        &[("create-name", "console-key")],
        "Created key console-key",
    )
    .await;
    let row = wait_text(&c, "#keys-table tbody", "console-key").await;
    shows_all(&row, &["SymmetricKey", "Active"]);
    let uid = c
        .find(Locator::Css("#keys-table tbody code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_accessible(&c, &tools, "keys").await;

    // The CLI encrypts with it.
    let plain = user.path("plain.txt");
    std::fs::write(&plain, b"browser test").unwrap();
    let encrypt = |out: &str| {
        user.ekms()
            .args(["sym", "encrypt", "--key", &uid])
            .arg(&plain)
            .arg("-o")
            .arg(user.path(out))
            .output()
            .unwrap()
    };
    assert!(encrypt("before.ekms").status.success());

    // Revoke in the console: the key page shows it Deactivated, and the CLI is refused.
    click(&c, "#keys-table tbody a").await;
    wait_text(&c, "#key-title", "console-key").await;
    wait_text(&c, "#key-owner", "Owner:").await;
    assert_accessible(&c, &tools, "key").await;
    click(&c, "#key-actions button[data-action=Revoke]").await;
    wait_text(&c, "#status", "Revoke done").await;
    wait_text(&c, "#key-attributes", "Deactivated").await;
    let after = encrypt("after.ekms");
    assert!(
        !after.status.success(),
        "the CLI still encrypts after the revocation"
    );
    assert!(!user.path("after.ekms").exists());

    // Grant two rights to bob: the access list shows them.
    // Right names are taken in any case.
    let grants = grant(&c, "bob", "Decrypt get").await;
    shows_all(&grants, &["decrypt", "get"]);

    // The audit trail shows the operations, newest first, 20 a page.
    click(&c, "nav a[href='#audit']").await;
    let rows = wait_text(&c, "#audit-table tbody", "Grant").await;
    shows_all(&rows, &["Create", "Encrypt", "Revoke", "Grant", &uid]);
    assert_accessible(&c, &tools, "audit").await;
    // Fifteen more rows (GetAttributes sent from the page's origin) make two pages: 20 rows,
    // then the rest, the oldest (the key's Create) last.
    let statuses = c
        .execute_async(
            "const [secret, uid, done] = arguments;
             const body = JSON.stringify({tag: 'GetAttributes', type: 'Structure', value: [
               {tag: 'UniqueIdentifier', type: 'TextString', value: uid}]});
             Promise.all(Array.from({length: 15}, () => fetch('/kmip/2_1', {method: 'POST',
               headers: {'Content-Type': 'application/json', KmsDatabaseSecret: secret}, body})
               .then(r => r.status))).then(done);",
            vec![json!(secret), json!(uid)],
        )
        .await
        .unwrap();
    assert_eq!(statuses, json!(vec![200; 15]));
    click(&c, "nav a[href='#keys']").await;
    wait_text(&c, "#keys-table tbody", "console-key").await;
    click(&c, "nav a[href='#audit']").await;
    // The table shows the earlier listing until the new one has arrived: wait for a full page.
    let deadline = Instant::now() + WAIT;
    while audit_rows(&c).await != 20 {
        assert!(Instant::now() < deadline, "never 20 rows on the first page");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let newer = c.find(Locator::Id("audit-prev")).await.unwrap();
    let older = c.find(Locator::Id("audit-next")).await.unwrap();
    assert!(!newer.is_enabled().await.unwrap());
    older.click().await.unwrap();
    wait_text(&c, "#audit-page", "Page 2").await;
    wait_text(&c, "#audit-table tbody", "Create").await;
    let on_page_2 = audit_rows(&c).await;
    assert!(
        (1..20).contains(&on_page_2),
        "{on_page_2} rows on the last page"
    );
    assert!(newer.is_enabled().await.unwrap());
    assert!(!older.is_enabled().await.unwrap());
    newer.click().await.unwrap();
    wait_text(&c, "#audit-page", "Page 1").await;

    // The attestation evidence: what the server printed at start, labelled as its own report,
    // with the `ekms trust` command that checks it.
    click(&c, "nav a[href='#attestation']").await;
    let evidence = wait_text(&c, "#evidence", &server.mr_enclave).await;
    shows_all(&evidence, &[&server.mr_signer, &server.sha256]);
    assert!(
        evidence.contains("debug\nfalse") || evidence.contains("debug false"),
        "{evidence}"
    );
    let warning = wait_text(
        &c,
        "#page-attestation .warning",
        "Reported by the server itself",
    )
    .await;
    assert!(warning.contains("cannot prove the server"));
    let command = wait_text(&c, "#trust-command", "trust").await;
    assert!(
        command.starts_with(&format!("ekms --server-url {} trust", server.url))
            && command.contains(&format!("--mr-enclave {}", server.mr_enclave))
            && command.contains("--allow-emulated"),
        "{command}"
    );
    wait_text(&c, "#manifest", "loader").await;
    assert_accessible(&c, &tools, "attestation").await;

    c.close().await.unwrap();
}

#[tokio::test]
async fn the_secret_stays_in_the_tab_memory_only() {
    let Some(tools) = tools() else { return };
    let (server, _user, secret, c, _keep) = scene(&tools).await;

    sign_in(&c, &server, &secret).await;
    // The form is emptied once the secret is taken.
    let field = c.find(Locator::Id("secret")).await.unwrap();
    assert_eq!(field.prop("value").await.unwrap().as_deref(), Some(""));

    assert_nothing_stored(&c, &[&secret]).await;

    // A reload forgets it: the sign-in page again.
    c.refresh().await.unwrap();
    wait_text(&c, "#sign-in-title", "Sign in").await;
    assert!(
        c.find(Locator::Id("page-sign-in"))
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );
    c.close().await.unwrap();
}

/// The key's uid shown in the first row of the keys table whose name is `name`.
async fn uid_in_table(c: &Client, name: &str) -> String {
    let rows = wait_text(c, "#keys-table tbody", name).await;
    let row = rows
        .lines()
        .find(|l| l.contains(name))
        .unwrap_or_else(|| panic!("no row of {name} in {rows:?}"));
    row.split_whitespace()
        .find(|w| w.len() == 36 && w.matches('-').count() == 4)
        .unwrap_or_else(|| panic!("no identifier in {row:?}"))
        .to_string()
}

#[tokio::test]
async fn locate_activate_rekey_links_revoke_rights_and_destroy() {
    let Some(tools) = tools() else { return };
    let (server, user, secret, c, _keep) = scene(&tools).await;
    sign_in(&c, &server, &secret).await;

    // A PreActive key and an active one; locating by name shows only the one named.
    click(&c, "#create-active").await;
    submit(
        &c,
        "create-form",
        &[("create-name", "pre-key")],
        "Created key pre-key",
    )
    .await;
    submit(
        &c,
        "create-form",
        &[("create-name", "other-key")],
        "Created key other-key",
    )
    .await;
    let pre = uid_in_table(&c, "pre-key").await;
    let other = uid_in_table(&c, "other-key").await;
    fill(&c, "locate-name", "other-key").await;
    click(&c, "#locate-form button[type=submit]").await;
    let deadline = Instant::now() + WAIT;
    while c
        .find(Locator::Css("#keys-table tbody"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("pre-key")
    {
        assert!(
            Instant::now() < deadline,
            "Locate by name still lists pre-key"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    wait_text(&c, "#keys-table tbody", &other).await;

    // Activate the PreActive key from its page.
    fill(&c, "locate-name", "").await;
    click(&c, "#locate-form button[type=submit]").await;
    wait_text(&c, "#keys-table tbody", "pre-key").await;
    click(&c, &format!("#keys-table tbody a[href='#key/{pre}']")).await;
    let attributes = wait_text(&c, "#key-attributes", "PreActive").await;
    assert!(attributes.contains(&pre), "{attributes}");
    click(&c, "#key-actions button[data-action=Activate]").await;
    wait_text(&c, "#status", "Activate done").await;
    let deadline = Instant::now() + WAIT;
    while wait_text(&c, "#key-attributes", "Active")
        .await
        .contains("PreActive")
    {
        assert!(
            Instant::now() < deadline,
            "the page never showed the key Active"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Rekeyed with the CLI: each key's page links to the other.
    let out = user.ekms().args(["keys", "rekey", &pre]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let new = String::from_utf8(out.stdout).unwrap().trim().to_string();
    click(&c, "nav a[href='#keys']").await;
    let listed = wait_text(&c, "#keys-table tbody", &new).await;
    assert!(listed.contains(&pre), "{listed}");
    click(&c, &format!("#keys-table tbody a[href='#key/{pre}']")).await;
    let links = wait_text(&c, "#key-links", "ReplacementObjectLink").await;
    assert!(links.contains(&new), "{links}");
    click(&c, "#key-links a").await;
    let back = wait_text(&c, "#key-links", "ReplacedObjectLink").await;
    assert!(back.contains(&pre), "{back}");

    // Grant a right, then revoke it from the access list.
    grant(&c, "carol", "encrypt").await;
    click(&c, "#grants-table tbody button").await;
    wait_text(&c, "#status", "Revoked encrypt from carol").await;
    wait_text(&c, "#grants-table tbody", "No rights granted.").await;

    // Destroy: refused while Active (the page says why), done once revoked.
    click(&c, "nav a[href='#keys']").await;
    click(&c, &format!("#keys-table tbody a[href='#key/{other}']")).await;
    wait_text(&c, "#key-title", "other-key").await;
    click(&c, "#key-actions button[data-action=Destroy]").await;
    c.accept_alert().await.unwrap();
    wait_text(&c, "#status", "Destroy failed").await;
    click(&c, "#key-actions button[data-action=Revoke]").await;
    wait_text(&c, "#status", "Revoke done").await;
    click(&c, "#key-actions button[data-action=Destroy]").await;
    c.accept_alert().await.unwrap();
    wait_text(&c, "#status", "Destroy done").await;
    wait_text(&c, "#key-attributes", "Destroyed").await;
    c.close().await.unwrap();
}

#[tokio::test]
async fn sign_in_with_a_bearer_token_on_a_server_with_jwt_authentication() {
    let Some(tools) = tools() else { return };
    let work = tempfile::tempdir().unwrap();
    let idp = Idp::new(work.path());
    let server = idp.start_server();
    let token = idp.token("alice@example.com");
    let alice = User::new();
    write_config(&alice, &format!("bearer_token = {token:?}\n"));
    alice.register_pinned(&server);
    let secret = alice.secret();
    let driver = start_driver(&tools);
    let c = browser(&tools, &driver, &server, &work.path().join("profile")).await;

    // The group secret alone does not do on this server; with alice's token it does.
    c.goto(&format!("{}/ui/", server.url)).await.unwrap();
    submit(
        &c,
        "sign-in-form",
        &[("secret", &secret)],
        "Sign-in refused",
    )
    .await;
    submit(
        &c,
        "sign-in-form",
        &[("secret", &secret), ("token", &token)],
        "Signed in.",
    )
    .await;
    assert_nothing_stored(&c, &[&secret, &token]).await;

    // What she creates is hers: the key's access list names her as its owner.
    submit(
        &c,
        "create-form",
        &[("create-name", "alice-key")],
        "Created key",
    )
    .await;
    click(&c, "#keys-table tbody a").await;
    wait_text(&c, "#key-owner", "Owner: alice@example.com").await;
    c.close().await.unwrap();
}
