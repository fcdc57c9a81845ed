//! App users are hub accounts. A `user.set` a device sends (a manager
//! adding a cashier, changing a role, switching someone off) is applied to
//! the hub account with the same id in the same transaction as the op: the
//! account is made if new (with no password: such a user enrols a device
//! with a one-time code a manager makes) and given the op's username,
//! display name, role and access otherwise. So the role a device's user has
//! on the hub, which decides what its ops may do and which scopes it
//! receives, is the role a manager gave them in the app; and a user a
//! manager switched off can no longer enrol or sync.
//!
//! Accounts follow the feed's order (the order every device applies
//! `user.set` ops in), judged under the tenant's lock. A `user.set` is
//! rejected, and the account left alone, when it would give a user a
//! username another account holds (`username_taken`: usernames are unique
//! across the hub, ignoring case), names an account of another tenant
//! (`wrong_tenant`), or changes an owner's account and was not sent by an
//! owner (`role_not_allowed`; making an owner is already refused by the
//! role rules).

use std::collections::HashMap;

use stockroom_protocol::ops::UserSet;
use stockroom_protocol::sync::RejectCode;
use uuid::Uuid;

use super::{flags_json, Pending, PushTx, TenantLock};
use crate::error::HubError;
use crate::policy::Role;
use crate::store::DeviceAuth;

/// A hub account as a push reads it to judge a `user.set`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub username: String,
    pub role: Role,
}

/// An applied `user.set` and the role of the user who sent it.
#[derive(Clone, Debug)]
pub(super) struct AccountChange {
    pub user: UserSet,
    pub sent_by: Role,
}

/// The key usernames are unique by.
fn folded(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Rejects, in `pending`, every `user.set` the accounts as they stand (and
/// as the ops before it in this push leave them) do not allow.
pub(super) async fn reject_account_clashes<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    pending: &mut [Pending<'_>],
    tenant: &mut TenantLock,
) -> Result<(), HubError> {
    let changes: Vec<usize> = pending
        .iter()
        .enumerate()
        .filter(|(_, op)| op.row.rejected.is_none() && op.account.is_some())
        .map(|(index, _)| index)
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    tenant.take(tx, auth.tenant_id).await?;
    let mut ids = Vec::new();
    let mut usernames = Vec::new();
    for change in changes.iter().filter_map(|index| pending[*index].account.as_ref()) {
        ids.push(change.user.id);
        usernames.push(folded(&change.user.username));
    }
    ids.sort();
    ids.dedup();
    usernames.sort();
    usernames.dedup();
    let mut accounts = Accounts::default();
    for account in tx.accounts(&ids, &usernames).await? {
        accounts.insert(account);
    }
    for index in changes {
        let op = &mut pending[index];
        let Some(change) = &op.account else { continue };
        match accounts.judge(auth.tenant_id, change) {
            Some(code) => {
                op.row.rejected = Some(code);
                op.row.flags_json = flags_json(&[]);
                op.flags.clear();
                op.account = None;
            }
            None => accounts.insert(Account {
                id: change.user.id,
                tenant_id: auth.tenant_id,
                username: change.user.username.trim().to_string(),
                role: Role::parse(&change.user.role).unwrap_or(Role::Cashier),
            }),
        }
    }
    Ok(())
}

/// The accounts a push has read, by id and by folded username.
#[derive(Default)]
struct Accounts {
    by_id: HashMap<Uuid, Account>,
    by_username: HashMap<String, Uuid>,
}

impl Accounts {
    fn insert(&mut self, account: Account) {
        if let Some(before) = self.by_id.get(&account.id) {
            self.by_username.remove(&folded(&before.username));
        }
        self.by_username.insert(folded(&account.username), account.id);
        self.by_id.insert(account.id, account);
    }

    /// Why `change` may not be applied by a device of `tenant_id`, if so.
    fn judge(&self, tenant_id: Uuid, change: &AccountChange) -> Option<RejectCode> {
        if let Some(existing) = self.by_id.get(&change.user.id) {
            if existing.tenant_id != tenant_id {
                return Some(RejectCode::WrongTenant);
            }
            if existing.role == Role::Owner && change.sent_by != Role::Owner {
                return Some(RejectCode::RoleNotAllowed);
            }
        }
        match self.by_username.get(&folded(&change.user.username)) {
            Some(holder) if *holder != change.user.id => Some(RejectCode::UsernameTaken),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: Uuid, username: &str, sent_by: Role) -> AccountChange {
        AccountChange {
            user: UserSet {
                id,
                username: username.to_string(),
                display_name: username.to_string(),
                role: "cashier".to_string(),
                active: true,
            },
            sent_by,
        }
    }

    fn account(id: Uuid, tenant_id: Uuid, username: &str, role: Role) -> Account {
        Account {
            id,
            tenant_id,
            username: username.to_string(),
            role,
        }
    }

    #[test]
    fn a_username_is_one_accounts_whatever_its_case() {
        let tenant = Uuid::now_v7();
        let (anna, other) = (Uuid::now_v7(), Uuid::now_v7());
        let mut accounts = Accounts::default();
        accounts.insert(account(anna, tenant, "Anna", Role::Cashier));
        assert_eq!(
            accounts.judge(tenant, &change(other, " anna", Role::Manager)),
            Some(RejectCode::UsernameTaken)
        );
        // Anna's own account may keep or change its name.
        assert_eq!(accounts.judge(tenant, &change(anna, "ANNA", Role::Manager)), None);
        assert_eq!(accounts.judge(tenant, &change(anna, "anna.k", Role::Manager)), None);
        // Once renamed, the old name is free and the new one taken.
        accounts.insert(account(anna, tenant, "anna.k", Role::Cashier));
        assert_eq!(accounts.judge(tenant, &change(other, "anna", Role::Manager)), None);
        assert_eq!(
            accounts.judge(tenant, &change(other, "Anna.K", Role::Manager)),
            Some(RejectCode::UsernameTaken)
        );
    }

    #[test]
    fn another_tenants_account_and_an_owners_are_out_of_reach() {
        let (tenant, elsewhere) = (Uuid::now_v7(), Uuid::now_v7());
        let (theirs, owner) = (Uuid::now_v7(), Uuid::now_v7());
        let mut accounts = Accounts::default();
        accounts.insert(account(theirs, elsewhere, "theirs", Role::Cashier));
        accounts.insert(account(owner, tenant, "boss", Role::Owner));
        assert_eq!(
            accounts.judge(tenant, &change(theirs, "theirs", Role::Owner)),
            Some(RejectCode::WrongTenant)
        );
        assert_eq!(
            accounts.judge(tenant, &change(owner, "boss", Role::Manager)),
            Some(RejectCode::RoleNotAllowed)
        );
        assert_eq!(accounts.judge(tenant, &change(owner, "boss", Role::Owner)), None);
        // A new account with a free name is fine.
        assert_eq!(
            accounts.judge(tenant, &change(Uuid::now_v7(), "new", Role::Manager)),
            None
        );
    }
}
