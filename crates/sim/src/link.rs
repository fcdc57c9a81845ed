//! The simulated network between a device and the hub: requests go through
//! the hub's real router in-process, and a seeded generator loses requests,
//! loses answers (the hub committed, the device never hears), sends a
//! request twice, or holds a copy back to deliver it much later.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{header, Method, Request};
use rand::rngs::StdRng;
use rand::Rng;
use stockroom_core::sync::FailureKind;
use stockroom_core::sync::{failure_from_answer, HubLink, LinkError};
use stockroom_protocol::sync::{ApiError, PullResponse, PushRequest, PushResponse, RawOpEnvelope};
use tower::ServiceExt;

/// How often each fault strikes, per request, in per mille.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    pub lose_request: u32,
    pub lose_answer: u32,
    pub duplicate: u32,
    pub hold_back: u32,
}

impl Faults {
    pub const NONE: Faults = Faults {
        lose_request: 0,
        lose_answer: 0,
        duplicate: 0,
        hold_back: 0,
    };
}

/// A request as sent, to deliver again later.
#[derive(Clone, Debug)]
pub struct HeldRequest {
    pub method: Method,
    pub uri: String,
    pub token: String,
    pub body: Vec<u8>,
}

/// What every device's link shares: the hub, the dice and the held-back
/// requests.
pub struct Network {
    pub router: axum::Router,
    pub rng: Mutex<StdRng>,
    pub faults: Mutex<Faults>,
    pub held: Mutex<Vec<HeldRequest>>,
}

impl Network {
    fn roll(&self, per_mille: u32) -> bool {
        per_mille > 0 && self.rng.lock().unwrap_or_else(|e| e.into_inner()).gen_range(0..1000) < per_mille
    }

    /// Sends a request to the hub for real; the status and body come back.
    pub async fn deliver(&self, request: &HeldRequest) -> (u16, Vec<u8>) {
        let built = Request::builder()
            .method(request.method.clone())
            .uri(&request.uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", request.token))
            .header(header::CONTENT_TYPE, "application/json")
            .header(
                "stockroom-protocol-version",
                stockroom_protocol::PROTOCOL_VERSION.to_string(),
            )
            .body(Body::from(request.body.clone()))
            .unwrap_or_else(|_| unreachable!("the simulation builds valid requests"));
        let Ok(answer) = self.router.clone().oneshot(built).await;
        let status = answer.status().as_u16();
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .map(|bytes| bytes.to_vec())
            .unwrap_or_default();
        (status, bytes)
    }

    /// Delivers one held-back request, if any; its answer goes nowhere.
    pub async fn deliver_one_held(&self) -> bool {
        let next = {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if held.is_empty() {
                None
            } else {
                let index = self
                    .rng
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .gen_range(0..held.len());
                Some(held.swap_remove(index))
            }
        };
        match next {
            Some(request) => {
                self.deliver(&request).await;
                true
            }
            None => false,
        }
    }

    /// One request through the faulty network.
    async fn exchange(&self, request: HeldRequest) -> Result<Vec<u8>, LinkError> {
        let faults = *self.faults.lock().unwrap_or_else(|e| e.into_inner());
        if self.roll(faults.hold_back) {
            self.held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(request.clone());
        }
        if self.roll(faults.lose_request) {
            return Err(lost("request lost"));
        }
        if self.roll(faults.duplicate) {
            self.deliver(&request).await;
        }
        let (status, body) = self.deliver(&request).await;
        if self.roll(faults.lose_answer) {
            return Err(lost("answer lost"));
        }
        if (200..300).contains(&status) {
            return Ok(body);
        }
        let code = serde_json::from_slice::<ApiError>(&body).ok().map(|error| error.code);
        Err(LinkError {
            kind: failure_from_answer(status, code.as_deref()),
            detail: format!("{status} {code:?}"),
        })
    }
}

fn lost(what: &str) -> LinkError {
    LinkError {
        kind: FailureKind::Network,
        detail: what.to_string(),
    }
}

/// One device's link: the shared network and this device's session token.
#[derive(Clone)]
pub struct SimLink {
    pub network: Arc<Network>,
    pub token: String,
}

fn decode<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, LinkError> {
    serde_json::from_slice(body).map_err(|err| LinkError {
        kind: FailureKind::Server { status: 200 },
        detail: format!("unreadable answer: {err}"),
    })
}

impl HubLink for SimLink {
    async fn push(&self, request: &PushRequest) -> Result<PushResponse, LinkError> {
        let body = serde_json::to_vec(request).unwrap_or_default();
        let answer = self
            .network
            .exchange(HeldRequest {
                method: Method::POST,
                uri: "/v1/sync/push".to_string(),
                token: self.token.clone(),
                body,
            })
            .await?;
        decode(&answer)
    }

    async fn pull(&self, since: Option<&str>, limit: u32) -> Result<PullResponse<RawOpEnvelope>, LinkError> {
        let uri = match since {
            Some(cursor) => format!("/v1/sync/pull?since={cursor}&limit={limit}"),
            None => format!("/v1/sync/pull?limit={limit}"),
        };
        let answer = self
            .network
            .exchange(HeldRequest {
                method: Method::GET,
                uri,
                token: self.token.clone(),
                body: Vec::new(),
            })
            .await?;
        decode(&answer)
    }
}
