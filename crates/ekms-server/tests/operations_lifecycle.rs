//! End to end over `POST /kmip/2_1`: Create and CreateKeyPair of every algorithm, ReKey,
//! Check, the lifecycle (Activate, Revoke, Destroy) on every object type, Query,
//! DiscoverVersions and operations ekms does not offer, with their failures.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod operations_common;
mod support;

use operations_common::*;
use serde_json::Value;
use support::*;

fn pair_uids(r: &[Value]) -> (String, String) {
    (
        field(r, "PrivateKeyUniqueIdentifier")
            .as_str()
            .unwrap()
            .to_string(),
        field(r, "PublicKeyUniqueIdentifier")
            .as_str()
            .unwrap()
            .to_string(),
    )
}

#[tokio::test]
async fn create_and_create_key_pair() {
    let (_tmp, s, secret) = server().await;
    for (alg, bits) in [
        ("AES", 128),
        ("AES", 192),
        ("AES", 256),
        ("ChaCha20", 256),
        ("HMAC_SHA1", 160),
        ("HMAC_SHA256", 256),
        ("HMAC_SHA512", 512),
        ("IDEA", 128),
        ("Blowfish", 128),
        ("Blowfish", 448),
    ] {
        let uid = uid_of(&s.ok(&secret, create(alg, bits, vec![])).await);
        let key = material(&s.ok(&secret, uid_op("Get", &uid)).await, "SymmetricKey");
        assert_eq!(key.len() * 8, bits as usize, "{alg}");
        let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &uid)).await);
        assert_eq!(field(&a, "CryptographicAlgorithm"), alg);
    }
    for (alg, bits) in [
        ("AES", 64),
        ("IDEA", 64),
        ("Blowfish", 8),
        ("HMAC_SHA256", 12),
    ] {
        fails_with(&s, &secret, create(alg, bits, vec![]), "InvalidField").await;
    }
    fails_with(
        &s,
        &secret,
        create("DES", 56, vec![]),
        "FeatureNotSupported",
    )
    .await;
    fails_with(
        &s,
        &secret,
        op(
            "Create",
            vec![
                e("ObjectType", "SymmetricKey"),
                attributes(vec![i("CryptographicLength", 128)]),
            ],
        ),
        "MissingData",
    )
    .await;
    fails_with(
        &s,
        &secret,
        op(
            "Create",
            vec![
                e("ObjectType", "PublicKey"),
                attributes(vec![e("CryptographicAlgorithm", "RSA")]),
            ],
        ),
        "InvalidObjectType",
    )
    .await;
    // A client may choose the uid, once.
    s.ok(
        &secret,
        create("AES", 128, vec![text("UniqueIdentifier", "mine")]),
    )
    .await;
    fails_with(
        &s,
        &secret,
        create("AES", 128, vec![text("UniqueIdentifier", "mine")]),
        "ObjectAlreadyExists",
    )
    .await;

    // Key pairs: linked, with the attributes of each side.
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![
                    e("CryptographicAlgorithm", "RSA"),
                    i("CryptographicLength", 2048),
                    name("pair"),
                ],
                vec![mask(SIGN), name("private")],
                vec![mask(VERIFY)],
            ),
        )
        .await;
    let (pk, vk) = pair_uids(&r);
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &pk)).await);
    assert_eq!(field(&a, "ObjectType"), "PrivateKey");
    assert_eq!(field(&a, "CryptographicUsageMask"), SIGN);
    assert_eq!(a.iter().filter(|x| x["tag"] == "Name").count(), 2);
    let link = items(field(&a, "Link"));
    assert_eq!(field(&link, "LinkType"), "PublicKeyLink");
    assert_eq!(field(&link, "LinkedObjectIdentifier"), vk.as_str());
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &vk)).await);
    assert_eq!(field(&a, "ObjectType"), "PublicKey");
    assert_eq!(field(&a, "CryptographicUsageMask"), VERIFY);
    let link = items(field(&a, "Link"));
    assert_eq!(field(&link, "LinkType"), "PrivateKeyLink");
    assert_eq!(field(&link, "LinkedObjectIdentifier"), pk.as_str());
    // EC by curve, and the attribute records the curve.
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![
                    e("CryptographicAlgorithm", "ECDSA"),
                    st(
                        "CryptographicDomainParameters",
                        vec![e("RecommendedCurve", "P_384")],
                    ),
                ],
                vec![],
                vec![],
            ),
        )
        .await;
    let a = attrs_of(
        &s.ok(&secret, uid_op("GetAttributes", &pair_uids(&r).1))
            .await,
    );
    assert_eq!(field(&a, "CryptographicLength"), 384);

    for (common, reason) in [
        (
            vec![
                e("CryptographicAlgorithm", "RSA"),
                i("CryptographicLength", 1024),
            ],
            "InvalidField",
        ),
        (
            vec![
                e("CryptographicAlgorithm", "EC"),
                i("CryptographicLength", 255),
            ],
            "InvalidField",
        ),
        (
            vec![
                e("CryptographicAlgorithm", "EC"),
                st(
                    "CryptographicDomainParameters",
                    vec![e("RecommendedCurve", "K_163")],
                ),
            ],
            "FeatureNotSupported",
        ),
        (
            vec![e("CryptographicAlgorithm", "DSA")],
            "FeatureNotSupported",
        ),
        (vec![], "MissingData"),
    ] {
        fails_with(&s, &secret, create_key_pair(common, vec![], vec![]), reason).await;
    }
    fails_with(
        &s,
        &secret,
        create_key_pair(
            vec![e("CryptographicAlgorithm", "RSA")],
            vec![i("CryptographicLength", 2048)],
            vec![i("CryptographicLength", 3072)],
        ),
        "InvalidField",
    )
    .await;
}

#[tokio::test]
async fn lifecycle_on_every_object_type() {
    let (_tmp, s, secret) = server().await;
    let r = s
        .ok(
            &secret,
            create_key_pair(vec![e("CryptographicAlgorithm", "Ed25519")], vec![], vec![]),
        )
        .await;
    let (pk, vk) = pair_uids(&r);
    let sym = uid_of(&s.ok(&secret, create("AES", 256, vec![])).await);
    let sd = uid_of(
        &s.ok(
            &secret,
            register(
                "SecretData",
                vec![],
                st(
                    "SecretData",
                    vec![
                        e("SecretDataType", "Password"),
                        st(
                            "KeyBlock",
                            vec![
                                e("KeyFormatType", "Opaque"),
                                st("KeyValue", vec![bytes("KeyMaterial", b"pw")]),
                            ],
                        ),
                    ],
                ),
            ),
        )
        .await,
    );
    let state = |resp: &[Value]| {
        field(&attrs_of(resp), "State")
            .as_str()
            .unwrap()
            .to_string()
    };
    for uid in [&pk, &vk, &sym, &sd] {
        assert_eq!(
            state(&s.ok(&secret, uid_op("GetAttributes", uid)).await),
            "PreActive"
        );
        activate(&s, &secret, uid).await;
        fails_with(
            &s,
            &secret,
            uid_op("Activate", uid),
            "WrongKeyLifecycleState",
        )
        .await;
        fails_with(
            &s,
            &secret,
            uid_op("Destroy", uid),
            "WrongKeyLifecycleState",
        )
        .await;
    }
    // Revoke: Active to Deactivated; a compromise to Compromised (again: accepted).
    s.ok(&secret, revoke(&pk, "CessationOfOperation")).await;
    assert_eq!(
        state(&s.ok(&secret, uid_op("GetAttributes", &pk)).await),
        "Deactivated"
    );
    fails_with(
        &s,
        &secret,
        revoke(&pk, "Superseded"),
        "WrongKeyLifecycleState",
    )
    .await;
    s.ok(&secret, revoke(&pk, "KeyCompromise")).await;
    s.ok(&secret, revoke(&pk, "KeyCompromise")).await;
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &pk)).await);
    assert_eq!(field(&a, "State"), "Compromised");
    assert!(a.iter().any(|x| x["tag"] == "CompromiseDate"));
    // Destroy: material gone, metadata kept, hidden from Locate; a compromise found later
    // makes it Destroyed Compromised.
    for uid in [&pk, &vk, &sym, &sd] {
        if uid != &pk {
            s.ok(&secret, revoke(uid, "Unspecified")).await;
        }
        s.ok(&secret, uid_op("Destroy", uid)).await;
        fails_with(
            &s,
            &secret,
            uid_op("Destroy", uid),
            "WrongKeyLifecycleState",
        )
        .await;
        fails_with(&s, &secret, uid_op("Get", uid), "ObjectDestroyed").await;
    }
    assert_eq!(
        state(&s.ok(&secret, uid_op("GetAttributes", &pk)).await),
        "DestroyedCompromised"
    );
    assert_eq!(
        state(&s.ok(&secret, uid_op("GetAttributes", &sym)).await),
        "Destroyed"
    );
    s.ok(&secret, revoke(&sym, "KeyCompromise")).await;
    assert_eq!(
        state(&s.ok(&secret, uid_op("GetAttributes", &sym)).await),
        "DestroyedCompromised"
    );
    assert!(uids(&s.ok(&secret, locate(vec![], vec![])).await).is_empty());
    assert_eq!(
        uids(
            &s.ok(
                &secret,
                locate(vec![e("State", "DestroyedCompromised")], vec![])
            )
            .await
        )
        .len(),
        2
    );

    for name in ["Activate", "Revoke", "Destroy"] {
        let body = if name == "Revoke" {
            revoke("nope", "Unspecified")
        } else {
            uid_op(name, "nope")
        };
        fails_with(&s, &secret, body, "ObjectNotFound").await;
    }
    fails_with(
        &s,
        &secret,
        op("Revoke", vec![text("UniqueIdentifier", &sym)]),
        "MissingData",
    )
    .await;
}

#[tokio::test]
async fn rekey_and_check() {
    let (_tmp, s, secret) = server().await;
    let old = uid_of(
        &s.ok(
            &secret,
            create(
                "AES",
                192,
                vec![name("rotating"), mask(ENCRYPT | DECRYPT), active_now()],
            ),
        )
        .await,
    );
    let old_key = material(&s.ok(&secret, uid_op("Get", &old)).await, "SymmetricKey");
    let new = uid_of(&s.ok(&secret, uid_op("ReKey", &old)).await);
    assert_ne!(new, old);
    let new_key = material(&s.ok(&secret, uid_op("Get", &new)).await, "SymmetricKey");
    assert_eq!(new_key.len(), 24);
    assert_ne!(new_key, old_key);
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &new)).await);
    assert_eq!(
        field(&a, "State"),
        "Active",
        "an Active key is replaced by an Active one"
    );
    assert_eq!(field(&a, "CryptographicUsageMask"), ENCRYPT | DECRYPT);
    assert_eq!(items(field(&a, "Name"))[0]["value"], "rotating");
    let link = items(field(&a, "Link"));
    assert_eq!(field(&link, "LinkType"), "ReplacedObjectLink");
    assert_eq!(field(&link, "LinkedObjectIdentifier"), old.as_str());
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &old)).await);
    let link = items(field(&a, "Link"));
    assert_eq!(field(&link, "LinkType"), "ReplacementObjectLink");
    assert_eq!(field(&link, "LinkedObjectIdentifier"), new.as_str());
    // With an Offset the new key activates later.
    let later = uid_of(
        &s.ok(
            &secret,
            op(
                "ReKey",
                vec![
                    text("UniqueIdentifier", &old),
                    serde_json::json!({"tag": "Offset", "type": "Interval", "value": 3600}),
                ],
            ),
        )
        .await,
    );
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &later)).await);
    assert_eq!(field(&a, "State"), "PreActive");

    let r = s
        .ok(
            &secret,
            create_key_pair(vec![e("CryptographicAlgorithm", "Ed25519")], vec![], vec![]),
        )
        .await;
    fails_with(
        &s,
        &secret,
        uid_op("ReKey", &pair_uids(&r).0),
        "IllegalObjectType",
    )
    .await;
    fails_with(&s, &secret, uid_op("ReKey", "nope"), "ObjectNotFound").await;
    s.ok(&secret, revoke(&later, "KeyCompromise")).await;
    fails_with(
        &s,
        &secret,
        uid_op("ReKey", &later),
        "WrongKeyLifecycleState",
    )
    .await;
    s.ok(&secret, uid_op("Destroy", &later)).await;
    fails_with(&s, &secret, uid_op("ReKey", &later), "ObjectDestroyed").await;

    // Check.
    let check = |uid: &str, m: Option<i64>| {
        let mut v = vec![text("UniqueIdentifier", uid)];
        if let Some(m) = m {
            v.push(mask(m));
        }
        op("Check", v)
    };
    let r = s.ok(&secret, check(&new, Some(ENCRYPT))).await;
    assert_eq!(uid_of(&r), new);
    s.ok(&secret, check(&new, None)).await;
    fails_with(
        &s,
        &secret,
        check(&new, Some(SIGN)),
        "IncompatibleCryptographicUsageMask",
    )
    .await;
    let idle = uid_of(&s.ok(&secret, create("AES", 128, vec![])).await);
    fails_with(&s, &secret, check(&idle, None), "WrongKeyLifecycleState").await;
    fails_with(&s, &secret, check("nope", None), "ObjectNotFound").await;
    fails_with(&s, &secret, check(&later, None), "ObjectDestroyed").await;
}

#[tokio::test]
async fn query_discover_versions_and_unsupported_operations() {
    let (_tmp, s, secret) = server().await;
    let r = s
        .ok(
            &secret,
            op(
                "Query",
                vec![
                    e("QueryFunction", "QueryOperations"),
                    e("QueryFunction", "QueryObjects"),
                    e("QueryFunction", "QueryServerInformation"),
                    e("QueryFunction", "QueryCapabilities"),
                ],
            ),
        )
        .await;
    let ops: Vec<&str> = r
        .iter()
        .filter(|i| i["tag"] == "Operation")
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    for o in [
        "Create",
        "CreateKeyPair",
        "Register",
        "ReKey",
        "DeriveKey",
        "Locate",
        "Check",
        "Get",
        "GetAttributes",
        "GetAttributeList",
        "AddAttribute",
        "ModifyAttribute",
        "DeleteAttribute",
        "SetAttribute",
        "Activate",
        "Revoke",
        "Destroy",
        "Archive",
        "Recover",
        "Query",
        "Cancel",
        "Poll",
        "ReKeyKeyPair",
        "DiscoverVersions",
        "Encrypt",
        "Decrypt",
        "Sign",
        "SignatureVerify",
        "MAC",
        "MACVerify",
        "RNGRetrieve",
        "RNGSeed",
        "Hash",
        "Import",
        "Export",
        "Interop",
        "Log",
        "ObtainLease",
        "GetUsageAllocation",
        "CreateSplitKey",
        "JoinSplitKey",
        "Certify",
        "ReCertify",
        "AdjustAttribute",
        "SetEndpointRole",
    ] {
        assert!(ops.contains(&o), "{o} in {ops:?}");
    }
    assert_eq!(ops.len(), 45);
    // Every operation listed answers something other than Operation Not Supported.
    for o in &ops {
        let (status, v) = s.kmip(Some(&secret), &op(o, vec![])).await;
        assert_ne!(v["error"], "OperationNotSupported", "{o}: {status} {v}");
    }
    let objects: Vec<&str> = r
        .iter()
        .filter(|i| i["tag"] == "ObjectType")
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        objects,
        [
            "Certificate",
            "SymmetricKey",
            "PublicKey",
            "PrivateKey",
            "SplitKey",
            "SecretData",
            "OpaqueObject",
            "PGPKey",
            "CertificateRequest"
        ]
    );
    assert_eq!(field(&r, "VendorIdentification"), "ekms");
    assert!(r.iter().any(|i| i["tag"] == "CapabilityInformation"));
    fails_with(
        &s,
        &secret,
        op("Query", vec![serde_json::json!({"tag": "QueryFunction", "type": "Enumeration", "value": "0x00000099"})]),
        "InvalidField",
    )
    .await;

    // DiscoverVersions: all, highest first; or those of the client's list ekms speaks.
    let r = s.ok(&secret, op("DiscoverVersions", vec![])).await;
    let versions: Vec<(i64, i64)> = r
        .iter()
        .map(|v| {
            let f = items(&v["value"]);
            (
                field(&f, "ProtocolVersionMajor").as_i64().unwrap(),
                field(&f, "ProtocolVersionMinor").as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        versions,
        [(2, 1), (2, 0), (1, 4), (1, 3), (1, 2), (1, 1), (1, 0)]
    );
    let pv = |major: i64, minor: i64| {
        st(
            "ProtocolVersion",
            vec![
                i("ProtocolVersionMajor", major),
                i("ProtocolVersionMinor", minor),
            ],
        )
    };
    let r = s
        .ok(
            &secret,
            op("DiscoverVersions", vec![pv(3, 0), pv(1, 2), pv(1, 9)]),
        )
        .await;
    assert_eq!(r.len(), 1);

    // Operations ekms does not offer.
    for o in ["Validate", "Notify", "Put"] {
        fails_with(&s, &secret, op(o, vec![]), "OperationNotSupported").await;
    }
}
