//! Derive Key: a new symmetric key or secret data derived from a base object.

use zeroize::Zeroizing;

use super::prelude::*;
use super::{Items, UniqueIdentifier, parameters, template_attributes};
use crate::enums::{DerivationMethod, ObjectType, ResultReason};

/// The Derive Key request; the fields of its Derivation Parameters are read into it.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// Object Type of the derived object.
    pub object_type: ObjectType,
    /// Unique Identifier of the base object.
    pub base_uid: String,
    /// Derivation Method.
    pub method: DerivationMethod,
    /// Attributes of the derived object (2.x `Attributes` or 1.x `TemplateAttribute`; absent:
    /// none, and none are written).
    pub attributes: Attributes,
    /// Derivation Parameters: Cryptographic Parameters (a bad one is Invalid Field).
    pub params: Option<CryptographicParameters>,
    /// Derivation Parameters: Initialization Vector.
    pub iv: Option<Vec<u8>>,
    /// Derivation Parameters: Derivation Data, wiped once used.
    pub data: Option<Zeroizing<Vec<u8>>>,
    /// Derivation Parameters: Salt.
    pub salt: Option<Vec<u8>>,
    /// Derivation Parameters: Iteration Count.
    pub iterations: Option<i32>,
}

impl KmipRequest for Request {
    const OPERATION: Operation = Operation::DeriveKey;
    type Response = Response;
}

impl FromTtlv for Request {
    fn from_ttlv(t: Ttlv) -> Result<Self, Error> {
        let mut f = Fields::payload(t)?;
        // The object type is read first, then the base: the order of the server's errors.
        let (object_type, base_uid) = (
            f.required_enum(Tag::OBJECT_TYPE, ObjectType::from_u32)?,
            f.optional(Tag::UNIQUE_IDENTIFIER)?.ok_or_else(|| {
                Error::refused(
                    ResultReason::MissingData,
                    "UniqueIdentifier of the base object is missing",
                )
            })?,
        );
        let method = f.required_enum(Tag::DERIVATION_METHOD, DerivationMethod::from_u32)?;
        // Derivation Parameters that are not a structure hold no parameters, as ever.
        let dp: Ttlv = f.required(Tag::DERIVATION_PARAMETERS)?;
        let mut p = Fields::payload(Ttlv::structure(dp.tag, dp.into_items()))?;
        let iterations = p.optional(Tag::ITERATION_COUNT)?;
        let params = parameters(&mut p, Tag::CRYPTOGRAPHIC_PARAMETERS)?;
        Ok(Request {
            object_type,
            base_uid,
            method,
            params,
            iv: p.optional(Tag::INITIALIZATION_VECTOR)?,
            data: p.optional(Tag::DERIVATION_DATA)?,
            salt: p.optional(Tag::SALT)?,
            iterations,
            attributes: template_attributes(&mut f, Tag::ATTRIBUTES)?,
        })
    }
}

impl ToTtlv for Request {
    fn to_ttlv(self) -> Ttlv {
        let mut dp = Vec::new();
        self.params
            .push_into(Tag::CRYPTOGRAPHIC_PARAMETERS, &mut dp);
        self.iv.push_into(Tag::INITIALIZATION_VECTOR, &mut dp);
        self.data.push_into(Tag::DERIVATION_DATA, &mut dp);
        self.salt.push_into(Tag::SALT, &mut dp);
        self.iterations.push_into(Tag::ITERATION_COUNT, &mut dp);
        let mut v = vec![
            Ttlv::enumeration(Tag::OBJECT_TYPE, self.object_type.as_u32()),
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, self.base_uid),
            Ttlv::enumeration(Tag::DERIVATION_METHOD, self.method.as_u32()),
            Ttlv::structure(Tag::DERIVATION_PARAMETERS, dp),
        ];
        self.attributes.push_into(Tag::ATTRIBUTES, &mut v);
        request(v)
    }
}

/// The response: the derived object's Unique Identifier.
pub type Response = UniqueIdentifier;
