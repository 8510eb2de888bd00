//! The KMIP XML encoding of TTLV (KMIP Profiles, "XML Encoding"; the `text/xml` message
//! encoding of `POST /kmip` and the form of the OASIS test cases).
//!
//! An item is an element named after its tag (`<UniqueIdentifier …/>`; a tag without a name
//! is `<TTLV tag="0x54XXXX" …/>`, and `0x42XXXX` is accepted wherever a name is) with a `type`
//! attribute (none for a Structure) and a `value` attribute holding the scalar in the forms
//! `xml/scalar.rs` reads and writes; a Structure's children are its child elements, in order.
//! Attributes come in any order; comments, the XML declaration and processing instructions are
//! skipped; text between elements, CDATA and a DOCTYPE are refused (a DOCTYPE could declare
//! entities, which KMIP never needs).
//!
//! This module owns the walk over the text (with [`quick_xml`], the maintained streaming XML
//! reader of the Rust ecosystem, so that well-formedness, escapes and end-tag matching are
//! not hand-written), the decoding into [`Ttlv`] under the decoders' memory bound
//! ([`crate::ttlv::memory_budget`]: counted in a first pass, built in a second with each
//! vector allocated at its size, as the JSON decoder does) and the writer. Every error names
//! the line. `xml/element.rs` keeps a document's elements unconverted, for a reader (the
//! conformance runner) that substitutes placeholders before conversion.

use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

mod element;
mod scalar;

pub use self::element::{Element, elements};
use self::scalar::Bad;
use crate::attributes::attribute_tag;
use crate::error::{Error, clip};
use crate::json::render;
use crate::tags::Tag;
use crate::ttlv::{Budget, ItemType, Ttlv, Value};

/// Deepest nesting of structures accepted (the top-level item is depth 1; a document's root
/// that is not an item does not count).
pub const MAX_DEPTH: usize = crate::json::MAX_DEPTH;

/// Elements open at once at most: [`MAX_DEPTH`] items, a container root and a scalar.
const OPEN_LEVELS: usize = MAX_DEPTH + 2;

/// Parses the XML text of one item (a whole message: `<RequestMessage>…`), bounded in memory
/// like the other decoders.
pub fn from_slice(b: &[u8]) -> Result<Ttlv, Error> {
    let mut items = decode(b, false)?;
    match (items.pop(), items.is_empty()) {
        (Some(t), true) => Ok(t),
        _ => Err(fault(1, &[], "expected one item")),
    }
}

/// Parses an XML document holding items in order: either one item, or a root element of any
/// name (`<KMIP>`) holding them. Bounded like [`from_slice`].
pub fn from_slice_all(b: &[u8]) -> Result<Vec<Ttlv>, Error> {
    decode(b, true)
}

/// The XML text of an item, indented by two spaces per level, one element per line.
pub fn to_string(t: &Ttlv) -> String {
    let mut out = String::new();
    write(t, t.tag, 0, &mut out);
    out
}

/// The XML text of an item, as bytes.
pub fn to_vec(t: &Ttlv) -> Vec<u8> {
    to_string(t).into_bytes()
}

/// The text of a scalar's `value` attribute as the writer gives it (None for a Structure);
/// `names` is the tag whose enumeration or mask names the value.
pub fn value_text(v: &Value, names: Tag) -> Option<String> {
    scalar::format(v, names)
}

fn decode(b: &[u8], document: bool) -> Result<Vec<Ttlv>, Error> {
    let mut count = Build::new(Mode::Count, usize::MAX);
    walk(b, document, &mut count)?;
    let mut build = Build::new(Mode::Build, crate::ttlv::memory_budget(b.len()));
    build.counts = std::mem::take(&mut count.counts);
    drop(count);
    build.budget.take_vec(&build.counts)?;
    // The stacks of the walk, allocated once at their largest, and quick-xml's record of the
    // open elements' names (at most a tag name's length per level).
    build
        .budget
        .take(OPEN_LEVELS * std::mem::size_of::<Frame>())?;
    build
        .budget
        .take(OPEN_LEVELS * std::mem::size_of::<Tag>())?;
    build.budget.take(OPEN_LEVELS * 64)?;
    walk(b, document, &mut build)?;
    Ok(build.done)
}

fn fault(line: usize, path: &[Tag], reason: impl Into<String>) -> Error {
    Error::Xml {
        line,
        path: render(path),
        reason: reason.into(),
    }
}

/// An element as the walk reports it, its attributes read.
pub(crate) struct Open<'v> {
    /// None for a document's root element that names no tag (`<KMIP>`).
    tag: Option<Tag>,
    ty: ItemType,
    value: Option<std::borrow::Cow<'v, str>>,
    line: usize,
}

/// What receives the elements of a walk.
trait Sink {
    fn open(&mut self, o: Open<'_>) -> Result<(), Bad>;
    fn close(&mut self) -> Result<(), Bad>;
}

/// Line numbers of byte offsets, met in increasing order.
struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, pos: u64) -> usize {
        let pos = usize::try_from(pos)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if pos > self.pos {
            let seen = self.text.get(self.pos..pos).unwrap_or_default();
            self.line += seen.iter().filter(|&&c| c == b'\n').count();
            self.pos = pos;
        }
        self.line
    }
}

/// Reads the text element by element into `sink`. `document`: the root may be a container
/// that names no tag.
fn walk(b: &[u8], document: bool, sink: &mut impl Sink) -> Result<(), Error> {
    let text = std::str::from_utf8(b).map_err(|e| {
        let line = 1 + b
            .get(..e.valid_up_to())
            .unwrap_or_default()
            .iter()
            .filter(|&&c| c == b'\n')
            .count();
        fault(line, &[], "the text is not UTF-8")
    })?;
    let mut r = Reader::from_str(text);
    r.config_mut().trim_text(true);
    let mut lines = Lines {
        text: b,
        pos: 0,
        line: 1,
    };
    // The tags of the open elements (Tag(0) for a root that names none).
    let mut path: Vec<Tag> = Vec::with_capacity(OPEN_LEVELS);
    let mut roots = 0usize;
    loop {
        let ev = r.read_event().map_err(|e| {
            let line = lines.at(r.error_position());
            fault(line, &path, format!("not well-formed XML: {e}"))
        })?;
        let line = lines.at(r.buffer_position());
        let bad = |path: &[Tag], e: Bad| match e {
            Bad::Text(reason) => fault(line, path, reason),
            Bad::Budget(e) => e,
        };
        let (start, empty) = match ev {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(_) => {
                sink.close().map_err(|e| bad(&path, e))?;
                path.pop();
                if path.is_empty() {
                    roots += 1;
                }
                continue;
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => continue,
            Event::Text(_) | Event::GeneralRef(_) | Event::CData(_) => {
                return Err(fault(line, &path, "text between elements is not KMIP XML"));
            }
            Event::DocType(_) => return Err(fault(line, &path, "a DOCTYPE is refused")),
        };
        if path.is_empty() && roots > 0 {
            return Err(fault(line, &path, "more than one root element"));
        }
        let container = document && path.is_empty();
        let o = read_start(&start, container, line).map_err(|e| bad(&path, e))?;
        let tag = o.tag;
        if path.iter().filter(|t| **t != Tag(0)).count() >= MAX_DEPTH {
            return Err(Error::TooDeep {
                limit: MAX_DEPTH,
                location: format!("line {line}"),
            });
        }
        let here = |p: &[Tag]| {
            let mut p = p.to_vec();
            p.extend(tag);
            p
        };
        sink.open(o).map_err(|e| bad(&here(&path), e))?;
        if empty {
            sink.close().map_err(|e| bad(&here(&path), e))?;
            if path.is_empty() {
                roots += 1;
            }
        } else {
            path.push(tag.unwrap_or(Tag(0)));
        }
    }
    let line = lines.at(r.buffer_position());
    if !path.is_empty() {
        return Err(fault(line, &path, "the text ends inside an element"));
    }
    if roots == 0 {
        return Err(fault(line, &[], "no element"));
    }
    Ok(())
}

/// The tag, type and value of an element. `container`: a name that is no tag is a container.
fn read_start<'e>(e: &'e BytesStart<'_>, container: bool, line: usize) -> Result<Open<'e>, Bad> {
    let name = e.name().into_inner().to_owned();
    // Operation names (the JSON profile's bare operations) are no tags here.
    let mut tag = if name == "TTLV" {
        None
    } else {
        Tag::from_name(&name).filter(|t| t.operation_payload().is_none())
    };
    let mut ty = None;
    let mut value = None;
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let v = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("bad attribute value: {e}"))?;
        match a.key.into_inner() {
            "type" => {
                ty = Some(
                    ItemType::from_name(v.trim())
                        .ok_or_else(|| format!("unknown type \"{}\"", clip(&v)))?,
                )
            }
            "value" => value = Some(v),
            "tag" => {
                tag =
                    Some(Tag::from_hex(v.trim()).ok_or_else(|| {
                        format!("tag \"{}\" is not 0x and six hex digits", clip(&v))
                    })?)
            }
            k => {
                return Err(format!("unexpected attribute \"{}\"", clip(k)).into());
            }
        }
    }
    if tag.is_none() && !container {
        return Err(format!("unknown tag name \"{}\"", clip(&name)).into());
    }
    if tag.is_none() && (ty.is_some() || value.is_some()) {
        return Err(format!(
            "the root \"{}\" names no tag but has a type or value",
            clip(&name)
        )
        .into());
    }
    Ok(Open {
        tag,
        ty: ty.unwrap_or(ItemType::Structure),
        value,
        line,
    })
}

/// What a pass of the decoder does (as in the JSON decoder).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Checks everything and records the number of items of each Structure; keeps no node.
    Count,
    /// Builds the tree, each Structure's vector allocated at the size the count pass found.
    Build,
}

/// An element being read.
struct Frame {
    /// None for a container root.
    tag: Option<Tag>,
    /// The value of a scalar (None for a Structure).
    scalar: Option<Value>,
    items: Vec<Ttlv>,
    /// Items seen (count pass) and the slot of their count.
    seen: u32,
    slot: usize,
    /// The attribute named by the last `AttributeName` child: its enumeration or mask is the
    /// one of a following `AttributeValue`.
    named: Option<Tag>,
}

/// Builds [`Ttlv`] items from a walk.
struct Build {
    mode: Mode,
    counts: Vec<u32>,
    cursor: usize,
    budget: Budget,
    frames: Vec<Frame>,
    done: Vec<Ttlv>,
}

impl Build {
    fn new(mode: Mode, budget: usize) -> Self {
        Build {
            mode,
            counts: Vec::new(),
            cursor: 0,
            budget: Budget::with_total(budget),
            frames: Vec::with_capacity(OPEN_LEVELS),
            done: Vec::new(),
        }
    }

    /// A vector for the items of the next Structure, at the size the count pass found.
    fn vector(&mut self) -> Result<(Vec<Ttlv>, usize), Bad> {
        match self.mode {
            Mode::Count => {
                self.counts.push(0);
                Ok((Vec::new(), self.counts.len() - 1))
            }
            Mode::Build => {
                let n = self.counts.get(self.cursor).copied().unwrap_or(0) as usize;
                self.cursor += 1;
                self.budget.take_nodes(n).map_err(Bad::Budget)?;
                Ok((Vec::with_capacity(n), 0))
            }
        }
    }
}

impl Sink for Build {
    fn open(&mut self, o: Open<'_>) -> Result<(), Bad> {
        let parent_named = match self.frames.last() {
            Some(p) if p.scalar.is_some() => {
                return Err("a scalar element cannot hold elements".into());
            }
            Some(p) => p.named,
            None => None,
        };
        let tag = o.tag;
        let (scalar, items, slot) = if o.ty == ItemType::Structure {
            if o.value.is_some() {
                return Err("a Structure has no value attribute".into());
            }
            let (items, slot) = self.vector()?;
            (None, items, slot)
        } else {
            let Some(raw) = o.value else {
                return Err(format!("a {} needs a value attribute", o.ty.name()).into());
            };
            let t = tag.unwrap_or(Tag(0));
            let names = match (t, parent_named) {
                (Tag::ATTRIBUTE_VALUE, Some(n)) => n,
                _ => t,
            };
            let v = scalar::parse(o.ty, &raw, names, &mut self.budget)?;
            if t == Tag::ATTRIBUTE_NAME
                && let (Value::TextString(s), Some(p)) = (&v, self.frames.last_mut())
            {
                p.named = attribute_tag(s);
            }
            (Some(v), Vec::new(), 0)
        };
        self.frames.push(Frame {
            tag,
            scalar,
            items,
            seen: 0,
            slot,
            named: None,
        });
        Ok(())
    }

    fn close(&mut self) -> Result<(), Bad> {
        let Some(f) = self.frames.pop() else {
            return Err("an end tag without a start".into());
        };
        if self.mode == Mode::Count
            && f.scalar.is_none()
            && let Some(c) = self.counts.get_mut(f.slot)
        {
            *c = f.seen;
        }
        let Some(tag) = f.tag else {
            // A container root: its items are the document's.
            self.done = f.items;
            return Ok(());
        };
        let item = match self.mode {
            Mode::Count => None,
            Mode::Build => Some(Ttlv {
                tag,
                value: f.scalar.unwrap_or(Value::Structure(f.items)),
            }),
        };
        match self.frames.last_mut() {
            Some(p) => {
                p.seen = p.seen.saturating_add(1);
                p.items.extend(item);
            }
            None => self.done.extend(item),
        }
        Ok(())
    }
}

/// Writes `t` at `depth`; `names` is the tag whose enumeration or mask names its value.
fn write(t: &Ttlv, names: Tag, depth: usize, out: &mut String) {
    let tag = t.tag.wire_tag();
    for _ in 0..depth {
        out.push_str("  ");
    }
    let name = match tag.name() {
        Some(n) => {
            out.push('<');
            out.push_str(n);
            n
        }
        None => {
            out.push_str(&format!("<TTLV tag=\"0x{:06X}\"", tag.0));
            "TTLV"
        }
    };
    match &t.value {
        Value::Structure(items) if items.is_empty() => out.push_str("/>\n"),
        Value::Structure(items) => {
            out.push_str(">\n");
            let mut named = None;
            for c in items {
                let n = match (c.tag, named) {
                    (Tag::ATTRIBUTE_VALUE, Some(n)) => n,
                    _ => c.tag,
                };
                write(c, n, depth + 1, out);
                if c.tag == Tag::ATTRIBUTE_NAME {
                    named = c.as_text().and_then(attribute_tag);
                }
            }
            for _ in 0..depth {
                out.push_str("  ");
            }
            out.push_str("</");
            out.push_str(name);
            out.push_str(">\n");
        }
        v => {
            out.push_str(" type=\"");
            out.push_str(v.type_name());
            out.push_str("\" value=\"");
            escape_into(&scalar::format(v, names).unwrap_or_default(), out);
            out.push_str("\"/>\n");
        }
    }
}

/// Escapes an attribute value: the markup characters by quick-xml, and the characters an
/// XML reader would normalize away or refuse (line ends, tabs, other controls) as references.
fn escape_into(s: &str, out: &mut String) {
    for part in quick_xml::escape::escape(s).chars() {
        if (part as u32) < 0x20 {
            out.push_str(&format!("&#x{:X};", part as u32));
        } else {
            out.push(part);
        }
    }
}

#[cfg(test)]
mod tests;
