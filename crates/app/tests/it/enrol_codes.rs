//! A user made in the app enrols a device of their own: the owner adds a
//! cashier on an enrolled till, makes a one-time code for them once the
//! user has reached the hub, and a new device enrols with the code's link
//! (hub address and code) as that cashier, in the shop's assigned location.

use serde_json::json;

use crate::hub::{start_hub, synced, PASSWORD};
use crate::support::Twin;

/// The hub address and code of an enrolment link, read the way the start
/// screen reads them (`ui/src/lib/enrolLink.ts`).
fn link_parts(link: &str) -> (String, String) {
    let link = reqwest::Url::parse(link).expect("an enrolment link");
    assert_eq!((link.scheme(), link.host_str()), ("stockroom", Some("enrol")));
    let value = |name: &str| {
        link.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {link}"))
    };
    (value("hub"), value("code"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_made_in_the_app_enrols_a_device_with_a_code() {
    let hub = start_hub().await;
    let office = Twin::start().await;
    office
        .call(
            "enrol",
            json!({"hubUrl": hub.url, "username": "olive", "password": PASSWORD, "pin": "2468"}),
        )
        .await
        .ok();
    let shop = office
        .call("create_location", json!({"name": "Front shop", "kind": "store"}))
        .await
        .ok();
    // Not on the hub yet: the device says so rather than asking it.
    office.state.stop_sync().await;
    let cass = office
        .call(
            "create_user",
            json!({"username": "cass", "displayName": "Cass Cashier", "role": "cashier", "pin": "1111"}),
        )
        .await
        .ok();
    let early = office.call("make_enrol_code", json!({"userId": cass["id"]})).await;
    assert_eq!(early.code(), "unsent_data", "{:?}", early.body);
    office.state.start_sync().await.unwrap();
    synced(&office).await;

    let made = office
        .call(
            "make_enrol_code",
            json!({"userId": cass["id"], "locationId": shop["id"]}),
        )
        .await
        .ok();
    assert_eq!(made["username"], "cass");
    let code = made["code"].as_str().unwrap();
    assert_eq!((code.len(), &code[5..6]), (11, "-"), "{code}");
    assert!(made["qrSvg"].as_str().unwrap().contains("<svg"));
    let (hub_url, link_code) = link_parts(made["link"].as_str().unwrap());
    assert_eq!(hub_url, hub.url);
    assert_eq!(link_code, code.replace('-', ""));

    // The new device enrols with what the QR code holds, as Cass.
    let till = Twin::start().await;
    let info = till
        .call("enrol", json!({"hubUrl": hub_url, "code": link_code, "pin": "4321"}))
        .await
        .ok();
    assert_eq!(info["mode"], "enrolled");
    assert_eq!(info["user"]["username"], "cass");
    assert_eq!(info["user"]["role"], "cashier");
    assert_eq!(info["user"]["id"], cass["id"]);
    assert_eq!(info["locationId"], shop["id"]);
    // The code worked once.
    let again = Twin::start().await;
    let refused = again
        .call("enrol", json!({"hubUrl": hub_url, "code": link_code, "pin": "4321"}))
        .await;
    assert_eq!(refused.code(), "hub_refused");

    // A cashier may not make codes; a switched-off user gets none.
    let denied = till.call("make_enrol_code", json!({"userId": cass["id"]})).await;
    assert_eq!(denied.code(), "forbidden");
    office
        .call("update_user", json!({"userId": cass["id"], "active": false}))
        .await
        .ok();
    let off = office.call("make_enrol_code", json!({"userId": cass["id"]})).await;
    assert_eq!(off.code(), "invalid_input");
    for twin in [&office, &till, &again] {
        twin.state.stop_sync().await;
    }
}
