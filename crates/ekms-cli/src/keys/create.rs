//! `ekms sym create`, `ekms rsa keys create` and `ekms ec keys create`: new keys made by the
//! server.

use anyhow::{Result, bail};
use ekms_client::SymmetricAlgorithm;
use serde_json::{Value, json};

use crate::cli::keys::{Curve, EcCreateArgs, RsaCreateArgs, SymAlgorithm, SymCreateArgs};
use crate::context::Context;
use crate::keys::print;
use crate::kmip_json::{activation_now, call, child_str, e, int, name_attr, st};
use crate::output::print_json;
use crate::report::Explained;

/// `ekms sym create`.
pub async fn sym(ctx: &Context, args: &SymCreateArgs) -> Result<()> {
    let algorithm = match args.algorithm {
        SymAlgorithm::Aes => SymmetricAlgorithm::Aes,
        SymAlgorithm::Chacha20 => SymmetricAlgorithm::ChaCha20,
    };
    if !algorithm.allowed_bits().contains(&args.bits) {
        let allowed: Vec<String> = algorithm
            .allowed_bits()
            .iter()
            .map(u32::to_string)
            .collect();
        bail!(
            "--bits {} is not a size of {algorithm} keys (allowed: {})",
            args.bits,
            allowed.join(", ")
        );
    }
    let client = ctx.client(true)?;
    let uid = client
        .create_symmetric_key(
            algorithm,
            args.bits,
            args.name.as_deref(),
            !args.no_activate,
        )
        .await?;
    if ctx.json {
        print_json(&json!({
            "unique_identifier": uid,
            "algorithm": algorithm.kmip().name(),
            "bits": args.bits,
            "name": args.name,
            "activated": !args.no_activate,
        }))
    } else {
        println!("{uid}");
        Ok(())
    }
}

/// `ekms rsa keys create`.
pub async fn rsa(ctx: &Context, args: &RsaCreateArgs) -> Result<()> {
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

/// `ekms ec keys create`.
pub async fn ec(ctx: &Context, args: &EcCreateArgs) -> Result<()> {
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
