//! Bit-mask constants.

/// Bits of the KMIP bit mask `usage_mask`.
pub mod usage_mask {
    /// 0x00000001
    pub const SIGN: u32 = 0x00000001;
    /// 0x00000002
    pub const VERIFY: u32 = 0x00000002;
    /// 0x00000004
    pub const ENCRYPT: u32 = 0x00000004;
    /// 0x00000008
    pub const DECRYPT: u32 = 0x00000008;
    /// 0x00000010
    pub const WRAP_KEY: u32 = 0x00000010;
    /// 0x00000020
    pub const UNWRAP_KEY: u32 = 0x00000020;
    /// 0x00000040
    pub const EXPORT: u32 = 0x00000040;
    /// 0x00000080
    pub const MAC_GENERATE: u32 = 0x00000080;
    /// 0x00000100
    pub const MAC_VERIFY: u32 = 0x00000100;
    /// 0x00000200
    pub const DERIVE_KEY: u32 = 0x00000200;
    /// 0x00000400
    pub const CONTENT_COMMITMENT: u32 = 0x00000400;
    /// 0x00000800
    pub const KEY_AGREEMENT: u32 = 0x00000800;
    /// 0x00001000
    pub const CERTIFICATE_SIGN: u32 = 0x00001000;
    /// 0x00002000
    pub const CRL_SIGN: u32 = 0x00002000;
    /// 0x00004000
    pub const GENERATE_CRYPTOGRAM: u32 = 0x00004000;
    /// 0x00008000
    pub const VALIDATE_CRYPTOGRAM: u32 = 0x00008000;
    /// 0x00010000
    pub const TRANSLATE_ENCRYPT: u32 = 0x00010000;
    /// 0x00020000
    pub const TRANSLATE_DECRYPT: u32 = 0x00020000;
    /// 0x00040000
    pub const TRANSLATE_WRAP: u32 = 0x00040000;
    /// 0x00080000
    pub const TRANSLATE_UNWRAP: u32 = 0x00080000;
    /// 0x00100000
    pub const AUTHENTICATE: u32 = 0x00100000;
    /// 0x00200000
    pub const UNRESTRICTED: u32 = 0x00200000;
    /// 0x00400000
    pub const FPE_ENCRYPT: u32 = 0x00400000;
    /// 0x00800000
    pub const FPE_DECRYPT: u32 = 0x00800000;
    /// (JSON name, bit), in bit order.
    pub const NAMES: &[(&str, u32)] = &[
        ("Sign", SIGN),
        ("Verify", VERIFY),
        ("Encrypt", ENCRYPT),
        ("Decrypt", DECRYPT),
        ("WrapKey", WRAP_KEY),
        ("UnwrapKey", UNWRAP_KEY),
        ("Export", EXPORT),
        ("MACGenerate", MAC_GENERATE),
        ("MACVerify", MAC_VERIFY),
        ("DeriveKey", DERIVE_KEY),
        ("ContentCommitment", CONTENT_COMMITMENT),
        ("KeyAgreement", KEY_AGREEMENT),
        ("CertificateSign", CERTIFICATE_SIGN),
        ("CRLSign", CRL_SIGN),
        ("GenerateCryptogram", GENERATE_CRYPTOGRAM),
        ("ValidateCryptogram", VALIDATE_CRYPTOGRAM),
        ("TranslateEncrypt", TRANSLATE_ENCRYPT),
        ("TranslateDecrypt", TRANSLATE_DECRYPT),
        ("TranslateWrap", TRANSLATE_WRAP),
        ("TranslateUnwrap", TRANSLATE_UNWRAP),
        ("Authenticate", AUTHENTICATE),
        ("Unrestricted", UNRESTRICTED),
        ("FPEEncrypt", FPE_ENCRYPT),
        ("FPEDecrypt", FPE_DECRYPT),
    ];
}

/// Bits of the KMIP bit mask `storage_status_mask`.
pub mod storage_status_mask {
    /// 0x00000001
    pub const ONLINE_STORAGE: u32 = 0x00000001;
    /// 0x00000002
    pub const ARCHIVAL_STORAGE: u32 = 0x00000002;
    /// 0x00000004
    pub const DESTROYED_STORAGE: u32 = 0x00000004;
    /// (JSON name, bit), in bit order.
    pub const NAMES: &[(&str, u32)] = &[
        ("OnlineStorage", ONLINE_STORAGE),
        ("ArchivalStorage", ARCHIVAL_STORAGE),
        ("DestroyedStorage", DESTROYED_STORAGE),
    ];
}

/// Bits of the KMIP bit mask `protection_storage_mask`.
pub mod protection_storage_mask {
    /// 0x00000001
    pub const SOFTWARE: u32 = 0x00000001;
    /// 0x00000002
    pub const HARDWARE: u32 = 0x00000002;
    /// 0x00000004
    pub const ON_PROCESSOR: u32 = 0x00000004;
    /// 0x00000008
    pub const ON_SYSTEM: u32 = 0x00000008;
    /// 0x00000010
    pub const OFF_SYSTEM: u32 = 0x00000010;
    /// 0x00000020
    pub const HYPERVISOR: u32 = 0x00000020;
    /// 0x00000040
    pub const OPERATING_SYSTEM: u32 = 0x00000040;
    /// 0x00000080
    pub const CONTAINER: u32 = 0x00000080;
    /// 0x00000100
    pub const ON_PREMISES: u32 = 0x00000100;
    /// 0x00000200
    pub const OFF_PREMISES: u32 = 0x00000200;
    /// 0x00000400
    pub const SELF_MANAGED: u32 = 0x00000400;
    /// 0x00000800
    pub const OUTSOURCED: u32 = 0x00000800;
    /// 0x00001000
    pub const VALIDATED: u32 = 0x00001000;
    /// 0x00002000
    pub const SAME_JURISDICTION: u32 = 0x00002000;
    /// (JSON name, bit), in bit order.
    pub const NAMES: &[(&str, u32)] = &[
        ("Software", SOFTWARE),
        ("Hardware", HARDWARE),
        ("OnProcessor", ON_PROCESSOR),
        ("OnSystem", ON_SYSTEM),
        ("OffSystem", OFF_SYSTEM),
        ("Hypervisor", HYPERVISOR),
        ("OperatingSystem", OPERATING_SYSTEM),
        ("Container", CONTAINER),
        ("OnPremises", ON_PREMISES),
        ("OffPremises", OFF_PREMISES),
        ("SelfManaged", SELF_MANAGED),
        ("Outsourced", OUTSOURCED),
        ("Validated", VALIDATED),
        ("SameJurisdiction", SAME_JURISDICTION),
    ];
}
