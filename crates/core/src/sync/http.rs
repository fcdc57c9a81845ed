//! The hub over HTTP: enrolment, push, pull and photo blobs with reqwest, answers read
//! into protocol types and failures into what the planner understands.
//! Requests time out, so a dead network is a retry, never a hang.
//!
//! `https://` hubs are reached over TLS (rustls) trusting the public
//! certificate authorities; a hub on a shop's own network with a
//! certificate of its own CA is trusted too when `STOCKROOM_HUB_CA_FILE`
//! names that CA's certificate (PEM).

use std::time::Duration;

use stockroom_protocol::sync::{
    ApiError, DeviceLocationRequest, EnrolCodeRequest, EnrolCodeResponse, EnrolRequest, EnrolResponse, PullResponse,
    PushRequest, PushResponse, RawOpEnvelope, PROTOCOL_VERSION_HEADER,
};
use stockroom_protocol::PROTOCOL_VERSION;
use uuid::Uuid;

use super::engine::{failure_from_answer, HubLink, LinkError};
use super::FailureKind;
use crate::photos::BlobLink;

/// Longest wait for one answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// A hub at `base_url` (e.g. `http://10.0.0.2:7700`), with this device's
/// session token.
#[derive(Clone)]
pub struct HttpHub {
    client: reqwest::Client,
    base_url: String,
    token: String,
}

fn network(err: reqwest::Error) -> LinkError {
    LinkError {
        kind: FailureKind::Network,
        detail: err.to_string(),
    }
}

/// The body of a 2xx answer, or the failure a 4xx/5xx answer stands for.
async fn answer_body(answer: reqwest::Response) -> Result<(u16, Vec<u8>), LinkError> {
    let status = answer.status().as_u16();
    let body = answer.bytes().await.map_err(network)?;
    if (200..300).contains(&status) {
        return Ok((status, body.to_vec()));
    }
    let code = serde_json::from_slice::<ApiError>(&body).ok().map(|error| error.code);
    Err(LinkError {
        kind: failure_from_answer(status, code.as_deref()),
        detail: format!("hub answered {status} {}", code.unwrap_or_default()),
    })
}

async fn read_answer<T: serde::de::DeserializeOwned>(answer: reqwest::Response) -> Result<T, LinkError> {
    let (status, body) = answer_body(answer).await?;
    serde_json::from_slice(&body).map_err(|err| LinkError {
        kind: FailureKind::Server { status },
        detail: format!("unreadable answer: {err}"),
    })
}

/// The environment variable naming a PEM file of certificate authorities
/// trusted for the hub besides the public ones.
pub const HUB_CA_FILE_ENV: &str = "STOCKROOM_HUB_CA_FILE";

fn client() -> Result<reqwest::Client, LinkError> {
    let mut builder = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(Duration::from_secs(10));
    if let Some(path) = std::env::var_os(HUB_CA_FILE_ENV) {
        let unusable = |problem: String| LinkError {
            kind: FailureKind::Network,
            detail: format!("{HUB_CA_FILE_ENV} ({}): {problem}", path.to_string_lossy()),
        };
        let pem = std::fs::read(&path).map_err(|err| unusable(err.to_string()))?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|err| unusable(err.to_string()))?;
        if certificates.is_empty() {
            return Err(unusable("no certificate in the file".to_string()));
        }
        for certificate in certificates {
            builder = builder.add_root_certificate(certificate);
        }
    }
    builder.build().map_err(network)
}

impl HttpHub {
    pub fn new(base_url: &str, token: &str) -> Result<HttpHub, LinkError> {
        Ok(HttpHub {
            client: client()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
        })
    }

    /// Signs this device in to the hub with a hub user's name and password.
    pub async fn enrol(
        base_url: &str,
        username: &str,
        password: &str,
        device_id: Uuid,
        device_name: Option<&str>,
    ) -> Result<EnrolResponse, LinkError> {
        let request = EnrolRequest {
            protocol_version: PROTOCOL_VERSION,
            username: username.to_string(),
            password: password.to_string(),
            device_id: Some(device_id),
            device_name: device_name.map(str::to_string),
            enrolment_code: None,
        };
        HttpHub::enrol_with(base_url, &request).await
    }

    /// Enrols with any request: a password, or a one-time enrolment code.
    pub async fn enrol_with(base_url: &str, request: &EnrolRequest) -> Result<EnrolResponse, LinkError> {
        let answer = client()?
            .post(format!("{}/v1/enrol", base_url.trim_end_matches('/')))
            .json(request)
            .send()
            .await
            .map_err(network)?;
        read_answer(answer).await
    }
}

impl HttpHub {
    /// Assigns this device to a location on the hub (`None`: to none). The
    /// device's next pull is answered `scopes_changed` and it takes a new
    /// snapshot of its scopes.
    pub async fn set_device_location(&self, location_id: Option<Uuid>) -> Result<(), LinkError> {
        let answer = self
            .client
            .put(format!("{}/v1/device/location", self.base_url))
            .bearer_auth(&self.token)
            .json(&DeviceLocationRequest { location_id })
            .send()
            .await
            .map_err(network)?;
        answer_body(answer).await.map(|_| ())
    }

    /// Makes a one-time enrolment code for a user of this device's shop
    /// (the device's user must be an owner or a manager on the hub).
    pub async fn create_enrol_code(&self, request: &EnrolCodeRequest) -> Result<EnrolCodeResponse, LinkError> {
        self.post_json("/v1/enrol/codes", request).await
    }

    /// POSTs `body` as JSON to `path` with the device's session and reads
    /// the JSON answer.
    async fn post_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &impl serde::Serialize,
    ) -> Result<T, LinkError> {
        let answer = self
            .client
            .post(format!("{}{path}", self.base_url))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .map_err(network)?;
        read_answer(answer).await
    }
}

impl HubLink for HttpHub {
    async fn snapshot(&self) -> Result<Vec<u8>, LinkError> {
        let answer = self
            .client
            .get(format!("{}/v1/sync/snapshot", self.base_url))
            .bearer_auth(&self.token)
            .header(PROTOCOL_VERSION_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .map_err(network)?;
        Ok(answer_body(answer).await?.1)
    }

    async fn push(&self, request: &PushRequest) -> Result<PushResponse, LinkError> {
        self.post_json("/v1/sync/push", request).await
    }

    async fn pull(&self, since: Option<&str>, limit: u32) -> Result<PullResponse<RawOpEnvelope>, LinkError> {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(since) = since {
            query.push(("since", since.to_string()));
        }
        let answer = self
            .client
            .get(format!("{}/v1/sync/pull", self.base_url))
            .bearer_auth(&self.token)
            .header(PROTOCOL_VERSION_HEADER, PROTOCOL_VERSION.to_string())
            .query(&query)
            .send()
            .await
            .map_err(network)?;
        read_answer(answer).await
    }
}

impl BlobLink for HttpHub {
    async fn put_blob(&self, sha256: &str, bytes: Vec<u8>) -> Result<(), LinkError> {
        let answer = self
            .client
            .put(format!("{}/v1/blobs/{sha256}", self.base_url))
            .bearer_auth(&self.token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .map_err(network)?;
        answer_body(answer).await.map(|_| ())
    }

    async fn get_blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, LinkError> {
        let answer = self
            .client
            .get(format!("{}/v1/blobs/{sha256}", self.base_url))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(network)?;
        if answer.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(answer_body(answer).await?.1))
    }
}
