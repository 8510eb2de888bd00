//! What the conformance runner does with a case's messages, without any I/O: the placeholders
//! of a request replaced by their values, and an answer compared with the expected Response
//! Message.
//!
//! Placeholders: `$NOW`, `$NOW-N`, `$NOW+N` are the client's clock (plus or minus N seconds);
//! any other `$NAME` (`$UNIQUE_IDENTIFIER_0`, `$IV_COUNTER_NONCE`, …) takes the value found at
//! its first place in an answer, and later places (in requests and answers) must be that value.
//!
//! Comparison: every field the expected message states must be in the answer with the stated
//! type and value, in any order among fields of the same tag; fields the case does not state
//! may be there too. [`VARIABLE`] lists the fields compared by type and presence only, each
//! with its reason; [`NOT_REQUIRED`] the one kind of stated field an answer need not hold, with
//! its reason; a `$NOW` value is compared by type only (the server's clock).

use std::collections::HashMap;

use ekms_kmip::enums::{Operation, PaddingMethod};
use ekms_kmip::json::render;
use ekms_kmip::xml::{Element, value_text};
use ekms_kmip::{ItemType, Tag, Ttlv, Value};

/// A field compared by type and presence only.
pub struct Variable {
    /// Its tag.
    pub tag: Tag,
    /// Only in the answers to this operation (None: in any).
    pub operation: Option<Operation>,
    /// Only in batch items of this kind.
    pub when: When,
    /// Why its value cannot be compared.
    pub reason: &'static str,
}

/// Which batch items a [`Variable`] rule applies to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Any.
    Always,
    /// Those whose object is a key the server generated in this case (Create, Create Key
    /// Pair, Re-key, Re-key Key Pair, Derive Key): values that follow from its random bytes.
    GeneratedKey,
    /// Encrypt answers whose padding (the request's Cryptographic Parameters, else those the
    /// case stated when it made the key) is OAEP or PKCS#1 v1.5: both draw random bytes into
    /// every encryption.
    RandomPadding,
    /// Encrypt answers carrying an IV/Counter/Nonce the request did not state: the server drew
    /// it at random.
    ServerIv,
}

/// The one list of fields whose value follows from random material, the clock or the server's
/// own choice.
pub const VARIABLE: &[Variable] = &[
    Variable {
        tag: Tag::TIME_STAMP,
        operation: None,
        when: When::Always,
        reason: "the server's clock",
    },
    Variable {
        tag: Tag::SERVER_CORRELATION_VALUE,
        operation: None,
        when: When::Always,
        reason: "an identifier of the server's choosing, for its logs",
    },
    Variable {
        tag: Tag::RESULT_MESSAGE,
        operation: None,
        when: When::Always,
        reason: "free text of the server's choosing: KMIP defines no values",
    },
    Variable {
        tag: Tag::DIGEST_VALUE,
        operation: None,
        when: When::Always,
        reason: "the digest of key material, random when the server generated the key",
    },
    Variable {
        tag: Tag::DATA,
        operation: Some(Operation::RngRetrieve),
        when: When::Always,
        reason: "random bytes",
    },
    Variable {
        tag: Tag::VENDOR_IDENTIFICATION,
        operation: Some(Operation::Query),
        when: When::Always,
        reason: "the server's own name",
    },
    Variable {
        tag: Tag::SERVER_INFORMATION,
        operation: Some(Operation::Query),
        when: When::Always,
        reason: "the server's own description",
    },
    Variable {
        tag: Tag::IV_COUNTER_NONCE,
        operation: Some(Operation::Encrypt),
        when: When::Always,
        reason: "an IV the server chose at random",
    },
    Variable {
        tag: Tag::KEY_MATERIAL,
        operation: None,
        when: When::GeneratedKey,
        reason: "the bytes of a key the server generated at random",
    },
    Variable {
        tag: Tag::DATA,
        operation: Some(Operation::Encrypt),
        when: When::GeneratedKey,
        reason: "a ciphertext under a key the server generated at random",
    },
    Variable {
        tag: Tag::DATA,
        operation: Some(Operation::Decrypt),
        when: When::GeneratedKey,
        reason: "a plaintext under a key the server generated at random",
    },
    Variable {
        tag: Tag::RNG_ALGORITHM,
        operation: None,
        when: When::Always,
        reason: "the kind of the server's own random number generator",
    },
    Variable {
        tag: Tag::AUTHENTICATED_ENCRYPTION_TAG,
        operation: Some(Operation::Encrypt),
        when: When::GeneratedKey,
        reason: "the tag of a ciphertext under a key the server generated at random",
    },
    Variable {
        tag: Tag::SIGNATURE_DATA,
        operation: Some(Operation::Sign),
        when: When::GeneratedKey,
        reason: "a signature by a key the server generated at random",
    },
    Variable {
        tag: Tag::MAC_DATA,
        operation: Some(Operation::Mac),
        when: When::GeneratedKey,
        reason: "a MAC under a key the server generated at random",
    },
    Variable {
        tag: Tag::DATA,
        operation: Some(Operation::Encrypt),
        when: When::RandomPadding,
        reason: "a ciphertext with OAEP or PKCS#1 v1.5 padding, random by construction",
    },
    Variable {
        tag: Tag::DATA,
        operation: Some(Operation::Encrypt),
        when: When::ServerIv,
        reason: "a ciphertext under an IV the server drew at random",
    },
    Variable {
        tag: Tag::AUTHENTICATED_ENCRYPTION_TAG,
        operation: Some(Operation::Encrypt),
        when: When::ServerIv,
        reason: "the tag of a ciphertext under an IV the server drew at random",
    },
];

/// Stated fields an answer need not hold: in the answer to `operation`, a `tag` field whose
/// value is one of `values`.
pub struct NotRequired {
    /// Its tag.
    pub tag: Tag,
    /// In the answers to this operation.
    pub operation: Operation,
    /// Its values (enumerations, by name).
    pub values: &'static [Operation],
    /// Why the answer need not hold it (said in docs/kmip.md's table; a test checks every
    /// rule has one).
    #[allow(dead_code)]
    pub reason: &'static str,
}

/// The one list of stated fields an answer may leave out.
pub const NOT_REQUIRED: &[NotRequired] = &[NotRequired {
    tag: Tag::OPERATION,
    operation: Operation::Query,
    values: &[Operation::Notify, Operation::Put],
    reason: "Notify and Put are messages a server sends to its clients; Query lists what the server supports, and a server that never sends them does not support them",
}];

/// Whether the stated field `expected`, missing from an answer in `scope`, may be missing.
fn not_required(expected: &Element, scope: &Scope) -> bool {
    let Some(text) = expected.value.as_deref() else {
        return false;
    };
    let value = Operation::from_name(text).or_else(|| {
        let hex = text.strip_prefix("0x")?;
        Operation::from_u32(u32::from_str_radix(hex, 16).ok()?)
    });
    NOT_REQUIRED.iter().any(|r| {
        r.tag == expected.tag
            && scope.operation == Some(r.operation)
            && value.is_some_and(|v| r.values.contains(&v))
    })
}

/// The paddings that make every encryption random.
const RANDOM_PADDINGS: &[PaddingMethod] = &[PaddingMethod::Oaep, PaddingMethod::Pkcs1V1_5];

/// The operations whose answers name keys the server generated.
const GENERATING: &[Operation] = &[
    Operation::Create,
    Operation::CreateKeyPair,
    Operation::ReKey,
    Operation::ReKeyKeyPair,
    Operation::DeriveKey,
];

/// The operations that make objects from attributes the request states.
const MAKING: &[Operation] = &[
    Operation::Create,
    Operation::CreateKeyPair,
    Operation::Register,
    Operation::ReKey,
    Operation::ReKeyKeyPair,
    Operation::DeriveKey,
];

/// The fields of an answer that name its objects.
const IDENTIFIERS: &[Tag] = &[
    Tag::UNIQUE_IDENTIFIER,
    Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER,
    Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER,
];

/// Where in an answer a field is: the batch item's operation, and whether its object is a key
/// the server generated.
#[derive(Clone, Copy, Default)]
struct Scope {
    operation: Option<Operation>,
    generated_key: bool,
    random_padding: bool,
    server_iv: bool,
}

impl Scope {
    fn holds(&self, when: When) -> bool {
        match when {
            When::Always => true,
            When::GeneratedKey => self.generated_key,
            When::RandomPadding => self.random_padding,
            When::ServerIv => self.server_iv,
        }
    }
}

/// A placeholder of a case.
#[derive(Debug, PartialEq, Eq)]
pub enum Placeholder {
    /// `$NOW` plus this many seconds.
    Now(i64),
    /// Any other `$NAME`.
    Named(String),
}

/// The placeholder a value text is, if any.
pub fn placeholder(text: &str) -> Option<Placeholder> {
    let name = text.trim().strip_prefix('$')?;
    if let Some(rest) = name.strip_prefix("NOW") {
        if rest.is_empty() {
            return Some(Placeholder::Now(0));
        }
        let (sign, digits) = rest.split_at(1);
        let n: i64 = digits.parse().ok()?;
        return match sign {
            "+" => Some(Placeholder::Now(n)),
            "-" => Some(Placeholder::Now(-n)),
            _ => None,
        };
    }
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    ok.then(|| Placeholder::Named(name.to_string()))
}

/// The values of one case's placeholders.
#[derive(Clone, Default)]
pub struct Vars {
    /// The client's clock, Unix seconds.
    pub now: i64,
    /// Named placeholders seen in answers, with their values.
    pub captured: HashMap<String, Value>,
    /// The identifiers of the keys the server generated in this case.
    pub generated: Vec<String>,
    /// The answers received so far, latest last.
    pub answers: Vec<Ttlv>,
    /// The Padding Method each object was made with, when the request that made it stated one.
    pub paddings: HashMap<String, u32>,
    /// The request whose answer is compared next (its placeholders replaced): what it states
    /// decides some fields' rules.
    pub request: Option<Ttlv>,
}

impl Vars {
    /// The text to convert in place of a request element's value, when it is a placeholder
    /// with a value (else the text stays, and an unknown placeholder fails to convert with its
    /// line).
    pub fn substitute(&self, e: &Element) -> Option<String> {
        match placeholder(e.value.as_deref()?)? {
            Placeholder::Now(offset) => {
                let t = self.now.saturating_add(offset);
                let v = match e.item_type {
                    ItemType::DateTimeExtended => {
                        Value::DateTimeExtended(t.saturating_mul(1_000_000))
                    }
                    _ => Value::DateTime(t),
                };
                value_text(&v, e.tag)
            }
            // Enumerations and masks in hex: their names would need the field's table. A name no
            // answer has stated stands for the same field of the latest answer holding one
            // (a MAC the server computed, then verified).
            Placeholder::Named(name) => match self.captured.get(&name) {
                Some(v) => value_text(v, Tag(0)),
                None => self
                    .answers
                    .iter()
                    .rev()
                    .find_map(|a| find(a, e.tag))
                    .and_then(|t| value_text(&t.value, Tag(0))),
            },
        }
    }
}

/// The first item of `tag` in `t`, depth first.
fn find(t: &Ttlv, tag: Tag) -> Option<&Ttlv> {
    if t.tag == tag {
        return Some(t);
    }
    t.items().iter().find_map(|c| find(c, tag))
}

/// The first placeholder of a request that has no value yet, with its line: the case uses a
/// value no earlier answer gave (a TextString would otherwise go to the server as the text).
pub fn unresolved(request: &Element, vars: &Vars) -> Option<(String, usize)> {
    if request.item_type == ItemType::Structure {
        return request.children.iter().find_map(|c| unresolved(c, vars));
    }
    let text = request.value.as_deref()?;
    placeholder(text)?;
    match vars.substitute(request) {
        Some(_) => None,
        None => Some((text.to_string(), request.line)),
    }
}

/// The first difference between an expected message and an answer.
#[derive(Debug, PartialEq, Eq)]
pub struct Difference {
    /// Where, as tags from the root.
    pub path: String,
    /// What the case states.
    pub expected: String,
    /// What the answer holds.
    pub actual: String,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, actual {}",
            self.path, self.expected, self.actual
        )
    }
}

/// Compares `actual` with the expected message `expected`; records the values of named
/// placeholders met for the first time in `vars`.
pub fn compare(expected: &Element, actual: &Ttlv, vars: &mut Vars) -> Result<(), Difference> {
    let mut path = Vec::new();
    let request = vars.request.take();
    let requested: Vec<&Ttlv> = request
        .as_ref()
        .map(|r| r.children(Tag::BATCH_ITEM).collect())
        .unwrap_or_default();
    let scopes: Vec<(&Ttlv, Scope)> = actual
        .children(Tag::BATCH_ITEM)
        .enumerate()
        .map(|(n, item)| {
            let asked = request_item(&requested, n, item);
            (item, batch_item_scope(item, asked, vars))
        })
        .collect();
    let r = compare_item(
        expected,
        expected.tag,
        actual,
        Scope::default(),
        &scopes,
        vars,
        &mut path,
    );
    vars.answers.push(actual.clone());
    r
}

fn shown(v: &Value, names: Tag) -> String {
    match v {
        Value::Structure(_) => "a Structure".into(),
        v => format!(
            "{} {}",
            v.type_name(),
            value_text(v, names).unwrap_or_default()
        ),
    }
}

/// Compares one item; on success `path` is left as it was found.
fn compare_item(
    expected: &Element,
    names: Tag,
    actual: &Ttlv,
    scope: Scope,
    scopes: &[(&Ttlv, Scope)],
    vars: &mut Vars,
    path: &mut Vec<Tag>,
) -> Result<(), Difference> {
    path.push(expected.tag);
    let here = |path: &[Tag], expected: String, actual: String| Difference {
        path: render(path),
        expected,
        actual,
    };
    let variable = VARIABLE.iter().find(|v| {
        v.tag == expected.tag
            && (v.operation.is_none() || v.operation == scope.operation)
            && scope.holds(v.when)
    });
    if actual.value.item_type() != expected.item_type {
        let mut want = format!("a {}", expected.item_type.name());
        if let Some(v) = variable {
            want.push_str(&format!(" (value not compared: {})", v.reason));
        }
        return Err(here(path, want, shown(&actual.value, names)));
    }
    if variable.is_some() {
        path.pop();
        return Ok(());
    }
    if expected.item_type == ItemType::Structure {
        // A batch item's operation and object decide which fields of its payload are
        // variable; the keys a generating operation names are the server's random keys.
        let scope = match expected.tag {
            // A batch item outside a Response Message (a case's fragment) has no request.
            Tag::BATCH_ITEM => match scopes.iter().find(|(item, _)| std::ptr::eq(*item, actual)) {
                Some((_, s)) => *s,
                None => batch_item_scope(actual, None, vars),
            },
            _ => scope,
        };
        let mut used = vec![false; actual.items().len()];
        for (child, n) in expected.children.iter().zip(expected.value_names()) {
            let mut first: Option<Difference> = None;
            let mut found = false;
            for (i, a) in actual.items().iter().enumerate() {
                if used.get(i).copied().unwrap_or(true) || a.tag != child.tag {
                    continue;
                }
                let mut trial = vars.clone();
                let depth = path.len();
                let r = compare_item(child, n, a, scope, scopes, &mut trial, path);
                path.truncate(depth);
                match r {
                    Ok(()) => {
                        *vars = trial;
                        if let Some(u) = used.get_mut(i) {
                            *u = true;
                        }
                        found = true;
                        break;
                    }
                    Err(d) => {
                        first.get_or_insert(d);
                    }
                }
            }
            if !found && not_required(child, &scope) {
                continue;
            }
            if !found {
                let count = actual.items().iter().filter(|a| a.tag == child.tag).count();
                path.push(child.tag);
                let d = match first {
                    // Among several fields of the tag, the first one's difference misleads.
                    Some(_) if count > 1 && child.item_type != ItemType::Structure => here(
                        path,
                        format!(
                            "{} {}",
                            child.item_type.name(),
                            child.value.as_deref().unwrap_or_default()
                        ),
                        format!("none of the {count} in the answer"),
                    ),
                    Some(d) => d,
                    None => here(path, "the field".into(), "none".into()),
                };
                path.pop();
                return Err(d);
            }
        }
        path.pop();
        return Ok(());
    }
    let text = expected.value.as_deref().unwrap_or_default();
    match placeholder(text) {
        Some(Placeholder::Now(_)) => {}
        Some(Placeholder::Named(name)) => match vars.captured.get(&name) {
            Some(v) if *v != actual.value => {
                return Err(here(
                    path,
                    format!("${name} = {}", shown(v, names)),
                    shown(&actual.value, names),
                ));
            }
            Some(_) => {}
            None => {
                vars.captured.insert(name, actual.value.clone());
            }
        },
        None => {
            let want = expected
                .scalar_value(names)
                .map_err(|e| here(path, format!("a valid value ({e})"), String::new()))?;
            if want != actual.value {
                return Err(here(path, shown(&want, names), shown(&actual.value, names)));
            }
        }
    }
    path.pop();
    Ok(())
}

/// The request batch item an answer's `n`th batch item answers: the one of the same Unique
/// Batch Item ID, else the `n`th.
fn request_item<'a>(requested: &[&'a Ttlv], n: usize, answer: &Ttlv) -> Option<&'a Ttlv> {
    match answer.child(Tag::UNIQUE_BATCH_ITEM_ID) {
        Some(id) => requested
            .iter()
            .find(|r| r.child(Tag::UNIQUE_BATCH_ITEM_ID) == Some(id))
            .copied(),
        None => requested.get(n).copied(),
    }
}

/// The scope of an answer's batch item, given the request item it answers; records the keys
/// it says the server generated and the padding the request made its objects with.
fn batch_item_scope(item: &Ttlv, asked: Option<&Ttlv>, vars: &mut Vars) -> Scope {
    let operation = item
        .child(Tag::OPERATION)
        .and_then(Ttlv::as_enum)
        .and_then(Operation::from_u32);
    let payload = item.child(Tag::RESPONSE_PAYLOAD);
    let ids: Vec<String> = payload
        .map(|p| {
            p.items()
                .iter()
                .filter(|t| IDENTIFIERS.contains(&t.tag))
                .filter_map(|t| t.as_text().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let asked = asked.and_then(|r| r.child(Tag::REQUEST_PAYLOAD));
    let padding = asked.and_then(|p| find(p, Tag::PADDING_METHOD).and_then(Ttlv::as_enum));
    if operation.is_some_and(|o| GENERATING.contains(&o)) {
        vars.generated.extend(ids.iter().cloned());
    }
    if let Some(p) = padding.filter(|_| operation.is_some_and(|o| MAKING.contains(&o))) {
        vars.paddings.extend(ids.iter().map(|id| (id.clone(), p)));
    }
    let encrypt = operation == Some(Operation::Encrypt);
    let padding = padding.or_else(|| ids.iter().find_map(|id| vars.paddings.get(id).copied()));
    Scope {
        operation,
        generated_key: ids.iter().any(|id| vars.generated.contains(id)),
        random_padding: encrypt
            && padding
                .and_then(PaddingMethod::from_u32)
                .is_some_and(|p| RANDOM_PADDINGS.contains(&p)),
        server_iv: encrypt
            && asked.is_some_and(|p| p.child(Tag::IV_COUNTER_NONCE).is_none())
            && payload.is_some_and(|p| p.child(Tag::IV_COUNTER_NONCE).is_some()),
    }
}

/// Adds the group secret to a Request Message as a real client does: a Username and Password
/// Credential in the header's Authentication, where the header's field order puts it.
pub fn add_credential(message: &mut Ttlv, credential: Ttlv) {
    let Some(header) = message
        .items_mut()
        .and_then(|items| items.iter_mut().find(|t| t.tag == Tag::REQUEST_HEADER))
    else {
        return;
    };
    let Some(fields) = header.items_mut() else {
        return;
    };
    if fields.iter().any(|t| t.tag == Tag::AUTHENTICATION) {
        return;
    }
    let after = [
        Tag::BATCH_ERROR_CONTINUATION_OPTION,
        Tag::BATCH_ORDER_OPTION,
        Tag::TIME_STAMP,
        Tag::BATCH_COUNT,
    ];
    let at = fields
        .iter()
        .position(|t| after.contains(&t.tag))
        .unwrap_or(fields.len());
    fields.insert(at, Ttlv::structure(Tag::AUTHENTICATION, vec![credential]));
}

#[cfg(test)]
mod tests;
