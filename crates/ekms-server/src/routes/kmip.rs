//! `POST /kmip/2_1`: one KMIP 2.1 operation in JSON TTLV, in the shape Cosmian KMS clients send:
//! the top-level tag names the operation (`"Create"`) and its value is the request payload;
//! the answer's top-level tag is the operation's response (`"CreateResponse"`).

use crate::error::{ApiError, KmipError};
use crate::groups::{GroupToken, SECRET_HEADER};
use crate::operations::{self, Context};
use crate::routes::body::{drain, read_limited};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use ekms_kmip::enums::Operation;
use ekms_kmip::{Tag, Ttlv};
use serde_json::Value;
use std::sync::Arc;

/// Parses the group secret header; every defect is the same 401.
pub fn group_token(headers: &HeaderMap) -> Result<GroupToken, ApiError> {
    let value = headers
        .get(SECRET_HEADER)
        .ok_or_else(ApiError::unauthorized)?;
    let text = value.to_str().map_err(|_| ApiError::unauthorized())?;
    GroupToken::parse(text)
}

/// Splits a bare-operation JSON body into the operation and its payload.
fn parse_operation(bytes: &[u8]) -> Result<(Operation, Ttlv), KmipError> {
    let mut json: Value = serde_json::from_slice(bytes)
        .map_err(|e| KmipError::invalid(format!("the body is not JSON: {e}")))?;
    let obj = json
        .as_object_mut()
        .ok_or_else(|| KmipError::invalid("the body must be a JSON TTLV object"))?;
    let name = obj
        .get("tag")
        .and_then(Value::as_str)
        .ok_or_else(|| KmipError::invalid("the body has no \"tag\" naming the operation"))?;
    let op = Operation::from_name(name)
        .ok_or_else(|| KmipError::invalid(format!("\"{name}\" is not a KMIP operation name")))?;
    let payload_tag = Tag::REQUEST_PAYLOAD
        .name()
        .ok_or_else(|| KmipError::internal("tag table lacks RequestPayload"))?;
    obj.insert("tag".into(), Value::String(payload_tag.into()));
    let payload = ekms_kmip::json::from_value(&json)
        .map_err(|e| KmipError::invalid(format!("invalid KMIP JSON TTLV: {e}")))?;
    if !matches!(payload.value, ekms_kmip::Value::Structure(_)) {
        return Err(KmipError::invalid(
            "an operation's value must be a Structure",
        ));
    }
    Ok((op, payload))
}

pub async fn kmip_2_1(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let token = match group_token(&headers) {
        Ok(t) => t,
        Err(e) => {
            drain(body).await;
            return Err(e);
        }
    };
    let bytes = read_limited(&headers, body, state.config.max_kmip_message_bytes).await?;
    let st = state.clone();
    let (op, response) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let store = st.groups.open(&token)?;
        let (op, payload) = parse_operation(&bytes)?;
        let ctx = Context {
            store: store.as_ref(),
            user: &st.config.default_user,
        };
        Ok((op, operations::dispatch(&ctx, op, &payload)?))
    })
    .await
    .map_err(|_| ApiError::internal())??;
    let mut json = ekms_kmip::json::to_value(&response);
    if let Some(obj) = json.as_object_mut() {
        obj.insert(
            "tag".into(),
            Value::String(format!("{}Response", op.name())),
        );
    }
    Ok(Json(json))
}
