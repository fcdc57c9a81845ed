//! Class-F records on the hub: the field-by-field last-writer-wins merge of
//! `fields.set` ops, written once. Each field keeps the value whose stamp
//! `(effective_hlc, device_id)` is highest ([`FieldStamp`] orders exactly
//! that way), so the result is the same whatever order ops arrive in, and
//! applying an op twice changes nothing.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::{Map, Value};
use stockroom_protocol::ops::Entity;
use stockroom_protocol::snapshot::{FieldStamp, SnapshotRow};
use uuid::Uuid;

use crate::error::HubError;

/// A record's fields and the stamp that won each of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    pub fields: Map<String, Value>,
    pub stamps: BTreeMap<String, FieldStamp>,
}

impl Record {
    /// Merges new values for `fields`, all stamped `stamp`, field by field;
    /// returns whether anything changed.
    pub fn merge(&mut self, fields: &Map<String, Value>, stamp: FieldStamp) -> bool {
        let mut changed = false;
        for (name, value) in fields {
            let wins = match self.stamps.get(name) {
                None => true,
                Some(held) => match stamp.cmp(held) {
                    Ordering::Greater => true,
                    Ordering::Less => false,
                    // One device never stamps two ops alike, so an equal stamp
                    // is the same op again. Should two values ever share a
                    // stamp, the larger JSON text wins, so the result still
                    // does not depend on order.
                    Ordering::Equal => self
                        .fields
                        .get(name)
                        .is_some_and(|current| current != value && json_text(value) > json_text(current)),
                },
            };
            if wins {
                self.fields.insert(name.clone(), value.clone());
                self.stamps.insert(name.clone(), stamp);
                changed = true;
            }
        }
        changed
    }

    /// The record from its stored JSON columns.
    pub fn from_json(fields: &str, stamps: &str) -> Result<Record, HubError> {
        let fields = serde_json::from_str(fields).map_err(|_| HubError::corrupt("fields of a record"))?;
        let stamps = serde_json::from_str(stamps).map_err(|_| HubError::corrupt("stamps of a record"))?;
        Ok(Record { fields, stamps })
    }

    /// The stored JSON columns: `(fields, stamps)`.
    pub fn to_json(&self) -> (String, String) {
        (
            Value::Object(self.fields.clone()).to_string(),
            serde_json::to_string(&self.stamps).unwrap_or_else(|_| "{}".to_string()),
        )
    }

    pub fn into_snapshot_row(self, entity: Entity, row_id: Uuid) -> SnapshotRow {
        SnapshotRow {
            entity,
            row_id,
            fields: self.fields,
            stamps: self.stamps,
        }
    }
}

/// A value's JSON text, to order two values that share a stamp.
fn json_text(value: &Value) -> String {
    value.to_string()
}

/// An entity's stored name (its wire name).
pub fn entity_name(entity: Entity) -> &'static str {
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

/// An entity back from its stored name.
pub fn parse_entity(name: &str) -> Result<Entity, HubError> {
    serde_json::from_value(Value::String(name.to_string()))
        .map_err(|_| HubError::corrupt(format!("record entity {name:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use stockroom_protocol::Hlc;

    fn stamp(millis: u64, device: u128) -> FieldStamp {
        FieldStamp {
            hlc: Hlc::new(millis, 0),
            device_id: Uuid::from_u128(device),
        }
    }

    fn fields(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.clone()))
            .collect()
    }

    #[test]
    fn each_field_keeps_its_highest_stamp() {
        let mut record = Record::default();
        assert!(record.merge(&fields(&[("name", json!("Tea")), ("price", json!(250))]), stamp(10, 1)));
        // Older for name, newer for price.
        assert!(!record.merge(&fields(&[("name", json!("Old tea"))]), stamp(9, 9)));
        assert!(record.merge(&fields(&[("price", json!(300))]), stamp(11, 1)));
        // Same millisecond: the higher device id wins.
        assert!(record.merge(&fields(&[("name", json!("Green tea"))]), stamp(10, 2)));
        assert!(!record.merge(&fields(&[("name", json!("Black tea"))]), stamp(10, 1)));
        assert_eq!(
            record.fields,
            fields(&[("name", json!("Green tea")), ("price", json!(300))])
        );
        assert_eq!(record.stamps["name"], stamp(10, 2));
        assert_eq!(record.stamps["price"], stamp(11, 1));
        // The same op again changes nothing.
        assert!(!record.merge(&fields(&[("price", json!(300))]), stamp(11, 1)));
    }

    #[test]
    fn stored_json_round_trips() {
        let mut record = Record::default();
        record.merge(
            &fields(&[("name", json!("Tea\u{0}")), ("active", json!(false))]),
            stamp(5, 3),
        );
        let (fields_json, stamps_json) = record.to_json();
        assert_eq!(Record::from_json(&fields_json, &stamps_json).unwrap(), record);
        assert!(Record::from_json("[1]", "{}").is_err());
    }

    #[test]
    fn entity_names_round_trip() {
        use Entity::*;
        for entity in [
            Product,
            Category,
            Barcode,
            PriceList,
            PriceListEntry,
            Location,
            Customer,
        ] {
            assert_eq!(parse_entity(entity_name(entity)).unwrap(), entity);
            assert_eq!(json!(entity), json!(entity_name(entity)));
        }
        assert!(parse_entity("spaceship").is_err());
    }

    /// An op: a few of four fields, small values, a stamp from a small range
    /// so that ties of millisecond and of whole stamp both happen.
    fn an_op() -> impl Strategy<Value = (Map<String, Value>, FieldStamp)> {
        let field = (0..4usize, 0..3i64).prop_map(|(name, value)| (format!("f{name}"), json!(value)));
        (prop::collection::vec(field, 1..4), 0..4u64, 0..3u128, 0..2u32).prop_map(|(pairs, millis, device, counter)| {
            let stamp = FieldStamp {
                hlc: Hlc::new(millis, counter),
                device_id: Uuid::from_u128(device),
            };
            (pairs.into_iter().collect(), stamp)
        })
    }

    fn merged(ops: &[(Map<String, Value>, FieldStamp)]) -> Record {
        let mut record = Record::default();
        for (fields, stamp) in ops {
            record.merge(fields, *stamp);
        }
        record
    }

    proptest! {
        #[test]
        fn any_order_gives_the_same_record(
            ops in prop::collection::vec(an_op(), 0..8),
            shuffle in prop::collection::vec(any::<prop::sample::Index>(), 8),
        ) {
            let mut reordered = ops.clone();
            for (index, pick) in shuffle.iter().enumerate().take(reordered.len()) {
                let other = pick.index(reordered.len());
                reordered.swap(index, other);
            }
            prop_assert_eq!(merged(&ops), merged(&reordered));
        }

        #[test]
        fn merging_twice_is_merging_once(ops in prop::collection::vec(an_op(), 0..8)) {
            let once = merged(&ops);
            let mut twice = once.clone();
            for (fields, stamp) in &ops {
                prop_assert!(!twice.merge(fields, *stamp));
            }
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn two_ops_commute(a in an_op(), b in an_op()) {
            prop_assert_eq!(merged(&[a.clone(), b.clone()]), merged(&[b, a]));
        }
    }
}
