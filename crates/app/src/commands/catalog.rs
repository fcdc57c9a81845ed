//! Catalog commands: search (paged, with the total, for a virtualised list),
//! one product with its barcodes and stock, the scan lookup, and the
//! manager's edits (products, barcodes, prices, categories).

use serde::{Deserialize, Serialize};
use stockroom_core::catalog::ProductPatch;
use stockroom_core::{Barcode, Category, LocationStock, NewProduct, PriceList, Qty};
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{MoneyDto, NoArgs, ProductDto};
use crate::error::{ErrorCode, IpcError};
use crate::state::AppState;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchProductsArgs {
    /// Words matched as prefixes of name, SKU and brand; empty lists all.
    #[serde(default)]
    pub query: String,
    /// At most 500; 50 when left out.
    #[serde(default)]
    pub limit: Option<u32>,
    #[serde(default)]
    pub offset: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductPageDto {
    /// Products matching in all.
    pub total: u64,
    pub offset: u32,
    pub products: Vec<ProductDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IdArgs {
    pub id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BarcodeDto {
    pub id: Uuid,
    pub product_id: Uuid,
    /// The stored key (GTIN-13 for EAN-13, UPC-A and UPC-E).
    pub code: String,
    /// Units one scan stands for, in thousandths.
    pub pack_qty_milli: i64,
    pub active: bool,
}

impl From<Barcode> for BarcodeDto {
    fn from(barcode: Barcode) -> BarcodeDto {
        BarcodeDto {
            id: barcode.id,
            product_id: barcode.product_id,
            code: barcode.code,
            pack_qty_milli: barcode.pack_qty_milli,
            active: barcode.active,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LocationStockDto {
    pub location_id: Uuid,
    pub location_name: String,
    pub qty_milli: i64,
}

impl From<LocationStock> for LocationStockDto {
    fn from(stock: LocationStock) -> LocationStockDto {
        LocationStockDto {
            location_id: stock.location_id,
            location_name: stock.location_name,
            qty_milli: stock.qty.milli(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductDetail {
    pub product: ProductDto,
    pub barcodes: Vec<BarcodeDto>,
    pub stock: Vec<LocationStockDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LookupCodeArgs {
    /// As scanned or typed (wedge digits, a camera decode).
    pub code: String,
}

/// What a scan found. The price is `product.price`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CodeHit {
    pub product: ProductDto,
    /// The stored code that matched.
    pub code: String,
    /// Units one scan stands for, in thousandths (a case of 12: 12000).
    pub pack_qty_milli: i64,
    pub stock: Vec<LocationStockDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateProductArgs {
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub brand: Option<String>,
    /// `pc` when left out.
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub category_id: Option<Uuid>,
    pub price: MoneyDto,
    /// Zero when left out.
    #[serde(default)]
    pub cost: Option<MoneyDto>,
    #[serde(default)]
    pub tax_rate_bp: u32,
    /// A first barcode, as typed or scanned.
    #[serde(default)]
    pub barcode: Option<String>,
}

/// Fields left out stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProductArgs {
    pub id: Uuid,
    #[serde(default)]
    pub sku: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    /// An empty text clears the brand.
    #[serde(default)]
    pub brand: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub category_id: Option<Uuid>,
    /// Takes the product out of its category.
    #[serde(default)]
    pub clear_category: bool,
    #[serde(default)]
    pub price: Option<MoneyDto>,
    #[serde(default)]
    pub cost: Option<MoneyDto>,
    #[serde(default)]
    pub tax_rate_bp: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveProductArgs {
    pub id: Uuid,
    /// `false` restores an archived product.
    #[serde(default = "yes")]
    pub archived: bool,
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AddBarcodeArgs {
    pub product_id: Uuid,
    pub code: String,
    /// Units per scan in thousandths; one unit (1000) when left out.
    #[serde(default)]
    pub pack_qty_milli: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PriceListDto {
    pub id: Uuid,
    pub name: String,
    pub currency: String,
    pub tier: Option<String>,
    pub region: Option<String>,
    pub active: bool,
}

impl From<PriceList> for PriceListDto {
    fn from(list: PriceList) -> PriceListDto {
        PriceListDto {
            id: list.id,
            name: list.name,
            currency: list.currency.to_string(),
            tier: list.tier,
            region: list.region,
            active: list.active,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SetPriceArgs {
    pub price_list_id: Uuid,
    pub product_id: Uuid,
    /// In the price list's currency.
    pub price: MoneyDto,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CategoryDto {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub active: bool,
}

impl From<Category> for CategoryDto {
    fn from(category: Category) -> CategoryDto {
        CategoryDto {
            id: category.id,
            name: category.name,
            parent_id: category.parent_id,
            active: category.active,
        }
    }
}

pub async fn search_products(state: &AppState, args: SearchProductsArgs) -> Result<ProductPageDto, IpcError> {
    let page = state
        .store()
        .search_product_page(&args.query, args.offset, args.limit.unwrap_or(50))
        .await?;
    Ok(ProductPageDto {
        total: page.total,
        offset: args.offset,
        products: page.products.into_iter().map(ProductDto::from).collect(),
    })
}

async fn stock_of(state: &AppState, product_id: Uuid) -> Result<Vec<LocationStockDto>, IpcError> {
    let stock = state.store().stock_of_product(product_id).await?;
    Ok(stock.into_iter().map(LocationStockDto::from).collect())
}

pub async fn get_product(state: &AppState, args: IdArgs) -> Result<ProductDetail, IpcError> {
    let store = state.store();
    let product = store.product(args.id).await?;
    let barcodes = store.product_barcodes(args.id).await?;
    Ok(ProductDetail {
        product: product.into(),
        barcodes: barcodes.into_iter().map(BarcodeDto::from).collect(),
        stock: stock_of(state, args.id).await?,
    })
}

pub async fn lookup_code(state: &AppState, args: LookupCodeArgs) -> Result<CodeHit, IpcError> {
    let code = args.code.trim();
    let Some(hit) = state.store().lookup_barcode(code).await? else {
        return Err(IpcError::new(
            ErrorCode::NotFound,
            format!("no product has the code {code}"),
        ));
    };
    let stock = stock_of(state, hit.product.id).await?;
    Ok(CodeHit {
        product: hit.product.into(),
        code: hit.code,
        pack_qty_milli: hit.pack_qty_milli,
        stock,
    })
}

pub async fn create_product(state: &AppState, args: CreateProductArgs) -> Result<ProductDto, IpcError> {
    let session = state.session()?;
    let store = state.store();
    let price = args.price.to_money()?;
    let cost = match &args.cost {
        Some(cost) => cost.to_money()?,
        None => stockroom_core::Money::zero(price.currency),
    };
    let new_product = NewProduct {
        sku: args.sku,
        name: args.name,
        brand: args.brand.filter(|brand| !brand.trim().is_empty()),
        unit: args.unit.unwrap_or_else(|| "pc".into()),
        category_id: args.category_id,
        cost,
        price,
        tax_rate_bp: args.tax_rate_bp,
    };
    let id = store.create_product(&session, &new_product).await?;
    if let Some(code) = args.barcode.as_deref().filter(|code| !code.trim().is_empty()) {
        store.add_barcode(&session, id, code, Qty::ONE).await?;
    }
    Ok(store.product(id).await?.into())
}

pub async fn update_product(state: &AppState, args: UpdateProductArgs) -> Result<ProductDto, IpcError> {
    let session = state.session()?;
    let patch = ProductPatch {
        sku: args.sku,
        name: args.name,
        brand: args
            .brand
            .map(|brand| Some(brand.trim().to_string()).filter(|brand| !brand.is_empty())),
        unit: args.unit,
        category_id: match (args.clear_category, args.category_id) {
            (true, _) => Some(None),
            (false, Some(id)) => Some(Some(id)),
            (false, None) => None,
        },
        cost: args.cost.as_ref().map(MoneyDto::to_money).transpose()?,
        price: args.price.as_ref().map(MoneyDto::to_money).transpose()?,
        tax_rate_bp: args.tax_rate_bp,
    };
    Ok(state.store().update_product(&session, args.id, &patch).await?.into())
}

pub async fn archive_product(state: &AppState, args: ArchiveProductArgs) -> Result<(), IpcError> {
    let session = state.session()?;
    Ok(state
        .store()
        .set_product_active(&session, args.id, !args.archived)
        .await?)
}

pub async fn add_barcode(state: &AppState, args: AddBarcodeArgs) -> Result<BarcodeDto, IpcError> {
    let session = state.session()?;
    let pack = Qty(args.pack_qty_milli.unwrap_or(Qty::ONE.milli()));
    let barcode = state
        .store()
        .add_barcode(&session, args.product_id, &args.code, pack)
        .await?;
    Ok(barcode.into())
}

pub async fn list_price_lists(state: &AppState, _args: NoArgs) -> Result<Vec<PriceListDto>, IpcError> {
    Ok(state
        .store()
        .price_lists()
        .await?
        .into_iter()
        .map(PriceListDto::from)
        .collect())
}

pub async fn set_price(state: &AppState, args: SetPriceArgs) -> Result<(), IpcError> {
    let session = state.session()?;
    state
        .store()
        .set_list_price(&session, args.price_list_id, args.product_id, args.price.to_money()?)
        .await?;
    Ok(())
}

pub async fn list_categories(state: &AppState, _args: NoArgs) -> Result<Vec<CategoryDto>, IpcError> {
    Ok(state
        .store()
        .categories(false)
        .await?
        .into_iter()
        .map(CategoryDto::from)
        .collect())
}
