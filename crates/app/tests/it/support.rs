//! Test set-up: an app state on a fresh data folder served by the twin on
//! port 0, and a client that calls commands the way the UI does.

use std::sync::Arc;

use serde_json::{json, Value};
use stockroom_app::{twin, AppState, TokenVault};

pub struct Twin {
    pub base: String,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    _dir: tempfile::TempDir,
    _server: tokio::task::JoinHandle<()>,
}

/// A command's answer: HTTP status and JSON body.
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The body of a success; panics with the error otherwise.
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "command failed: {}", self.body);
        self.body
    }

    /// The error code of a failure.
    pub fn code(&self) -> &str {
        assert_ne!(self.status, 200, "command succeeded: {}", self.body);
        self.body["code"].as_str().unwrap_or_default()
    }
}

impl Twin {
    pub async fn start() -> Twin {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = Arc::new(
            AppState::open(dir.path(), TokenVault::Memory)
                .await
                .expect("open state"),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let router = twin::router(state.clone(), None);
        let server = tokio::spawn(async move {
            twin::run(listener, router, std::future::pending())
                .await
                .expect("serve");
        });
        Twin {
            base,
            client: reqwest::Client::new(),
            state,
            _dir: dir,
            _server: server,
        }
    }

    pub async fn call(&self, name: &str, args: Value) -> Answer {
        let answer = self
            .client
            .post(format!("{}/api/cmd/{name}", self.base))
            .json(&args)
            .send()
            .await
            .expect("request");
        let status = answer.status().as_u16();
        let body = answer.json().await.expect("JSON body");
        Answer { status, body }
    }

    /// Starts standalone with the demo shop and signs in as `username`.
    pub async fn demo_signed_in(username: &str, pin: &str) -> Twin {
        let twin = Twin::start().await;
        twin.call("start_standalone", json!({"demo": true})).await.ok();
        let users = twin.call("list_users", json!({})).await.ok();
        let user = users
            .as_array()
            .unwrap()
            .iter()
            .find(|user| user["username"] == username)
            .unwrap_or_else(|| panic!("no user {username}"))
            .clone();
        twin.call("sign_in", json!({"userId": user["id"], "pin": pin}))
            .await
            .ok();
        twin
    }
}
