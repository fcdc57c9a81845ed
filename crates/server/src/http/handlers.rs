//! The route handlers: health, enrolment, push and pull. Each checks its
//! input, calls the store once, and answers with protocol types.

use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use stockroom_protocol::snapshot::chain_hex;
use stockroom_protocol::sync::{
    DeviceLocationRequest, EnrolRequest, EnrolResponse, OpOutcome, PullResponse, PushRequest, PushResponse,
    RawOpEnvelope, MIN_PROTOCOL_VERSION, MIN_SCHEMA_VERSION, PROTOCOL_VERSION_HEADER,
};
use stockroom_protocol::PROTOCOL_VERSION;
use uuid::Uuid;

use super::enrol_codes::{self, EnrollingUser};
use super::error::AppError;
use super::extract::{AppJson, AppQuery, AuthDevice, ClientAddress, SendingDevice};
use crate::accounts;
use crate::cursor;
use crate::live;
use crate::scopes::{Grant, StockGrant};
use crate::state::AppState;
use crate::store::{Enrolment, PushRules};
use crate::throttle::enrol_keys;

/// Longest device name accepted at enrolment.
const MAX_DEVICE_NAME_CHARS: usize = 100;

#[derive(serde::Serialize)]
pub struct Status {
    status: &'static str,
}

/// `GET /healthz`: the process answers.
pub async fn healthz() -> AppJson<Status> {
    AppJson(Status { status: "ok" })
}

/// `GET /readyz`: the process answers and its database too.
pub async fn readyz(State(state): State<AppState>) -> Result<AppJson<Status>, AppError> {
    state.store.ping().await.map_err(AppError::Unavailable)?;
    Ok(AppJson(Status { status: "ready" }))
}

/// Refuses a client the hub cannot serve: too old (update the app) or newer
/// than the hub (update the hub). A newer schema is fine: new fields never
/// force anything.
fn check_versions(protocol: u32, schema: Option<u32>) -> Result<(), AppError> {
    let schema_too_old = schema.is_some_and(|schema| schema < MIN_SCHEMA_VERSION);
    if protocol < MIN_PROTOCOL_VERSION || schema_too_old {
        return Err(AppError::AppTooOld {
            protocol,
            schema: schema.unwrap_or(MIN_SCHEMA_VERSION),
            min_protocol: MIN_PROTOCOL_VERSION,
            min_schema: MIN_SCHEMA_VERSION,
        });
    }
    if protocol > PROTOCOL_VERSION {
        return Err(AppError::HubTooOld {
            protocol,
            max_protocol: PROTOCOL_VERSION,
        });
    }
    Ok(())
}

/// Checks the protocol version a request without a JSON body carries in
/// its header, if it carries one.
pub(super) fn check_version_header(headers: &HeaderMap) -> Result<(), AppError> {
    if let Some(value) = headers.get(PROTOCOL_VERSION_HEADER) {
        let protocol = value
            .to_str()
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .ok_or_else(|| AppError::BadQuery {
                detail: format!("{PROTOCOL_VERSION_HEADER} must be a number"),
            })?;
        check_versions(protocol, None)?;
    }
    Ok(())
}

/// `POST /v1/enrol`: a user signs a device in; the device gets its id, a new
/// epoch and a session token. Wrong passwords and unknown codes count
/// against the username and the client's address ([`crate::throttle`]).
pub async fn enrol(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    AppJson(request): AppJson<EnrolRequest>,
) -> Result<AppJson<EnrolResponse>, AppError> {
    check_versions(request.protocol_version, None)?;
    if let Some(name) = &request.device_name {
        if name.chars().count() > MAX_DEVICE_NAME_CHARS || name.chars().any(char::is_control) {
            return Err(AppError::Invalid {
                field: "device_name",
                problem: "too long, or has control characters".to_string(),
            });
        }
    }
    let device_id = request.device_id.unwrap_or_else(Uuid::now_v7);
    let throttle_keys = enrol_keys(&request.username, address);
    state
        .enrol_throttle
        .check(&throttle_keys, state.clock.now_ms())
        .map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })?;
    let user = match &request.enrolment_code {
        Some(code) => enrol_codes::take(&state, code, &request.username, device_id).await,
        None => accounts::sign_in(&*state.store, &request.username, &request.password)
            .await
            .map_err(AppError::from)
            .and_then(|user| {
                user.map(|user| EnrollingUser {
                    id: user.id,
                    tenant_id: user.tenant_id,
                    username: request.username.trim().to_string(),
                    role: user.role,
                    location_id: None,
                })
                .ok_or(AppError::BadCredentials)
            }),
    };
    let user = match user {
        Ok(user) => {
            state.enrol_throttle.succeeded(&throttle_keys);
            user
        }
        Err(error) => {
            if matches!(error, AppError::BadCredentials | AppError::EnrolCodeUnknown) {
                state.enrol_throttle.failed(&throttle_keys, state.clock.now_ms());
            }
            return Err(error);
        }
    };
    let (session_token, token_hash) = accounts::new_session_token();
    let enrolment = Enrolment {
        tenant_id: user.tenant_id,
        user_id: user.id,
        device_id,
        device_name: request.device_name,
        token_hash,
        now_ms: state.clock.now_ms(),
    };
    let epoch = state.store.enrol_device(&enrolment).await?;
    if user.location_id.is_some() {
        state
            .store
            .set_device_location(user.tenant_id, device_id, user.location_id)
            .await?;
    }
    // A re-enrolled device keeps its assignment unless a code gave another.
    let location_id = state
        .store
        .authenticate(token_hash)
        .await?
        .and_then(|auth| auth.location_id);
    tracing::info!(%device_id, epoch, user_id = %user.id, tenant_id = %user.tenant_id, ?location_id, "device enrolled");
    Ok(AppJson(EnrolResponse {
        tenant_id: user.tenant_id,
        device_id,
        epoch,
        session_token,
        user_id: user.id,
        role: user.role.as_str().to_string(),
        hub_time_ms: state.clock.now_ms(),
        location_id,
        username: user.username,
    }))
}

/// `PUT /v1/device/location`: the calling device assigns itself to a
/// location, or to none. Only a device whose user's role sees every
/// location's stock may: for it an assignment only narrows what it
/// receives. A salesperson's van comes from a manager's enrolment code.
pub async fn set_device_location(
    State(state): State<AppState>,
    AuthDevice(auth): AuthDevice,
    AppJson(request): AppJson<DeviceLocationRequest>,
) -> Result<axum::http::StatusCode, AppError> {
    let role_grant = Grant::for_user(auth.enrolled_by_role, auth.enrolled_by);
    if role_grant.stock != StockGrant::All {
        return Err(AppError::RoleNotAllowed);
    }
    state
        .store
        .set_device_location(auth.tenant_id, auth.device_id, request.location_id)
        .await?;
    tracing::info!(device_id = %auth.device_id, location_id = ?request.location_id, "device assigned");
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `POST /v1/sync/push`: records a batch of the device's ops in one
/// transaction and acknowledges them once it has committed.
pub async fn push(
    State(state): State<AppState>,
    SendingDevice(auth): SendingDevice,
    AppJson(request): AppJson<PushRequest<RawOpEnvelope>>,
) -> Result<AppJson<PushResponse>, AppError> {
    check_versions(request.protocol_version, Some(request.schema_version))?;
    if request.device_id != auth.device_id {
        return Err(AppError::DeviceMismatch);
    }
    if request.epoch != auth.epoch {
        return Err(AppError::StaleEpoch {
            sent: request.epoch,
            current: auth.epoch,
        });
    }
    if request.ops.len() > state.config.max_ops_per_push {
        return Err(AppError::BatchTooLarge {
            count: request.ops.len(),
            max: state.config.max_ops_per_push,
        });
    }
    if let Some(stranger) = request
        .ops
        .iter()
        .find(|op| op.device_id != auth.device_id || op.epoch != auth.epoch || op.seq == 0)
    {
        return Err(AppError::EnvelopeMismatch { seq: stranger.seq });
    }
    let rules = PushRules {
        now_ms: state.clock.now_ms(),
        max_future_ms: state.config.max_future_ms,
    };
    let report = state.store.push(&auth, &request.ops, rules).await?;
    state.metrics.push_results(&report.results);
    // Committed: poke the tenant's live sockets, here and on every instance.
    if report
        .results
        .iter()
        .any(|result| matches!(result.outcome, OpOutcome::Applied { .. }))
    {
        live::feed_moved(state.store.clone(), state.live.clone(), auth.tenant_id);
    }
    tracing::debug!(
        device_id = %auth.device_id,
        epoch = auth.epoch,
        n_ops = request.ops.len(),
        acked_through_seq = report.acked_through_seq,
        stopped = ?report.stopped,
        "push"
    );
    Ok(AppJson(PushResponse {
        acked_through_seq: report.acked_through_seq,
        results: report.results,
        stopped: report.stopped,
        hub_time_ms: state.clock.now_ms(),
        outside_scopes: report.outside_scopes,
    }))
}

#[derive(Debug, Deserialize)]
pub struct PullParams {
    since: Option<String>,
    limit: Option<u32>,
}

/// `GET /v1/sync/pull?since=CURSOR&limit=N`: the entries of the device's
/// scopes in the tenant's feed after the cursor, in commit order, with each
/// scope's chain. A cursor made under other scopes than the device's now (its
/// user's role changed) is refused with `scopes_changed`: the device takes a
/// new snapshot for its new scopes.
pub async fn pull(
    State(state): State<AppState>,
    AuthDevice(auth): AuthDevice,
    headers: HeaderMap,
    AppQuery(params): AppQuery<PullParams>,
) -> Result<AppJson<PullResponse<RawOpEnvelope>>, AppError> {
    check_version_header(&headers)?;
    let since = cursor::decode(params.since.as_deref().unwrap_or_default()).ok_or(AppError::BadCursor)?;
    let grant = auth.grant();
    let grant_tag = grant.tag();
    if since.position > 0 && since.grant_tag.as_deref() != Some(grant_tag.as_str()) {
        return Err(AppError::ScopesChanged);
    }
    let limit = params
        .limit
        .unwrap_or(state.config.default_pull_limit)
        .clamp(1, state.config.max_pull_limit);
    let page = state.store.pull(auth.tenant_id, grant, since.position, limit).await?;
    if since.position > page.head {
        return Err(AppError::CursorAhead);
    }
    state.metrics.pull_served(page.entries.len());
    Ok(AppJson(PullResponse {
        changes: page.entries,
        next: cursor::encode(page.next, &grant_tag),
        more: page.more,
        hub_time_ms: state.clock.now_ms(),
        scopes: page
            .scope_chains
            .iter()
            .map(|(scope, chain)| (scope.clone(), chain_hex(chain)))
            .collect(),
    }))
}
