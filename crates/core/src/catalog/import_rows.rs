//! Applying the rows of an import inside one write: what the catalog holds
//! is read once into memory, then every row is decided against it (skip,
//! create, update, which barcodes to add, which problems to report) without
//! further reads, and only the resulting inserts and updates reach SQLite.

use std::collections::{HashMap, HashSet};

use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::catalog::barcodes::{barcode_fields, check_code_text, BARCODE_FIELDS};
use crate::catalog::bulk_insert::BulkInsert;
use crate::catalog::categories::check_category_name;
use crate::catalog::import::{ImportIssue, ImportMapping, ImportReport, RowIssue};
use crate::catalog::products::{changed_fields, clean_brand};
use crate::catalog::{NewProduct, Product, ProductPatch, ProductRow, PRODUCT_COLUMNS, PRODUCT_FIELDS};
use crate::error::{CoreError, Result};
use crate::gtin::{self, BarcodeKey};
use crate::money::{Currency, Money};
use crate::records::FieldValue;
use crate::store::WriteTx;

/// One barcode cell entry, as written in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SourceBarcode {
    pub(crate) raw: String,
    pub(crate) pack_qty_milli: i64,
}

/// One row of the file, its cells trimmed and typed; `None` for a cell that
/// is empty or a column the mapping does not have.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SourceRow {
    pub(crate) line: u64,
    pub(crate) sku: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) brand: Option<String>,
    pub(crate) barcodes: Vec<SourceBarcode>,
    pub(crate) price: Option<Money>,
    /// The price column exists but this row's cell is empty.
    pub(crate) price_missing: bool,
    pub(crate) cost: Option<Money>,
    pub(crate) currency: Currency,
    pub(crate) unit: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) tax_rate_bp: Option<u32>,
    pub(crate) active: Option<bool>,
}

/// The stored key of an imported code and the problem it has, if any.
/// Unlike a code typed by a person, a wrong check digit is not refused: the
/// label in the shop carries that exact text, so it is kept as written.
pub(crate) fn imported_code_key(raw: &str) -> std::result::Result<(String, Option<(RowIssue, String)>), String> {
    let raw = raw.trim();
    check_code_text(raw).map_err(|err| err.to_string())?;
    let digits_only = raw.bytes().all(|byte| byte.is_ascii_digit());
    Ok(match gtin::normalise(raw) {
        BarcodeKey::Gtin(code) => {
            let issue = (raw.len() == 11).then(|| (RowIssue::GtinPadded, format!("{raw} read as the UPC-A {code}")));
            (code, issue)
        }
        BarcodeKey::BadCheckDigit(_) => (
            raw.to_string(),
            Some((
                RowIssue::GtinCheckDigit,
                format!("{raw} has a wrong check digit; kept as written"),
            )),
        ),
        BarcodeKey::Other(code) => {
            let issue = digits_only.then(|| {
                (
                    RowIssue::GtinLength,
                    format!("{raw} has {} digits, no GS1 length; kept as written", raw.len()),
                )
            });
            (code, issue)
        }
    })
}

/// Who holds an active code, and whether this import gave it to them.
struct CodeOwner {
    product_id: Uuid,
    from_this_file: bool,
}

/// The catalog as the import sees it, kept up to date as rows apply.
struct CatalogSnapshot {
    /// Per SKU the active product, or else the latest archived one.
    products: HashMap<String, Product>,
    codes: HashMap<String, CodeOwner>,
    /// Active categories by lower-case name, top-level ones preferred.
    categories: HashMap<String, Uuid>,
}

impl CatalogSnapshot {
    async fn load(write: &mut WriteTx<'_>) -> Result<CatalogSnapshot> {
        let sql = format!("SELECT {PRODUCT_COLUMNS} FROM products p ORDER BY p.active, p.rowid");
        let product_rows: Vec<ProductRow> = sqlx::query_as(&sql).fetch_all(write.conn()).await?;
        let mut products = HashMap::with_capacity(product_rows.len());
        for row in product_rows {
            let product = Product::try_from(row)?;
            products.insert(product.sku.clone(), product);
        }
        let code_rows: Vec<(String, String)> =
            sqlx::query_as("SELECT code, product_id FROM barcodes WHERE active = 1 ORDER BY rowid")
                .fetch_all(write.conn())
                .await?;
        let mut codes = HashMap::with_capacity(code_rows.len());
        for (code, product_id) in code_rows {
            let owner = CodeOwner {
                product_id: crate::ids::parse_uuid(&product_id)?,
                from_this_file: false,
            };
            codes.entry(code).or_insert(owner);
        }
        let category_rows: Vec<(String, String)> =
            sqlx::query_as("SELECT id, name FROM categories WHERE active = 1 ORDER BY parent_id IS NOT NULL, rowid")
                .fetch_all(write.conn())
                .await?;
        let mut categories = HashMap::with_capacity(category_rows.len());
        for (id, name) in category_rows {
            categories
                .entry(name.to_lowercase())
                .or_insert(crate::ids::parse_uuid(&id)?);
        }
        Ok(CatalogSnapshot {
            products,
            codes,
            categories,
        })
    }
}

fn malformed(line: u64, err: CoreError) -> CoreError {
    match err {
        CoreError::Import { .. } | CoreError::Database(_) | CoreError::Io(_) => err,
        other => CoreError::Import {
            line,
            problem: other.to_string(),
        },
    }
}

/// What happened to one row's product.
enum RowOutcome {
    Created,
    Updated,
    Unchanged,
}

struct RowApplier<'m> {
    mapping: &'m ImportMapping,
    snapshot: CatalogSnapshot,
    report: ImportReport,
    /// SKUs already taken by a row of this file.
    skus_in_file: HashSet<String>,
    /// Rows that were not skipped: (line, SKU).
    imported: Vec<(u64, String)>,
    new_products: BulkInsert,
    new_barcodes: BulkInsert,
}

impl RowApplier<'_> {
    fn skip(&mut self, row: &SourceRow, sku: Option<&str>, issue: RowIssue, detail: String) {
        self.report.skipped.push(ImportIssue {
            line: row.line,
            sku: sku.map(str::to_string),
            issue,
            detail,
        });
    }

    async fn category_id(&mut self, write: &mut WriteTx<'_>, row: &SourceRow) -> Result<Option<Uuid>> {
        let Some(name) = &row.category else {
            return Ok(None);
        };
        let name = check_category_name(name).map_err(|err| malformed(row.line, err))?;
        let key = name.to_lowercase();
        if let Some(id) = self.snapshot.categories.get(&key) {
            return Ok(Some(*id));
        }
        let id = write.insert_category(name, None).await?;
        self.snapshot.categories.insert(key, id);
        self.report.categories_created += 1;
        Ok(Some(id))
    }

    async fn apply(&mut self, write: &mut WriteTx<'_>, row: &SourceRow) -> Result<()> {
        let sku_from_code = self.mapping.columns.sku.is_none();
        let mut issues = Vec::new();
        let mut codes: Vec<(String, i64)> = Vec::with_capacity(row.barcodes.len());
        for barcode in &row.barcodes {
            match imported_code_key(&barcode.raw) {
                Ok((code, issue)) => {
                    issues.extend(issue);
                    if !codes.iter().any(|(known, _)| *known == code) {
                        codes.push((code, barcode.pack_qty_milli));
                    }
                }
                Err(detail) => issues.push((RowIssue::InvalidCode, detail)),
            }
        }
        let sku = if sku_from_code {
            codes.first().map(|(code, _)| code.clone())
        } else {
            row.sku.clone()
        };
        let Some(sku) = sku else {
            let (issue, mut detail) = if sku_from_code {
                (RowIssue::MissingBarcode, "no barcode to use as the SKU".to_string())
            } else {
                (RowIssue::MissingSku, "the SKU cell is empty".to_string())
            };
            for (_, problem) in &issues {
                detail.push_str("; ");
                detail.push_str(problem);
            }
            self.skip(row, None, issue, detail);
            return Ok(());
        };
        if self.mapping.non_stock_skus.contains(&sku) {
            self.skip(
                row,
                Some(&sku),
                RowIssue::NonStockCode,
                format!("{sku} is a fee or adjustment, not goods"),
            );
            return Ok(());
        }
        let existing = self.snapshot.products.get(&sku).cloned();
        if existing.is_none() && row.name.is_none() {
            self.skip(
                row,
                Some(&sku),
                RowIssue::MissingName,
                "a new product needs a name".to_string(),
            );
            return Ok(());
        }
        if !self.skus_in_file.insert(sku.clone()) {
            let (issue, detail) = if sku_from_code {
                (RowIssue::DuplicateCode, format!("barcode {sku} is on an earlier row"))
            } else {
                (RowIssue::DuplicateSku, format!("SKU {sku} is on an earlier row"))
            };
            self.skip(row, Some(&sku), issue, detail);
            return Ok(());
        }
        if row.price_missing && existing.is_none() {
            issues.push((RowIssue::MissingPrice, "no price: imported at 0".to_string()));
        }
        let category_id = self.category_id(write, row).await?;

        let (product_id, mut outcome) = match existing {
            Some(current) => self.update(write, row, current, category_id).await?,
            None => (self.create(write, row, &sku, category_id).await?, RowOutcome::Created),
        };

        for (code, pack_qty_milli) in codes {
            match self.snapshot.codes.get(&code) {
                Some(owner) if owner.product_id == product_id => {}
                Some(owner) if owner.from_this_file => {
                    issues.push((RowIssue::DuplicateCode, format!("barcode {code} is on an earlier row")))
                }
                Some(owner) => issues.push((
                    RowIssue::BarcodeInUse,
                    format!("barcode {code} is on product {}", owner.product_id),
                )),
                None => {
                    let barcode_id = write.new_id();
                    self.new_barcodes
                        .push(write, barcode_id, barcode_fields(product_id, &code, pack_qty_milli))
                        .await?;
                    self.snapshot.codes.insert(
                        code,
                        CodeOwner {
                            product_id,
                            from_this_file: true,
                        },
                    );
                    self.report.barcodes_added += 1;
                    if matches!(outcome, RowOutcome::Unchanged) {
                        outcome = RowOutcome::Updated;
                    }
                }
            }
        }
        match outcome {
            RowOutcome::Created => self.report.created += 1,
            RowOutcome::Updated => self.report.updated += 1,
            RowOutcome::Unchanged => self.report.unchanged += 1,
        }
        for (issue, detail) in issues {
            self.report.flagged.push(ImportIssue {
                line: row.line,
                sku: Some(sku.clone()),
                issue,
                detail,
            });
        }
        self.imported.push((row.line, sku));
        if self.new_products.is_full() || self.new_barcodes.is_full() {
            self.flush(write).await?;
        }
        Ok(())
    }

    /// Writes the buffered rows, products before the barcodes naming them.
    async fn flush(&mut self, write: &mut WriteTx<'_>) -> Result<()> {
        self.new_products.flush(write).await?;
        self.new_barcodes.flush(write).await
    }

    async fn create(
        &mut self,
        write: &mut WriteTx<'_>,
        row: &SourceRow,
        sku: &str,
        category_id: Option<Uuid>,
    ) -> Result<Uuid> {
        let product = NewProduct {
            sku: sku.to_string(),
            name: row.name.clone().unwrap_or_default(),
            brand: clean_brand(row.brand.as_deref()),
            unit: row.unit.clone().unwrap_or_else(|| self.mapping.default_unit.clone()),
            category_id,
            cost: row.cost.unwrap_or(Money::zero(row.currency)),
            price: row.price.unwrap_or(Money::zero(row.currency)),
            tax_rate_bp: row.tax_rate_bp.unwrap_or(0),
        };
        product.validate().map_err(|err| malformed(row.line, err))?;
        let active = row.active.unwrap_or(true);
        let mut fields = product.fields();
        if !active {
            for (name, value) in fields.iter_mut() {
                if *name == "active" {
                    *value = FieldValue::Bool(false);
                }
            }
        }
        let id = write.new_id();
        self.new_products.push(write, id, fields).await?;
        let stored = Product {
            id,
            sku: product.sku.trim().to_string(),
            name: product.name.trim().to_string(),
            brand: product.brand,
            unit: product.unit.trim().to_string(),
            category_id,
            cost: product.cost,
            price: product.price,
            tax_rate_bp: product.tax_rate_bp,
            active,
            photo_1024: None,
            photo_256: None,
        };
        self.snapshot.products.insert(stored.sku.clone(), stored);
        Ok(id)
    }

    async fn update(
        &mut self,
        write: &mut WriteTx<'_>,
        row: &SourceRow,
        current: Product,
        category_id: Option<Uuid>,
    ) -> Result<(Uuid, RowOutcome)> {
        let patch = ProductPatch {
            sku: None,
            name: row.name.clone(),
            brand: row.brand.as_ref().map(|brand| clean_brand(Some(brand))),
            unit: row.unit.clone(),
            category_id: category_id.map(Some),
            cost: row.cost,
            price: row.price,
            tax_rate_bp: row.tax_rate_bp,
        };
        let mut fields = changed_fields(&current, &patch).map_err(|err| malformed(row.line, err))?;
        let active = row.active.unwrap_or(current.active);
        if active != current.active {
            fields.push(("active", FieldValue::Bool(active)));
        }
        if fields.is_empty() {
            return Ok((current.id, RowOutcome::Unchanged));
        }
        write.update_fields(Entity::Product, current.id, &fields).await?;
        let mut updated = current;
        apply_to(&mut updated, &fields);
        let id = updated.id;
        self.snapshot.products.insert(updated.sku.clone(), updated);
        Ok((id, RowOutcome::Updated))
    }

    /// Flags every imported row whose SKU differs only in letter case from
    /// the SKU of another active product.
    fn flag_case_clashes(&mut self) {
        let mut by_folded: HashMap<String, Vec<&str>> = HashMap::new();
        for product in self.snapshot.products.values().filter(|product| product.active) {
            by_folded
                .entry(product.sku.to_lowercase())
                .or_default()
                .push(&product.sku);
        }
        for (line, sku) in &self.imported {
            let Some(same_folded) = by_folded.get(&sku.to_lowercase()) else {
                continue;
            };
            let mut others: Vec<&str> = same_folded.iter().copied().filter(|other| other != sku).collect();
            if others.is_empty() {
                continue;
            }
            others.sort_unstable();
            self.report.flagged.push(ImportIssue {
                line: *line,
                sku: Some(sku.clone()),
                issue: RowIssue::SkuCaseClash,
                detail: format!("differs only in letter case from {}", others.join(", ")),
            });
        }
        self.report.flagged.sort_by_key(|issue| issue.line);
    }
}

/// Keeps the snapshot's copy of a product in step with fields just written.
fn apply_to(product: &mut Product, fields: &[(&'static str, FieldValue)]) {
    for (name, value) in fields {
        match (*name, value) {
            ("name", FieldValue::Text(Some(text))) => product.name = text.clone(),
            ("brand", FieldValue::Text(text)) => product.brand = text.clone(),
            ("unit", FieldValue::Text(Some(text))) => product.unit = text.clone(),
            ("category_id", FieldValue::Id(id)) => product.category_id = *id,
            ("currency", FieldValue::Text(Some(code))) => {
                if let Ok(currency) = code.parse::<Currency>() {
                    product.price.currency = currency;
                    product.cost.currency = currency;
                }
            }
            ("cost_minor", FieldValue::Int(minor)) => product.cost.minor = *minor,
            ("price_minor", FieldValue::Int(minor)) => product.price.minor = *minor,
            ("tax_rate_bp", FieldValue::Int(rate)) => product.tax_rate_bp = *rate as u32,
            ("active", FieldValue::Bool(active)) => product.active = *active,
            _ => {}
        }
    }
}

/// Applies every row of a read file inside `write`, returning the report.
/// Fails (and the caller's write rolls back) on a row whose values break
/// a product rule, naming its line.
pub(crate) async fn apply_rows(
    write: &mut WriteTx<'_>,
    rows: &[SourceRow],
    mapping: &ImportMapping,
) -> Result<ImportReport> {
    let snapshot = CatalogSnapshot::load(write).await?;
    let mut applier = RowApplier {
        mapping,
        snapshot,
        report: ImportReport {
            rows_read: rows.len() as u64,
            ..ImportReport::default()
        },
        skus_in_file: HashSet::with_capacity(rows.len()),
        imported: Vec::with_capacity(rows.len()),
        new_products: BulkInsert::new(Entity::Product, &PRODUCT_FIELDS),
        new_barcodes: BulkInsert::new(Entity::Barcode, &BARCODE_FIELDS),
    };
    for row in rows {
        applier.apply(write, row).await?;
    }
    applier.flush(write).await?;
    applier.flag_case_clashes();
    Ok(applier.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_codes_keep_their_text_when_broken() {
        let key = |raw: &str| imported_code_key(raw).unwrap();
        assert_eq!(key("4006381333931"), ("4006381333931".to_string(), None));
        assert_eq!(key("036000291452").0, "0036000291452");
        assert_eq!(key("4006381333932").0, "4006381333932");
        assert_eq!(key("4006381333932").1.unwrap().0, RowIssue::GtinCheckDigit);
        // An 11-digit UPC-A whose padded form is valid.
        let (code, issue) = key("36000291452");
        assert_eq!(code, "0036000291452");
        assert_eq!(issue.unwrap().0, RowIssue::GtinPadded);
        // 11 digits that stay invalid when padded are kept as written.
        assert_eq!(key("01115304626").0, "01115304626");
        assert_eq!(key("1234567").1.unwrap().0, RowIssue::GtinLength);
        assert_eq!(key("SHELF-7"), ("SHELF-7".to_string(), None));
        assert!(imported_code_key("bad\u{7}code").is_err());
    }
}
