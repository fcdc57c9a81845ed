//! A demo shop for first runs and screenshots: locations, staff, a small
//! catalog with barcodes, a wholesale price list, customers, stock moved
//! through the ledger, and some sales. Everything goes through the normal
//! commands, so the demo also lands in the outbox like real work.

use crate::auth::{NewUser, Role, Session};
use crate::catalog::price_lists::NewPriceList;
use crate::catalog::{NewProduct, ProductListQuery};
use crate::customers::NewCustomer;
use crate::error::Result;
use crate::gtin;
use crate::locations::LocationKind;
use crate::money::{Currency, Money, Qty};
use crate::sales::{PaymentRequest, SaleLineRequest, SaleRequest};
use crate::stock::ProductQty;
use crate::store::Store;
use stockroom_protocol::ops::PaymentMethod;

/// Demo staff, all with PIN = role digit repeated (`1111` cashier, ...).
pub const DEMO_STAFF: [(&str, &str, Role, &str); 4] = [
    ("max", "Max Manager", Role::Manager, "4444"),
    ("cara", "Cara Cashier", Role::Cashier, "1111"),
    ("sam", "Sam Sales", Role::Salesperson, "2222"),
    ("wes", "Wes Warehouse", Role::Warehouse, "3333"),
];

/// (SKU, name, brand, unit, price in cents, cost in cents, tax in basis points)
const DEMO_PRODUCTS: [(&str, &str, &str, &str, i64, i64, u32); 24] = [
    ("COF-250", "Ground coffee 250 g", "Lavazza", "pc", 449, 280, 700),
    ("COF-1K", "Coffee beans 1 kg", "Lavazza", "pc", 1699, 1100, 700),
    ("TEA-GRN", "Green tea 20 bags", "Twinings", "pc", 299, 150, 700),
    ("MLK-1L", "Whole milk 1 l", "Arla", "pc", 119, 80, 700),
    ("BRD-SRD", "Sourdough loaf", "Local Bakery", "pc", 389, 190, 700),
    ("EGG-10", "Free-range eggs, 10", "Happy Hens", "pc", 349, 210, 700),
    ("CHS-EMM", "Emmental, by weight", "Gruyère Co", "kg", 1890, 1200, 700),
    ("APL-GAL", "Gala apples, by weight", "Orchard", "kg", 249, 120, 700),
    ("BAN-KG", "Bananas, by weight", "Fyffes", "kg", 179, 90, 700),
    ("OIL-OLV", "Olive oil 750 ml", "Carapelli", "pc", 899, 560, 700),
    ("PST-500", "Spaghetti 500 g", "Barilla", "pc", 159, 80, 700),
    ("TOM-400", "Chopped tomatoes 400 g", "Mutti", "pc", 139, 70, 700),
    ("CHO-DRK", "Dark chocolate 85 %", "Lindt", "pc", 279, 150, 700),
    ("CHO-MLK", "Milk chocolate bar", "Milka", "pc", 199, 100, 700),
    ("WTR-6", "Still water 6 × 1.5 l", "Evian", "pc", 429, 250, 700),
    ("JUI-ORG", "Orange juice 1 l", "Tropicana", "pc", 329, 190, 700),
    ("SOP-HND", "Hand soap 300 ml", "Dove", "pc", 249, 120, 2000),
    ("DET-2L", "Laundry detergent 2 l", "Persil", "pc", 1199, 700, 2000),
    ("TP-9", "Toilet paper, 9 rolls", "Cottonelle", "pc", 549, 320, 2000),
    ("BAT-AA4", "AA batteries, 4", "Duracell", "pc", 699, 380, 2000),
    ("BLB-LED", "LED bulb E27 9 W", "Philips", "pc", 499, 240, 2000),
    ("NTB-A5", "Notebook A5, lined", "Oxford", "pc", 349, 150, 2000),
    ("PEN-BLU", "Ballpoint pens, 10", "Bic", "pc", 299, 110, 2000),
    ("DSL-L", "Diesel, by the litre", "Shell", "l", 169, 140, 2000),
];

/// A demo till cart: the customer (if any) and (product index, quantity in
/// thousandths) lines.
type DemoCart = (Option<uuid::Uuid>, &'static [(usize, i64)]);

/// What the demo created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemoReport {
    pub products: usize,
    pub locations: usize,
    pub customers: usize,
    pub sales: usize,
}

/// A valid EAN-13 in the in-store range (prefix 20) for demo item `index`.
pub fn demo_ean13(index: u64) -> String {
    let body = format!("20{:010}", index);
    let digits: Vec<u8> = body.bytes().map(|byte| byte - b'0').collect();
    format!("{body}{}", gtin::check_digit(&digits))
}

/// Fills a database that has no products yet with the demo shop, acting as
/// `owner`. Returns `None`, changing nothing, when products already exist.
pub async fn seed_demo(store: &Store, owner: &Session) -> Result<Option<DemoReport>> {
    let first_page = ProductListQuery {
        include_archived: true,
        limit: 1,
        ..ProductListQuery::default()
    };
    if !store.list_products(&first_page).await?.products.is_empty() {
        return Ok(None);
    }
    let eur: Currency = "EUR".parse()?;
    let usd: Currency = "USD".parse()?;

    let mut salesperson = None;
    for (username, display_name, role, pin) in DEMO_STAFF {
        let new_user = NewUser {
            username: username.into(),
            display_name: display_name.into(),
            role,
            pin: pin.into(),
        };
        let user = store.create_user(owner, &new_user).await?;
        if role == Role::Salesperson {
            salesperson = Some(user);
        }
    }

    let shop = store
        .create_location(owner, "Main Street Store", LocationKind::Store, None)
        .await?;
    let warehouse = store
        .create_location(owner, "Central Warehouse", LocationKind::Warehouse, None)
        .await?;
    let van = store.create_location(owner, "Van 1", LocationKind::Van, None).await?;
    let tank = store
        .create_location(owner, "Diesel Tank 1", LocationKind::Tank, None)
        .await?;

    let mut product_ids = Vec::new();
    for (index, (sku, name, brand, unit, price, cost, tax)) in DEMO_PRODUCTS.into_iter().enumerate() {
        let product = NewProduct {
            sku: sku.into(),
            name: name.into(),
            brand: Some(brand.into()),
            unit: unit.into(),
            category_id: None,
            cost: Money::new(cost, eur),
            price: Money::new(price, eur),
            tax_rate_bp: tax,
        };
        let id = store.create_product(owner, &product).await?;
        store
            .add_barcode(owner, id, &demo_ean13(index as u64 + 1), Qty::ONE)
            .await?;
        product_ids.push(id);
    }
    // A case of 12 coffee packs scans as 12.
    store
        .add_barcode(owner, product_ids[0], &demo_ean13(1001), Qty::units(12))
        .await?;

    let wholesale = store
        .create_price_list(
            owner,
            &NewPriceList {
                name: "Wholesale".into(),
                currency: eur,
                tier: Some("wholesale".into()),
                region: None,
            },
        )
        .await?;
    for (index, (_, _, _, _, price, _, _)) in DEMO_PRODUCTS.into_iter().enumerate() {
        // Wholesale: 15 % under the shelf price, to the cent.
        store
            .set_list_price(owner, wholesale, product_ids[index], Money::new(price * 85 / 100, eur))
            .await?;
    }

    let cafe = store
        .create_customer(
            owner,
            &NewCustomer {
                code: Some("C-001".into()),
                name: "Corner Café".into(),
                phone: Some("+33 1 23 45 67 89".into()),
                email: None,
                price_list_id: Some(wholesale),
                currency: eur,
                credit_limit: Money::new(50_000, eur),
                // Sam looks after the café: it is on his device.
                salesperson_id: salesperson,
            },
        )
        .await?;
    store
        .create_customer(owner, &NewCustomer::named("Hotel Atlas", eur))
        .await?;

    // Goods in, then out to the shop and the van, as two-fact transfers.
    let stocked: Vec<ProductQty> = product_ids[..23]
        .iter()
        .map(|id| ProductQty::new(*id, Qty::units(100)))
        .collect();
    store
        .receive_goods(owner, warehouse, &stocked, Some("Demo opening stock"))
        .await?;
    store
        .receive_goods(
            owner,
            tank,
            &[ProductQty::new(product_ids[23], Qty::units(8000))],
            Some("Tanker delivery"),
        )
        .await?;
    let to_shop: Vec<ProductQty> = product_ids[..23]
        .iter()
        .map(|id| ProductQty::new(*id, Qty::units(24)))
        .collect();
    let transfer = store.transfer_out(owner, warehouse, shop, &to_shop).await?;
    store.transfer_in(owner, transfer.id, None).await?;
    let to_van: Vec<ProductQty> = product_ids[..6]
        .iter()
        .map(|id| ProductQty::new(*id, Qty::units(10)))
        .collect();
    store.transfer_out(owner, warehouse, van, &to_van).await?;

    // Some till sales: cash with change, split cash + card, dollars, on account.
    let carts: [DemoCart; 4] = [
        (None, &[(0, 1000), (3, 2000), (4, 1000)]),
        (None, &[(12, 3000), (13, 2000), (14, 1000)]),
        (None, &[(7, 1250), (8, 750)]),
        (Some(cafe), &[(1, 6000)]),
    ];
    for (cart_index, (customer_id, lines)) in carts.into_iter().enumerate() {
        let mut request = SaleRequest {
            location_id: shop,
            customer_id,
            lines: lines
                .iter()
                .map(|(index, milli)| SaleLineRequest::new(product_ids[*index], Qty(*milli)))
                .collect(),
            discount: None,
            payments: Vec::new(),
        };
        let total = store.quote_sale(owner, &request).await?.total;
        request.payments = match cart_index {
            // A round note, change given.
            0 => vec![PaymentRequest::new(
                PaymentMethod::Cash,
                Money::new((total.minor / 500 + 1) * 500, eur),
            )],
            1 => vec![
                PaymentRequest::new(PaymentMethod::Cash, Money::new(500, eur)),
                PaymentRequest::new(PaymentMethod::Card, Money::new(total.minor - 500, eur)),
            ],
            // Dollars at 0.92 EUR each, rounded up to whole dollars; change in euros.
            2 => {
                let dollars = (total.minor * 100 / 92 / 100 + 1) * 100;
                vec![PaymentRequest::converted(
                    PaymentMethod::Cash,
                    Money::new(dollars, usd),
                    920_000,
                )]
            }
            _ => vec![PaymentRequest::new(PaymentMethod::Account, total)],
        };
        store.record_sale(owner, &request).await?;
    }
    let n_sales = carts.len();

    Ok(Some(DemoReport {
        products: product_ids.len(),
        locations: 4,
        customers: 2,
        sales: n_sales,
    }))
}
