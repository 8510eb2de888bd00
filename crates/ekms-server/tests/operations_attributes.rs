//! End to end over `POST /kmip/2_1`: GetAttributes, GetAttributeList, AddAttribute,
//! SetAttribute, ModifyAttribute, DeleteAttribute and Locate with its filters, and their
//! failures.

// Test code: a broken expectation panics with its message. The workspace denies unwrap and
// expect in shipped code only (clippy.toml exempts `#[test]` functions, not their helpers).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod operations_common;
mod support;

use operations_common::*;
use serde_json::{Value, json};
use support::*;

fn vendor(name: &str, value: &str) -> Value {
    st(
        "Attribute",
        vec![
            text("VendorIdentification", "acme"),
            text("AttributeName", name),
            text("AttributeValue", value),
        ],
    )
}

fn app_info(ns: &str, data: &str) -> Value {
    st(
        "ApplicationSpecificInformation",
        vec![
            text("ApplicationNamespace", ns),
            text("ApplicationData", data),
        ],
    )
}

fn with_uid(name: &str, uid: &str, rest: Vec<Value>) -> Value {
    let mut v = vec![text("UniqueIdentifier", uid)];
    v.extend(rest);
    op(name, v)
}

#[tokio::test]
async fn get_attributes_and_attribute_list() {
    let (_tmp, s, secret) = server().await;
    let uid = uid_of(
        &s.ok(
            &secret,
            create(
                "AES",
                256,
                vec![
                    name("first"),
                    name("second"),
                    text("ObjectGroup", "team-a"),
                    app_info("ssl", "www.example.com"),
                    vendor("colour", "blue"),
                    mask(ENCRYPT | DECRYPT),
                ],
            ),
        )
        .await,
    );
    let all = attrs_of(&s.ok(&secret, uid_op("GetAttributes", &uid)).await);
    for t in [
        "UniqueIdentifier",
        "ObjectType",
        "CryptographicAlgorithm",
        "CryptographicLength",
        "CryptographicUsageMask",
        "State",
        "InitialDate",
        "LastChangeDate",
        "ObjectGroup",
        "ApplicationSpecificInformation",
        "Attribute",
    ] {
        assert!(all.iter().any(|a| a["tag"] == t), "{t} in {all:?}");
    }
    assert_eq!(all.iter().filter(|a| a["tag"] == "Name").count(), 2);

    // Only what is asked, by reference.
    let some = attrs_of(
        &s.ok(
            &secret,
            with_uid(
                "GetAttributes",
                &uid,
                vec![
                    e("AttributeReference", "CryptographicLength"),
                    e("AttributeReference", "Name"),
                ],
            ),
        )
        .await,
    );
    assert_eq!(some.len(), 3, "{some:?}");
    assert!(
        some.iter()
            .all(|a| a["tag"] == "Name" || a["tag"] == "CryptographicLength")
    );

    // The list names every attribute once, vendor attributes by vendor and name.
    let list = s.ok(&secret, uid_op("GetAttributeList", &uid)).await;
    let refs: Vec<&Value> = list
        .iter()
        .filter(|i| i["tag"] == "AttributeReference")
        .collect();
    assert!(refs.iter().any(|r| r["value"] == "Name"));
    assert!(refs.iter().any(|r| r["value"] == "CryptographicAlgorithm"));
    assert_eq!(refs.iter().filter(|r| r["value"] == "Name").count(), 1);
    assert!(refs.iter().any(|r| {
        r["type"] == "Structure"
            && r["value"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["value"] == "colour")
    }));

    fails_with(
        &s,
        &secret,
        uid_op("GetAttributes", "nope"),
        "ObjectNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        uid_op("GetAttributeList", "nope"),
        "ObjectNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "GetAttributes",
            &uid,
            vec![text("AttributeReference", "NoSuchThing")],
        ),
        "InvalidField",
    )
    .await;
}

#[tokio::test]
async fn add_set_modify_delete_attributes() {
    let (_tmp, s, secret) = server().await;
    let uid = uid_of(&s.ok(&secret, create("AES", 128, vec![name("one")])).await);
    let names = |resp: &[Value]| -> Vec<String> {
        attrs_of(resp)
            .iter()
            .filter(|a| a["tag"] == "Name")
            .map(|a| items(&a["value"])[0]["value"].as_str().unwrap().to_string())
            .collect()
    };
    let get = || with_uid("GetAttributes", &uid, vec![]);

    // Add: a second name, an object group, a description.
    for a in [
        name("two"),
        text("ObjectGroup", "g1"),
        text("Description", "a key"),
    ] {
        s.ok(
            &secret,
            with_uid("AddAttribute", &uid, vec![st("NewAttribute", vec![a])]),
        )
        .await;
    }
    assert_eq!(names(&s.ok(&secret, get()).await), ["one", "two"]);
    // A single-valued attribute cannot be added twice; server attributes not at all.
    fails_with(
        &s,
        &secret,
        with_uid(
            "AddAttribute",
            &uid,
            vec![st("NewAttribute", vec![text("Description", "again")])],
        ),
        "AttributeSingleValued",
    )
    .await;
    for a in [
        e("State", "Active"),
        dt("InitialDate", 1),
        i("CryptographicLength", 256),
        mask(0xFFFF),
    ] {
        fails_with(
            &s,
            &secret,
            with_uid("AddAttribute", &uid, vec![st("NewAttribute", vec![a])]),
            "AttributeReadOnly",
        )
        .await;
    }

    // Set: replaces a single-valued attribute; not for multi-valued ones.
    s.ok(
        &secret,
        with_uid(
            "SetAttribute",
            &uid,
            vec![st("NewAttribute", vec![text("Description", "better")])],
        ),
    )
    .await;
    let a = attrs_of(&s.ok(&secret, get()).await);
    assert_eq!(field(&a, "Description"), "better");
    fails_with(
        &s,
        &secret,
        with_uid(
            "SetAttribute",
            &uid,
            vec![st("NewAttribute", vec![name("x")])],
        ),
        "MultiValuedAttribute",
    )
    .await;

    // Modify: the instance named by CurrentAttribute.
    s.ok(
        &secret,
        with_uid(
            "ModifyAttribute",
            &uid,
            vec![
                st("CurrentAttribute", vec![name("two")]),
                st("NewAttribute", vec![name("deux")]),
            ],
        ),
    )
    .await;
    assert_eq!(names(&s.ok(&secret, get()).await), ["one", "deux"]);
    fails_with(
        &s,
        &secret,
        with_uid(
            "ModifyAttribute",
            &uid,
            vec![
                st("CurrentAttribute", vec![name("absent")]),
                st("NewAttribute", vec![name("x")]),
            ],
        ),
        "AttributeInstanceNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "ModifyAttribute",
            &uid,
            vec![st("NewAttribute", vec![text("Comment", "none yet")])],
        ),
        "AttributeNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "ModifyAttribute",
            &uid,
            vec![
                st("CurrentAttribute", vec![name("one")]),
                st("NewAttribute", vec![text("ObjectGroup", "x")]),
            ],
        ),
        "InvalidField",
    )
    .await;

    // Delete: one instance, then every instance by reference.
    s.ok(
        &secret,
        with_uid(
            "DeleteAttribute",
            &uid,
            vec![st("CurrentAttribute", vec![name("one")])],
        ),
    )
    .await;
    assert_eq!(names(&s.ok(&secret, get()).await), ["deux"]);
    s.ok(
        &secret,
        with_uid(
            "DeleteAttribute",
            &uid,
            vec![e("AttributeReference", "Name")],
        ),
    )
    .await;
    assert!(names(&s.ok(&secret, get()).await).is_empty());
    fails_with(
        &s,
        &secret,
        with_uid(
            "DeleteAttribute",
            &uid,
            vec![e("AttributeReference", "Comment")],
        ),
        "AttributeNotFound",
    )
    .await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "DeleteAttribute",
            &uid,
            vec![e("AttributeReference", "InitialDate")],
        ),
        "AttributeReadOnly",
    )
    .await;

    // Dates follow the lifecycle: the Activation Date may be set while PreActive (which
    // activates the key when it passes), never once Active.
    s.ok(
        &secret,
        with_uid(
            "SetAttribute",
            &uid,
            vec![st("NewAttribute", vec![active_now()])],
        ),
    )
    .await;
    let a = attrs_of(&s.ok(&secret, get()).await);
    assert_eq!(field(&a, "State"), "Active");
    fails_with(
        &s,
        &secret,
        with_uid(
            "SetAttribute",
            &uid,
            vec![st("NewAttribute", vec![dt("ActivationDate", now() + 100)])],
        ),
        // The object's state forbids the change, as the lifecycle cases answer.
        "WrongKeyLifecycleState",
    )
    .await;

    // Vendor attributes are the client's.
    s.ok(
        &secret,
        with_uid(
            "AddAttribute",
            &uid,
            vec![st("NewAttribute", vec![vendor("team", "blue")])],
        ),
    )
    .await;
    s.ok(
        &secret,
        with_uid(
            "DeleteAttribute",
            &uid,
            vec![st(
                "AttributeReference",
                vec![
                    text("VendorIdentification", "acme"),
                    text("AttributeName", "team"),
                ],
            )],
        ),
    )
    .await;

    // Malformed, unknown object, destroyed object.
    fails_with(
        &s,
        &secret,
        with_uid("AddAttribute", &uid, vec![]),
        "MissingData",
    )
    .await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "AddAttribute",
            &uid,
            vec![st("NewAttribute", vec![i("ObjectGroup", 3)])],
        ),
        "InvalidAttributeValue",
    )
    .await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "AddAttribute",
            "nope",
            vec![st("NewAttribute", vec![name("x")])],
        ),
        "ObjectNotFound",
    )
    .await;
    let gone = uid_of(&s.ok(&secret, create("AES", 128, vec![])).await);
    s.ok(&secret, uid_op("Destroy", &gone)).await;
    fails_with(
        &s,
        &secret,
        with_uid(
            "AddAttribute",
            &gone,
            vec![st("NewAttribute", vec![name("x")])],
        ),
        "WrongKeyLifecycleState",
    )
    .await;
}

#[tokio::test]
async fn locate_filters() {
    let (_tmp, s, secret) = server().await;
    let t0 = now() - 5;
    let a = uid_of(
        &s.ok(
            &secret,
            create(
                "AES",
                256,
                vec![
                    name("shared"),
                    text("ObjectGroup", "g"),
                    mask(ENCRYPT | DECRYPT),
                    app_info("ssl", "a.example"),
                    vendor("tier", "gold"),
                ],
            ),
        )
        .await,
    );
    let b = uid_of(
        &s.ok(
            &secret,
            create(
                "AES",
                128,
                vec![name("shared"), mask(ENCRYPT), active_now()],
            ),
        )
        .await,
    );
    let c = uid_of(
        &s.ok(
            &secret,
            create("HMAC_SHA256", 256, vec![mask(MAC_GENERATE)]),
        )
        .await,
    );
    let gone = uid_of(&s.ok(&secret, create("AES", 256, vec![])).await);
    s.ok(&secret, uid_op("Destroy", &gone)).await;
    let t1 = now() + 5;

    let found = |filters: Vec<Value>| locate(filters, vec![]);
    let check = |resp: Vec<Value>, want: &[&String]| {
        let got = uids(&resp);
        assert_eq!(
            got,
            want.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            "{resp:?}"
        );
    };
    // Everything live, newest first; the destroyed key only when asked for.
    let all = s.ok(&secret, found(vec![])).await;
    check(all.clone(), &[&c, &b, &a]);
    assert_eq!(field(&all, "LocatedItems"), 3);
    check(
        s.ok(&secret, found(vec![e("State", "Destroyed")])).await,
        &[&gone],
    );
    check(s.ok(&secret, found(vec![name("shared")])).await, &[&b, &a]);
    check(
        s.ok(
            &secret,
            found(vec![e("CryptographicAlgorithm", "HMAC_SHA256")]),
        )
        .await,
        &[&c],
    );
    check(
        s.ok(&secret, found(vec![i("CryptographicLength", 128)]))
            .await,
        &[&b],
    );
    check(
        s.ok(&secret, found(vec![e("State", "Active")])).await,
        &[&b],
    );
    check(
        s.ok(&secret, found(vec![text("ObjectGroup", "g")])).await,
        &[&a],
    );
    check(
        s.ok(&secret, found(vec![app_info("ssl", "a.example")]))
            .await,
        &[&a],
    );
    check(
        s.ok(&secret, found(vec![vendor("tier", "gold")])).await,
        &[&a],
    );
    check(
        s.ok(&secret, found(vec![text("UniqueIdentifier", &b)]))
            .await,
        &[&b],
    );
    check(
        s.ok(&secret, found(vec![e("ObjectType", "PublicKey")]))
            .await,
        &[],
    );
    // Usage masks: every requested bit.
    check(s.ok(&secret, found(vec![mask(ENCRYPT)])).await, &[&b, &a]);
    check(
        s.ok(&secret, found(vec![mask(ENCRYPT | DECRYPT)])).await,
        &[&a],
    );
    check(s.ok(&secret, found(vec![mask(SIGN)])).await, &[]);
    // Dates: a range (two values), an exact date (one value).
    check(
        s.ok(
            &secret,
            found(vec![dt("InitialDate", t0), dt("InitialDate", t1)]),
        )
        .await,
        &[&c, &b, &a],
    );
    check(
        s.ok(
            &secret,
            found(vec![
                dt("InitialDate", t0 - 100),
                dt("InitialDate", t0 - 50),
            ]),
        )
        .await,
        &[],
    );
    let initial = field(
        &attrs_of(&s.ok(&secret, uid_op("GetAttributes", &a)).await),
        "InitialDate",
    )
    .clone();
    let exact = s
        .ok(
            &secret,
            found(vec![
                json!({"tag": "InitialDate", "type": "DateTime", "value": initial}),
            ]),
        )
        .await;
    assert!(uids(&exact).contains(&a));
    // Paging.
    let page = s
        .ok(
            &secret,
            locate(vec![], vec![i("MaximumItems", 1), i("OffsetItems", 1)]),
        )
        .await;
    assert_eq!(field(&page, "LocatedItems"), 3);
    check(page, &[&b]);
    check(
        s.ok(&secret, locate(vec![], vec![i("OffsetItems", 7)]))
            .await,
        &[],
    );

    // Bad filters.
    fails_with(
        &s,
        &secret,
        found(vec![
            dt("InitialDate", 1),
            dt("InitialDate", 2),
            dt("InitialDate", 3),
        ]),
        "InvalidField",
    )
    .await;
    fails_with(
        &s,
        &secret,
        found(vec![text("CryptographicLength", "big")]),
        "InvalidField",
    )
    .await;
    fails_with(
        &s,
        &secret,
        locate(vec![], vec![i("MaximumItems", -1)]),
        "InvalidMessage",
    )
    .await;
}
