//! Vectors from the KMIP specification (section 9.1.2 of KMIP 1.x, "Examples"), strictness and
//! hostile-input tests.

use super::*;

const T: Tag = Tag(0x420020);

fn hex(s: &str) -> Vec<u8> {
    let clean: String = s.chars().filter(char::is_ascii_hexdigit).collect();
    hex::decode(clean).unwrap()
}

fn check(t: Ttlv, bytes: &str) {
    let b = hex(bytes);
    assert_eq!(to_vec(&t), b, "encoding of {t:?}");
    assert_eq!(decode(&b), Ok(t));
    let header: [u8; 8] = b[..8].try_into().unwrap();
    assert_eq!(message_length(&header), Ok(b.len()));
}

#[test]
fn specification_examples() {
    check(
        Ttlv::integer(T, 8),
        "42 00 20 | 02 | 00 00 00 04 | 00 00 00 08 00 00 00 00",
    );
    check(
        Ttlv::long(T, 123_456_789_000_000_000),
        "42 00 20 | 03 | 00 00 00 08 | 01 B6 9B 4B A5 74 92 00",
    );
    check(
        Ttlv::big_integer(T, hex("00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00")),
        "42 00 20 | 04 | 00 00 00 10 | 00 00 00 00 03 FD 35 EB 6B C2 DF 46 18 08 00 00",
    );
    check(
        Ttlv::enumeration(T, 255),
        "42 00 20 | 05 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
    );
    check(
        Ttlv::boolean(T, true),
        "42 00 20 | 06 | 00 00 00 08 | 00 00 00 00 00 00 00 01",
    );
    check(
        Ttlv::text(T, "Hello World"),
        "42 00 20 | 07 | 00 00 00 0B | 48 65 6C 6C 6F 20 57 6F 72 6C 64 00 00 00 00 00",
    );
    check(
        Ttlv::bytes(T, vec![1, 2, 3]),
        "42 00 20 | 08 | 00 00 00 03 | 01 02 03 00 00 00 00 00",
    );
    // Friday, March 14, 2008, 11:56:40 GMT
    check(
        Ttlv::datetime(T, 1_205_495_800),
        "42 00 20 | 09 | 00 00 00 08 | 00 00 00 00 47 DA 67 F8",
    );
    check(
        Ttlv::interval(T, 10 * 86_400),
        "42 00 20 | 0A | 00 00 00 04 | 00 0D 2F 00 00 00 00 00",
    );
    check(
        Ttlv::structure(
            T,
            vec![
                Ttlv::enumeration(Tag(0x420004), 254),
                Ttlv::integer(Tag(0x420005), 255),
            ],
        ),
        "42 00 20 | 01 | 00 00 00 20 | 42 00 04 | 05 | 00 00 00 04 | 00 00 00 FE 00 00 00 00 \
         | 42 00 05 | 02 | 00 00 00 04 | 00 00 00 FF 00 00 00 00",
    );
}

#[test]
fn other_types() {
    check(
        Ttlv::boolean(T, false),
        "420020 06 00000008 0000000000000000",
    );
    check(
        Ttlv::new(T, Value::DateTimeExtended(-1)),
        "420020 0B 00000008 FFFFFFFFFFFFFFFF",
    );
    check(Ttlv::integer(T, -1), "420020 02 00000004 FFFFFFFF 00000000");
    check(Ttlv::text(T, ""), "420020 07 00000000");
    check(
        Ttlv::bytes(T, vec![0; 8]),
        "420020 08 00000008 0000000000000000",
    );
    check(Ttlv::structure(T, vec![]), "420020 01 00000000");
    check(
        Ttlv::text(Tag(0x540001), "x"),
        "540001 07 00000001 78 00000000000000",
    );
}

#[test]
fn big_integer_sign_extension() {
    // Shorter than 8 bytes: padded on the left with the sign.
    assert_eq!(
        to_vec(&Ttlv::big_integer(T, vec![0x80])),
        hex("420020 04 00000008 FFFFFFFFFFFFFF80")
    );
    assert_eq!(
        to_vec(&Ttlv::big_integer(T, vec![0x7F])),
        hex("420020 04 00000008 000000000000007F")
    );
    assert_eq!(
        to_vec(&Ttlv::big_integer(T, vec![])),
        hex("420020 04 00000008 0000000000000000")
    );
}

#[test]
fn realistic_request_round_trip() {
    let msg = Ttlv::structure(
        Tag::REQUEST_MESSAGE,
        vec![
            Ttlv::structure(
                Tag::REQUEST_HEADER,
                vec![
                    Ttlv::structure(
                        Tag::PROTOCOL_VERSION,
                        vec![
                            Ttlv::integer(Tag::PROTOCOL_VERSION_MAJOR, 1),
                            Ttlv::integer(Tag::PROTOCOL_VERSION_MINOR, 2),
                        ],
                    ),
                    Ttlv::integer(Tag::BATCH_COUNT, 1),
                ],
            ),
            Ttlv::structure(
                Tag::BATCH_ITEM,
                vec![
                    Ttlv::enumeration(Tag::OPERATION, 1),
                    Ttlv::structure(
                        Tag::REQUEST_PAYLOAD,
                        vec![
                            Ttlv::enumeration(Tag::OBJECT_TYPE, 2),
                            Ttlv::structure(
                                Tag::TEMPLATE_ATTRIBUTE,
                                vec![Ttlv::structure(
                                    Tag::ATTRIBUTE,
                                    vec![
                                        Ttlv::text(Tag::ATTRIBUTE_NAME, "Cryptographic Algorithm"),
                                        Ttlv::enumeration(Tag::ATTRIBUTE_VALUE, 3),
                                    ],
                                )],
                            ),
                        ],
                    ),
                ],
            ),
        ],
    );
    let b = to_vec(&msg);
    assert_eq!(b.len() % 8, 0);
    assert_eq!(decode(&b), Ok(msg.clone()));
    let header: [u8; 8] = b[..8].try_into().unwrap();
    assert_eq!(message_length(&header), Ok(b.len()));
    assert_eq!(
        decode_prefix(&[b.clone(), vec![1, 2, 3]].concat()),
        Ok((msg, b.len()))
    );
}

#[test]
fn pseudo_tags_go_on_the_wire_as_payloads() {
    let t = Ttlv::structure(Tag::operation_request(1), vec![]);
    assert_eq!(to_vec(&t), hex("420079 01 00000000"));
    let t = Ttlv::structure(Tag::operation_response(1), vec![]);
    assert_eq!(to_vec(&t), hex("42007C 01 00000000"));
    assert!(try_to_vec(&Ttlv::integer(Tag(0x123456), 1)).is_err());
}

#[test]
fn strictness() {
    let bad = [
        // Integer with length 8.
        ("420020 02 00000008 0000000000000008", "length"),
        // Integer with non-zero padding.
        ("420020 02 00000004 00000008 00000001", "padding"),
        // Enumeration with length 3.
        ("420020 05 00000003 000000 00000000 00", "length"),
        // Interval with length 8.
        ("420020 0A 00000008 0000000000000001", "length"),
        // Long Integer with length 4.
        ("420020 03 00000004 00000001 00000000", "length"),
        // DateTime with length 16.
        (
            "420020 09 00000010 00000000000000000000000000000000",
            "length",
        ),
        // Boolean of 2.
        ("420020 06 00000008 0000000000000002", "Boolean"),
        // Boolean of length 4.
        ("420020 06 00000004 00000001 00000000", "length"),
        // BigInteger of 4 bytes / of 0 bytes.
        ("420020 04 00000004 00000001 00000000", "length"),
        ("420020 04 00000000", "length"),
        // Text that is not UTF-8.
        ("420020 07 00000002 FFFE 000000000000", "UTF-8"),
        // Text with non-zero padding.
        ("420020 07 00000001 41 01000000000000", "padding"),
        // Byte String with missing padding.
        ("420020 08 00000003 010203", "truncated"),
        // Unknown type byte 0x0C and 0x00.
        ("420020 0C 00000000", "type"),
        ("420020 00 00000000", "type"),
        // Tag outside 0x42/0x54.
        ("430020 02 00000004 00000008 00000000", "tag"),
        // Trailing bytes.
        ("420020 02 00000004 00000008 00000000 00", "trailing"),
        // Structure whose child overruns it.
        (
            "420020 01 00000008 420004 02 00000004 00000001 00000000",
            "truncated",
        ),
        // Structure with a partial child header.
        ("420020 01 00000004 42000402", "truncated"),
    ];
    for (b, what) in bad {
        let r = decode(&hex(b));
        let e = r.expect_err(b).to_string();
        assert!(e.to_lowercase().contains(&what.to_lowercase()), "{b}: {e}");
    }
}

#[test]
fn hostile_inputs() {
    // Truncated headers.
    for n in 0..8 {
        assert!(matches!(
            decode(&vec![0x42; n]),
            Err(Error::Truncated { .. })
        ));
    }
    // Huge declared lengths fail before any allocation.
    assert!(matches!(
        decode(&hex("420020 08 FFFFFFFF 00")),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        decode(&hex("420020 01 FFFFFFF8")),
        Err(Error::Truncated { .. })
    ));
    assert!(matches!(
        decode(&hex("420020 04 FFFFFFF8")),
        Err(Error::Truncated { .. })
    ));
    assert_eq!(
        message_length(&[0x42, 0, 0x20, 0x08, 0xFF, 0xFF, 0xFF, 0xFF]),
        Ok(8 + 0x1_0000_0000)
    );
    assert!(message_length(&[0x42, 0, 0x20, 0x01, 0, 0, 0, 3]).is_err());
    assert!(message_length(&[0x00, 0, 0x20, 0x01, 0, 0, 0, 0]).is_err());
    assert!(message_length(&[0x42, 0, 0x20, 0x0F, 0, 0, 0, 0]).is_err());
    // Deep nesting: exactly MAX_DEPTH is fine, one more is refused.
    let nested = |depth: usize| {
        let mut t = Ttlv::structure(T, vec![]);
        for _ in 1..depth {
            t = Ttlv::structure(T, vec![t]);
        }
        to_vec(&t)
    };
    assert!(decode(&nested(MAX_DEPTH)).is_ok());
    assert!(matches!(
        decode(&nested(MAX_DEPTH + 1)),
        Err(Error::TooDeep { .. })
    ));
    // A forged deep chain of headers with inconsistent lengths.
    let mut b = Vec::new();
    for i in 0..10_000u32 {
        b.extend_from_slice(&[0x42, 0, 0x20, 0x01]);
        b.extend_from_slice(&(0xFFFF_0000 - i * 8).to_be_bytes());
    }
    assert!(decode(&b).is_err());
    // Errors name the place.
    let e = decode(&hex(
        "420001 01 00000010 420094 06 00000008 0000000000000005",
    ))
    .unwrap_err();
    assert!(e.to_string().contains("UniqueIdentifier (0x420094)"), "{e}");
    assert!(e.to_string().contains("offset 8"), "{e}");
}

#[test]
fn too_complex_for_its_size_is_refused() {
    // 64 KiB of empty structures: 8,192 nodes of 40 bytes, 5 times the message.
    let wide = |n: usize| to_vec(&Ttlv::structure(T, vec![Ttlv::structure(T, vec![]); n]));
    let bytes = wide(8191);
    assert!(matches!(decode(&bytes), Err(Error::TooComplex { .. })));
    // The same count of integers (16 bytes each on the wire) is fine.
    let ints = to_vec(&Ttlv::structure(T, vec![Ttlv::integer(T, 1); 8191]));
    assert_eq!(decode(&ints).map(|t| t.items().len()), Ok(8191));
    // A small message is never refused for its shape.
    assert!(decode(&wide(1000)).is_ok());
}
