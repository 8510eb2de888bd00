//! Credentials of the request header's Authentication, and the secret types that hold them.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::codec::{Fields, ToTtlv, enum_raw, expect_tag, opt_bytes, opt_text};
use crate::enums::{AttestationType, CredentialType};
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::{Ttlv, Value};

/// A password (or any secret text of a credential): wiped from memory when dropped, never
/// printed (`Debug` writes `***`), and no `Display`.
///
/// ekms takes the Password of a Username and Password credential as the group secret token.
#[derive(Clone, Default, Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a secret (the string moves in: no copy is left behind by this call).
    pub fn new(secret: String) -> Self {
        Password(secret)
    }

    /// The secret text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Password {
    fn from(s: String) -> Self {
        Password(s)
    }
}

impl From<&str> for Password {
    fn from(s: &str) -> Self {
        Password(s.to_owned())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl PartialEq for Password {
    /// Compares without stopping at the first differing byte. This only keeps the comparison
    /// from leaking a matching prefix; a server authenticates with a keyed hash compared in
    /// constant time, not with this.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
        std::hint::black_box(diff) == 0
    }
}

impl Eq for Password {}

/// Overwrites every Text String, Byte String and Big Integer in the tree with zeros and empties
/// it. Iterative, so any depth is safe. For payloads and opaque credential values that may
/// carry secrets (the typed message layer never wipes payloads itself).
pub fn wipe_ttlv(t: &mut Ttlv) {
    let mut stack: Vec<&mut Ttlv> = vec![t];
    while let Some(Ttlv { value, .. }) = stack.pop() {
        match value {
            Value::Structure(items) => stack.extend(items.iter_mut()),
            Value::TextString(s) => s.zeroize(),
            Value::ByteString(b) | Value::BigInteger(b) => b.zeroize(),
            Value::Integer(_)
            | Value::LongInteger(_)
            | Value::Enumeration(_)
            | Value::Boolean(_)
            | Value::DateTime(_)
            | Value::Interval(_)
            | Value::DateTimeExtended(_) => {}
        }
    }
}

/// A Credential Value this crate keeps as received (KMIP 2.x One Time Password, Hashed
/// Password, Ticket, and unknown credential types). Wiped when dropped; `Debug` shows only its
/// shape.
#[derive(Clone, PartialEq)]
pub struct OpaqueCredentialValue(Ttlv);

impl OpaqueCredentialValue {
    /// Wraps a Credential Value item.
    pub fn new(value: Ttlv) -> Self {
        OpaqueCredentialValue(value)
    }

    /// The Credential Value item as received.
    pub fn ttlv(&self) -> &Ttlv {
        &self.0
    }
}

impl Drop for OpaqueCredentialValue {
    fn drop(&mut self) {
        wipe_ttlv(&mut self.0);
    }
}

impl fmt::Debug for OpaqueCredentialValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OpaqueCredentialValue({}, {} items)",
            self.0.value.type_name(),
            self.0.items().len()
        )
    }
}

/// The Nonce structure (Nonce ID, Nonce Value): in an Attestation credential, and in a
/// response header when the server asks the client to attest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce {
    /// Nonce ID.
    pub nonce_id: Vec<u8>,
    /// Nonce Value.
    pub nonce_value: Vec<u8>,
}

impl Nonce {
    /// Reads a Nonce; with `lenient`, fields it does not define are ignored.
    pub(super) fn read(t: Ttlv, lenient: bool) -> Result<Self, Error> {
        expect_tag(&t, Tag::NONCE)?;
        Fields::new(t, Tag::NONCE)?.lenient(lenient).decode(|f| {
            Ok(Nonce {
                nonce_id: f.required(Tag::NONCE_ID)?,
                nonce_value: f.required(Tag::NONCE_VALUE)?,
            })
        })
    }
}

impl ToTtlv for &Nonce {
    fn to_ttlv(self) -> Ttlv {
        Ttlv::structure(
            Tag::NONCE,
            vec![
                Ttlv::bytes(Tag::NONCE_ID, self.nonce_id.clone()),
                Ttlv::bytes(Tag::NONCE_VALUE, self.nonce_value.clone()),
            ],
        )
    }
}

/// The value of a Device credential (Credential Type 2): every field optional.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceCredential {
    /// Device Serial Number.
    pub device_serial_number: Option<String>,
    /// Password.
    pub password: Option<Password>,
    /// Device Identifier.
    pub device_identifier: Option<String>,
    /// Network Identifier.
    pub network_identifier: Option<String>,
    /// Machine Identifier.
    pub machine_identifier: Option<String>,
    /// Media Identifier.
    pub media_identifier: Option<String>,
}

/// The value of an Attestation credential (Credential Type 3, KMIP 1.2+).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestationCredential {
    /// Nonce (the one the server sent).
    pub nonce: Nonce,
    /// Attestation Type.
    pub attestation_type: AttestationType,
    /// Attestation Measurement.
    pub attestation_measurement: Option<Vec<u8>>,
    /// Attestation Assertion.
    pub attestation_assertion: Option<Vec<u8>>,
}

/// One Credential of the request header's Authentication.
#[derive(Clone, Debug, PartialEq)]
pub enum Credential {
    /// Credential Type 1: Username (required) and Password (optional). ekms reads the Password
    /// as the group secret token and the Username as the user.
    UsernameAndPassword {
        /// Username.
        username: String,
        /// Password.
        password: Option<Password>,
    },
    /// Credential Type 2.
    Device(DeviceCredential),
    /// Credential Type 3.
    Attestation(AttestationCredential),
    /// Credential Types 4 (One Time Password), 5 (Hashed Password) and 6 (Ticket) of KMIP 2.x,
    /// and any type this crate does not know: the Credential Value kept as received.
    Other {
        /// The Credential Type value.
        credential_type: u32,
        /// The Credential Value item.
        value: OpaqueCredentialValue,
    },
}

impl Credential {
    /// A Username and Password credential.
    pub fn username_and_password(username: impl Into<String>, password: Option<Password>) -> Self {
        Credential::UsernameAndPassword {
            username: username.into(),
            password,
        }
    }

    /// The Credential Type value.
    pub fn credential_type(&self) -> u32 {
        match self {
            Credential::UsernameAndPassword { .. } => CredentialType::UsernameAndPassword.as_u32(),
            Credential::Device(_) => CredentialType::Device.as_u32(),
            Credential::Attestation(_) => CredentialType::Attestation.as_u32(),
            Credential::Other {
                credential_type, ..
            } => *credential_type,
        }
    }

    /// The Credential Type, if this crate knows it.
    pub fn kind(&self) -> Option<CredentialType> {
        CredentialType::from_u32(self.credential_type())
    }

    /// Reads a Credential; with `lenient`, fields it does not define are ignored.
    pub(super) fn read(t: Ttlv, lenient: bool) -> Result<Self, Error> {
        const P: Tag = Tag::CREDENTIAL;
        expect_tag(&t, P)?;
        let mut f = Fields::new(t, P)?.lenient(lenient);
        let ty = f.required_with(Tag::CREDENTIAL_TYPE, enum_raw)?;
        let value: Ttlv = f.required(Tag::CREDENTIAL_VALUE)?;
        f.finish()?;
        Ok(match CredentialType::from_u32(ty) {
            Some(CredentialType::UsernameAndPassword) => username_and_password(value, lenient)?,
            Some(CredentialType::Device) => Credential::Device(device(value, lenient)?),
            Some(CredentialType::Attestation) => {
                Credential::Attestation(attestation(value, lenient)?)
            }
            _ => Credential::Other {
                credential_type: ty,
                value: OpaqueCredentialValue::new(value),
            },
        })
    }
}

impl ToTtlv for &Credential {
    /// The Credential structure.
    fn to_ttlv(self) -> Ttlv {
        let value = match self {
            Credential::UsernameAndPassword { username, password } => {
                let mut v = vec![Ttlv::text(Tag::USERNAME, username.clone())];
                if let Some(p) = password {
                    v.push(Ttlv::text(Tag::PASSWORD, p.expose()));
                }
                Ttlv::structure(Tag::CREDENTIAL_VALUE, v)
            }
            Credential::Device(d) => {
                let mut v = Vec::new();
                opt_text(&mut v, Tag::DEVICE_SERIAL_NUMBER, &d.device_serial_number);
                if let Some(p) = &d.password {
                    v.push(Ttlv::text(Tag::PASSWORD, p.expose()));
                }
                opt_text(&mut v, Tag::DEVICE_IDENTIFIER, &d.device_identifier);
                opt_text(&mut v, Tag::NETWORK_IDENTIFIER, &d.network_identifier);
                opt_text(&mut v, Tag::MACHINE_IDENTIFIER, &d.machine_identifier);
                opt_text(&mut v, Tag::MEDIA_IDENTIFIER, &d.media_identifier);
                Ttlv::structure(Tag::CREDENTIAL_VALUE, v)
            }
            Credential::Attestation(a) => {
                let mut v = vec![
                    a.nonce.to_ttlv(),
                    Ttlv::enumeration(Tag::ATTESTATION_TYPE, a.attestation_type.as_u32()),
                ];
                opt_bytes(
                    &mut v,
                    Tag::ATTESTATION_MEASUREMENT,
                    &a.attestation_measurement,
                );
                opt_bytes(&mut v, Tag::ATTESTATION_ASSERTION, &a.attestation_assertion);
                Ttlv::structure(Tag::CREDENTIAL_VALUE, v)
            }
            Credential::Other { value, .. } => value.ttlv().clone(),
        };
        Ttlv::structure(
            Tag::CREDENTIAL,
            vec![
                Ttlv::enumeration(Tag::CREDENTIAL_TYPE, self.credential_type()),
                value,
            ],
        )
    }
}

fn username_and_password(value: Ttlv, lenient: bool) -> Result<Credential, Error> {
    Fields::new(value, Tag::CREDENTIAL_VALUE)?
        .lenient(lenient)
        .decode(|f| {
            Ok(Credential::UsernameAndPassword {
                username: f.required(Tag::USERNAME)?,
                password: f.optional::<String>(Tag::PASSWORD)?.map(Password::new),
            })
        })
}

fn device(value: Ttlv, lenient: bool) -> Result<DeviceCredential, Error> {
    Fields::new(value, Tag::CREDENTIAL_VALUE)?
        .lenient(lenient)
        .decode(|f| {
            Ok(DeviceCredential {
                device_serial_number: f.optional(Tag::DEVICE_SERIAL_NUMBER)?,
                password: f.optional::<String>(Tag::PASSWORD)?.map(Password::new),
                device_identifier: f.optional(Tag::DEVICE_IDENTIFIER)?,
                network_identifier: f.optional(Tag::NETWORK_IDENTIFIER)?,
                machine_identifier: f.optional(Tag::MACHINE_IDENTIFIER)?,
                media_identifier: f.optional(Tag::MEDIA_IDENTIFIER)?,
            })
        })
}

fn attestation(value: Ttlv, lenient: bool) -> Result<AttestationCredential, Error> {
    Fields::new(value, Tag::CREDENTIAL_VALUE)?
        .lenient(lenient)
        .decode(|f| {
            Ok(AttestationCredential {
                nonce: f.required_with(Tag::NONCE, |c| Nonce::read(c, lenient))?,
                attestation_type: f
                    .required_enum(Tag::ATTESTATION_TYPE, AttestationType::from_u32)?,
                attestation_measurement: f.optional(Tag::ATTESTATION_MEASUREMENT)?,
                attestation_assertion: f.optional(Tag::ATTESTATION_ASSERTION)?,
            })
        })
}
