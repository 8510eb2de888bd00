//! `ekms sym create`, `ekms rsa keys create` and `ekms ec keys create`: new keys made by the
//! server.

use anyhow::{Result, bail};
use ekms_client::SymmetricAlgorithm;
use serde_json::json;

use crate::cli::keys::{Curve, EcCreateArgs, RsaCreateArgs, SymAlgorithm, SymCreateArgs};
use crate::context::Context;
use crate::keys::{activation_time, print};
use crate::output::print_json;
use crate::report::Explained;
use ekms_kmip::enums::{CryptographicAlgorithm, RecommendedCurve};
use ekms_kmip::operations::create_key_pair;
use ekms_kmip::{Attributes, Name};

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
    let common = Attributes {
        cryptographic_algorithm: Some(CryptographicAlgorithm::Rsa),
        cryptographic_length: i32::try_from(args.bits).ok(),
        ..Default::default()
    };
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
        Curve::Ed25519 => (
            Attributes {
                cryptographic_algorithm: Some(CryptographicAlgorithm::Ed25519),
                ..Default::default()
            },
            "Ed25519",
        ),
        curve => {
            let (curve, label) = match curve {
                Curve::P384 => (RecommendedCurve::P384, "EC P-384"),
                Curve::P521 => (RecommendedCurve::P521, "EC P-521"),
                _ => (RecommendedCurve::P256, "EC P-256"),
            };
            (
                Attributes {
                    cryptographic_algorithm: Some(CryptographicAlgorithm::Ec),
                    recommended_curve: Some(curve),
                    ..Default::default()
                },
                label,
            )
        }
    };
    create_pair(ctx, common, args.name.as_deref(), label).await
}

async fn create_pair(
    ctx: &Context,
    mut common: Attributes,
    name: Option<&str>,
    label: &str,
) -> Result<()> {
    common.activation_date = Some(activation_time());
    common.names.extend(name.map(Name::text));
    let request = create_key_pair::Request {
        common,
        private: Attributes::default(),
        public: Attributes::default(),
    };
    let r = ctx.client(true)?.call(request).await?;
    let (private, public) = (r.private_uid, r.public_uid);
    print(
        ctx,
        json!({"private_key": private, "public_key": public, "algorithm": label}),
        format!("private key: {private}\npublic key: {public}"),
    )
}
