//! Obtain Lease (the Lease Time setting and the Last Change Date, for Active objects only) and
//! Get Usage Allocation (taken from the Usage Limits Count, never beyond it).

use super::conformance_tests::{activate, attribute_value, encrypt, run_on};
use super::tests::{create_v1, store};
use ekms_kmip::enums::{Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv, Value};

const V14: ProtocolVersion = ProtocolVersion::V1_4;

#[test]
fn obtain_lease_answers_the_lease_time_setting_for_active_objects() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    // Pre-Active: no lease.
    let e = run_on(&s, V14, Operation::ObtainLease, &id, vec![]).unwrap_err();
    assert_eq!(
        e.reason,
        ResultReason::WrongKeyLifecycleState,
        "{}",
        e.message
    );
    activate(&s, &id);
    let r = run_on(&s, V14, Operation::ObtainLease, &id, vec![]).unwrap();
    assert_eq!(
        r.child(Tag::UNIQUE_IDENTIFIER).and_then(Ttlv::as_text),
        Some(id.as_str())
    );
    assert_eq!(
        r.child(Tag::LEASE_TIME).map(|t| t.value.clone()),
        Some(Value::Interval(3600))
    );
    let changed = attribute_value(&s, &id, "Last Change Date").map(|t| t.value);
    assert_eq!(
        r.child(Tag::LAST_CHANGE_DATE).map(|t| t.value.clone()),
        changed
    );
    // `--lease-time-seconds 0`: no leases at all.
    let mut ctx = super::tests::context(&s, V14);
    ctx.limits.lease_time_seconds = 0;
    let payload = Ttlv::structure(
        Tag::REQUEST_PAYLOAD,
        vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id.as_str())],
    );
    let e = super::dispatch(&ctx, Operation::ObtainLease, payload).unwrap_err();
    assert_eq!(e.reason, ResultReason::PermissionDenied, "{}", e.message);
}

/// The Usage Limits Count of `id`.
fn count(s: &ekms_store::SqlCipherStore, id: &str) -> Option<Value> {
    attribute_value(s, id, "Usage Limits")?
        .child(Tag::USAGE_LIMITS_COUNT)
        .map(|c| c.value.clone())
}

fn allocate(
    s: &ekms_store::SqlCipherStore,
    id: &str,
    n: i64,
) -> Result<Ttlv, crate::error::KmipError> {
    run_on(
        s,
        V14,
        Operation::GetUsageAllocation,
        id,
        vec![Ttlv::long(Tag::USAGE_LIMITS_COUNT, n)],
    )
}

#[test]
fn get_usage_allocation_takes_from_the_usage_limits_and_never_beyond() {
    let (_d, s) = store();
    let id = create_v1(&s, V14, "k");
    activate(&s, &id);
    // No Usage Limits: nothing to allocate from.
    let e = allocate(&s, &id, 1).unwrap_err();
    assert_eq!(e.reason, ResultReason::IllegalOperation, "{}", e.message);
    super::profile_tests::add_byte_limits(&s, &id, 32);
    let r = allocate(&s, &id, 16).unwrap();
    assert_eq!(
        r.child(Tag::UNIQUE_IDENTIFIER).and_then(Ttlv::as_text),
        Some(id.as_str())
    );
    assert_eq!(count(&s, &id), Some(Value::LongInteger(16)));
    // More than is left, or not a positive count: refused, nothing spent.
    let e = allocate(&s, &id, 17).unwrap_err();
    assert_eq!(e.reason, ResultReason::PermissionDenied, "{}", e.message);
    let e = allocate(&s, &id, 0).unwrap_err();
    assert_eq!(e.reason, ResultReason::InvalidField, "{}", e.message);
    assert_eq!(count(&s, &id), Some(Value::LongInteger(16)));
    // The server's own Encrypt spends what remains, then nothing is left for either.
    let ecb = || super::conformance_tests::block_params(1, None);
    encrypt(&s, &id, ecb(), &[1; 16], None).unwrap();
    let e = allocate(&s, &id, 1).unwrap_err();
    assert_eq!(e.reason, ResultReason::PermissionDenied, "{}", e.message);
}
