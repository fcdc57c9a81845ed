//! Warehouse commands: locations, receiving by scan, counts with their
//! variance before committing, transfers out and in, stock by location and
//! a product's movements.

use serde::{Deserialize, Serialize};
use stockroom_core::{CountLine, Location, LocationKind, ProductStock, StockMovement, Transfer};
use ts_rs::TS;
use uuid::Uuid;

use crate::dto::{NoArgs, QtyLine};
use crate::error::IpcError;
use crate::state::AppState;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LocationDto {
    pub id: Uuid,
    pub name: String,
    /// `store`, `warehouse`, `van`, `tank`, ...
    pub kind: String,
    pub parent_id: Option<Uuid>,
    pub active: bool,
}

impl From<Location> for LocationDto {
    fn from(location: Location) -> LocationDto {
        LocationDto {
            id: location.id,
            name: location.name,
            kind: location.kind.as_str().into(),
            parent_id: location.parent_id,
            active: location.active,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CreateLocationArgs {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub parent_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveArgs {
    pub location_id: Uuid,
    pub lines: Vec<QtyLine>,
    /// The supplier's delivery note or invoice number.
    #[serde(default)]
    pub reference: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Received {
    pub receipt_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LocationArgs {
    pub location_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CountLineArgs {
    pub session_id: Uuid,
    pub product_id: Uuid,
    /// Counted, in thousandths; zero is a real count (the shelf is empty).
    pub qty_milli: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CountSessionArgs {
    pub session_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CountLineDto {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    /// The stock level now (while open) or the level the count replaced.
    pub expected_milli: i64,
    pub counted_milli: i64,
    /// `counted − expected`.
    pub variance_milli: i64,
}

impl From<CountLine> for CountLineDto {
    fn from(line: CountLine) -> CountLineDto {
        CountLineDto {
            product_id: line.product_id,
            sku: line.sku,
            name: line.name,
            expected_milli: line.expected.milli(),
            counted_milli: line.counted.milli(),
            variance_milli: line.variance.milli(),
        }
    }
}

/// A count with its lines and their variance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CountView {
    pub session_id: Uuid,
    pub location_id: Uuid,
    /// `open`, `committed` or `cancelled`.
    pub status: String,
    pub lines: Vec<CountLineDto>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferOutArgs {
    pub from_id: Uuid,
    pub to_id: Uuid,
    pub lines: Vec<QtyLine>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferLineDto {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub sent_milli: i64,
    pub received_milli: i64,
    pub in_transit_milli: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TransferDto {
    pub id: Uuid,
    pub number: String,
    pub from_location_id: Uuid,
    pub to_location_id: Uuid,
    pub sent_ms: u64,
    /// Something is still on its way.
    pub open: bool,
    pub lines: Vec<TransferLineDto>,
}

impl From<Transfer> for TransferDto {
    fn from(transfer: Transfer) -> TransferDto {
        TransferDto {
            id: transfer.id,
            open: transfer.is_open(),
            number: transfer.number,
            from_location_id: transfer.from_location_id,
            to_location_id: transfer.to_location_id,
            sent_ms: transfer.sent_hlc.millis(),
            lines: transfer
                .lines
                .into_iter()
                .map(|line| TransferLineDto {
                    product_id: line.product_id,
                    sku: line.sku,
                    name: line.name,
                    sent_milli: line.sent.milli(),
                    received_milli: line.received.milli(),
                    in_transit_milli: line.in_transit.milli(),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ListTransfersArgs {
    /// Transfers on their way to this location.
    pub to_location_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiveTransferArgs {
    pub transfer_id: Uuid,
    /// What arrived; everything still in transit when left out.
    #[serde(default)]
    pub lines: Option<Vec<QtyLine>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductStockDto {
    pub product_id: Uuid,
    pub sku: String,
    pub name: String,
    pub unit: String,
    pub qty_milli: i64,
}

impl From<ProductStock> for ProductStockDto {
    fn from(stock: ProductStock) -> ProductStockDto {
        ProductStockDto {
            product_id: stock.product_id,
            sku: stock.sku,
            name: stock.name,
            unit: stock.unit,
            qty_milli: stock.qty.milli(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductMovementsArgs {
    pub product_id: Uuid,
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// 100 when left out.
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MovementDto {
    pub id: Uuid,
    /// `receive`, `sale`, `return`, `transfer_out`, `transfer_in`,
    /// `adjustment` or `count`.
    pub kind: String,
    pub location_id: Uuid,
    /// The signed change; for a count, the counted quantity.
    pub qty_milli: i64,
    pub at_ms: u64,
    pub ref_id: Option<Uuid>,
    pub reason: Option<String>,
    pub user_id: Uuid,
}

impl From<StockMovement> for MovementDto {
    fn from(movement: StockMovement) -> MovementDto {
        MovementDto {
            id: movement.id,
            kind: movement.kind.as_str().into(),
            location_id: movement.location_id,
            qty_milli: movement.qty.milli(),
            at_ms: movement.hlc.millis(),
            ref_id: movement.ref_id,
            reason: movement.reason,
            user_id: movement.user_id,
        }
    }
}

fn core_lines(lines: &[QtyLine]) -> Vec<stockroom_core::ProductQty> {
    lines.iter().map(|line| line.to_core()).collect()
}

async fn count_view(state: &AppState, session_id: Uuid) -> Result<CountView, IpcError> {
    let store = state.store();
    let count = store.count_session(session_id).await?;
    let lines = store.count_lines(session_id).await?;
    Ok(CountView {
        session_id,
        location_id: count.location_id,
        status: count.status.as_str().into(),
        lines: lines.into_iter().map(CountLineDto::from).collect(),
    })
}

pub async fn list_locations(state: &AppState, _args: NoArgs) -> Result<Vec<LocationDto>, IpcError> {
    Ok(state
        .store()
        .locations()
        .await?
        .into_iter()
        .map(LocationDto::from)
        .collect())
}

pub async fn create_location(state: &AppState, args: CreateLocationArgs) -> Result<LocationDto, IpcError> {
    let session = state.session()?;
    let kind = LocationKind::parse(&args.kind)?;
    let store = state.store();
    let id = store
        .create_location(&session, &args.name, kind, args.parent_id)
        .await?;
    Ok(store.location(id).await?.into())
}

pub async fn receive(state: &AppState, args: ReceiveArgs) -> Result<Received, IpcError> {
    let session = state.session()?;
    let receipt_id = state
        .store()
        .receive_goods(
            &session,
            args.location_id,
            &core_lines(&args.lines),
            args.reference.as_deref(),
        )
        .await?;
    Ok(Received { receipt_id })
}

/// Starts a count, or returns the count already open at the location.
pub async fn start_count(state: &AppState, args: LocationArgs) -> Result<CountView, IpcError> {
    let session = state.session()?;
    let store = state.store();
    let session_id = match store.open_count_at(args.location_id).await? {
        Some(open) => open.id,
        None => store.start_count(&session, args.location_id).await?,
    };
    count_view(state, session_id).await
}

pub async fn count_line(state: &AppState, args: CountLineArgs) -> Result<CountView, IpcError> {
    let session = state.session()?;
    state
        .store()
        .set_count_line(
            &session,
            args.session_id,
            args.product_id,
            stockroom_core::Qty(args.qty_milli),
        )
        .await?;
    count_view(state, args.session_id).await
}

pub async fn count_preview(state: &AppState, args: CountSessionArgs) -> Result<CountView, IpcError> {
    count_view(state, args.session_id).await
}

pub async fn commit_count(state: &AppState, args: CountSessionArgs) -> Result<CountView, IpcError> {
    let session = state.session()?;
    state.store().commit_count(&session, args.session_id).await?;
    count_view(state, args.session_id).await
}

pub async fn transfer_out(state: &AppState, args: TransferOutArgs) -> Result<TransferDto, IpcError> {
    let session = state.session()?;
    let transfer = state
        .store()
        .transfer_out(&session, args.from_id, args.to_id, &core_lines(&args.lines))
        .await?;
    Ok(transfer.into())
}

pub async fn list_transfers(state: &AppState, args: ListTransfersArgs) -> Result<Vec<TransferDto>, IpcError> {
    Ok(state
        .store()
        .open_transfers_to(args.to_location_id)
        .await?
        .into_iter()
        .map(TransferDto::from)
        .collect())
}

pub async fn receive_transfer(state: &AppState, args: ReceiveTransferArgs) -> Result<TransferDto, IpcError> {
    let session = state.session()?;
    let lines = args.lines.as_deref().map(core_lines);
    let transfer = state
        .store()
        .transfer_in(&session, args.transfer_id, lines.as_deref())
        .await?;
    Ok(transfer.into())
}

pub async fn stock_by_location(state: &AppState, args: LocationArgs) -> Result<Vec<ProductStockDto>, IpcError> {
    Ok(state
        .store()
        .stock_at_location(args.location_id)
        .await?
        .into_iter()
        .map(ProductStockDto::from)
        .collect())
}

pub async fn product_movements(state: &AppState, args: ProductMovementsArgs) -> Result<Vec<MovementDto>, IpcError> {
    let limit = args.limit.unwrap_or(100).clamp(1, 1000);
    Ok(state
        .store()
        .movement_history(args.product_id, args.location_id, limit)
        .await?
        .into_iter()
        .map(MovementDto::from)
        .collect())
}
