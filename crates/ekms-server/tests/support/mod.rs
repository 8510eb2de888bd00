//! Test support: starts the real `ekms-server` binary on an ephemeral port with temporary
//! directories, and a client that trusts exactly its certificate.
#![allow(dead_code)]

pub mod nodes;

use ekms_testkit::Process;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

/// With `EKMS_TEST_DATABASE` set (to anything), every test server keeps its groups in
/// PostgreSQL (a throwaway cluster, ekms-testkit's `postgres`) instead of SQLCipher files: one
/// database per data dir, so a server restarted on its data dir finds its groups again. Returns
/// the URL and the password file.
fn test_database(data_dir: &Path) -> Option<(String, PathBuf)> {
    use std::io::Write;
    std::env::var_os("EKMS_TEST_DATABASE")?;
    let cluster = ekms_testkit::postgres::cluster()?;
    let db = test_database_name(data_dir, Some(cluster))?;
    // Written once per test binary: tests start servers in parallel, and a file rewritten for
    // each could be read empty by a server starting meanwhile.
    static PASSWORD_FILE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let password_file = PASSWORD_FILE
        .get_or_init(|| {
            let path =
                std::env::temp_dir().join(format!("ekms-test-pg-password-{}", std::process::id()));
            std::fs::write(&path, cluster.password()).unwrap();
            path
        })
        .clone();
    // Written to the process's stderr itself (the harness captures `eprintln!`): a run meant
    // for PostgreSQL shows that it was.
    let _ = writeln!(std::io::stderr(), "test server on PostgreSQL database {db}");
    Some((cluster.url(&db), password_file))
}

/// With `EKMS_TEST_DATABASE` set, adds the `--database` arguments of [`test_database`].
fn test_database_args(cmd: &mut Command, data_dir: &Path) {
    if let Some((url, password_file)) = test_database(data_dir) {
        cmd.arg("--database")
            .arg(url)
            .arg("--database-password-file")
            .arg(password_file);
    }
}

/// The database of the servers on `data_dir`, made by `cluster` at the first call (none
/// given: only if made before).
fn test_database_name(
    data_dir: &Path,
    cluster: Option<&ekms_testkit::postgres::Cluster>,
) -> Option<String> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static DATABASES: OnceLock<Mutex<HashMap<PathBuf, String>>> = OnceLock::new();
    let mut databases = DATABASES.get_or_init(Default::default).lock().unwrap();
    match cluster {
        Some(c) => Some(
            databases
                .entry(data_dir.to_path_buf())
                .or_insert_with(|| c.database())
                .clone(),
        ),
        None => databases.get(data_dir).cloned(),
    }
}

/// With `EKMS_TEST_DATABASE` set, the `pg_dump` (plain SQL) of the database the servers on
/// `data_dir` keep their groups in: where a test of what reaches the disk looks besides the
/// data dir. `None` when the servers keep their groups in SQLCipher files.
pub fn database_dump(data_dir: &Path) -> Option<String> {
    let db = test_database_name(data_dir, None)?;
    Some(ekms_testkit::postgres::cluster()?.dump(&db))
}

/// Whether this run keeps its groups in PostgreSQL (`EKMS_TEST_DATABASE`), where a test of
/// something only SQLCipher files have (their modes, their bytes on disk) has nothing to
/// check: then it prints one line saying so, naming `why`, and the test returns.
pub fn skipped_on_postgres(why: &str) -> bool {
    use std::io::Write;
    if std::env::var_os("EKMS_TEST_DATABASE").is_none() {
        return false;
    }
    let _ = writeln!(std::io::stderr(), "skipped on PostgreSQL: {why}");
    true
}

/// The ids of the groups the servers on `data_dir` keep: the `.db` files under its `groups/`
/// on SQLCipher, the rows of `ekms_groups` with `EKMS_TEST_DATABASE` (PostgreSQL).
pub fn stored_groups(data_dir: &Path) -> Vec<String> {
    if let Some(db) = test_database_name(data_dir, None) {
        let cluster = ekms_testkit::postgres::cluster().unwrap();
        let out = cluster
            .client("psql", &db)
            .args(["-tA", "-c", "SELECT group_id FROM ekms_groups"])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql: {out:?}");
        return String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect();
    }
    let dir = data_dir.join("groups");
    if !dir.exists() {
        return Vec::new();
    }
    files_under(&dir)
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "db"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

pub struct Server {
    /// The running binary (killed when the server is dropped); its log is everything the
    /// server printed, stdout and stderr.
    pub child: Process,
    pub url: String,
    pub cert_sha256: String,
    pub data_dir: PathBuf,
    pub platform_dir: PathBuf,
    pub http: reqwest::Client,
}

impl Server {
    /// Starts the server with a data dir and a platform dir under `root`, plus `extra` args.
    pub fn start_in(root: &Path, extra: &[&str]) -> Server {
        Self::start_with(root, extra, &[])
    }

    pub fn start_with(root: &Path, extra: &[&str], env: &[(&str, &str)]) -> Server {
        Self::start_dirs(root.join("data"), root.join("platform"), extra, env)
    }

    pub fn start_dirs(
        data_dir: PathBuf,
        platform_dir: PathBuf,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Server {
        let mut cmd = Self::bare_command(
            Command::new(env!("CARGO_BIN_EXE_ekms-server")),
            &data_dir,
            &platform_dir,
        );
        // A test that names its own database (several nodes on one) keeps it.
        if !extra.contains(&"--database") {
            test_database_args(&mut cmd, &data_dir);
        }
        cmd.args(extra);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Self::spawn(cmd, data_dir, platform_dir)
    }

    /// `cmd` (the server binary, or a wrapper that runs it) with the arguments every test
    /// server takes: an ephemeral port, the two directories, debug logs, and none of the
    /// caller's settings from the environment.
    pub fn command(cmd: Command, data_dir: &Path, platform_dir: &Path) -> Command {
        let mut cmd = Self::bare_command(cmd, data_dir, platform_dir);
        test_database_args(&mut cmd, data_dir);
        cmd
    }

    /// As [`Server::command`], without the database of `EKMS_TEST_DATABASE`.
    fn bare_command(mut cmd: Command, data_dir: &Path, platform_dir: &Path) -> Command {
        cmd.arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--emulated-platform-dir")
            .arg(platform_dir)
            .env("EKMS_LOG", "debug");
        ekms_testkit::clear_env(&mut cmd, ekms_testkit::SERVER_ENV);
        cmd
    }

    pub fn spawn(cmd: Command, data_dir: PathBuf, platform_dir: PathBuf) -> Server {
        let child = Process::start(cmd, "ekms-server");
        // The measurement block ends the start-up lines ("debug: ..."); wait for all of them.
        let lines = child.wait_for(Duration::from_secs(30), |l| {
            ekms_testkit::printed(l, "listening on ").is_some()
                && ekms_testkit::printed(l, "certificate sha256: ").is_some()
                && l.iter().any(|l| l.trim_start().starts_with("debug: "))
        });
        let cert_pem = std::fs::read(data_dir.join("certificate.pem")).ok();
        let http = client_trusting(cert_pem.as_deref());
        Server {
            child,
            url: ekms_testkit::printed(&lines, "listening on ").unwrap(),
            cert_sha256: ekms_testkit::printed(&lines, "certificate sha256: ").unwrap(),
            data_dir,
            platform_dir,
            http,
        }
    }

    pub fn log(&self) -> String {
        self.child.log()
    }

    /// SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        self.child.kill();
    }

    /// `method path` with the group secret and no body: the status and the JSON body (null
    /// when there is none).
    pub async fn call(&self, method: reqwest::Method, path: &str, secret: &str) -> (u16, Value) {
        answer(
            self.http
                .request(method, format!("{}{path}", self.url))
                .header("KmsDatabaseSecret", secret),
        )
        .await
    }

    pub async fn register(&self) -> String {
        self.register_group().await.1
    }

    /// Registers a group: its id and its secret.
    pub async fn register_group(&self) -> (String, String) {
        let r = self
            .http
            .post(format!("{}/register", self.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        let field = |k: &str| v[k].as_str().unwrap().to_string();
        (field("group_id"), field("secret"))
    }

    /// GETs `path` (from `/`), which must answer; the body as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.unwrap()
    }

    /// GETs `path` (from `/`), which must answer; the body as text.
    pub async fn get_text(&self, path: &str) -> String {
        self.get(path).await.text().await.unwrap()
    }

    /// GETs `path` (from `/`), which must answer; the response.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .unwrap()
    }

    /// Sends one KMIP 2.1 JSON operation; returns (status, body).
    pub async fn kmip(&self, secret: Option<&str>, body: &Value) -> (u16, Value) {
        self.kmip_raw(secret, serde_json::to_vec(body).unwrap())
            .await
    }

    pub async fn kmip_raw(&self, secret: Option<&str>, body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}/kmip/2_1", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(s) = secret {
            req = req.header("KmsDatabaseSecret", s);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let v = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("non-JSON answer ({status}): {text}"));
        (status, v)
    }

    /// Sends an operation that must succeed; returns the response's value items.
    pub async fn ok(&self, secret: &str, body: Value) -> Vec<Value> {
        let (status, v) = self.kmip(Some(secret), &body).await;
        assert_eq!(status, 200, "{body} -> {v}");
        v["value"].as_array().cloned().unwrap_or_default()
    }
}

/// The key material of the symmetric key `uid`, read with Get.
pub async fn key_bytes(s: &Server, secret: &str, uid: &str) -> Vec<u8> {
    let got = s.ok(secret, uid_op("Get", uid)).await;
    let block = field(&got, "SymmetricKey").as_array().unwrap()[0]["value"].clone();
    let value = field(block.as_array().unwrap(), "KeyValue")
        .as_array()
        .unwrap()
        .clone();
    hex::decode(field(&value, "KeyMaterial").as_str().unwrap()).unwrap()
}

/// Sends `request`: the status and the JSON body (null when there is none).
pub async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A rustls client configuration trusting exactly the server's certificate.
pub fn tls_config(s: &Server) -> rustls::ClientConfig {
    let pem = std::fs::read(s.data_dir.join("certificate.pem")).unwrap();
    tls_trusting(&[&pem])
}

/// A rustls client configuration trusting exactly the certificates of the PEM texts `pems`.
pub fn tls_trusting(pems: &[&[u8]]) -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for pem in pems {
        for c in rustls_pemfile::certs(&mut &pem[..]) {
            roots.add(c.unwrap()).unwrap();
        }
    }
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A reqwest client that trusts exactly the given self-signed certificate (or, without one,
/// nothing at all).
pub fn client_trusting(cert_pem: Option<&[u8]>) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(tls_trusting(cert_pem.as_slice()))
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// The body of `GET url` through `http`, as text.
pub async fn get_text(http: &reqwest::Client, url: &str) -> String {
    let r = http.get(url).send().await.unwrap();
    r.text().await.unwrap()
}

/// The value of the line `<key> <value>` the server printed in `log`; panics without one.
pub fn printed(log: &str, key: &str) -> String {
    log.lines()
        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("no `{key}` line in:\n{log}"))
}

/// The value of the first item with `tag` in a response's items.
pub fn field<'a>(items: &'a [Value], tag: &str) -> &'a Value {
    items
        .iter()
        .find(|i| i["tag"] == tag)
        .map(|i| &i["value"])
        .unwrap_or_else(|| panic!("no {tag} in {items:?}"))
}

pub fn uid_of(items: &[Value]) -> String {
    field(items, "UniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string()
}

pub fn text(tag: &str, v: &str) -> Value {
    json!({"tag": tag, "type": "TextString", "value": v})
}

pub fn bytes(tag: &str, v: &[u8]) -> Value {
    json!({"tag": tag, "type": "ByteString", "value": hex::encode_upper(v)})
}

pub fn op(name: &str, items: Vec<Value>) -> Value {
    json!({"tag": name, "type": "Structure", "value": items})
}

/// A Create request for a symmetric key; `active` adds an ActivationDate of now.
pub fn create_key(alg: &str, bits: i32, name: Option<&str>, active: bool) -> Value {
    let mut attrs = vec![
        json!({"tag": "CryptographicAlgorithm", "type": "Enumeration", "value": alg}),
        json!({"tag": "CryptographicLength", "type": "Integer", "value": bits}),
        json!({"tag": "CryptographicUsageMask", "type": "Integer", "value": 12}),
    ];
    if let Some(n) = name {
        attrs.push(json!({"tag": "Name", "type": "Structure", "value": [
            text("NameValue", n),
            {"tag": "NameType", "type": "Enumeration", "value": "UninterpretedTextString"}
        ]}));
    }
    if active {
        let now = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap();
        attrs.push(json!({"tag": "ActivationDate", "type": "DateTime", "value": now}));
    }
    op(
        "Create",
        vec![
            json!({"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"}),
            json!({"tag": "Attributes", "type": "Structure", "value": attrs}),
        ],
    )
}

pub fn uid_op(name: &str, uid: &str) -> Value {
    op(name, vec![text("UniqueIdentifier", uid)])
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Opens a TLS connection (trusting anything: these tests look at HTTP framing, not trust),
/// writes `head` and then `body_chunks` one by one, and returns what the server answered,
/// stopping at the first write error (the server may close early, which is the point).
pub async fn raw_http1(url: &str, head: &str, body_chunks: &[Vec<u8>]) -> String {
    String::from_utf8_lossy(&raw_http1_bytes(url, head, body_chunks).await).into_owned()
}

/// As [`raw_http1`], the answer's bytes.
pub async fn raw_http1_bytes(url: &str, head: &str, body_chunks: &[Vec<u8>]) -> Vec<u8> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = url.trim_start_matches("https://").to_string();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCert))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut tls = connector.connect(name, tcp).await.unwrap();
    tls.write_all(head.as_bytes()).await.unwrap();
    for c in body_chunks {
        if tls.write_all(c).await.is_err() {
            break;
        }
    }
    let _ = tls.flush().await;
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tls.read_to_end(&mut out)).await;
    out
}

#[derive(Debug)]
struct AnyCert;

impl rustls::client::danger::ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        Ok(rustls::client::danger::HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        rustls::crypto::aws_lc_rs::default_provider()
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `GET /quote?<nonce_query>`: the status and the body.
pub async fn get_quote(s: &Server, nonce_query: &str) -> (u16, String) {
    let r = s
        .http
        .get(format!("{}/quote?{nonce_query}", s.url))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}
