//! Unit tests of the rights decision.

use super::*;
use ekms_store::{ObjectStoreExt, SqlCipherStore};

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
        parsed: Default::default(),
    }
}

fn decide(s: &SqlCipherStore, user: &str, o: Option<&StoredObject>, r: Right) -> bool {
    s.transact(|tx| Ok::<_, StoreError>(check(tx, user, o, r).is_ok()))
        .unwrap()
}

fn grant(s: &SqlCipherStore, uid: &str, user: &str, right: &str, add: bool) {
    s.transact(|tx| {
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
    s.set_meta(ADMIN_META_KEY, "alice").unwrap();
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

/// The rows `| `name` | need |` of docs/access.md's table of needs.
fn documented() -> Vec<(String, String)> {
    include_str!("../../../../docs/access.md")
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().strip_prefix('|')?.split('|').collect();
            let name = cells.first()?.trim().strip_prefix('`')?.strip_suffix('`')?;
            Some((name.to_string(), cells.get(1)?.trim().to_string()))
        })
        .collect()
}

fn coded() -> Vec<(String, String)> {
    OPERATIONS
        .iter()
        .map(|(op, n)| (op.name().to_string(), n.describe()))
        .chain(ROUTES.iter().map(|(r, n)| (r.to_string(), n.describe())))
        .collect()
}

#[test]
fn docs_table_is_the_code_table() {
    let docs = documented();
    let code = coded();
    for row in &code {
        assert!(docs.contains(row), "docs/access.md lacks the row {row:?}");
    }
    for row in &docs {
        assert!(
            code.contains(row),
            "docs/access.md has a row not in the code: {row:?}"
        );
    }
    assert_eq!(
        docs.len(),
        code.len(),
        "a row appears twice in docs/access.md"
    );
}

#[test]
fn every_route_is_in_the_table_and_nothing_else() {
    let src: String = include_str!("../routes/mod.rs")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut routed: Vec<String> = src
        .split(".route(\"")
        .skip(1)
        .filter_map(|rest| {
            let (path, rest) = rest.split_once('"')?;
            let method = rest.strip_prefix(',')?.split_once('(')?.0;
            Some(format!("{} {path}", method.to_ascii_uppercase()))
        })
        .collect();
    let mut table: Vec<String> = ROUTES.iter().map(|(r, _)| r.to_string()).collect();
    routed.sort();
    table.sort();
    assert!(!routed.is_empty());
    assert_eq!(routed, table);
}

#[test]
fn stream_routes_need_what_encrypt_and_decrypt_need() {
    let route = |r: &str| ROUTES.iter().find(|(x, _)| *x == r).map(|(_, n)| *n);
    assert_eq!(route("POST /v1/encrypt/{uid}"), need_of(Operation::Encrypt));
    assert_eq!(route("POST /v1/decrypt/{uid}"), need_of(Operation::Decrypt));
}

#[test]
fn the_rights_of_operations_are_those_of_the_table() {
    // Unchanged from before the table: the checked transaction's right per operation.
    assert_eq!(right_for(Operation::DeriveKey), Some(Right::Get));
    assert_eq!(right_for(Operation::ReKey), Some(Right::Rekey));
    assert_eq!(right_for(Operation::Create), Some(Right::Create));
    assert_eq!(right_for(Operation::Check), Some(Right::GetAttributes));
    assert_eq!(right_for(Operation::SignatureVerify), Some(Right::Verify));
    assert_eq!(right_for(Operation::Query), None);
    assert_eq!(right_for(Operation::Poll), None);
}

#[test]
fn may_manage_owner_and_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
    let k = obj("k", "alice");
    s.transact(|tx| tx.insert(&k)).unwrap();
    let ask = |user: &str, uid: &str| {
        s.transact(|tx| {
            Ok::<_, StoreError>(may_manage(tx, user, uid, Manage::List).map_err(|e| e.reason))
        })
        .unwrap()
    };
    assert_eq!(ask("alice", "k"), Ok(Some("alice".into())));
    assert_eq!(ask("bob", "k"), Err(ResultReason::PermissionDenied));
    assert_eq!(ask("bob", "nope"), Err(ResultReason::ObjectNotFound));
    // No recorded administrator: everyone manages the group rights; the group life has nobody.
    assert_eq!(ask("bob", "*"), Ok(None));
    assert!(!is_group_administrator(&s, "bob").unwrap());
    record_administrator(&s, "alice").unwrap();
    assert_eq!(ask("bob", "*"), Err(ResultReason::PermissionDenied));
    assert_eq!(ask("alice", "*"), Ok(Some("alice".into())));
    assert!(is_group_administrator(&s, "alice").unwrap());
    assert!(!is_group_administrator(&s, "bob").unwrap());
}

/// A savepoint of a checked transaction is checked too, and a refusal in it stands for the
/// whole transaction even when the operation swallows the error it was handed.
#[test]
fn savepoints_of_a_checked_transaction_are_checked() {
    use ekms_store::StoreTxExt;
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
    s.transact(|tx| tx.insert(&obj("k", "alice"))).unwrap();
    let scope = Scope::default();
    scope.begin(Operation::Get, right_for(Operation::Get));
    let read_as = |user: &str| {
        s.transact(|tx| -> Result<bool, KmipError> {
            let mut checked = CheckedTx {
                inner: tx,
                user,
                scope: &scope,
                refusal: None,
            };
            let seen = checked.nested(|tx| tx.get("k")).is_ok_and(|o| o.is_some());
            match checked.refusal.take() {
                Some(e) => Err(e),
                None => Ok(seen),
            }
        })
    };
    assert!(read_as("alice").unwrap());
    assert_eq!(
        read_as("bob").unwrap_err().reason,
        ResultReason::PermissionDenied
    );
}

/// An object a Locate found on the async worker (through the group's read-only connection, a
/// moment before) is read from the cache as it is now, and the caller's right to see it is
/// decided again on that read: without it, the run goes to the blocking pool. Off the worker
/// (one snapshot) the Locate's finding stands.
#[test]
fn a_located_object_read_on_the_worker_is_checked_again() {
    let dir = tempfile::tempdir().unwrap();
    let s = SqlCipherStore::create(&dir.path().join("g.db"), &[1u8; 32], "g").unwrap();
    s.transact(|tx| tx.insert(&obj("k", "alice"))).unwrap();
    grant(&s, "k", "bob", "get", true);
    let scope = Scope::default();
    let read_located = |user: &str| {
        scope.begin(Operation::Locate, right_for(Operation::Locate));
        scope.located.borrow_mut().insert("k".to_string());
        s.transact(|tx| {
            let mut checked = CheckedTx {
                inner: tx,
                user,
                scope: &scope,
                refusal: None,
            };
            checked.get("k").map(|o| o.is_some())
        })
    };
    let on_worker = |user: &str| ekms_store::ticket::without_blocking(|| read_located(user));
    // Off the worker first: the object and its grants enter the cache.
    assert!(read_located("bob").unwrap());
    s.transact(|tx| tx.grants_on("k")).unwrap();
    assert!(on_worker("bob").unwrap().unwrap());
    grant(&s, "k", "bob", "get", false);
    s.transact(|tx| tx.get("k").and_then(|_| tx.grants_on("k")))
        .unwrap();
    assert!(on_worker("alice").unwrap().unwrap(), "the owner sees it");
    assert!(on_worker("bob").is_none(), "refused on the worker");
    // On the blocking pool the Locate's own finding stands (its statement and this read are
    // one snapshot of the writing connection).
    assert!(read_located("bob").unwrap());
}
