//! One flow per persona through the twin, as the UI drives it: the clerk's
//! shift and split-currency sale, the warehouse's receipt, count and
//! transfer, the salesperson's order and payment, the manager's users and
//! dashboard.

use serde_json::{json, Value};

use crate::support::Twin;

async fn product_by_sku(twin: &Twin, sku: &str) -> Value {
    let page = twin
        .call("search_products", json!({"query": sku, "limit": 5, "offset": 0}))
        .await
        .ok();
    page["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|product| product["sku"] == sku)
        .unwrap_or_else(|| panic!("no product {sku}: {page}"))
        .clone()
}

async fn location_named(twin: &Twin, name: &str) -> Value {
    let locations = twin.call("list_locations", json!({})).await.ok();
    locations
        .as_array()
        .unwrap()
        .iter()
        .find(|location| location["name"] == name)
        .unwrap_or_else(|| panic!("no location {name}"))
        .clone()
}

#[tokio::test]
async fn clerk_opens_a_shift_sells_in_two_currencies_returns_and_cashes_up() {
    let twin = Twin::demo_signed_in("cara", "1111").await;
    assert_eq!(twin.call("current_shift", json!({})).await.ok(), Value::Null);
    let shift = twin
        .call("open_shift", json!({"float": {"minor": 10000, "currency": "EUR"}}))
        .await
        .ok();
    assert_eq!(shift["expected"]["minor"], 10000);
    let again = twin
        .call("open_shift", json!({"float": {"minor": 10000, "currency": "EUR"}}))
        .await;
    assert_eq!(again.code(), "conflict");

    let coffee = product_by_sku(&twin, "COF-250").await;
    let cart = json!([{"productId": coffee["id"], "qtyMilli": 2000}]);
    let quote = twin
        .call(
            "quote_sale",
            json!({"lines": cart, "discount": {"kind": "percent", "basisPoints": 1000}}),
        )
        .await
        .ok();
    let total = quote["total"]["minor"].as_i64().unwrap();
    assert!(total > 0 && quote["discount"]["minor"].as_i64().unwrap() > 0, "{quote}");

    // Part in US dollars at 0.9 EUR per USD, the rest in euro cash with change.
    let receipt = twin
        .call(
            "record_sale",
            json!({
                "lines": cart,
                "discount": {"kind": "percent", "basisPoints": 1000},
                "payments": [
                    {"method": "card", "amount": {"minor": 200, "currency": "USD"}, "rateMicros": 900000},
                    {"method": "cash", "amount": {"minor": 2000, "currency": "EUR"}}
                ]
            }),
        )
        .await
        .ok();
    assert_eq!(receipt["total"]["minor"].as_i64().unwrap(), total);
    let change = receipt["change"]["minor"].as_i64().unwrap();
    assert_eq!(change, 2000 + 180 - total, "{receipt}");
    let number = receipt["number"].as_str().unwrap().to_string();
    let again = twin.call("get_receipt", json!({"number": number})).await.ok();
    assert_eq!(again["saleId"], receipt["saleId"]);

    let short = twin
        .call(
            "record_sale",
            json!({"lines": cart, "payments": [{"method": "cash", "amount": {"minor": 1, "currency": "EUR"}}]}),
        )
        .await;
    assert_eq!(short.code(), "invalid_input");
    assert!(
        short.body["message"].as_str().unwrap().contains("missing"),
        "{}",
        short.body
    );

    let line_id = receipt["lines"][0]["lineId"].clone();
    let returned = twin
        .call(
            "record_return",
            json!({"number": number, "lines": [{"saleLineId": line_id, "qtyMilli": 1000}], "refundMethod": "cash"}),
        )
        .await
        .ok();
    let refund = returned["total"]["minor"].as_i64().unwrap();
    assert!(refund > 0);

    let expected = 10000 + 2000 - change - refund;
    let open = twin.call("current_shift", json!({})).await.ok();
    assert_eq!(open["expected"]["minor"], expected, "{open}");
    let closed = twin
        .call(
            "close_shift",
            json!({"countedCash": {"minor": expected - 50, "currency": "EUR"}}),
        )
        .await
        .ok();
    assert_eq!(closed["expected"]["minor"], expected);
    assert_eq!(closed["counted"]["minor"], expected - 50);
    assert_eq!(closed["variance"]["minor"], -50);
    assert_eq!(twin.call("current_shift", json!({})).await.ok(), Value::Null);
}

#[tokio::test]
async fn warehouse_receives_counts_and_transfers() {
    let twin = Twin::demo_signed_in("wes", "3333").await;
    let warehouse = location_named(&twin, "Central Warehouse").await;
    let store = location_named(&twin, "Main Street Store").await;
    let pasta = product_by_sku(&twin, "PST-500").await;
    let before = twin
        .call("stock_by_location", json!({"locationId": warehouse["id"]}))
        .await
        .ok();
    let level = |stock: &Value| {
        stock
            .as_array()
            .unwrap()
            .iter()
            .find(|line| line["productId"] == pasta["id"])
            .map(|line| line["qtyMilli"].as_i64().unwrap())
            .unwrap_or(0)
    };
    let start = level(&before);
    twin.call(
        "receive",
        json!({"locationId": warehouse["id"], "lines": [{"productId": pasta["id"], "qtyMilli": 24000}], "reference": "DN-1"}),
    )
    .await
    .ok();
    let after = twin
        .call("stock_by_location", json!({"locationId": warehouse["id"]}))
        .await
        .ok();
    assert_eq!(level(&after), start + 24000);

    let count = twin
        .call("start_count", json!({"locationId": warehouse["id"]}))
        .await
        .ok();
    let session_id = count["sessionId"].clone();
    let counted = twin
        .call(
            "count_line",
            json!({"sessionId": session_id, "productId": pasta["id"], "qtyMilli": start + 23000}),
        )
        .await
        .ok();
    assert_eq!(counted["lines"][0]["varianceMilli"], -1000);
    let preview = twin.call("count_preview", json!({"sessionId": session_id})).await.ok();
    assert_eq!(preview["status"], "open");
    let committed = twin.call("commit_count", json!({"sessionId": session_id})).await.ok();
    assert_eq!(committed["status"], "committed");

    let transfer = twin
        .call(
            "transfer_out",
            json!({"fromId": warehouse["id"], "toId": store["id"], "lines": [{"productId": pasta["id"], "qtyMilli": 5000}]}),
        )
        .await
        .ok();
    assert_eq!(transfer["open"], true);
    let waiting = twin
        .call("list_transfers", json!({"toLocationId": store["id"]}))
        .await
        .ok();
    assert!(waiting.as_array().unwrap().iter().any(|t| t["id"] == transfer["id"]));
    let arrived = twin
        .call("receive_transfer", json!({"transferId": transfer["id"]}))
        .await
        .ok();
    assert_eq!(arrived["open"], false);
    let movements = twin
        .call("product_movements", json!({"productId": pasta["id"], "limit": 10}))
        .await
        .ok();
    let kinds: Vec<&str> = movements
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        &kinds[..4],
        ["transfer_in", "transfer_out", "count", "receive"],
        "{kinds:?}"
    );

    // A warehouse user may not sell.
    let sale = twin
        .call(
            "quote_sale",
            json!({"lines": [{"productId": pasta["id"], "qtyMilli": 1000}]}),
        )
        .await;
    assert_eq!(sale.code(), "forbidden");
}

#[tokio::test]
async fn salesperson_takes_an_order_at_the_customers_prices_and_collects_a_payment() {
    let twin = Twin::demo_signed_in("sam", "2222").await;
    let customers = twin.call("list_customers", json!({"query": ""})).await.ok();
    let customer = customers
        .as_array()
        .unwrap()
        .iter()
        .find(|customer| !customer["priceListId"].is_null())
        .expect("a demo customer with a price list")
        .clone();
    let catalog = twin
        .call(
            "customer_catalog",
            json!({"customerId": customer["id"], "query": "", "limit": 100, "offset": 0}),
        )
        .await
        .ok();
    assert_eq!(catalog["currency"], customer["currency"]);
    let line = catalog["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|line| line["price"] != line["product"]["price"])
        .expect("a product at a list price")
        .clone();
    let order = twin
        .call(
            "submit_order",
            json!({"customerId": customer["id"], "lines": [{"productId": line["product"]["id"], "qtyMilli": 3000}]}),
        )
        .await
        .ok();
    assert_eq!(order["status"], "provisional");
    assert_eq!(order["lines"][0]["unitPrice"], line["price"]);
    let orders = twin
        .call("list_orders", json!({"customerId": customer["id"]}))
        .await
        .ok();
    assert!(orders.as_array().unwrap().iter().any(|o| o["id"] == order["id"]));

    let paid = twin
        .call(
            "record_payment",
            json!({"customerId": customer["id"], "amount": {"minor": 500, "currency": customer["currency"]}, "method": "cash"}),
        )
        .await
        .ok();
    assert_eq!(
        paid["balance"]["minor"].as_i64().unwrap(),
        customer["balance"]["minor"].as_i64().unwrap() - 500
    );
}

#[tokio::test]
async fn manager_adds_a_user_changes_roles_and_reads_the_dashboard() {
    let twin = Twin::demo_signed_in("max", "4444").await;
    let user = twin
        .call(
            "create_user",
            json!({"username": "nina", "displayName": "Nina New", "role": "cashier", "pin": "5555"}),
        )
        .await
        .ok();
    let changed = twin
        .call(
            "update_user",
            json!({"userId": user["id"], "role": "warehouse", "active": false}),
        )
        .await
        .ok();
    assert_eq!(
        (changed["role"].as_str(), changed["active"].as_bool()),
        (Some("warehouse"), Some(false))
    );
    let owner = twin
        .call("update_user", json!({"userId": user["id"], "role": "owner"}))
        .await;
    assert_eq!(owner.code(), "forbidden");
    let renamed = twin
        .call(
            "update_user",
            json!({"userId": user["id"], "username": "nina.k", "displayName": "Nina K"}),
        )
        .await
        .ok();
    assert_eq!(
        (renamed["username"].as_str(), renamed["displayName"].as_str()),
        (Some("nina.k"), Some("Nina K"))
    );
    let taken = twin
        .call("update_user", json!({"userId": user["id"], "username": "max"}))
        .await;
    assert_eq!(taken.code(), "conflict");
    // A display name of its own stays when only the username changes.
    let again = twin
        .call("update_user", json!({"userId": user["id"], "username": "nina.kay"}))
        .await
        .ok();
    assert_eq!(
        (again["username"].as_str(), again["displayName"].as_str()),
        (Some("nina.kay"), Some("Nina K"))
    );

    let dashboard = twin.call("dashboard", json!({"sinceMs": 0})).await.ok();
    assert!(dashboard["sales"][0]["nSales"].as_u64().unwrap() > 0, "{dashboard}");
    let inbox = twin.call("inbox", json!({})).await.ok();
    assert_eq!(dashboard["inboxCount"], inbox.as_array().unwrap().len());

    let product = twin
        .call(
            "create_product",
            json!({"sku": "NEW-1", "name": "New thing", "price": {"minor": 250, "currency": "EUR"}, "barcode": "4006381333931"}),
        )
        .await
        .ok();
    let hit = twin.call("lookup_code", json!({"code": "4006381333931"})).await.ok();
    assert_eq!(hit["product"]["id"], product["id"]);
    let renamed = twin
        .call(
            "update_product",
            json!({"id": product["id"], "name": "Newer thing", "brand": "Acme"}),
        )
        .await
        .ok();
    assert_eq!(
        (renamed["name"].as_str(), renamed["brand"].as_str()),
        (Some("Newer thing"), Some("Acme"))
    );
    twin.call("archive_product", json!({"id": product["id"]})).await.ok();
    let gone = twin.call("search_products", json!({"query": "NEW-1"})).await.ok();
    assert_eq!(gone["total"], 0);
}
