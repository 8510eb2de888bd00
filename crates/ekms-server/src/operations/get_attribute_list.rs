//! GetAttributeList: the names of the attributes an object has: 1.x `AttributeName` texts
//! ("Cryptographic Algorithm"), 2.x `AttributeReference`s (the attribute's tag, or a
//! structure naming a vendor attribute).

use super::Context;
use crate::error::KmipError;
use crate::objects::attrs;
use crate::objects::object::load_settled;
use ekms_kmip::operations::Payload;
use ekms_kmip::operations::get_attribute_list::{Request, Response};
use ekms_kmip::{Tag, Ttlv};

pub fn apply(ctx: &Context<'_>, req: Request) -> Result<Response, KmipError> {
    let obj = load_settled(ctx, &req.uid)?;
    let v = attrs::version(ctx);
    let mut items = vec![Ttlv::text(Tag::UNIQUE_IDENTIFIER, obj.uid.clone())];
    let mut seen: Vec<Ttlv> = Vec::new();
    for a in attrs::answer(ctx, &obj.attributes, None) {
        if v.is_v1() {
            if let Some(name) = a.child(Tag::ATTRIBUTE_NAME) {
                let name = Ttlv::text(Tag::ATTRIBUTE_NAME, name.as_text().unwrap_or_default());
                if !seen.contains(&name) {
                    seen.push(name);
                }
            }
        } else {
            for i in a.items() {
                let reference = if i.tag == Tag::ATTRIBUTE {
                    let mut fields = Vec::new();
                    if let Some(v) = i.child(Tag::VENDOR_IDENTIFICATION) {
                        fields.push(v.clone());
                    }
                    if let Some(n) = i.child(Tag::ATTRIBUTE_NAME) {
                        fields.push(n.clone());
                    }
                    Ttlv::structure(Tag::ATTRIBUTE_REFERENCE, fields)
                } else {
                    Ttlv::enumeration(Tag::ATTRIBUTE_REFERENCE, i.tag.0)
                };
                if !seen.contains(&reference) {
                    seen.push(reference);
                }
            }
        }
    }
    items.extend(seen);
    Ok(Payload(items))
}
