//! End to end over `POST /kmip/2_1`: Encrypt/Decrypt in every mode, Sign/SignatureVerify,
//! MAC/MACVerify, Hash, RNGRetrieve and DeriveKey, with known answers from the standards that
//! define them and the failures a client can cause.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod operations_common;
mod support;

use operations_common::*;
use serde_json::{Value, json};
use support::*;

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

/// Registers an Active symmetric key with a usage mask.
async fn sym(s: &Server, secret: &str, alg: &str, key: &[u8], usage: i64) -> String {
    uid_of(
        &s.ok(
            secret,
            register(
                "SymmetricKey",
                vec![mask(usage), active_now()],
                key_object("SymmetricKey", "Raw", key, Some(alg), None),
            ),
        )
        .await,
    )
}

fn encrypt(uid: &str, p: Vec<Value>, data: &[u8], iv: Option<&[u8]>) -> Value {
    let mut v = vec![
        text("UniqueIdentifier", uid),
        params(p),
        bytes("Data", data),
    ];
    if let Some(iv) = iv {
        v.push(bytes("IVCounterNonce", iv));
    }
    op("Encrypt", v)
}

fn decrypt(uid: &str, p: Vec<Value>, data: &[u8], iv: Option<&[u8]>, tag: Option<&[u8]>) -> Value {
    let mut v = vec![
        text("UniqueIdentifier", uid),
        params(p),
        bytes("Data", data),
    ];
    if let Some(iv) = iv {
        v.push(bytes("IVCounterNonce", iv));
    }
    if let Some(t) = tag {
        v.push(bytes("AuthenticatedEncryptionTag", t));
    }
    op("Decrypt", v)
}

fn opt_field(items: &[Value], tag: &str) -> Option<Vec<u8>> {
    items
        .iter()
        .find(|i| i["tag"] == tag)
        .map(|i| hexv(&i["value"]))
}

#[tokio::test]
async fn encrypt_decrypt_every_mode() {
    let (_tmp, s, secret) = server().await;
    // NIST SP 800-38A, AES-128, first block of F.1.1 (ECB), F.2.1 (CBC), F.5.1 (CTR).
    let key = h("2b7e151628aed2a6abf7158809cf4f3c");
    let pt = h("6bc1bee22e409f96e93d7e117393172a");
    let uid = sym(&s, &secret, "AES", &key, ENCRYPT | DECRYPT).await;
    let none = || e("PaddingMethod", "None");
    type Case = (Vec<Value>, Option<Vec<u8>>, &'static str);
    let cases: Vec<Case> = vec![
        (
            vec![e("BlockCipherMode", "ECB"), none()],
            None,
            "3ad77bb40d7a3660a89ecaf32466ef97",
        ),
        (
            vec![e("BlockCipherMode", "CBC"), none()],
            Some(h("000102030405060708090a0b0c0d0e0f")),
            "7649abac8119b246cee98e9b12e9197d",
        ),
        (
            vec![e("BlockCipherMode", "CTR")],
            Some(h("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")),
            "874d6191b620e3261bef6864990db6ce",
        ),
    ];
    for (p, iv, want) in cases {
        let r = s
            .ok(&secret, encrypt(&uid, p.clone(), &pt, iv.as_deref()))
            .await;
        assert_eq!(hex::encode(hexv(field(&r, "Data"))), want, "{p:?}");
        assert!(
            opt_field(&r, "IVCounterNonce").is_none(),
            "a given IV is not echoed"
        );
        let back = s
            .ok(&secret, decrypt(&uid, p, &h(want), iv.as_deref(), None))
            .await;
        assert_eq!(hexv(field(&back, "Data")), pt);
    }

    // Server-drawn IVs, PKCS5 padding when asked (CBC pads only then), CFB and OFB, GCM with
    // a tag.
    let msg = b"This is a secret message.";
    for p in [
        vec![
            e("CryptographicAlgorithm", "AES"),
            e("BlockCipherMode", "CBC"),
            e("PaddingMethod", "PKCS5"),
        ],
        vec![e("BlockCipherMode", "CFB")],
        vec![e("BlockCipherMode", "OFB")],
        vec![e("BlockCipherMode", "GCM")],
    ] {
        let r = s.ok(&secret, encrypt(&uid, p.clone(), msg, None)).await;
        let iv = opt_field(&r, "IVCounterNonce").expect("the server made the IV");
        let ct = hexv(field(&r, "Data"));
        let tag = opt_field(&r, "AuthenticatedEncryptionTag");
        let back = s
            .ok(&secret, decrypt(&uid, p, &ct, Some(&iv), tag.as_deref()))
            .await;
        assert_eq!(hexv(field(&back, "Data")), msg);
    }

    // ChaCha20-Poly1305 and Blowfish-CBC.
    let chacha = sym(&s, &secret, "ChaCha20", &[5; 32], ENCRYPT | DECRYPT).await;
    let r = s.ok(&secret, encrypt(&chacha, vec![], msg, None)).await;
    let back = s
        .ok(
            &secret,
            decrypt(
                &chacha,
                vec![],
                &hexv(field(&r, "Data")),
                opt_field(&r, "IVCounterNonce").as_deref(),
                opt_field(&r, "AuthenticatedEncryptionTag").as_deref(),
            ),
        )
        .await;
    assert_eq!(hexv(field(&back, "Data")), msg);
    let bf = sym(&s, &secret, "Blowfish", &[6; 16], ENCRYPT | DECRYPT).await;
    let bf_cbc = || vec![e("BlockCipherMode", "CBC"), e("PaddingMethod", "PKCS5")];
    let r = s
        .ok(&secret, encrypt(&bf, bf_cbc(), msg, Some(&[1; 8])))
        .await;
    assert_eq!(hexv(field(&r, "Data")).len(), 32);
    let back = s
        .ok(
            &secret,
            decrypt(&bf, bf_cbc(), &hexv(field(&r, "Data")), Some(&[1; 8]), None),
        )
        .await;
    assert_eq!(hexv(field(&back, "Data")), msg);

    // RSA: OAEP (SHA-1, SHA-256) and PKCS#1 v1.5; the public key encrypts, the private decrypts.
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![
                    e("CryptographicAlgorithm", "RSA"),
                    i("CryptographicLength", 2048),
                    active_now(),
                ],
                vec![mask(DECRYPT)],
                vec![mask(ENCRYPT)],
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
    for p in [
        vec![e("PaddingMethod", "OAEP"), e("HashingAlgorithm", "SHA_1")],
        vec![e("PaddingMethod", "OAEP"), e("HashingAlgorithm", "SHA_256")],
        vec![e("PaddingMethod", "PKCS1v1_5")],
        vec![],
    ] {
        let r = s.ok(&secret, encrypt(&rsa_pub, p.clone(), msg, None)).await;
        let ct = hexv(field(&r, "Data"));
        assert_eq!(ct.len(), 256);
        let back = s.ok(&secret, decrypt(&rsa_priv, p, &ct, None, None)).await;
        assert_eq!(hexv(field(&back, "Data")), msg);
    }

    // Failures.
    fails_with(
        &s,
        &secret,
        encrypt("nope", vec![], msg, None),
        "ObjectNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        decrypt(
            &uid,
            vec![e("BlockCipherMode", "CBC")],
            &[0; 16],
            None,
            None,
        ),
        "InvalidMessage",
    )
    .await;
    fails_with(
        &s,
        &secret,
        encrypt(
            &uid,
            vec![e("BlockCipherMode", "CBC"), none()],
            b"not sixteen",
            Some(&[0; 16]),
        ),
        "InvalidField",
    )
    .await;
    fails_with(
        &s,
        &secret,
        encrypt(&uid, vec![e("BlockCipherMode", "CBC")], msg, Some(&[0; 5])),
        "BadCryptographicParameters",
    )
    .await;
    fails_with(
        &s,
        &secret,
        encrypt(&uid, vec![e("BlockCipherMode", "XTS")], msg, None),
        "FeatureNotSupported",
    )
    .await;
    fails_with(
        &s,
        &secret,
        encrypt(&chacha, vec![e("BlockCipherMode", "CBC")], msg, None),
        "BadCryptographicParameters",
    )
    .await;
    fails_with(
        &s,
        &secret,
        encrypt(
            &uid,
            vec![e("CryptographicAlgorithm", "Blowfish")],
            msg,
            None,
        ),
        "BadCryptographicParameters",
    )
    .await;
    fails_with(
        &s,
        &secret,
        encrypt(&rsa_priv, vec![], msg, None),
        "IllegalObjectType",
    )
    .await;
    fails_with(
        &s,
        &secret,
        decrypt(&rsa_priv, vec![], &[1; 256], None, None),
        "CryptographicFailure",
    )
    .await;
    let sign_only = sym(&s, &secret, "AES", &[1; 16], SIGN).await;
    fails_with(
        &s,
        &secret,
        encrypt(&sign_only, vec![], msg, None),
        "IncompatibleCryptographicUsageMask",
    )
    .await;
    let r = s.ok(&secret, encrypt(&uid, vec![], msg, None)).await;
    let mut tag = opt_field(&r, "AuthenticatedEncryptionTag").unwrap();
    tag[0] ^= 1;
    fails_with(
        &s,
        &secret,
        decrypt(
            &uid,
            vec![],
            &hexv(field(&r, "Data")),
            opt_field(&r, "IVCounterNonce").as_deref(),
            Some(&tag),
        ),
        "CryptographicFailure",
    )
    .await;
    // Encrypt in parts answers a Correlation Value (docs/kmip.md, "Multi-part Encrypt");
    // Decrypt in parts stays refused.
    let first_part = |operation: &str| {
        let part = vec![
            text("UniqueIdentifier", &uid),
            bytes("Data", msg),
            boolean("InitIndicator", true),
        ];
        op(operation, part)
    };
    let first = s.ok(&secret, first_part("Encrypt")).await;
    assert!(opt_field(&first, "CorrelationValue").is_some(), "{first:?}");
    fails_with(&s, &secret, first_part("Decrypt"), "FeatureNotSupported").await;
}

fn key_pair(common: Vec<Value>) -> Value {
    let mut c = common;
    c.push(active_now());
    create_key_pair(c, vec![mask(SIGN)], vec![mask(VERIFY)])
}

#[tokio::test]
async fn sign_and_verify() {
    let (_tmp, s, secret) = server().await;
    let msg = b"the message";
    let pairs = [
        (
            vec![
                e("CryptographicAlgorithm", "RSA"),
                i("CryptographicLength", 2048),
            ],
            vec![],
        ),
        (
            vec![
                e("CryptographicAlgorithm", "RSA"),
                i("CryptographicLength", 3072),
            ],
            vec![e("PaddingMethod", "PSS"), e("HashingAlgorithm", "SHA_256")],
        ),
        (
            vec![
                e("CryptographicAlgorithm", "RSA"),
                i("CryptographicLength", 4096),
            ],
            vec![e("DigitalSignatureAlgorithm", "SHA_384WithRSAEncryption")],
        ),
        (
            vec![
                e("CryptographicAlgorithm", "ECDSA"),
                i("CryptographicLength", 256),
            ],
            vec![],
        ),
        (
            vec![
                e("CryptographicAlgorithm", "EC"),
                i("CryptographicLength", 384),
            ],
            vec![e("DigitalSignatureAlgorithm", "ECDSAWithSHA384")],
        ),
        (
            vec![
                e("CryptographicAlgorithm", "EC"),
                st(
                    "CryptographicDomainParameters",
                    vec![e("RecommendedCurve", "P_521")],
                ),
            ],
            vec![e("HashingAlgorithm", "SHA_512")],
        ),
        (vec![e("CryptographicAlgorithm", "Ed25519")], vec![]),
    ];
    let mut rsa = None;
    for (common, p) in pairs {
        let r = s.ok(&secret, key_pair(common.clone())).await;
        let pk = field(&r, "PrivateKeyUniqueIdentifier")
            .as_str()
            .unwrap()
            .to_string();
        let vk = field(&r, "PublicKeyUniqueIdentifier")
            .as_str()
            .unwrap()
            .to_string();
        let sig = s
            .ok(
                &secret,
                op(
                    "Sign",
                    vec![
                        text("UniqueIdentifier", &pk),
                        params(p.clone()),
                        bytes("Data", msg),
                    ],
                ),
            )
            .await;
        let sig = hexv(field(&sig, "SignatureData"));
        for (data, want) in [(&msg[..], "Valid"), (b"other", "Invalid")] {
            let v = s
                .ok(
                    &secret,
                    op(
                        "SignatureVerify",
                        vec![
                            text("UniqueIdentifier", &vk),
                            params(p.clone()),
                            bytes("Data", data),
                            bytes("SignatureData", &sig),
                        ],
                    ),
                )
                .await;
            assert_eq!(field(&v, "ValidityIndicator"), want, "{common:?} {p:?}");
        }
        rsa.get_or_insert((pk, vk));
    }
    let (pk, vk) = rsa.unwrap();

    // A digest computed by Hash, signed as DigestedData, verifies against the message.
    let d = s
        .ok(
            &secret,
            op(
                "Hash",
                vec![
                    params(vec![e("HashingAlgorithm", "SHA_256")]),
                    bytes("Data", msg),
                ],
            ),
        )
        .await;
    let sig = s
        .ok(
            &secret,
            op(
                "Sign",
                vec![
                    text("UniqueIdentifier", &pk),
                    json!({"tag": "DigestedData", "type": "ByteString", "value": field(&d, "Data")}),
                ],
            ),
        )
        .await;
    let v = s
        .ok(
            &secret,
            op(
                "SignatureVerify",
                vec![
                    text("UniqueIdentifier", &vk),
                    bytes("Data", msg),
                    json!({"tag": "SignatureData", "type": "ByteString", "value": field(&sig, "SignatureData")}),
                ],
            ),
        )
        .await;
    assert_eq!(field(&v, "ValidityIndicator"), "Valid");

    // Failures.
    let sign = |uid: &str, p: Vec<Value>| {
        op(
            "Sign",
            vec![text("UniqueIdentifier", uid), params(p), bytes("Data", msg)],
        )
    };
    fails_with(&s, &secret, sign(&vk, vec![]), "IllegalObjectType").await;
    fails_with(&s, &secret, sign("nope", vec![]), "ObjectNotFound").await;
    fails_with(
        &s,
        &secret,
        sign(&pk, vec![e("DigitalSignatureAlgorithm", "ECDSAWithSHA256")]),
        "BadCryptographicParameters",
    )
    .await;
    fails_with(
        &s,
        &secret,
        sign(&pk, vec![e("PaddingMethod", "OAEP")]),
        "BadCryptographicParameters",
    )
    .await;
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![e("CryptographicAlgorithm", "Ed25519")],
                vec![mask(DECRYPT)],
                vec![],
            ),
        )
        .await;
    let idle = field(&r, "PrivateKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    fails_with(&s, &secret, sign(&idle, vec![]), "WrongKeyLifecycleState").await;
    activate(&s, &secret, &idle).await;
    fails_with(
        &s,
        &secret,
        sign(&idle, vec![]),
        "IncompatibleCryptographicUsageMask",
    )
    .await;
    fails_with(
        &s,
        &secret,
        op(
            "SignatureVerify",
            vec![text("UniqueIdentifier", &vk), bytes("Data", msg)],
        ),
        "MissingData",
    )
    .await;
}

#[tokio::test]
async fn mac_hash_and_random() {
    let (_tmp, s, secret) = server().await;
    // RFC 4231 test case 2.
    let key = sym(
        &s,
        &secret,
        "HMAC_SHA256",
        b"Jefe",
        MAC_GENERATE | MAC_VERIFY,
    )
    .await;
    let data = b"what do ya want for nothing?";
    let r = s
        .ok(
            &secret,
            op(
                "MAC",
                vec![text("UniqueIdentifier", &key), bytes("Data", data)],
            ),
        )
        .await;
    assert_eq!(
        hex::encode(hexv(field(&r, "MACData"))),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let verify = |mac: &[u8]| {
        op(
            "MACVerify",
            vec![
                text("UniqueIdentifier", &key),
                bytes("Data", data),
                bytes("MACData", mac),
            ],
        )
    };
    let good = hexv(field(&r, "MACData"));
    let v = s.ok(&secret, verify(&good)).await;
    assert_eq!(field(&v, "ValidityIndicator"), "Valid");
    let v = s.ok(&secret, verify(&good[..16])).await;
    assert_eq!(field(&v, "ValidityIndicator"), "Invalid");
    // The other HMACs, by key algorithm or by parameters.
    for (alg, len) in [("HMAC_SHA1", 20), ("HMAC_SHA384", 48), ("HMAC_SHA512", 64)] {
        let k = uid_of(
            &s.ok(
                &secret,
                create(
                    alg,
                    (len * 8) as i64,
                    vec![mask(MAC_GENERATE), active_now()],
                ),
            )
            .await,
        );
        let r = s
            .ok(
                &secret,
                op(
                    "MAC",
                    vec![text("UniqueIdentifier", &k), bytes("Data", data)],
                ),
            )
            .await;
        assert_eq!(hexv(field(&r, "MACData")).len(), len, "{alg}");
    }
    let aes = sym(&s, &secret, "AES", &[1; 32], MAC_GENERATE).await;
    fails_with(
        &s,
        &secret,
        op(
            "MAC",
            vec![text("UniqueIdentifier", &aes), bytes("Data", data)],
        ),
        "BadCryptographicParameters",
    )
    .await;
    let r = s
        .ok(
            &secret,
            op(
                "MAC",
                vec![
                    text("UniqueIdentifier", &aes),
                    params(vec![e("CryptographicAlgorithm", "HMAC_SHA256")]),
                    bytes("Data", data),
                ],
            ),
        )
        .await;
    assert_eq!(hexv(field(&r, "MACData")).len(), 32);
    fails_with(
        &s,
        &secret,
        op("MAC", vec![text("UniqueIdentifier", &key)]),
        "MissingData",
    )
    .await;

    // Hash: SHA-256("abc") (FIPS 180-2), SHA-1, SHA3-256 lengths.
    let hash = |alg: &str, d: &[u8]| {
        op(
            "Hash",
            vec![params(vec![e("HashingAlgorithm", alg)]), bytes("Data", d)],
        )
    };
    let r = s.ok(&secret, hash("SHA_256", b"abc")).await;
    assert_eq!(
        hex::encode(hexv(field(&r, "Data"))),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hexv(field(&s.ok(&secret, hash("SHA_1", b"abc")).await, "Data")).len(),
        20
    );
    assert_eq!(
        hexv(field(
            &s.ok(&secret, hash("SHA3_256", b"abc")).await,
            "Data"
        ))
        .len(),
        32
    );
    fails_with(&s, &secret, hash("MD5", b"abc"), "FeatureNotSupported").await;
    fails_with(
        &s,
        &secret,
        op("Hash", vec![bytes("Data", b"abc")]),
        "MissingData",
    )
    .await;

    // RNGRetrieve.
    let r = s
        .ok(&secret, op("RNGRetrieve", vec![i("DataLength", 48)]))
        .await;
    let a = hexv(field(&r, "Data"));
    assert_eq!(a.len(), 48);
    let r = s
        .ok(&secret, op("RNGRetrieve", vec![i("DataLength", 48)]))
        .await;
    assert_ne!(hexv(field(&r, "Data")), a);
    fails_with(
        &s,
        &secret,
        op("RNGRetrieve", vec![i("DataLength", 0)]),
        "InvalidField",
    )
    .await;
    fails_with(
        &s,
        &secret,
        op("RNGRetrieve", vec![i("DataLength", 1 << 21)]),
        "InvalidField",
    )
    .await;
    fails_with(&s, &secret, op("RNGRetrieve", vec![]), "MissingData").await;
}

fn derive(object_type: &str, base: &str, method: &str, dp: Vec<Value>, attrs: Vec<Value>) -> Value {
    op(
        "DeriveKey",
        vec![
            e("ObjectType", object_type),
            text("UniqueIdentifier", base),
            e("DerivationMethod", method),
            st("DerivationParameters", dp),
            attributes(attrs),
        ],
    )
}

async fn secret_data(s: &Server, secret: &str, value: &[u8], usage: i64) -> String {
    uid_of(
        &s.ok(
            secret,
            register("SecretData", vec![mask(usage)], seed_data(value)),
        )
        .await,
    )
}

#[tokio::test]
async fn derive_key_methods() {
    let (_tmp, s, secret) = server().await;
    let sha = |h: &str| params(vec![e("HashingAlgorithm", h)]);
    let aes = |bits: i64| {
        vec![
            e("CryptographicAlgorithm", "AES"),
            i("CryptographicLength", bits),
        ]
    };

    // PBKDF2-HMAC-SHA1, RFC 6070 first vector; the key is PreActive (registered) and still
    // derives: KMIP sets no state rule for derivation.
    let password = secret_data(&s, &secret, b"password", DERIVE).await;
    let r = s
        .ok(
            &secret,
            derive(
                "SymmetricKey",
                &password,
                "PBKDF2",
                vec![sha("SHA_1"), bytes("Salt", b"salt"), i("IterationCount", 1)],
                aes(160),
            ),
        )
        .await;
    let k = uid_of(&r);
    assert_eq!(
        hex::encode(material(
            &s.ok(&secret, uid_op("Get", &k)).await,
            "SymmetricKey"
        )),
        "0c60c80f961f0e71f3a9b524af6012062fe037a6"
    );
    // Linked both ways.
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &k)).await);
    let link = items(field(&a, "Link"));
    assert_eq!(field(&link, "LinkType"), "DerivationBaseObjectLink");
    assert_eq!(field(&link, "LinkedObjectIdentifier"), password.as_str());
    let a = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &password)).await);
    assert_eq!(
        field(&items(field(&a, "Link")), "LinkedObjectIdentifier"),
        k.as_str()
    );

    // HMAC (HKDF): RFC 5869 cases 1 (SHA-256) and 4 (SHA-1).
    let ikm = secret_data(&s, &secret, &[0x0b; 22], DERIVE).await;
    let r = s
        .ok(
            &secret,
            derive(
                "SecretData",
                &ikm,
                "HMAC",
                vec![
                    sha("SHA_256"),
                    bytes("Salt", &h("000102030405060708090a0b0c")),
                    bytes("DerivationData", &h("f0f1f2f3f4f5f6f7f8f9")),
                ],
                vec![i("CryptographicLength", 42 * 8)],
            ),
        )
        .await;
    assert_eq!(
        hex::encode(material(
            &s.ok(&secret, uid_op("Get", &uid_of(&r))).await,
            "SecretData"
        )),
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    );
    let ikm = secret_data(&s, &secret, &[0x0b; 11], DERIVE).await;
    let r = s
        .ok(
            &secret,
            derive(
                "SecretData",
                &ikm,
                "HMAC",
                vec![
                    sha("SHA_1"),
                    bytes("Salt", &h("000102030405060708090a0b0c")),
                    bytes("DerivationData", &h("f0f1f2f3f4f5f6f7f8f9")),
                ],
                vec![i("CryptographicLength", 42 * 8)],
            ),
        )
        .await;
    assert_eq!(
        hex::encode(material(
            &s.ok(&secret, uid_op("Get", &uid_of(&r))).await,
            "SecretData"
        )),
        "085a01ea1b10f36933068b56efa5ad81a4f14b822f5b091568a9cdd4f155fda2c22e422478d305f3f896"
    );

    // NIST SP 800-108 counter mode: deterministic, of the asked length.
    let base = sym(&s, &secret, "AES", &[0x42; 32], DERIVE).await;
    let kbkdf = || {
        derive(
            "SymmetricKey",
            &base,
            "NIST800_108_C",
            vec![
                sha("SHA_512"),
                bytes("DerivationData", b"label and context"),
            ],
            aes(256),
        )
    };
    let k1 = uid_of(&s.ok(&secret, kbkdf()).await);
    let k2 = uid_of(&s.ok(&secret, kbkdf()).await);
    let m1 = material(&s.ok(&secret, uid_op("Get", &k1)).await, "SymmetricKey");
    assert_eq!(m1.len(), 32);
    assert_eq!(
        m1,
        material(&s.ok(&secret, uid_op("Get", &k2)).await, "SymmetricKey")
    );

    // ENCRYPT: the derivation data encrypted with the base key (AES-CBC here), checked
    // against Encrypt with the same key and IV.
    let enc_base = sym(&s, &secret, "AES", &[0x24; 16], DERIVE | ENCRYPT).await;
    let cbc = vec![e("BlockCipherMode", "CBC"), e("PaddingMethod", "PKCS5")];
    let r = s
        .ok(
            &secret,
            derive(
                "SecretData",
                &enc_base,
                "ENCRYPT",
                vec![
                    params(cbc.clone()),
                    bytes("InitializationVector", &[7; 16]),
                    bytes("DerivationData", b"0123456789abcdef0123"),
                ],
                vec![i("CryptographicLength", 256)],
            ),
        )
        .await;
    let derived = material(
        &s.ok(&secret, uid_op("Get", &uid_of(&r))).await,
        "SecretData",
    );
    let direct = s
        .ok(
            &secret,
            encrypt(&enc_base, cbc, b"0123456789abcdef0123", Some(&[7; 16])),
        )
        .await;
    assert_eq!(derived, hexv(field(&direct, "Data")));

    // Failures.
    let no_mask = secret_data(&s, &secret, b"pw", ENCRYPT).await;
    let pbkdf2 =
        |base: &str, dp: Vec<Value>, a: Vec<Value>| derive("SymmetricKey", base, "PBKDF2", dp, a);
    let good_dp = || vec![sha("SHA_256"), bytes("Salt", b"s"), i("IterationCount", 10)];
    fails_with(
        &s,
        &secret,
        pbkdf2(&no_mask, good_dp(), aes(128)),
        "IncompatibleCryptographicUsageMask",
    )
    .await;
    fails_with(
        &s,
        &secret,
        pbkdf2(
            &password,
            vec![sha("SHA_256"), i("IterationCount", 10)],
            aes(128),
        ),
        "MissingData",
    )
    .await;
    fails_with(
        &s,
        &secret,
        pbkdf2(
            &password,
            vec![sha("SHA_256"), bytes("Salt", b"s"), i("IterationCount", 0)],
            aes(128),
        ),
        "InvalidField",
    )
    .await;
    fails_with(
        &s,
        &secret,
        pbkdf2(
            &password,
            good_dp(),
            vec![e("CryptographicAlgorithm", "AES")],
        ),
        "MissingData",
    )
    .await;
    fails_with(
        &s,
        &secret,
        pbkdf2(&password, good_dp(), vec![i("CryptographicLength", 128)]),
        "MissingData",
    )
    .await;
    fails_with(
        &s,
        &secret,
        pbkdf2("nope", good_dp(), aes(128)),
        "ObjectNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        derive("SymmetricKey", &password, "AsymmetricKey", vec![], aes(128)),
        "FeatureNotSupported",
    )
    .await;
    fails_with(
        &s,
        &secret,
        derive("PublicKey", &password, "PBKDF2", good_dp(), aes(128)),
        "InvalidObjectType",
    )
    .await;
    let r = s
        .ok(
            &secret,
            create_key_pair(
                vec![e("CryptographicAlgorithm", "Ed25519")],
                vec![mask(DERIVE)],
                vec![],
            ),
        )
        .await;
    let ed = field(&r, "PrivateKeyUniqueIdentifier")
        .as_str()
        .unwrap()
        .to_string();
    fails_with(
        &s,
        &secret,
        pbkdf2(&ed, good_dp(), aes(128)),
        "IllegalObjectType",
    )
    .await;
    s.ok(&secret, revoke(&password, "KeyCompromise")).await;
    fails_with(
        &s,
        &secret,
        pbkdf2(&password, good_dp(), aes(128)),
        "WrongKeyLifecycleState",
    )
    .await;
}
