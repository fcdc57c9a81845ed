//! Product categories: a tree of names (a category may sit inside another),
//! created, renamed and archived by catalog managers, never deleted.

use stockroom_protocol::ops::Entity;
use uuid::Uuid;

use crate::auth::{Permission, Session};
use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::records::FieldValue;
use crate::store::{Store, WriteTx};

/// A category as the UI shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Category {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub active: bool,
}

type CategoryRow = (String, String, Option<String>, bool);

fn category_from_row((id, name, parent_id, active): CategoryRow) -> Result<Category> {
    Ok(Category {
        id: parse_uuid(&id)?,
        name,
        parent_id: parent_id.as_deref().map(parse_uuid).transpose()?,
        active,
    })
}

pub(crate) fn check_category_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 128 {
        return Err(CoreError::invalid("category name", "must be 1 to 128 characters"));
    }
    Ok(name)
}

impl WriteTx<'_> {
    /// Fails with `conflict` when an active sibling (same parent) already has
    /// `name`, compared without letter case.
    async fn check_sibling_name_free(
        &mut self,
        name: &str,
        parent_id: Option<Uuid>,
        except: Option<Uuid>,
    ) -> Result<()> {
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT id FROM categories
             WHERE name = ?1 COLLATE NOCASE AND active = 1 AND parent_id IS ?2 AND id IS NOT ?3
             LIMIT 1",
        )
        .bind(name)
        .bind(parent_id.map(|id| id.to_string()))
        .bind(except.map(|id| id.to_string()))
        .fetch_optional(self.conn())
        .await?;
        match taken {
            Some(_) => Err(CoreError::Conflict {
                entity: "category",
                key: name.to_string(),
            }),
            None => Ok(()),
        }
    }

    async fn category_in_write(&mut self, id: Uuid) -> Result<Category> {
        let row: Option<CategoryRow> =
            sqlx::query_as("SELECT id, name, parent_id, active FROM categories WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(self.conn())
                .await?;
        category_from_row(row.ok_or_else(|| CoreError::not_found("category", id))?)
    }

    /// Inserts a category inside a larger write (creation, import).
    pub(crate) async fn insert_category(&mut self, name: &str, parent_id: Option<Uuid>) -> Result<Uuid> {
        let id = self.new_id();
        self.insert_record(
            Entity::Category,
            id,
            &[
                ("name", FieldValue::Text(Some(name.to_string()))),
                ("parent_id", FieldValue::Id(parent_id)),
                ("active", FieldValue::Bool(true)),
            ],
        )
        .await?;
        Ok(id)
    }
}

impl Store {
    /// Adds a category, at the top or inside `parent_id`. Names are unique
    /// among the active categories of one parent, ignoring letter case.
    pub async fn create_category(&self, session: &Session, name: &str, parent_id: Option<Uuid>) -> Result<Uuid> {
        session.require(Permission::ManageCatalog)?;
        let name = check_category_name(name)?;
        let mut write = self.write(session).await?;
        if let Some(parent_id) = parent_id {
            let parent = write.category_in_write(parent_id).await?;
            if !parent.active {
                return Err(CoreError::invalid("parent category", "is archived"));
            }
        }
        write.check_sibling_name_free(name, parent_id, None).await?;
        let id = write.insert_category(name, parent_id).await?;
        write.commit().await?;
        Ok(id)
    }

    /// Renames a category. Renaming to its current name changes nothing.
    pub async fn rename_category(&self, session: &Session, id: Uuid, name: &str) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let name = check_category_name(name)?;
        let mut write = self.write(session).await?;
        let category = write.category_in_write(id).await?;
        if category.name == name {
            return Ok(());
        }
        if category.active {
            write
                .check_sibling_name_free(name, category.parent_id, Some(id))
                .await?;
        }
        write
            .update_fields(
                Entity::Category,
                id,
                &[("name", FieldValue::Text(Some(name.to_string())))],
            )
            .await?;
        write.commit().await
    }

    /// Archives (`false`) or restores (`true`) a category. Its products keep
    /// their category; archived categories are hidden from pickers.
    pub async fn set_category_active(&self, session: &Session, id: Uuid, active: bool) -> Result<()> {
        session.require(Permission::ManageCatalog)?;
        let mut write = self.write(session).await?;
        let category = write.category_in_write(id).await?;
        if category.active == active {
            return Ok(());
        }
        if active {
            write
                .check_sibling_name_free(&category.name, category.parent_id, Some(id))
                .await?;
        }
        write
            .update_fields(Entity::Category, id, &[("active", FieldValue::Bool(active))])
            .await?;
        write.commit().await
    }

    /// One category by id, active or archived.
    pub async fn category(&self, id: Uuid) -> Result<Category> {
        let row: Option<CategoryRow> =
            sqlx::query_as("SELECT id, name, parent_id, active FROM categories WHERE id = ?")
                .bind(id.to_string())
                .fetch_optional(self.reader())
                .await?;
        category_from_row(row.ok_or_else(|| CoreError::not_found("category", id))?)
    }

    /// Categories by name (active only unless `include_archived`). The UI
    /// builds the tree from `parent_id`.
    pub async fn categories(&self, include_archived: bool) -> Result<Vec<Category>> {
        let rows: Vec<CategoryRow> = sqlx::query_as(
            "SELECT id, name, parent_id, active FROM categories
             WHERE ?1 OR active = 1
             ORDER BY name COLLATE NOCASE, id",
        )
        .bind(include_archived)
        .fetch_all(self.reader())
        .await?;
        rows.into_iter().map(category_from_row).collect()
    }
}
