//! Users, PIN sign-in and role checks.

use stockroom_core::{NewProduct, NewUser, Role};

use crate::support::{eur, TestStore};

#[tokio::test]
async fn pin_sign_in_checks_the_pin() {
    let test = TestStore::new().await;
    let cashier = test.user("cara", Role::Cashier).await;
    assert_eq!(cashier.role(), Role::Cashier);
    assert_eq!(
        test.store.sign_in("cara", "0000").await.unwrap_err().code(),
        "bad_credentials"
    );
    assert_eq!(
        test.store.sign_in("nobody", "4321").await.unwrap_err().code(),
        "bad_credentials"
    );
}

#[tokio::test]
async fn only_one_first_owner() {
    let test = TestStore::new().await;
    let err = test
        .store
        .create_first_owner("second", "Second", "1111")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "conflict");
}

#[tokio::test]
async fn roles_are_enforced_by_commands() {
    let test = TestStore::new().await;
    let cashier = test.user("cara", Role::Cashier).await;
    let err = test
        .store
        .create_product(&cashier, &NewProduct::simple("X", "X", eur(1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    let manager = test.user("max", Role::Manager).await;
    test.store
        .create_product(&manager, &NewProduct::simple("X", "X", eur(1)))
        .await
        .unwrap();
    // A manager cannot make an owner; an owner can.
    let owner_request = NewUser {
        username: "o2".into(),
        display_name: "O2".into(),
        role: Role::Owner,
        pin: "5555".into(),
    };
    assert_eq!(
        test.store
            .create_user(&manager, &owner_request)
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    test.store.create_user(&test.owner, &owner_request).await.unwrap();
}

#[tokio::test]
async fn deactivated_users_cannot_sign_in() {
    let test = TestStore::new().await;
    let clerk = test.user("cara", Role::Cashier).await;
    test.store
        .set_user_active(&test.owner, clerk.user_id(), false)
        .await
        .unwrap();
    assert_eq!(
        test.store.sign_in("cara", "4321").await.unwrap_err().code(),
        "bad_credentials"
    );
    let users = test.store.users().await.unwrap();
    assert!(users.iter().any(|user| user.username == "cara" && !user.active));
}

#[tokio::test]
async fn a_user_changes_their_own_pin() {
    let test = TestStore::new().await;
    let clerk = test.user("cara", Role::Cashier).await;
    test.store.set_pin(&clerk, clerk.user_id(), "9876").await.unwrap();
    test.store.sign_in("cara", "9876").await.unwrap();
    let other = test.user("carl", Role::Cashier).await;
    assert_eq!(
        test.store
            .set_pin(&clerk, other.user_id(), "1111")
            .await
            .unwrap_err()
            .code(),
        "forbidden"
    );
    assert_eq!(
        test.store
            .set_pin(&clerk, clerk.user_id(), "12")
            .await
            .unwrap_err()
            .code(),
        "invalid_input"
    );
}

#[tokio::test]
async fn a_manager_cannot_take_over_the_owner_by_pin() {
    let test = TestStore::new().await;
    let manager = test.user("max", Role::Manager).await;
    let err = test
        .store
        .set_pin(&manager, test.owner.user_id(), "0000")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "forbidden");
    assert_eq!(
        test.store.sign_in("owner", "0000").await.unwrap_err().code(),
        "bad_credentials"
    );
    // A manager still resets a cashier's PIN; the owner resets anyone's.
    let clerk = test.user("cara", Role::Cashier).await;
    test.store.set_pin(&manager, clerk.user_id(), "2468").await.unwrap();
    test.store.sign_in("cara", "2468").await.unwrap();
    test.store
        .set_pin(&test.owner, manager.user_id(), "1357")
        .await
        .unwrap();
    test.store.sign_in("max", "1357").await.unwrap();
}

#[tokio::test]
async fn a_user_switched_off_after_signing_in_can_no_longer_write() {
    let test = TestStore::new().await;
    let manager = test.user("max", Role::Manager).await;
    test.store
        .set_user_active(&test.owner, manager.user_id(), false)
        .await
        .unwrap();
    let err = test
        .store
        .create_product(&manager, &NewProduct::simple("LATE", "Too late", eur(1)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "session_expired");
    assert_eq!(test.count("SELECT count(*) FROM products WHERE sku = 'LATE'").await, 0);
}

#[tokio::test]
async fn a_manager_renames_a_user_whose_name_the_hub_refused() {
    use stockroom_protocol::Op;
    let test = TestStore::new().await;
    let manager = test.user("max", Role::Manager).await;
    let clerk = test.user("wes~1a2b", Role::Cashier).await;
    let before = test.store.outbox_len().await.unwrap();
    test.store
        .rename_user(&manager, clerk.user_id(), " wes.k ", "")
        .await
        .unwrap();
    // The PIN stays; the old name no longer signs in.
    test.store.sign_in("wes.k", "4321").await.unwrap();
    assert_eq!(
        test.store.sign_in("wes~1a2b", "4321").await.unwrap_err().code(),
        "bad_credentials"
    );
    let users = test.store.users().await.unwrap();
    let renamed = users.iter().find(|user| user.id == clerk.user_id()).unwrap();
    assert_eq!(
        (renamed.username.as_str(), renamed.display_name.as_str()),
        ("wes.k", "wes.k")
    );
    // One `user.set` carries the new name to the hub.
    let sent = test.store.outbox_range(before + 1, before + 1).await.unwrap();
    match &sent[..] {
        [envelope] => match &envelope.op {
            Op::UserSet(user) => {
                assert_eq!((user.id, user.username.as_str()), (clerk.user_id(), "wes.k"));
                assert_eq!((user.role.as_str(), user.active), ("cashier", true));
            }
            other => panic!("expected a user.set, got {other:?}"),
        },
        other => panic!("expected one op, got {other:?}"),
    }

    // A name another user holds is a conflict; a blank one is invalid; the
    // owner is the owner's to rename.
    let taken = test.store.rename_user(&manager, clerk.user_id(), "max", "Max").await;
    assert_eq!(taken.unwrap_err().code(), "conflict");
    let blank = test.store.rename_user(&manager, clerk.user_id(), "  ", "").await;
    assert_eq!(blank.unwrap_err().code(), "invalid_input");
    let owner = test.store.rename_user(&manager, test.owner.user_id(), "boss", "").await;
    assert_eq!(owner.unwrap_err().code(), "forbidden");
    // Nor does a change that changes nothing.
    test.store
        .rename_user(&manager, clerk.user_id(), "wes.k", "wes.k")
        .await
        .unwrap();
    test.store
        .set_user_active(&manager, clerk.user_id(), true)
        .await
        .unwrap();
    assert_eq!(
        test.store.outbox_len().await.unwrap(),
        before + 1,
        "refusals and changes of nothing send nothing"
    );
}
