//! Verifying an attestation token's signature against the service's published keys.
//!
//! The rules: the header's `alg` must be RS256 (no `none`, no HMAC, no other algorithm the
//! token might name to steer the verifier); the header must name its key (`kid`) and that key
//! must be in the JSON Web Key Set fetched from the service the client called (`{base}/certs`),
//! never from a URL the token names (`jku` is ignored); the key must be RSA of at least the
//! floor the caller gives (`--min-token-rsa-bits`, [`DEFAULT_MIN_RSA_BITS`] unless lowered),
//! given as `n`/`e` or as an `x5c` certificate (Azure Attestation publishes `x5c` only) — when
//! both are given they must agree. Only then are the claims returned, with the key's id and
//! size so that the report can name them; checking the claims is [`crate::checks`]'s job.
//!
//! The signature is verified by aws-lc-rs directly rather than through `jsonwebtoken`, whose
//! verifier refuses every key under 2048 bits: Azure Attestation's instances have signed with
//! RSA-1024 keys, and whether to accept one is the user's decision (the floor), not the
//! library's.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The smallest RSA modulus accepted unless the user lowers it, in bits.
pub const DEFAULT_MIN_RSA_BITS: usize = 2048;

/// The smallest floor a user may choose: aws-lc-rs verifies nothing under 1024 bits.
pub const LOWEST_MIN_RSA_BITS: usize = 1024;

/// A token whose signature verified, with the key that signed it.
#[derive(Clone, Debug)]
pub struct VerifiedToken {
    /// The claims.
    pub claims: Map<String, Value>,
    /// The `kid` of the signing key.
    pub kid: String,
    /// The size of the signing key's RSA modulus, in bits.
    pub key_bits: usize,
}

/// The claims of `token` if its RS256 signature verifies with the key its `kid` names in `jwks`
/// and that key has at least `min_rsa_bits` bits.
pub fn verify(token: &str, jwks: &Value, min_rsa_bits: usize) -> Result<VerifiedToken, String> {
    let token = token.trim();
    let header = jsonwebtoken::decode_header(token)
        .map_err(|e| format!("the token is not a readable JWT: {e}"))?;
    if header.alg != Algorithm::RS256 {
        return Err(format!(
            "the token is signed with {:?}; only RS256 is accepted",
            header.alg
        ));
    }
    let kid = header
        .kid
        .ok_or("the token header names no key (kid)".to_string())?;
    let keys = jwks
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("the service's key set has no `keys` array".to_string())?;
    let jwk = keys
        .iter()
        .find(|k| k.get("kid").and_then(Value::as_str) == Some(kid.as_str()))
        .ok_or_else(|| {
            format!(
                "the token's key {kid} is not one of the {} key(s) the service publishes: the service did not sign it",
                keys.len()
            )
        })?;
    let (n, e) = rsa_components(jwk).map_err(|e| format!("the service's key {kid}: {e}"))?;
    let key_bits = modulus_bits(&n);
    let floor = min_rsa_bits.max(LOWEST_MIN_RSA_BITS);
    if key_bits < floor {
        return Err(format!(
            "the service's key {kid} is RSA-{key_bits}, under the floor of {floor} bits (--min-token-rsa-bits): a key that small may be factored; pass --min-token-rsa-bits {key_bits} only if you accept this service's key size"
        ));
    }
    let (signing_input, signature) = token
        .rsplit_once('.')
        .ok_or("the token is not a readable JWT: no signature part".to_string())?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| "the token's signature is not base64url".to_string())?;
    // Keys of 2048 bits and more go through the modern parameters; smaller ones, admitted by
    // the user's floor only, through aws-lc-rs's legacy ones.
    let algorithm = if key_bits >= DEFAULT_MIN_RSA_BITS {
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256
    } else {
        &aws_lc_rs::signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY
    };
    aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e }
        .verify(algorithm, signing_input.as_bytes(), &signature)
        .map_err(|_| {
            format!("the signature does not verify with the service's key {kid} (RSA-{key_bits})")
        })?;
    let payload = signing_input
        .split_once('.')
        .map(|(_, p)| p)
        .ok_or("the token is not a readable JWT: no payload".to_string())?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| "the token's payload is not base64url".to_string())?;
    let claims: Map<String, Value> = serde_json::from_slice(&payload)
        .map_err(|e| format!("the token's payload is not a JSON object: {e}"))?;
    Ok(VerifiedToken {
        claims,
        kid,
        key_bits,
    })
}

fn modulus_bits(n: &[u8]) -> usize {
    n.first()
        .map(|top| n.len() * 8 - top.leading_zeros() as usize)
        .unwrap_or(0)
}

/// The RSA public key of a JWK, as modulus and exponent (big-endian, no leading zeros).
fn rsa_components(jwk: &Value) -> Result<(Vec<u8>, Vec<u8>), String> {
    if let Some(kty) = jwk.get("kty").and_then(Value::as_str)
        && kty != "RSA"
    {
        return Err(format!("it is a {kty} key, not RSA"));
    }
    if let Some(alg) = jwk.get("alg").and_then(Value::as_str)
        && alg != "RS256"
    {
        return Err(format!("it is published for {alg}, not RS256"));
    }
    if let Some(usage) = jwk.get("use").and_then(Value::as_str)
        && usage != "sig"
    {
        return Err(format!("it is published for {usage:?}, not for signatures"));
    }
    let from_ne = match (
        jwk.get("n").and_then(Value::as_str),
        jwk.get("e").and_then(Value::as_str),
    ) {
        (Some(n), Some(e)) => {
            let n = URL_SAFE_NO_PAD
                .decode(n.trim_end_matches('='))
                .map_err(|_| "its modulus n is not base64url".to_string())?;
            let e = URL_SAFE_NO_PAD
                .decode(e.trim_end_matches('='))
                .map_err(|_| "its exponent e is not base64url".to_string())?;
            Some((strip(&n).to_vec(), strip(&e).to_vec()))
        }
        _ => None,
    };
    let from_x5c = match jwk
        .get("x5c")
        .and_then(Value::as_array)
        .and_then(|a| a.first())
        .and_then(Value::as_str)
    {
        Some(b64) => Some(x5c_components(b64)?),
        None => None,
    };
    let (n, e) = match (from_ne, from_x5c) {
        (Some(ne), Some(x5c)) => {
            if ne != x5c {
                return Err("its n/e and its x5c certificate are different keys".to_string());
            }
            ne
        }
        (Some(ne), None) => ne,
        (None, Some(x5c)) => x5c,
        (None, None) => return Err("it has neither n/e nor an x5c certificate".to_string()),
    };
    if n.is_empty() {
        return Err("its RSA modulus is empty".to_string());
    }
    Ok((n, e))
}

fn x5c_components(b64: &str) -> Result<(Vec<u8>, Vec<u8>), String> {
    let der = STANDARD
        .decode(b64)
        .map_err(|_| "its x5c certificate is not base64".to_string())?;
    let (_, cert) = X509Certificate::from_der(&der)
        .map_err(|e| format!("its x5c certificate does not parse: {e}"))?;
    match cert.public_key().parsed() {
        Ok(PublicKey::RSA(rsa)) => Ok((strip(rsa.modulus).to_vec(), strip(rsa.exponent).to_vec())),
        Ok(_) => Err("its x5c certificate holds no RSA key".to_string()),
        Err(e) => Err(format!("its x5c certificate's key does not parse: {e}")),
    }
}

fn strip(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(first..).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
    use aws_lc_rs::signature::KeyPair as _;
    use serde_json::json;

    /// `claims` signed RS256 by `key` under `header` (also for the checks' tests).
    pub(crate) fn signed(key: &KeyPair, header: &Value, claims: &Value) -> String {
        let h = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
        let c = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
        let input = format!("{h}.{c}");
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; key.public_modulus_len()];
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            input.as_bytes(),
            &mut sig,
        )
        .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// The JWK of `key`'s public half, named `kid`.
    pub(crate) fn jwk(key: &KeyPair, kid: &str) -> Value {
        let c = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
        json!({"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
               "n": URL_SAFE_NO_PAD.encode(&c.n), "e": URL_SAFE_NO_PAD.encode(&c.e)})
    }

    #[test]
    fn rs256_with_a_published_key_verifies_and_nothing_else_does() {
        let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let other = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let jwks = json!({"keys": [jwk(&key, "k1")]});
        let claims = json!({"iss": "https://a", "x": 1});
        let good = signed(
            &key,
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}),
            &claims,
        );
        let verified = verify(&good, &jwks, DEFAULT_MIN_RSA_BITS).unwrap();
        assert_eq!(verified.claims["x"], 1);
        assert_eq!((verified.kid.as_str(), verified.key_bits), ("k1", 2048));
        // A floor above the key's size refuses it, naming both.
        let e = verify(&good, &jwks, 3072).unwrap_err();
        assert!(e.contains("RSA-2048") && e.contains("3072"), "{e}");

        // Another key claiming the published kid.
        let forged = signed(
            &other,
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}),
            &claims,
        );
        assert!(
            verify(&forged, &jwks, DEFAULT_MIN_RSA_BITS)
                .unwrap_err()
                .contains("does not verify")
        );
        // A kid the service does not publish.
        let unknown = signed(
            &other,
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k2"}),
            &claims,
        );
        assert!(
            verify(&unknown, &jwks, DEFAULT_MIN_RSA_BITS)
                .unwrap_err()
                .contains("not one of")
        );
        // No kid.
        let no_kid = signed(&key, &json!({"alg": "RS256", "typ": "JWT"}), &claims);
        assert!(
            verify(&no_kid, &jwks, DEFAULT_MIN_RSA_BITS)
                .unwrap_err()
                .contains("kid")
        );
        // Other algorithms are refused before any key is used.
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
        let c = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://a"}"#);
        let hs = format!("{h}.{c}.AAAA");
        assert!(
            verify(&hs, &jwks, DEFAULT_MIN_RSA_BITS)
                .unwrap_err()
                .contains("only RS256")
        );
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        assert!(verify(&format!("{h}.{c}."), &jwks, DEFAULT_MIN_RSA_BITS).is_err());
        // A tampered payload.
        let mut parts: Vec<&str> = good.split('.').collect();
        let evil = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://a","x":2}"#);
        parts[1] = &evil;
        assert!(verify(&parts.join("."), &jwks, DEFAULT_MIN_RSA_BITS).is_err());
        assert!(verify("garbage", &jwks, DEFAULT_MIN_RSA_BITS).is_err());
    }

    #[test]
    fn keys_must_be_usable_rsa_signature_keys() {
        let key = KeyPair::generate(KeySize::Rsa2048).unwrap();
        let mut k = jwk(&key, "k1");
        assert!(rsa_components(&k).is_ok());
        k["kty"] = json!("EC");
        assert!(rsa_components(&k).is_err());
        let mut k = jwk(&key, "k1");
        k["use"] = json!("enc");
        assert!(rsa_components(&k).is_err());
        let mut k = jwk(&key, "k1");
        k["alg"] = json!("RS512");
        assert!(rsa_components(&k).is_err());
        let k = json!({"kty": "RSA", "kid": "k1", "n": "", "e": "AQAB"});
        assert!(rsa_components(&k).unwrap_err().contains("empty"));
        assert!(rsa_components(&json!({"kid": "k1"})).is_err());
    }

    const WUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/maa/shared-wus");

    fn recorded(name: &str) -> String {
        std::fs::read_to_string(format!("{WUS}/{name}")).unwrap()
    }

    #[test]
    fn a_real_azure_token_verifies_with_its_x5c_key_only_above_the_floor_chosen() {
        let token = recorded("token.jwt");
        let jwks: Value = serde_json::from_str(&recorded("certs.json")).unwrap();
        // Azure's instance signed with RSA-1024: refused by default, naming the size.
        let e = verify(&token, &jwks, DEFAULT_MIN_RSA_BITS).unwrap_err();
        assert!(e.contains("RSA-1024") && e.contains("2048"), "{e}");
        let verified = verify(&token, &jwks, 1024).unwrap();
        assert_eq!(verified.key_bits, 1024);
        assert_eq!(verified.kid, "15N2MHoj9iAdkF/c5nRE3J2HB8JG6Vue3Uzvu3K/Ses=");
        assert_eq!(
            verified.claims["x-ms-sgx-mrenclave"],
            "b779202618becb636768e5d902f28d524222735fafb539ea9ba07c3fc171a1c2"
        );
        // One payload character changed: the signature no longer verifies.
        let (head, rest) = token.split_once('.').unwrap();
        let mut payload: Vec<char> = rest.chars().collect();
        payload[10] = if payload[10] == 'A' { 'B' } else { 'A' };
        let altered = format!("{head}.{}", payload.into_iter().collect::<String>());
        assert!(verify(&altered, &jwks, 1024).is_err());
        // A floor under what aws-lc-rs verifies is raised to it, not obeyed.
        assert!(verify(&token, &jwks, 512).is_ok());
    }
}
