//! The ID Placeholder of a KMIP batch: the identifier the last successful item of the batch
//! answered (Create, Register, ReKey, DeriveKey, CreateKeyPair's private key, a Locate that
//! found one object), which a later item of the same batch uses when it names no object. This
//! is how a client chains "Create, then Activate, then Get" in one message.

use ekms_kmip::enums::Operation;
use ekms_kmip::message::RequestBatchItem;
use ekms_kmip::{Tag, Ttlv, Value};

/// The ID Placeholder of one batch (empty at its start).
#[derive(Default)]
pub struct IdPlaceholder(Option<String>);

/// Operations on one object, whose Unique Identifier the placeholder may stand for.
fn takes_one_object(op: Operation) -> bool {
    use Operation as O;
    matches!(
        op,
        O::ReKey
            | O::Check
            | O::Get
            | O::GetAttributes
            | O::GetAttributeList
            | O::AddAttribute
            | O::ModifyAttribute
            | O::DeleteAttribute
            | O::SetAttribute
            | O::Activate
            | O::Revoke
            | O::Destroy
            | O::Archive
            | O::Recover
            | O::Encrypt
            | O::Decrypt
            | O::Sign
            | O::SignatureVerify
            | O::Mac
            | O::MacVerify
            | O::Export
            | O::ReCertify
    )
}

impl IdPlaceholder {
    /// Gives `item` the placeholder's identifier when it works on one object and names none.
    pub fn fill(&self, item: &mut RequestBatchItem) {
        let Some(uid) = &self.0 else { return };
        if !item.known_operation().is_some_and(takes_one_object)
            || item.payload.child(Tag::UNIQUE_IDENTIFIER).is_some()
        {
            return;
        }
        if let Value::Structure(fields) = &mut item.payload.value {
            fields.insert(0, Ttlv::text(Tag::UNIQUE_IDENTIFIER, uid.clone()));
        }
    }

    /// Remembers the identifier a successful item answered with its response `fields`.
    pub fn remember(&mut self, fields: &[Ttlv]) {
        let of = |tag: Tag| {
            let mut found = fields.iter().filter(|f| f.tag == tag);
            match (found.next(), found.next()) {
                (Some(one), None) => one.as_text().map(str::to_string),
                _ => None,
            }
        };
        if let Some(uid) =
            of(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER).or_else(|| of(Tag::UNIQUE_IDENTIFIER))
        {
            self.0 = Some(uid);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(op: Operation, fields: Vec<Ttlv>) -> RequestBatchItem {
        RequestBatchItem::new(op, fields)
    }

    fn uid_of(item: &RequestBatchItem) -> Option<&str> {
        item.payload
            .child(Tag::UNIQUE_IDENTIFIER)
            .and_then(Ttlv::as_text)
    }

    #[test]
    fn a_later_item_without_an_identifier_uses_the_last_one_answered() {
        let mut p = IdPlaceholder::default();
        let mut get = item(Operation::Get, vec![]);
        p.fill(&mut get);
        assert_eq!(uid_of(&get), None, "nothing answered yet");

        p.remember(&[Ttlv::text(Tag::UNIQUE_IDENTIFIER, "k1")]);
        p.fill(&mut get);
        assert_eq!(uid_of(&get), Some("k1"));

        // An item that names its object keeps it; one that takes no object gets none.
        let mut named = item(
            Operation::Destroy,
            vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, "other")],
        );
        p.fill(&mut named);
        assert_eq!(uid_of(&named), Some("other"));
        let mut create = item(Operation::Create, vec![]);
        p.fill(&mut create);
        assert_eq!(uid_of(&create), None);

        // A key pair: the private key. A Locate of several objects changes nothing.
        p.remember(&[
            Ttlv::text(Tag::PRIVATE_KEY_UNIQUE_IDENTIFIER, "priv"),
            Ttlv::text(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER, "pub"),
        ]);
        p.remember(&[
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, "a"),
            Ttlv::text(Tag::UNIQUE_IDENTIFIER, "b"),
        ]);
        let mut sign = item(Operation::Sign, vec![Ttlv::bytes(Tag::DATA, vec![1])]);
        p.fill(&mut sign);
        assert_eq!(uid_of(&sign), Some("priv"));
    }
}
