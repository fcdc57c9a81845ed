//! Customers (class F profile: code, name, contacts, price list, currency,
//! credit limit, the salesperson who looks after them) and their account
//! ledger: the balance owed is derived from `account_entries`, never stored;
//! payments on account are ledger facts.

use sqlx::SqliteConnection;
use stockroom_protocol::ops::{AccountEntry, AccountEntryKind, Entity, PaymentMethod};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use crate::auth::{Permission, Role, Session};
use crate::catalog::price_lists::price_list_in;
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{Currency, Money};
use crate::records::{check_name, optional_text, FieldValue};
use crate::sales::{millis_of, parse_method};
use crate::store::{Store, WriteTx};

/// A customer as the UI shows it. Every amount of the customer's account
/// (credit limit, balance, sales on account) is in `currency`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Customer {
    pub id: Uuid,
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub price_list_id: Option<Uuid>,
    pub currency: Currency,
    pub credit_limit: Money,
    pub active: bool,
    /// The salesperson who looks after the customer: only their devices
    /// (and those that see every customer) hold it.
    pub salesperson_id: Option<Uuid>,
}

/// What a salesperson or manager enters to add a customer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCustomer {
    pub code: Option<String>,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// Must be in the customer's currency.
    pub price_list_id: Option<Uuid>,
    pub currency: Currency,
    /// In the customer's currency; zero means no credit.
    pub credit_limit: Money,
    /// Who looks after the customer. `None` from a salesperson means
    /// themselves; naming someone else takes [`Permission::AssignCustomers`].
    pub salesperson_id: Option<Uuid>,
}

impl NewCustomer {
    /// A customer with only a name, no price list and no credit.
    pub fn named(name: &str, currency: Currency) -> NewCustomer {
        NewCustomer {
            code: None,
            name: name.into(),
            phone: None,
            email: None,
            price_list_id: None,
            currency,
            credit_limit: Money::zero(currency),
            salesperson_id: None,
        }
    }
}

/// Changes to a customer; `None` leaves a field as it is, `Some(None)`
/// clears an optional one. The currency is fixed at creation: the account
/// ledger is kept in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerPatch {
    pub code: Option<Option<String>>,
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub price_list_id: Option<Option<Uuid>>,
    pub credit_limit: Option<Money>,
    /// Takes [`Permission::AssignCustomers`].
    pub salesperson_id: Option<Option<Uuid>>,
}

/// Money collected from a customer against their account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerPayment {
    /// In the customer's currency, positive.
    pub amount: Money,
    /// Cash, card or wallet (not `Account`).
    pub method: PaymentMethod,
}

/// One row of a customer's account statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountStatementLine {
    pub id: Uuid,
    pub kind: AccountEntryKind,
    /// Signed: positive raises what the customer owes.
    pub amount: Money,
    /// The sale or return behind a charge or credit.
    pub ref_id: Option<Uuid>,
    pub method: Option<PaymentMethod>,
    pub at_ms: u64,
}

fn check_credit_limit(limit: Money, currency: Currency) -> Result<()> {
    if limit.currency != currency {
        return Err(CoreError::CurrencyMismatch {
            expected: currency.to_string(),
            found: limit.currency.to_string(),
        });
    }
    if limit.minor < 0 {
        return Err(CoreError::invalid("credit limit", "must not be negative"));
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct CustomerRow {
    id: String,
    code: Option<String>,
    name: String,
    phone: Option<String>,
    email: Option<String>,
    price_list_id: Option<String>,
    currency: String,
    credit_limit_minor: i64,
    active: bool,
    salesperson_id: Option<String>,
}

const CUSTOMER_COLUMNS: &str =
    "id, code, name, phone, email, price_list_id, currency, credit_limit_minor, active, salesperson_id";

fn customer_from_row(row: CustomerRow) -> Result<Customer> {
    let currency: Currency = row.currency.parse()?;
    Ok(Customer {
        id: parse_uuid(&row.id)?,
        code: row.code,
        name: row.name,
        phone: row.phone,
        email: row.email,
        price_list_id: row.price_list_id.as_deref().map(parse_uuid).transpose()?,
        currency,
        credit_limit: Money::new(row.credit_limit_minor, currency),
        active: row.active,
        salesperson_id: row.salesperson_id.as_deref().map(parse_uuid).transpose()?,
    })
}

#[derive(sqlx::FromRow)]
struct AccountEntryRow {
    id: String,
    kind: String,
    amount_minor: i64,
    currency: String,
    ref_id: Option<String>,
    method: Option<String>,
    hlc: i64,
}

/// One customer read through `conn` (so a write can read inside its transaction).
pub(crate) async fn customer_in(conn: &mut SqliteConnection, id: Uuid) -> Result<Customer> {
    let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers WHERE id = ?");
    let row: Option<CustomerRow> = sqlx::query_as(&sql)
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    customer_from_row(row.ok_or_else(|| CoreError::not_found("customer", id))?)
}

/// What `customer` owes, summed from the account ledger read through `conn`.
pub(crate) async fn balance_in(conn: &mut SqliteConnection, customer: &Customer) -> Result<Money> {
    let sums: Vec<(String, i64)> = sqlx::query_as(
        "SELECT currency, sum(amount_minor) FROM account_entries WHERE customer_id = ? GROUP BY currency",
    )
    .bind(customer.id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut balance = Money::zero(customer.currency);
    for (currency, sum) in sums {
        if currency != customer.currency.as_str() {
            return Err(CoreError::corrupt(format!(
                "account of customer {} has entries in {currency}",
                customer.id
            )));
        }
        balance = balance.checked_add(Money::new(sum, customer.currency))?;
    }
    Ok(balance)
}

/// Checks that a price list exists and prices in the customer's currency.
async fn check_price_list(conn: &mut SqliteConnection, price_list_id: Uuid, currency: Currency) -> Result<()> {
    let list = price_list_in(conn, price_list_id).await?;
    if list.currency != currency {
        return Err(CoreError::CurrencyMismatch {
            expected: currency.to_string(),
            found: list.currency.to_string(),
        });
    }
    Ok(())
}

/// Refuses a code already used by another active customer on this device
/// (the hub has the final word across devices).
async fn check_code_free(conn: &mut SqliteConnection, code: &str, except: Option<Uuid>) -> Result<()> {
    let taken: Option<String> =
        sqlx::query_scalar("SELECT id FROM customers WHERE code = ? COLLATE NOCASE AND active = 1 AND id != ?")
            .bind(code)
            .bind(except.map(|id| id.to_string()).unwrap_or_default())
            .fetch_optional(&mut *conn)
            .await?;
    if taken.is_some() {
        return Err(CoreError::Conflict {
            entity: "customer code",
            key: code.to_string(),
        });
    }
    Ok(())
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for character in search.trim().chars() {
        if matches!(character, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(character);
    }
    pattern.push('%');
    pattern
}

impl WriteTx<'_> {
    /// Appends one account ledger row, stamped `hlc`. The caller appends the
    /// op that carries it.
    pub(crate) async fn insert_account_entry(&mut self, entry: &AccountEntry, hlc: Hlc) -> Result<()> {
        let device = self.device_text.clone();
        let user = self.user_id.to_string();
        sqlx::query(
            "INSERT INTO account_entries (id, customer_id, kind, amount_minor, currency, ref_id, method, hlc, hlc_device, user_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(entry.id.to_string())
        .bind(entry.customer_id.to_string())
        .bind(entry.kind.as_str())
        .bind(entry.amount_minor)
        .bind(&entry.currency)
        .bind(entry.ref_id.map(|id| id.to_string()))
        .bind(entry.method.map(PaymentMethod::as_str))
        .bind(hlc.to_i64())
        .bind(device)
        .bind(user)
        .execute(self.conn())
        .await?;
        Ok(())
    }
}

impl Store {
    /// Adds a customer. Codes are unique among active customers on this device.
    /// Giving credit or a price list takes [`Permission::ManageCredit`].
    pub async fn create_customer(&self, session: &Session, customer: &NewCustomer) -> Result<Uuid> {
        session.require(Permission::ManageCustomers)?;
        if customer.credit_limit.minor != 0 || customer.price_list_id.is_some() {
            session.require(Permission::ManageCredit)?;
        }
        let salesperson_id = match customer.salesperson_id {
            Some(salesperson) if salesperson != session.user_id() => {
                session.require(Permission::AssignCustomers)?;
                Some(salesperson)
            }
            Some(own) => Some(own),
            None if session.role() == Role::Salesperson => Some(session.user_id()),
            None => None,
        };
        let name = check_name(&customer.name)?;
        check_credit_limit(customer.credit_limit, customer.currency)?;
        let code = optional_text(&customer.code);
        let mut write = self.write(session).await?;
        if let Some(price_list_id) = customer.price_list_id {
            check_price_list(write.conn(), price_list_id, customer.currency).await?;
        }
        if let Some(code) = &code {
            check_code_free(write.conn(), code, None).await?;
        }
        let id = write.new_id();
        write
            .insert_record(
                Entity::Customer,
                id,
                &[
                    ("code", FieldValue::Text(code)),
                    ("name", FieldValue::Text(Some(name))),
                    ("phone", FieldValue::Text(optional_text(&customer.phone))),
                    ("email", FieldValue::Text(optional_text(&customer.email))),
                    ("price_list_id", FieldValue::Id(customer.price_list_id)),
                    ("currency", FieldValue::Text(Some(customer.currency.to_string()))),
                    ("credit_limit_minor", FieldValue::Int(customer.credit_limit.minor)),
                    ("active", FieldValue::Bool(true)),
                    ("salesperson_id", FieldValue::Id(salesperson_id)),
                ],
            )
            .await?;
        write.commit().await?;
        Ok(id)
    }

    /// Changes some fields of a customer. Only fields whose value really
    /// changes are stamped and sent, so concurrent edits of different fields
    /// on two devices both survive.
    pub async fn edit_customer(&self, session: &Session, id: Uuid, patch: &CustomerPatch) -> Result<()> {
        session.require(Permission::ManageCustomers)?;
        let mut write = self.write(session).await?;
        let current = customer_in(write.conn(), id).await?;
        let mut fields = Vec::new();
        if let Some(code) = &patch.code {
            let code = optional_text(code);
            if code != current.code {
                if let Some(code) = &code {
                    check_code_free(write.conn(), code, Some(id)).await?;
                }
                fields.push(("code", FieldValue::Text(code)));
            }
        }
        if let Some(name) = &patch.name {
            let name = check_name(name)?;
            if name != current.name {
                fields.push(("name", FieldValue::Text(Some(name))));
            }
        }
        if let Some(phone) = &patch.phone {
            let phone = optional_text(phone);
            if phone != current.phone {
                fields.push(("phone", FieldValue::Text(phone)));
            }
        }
        if let Some(email) = &patch.email {
            let email = optional_text(email);
            if email != current.email {
                fields.push(("email", FieldValue::Text(email)));
            }
        }
        if let Some(price_list_id) = patch.price_list_id {
            if price_list_id != current.price_list_id {
                if let Some(price_list_id) = price_list_id {
                    check_price_list(write.conn(), price_list_id, current.currency).await?;
                }
                fields.push(("price_list_id", FieldValue::Id(price_list_id)));
            }
        }
        if let Some(limit) = patch.credit_limit {
            check_credit_limit(limit, current.currency)?;
            if limit != current.credit_limit {
                fields.push(("credit_limit_minor", FieldValue::Int(limit.minor)));
            }
        }
        if let Some(salesperson_id) = patch.salesperson_id {
            if salesperson_id != current.salesperson_id {
                session.require(Permission::AssignCustomers)?;
                fields.push(("salesperson_id", FieldValue::Id(salesperson_id)));
            }
        }
        if fields.is_empty() {
            return Ok(());
        }
        if fields
            .iter()
            .any(|(name, _)| matches!(*name, "price_list_id" | "credit_limit_minor"))
        {
            session.require(Permission::ManageCredit)?;
        }
        write.update_fields(Entity::Customer, id, &fields).await?;
        write.commit().await
    }

    /// Archives a customer (the normal way to remove one) or brings them back.
    pub async fn set_customer_active(&self, session: &Session, id: Uuid, active: bool) -> Result<()> {
        session.require(Permission::ManageCustomers)?;
        let mut write = self.write(session).await?;
        let current = customer_in(write.conn(), id).await?;
        if current.active == active {
            return Ok(());
        }
        if active {
            if let Some(code) = &current.code {
                check_code_free(write.conn(), code, Some(id)).await?;
            }
        }
        write
            .update_fields(Entity::Customer, id, &[("active", FieldValue::Bool(active))])
            .await?;
        write.commit().await
    }

    /// One customer, active or archived.
    pub async fn customer(&self, id: Uuid) -> Result<Customer> {
        let mut conn = self.reader().acquire().await?;
        customer_in(&mut conn, id).await
    }

    /// Customers by name whose name or code contains `search` (any case;
    /// all of them when `search` is empty). Archived ones only on request.
    pub async fn customers(&self, search: &str, include_archived: bool) -> Result<Vec<Customer>> {
        let sql = format!(
            "SELECT {CUSTOMER_COLUMNS} FROM customers
             WHERE (name LIKE ?1 ESCAPE '\\' OR coalesce(code, '') LIKE ?1 ESCAPE '\\')
               AND (active = 1 OR ?2)
             ORDER BY name COLLATE NOCASE, id"
        );
        let rows: Vec<CustomerRow> = sqlx::query_as(&sql)
            .bind(like_pattern(search))
            .bind(include_archived)
            .fetch_all(self.reader())
            .await?;
        rows.into_iter().map(customer_from_row).collect()
    }

    /// What the customer owes (negative: in credit), derived from the
    /// account ledger.
    pub async fn customer_balance(&self, id: Uuid) -> Result<Money> {
        let mut conn = self.reader().acquire().await?;
        let customer = customer_in(&mut conn, id).await?;
        balance_in(&mut conn, &customer).await
    }

    /// The customer's account ledger, oldest first.
    pub async fn customer_account(&self, id: Uuid) -> Result<Vec<AccountStatementLine>> {
        let mut conn = self.reader().acquire().await?;
        let customer = customer_in(&mut conn, id).await?;
        let rows: Vec<AccountEntryRow> = sqlx::query_as(
            "SELECT id, kind, amount_minor, currency, ref_id, method, hlc FROM account_entries
             WHERE customer_id = ? ORDER BY hlc, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|row| {
                let currency: Currency = row.currency.parse()?;
                if currency != customer.currency {
                    return Err(CoreError::corrupt(format!("account entry {} in {currency}", row.id)));
                }
                let kind = AccountEntryKind::parse(&row.kind)
                    .ok_or_else(|| CoreError::corrupt(format!("account entry kind {:?}", row.kind)))?;
                Ok(AccountStatementLine {
                    id: parse_uuid(&row.id)?,
                    kind,
                    amount: Money::new(row.amount_minor, currency),
                    ref_id: row.ref_id.as_deref().map(parse_uuid).transpose()?,
                    method: row.method.as_deref().map(parse_method).transpose()?,
                    at_ms: millis_of(row.hlc)?,
                })
            })
            .collect()
    }

    /// Records money collected from a customer against their account (a
    /// salesperson on the road, a clerk at the till): one `payment` entry
    /// lowering the balance, and its `payment.received` op. Archived
    /// customers may still pay. Returns the entry's id.
    pub async fn record_customer_payment(
        &self,
        session: &Session,
        customer_id: Uuid,
        payment: &CustomerPayment,
    ) -> Result<Uuid> {
        session.require(Permission::CollectPayments)?;
        if payment.method == PaymentMethod::Account {
            return Err(CoreError::invalid(
                "payment method",
                "a payment on account is made in cash, by card or by wallet",
            ));
        }
        if payment.amount.minor <= 0 {
            return Err(CoreError::invalid("amount", "must be positive"));
        }
        let mut write = self.write(session).await?;
        let customer = customer_in(write.conn(), customer_id).await?;
        if payment.amount.currency != customer.currency {
            return Err(CoreError::CurrencyMismatch {
                expected: customer.currency.to_string(),
                found: payment.amount.currency.to_string(),
            });
        }
        let hlc = write.stamp();
        let entry = AccountEntry {
            id: write.new_id(),
            customer_id,
            kind: AccountEntryKind::Payment,
            amount_minor: -payment.amount.minor,
            currency: customer.currency.to_string(),
            ref_id: None,
            method: Some(payment.method),
        };
        write.insert_account_entry(&entry, hlc).await?;
        write.append_op(hlc, &Op::PaymentReceived(entry.clone())).await?;
        write.commit().await?;
        Ok(entry.id)
    }
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn search_text_is_matched_literally() {
        assert_eq!(like_pattern(" ana "), "%ana%");
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
