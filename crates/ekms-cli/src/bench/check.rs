//! When an answer is a success: a binary Response Message read in place (its Result Status,
//! without building the message; a failed answer is decoded in full for its error message), a
//! JSON TTLV answer checked to be the operation's response, or any HTTP 200 with
//! `--static-answer`.

use std::borrow::Cow;

use anyhow::{Result, anyhow, bail};
use ekms_kmip::enums::{Operation, ResultStatus};
use ekms_kmip::{FromTtlv, ResponseMessage, Tag, Ttlv};
use serde::Deserialize;

use super::transport::Encoding;

/// What makes an answer a success.
pub(super) enum Check {
    /// A binary Response Message whose batch item is a Success (of this operation when it
    /// names one).
    Binary(Operation),
    /// A JSON TTLV operation response with this top-level tag (HTTP 200 is checked already).
    Json(String),
    /// Any HTTP 200 (`--static-answer`).
    Status,
}

impl Check {
    pub(super) fn new(encoding: &Encoding, static_answer: bool, operation: Operation) -> Self {
        match encoding {
            _ if static_answer => Check::Status,
            Encoding::Binary { .. } => Check::Binary(operation),
            Encoding::Json => Check::Json(format!("{}Response", operation.name())),
        }
    }

    pub(super) fn verify(&self, answer: &[u8]) -> Result<()> {
        match self {
            Check::Status => Ok(()),
            Check::Binary(operation) => match binary_outcome(answer) {
                Some((status, op))
                    if status == ResultStatus::Success.as_u32()
                        && op.is_none_or(|o| o == operation.as_u32()) =>
                {
                    Ok(())
                }
                // Not the expected success: the full decode says what it is instead.
                _ => binary_payload(answer, *operation).and_then(|_| {
                    Err(anyhow!(
                        "the answer to {operation:?} is not its successful response"
                    ))
                }),
            },
            Check::Json(expected) => {
                /// The top-level tag; the rest of the answer is parsed (it must be JSON) but
                /// not kept.
                #[derive(Deserialize)]
                struct Answer<'a> {
                    #[serde(borrow)]
                    tag: Cow<'a, str>,
                }
                let answer: Answer<'_> = serde_json::from_slice(answer)
                    .map_err(|e| anyhow!("the KMIP answer is not JSON TTLV: {e}"))?;
                if answer.tag != expected.as_str() {
                    bail!("the answer is {}, not {expected}", answer.tag);
                }
                Ok(())
            }
        }
    }
}

/// Item types of binary TTLV that the answer scan reads.
const TTLV_STRUCTURE: u8 = 0x01;
const TTLV_ENUMERATION: u8 = 0x05;

/// The items of a binary TTLV structure's value, as (tag, type, value); ends early at an item
/// that does not fit.
fn ttlv_items(mut rest: &[u8]) -> impl Iterator<Item = (u32, u8, &[u8])> {
    std::iter::from_fn(move || {
        let header = rest.get(..8)?;
        let tag = u32::from_be_bytes([0, header[0], header[1], header[2]]);
        let item_type = header[3];
        let length = usize::try_from(u32::from_be_bytes([
            header[4], header[5], header[6], header[7],
        ]))
        .ok()?;
        let value = rest.get(8..8usize.checked_add(length)?)?;
        // Every item is padded to 8 bytes (a structure's length is a multiple of 8 already).
        let padded = length.checked_add(7)? & !7;
        rest = rest.get(8 + padded..).unwrap_or_default();
        Some((tag, item_type, value))
    })
}

/// The Result Status of the first Batch Item of a binary Response Message, and its Operation
/// when given, read in place; None when the bytes are not shaped so.
fn binary_outcome(message: &[u8]) -> Option<(u32, Option<u32>)> {
    let (tag, item_type, body) = ttlv_items(message).next()?;
    if tag != Tag::RESPONSE_MESSAGE.0 || item_type != TTLV_STRUCTURE {
        return None;
    }
    let (_, _, item) = ttlv_items(body)
        .find(|(tag, item_type, _)| *tag == Tag::BATCH_ITEM.0 && *item_type == TTLV_STRUCTURE)?;
    let mut status = None;
    let mut operation = None;
    for (tag, item_type, value) in ttlv_items(item) {
        if item_type != TTLV_ENUMERATION {
            continue;
        }
        let value = u32::from_be_bytes(value.try_into().ok()?);
        if tag == Tag::RESULT_STATUS.0 {
            status = Some(value);
        } else if tag == Tag::OPERATION.0 {
            operation = Some(value);
        }
    }
    Some((status?, operation))
}

/// Decodes a binary Response Message in full: the payload of its successful batch item, or
/// the failure it reports.
pub(super) fn binary_payload(message: &[u8], operation: Operation) -> Result<Ttlv> {
    let ttlv = ekms_kmip::binary::decode(message)
        .map_err(|e| anyhow!("the answer does not decode: {e}"))?;
    let response = ResponseMessage::from_ttlv(ttlv)
        .map_err(|e| anyhow!("the answer is not a Response Message: {e}"))?;
    let item = response
        .items
        .into_iter()
        .next()
        .ok_or_else(|| anyhow!("the Response Message has no batch item"))?;
    if item.result_status != ResultStatus::Success {
        bail!(
            "{operation:?} failed: {:?}: {}",
            item.result_reason,
            item.result_message.unwrap_or_default()
        );
    }
    Ok(item
        .payload
        .unwrap_or_else(|| Ttlv::structure(Tag::operation_response(operation.as_u32()), vec![])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ekms_kmip::message::{RequestBatchItem, ResponseBatchItem, ResponseHeader};
    use ekms_kmip::{ProtocolVersion, ResponseMessage, ToTtlv};

    fn response(status: ResultStatus, operation: Operation) -> Vec<u8> {
        let request = RequestBatchItem::new(operation, vec![]);
        let mut item = ResponseBatchItem::success(&request, vec![]);
        item.result_status = status;
        let message = ResponseMessage::new(
            ResponseHeader::new(ProtocolVersion::V1_4, 1_700_000_000),
            vec![item],
        );
        ekms_kmip::binary::to_vec(&message.to_ttlv())
    }

    #[test]
    fn binary_answers_are_read_in_place() {
        let ok = response(ResultStatus::Success, Operation::Encrypt);
        assert_eq!(
            binary_outcome(&ok),
            Some((
                ResultStatus::Success.as_u32(),
                Some(Operation::Encrypt.as_u32())
            ))
        );
        assert!(Check::Binary(Operation::Encrypt).verify(&ok).is_ok());
        // Another operation's success is not this one's.
        assert!(Check::Binary(Operation::Get).verify(&ok).is_err());
        let failed = response(ResultStatus::OperationFailed, Operation::Encrypt);
        assert!(Check::Binary(Operation::Encrypt).verify(&failed).is_err());
        // Truncated or foreign bytes are not a success.
        assert!(
            Check::Binary(Operation::Encrypt)
                .verify(&ok[..ok.len() - 8])
                .is_err()
        );
        assert!(
            Check::Binary(Operation::Encrypt)
                .verify(b"HTTP/1.1 200 OK\r\n")
                .is_err()
        );
    }

    #[test]
    fn json_answers_must_be_the_operation_response() {
        let check = Check::Json("EncryptResponse".into());
        assert!(
            check
                .verify(br#"{"tag":"EncryptResponse","type":"Structure","value":[]}"#)
                .is_ok()
        );
        assert!(
            check
                .verify(br#"{"type":"Structure","value":[],"tag":"EncryptResponse"}"#)
                .is_ok()
        );
        assert!(
            check
                .verify(br#"{"tag":"DecryptResponse","type":"Structure","value":[]}"#)
                .is_err()
        );
        assert!(check.verify(br#"{"tag":"EncryptResponse""#).is_err());
        assert!(check.verify(b"<html>ok</html>").is_err());
        assert!(Check::Status.verify(b"<html>ok</html>").is_ok());
    }
}
