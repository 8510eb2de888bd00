//! OpenID Connect bearer tokens: verification against the identity provider's JWKS.
//!
//! The rules: the key set comes from `--jwt-jwks` (a file, or an `http(s)://` URL fetched at
//! start); only RSA (RS256, modulus of at least 2048 bits) and P-256 (ES256) signature keys are
//! kept, and a token's algorithm must be the one of the key that verifies it — `none` and the
//! HMAC algorithms are never accepted, whatever the token says. `iss` must be `--jwt-issuer`,
//! `aud` must hold `--jwt-audience`, `exp` is required and `exp`/`nbf` are enforced with
//! [`LEEWAY_SECONDS`] of clock skew. The user is the string claim `--jwt-user-claim`.
//! A token naming a key (`kid`) the set does not hold makes the set be read again, at most once
//! per [`REFRESH_INTERVAL`] (the provider may have rotated its keys).

use crate::config::Config;
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECONDS: u64 = 30;
/// The shortest time between two readings of the key set.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;

/// One usable key of the set.
#[derive(Clone)]
struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

enum Source {
    File(std::path::PathBuf),
    Url(String, reqwest::Client),
}

/// Verifies bearer tokens and names their user.
pub struct JwtVerifier {
    source: Source,
    issuer: String,
    audience: String,
    user_claim: String,
    keys: RwLock<Arc<Vec<Key>>>,
    last_read: Mutex<Instant>,
}

impl JwtVerifier {
    /// Reads the key set named by `source` (a file or an `http(s)://` URL) for the JWT
    /// settings of `config`. Fails when the issuer or the audience is not set, or when the set
    /// holds no usable key.
    pub async fn load(source: &str, config: &Config) -> anyhow::Result<Self> {
        let Some(issuer) = config.jwt_issuer.clone() else {
            bail!("--jwt-jwks needs --jwt-issuer (the `iss` tokens must carry)");
        };
        let Some(audience) = config.jwt_audience.clone() else {
            bail!("--jwt-jwks needs --jwt-audience (the `aud` tokens must carry)");
        };
        let source = if source.starts_with("https://") || source.starts_with("http://") {
            Source::Url(source.to_string(), http_client()?)
        } else {
            Source::File(source.into())
        };
        let text = read(&source).await?;
        let keys = parse_jwks(&text)?;
        if keys.is_empty() {
            bail!(
                "the JWKS {} holds no RS256 or ES256 signature key",
                describe(&source)
            );
        }
        Ok(Self {
            source,
            issuer,
            audience,
            user_claim: config.jwt_user_claim.clone(),
            keys: RwLock::new(Arc::new(keys)),
            last_read: Mutex::new(Instant::now()),
        })
    }

    /// The user named by `token`, or why it is refused (for the log; never contains the token).
    pub async fn verify(&self, token: &str) -> Result<String, String> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| format!("unreadable header: {e}"))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
            return Err(format!("algorithm {:?} is not accepted", header.alg));
        }
        let mut candidates = self.candidates(header.kid.as_deref(), header.alg);
        if candidates.is_empty() && header.kid.is_some() && self.refresh().await {
            candidates = self.candidates(header.kid.as_deref(), header.alg);
        }
        if candidates.is_empty() {
            return Err("no key of the JWKS matches the token's kid and algorithm".into());
        }
        let mut last = String::new();
        for key in candidates {
            let mut validation = Validation::new(key.alg);
            validation.leeway = LEEWAY_SECONDS;
            validation.validate_exp = true;
            validation.validate_nbf = true;
            validation.set_issuer(&[&self.issuer]);
            validation.set_audience(&[&self.audience]);
            validation.required_spec_claims =
                HashSet::from(["exp".to_string(), "iss".into(), "aud".into()]);
            match jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => {
                    return match data.claims.get(&self.user_claim).and_then(Value::as_str) {
                        Some(user) if !user.trim().is_empty() => Ok(user.trim().to_string()),
                        _ => Err(format!("the token has no `{}` claim", self.user_claim)),
                    };
                }
                Err(e) => last = format!("{:?}", e.kind()),
            }
        }
        Err(format!("verification failed: {last}"))
    }

    fn candidates(&self, kid: Option<&str>, alg: Algorithm) -> Vec<Key> {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner()).clone();
        keys.iter()
            .filter(|k| k.alg == alg && (kid.is_none() || k.kid.as_deref() == kid))
            .cloned()
            .collect()
    }

    /// Reads the key set again unless it was read less than [`REFRESH_INTERVAL`] ago; true if
    /// it was read.
    async fn refresh(&self) -> bool {
        {
            let mut last = self.last_read.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() < REFRESH_INTERVAL {
                return false;
            }
            *last = Instant::now();
        }
        match read(&self.source).await.and_then(|t| parse_jwks(&t)) {
            Ok(keys) if !keys.is_empty() => {
                *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
                tracing::info!("JWKS {} read again", describe(&self.source));
                true
            }
            Ok(_) => {
                tracing::warn!(
                    "JWKS {} now holds no usable key: keeping the old keys",
                    describe(&self.source)
                );
                false
            }
            Err(e) => {
                tracing::warn!(
                    "cannot read the JWKS {} again: {e:#}",
                    describe(&self.source)
                );
                false
            }
        }
    }
}

fn describe(source: &Source) -> String {
    match source {
        Source::File(p) => p.display().to_string(),
        Source::Url(u, _) => u.clone(),
    }
}

/// A client trusting the usual web roots, for a JWKS URL.
fn http_client() -> anyhow::Result<reqwest::Client> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .timeout(Duration::from_secs(10))
        .build()
        .context("cannot build the JWKS HTTP client")
}

async fn read(source: &Source) -> anyhow::Result<String> {
    match source {
        Source::File(path) => tokio::fs::read_to_string(path)
            .await
            .with_context(|| format!("cannot read the JWKS file {}", path.display())),
        Source::Url(url, client) => {
            let response = client
                .get(url)
                .send()
                .await
                .with_context(|| format!("cannot fetch the JWKS {url}"))?;
            if !response.status().is_success() {
                bail!("the JWKS {url} answered {}", response.status());
            }
            response
                .text()
                .await
                .with_context(|| format!("cannot read the JWKS {url}"))
        }
    }
}

/// The usable signature keys of a JWKS document; other keys are skipped.
fn parse_jwks(text: &str) -> anyhow::Result<Vec<Key>> {
    let doc: Value = serde_json::from_str(text).context("the JWKS is not JSON")?;
    let Some(items) = doc.get("keys").and_then(Value::as_array) else {
        bail!("the JWKS has no `keys` array");
    };
    let mut keys = Vec::new();
    for item in items {
        let Ok(jwk) = serde_json::from_value::<Jwk>(item.clone()) else {
            continue;
        };
        if let Some(usage) = &jwk.common.public_key_use
            && *usage != PublicKeyUse::Signature
        {
            continue;
        }
        let alg = match &jwk.algorithm {
            AlgorithmParameters::RSA(rsa) => {
                let bits = URL_SAFE_NO_PAD
                    .decode(rsa.n.as_bytes())
                    .map(|n| {
                        let first = n.iter().position(|b| *b != 0).unwrap_or(n.len());
                        (n.len() - first) * 8
                    })
                    .unwrap_or(0);
                if bits < MIN_RSA_BITS {
                    continue;
                }
                Algorithm::RS256
            }
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == EllipticCurve::P256 => {
                Algorithm::ES256
            }
            _ => continue,
        };
        let named = match jwk.common.key_algorithm {
            None => alg,
            Some(KeyAlgorithm::RS256) => Algorithm::RS256,
            Some(KeyAlgorithm::ES256) => Algorithm::ES256,
            Some(_) => continue,
        };
        if named != alg {
            continue;
        }
        let Ok(key) = DecodingKey::from_jwk(&jwk) else {
            continue;
        };
        keys.push(Key {
            kid: jwk.common.key_id.clone(),
            alg,
            key,
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signature_keys_of_the_two_algorithms_are_kept() {
        // A P-256 key, an HMAC key, a P-256 key marked for encryption, a too small RSA key.
        let text = r#"{"keys":[
            {"kty":"EC","crv":"P-256","kid":"ec","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"oct","kid":"h","k":"c2VjcmV0","alg":"HS256"},
            {"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"RSA","kid":"small","n":"AQAB","e":"AQAB"},
            {"kty":"EC","crv":"P-256","kid":"lying","alg":"RS256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}
        ]}"#;
        let keys = parse_jwks(text).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("ec"));
        assert_eq!(keys[0].alg, Algorithm::ES256);
        assert!(parse_jwks("{}").is_err());
        assert!(parse_jwks("not json").is_err());
    }

    fn p256_key() -> (rcgen::KeyPair, Value) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let raw = key.public_key_raw().to_vec();
        let jwk = serde_json::json!({
            "kty": "EC", "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&raw[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&raw[33..65]),
        });
        (key, jwk)
    }

    fn with_kid(jwk: &Value, kid: &str) -> Value {
        let mut j = jwk.clone();
        j["kid"] = Value::from(kid);
        j
    }

    fn sign(key: &rcgen::KeyPair, kid: &str, user: &str) -> String {
        let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        let exp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 300;
        let claims = serde_json::json!({"iss": "i", "aud": "a", "exp": exp, "email": user});
        let pem = key.serialize_pem();
        let enc = jsonwebtoken::EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        jsonwebtoken::encode(&header, &claims, &enc).unwrap()
    }

    #[tokio::test]
    async fn unknown_key_ids_read_the_set_again_at_most_once_a_minute() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("jwks.json");
        let (ka, ja) = p256_key();
        let (kb, jb) = p256_key();
        let write = |keys: Vec<Value>| {
            std::fs::write(&file, serde_json::json!({ "keys": keys }).to_string()).unwrap()
        };
        write(vec![with_kid(&ja, "a")]);
        let path = file.to_str().unwrap();
        let args = [
            "x",
            "--jwt-jwks",
            path,
            "--jwt-issuer",
            "i",
            "--jwt-audience",
            "a",
        ];
        let config = Config::load_from(args.iter().map(Into::into).collect()).unwrap();
        let v = JwtVerifier::load(path, &config).await.unwrap();
        assert_eq!(v.verify(&sign(&ka, "a", "alice")).await.unwrap(), "alice");
        // The provider adds key b: not seen before a minute has passed since the last reading.
        write(vec![with_kid(&ja, "a"), with_kid(&jb, "b")]);
        assert!(v.verify(&sign(&kb, "b", "bob")).await.is_err());
        *v.last_read.lock().unwrap() = Instant::now()
            .checked_sub(REFRESH_INTERVAL + Duration::from_secs(1))
            .unwrap();
        assert_eq!(v.verify(&sign(&kb, "b", "bob")).await.unwrap(), "bob");
        assert_eq!(v.verify(&sign(&ka, "a", "alice")).await.unwrap(), "alice");
        // A key id still unknown after a reading: refused, and the set is not read again.
        assert!(v.verify(&sign(&kb, "c", "carol")).await.is_err());
        // b's key under a's id: the signature does not verify.
        assert!(v.verify(&sign(&kb, "a", "mallory")).await.is_err());
    }
}
