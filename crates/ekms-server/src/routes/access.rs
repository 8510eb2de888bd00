//! `POST /access/grant`, `POST /access/revoke`, `GET /access/{uid}`, `GET /access/owned`,
//! `GET /access/obtained`: rights inside a group (see [`crate::access`] and docs/access.md).
//! A grant or revocation body (64 KiB at most) is read only after the group secret has opened
//! its group.

use crate::access::{self, Right};
use crate::auth::Caller;
use crate::error::{ApiError, KmipError};
use crate::groups::GroupStore;
use crate::objects::object::ManagedObject;
use crate::routes::body::read_limited;
use crate::routes::entry::{cosmian_dialect, open_before_body, with_group, with_store};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use ekms_store::{Grant, ObjectStoreExt, StoreTx};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// The body of a grant or a revocation.
#[derive(Deserialize)]
pub struct GrantRequest {
    pub unique_identifier: String,
    pub user_id: String,
    pub operations: Vec<String>,
}

/// Runs `f` in one transaction of the group the `KmsDatabaseSecret` header names, off the
/// async runtime.
pub async fn in_group<R: Send + 'static>(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    f: impl FnOnce(&mut dyn StoreTx) -> Result<R, KmipError> + Send + 'static,
) -> Result<R, ApiError> {
    with_group(state, headers, move |_, store| transact(&*store, f)).await
}

/// As [`in_group`], in a group the route has already opened.
async fn in_store<R: Send + 'static>(
    state: &Arc<AppState>,
    store: Arc<dyn GroupStore>,
    f: impl FnOnce(&mut dyn StoreTx) -> Result<R, KmipError> + Send + 'static,
) -> Result<R, ApiError> {
    with_store(state, store, move |_, store| transact(&*store, f)).await
}

/// As [`in_store`], for a change of rights, which reads (who may change them) before it
/// writes: the group's write lock is taken first ([`ObjectStoreExt::transact_locked`]), so
/// on PostgreSQL another node's or request's write cannot make it fail with `Changed`; it
/// waits its turn instead, and nothing needs running again.
async fn in_store_locked<R: Send + 'static>(
    state: &Arc<AppState>,
    store: Arc<dyn GroupStore>,
    f: impl FnOnce(&mut dyn StoreTx) -> Result<R, KmipError> + Send + 'static,
) -> Result<R, ApiError> {
    with_store(state, store, move |_, store| Ok(store.transact_locked(f)?)).await
}

/// Runs `f` in one transaction of `store`. Blocking.
fn transact<R>(
    store: &dyn GroupStore,
    f: impl FnOnce(&mut dyn StoreTx) -> Result<R, KmipError>,
) -> Result<R, ApiError> {
    Ok(store.transact(f)?)
}

fn parse_rights(req: &GrantRequest) -> Result<Vec<Right>, ApiError> {
    if req.operations.is_empty() || req.user_id.is_empty() || req.unique_identifier.is_empty() {
        return Err(ApiError::bad_request(
            "unique_identifier, user_id and operations are required",
        ));
    }
    let mut rights = Vec::new();
    for name in &req.operations {
        let r = Right::parse(name)
            .ok_or_else(|| ApiError::bad_request(format!("unknown right {name:?}")))?;
        if r.is_group() != (req.unique_identifier == "*") {
            return Err(ApiError::bad_request(format!(
                "{name} is {} right: grant it with unique_identifier {}",
                if r.is_group() { "a group" } else { "an object" },
                if r.is_group() {
                    "\"*\""
                } else {
                    "of an object"
                },
            )));
        }
        rights.push(r);
    }
    Ok(rights)
}

async fn change(
    state: Arc<AppState>,
    store: Arc<dyn GroupStore>,
    user: String,
    req: GrantRequest,
    add: bool,
) -> Result<Json<Value>, ApiError> {
    let rights = parse_rights(&req)?;
    let (operation, route) = if add {
        ("Grant", "POST /access/grant")
    } else {
        ("RevokeAccess", "POST /access/revoke")
    };
    let uid = req.unique_identifier.clone();
    let u = user.clone();
    let res = in_store_locked(&state, store.clone(), move |tx| {
        access::require(tx, &u, route, &req.unique_identifier)?;
        for r in &rights {
            let g = Grant {
                uid: req.unique_identifier.clone(),
                user: req.user_id.clone(),
                right: r.name().to_string(),
            };
            if add {
                tx.grant(&g)?;
            } else {
                tx.revoke(&g)?;
            }
        }
        tx.audit(&audit_row(&u, operation, &req.unique_identifier, "ok"))?;
        Ok(())
    })
    .await;
    if let Err(e) = &res {
        // A refusal is audited in its own transaction (the one above rolled back).
        let row = audit_row(&user, operation, &uid, &e.code);
        let _ = in_store(&state, store, move |tx| Ok(tx.audit(&row)?)).await;
    }
    res.map(|()| Json(json!({"success": true})))
}

fn audit_row(user: &str, operation: &str, uid: &str, result: &str) -> ekms_store::AuditRow {
    ekms_store::AuditRow {
        time: access::unix_now(),
        user: user.to_string(),
        operation: operation.to_string(),
        object: Some(uid.to_string()),
        result: result.to_string(),
        request_id: crate::request_id::current(),
    }
}

/// The largest grant or revocation body: a few names and rights.
const GRANT_BODY_LIMIT: u64 = 64 * 1024;

/// The group the secret opens and the grant or revocation in the body, read only once the
/// group is open: a wrong or unknown secret costs the server no body.
async fn grant_request(
    state: &Arc<AppState>,
    headers: &HeaderMap,
    body: Body,
) -> Result<(Arc<dyn GroupStore>, GrantRequest), ApiError> {
    let (store, body) = open_before_body(state, headers, body).await?;
    let json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| {
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
    if !json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "the body must be application/json",
        ));
    }
    let bytes = read_limited(headers, body, GRANT_BODY_LIMIT).await?;
    let Json(req) = Json::<GrantRequest>::from_bytes(&bytes)
        .map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
    Ok((store, req))
}

// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn grant(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (store, req) = grant_request(&state, &headers, body).await?;
    change(state, store, user, req, true).await
}
// jscpd:ignore-end

// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn revoke(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, ApiError> {
    let (store, req) = grant_request(&state, &headers, body).await?;
    change(state, store, user, req, false).await
}
// jscpd:ignore-end

/// Who may do what on an object (`*`: the group rights), for those [`access::require`] lets
/// list them.
// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn list(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
    Path(uid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // jscpd:ignore-end
    let out = in_group(&state, &headers, move |tx| {
        let owner = access::require(tx, &user, "GET /access/{uid}", &uid)?;
        let grants = tx.grants_on(&uid)?;
        Ok(json!({"unique_identifier": uid, "owner": owner, "grants": grants}))
    })
    .await?;
    Ok(Json(out))
}

/// The objects the caller owns: their identifiers, newest first; a request in Cosmian's dialect
/// ([`cosmian_dialect`]) gets Cosmian's shape instead ([`cosmian_owned`]).
// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn owned(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    // jscpd:ignore-end
    let cosmian = cosmian_dialect(&headers);
    let out = in_group(&state, &headers, move |tx| {
        access::require(tx, &user, "GET /access/owned", "*")?;
        let owned = tx.owned_by(&user)?;
        if !cosmian {
            return Ok(json!(owned));
        }
        let now = crate::objects::now();
        let mut objects = Vec::with_capacity(owned.len());
        for uid in owned {
            objects.push(cosmian_owned(&ManagedObject::load(tx, &uid)?, now));
        }
        Ok(Value::Array(objects))
    })
    .await?;
    Ok(Json(out))
}

/// One owned object in the shape Cosmian's `ckms access-rights owned` parses: its identifier,
/// its state and a few attributes, enumerations by value as on `POST /kmip/2_1` (Cosmian's
/// clients read every enumeration by value, not every KMIP name).
fn cosmian_owned(obj: &ManagedObject, now: i64) -> Value {
    let mut attributes = serde_json::Map::new();
    attributes.insert("ObjectType".into(), json!(obj.object_type.as_u32()));
    let a = &obj.attributes;
    if let Some(alg) = a.cryptographic_algorithm {
        attributes.insert("CryptographicAlgorithm".into(), json!(alg.as_u32()));
    }
    if let Some(bits) = a.cryptographic_length {
        attributes.insert("CryptographicLength".into(), json!(bits));
    }
    json!({
        "object_id": obj.uid,
        "state": obj.state(now).as_u32(),
        "attributes": attributes,
    })
}

/// The rights the caller holds through grants (to them or to `*`).
// jscpd:ignore-start (axum handler signature: see docs/design.md)
pub async fn obtained(
    State(state): State<Arc<AppState>>,
    Caller(user): Caller,
    headers: HeaderMap,
) -> Result<Json<Value>, ApiError> {
    // jscpd:ignore-end
    let out = in_group(&state, &headers, move |tx| {
        access::require(tx, &user, "GET /access/obtained", "*")?;
        Ok(json!(tx.grants_to(&user)?))
    })
    .await?;
    Ok(Json(out))
}
