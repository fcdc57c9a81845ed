//! Importing products from CSV or TSV (optionally gzip-compressed) through a
//! column mapping, with presets for known files. A malformed file fails as a
//! whole with its line number and writes nothing; data problems a shop can
//! live with are reported per row while the rest imports, in one write.
//! Reading the file is here; applying its rows is in `import_rows`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::auth::{Permission, Session};
use crate::catalog::import_rows::{apply_rows, SourceBarcode, SourceRow};
use crate::error::{CoreError, Result};
use crate::money::{parse_scaled, Currency, Money, Qty};
use crate::store::Store;

/// Names of the file's columns that feed each product field. `None` means
/// the file has no such column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportColumns {
    /// Without a SKU column, a product's SKU is its (first) barcode.
    pub sku: Option<String>,
    pub name: String,
    pub brand: Option<String>,
    /// One code, or several joined with `|`, each optionally followed by
    /// `*` and its pack quantity (`4006381333931|14006381333938*12`).
    pub barcode: Option<String>,
    pub price: Option<String>,
    pub cost: Option<String>,
    pub unit: Option<String>,
    /// A category name; missing categories are created.
    pub category: Option<String>,
    pub tax_rate: Option<String>,
    /// A currency code per row; without it every row is in the mapping's
    /// currency.
    pub currency: Option<String>,
    /// `true`/`false` (or `1`/`0`, `yes`/`no`); without it new products are
    /// active and existing ones keep their state.
    pub active: Option<String>,
}

impl ImportColumns {
    /// A mapping of `name` only; set the other fields as the file has them.
    pub fn named(name: &str) -> ImportColumns {
        ImportColumns {
            sku: None,
            name: name.to_string(),
            brand: None,
            barcode: None,
            price: None,
            cost: None,
            unit: None,
            category: None,
            tax_rate: None,
            currency: None,
            active: None,
        }
    }
}

/// How the tax rate column is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaxRateFormat {
    /// Whole basis points: `2000` is 20 %.
    BasisPoints,
    /// A percentage with up to two decimals: `5.5` is 5.5 %.
    Percent,
}

/// How to read a product file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportMapping {
    pub columns: ImportColumns,
    /// Field separator: `b','` for CSV, `b'\t'` for TSV.
    pub delimiter: u8,
    /// Whether `"` quotes fields. Raw tab-separated exports (Open Food
    /// Facts) do not quote, and hold stray quotes in their text.
    pub quoting: bool,
    /// Currency of prices and costs; `None` is the shop's base currency.
    pub currency: Option<Currency>,
    pub tax_rate_format: TaxRateFormat,
    /// Unit of new products when the file has none.
    pub default_unit: String,
    /// SKUs that are fees, postage or adjustments rather than goods: rows
    /// with them are skipped (compared exactly).
    pub non_stock_skus: Vec<String>,
}

impl ImportMapping {
    /// A comma-separated file with a header row, in the base currency.
    pub fn csv(columns: ImportColumns) -> ImportMapping {
        ImportMapping {
            columns,
            delimiter: b',',
            quoting: true,
            currency: None,
            tax_rate_format: TaxRateFormat::BasisPoints,
            default_unit: "pc".to_string(),
            non_stock_skus: Vec::new(),
        }
    }
}

/// Files Stockroom knows how to read without a hand-made mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportPreset {
    /// Stockroom's own product export (see [`Store::export_products`]).
    Export,
    /// The slim Open Food Facts CSV (code, product_name, brands,
    /// main_category, ...). No prices: products import at 0.
    OpenFoodFactsSlim,
    /// A raw Open Food Facts export: tab-separated, unquoted, 160 to 180
    /// columns (2019 and 2021 layouts share the columns read here).
    OpenFoodFactsTsv,
    /// The UCI Online Retail `products.csv`: StockCode, Description and a
    /// median unit price in pounds sterling; no barcodes.
    OnlineRetailProducts,
}

impl ImportPreset {
    pub const ALL: [ImportPreset; 4] = [
        ImportPreset::Export,
        ImportPreset::OpenFoodFactsSlim,
        ImportPreset::OpenFoodFactsTsv,
        ImportPreset::OnlineRetailProducts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ImportPreset::Export => "export",
            ImportPreset::OpenFoodFactsSlim => "open_food_facts_slim",
            ImportPreset::OpenFoodFactsTsv => "open_food_facts_tsv",
            ImportPreset::OnlineRetailProducts => "online_retail_products",
        }
    }

    pub fn parse(name: &str) -> Result<ImportPreset> {
        ImportPreset::ALL
            .into_iter()
            .find(|preset| preset.as_str() == name)
            .ok_or_else(|| CoreError::invalid("import preset", format!("{name:?} is not a preset")))
    }

    pub fn mapping(self) -> ImportMapping {
        let named = |name: &str| Some(name.to_string());
        match self {
            ImportPreset::Export => ImportMapping::csv(ImportColumns {
                sku: named("sku"),
                brand: named("brand"),
                barcode: named("barcodes"),
                price: named("price"),
                cost: named("cost"),
                unit: named("unit"),
                category: named("category"),
                tax_rate: named("tax_rate_bp"),
                currency: named("currency"),
                active: named("active"),
                ..ImportColumns::named("name")
            }),
            ImportPreset::OpenFoodFactsSlim | ImportPreset::OpenFoodFactsTsv => {
                let tsv = self == ImportPreset::OpenFoodFactsTsv;
                ImportMapping {
                    delimiter: if tsv { b'\t' } else { b',' },
                    quoting: !tsv,
                    ..ImportMapping::csv(ImportColumns {
                        brand: named("brands"),
                        barcode: named("code"),
                        category: named("main_category"),
                        ..ImportColumns::named("product_name")
                    })
                }
            }
            ImportPreset::OnlineRetailProducts => ImportMapping {
                currency: "GBP".parse().ok(),
                non_stock_skus: [
                    "POST",
                    "DOT",
                    "M",
                    "m",
                    "B",
                    "D",
                    "S",
                    "C2",
                    "CRUK",
                    "AMAZONFEE",
                    "BANK CHARGES",
                ]
                .into_iter()
                .map(str::to_string)
                .collect(),
                ..ImportMapping::csv(ImportColumns {
                    sku: named("StockCode"),
                    price: named("median_unit_price"),
                    ..ImportColumns::named("Description")
                })
            },
        }
    }
}

/// Stable codes of row problems, shown to the manager beside the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RowIssue {
    /// Skipped: the SKU cell is empty.
    MissingSku,
    /// Skipped: no SKU column and no barcode to use as the SKU.
    MissingBarcode,
    /// Skipped: a new product without a name.
    MissingName,
    /// Skipped: a fee or adjustment code listed by the mapping.
    NonStockCode,
    /// Skipped: an earlier row of the file has the same SKU.
    DuplicateSku,
    /// An earlier row of the file has the same barcode: a row keyed by
    /// barcode is skipped; otherwise the product imports without the code.
    DuplicateCode,
    /// A GS1-length code with a wrong check digit: kept exactly as written
    /// so scanning the same label still finds it.
    GtinCheckDigit,
    /// A code of digits only, of no GS1 length (not 8, 12, 13 or 14).
    GtinLength,
    /// An 11-digit UPC-A that lost its leading zero, padded back.
    GtinPadded,
    /// A barcode that cannot be stored (control characters, too long).
    InvalidCode,
    /// The price cell is empty: a new product costs 0 until edited.
    MissingPrice,
    /// The barcode is on another product already: it was not moved.
    BarcodeInUse,
    /// The SKU differs only in letter case from another product's SKU.
    SkuCaseClash,
}

impl RowIssue {
    pub fn as_str(self) -> &'static str {
        match self {
            RowIssue::MissingSku => "missing_sku",
            RowIssue::MissingBarcode => "missing_barcode",
            RowIssue::MissingName => "missing_name",
            RowIssue::NonStockCode => "non_stock_code",
            RowIssue::DuplicateSku => "duplicate_sku",
            RowIssue::DuplicateCode => "duplicate_code",
            RowIssue::GtinCheckDigit => "gtin_check_digit",
            RowIssue::GtinLength => "gtin_length",
            RowIssue::GtinPadded => "gtin_padded",
            RowIssue::InvalidCode => "invalid_code",
            RowIssue::MissingPrice => "missing_price",
            RowIssue::BarcodeInUse => "barcode_in_use",
            RowIssue::SkuCaseClash => "sku_case_clash",
        }
    }
}

/// One problem found on one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportIssue {
    /// Line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub sku: Option<String>,
    pub issue: RowIssue,
    pub detail: String,
}

/// What an import did. `rows_read = created + updated + unchanged +
/// skipped.len()`; a flagged row is also counted as created or updated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows_read: u64,
    pub created: u64,
    pub updated: u64,
    /// Rows whose product already held exactly the row's values.
    pub unchanged: u64,
    pub skipped: Vec<ImportIssue>,
    pub flagged: Vec<ImportIssue>,
    pub categories_created: u64,
    pub barcodes_added: u64,
}

impl ImportReport {
    /// Rows skipped for `issue`.
    pub fn skipped_for(&self, issue: RowIssue) -> usize {
        self.skipped.iter().filter(|found| found.issue == issue).count()
    }

    /// Rows flagged with `issue`.
    pub fn flagged_for(&self, issue: RowIssue) -> usize {
        self.flagged.iter().filter(|found| found.issue == issue).count()
    }
}

fn malformed(line: u64, problem: impl Into<String>) -> CoreError {
    CoreError::Import {
        line,
        problem: problem.into(),
    }
}

/// Turns a CSV reader's error into ours, keeping its line.
pub(crate) fn csv_error(err: csv::Error) -> CoreError {
    let line = err.position().map(|position| position.line()).unwrap_or(0);
    match err.into_kind() {
        csv::ErrorKind::Io(io) => CoreError::Io(io),
        csv::ErrorKind::Utf8 { err, .. } => malformed(line, format!("not UTF-8 text ({err})")),
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            malformed(line, format!("{len} fields where the header has {expected_len}"))
        }
        other => malformed(line, format!("{other:?}")),
    }
}

/// Wraps `input` in a gzip decoder when it starts with the gzip magic bytes.
fn decompressed<'a>(input: impl Read + Send + 'a) -> Result<Box<dyn Read + Send + 'a>> {
    let mut buffered = BufReader::with_capacity(1 << 16, input);
    let head = buffered.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(buffered)))
    } else {
        Ok(Box::new(buffered))
    }
}

/// Positions of the mapped columns in the header.
struct ColumnIndexes {
    sku: Option<usize>,
    name: usize,
    brand: Option<usize>,
    barcode: Option<usize>,
    price: Option<usize>,
    cost: Option<usize>,
    unit: Option<usize>,
    category: Option<usize>,
    tax_rate: Option<usize>,
    currency: Option<usize>,
    active: Option<usize>,
}

fn find_column(headers: &csv::StringRecord, name: &str) -> Result<usize> {
    let wanted = name.trim();
    headers
        .iter()
        .position(|header| header.trim() == wanted)
        .or_else(|| {
            headers
                .iter()
                .position(|header| header.trim().eq_ignore_ascii_case(wanted))
        })
        .ok_or_else(|| malformed(1, format!("the header has no column {wanted:?}")))
}

impl ColumnIndexes {
    fn find(headers: &csv::StringRecord, columns: &ImportColumns) -> Result<ColumnIndexes> {
        let optional = |name: &Option<String>| name.as_deref().map(|name| find_column(headers, name)).transpose();
        Ok(ColumnIndexes {
            sku: optional(&columns.sku)?,
            name: find_column(headers, &columns.name)?,
            brand: optional(&columns.brand)?,
            barcode: optional(&columns.barcode)?,
            price: optional(&columns.price)?,
            cost: optional(&columns.cost)?,
            unit: optional(&columns.unit)?,
            category: optional(&columns.category)?,
            tax_rate: optional(&columns.tax_rate)?,
            currency: optional(&columns.currency)?,
            active: optional(&columns.active)?,
        })
    }
}

fn parse_active(text: &str, line: u64) -> Result<bool> {
    match text.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "y" => Ok(true),
        "false" | "0" | "no" | "n" => Ok(false),
        _ => Err(malformed(line, format!("active {text:?} is neither true nor false"))),
    }
}

fn parse_tax_rate(text: &str, format: TaxRateFormat, line: u64) -> Result<u32> {
    let scaled = match format {
        TaxRateFormat::BasisPoints => parse_scaled(text, 0),
        TaxRateFormat::Percent => parse_scaled(text.trim_end_matches('%'), 2),
    }
    .map_err(|problem| malformed(line, format!("tax rate: {problem}")))?;
    u32::try_from(scaled).map_err(|_| malformed(line, format!("tax rate {text:?} is out of range")))
}

fn parse_barcodes(text: &str, line: u64) -> Result<Vec<SourceBarcode>> {
    text.split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (code, pack_qty_milli) = match part.rsplit_once('*') {
                Some((code, pack)) => {
                    let pack = Qty::parse(pack).map_err(|_| malformed(line, format!("pack quantity in {part:?}")))?;
                    (code.trim(), pack.milli())
                }
                None => (part, Qty::ONE.milli()),
            };
            Ok(SourceBarcode {
                raw: code.to_string(),
                pack_qty_milli,
            })
        })
        .collect()
}

/// Reads every row of the file, checking its syntax and values. Any
/// malformed line fails the whole file.
fn read_rows(
    input: Box<dyn Read + Send + '_>,
    mapping: &ImportMapping,
    base_currency: Currency,
) -> Result<Vec<SourceRow>> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(mapping.delimiter)
        .quoting(mapping.quoting)
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let headers = reader.headers().map_err(csv_error)?.clone();
    let indexes = ColumnIndexes::find(&headers, &mapping.columns)?;
    let default_currency = mapping.currency.unwrap_or(base_currency);
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(csv_error)? {
        let line = record.position().map(|position| position.line()).unwrap_or(0);
        let cell = |index: Option<usize>| -> Option<&str> {
            index
                .and_then(|index| record.get(index))
                .map(str::trim)
                .filter(|text| !text.is_empty())
        };
        let currency = match cell(indexes.currency) {
            Some(code) => code
                .parse()
                .map_err(|_| malformed(line, format!("currency {code:?}")))?,
            None => default_currency,
        };
        let money = |index: Option<usize>, what: &str| -> Result<Option<Money>> {
            cell(index)
                .map(|text| {
                    Money::parse(text, currency).map_err(|err| malformed(line, format!("{what} {text:?}: {err}")))
                })
                .transpose()
        };
        rows.push(SourceRow {
            line,
            sku: cell(indexes.sku).map(str::to_string),
            name: cell(Some(indexes.name)).map(str::to_string),
            brand: cell(indexes.brand).map(str::to_string),
            barcodes: match cell(indexes.barcode) {
                Some(text) => parse_barcodes(text, line)?,
                None => Vec::new(),
            },
            price: money(indexes.price, "price")?,
            price_missing: indexes.price.is_some() && cell(indexes.price).is_none(),
            cost: money(indexes.cost, "cost")?,
            currency,
            unit: cell(indexes.unit).map(str::to_string),
            category: cell(indexes.category).map(str::to_string),
            tax_rate_bp: cell(indexes.tax_rate)
                .map(|text| parse_tax_rate(text, mapping.tax_rate_format, line))
                .transpose()?,
            active: cell(indexes.active).map(|text| parse_active(text, line)).transpose()?,
        });
    }
    Ok(rows)
}

impl Store {
    /// Imports products from `input` (CSV or TSV as `mapping` says, plain or
    /// gzip-compressed) in one write. New SKUs are created; known SKUs get
    /// their changed fields updated (empty cells never erase a value); new
    /// barcodes are added. A malformed file fails with `import_failed` and
    /// the line, and nothing is written.
    pub async fn import_products(
        &self,
        session: &Session,
        input: impl Read + Send,
        mapping: &ImportMapping,
    ) -> Result<ImportReport> {
        session.require(Permission::ImportExport)?;
        session.require(Permission::ManageCatalog)?;
        if mapping.columns.sku.is_none() && mapping.columns.barcode.is_none() {
            return Err(CoreError::invalid("import mapping", "needs a SKU or a barcode column"));
        }
        let base_currency = self.device_info().await?.base_currency;
        let rows = read_rows(decompressed(input)?, mapping, base_currency)?;
        tracing::info!(rows = rows.len(), "import file read");
        let mut write = self.write(session).await?;
        let report = apply_rows(&mut write, &rows, mapping).await?;
        write.commit().await?;
        tracing::info!(
            created = report.created,
            updated = report.updated,
            skipped = report.skipped.len(),
            flagged = report.flagged.len(),
            "import committed"
        );
        Ok(report)
    }

    /// [`Store::import_products`] from a file (`.gz` or not: the content
    /// decides).
    pub async fn import_products_file(
        &self,
        session: &Session,
        path: &Path,
        mapping: &ImportMapping,
    ) -> Result<ImportReport> {
        let file = File::open(path)?;
        self.import_products(session, file, mapping).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str, mapping: &ImportMapping) -> Result<Vec<SourceRow>> {
        read_rows(
            decompressed(std::io::Cursor::new(text.as_bytes().to_vec()))?,
            mapping,
            "EUR".parse().unwrap(),
        )
    }

    #[test]
    fn malformed_lines_are_named() {
        let mapping = ImportPreset::Export.mapping();
        let header = "sku,name,brand,unit,category,price,cost,currency,tax_rate_bp,barcodes,active\n";
        let good = "A,Apple,,pc,,1.00,0.50,EUR,0,,true\n";
        let cases = [
            (format!("{header}{good}B,Bad,,pc,,1.0.0,0,EUR,0,,true\n"), 3),
            (format!("{header}{good}{good}C,Short\n"), 4),
            (format!("{header}{good}\"D,unclosed\n"), 3),
            (format!("{header}{good}E,Eur,,pc,,1.999,0,EUR,0,,true\n"), 3),
            (format!("{header}{good}F,Flag,,pc,,1,0,EUR,0,,maybe\n"), 3),
            ("sku,name\nA,Apple\n".to_string(), 1),
        ];
        for (text, line) in cases {
            match read(&text, &mapping) {
                Err(CoreError::Import { line: found, .. }) => assert_eq!(found, line, "{text}"),
                other => panic!("expected an import error at line {line}, got {other:?}"),
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_column() {
        let mapping = ImportMapping::csv(ImportColumns {
            sku: Some("sku".into()),
            ..ImportColumns::named("name")
        });
        let rows = read("\u{feff}sku,name\nA1,Apple\n", &mapping).unwrap();
        assert_eq!(rows[0].sku.as_deref(), Some("A1"));
    }

    #[test]
    fn cells_are_trimmed_and_typed() {
        let mut mapping = ImportMapping::csv(ImportColumns {
            sku: Some("SKU".into()),
            price: Some("Price".into()),
            tax_rate: Some("VAT".into()),
            barcode: Some("EAN".into()),
            ..ImportColumns::named("Name")
        });
        mapping.tax_rate_format = TaxRateFormat::Percent;
        mapping.delimiter = b';';
        let rows = read(
            "sku;name;price;vat;ean\n A1 ; Apple ;2.5;5.5%; 4006381333931 | 14006381333938*12 \nB2;;;;\n",
            &mapping,
        )
        .unwrap();
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].sku.as_deref(), Some("A1"));
        assert_eq!(rows[0].name.as_deref(), Some("Apple"));
        assert_eq!(rows[0].price.unwrap().minor, 250);
        assert_eq!(rows[0].tax_rate_bp, Some(550));
        assert_eq!(rows[0].barcodes.len(), 2);
        assert_eq!(rows[0].barcodes[1].pack_qty_milli, 12_000);
        assert_eq!(rows[1].name, None);
        assert!(rows[1].price_missing);
    }
}
