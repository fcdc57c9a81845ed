//! Barcodes of products: several per product, each with a pack quantity (a
//! case of 12 scans as 12 pieces), stored under the normalised GS1 key, and
//! the scan lookup every till and scanner screen calls.

use sqlx::FromRow;
use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::catalog::{Product, ProductRow};
use crate::error::{CoreError, Result};
use crate::gtin::{self, BarcodeKey};
use crate::ids::parse_uuid;
use crate::money::Qty;
use crate::records::FieldValue;
use crate::store::{Store, WriteTx};

/// Longest code kept (GS1-128 carries at most 48 characters).
const MAX_CODE_CHARS: usize = 64;

/// Largest pack quantity: a million units.
const MAX_PACK_QTY_MILLI: i64 = 1_000_000_000;

/// One barcode of a product.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Barcode {
    pub id: Uuid,
    pub product_id: Uuid,
    /// The stored lookup key: GTIN-13 for EAN-13, UPC-A and UPC-E, GTIN-8
    /// for EAN-8, the text as given otherwise.
    pub code: String,
    /// Units of the product one scan stands for, in thousandths.
    pub pack_qty_milli: i64,
    pub active: bool,
}

/// What a scan found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BarcodeHit {
    /// The product, which may be archived (the UI says so).
    pub product: Product,
    pub pack_qty_milli: i64,
    /// The stored code that matched.
    pub code: String,
}

/// Checks the characters of a code typed, scanned or imported: not empty,
/// not too long, no control characters, and neither `|` nor `*`, which the
/// product CSV uses to list barcodes and their pack quantities.
pub(crate) fn check_code_text(code: &str) -> Result<()> {
    if code.is_empty() {
        return Err(CoreError::invalid("barcode", "must not be empty"));
    }
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(CoreError::invalid(
            "barcode",
            format!("must be at most {MAX_CODE_CHARS} characters"),
        ));
    }
    if code.chars().any(|c| c.is_control() || c == '|' || c == '*') {
        return Err(CoreError::invalid(
            "barcode",
            format!("{code:?} holds a control character, '|' or '*'"),
        ));
    }
    Ok(())
}

pub(crate) fn check_pack_qty(pack_qty_milli: i64) -> Result<()> {
    if pack_qty_milli <= 0 || pack_qty_milli > MAX_PACK_QTY_MILLI {
        return Err(CoreError::invalid(
            "pack quantity",
            "must be above 0 and at most 1,000,000",
        ));
    }
    Ok(())
}

/// The key a code typed or scanned by a person is stored under. A wrong GS1
/// check digit is refused (a typo is likelier than a bad label); an 8-digit
/// code that is no valid EAN-8 is tried as UPC-E.
pub fn manual_code_key(raw: &str) -> Result<String> {
    let raw = raw.trim();
    check_code_text(raw)?;
    match gtin::normalise(raw) {
        BarcodeKey::Gtin(code) | BarcodeKey::Other(code) => Ok(code),
        BarcodeKey::BadCheckDigit(padded) => {
            if raw.len() == 8 {
                if let BarcodeKey::Gtin(code) = gtin::normalise_upc_e(raw) {
                    return Ok(code);
                }
            }
            let digits: Vec<u8> = padded.bytes().map(|byte| byte - b'0').collect();
            let expected = gtin::check_digit(&digits[..digits.len() - 1]);
            Err(CoreError::invalid(
                "barcode",
                format!("the check digit of {raw} is wrong (it should end in {expected})"),
            ))
        }
    }
}

/// Stored codes a scan of `raw` may match, best first: its normalised key,
/// the text exactly as scanned (imported codes with a bad check digit are
/// kept as they came), for 8 digits the UPC-E expansion, and for an EAN-8
/// written as GTIN-13/14 (leading zeros, as GS1 DataMatrix labels carry it)
/// the EAN-8 itself.
pub(crate) fn lookup_candidates(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Vec::new();
    }
    let mut candidates = vec![gtin::normalise(raw).lookup_text().to_string()];
    if !candidates.iter().any(|code| code == raw) {
        candidates.push(raw.to_string());
    }
    if raw.len() == 8 {
        if let BarcodeKey::Gtin(expanded) = gtin::normalise_upc_e(raw) {
            if !candidates.contains(&expanded) {
                candidates.push(expanded);
            }
        }
    }
    if let BarcodeKey::Gtin(key) = gtin::normalise(raw) {
        if key.len() == 13 && key.starts_with("00000") && gtin::is_valid_gtin(&key[5..]) {
            candidates.push(key[5..].to_string());
        }
    }
    candidates
}

/// Every field of a new, active barcode.
pub(crate) fn barcode_fields(product_id: Uuid, code: &str, pack_qty_milli: i64) -> Vec<(&'static str, FieldValue)> {
    vec![
        ("code", FieldValue::Text(Some(code.to_string()))),
        ("product_id", FieldValue::Id(Some(product_id))),
        ("pack_qty_milli", FieldValue::Int(pack_qty_milli)),
        ("active", FieldValue::Bool(true)),
    ]
}

/// Field names of [`barcode_fields`], in order.
pub(crate) const BARCODE_FIELDS: [&str; 4] = ["code", "product_id", "pack_qty_milli", "active"];

#[derive(FromRow)]
struct BarcodeRow {
    id: String,
    product_id: String,
    code: String,
    pack_qty_milli: i64,
    active: bool,
}

impl TryFrom<BarcodeRow> for Barcode {
    type Error = CoreError;
    fn try_from(row: BarcodeRow) -> Result<Barcode> {
        Ok(Barcode {
            id: parse_uuid(&row.id)?,
            product_id: parse_uuid(&row.product_id)?,
            code: row.code,
            pack_qty_milli: row.pack_qty_milli,
            active: row.active,
        })
    }
}

#[derive(FromRow)]
struct HitRow {
    matched_code: String,
    pack_qty_milli: i64,
    #[sqlx(flatten)]
    product: ProductRow,
}

impl WriteTx<'_> {
    /// Fails with `conflict` when an active barcode (other than `except`)
    /// already has `code`.
    async fn check_code_free(&mut self, code: &str, except: Option<Uuid>) -> Result<()> {
        let taken: Option<String> =
            sqlx::query_scalar("SELECT product_id FROM barcodes WHERE code = ? AND active = 1 AND id IS NOT ? LIMIT 1")
                .bind(code)
                .bind(except.map(|id| id.to_string()))
                .fetch_optional(self.conn())
                .await?;
        match taken {
            Some(product_id) => Err(CoreError::Conflict {
                entity: "barcode",
                key: format!("{code} (on product {product_id})"),
            }),
            None => Ok(()),
        }
    }

    /// Inserts a barcode inside a larger write; the caller has checked it.
    pub(crate) async fn insert_barcode(&mut self, product_id: Uuid, code: &str, pack_qty_milli: i64) -> Result<Uuid> {
        let id = self.new_id();
        self.insert_record(Entity::Barcode, id, &barcode_fields(product_id, code, pack_qty_milli))
            .await?;
        Ok(id)
    }
}

impl Store {
    /// Adds a barcode typed or scanned by a manager to a product. The code is
    /// normalised (UPC-A and UPC-E to GTIN-13); a wrong check digit is
    /// `invalid_input`; a code already on an active barcode is `conflict`.
    pub async fn add_barcode(
        &self,
        session: &Session,
        product_id: Uuid,
        raw_code: &str,
        pack_qty: Qty,
    ) -> Result<Barcode> {
        session.require(Permission::ManageCatalog)?;
        let pack_qty_milli = pack_qty.milli();
        let code = manual_code_key(raw_code)?;
        check_pack_qty(pack_qty_milli)?;
        let mut write = self.write(session).await?;
        write.product_in_write(product_id).await?;
        write.check_code_free(&code, None).await?;
        let id = write.insert_barcode(product_id, &code, pack_qty_milli).await?;
        write.commit().await?;
        Ok(Barcode {
            id,
            product_id,
            code,
            pack_qty_milli,
            active: true,
        })
    }

    /// Archives (`false`) or restores (`true`) a barcode. Restoring fails
    /// with `conflict` when another active barcode took the code meanwhile.
    pub async fn set_barcode_active(&self, session: &Session, barcode_id: Uuid, active: bool) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let row: Option<(String, bool)> = sqlx::query_as("SELECT code, active FROM barcodes WHERE id = ?")
            .bind(barcode_id.to_string())
            .fetch_optional(write.conn())
            .await?;
        let (code, current) = row.ok_or_else(|| CoreError::not_found("barcode", barcode_id))?;
        if current == active {
            return Ok(());
        }
        if active {
            write.check_code_free(&code, Some(barcode_id)).await?;
        }
        write
            .update_fields(Entity::Barcode, barcode_id, &[("active", FieldValue::Bool(active))])
            .await?;
        write.commit().await
    }

    /// A product's barcodes, active first, then by code.
    pub async fn product_barcodes(&self, product_id: Uuid) -> Result<Vec<Barcode>> {
        let rows: Vec<BarcodeRow> = sqlx::query_as(
            "SELECT id, product_id, code, pack_qty_milli, active FROM barcodes
             WHERE product_id = ? ORDER BY active DESC, code, id",
        )
        .bind(product_id.to_string())
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(Barcode::try_from).collect()
    }

    /// The product an active barcode scanned or typed as `raw` belongs to, in
    /// one indexed query. UPC-A, UPC-E (for 8 digits that are no stored
    /// EAN-8), GTIN-14 with indicator 0 and EAN-13 forms of one code all find
    /// the same product.
    pub async fn lookup_barcode(&self, raw: &str) -> Result<Option<BarcodeHit>> {
        let candidates = lookup_candidates(raw);
        if candidates.is_empty() {
            return Ok(None);
        }
        // Candidates are padded to three so the statement is always the
        // same (and stays prepared); extra ones repeat the first.
        let first = candidates[0].clone();
        let slot = |index: usize| candidates.get(index).cloned().unwrap_or_else(|| first.clone());
        let sql = format!(
            "SELECT b.code AS matched_code, b.pack_qty_milli, {}
             FROM barcodes b JOIN products p ON p.id = b.product_id
             WHERE b.code IN (?1, ?2, ?3) AND b.active = 1
             ORDER BY CASE b.code WHEN ?1 THEN 0 WHEN ?2 THEN 1 ELSE 2 END, p.active DESC, b.id
             LIMIT 1",
            crate::catalog::PRODUCT_COLUMNS
        );
        let row: Option<HitRow> = sqlx::query_as(&sql)
            .bind(slot(0))
            .bind(slot(1))
            .bind(slot(2))
            .fetch_optional(self.reader())
            .await?;
        row.map(|row| {
            Ok(BarcodeHit {
                product: row.product.try_into()?,
                pack_qty_milli: row.pack_qty_milli,
                code: row.matched_code,
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_codes_are_normalised_or_refused() {
        assert_eq!(manual_code_key(" 036000291452 ").unwrap(), "0036000291452");
        assert_eq!(manual_code_key("96385074").unwrap(), "96385074");
        // Not an EAN-8, but a valid UPC-E.
        assert_eq!(manual_code_key("04252614").unwrap(), "0042100005264");
        assert_eq!(manual_code_key("ABC-123").unwrap(), "ABC-123");
        let err = manual_code_key("4006381333932").unwrap_err();
        assert_eq!(err.code(), "invalid_input");
        assert!(err.to_string().contains("should end in 1"), "{err}");
        assert_eq!(manual_code_key("").unwrap_err().code(), "invalid_input");
        assert_eq!(manual_code_key("A|B").unwrap_err().code(), "invalid_input");
        assert_eq!(manual_code_key("A*2").unwrap_err().code(), "invalid_input");
    }

    #[test]
    fn scan_candidates_cover_every_form() {
        assert_eq!(lookup_candidates("036000291452"), ["0036000291452", "036000291452"]);
        assert_eq!(lookup_candidates("0036000291452"), ["0036000291452"]);
        assert_eq!(lookup_candidates("01115304626"), ["0001115304626", "01115304626"]);
        assert_eq!(lookup_candidates("04252614"), ["04252614", "0042100005264"]);
        assert!(lookup_candidates("  ").is_empty());
    }
}
