//! A KMIP XML document's elements kept as read, values unconverted, each with its line: for a
//! reader that replaces placeholders (`$NOW`, `$UNIQUE_IDENTIFIER_0`) before converting, or
//! compares an answer with an expected message field by field. The whole document is held in
//! memory: meant for local files, not for messages from the network ([`super::from_slice`]).

use super::scalar::{self, Bad};
use super::{Open, Sink, fault, walk};
use crate::attributes::attribute_tag;
use crate::error::Error;
use crate::tags::Tag;
use crate::ttlv::{Budget, ItemType, Ttlv, Value};

/// One element of a KMIP XML document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Element {
    /// Its tag.
    pub tag: Tag,
    /// Its type (Structure when the element has no `type`).
    pub item_type: ItemType,
    /// The text of its `value` attribute, unconverted.
    pub value: Option<String>,
    /// The line where it is (1 for the first).
    pub line: usize,
    /// The child elements of a Structure, in order.
    pub children: Vec<Element>,
}

/// The items of an XML document, as [`super::from_slice_all`] finds them, unconverted. Tags and
/// types are checked; values are not.
pub fn elements(b: &[u8]) -> Result<Vec<Element>, Error> {
    let mut sink = Collect::default();
    walk(b, true, &mut sink)?;
    Ok(sink.done)
}

impl Element {
    /// The item, each value converted as [`super::from_slice`] does.
    pub fn to_ttlv(&self) -> Result<Ttlv, Error> {
        self.to_ttlv_with(&mut |_| None)
    }

    /// The item, each scalar's value text first passed to `replace`: when it gives a text,
    /// that text is converted instead (a placeholder's value).
    pub fn to_ttlv_with(
        &self,
        replace: &mut dyn FnMut(&Element) -> Option<String>,
    ) -> Result<Ttlv, Error> {
        let mut path = Vec::new();
        self.convert(self.tag, replace, &mut path)
    }

    /// The value of a scalar element, its enumeration or mask names taken from `names` (see
    /// [`Element::value_names`]); a Structure's is an error.
    pub fn scalar_value(&self, names: Tag) -> Result<Value, Error> {
        let raw = self.value.as_deref().unwrap_or_default();
        let mut budget = Budget::with_total(usize::MAX);
        scalar::parse(self.item_type, raw, names, &mut budget).map_err(|e| match e {
            Bad::Text(reason) => fault(self.line, &[self.tag], reason),
            Bad::Budget(e) => e,
        })
    }

    /// The enumeration or mask table each child's value uses: its own tag's, or for an
    /// `AttributeValue` the attribute named by the `AttributeName` before it.
    pub fn value_names(&self) -> Vec<Tag> {
        let mut named = None;
        self.children
            .iter()
            .map(|c| {
                let n = match (c.tag, named) {
                    (Tag::ATTRIBUTE_VALUE, Some(n)) => n,
                    _ => c.tag,
                };
                if c.tag == Tag::ATTRIBUTE_NAME {
                    named = c.value.as_deref().and_then(attribute_tag);
                }
                n
            })
            .collect()
    }

    fn convert(
        &self,
        names: Tag,
        replace: &mut dyn FnMut(&Element) -> Option<String>,
        path: &mut Vec<Tag>,
    ) -> Result<Ttlv, Error> {
        path.push(self.tag);
        let value = if self.item_type == ItemType::Structure {
            let mut items = Vec::with_capacity(self.children.len());
            for (c, n) in self.children.iter().zip(self.value_names()) {
                items.push(c.convert(n, replace, path)?);
            }
            Value::Structure(items)
        } else {
            let replaced = replace(self);
            let raw = replaced
                .as_deref()
                .or(self.value.as_deref())
                .unwrap_or_default();
            let mut budget = Budget::with_total(usize::MAX);
            scalar::parse(self.item_type, raw, names, &mut budget).map_err(|e| match e {
                Bad::Text(reason) => fault(self.line, path, reason),
                Bad::Budget(e) => e,
            })?
        };
        path.pop();
        Ok(Ttlv {
            tag: self.tag,
            value,
        })
    }
}

/// Collects the elements of a walk.
#[derive(Default)]
struct Collect {
    open: Vec<Option<Element>>,
    done: Vec<Element>,
}

impl Sink for Collect {
    fn open(&mut self, o: Open<'_>) -> Result<(), Bad> {
        if let Some(Some(p)) = self.open.last()
            && p.item_type != ItemType::Structure
        {
            return Err("a scalar element cannot hold elements".into());
        }
        let Some(tag) = o.tag else {
            // A container root.
            self.open.push(None);
            return Ok(());
        };
        if o.ty == ItemType::Structure && o.value.is_some() {
            return Err("a Structure has no value attribute".into());
        }
        if o.ty != ItemType::Structure && o.value.is_none() {
            return Err(format!("a {} needs a value attribute", o.ty.name()).into());
        }
        self.open.push(Some(Element {
            tag,
            item_type: o.ty,
            value: o.value.map(|v| v.into_owned()),
            line: o.line,
            children: Vec::new(),
        }));
        Ok(())
    }

    fn close(&mut self) -> Result<(), Bad> {
        let Some(e) = self.open.pop() else {
            return Err("an end tag without a start".into());
        };
        let Some(e) = e else {
            return Ok(());
        };
        match self.open.last_mut() {
            Some(Some(p)) => p.children.push(e),
            _ => self.done.push(e),
        }
        Ok(())
    }
}
