//! Rights inside a group, over HTTPS: two users of one group (the server restarted with
//! `--default-user` alice, then bob, on the same data directory), grants, Locate, audit.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod jwt_support;
mod operations_common;
mod support;

use serde_json::{Value, json};
use support::*;

fn start(root: &std::path::Path, user: &str) -> Server {
    Server::start_in(root, &["--default-user", user])
}

async fn post(s: &Server, secret: &str, path: &str, body: Value) -> u16 {
    s.http
        .post(format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret)
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn get_json(s: &Server, secret: &str, path: &str) -> (u16, Value) {
    let r = s
        .http
        .get(format!("{}{path}", s.url))
        .header("KmsDatabaseSecret", secret)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn grant_body(uid: &str, user: &str, ops: &[&str]) -> Value {
    json!({"unique_identifier": uid, "user_id": user, "operations": ops})
}

async fn located(s: &Server, secret: &str) -> Vec<String> {
    let items = s.ok(secret, op("Locate", vec![])).await;
    items
        .iter()
        .filter(|v| v["tag"] == "UniqueIdentifier")
        .filter_map(|v| v["value"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn owner_grant_revoke_star_locate_and_audit() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    let mut alice = start(root, "alice");
    let secret = alice.register().await;
    let uid = uid_of(
        &alice
            .ok(&secret, create_key("AES", 256, Some("k"), true))
            .await,
    );
    alice.ok(&secret, uid_op("Get", &uid)).await;
    alice.kill();

    let mut bob = start(root, "bob");
    assert_eq!(bob.kmip(Some(&secret), &uid_op("Get", &uid)).await.0, 403);
    assert!(located(&bob, &secret).await.is_empty());
    // Bob may not grant himself rights on alice's key.
    let g = grant_body(&uid, "bob", &["get"]);
    assert_eq!(post(&bob, &secret, "/access/grant", g.clone()).await, 403);
    bob.kill();

    let mut alice = start(root, "alice");
    assert_eq!(
        post(
            &alice,
            &secret,
            "/access/grant",
            grant_body(&uid, "bob", &["launch"])
        )
        .await,
        400
    );
    assert_eq!(post(&alice, &secret, "/access/grant", g.clone()).await, 200);
    let (st, list) = get_json(&alice, &secret, &format!("/access/{uid}")).await;
    assert_eq!(st, 200);
    assert_eq!(list["grants"][0]["user"], "bob");
    alice.kill();

    let mut bob = start(root, "bob");
    bob.ok(&secret, uid_op("Get", &uid)).await;
    assert_eq!(located(&bob, &secret).await, vec![uid.clone()]);
    assert_eq!(
        bob.kmip(Some(&secret), &uid_op("GetAttributes", &uid))
            .await
            .0,
        403
    );
    assert_eq!(
        bob.kmip(Some(&secret), &uid_op("Destroy", &uid)).await.0,
        403
    );
    let g2 = grant_body(&uid, "carol", &["get"]);
    assert_eq!(post(&bob, &secret, "/access/grant", g2).await, 403);
    let (_, obtained) = get_json(&bob, &secret, "/access/obtained").await;
    assert!(
        obtained
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["uid"] == uid.as_str())
    );
    bob.kill();

    let mut alice = start(root, "alice");
    assert_eq!(post(&alice, &secret, "/access/revoke", g).await, 200);
    let star = grant_body(&uid, "*", &["get_attributes"]);
    assert_eq!(post(&alice, &secret, "/access/grant", star).await, 200);
    let (_, owned) = get_json(&alice, &secret, "/access/owned").await;
    assert_eq!(owned, json!([uid]));
    alice.kill();

    let mut bob = start(root, "bob");
    assert_eq!(bob.kmip(Some(&secret), &uid_op("Get", &uid)).await.0, 403);
    bob.kill();
    let mut carol = start(root, "carol");
    carol.ok(&secret, uid_op("GetAttributes", &uid)).await;
    assert_eq!(carol.kmip(Some(&secret), &uid_op("Get", &uid)).await.0, 403);

    // carol is not the administrator: alice registered the group.
    assert_eq!(get_json(&carol, &secret, "/audit").await.0, 403);
    carol.kill();
    let mut carol = start(root, "alice");
    let (st, rows) = get_json(&carol, &secret, &format!("/audit?object={uid}&limit=100")).await;
    assert_eq!(st, 200);
    let mut seen: Vec<(String, String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["user"].as_str().unwrap_or("").to_string(),
                r["operation"].as_str().unwrap_or("").to_string(),
                r["result"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    seen.reverse();
    let t = |u: &str, o: &str, r: &str| (u.to_string(), o.to_string(), r.to_string());
    let expected = vec![
        t("alice", "Create", "ok"),
        t("alice", "Get", "ok"),
        t("bob", "Get", "PermissionDenied"),
        t("bob", "Grant", "PermissionDenied"),
        t("alice", "Grant", "ok"),
        t("bob", "Get", "ok"),
        t("bob", "Locate", "ok"),
        t("bob", "GetAttributes", "PermissionDenied"),
        t("bob", "Destroy", "PermissionDenied"),
        t("bob", "Grant", "PermissionDenied"),
        t("alice", "RevokeAccess", "ok"),
        t("alice", "Grant", "ok"),
        t("bob", "Get", "PermissionDenied"),
        t("carol", "GetAttributes", "ok"),
        t("carol", "Get", "PermissionDenied"),
    ];
    assert_eq!(seen, expected, "{rows}");
    let text = rows.to_string();
    assert!(!text.contains(&secret));
    carol.kill();

    // A user of another group with the same name sees nothing of this one.
    let mut bob2 = start(root, "bob");
    let other = bob2.register().await;
    assert!(located(&bob2, &other).await.is_empty());
    assert_eq!(bob2.kmip(Some(&other), &uid_op("Get", &uid)).await.0, 404);
    bob2.kill();
}

/// A decrypt-only grant: bob, granted only `decrypt`, decrypts alice's
/// data (through KMIP and the stream route) but can neither encrypt, destroy nor grant.
#[tokio::test(flavor = "multi_thread")]
async fn a_decrypt_grant_allows_decrypt_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let alice = start(root, "alice");
    let secret = alice.register().await;
    let uid = uid_of(&alice.ok(&secret, create_key("AES", 256, None, true)).await);
    let enc = alice
        .ok(
            &secret,
            op(
                "Encrypt",
                vec![text("UniqueIdentifier", &uid), bytes("Data", b"for bob")],
            ),
        )
        .await;
    let decrypt = op(
        "Decrypt",
        vec![
            text("UniqueIdentifier", &uid),
            json!({"tag": "Data", "type": "ByteString", "value": field(&enc, "Data")}),
            json!({"tag": "IVCounterNonce", "type": "ByteString", "value": field(&enc, "IVCounterNonce")}),
            json!({"tag": "AuthenticatedEncryptionTag", "type": "ByteString", "value": field(&enc, "AuthenticatedEncryptionTag")}),
        ],
    );
    let stream = alice
        .http
        .post(format!("{}/v1/encrypt/{uid}", alice.url))
        .header("KmsDatabaseSecret", &secret)
        .body(b"streamed for bob".to_vec())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert_eq!(
        post(
            &alice,
            &secret,
            "/access/grant",
            grant_body(&uid, "bob", &["decrypt"])
        )
        .await,
        200
    );
    drop(alice);

    let bob = start(root, "bob");
    let back = bob.ok(&secret, decrypt.clone()).await;
    assert_eq!(
        hex::decode(field(&back, "Data").as_str().unwrap()).unwrap(),
        b"for bob"
    );
    let r = bob
        .http
        .post(format!("{}/v1/decrypt/{uid}", bob.url))
        .header("KmsDatabaseSecret", &secret)
        .body(stream)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), b"streamed for bob");
    for refused in [
        op(
            "Encrypt",
            vec![text("UniqueIdentifier", &uid), bytes("Data", b"x")],
        ),
        uid_op("Destroy", &uid),
        uid_op("Get", &uid),
    ] {
        let (status, v) = bob.kmip(Some(&secret), &refused).await;
        assert_eq!(
            (status, v["error"].as_str()),
            (403, Some("PermissionDenied")),
            "{refused}"
        );
    }
    let r = bob
        .http
        .post(format!("{}/v1/encrypt/{uid}", bob.url))
        .header("KmsDatabaseSecret", &secret)
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        post(
            &bob,
            &secret,
            "/access/grant",
            grant_body(&uid, "carol", &["decrypt"])
        )
        .await,
        403,
        "a grantee cannot grant on"
    );
}

/// Every right of docs/access.md, object rights then group rights.
const RIGHTS: [&str; 18] = [
    "get",
    "export",
    "encrypt",
    "decrypt",
    "sign",
    "verify",
    "mac",
    "mac_verify",
    "wrap",
    "unwrap",
    "rekey",
    "activate",
    "revoke",
    "destroy",
    "get_attributes",
    "set_attributes",
    "create",
    "audit",
];

/// Locate filters, it does not refuse: a user holding a single right (each right in turn) on
/// one of alice's keys finds that key and no other, with or without filters, and a filter that
/// matches nothing answers an empty list, never PermissionDenied. A user holding only a group
/// right (`create`, `audit`) finds nothing. Through `/kmip/2_1` with JWT users.
#[tokio::test(flavor = "multi_thread")]
async fn locate_with_any_single_right_finds_that_object_and_no_other() {
    use jwt_support::{Idp, kmip as kmip_as};
    let dir = tempfile::tempdir().unwrap();
    let idp = Idp::new(dir.path(), "k1");
    let flags = idp.flags();
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let s = Server::start_in(dir.path(), &flags);
    let alice = idp.token("alice@example.com");
    let (status, body, _) = jwt_support::register(&s.http, &s.url, Some(&alice)).await;
    assert_eq!(status, 201, "{body}");
    let secret = body["secret"].as_str().unwrap().to_string();
    let as_user = |token: String, body: Value| {
        let s = &s;
        let secret = secret.clone();
        async move { kmip_as(&s.http, &s.url, Some(&token), &secret, &body).await }
    };
    let uids_of = |v: &Value| -> Vec<String> {
        v["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|i| i["tag"] == "UniqueIdentifier")
            .filter_map(|i| i["value"].as_str().map(str::to_string))
            .collect()
    };
    // One key per right, each named after its right, and one key nobody is granted.
    let mut keys = Vec::new();
    for right in RIGHTS.iter().chain(["nobody"].iter()) {
        let (st, v) = as_user(
            alice.clone(),
            create_key("AES", 256, Some(&format!("key-{right}")), true),
        )
        .await;
        assert_eq!(st, 200, "{v}");
        keys.push(uids_of(&v).remove(0));
    }
    for (i, right) in RIGHTS.iter().enumerate() {
        let user = format!("{right}@example.com");
        let group = matches!(*right, "create" | "audit");
        let uid = if group { "*" } else { keys[i].as_str() };
        let grant = s
            .http
            .post(format!("{}/access/grant", s.url))
            .bearer_auth(&alice)
            .header("KmsDatabaseSecret", &secret)
            .json(&json!({"unique_identifier": uid, "user_id": user, "operations": [right]}))
            .send()
            .await
            .unwrap();
        assert_eq!(grant.status(), 200, "grant {right}");
        let token = idp.token(&user);
        let expected: Vec<String> = if group { vec![] } else { vec![keys[i].clone()] };
        let name = |n: &str| {
            json!({"tag": "Attributes", "type": "Structure", "value": [
                {"tag": "Name", "type": "Structure", "value": [
                    {"tag": "NameValue", "type": "TextString", "value": n},
                    {"tag": "NameType", "type": "Enumeration", "value": "UninterpretedTextString"}
                ]}
            ]})
        };
        for (filters, want) in [
            (vec![], expected.clone()),
            (vec![name("nothing-matches")], vec![]),
            (vec![name(&format!("key-{right}"))], expected.clone()),
            (vec![name("key-nobody")], vec![]),
            (
                vec![json!({"tag": "Attributes", "type": "Structure", "value": [
                    {"tag": "ObjectType", "type": "Enumeration", "value": "SymmetricKey"}
                ]})],
                expected.clone(),
            ),
        ] {
            let (st, v) = as_user(token.clone(), op("Locate", filters.clone())).await;
            assert_eq!(st, 200, "{right}: Locate {filters:?} -> {v}");
            assert_eq!(uids_of(&v), want, "{right}: Locate {filters:?}");
        }
    }
}

/// The rows `| `name` | need |` of docs/access.md's tables of what each operation and route
/// needs.
fn documented_needs() -> Vec<(String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access.md");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().strip_prefix('|')?.split('|').collect();
            let name = cells.first()?.trim().strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), cells.get(1)?.trim().to_string()))
        })
        .collect()
}

/// One server, one group registered by alice (its administrator), JWT users.
struct Walk {
    s: Server,
    idp: jwt_support::Idp,
    secret: String,
    _dir: tempfile::TempDir,
}

const ALICE: &str = "alice@example.com";
const NOBODY: &str = "nobody@example.com";

impl Walk {
    async fn start() -> Walk {
        let dir = tempfile::tempdir().unwrap();
        let idp = jwt_support::Idp::new(dir.path(), "k1");
        let flags = idp.flags();
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let s = Server::start_in(dir.path(), &flags);
        let (status, body, _) =
            jwt_support::register(&s.http, &s.url, Some(&idp.token(ALICE))).await;
        assert_eq!(status, 201, "{body}");
        let secret = body["secret"].as_str().unwrap().to_string();
        Walk {
            s,
            idp,
            secret,
            _dir: dir,
        }
    }

    /// `method path` as `user` (None: no credentials at all); (status, JSON body or Null).
    async fn call(&self, user: Option<&str>, route: &str, body: Option<Value>) -> (u16, Value) {
        let (method, path) = route.split_once(' ').unwrap();
        let token = user.map(|u| self.idp.token(u));
        let mut r = jwt_support::request(
            &self.s.http,
            method.parse().unwrap(),
            format!("{}{path}", self.s.url),
            token.as_deref(),
            user.map(|_| self.secret.as_str()),
        );
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    async fn kmip(&self, user: &str, body: &Value) -> (u16, Value) {
        let token = self.idp.token(user);
        jwt_support::kmip(&self.s.http, &self.s.url, Some(&token), &self.secret, body).await
    }

    /// An operation alice runs and that must succeed: its response items.
    async fn alice(&self, body: Value) -> Vec<Value> {
        let (st, v) = self.kmip(ALICE, &body).await;
        assert_eq!(st, 200, "{body} -> {v}");
        v["value"].as_array().cloned().unwrap_or_default()
    }

    async fn grant(&self, uid: &str, user: &str, right: &str, add: bool) {
        let route = if add {
            "POST /access/grant"
        } else {
            "POST /access/revoke"
        };
        let (st, v) = self
            .call(Some(ALICE), route, Some(grant_body(uid, user, &[right])))
            .await;
        assert_eq!(st, 200, "{route} {uid} {user} {right}: {v}");
    }

    async fn aes(&self, active: bool, name: Option<&str>) -> String {
        uid_of(&self.alice(create_key("AES", 256, name, active)).await)
    }

    /// An object of alice's for KMIP operation `op` and the request that runs `op` on it.
    async fn case(&self, op_name: &str) -> (String, Value) {
        use operations_common::{
            DERIVE, MAC_GENERATE, MAC_VERIFY, active_now, attributes, e, i, key_object, mask, name,
            params, register, revoke, seed_data, st,
        };
        let with = |uid: &str, more: Vec<Value>| {
            let mut v = vec![text("UniqueIdentifier", uid)];
            v.extend(more);
            op(op_name, v)
        };
        let hmac = || {
            register(
                "SymmetricKey",
                vec![mask(MAC_GENERATE | MAC_VERIFY), active_now()],
                key_object("SymmetricKey", "Raw", b"Jefe", Some("HMAC_SHA256"), None),
            )
        };
        let ed25519 = || {
            operations_common::create_key_pair(
                vec![e("CryptographicAlgorithm", "Ed25519"), active_now()],
                vec![mask(operations_common::SIGN)],
                vec![mask(operations_common::VERIFY)],
            )
        };
        match op_name {
            "GetUsageAllocation" => {
                // A key with Usage Limits to allocate from, one use per allowed request.
                let k = self.aes(true, None).await;
                let limits = st(
                    "UsageLimits",
                    vec![
                        json!({"tag": "UsageLimitsTotal", "type": "LongInteger", "value": 1000}),
                        e("UsageLimitsUnit", "Object"),
                    ],
                );
                self.alice(op(
                    "AddAttribute",
                    vec![
                        text("UniqueIdentifier", &k),
                        st("NewAttribute", vec![limits]),
                    ],
                ))
                .await;
                let count = json!({"tag": "UsageLimitsCount", "type": "LongInteger", "value": 1});
                (k.clone(), with(&k, vec![count]))
            }
            "Get" | "Export" | "GetAttributes" | "GetAttributeList" | "Check" | "ReKey"
            | "ObtainLease" => {
                let k = self.aes(true, None).await;
                (k.clone(), with(&k, vec![]))
            }
            "AddAttribute" | "SetAttribute" => {
                let k = self.aes(true, None).await;
                let new = st("NewAttribute", vec![text("Description", "d")]);
                (k.clone(), with(&k, vec![new]))
            }
            "AdjustAttribute" => {
                // A Deactivation Date, which a client may move while the key is active.
                let k = self.aes(true, None).await;
                let date = operations_common::dt("DeactivationDate", 4_102_444_800);
                self.alice(op(
                    "SetAttribute",
                    vec![text("UniqueIdentifier", &k), st("NewAttribute", vec![date])],
                ))
                .await;
                let more = vec![
                    e("AttributeReference", "DeactivationDate"),
                    e("AdjustmentType", "Increment"),
                    json!({"tag": "AdjustmentValue", "type": "Interval", "value": 60}),
                ];
                (k.clone(), with(&k, more))
            }
            "ModifyAttribute" | "DeleteAttribute" => {
                let k = self.aes(true, Some("one")).await;
                let mut more = vec![st("CurrentAttribute", vec![name("one")])];
                if op_name == "ModifyAttribute" {
                    more.push(st("NewAttribute", vec![name("deux")]));
                }
                (k.clone(), with(&k, more))
            }
            "Activate" | "Destroy" | "Archive" | "Recover" => {
                let k = self.aes(false, None).await;
                (k.clone(), with(&k, vec![]))
            }
            "Revoke" => {
                let k = self.aes(true, None).await;
                (k.clone(), revoke(&k, "CessationOfOperation"))
            }
            "Encrypt" => {
                let k = self.aes(true, None).await;
                (k.clone(), with(&k, vec![bytes("Data", b"x")]))
            }
            "Decrypt" => {
                let k = self.aes(true, None).await;
                let enc = self
                    .alice(op(
                        "Encrypt",
                        vec![text("UniqueIdentifier", &k), bytes("Data", b"x")],
                    ))
                    .await;
                let more = ["Data", "IVCounterNonce", "AuthenticatedEncryptionTag"]
                    .iter()
                    .map(|t| json!({"tag": t, "type": "ByteString", "value": field(&enc, t)}))
                    .collect();
                (k.clone(), with(&k, more))
            }
            "MAC" => {
                let k = uid_of(&self.alice(hmac()).await);
                (k.clone(), with(&k, vec![bytes("Data", b"x")]))
            }
            "MACVerify" => {
                let k = uid_of(&self.alice(hmac()).await);
                let mac = self
                    .alice(op(
                        "MAC",
                        vec![text("UniqueIdentifier", &k), bytes("Data", b"x")],
                    ))
                    .await;
                let more = vec![
                    bytes("Data", b"x"),
                    json!({"tag": "MACData", "type": "ByteString", "value": field(&mac, "MACData")}),
                ];
                (k.clone(), with(&k, more))
            }
            "ReKeyKeyPair" => {
                let pair = self.alice(ed25519()).await;
                let uid = |tag| field(&pair, tag).as_str().unwrap().to_string();
                let private = uid("PrivateKeyUniqueIdentifier");
                // It reads the public key too: the walk's user of the right may re-key that
                // one already, so the walk shows what the private key's right decides.
                let user = "ReKeyKeyPair-rekey@example.com";
                self.grant(&uid("PublicKeyUniqueIdentifier"), user, "rekey", true)
                    .await;
                let req = op(
                    "ReKeyKeyPair",
                    vec![text("PrivateKeyUniqueIdentifier", &private)],
                );
                (private, req)
            }
            "Sign" | "SignatureVerify" => {
                let pair = self.alice(ed25519()).await;
                let private = field(&pair, "PrivateKeyUniqueIdentifier")
                    .as_str()
                    .unwrap()
                    .to_string();
                let public = field(&pair, "PublicKeyUniqueIdentifier")
                    .as_str()
                    .unwrap()
                    .to_string();
                let sign = op(
                    "Sign",
                    vec![
                        text("UniqueIdentifier", &private),
                        params(vec![]),
                        bytes("Data", b"x"),
                    ],
                );
                if op_name == "Sign" {
                    return (private, sign);
                }
                let sig = self.alice(sign).await;
                let more = vec![
                    params(vec![]),
                    bytes("Data", b"x"),
                    json!({"tag": "SignatureData", "type": "ByteString", "value": field(&sig, "SignatureData")}),
                ];
                (public.clone(), with(&public, more))
            }
            "DeriveKey" => {
                let seed = uid_of(
                    &self
                        .alice(register("SecretData", vec![mask(DERIVE)], seed_data(b"pw")))
                        .await,
                );
                let derive = op(
                    "DeriveKey",
                    vec![
                        e("ObjectType", "SymmetricKey"),
                        text("UniqueIdentifier", &seed),
                        e("DerivationMethod", "PBKDF2"),
                        st(
                            "DerivationParameters",
                            vec![
                                params(vec![e("HashingAlgorithm", "SHA_256")]),
                                bytes("Salt", b"salt"),
                                i("IterationCount", 1),
                            ],
                        ),
                        attributes(vec![
                            e("CryptographicAlgorithm", "AES"),
                            i("CryptographicLength", 256),
                        ]),
                    ],
                );
                (seed, derive)
            }
            "Certify" | "ReCertify" => {
                // An Ed25519 pair whose private key may sign certificates: Certify makes its
                // public key a self-signed certificate.
                let pair = self
                    .alice(operations_common::create_key_pair(
                        vec![e("CryptographicAlgorithm", "Ed25519"), active_now()],
                        vec![mask(operations_common::SIGN | 0x1000)],
                        vec![mask(operations_common::VERIFY)],
                    ))
                    .await;
                let uid = |tag| field(&pair, tag).as_str().unwrap().to_string();
                let (private, public) = (
                    uid("PrivateKeyUniqueIdentifier"),
                    uid("PublicKeyUniqueIdentifier"),
                );
                // It reads the signing key (and the public key) too: the walk's user of the
                // right may use those already, so the walk shows what the first object's
                // right decides.
                let user = format!("{op_name}-sign@example.com");
                self.grant(&private, &user, "sign", true).await;
                let certify = op("Certify", vec![text("UniqueIdentifier", &public)]);
                if op_name == "Certify" {
                    return (public, certify);
                }
                self.grant(&public, &user, "sign", true).await;
                let cert = uid_of(&self.alice(certify).await);
                (cert.clone(), with(&cert, vec![]))
            }
            "CreateSplitKey" | "JoinSplitKey" => {
                let k = self.aes(true, None).await;
                let split = op(
                    "CreateSplitKey",
                    vec![
                        e("ObjectType", "SymmetricKey"),
                        text("UniqueIdentifier", &k),
                        i("SplitKeyParts", 2),
                        i("SplitKeyThreshold", 2),
                        e("SplitKeyMethod", "XOR"),
                        attributes(vec![]),
                    ],
                );
                if op_name == "CreateSplitKey" {
                    return (k, split);
                }
                let parts = self.alice(split).await;
                let parts: Vec<String> = parts
                    .iter()
                    .filter(|f| f["tag"] == "UniqueIdentifier")
                    .map(|f| f["value"].as_str().unwrap().to_string())
                    .collect();
                // It reads both parts: the walk's user of the right may read the second one
                // already, so the walk shows what the first part's right decides.
                self.grant(&parts[1], "JoinSplitKey-get@example.com", "get", true)
                    .await;
                let join = op(
                    "JoinSplitKey",
                    vec![
                        e("ObjectType", "SymmetricKey"),
                        text("UniqueIdentifier", &parts[0]),
                        text("UniqueIdentifier", &parts[1]),
                    ],
                );
                (parts[0].clone(), join)
            }
            other => panic!("no object case for the operation {other} of docs/access.md"),
        }
    }

    /// A request of an operation that creates an object, fresh each time (`n`).
    fn creating(op_name: &str, n: usize) -> Value {
        use operations_common::{attributes, e, key_object, mask, register};
        match op_name {
            "Create" => create_key("AES", 256, None, false),
            "CreateKeyPair" => operations_common::create_key_pair(
                vec![e("CryptographicAlgorithm", "Ed25519")],
                vec![mask(operations_common::SIGN)],
                vec![mask(operations_common::VERIFY)],
            ),
            "Register" => register(
                "SymmetricKey",
                vec![],
                key_object("SymmetricKey", "Raw", &[5; 16], Some("AES"), None),
            ),
            "Import" => op(
                "Import",
                vec![
                    text("UniqueIdentifier", &format!("imported-{n}")),
                    e("ObjectType", "SymmetricKey"),
                    attributes(vec![]),
                    key_object("SymmetricKey", "Raw", &[3; 16], Some("AES"), None),
                ],
            ),
            other => panic!("no creating case for the operation {other} of docs/access.md"),
        }
    }

    /// A refusal of the KMIP operation: 403 PermissionDenied.
    async fn refused(&self, user: &str, body: &Value, what: &str) {
        let (st, v) = self.kmip(user, body).await;
        assert_eq!(
            (st, v["error"].as_str()),
            (403, Some("PermissionDenied")),
            "{what}: {user} must be refused: {v}"
        );
    }

    async fn allowed(&self, user: &str, body: &Value, what: &str) -> Vec<Value> {
        let (st, v) = self.kmip(user, body).await;
        assert_eq!(st, 200, "{what}: {user} must be allowed: {v}");
        v["value"].as_array().cloned().unwrap_or_default()
    }
}

/// The right named in a need of the form "`right` on each object it reads…".
fn object_right(need: &str) -> Option<&str> {
    let rest = need.strip_prefix('`')?;
    let (right, tail) = rest.split_once('`')?;
    tail.starts_with(" on each object it reads")
        .then_some(right)
}

/// Walks docs/access.md's tables against one server: for every operation and route, a user
/// without what the row says is refused (Locate: filtered), and a user holding exactly that
/// succeeds. A row the walk does not know fails it, so a new row needs a case here.
#[tokio::test(flavor = "multi_thread")]
async fn every_need_of_the_table_is_enforced() {
    let rows = documented_needs();
    assert!(rows.len() > 40, "docs/access.md's tables: {rows:?}");
    let mut w = Walk::start().await;
    let mut delete_group = false;
    for (n, (name, need)) in rows.iter().enumerate() {
        let what = format!("{name} ({need})");
        let is_route = name.contains(' ');
        match need.as_str() {
            _ if !is_route && object_right(need).is_some() => {
                let right = object_right(need).unwrap();
                let (uid, req) = w.case(name).await;
                w.refused(NOBODY, &req, &what).await;
                let user = format!("{name}-{right}@example.com");
                // A grant of every other right does not do.
                for other in RIGHTS
                    .iter()
                    .filter(|r| **r != right && !["create", "audit"].contains(*r))
                {
                    w.grant(&uid, &user, other, true).await;
                }
                w.refused(&user, &req, &format!("{what} with every other right"))
                    .await;
                w.grant(&uid, &user, right, true).await;
                w.allowed(&user, &req, &what).await;
            }
            _ if is_route && object_right(need).is_some() => {
                // The stream routes.
                let right = object_right(need).unwrap();
                let k = w.aes(true, None).await;
                let path = name.replace("{uid}", &k);
                let input = if right == "decrypt" {
                    let r = jwt_support::request(
                        &w.s.http,
                        reqwest::Method::POST,
                        format!("{}/v1/encrypt/{k}", w.s.url),
                        Some(&w.idp.token(ALICE)),
                        Some(&w.secret),
                    )
                    .body(b"streamed".to_vec())
                    .send()
                    .await
                    .unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap().to_vec()
                } else {
                    b"streamed".to_vec()
                };
                let send = |user: &str| {
                    jwt_support::request(
                        &w.s.http,
                        reqwest::Method::POST,
                        format!("{}{}", w.s.url, path.split_once(' ').unwrap().1),
                        Some(&w.idp.token(user)),
                        Some(&w.secret),
                    )
                    .body(input.clone())
                    .send()
                };
                assert_eq!(send(NOBODY).await.unwrap().status(), 403, "{what}");
                let user = format!("stream-{right}@example.com");
                w.grant(&k, &user, right, true).await;
                assert_eq!(send(&user).await.unwrap().status(), 200, "{what}");
            }
            "`create` on each object it inserts" => {
                let req = Walk::creating(name, n);
                // Every user may create until the administrator revokes (`*`, `*`, `create`).
                let anyone = format!("{name}-anyone@example.com");
                w.allowed(&anyone, &Walk::creating(name, n + 1000), &what)
                    .await;
                w.grant("*", "*", "create", false).await;
                w.refused(NOBODY, &req, &what).await;
                let user = format!("{name}-create@example.com");
                w.grant("*", &user, "create", true).await;
                w.allowed(&user, &req, &what).await;
                w.grant("*", "*", "create", true).await;
            }
            "nothing: answers only objects the caller owns or holds any right on" => {
                assert_eq!(name, "Locate");
                let k = w.aes(true, None).await;
                let found = |v: Vec<Value>| -> Vec<String> {
                    v.iter()
                        .filter(|i| i["tag"] == "UniqueIdentifier")
                        .filter_map(|i| i["value"].as_str().map(str::to_string))
                        .collect()
                };
                let locate = op("Locate", vec![]);
                assert!(found(w.allowed(NOBODY, &locate, &what).await).is_empty());
                let user = "locate-get@example.com";
                w.grant(&k, user, "get", true).await;
                assert_eq!(found(w.allowed(user, &locate, &what).await), vec![k]);
            }
            "nothing (reads no object)" => {
                use operations_common::{e, i, params};
                let req = match name.as_str() {
                    "Hash" => op(
                        "Hash",
                        vec![
                            params(vec![e("HashingAlgorithm", "SHA_256")]),
                            bytes("Data", b"x"),
                        ],
                    ),
                    "RNGRetrieve" => op("RNGRetrieve", vec![i("DataLength", 16)]),
                    "RNGSeed" => op("RNGSeed", vec![bytes("Data", b"seed")]),
                    "Log" => op("Log", vec![text("LogMessage", "access")]),
                    "SetEndpointRole" => op("SetEndpointRole", vec![e("EndpointRole", "Server")]),
                    "Interop" => op(
                        "Interop",
                        vec![
                            e("InteropFunction", "Begin"),
                            text("InteropIdentifier", "access"),
                        ],
                    ),
                    "Query" => op("Query", vec![e("QueryFunction", "QueryOperations")]),
                    "DiscoverVersions" => op("DiscoverVersions", vec![]),
                    "Cancel" => op("Cancel", vec![bytes("AsynchronousCorrelationValue", b"1")]),
                    "Poll" => {
                        // Nothing is ever pending: allowed, and answered that none is.
                        let req = op("Poll", vec![bytes("AsynchronousCorrelationValue", b"1")]);
                        let (st, v) = w.kmip(NOBODY, &req).await;
                        assert_eq!(
                            v["error"].as_str(),
                            Some("ItemNotFound"),
                            "{what}: {st} {v}"
                        );
                        continue;
                    }
                    other => panic!("no case for {other}"),
                };
                w.allowed(NOBODY, &req, &what).await;
            }
            "nothing (no group)" => {
                let (st, v) = w.call(None, name, None).await;
                let st = if name == "POST /register" {
                    // Registration needs an authenticated caller, not a group.
                    w.call(Some(NOBODY), name, None).await.0
                } else {
                    st
                };
                assert!(
                    ![401, 403].contains(&st) && st < 500,
                    "{what}: answered {st} {v}"
                );
            }
            "any user of the group" => {
                if name == "POST /group/rotate-secret/confirm" {
                    // Covered with the rotation below (the administrator starts it).
                    continue;
                }
                let (st, v) = w.call(Some(NOBODY), name, None).await;
                assert_eq!(st, 200, "{what}: {v}");
            }
            "the owner of the object (the administrator for `*`)" => {
                let k = w.aes(true, None).await;
                for uid in [k.as_str(), "*"] {
                    let (path, body) = if name.starts_with("GET ") {
                        (name.replace("{uid}", uid), None)
                    } else {
                        (
                            name.clone(),
                            Some(grant_body(
                                uid,
                                "someone@example.com",
                                &[if uid == "*" { "audit" } else { "get" }],
                            )),
                        )
                    };
                    let (st, v) = w.call(Some(NOBODY), &path, body.clone()).await;
                    assert_eq!(st, 403, "{what} on {uid}: {v}");
                    let (st, v) = w.call(Some(ALICE), &path, body).await;
                    assert_eq!(st, 200, "{what} on {uid}: {v}");
                }
            }
            "`audit` (group right)" => {
                let (st, _) = w.call(Some(NOBODY), name, None).await;
                assert_eq!(st, 403, "{what}");
                let user = "auditor@example.com";
                w.grant("*", user, "audit", true).await;
                let (st, v) = w.call(Some(user), name, None).await;
                assert_eq!(st, 200, "{what}: {v}");
            }
            "the recorded administrator" if name == "DELETE /group" => delete_group = true,
            "the recorded administrator" if name.contains(" /audit/") => {
                // The trail's bounds: an `audit` grant reads them, only the administrator
                // changes them or prunes.
                let (route, body) = if name.starts_with("PUT ") {
                    (name.clone(), Some(json!({"max_rows": null})))
                } else {
                    (format!("{name}?through=0"), None)
                };
                let user = "auditor-not-admin@example.com";
                w.grant("*", user, "audit", true).await;
                for u in [NOBODY, user] {
                    let (st, v) = w.call(Some(u), &route, body.clone()).await;
                    assert_eq!(st, 403, "{what} by {u}: {v}");
                }
                let (st, v) = w.call(Some(ALICE), &route, body).await;
                assert_eq!(st, 200, "{what}: {v}");
            }
            "the recorded administrator" => {
                assert_eq!(name, "POST /group/rotate-secret");
                // A user granted every group right is still not the administrator.
                let user = "almost-admin@example.com";
                w.grant("*", user, "audit", true).await;
                w.grant("*", user, "create", true).await;
                for u in [NOBODY, user] {
                    assert_eq!(w.call(Some(u), name, None).await.0, 403, "{what}");
                }
                let (st, v) = w.call(Some(ALICE), name, None).await;
                assert_eq!(st, 200, "{what}: {v}");
                w.secret = v["secret"].as_str().unwrap().to_string();
                let (st, v) = w
                    .call(Some(NOBODY), "POST /group/rotate-secret/confirm", None)
                    .await;
                assert_eq!(st, 200, "confirm by any user of the group: {v}");
            }
            "each operation's own need" => {
                // The operations' rows are walked through `POST /kmip/2_1`; `POST /kmip` runs
                // the same dispatcher on binary TTLV.
                assert!(name.starts_with("POST /kmip"), "{what}");
            }
            other => panic!("docs/access.md row {name} has a need the walk does not know: {other}"),
        }
    }
    assert!(delete_group, "DELETE /group is in the table");
    let (st, _) = w.call(Some(NOBODY), "DELETE /group", None).await;
    assert_eq!(st, 403, "DELETE /group by a user of the group");
    let (st, v) = w.call(Some(ALICE), "DELETE /group", None).await;
    assert_eq!(st, 204, "DELETE /group by the administrator: {v}");
}
