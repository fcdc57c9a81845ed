//! The twin's contract: commands by name with JSON bodies, errors as
//! `{code, message}` with a status, events as SSE, and the binary's
//! `listening on` line.

use serde_json::json;
use tokio::io::AsyncBufReadExt;

use crate::support::Twin;

#[tokio::test]
async fn first_start_demo_sign_in_search_and_scan() {
    let twin = Twin::start().await;
    let info = twin.call("app_info", json!({})).await.ok();
    assert_eq!(info["mode"], "unset");
    assert_eq!(info["user"], serde_json::Value::Null);

    let info = twin.call("start_standalone", json!({"demo": true})).await.ok();
    assert_eq!(info["mode"], "standalone");
    let users = twin.call("list_users", json!({})).await.ok();
    let cara = users
        .as_array()
        .unwrap()
        .iter()
        .find(|user| user["username"] == "cara")
        .expect("demo cashier")
        .clone();
    assert_eq!(cara["role"], "cashier");

    let wrong = twin.call("sign_in", json!({"userId": cara["id"], "pin": "9999"})).await;
    assert_eq!((wrong.status, wrong.code()), (401, "wrong_pin"));
    let signed_in = twin
        .call("sign_in", json!({"userId": cara["id"], "pin": "1111"}))
        .await
        .ok();
    assert_eq!(signed_in["displayName"], "Cara Cashier");
    let info = twin.call("app_info", json!({})).await.ok();
    assert_eq!(info["user"]["username"], "cara");

    let page = twin
        .call("search_products", json!({"query": "choc", "limit": 10, "offset": 0}))
        .await
        .ok();
    assert_eq!(page["total"], 2, "{page}");
    let all = twin
        .call("search_products", json!({"query": "", "limit": 5, "offset": 20}))
        .await
        .ok();
    assert_eq!(all["total"], 24);
    assert_eq!(all["products"].as_array().unwrap().len(), 4);

    let product_id = &page["products"][0]["id"];
    let detail = twin.call("get_product", json!({"id": product_id})).await.ok();
    let code = detail["barcodes"][0]["code"]
        .as_str()
        .expect("demo barcode")
        .to_string();
    let hit = twin.call("lookup_code", json!({"code": code})).await.ok();
    assert_eq!(&hit["product"]["id"], product_id);
    assert!(hit["product"]["price"]["minor"].as_i64().unwrap() > 0);
    let miss = twin.call("lookup_code", json!({"code": "4006381333931"})).await;
    assert_eq!((miss.status, miss.code()), (404, "not_found"));

    let status = twin.call("sync_status", json!({})).await.ok();
    assert_eq!(status["phase"], "standalone");

    // A cashier may not edit the catalog.
    let forbidden = twin
        .call(
            "create_product",
            json!({"sku": "X-1", "name": "X", "price": {"minor": 100, "currency": "EUR"}}),
        )
        .await;
    assert_eq!((forbidden.status, forbidden.code()), (403, "forbidden"));
    twin.call("sign_out", json!({"force": false})).await.ok();
    let after = twin
        .call(
            "create_product",
            json!({"sku": "X-1", "name": "X", "price": {"minor": 100, "currency": "EUR"}}),
        )
        .await;
    assert_eq!(after.code(), "not_signed_in");
}

#[tokio::test]
async fn bad_requests_get_codes_not_crashes() {
    let twin = Twin::start().await;
    let unknown = twin.call("drop_tables", json!({})).await;
    assert_eq!((unknown.status, unknown.code()), (404, "unknown_command"));
    let bad_args = twin.call("sign_in", json!({"userId": "not-a-uuid", "pin": 1})).await;
    assert_eq!((bad_args.status, bad_args.code()), (400, "invalid_input"));
    let not_json = twin
        .client
        .post(format!("{}/api/cmd/app_info", twin.base))
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status().as_u16(), 400);
    // An empty body is `{}`.
    let empty = twin
        .client
        .post(format!("{}/api/cmd/app_info", twin.base))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status().as_u16(), 200);
    let no_owner = twin.call("start_standalone", json!({"demo": false})).await;
    assert_eq!(no_owner.code(), "invalid_input");
    let bad_locale = twin.call("set_locale", json!({"locale": "<script>"})).await;
    assert_eq!(bad_locale.code(), "invalid_input");
    twin.call("set_locale", json!({"locale": "ar"})).await.ok();
    assert_eq!(twin.call("app_info", json!({})).await.ok()["locale"], "ar");
}

#[tokio::test]
async fn events_stream_the_sync_status() {
    let twin = Twin::start().await;
    let mut answer = twin
        .client
        .get(format!("{}/api/events", twin.base))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = answer.chunk().await.unwrap().expect("an event");
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.starts_with("event: sync-status\ndata: {"), "{text}");
    let data = text.lines().nth(1).unwrap().trim_start_matches("data: ");
    let status: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(status["phase"], "standalone");
    assert_eq!(status["unsentCount"], 0);
}

#[tokio::test]
async fn the_binary_prints_where_it_listens_and_serves_the_ui() {
    let dir = tempfile::tempdir().unwrap();
    let ui = dir.path().join("dist");
    std::fs::create_dir_all(&ui).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>Stockroom</title>").unwrap();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_stockroom-twin"))
        .args(["--port", "0", "--demo", "--data-dir"])
        .arg(dir.path().join("data"))
        .arg("--ui-dir")
        .arg(&ui)
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("a line");
    let base = line.strip_prefix("listening on ").expect(&line).to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    let page = reqwest::get(format!("{base}/some/client/route")).await.unwrap();
    assert!(page.text().await.unwrap().contains("<title>Stockroom</title>"));
    let info: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/api/cmd/app_info"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["mode"], "standalone");
    child.kill().await.unwrap();
}
