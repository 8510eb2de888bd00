//! End to end over `POST /kmip/2_1`: Register and Get of every object type, key format
//! conversions, key wrapping (AES-KW/KWP, RSA-OAEP), Sensitive / Extractable, Import and
//! Export, and their failures.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod operations_common;
mod support;

use operations_common::*;
use serde_json::{Value, json};
use support::*;

/// Registers `object` and checks that Get answers it unchanged.
async fn round_trip(s: &Server, secret: &str, object_type: &str, object: Value) -> String {
    let uid = uid_of(
        &s.ok(
            secret,
            register(
                object_type,
                vec![name(&format!("reg {object_type}"))],
                object.clone(),
            ),
        )
        .await,
    );
    let got = s.ok(secret, uid_op("Get", &uid)).await;
    assert_eq!(field(&got, "ObjectType"), object_type);
    assert_eq!(uid_of(&got), uid);
    let tag = object["tag"].as_str().unwrap();
    assert_eq!(
        field(&got, tag),
        &object["value"],
        "{object_type} comes back as registered"
    );
    uid
}

#[tokio::test]
async fn register_and_get_every_object_type() {
    let (_tmp, s, secret) = server().await;

    // Symmetric key, Raw: its length is its size.
    let uid = round_trip(
        &s,
        &secret,
        "SymmetricKey",
        key_object("SymmetricKey", "Raw", &[0x11; 32], Some("AES"), None),
    )
    .await;
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &uid)).await);
    assert_eq!(field(&a, "CryptographicLength"), 256);
    assert_eq!(field(&a, "CryptographicAlgorithm"), "AES");
    assert_eq!(field(&a, "KeyFormatType"), "Raw");
    assert_eq!(field(&a, "State"), "PreActive");

    // Secret data (a password), opaque object, split key.
    round_trip(
        &s,
        &secret,
        "SecretData",
        st(
            "SecretData",
            vec![
                e("SecretDataType", "Password"),
                st(
                    "KeyBlock",
                    vec![
                        e("KeyFormatType", "Opaque"),
                        st("KeyValue", vec![bytes("KeyMaterial", b"correct horse")]),
                    ],
                ),
            ],
        ),
    )
    .await;
    round_trip(
        &s,
        &secret,
        "OpaqueObject",
        st(
            "OpaqueObject",
            vec![
                json!({"tag": "OpaqueDataType", "type": "Enumeration", "value": "0x80000000"}),
                bytes("OpaqueDataValue", b"anything at all"),
            ],
        ),
    )
    .await;
    round_trip(
        &s,
        &secret,
        "SplitKey",
        st(
            "SplitKey",
            vec![
                i("SplitKeyParts", 3),
                i("KeyPartIdentifier", 1),
                i("SplitKeyThreshold", 2),
                e("SplitKeyMethod", "XOR"),
                st(
                    "KeyBlock",
                    vec![
                        e("KeyFormatType", "Raw"),
                        st("KeyValue", vec![bytes("KeyMaterial", &[7u8; 16])]),
                        e("CryptographicAlgorithm", "AES"),
                        i("CryptographicLength", 128),
                    ],
                ),
            ],
        ),
    )
    .await;

    // A certificate and its key pair made elsewhere (rcgen): the private key registered as
    // PKCS#8 signs, the certificate verifies.
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
    let cert = rcgen::CertificateParams::new(vec!["example.test".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let cert_uid = round_trip(
        &s,
        &secret,
        "Certificate",
        st(
            "Certificate",
            vec![
                e("CertificateType", "X_509"),
                bytes("CertificateValue", cert.der()),
            ],
        ),
    )
    .await;
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &cert_uid)).await);
    assert_eq!(field(&a, "CertificateType"), "X_509");
    assert_eq!(field(&a, "CertificateLength"), cert.der().len());
    let pkcs8 = key.serialize_der();
    let priv_uid = round_trip(
        &s,
        &secret,
        "PrivateKey",
        key_object("PrivateKey", "PKCS_8", &pkcs8, Some("ECDSA"), None),
    )
    .await;
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &priv_uid)).await);
    assert_eq!(field(&a, "CryptographicLength"), 256, "read from the key");
    activate(&s, &secret, &priv_uid).await;
    activate(&s, &secret, &cert_uid).await;
    let sig = s
        .ok(
            &secret,
            op(
                "Sign",
                vec![
                    text("UniqueIdentifier", &priv_uid),
                    bytes("Data", b"signed"),
                ],
            ),
        )
        .await;
    let sig = field(&sig, "SignatureData").clone();
    let verify = |data: &[u8]| {
        op(
            "SignatureVerify",
            vec![
                text("UniqueIdentifier", &cert_uid),
                bytes("Data", data),
                json!({"tag": "SignatureData", "type": "ByteString", "value": sig}),
            ],
        )
    };
    let v = s.ok(&secret, verify(b"signed")).await;
    assert_eq!(field(&v, "ValidityIndicator"), "Valid");
    let v = s.ok(&secret, verify(b"forged")).await;
    assert_eq!(field(&v, "ValidityIndicator"), "Invalid");

    // A key registered wrapped comes back wrapped, with its Key Wrapping Data.
    let wrapped = st(
        "SymmetricKey",
        vec![st(
            "KeyBlock",
            vec![
                e("KeyFormatType", "Raw"),
                st("KeyValue", vec![bytes("KeyMaterial", &[9u8; 24])]),
                e("CryptographicAlgorithm", "AES"),
                i("CryptographicLength", 128),
                st(
                    "KeyWrappingData",
                    vec![
                        e("WrappingMethod", "Encrypt"),
                        st(
                            "EncryptionKeyInformation",
                            vec![
                                text("UniqueIdentifier", "elsewhere"),
                                params(vec![e("BlockCipherMode", "NISTKeyWrap")]),
                            ],
                        ),
                        e("EncodingOption", "NoEncoding"),
                    ],
                ),
            ],
        )],
    );
    let wuid = round_trip(&s, &secret, "SymmetricKey", wrapped).await;
    // It cannot be used, nor converted.
    activate(&s, &secret, &wuid).await;
    fails_with(
        &s,
        &secret,
        op(
            "Encrypt",
            vec![text("UniqueIdentifier", &wuid), bytes("Data", b"x")],
        ),
        "FeatureNotSupported",
    )
    .await;
    fails_with(
        &s,
        &secret,
        op(
            "Get",
            vec![
                text("UniqueIdentifier", &wuid),
                e("KeyFormatType", "TransparentSymmetricKey"),
            ],
        ),
        "KeyFormatTypeNotSupported",
    )
    .await;
}

#[tokio::test]
async fn register_refuses_malformed_objects() {
    let (_tmp, s, secret) = server().await;
    // No object at all.
    fails_with(
        &s,
        &secret,
        op(
            "Register",
            vec![e("ObjectType", "SymmetricKey"), attributes(vec![])],
        ),
        "MissingData",
    )
    .await;
    // A symmetric key in an asymmetric format.
    fails_with(
        &s,
        &secret,
        register(
            "SymmetricKey",
            vec![],
            key_object("SymmetricKey", "PKCS_8", &[1; 16], Some("AES"), None),
        ),
        "KeyFormatTypeNotSupported",
    )
    .await;
    // A Key Block without Key Value; a split key whose part is out of range.
    fails_with(
        &s,
        &secret,
        register(
            "SymmetricKey",
            vec![],
            st(
                "SymmetricKey",
                vec![st("KeyBlock", vec![e("KeyFormatType", "Raw")])],
            ),
        ),
        "MissingData",
    )
    .await;
    fails_with(
        &s,
        &secret,
        register(
            "SplitKey",
            vec![],
            st(
                "SplitKey",
                vec![
                    i("SplitKeyParts", 2),
                    i("KeyPartIdentifier", 3),
                    i("SplitKeyThreshold", 2),
                    e("SplitKeyMethod", "XOR"),
                    st(
                        "KeyBlock",
                        vec![
                            e("KeyFormatType", "Raw"),
                            st("KeyValue", vec![bytes("KeyMaterial", &[1; 16])]),
                        ],
                    ),
                ],
            ),
        ),
        "InvalidField",
    )
    .await;
    // A type this KMIP version does not define (Template went with KMIP 2.0).
    fails_with(
        &s,
        &secret,
        op(
            "Register",
            vec![
                e("ObjectType", "Template"),
                attributes(vec![]),
                st("Template", vec![]),
            ],
        ),
        "InvalidObjectType",
    )
    .await;
    // A uid taken already.
    let object = key_object("SymmetricKey", "Raw", &[2; 16], Some("AES"), None);
    s.ok(
        &secret,
        register(
            "SymmetricKey",
            vec![text("UniqueIdentifier", "fixed-uid")],
            object.clone(),
        ),
    )
    .await;
    fails_with(
        &s,
        &secret,
        register(
            "SymmetricKey",
            vec![text("UniqueIdentifier", "fixed-uid")],
            object,
        ),
        "ObjectAlreadyExists",
    )
    .await;
    // Get of an unknown uid; of a destroyed object.
    fails_with(&s, &secret, uid_op("Get", "no-such-uid"), "ObjectNotFound").await;
    s.ok(&secret, uid_op("Destroy", "fixed-uid")).await;
    fails_with(&s, &secret, uid_op("Get", "fixed-uid"), "ObjectDestroyed").await;
}

fn get_as(uid: &str, format: &str) -> Value {
    op(
        "Get",
        vec![text("UniqueIdentifier", uid), e("KeyFormatType", format)],
    )
}

#[tokio::test]
async fn key_format_conversions() {
    let (_tmp, s, secret) = server().await;

    // RSA: PKCS#8 private (PKCS#1 by default to 2.x clients) / PKCS#1 public as stored, and
    // every other RSA format.
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![
                    e("CryptographicAlgorithm", "RSA"),
                    i("CryptographicLength", 2048),
                ],
                vec![],
                vec![],
            ),
        )
        .await;
    let rsa_priv = field(&r, "PrivateKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    let rsa_pub = field(&r, "PublicKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    // A generated RSA private key is PKCS#1 to a KMIP 2.x client (stored as PKCS#8).
    let got = s.ok(&secret, uid_op("Get", &rsa_priv)).await;
    assert_eq!(
        field(&key_block(&got, "PrivateKey"), "KeyFormatType"),
        "PKCS_1"
    );
    let default = material(&got, "PrivateKey");
    let pkcs8 = material(
        &s.ok(&secret, get_as(&rsa_priv, "PKCS_8")).await,
        "PrivateKey",
    );
    let got = s.ok(&secret, uid_op("Get", &rsa_pub)).await;
    assert_eq!(
        field(&key_block(&got, "PublicKey"), "KeyFormatType"),
        "PKCS_1"
    );
    let pub_pkcs1 = material(&got, "PublicKey");

    let pkcs1 = material(
        &s.ok(&secret, get_as(&rsa_priv, "PKCS_1")).await,
        "PrivateKey",
    );
    assert_ne!(pkcs1, pkcs8);
    assert_eq!(pkcs1, default);
    let t = s
        .ok(&secret, get_as(&rsa_priv, "TransparentRSAPrivateKey"))
        .await;
    let block = key_block(&t, "PrivateKey");
    assert_eq!(field(&block, "KeyFormatType"), "TransparentRSAPrivateKey");
    let km = items(field(&items(field(&block, "KeyValue")), "KeyMaterial"));
    for c in [
        "Modulus",
        "PrivateExponent",
        "PublicExponent",
        "P",
        "Q",
        "PrimeExponentP",
        "PrimeExponentQ",
        "CRTCoefficient",
    ] {
        assert!(field(&km, c).as_str().unwrap().starts_with("0x"), "{c}");
    }
    let spki = material(&s.ok(&secret, get_as(&rsa_pub, "X_509")).await, "PublicKey");
    assert!(spki.len() > pub_pkcs1.len(), "SPKI wraps the PKCS#1 key");
    let t = s
        .ok(&secret, get_as(&rsa_pub, "TransparentRSAPublicKey"))
        .await;
    let km = items(field(
        &items(field(&key_block(&t, "PublicKey"), "KeyValue")),
        "KeyMaterial",
    ));
    assert_eq!(field(&km, "PublicExponent"), "0x010001");

    // A key registered from one of those forms is the same key: Transparent back to PKCS#8.
    let t_obj = field(&t, "PublicKey").clone();
    let re = uid_of(
        &s.ok(
            &secret,
            register(
                "PublicKey",
                vec![],
                json!({"tag": "PublicKey", "type": "Structure", "value": t_obj}),
            ),
        )
        .await,
    );
    assert_eq!(
        material(&s.ok(&secret, get_as(&re, "PKCS_1")).await, "PublicKey"),
        pub_pkcs1
    );
    let re = uid_of(
        &s.ok(
            &secret,
            register(
                "PrivateKey",
                vec![],
                key_object("PrivateKey", "PKCS_1", &pkcs1, Some("RSA"), Some(2048)),
            ),
        )
        .await,
    );
    assert_eq!(
        material(&s.ok(&secret, get_as(&re, "PKCS_8")).await, "PrivateKey"),
        pkcs8
    );

    // EC P-256: SEC1, Transparent, SPKI, raw point.
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![
                    e("CryptographicAlgorithm", "EC"),
                    st(
                        "CryptographicDomainParameters",
                        vec![e("RecommendedCurve", "P_256")],
                    ),
                ],
                vec![],
                vec![],
            ),
        )
        .await;
    let ec_priv = field(&r, "PrivateKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    let ec_pub = field(&r, "PublicKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    let sec1 = material(
        &s.ok(&secret, get_as(&ec_priv, "ECPrivateKey")).await,
        "PrivateKey",
    );
    assert_eq!(sec1[0], 0x30);
    let t = s
        .ok(&secret, get_as(&ec_priv, "TransparentECPrivateKey"))
        .await;
    let km = items(field(
        &items(field(&key_block(&t, "PrivateKey"), "KeyValue")),
        "KeyMaterial",
    ));
    assert_eq!(field(&km, "RecommendedCurve"), "P_256");
    let point = material(&s.ok(&secret, get_as(&ec_pub, "Raw")).await, "PublicKey");
    assert_eq!((point.len(), point[0]), (65, 0x04));
    let t = s
        .ok(&secret, get_as(&ec_pub, "TransparentECPublicKey"))
        .await;
    let km = items(field(
        &items(field(&key_block(&t, "PublicKey"), "KeyValue")),
        "KeyMaterial",
    ));
    assert_eq!(hexv(field(&km, "QString")), point);

    // Ed25519: raw 32-byte keys.
    let r = s
        .ok(
            &secret,
            create_key_pair(vec![e("CryptographicAlgorithm", "Ed25519")], vec![], vec![]),
        )
        .await;
    let ed_priv = field(&r, "PrivateKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    let ed_pub = field(&r, "PublicKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        material(&s.ok(&secret, get_as(&ed_priv, "Raw")).await, "PrivateKey").len(),
        32
    );
    assert_eq!(
        material(&s.ok(&secret, get_as(&ed_pub, "Raw")).await, "PublicKey").len(),
        32
    );

    // Symmetric: Raw and Transparent.
    let k = uid_of(&s.ok(&secret, create("AES", 128, vec![])).await);
    let raw = material(&s.ok(&secret, uid_op("Get", &k)).await, "SymmetricKey");
    let t = s.ok(&secret, get_as(&k, "TransparentSymmetricKey")).await;
    let km = items(field(
        &items(field(&key_block(&t, "SymmetricKey"), "KeyValue")),
        "KeyMaterial",
    ));
    assert_eq!(hexv(field(&km, "Key")), raw);

    // Formats that do not apply to the key.
    for (uid, format) in [
        (&rsa_priv, "ECPrivateKey"),
        (&rsa_pub, "TransparentECPublicKey"),
        (&ec_priv, "PKCS_1"),
        (&k, "PKCS_8"),
    ] {
        fails_with(
            &s,
            &secret,
            get_as(uid, format),
            "KeyFormatTypeNotSupported",
        )
        .await;
    }
}

fn wrapping_spec(key: &str, extra: Vec<Value>) -> Value {
    let mut info = vec![text("UniqueIdentifier", key)];
    info.extend(extra);
    st(
        "KeyWrappingSpecification",
        vec![
            e("WrappingMethod", "Encrypt"),
            st("EncryptionKeyInformation", info),
        ],
    )
}

fn get_wrapped(uid: &str, spec: Value) -> Value {
    op("Get", vec![text("UniqueIdentifier", uid), spec])
}

#[tokio::test]
async fn key_wrapping_and_import_export() {
    let (_tmp, s, secret) = server().await;
    let key = uid_of(&s.ok(&secret, create("AES", 256, vec![])).await);
    let plain = material(&s.ok(&secret, uid_op("Get", &key)).await, "SymmetricKey");
    let kek = uid_of(
        &s.ok(
            &secret,
            create("AES", 256, vec![mask(WRAP | UNWRAP), active_now()]),
        )
        .await,
    );

    // AES-KW (RFC 3394): 8 bytes longer, with the Key Wrapping Data.
    let w = s
        .ok(
            &secret,
            get_wrapped(
                &key,
                wrapping_spec(
                    &kek,
                    vec![params(vec![e("BlockCipherMode", "NISTKeyWrap")])],
                ),
            ),
        )
        .await;
    let wrapped = wrapped_value(&w, "SymmetricKey");
    assert_eq!(wrapped.len(), plain.len() + 8);
    let block = key_block(&w, "SymmetricKey");
    let kwd = items(field(&block, "KeyWrappingData"));
    assert_eq!(field(&kwd, "WrappingMethod"), "Encrypt");
    assert_eq!(field(&kwd, "EncodingOption"), "NoEncoding");

    // Import unwraps it under a new uid (Key Wrap Type Not Wrapped): the same key.
    let obj = field(&w, "SymmetricKey").clone();
    // A file ekms wrote before (the wrapped bytes as the Key Material of a Key Value
    // structure) imports too.
    let mut old_form = obj.clone();
    for item in old_form.as_array_mut().unwrap() {
        if item["tag"] == "KeyBlock" {
            for b in item["value"].as_array_mut().unwrap() {
                if b["tag"] == "KeyValue" {
                    let hex = b["value"].clone();
                    *b = json!({"tag": "KeyValue", "type": "Structure", "value": [
                        {"tag": "KeyMaterial", "type": "ByteString", "value": hex}]});
                }
            }
        }
    }
    for (uid, object) in [("imported", obj), ("imported-old-form", old_form)] {
        s.ok(
            &secret,
            op(
                "Import",
                vec![
                    text("UniqueIdentifier", uid),
                    e("ObjectType", "SymmetricKey"),
                    e("KeyWrapType", "NotWrapped"),
                    attributes(vec![e("CryptographicAlgorithm", "AES")]),
                    json!({"tag": "SymmetricKey", "type": "Structure", "value": object}),
                ],
            ),
        )
        .await;
        assert_eq!(
            material(&s.ok(&secret, uid_op("Get", uid)).await, "SymmetricKey"),
            plain
        );
    }
    // Importing over it needs Replace Existing.
    let reimport = |replace: bool| {
        op(
            "Import",
            vec![
                text("UniqueIdentifier", "imported"),
                e("ObjectType", "SymmetricKey"),
                boolean("ReplaceExisting", replace),
                attributes(vec![]),
                key_object("SymmetricKey", "Raw", &[3; 16], Some("AES"), None),
            ],
        )
    };
    fails_with(&s, &secret, reimport(false), "ObjectAlreadyExists").await;
    s.ok(&secret, reimport(true)).await;
    assert_eq!(
        material(
            &s.ok(&secret, uid_op("Get", "imported")).await,
            "SymmetricKey"
        ),
        vec![3; 16]
    );

    // AES-KWP for data that is not a multiple of 8 bytes (a 20-byte HMAC key).
    let odd = uid_of(&s.ok(&secret, create("HMAC_SHA1", 160, vec![])).await);
    let w = s
        .ok(
            &secret,
            get_wrapped(
                &odd,
                wrapping_spec(
                    &kek,
                    vec![params(vec![e("BlockCipherMode", "AESKeyWrapPadding")])],
                ),
            ),
        )
        .await;
    assert_eq!(wrapped_value(&w, "SymmetricKey").len(), 32);

    // RSA-OAEP with a public key; the private key decrypts it back.
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![
                    e("CryptographicAlgorithm", "RSA"),
                    i("CryptographicLength", 2048),
                    active_now(),
                ],
                vec![mask(DECRYPT | UNWRAP)],
                vec![mask(ENCRYPT | WRAP)],
            ),
        )
        .await;
    let rsa_priv = field(&r, "PrivateKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    let rsa_pub = field(&r, "PublicKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    let oaep = params(vec![
        e("PaddingMethod", "OAEP"),
        e("HashingAlgorithm", "SHA_256"),
    ]);
    let w = s
        .ok(
            &secret,
            get_wrapped(&key, wrapping_spec(&rsa_pub, vec![oaep.clone()])),
        )
        .await;
    let wrapped = wrapped_value(&w, "SymmetricKey");
    assert_eq!(wrapped.len(), 256);
    let d = s
        .ok(
            &secret,
            op(
                "Decrypt",
                vec![
                    text("UniqueIdentifier", &rsa_priv),
                    oaep,
                    bytes("Data", &wrapped),
                ],
            ),
        )
        .await;
    assert_eq!(hexv(field(&d, "Data")), plain);

    // TTLV encoding wraps the whole Key Value, which becomes a byte string.
    let w = s
        .ok(
            &secret,
            get_wrapped(
                &key,
                st(
                    "KeyWrappingSpecification",
                    vec![
                        e("WrappingMethod", "Encrypt"),
                        st(
                            "EncryptionKeyInformation",
                            vec![text("UniqueIdentifier", &kek)],
                        ),
                        e("EncodingOption", "TTLVEncoding"),
                    ],
                ),
            ),
        )
        .await;
    let block = key_block(&w, "SymmetricKey");
    assert!(
        block
            .iter()
            .any(|b| b["tag"] == "KeyValue" && b["type"] == "ByteString")
    );

    // Failures: unknown wrapping key, wrapping key not active, without WrapKey, itself,
    // an unsupported method.
    fails_with(
        &s,
        &secret,
        get_wrapped(&key, wrapping_spec("nope", vec![])),
        "WrappingObjectNotFound",
    )
    .await;
    let idle = uid_of(&s.ok(&secret, create("AES", 256, vec![mask(WRAP)])).await);
    fails_with(
        &s,
        &secret,
        get_wrapped(&key, wrapping_spec(&idle, vec![])),
        "WrongKeyLifecycleState",
    )
    .await;
    let no_wrap = uid_of(
        &s.ok(
            &secret,
            create("AES", 256, vec![mask(ENCRYPT), active_now()]),
        )
        .await,
    );
    fails_with(
        &s,
        &secret,
        get_wrapped(&key, wrapping_spec(&no_wrap, vec![])),
        "IncompatibleCryptographicUsageMask",
    )
    .await;
    fails_with(
        &s,
        &secret,
        get_wrapped(&kek, wrapping_spec(&kek, vec![])),
        "IllegalOperation",
    )
    .await;
    fails_with(
        &s,
        &secret,
        get_wrapped(
            &key,
            st(
                "KeyWrappingSpecification",
                vec![
                    e("WrappingMethod", "MACSign"),
                    st(
                        "EncryptionKeyInformation",
                        vec![text("UniqueIdentifier", &kek)],
                    ),
                ],
            ),
        ),
        "FeatureNotSupported",
    )
    .await;

    // Sensitive keys leave only wrapped; non-extractable ones never.
    let sensitive = uid_of(
        &s.ok(
            &secret,
            create("AES", 128, vec![boolean("Sensitive", true)]),
        )
        .await,
    );
    fails_with(&s, &secret, uid_op("Get", &sensitive), "Sensitive").await;
    s.ok(
        &secret,
        get_wrapped(&sensitive, wrapping_spec(&kek, vec![])),
    )
    .await;
    // The protection cannot be lifted.
    fails_with(
        &s,
        &secret,
        op(
            "SetAttribute",
            vec![
                text("UniqueIdentifier", &sensitive),
                st("NewAttribute", vec![boolean("Sensitive", false)]),
            ],
        ),
        "AttributeReadOnly",
    )
    .await;
    fails_with(
        &s,
        &secret,
        op(
            "DeleteAttribute",
            vec![
                text("UniqueIdentifier", &sensitive),
                e("AttributeReference", "Sensitive"),
            ],
        ),
        "AttributeReadOnly",
    )
    .await;
    let locked = uid_of(
        &s.ok(
            &secret,
            create("AES", 128, vec![boolean("Extractable", false)]),
        )
        .await,
    );
    fails_with(&s, &secret, uid_op("Get", &locked), "NotExtractable").await;
    fails_with(
        &s,
        &secret,
        op(
            "SetAttribute",
            vec![
                text("UniqueIdentifier", &locked),
                st("NewAttribute", vec![boolean("Extractable", true)]),
            ],
        ),
        "AttributeReadOnly",
    )
    .await;
    fails_with(
        &s,
        &secret,
        get_wrapped(&locked, wrapping_spec(&kek, vec![])),
        "NotExtractable",
    )
    .await;

    // Export: the value and the attributes.
    let x = s.ok(&secret, uid_op("Export", &key)).await;
    assert_eq!(field(&x, "ObjectType"), "SymmetricKey");
    assert_eq!(field(&attrs_of(&x), "CryptographicLength"), 256);
    assert_eq!(material(&x, "SymmetricKey"), plain);
    fails_with(&s, &secret, uid_op("Export", "nope"), "ObjectNotFound").await;
}
