//! Locations where stock is kept: stores, warehouses, vans, tanks.

use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::records::FieldValue;
use crate::store::Store;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LocationKind {
    Store,
    Warehouse,
    Van,
    Tank,
    Other,
}

impl LocationKind {
    pub const ALL: [LocationKind; 5] = [
        LocationKind::Store,
        LocationKind::Warehouse,
        LocationKind::Van,
        LocationKind::Tank,
        LocationKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LocationKind::Store => "store",
            LocationKind::Warehouse => "warehouse",
            LocationKind::Van => "van",
            LocationKind::Tank => "tank",
            LocationKind::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Result<LocationKind> {
        LocationKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
            .ok_or_else(|| CoreError::invalid("location kind", format!("{name:?} is not a location kind")))
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub id: Uuid,
    pub name: String,
    pub kind: LocationKind,
    pub parent_id: Option<Uuid>,
    pub active: bool,
}

impl Store {
    /// Adds a location, optionally inside another (a bin in a warehouse).
    pub async fn create_location(
        &self,
        session: &Session,
        name: &str,
        kind: LocationKind,
        parent_id: Option<Uuid>,
    ) -> Result<Uuid> {
        session.require(Permission::ManageLocations)?;
        if name.trim().is_empty() {
            return Err(CoreError::invalid("name", "must not be empty"));
        }
        if let Some(parent_id) = parent_id {
            self.location(parent_id).await?;
        }
        let mut write = self.write(session).await?;
        let id = write.new_id();
        write
            .insert_record(
                Entity::Location,
                id,
                &[
                    ("name", FieldValue::Text(Some(name.trim().to_string()))),
                    ("kind", FieldValue::Text(Some(kind.as_str().to_string()))),
                    ("parent_id", FieldValue::Id(parent_id)),
                    ("active", FieldValue::Bool(true)),
                ],
            )
            .await?;
        write.commit().await?;
        Ok(id)
    }

    /// Archives a location (the normal way to remove one) or brings it back.
    pub async fn set_location_active(&self, session: &Session, id: Uuid, active: bool) -> Result<()> {
        session.require(Permission::ManageLocations)?;
        let mut write = self.write(session).await?;
        write
            .update_fields(Entity::Location, id, &[("active", FieldValue::Bool(active))])
            .await?;
        write.commit().await
    }

    pub async fn location(&self, id: Uuid) -> Result<Location> {
        self.locations()
            .await?
            .into_iter()
            .find(|location| location.id == id)
            .ok_or_else(|| CoreError::not_found("location", id))
    }

    /// Every location, active or archived, by name.
    pub async fn locations(&self) -> Result<Vec<Location>> {
        let rows: Vec<(String, String, String, Option<String>, bool)> =
            sqlx::query_as("SELECT id, name, kind, parent_id, active FROM locations ORDER BY name")
                .fetch_all(self.reader())
                .await?;
        rows.into_iter()
            .map(|(id, name, kind, parent_id, active)| {
                Ok(Location {
                    id: parse_uuid(&id)?,
                    name,
                    kind: LocationKind::parse(&kind)?,
                    parent_id: parent_id.as_deref().map(parse_uuid).transpose()?,
                    active,
                })
            })
            .collect()
    }
}
