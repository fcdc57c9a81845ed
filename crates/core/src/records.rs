//! Writing class-F records (field last-writer-wins): insert a new record or
//! change some of its fields, stamp them, and append the `fields.set` op.
//! Table and field names come from code, never from input.

use serde_json::Value;
use stockroom_protocol::ops::{Entity, FieldsSet};
use stockroom_protocol::{Hlc, Op};
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::store::WriteTx;

/// One field's new value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum FieldValue {
    Text(Option<String>),
    Int(i64),
    Bool(bool),
    Id(Option<Uuid>),
}

impl FieldValue {
    pub(crate) fn to_json(&self) -> Value {
        match self {
            FieldValue::Text(text) => text.clone().map(Value::String).unwrap_or(Value::Null),
            FieldValue::Int(number) => Value::from(*number),
            FieldValue::Bool(flag) => Value::Bool(*flag),
            FieldValue::Id(id) => id.map(|id| Value::String(id.to_string())).unwrap_or(Value::Null),
        }
    }

    pub(crate) fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
        match self {
            FieldValue::Text(text) => query.bind(text.as_deref()),
            FieldValue::Int(number) => query.bind(*number),
            FieldValue::Bool(flag) => query.bind(*flag),
            FieldValue::Id(id) => query.bind(id.map(|id| id.to_string())),
        }
    }
}

/// Typed text for an optional field: trimmed, and `None` when blank.
pub(crate) fn optional_text(text: &Option<String>) -> Option<String> {
    text.as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_string)
}

/// A record's required name, trimmed; blank is `invalid_input`.
pub(crate) fn check_name(name: &str) -> Result<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(CoreError::invalid("name", "must not be empty"));
    }
    Ok(name.to_string())
}

/// The table behind each class-F entity.
pub(crate) fn table_of(entity: Entity) -> &'static str {
    match entity {
        Entity::Product => "products",
        Entity::Category => "categories",
        Entity::Barcode => "barcodes",
        Entity::PriceList => "price_lists",
        Entity::PriceListEntry => "price_list_entries",
        Entity::Location => "locations",
        Entity::Customer => "customers",
    }
}

/// The fields of each class-F entity that sync may set: every column but
/// the id and the row stamp. Incoming names outside this list are ignored
/// (a newer build's field), so no name from the wire reaches SQL.
pub(crate) fn columns_of(entity: Entity) -> &'static [&'static str] {
    match entity {
        Entity::Product => &[
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
            "photo_1024",
            "photo_256",
        ],
        Entity::Category => &["name", "parent_id", "active"],
        Entity::Barcode => &["code", "product_id", "pack_qty_milli", "active"],
        Entity::PriceList => &["name", "currency", "tier", "region", "active"],
        Entity::PriceListEntry => &["price_list_id", "product_id", "price_minor", "active"],
        Entity::Location => &["name", "kind", "parent_id", "active"],
        Entity::Customer => &[
            "code",
            "name",
            "phone",
            "email",
            "price_list_id",
            "currency",
            "credit_limit_minor",
            "active",
            "salesperson_id",
        ],
    }
}

pub(crate) fn entity_name(entity: Entity) -> &'static str {
    match entity {
        Entity::Product => "product",
        Entity::Category => "category",
        Entity::Barcode => "barcode",
        Entity::PriceList => "price_list",
        Entity::PriceListEntry => "price_list_entry",
        Entity::Location => "location",
        Entity::Customer => "customer",
    }
}

fn fields_op(entity: Entity, row_id: Uuid, fields: &[(&'static str, FieldValue)]) -> Op {
    Op::FieldsSet(FieldsSet {
        entity,
        row_id,
        fields: fields
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_json()))
            .collect(),
    })
}

impl WriteTx<'_> {
    /// Inserts a new record with all its fields, stamped with a fresh HLC,
    /// and appends the op carrying every field.
    pub(crate) async fn insert_record(
        &mut self,
        entity: Entity,
        row_id: Uuid,
        fields: &[(&'static str, FieldValue)],
    ) -> Result<Hlc> {
        let hlc = self.stamp();
        let columns: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
        let placeholders = vec!["?"; fields.len() + 3].join(", ");
        let sql = format!(
            "INSERT INTO {} (id, {}, hlc, hlc_device) VALUES ({placeholders})",
            table_of(entity),
            columns.join(", ")
        );
        let mut query = sqlx::query(&sql).bind(row_id.to_string());
        for (_, value) in fields {
            query = value.bind(query);
        }
        let device = self.device_text.clone();
        query.bind(hlc.to_i64()).bind(device).execute(self.conn()).await?;
        self.append_op(hlc, &fields_op(entity, row_id, fields)).await?;
        Ok(hlc)
    }

    /// Changes some fields of an existing record, stamps each field, and
    /// appends the op carrying only those fields.
    pub(crate) async fn update_fields(
        &mut self,
        entity: Entity,
        row_id: Uuid,
        fields: &[(&'static str, FieldValue)],
    ) -> Result<Hlc> {
        if fields.is_empty() {
            return Err(CoreError::invalid("fields", "nothing to change"));
        }
        let hlc = self.stamp();
        // The values being replaced are held for the hub first (a record
        // that is not there fails below and the whole write rolls back).
        let op_id = self.append_op(hlc, &fields_op(entity, row_id, fields)).await?;
        for (name, _) in fields {
            self.hold_for_hub(entity, row_id, name, op_id).await?;
        }
        let assignments: Vec<String> = fields.iter().map(|(name, _)| format!("{name} = ?")).collect();
        let sql = format!(
            "UPDATE {} SET {} WHERE id = ?",
            table_of(entity),
            assignments.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (_, value) in fields {
            query = value.bind(query);
        }
        let changed = query
            .bind(row_id.to_string())
            .execute(self.conn())
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(CoreError::not_found(entity_name(entity), row_id));
        }
        let device = self.device_text.clone();
        for (name, _) in fields {
            sqlx::query(
                "INSERT INTO field_stamps (entity, row_id, field, hlc, hlc_device) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT(entity, row_id, field) DO UPDATE SET hlc = excluded.hlc, hlc_device = excluded.hlc_device",
            )
            .bind(entity_name(entity))
            .bind(row_id.to_string())
            .bind(*name)
            .bind(hlc.to_i64())
            .bind(&device)
            .execute(self.conn())
            .await?;
        }
        Ok(hlc)
    }

    /// Notes that own op `op_id` wrote `field` and the hub has not yet
    /// confirmed it. The first pending write keeps the value it replaced
    /// (the last one the feed agreed on) with its stamp; later ones only
    /// move the op id. Runs before the field and its stamp are replaced.
    async fn hold_for_hub(&mut self, entity: Entity, row_id: Uuid, field: &'static str, op_id: Uuid) -> Result<()> {
        let table = table_of(entity);
        // `field` comes from code (the callers' literals), never from input.
        let sql = format!(
            "INSERT INTO field_pending (entity, row_id, field, own_op_id, confirmed_value, confirmed_hlc, confirmed_device)
             SELECT ?1, ?2, ?3, ?4, json_quote(t.{field}), coalesce(s.hlc, t.hlc), coalesce(s.hlc_device, t.hlc_device)
             FROM {table} t LEFT JOIN field_stamps s ON s.entity = ?1 AND s.row_id = ?2 AND s.field = ?3
             WHERE t.id = ?2
             ON CONFLICT(entity, row_id, field) DO UPDATE SET own_op_id = excluded.own_op_id"
        );
        sqlx::query(&sql)
            .bind(entity_name(entity))
            .bind(row_id.to_string())
            .bind(field)
            .bind(op_id.to_string())
            .execute(self.conn())
            .await?;
        Ok(())
    }
}
