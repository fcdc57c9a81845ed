//! Price lists (per customer tier, region and currency) and their entries,
//! both class F records, and the price a product sells at under a list.

use std::collections::HashMap;

use sqlx::SqliteConnection;
use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{Currency, Money};
use crate::records::{check_name, optional_text, FieldValue};
use crate::store::Store;

/// A named set of prices in one currency, e.g. "Wholesale EU".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceList {
    pub id: Uuid,
    pub name: String,
    pub currency: Currency,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub active: bool,
}

/// What a manager enters to add a price list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPriceList {
    pub name: String,
    pub currency: Currency,
    pub tier: Option<String>,
    pub region: Option<String>,
}

/// Changes to a price list's descriptive fields; `None` leaves a field as it
/// is. The currency is fixed: the entries' prices are amounts in it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriceListPatch {
    pub name: Option<String>,
    pub tier: Option<Option<String>>,
    pub region: Option<Option<String>>,
}

/// One product's price in a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PriceListEntry {
    pub id: Uuid,
    pub price_list_id: Uuid,
    pub product_id: Uuid,
    pub price: Money,
    pub active: bool,
}

type PriceListRow = (String, String, String, Option<String>, Option<String>, bool);

fn price_list_from_row((id, name, currency, tier, region, active): PriceListRow) -> Result<PriceList> {
    Ok(PriceList {
        id: parse_uuid(&id)?,
        name,
        currency: currency.parse()?,
        tier,
        region,
        active,
    })
}

/// What selling a product to a customer needs: its price for them (their
/// list's entry when both are active, else the product's own), its cost and
/// tax rate. One read.
pub(crate) struct ProductPricing {
    pub price: Money,
    pub cost: Money,
    pub tax_rate_bp: i64,
}

/// Product id, currency, price, cost and tax; the list's currency and price.
type PricingRow = (String, String, i64, i64, i64, Option<String>, Option<i64>);

/// The product's [`ProductPricing`] under `price_list_id`, read through `conn`.
pub(crate) async fn price_for_in(
    conn: &mut SqliteConnection,
    product_id: Uuid,
    price_list_id: Option<Uuid>,
) -> Result<ProductPricing> {
    prices_for_in(conn, &[product_id], price_list_id)
        .await?
        .remove(&product_id)
        .ok_or_else(|| CoreError::not_found("product", product_id))
}

/// [`ProductPricing`] of several products (a cart) in one read; products
/// that do not exist are missing from the map.
pub(crate) async fn prices_for_in(
    conn: &mut SqliteConnection,
    product_ids: &[Uuid],
    price_list_id: Option<Uuid>,
) -> Result<HashMap<Uuid, ProductPricing>> {
    let mut pricing = HashMap::with_capacity(product_ids.len());
    for chunk in product_ids.chunks(500) {
        let sql = format!(
            "SELECT p.id, p.currency, p.price_minor, p.cost_minor, p.tax_rate_bp, l.currency, e.price_minor
             FROM products p
             LEFT JOIN price_list_entries e ON e.product_id = p.id AND e.price_list_id = ? AND e.active = 1
             LEFT JOIN price_lists l ON l.id = e.price_list_id AND l.active = 1
             WHERE p.id IN ({})",
            vec!["?"; chunk.len()].join(", ")
        );
        let mut query = sqlx::query_as::<_, PricingRow>(&sql).bind(price_list_id.map(|id| id.to_string()));
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for (id, product_currency, product_price, cost_minor, tax_rate_bp, list_currency, list_price) in
            query.fetch_all(&mut *conn).await?
        {
            let product_currency: Currency = product_currency.parse()?;
            let price = match (list_currency, list_price) {
                (Some(currency), Some(price)) => Money::new(price, currency.parse()?),
                _ => Money::new(product_price, product_currency),
            };
            let pricing_of_product = ProductPricing {
                price,
                cost: Money::new(cost_minor, product_currency),
                tax_rate_bp,
            };
            pricing.insert(parse_uuid(&id)?, pricing_of_product);
        }
    }
    Ok(pricing)
}

/// One price list read through `conn`.
pub(crate) async fn price_list_in(conn: &mut SqliteConnection, id: Uuid) -> Result<PriceList> {
    let row: Option<PriceListRow> =
        sqlx::query_as("SELECT id, name, currency, tier, region, active FROM price_lists WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    price_list_from_row(row.ok_or_else(|| CoreError::not_found("price list", id))?)
}

impl Store {
    /// Adds a price list.
    pub async fn create_price_list(&self, session: &Session, list: &NewPriceList) -> Result<Uuid> {
        session.require(Permission::ManageCatalog)?;
        let name = check_name(&list.name)?;
        let mut write = self.write(session).await?;
        let id = write.new_id();
        write
            .insert_record(
                Entity::PriceList,
                id,
                &[
                    ("name", FieldValue::Text(Some(name))),
                    ("currency", FieldValue::Text(Some(list.currency.to_string()))),
                    ("tier", FieldValue::Text(optional_text(&list.tier))),
                    ("region", FieldValue::Text(optional_text(&list.region))),
                    ("active", FieldValue::Bool(true)),
                ],
            )
            .await?;
        write.commit().await?;
        Ok(id)
    }

    /// Renames a price list or changes its tier or region; only the fields
    /// that really change are stamped and sent.
    pub async fn edit_price_list(&self, session: &Session, id: Uuid, patch: &PriceListPatch) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let current = price_list_in(write.conn(), id).await?;
        let mut fields = Vec::new();
        if let Some(name) = &patch.name {
            let name = check_name(name)?;
            if name != current.name {
                fields.push(("name", FieldValue::Text(Some(name))));
            }
        }
        if let Some(tier) = &patch.tier {
            let tier = optional_text(tier);
            if tier != current.tier {
                fields.push(("tier", FieldValue::Text(tier)));
            }
        }
        if let Some(region) = &patch.region {
            let region = optional_text(region);
            if region != current.region {
                fields.push(("region", FieldValue::Text(region)));
            }
        }
        if fields.is_empty() {
            return Ok(());
        }
        write.update_fields(Entity::PriceList, id, &fields).await?;
        write.commit().await
    }

    /// Archives a price list (its entries stop applying) or brings it back.
    pub async fn set_price_list_active(&self, session: &Session, id: Uuid, active: bool) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        write
            .update_fields(Entity::PriceList, id, &[("active", FieldValue::Bool(active))])
            .await?;
        write.commit().await
    }

    /// One price list, active or archived.
    pub async fn price_list(&self, id: Uuid) -> Result<PriceList> {
        let mut conn = self.reader().acquire().await?;
        price_list_in(&mut conn, id).await
    }

    /// Every price list, active or archived, by name.
    pub async fn price_lists(&self) -> Result<Vec<PriceList>> {
        let rows: Vec<PriceListRow> =
            sqlx::query_as("SELECT id, name, currency, tier, region, active FROM price_lists ORDER BY name, id")
                .fetch_all(self.reader())
                .await?;
        rows.into_iter().map(price_list_from_row).collect()
    }

    /// Sets the price of `product_id` in a list, in the list's currency.
    /// Setting it again changes the same entry (and revives a removed one).
    /// Returns the entry's id.
    pub async fn set_list_price(
        &self,
        session: &Session,
        price_list_id: Uuid,
        product_id: Uuid,
        price: Money,
    ) -> Result<Uuid> {
        session.require(Permission::ManageCatalog)?;
        if price.minor < 0 {
            return Err(CoreError::invalid("price", "must not be negative"));
        }
        let mut write = self.write(session).await?;
        let list = price_list_in(write.conn(), price_list_id).await?;
        if list.currency != price.currency {
            return Err(CoreError::CurrencyMismatch {
                expected: list.currency.to_string(),
                found: price.currency.to_string(),
            });
        }
        let product_exists: Option<String> = sqlx::query_scalar("SELECT id FROM products WHERE id = ?")
            .bind(product_id.to_string())
            .fetch_optional(write.conn())
            .await?;
        if product_exists.is_none() {
            return Err(CoreError::not_found("product", product_id));
        }
        let existing: Option<(String, i64, bool)> = sqlx::query_as(
            "SELECT id, price_minor, active FROM price_list_entries WHERE price_list_id = ? AND product_id = ?",
        )
        .bind(price_list_id.to_string())
        .bind(product_id.to_string())
        .fetch_optional(write.conn())
        .await?;
        let entry_id = match existing {
            Some((id, old_price, active)) => {
                let id = parse_uuid(&id)?;
                let mut fields = Vec::new();
                if old_price != price.minor {
                    fields.push(("price_minor", FieldValue::Int(price.minor)));
                }
                if !active {
                    fields.push(("active", FieldValue::Bool(true)));
                }
                if fields.is_empty() {
                    return Ok(id);
                }
                write.update_fields(Entity::PriceListEntry, id, &fields).await?;
                id
            }
            None => {
                let id = write.new_id();
                write
                    .insert_record(
                        Entity::PriceListEntry,
                        id,
                        &[
                            ("price_list_id", FieldValue::Id(Some(price_list_id))),
                            ("product_id", FieldValue::Id(Some(product_id))),
                            ("price_minor", FieldValue::Int(price.minor)),
                            ("active", FieldValue::Bool(true)),
                        ],
                    )
                    .await?;
                id
            }
        };
        write.commit().await?;
        Ok(entry_id)
    }

    /// Removes a product from a list (archives the entry): the product then
    /// sells at its own price under that list.
    pub async fn remove_list_price(&self, session: &Session, price_list_id: Uuid, product_id: Uuid) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let entry: Option<String> = sqlx::query_scalar(
            "SELECT id FROM price_list_entries WHERE price_list_id = ? AND product_id = ? AND active = 1",
        )
        .bind(price_list_id.to_string())
        .bind(product_id.to_string())
        .fetch_optional(write.conn())
        .await?;
        let Some(entry) = entry else {
            return Err(CoreError::not_found("price list entry", product_id));
        };
        write
            .update_fields(
                Entity::PriceListEntry,
                parse_uuid(&entry)?,
                &[("active", FieldValue::Bool(false))],
            )
            .await?;
        write.commit().await
    }

    /// The entries of a list, active or removed, by product name.
    pub async fn price_list_entries(&self, price_list_id: Uuid) -> Result<Vec<PriceListEntry>> {
        let mut conn = self.reader().acquire().await?;
        let list = price_list_in(&mut conn, price_list_id).await?;
        let rows: Vec<(String, String, i64, bool)> = sqlx::query_as(
            "SELECT e.id, e.product_id, e.price_minor, e.active
             FROM price_list_entries e LEFT JOIN products p ON p.id = e.product_id
             WHERE e.price_list_id = ? ORDER BY p.name, e.id",
        )
        .bind(price_list_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|(id, product_id, price_minor, active)| {
                Ok(PriceListEntry {
                    id: parse_uuid(&id)?,
                    price_list_id,
                    product_id: parse_uuid(&product_id)?,
                    price: Money::new(price_minor, list.currency),
                    active,
                })
            })
            .collect()
    }

    /// The price `product_id` sells at under `price_list_id` (or with no
    /// list): the list's entry when list and entry are active, else the
    /// product's own price. Prices exclude tax.
    pub async fn price_for(&self, product_id: Uuid, price_list_id: Option<Uuid>) -> Result<Money> {
        let mut conn = self.reader().acquire().await?;
        Ok(price_for_in(&mut conn, product_id, price_list_id).await?.price)
    }
}
