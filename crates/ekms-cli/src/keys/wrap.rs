//! `ekms keys wrap` and `ekms keys unwrap`: a key written wrapped under another key of the
//! server (Get with a Key Wrapping Specification), and imported back unwrapped by the server
//! (Import of the wrapped object).

use anyhow::{Result, anyhow};
use ekms_kmip::enums::{KeyWrapType, WrappingMethod};
use ekms_kmip::operations::get::{self, EncryptionKeyInformation, KeyWrappingSpecification};
use ekms_kmip::operations::import;
use ekms_kmip::{Tag, Ttlv, Value};
use serde_json::json;

use crate::cli::keys::{KeysUnwrapArgs, KeysWrapArgs};
use crate::context::Context;
use crate::keys::{file_attributes, object_type_of, print, store};
use crate::output::{read_file, write_atomic};
use crate::report::Explained;

/// The Key Wrapping Specification of a Get that wraps under `kek`.
pub(crate) fn wrapping_spec(kek: &str) -> KeyWrappingSpecification {
    KeyWrappingSpecification {
        method: WrappingMethod::Encrypt,
        key: EncryptionKeyInformation {
            uid: kek.to_string(),
            params: None,
        },
        encoding: None,
    }
}

/// `ekms keys wrap`.
pub async fn wrap(ctx: &Context, args: &KeysWrapArgs) -> Result<()> {
    let request = get::Request {
        uid: args.id.clone(),
        format: None,
        compression: None,
        wrap_type: None,
        wrapping: Some(wrapping_spec(&args.wrap_key)),
    };
    let r = ctx.client(true)?.call(request).await?;
    let text = serde_json::to_vec_pretty(&ekms_kmip::json::to_value(&r.value))?;
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
fn set_unwrap_key(object: &mut Ttlv, kek: &str) -> Result<()> {
    let path = [
        Tag::KEY_BLOCK,
        Tag::KEY_WRAPPING_DATA,
        Tag::ENCRYPTION_KEY_INFORMATION,
    ];
    let mut v = object;
    for tag in path {
        v = match &mut v.value {
            Value::Structure(items) => items.iter_mut().find(|c| c.tag == tag),
            _ => None,
        }
        .ok_or_else(|| {
            let name = tag.name().unwrap_or_default();
            anyhow!("the file's key is not wrapped (no {name})")
        })?;
    }
    let Value::Structure(list) = &mut v.value else {
        return Err(anyhow!("EncryptionKeyInformation is not a structure"));
    };
    list.retain(|c| c.tag != Tag::UNIQUE_IDENTIFIER);
    list.insert(0, Ttlv::text(Tag::UNIQUE_IDENTIFIER, kek));
    Ok(())
}

/// `ekms keys unwrap`.
pub async fn unwrap(ctx: &Context, args: &KeysUnwrapArgs) -> Result<()> {
    let data = read_file(&args.file)?;
    let not_ours = |why: String| Explained {
        message: format!("{} is not a wrapped key: {why}", args.file.display()),
        hint: Some("unwrap files written by `ekms keys wrap`".to_string()),
    };
    let mut object = ekms_kmip::json::from_slice(&data).map_err(|e| not_ours(e.to_string()))?;
    let object_type =
        object_type_of(object.tag).ok_or_else(|| not_ours("no KMIP object".to_string()))?;
    set_unwrap_key(&mut object, &args.wrap_key).map_err(|e| not_ours(e.to_string()))?;
    let request = import::Request {
        uid: hex::encode(ekms_crypto::rand::random_bytes(16)?),
        object_type,
        replace: None,
        wrap_type: Some(KeyWrapType::NotWrapped),
        attributes: file_attributes(args.name.as_deref(), true),
        value: object,
    };
    store(ctx, request, object_type).await
}
