//! Changing products after creation: editing fields (only what changed is
//! stamped and sent), archiving and restoring, and paged product lists.

use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::catalog::{Product, ProductRow, PRODUCT_COLUMNS};
use crate::error::{CoreError, Result};
use crate::money::Money;
use crate::records::FieldValue;
use crate::store::{Store, WriteTx};

/// An edit of a product: `None` leaves a field as it is. For the nullable
/// fields, `Some(None)` clears them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductPatch {
    pub sku: Option<String>,
    pub name: Option<String>,
    pub brand: Option<Option<String>>,
    pub unit: Option<String>,
    pub category_id: Option<Option<Uuid>>,
    /// Cost and price share one currency: changing the currency of one
    /// needs both in the patch.
    pub cost: Option<Money>,
    pub price: Option<Money>,
    pub tax_rate_bp: Option<u32>,
}

/// Which products a list shows, and which page of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductListQuery {
    pub include_archived: bool,
    pub category_id: Option<Uuid>,
    /// Rows to pass over before the page starts.
    pub offset: u32,
    /// Rows in a page (at most 500).
    pub limit: u32,
}

impl Default for ProductListQuery {
    fn default() -> Self {
        ProductListQuery {
            include_archived: false,
            category_id: None,
            offset: 0,
            limit: 50,
        }
    }
}

/// One page of a product list, by name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductPage {
    pub products: Vec<Product>,
    /// Whether rows follow this page.
    pub has_more: bool,
}

/// An empty or blank brand is no brand.
pub(crate) fn clean_brand(brand: Option<&str>) -> Option<String> {
    brand
        .map(str::trim)
        .filter(|brand| !brand.is_empty())
        .map(str::to_string)
}

/// The fields of `patch` that differ from `current`, checked as a whole.
pub(crate) fn changed_fields(current: &Product, patch: &ProductPatch) -> Result<Vec<(&'static str, FieldValue)>> {
    let mut next = current.clone();
    if let Some(sku) = &patch.sku {
        next.sku = sku.trim().to_string();
    }
    if let Some(name) = &patch.name {
        next.name = name.trim().to_string();
    }
    if let Some(brand) = &patch.brand {
        next.brand = clean_brand(brand.as_deref());
    }
    if let Some(unit) = &patch.unit {
        next.unit = unit.trim().to_string();
    }
    if let Some(category_id) = patch.category_id {
        next.category_id = category_id;
    }
    if let Some(cost) = patch.cost {
        next.cost = cost;
    }
    if let Some(price) = patch.price {
        next.price = price;
    }
    if let Some(tax_rate_bp) = patch.tax_rate_bp {
        next.tax_rate_bp = tax_rate_bp;
    }
    let checked = crate::catalog::NewProduct {
        sku: next.sku.clone(),
        name: next.name.clone(),
        brand: next.brand.clone(),
        unit: next.unit.clone(),
        category_id: next.category_id,
        cost: next.cost,
        price: next.price,
        tax_rate_bp: next.tax_rate_bp,
    };
    checked.validate()?;

    let mut fields = Vec::new();
    if next.sku != current.sku {
        fields.push(("sku", FieldValue::Text(Some(next.sku))));
    }
    if next.name != current.name {
        fields.push(("name", FieldValue::Text(Some(next.name))));
    }
    if next.brand != current.brand {
        fields.push(("brand", FieldValue::Text(next.brand)));
    }
    if next.unit != current.unit {
        fields.push(("unit", FieldValue::Text(Some(next.unit))));
    }
    if next.category_id != current.category_id {
        fields.push(("category_id", FieldValue::Id(next.category_id)));
    }
    if next.price.currency != current.price.currency {
        fields.push(("currency", FieldValue::Text(Some(next.price.currency.to_string()))));
    }
    if next.cost.minor != current.cost.minor {
        fields.push(("cost_minor", FieldValue::Int(next.cost.minor)));
    }
    if next.price.minor != current.price.minor {
        fields.push(("price_minor", FieldValue::Int(next.price.minor)));
    }
    if next.tax_rate_bp != current.tax_rate_bp {
        fields.push(("tax_rate_bp", FieldValue::Int(i64::from(next.tax_rate_bp))));
    }
    Ok(fields)
}

impl WriteTx<'_> {
    /// A product read inside this write.
    pub(crate) async fn product_in_write(&mut self, id: Uuid) -> Result<Product> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = ?");
        let row: Option<ProductRow> = sqlx::query_as(&sql)
            .bind(id.to_string())
            .fetch_optional(self.conn())
            .await?;
        row.ok_or_else(|| CoreError::not_found("product", id))?.try_into()
    }

    /// Fails with `conflict` when another active product has `sku`.
    pub(crate) async fn check_sku_free(&mut self, sku: &str, except: Option<Uuid>) -> Result<()> {
        // `COLLATE NOCASE` lets the lookup use the SKU index; the second
        // comparison keeps SKUs case-sensitive.
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT id FROM products
             WHERE sku = ?1 COLLATE NOCASE AND sku = ?1 AND active = 1 AND id IS NOT ?2
             LIMIT 1",
        )
        .bind(sku)
        .bind(except.map(|id| id.to_string()))
        .fetch_optional(self.conn())
        .await?;
        match taken {
            Some(_) => Err(CoreError::Conflict {
                entity: "product SKU",
                key: sku.to_string(),
            }),
            None => Ok(()),
        }
    }

    /// Fails with `not_found` unless the category exists.
    pub(crate) async fn check_category_exists(&mut self, category_id: Uuid) -> Result<()> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM categories WHERE id = ?")
            .bind(category_id.to_string())
            .fetch_optional(self.conn())
            .await?;
        found
            .map(|_| ())
            .ok_or_else(|| CoreError::not_found("category", category_id))
    }
}

impl Store {
    /// Edits a product. Only the fields whose value really changes are
    /// written, stamped and sent in one `fields.set` op; an edit that changes
    /// nothing writes nothing. Returns the product as it now is.
    pub async fn update_product(&self, session: &Session, id: Uuid, patch: &ProductPatch) -> Result<Product> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let current = write.product_in_write(id).await?;
        let fields = changed_fields(&current, patch)?;
        if fields.is_empty() {
            return Ok(current);
        }
        for (name, value) in &fields {
            match (*name, value) {
                ("sku", FieldValue::Text(Some(sku))) if current.active => write.check_sku_free(sku, Some(id)).await?,
                ("category_id", FieldValue::Id(Some(category_id))) => write.check_category_exists(*category_id).await?,
                _ => {}
            }
        }
        write.update_fields(Entity::Product, id, &fields).await?;
        let updated = write.product_in_write(id).await?;
        write.commit().await?;
        Ok(updated)
    }

    /// Archives (`false`) or restores (`true`) a product. Archiving is how a
    /// product leaves the catalog: its history stays. Restoring fails with
    /// `conflict` when another active product took its SKU meanwhile.
    pub async fn set_product_active(&self, session: &Session, id: Uuid, active: bool) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let current = write.product_in_write(id).await?;
        if current.active == active {
            return Ok(());
        }
        if active {
            write.check_sku_free(&current.sku, Some(id)).await?;
        }
        write
            .update_fields(Entity::Product, id, &[("active", FieldValue::Bool(active))])
            .await?;
        write.commit().await
    }

    /// A page of products by name (ignoring letter case).
    pub async fn list_products(&self, query: &ProductListQuery) -> Result<ProductPage> {
        let limit = query.limit.clamp(1, 500);
        // Active only walks the `products_active_name` index in order.
        let filter = if query.include_archived { "1" } else { "p.active = 1" };
        let sql = format!(
            "SELECT {PRODUCT_COLUMNS} FROM products p
             WHERE {filter} AND (?1 IS NULL OR p.category_id = ?1)
             ORDER BY p.name COLLATE NOCASE, p.id
             LIMIT ?2 OFFSET ?3"
        );
        let rows: Vec<ProductRow> = sqlx::query_as(&sql)
            .bind(query.category_id.map(|id| id.to_string()))
            .bind(i64::from(limit) + 1)
            .bind(i64::from(query.offset))
            .fetch_all(self.reader())
            .await?;
        let has_more = rows.len() > limit as usize;
        let products = rows
            .into_iter()
            .take(limit as usize)
            .map(Product::try_from)
            .collect::<Result<Vec<_>>>()?;
        Ok(ProductPage { products, has_more })
    }
}
