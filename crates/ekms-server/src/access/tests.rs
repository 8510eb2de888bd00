//! Unit tests of the rights decision.

use super::*;
use ekms_store::{ObjectStore, SqlCipherStore};

fn obj(uid: &str, owner: &str) -> StoredObject {
    StoredObject {
        uid: uid.into(),
        object_type: 2,
        state: 2,
        algorithm: Some(3),
        owner: owner.into(),
        names: vec![],
        attributes: b"{}".to_vec(),
        material: None,
        created_at: 1,
        derived: Default::default(),
    }
}

fn decide(s: &SqlCipherStore, user: &str, o: Option<&StoredObject>, r: Right) -> bool {
    let mut out = None;
    s.transact(&mut |tx| {
        out = Some(check(tx, user, o, r).is_ok());
        Ok(())
    })
    .unwrap();
    out.unwrap()
}

fn grant(s: &SqlCipherStore, uid: &str, user: &str, right: &str, add: bool) {
    s.transact(&mut |tx| {
        let g = Grant {
            uid: uid.into(),
            user: user.into(),
            right: right.into(),
        };
        if add {
            tx.grant(&g)
        } else {
            tx.revoke(&g).map(|_| ())
        }
    })
    .unwrap();
}

#[test]
fn owner_grants_star_and_group_rights() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
    let k = obj("k", "alice");
    for r in ALL.into_iter().filter(|r| !r.is_group()) {
        assert!(decide(&s, "alice", Some(&k), r), "owner holds {r:?}");
        assert!(!decide(&s, "bob", Some(&k), r));
    }
    grant(&s, "k", "bob", "decrypt", true);
    assert!(decide(&s, "bob", Some(&k), Right::Decrypt));
    assert!(!decide(&s, "bob", Some(&k), Right::Encrypt));
    assert!(!decide(&s, "carol", Some(&k), Right::Decrypt));
    grant(&s, "k", "*", "get", true);
    assert!(decide(&s, "carol", Some(&k), Right::Get));
    grant(&s, "k", "bob", "decrypt", false);
    assert!(!decide(&s, "bob", Some(&k), Right::Decrypt));

    // No administrator recorded: every user holds the group rights.
    assert!(decide(&s, "bob", None, Right::Audit));
    s.set_meta("admin", "alice").unwrap();
    assert!(decide(&s, "alice", None, Right::Audit));
    assert!(!decide(&s, "bob", None, Right::Audit));
    // The default grant of create to everyone, until the administrator revokes it.
    assert!(decide(&s, "bob", None, Right::Create));
    grant(&s, "*", "*", "create", false);
    assert!(!decide(&s, "bob", None, Right::Create));
    assert!(decide(&s, "alice", None, Right::Create));
    grant(&s, "*", "bob", "audit", true);
    assert!(decide(&s, "bob", None, Right::Audit));
}

#[test]
fn right_names_round_trip() {
    for r in ALL {
        assert_eq!(Right::parse(r.name()), Some(r));
    }
    assert_eq!(Right::parse("launch"), None);
}
