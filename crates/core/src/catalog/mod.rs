//! The catalog: products (this file), and in submodules their barcodes,
//! categories, price lists, search, and CSV import/export.

mod barcodes;
mod bulk_insert;
mod categories;
mod export;
mod import;
mod import_rows;
pub mod price_lists;
mod products;
mod search;

pub use barcodes::{manual_code_key, Barcode, BarcodeHit};
pub use categories::Category;
pub use export::{PRODUCT_EXPORT_COLUMNS, STOCK_EXPORT_COLUMNS};
pub use import::{ImportColumns, ImportIssue, ImportMapping, ImportPreset, ImportReport, RowIssue, TaxRateFormat};
pub use products::{ProductListQuery, ProductPage, ProductPatch};
pub use search::{ProductSearch, ProductSearchPage};

use sqlx::FromRow;
use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::money::{Currency, Money};
use crate::records::FieldValue;
use crate::store::{Store, WriteTx};

/// A product as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Product {
    pub id: Uuid,
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    /// Unit of sale: `pc`, `kg`, `l`, `m`, ...
    pub unit: String,
    pub category_id: Option<Uuid>,
    pub cost: Money,
    pub price: Money,
    /// Tax rate in basis points (2000 = 20 %). Prices exclude tax.
    pub tax_rate_bp: u32,
    pub active: bool,
    /// The photo's 1024 px version (SHA-256, lower-case hex), if it has one.
    pub photo_1024: Option<String>,
    /// The photo's 256 px version (SHA-256, lower-case hex), if it has one.
    pub photo_256: Option<String>,
}

/// What a manager enters to add a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewProduct {
    pub sku: String,
    pub name: String,
    pub brand: Option<String>,
    pub unit: String,
    pub category_id: Option<Uuid>,
    pub cost: Money,
    pub price: Money,
    pub tax_rate_bp: u32,
}

impl NewProduct {
    /// A product sold by the piece, at `price`, no tax, no cost recorded.
    pub fn simple(sku: &str, name: &str, price: Money) -> NewProduct {
        NewProduct {
            sku: sku.into(),
            name: name.into(),
            brand: None,
            unit: "pc".into(),
            category_id: None,
            cost: Money::zero(price.currency),
            price,
            tax_rate_bp: 0,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.sku.trim().is_empty() || self.sku.len() > 64 {
            return Err(CoreError::invalid("sku", "must be 1 to 64 characters"));
        }
        if self.name.trim().is_empty() {
            return Err(CoreError::invalid("name", "must not be empty"));
        }
        if self.unit.trim().is_empty() {
            return Err(CoreError::invalid("unit", "must not be empty"));
        }
        if self.cost.currency != self.price.currency {
            return Err(CoreError::CurrencyMismatch {
                expected: self.price.currency.to_string(),
                found: self.cost.currency.to_string(),
            });
        }
        if self.price.minor < 0 || self.cost.minor < 0 {
            return Err(CoreError::invalid("price", "must not be negative"));
        }
        if self.tax_rate_bp > 100_000 {
            return Err(CoreError::invalid("tax rate", "over 1000 %"));
        }
        Ok(())
    }

    /// Every field of the new product, in the order of [`PRODUCT_FIELDS`].
    pub(crate) fn fields(&self) -> Vec<(&'static str, FieldValue)> {
        vec![
            ("sku", FieldValue::Text(Some(self.sku.trim().to_string()))),
            ("name", FieldValue::Text(Some(self.name.trim().to_string()))),
            (
                "brand",
                FieldValue::Text(self.brand.as_ref().map(|brand| brand.trim().to_string())),
            ),
            ("unit", FieldValue::Text(Some(self.unit.trim().to_string()))),
            ("category_id", FieldValue::Id(self.category_id)),
            ("currency", FieldValue::Text(Some(self.price.currency.to_string()))),
            ("cost_minor", FieldValue::Int(self.cost.minor)),
            ("price_minor", FieldValue::Int(self.price.minor)),
            ("tax_rate_bp", FieldValue::Int(i64::from(self.tax_rate_bp))),
            ("active", FieldValue::Bool(true)),
        ]
    }
}

/// Field names of [`NewProduct::fields`], in order.
pub(crate) const PRODUCT_FIELDS: [&str; 10] = [
    "sku",
    "name",
    "brand",
    "unit",
    "category_id",
    "currency",
    "cost_minor",
    "price_minor",
    "tax_rate_bp",
    "active",
];

#[derive(FromRow)]
pub(crate) struct ProductRow {
    id: String,
    sku: String,
    name: String,
    brand: Option<String>,
    unit: String,
    category_id: Option<String>,
    currency: String,
    cost_minor: i64,
    price_minor: i64,
    tax_rate_bp: i64,
    active: bool,
    photo_1024: Option<String>,
    photo_256: Option<String>,
}

/// Columns matching [`ProductRow`], for `SELECT {PRODUCT_COLUMNS} FROM products p`.
pub(crate) const PRODUCT_COLUMNS: &str =
    "p.id, p.sku, p.name, p.brand, p.unit, p.category_id, p.currency, p.cost_minor, p.price_minor, p.tax_rate_bp, p.active, p.photo_1024, p.photo_256";

impl TryFrom<ProductRow> for Product {
    type Error = CoreError;
    fn try_from(row: ProductRow) -> Result<Product> {
        let currency: Currency = row.currency.parse()?;
        Ok(Product {
            id: parse_uuid(&row.id)?,
            sku: row.sku,
            name: row.name,
            brand: row.brand,
            unit: row.unit,
            category_id: row.category_id.as_deref().map(parse_uuid).transpose()?,
            cost: Money::new(row.cost_minor, currency),
            price: Money::new(row.price_minor, currency),
            tax_rate_bp: row.tax_rate_bp as u32,
            active: row.active,
            photo_1024: row.photo_1024,
            photo_256: row.photo_256,
        })
    }
}

impl WriteTx<'_> {
    /// Inserts a product inside a larger write (creation, import).
    pub(crate) async fn insert_product(&mut self, product: &NewProduct) -> Result<Uuid> {
        product.validate()?;
        self.check_sku_free(product.sku.trim(), None).await?;
        if let Some(category_id) = product.category_id {
            self.check_category_exists(category_id).await?;
        }
        let id = self.new_id();
        self.insert_record(Entity::Product, id, &product.fields()).await?;
        Ok(id)
    }
}

impl Store {
    /// Adds a product. SKUs are unique among active products on this device
    /// (the hub has the final word across devices).
    pub async fn create_product(&self, session: &Session, product: &NewProduct) -> Result<Uuid> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let id = write.insert_product(product).await?;
        write.commit().await?;
        Ok(id)
    }

    /// One product by id, active or archived.
    pub async fn product(&self, id: Uuid) -> Result<Product> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.id = ?");
        let row: Option<ProductRow> = sqlx::query_as(&sql)
            .bind(id.to_string())
            .fetch_optional(self.reader())
            .await?;
        row.ok_or_else(|| CoreError::not_found("product", id))?.try_into()
    }
}
