// @generated from the KMIP 1.0-2.1 tag tables (facts of the specification). Do not edit by hand.

//! Tag table of KMIP 1.0-2.1.

use super::Tag;
impl Tag {
    /// `ActivationDate` ("Activation Date")
    pub const ACTIVATION_DATE: Tag = Tag(0x420001);
    /// `ApplicationData` ("Application Data")
    pub const APPLICATION_DATA: Tag = Tag(0x420002);
    /// `ApplicationNamespace` ("Application Namespace")
    pub const APPLICATION_NAMESPACE: Tag = Tag(0x420003);
    /// `ApplicationSpecificInformation` ("Application Specific Information")
    pub const APPLICATION_SPECIFIC_INFORMATION: Tag = Tag(0x420004);
    /// `ArchiveDate` ("Archive Date")
    pub const ARCHIVE_DATE: Tag = Tag(0x420005);
    /// `AsynchronousCorrelationValue` ("Asynchronous Correlation Value")
    pub const ASYNCHRONOUS_CORRELATION_VALUE: Tag = Tag(0x420006);
    /// `AsynchronousIndicator` ("Asynchronous Indicator")
    pub const ASYNCHRONOUS_INDICATOR: Tag = Tag(0x420007);
    /// `Attribute` ("Attribute")
    pub const ATTRIBUTE: Tag = Tag(0x420008);
    /// `AttributeIndex` ("Attribute Index")
    pub const ATTRIBUTE_INDEX: Tag = Tag(0x420009);
    /// `AttributeName` ("Attribute Name")
    pub const ATTRIBUTE_NAME: Tag = Tag(0x42000A);
    /// `AttributeValue` ("Attribute Value")
    pub const ATTRIBUTE_VALUE: Tag = Tag(0x42000B);
    /// `Authentication` ("Authentication")
    pub const AUTHENTICATION: Tag = Tag(0x42000C);
    /// `BatchCount` ("Batch Count")
    pub const BATCH_COUNT: Tag = Tag(0x42000D);
    /// `BatchErrorContinuationOption` ("Batch Error Continuation Option")
    pub const BATCH_ERROR_CONTINUATION_OPTION: Tag = Tag(0x42000E);
    /// `BatchItem` ("Batch Item")
    pub const BATCH_ITEM: Tag = Tag(0x42000F);
    /// `BatchOrderOption` ("Batch Order Option")
    pub const BATCH_ORDER_OPTION: Tag = Tag(0x420010);
    /// `BlockCipherMode` ("Block Cipher Mode")
    pub const BLOCK_CIPHER_MODE: Tag = Tag(0x420011);
    /// `CancellationResult` ("Cancellation Result")
    pub const CANCELLATION_RESULT: Tag = Tag(0x420012);
    /// `Certificate` ("Certificate")
    pub const CERTIFICATE: Tag = Tag(0x420013);
    /// `CertificateIdentifier` ("CertificateIdentifier")
    pub const CERTIFICATE_IDENTIFIER: Tag = Tag(0x420014);
    /// `CertificateIssuer` ("CertificateIssuer")
    pub const CERTIFICATE_ISSUER: Tag = Tag(0x420015);
    /// `CertificateIssuerAlternativeName` ("CertificateIssuerAlternativeName")
    pub const CERTIFICATE_ISSUER_ALTERNATIVE_NAME: Tag = Tag(0x420016);
    /// `CertificateIssuerDistinguishedName` ("CertificateIssuerDistinguishedName")
    pub const CERTIFICATE_ISSUER_DISTINGUISHED_NAME: Tag = Tag(0x420017);
    /// `CertificateRequest` ("Certificate Request")
    pub const CERTIFICATE_REQUEST: Tag = Tag(0x420018);
    /// `CertificateRequestType` ("Certificate Request Type")
    pub const CERTIFICATE_REQUEST_TYPE: Tag = Tag(0x420019);
    /// `CertificateSubject` ("CertificateSubject")
    pub const CERTIFICATE_SUBJECT: Tag = Tag(0x42001A);
    /// `CertificateSubjectAlternativeName` ("CertificateSubjectAlternativeName")
    pub const CERTIFICATE_SUBJECT_ALTERNATIVE_NAME: Tag = Tag(0x42001B);
    /// `CertificateSubjectDistinguishedName` ("CertificateSubjectDistinguishedName")
    pub const CERTIFICATE_SUBJECT_DISTINGUISHED_NAME: Tag = Tag(0x42001C);
    /// `CertificateType` ("Certificate Type")
    pub const CERTIFICATE_TYPE: Tag = Tag(0x42001D);
    /// `CertificateValue` ("Certificate Value")
    pub const CERTIFICATE_VALUE: Tag = Tag(0x42001E);
    /// `CommonTemplateAttribute` ("Common Template-Attribute")
    pub const COMMON_TEMPLATE_ATTRIBUTE: Tag = Tag(0x42001F);
    /// `CompromiseDate` ("Compromise Date")
    pub const COMPROMISE_DATE: Tag = Tag(0x420020);
    /// `CompromiseOccurrenceDate` ("Compromise Occurrence Date")
    pub const COMPROMISE_OCCURRENCE_DATE: Tag = Tag(0x420021);
    /// `ContactInformation` ("Contact Information")
    pub const CONTACT_INFORMATION: Tag = Tag(0x420022);
    /// `Credential` ("Credential")
    pub const CREDENTIAL: Tag = Tag(0x420023);
    /// `CredentialType` ("Credential Type")
    pub const CREDENTIAL_TYPE: Tag = Tag(0x420024);
    /// `CredentialValue` ("Credential Value")
    pub const CREDENTIAL_VALUE: Tag = Tag(0x420025);
    /// `CriticalityIndicator` ("Criticality Indicator")
    pub const CRITICALITY_INDICATOR: Tag = Tag(0x420026);
    /// `CRTCoefficient` ("CRT Coefficient")
    pub const CRT_COEFFICIENT: Tag = Tag(0x420027);
    /// `CryptographicAlgorithm` ("Cryptographic Algorithm")
    pub const CRYPTOGRAPHIC_ALGORITHM: Tag = Tag(0x420028);
    /// `CryptographicDomainParameters` ("Cryptographic Domain Parameters")
    pub const CRYPTOGRAPHIC_DOMAIN_PARAMETERS: Tag = Tag(0x420029);
    /// `CryptographicLength` ("Cryptographic Length")
    pub const CRYPTOGRAPHIC_LENGTH: Tag = Tag(0x42002A);
    /// `CryptographicParameters` ("Cryptographic Parameters")
    pub const CRYPTOGRAPHIC_PARAMETERS: Tag = Tag(0x42002B);
    /// `CryptographicUsageMask` ("Cryptographic Usage Mask")
    pub const CRYPTOGRAPHIC_USAGE_MASK: Tag = Tag(0x42002C);
    /// `CustomAttribute` ("Custom Attribute")
    pub const CUSTOM_ATTRIBUTE: Tag = Tag(0x42002D);
    /// `D` ("D")
    pub const D: Tag = Tag(0x42002E);
    /// `DeactivationDate` ("Deactivation Date")
    pub const DEACTIVATION_DATE: Tag = Tag(0x42002F);
    /// `DerivationData` ("Derivation Data")
    pub const DERIVATION_DATA: Tag = Tag(0x420030);
    /// `DerivationMethod` ("Derivation Method")
    pub const DERIVATION_METHOD: Tag = Tag(0x420031);
    /// `DerivationParameters` ("Derivation Parameters")
    pub const DERIVATION_PARAMETERS: Tag = Tag(0x420032);
    /// `DestroyDate` ("Destroy Date")
    pub const DESTROY_DATE: Tag = Tag(0x420033);
    /// `Digest` ("Digest")
    pub const DIGEST: Tag = Tag(0x420034);
    /// `DigestValue` ("Digest Value")
    pub const DIGEST_VALUE: Tag = Tag(0x420035);
    /// `EncryptionKeyInformation` ("Encryption Key Information")
    pub const ENCRYPTION_KEY_INFORMATION: Tag = Tag(0x420036);
    /// `G` ("G")
    pub const G: Tag = Tag(0x420037);
    /// `HashingAlgorithm` ("Hashing Algorithm")
    pub const HASHING_ALGORITHM: Tag = Tag(0x420038);
    /// `InitialDate` ("Initial Date")
    pub const INITIAL_DATE: Tag = Tag(0x420039);
    /// `InitializationVector` ("Initialization Vector")
    pub const INITIALIZATION_VECTOR: Tag = Tag(0x42003A);
    /// `Issuer` ("Issuer")
    pub const ISSUER: Tag = Tag(0x42003B);
    /// `IterationCount` ("Iteration Count")
    pub const ITERATION_COUNT: Tag = Tag(0x42003C);
    /// `IVCounterNonce` ("IV/Counter/Nonce")
    pub const IV_COUNTER_NONCE: Tag = Tag(0x42003D);
    /// `J` ("J")
    pub const J: Tag = Tag(0x42003E);
    /// `Key` ("Key")
    pub const KEY: Tag = Tag(0x42003F);
    /// `KeyBlock` ("Key Block")
    pub const KEY_BLOCK: Tag = Tag(0x420040);
    /// `KeyCompressionType` ("Key Compression Type")
    pub const KEY_COMPRESSION_TYPE: Tag = Tag(0x420041);
    /// `KeyFormatType` ("Key Format Type")
    pub const KEY_FORMAT_TYPE: Tag = Tag(0x420042);
    /// `KeyMaterial` ("Key Material")
    pub const KEY_MATERIAL: Tag = Tag(0x420043);
    /// `KeyPartIdentifier` ("Key Part Identifier")
    pub const KEY_PART_IDENTIFIER: Tag = Tag(0x420044);
    /// `KeyValue` ("Key Value")
    pub const KEY_VALUE: Tag = Tag(0x420045);
    /// `KeyWrappingData` ("Key Wrapping Data")
    pub const KEY_WRAPPING_DATA: Tag = Tag(0x420046);
    /// `KeyWrappingSpecification` ("Key Wrapping Specification")
    pub const KEY_WRAPPING_SPECIFICATION: Tag = Tag(0x420047);
    /// `LastChangeDate` ("Last Change Date")
    pub const LAST_CHANGE_DATE: Tag = Tag(0x420048);
    /// `LeaseTime` ("Lease Time")
    pub const LEASE_TIME: Tag = Tag(0x420049);
    /// `Link` ("Link")
    pub const LINK: Tag = Tag(0x42004A);
    /// `LinkType` ("Link Type")
    pub const LINK_TYPE: Tag = Tag(0x42004B);
    /// `LinkedObjectIdentifier` ("Linked Object Identifier")
    pub const LINKED_OBJECT_IDENTIFIER: Tag = Tag(0x42004C);
    /// `MACSignature` ("MAC/Signature")
    pub const MAC_SIGNATURE: Tag = Tag(0x42004D);
    /// `MACSignatureKeyInformation` ("MAC/Signature Key Information")
    pub const MAC_SIGNATURE_KEY_INFORMATION: Tag = Tag(0x42004E);
    /// `MaximumItems` ("Maximum Items")
    pub const MAXIMUM_ITEMS: Tag = Tag(0x42004F);
    /// `MaximumResponseSize` ("Maximum Response Size")
    pub const MAXIMUM_RESPONSE_SIZE: Tag = Tag(0x420050);
    /// `MessageExtension` ("Message Extension")
    pub const MESSAGE_EXTENSION: Tag = Tag(0x420051);
    /// `Modulus` ("Modulus")
    pub const MODULUS: Tag = Tag(0x420052);
    /// `Name` ("Name")
    pub const NAME: Tag = Tag(0x420053);
    /// `NameType` ("Name Type")
    pub const NAME_TYPE: Tag = Tag(0x420054);
    /// `NameValue` ("Name Value")
    pub const NAME_VALUE: Tag = Tag(0x420055);
    /// `ObjectGroup` ("Object Group")
    pub const OBJECT_GROUP: Tag = Tag(0x420056);
    /// `ObjectType` ("Object Type")
    pub const OBJECT_TYPE: Tag = Tag(0x420057);
    /// `Offset` ("Offset")
    pub const OFFSET: Tag = Tag(0x420058);
    /// `OpaqueDataType` ("Opaque Data Type")
    pub const OPAQUE_DATA_TYPE: Tag = Tag(0x420059);
    /// `OpaqueDataValue` ("Opaque Data Value")
    pub const OPAQUE_DATA_VALUE: Tag = Tag(0x42005A);
    /// `OpaqueObject` ("Opaque Object")
    pub const OPAQUE_OBJECT: Tag = Tag(0x42005B);
    /// `Operation` ("Operation")
    pub const OPERATION: Tag = Tag(0x42005C);
    /// `OperationPolicyName` ("Operation Policy Name")
    pub const OPERATION_POLICY_NAME: Tag = Tag(0x42005D);
    /// `P` ("P")
    pub const P: Tag = Tag(0x42005E);
    /// `PaddingMethod` ("Padding Method")
    pub const PADDING_METHOD: Tag = Tag(0x42005F);
    /// `PrimeExponentP` ("Prime Exponent P")
    pub const PRIME_EXPONENT_P: Tag = Tag(0x420060);
    /// `PrimeExponentQ` ("Prime Exponent Q")
    pub const PRIME_EXPONENT_Q: Tag = Tag(0x420061);
    /// `PrimeFieldSize` ("Prime Field Size")
    pub const PRIME_FIELD_SIZE: Tag = Tag(0x420062);
    /// `PrivateExponent` ("Private Exponent")
    pub const PRIVATE_EXPONENT: Tag = Tag(0x420063);
    /// `PrivateKey` ("Private Key")
    pub const PRIVATE_KEY: Tag = Tag(0x420064);
    /// `PrivateKeyTemplateAttribute` ("Private Key Template-Attribute")
    pub const PRIVATE_KEY_TEMPLATE_ATTRIBUTE: Tag = Tag(0x420065);
    /// `PrivateKeyUniqueIdentifier` ("Private Key Unique Identifier")
    pub const PRIVATE_KEY_UNIQUE_IDENTIFIER: Tag = Tag(0x420066);
    /// `ProcessStartDate` ("Process Start Date")
    pub const PROCESS_START_DATE: Tag = Tag(0x420067);
    /// `ProtectStopDate` ("Protect Stop Date")
    pub const PROTECT_STOP_DATE: Tag = Tag(0x420068);
    /// `ProtocolVersion` ("Protocol Version")
    pub const PROTOCOL_VERSION: Tag = Tag(0x420069);
    /// `ProtocolVersionMajor` ("Protocol Version Major")
    pub const PROTOCOL_VERSION_MAJOR: Tag = Tag(0x42006A);
    /// `ProtocolVersionMinor` ("Protocol Version Minor")
    pub const PROTOCOL_VERSION_MINOR: Tag = Tag(0x42006B);
    /// `PublicExponent` ("Public Exponent")
    pub const PUBLIC_EXPONENT: Tag = Tag(0x42006C);
    /// `PublicKey` ("Public Key")
    pub const PUBLIC_KEY: Tag = Tag(0x42006D);
    /// `PublicKeyTemplateAttribute` ("Public Key Template-Attribute")
    pub const PUBLIC_KEY_TEMPLATE_ATTRIBUTE: Tag = Tag(0x42006E);
    /// `PublicKeyUniqueIdentifier` ("Public Key Unique Identifier")
    pub const PUBLIC_KEY_UNIQUE_IDENTIFIER: Tag = Tag(0x42006F);
    /// `PutFunction` ("Put Function")
    pub const PUT_FUNCTION: Tag = Tag(0x420070);
    /// `Q` ("Q")
    pub const Q: Tag = Tag(0x420071);
    /// `QString` ("Q String")
    pub const Q_STRING: Tag = Tag(0x420072);
    /// `Qlength` ("Qlength")
    pub const QLENGTH: Tag = Tag(0x420073);
    /// `QueryFunction` ("Query Function")
    pub const QUERY_FUNCTION: Tag = Tag(0x420074);
    /// `RecommendedCurve` ("Recommended Curve")
    pub const RECOMMENDED_CURVE: Tag = Tag(0x420075);
    /// `ReplacedUniqueIdentifier` ("Replaced Unique Identifier")
    pub const REPLACED_UNIQUE_IDENTIFIER: Tag = Tag(0x420076);
    /// `RequestHeader` ("Request Header")
    pub const REQUEST_HEADER: Tag = Tag(0x420077);
    /// `RequestMessage` ("Request Message")
    pub const REQUEST_MESSAGE: Tag = Tag(0x420078);
    /// `RequestPayload` ("Request Payload")
    pub const REQUEST_PAYLOAD: Tag = Tag(0x420079);
    /// `ResponseHeader` ("Response Header")
    pub const RESPONSE_HEADER: Tag = Tag(0x42007A);
    /// `ResponseMessage` ("Response Message")
    pub const RESPONSE_MESSAGE: Tag = Tag(0x42007B);
    /// `ResponsePayload` ("Response Payload")
    pub const RESPONSE_PAYLOAD: Tag = Tag(0x42007C);
    /// `ResultMessage` ("Result Message")
    pub const RESULT_MESSAGE: Tag = Tag(0x42007D);
    /// `ResultReason` ("Result Reason")
    pub const RESULT_REASON: Tag = Tag(0x42007E);
    /// `ResultStatus` ("Result Status")
    pub const RESULT_STATUS: Tag = Tag(0x42007F);
    /// `RevocationMessage` ("Revocation Message")
    pub const REVOCATION_MESSAGE: Tag = Tag(0x420080);
    /// `RevocationReason` ("Revocation Reason")
    pub const REVOCATION_REASON: Tag = Tag(0x420081);
    /// `RevocationReasonCode` ("Revocation Reason Code")
    pub const REVOCATION_REASON_CODE: Tag = Tag(0x420082);
    /// `KeyRoleType` ("Key Role Type")
    pub const KEY_ROLE_TYPE: Tag = Tag(0x420083);
    /// `Salt` ("Salt")
    pub const SALT: Tag = Tag(0x420084);
    /// `SecretData` ("Secret Data")
    pub const SECRET_DATA: Tag = Tag(0x420085);
    /// `SecretDataType` ("Secret Data Type")
    pub const SECRET_DATA_TYPE: Tag = Tag(0x420086);
    /// `SerialNumber` ("SerialNumber")
    pub const SERIAL_NUMBER: Tag = Tag(0x420087);
    /// `ServerInformation` ("Server Information")
    pub const SERVER_INFORMATION: Tag = Tag(0x420088);
    /// `SplitKey` ("Split Key")
    pub const SPLIT_KEY: Tag = Tag(0x420089);
    /// `SplitKeyMethod` ("Split Key Method")
    pub const SPLIT_KEY_METHOD: Tag = Tag(0x42008A);
    /// `SplitKeyParts` ("Split Key Parts")
    pub const SPLIT_KEY_PARTS: Tag = Tag(0x42008B);
    /// `SplitKeyThreshold` ("Split Key Threshold")
    pub const SPLIT_KEY_THRESHOLD: Tag = Tag(0x42008C);
    /// `State` ("State")
    pub const STATE: Tag = Tag(0x42008D);
    /// `StorageStatusMask` ("Storage Status Mask")
    pub const STORAGE_STATUS_MASK: Tag = Tag(0x42008E);
    /// `SymmetricKey` ("Symmetric Key")
    pub const SYMMETRIC_KEY: Tag = Tag(0x42008F);
    /// `Template` ("Template")
    pub const TEMPLATE: Tag = Tag(0x420090);
    /// `TemplateAttribute` ("Template-Attribute")
    pub const TEMPLATE_ATTRIBUTE: Tag = Tag(0x420091);
    /// `TimeStamp` ("Time Stamp")
    pub const TIME_STAMP: Tag = Tag(0x420092);
    /// `UniqueBatchItemID` ("Unique Batch Item ID")
    pub const UNIQUE_BATCH_ITEM_ID: Tag = Tag(0x420093);
    /// `UniqueIdentifier` ("Unique Identifier")
    pub const UNIQUE_IDENTIFIER: Tag = Tag(0x420094);
    /// `UsageLimits` ("Usage Limits")
    pub const USAGE_LIMITS: Tag = Tag(0x420095);
    /// `UsageLimitsCount` ("Usage Limits Count")
    pub const USAGE_LIMITS_COUNT: Tag = Tag(0x420096);
    /// `UsageLimitsTotal` ("Usage Limits Total")
    pub const USAGE_LIMITS_TOTAL: Tag = Tag(0x420097);
    /// `UsageLimitsUnit` ("Usage Limits Unit")
    pub const USAGE_LIMITS_UNIT: Tag = Tag(0x420098);
    /// `Username` ("Username")
    pub const USERNAME: Tag = Tag(0x420099);
    /// `ValidityDate` ("Validity Date")
    pub const VALIDITY_DATE: Tag = Tag(0x42009A);
    /// `ValidityIndicator` ("Validity Indicator")
    pub const VALIDITY_INDICATOR: Tag = Tag(0x42009B);
    /// `VendorExtension` ("Vendor Extension")
    pub const VENDOR_EXTENSION: Tag = Tag(0x42009C);
    /// `VendorIdentification` ("Vendor Identification")
    pub const VENDOR_IDENTIFICATION: Tag = Tag(0x42009D);
    /// `WrappingMethod` ("Wrapping Method")
    pub const WRAPPING_METHOD: Tag = Tag(0x42009E);
    /// `X` ("X")
    pub const X: Tag = Tag(0x42009F);
    /// `Y` ("Y")
    pub const Y: Tag = Tag(0x4200A0);
    /// `Password` ("Password")
    pub const PASSWORD: Tag = Tag(0x4200A1);
    /// `DeviceIdentifier` ("Device Identifier")
    pub const DEVICE_IDENTIFIER: Tag = Tag(0x4200A2);
    /// `EncodingOption` ("Encoding Option")
    pub const ENCODING_OPTION: Tag = Tag(0x4200A3);
    /// `ExtensionInformation` ("Extension Information")
    pub const EXTENSION_INFORMATION: Tag = Tag(0x4200A4);
    /// `ExtensionName` ("Extension Name")
    pub const EXTENSION_NAME: Tag = Tag(0x4200A5);
    /// `ExtensionTag` ("Extension Tag")
    pub const EXTENSION_TAG: Tag = Tag(0x4200A6);
    /// `ExtensionType` ("Extension Type")
    pub const EXTENSION_TYPE: Tag = Tag(0x4200A7);
    /// `Fresh` ("Fresh")
    pub const FRESH: Tag = Tag(0x4200A8);
    /// `MachineIdentifier` ("Machine Identifier")
    pub const MACHINE_IDENTIFIER: Tag = Tag(0x4200A9);
    /// `MediaIdentifier` ("Media Identifier")
    pub const MEDIA_IDENTIFIER: Tag = Tag(0x4200AA);
    /// `NetworkIdentifier` ("Network Identifier")
    pub const NETWORK_IDENTIFIER: Tag = Tag(0x4200AB);
    /// `ObjectGroupMember` ("Object Group Member")
    pub const OBJECT_GROUP_MEMBER: Tag = Tag(0x4200AC);
    /// `CertificateLength` ("Certificate Length")
    pub const CERTIFICATE_LENGTH: Tag = Tag(0x4200AD);
    /// `DigitalSignatureAlgorithm` ("Digital Signature Algorithm")
    pub const DIGITAL_SIGNATURE_ALGORITHM: Tag = Tag(0x4200AE);
    /// `CertificateSerialNumber` ("Certificate Serial Number")
    pub const CERTIFICATE_SERIAL_NUMBER: Tag = Tag(0x4200AF);
    /// `DeviceSerialNumber` ("Device Serial Number")
    pub const DEVICE_SERIAL_NUMBER: Tag = Tag(0x4200B0);
    /// `IssuerAlternativeName` ("Issuer Alternative Name")
    pub const ISSUER_ALTERNATIVE_NAME: Tag = Tag(0x4200B1);
    /// `IssuerDistinguishedName` ("Issuer Distinguished Name")
    pub const ISSUER_DISTINGUISHED_NAME: Tag = Tag(0x4200B2);
    /// `SubjectAlternativeName` ("Subject Alternative Name")
    pub const SUBJECT_ALTERNATIVE_NAME: Tag = Tag(0x4200B3);
    /// `SubjectDistinguishedName` ("Subject Distinguished Name")
    pub const SUBJECT_DISTINGUISHED_NAME: Tag = Tag(0x4200B4);
    /// `X_509CertificateIdentifier` ("X.509 Certificate Identifier")
    pub const X_509_CERTIFICATE_IDENTIFIER: Tag = Tag(0x4200B5);
    /// `X_509CertificateIssuer` ("X.509 Certificate Issuer")
    pub const X_509_CERTIFICATE_ISSUER: Tag = Tag(0x4200B6);
    /// `X_509CertificateSubject` ("X.509 Certificate Subject")
    pub const X_509_CERTIFICATE_SUBJECT: Tag = Tag(0x4200B7);
    /// `KeyValueLocation` ("Key Value Location")
    pub const KEY_VALUE_LOCATION: Tag = Tag(0x4200B8);
    /// `KeyValueLocationValue` ("Key Value Location Value")
    pub const KEY_VALUE_LOCATION_VALUE: Tag = Tag(0x4200B9);
    /// `KeyValueLocationType` ("Key Value Location Type")
    pub const KEY_VALUE_LOCATION_TYPE: Tag = Tag(0x4200BA);
    /// `KeyValuePresent` ("Key Value Present")
    pub const KEY_VALUE_PRESENT: Tag = Tag(0x4200BB);
    /// `OriginalCreationDate` ("Original Creation Date")
    pub const ORIGINAL_CREATION_DATE: Tag = Tag(0x4200BC);
    /// `PGPKey` ("PGP Key")
    pub const PGP_KEY: Tag = Tag(0x4200BD);
    /// `PGPKeyVersion` ("PGP Key Version")
    pub const PGP_KEY_VERSION: Tag = Tag(0x4200BE);
    /// `AlternativeName` ("Alternative Name")
    pub const ALTERNATIVE_NAME: Tag = Tag(0x4200BF);
    /// `AlternativeNameValue` ("Alternative Name Value")
    pub const ALTERNATIVE_NAME_VALUE: Tag = Tag(0x4200C0);
    /// `AlternativeNameType` ("Alternative Name Type")
    pub const ALTERNATIVE_NAME_TYPE: Tag = Tag(0x4200C1);
    /// `Data` ("Data")
    pub const DATA: Tag = Tag(0x4200C2);
    /// `SignatureData` ("Signature Data")
    pub const SIGNATURE_DATA: Tag = Tag(0x4200C3);
    /// `DataLength` ("Data Length")
    pub const DATA_LENGTH: Tag = Tag(0x4200C4);
    /// `RandomIV` ("Random IV")
    pub const RANDOM_IV: Tag = Tag(0x4200C5);
    /// `MACData` ("MAC Data")
    pub const MAC_DATA: Tag = Tag(0x4200C6);
    /// `AttestationType` ("Attestation Type")
    pub const ATTESTATION_TYPE: Tag = Tag(0x4200C7);
    /// `Nonce` ("Nonce")
    pub const NONCE: Tag = Tag(0x4200C8);
    /// `NonceID` ("Nonce ID")
    pub const NONCE_ID: Tag = Tag(0x4200C9);
    /// `NonceValue` ("Nonce Value")
    pub const NONCE_VALUE: Tag = Tag(0x4200CA);
    /// `AttestationMeasurement` ("Attestation Measurement")
    pub const ATTESTATION_MEASUREMENT: Tag = Tag(0x4200CB);
    /// `AttestationAssertion` ("Attestation Assertion")
    pub const ATTESTATION_ASSERTION: Tag = Tag(0x4200CC);
    /// `IVLength` ("IV Length")
    pub const IV_LENGTH: Tag = Tag(0x4200CD);
    /// `TagLength` ("Tag Length")
    pub const TAG_LENGTH: Tag = Tag(0x4200CE);
    /// `FixedFieldLength` ("Fixed Field Length")
    pub const FIXED_FIELD_LENGTH: Tag = Tag(0x4200CF);
    /// `CounterLength` ("Counter Length")
    pub const COUNTER_LENGTH: Tag = Tag(0x4200D0);
    /// `InitialCounterValue` ("Initial Counter Value")
    pub const INITIAL_COUNTER_VALUE: Tag = Tag(0x4200D1);
    /// `InvocationFieldLength` ("Invocation Field Length")
    pub const INVOCATION_FIELD_LENGTH: Tag = Tag(0x4200D2);
    /// `AttestationCapableIndicator` ("Attestation Capable Indicator")
    pub const ATTESTATION_CAPABLE_INDICATOR: Tag = Tag(0x4200D3);
    /// `OffsetItems` ("Offset Items")
    pub const OFFSET_ITEMS: Tag = Tag(0x4200D4);
    /// `LocatedItems` ("Located Items")
    pub const LOCATED_ITEMS: Tag = Tag(0x4200D5);
    /// `CorrelationValue` ("Correlation Value")
    pub const CORRELATION_VALUE: Tag = Tag(0x4200D6);
    /// `InitIndicator` ("Init Indicator")
    pub const INIT_INDICATOR: Tag = Tag(0x4200D7);
    /// `FinalIndicator` ("Final Indicator")
    pub const FINAL_INDICATOR: Tag = Tag(0x4200D8);
    /// `RNGParameters` ("RNG Parameters")
    pub const RNG_PARAMETERS: Tag = Tag(0x4200D9);
    /// `RNGAlgorithm` ("RNG Algorithm")
    pub const RNG_ALGORITHM: Tag = Tag(0x4200DA);
    /// `DRBGAlgorithm` ("DRBG Algorithm")
    pub const DRBG_ALGORITHM: Tag = Tag(0x4200DB);
    /// `FIPS186Variation` ("FIPS186 Variation")
    pub const FIPS186_VARIATION: Tag = Tag(0x4200DC);
    /// `PredictionResistance` ("Prediction Resistance")
    pub const PREDICTION_RESISTANCE: Tag = Tag(0x4200DD);
    /// `RandomNumberGenerator` ("Random Number Generator")
    pub const RANDOM_NUMBER_GENERATOR: Tag = Tag(0x4200DE);
    /// `ValidationInformation` ("Validation Information")
    pub const VALIDATION_INFORMATION: Tag = Tag(0x4200DF);
    /// `ValidationAuthorityType` ("Validation Authority Type")
    pub const VALIDATION_AUTHORITY_TYPE: Tag = Tag(0x4200E0);
    /// `ValidationAuthorityCountry` ("Validation Authority Country")
    pub const VALIDATION_AUTHORITY_COUNTRY: Tag = Tag(0x4200E1);
    /// `ValidationAuthorityURI` ("Validation Authority URI")
    pub const VALIDATION_AUTHORITY_URI: Tag = Tag(0x4200E2);
    /// `ValidationVersionMajor` ("Validation Version Major")
    pub const VALIDATION_VERSION_MAJOR: Tag = Tag(0x4200E3);
    /// `ValidationVersionMinor` ("Validation Version Minor")
    pub const VALIDATION_VERSION_MINOR: Tag = Tag(0x4200E4);
    /// `ValidationType` ("Validation Type")
    pub const VALIDATION_TYPE: Tag = Tag(0x4200E5);
    /// `ValidationLevel` ("Validation Level")
    pub const VALIDATION_LEVEL: Tag = Tag(0x4200E6);
    /// `ValidationCertificateIdentifier` ("Validation Certificate Identifier")
    pub const VALIDATION_CERTIFICATE_IDENTIFIER: Tag = Tag(0x4200E7);
    /// `ValidationCertificateURI` ("Validation Certificate URI")
    pub const VALIDATION_CERTIFICATE_URI: Tag = Tag(0x4200E8);
    /// `ValidationVendorURI` ("Validation Vendor URI")
    pub const VALIDATION_VENDOR_URI: Tag = Tag(0x4200E9);
    /// `ValidationProfile` ("Validation Profile")
    pub const VALIDATION_PROFILE: Tag = Tag(0x4200EA);
    /// `ProfileInformation` ("Profile Information")
    pub const PROFILE_INFORMATION: Tag = Tag(0x4200EB);
    /// `ProfileName` ("Profile Name")
    pub const PROFILE_NAME: Tag = Tag(0x4200EC);
    /// `ServerURI` ("Server URI")
    pub const SERVER_URI: Tag = Tag(0x4200ED);
    /// `ServerPort` ("Server Port")
    pub const SERVER_PORT: Tag = Tag(0x4200EE);
    /// `StreamingCapability` ("Streaming Capability")
    pub const STREAMING_CAPABILITY: Tag = Tag(0x4200EF);
    /// `AsynchronousCapability` ("Asynchronous Capability")
    pub const ASYNCHRONOUS_CAPABILITY: Tag = Tag(0x4200F0);
    /// `AttestationCapability` ("Attestation Capability")
    pub const ATTESTATION_CAPABILITY: Tag = Tag(0x4200F1);
    /// `UnwrapMode` ("Unwrap Mode")
    pub const UNWRAP_MODE: Tag = Tag(0x4200F2);
    /// `DestroyAction` ("Destroy Action")
    pub const DESTROY_ACTION: Tag = Tag(0x4200F3);
    /// `ShreddingAlgorithm` ("Shredding Algorithm")
    pub const SHREDDING_ALGORITHM: Tag = Tag(0x4200F4);
    /// `RNGMode` ("RNG Mode")
    pub const RNG_MODE: Tag = Tag(0x4200F5);
    /// `ClientRegistrationMethod` ("Client Registration Method")
    pub const CLIENT_REGISTRATION_METHOD: Tag = Tag(0x4200F6);
    /// `CapabilityInformation` ("Capability Information")
    pub const CAPABILITY_INFORMATION: Tag = Tag(0x4200F7);
    /// `KeyWrapType` ("Key Wrap Type")
    pub const KEY_WRAP_TYPE: Tag = Tag(0x4200F8);
    /// `BatchUndoCapability` ("Batch Undo Capability")
    pub const BATCH_UNDO_CAPABILITY: Tag = Tag(0x4200F9);
    /// `BatchContinueCapability` ("Batch Continue Capability")
    pub const BATCH_CONTINUE_CAPABILITY: Tag = Tag(0x4200FA);
    /// `PKCS_12FriendlyName` ("PKCS#12 Friendly Name")
    pub const PKCS12_FRIENDLY_NAME: Tag = Tag(0x4200FB);
    /// `Description` ("Description")
    pub const DESCRIPTION: Tag = Tag(0x4200FC);
    /// `Comment` ("Comment")
    pub const COMMENT: Tag = Tag(0x4200FD);
    /// `AuthenticatedEncryptionAdditionalData` ("AuthenticatedEncryption Additional Data")
    pub const AUTHENTICATED_ENCRYPTION_ADDITIONAL_DATA: Tag = Tag(0x4200FE);
    /// `AuthenticatedEncryptionTag` ("Authenticated Encryption Tag")
    pub const AUTHENTICATED_ENCRYPTION_TAG: Tag = Tag(0x4200FF);
    /// `SaltLength` ("Salt Length")
    pub const SALT_LENGTH: Tag = Tag(0x420100);
    /// `MaskGenerator` ("Mask Generator")
    pub const MASK_GENERATOR: Tag = Tag(0x420101);
    /// `MaskGeneratorHashingAlgorithm` ("Mask Generator Hashing Algorithm")
    pub const MASK_GENERATOR_HASHING_ALGORITHM: Tag = Tag(0x420102);
    /// `PSource` ("P Source")
    pub const P_SOURCE: Tag = Tag(0x420103);
    /// `TrailerField` ("Trailer Field")
    pub const TRAILER_FIELD: Tag = Tag(0x420104);
    /// `ClientCorrelationValue` ("Client Correlation Value")
    pub const CLIENT_CORRELATION_VALUE: Tag = Tag(0x420105);
    /// `ServerCorrelationValue` ("Server Correlation Value")
    pub const SERVER_CORRELATION_VALUE: Tag = Tag(0x420106);
    /// `DigestedData` ("Digested Data")
    pub const DIGESTED_DATA: Tag = Tag(0x420107);
    /// `CertificateSubjectCN` ("Certificate Subject CN")
    pub const CERTIFICATE_SUBJECT_CN: Tag = Tag(0x420108);
    /// `CertificateSubjectO` ("Certificate Subject O")
    pub const CERTIFICATE_SUBJECT_O: Tag = Tag(0x420109);
    /// `CertificateSubjectOU` ("Certificate Subject OU")
    pub const CERTIFICATE_SUBJECT_OU: Tag = Tag(0x42010A);
    /// `CertificateSubjectEmail` ("Certificate Subject Email")
    pub const CERTIFICATE_SUBJECT_EMAIL: Tag = Tag(0x42010B);
    /// `CertificateSubjectC` ("Certificate Subject C")
    pub const CERTIFICATE_SUBJECT_C: Tag = Tag(0x42010C);
    /// `CertificateSubjectST` ("Certificate Subject ST")
    pub const CERTIFICATE_SUBJECT_ST: Tag = Tag(0x42010D);
    /// `CertificateSubjectL` ("Certificate Subject L")
    pub const CERTIFICATE_SUBJECT_L: Tag = Tag(0x42010E);
    /// `CertificateSubjectUID` ("Certificate Subject UID")
    pub const CERTIFICATE_SUBJECT_UID: Tag = Tag(0x42010F);
    /// `CertificateSubjectSerialNumber` ("Certificate Subject Serial Number")
    pub const CERTIFICATE_SUBJECT_SERIAL_NUMBER: Tag = Tag(0x420110);
    /// `CertificateSubjectTitle` ("Certificate Subject Title")
    pub const CERTIFICATE_SUBJECT_TITLE: Tag = Tag(0x420111);
    /// `CertificateSubjectDC` ("Certificate Subject DC")
    pub const CERTIFICATE_SUBJECT_DC: Tag = Tag(0x420112);
    /// `CertificateSubjectDNQualifier` ("Certificate Subject DN Qualifier")
    pub const CERTIFICATE_SUBJECT_DN_QUALIFIER: Tag = Tag(0x420113);
    /// `CertificateIssuerCN` ("Certificate Issuer CN")
    pub const CERTIFICATE_ISSUER_CN: Tag = Tag(0x420114);
    /// `CertificateIssuerO` ("Certificate Issuer O")
    pub const CERTIFICATE_ISSUER_O: Tag = Tag(0x420115);
    /// `CertificateIssuerOU` ("Certificate Issuer OU")
    pub const CERTIFICATE_ISSUER_OU: Tag = Tag(0x420116);
    /// `CertificateIssuerEmail` ("Certificate Issuer Email")
    pub const CERTIFICATE_ISSUER_EMAIL: Tag = Tag(0x420117);
    /// `CertificateIssuerC` ("Certificate Issuer C")
    pub const CERTIFICATE_ISSUER_C: Tag = Tag(0x420118);
    /// `CertificateIssuerST` ("Certificate Issuer ST")
    pub const CERTIFICATE_ISSUER_ST: Tag = Tag(0x420119);
    /// `CertificateIssuerL` ("Certificate Issuer L")
    pub const CERTIFICATE_ISSUER_L: Tag = Tag(0x42011A);
    /// `CertificateIssuerUID` ("Certificate Issuer UID")
    pub const CERTIFICATE_ISSUER_UID: Tag = Tag(0x42011B);
    /// `CertificateIssuerSerialNumber` ("Certificate Issuer Serial Number")
    pub const CERTIFICATE_ISSUER_SERIAL_NUMBER: Tag = Tag(0x42011C);
    /// `CertificateIssuerTitle` ("Certificate Issuer Title")
    pub const CERTIFICATE_ISSUER_TITLE: Tag = Tag(0x42011D);
    /// `CertificateIssuerDC` ("Certificate Issuer DC")
    pub const CERTIFICATE_ISSUER_DC: Tag = Tag(0x42011E);
    /// `CertificateIssuerDNQualifier` ("Certificate Issuer DN Qualifier")
    pub const CERTIFICATE_ISSUER_DN_QUALIFIER: Tag = Tag(0x42011F);
    /// `Sensitive` ("Sensitive")
    pub const SENSITIVE: Tag = Tag(0x420120);
    /// `AlwaysSensitive` ("Always Sensitive")
    pub const ALWAYS_SENSITIVE: Tag = Tag(0x420121);
    /// `Extractable` ("Extractable")
    pub const EXTRACTABLE: Tag = Tag(0x420122);
    /// `NeverExtractable` ("Never Extractable")
    pub const NEVER_EXTRACTABLE: Tag = Tag(0x420123);
    /// `ReplaceExisting` ("Replace Existing")
    pub const REPLACE_EXISTING: Tag = Tag(0x420124);
    /// `Attributes` ("Attributes")
    pub const ATTRIBUTES: Tag = Tag(0x420125);
    /// `CommonAttributes` ("Common Attributes")
    pub const COMMON_ATTRIBUTES: Tag = Tag(0x420126);
    /// `PrivateKeyAttributes` ("Private Key Attributes")
    pub const PRIVATE_KEY_ATTRIBUTES: Tag = Tag(0x420127);
    /// `PublicKeyAttributes` ("Public Key Attributes")
    pub const PUBLIC_KEY_ATTRIBUTES: Tag = Tag(0x420128);
    /// `ExtensionEnumeration` ("Extension Enumeration")
    pub const EXTENSION_ENUMERATION: Tag = Tag(0x420129);
    /// `ExtensionAttribute` ("Extension Attribute")
    pub const EXTENSION_ATTRIBUTE: Tag = Tag(0x42012A);
    /// `ExtensionParentStructureTag` ("Extension Parent Structure Tag")
    pub const EXTENSION_PARENT_STRUCTURE_TAG: Tag = Tag(0x42012B);
    /// `ExtensionDescription` ("Extension Description")
    pub const EXTENSION_DESCRIPTION: Tag = Tag(0x42012C);
    /// `ServerName` ("Server Name")
    pub const SERVER_NAME: Tag = Tag(0x42012D);
    /// `ServerSerialNumber` ("Server Serial Number")
    pub const SERVER_SERIAL_NUMBER: Tag = Tag(0x42012E);
    /// `ServerVersion` ("Server Version")
    pub const SERVER_VERSION: Tag = Tag(0x42012F);
    /// `ServerLoad` ("Server Load")
    pub const SERVER_LOAD: Tag = Tag(0x420130);
    /// `ProductName` ("Product Name")
    pub const PRODUCT_NAME: Tag = Tag(0x420131);
    /// `BuildLevel` ("Build Level")
    pub const BUILD_LEVEL: Tag = Tag(0x420132);
    /// `BuildDate` ("Build Date")
    pub const BUILD_DATE: Tag = Tag(0x420133);
    /// `ClusterInfo` ("Cluster Info")
    pub const CLUSTER_INFO: Tag = Tag(0x420134);
    /// `AlternateFailoverEndpoints` ("Alternate Failover Endpoints")
    pub const ALTERNATE_FAILOVER_ENDPOINTS: Tag = Tag(0x420135);
    /// `ShortUniqueIdentifier` ("Short Unique Identifier")
    pub const SHORT_UNIQUE_IDENTIFIER: Tag = Tag(0x420136);
    /// `Reserved` ("Reserved")
    pub const RESERVED: Tag = Tag(0x420137);
    /// `Tag` ("Tag")
    pub const TAG: Tag = Tag(0x420138);
    /// `CertificateRequestUniqueIdentifier` ("Certificate Request Unique Identifier")
    pub const CERTIFICATE_REQUEST_UNIQUE_IDENTIFIER: Tag = Tag(0x420139);
    /// `NISTKeyType` ("NIST Key Type")
    pub const NIST_KEY_TYPE: Tag = Tag(0x42013A);
    /// `AttributeReference` ("Attribute Reference")
    pub const ATTRIBUTE_REFERENCE: Tag = Tag(0x42013B);
    /// `CurrentAttribute` ("Current Attribute")
    pub const CURRENT_ATTRIBUTE: Tag = Tag(0x42013C);
    /// `NewAttribute` ("New Attribute")
    pub const NEW_ATTRIBUTE: Tag = Tag(0x42013D);
    /// `CertificateRequestValue` ("Certificate Request Value")
    pub const CERTIFICATE_REQUEST_VALUE: Tag = Tag(0x420140);
    /// `LogMessage` ("Log Message")
    pub const LOG_MESSAGE: Tag = Tag(0x420141);
    /// `ProfileVersion` ("Profile Version")
    pub const PROFILE_VERSION: Tag = Tag(0x420142);
    /// `ProfileVersionMajor` ("Profile Version Major")
    pub const PROFILE_VERSION_MAJOR: Tag = Tag(0x420143);
    /// `ProfileVersionMinor` ("Profile Version Minor")
    pub const PROFILE_VERSION_MINOR: Tag = Tag(0x420144);
    /// `ProtectionLevel` ("Protection Level")
    pub const PROTECTION_LEVEL: Tag = Tag(0x420145);
    /// `ProtectionPeriod` ("Protection Period")
    pub const PROTECTION_PERIOD: Tag = Tag(0x420146);
    /// `QuantumSafe` ("Quantum Safe")
    pub const QUANTUM_SAFE: Tag = Tag(0x420147);
    /// `QuantumSafeCapability` ("Quantum Safe Capability")
    pub const QUANTUM_SAFE_CAPABILITY: Tag = Tag(0x420148);
    /// `Ticket` ("Ticket")
    pub const TICKET: Tag = Tag(0x420149);
    /// `TicketType` ("Ticket Type")
    pub const TICKET_TYPE: Tag = Tag(0x42014A);
    /// `TicketValue` ("Ticket Value")
    pub const TICKET_VALUE: Tag = Tag(0x42014B);
    /// `RequestCount` ("Request Count")
    pub const REQUEST_COUNT: Tag = Tag(0x42014C);
    /// `Rights` ("Rights")
    pub const RIGHTS: Tag = Tag(0x42014D);
    /// `Objects` ("Objects")
    pub const OBJECTS: Tag = Tag(0x42014E);
    /// `Operations` ("Operations")
    pub const OPERATIONS: Tag = Tag(0x42014F);
    /// `Right` ("Right")
    pub const RIGHT: Tag = Tag(0x420150);
    /// `EndpointRole` ("Endpoint Role")
    pub const ENDPOINT_ROLE: Tag = Tag(0x420151);
    /// `DefaultsInformation` ("Defaults Information")
    pub const DEFAULTS_INFORMATION: Tag = Tag(0x420152);
    /// `ObjectDefaults` ("Object Defaults")
    pub const OBJECT_DEFAULTS: Tag = Tag(0x420153);
    /// `Ephemeral` ("Ephemeral")
    pub const EPHEMERAL: Tag = Tag(0x420154);
    /// `ServerHashedPassword` ("Server Hashed Password")
    pub const SERVER_HASHED_PASSWORD: Tag = Tag(0x420155);
    /// `OneTimePassword` ("One Time Password")
    pub const ONE_TIME_PASSWORD: Tag = Tag(0x420156);
    /// `HashedPassword` ("Hashed Password")
    pub const HASHED_PASSWORD: Tag = Tag(0x420157);
    /// `AdjustmentType` ("Adjustment Type")
    pub const ADJUSTMENT_TYPE: Tag = Tag(0x420158);
    /// `PKCS_11Interface` ("PKCS#11 Interface")
    pub const PKCS11_INTERFACE: Tag = Tag(0x420159);
    /// `PKCS_11Function` ("PKCS#11 Function")
    pub const PKCS11_FUNCTION: Tag = Tag(0x42015A);
    /// `PKCS_11InputParameters` ("PKCS#11 Input Parameters")
    pub const PKCS11_INPUT_PARAMETERS: Tag = Tag(0x42015B);
    /// `PKCS_11OutputParameters` ("PKCS#11 Output Parameters")
    pub const PKCS11_OUTPUT_PARAMETERS: Tag = Tag(0x42015C);
    /// `PKCS_11ReturnCode` ("PKCS#11 Return Code")
    pub const PKCS11_RETURN_CODE: Tag = Tag(0x42015D);
    /// `ProtectionStorageMask` ("Protection Storage Mask")
    pub const PROTECTION_STORAGE_MASK: Tag = Tag(0x42015E);
    /// `ProtectionStorageMasks` ("Protection Storage Masks")
    pub const PROTECTION_STORAGE_MASKS: Tag = Tag(0x42015F);
    /// `InteropFunction` ("Interop Function")
    pub const INTEROP_FUNCTION: Tag = Tag(0x420160);
    /// `InteropIdentifier` ("Interop Identifier")
    pub const INTEROP_IDENTIFIER: Tag = Tag(0x420161);
    /// `AdjustmentValue` ("Adjustment Value")
    pub const ADJUSTMENT_VALUE: Tag = Tag(0x420162);
    /// `CommonProtectionStorageMasks` ("Common Protection Storage Masks")
    pub const COMMON_PROTECTION_STORAGE_MASKS: Tag = Tag(0x420163);
    /// `PrivateProtectionStorageMasks` ("Private Protection Storage Masks")
    pub const PRIVATE_PROTECTION_STORAGE_MASKS: Tag = Tag(0x420164);
    /// `PublicProtectionStorageMasks` ("Public Protection Storage Masks")
    pub const PUBLIC_PROTECTION_STORAGE_MASKS: Tag = Tag(0x420165);
    /// `ObjectGroups` ("Object Groups")
    pub const OBJECT_GROUPS: Tag = Tag(0x420166);
    /// `ObjectTypes` ("Object Types")
    pub const OBJECT_TYPES: Tag = Tag(0x420167);
    /// `Constraints` ("Constraints")
    pub const CONSTRAINTS: Tag = Tag(0x420168);
    /// `Constraint` ("Constraint")
    pub const CONSTRAINT: Tag = Tag(0x420169);
    /// `RotateInterval` ("Rotate Interval")
    pub const ROTATE_INTERVAL: Tag = Tag(0x42016A);
    /// `RotateAutomatic` ("Rotate Automatic")
    pub const ROTATE_AUTOMATIC: Tag = Tag(0x42016B);
    /// `RotateOffset` ("Rotate Offset")
    pub const ROTATE_OFFSET: Tag = Tag(0x42016C);
    /// `RotateDate` ("Rotate Date")
    pub const ROTATE_DATE: Tag = Tag(0x42016D);
    /// `RotateGeneration` ("Rotate Generation")
    pub const ROTATE_GENERATION: Tag = Tag(0x42016E);
    /// `RotateName` ("Rotate Name")
    pub const ROTATE_NAME: Tag = Tag(0x42016F);
    /// `RotateNameValue` ("Rotate Name Value")
    pub const ROTATE_NAME_VALUE: Tag = Tag(0x420170);
    /// `RotateNameType` ("Rotate Name Type")
    pub const ROTATE_NAME_TYPE: Tag = Tag(0x420171);
    /// `RotateLatest` ("Rotate Latest")
    pub const ROTATE_LATEST: Tag = Tag(0x420172);
    /// `AsynchronousRequest` ("Asynchronous Request")
    pub const ASYNCHRONOUS_REQUEST: Tag = Tag(0x420173);
    /// `SubmissionDate` ("Submission Date")
    pub const SUBMISSION_DATE: Tag = Tag(0x420174);
    /// `ProcessingStage` ("Processing Stage")
    pub const PROCESSING_STAGE: Tag = Tag(0x420175);
    /// `AsynchronousCorrelationValues` ("Asynchronous Correlation Values")
    pub const ASYNCHRONOUS_CORRELATION_VALUES: Tag = Tag(0x420176);
}

/// (value, JSON name, specification text name), sorted by value.
pub(crate) static BY_VALUE: &[(u32, &str, &str)] = &[
    (0x420001, "ActivationDate", "Activation Date"),
    (0x420002, "ApplicationData", "Application Data"),
    (0x420003, "ApplicationNamespace", "Application Namespace"),
    (
        0x420004,
        "ApplicationSpecificInformation",
        "Application Specific Information",
    ),
    (0x420005, "ArchiveDate", "Archive Date"),
    (
        0x420006,
        "AsynchronousCorrelationValue",
        "Asynchronous Correlation Value",
    ),
    (0x420007, "AsynchronousIndicator", "Asynchronous Indicator"),
    (0x420008, "Attribute", "Attribute"),
    (0x420009, "AttributeIndex", "Attribute Index"),
    (0x42000A, "AttributeName", "Attribute Name"),
    (0x42000B, "AttributeValue", "Attribute Value"),
    (0x42000C, "Authentication", "Authentication"),
    (0x42000D, "BatchCount", "Batch Count"),
    (
        0x42000E,
        "BatchErrorContinuationOption",
        "Batch Error Continuation Option",
    ),
    (0x42000F, "BatchItem", "Batch Item"),
    (0x420010, "BatchOrderOption", "Batch Order Option"),
    (0x420011, "BlockCipherMode", "Block Cipher Mode"),
    (0x420012, "CancellationResult", "Cancellation Result"),
    (0x420013, "Certificate", "Certificate"),
    (0x420014, "CertificateIdentifier", "CertificateIdentifier"),
    (0x420015, "CertificateIssuer", "CertificateIssuer"),
    (
        0x420016,
        "CertificateIssuerAlternativeName",
        "CertificateIssuerAlternativeName",
    ),
    (
        0x420017,
        "CertificateIssuerDistinguishedName",
        "CertificateIssuerDistinguishedName",
    ),
    (0x420018, "CertificateRequest", "Certificate Request"),
    (
        0x420019,
        "CertificateRequestType",
        "Certificate Request Type",
    ),
    (0x42001A, "CertificateSubject", "CertificateSubject"),
    (
        0x42001B,
        "CertificateSubjectAlternativeName",
        "CertificateSubjectAlternativeName",
    ),
    (
        0x42001C,
        "CertificateSubjectDistinguishedName",
        "CertificateSubjectDistinguishedName",
    ),
    (0x42001D, "CertificateType", "Certificate Type"),
    (0x42001E, "CertificateValue", "Certificate Value"),
    (
        0x42001F,
        "CommonTemplateAttribute",
        "Common Template-Attribute",
    ),
    (0x420020, "CompromiseDate", "Compromise Date"),
    (
        0x420021,
        "CompromiseOccurrenceDate",
        "Compromise Occurrence Date",
    ),
    (0x420022, "ContactInformation", "Contact Information"),
    (0x420023, "Credential", "Credential"),
    (0x420024, "CredentialType", "Credential Type"),
    (0x420025, "CredentialValue", "Credential Value"),
    (0x420026, "CriticalityIndicator", "Criticality Indicator"),
    (0x420027, "CRTCoefficient", "CRT Coefficient"),
    (
        0x420028,
        "CryptographicAlgorithm",
        "Cryptographic Algorithm",
    ),
    (
        0x420029,
        "CryptographicDomainParameters",
        "Cryptographic Domain Parameters",
    ),
    (0x42002A, "CryptographicLength", "Cryptographic Length"),
    (
        0x42002B,
        "CryptographicParameters",
        "Cryptographic Parameters",
    ),
    (
        0x42002C,
        "CryptographicUsageMask",
        "Cryptographic Usage Mask",
    ),
    (0x42002D, "CustomAttribute", "Custom Attribute"),
    (0x42002E, "D", "D"),
    (0x42002F, "DeactivationDate", "Deactivation Date"),
    (0x420030, "DerivationData", "Derivation Data"),
    (0x420031, "DerivationMethod", "Derivation Method"),
    (0x420032, "DerivationParameters", "Derivation Parameters"),
    (0x420033, "DestroyDate", "Destroy Date"),
    (0x420034, "Digest", "Digest"),
    (0x420035, "DigestValue", "Digest Value"),
    (
        0x420036,
        "EncryptionKeyInformation",
        "Encryption Key Information",
    ),
    (0x420037, "G", "G"),
    (0x420038, "HashingAlgorithm", "Hashing Algorithm"),
    (0x420039, "InitialDate", "Initial Date"),
    (0x42003A, "InitializationVector", "Initialization Vector"),
    (0x42003B, "Issuer", "Issuer"),
    (0x42003C, "IterationCount", "Iteration Count"),
    (0x42003D, "IVCounterNonce", "IV/Counter/Nonce"),
    (0x42003E, "J", "J"),
    (0x42003F, "Key", "Key"),
    (0x420040, "KeyBlock", "Key Block"),
    (0x420041, "KeyCompressionType", "Key Compression Type"),
    (0x420042, "KeyFormatType", "Key Format Type"),
    (0x420043, "KeyMaterial", "Key Material"),
    (0x420044, "KeyPartIdentifier", "Key Part Identifier"),
    (0x420045, "KeyValue", "Key Value"),
    (0x420046, "KeyWrappingData", "Key Wrapping Data"),
    (
        0x420047,
        "KeyWrappingSpecification",
        "Key Wrapping Specification",
    ),
    (0x420048, "LastChangeDate", "Last Change Date"),
    (0x420049, "LeaseTime", "Lease Time"),
    (0x42004A, "Link", "Link"),
    (0x42004B, "LinkType", "Link Type"),
    (
        0x42004C,
        "LinkedObjectIdentifier",
        "Linked Object Identifier",
    ),
    (0x42004D, "MACSignature", "MAC/Signature"),
    (
        0x42004E,
        "MACSignatureKeyInformation",
        "MAC/Signature Key Information",
    ),
    (0x42004F, "MaximumItems", "Maximum Items"),
    (0x420050, "MaximumResponseSize", "Maximum Response Size"),
    (0x420051, "MessageExtension", "Message Extension"),
    (0x420052, "Modulus", "Modulus"),
    (0x420053, "Name", "Name"),
    (0x420054, "NameType", "Name Type"),
    (0x420055, "NameValue", "Name Value"),
    (0x420056, "ObjectGroup", "Object Group"),
    (0x420057, "ObjectType", "Object Type"),
    (0x420058, "Offset", "Offset"),
    (0x420059, "OpaqueDataType", "Opaque Data Type"),
    (0x42005A, "OpaqueDataValue", "Opaque Data Value"),
    (0x42005B, "OpaqueObject", "Opaque Object"),
    (0x42005C, "Operation", "Operation"),
    (0x42005D, "OperationPolicyName", "Operation Policy Name"),
    (0x42005E, "P", "P"),
    (0x42005F, "PaddingMethod", "Padding Method"),
    (0x420060, "PrimeExponentP", "Prime Exponent P"),
    (0x420061, "PrimeExponentQ", "Prime Exponent Q"),
    (0x420062, "PrimeFieldSize", "Prime Field Size"),
    (0x420063, "PrivateExponent", "Private Exponent"),
    (0x420064, "PrivateKey", "Private Key"),
    (
        0x420065,
        "PrivateKeyTemplateAttribute",
        "Private Key Template-Attribute",
    ),
    (
        0x420066,
        "PrivateKeyUniqueIdentifier",
        "Private Key Unique Identifier",
    ),
    (0x420067, "ProcessStartDate", "Process Start Date"),
    (0x420068, "ProtectStopDate", "Protect Stop Date"),
    (0x420069, "ProtocolVersion", "Protocol Version"),
    (0x42006A, "ProtocolVersionMajor", "Protocol Version Major"),
    (0x42006B, "ProtocolVersionMinor", "Protocol Version Minor"),
    (0x42006C, "PublicExponent", "Public Exponent"),
    (0x42006D, "PublicKey", "Public Key"),
    (
        0x42006E,
        "PublicKeyTemplateAttribute",
        "Public Key Template-Attribute",
    ),
    (
        0x42006F,
        "PublicKeyUniqueIdentifier",
        "Public Key Unique Identifier",
    ),
    (0x420070, "PutFunction", "Put Function"),
    (0x420071, "Q", "Q"),
    (0x420072, "QString", "Q String"),
    (0x420073, "Qlength", "Qlength"),
    (0x420074, "QueryFunction", "Query Function"),
    (0x420075, "RecommendedCurve", "Recommended Curve"),
    (
        0x420076,
        "ReplacedUniqueIdentifier",
        "Replaced Unique Identifier",
    ),
    (0x420077, "RequestHeader", "Request Header"),
    (0x420078, "RequestMessage", "Request Message"),
    (0x420079, "RequestPayload", "Request Payload"),
    (0x42007A, "ResponseHeader", "Response Header"),
    (0x42007B, "ResponseMessage", "Response Message"),
    (0x42007C, "ResponsePayload", "Response Payload"),
    (0x42007D, "ResultMessage", "Result Message"),
    (0x42007E, "ResultReason", "Result Reason"),
    (0x42007F, "ResultStatus", "Result Status"),
    (0x420080, "RevocationMessage", "Revocation Message"),
    (0x420081, "RevocationReason", "Revocation Reason"),
    (0x420082, "RevocationReasonCode", "Revocation Reason Code"),
    (0x420083, "KeyRoleType", "Key Role Type"),
    (0x420084, "Salt", "Salt"),
    (0x420085, "SecretData", "Secret Data"),
    (0x420086, "SecretDataType", "Secret Data Type"),
    (0x420087, "SerialNumber", "SerialNumber"),
    (0x420088, "ServerInformation", "Server Information"),
    (0x420089, "SplitKey", "Split Key"),
    (0x42008A, "SplitKeyMethod", "Split Key Method"),
    (0x42008B, "SplitKeyParts", "Split Key Parts"),
    (0x42008C, "SplitKeyThreshold", "Split Key Threshold"),
    (0x42008D, "State", "State"),
    (0x42008E, "StorageStatusMask", "Storage Status Mask"),
    (0x42008F, "SymmetricKey", "Symmetric Key"),
    (0x420090, "Template", "Template"),
    (0x420091, "TemplateAttribute", "Template-Attribute"),
    (0x420092, "TimeStamp", "Time Stamp"),
    (0x420093, "UniqueBatchItemID", "Unique Batch Item ID"),
    (0x420094, "UniqueIdentifier", "Unique Identifier"),
    (0x420095, "UsageLimits", "Usage Limits"),
    (0x420096, "UsageLimitsCount", "Usage Limits Count"),
    (0x420097, "UsageLimitsTotal", "Usage Limits Total"),
    (0x420098, "UsageLimitsUnit", "Usage Limits Unit"),
    (0x420099, "Username", "Username"),
    (0x42009A, "ValidityDate", "Validity Date"),
    (0x42009B, "ValidityIndicator", "Validity Indicator"),
    (0x42009C, "VendorExtension", "Vendor Extension"),
    (0x42009D, "VendorIdentification", "Vendor Identification"),
    (0x42009E, "WrappingMethod", "Wrapping Method"),
    (0x42009F, "X", "X"),
    (0x4200A0, "Y", "Y"),
    (0x4200A1, "Password", "Password"),
    (0x4200A2, "DeviceIdentifier", "Device Identifier"),
    (0x4200A3, "EncodingOption", "Encoding Option"),
    (0x4200A4, "ExtensionInformation", "Extension Information"),
    (0x4200A5, "ExtensionName", "Extension Name"),
    (0x4200A6, "ExtensionTag", "Extension Tag"),
    (0x4200A7, "ExtensionType", "Extension Type"),
    (0x4200A8, "Fresh", "Fresh"),
    (0x4200A9, "MachineIdentifier", "Machine Identifier"),
    (0x4200AA, "MediaIdentifier", "Media Identifier"),
    (0x4200AB, "NetworkIdentifier", "Network Identifier"),
    (0x4200AC, "ObjectGroupMember", "Object Group Member"),
    (0x4200AD, "CertificateLength", "Certificate Length"),
    (
        0x4200AE,
        "DigitalSignatureAlgorithm",
        "Digital Signature Algorithm",
    ),
    (
        0x4200AF,
        "CertificateSerialNumber",
        "Certificate Serial Number",
    ),
    (0x4200B0, "DeviceSerialNumber", "Device Serial Number"),
    (0x4200B1, "IssuerAlternativeName", "Issuer Alternative Name"),
    (
        0x4200B2,
        "IssuerDistinguishedName",
        "Issuer Distinguished Name",
    ),
    (
        0x4200B3,
        "SubjectAlternativeName",
        "Subject Alternative Name",
    ),
    (
        0x4200B4,
        "SubjectDistinguishedName",
        "Subject Distinguished Name",
    ),
    (
        0x4200B5,
        "X_509CertificateIdentifier",
        "X.509 Certificate Identifier",
    ),
    (
        0x4200B6,
        "X_509CertificateIssuer",
        "X.509 Certificate Issuer",
    ),
    (
        0x4200B7,
        "X_509CertificateSubject",
        "X.509 Certificate Subject",
    ),
    (0x4200B8, "KeyValueLocation", "Key Value Location"),
    (
        0x4200B9,
        "KeyValueLocationValue",
        "Key Value Location Value",
    ),
    (0x4200BA, "KeyValueLocationType", "Key Value Location Type"),
    (0x4200BB, "KeyValuePresent", "Key Value Present"),
    (0x4200BC, "OriginalCreationDate", "Original Creation Date"),
    (0x4200BD, "PGPKey", "PGP Key"),
    (0x4200BE, "PGPKeyVersion", "PGP Key Version"),
    (0x4200BF, "AlternativeName", "Alternative Name"),
    (0x4200C0, "AlternativeNameValue", "Alternative Name Value"),
    (0x4200C1, "AlternativeNameType", "Alternative Name Type"),
    (0x4200C2, "Data", "Data"),
    (0x4200C3, "SignatureData", "Signature Data"),
    (0x4200C4, "DataLength", "Data Length"),
    (0x4200C5, "RandomIV", "Random IV"),
    (0x4200C6, "MACData", "MAC Data"),
    (0x4200C7, "AttestationType", "Attestation Type"),
    (0x4200C8, "Nonce", "Nonce"),
    (0x4200C9, "NonceID", "Nonce ID"),
    (0x4200CA, "NonceValue", "Nonce Value"),
    (
        0x4200CB,
        "AttestationMeasurement",
        "Attestation Measurement",
    ),
    (0x4200CC, "AttestationAssertion", "Attestation Assertion"),
    (0x4200CD, "IVLength", "IV Length"),
    (0x4200CE, "TagLength", "Tag Length"),
    (0x4200CF, "FixedFieldLength", "Fixed Field Length"),
    (0x4200D0, "CounterLength", "Counter Length"),
    (0x4200D1, "InitialCounterValue", "Initial Counter Value"),
    (0x4200D2, "InvocationFieldLength", "Invocation Field Length"),
    (
        0x4200D3,
        "AttestationCapableIndicator",
        "Attestation Capable Indicator",
    ),
    (0x4200D4, "OffsetItems", "Offset Items"),
    (0x4200D5, "LocatedItems", "Located Items"),
    (0x4200D6, "CorrelationValue", "Correlation Value"),
    (0x4200D7, "InitIndicator", "Init Indicator"),
    (0x4200D8, "FinalIndicator", "Final Indicator"),
    (0x4200D9, "RNGParameters", "RNG Parameters"),
    (0x4200DA, "RNGAlgorithm", "RNG Algorithm"),
    (0x4200DB, "DRBGAlgorithm", "DRBG Algorithm"),
    (0x4200DC, "FIPS186Variation", "FIPS186 Variation"),
    (0x4200DD, "PredictionResistance", "Prediction Resistance"),
    (0x4200DE, "RandomNumberGenerator", "Random Number Generator"),
    (0x4200DF, "ValidationInformation", "Validation Information"),
    (
        0x4200E0,
        "ValidationAuthorityType",
        "Validation Authority Type",
    ),
    (
        0x4200E1,
        "ValidationAuthorityCountry",
        "Validation Authority Country",
    ),
    (
        0x4200E2,
        "ValidationAuthorityURI",
        "Validation Authority URI",
    ),
    (
        0x4200E3,
        "ValidationVersionMajor",
        "Validation Version Major",
    ),
    (
        0x4200E4,
        "ValidationVersionMinor",
        "Validation Version Minor",
    ),
    (0x4200E5, "ValidationType", "Validation Type"),
    (0x4200E6, "ValidationLevel", "Validation Level"),
    (
        0x4200E7,
        "ValidationCertificateIdentifier",
        "Validation Certificate Identifier",
    ),
    (
        0x4200E8,
        "ValidationCertificateURI",
        "Validation Certificate URI",
    ),
    (0x4200E9, "ValidationVendorURI", "Validation Vendor URI"),
    (0x4200EA, "ValidationProfile", "Validation Profile"),
    (0x4200EB, "ProfileInformation", "Profile Information"),
    (0x4200EC, "ProfileName", "Profile Name"),
    (0x4200ED, "ServerURI", "Server URI"),
    (0x4200EE, "ServerPort", "Server Port"),
    (0x4200EF, "StreamingCapability", "Streaming Capability"),
    (
        0x4200F0,
        "AsynchronousCapability",
        "Asynchronous Capability",
    ),
    (0x4200F1, "AttestationCapability", "Attestation Capability"),
    (0x4200F2, "UnwrapMode", "Unwrap Mode"),
    (0x4200F3, "DestroyAction", "Destroy Action"),
    (0x4200F4, "ShreddingAlgorithm", "Shredding Algorithm"),
    (0x4200F5, "RNGMode", "RNG Mode"),
    (
        0x4200F6,
        "ClientRegistrationMethod",
        "Client Registration Method",
    ),
    (0x4200F7, "CapabilityInformation", "Capability Information"),
    (0x4200F8, "KeyWrapType", "Key Wrap Type"),
    (0x4200F9, "BatchUndoCapability", "Batch Undo Capability"),
    (
        0x4200FA,
        "BatchContinueCapability",
        "Batch Continue Capability",
    ),
    (0x4200FB, "PKCS_12FriendlyName", "PKCS#12 Friendly Name"),
    (0x4200FC, "Description", "Description"),
    (0x4200FD, "Comment", "Comment"),
    (
        0x4200FE,
        "AuthenticatedEncryptionAdditionalData",
        "AuthenticatedEncryption Additional Data",
    ),
    (
        0x4200FF,
        "AuthenticatedEncryptionTag",
        "Authenticated Encryption Tag",
    ),
    (0x420100, "SaltLength", "Salt Length"),
    (0x420101, "MaskGenerator", "Mask Generator"),
    (
        0x420102,
        "MaskGeneratorHashingAlgorithm",
        "Mask Generator Hashing Algorithm",
    ),
    (0x420103, "PSource", "P Source"),
    (0x420104, "TrailerField", "Trailer Field"),
    (
        0x420105,
        "ClientCorrelationValue",
        "Client Correlation Value",
    ),
    (
        0x420106,
        "ServerCorrelationValue",
        "Server Correlation Value",
    ),
    (0x420107, "DigestedData", "Digested Data"),
    (0x420108, "CertificateSubjectCN", "Certificate Subject CN"),
    (0x420109, "CertificateSubjectO", "Certificate Subject O"),
    (0x42010A, "CertificateSubjectOU", "Certificate Subject OU"),
    (
        0x42010B,
        "CertificateSubjectEmail",
        "Certificate Subject Email",
    ),
    (0x42010C, "CertificateSubjectC", "Certificate Subject C"),
    (0x42010D, "CertificateSubjectST", "Certificate Subject ST"),
    (0x42010E, "CertificateSubjectL", "Certificate Subject L"),
    (0x42010F, "CertificateSubjectUID", "Certificate Subject UID"),
    (
        0x420110,
        "CertificateSubjectSerialNumber",
        "Certificate Subject Serial Number",
    ),
    (
        0x420111,
        "CertificateSubjectTitle",
        "Certificate Subject Title",
    ),
    (0x420112, "CertificateSubjectDC", "Certificate Subject DC"),
    (
        0x420113,
        "CertificateSubjectDNQualifier",
        "Certificate Subject DN Qualifier",
    ),
    (0x420114, "CertificateIssuerCN", "Certificate Issuer CN"),
    (0x420115, "CertificateIssuerO", "Certificate Issuer O"),
    (0x420116, "CertificateIssuerOU", "Certificate Issuer OU"),
    (
        0x420117,
        "CertificateIssuerEmail",
        "Certificate Issuer Email",
    ),
    (0x420118, "CertificateIssuerC", "Certificate Issuer C"),
    (0x420119, "CertificateIssuerST", "Certificate Issuer ST"),
    (0x42011A, "CertificateIssuerL", "Certificate Issuer L"),
    (0x42011B, "CertificateIssuerUID", "Certificate Issuer UID"),
    (
        0x42011C,
        "CertificateIssuerSerialNumber",
        "Certificate Issuer Serial Number",
    ),
    (
        0x42011D,
        "CertificateIssuerTitle",
        "Certificate Issuer Title",
    ),
    (0x42011E, "CertificateIssuerDC", "Certificate Issuer DC"),
    (
        0x42011F,
        "CertificateIssuerDNQualifier",
        "Certificate Issuer DN Qualifier",
    ),
    (0x420120, "Sensitive", "Sensitive"),
    (0x420121, "AlwaysSensitive", "Always Sensitive"),
    (0x420122, "Extractable", "Extractable"),
    (0x420123, "NeverExtractable", "Never Extractable"),
    (0x420124, "ReplaceExisting", "Replace Existing"),
    (0x420125, "Attributes", "Attributes"),
    (0x420126, "CommonAttributes", "Common Attributes"),
    (0x420127, "PrivateKeyAttributes", "Private Key Attributes"),
    (0x420128, "PublicKeyAttributes", "Public Key Attributes"),
    (0x420129, "ExtensionEnumeration", "Extension Enumeration"),
    (0x42012A, "ExtensionAttribute", "Extension Attribute"),
    (
        0x42012B,
        "ExtensionParentStructureTag",
        "Extension Parent Structure Tag",
    ),
    (0x42012C, "ExtensionDescription", "Extension Description"),
    (0x42012D, "ServerName", "Server Name"),
    (0x42012E, "ServerSerialNumber", "Server Serial Number"),
    (0x42012F, "ServerVersion", "Server Version"),
    (0x420130, "ServerLoad", "Server Load"),
    (0x420131, "ProductName", "Product Name"),
    (0x420132, "BuildLevel", "Build Level"),
    (0x420133, "BuildDate", "Build Date"),
    (0x420134, "ClusterInfo", "Cluster Info"),
    (
        0x420135,
        "AlternateFailoverEndpoints",
        "Alternate Failover Endpoints",
    ),
    (0x420136, "ShortUniqueIdentifier", "Short Unique Identifier"),
    (0x420137, "Reserved", "Reserved"),
    (0x420138, "Tag", "Tag"),
    (
        0x420139,
        "CertificateRequestUniqueIdentifier",
        "Certificate Request Unique Identifier",
    ),
    (0x42013A, "NISTKeyType", "NIST Key Type"),
    (0x42013B, "AttributeReference", "Attribute Reference"),
    (0x42013C, "CurrentAttribute", "Current Attribute"),
    (0x42013D, "NewAttribute", "New Attribute"),
    (
        0x420140,
        "CertificateRequestValue",
        "Certificate Request Value",
    ),
    (0x420141, "LogMessage", "Log Message"),
    (0x420142, "ProfileVersion", "Profile Version"),
    (0x420143, "ProfileVersionMajor", "Profile Version Major"),
    (0x420144, "ProfileVersionMinor", "Profile Version Minor"),
    (0x420145, "ProtectionLevel", "Protection Level"),
    (0x420146, "ProtectionPeriod", "Protection Period"),
    (0x420147, "QuantumSafe", "Quantum Safe"),
    (0x420148, "QuantumSafeCapability", "Quantum Safe Capability"),
    (0x420149, "Ticket", "Ticket"),
    (0x42014A, "TicketType", "Ticket Type"),
    (0x42014B, "TicketValue", "Ticket Value"),
    (0x42014C, "RequestCount", "Request Count"),
    (0x42014D, "Rights", "Rights"),
    (0x42014E, "Objects", "Objects"),
    (0x42014F, "Operations", "Operations"),
    (0x420150, "Right", "Right"),
    (0x420151, "EndpointRole", "Endpoint Role"),
    (0x420152, "DefaultsInformation", "Defaults Information"),
    (0x420153, "ObjectDefaults", "Object Defaults"),
    (0x420154, "Ephemeral", "Ephemeral"),
    (0x420155, "ServerHashedPassword", "Server Hashed Password"),
    (0x420156, "OneTimePassword", "One Time Password"),
    (0x420157, "HashedPassword", "Hashed Password"),
    (0x420158, "AdjustmentType", "Adjustment Type"),
    (0x420159, "PKCS_11Interface", "PKCS#11 Interface"),
    (0x42015A, "PKCS_11Function", "PKCS#11 Function"),
    (
        0x42015B,
        "PKCS_11InputParameters",
        "PKCS#11 Input Parameters",
    ),
    (
        0x42015C,
        "PKCS_11OutputParameters",
        "PKCS#11 Output Parameters",
    ),
    (0x42015D, "PKCS_11ReturnCode", "PKCS#11 Return Code"),
    (0x42015E, "ProtectionStorageMask", "Protection Storage Mask"),
    (
        0x42015F,
        "ProtectionStorageMasks",
        "Protection Storage Masks",
    ),
    (0x420160, "InteropFunction", "Interop Function"),
    (0x420161, "InteropIdentifier", "Interop Identifier"),
    (0x420162, "AdjustmentValue", "Adjustment Value"),
    (
        0x420163,
        "CommonProtectionStorageMasks",
        "Common Protection Storage Masks",
    ),
    (
        0x420164,
        "PrivateProtectionStorageMasks",
        "Private Protection Storage Masks",
    ),
    (
        0x420165,
        "PublicProtectionStorageMasks",
        "Public Protection Storage Masks",
    ),
    (0x420166, "ObjectGroups", "Object Groups"),
    (0x420167, "ObjectTypes", "Object Types"),
    (0x420168, "Constraints", "Constraints"),
    (0x420169, "Constraint", "Constraint"),
    (0x42016A, "RotateInterval", "Rotate Interval"),
    (0x42016B, "RotateAutomatic", "Rotate Automatic"),
    (0x42016C, "RotateOffset", "Rotate Offset"),
    (0x42016D, "RotateDate", "Rotate Date"),
    (0x42016E, "RotateGeneration", "Rotate Generation"),
    (0x42016F, "RotateName", "Rotate Name"),
    (0x420170, "RotateNameValue", "Rotate Name Value"),
    (0x420171, "RotateNameType", "Rotate Name Type"),
    (0x420172, "RotateLatest", "Rotate Latest"),
    (0x420173, "AsynchronousRequest", "Asynchronous Request"),
    (0x420174, "SubmissionDate", "Submission Date"),
    (0x420175, "ProcessingStage", "Processing Stage"),
    (
        0x420176,
        "AsynchronousCorrelationValues",
        "Asynchronous Correlation Values",
    ),
];

/// (JSON name, value), sorted by name (byte order).
pub(crate) static BY_NAME: &[(&str, u32)] = &[
    ("ActivationDate", 0x420001),
    ("AdjustmentType", 0x420158),
    ("AdjustmentValue", 0x420162),
    ("AlternateFailoverEndpoints", 0x420135),
    ("AlternativeName", 0x4200BF),
    ("AlternativeNameType", 0x4200C1),
    ("AlternativeNameValue", 0x4200C0),
    ("AlwaysSensitive", 0x420121),
    ("ApplicationData", 0x420002),
    ("ApplicationNamespace", 0x420003),
    ("ApplicationSpecificInformation", 0x420004),
    ("ArchiveDate", 0x420005),
    ("AsynchronousCapability", 0x4200F0),
    ("AsynchronousCorrelationValue", 0x420006),
    ("AsynchronousCorrelationValues", 0x420176),
    ("AsynchronousIndicator", 0x420007),
    ("AsynchronousRequest", 0x420173),
    ("AttestationAssertion", 0x4200CC),
    ("AttestationCapability", 0x4200F1),
    ("AttestationCapableIndicator", 0x4200D3),
    ("AttestationMeasurement", 0x4200CB),
    ("AttestationType", 0x4200C7),
    ("Attribute", 0x420008),
    ("AttributeIndex", 0x420009),
    ("AttributeName", 0x42000A),
    ("AttributeReference", 0x42013B),
    ("AttributeValue", 0x42000B),
    ("Attributes", 0x420125),
    ("AuthenticatedEncryptionAdditionalData", 0x4200FE),
    ("AuthenticatedEncryptionTag", 0x4200FF),
    ("Authentication", 0x42000C),
    ("BatchContinueCapability", 0x4200FA),
    ("BatchCount", 0x42000D),
    ("BatchErrorContinuationOption", 0x42000E),
    ("BatchItem", 0x42000F),
    ("BatchOrderOption", 0x420010),
    ("BatchUndoCapability", 0x4200F9),
    ("BlockCipherMode", 0x420011),
    ("BuildDate", 0x420133),
    ("BuildLevel", 0x420132),
    ("CRTCoefficient", 0x420027),
    ("CancellationResult", 0x420012),
    ("CapabilityInformation", 0x4200F7),
    ("Certificate", 0x420013),
    ("CertificateIdentifier", 0x420014),
    ("CertificateIssuer", 0x420015),
    ("CertificateIssuerAlternativeName", 0x420016),
    ("CertificateIssuerC", 0x420118),
    ("CertificateIssuerCN", 0x420114),
    ("CertificateIssuerDC", 0x42011E),
    ("CertificateIssuerDNQualifier", 0x42011F),
    ("CertificateIssuerDistinguishedName", 0x420017),
    ("CertificateIssuerEmail", 0x420117),
    ("CertificateIssuerL", 0x42011A),
    ("CertificateIssuerO", 0x420115),
    ("CertificateIssuerOU", 0x420116),
    ("CertificateIssuerST", 0x420119),
    ("CertificateIssuerSerialNumber", 0x42011C),
    ("CertificateIssuerTitle", 0x42011D),
    ("CertificateIssuerUID", 0x42011B),
    ("CertificateLength", 0x4200AD),
    ("CertificateRequest", 0x420018),
    ("CertificateRequestType", 0x420019),
    ("CertificateRequestUniqueIdentifier", 0x420139),
    ("CertificateRequestValue", 0x420140),
    ("CertificateSerialNumber", 0x4200AF),
    ("CertificateSubject", 0x42001A),
    ("CertificateSubjectAlternativeName", 0x42001B),
    ("CertificateSubjectC", 0x42010C),
    ("CertificateSubjectCN", 0x420108),
    ("CertificateSubjectDC", 0x420112),
    ("CertificateSubjectDNQualifier", 0x420113),
    ("CertificateSubjectDistinguishedName", 0x42001C),
    ("CertificateSubjectEmail", 0x42010B),
    ("CertificateSubjectL", 0x42010E),
    ("CertificateSubjectO", 0x420109),
    ("CertificateSubjectOU", 0x42010A),
    ("CertificateSubjectST", 0x42010D),
    ("CertificateSubjectSerialNumber", 0x420110),
    ("CertificateSubjectTitle", 0x420111),
    ("CertificateSubjectUID", 0x42010F),
    ("CertificateType", 0x42001D),
    ("CertificateValue", 0x42001E),
    ("ClientCorrelationValue", 0x420105),
    ("ClientRegistrationMethod", 0x4200F6),
    ("ClusterInfo", 0x420134),
    ("Comment", 0x4200FD),
    ("CommonAttributes", 0x420126),
    ("CommonProtectionStorageMasks", 0x420163),
    ("CommonTemplateAttribute", 0x42001F),
    ("CompromiseDate", 0x420020),
    ("CompromiseOccurrenceDate", 0x420021),
    ("Constraint", 0x420169),
    ("Constraints", 0x420168),
    ("ContactInformation", 0x420022),
    ("CorrelationValue", 0x4200D6),
    ("CounterLength", 0x4200D0),
    ("Credential", 0x420023),
    ("CredentialType", 0x420024),
    ("CredentialValue", 0x420025),
    ("CriticalityIndicator", 0x420026),
    ("CryptographicAlgorithm", 0x420028),
    ("CryptographicDomainParameters", 0x420029),
    ("CryptographicLength", 0x42002A),
    ("CryptographicParameters", 0x42002B),
    ("CryptographicUsageMask", 0x42002C),
    ("CurrentAttribute", 0x42013C),
    ("CustomAttribute", 0x42002D),
    ("D", 0x42002E),
    ("DRBGAlgorithm", 0x4200DB),
    ("Data", 0x4200C2),
    ("DataLength", 0x4200C4),
    ("DeactivationDate", 0x42002F),
    ("DefaultsInformation", 0x420152),
    ("DerivationData", 0x420030),
    ("DerivationMethod", 0x420031),
    ("DerivationParameters", 0x420032),
    ("Description", 0x4200FC),
    ("DestroyAction", 0x4200F3),
    ("DestroyDate", 0x420033),
    ("DeviceIdentifier", 0x4200A2),
    ("DeviceSerialNumber", 0x4200B0),
    ("Digest", 0x420034),
    ("DigestValue", 0x420035),
    ("DigestedData", 0x420107),
    ("DigitalSignatureAlgorithm", 0x4200AE),
    ("EncodingOption", 0x4200A3),
    ("EncryptionKeyInformation", 0x420036),
    ("EndpointRole", 0x420151),
    ("Ephemeral", 0x420154),
    ("ExtensionAttribute", 0x42012A),
    ("ExtensionDescription", 0x42012C),
    ("ExtensionEnumeration", 0x420129),
    ("ExtensionInformation", 0x4200A4),
    ("ExtensionName", 0x4200A5),
    ("ExtensionParentStructureTag", 0x42012B),
    ("ExtensionTag", 0x4200A6),
    ("ExtensionType", 0x4200A7),
    ("Extractable", 0x420122),
    ("FIPS186Variation", 0x4200DC),
    ("FinalIndicator", 0x4200D8),
    ("FixedFieldLength", 0x4200CF),
    ("Fresh", 0x4200A8),
    ("G", 0x420037),
    ("HashedPassword", 0x420157),
    ("HashingAlgorithm", 0x420038),
    ("IVCounterNonce", 0x42003D),
    ("IVLength", 0x4200CD),
    ("InitIndicator", 0x4200D7),
    ("InitialCounterValue", 0x4200D1),
    ("InitialDate", 0x420039),
    ("InitializationVector", 0x42003A),
    ("InteropFunction", 0x420160),
    ("InteropIdentifier", 0x420161),
    ("InvocationFieldLength", 0x4200D2),
    ("Issuer", 0x42003B),
    ("IssuerAlternativeName", 0x4200B1),
    ("IssuerDistinguishedName", 0x4200B2),
    ("IterationCount", 0x42003C),
    ("J", 0x42003E),
    ("Key", 0x42003F),
    ("KeyBlock", 0x420040),
    ("KeyCompressionType", 0x420041),
    ("KeyFormatType", 0x420042),
    ("KeyMaterial", 0x420043),
    ("KeyPartIdentifier", 0x420044),
    ("KeyRoleType", 0x420083),
    ("KeyValue", 0x420045),
    ("KeyValueLocation", 0x4200B8),
    ("KeyValueLocationType", 0x4200BA),
    ("KeyValueLocationValue", 0x4200B9),
    ("KeyValuePresent", 0x4200BB),
    ("KeyWrapType", 0x4200F8),
    ("KeyWrappingData", 0x420046),
    ("KeyWrappingSpecification", 0x420047),
    ("LastChangeDate", 0x420048),
    ("LeaseTime", 0x420049),
    ("Link", 0x42004A),
    ("LinkType", 0x42004B),
    ("LinkedObjectIdentifier", 0x42004C),
    ("LocatedItems", 0x4200D5),
    ("LogMessage", 0x420141),
    ("MACData", 0x4200C6),
    ("MACSignature", 0x42004D),
    ("MACSignatureKeyInformation", 0x42004E),
    ("MachineIdentifier", 0x4200A9),
    ("MaskGenerator", 0x420101),
    ("MaskGeneratorHashingAlgorithm", 0x420102),
    ("MaximumItems", 0x42004F),
    ("MaximumResponseSize", 0x420050),
    ("MediaIdentifier", 0x4200AA),
    ("MessageExtension", 0x420051),
    ("Modulus", 0x420052),
    ("NISTKeyType", 0x42013A),
    ("Name", 0x420053),
    ("NameType", 0x420054),
    ("NameValue", 0x420055),
    ("NetworkIdentifier", 0x4200AB),
    ("NeverExtractable", 0x420123),
    ("NewAttribute", 0x42013D),
    ("Nonce", 0x4200C8),
    ("NonceID", 0x4200C9),
    ("NonceValue", 0x4200CA),
    ("ObjectDefaults", 0x420153),
    ("ObjectGroup", 0x420056),
    ("ObjectGroupMember", 0x4200AC),
    ("ObjectGroups", 0x420166),
    ("ObjectType", 0x420057),
    ("ObjectTypes", 0x420167),
    ("Objects", 0x42014E),
    ("Offset", 0x420058),
    ("OffsetItems", 0x4200D4),
    ("OneTimePassword", 0x420156),
    ("OpaqueDataType", 0x420059),
    ("OpaqueDataValue", 0x42005A),
    ("OpaqueObject", 0x42005B),
    ("Operation", 0x42005C),
    ("OperationPolicyName", 0x42005D),
    ("Operations", 0x42014F),
    ("OriginalCreationDate", 0x4200BC),
    ("P", 0x42005E),
    ("PGPKey", 0x4200BD),
    ("PGPKeyVersion", 0x4200BE),
    ("PKCS_11Function", 0x42015A),
    ("PKCS_11InputParameters", 0x42015B),
    ("PKCS_11Interface", 0x420159),
    ("PKCS_11OutputParameters", 0x42015C),
    ("PKCS_11ReturnCode", 0x42015D),
    ("PKCS_12FriendlyName", 0x4200FB),
    ("PSource", 0x420103),
    ("PaddingMethod", 0x42005F),
    ("Password", 0x4200A1),
    ("PredictionResistance", 0x4200DD),
    ("PrimeExponentP", 0x420060),
    ("PrimeExponentQ", 0x420061),
    ("PrimeFieldSize", 0x420062),
    ("PrivateExponent", 0x420063),
    ("PrivateKey", 0x420064),
    ("PrivateKeyAttributes", 0x420127),
    ("PrivateKeyTemplateAttribute", 0x420065),
    ("PrivateKeyUniqueIdentifier", 0x420066),
    ("PrivateProtectionStorageMasks", 0x420164),
    ("ProcessStartDate", 0x420067),
    ("ProcessingStage", 0x420175),
    ("ProductName", 0x420131),
    ("ProfileInformation", 0x4200EB),
    ("ProfileName", 0x4200EC),
    ("ProfileVersion", 0x420142),
    ("ProfileVersionMajor", 0x420143),
    ("ProfileVersionMinor", 0x420144),
    ("ProtectStopDate", 0x420068),
    ("ProtectionLevel", 0x420145),
    ("ProtectionPeriod", 0x420146),
    ("ProtectionStorageMask", 0x42015E),
    ("ProtectionStorageMasks", 0x42015F),
    ("ProtocolVersion", 0x420069),
    ("ProtocolVersionMajor", 0x42006A),
    ("ProtocolVersionMinor", 0x42006B),
    ("PublicExponent", 0x42006C),
    ("PublicKey", 0x42006D),
    ("PublicKeyAttributes", 0x420128),
    ("PublicKeyTemplateAttribute", 0x42006E),
    ("PublicKeyUniqueIdentifier", 0x42006F),
    ("PublicProtectionStorageMasks", 0x420165),
    ("PutFunction", 0x420070),
    ("Q", 0x420071),
    ("QString", 0x420072),
    ("Qlength", 0x420073),
    ("QuantumSafe", 0x420147),
    ("QuantumSafeCapability", 0x420148),
    ("QueryFunction", 0x420074),
    ("RNGAlgorithm", 0x4200DA),
    ("RNGMode", 0x4200F5),
    ("RNGParameters", 0x4200D9),
    ("RandomIV", 0x4200C5),
    ("RandomNumberGenerator", 0x4200DE),
    ("RecommendedCurve", 0x420075),
    ("ReplaceExisting", 0x420124),
    ("ReplacedUniqueIdentifier", 0x420076),
    ("RequestCount", 0x42014C),
    ("RequestHeader", 0x420077),
    ("RequestMessage", 0x420078),
    ("RequestPayload", 0x420079),
    ("Reserved", 0x420137),
    ("ResponseHeader", 0x42007A),
    ("ResponseMessage", 0x42007B),
    ("ResponsePayload", 0x42007C),
    ("ResultMessage", 0x42007D),
    ("ResultReason", 0x42007E),
    ("ResultStatus", 0x42007F),
    ("RevocationMessage", 0x420080),
    ("RevocationReason", 0x420081),
    ("RevocationReasonCode", 0x420082),
    ("Right", 0x420150),
    ("Rights", 0x42014D),
    ("RotateAutomatic", 0x42016B),
    ("RotateDate", 0x42016D),
    ("RotateGeneration", 0x42016E),
    ("RotateInterval", 0x42016A),
    ("RotateLatest", 0x420172),
    ("RotateName", 0x42016F),
    ("RotateNameType", 0x420171),
    ("RotateNameValue", 0x420170),
    ("RotateOffset", 0x42016C),
    ("Salt", 0x420084),
    ("SaltLength", 0x420100),
    ("SecretData", 0x420085),
    ("SecretDataType", 0x420086),
    ("Sensitive", 0x420120),
    ("SerialNumber", 0x420087),
    ("ServerCorrelationValue", 0x420106),
    ("ServerHashedPassword", 0x420155),
    ("ServerInformation", 0x420088),
    ("ServerLoad", 0x420130),
    ("ServerName", 0x42012D),
    ("ServerPort", 0x4200EE),
    ("ServerSerialNumber", 0x42012E),
    ("ServerURI", 0x4200ED),
    ("ServerVersion", 0x42012F),
    ("ShortUniqueIdentifier", 0x420136),
    ("ShreddingAlgorithm", 0x4200F4),
    ("SignatureData", 0x4200C3),
    ("SplitKey", 0x420089),
    ("SplitKeyMethod", 0x42008A),
    ("SplitKeyParts", 0x42008B),
    ("SplitKeyThreshold", 0x42008C),
    ("State", 0x42008D),
    ("StorageStatusMask", 0x42008E),
    ("StreamingCapability", 0x4200EF),
    ("SubjectAlternativeName", 0x4200B3),
    ("SubjectDistinguishedName", 0x4200B4),
    ("SubmissionDate", 0x420174),
    ("SymmetricKey", 0x42008F),
    ("Tag", 0x420138),
    ("TagLength", 0x4200CE),
    ("Template", 0x420090),
    ("TemplateAttribute", 0x420091),
    ("Ticket", 0x420149),
    ("TicketType", 0x42014A),
    ("TicketValue", 0x42014B),
    ("TimeStamp", 0x420092),
    ("TrailerField", 0x420104),
    ("UniqueBatchItemID", 0x420093),
    ("UniqueIdentifier", 0x420094),
    ("UnwrapMode", 0x4200F2),
    ("UsageLimits", 0x420095),
    ("UsageLimitsCount", 0x420096),
    ("UsageLimitsTotal", 0x420097),
    ("UsageLimitsUnit", 0x420098),
    ("Username", 0x420099),
    ("ValidationAuthorityCountry", 0x4200E1),
    ("ValidationAuthorityType", 0x4200E0),
    ("ValidationAuthorityURI", 0x4200E2),
    ("ValidationCertificateIdentifier", 0x4200E7),
    ("ValidationCertificateURI", 0x4200E8),
    ("ValidationInformation", 0x4200DF),
    ("ValidationLevel", 0x4200E6),
    ("ValidationProfile", 0x4200EA),
    ("ValidationType", 0x4200E5),
    ("ValidationVendorURI", 0x4200E9),
    ("ValidationVersionMajor", 0x4200E3),
    ("ValidationVersionMinor", 0x4200E4),
    ("ValidityDate", 0x42009A),
    ("ValidityIndicator", 0x42009B),
    ("VendorExtension", 0x42009C),
    ("VendorIdentification", 0x42009D),
    ("WrappingMethod", 0x42009E),
    ("X", 0x42009F),
    ("X_509CertificateIdentifier", 0x4200B5),
    ("X_509CertificateIssuer", 0x4200B6),
    ("X_509CertificateSubject", 0x4200B7),
    ("Y", 0x4200A0),
];

/// (folded name: lower-case, only letters and digits, value), sorted, for lenient look-ups.
pub(crate) static BY_FOLDED_NAME: &[(&str, u32)] = &[
    ("activationdate", 0x420001),
    ("adjustmenttype", 0x420158),
    ("adjustmentvalue", 0x420162),
    ("alternatefailoverendpoints", 0x420135),
    ("alternativename", 0x4200BF),
    ("alternativenametype", 0x4200C1),
    ("alternativenamevalue", 0x4200C0),
    ("alwayssensitive", 0x420121),
    ("applicationdata", 0x420002),
    ("applicationnamespace", 0x420003),
    ("applicationspecificinformation", 0x420004),
    ("archivedate", 0x420005),
    ("asynchronouscapability", 0x4200F0),
    ("asynchronouscorrelationvalue", 0x420006),
    ("asynchronouscorrelationvalues", 0x420176),
    ("asynchronousindicator", 0x420007),
    ("asynchronousrequest", 0x420173),
    ("attestationassertion", 0x4200CC),
    ("attestationcapability", 0x4200F1),
    ("attestationcapableindicator", 0x4200D3),
    ("attestationmeasurement", 0x4200CB),
    ("attestationtype", 0x4200C7),
    ("attribute", 0x420008),
    ("attributeindex", 0x420009),
    ("attributename", 0x42000A),
    ("attributereference", 0x42013B),
    ("attributes", 0x420125),
    ("attributevalue", 0x42000B),
    ("authenticatedencryptionadditionaldata", 0x4200FE),
    ("authenticatedencryptiontag", 0x4200FF),
    ("authentication", 0x42000C),
    ("batchcontinuecapability", 0x4200FA),
    ("batchcount", 0x42000D),
    ("batcherrorcontinuationoption", 0x42000E),
    ("batchitem", 0x42000F),
    ("batchorderoption", 0x420010),
    ("batchundocapability", 0x4200F9),
    ("blockciphermode", 0x420011),
    ("builddate", 0x420133),
    ("buildlevel", 0x420132),
    ("cancellationresult", 0x420012),
    ("capabilityinformation", 0x4200F7),
    ("certificate", 0x420013),
    ("certificateidentifier", 0x420014),
    ("certificateissuer", 0x420015),
    ("certificateissueralternativename", 0x420016),
    ("certificateissuerc", 0x420118),
    ("certificateissuercn", 0x420114),
    ("certificateissuerdc", 0x42011E),
    ("certificateissuerdistinguishedname", 0x420017),
    ("certificateissuerdnqualifier", 0x42011F),
    ("certificateissueremail", 0x420117),
    ("certificateissuerl", 0x42011A),
    ("certificateissuero", 0x420115),
    ("certificateissuerou", 0x420116),
    ("certificateissuerserialnumber", 0x42011C),
    ("certificateissuerst", 0x420119),
    ("certificateissuertitle", 0x42011D),
    ("certificateissueruid", 0x42011B),
    ("certificatelength", 0x4200AD),
    ("certificaterequest", 0x420018),
    ("certificaterequesttype", 0x420019),
    ("certificaterequestuniqueidentifier", 0x420139),
    ("certificaterequestvalue", 0x420140),
    ("certificateserialnumber", 0x4200AF),
    ("certificatesubject", 0x42001A),
    ("certificatesubjectalternativename", 0x42001B),
    ("certificatesubjectc", 0x42010C),
    ("certificatesubjectcn", 0x420108),
    ("certificatesubjectdc", 0x420112),
    ("certificatesubjectdistinguishedname", 0x42001C),
    ("certificatesubjectdnqualifier", 0x420113),
    ("certificatesubjectemail", 0x42010B),
    ("certificatesubjectl", 0x42010E),
    ("certificatesubjecto", 0x420109),
    ("certificatesubjectou", 0x42010A),
    ("certificatesubjectserialnumber", 0x420110),
    ("certificatesubjectst", 0x42010D),
    ("certificatesubjecttitle", 0x420111),
    ("certificatesubjectuid", 0x42010F),
    ("certificatetype", 0x42001D),
    ("certificatevalue", 0x42001E),
    ("clientcorrelationvalue", 0x420105),
    ("clientregistrationmethod", 0x4200F6),
    ("clusterinfo", 0x420134),
    ("comment", 0x4200FD),
    ("commonattributes", 0x420126),
    ("commonprotectionstoragemasks", 0x420163),
    ("commontemplateattribute", 0x42001F),
    ("compromisedate", 0x420020),
    ("compromiseoccurrencedate", 0x420021),
    ("constraint", 0x420169),
    ("constraints", 0x420168),
    ("contactinformation", 0x420022),
    ("correlationvalue", 0x4200D6),
    ("counterlength", 0x4200D0),
    ("credential", 0x420023),
    ("credentialtype", 0x420024),
    ("credentialvalue", 0x420025),
    ("criticalityindicator", 0x420026),
    ("crtcoefficient", 0x420027),
    ("cryptographicalgorithm", 0x420028),
    ("cryptographicdomainparameters", 0x420029),
    ("cryptographiclength", 0x42002A),
    ("cryptographicparameters", 0x42002B),
    ("cryptographicusagemask", 0x42002C),
    ("currentattribute", 0x42013C),
    ("customattribute", 0x42002D),
    ("d", 0x42002E),
    ("data", 0x4200C2),
    ("datalength", 0x4200C4),
    ("deactivationdate", 0x42002F),
    ("defaultsinformation", 0x420152),
    ("derivationdata", 0x420030),
    ("derivationmethod", 0x420031),
    ("derivationparameters", 0x420032),
    ("description", 0x4200FC),
    ("destroyaction", 0x4200F3),
    ("destroydate", 0x420033),
    ("deviceidentifier", 0x4200A2),
    ("deviceserialnumber", 0x4200B0),
    ("digest", 0x420034),
    ("digesteddata", 0x420107),
    ("digestvalue", 0x420035),
    ("digitalsignaturealgorithm", 0x4200AE),
    ("drbgalgorithm", 0x4200DB),
    ("encodingoption", 0x4200A3),
    ("encryptionkeyinformation", 0x420036),
    ("endpointrole", 0x420151),
    ("ephemeral", 0x420154),
    ("extensionattribute", 0x42012A),
    ("extensiondescription", 0x42012C),
    ("extensionenumeration", 0x420129),
    ("extensioninformation", 0x4200A4),
    ("extensionname", 0x4200A5),
    ("extensionparentstructuretag", 0x42012B),
    ("extensiontag", 0x4200A6),
    ("extensiontype", 0x4200A7),
    ("extractable", 0x420122),
    ("finalindicator", 0x4200D8),
    ("fips186variation", 0x4200DC),
    ("fixedfieldlength", 0x4200CF),
    ("fresh", 0x4200A8),
    ("g", 0x420037),
    ("hashedpassword", 0x420157),
    ("hashingalgorithm", 0x420038),
    ("initialcountervalue", 0x4200D1),
    ("initialdate", 0x420039),
    ("initializationvector", 0x42003A),
    ("initindicator", 0x4200D7),
    ("interopfunction", 0x420160),
    ("interopidentifier", 0x420161),
    ("invocationfieldlength", 0x4200D2),
    ("issuer", 0x42003B),
    ("issueralternativename", 0x4200B1),
    ("issuerdistinguishedname", 0x4200B2),
    ("iterationcount", 0x42003C),
    ("ivcounternonce", 0x42003D),
    ("ivlength", 0x4200CD),
    ("j", 0x42003E),
    ("key", 0x42003F),
    ("keyblock", 0x420040),
    ("keycompressiontype", 0x420041),
    ("keyformattype", 0x420042),
    ("keymaterial", 0x420043),
    ("keypartidentifier", 0x420044),
    ("keyroletype", 0x420083),
    ("keyvalue", 0x420045),
    ("keyvaluelocation", 0x4200B8),
    ("keyvaluelocationtype", 0x4200BA),
    ("keyvaluelocationvalue", 0x4200B9),
    ("keyvaluepresent", 0x4200BB),
    ("keywrappingdata", 0x420046),
    ("keywrappingspecification", 0x420047),
    ("keywraptype", 0x4200F8),
    ("lastchangedate", 0x420048),
    ("leasetime", 0x420049),
    ("link", 0x42004A),
    ("linkedobjectidentifier", 0x42004C),
    ("linktype", 0x42004B),
    ("locateditems", 0x4200D5),
    ("logmessage", 0x420141),
    ("macdata", 0x4200C6),
    ("machineidentifier", 0x4200A9),
    ("macsignature", 0x42004D),
    ("macsignaturekeyinformation", 0x42004E),
    ("maskgenerator", 0x420101),
    ("maskgeneratorhashingalgorithm", 0x420102),
    ("maximumitems", 0x42004F),
    ("maximumresponsesize", 0x420050),
    ("mediaidentifier", 0x4200AA),
    ("messageextension", 0x420051),
    ("modulus", 0x420052),
    ("name", 0x420053),
    ("nametype", 0x420054),
    ("namevalue", 0x420055),
    ("networkidentifier", 0x4200AB),
    ("neverextractable", 0x420123),
    ("newattribute", 0x42013D),
    ("nistkeytype", 0x42013A),
    ("nonce", 0x4200C8),
    ("nonceid", 0x4200C9),
    ("noncevalue", 0x4200CA),
    ("objectdefaults", 0x420153),
    ("objectgroup", 0x420056),
    ("objectgroupmember", 0x4200AC),
    ("objectgroups", 0x420166),
    ("objects", 0x42014E),
    ("objecttype", 0x420057),
    ("objecttypes", 0x420167),
    ("offset", 0x420058),
    ("offsetitems", 0x4200D4),
    ("onetimepassword", 0x420156),
    ("opaquedatatype", 0x420059),
    ("opaquedatavalue", 0x42005A),
    ("opaqueobject", 0x42005B),
    ("operation", 0x42005C),
    ("operationpolicyname", 0x42005D),
    ("operations", 0x42014F),
    ("originalcreationdate", 0x4200BC),
    ("p", 0x42005E),
    ("paddingmethod", 0x42005F),
    ("password", 0x4200A1),
    ("pgpkey", 0x4200BD),
    ("pgpkeyversion", 0x4200BE),
    ("pkcs11function", 0x42015A),
    ("pkcs11inputparameters", 0x42015B),
    ("pkcs11interface", 0x420159),
    ("pkcs11outputparameters", 0x42015C),
    ("pkcs11returncode", 0x42015D),
    ("pkcs12friendlyname", 0x4200FB),
    ("predictionresistance", 0x4200DD),
    ("primeexponentp", 0x420060),
    ("primeexponentq", 0x420061),
    ("primefieldsize", 0x420062),
    ("privateexponent", 0x420063),
    ("privatekey", 0x420064),
    ("privatekeyattributes", 0x420127),
    ("privatekeytemplateattribute", 0x420065),
    ("privatekeyuniqueidentifier", 0x420066),
    ("privateprotectionstoragemasks", 0x420164),
    ("processingstage", 0x420175),
    ("processstartdate", 0x420067),
    ("productname", 0x420131),
    ("profileinformation", 0x4200EB),
    ("profilename", 0x4200EC),
    ("profileversion", 0x420142),
    ("profileversionmajor", 0x420143),
    ("profileversionminor", 0x420144),
    ("protectionlevel", 0x420145),
    ("protectionperiod", 0x420146),
    ("protectionstoragemask", 0x42015E),
    ("protectionstoragemasks", 0x42015F),
    ("protectstopdate", 0x420068),
    ("protocolversion", 0x420069),
    ("protocolversionmajor", 0x42006A),
    ("protocolversionminor", 0x42006B),
    ("psource", 0x420103),
    ("publicexponent", 0x42006C),
    ("publickey", 0x42006D),
    ("publickeyattributes", 0x420128),
    ("publickeytemplateattribute", 0x42006E),
    ("publickeyuniqueidentifier", 0x42006F),
    ("publicprotectionstoragemasks", 0x420165),
    ("putfunction", 0x420070),
    ("q", 0x420071),
    ("qlength", 0x420073),
    ("qstring", 0x420072),
    ("quantumsafe", 0x420147),
    ("quantumsafecapability", 0x420148),
    ("queryfunction", 0x420074),
    ("randomiv", 0x4200C5),
    ("randomnumbergenerator", 0x4200DE),
    ("recommendedcurve", 0x420075),
    ("replaceduniqueidentifier", 0x420076),
    ("replaceexisting", 0x420124),
    ("requestcount", 0x42014C),
    ("requestheader", 0x420077),
    ("requestmessage", 0x420078),
    ("requestpayload", 0x420079),
    ("reserved", 0x420137),
    ("responseheader", 0x42007A),
    ("responsemessage", 0x42007B),
    ("responsepayload", 0x42007C),
    ("resultmessage", 0x42007D),
    ("resultreason", 0x42007E),
    ("resultstatus", 0x42007F),
    ("revocationmessage", 0x420080),
    ("revocationreason", 0x420081),
    ("revocationreasoncode", 0x420082),
    ("right", 0x420150),
    ("rights", 0x42014D),
    ("rngalgorithm", 0x4200DA),
    ("rngmode", 0x4200F5),
    ("rngparameters", 0x4200D9),
    ("rotateautomatic", 0x42016B),
    ("rotatedate", 0x42016D),
    ("rotategeneration", 0x42016E),
    ("rotateinterval", 0x42016A),
    ("rotatelatest", 0x420172),
    ("rotatename", 0x42016F),
    ("rotatenametype", 0x420171),
    ("rotatenamevalue", 0x420170),
    ("rotateoffset", 0x42016C),
    ("salt", 0x420084),
    ("saltlength", 0x420100),
    ("secretdata", 0x420085),
    ("secretdatatype", 0x420086),
    ("sensitive", 0x420120),
    ("serialnumber", 0x420087),
    ("servercorrelationvalue", 0x420106),
    ("serverhashedpassword", 0x420155),
    ("serverinformation", 0x420088),
    ("serverload", 0x420130),
    ("servername", 0x42012D),
    ("serverport", 0x4200EE),
    ("serverserialnumber", 0x42012E),
    ("serveruri", 0x4200ED),
    ("serverversion", 0x42012F),
    ("shortuniqueidentifier", 0x420136),
    ("shreddingalgorithm", 0x4200F4),
    ("signaturedata", 0x4200C3),
    ("splitkey", 0x420089),
    ("splitkeymethod", 0x42008A),
    ("splitkeyparts", 0x42008B),
    ("splitkeythreshold", 0x42008C),
    ("state", 0x42008D),
    ("storagestatusmask", 0x42008E),
    ("streamingcapability", 0x4200EF),
    ("subjectalternativename", 0x4200B3),
    ("subjectdistinguishedname", 0x4200B4),
    ("submissiondate", 0x420174),
    ("symmetrickey", 0x42008F),
    ("tag", 0x420138),
    ("taglength", 0x4200CE),
    ("template", 0x420090),
    ("templateattribute", 0x420091),
    ("ticket", 0x420149),
    ("tickettype", 0x42014A),
    ("ticketvalue", 0x42014B),
    ("timestamp", 0x420092),
    ("trailerfield", 0x420104),
    ("uniquebatchitemid", 0x420093),
    ("uniqueidentifier", 0x420094),
    ("unwrapmode", 0x4200F2),
    ("usagelimits", 0x420095),
    ("usagelimitscount", 0x420096),
    ("usagelimitstotal", 0x420097),
    ("usagelimitsunit", 0x420098),
    ("username", 0x420099),
    ("validationauthoritycountry", 0x4200E1),
    ("validationauthoritytype", 0x4200E0),
    ("validationauthorityuri", 0x4200E2),
    ("validationcertificateidentifier", 0x4200E7),
    ("validationcertificateuri", 0x4200E8),
    ("validationinformation", 0x4200DF),
    ("validationlevel", 0x4200E6),
    ("validationprofile", 0x4200EA),
    ("validationtype", 0x4200E5),
    ("validationvendoruri", 0x4200E9),
    ("validationversionmajor", 0x4200E3),
    ("validationversionminor", 0x4200E4),
    ("validitydate", 0x42009A),
    ("validityindicator", 0x42009B),
    ("vendorextension", 0x42009C),
    ("vendoridentification", 0x42009D),
    ("wrappingmethod", 0x42009E),
    ("x", 0x42009F),
    ("x509certificateidentifier", 0x4200B5),
    ("x509certificateissuer", 0x4200B6),
    ("x509certificatesubject", 0x4200B7),
    ("y", 0x4200A0),
];

/// (specification text name, value), sorted by name: the KMIP 1.x attribute names.
pub(crate) static BY_TEXT_NAME: &[(&str, u32)] = &[
    ("Activation Date", 0x420001),
    ("Adjustment Type", 0x420158),
    ("Adjustment Value", 0x420162),
    ("Alternate Failover Endpoints", 0x420135),
    ("Alternative Name", 0x4200BF),
    ("Alternative Name Type", 0x4200C1),
    ("Alternative Name Value", 0x4200C0),
    ("Always Sensitive", 0x420121),
    ("Application Data", 0x420002),
    ("Application Namespace", 0x420003),
    ("Application Specific Information", 0x420004),
    ("Archive Date", 0x420005),
    ("Asynchronous Capability", 0x4200F0),
    ("Asynchronous Correlation Value", 0x420006),
    ("Asynchronous Correlation Values", 0x420176),
    ("Asynchronous Indicator", 0x420007),
    ("Asynchronous Request", 0x420173),
    ("Attestation Assertion", 0x4200CC),
    ("Attestation Capability", 0x4200F1),
    ("Attestation Capable Indicator", 0x4200D3),
    ("Attestation Measurement", 0x4200CB),
    ("Attestation Type", 0x4200C7),
    ("Attribute", 0x420008),
    ("Attribute Index", 0x420009),
    ("Attribute Name", 0x42000A),
    ("Attribute Reference", 0x42013B),
    ("Attribute Value", 0x42000B),
    ("Attributes", 0x420125),
    ("Authenticated Encryption Tag", 0x4200FF),
    ("AuthenticatedEncryption Additional Data", 0x4200FE),
    ("Authentication", 0x42000C),
    ("Batch Continue Capability", 0x4200FA),
    ("Batch Count", 0x42000D),
    ("Batch Error Continuation Option", 0x42000E),
    ("Batch Item", 0x42000F),
    ("Batch Order Option", 0x420010),
    ("Batch Undo Capability", 0x4200F9),
    ("Block Cipher Mode", 0x420011),
    ("Build Date", 0x420133),
    ("Build Level", 0x420132),
    ("CRT Coefficient", 0x420027),
    ("Cancellation Result", 0x420012),
    ("Capability Information", 0x4200F7),
    ("Certificate", 0x420013),
    ("Certificate Issuer C", 0x420118),
    ("Certificate Issuer CN", 0x420114),
    ("Certificate Issuer DC", 0x42011E),
    ("Certificate Issuer DN Qualifier", 0x42011F),
    ("Certificate Issuer Email", 0x420117),
    ("Certificate Issuer L", 0x42011A),
    ("Certificate Issuer O", 0x420115),
    ("Certificate Issuer OU", 0x420116),
    ("Certificate Issuer ST", 0x420119),
    ("Certificate Issuer Serial Number", 0x42011C),
    ("Certificate Issuer Title", 0x42011D),
    ("Certificate Issuer UID", 0x42011B),
    ("Certificate Length", 0x4200AD),
    ("Certificate Request", 0x420018),
    ("Certificate Request Type", 0x420019),
    ("Certificate Request Unique Identifier", 0x420139),
    ("Certificate Request Value", 0x420140),
    ("Certificate Serial Number", 0x4200AF),
    ("Certificate Subject C", 0x42010C),
    ("Certificate Subject CN", 0x420108),
    ("Certificate Subject DC", 0x420112),
    ("Certificate Subject DN Qualifier", 0x420113),
    ("Certificate Subject Email", 0x42010B),
    ("Certificate Subject L", 0x42010E),
    ("Certificate Subject O", 0x420109),
    ("Certificate Subject OU", 0x42010A),
    ("Certificate Subject ST", 0x42010D),
    ("Certificate Subject Serial Number", 0x420110),
    ("Certificate Subject Title", 0x420111),
    ("Certificate Subject UID", 0x42010F),
    ("Certificate Type", 0x42001D),
    ("Certificate Value", 0x42001E),
    ("CertificateIdentifier", 0x420014),
    ("CertificateIssuer", 0x420015),
    ("CertificateIssuerAlternativeName", 0x420016),
    ("CertificateIssuerDistinguishedName", 0x420017),
    ("CertificateSubject", 0x42001A),
    ("CertificateSubjectAlternativeName", 0x42001B),
    ("CertificateSubjectDistinguishedName", 0x42001C),
    ("Client Correlation Value", 0x420105),
    ("Client Registration Method", 0x4200F6),
    ("Cluster Info", 0x420134),
    ("Comment", 0x4200FD),
    ("Common Attributes", 0x420126),
    ("Common Protection Storage Masks", 0x420163),
    ("Common Template-Attribute", 0x42001F),
    ("Compromise Date", 0x420020),
    ("Compromise Occurrence Date", 0x420021),
    ("Constraint", 0x420169),
    ("Constraints", 0x420168),
    ("Contact Information", 0x420022),
    ("Correlation Value", 0x4200D6),
    ("Counter Length", 0x4200D0),
    ("Credential", 0x420023),
    ("Credential Type", 0x420024),
    ("Credential Value", 0x420025),
    ("Criticality Indicator", 0x420026),
    ("Cryptographic Algorithm", 0x420028),
    ("Cryptographic Domain Parameters", 0x420029),
    ("Cryptographic Length", 0x42002A),
    ("Cryptographic Parameters", 0x42002B),
    ("Cryptographic Usage Mask", 0x42002C),
    ("Current Attribute", 0x42013C),
    ("Custom Attribute", 0x42002D),
    ("D", 0x42002E),
    ("DRBG Algorithm", 0x4200DB),
    ("Data", 0x4200C2),
    ("Data Length", 0x4200C4),
    ("Deactivation Date", 0x42002F),
    ("Defaults Information", 0x420152),
    ("Derivation Data", 0x420030),
    ("Derivation Method", 0x420031),
    ("Derivation Parameters", 0x420032),
    ("Description", 0x4200FC),
    ("Destroy Action", 0x4200F3),
    ("Destroy Date", 0x420033),
    ("Device Identifier", 0x4200A2),
    ("Device Serial Number", 0x4200B0),
    ("Digest", 0x420034),
    ("Digest Value", 0x420035),
    ("Digested Data", 0x420107),
    ("Digital Signature Algorithm", 0x4200AE),
    ("Encoding Option", 0x4200A3),
    ("Encryption Key Information", 0x420036),
    ("Endpoint Role", 0x420151),
    ("Ephemeral", 0x420154),
    ("Extension Attribute", 0x42012A),
    ("Extension Description", 0x42012C),
    ("Extension Enumeration", 0x420129),
    ("Extension Information", 0x4200A4),
    ("Extension Name", 0x4200A5),
    ("Extension Parent Structure Tag", 0x42012B),
    ("Extension Tag", 0x4200A6),
    ("Extension Type", 0x4200A7),
    ("Extractable", 0x420122),
    ("FIPS186 Variation", 0x4200DC),
    ("Final Indicator", 0x4200D8),
    ("Fixed Field Length", 0x4200CF),
    ("Fresh", 0x4200A8),
    ("G", 0x420037),
    ("Hashed Password", 0x420157),
    ("Hashing Algorithm", 0x420038),
    ("IV Length", 0x4200CD),
    ("IV/Counter/Nonce", 0x42003D),
    ("Init Indicator", 0x4200D7),
    ("Initial Counter Value", 0x4200D1),
    ("Initial Date", 0x420039),
    ("Initialization Vector", 0x42003A),
    ("Interop Function", 0x420160),
    ("Interop Identifier", 0x420161),
    ("Invocation Field Length", 0x4200D2),
    ("Issuer", 0x42003B),
    ("Issuer Alternative Name", 0x4200B1),
    ("Issuer Distinguished Name", 0x4200B2),
    ("Iteration Count", 0x42003C),
    ("J", 0x42003E),
    ("Key", 0x42003F),
    ("Key Block", 0x420040),
    ("Key Compression Type", 0x420041),
    ("Key Format Type", 0x420042),
    ("Key Material", 0x420043),
    ("Key Part Identifier", 0x420044),
    ("Key Role Type", 0x420083),
    ("Key Value", 0x420045),
    ("Key Value Location", 0x4200B8),
    ("Key Value Location Type", 0x4200BA),
    ("Key Value Location Value", 0x4200B9),
    ("Key Value Present", 0x4200BB),
    ("Key Wrap Type", 0x4200F8),
    ("Key Wrapping Data", 0x420046),
    ("Key Wrapping Specification", 0x420047),
    ("Last Change Date", 0x420048),
    ("Lease Time", 0x420049),
    ("Link", 0x42004A),
    ("Link Type", 0x42004B),
    ("Linked Object Identifier", 0x42004C),
    ("Located Items", 0x4200D5),
    ("Log Message", 0x420141),
    ("MAC Data", 0x4200C6),
    ("MAC/Signature", 0x42004D),
    ("MAC/Signature Key Information", 0x42004E),
    ("Machine Identifier", 0x4200A9),
    ("Mask Generator", 0x420101),
    ("Mask Generator Hashing Algorithm", 0x420102),
    ("Maximum Items", 0x42004F),
    ("Maximum Response Size", 0x420050),
    ("Media Identifier", 0x4200AA),
    ("Message Extension", 0x420051),
    ("Modulus", 0x420052),
    ("NIST Key Type", 0x42013A),
    ("Name", 0x420053),
    ("Name Type", 0x420054),
    ("Name Value", 0x420055),
    ("Network Identifier", 0x4200AB),
    ("Never Extractable", 0x420123),
    ("New Attribute", 0x42013D),
    ("Nonce", 0x4200C8),
    ("Nonce ID", 0x4200C9),
    ("Nonce Value", 0x4200CA),
    ("Object Defaults", 0x420153),
    ("Object Group", 0x420056),
    ("Object Group Member", 0x4200AC),
    ("Object Groups", 0x420166),
    ("Object Type", 0x420057),
    ("Object Types", 0x420167),
    ("Objects", 0x42014E),
    ("Offset", 0x420058),
    ("Offset Items", 0x4200D4),
    ("One Time Password", 0x420156),
    ("Opaque Data Type", 0x420059),
    ("Opaque Data Value", 0x42005A),
    ("Opaque Object", 0x42005B),
    ("Operation", 0x42005C),
    ("Operation Policy Name", 0x42005D),
    ("Operations", 0x42014F),
    ("Original Creation Date", 0x4200BC),
    ("P", 0x42005E),
    ("P Source", 0x420103),
    ("PGP Key", 0x4200BD),
    ("PGP Key Version", 0x4200BE),
    ("PKCS#11 Function", 0x42015A),
    ("PKCS#11 Input Parameters", 0x42015B),
    ("PKCS#11 Interface", 0x420159),
    ("PKCS#11 Output Parameters", 0x42015C),
    ("PKCS#11 Return Code", 0x42015D),
    ("PKCS#12 Friendly Name", 0x4200FB),
    ("Padding Method", 0x42005F),
    ("Password", 0x4200A1),
    ("Prediction Resistance", 0x4200DD),
    ("Prime Exponent P", 0x420060),
    ("Prime Exponent Q", 0x420061),
    ("Prime Field Size", 0x420062),
    ("Private Exponent", 0x420063),
    ("Private Key", 0x420064),
    ("Private Key Attributes", 0x420127),
    ("Private Key Template-Attribute", 0x420065),
    ("Private Key Unique Identifier", 0x420066),
    ("Private Protection Storage Masks", 0x420164),
    ("Process Start Date", 0x420067),
    ("Processing Stage", 0x420175),
    ("Product Name", 0x420131),
    ("Profile Information", 0x4200EB),
    ("Profile Name", 0x4200EC),
    ("Profile Version", 0x420142),
    ("Profile Version Major", 0x420143),
    ("Profile Version Minor", 0x420144),
    ("Protect Stop Date", 0x420068),
    ("Protection Level", 0x420145),
    ("Protection Period", 0x420146),
    ("Protection Storage Mask", 0x42015E),
    ("Protection Storage Masks", 0x42015F),
    ("Protocol Version", 0x420069),
    ("Protocol Version Major", 0x42006A),
    ("Protocol Version Minor", 0x42006B),
    ("Public Exponent", 0x42006C),
    ("Public Key", 0x42006D),
    ("Public Key Attributes", 0x420128),
    ("Public Key Template-Attribute", 0x42006E),
    ("Public Key Unique Identifier", 0x42006F),
    ("Public Protection Storage Masks", 0x420165),
    ("Put Function", 0x420070),
    ("Q", 0x420071),
    ("Q String", 0x420072),
    ("Qlength", 0x420073),
    ("Quantum Safe", 0x420147),
    ("Quantum Safe Capability", 0x420148),
    ("Query Function", 0x420074),
    ("RNG Algorithm", 0x4200DA),
    ("RNG Mode", 0x4200F5),
    ("RNG Parameters", 0x4200D9),
    ("Random IV", 0x4200C5),
    ("Random Number Generator", 0x4200DE),
    ("Recommended Curve", 0x420075),
    ("Replace Existing", 0x420124),
    ("Replaced Unique Identifier", 0x420076),
    ("Request Count", 0x42014C),
    ("Request Header", 0x420077),
    ("Request Message", 0x420078),
    ("Request Payload", 0x420079),
    ("Reserved", 0x420137),
    ("Response Header", 0x42007A),
    ("Response Message", 0x42007B),
    ("Response Payload", 0x42007C),
    ("Result Message", 0x42007D),
    ("Result Reason", 0x42007E),
    ("Result Status", 0x42007F),
    ("Revocation Message", 0x420080),
    ("Revocation Reason", 0x420081),
    ("Revocation Reason Code", 0x420082),
    ("Right", 0x420150),
    ("Rights", 0x42014D),
    ("Rotate Automatic", 0x42016B),
    ("Rotate Date", 0x42016D),
    ("Rotate Generation", 0x42016E),
    ("Rotate Interval", 0x42016A),
    ("Rotate Latest", 0x420172),
    ("Rotate Name", 0x42016F),
    ("Rotate Name Type", 0x420171),
    ("Rotate Name Value", 0x420170),
    ("Rotate Offset", 0x42016C),
    ("Salt", 0x420084),
    ("Salt Length", 0x420100),
    ("Secret Data", 0x420085),
    ("Secret Data Type", 0x420086),
    ("Sensitive", 0x420120),
    ("SerialNumber", 0x420087),
    ("Server Correlation Value", 0x420106),
    ("Server Hashed Password", 0x420155),
    ("Server Information", 0x420088),
    ("Server Load", 0x420130),
    ("Server Name", 0x42012D),
    ("Server Port", 0x4200EE),
    ("Server Serial Number", 0x42012E),
    ("Server URI", 0x4200ED),
    ("Server Version", 0x42012F),
    ("Short Unique Identifier", 0x420136),
    ("Shredding Algorithm", 0x4200F4),
    ("Signature Data", 0x4200C3),
    ("Split Key", 0x420089),
    ("Split Key Method", 0x42008A),
    ("Split Key Parts", 0x42008B),
    ("Split Key Threshold", 0x42008C),
    ("State", 0x42008D),
    ("Storage Status Mask", 0x42008E),
    ("Streaming Capability", 0x4200EF),
    ("Subject Alternative Name", 0x4200B3),
    ("Subject Distinguished Name", 0x4200B4),
    ("Submission Date", 0x420174),
    ("Symmetric Key", 0x42008F),
    ("Tag", 0x420138),
    ("Tag Length", 0x4200CE),
    ("Template", 0x420090),
    ("Template-Attribute", 0x420091),
    ("Ticket", 0x420149),
    ("Ticket Type", 0x42014A),
    ("Ticket Value", 0x42014B),
    ("Time Stamp", 0x420092),
    ("Trailer Field", 0x420104),
    ("Unique Batch Item ID", 0x420093),
    ("Unique Identifier", 0x420094),
    ("Unwrap Mode", 0x4200F2),
    ("Usage Limits", 0x420095),
    ("Usage Limits Count", 0x420096),
    ("Usage Limits Total", 0x420097),
    ("Usage Limits Unit", 0x420098),
    ("Username", 0x420099),
    ("Validation Authority Country", 0x4200E1),
    ("Validation Authority Type", 0x4200E0),
    ("Validation Authority URI", 0x4200E2),
    ("Validation Certificate Identifier", 0x4200E7),
    ("Validation Certificate URI", 0x4200E8),
    ("Validation Information", 0x4200DF),
    ("Validation Level", 0x4200E6),
    ("Validation Profile", 0x4200EA),
    ("Validation Type", 0x4200E5),
    ("Validation Vendor URI", 0x4200E9),
    ("Validation Version Major", 0x4200E3),
    ("Validation Version Minor", 0x4200E4),
    ("Validity Date", 0x42009A),
    ("Validity Indicator", 0x42009B),
    ("Vendor Extension", 0x42009C),
    ("Vendor Identification", 0x42009D),
    ("Wrapping Method", 0x42009E),
    ("X", 0x42009F),
    ("X.509 Certificate Identifier", 0x4200B5),
    ("X.509 Certificate Issuer", 0x4200B6),
    ("X.509 Certificate Subject", 0x4200B7),
    ("Y", 0x4200A0),
];

/// KMIP operations as the JSON profile names their payload structures:
/// (Operation value, request name, response name), sorted by value.
pub(crate) static OPERATIONS: &[(u32, &str, &str)] = &[
    (0x01, "Create", "CreateResponse"),
    (0x02, "CreateKeyPair", "CreateKeyPairResponse"),
    (0x03, "Register", "RegisterResponse"),
    (0x04, "ReKey", "ReKeyResponse"),
    (0x05, "DeriveKey", "DeriveKeyResponse"),
    (0x06, "Certify", "CertifyResponse"),
    (0x07, "ReCertify", "ReCertifyResponse"),
    (0x08, "Locate", "LocateResponse"),
    (0x09, "Check", "CheckResponse"),
    (0x0A, "Get", "GetResponse"),
    (0x0B, "GetAttributes", "GetAttributesResponse"),
    (0x0C, "GetAttributeList", "GetAttributeListResponse"),
    (0x0D, "AddAttribute", "AddAttributeResponse"),
    (0x0E, "ModifyAttribute", "ModifyAttributeResponse"),
    (0x0F, "DeleteAttribute", "DeleteAttributeResponse"),
    (0x10, "ObtainLease", "ObtainLeaseResponse"),
    (0x11, "GetUsageAllocation", "GetUsageAllocationResponse"),
    (0x12, "Activate", "ActivateResponse"),
    (0x13, "Revoke", "RevokeResponse"),
    (0x14, "Destroy", "DestroyResponse"),
    (0x15, "Archive", "ArchiveResponse"),
    (0x16, "Recover", "RecoverResponse"),
    (0x17, "Validate", "ValidateResponse"),
    (0x18, "Query", "QueryResponse"),
    (0x19, "Cancel", "CancelResponse"),
    (0x1A, "Poll", "PollResponse"),
    (0x1B, "Notify", "NotifyResponse"),
    (0x1C, "Put", "PutResponse"),
    (0x1D, "ReKeyKeyPair", "ReKeyKeyPairResponse"),
    (0x1E, "DiscoverVersions", "DiscoverVersionsResponse"),
    (0x1F, "Encrypt", "EncryptResponse"),
    (0x20, "Decrypt", "DecryptResponse"),
    (0x21, "Sign", "SignResponse"),
    (0x22, "SignatureVerify", "SignatureVerifyResponse"),
    (0x23, "MAC", "MACResponse"),
    (0x24, "MACVerify", "MACVerifyResponse"),
    (0x25, "RNGRetrieve", "RNGRetrieveResponse"),
    (0x26, "RNGSeed", "RNGSeedResponse"),
    (0x27, "Hash", "HashResponse"),
    (0x28, "CreateSplitKey", "CreateSplitKeyResponse"),
    (0x29, "JoinSplitKey", "JoinSplitKeyResponse"),
    (0x2A, "Import", "ImportResponse"),
    (0x2B, "Export", "ExportResponse"),
    (0x2C, "Log", "LogResponse"),
    (0x2D, "Login", "LoginResponse"),
    (0x2E, "Logout", "LogoutResponse"),
    (0x2F, "DelegatedLogin", "DelegatedLoginResponse"),
    (0x30, "AdjustAttribute", "AdjustAttributeResponse"),
    (0x31, "SetAttribute", "SetAttributeResponse"),
    (0x32, "SetEndpointRole", "SetEndpointRoleResponse"),
    (0x33, "PKCS_11", "PKCS_11Response"),
    (0x34, "Interop", "InteropResponse"),
    (0x35, "ReProvision", "ReProvisionResponse"),
    (0x36, "SetDefaults", "SetDefaultsResponse"),
    (0x37, "SetConstraints", "SetConstraintsResponse"),
    (0x38, "GetConstraints", "GetConstraintsResponse"),
    (
        0x39,
        "QueryAsynchronousRequests",
        "QueryAsynchronousRequestsResponse",
    ),
    (0x3A, "Process", "ProcessResponse"),
    (0x3B, "Ping", "PingResponse"),
];
