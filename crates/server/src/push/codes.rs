//! SKUs and barcodes are unique among a tenant's active records: a request
//! the hub decides (class A). Before a push writes its ops, every applied
//! `fields.set` that gives a product a SKU, or a barcode its code, claims
//! that code; a claim on a code another active record holds (in the hub's
//! records, or claimed earlier in the same push) rejects the op with
//! `duplicate_code`. The device puts its own field back and shows the
//! refusal. Claims are judged under the tenant's lock, so two pushes never
//! both win the same code.

use std::collections::HashMap;

use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::sync::RejectCode;
use uuid::Uuid;

use super::{flags_json, Pending, PushTx, TenantLock};
use crate::error::HubError;
use crate::records::Record;
use crate::store::DeviceAuth;

/// A kind of code that must be unique among active records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum CodeKind {
    /// A product's `sku`.
    Sku,
    /// A barcode's `code` (the normalised GTIN key or the raw text).
    Barcode,
}

impl CodeKind {
    const ALL: [CodeKind; 2] = [CodeKind::Sku, CodeKind::Barcode];

    pub(crate) fn entity(self) -> Entity {
        match self {
            CodeKind::Sku => Entity::Product,
            CodeKind::Barcode => Entity::Barcode,
        }
    }

    fn field(self) -> &'static str {
        match self {
            CodeKind::Sku => "sku",
            CodeKind::Barcode => "code",
        }
    }

    fn of(entity: Entity) -> Option<CodeKind> {
        CodeKind::ALL.into_iter().find(|kind| kind.entity() == entity)
    }

    /// The code an op claims, if it sets one on a record it leaves active.
    fn claimed_by(self, set: &FieldsSet) -> Option<&str> {
        if set.entity != self.entity() || set.fields.get("active") == Some(&serde_json::Value::Bool(false)) {
            return None;
        }
        set.fields.get(self.field()).and_then(|code| code.as_str())
    }
}

/// The code a record holds, stored beside it (`records.held_code`) so the
/// hub finds a code's holders by index: an active product's SKU or an
/// active barcode's code; none for other records or archived ones.
pub(crate) fn held_code(entity: Entity, record: &Record) -> Option<&str> {
    let kind = CodeKind::of(entity)?;
    if record.fields.get("active") == Some(&serde_json::Value::Bool(false)) {
        return None;
    }
    record.fields.get(kind.field()).and_then(|code| code.as_str())
}

/// Rejects, in `pending`, every op whose code another active record holds.
pub(super) async fn reject_taken_codes<T: PushTx>(
    tx: &mut T,
    auth: &DeviceAuth,
    pending: &mut [Pending<'_>],
    tenant: &mut TenantLock,
) -> Result<(), HubError> {
    let claims: Vec<(usize, CodeKind, String, Uuid)> = pending
        .iter()
        .enumerate()
        .filter(|(_, op)| op.row.rejected.is_none())
        .filter_map(|(index, op)| op.fields_set.as_ref().map(|set| (index, set)))
        .flat_map(|(index, set)| {
            CodeKind::ALL.into_iter().filter_map(move |kind| {
                kind.claimed_by(set)
                    .map(|code| (index, kind, code.to_string(), set.row_id))
            })
        })
        .collect();
    if claims.is_empty() {
        return Ok(());
    }
    tenant.take(tx, auth.tenant_id).await?;
    // Who holds each claimed code now: every active holder.
    let mut holders: HashMap<(CodeKind, String), Vec<Uuid>> = HashMap::new();
    for kind in CodeKind::ALL {
        let mut codes: Vec<String> = claims
            .iter()
            .filter(|(_, claimed, _, _)| *claimed == kind)
            .map(|(_, _, code, _)| code.clone())
            .collect();
        if codes.is_empty() {
            continue;
        }
        codes.sort();
        codes.dedup();
        for (code, row_id) in tx.code_holders(auth.tenant_id, kind, &codes).await? {
            holders.entry((kind, code)).or_default().push(row_id);
        }
    }
    for (index, kind, code, row_id) in claims {
        let held = holders.entry((kind, code)).or_default();
        if held.iter().any(|holder| *holder != row_id) {
            let op = &mut pending[index];
            op.row.rejected = Some(RejectCode::DuplicateCode);
            op.row.flags_json = flags_json(&[]);
            op.flags.clear();
            op.fields_set = None;
        } else if held.is_empty() {
            held.push(row_id);
        }
    }
    Ok(())
}
