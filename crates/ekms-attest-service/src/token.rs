//! The token signing key and the tokens it signs.
//!
//! [`TokenSigner`] holds an RSA key (RSA-2048 generated at start, or `--signing-key`), a
//! self-signed certificate for it (published in the JWKS `x5c`, as Microsoft Azure Attestation
//! publishes its signing certificates), its key id, and signs RS256 JWTs whose header carries
//! `kid` and `jku` (`{base}/certs`). [`TokenSigner::jwks`] is the key set `GET /certs` serves.
//!
//! The key id is the RFC 7638 JWK thumbprint (SHA-256, base64url) of the public key, so a key
//! loaded from a file keeps its id across restarts even though its certificate is re-made.

use std::path::Path;

use anyhow::{Context, bail};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rcgen::{CertificateParams, DistinguishedName, DnType};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Map, Value, json};

/// Smallest RSA modulus accepted for `--signing-key`, in bytes.
const MIN_RSA_BYTES: usize = 256;

/// Signs attestation tokens.
pub struct TokenSigner {
    encoding_key: EncodingKey,
    kid: String,
    jku: String,
    n_b64: String,
    e_b64: String,
    cert_der: Vec<u8>,
}

impl TokenSigner {
    /// A fresh RSA-2048 key, with a certificate naming `issuer`.
    pub fn generate(issuer: &str) -> anyhow::Result<Self> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048)
            .map_err(|_| anyhow::anyhow!("RSA-2048 key generation failed"))?;
        Self::from_key(key, issuer)
    }

    /// The RSA key in a PEM file (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`), with a
    /// certificate naming `issuer`.
    pub fn from_pem_file(path: &Path, issuer: &str) -> anyhow::Result<Self> {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read --signing-key {}", path.display()))?;
        let key = match rustls_pemfile::private_key(&mut pem.as_slice())
            .with_context(|| format!("{} is not a PEM private key", path.display()))?
        {
            Some(PrivateKeyDer::Pkcs8(der)) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der())
                .map_err(|e| anyhow::anyhow!("{}: not an RSA key: {e}", path.display()))?,
            Some(PrivateKeyDer::Pkcs1(der)) => RsaKeyPair::from_der(der.secret_pkcs1_der())
                .map_err(|e| anyhow::anyhow!("{}: not an RSA key: {e}", path.display()))?,
            Some(_) => bail!("{}: the token signing key must be RSA", path.display()),
            None => bail!("{} holds no PEM private key", path.display()),
        };
        if key.public_modulus_len() < MIN_RSA_BYTES {
            bail!(
                "{}: the RSA key has {} bits; at least 2048 are required",
                path.display(),
                key.public_modulus_len() * 8
            );
        }
        Self::from_key(key, issuer)
    }

    fn from_key(key: RsaKeyPair, issuer: &str) -> anyhow::Result<Self> {
        let pkcs8 = key
            .as_der()
            .map_err(|_| anyhow::anyhow!("cannot encode the signing key"))?;
        let pkcs8 = PrivatePkcs8KeyDer::from(pkcs8.as_ref().to_vec());
        let rc_key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
            .context("loading the signing key for its certificate")?;
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, issuer);
        params.distinguished_name = dn;
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now - time::Duration::days(1);
        params.not_after = now + time::Duration::days(365);
        params.is_ca = rcgen::IsCa::ExplicitNoCa;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let cert = params
            .self_signed(&rc_key)
            .context("making the signing certificate")?;
        let encoding_key = EncodingKey::from_rsa_pem(rc_key.serialize_pem().as_bytes())
            .context("loading the signing key for JWT")?;
        let components = PublicKeyComponents::<Vec<u8>>::from(key.public_key());
        let n_b64 = URL_SAFE_NO_PAD.encode(&components.n);
        let e_b64 = URL_SAFE_NO_PAD.encode(&components.e);
        Ok(Self {
            encoding_key,
            kid: jwk_thumbprint(&n_b64, &e_b64),
            jku: format!("{issuer}/certs"),
            n_b64,
            e_b64,
            cert_der: cert.der().to_vec(),
        })
    }

    /// The key id in token headers and the JWKS.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as an RS256 JWT.
    pub fn sign(&self, claims: &Map<String, Value>) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.jku = Some(self.jku.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding_key).context("signing the token")
    }

    /// The JSON Web Key Set of `GET /certs`.
    pub fn jwks(&self) -> Value {
        json!({
            "keys": [{
                "kty": "RSA",
                "kid": self.kid,
                "use": "sig",
                "alg": "RS256",
                "n": self.n_b64,
                "e": self.e_b64,
                "x5c": [STANDARD.encode(&self.cert_der)],
            }]
        })
    }
}

/// RFC 7638 thumbprint of an RSA public key: base64url(SHA-256 of the canonical JWK).
fn jwk_thumbprint(n_b64: &str, e_b64: &str) -> String {
    let canonical = format!(r#"{{"e":"{e_b64}","kty":"RSA","n":"{n_b64}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation, decode, decode_header};

    #[test]
    fn signed_tokens_verify_with_the_published_key() {
        let signer = TokenSigner::generate("https://127.0.0.1:1").unwrap();
        let mut claims = Map::new();
        claims.insert("iss".into(), json!("https://127.0.0.1:1"));
        claims.insert("exp".into(), json!(4_000_000_000u64));
        let token = signer.sign(&claims).unwrap();
        let header = decode_header(&token).unwrap();
        assert_eq!(header.alg, Algorithm::RS256);
        assert_eq!(header.kid.as_deref(), Some(signer.kid()));
        assert_eq!(header.jku.as_deref(), Some("https://127.0.0.1:1/certs"));

        let jwks = signer.jwks();
        let jwk = &jwks["keys"][0];
        assert_eq!(jwk["kid"], signer.kid());
        let key = DecodingKey::from_rsa_components(
            jwk["n"].as_str().unwrap(),
            jwk["e"].as_str().unwrap(),
        )
        .unwrap();
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&["https://127.0.0.1:1"]);
        let decoded = decode::<Value>(&token, &key, &validation).unwrap();
        assert_eq!(decoded.claims["iss"], "https://127.0.0.1:1");

        // The x5c certificate is DER and names the issuer.
        let der = STANDARD.decode(jwk["x5c"][0].as_str().unwrap()).unwrap();
        assert!(der.windows(19).any(|w| w == b"https://127.0.0.1:1"));
    }

    #[test]
    fn thumbprint_matches_rfc7638_example() {
        // The example key of RFC 7638 section 3.1.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        assert_eq!(
            jwk_thumbprint(n, "AQAB"),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn signing_key_files() {
        let dir = std::env::temp_dir().join(format!("ekms-attest-key-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = RsaKeyPair::generate(KeySize::Rsa2048).unwrap();
        let pkcs8 = key.as_der().unwrap();
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(pkcs8.as_ref())
        );
        let path = dir.join("key.pem");
        std::fs::write(&path, pem).unwrap();
        let a = TokenSigner::from_pem_file(&path, "https://a").unwrap();
        let b = TokenSigner::from_pem_file(&path, "https://a").unwrap();
        assert_eq!(a.kid(), b.kid(), "the key id is stable for a given key");

        let ec = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        std::fs::write(&path, ec.serialize_pem()).unwrap();
        assert!(TokenSigner::from_pem_file(&path, "https://a").is_err());
        std::fs::write(&path, "nothing").unwrap();
        assert!(TokenSigner::from_pem_file(&path, "https://a").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
