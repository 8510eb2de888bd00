//! `ekms keys import` and `ekms keys export`: key files (PEM, DER, PKCS#8, PKCS#1, SPKI, raw)
//! registered on the server or written from it (Register; Get with a Key Format Type).

use anyhow::{Result, anyhow};
use ekms_crypto::keyformat::{PrivateKey, PrivateKeyFormat, PublicKey, PublicKeyFormat};
use ekms_kmip::enums::{CertificateType, KeyFormatType, ObjectType};
use ekms_kmip::operations::register::key_value;
use ekms_kmip::operations::{get, register};
use ekms_kmip::{Tag, Ttlv};
use serde_json::json;

use crate::cli::keys::{ExportFormat, ImportFormat, ImportType, KeysExportArgs, KeysImportArgs};
use crate::context::Context;
use crate::keys::wrap::wrapping_spec;
use crate::keys::{file_attributes, key_material, print, store};
use crate::output::{read_file, write_atomic};
use crate::report::Explained;

fn looks_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// The DER of the first PEM block of `data` with a label ending in `label`.
fn pem_block(data: &[u8], label: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(data).ok()?;
    let begin = format!("-----BEGIN {label}-----");
    let start = text.find(&begin)? + begin.len();
    let end = text[start..].find("-----END ")? + start;
    let b64: String = text[start..end]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// `ekms keys import`.
pub async fn import(ctx: &Context, args: &KeysImportArgs) -> Result<()> {
    let data = zeroize::Zeroizing::new(read_file(&args.file)?);
    let bad = |what: String| {
        Explained {
        message: format!("cannot import {}: {what}", args.file.display()),
        hint: Some(
            "pass --type symmetric|private|public|certificate and --format pem|der|pkcs8|raw to say what the file holds"
                .to_string(),
        ),
    }
    };
    let kind = match args.object_type {
        Some(t) => t,
        None if args.algorithm.is_some() || args.format == Some(ImportFormat::Raw) => {
            ImportType::Symmetric
        }
        None if looks_pem(&data) && pem_block(&data, "CERTIFICATE").is_some() => {
            ImportType::Certificate
        }
        None if PrivateKey::parse(&data).is_ok() => ImportType::Private,
        None if PublicKey::parse(&data).is_ok() => ImportType::Public,
        None => return Err(bad("it is not a PEM or DER key".to_string()).into()),
    };
    let (object_type, object) = match kind {
        ImportType::Symmetric => {
            let algorithm = args.algorithm.ok_or_else(|| Explained {
                message: "a symmetric key needs its algorithm".to_string(),
                hint: Some("pass --algorithm aes|chacha20|hmac-sha256|…".to_string()),
            })?;
            if !matches!(args.format, None | Some(ImportFormat::Raw)) {
                return Err(bad("symmetric keys are imported as raw bytes".to_string()).into());
            }
            let bits = i32::try_from(data.len() * 8)?;
            (
                ObjectType::SymmetricKey,
                key_value(
                    Tag::SYMMETRIC_KEY,
                    KeyFormatType::Raw,
                    data.to_vec(),
                    Some((algorithm.kmip(), bits)),
                ),
            )
        }
        ImportType::Private => {
            let key =
                PrivateKey::parse(&data).map_err(|e| bad(format!("not a private key: {e}")))?;
            let der = key
                .to_der(PrivateKeyFormat::Pkcs8)
                .map_err(|e| bad(e.to_string()))?;
            (
                ObjectType::PrivateKey,
                key_value(Tag::PRIVATE_KEY, KeyFormatType::Pkcs8, der.to_vec(), None),
            )
        }
        ImportType::Public => {
            let key = PublicKey::parse(&data).map_err(|e| bad(format!("not a public key: {e}")))?;
            let der = key
                .to_der(PublicKeyFormat::Spki)
                .map_err(|e| bad(e.to_string()))?;
            (
                ObjectType::PublicKey,
                key_value(Tag::PUBLIC_KEY, KeyFormatType::X509, der, None),
            )
        }
        ImportType::Certificate => {
            let der = if looks_pem(&data) {
                pem_block(&data, "CERTIFICATE")
                    .ok_or_else(|| bad("no CERTIFICATE PEM block".to_string()))?
            } else {
                data.to_vec()
            };
            (
                ObjectType::Certificate,
                Ttlv::structure(
                    Tag::CERTIFICATE,
                    vec![
                        Ttlv::enumeration(Tag::CERTIFICATE_TYPE, CertificateType::X509.as_u32()),
                        Ttlv::bytes(Tag::CERTIFICATE_VALUE, der),
                    ],
                ),
            )
        }
    };
    let request = register::Request {
        object_type,
        value: object,
        attributes: file_attributes(args.name.as_deref(), !args.no_activate),
    };
    store(ctx, request, object_type).await
}

async fn object_type(ctx: &Context, id: &str) -> Result<String> {
    let attributes = ctx
        .client(true)?
        .get_attributes(id, &[ekms_kmip::Tag::OBJECT_TYPE])
        .await?;
    attributes
        .get("ObjectType")
        .map(|a| a.display.clone())
        .ok_or_else(|| anyhow!("the server did not say what object {id} is"))
}

/// `ekms keys export`.
pub async fn export(ctx: &Context, args: &KeysExportArgs) -> Result<()> {
    let kind = object_type(ctx, &args.id).await?;
    let private = kind == "PrivateKey";
    let asymmetric = private || kind == "PublicKey";
    let format = args.format.unwrap_or(if asymmetric {
        ExportFormat::Pem
    } else {
        ExportFormat::Raw
    });
    let refuse = |why: &str| -> anyhow::Error {
        Explained {
            message: format!("cannot export {} ({kind}) as {format:?}: {why}", args.id),
            hint: Some(
                "symmetric keys: --format raw; private keys: pem, der, pkcs8, pkcs1 (RSA), raw (EC, Ed25519); public keys: pem, der, spki, pkcs1 (RSA), raw (EC, Ed25519)"
                    .to_string(),
            ),
        }
        .into()
    };
    // The Key Format Type asked of the server, and whether the answer is PEM-armoured here.
    let standard = if private {
        KeyFormatType::Pkcs8
    } else {
        KeyFormatType::X509
    };
    let (key_format, pem) = match (format, asymmetric) {
        (ExportFormat::Raw, _) => (KeyFormatType::Raw, false),
        (_, false) => return Err(refuse("only raw applies to this object")),
        (ExportFormat::Pem, _) => (standard, true),
        (ExportFormat::Der, _) => (standard, false),
        (ExportFormat::Pkcs8, true) if private => (KeyFormatType::Pkcs8, !args.der),
        (ExportFormat::Spki, true) if !private => (KeyFormatType::X509, !args.der),
        (ExportFormat::Pkcs1, true) => (KeyFormatType::Pkcs1, !args.der),
        _ => return Err(refuse("that format is for the other half of the key pair")),
    };
    let kmip_format = key_format.name();
    if args.wrap_key.is_some() && pem {
        return Err(Explained {
            message: "a wrapped key is written as bytes, not PEM".to_string(),
            hint: Some("add --format der (or raw) with --wrap-key".to_string()),
        }
        .into());
    }
    let request = get::Request {
        uid: args.id.clone(),
        format: Some(key_format),
        compression: None,
        wrap_type: None,
        wrapping: args.wrap_key.as_deref().map(wrapping_spec),
    };
    let r = ctx.client(true)?.call(request).await?;
    let material = zeroize::Zeroizing::new(key_material(&r.value)?);
    let out: zeroize::Zeroizing<Vec<u8>> = if pem {
        let text = match (private, key_format) {
            (true, KeyFormatType::Pkcs1) => {
                PrivateKey::from_der_format(PrivateKeyFormat::Pkcs1, &material)
                    .and_then(|k| k.to_pem(PrivateKeyFormat::Pkcs1))
                    .map(|s| s.as_bytes().to_vec())
            }
            (true, _) => PrivateKey::from_der_format(PrivateKeyFormat::Pkcs8, &material)
                .and_then(|k| k.to_pem(PrivateKeyFormat::Pkcs8))
                .map(|s| s.as_bytes().to_vec()),
            (false, KeyFormatType::Pkcs1) => {
                PublicKey::from_der_format(PublicKeyFormat::Pkcs1, &material)
                    .and_then(|k| k.to_pem(PublicKeyFormat::Pkcs1))
                    .map(String::into_bytes)
            }
            (false, _) => PublicKey::from_der_format(PublicKeyFormat::Spki, &material)
                .and_then(|k| k.to_pem(PublicKeyFormat::Spki))
                .map(String::into_bytes),
        }
        .map_err(|e| anyhow!("the server's {kmip_format} key cannot be written as PEM: {e}"))?;
        zeroize::Zeroizing::new(text)
    } else {
        material
    };
    write_atomic(&args.output, &out)?;
    print(
        ctx,
        json!({"unique_identifier": args.id, "output": args.output.display().to_string(),
               "key_format_type": kmip_format, "pem": pem, "wrapped": args.wrap_key.is_some(),
               "bytes": out.len()}),
        format!(
            "exported {} ({kmip_format}{}{}) to {}",
            args.id,
            if pem { ", PEM" } else { "" },
            if args.wrap_key.is_some() {
                ", wrapped"
            } else {
                ""
            },
            args.output.display()
        ),
    )
}
