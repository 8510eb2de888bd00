//! Archive and Recover (the Archive Date recorded and deleted, the object on-line throughout),
//! Cancel and Poll (a server that runs every operation synchronously has nothing pending).

use super::tests::{create_v1, run, store};
use ekms_kmip::enums::{CancellationResult, Operation, ResultReason};
use ekms_kmip::{ProtocolVersion, Tag, Ttlv};
use ekms_store::SqlCipherStore;

const V21: ProtocolVersion = ProtocolVersion::V2_1;

/// The Archive Date of `id`, as a 2.1 Get Attributes answers it.
fn archive_date(s: &SqlCipherStore, id: &str) -> Option<i64> {
    let r = run(
        s,
        V21,
        Operation::GetAttributes,
        vec![
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, id),
            Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, Tag::ARCHIVE_DATE.0),
        ],
    )
    .unwrap();
    r.child(Tag::ATTRIBUTES)?
        .child(Tag::ARCHIVE_DATE)
        .and_then(Ttlv::as_datetime)
}

/// Runs `op` (KMIP 1.0, which defines all four) on object `id`.
fn on(s: &SqlCipherStore, op: Operation, id: &str) -> Result<Ttlv, crate::error::KmipError> {
    let v = ProtocolVersion::V1_0;
    run(s, v, op, vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, id)])
}

#[test]
fn archive_records_the_date_and_recover_deletes_it_the_object_staying_usable() {
    let (_d, s) = store();
    let id = create_v1(&s, ProtocolVersion::V1_4, "k");
    assert_eq!(archive_date(&s, &id), None);
    let r = on(&s, Operation::Archive, &id).unwrap();
    assert_eq!(
        r.child(Tag::UNIQUE_IDENTIFIER).and_then(Ttlv::as_text),
        Some(id.as_str())
    );
    let first = archive_date(&s, &id).expect("an Archive Date");
    // On-line all along: Get serves it; a second Archive keeps the first date.
    on(&s, Operation::Get, &id).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    on(&s, Operation::Archive, &id).unwrap();
    assert_eq!(archive_date(&s, &id), Some(first));
    on(&s, Operation::Recover, &id).unwrap();
    assert_eq!(archive_date(&s, &id), None);
    // A missing object is refused like any other operation's.
    let e = on(&s, Operation::Archive, "nope").unwrap_err();
    assert_eq!(e.reason, ResultReason::ObjectNotFound);
}

#[test]
fn cancel_finds_nothing_pending_and_poll_nothing_to_answer() {
    let (_d, s) = store();
    let value = Ttlv::bytes(Tag::ASYNCHRONOUS_CORRELATION_VALUE, vec![1, 2, 3]);
    let r = run(&s, V21, Operation::Cancel, vec![value.clone()]).unwrap();
    assert_eq!(r.child(Tag::ASYNCHRONOUS_CORRELATION_VALUE), Some(&value));
    assert_eq!(
        r.child(Tag::CANCELLATION_RESULT).and_then(Ttlv::as_enum),
        Some(CancellationResult::Unavailable.as_u32())
    );
    let e = run(&s, V21, Operation::Poll, vec![value]).unwrap_err();
    assert_eq!(e.reason, ResultReason::ItemNotFound);
    // Both need the correlation value.
    let e = run(&s, V21, Operation::Cancel, vec![]).unwrap_err();
    assert_eq!(e.reason, ResultReason::MissingData);
}
