//! CreateKeyPair: an RSA (2048, 3072, 4096 bits), EC (P-256, P-384, P-521) or Ed25519 key pair
//! generated inside the server, stored as two linked objects: the private key (PKCS#8) with a
//! Public Key Link, the public key (PKCS#1 for RSA, X.509 SubjectPublicKeyInfo otherwise) with
//! a Private Key Link.
//!
//! Attributes: the common ones (2.x `CommonAttributes`, 1.x `CommonTemplateAttribute`) apply to
//! both keys, then the private and public ones to their key. The algorithm is RSA, EC, ECDSA,
//! ECDH or Ed25519; an EC curve comes from the Recommended Curve or, failing that, the
//! Cryptographic Length (256, 384, 521).

use super::Context;
use crate::error::KmipError;
use crate::objects::asym::{self, Family};
use crate::objects::attrs;
use crate::objects::keys::{build_block, material_digest};
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{insert_new, now};
use ekms_crypto::ec::EcCurve;
use ekms_kmip::enums::{CryptographicAlgorithm, KeyFormatType, LinkType, ObjectType, ResultReason};
use ekms_kmip::operations::create_key_pair::{Request, Response};
use ekms_kmip::{Attributes, Link, Tag, Ttlv};

/// What to generate: the family, the size in bits and the EC curve.
pub fn key_spec(attrs: &Attributes) -> Result<(Family, usize, Option<EcCurve>), KmipError> {
    let bad = |m: String| KmipError::new(ResultReason::InvalidField, m);
    let alg = attrs
        .cryptographic_algorithm
        .ok_or_else(|| KmipError::missing("CryptographicAlgorithm"))?;
    let family = Family::of(alg).ok_or_else(|| {
        KmipError::new(
            ResultReason::FeatureNotSupported,
            format!(
                "CreateKeyPair makes RSA, EC (ECDSA, ECDH) and Ed25519 keys, not {}",
                alg.name()
            ),
        )
    })?;
    let length = attrs.cryptographic_length;
    match family {
        Family::Rsa => match length.unwrap_or(2048) {
            b @ (2048 | 3072 | 4096) => Ok((family, b as usize, None)),
            b => Err(bad(format!(
                "RSA keys are 2048, 3072 or 4096 bits, not {b}"
            ))),
        },
        Family::Ec => {
            let curve = match attrs.recommended_curve {
                Some(c) => asym::curve_of(c).ok_or_else(|| {
                    KmipError::new(
                        ResultReason::FeatureNotSupported,
                        format!(
                            "curve {} is not supported; use P_256, P_384 or P_521",
                            c.name()
                        ),
                    )
                })?,
                None => match length.unwrap_or(256) {
                    256 => EcCurve::P256,
                    384 => EcCurve::P384,
                    521 => EcCurve::P521,
                    b => return Err(bad(format!("EC keys are 256, 384 or 521 bits, not {b}"))),
                },
            };
            if let Some(l) = length
                && l as usize != curve.bits()
            {
                return Err(bad(format!(
                    "CryptographicLength {l} does not match curve {}",
                    curve.name()
                )));
            }
            Ok((family, curve.bits(), Some(curve)))
        }
        Family::Ed25519 => match length {
            None | Some(255) | Some(256) => Ok((family, 256, None)),
            Some(b) => Err(bad(format!("Ed25519 keys are 256 bits, not {b}"))),
        },
    }
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let (private, public) = make(ctx, req)?;
    ctx.transact(|tx| {
        insert_new(tx, &private)?;
        insert_new(tx, &public)
    })?;
    Ok(Response {
        private_uid: private.uid.clone(),
        public_uid: public.uid.clone(),
    })
}

/// The private and public keys `req` asks for, generated and linked to each other, not yet
/// stored: Re-key Key Pair stores them in the transaction that links them to the old pair.
pub fn make(ctx: &Context<'_>, req: Request) -> Result<(ManagedObject, ManagedObject), KmipError> {
    let now = now();
    let private_attrs = attrs::merge(&req.common, &req.private)?;
    let public_attrs = attrs::merge(&req.common, &req.public)?;
    let (family, bits, curve) = key_spec(&private_attrs)?;
    let public_spec = key_spec(&public_attrs)?;
    if public_spec != (family, bits, curve) {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            "the private and public key attributes ask for different keys",
        ));
    }
    let algorithm = private_attrs
        .cryptographic_algorithm
        .unwrap_or(CryptographicAlgorithm::Rsa);
    for a in [&private_attrs, &public_attrs] {
        attrs::check_quantum_safe(a, algorithm, None)?;
    }
    let key = asym::generate(family, bits, curve)?;
    let length = i32::try_from(bits).ok();
    let private_format = KeyFormatType::Pkcs8;
    let public_format = match family {
        Family::Rsa => KeyFormatType::Pkcs1,
        _ => KeyFormatType::X509,
    };
    let private_value = SecretTtlv(Ttlv::structure(
        Tag::PRIVATE_KEY,
        vec![build_block(
            private_format,
            Ttlv::bytes(Tag::KEY_MATERIAL, key.to_pkcs8()?.to_vec()),
            Some(algorithm),
            length,
        )],
    ));
    let public_material = key.public().material(public_format)?.ok_or_else(|| {
        KmipError::internal("the generated public key has no encoding in its format")
    })?;
    let public_value = Ttlv::structure(
        Tag::PUBLIC_KEY,
        vec![build_block(
            public_format,
            public_material,
            Some(algorithm),
            length,
        )],
    );
    let private_uid = crate::objects::new_uid(&private_attrs);
    let public_uid = crate::objects::new_uid(&public_attrs);
    if private_uid == public_uid {
        return Err(KmipError::new(
            ResultReason::InvalidField,
            "the private and public keys need different UniqueIdentifiers",
        ));
    }
    let make = |mut a: Attributes,
                uid: &str,
                t: ObjectType,
                format: KeyFormatType,
                link: Link,
                value: &Ttlv|
     -> Result<ManagedObject, KmipError> {
        attrs::drop_server_only(&mut a);
        attrs::init_new_object(&mut a, uid, t, now);
        attrs::mark_generated(&mut a);
        a.cryptographic_algorithm = Some(algorithm);
        a.cryptographic_length = length;
        a.key_format_type = Some(format);
        if let Some(c) = curve {
            a.recommended_curve = Some(asym::recommended(c));
        }
        a.links.push(link);
        let mut o = ManagedObject::new(uid.to_string(), t, ctx.user, a, value, now)?;
        o.settle_state(now);
        Ok(o)
    };
    let mut private = make(
        private_attrs,
        &private_uid,
        ObjectType::PrivateKey,
        private_format,
        Link {
            link_type: LinkType::PublicKeyLink,
            linked_object_identifier: public_uid.clone(),
        },
        &private_value,
    )?;
    let public = make(
        public_attrs,
        &public_uid,
        ObjectType::PublicKey,
        public_format,
        Link {
            link_type: LinkType::PrivateKeyLink,
            linked_object_identifier: private_uid.clone(),
        },
        &public_value,
    )?;
    // KMIP's default format of an RSA private key is PKCS#1: its Digest is over that form,
    // though the key is stored as PKCS#8.
    if family == Family::Rsa
        && let Some(pkcs1) = key.material(KeyFormatType::Pkcs1)?.map(SecretTtlv)
        && let Some(bytes) = pkcs1.as_bytes()
    {
        private.attributes.digests = vec![material_digest(bytes, Some(KeyFormatType::Pkcs1))];
    }
    Ok((private, public))
}
