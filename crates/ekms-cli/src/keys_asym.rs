//! Asymmetric keys and key files: `ekms rsa|ec keys create` (CreateKeyPair), and
//! `ekms keys import|export|rekey|wrap|unwrap` (Register, Get with a Key Format Type or a Key
//! Wrapping Specification, ReKey, Import of a wrapped key).
//!
//! Requests are built as KMIP 2.1 JSON TTLV (the names of the KMIP specification) and sent with
//! [`ekms_client::Client::kmip_2_1`]. Key files are read and written with `ekms-crypto`'s key
//! formats (PEM, DER, PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo); outputs go through the atomic
//! writer.

use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use ekms_crypto::keyformat::{PrivateKey, PrivateKeyFormat, PublicKey, PublicKeyFormat};
use ekms_kmip::Ttlv;
use serde_json::{Value, json};

use crate::commands::Explained;
use crate::context::Context;
use crate::output::write_atomic;

/// `ekms rsa ...`.
#[derive(Debug, Subcommand)]
pub enum RsaCommand {
    /// RSA key pairs
    #[command(subcommand)]
    Keys(RsaKeysCommand),
}

/// `ekms rsa keys ...`.
#[derive(Debug, Subcommand)]
pub enum RsaKeysCommand {
    /// Create an RSA key pair (Active); prints the private and public key identifiers
    Create(RsaCreateArgs),
}

/// `ekms rsa keys create`.
#[derive(Debug, Args)]
pub struct RsaCreateArgs {
    /// Modulus size in bits: 2048, 3072 or 4096
    #[arg(long, default_value_t = 2048)]
    pub bits: u32,
    /// Name of the keys (searchable with `ekms keys locate --name`)
    #[arg(long)]
    pub name: Option<String>,
}

/// `ekms ec ...`.
#[derive(Debug, Subcommand)]
pub enum EcCommand {
    /// Elliptic-curve key pairs
    #[command(subcommand)]
    Keys(EcKeysCommand),
}

/// `ekms ec keys ...`.
#[derive(Debug, Subcommand)]
pub enum EcKeysCommand {
    /// Create an EC or Ed25519 key pair (Active); prints the private and public key identifiers
    Create(EcCreateArgs),
}

/// Curves of `ekms ec keys create`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Curve {
    P256,
    P384,
    P521,
    Ed25519,
}

/// `ekms ec keys create`.
#[derive(Debug, Args)]
pub struct EcCreateArgs {
    /// Curve of the key pair
    #[arg(long, value_enum, default_value_t = Curve::P256)]
    pub curve: Curve,
    /// Name of the keys (searchable with `ekms keys locate --name`)
    #[arg(long)]
    pub name: Option<String>,
}

/// Encodings of a key file read by `keys import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// PEM text (PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo or a certificate)
    Pem,
    /// DER bytes (PKCS#8, PKCS#1, SEC1, SubjectPublicKeyInfo or a certificate)
    Der,
    /// PKCS#8 DER or PEM
    Pkcs8,
    /// Raw bytes (symmetric key material)
    Raw,
}

/// Object types of `keys import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportType {
    Symmetric,
    Private,
    Public,
    Certificate,
}

/// Algorithms of an imported symmetric key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportAlgorithm {
    Aes,
    Chacha20,
    HmacSha1,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl ImportAlgorithm {
    fn kmip(self) -> &'static str {
        match self {
            ImportAlgorithm::Aes => "AES",
            ImportAlgorithm::Chacha20 => "ChaCha20",
            ImportAlgorithm::HmacSha1 => "HMAC_SHA1",
            ImportAlgorithm::HmacSha256 => "HMAC_SHA256",
            ImportAlgorithm::HmacSha384 => "HMAC_SHA384",
            ImportAlgorithm::HmacSha512 => "HMAC_SHA512",
        }
    }
}

/// `ekms keys import`.
#[derive(Debug, Args)]
pub struct KeysImportArgs {
    /// Key file to register on the server
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Encoding of the file [default: PEM if it looks like PEM, else DER; raw for symmetric keys]
    #[arg(long, value_enum)]
    pub format: Option<ImportFormat>,
    /// Kind of object [default: private if the file parses as a private key, else public]
    #[arg(long = "type", value_enum)]
    pub object_type: Option<ImportType>,
    /// Algorithm of a symmetric key (asymmetric keys carry theirs)
    #[arg(long, value_enum)]
    pub algorithm: Option<ImportAlgorithm>,
    /// Name of the key
    #[arg(long)]
    pub name: Option<String>,
    /// Leave the key PreActive
    #[arg(long)]
    pub no_activate: bool,
}

/// Formats of `keys export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// PEM: PKCS#8 for private keys, SubjectPublicKeyInfo for public keys
    Pem,
    /// DER: PKCS#8 for private keys, SubjectPublicKeyInfo for public keys
    Der,
    /// PKCS#8 private key (PEM unless --der)
    Pkcs8,
    /// PKCS#1 RSA key (PEM unless --der)
    Pkcs1,
    /// SubjectPublicKeyInfo public key (PEM unless --der)
    Spki,
    /// Raw bytes: symmetric key material, EC point, Ed25519 key
    Raw,
}

/// `ekms keys export`.
#[derive(Debug, Args)]
pub struct KeysExportArgs {
    /// Unique identifier of the key
    #[arg(value_name = "ID")]
    pub id: String,
    /// File to write (mode 0600)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
    /// Key format [default: pem for asymmetric keys, raw for symmetric keys]
    #[arg(long, value_enum)]
    pub format: Option<ExportFormat>,
    /// Write DER instead of PEM for pkcs8, pkcs1 and spki
    #[arg(long)]
    pub der: bool,
    /// Wrap the key under this key (writes the wrapped key bytes)
    #[arg(long, value_name = "ID")]
    pub wrap_key: Option<String>,
}

/// `ekms keys wrap`.
#[derive(Debug, Args)]
pub struct KeysWrapArgs {
    /// Unique identifier of the key to wrap
    #[arg(value_name = "ID")]
    pub id: String,
    /// The wrapping key (AES: AES-KW/KWP; RSA public key: OAEP)
    #[arg(long, value_name = "KEK")]
    pub wrap_key: String,
    /// File to write: the wrapped key object (JSON TTLV), for `ekms keys unwrap`
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: PathBuf,
}

/// `ekms keys unwrap`.
#[derive(Debug, Args)]
pub struct KeysUnwrapArgs {
    /// File written by `ekms keys wrap`
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The key that wrapped it (an AES key, or the RSA private key for an RSA-wrapped key)
    #[arg(long, value_name = "KEK")]
    pub wrap_key: String,
    /// Name of the imported key
    #[arg(long)]
    pub name: Option<String>,
}

// --- JSON TTLV helpers ---------------------------------------------------------------------

pub(crate) fn e(tag: &str, name: &str) -> Value {
    json!({"tag": tag, "type": "Enumeration", "value": name})
}

pub(crate) fn int(tag: &str, v: i64) -> Value {
    json!({"tag": tag, "type": "Integer", "value": v})
}

pub(crate) fn text(tag: &str, v: &str) -> Value {
    json!({"tag": tag, "type": "TextString", "value": v})
}

pub(crate) fn bytes(tag: &str, v: &[u8]) -> Value {
    json!({"tag": tag, "type": "ByteString", "value": hex::encode_upper(v)})
}

pub(crate) fn st(tag: &str, items: Vec<Value>) -> Value {
    json!({"tag": tag, "type": "Structure", "value": items})
}

fn name_attr(name: &str) -> Value {
    st(
        "Name",
        vec![
            text("NameValue", name),
            e("NameType", "UninterpretedTextString"),
        ],
    )
}

fn activation_now() -> Value {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    json!({"tag": "ActivationDate", "type": "DateTime",
           "value": ekms_kmip::json::format_datetime(now)})
}

/// Sends operation `op` with payload `items`; returns the response payload as JSON TTLV.
pub(crate) async fn call(ctx: &Context, op: &str, items: Vec<Value>) -> Result<Value> {
    let request = ekms_kmip::json::from_value(&st(op, items))
        .map_err(|e| anyhow!("cannot build the {op} request: {e}"))?;
    let response: Ttlv = ctx.client(true)?.kmip_2_1(&request).await?;
    Ok(ekms_kmip::json::to_value(&response))
}

/// The items of a structure.
pub(crate) fn items(v: &Value) -> &[Value] {
    v.get("value")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// The first child of `v` with `tag`.
pub(crate) fn child<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    items(v).iter().find(|c| c["tag"] == tag)
}

pub(crate) fn child_str<'a>(v: &'a Value, tag: &str) -> Result<&'a str> {
    child(v, tag)
        .and_then(|c| c["value"].as_str())
        .ok_or_else(|| anyhow!("the server's answer has no {tag}"))
}

pub(crate) fn child_bytes(v: &Value, tag: &str) -> Result<Vec<u8>> {
    let h = child_str(v, tag)?;
    hex::decode(h).map_err(|_| anyhow!("{tag} in the server's answer is not hex"))
}

pub(crate) fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

fn print(ctx: &Context, value: Value, line: String) -> Result<()> {
    if ctx.json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        println!("{line}");
    }
    Ok(())
}

const OBJECTS: [&str; 7] = [
    "SymmetricKey",
    "PrivateKey",
    "PublicKey",
    "Certificate",
    "SecretData",
    "SplitKey",
    "OpaqueObject",
];

/// The object structure of a Get response.
fn object_of(response: &Value) -> Result<&Value> {
    items(response)
        .iter()
        .find(|c| c["tag"].as_str().is_some_and(|t| OBJECTS.contains(&t)))
        .ok_or_else(|| anyhow!("the server's Get answer holds no object"))
}

fn key_material(object: &Value) -> Result<Vec<u8>> {
    let block = child(object, "KeyBlock").ok_or_else(|| anyhow!("the key has no Key Block"))?;
    let value = child(block, "KeyValue").ok_or_else(|| anyhow!("the key has no Key Value"))?;
    if value["type"] == "ByteString" {
        // TTLV-encoded wrapping: the whole Key Value is the wrapped bytes.
        return hex::decode(value["value"].as_str().unwrap_or_default())
            .map_err(|_| anyhow!("KeyValue is not hex"));
    }
    child_bytes(value, "KeyMaterial")
}

// --- key pairs -------------------------------------------------------------------------------

/// `ekms rsa ...`.
pub async fn rsa(ctx: &Context, command: &RsaCommand) -> Result<()> {
    let RsaCommand::Keys(RsaKeysCommand::Create(args)) = command;
    if ![2048, 3072, 4096].contains(&args.bits) {
        return Err(Explained {
            message: format!("RSA keys of {} bits are not offered", args.bits),
            hint: Some("use --bits 2048, 3072 or 4096".to_string()),
        }
        .into());
    }
    let common = vec![
        e("CryptographicAlgorithm", "RSA"),
        int("CryptographicLength", i64::from(args.bits)),
    ];
    create_pair(
        ctx,
        common,
        args.name.as_deref(),
        &format!("RSA {}", args.bits),
    )
    .await
}

/// `ekms ec ...`.
pub async fn ec(ctx: &Context, command: &EcCommand) -> Result<()> {
    let EcCommand::Keys(EcKeysCommand::Create(args)) = command;
    let (common, label) = match args.curve {
        Curve::Ed25519 => (vec![e("CryptographicAlgorithm", "Ed25519")], "Ed25519"),
        curve => {
            let (name, label) = match curve {
                Curve::P384 => ("P_384", "EC P-384"),
                Curve::P521 => ("P_521", "EC P-521"),
                _ => ("P_256", "EC P-256"),
            };
            (
                vec![
                    e("CryptographicAlgorithm", "EC"),
                    st(
                        "CryptographicDomainParameters",
                        vec![e("RecommendedCurve", name)],
                    ),
                ],
                label,
            )
        }
    };
    create_pair(ctx, common, args.name.as_deref(), label).await
}

async fn create_pair(
    ctx: &Context,
    mut common: Vec<Value>,
    name: Option<&str>,
    label: &str,
) -> Result<()> {
    common.push(activation_now());
    if let Some(name) = name {
        common.push(name_attr(name));
    }
    let r = call(
        ctx,
        "CreateKeyPair",
        vec![
            st("CommonAttributes", common),
            st("PrivateKeyAttributes", vec![]),
            st("PublicKeyAttributes", vec![]),
        ],
    )
    .await?;
    let private = child_str(&r, "PrivateKeyUniqueIdentifier")?;
    let public = child_str(&r, "PublicKeyUniqueIdentifier")?;
    print(
        ctx,
        json!({"private_key": private, "public_key": public, "algorithm": label}),
        format!("private key: {private}\npublic key: {public}"),
    )
}

// --- import / export -------------------------------------------------------------------------

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

async fn keys_import(ctx: &Context, args: &KeysImportArgs) -> Result<()> {
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
            let bits = i64::try_from(data.len() * 8)?;
            (
                "SymmetricKey",
                st(
                    "SymmetricKey",
                    vec![st(
                        "KeyBlock",
                        vec![
                            e("KeyFormatType", "Raw"),
                            st("KeyValue", vec![bytes("KeyMaterial", &data)]),
                            e("CryptographicAlgorithm", algorithm.kmip()),
                            int("CryptographicLength", bits),
                        ],
                    )],
                ),
            )
        }
        ImportType::Private => {
            let key =
                PrivateKey::parse(&data).map_err(|e| bad(format!("not a private key: {e}")))?;
            let der = key
                .to_der(PrivateKeyFormat::Pkcs8)
                .map_err(|e| bad(e.to_string()))?;
            ("PrivateKey", key_value("PrivateKey", "PKCS_8", &der))
        }
        ImportType::Public => {
            let key = PublicKey::parse(&data).map_err(|e| bad(format!("not a public key: {e}")))?;
            let der = key
                .to_der(PublicKeyFormat::Spki)
                .map_err(|e| bad(e.to_string()))?;
            ("PublicKey", key_value("PublicKey", "X_509", &der))
        }
        ImportType::Certificate => {
            let der = if looks_pem(&data) {
                pem_block(&data, "CERTIFICATE")
                    .ok_or_else(|| bad("no CERTIFICATE PEM block".to_string()))?
            } else {
                data.to_vec()
            };
            (
                "Certificate",
                st(
                    "Certificate",
                    vec![
                        e("CertificateType", "X_509"),
                        bytes("CertificateValue", &der),
                    ],
                ),
            )
        }
    };
    let mut attributes = Vec::new();
    if let Some(name) = &args.name {
        attributes.push(name_attr(name));
    }
    if !args.no_activate {
        attributes.push(activation_now());
    }
    let r = call(
        ctx,
        "Register",
        vec![
            e("ObjectType", object_type),
            st("Attributes", attributes),
            object,
        ],
    )
    .await?;
    let uid = child_str(&r, "UniqueIdentifier")?;
    print(
        ctx,
        json!({"unique_identifier": uid, "object_type": object_type}),
        uid.to_string(),
    )
}

fn key_value(tag: &str, format: &str, der: &[u8]) -> Value {
    st(
        tag,
        vec![st(
            "KeyBlock",
            vec![
                e("KeyFormatType", format),
                st("KeyValue", vec![bytes("KeyMaterial", der)]),
            ],
        )],
    )
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

fn wrapping_spec(kek: &str) -> Value {
    st(
        "KeyWrappingSpecification",
        vec![
            e("WrappingMethod", "Encrypt"),
            st(
                "EncryptionKeyInformation",
                vec![text("UniqueIdentifier", kek)],
            ),
        ],
    )
}

async fn keys_export(ctx: &Context, args: &KeysExportArgs) -> Result<()> {
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
    let (kmip_format, pem) = match (format, asymmetric) {
        (ExportFormat::Raw, _) => ("Raw", false),
        (_, false) => return Err(refuse("only raw applies to this object")),
        (ExportFormat::Pem, _) => (if private { "PKCS_8" } else { "X_509" }, true),
        (ExportFormat::Der, _) => (if private { "PKCS_8" } else { "X_509" }, false),
        (ExportFormat::Pkcs8, true) if private => ("PKCS_8", !args.der),
        (ExportFormat::Spki, true) if !private => ("X_509", !args.der),
        (ExportFormat::Pkcs1, true) => ("PKCS_1", !args.der),
        _ => return Err(refuse("that format is for the other half of the key pair")),
    };
    let mut request = vec![
        text("UniqueIdentifier", &args.id),
        e("KeyFormatType", kmip_format),
    ];
    if let Some(kek) = &args.wrap_key {
        if pem {
            return Err(Explained {
                message: "a wrapped key is written as bytes, not PEM".to_string(),
                hint: Some("add --format der (or raw) with --wrap-key".to_string()),
            }
            .into());
        }
        request.push(wrapping_spec(kek));
    }
    let r = call(ctx, "Get", request).await?;
    let material = zeroize::Zeroizing::new(key_material(object_of(&r)?)?);
    let out: zeroize::Zeroizing<Vec<u8>> = if pem {
        let text = match (private, kmip_format) {
            (true, "PKCS_1") => PrivateKey::from_der_format(PrivateKeyFormat::Pkcs1, &material)
                .and_then(|k| k.to_pem(PrivateKeyFormat::Pkcs1))
                .map(|s| s.as_bytes().to_vec()),
            (true, _) => PrivateKey::from_der_format(PrivateKeyFormat::Pkcs8, &material)
                .and_then(|k| k.to_pem(PrivateKeyFormat::Pkcs8))
                .map(|s| s.as_bytes().to_vec()),
            (false, "PKCS_1") => PublicKey::from_der_format(PublicKeyFormat::Pkcs1, &material)
                .and_then(|k| k.to_pem(PublicKeyFormat::Pkcs1))
                .map(String::into_bytes),
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

async fn keys_rekey(ctx: &Context, args: &crate::cli::KeyIdArgs) -> Result<()> {
    let r = call(ctx, "ReKey", vec![text("UniqueIdentifier", &args.id)]).await?;
    let uid = child_str(&r, "UniqueIdentifier")?;
    print(
        ctx,
        json!({"operation": "rekey", "replaced": args.id, "unique_identifier": uid}),
        uid.to_string(),
    )
}

async fn keys_wrap(ctx: &Context, args: &KeysWrapArgs) -> Result<()> {
    let r = call(
        ctx,
        "Get",
        vec![
            text("UniqueIdentifier", &args.id),
            wrapping_spec(&args.wrap_key),
        ],
    )
    .await?;
    let object = object_of(&r)?;
    let text = serde_json::to_vec_pretty(object)?;
    write_atomic(&args.output, &text)?;
    print(
        ctx,
        json!({"unique_identifier": args.id, "wrap_key": args.wrap_key,
               "output": args.output.display().to_string()}),
        format!(
            "wrapped {} under {} to {}",
            args.id,
            args.wrap_key,
            args.output.display()
        ),
    )
}

/// Sets the Unique Identifier of the Encryption Key Information of a wrapped object to `kek`.
fn set_unwrap_key(object: &mut Value, kek: &str) -> Result<()> {
    let path = ["KeyBlock", "KeyWrappingData", "EncryptionKeyInformation"];
    let mut v = object;
    for tag in path {
        v = v
            .get_mut("value")
            .and_then(Value::as_array_mut)
            .and_then(|a| a.iter_mut().find(|c| c["tag"] == tag))
            .ok_or_else(|| anyhow!("the file's key is not wrapped (no {tag})"))?;
    }
    let list = v
        .get_mut("value")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| anyhow!("EncryptionKeyInformation is not a structure"))?;
    list.retain(|c| c["tag"] != "UniqueIdentifier");
    list.insert(0, text("UniqueIdentifier", kek));
    Ok(())
}

async fn keys_unwrap(ctx: &Context, args: &KeysUnwrapArgs) -> Result<()> {
    let data = read_file(&args.file)?;
    let not_ours = |why: String| Explained {
        message: format!("{} is not a wrapped key: {why}", args.file.display()),
        hint: Some("unwrap files written by `ekms keys wrap`".to_string()),
    };
    let mut object: Value = serde_json::from_slice(&data).map_err(|e| not_ours(e.to_string()))?;
    let object_type = object["tag"]
        .as_str()
        .filter(|t| OBJECTS.contains(t))
        .map(str::to_string)
        .ok_or_else(|| not_ours("no KMIP object".to_string()))?;
    set_unwrap_key(&mut object, &args.wrap_key).map_err(|e| not_ours(e.to_string()))?;
    let uid = hex::encode(ekms_crypto::rand::random_bytes(16)?);
    let mut attributes = vec![activation_now()];
    if let Some(name) = &args.name {
        attributes.push(name_attr(name));
    }
    let r = call(
        ctx,
        "Import",
        vec![
            text("UniqueIdentifier", &uid),
            e("ObjectType", &object_type),
            e("KeyWrapType", "NotWrapped"),
            st("Attributes", attributes),
            object,
        ],
    )
    .await?;
    let uid = child_str(&r, "UniqueIdentifier")?;
    print(
        ctx,
        json!({"unique_identifier": uid, "object_type": object_type}),
        uid.to_string(),
    )
}

/// The new `ekms keys ...` commands.
pub async fn keys(ctx: &Context, command: &crate::cli::KeysCommand) -> Result<()> {
    use crate::cli::KeysCommand as K;
    match command {
        K::Import(args) => keys_import(ctx, args).await,
        K::Export(args) => keys_export(ctx, args).await,
        K::Rekey(args) => keys_rekey(ctx, args).await,
        K::Wrap(args) => keys_wrap(ctx, args).await,
        K::Unwrap(args) => keys_unwrap(ctx, args).await,
        _ => bail!("not a key file command"),
    }
}
