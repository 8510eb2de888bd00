//! `ekms keys wrap` and `ekms keys unwrap`: a key written wrapped under another key of the
//! server (Get with a Key Wrapping Specification), and imported back unwrapped by the server
//! (Import of the wrapped object).

use anyhow::{Result, anyhow};
use serde_json::{Value, json};

use crate::cli::keys::{KeysUnwrapArgs, KeysWrapArgs};
use crate::context::Context;
use crate::keys::{OBJECTS, object_of, print};
use crate::kmip_json::{activation_now, call, child_str, e, name_attr, st, text};
use crate::output::{read_file, write_atomic};
use crate::report::Explained;

/// The Key Wrapping Specification of a Get that wraps under `kek`.
pub(crate) fn wrapping_spec(kek: &str) -> Value {
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

/// `ekms keys wrap`.
pub async fn wrap(ctx: &Context, args: &KeysWrapArgs) -> Result<()> {
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

/// `ekms keys unwrap`.
pub async fn unwrap(ctx: &Context, args: &KeysUnwrapArgs) -> Result<()> {
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
