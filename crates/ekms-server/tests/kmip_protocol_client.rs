//! A second real client: NLnet Labs' `kmip-protocol` crate (its synchronous client over
//! rustls 0.19 / webpki 0.21) against the real server binary on its binary TTLV socket, with a
//! client certificate from the CA given by `--kmip-client-ca` and the group secret as the
//! Password of the Username and Password credential.
//!
//! The crate's webpki matches DNS names only, so it connects as `localhost`, a SAN of the
//! server's generated certificate (which it trusts, and nothing else).
//!
//! The crate picks the protocol version of each request by operation (1.0 for Get, Activate,
//! Revoke, Destroy, Create Key Pair, Locate; 1.1 for Discover Versions; 1.2 for Query, Sign and
//! RNG Retrieve), so one connection exercises three versions.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/kmip.rs"]
mod kmip;
mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ekms_crypto::SigAlgorithm;
use ekms_crypto::keyformat::{KeyType, PrivateKey, PublicKey, PublicKeyFormat};
use ekms_crypto::rsa::RsaPublicComponents;
use kmip::{ClientIdentity, KmipServer, Pki};
use kmip_protocol::client::{Client, ClientCertificate, ConnectionSettings, Error};
use kmip_protocol::types::common::{
    AttributeName, AttributeValue, CryptographicAlgorithm, DataLength, KeyMaterial, NameType,
    NameValue, ObjectType, Operation, State, UniqueIdentifier,
};
use kmip_protocol::types::request::{
    Attribute, ProtocolVersion as ReqVersion, ProtocolVersionMajor, ProtocolVersionMinor,
    RequestPayload,
};
use kmip_protocol::types::response::{
    KeyBlock, ManagedObject, ProtocolVersion as ResVersion, ResponsePayload,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

fn pem(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

/// What the client needs to reach one server.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    server_cert_pem: Vec<u8>,
}

impl Target {
    fn of(s: &KmipServer) -> Target {
        Target {
            addr: s.kmip_addr,
            server_cert_pem: s.server_cert(),
        }
    }
}

/// Connects with `kmip-protocol`'s rustls plugin as `localhost`, presenting `identity`, with
/// `secret` as the credential's password (no credential at all without one).
fn connect(
    t: &Target,
    identity: Option<&ClientIdentity>,
    secret: Option<&str>,
) -> Client<impl Read + Write> {
    let settings = ConnectionSettings {
        host: "localhost".into(),
        port: t.addr.port(),
        username: secret.map(|_| "alice".to_string()),
        password: secret.map(str::to_string),
        insecure: false,
        client_cert: identity.map(|id| ClientCertificate::SeparatePem {
            cert_bytes: pem("CERTIFICATE", &id.chain[0]),
            key_bytes: Some(pem("PRIVATE KEY", &id.key_der)),
        }),
        server_cert: Some(t.server_cert_pem.clone()),
        ca_cert: None,
        connect_timeout: Some(Duration::from_secs(10)),
        read_timeout: Some(Duration::from_secs(10)),
        write_timeout: Some(Duration::from_secs(10)),
        max_response_bytes: Some(1024 * 1024),
    };
    // `localhost` may resolve to ::1 first; the server listens on 127.0.0.1. The factory dials
    // the listener's own address; TLS still verifies the certificate for `localhost`.
    let addr = t.addr;
    kmip_protocol::client::tls::rustls::connect_with_tcpstream_factory(&settings, move |_, s| {
        let tcp = TcpStream::connect_timeout(&addr, s.connect_timeout.unwrap())?;
        tcp.set_read_timeout(s.read_timeout)?;
        tcp.set_write_timeout(s.write_timeout)?;
        Ok(tcp)
    })
    .expect("kmip-protocol connect")
}

/// The last request and response as the crate's pretty printer shows them, for failures.
fn diag<T>(c: &Client<T>) -> String {
    format!(
        "\nrequest:  {}\nresponse: {}",
        c.last_req_diag_str().unwrap_or_default(),
        c.last_res_diag_str().unwrap_or_default()
    )
}

/// KMIP 1.x Result Reasons the tests expect. The crate's client errors keep the Result Message
/// only (Item Not Found aside), so the reason is read from the crate's own rendering of the
/// last response, where a failed item shows `7Fe1:7Ee<hex>:` (status 1, then the reason).
const AUTHENTICATION_NOT_SUCCESSFUL: u32 = 0x03;
/// What a 1.x client gets for a lifecycle error (Wrong Key Lifecycle State is KMIP 2.x).
const PERMISSION_DENIED: u32 = 0x0C;

/// The Result Reason of the last response, which must be one failed item.
fn failure_reason<T>(c: &Client<T>) -> u32 {
    let res = c.last_res_diag_str().unwrap_or_default();
    let (_, rest) = res
        .split_once("7Fe1:7Ee")
        .unwrap_or_else(|| panic!("not a failed item with a reason: {res}"));
    let hex = rest.split(':').next().unwrap();
    u32::from_str_radix(hex, 16).unwrap()
}

fn v(major: i32, minor: i32) -> ResVersion {
    ResVersion { major, minor }
}

/// Get Attributes (1.0) of the named attributes, as (name, value) pairs.
///
/// Not all of them: the crate cannot read every attribute back (a Date-Time attribute fails
/// with `UnsupportedRustType("u64")`, a Link overflows its deserialiser's stack), so the tests
/// name the ones it can.
fn attributes<T: Read + Write>(
    c: &Client<T>,
    id: &str,
    names: &[&str],
) -> Vec<(String, AttributeValue)> {
    let r = c
        .do_request(RequestPayload::GetAttributes(
            Some(UniqueIdentifier(id.to_string())),
            Some(names.iter().map(|n| AttributeName(n.to_string())).collect()),
        ))
        .unwrap_or_else(|e| panic!("GetAttributes {names:?}: {e}{}", diag(c)));
    let ResponsePayload::GetAttributes(p) = r else {
        panic!("not a GetAttributes payload: {r:?}")
    };
    assert_eq!(*p.unique_identifier, id);
    p.attributes
        .unwrap_or_default()
        .into_iter()
        .map(|a| (a.name.0, a.value))
        .collect()
}

fn state_of<T: Read + Write>(c: &Client<T>, id: &str) -> State {
    match attributes(c, id, &["State"]).as_slice() {
        [(name, AttributeValue::State(s))] if name == "State" => *s,
        other => panic!("State of {id}: {other:?}"),
    }
}

fn key_block(object: &ManagedObject) -> &KeyBlock {
    match object {
        ManagedObject::PublicKey(k) => &k.key_block,
        ManagedObject::PrivateKey(k) => &k.key_block,
        ManagedObject::SymmetricKey(k) => &k.key_block,
        other => panic!("not a key: {other:?}"),
    }
}

/// The public key in a Get response, in whichever format the server chose.
fn public_key_of(block: &KeyBlock) -> PublicKey {
    match &block.key_value.key_material {
        KeyMaterial::Bytes(der) => PublicKey::parse(der).expect("SPKI or PKCS#1 DER"),
        KeyMaterial::TransparentRSAPublicKey(t) => PublicKey::from_transparent(
            &ekms_crypto::keyformat::TransparentPublicKey::Rsa(RsaPublicComponents {
                n: t.modulus.clone(),
                e: t.public_exponent.clone(),
            }),
        )
        .expect("RSA components"),
        other => panic!("unexpected public key material {other:?}"),
    }
}

fn spki(k: &PublicKey) -> Vec<u8> {
    k.to_der(PublicKeyFormat::Spki).unwrap()
}

/// Runs the client side on a blocking thread (the crate's client is synchronous).
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("client thread")
}

#[tokio::test]
async fn smoke_test_query_rsa_key_pair_sign_activate_revoke_destroy() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let target = Target::of(&s);
    let alice = ClientIdentity {
        chain: s.alice.chain.clone(),
        key_der: s.alice.key_der.clone(),
    };

    blocking(move || {
        let c = connect(&target, Some(&alice), Some(&secret));

        // Discover Versions (1.1), empty list: every version the server speaks, newest first.
        let r = c
            .do_request(RequestPayload::DiscoverVersions(vec![]))
            .unwrap_or_else(|e| panic!("DiscoverVersions: {e}{}", diag(&c)));
        let ResponsePayload::DiscoverVersions(p) = r else {
            panic!("not a DiscoverVersions payload: {r:?}")
        };
        assert_eq!(
            p.supported_versions.unwrap_or_default(),
            [
                v(2, 1),
                v(2, 0),
                v(1, 4),
                v(1, 3),
                v(1, 2),
                v(1, 1),
                v(1, 0)
            ],
            "{}",
            diag(&c)
        );
        // With the client's list: those of them the server supports, in the client's order.
        let ask =
            |major, minor| ReqVersion(ProtocolVersionMajor(major), ProtocolVersionMinor(minor));
        let r = c
            .do_request(RequestPayload::DiscoverVersions(vec![
                ask(3, 7),
                ask(1, 2),
                ask(1, 0),
            ]))
            .unwrap_or_else(|e| panic!("DiscoverVersions: {e}{}", diag(&c)));
        let ResponsePayload::DiscoverVersions(p) = r else {
            panic!("not a DiscoverVersions payload: {r:?}")
        };
        assert_eq!(
            p.supported_versions.unwrap_or_default(),
            [v(1, 2), v(1, 0)],
            "{}",
            diag(&c)
        );

        // Query (1.2): operations, object types and server information. The crate knows the
        // operations up to KMIP 1.2 only; a later one in the answer would not deserialise.
        let q = c
            .query()
            .unwrap_or_else(|e| panic!("Query: {e}{}", diag(&c)));
        let ops = q.operations.clone().unwrap_or_default();
        for op in [
            Operation::Query,
            Operation::DiscoverVersions,
            Operation::CreateKeyPair,
            Operation::Locate,
            Operation::Get,
            Operation::Sign,
            Operation::Activate,
            Operation::Revoke,
            Operation::Destroy,
            Operation::RNGRetrieve,
        ] {
            assert!(ops.contains(&op), "Query lacks {op}: {ops:?}");
        }
        let types = q.object_types.clone().unwrap_or_default();
        for t in [
            ObjectType::SymmetricKey,
            ObjectType::PublicKey,
            ObjectType::PrivateKey,
        ] {
            assert!(types.contains(&t), "Query lacks {t}: {types:?}");
        }
        assert!(
            q.vendor_identification
                .as_deref()
                .is_some_and(|s| !s.is_empty()),
            "no Vendor Identification: {q:?}"
        );

        // Create Key Pair (1.0): RSA-2048, a name for each half.
        let (private_id, public_id) = c
            .create_rsa_key_pair(2048, "kp-private".into(), "kp-public".into())
            .unwrap_or_else(|e| panic!("CreateKeyPair: {e}{}", diag(&c)));
        assert!(!private_id.is_empty() && !public_id.is_empty());
        assert_ne!(private_id, public_id);

        // Locate (1.0) by each name finds exactly that half.
        for (name, id) in [("kp-private", &private_id), ("kp-public", &public_id)] {
            let r = c
                .do_request(RequestPayload::Locate(vec![Attribute::Name(name.into())]))
                .unwrap_or_else(|e| panic!("Locate {name}: {e}{}", diag(&c)));
            let ResponsePayload::Locate(p) = r else {
                panic!("not a Locate payload: {r:?}")
            };
            assert_eq!(
                p.unique_identifiers,
                [UniqueIdentifier(id.clone())],
                "{name}"
            );
        }

        // Get Attributes (1.0): what the template asked for, and Pre-Active.
        for (id, object_type, name, usage) in [
            (&private_id, ObjectType::PrivateKey, "kp-private", 0x1), // Sign
            (&public_id, ObjectType::PublicKey, "kp-public", 0x2),    // Verify
        ] {
            let mut got = attributes(
                &c,
                id,
                &[
                    "Object Type",
                    "Cryptographic Algorithm",
                    "Cryptographic Length",
                    "Cryptographic Usage Mask",
                    "Name",
                    "State",
                ],
            );
            got.sort_by(|a, b| a.0.cmp(&b.0));
            let want = vec![
                (
                    "Cryptographic Algorithm".to_string(),
                    AttributeValue::CryptographicAlgorithm(CryptographicAlgorithm::RSA),
                ),
                (
                    "Cryptographic Length".to_string(),
                    AttributeValue::Integer(2048),
                ),
                (
                    "Cryptographic Usage Mask".to_string(),
                    AttributeValue::Integer(usage),
                ),
                (
                    "Name".to_string(),
                    AttributeValue::Name(
                        NameValue(name.to_string()),
                        NameType::UninterpretedTextString,
                    ),
                ),
                (
                    "Object Type".to_string(),
                    AttributeValue::ObjectType(object_type),
                ),
                ("State".to_string(), AttributeValue::State(State::PreActive)),
            ];
            assert_eq!(got, want, "{}", diag(&c));
        }

        // Get (1.0) of both halves: an RSA-2048 key block each, the same key pair.
        let public = c
            .get_key(&public_id)
            .unwrap_or_else(|e| panic!("Get public: {e}{}", diag(&c)));
        assert_eq!(public.object_type, ObjectType::PublicKey);
        assert_eq!(*public.unique_identifier, public_id);
        let block = key_block(&public.cryptographic_object);
        assert!(matches!(
            public.cryptographic_object,
            ManagedObject::PublicKey(_)
        ));
        assert_eq!(
            block.cryptographic_algorithm,
            Some(CryptographicAlgorithm::RSA)
        );
        assert_eq!(block.cryptographic_length, Some(2048));
        let public_key = public_key_of(block);
        assert_eq!(public_key.key_type(), KeyType::Rsa);

        let private = c
            .get_key(&private_id)
            .unwrap_or_else(|e| panic!("Get private: {e}{}", diag(&c)));
        assert_eq!(private.object_type, ObjectType::PrivateKey);
        let block = key_block(&private.cryptographic_object);
        assert!(matches!(
            private.cryptographic_object,
            ManagedObject::PrivateKey(_)
        ));
        let KeyMaterial::Bytes(private_der) = &block.key_value.key_material else {
            panic!("private key material not DER: {:?}", block.key_format_type)
        };
        let private_key = PrivateKey::parse(private_der).expect("PKCS#1 or PKCS#8 DER");
        assert_eq!(
            spki(&private_key.public_key()),
            spki(&public_key),
            "the two halves are one key pair"
        );

        // Sign (1.2) needs an Active key: the new one is Pre-Active.
        let data = b"signed by ekms for kmip-protocol".to_vec();
        match c.sign(&private_id, &data) {
            Err(Error::ServerError(_)) => assert_eq!(failure_reason(&c), PERMISSION_DENIED),
            other => panic!("Sign with a Pre-Active key: {other:?}{}", diag(&c)),
        }

        // Activate (1.0), then Sign: RSA PKCS#1 v1.5 with SHA-256 (the crate's parameters),
        // checked against the public key obtained with Get.
        c.activate_key(&private_id)
            .unwrap_or_else(|e| panic!("Activate: {e}{}", diag(&c)));
        assert_eq!(state_of(&c, &private_id), State::Active);
        let signed = c
            .sign(&private_id, &data)
            .unwrap_or_else(|e| panic!("Sign: {e}{}", diag(&c)));
        assert_eq!(*signed.unique_identifier, private_id);
        assert_eq!(signed.signature_data.len(), 256);
        public_key
            .verify(
                SigAlgorithm::RsaPkcs1v15Sha256,
                &data,
                &signed.signature_data,
            )
            .expect("the signature verifies with the public key from Get");
        assert!(
            public_key
                .verify(
                    SigAlgorithm::RsaPkcs1v15Sha256,
                    b"other data",
                    &signed.signature_data
                )
                .is_err()
        );

        // Activating an Active key is refused.
        match c.activate_key(&private_id) {
            Err(Error::ServerError(_)) => assert_eq!(failure_reason(&c), PERMISSION_DENIED),
            other => panic!("second Activate: {other:?}{}", diag(&c)),
        }

        // RNG Retrieve (1.2).
        let r = c
            .rng_retrieve(32)
            .unwrap_or_else(|e| panic!("RNGRetrieve: {e}{}", diag(&c)));
        assert_eq!(r.data.len(), 32);
        let r2 = c
            .do_request(RequestPayload::RNGRetrieve(DataLength(32)))
            .unwrap();
        let ResponsePayload::RNGRetrieve(r2) = r2 else {
            panic!("not an RNGRetrieve payload")
        };
        assert_ne!(r.data, r2.data);

        // Destroy of an Active key is refused.
        match c.destroy_key(&private_id) {
            Err(Error::ServerError(_)) => assert_eq!(failure_reason(&c), PERMISSION_DENIED),
            other => panic!("Destroy of an Active key: {other:?}{}", diag(&c)),
        }

        // Revoke (1.0, Cessation of Operation): Deactivated, which signs no more.
        c.revoke_key(&private_id)
            .unwrap_or_else(|e| panic!("Revoke: {e}{}", diag(&c)));
        assert_eq!(state_of(&c, &private_id), State::Deactivated);
        match c.sign(&private_id, &data) {
            Err(Error::ServerError(_)) => assert_eq!(failure_reason(&c), PERMISSION_DENIED),
            other => panic!("Sign with a Deactivated key: {other:?}{}", diag(&c)),
        }

        // Destroy (1.0) both halves; the material is gone (Item Not Found in KMIP 1.0).
        c.destroy_key(&private_id)
            .unwrap_or_else(|e| panic!("Destroy private: {e}{}", diag(&c)));
        c.destroy_key(&public_id)
            .unwrap_or_else(|e| panic!("Destroy public: {e}{}", diag(&c)));
        for id in [&private_id, &public_id] {
            assert_eq!(state_of(&c, id), State::Destroyed);
            match c.get_key(id) {
                Err(Error::ItemNotFound(_)) => {}
                other => panic!("Get after Destroy: {other:?}{}", diag(&c)),
            }
        }
        match c.get_key("no-such-object") {
            Err(Error::ItemNotFound(_)) => {}
            other => panic!("Get of an unknown id: {other:?}{}", diag(&c)),
        }

        // The connection survived every failure above.
        c.query()
            .unwrap_or_else(|e| panic!("Query at the end: {e}{}", diag(&c)));
        assert_eq!(c.connection_error_count(), 0);
    })
    .await;
}

#[tokio::test]
async fn wrong_or_missing_secret_and_foreign_certificate_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let s = KmipServer::start(tmp.path(), &[]);
    let secret = s.server.register().await;
    let other_group = s.server.register().await;
    let target = Target::of(&s);
    let alice = ClientIdentity {
        chain: s.alice.chain.clone(),
        key_der: s.alice.key_der.clone(),
    };
    let mallory = Pki::new(tmp.path(), "someone-else").client("mallory");

    blocking(move || {
        // A wrong group secret, and none at all: the operation fails, the connection stays.
        let wrong = format!("{secret}x");
        for password in [Some(wrong.as_str()), None] {
            let c = connect(&target, Some(&alice), password);
            match c.create_rsa_key_pair(2048, "no".into(), "no-pub".into()) {
                Err(Error::ServerError(_)) => {
                    assert_eq!(failure_reason(&c), AUTHENTICATION_NOT_SUCCESSFUL)
                }
                other => panic!("CreateKeyPair with {password:?}: {other:?}{}", diag(&c)),
            }
            assert_eq!(c.connection_error_count(), 0);
        }

        // The right secret works on a fresh connection.
        let c = connect(&target, Some(&alice), Some(&secret));
        let (private_id, public_id) = c
            .create_rsa_key_pair(2048, "ok".into(), "ok-pub".into())
            .unwrap_or_else(|e| panic!("CreateKeyPair: {e}{}", diag(&c)));

        c.get_key(&public_id)
            .unwrap_or_else(|e| panic!("Get: {e}{}", diag(&c)));

        // Another group's secret does not see this group's keys.
        let other = connect(&target, Some(&alice), Some(&other_group));
        match other.get_key(&public_id) {
            Err(Error::ItemNotFound(_)) => {}
            r => panic!("Get from another group: {r:?}{}", diag(&other)),
        }

        // A certificate from a CA the server does not trust, and no certificate at all: the
        // handshake fails, which the crate reports as a connection error on the first request.
        for identity in [Some(&mallory), None] {
            let c = connect(&target, identity, Some(&secret));
            match c.get_key(&private_id) {
                Err(e) => assert!(e.is_connection_error(), "{e:?}"),
                Ok(r) => panic!("served without a trusted certificate: {r:?}"),
            }
            assert_eq!(c.connection_error_count(), 1);
        }
    })
    .await;
}
