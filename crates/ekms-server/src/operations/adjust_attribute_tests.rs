//! Adjust Attribute and Set Endpoint Role on a group store: Increment, Decrement and Negate of
//! each numeric type, and what is refused (not a number, set by the server, out of range, the
//! Client role).

use super::adjust_attribute::adjusted;
use super::tests::{create_v1, run, store};
use ekms_kmip::enums::{AdjustmentType, EndpointRole, Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V: ProtocolVersion = ProtocolVersion::V2_1;
use AdjustmentType::{Decrement, Increment, Negate};

fn adjust_payload(uid: &str, reference: Tag, how: AdjustmentType, by: Option<Ttlv>) -> Vec<Ttlv> {
    let mut v = vec![
        Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid),
        Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, reference.0),
        Ttlv::enumeration(Tag::ADJUSTMENT_TYPE, how.as_u32()),
    ];
    v.extend(by);
    v
}

fn adjust(
    s: &SqlCipherStore,
    uid: &str,
    reference: Tag,
    how: AdjustmentType,
    by: Option<Ttlv>,
) -> Result<Ttlv, crate::error::KmipError> {
    run(
        s,
        V,
        Operation::AdjustAttribute,
        adjust_payload(uid, reference, how, by),
    )
}

fn activation_date(s: &SqlCipherStore, uid: &str) -> Option<i64> {
    let p = run(
        s,
        V,
        Operation::GetAttributes,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid)],
    )
    .unwrap();
    p.child(Tag::ATTRIBUTES)?
        .child(Tag::ACTIVATION_DATE)?
        .as_datetime()
}

fn interval(seconds: u32) -> Option<Ttlv> {
    Some(Ttlv::interval(Tag::ADJUSTMENT_VALUE, seconds))
}

#[test]
fn a_date_moves_by_the_adjustment_and_is_stored() {
    let (_d, s) = store();
    let k = create_v1(&s, ProtocolVersion::V1_4, "adjusted");
    let start = 4_102_444_800; // 2100: the key stays pre-active.
    run(
        &s,
        V,
        Operation::SetAttribute,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, &k),
            Ttlv::structure(
                Tag::NEW_ATTRIBUTE,
                vec![Ttlv::datetime(Tag::ACTIVATION_DATE, start)],
            ),
        ],
    )
    .unwrap();
    let r = adjust(&s, &k, Tag::ACTIVATION_DATE, Increment, interval(3600)).unwrap();
    assert_eq!(
        r.child(Tag::UNIQUE_IDENTIFIER).and_then(Ttlv::as_text),
        Some(k.as_str())
    );
    assert_eq!(activation_date(&s, &k), Some(start + 3600));
    adjust(&s, &k, Tag::ACTIVATION_DATE, Decrement, interval(7200)).unwrap();
    assert_eq!(activation_date(&s, &k), Some(start - 3600));

    // A date has no negative, and Increment needs an amount.
    let e = adjust(&s, &k, Tag::ACTIVATION_DATE, Negate, None).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField, "{}", e.message);
    let e = adjust(&s, &k, Tag::ACTIVATION_DATE, Increment, None).unwrap_err();
    assert_eq!(e.reason, ResultReason::MissingData, "{}", e.message);
    let text = Some(Ttlv::text(Tag::ADJUSTMENT_VALUE, "1"));
    let e = adjust(&s, &k, Tag::ACTIVATION_DATE, Increment, text).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidDataType, "{}", e.message);
    // Nothing of the refused requests was stored.
    assert_eq!(activation_date(&s, &k), Some(start - 3600));
}

#[test]
fn server_managed_missing_and_non_numeric_attributes_are_refused() {
    let (_d, s) = store();
    let k = create_v1(&s, ProtocolVersion::V1_4, "fixed");
    let e = adjust(
        &s,
        &k,
        Tag::CRYPTOGRAPHIC_LENGTH,
        Increment,
        Some(Ttlv::integer(Tag::ADJUSTMENT_VALUE, 8)),
    )
    .unwrap_err();
    assert_eq!(e.reason, ResultReason::AttributeReadOnly, "{}", e.message);
    let e = adjust(&s, &k, Tag::DEACTIVATION_DATE, Increment, interval(1)).unwrap_err();
    assert_eq!(e.reason, ResultReason::AttributeNotFound, "{}", e.message);
    let e = adjust(&s, &k, Tag::NAME, Negate, None).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidDataType, "{}", e.message);
    let e = adjust(&s, "no-such-object", Tag::ACTIVATION_DATE, Negate, None).unwrap_err();
    assert_eq!(e.reason, ResultReason::ObjectNotFound, "{}", e.message);
}

#[test]
fn every_numeric_type_adjusts_and_overflow_is_refused() {
    let t = Tag::APPLICATION_DATA; // any tag: the arithmetic reads only the type
    let by = |n: i32| Some(Ttlv::integer(Tag::ADJUSTMENT_VALUE, n));
    let one = |item: Ttlv, how, v: Option<Ttlv>| adjusted(&item, how, v.as_ref());

    let r = one(Ttlv::integer(t, 5), Increment, by(3)).unwrap();
    assert_eq!(r, Ttlv::integer(t, 8));
    let r = one(Ttlv::integer(t, 5), Decrement, by(7)).unwrap();
    assert_eq!(r, Ttlv::integer(t, -2));
    let r = one(Ttlv::integer(t, 5), Negate, None).unwrap();
    assert_eq!(r, Ttlv::integer(t, -5));
    let r = one(Ttlv::long(t, i64::from(i32::MAX)), Increment, by(1)).unwrap();
    assert_eq!(r, Ttlv::long(t, i64::from(i32::MAX) + 1));
    let r = one(Ttlv::interval(t, 10), Decrement, by(4)).unwrap();
    assert_eq!(r, Ttlv::interval(t, 6));
    // Big Integers are two's complement: 0x7F + 1 = 0x0080, and -128 negated is 0x0080.
    let r = one(Ttlv::big_integer(t, vec![0x7F]), Increment, by(1)).unwrap();
    assert_eq!(r.as_big_integer(), Some(&[0x00, 0x80][..]));
    let r = one(Ttlv::big_integer(t, vec![0x80]), Negate, None).unwrap();
    assert_eq!(r.as_big_integer(), Some(&[0x00, 0x80][..]));
    // Date-Time Extended counts microseconds; the amount is in seconds.
    let dte = Ttlv::new(t, ekms_kmip::Value::DateTimeExtended(5));
    let r = one(dte, Increment, by(2)).unwrap();
    assert_eq!(r.value, ekms_kmip::Value::DateTimeExtended(2_000_005));

    // Out of the type's range: refused, never wrapped.
    for (item, how, v) in [
        (Ttlv::integer(t, i32::MAX), Increment, by(1)),
        (Ttlv::integer(t, i32::MIN), Negate, None),
        (Ttlv::long(t, i64::MIN), Decrement, by(1)),
        (Ttlv::interval(t, 3), Decrement, by(4)),
    ] {
        let e = one(item.clone(), how, v).unwrap_err();
        assert_eq!(
            e.reason,
            ResultReason::NumericRange,
            "{item:?}: {}",
            e.message
        );
    }
    // Negate takes no amount; text is no number.
    let e = one(Ttlv::integer(t, 1), Negate, by(1)).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField);
    let e = one(Ttlv::text(t, "7"), Increment, by(1)).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidDataType);
}

#[test]
fn a_custom_attribute_adjusts_its_value() {
    let custom = Ttlv::structure(
        Tag::ATTRIBUTE,
        vec![
            Ttlv::text(Tag::VENDOR_IDENTIFICATION, "x"),
            Ttlv::text(Tag::ATTRIBUTE_NAME, "count"),
            Ttlv::integer(Tag::ATTRIBUTE_VALUE, 41),
        ],
    );
    let by = Ttlv::integer(Tag::ADJUSTMENT_VALUE, 1);
    let r = adjusted(&custom, Increment, Some(&by)).unwrap();
    assert_eq!(
        r.child(Tag::ATTRIBUTE_VALUE).and_then(Ttlv::as_i32),
        Some(42)
    );
    assert_eq!(
        r.child(Tag::ATTRIBUTE_NAME).and_then(Ttlv::as_text),
        Some("count")
    );
}

#[test]
fn the_server_role_is_kept_and_the_client_role_refused() {
    let (_d, s) = store();
    let role = |r: EndpointRole| {
        run(
            &s,
            V,
            Operation::SetEndpointRole,
            vec![Ttlv::enumeration(Tag::ENDPOINT_ROLE, r.as_u32())],
        )
    };
    let p = role(EndpointRole::Server).unwrap();
    assert_eq!(
        p.child(Tag::ENDPOINT_ROLE).and_then(Ttlv::as_enum),
        Some(EndpointRole::Server.as_u32())
    );
    let e = role(EndpointRole::Client).unwrap_err();
    assert_eq!(e.reason, ResultReason::FeatureNotSupported);
    assert!(e.message.contains("Client role"), "{}", e.message);
}
