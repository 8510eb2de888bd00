//! Import (KMIP 1.4+): stores an object under the Unique Identifier the client gives, with
//! the attributes it gives (an Export from elsewhere), replacing an existing object of that
//! identifier only with Replace Existing. A key wrapped under a key of this group is
//! unwrapped when Key Wrap Type is Not Wrapped (No Encoding, Encryption Key Information naming
//! the unwrapping key); otherwise the value is stored as sent.

use super::Context;
use super::register::check_value;
use crate::error::KmipError;
use crate::objects::keys::key_block;
use crate::objects::object::{ManagedObject, SecretTtlv};
use crate::objects::{cipher, now, wrap};
use ekms_kmip::enums::{EncodingOption, KeyWrapType, ResultReason};
use ekms_kmip::operations::UniqueIdentifier;
use ekms_kmip::operations::import::Request;
use ekms_kmip::{Tag, Ttlv, Value};

/// The value with its Key Block unwrapped under `key` (No Encoding only).
fn unwrap_value(
    value: &Ttlv,
    tx: &mut dyn ekms_store::StoreTx,
) -> Result<Option<SecretTtlv>, KmipError> {
    let Some(block) = key_block(value) else {
        return Ok(None);
    };
    let Some(kwd) = block.child(Tag::KEY_WRAPPING_DATA) else {
        return Ok(None);
    };
    let encoding = kwd
        .child(Tag::ENCODING_OPTION)
        .and_then(Ttlv::as_enum)
        .unwrap_or(EncodingOption::NoEncoding.as_u32());
    if encoding != EncodingOption::NoEncoding.as_u32() {
        return Err(KmipError::new(
            ResultReason::EncodingOptionError,
            "ekms unwraps keys wrapped with No Encoding only",
        ));
    }
    let info = kwd
        .child(Tag::ENCRYPTION_KEY_INFORMATION)
        .ok_or_else(|| KmipError::missing("EncryptionKeyInformation"))?;
    let key_uid = info
        .child(Tag::UNIQUE_IDENTIFIER)
        .and_then(Ttlv::as_text)
        .ok_or_else(|| KmipError::missing("EncryptionKeyInformation UniqueIdentifier"))?;
    let params = cipher::parse_parameters(info)?;
    let key = ManagedObject::load(tx, key_uid).map_err(|e| {
        if e.reason == ResultReason::ObjectNotFound {
            KmipError::new(
                ResultReason::WrappingObjectNotFound,
                format!("no unwrapping key {key_uid}"),
            )
        } else {
            e
        }
    })?;
    // KMIP writes a wrapped Key Value as a byte string; ekms before wrote the wrapped bytes
    // as the Key Material of a Key Value structure, which files exported then still hold.
    let wrapped = block
        .child(Tag::KEY_VALUE)
        .and_then(|v| {
            v.as_bytes()
                .or_else(|| v.child(Tag::KEY_MATERIAL).and_then(Ttlv::as_bytes))
        })
        .ok_or_else(|| KmipError::missing("the wrapped KeyValue"))?;
    let plain = wrap::unwrap_bytes(&key, params.as_ref(), wrapped)?;
    let mut out = value.clone();
    if let Value::Structure(fields) = &mut out.value {
        for f in fields.iter_mut().filter(|f| f.tag == Tag::KEY_BLOCK) {
            if let Value::Structure(b) = &mut f.value {
                b.retain(|i| i.tag != Tag::KEY_WRAPPING_DATA);
                for i in b.iter_mut().filter(|i| i.tag == Tag::KEY_VALUE) {
                    *i = Ttlv::structure(
                        Tag::KEY_VALUE,
                        vec![Ttlv::bytes(Tag::KEY_MATERIAL, plain.to_vec())],
                    );
                }
            }
        }
    }
    Ok(Some(SecretTtlv(out)))
}

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<UniqueIdentifier, KmipError> {
    super::register::check_defined(req.object_type, crate::objects::attrs::version(ctx))?;
    let value = SecretTtlv(req.value);
    let replace = req.replace.unwrap_or(false);
    let now = now();
    if req.uid.is_empty() {
        return Err(KmipError::invalid("UniqueIdentifier must not be empty"));
    }
    let mut attributes = req.attributes;
    // The imported object keeps its history (dates, state), but identity, type and what the
    // value says come from the request itself.
    attributes.unique_identifier = Some(req.uid.clone());
    attributes.object_type = Some(req.object_type);
    attributes.last_change_date = Some(now);
    attributes.initial_date.get_or_insert(now);
    attributes
        .state
        .get_or_insert(ekms_kmip::enums::State::PreActive);
    check_value(req.object_type, &value, &mut attributes)?;
    ctx.transact(|tx| {
        let unwrapped = if req.wrap_type == Some(KeyWrapType::NotWrapped) {
            unwrap_value(&value, tx)?
        } else {
            None
        };
        let value = unwrapped.as_ref().map_or(&value.0, |v| &v.0);
        let mut a = attributes.clone();
        check_value(req.object_type, value, &mut a)?;
        let object = ManagedObject::new(req.uid.clone(), req.object_type, ctx.user, a, value, now)?;
        match tx.get(&req.uid)? {
            Some(existing) if replace => {
                let mut object = object;
                object.created_at = existing.created_at;
                object.owner = existing.owner;
                tx.update(&object.to_stored()?)?;
                Ok(())
            }
            Some(_) => Err(KmipError::new(
                ResultReason::ObjectAlreadyExists,
                format!(
                    "an object {} exists already: set ReplaceExisting to replace it",
                    req.uid
                ),
            )),
            None => object.insert(tx),
        }
    })?;
    Ok(UniqueIdentifier { uid: req.uid })
}
