//! The sales load generator: random POS sales at the first store location,
//! each paid in cash, one transaction each. Used by the crash test (which
//! kills it mid-write) and for quick speed checks.

use anyhow::{bail, Result};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use stockroom_core::ProductListQuery;
use stockroom_core::{LocationKind, PaymentMethod, PaymentRequest, Qty, SaleLineRequest, SaleRequest, Session, Store};

/// Records `n_sales` sales of `n_lines` random products each; returns how
/// many were recorded.
pub async fn record_sales(store: &Store, session: &Session, n_sales: u64, n_lines: usize, seed: u64) -> Result<u64> {
    let Some(location) = store
        .locations()
        .await?
        .into_iter()
        .find(|location| location.kind == LocationKind::Store)
    else {
        bail!("no store location: create one (or run `demo`) first");
    };
    let page = store
        .list_products(&ProductListQuery {
            limit: 500,
            ..ProductListQuery::default()
        })
        .await?;
    if page.products.is_empty() {
        bail!("no products to sell");
    }
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..n_sales {
        let lines: Vec<SaleLineRequest> = (0..n_lines)
            .map(|_| {
                let product = &page.products[rng.gen_range(0..page.products.len())];
                SaleLineRequest::new(product.id, Qty::units(rng.gen_range(1..4)))
            })
            .collect();
        let mut request = SaleRequest {
            location_id: location.id,
            customer_id: None,
            lines,
            discount: None,
            payments: Vec::new(),
        };
        let quote = store.quote_sale(session, &request).await?;
        request.payments = vec![PaymentRequest::new(PaymentMethod::Cash, quote.total)];
        store.record_sale(session, &request).await?;
    }
    Ok(n_sales)
}
