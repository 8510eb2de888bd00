//! Verifying an attestation token's signature against the service's published keys.
//!
//! The rules: the header's `alg` must be RS256 (no `none`, no HMAC, no other algorithm the
//! token might name to steer the verifier); the header must name its key (`kid`) and that key
//! must be in the JSON Web Key Set fetched from the service the client called (`{base}/certs`),
//! never from a URL the token names (`jku` is ignored); the key must be RSA of at least 2048 bits,
//! given as `n`/`e` or as an `x5c` certificate (Azure Attestation publishes `x5c` only) — when
//! both are given they must agree. Only then are the claims returned; checking them is
//! [`crate::checks`]'s job.

use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// The claims of `token` if its signature verifies with the key its `kid` names in `jwks`.
pub fn verify(token: &str, jwks: &Value) -> Result<Map<String, Value>, String> {
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
    let key = decoding_key(jwk).map_err(|e| format!("the service's key {kid}: {e}"))?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims = HashSet::new();
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation)
        .map_err(|e| format!("the signature does not verify with the service's key {kid}: {e}"))?;
    Ok(data.claims)
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
    let bits = n
        .first()
        .map(|top| n.len() * 8 - top.leading_zeros() as usize)
        .unwrap_or(0);
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "its RSA modulus has {bits} bits; at least {MIN_RSA_BITS} are required"
        ));
    }
    Ok((n, e))
}

fn decoding_key(jwk: &Value) -> Result<DecodingKey, String> {
    let (n, e) = rsa_components(jwk)?;
    Ok(DecodingKey::from_rsa_raw_components(&n, &e))
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
mod tests {
    use super::*;
    use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
    use aws_lc_rs::signature::KeyPair as _;
    use serde_json::json;

    fn signed(key: &KeyPair, header: &Value, claims: &Value) -> String {
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

    fn jwk(key: &KeyPair, kid: &str) -> Value {
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
        assert_eq!(verify(&good, &jwks).unwrap()["x"], 1);

        // Another key claiming the published kid.
        let forged = signed(
            &other,
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k1"}),
            &claims,
        );
        assert!(
            verify(&forged, &jwks)
                .unwrap_err()
                .contains("does not verify")
        );
        // A kid the service does not publish.
        let unknown = signed(
            &other,
            &json!({"alg": "RS256", "typ": "JWT", "kid": "k2"}),
            &claims,
        );
        assert!(verify(&unknown, &jwks).unwrap_err().contains("not one of"));
        // No kid.
        let no_kid = signed(&key, &json!({"alg": "RS256", "typ": "JWT"}), &claims);
        assert!(verify(&no_kid, &jwks).unwrap_err().contains("kid"));
        // Other algorithms are refused before any key is used.
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#);
        let c = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://a"}"#);
        let hs = format!("{h}.{c}.AAAA");
        assert!(verify(&hs, &jwks).unwrap_err().contains("only RS256"));
        let h = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
        assert!(verify(&format!("{h}.{c}."), &jwks).is_err());
        // A tampered payload.
        let mut parts: Vec<&str> = good.split('.').collect();
        let evil = URL_SAFE_NO_PAD.encode(br#"{"iss":"https://a","x":2}"#);
        parts[1] = &evil;
        assert!(verify(&parts.join("."), &jwks).is_err());
        assert!(verify("garbage", &jwks).is_err());
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
        let k = json!({"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"});
        assert!(rsa_components(&k).unwrap_err().contains("bits"));
        assert!(rsa_components(&json!({"kid": "k1"})).is_err());
    }
}
