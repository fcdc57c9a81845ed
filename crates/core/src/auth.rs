//! Users, roles and PINs: who is acting, and what their role lets them do.
//! Every command takes a [`Session`] and checks its permission first.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use stockroom_protocol::ops::UserSet;
use stockroom_protocol::Op;
use uuid::Uuid;

use crate::error::{CoreError, Result};
use crate::ids::parse_uuid;
use crate::store::Store;

pub use stockroom_protocol::roles::{Permission, Role};

/// A role stored as text, read back.
pub(crate) fn parse_role(name: &str) -> Result<Role> {
    Role::parse(name).ok_or_else(|| CoreError::corrupt(format!("role {name:?}")))
}

/// A signed-in user on this device. Made only by signing in, so holding one
/// proves the PIN was checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    user_id: Uuid,
    username: String,
    role: Role,
}

impl Session {
    pub fn user_id(&self) -> Uuid {
        self.user_id
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Fails with `forbidden` unless the role allows `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(CoreError::Forbidden {
                permission,
                role: self.role,
            })
        }
    }
}

/// A user as listed for managers (never with the PIN hash).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
}

/// What a manager enters to add a user.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub pin: String,
}

fn check_pin_shape(pin: &str) -> Result<()> {
    if (4..=12).contains(&pin.len()) && pin.bytes().all(|byte| byte.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CoreError::invalid("pin", "must be 4 to 12 digits"))
    }
}

pub(crate) fn hash_pin(pin: &str) -> Result<String> {
    check_pin_shape(pin)?;
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| CoreError::invalid("pin", "could not be hashed"))
}

fn check_username(username: &str) -> Result<&str> {
    let username = username.trim();
    if username.is_empty() || username.len() > 64 {
        return Err(CoreError::invalid("username", "must be 1 to 64 characters"));
    }
    Ok(username)
}

impl Store {
    /// Creates the first user, an owner, on a database with no users yet.
    pub async fn create_first_owner(&self, username: &str, display_name: &str, pin: &str) -> Result<Session> {
        let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(self.reader())
            .await?;
        if existing > 0 {
            return Err(CoreError::Conflict {
                entity: "owner",
                key: "first owner already exists".into(),
            });
        }
        let user_id = self.new_id(self.now_ms());
        let new_user = NewUser {
            username: username.into(),
            display_name: display_name.into(),
            role: Role::Owner,
            pin: pin.into(),
        };
        self.insert_user(user_id, user_id, &new_user).await?;
        Ok(Session {
            user_id,
            username: check_username(username)?.to_string(),
            role: Role::Owner,
        })
    }

    /// Signs a user in with their PIN (switching users on a shared till).
    /// A user switched off, or the one who enrolled this device once the
    /// hub refused it for being switched off, cannot.
    pub async fn sign_in(&self, username: &str, pin: &str) -> Result<Session> {
        let row: Option<(String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT id, username, role, pin_hash FROM users u WHERE username = ? AND active = 1
             AND NOT EXISTS (SELECT 1 FROM sync_state s
                             WHERE s.id = 1 AND s.enrolled_user_off = 1 AND s.enrolled_user_id = u.id)",
        )
        .bind(username.trim())
        .fetch_optional(self.reader())
        .await?;
        let Some((id, username, role, Some(pin_hash))) = row else {
            return Err(CoreError::BadCredentials);
        };
        let parsed = PasswordHash::new(&pin_hash).map_err(|_| CoreError::corrupt("PIN hash"))?;
        Argon2::default()
            .verify_password(pin.as_bytes(), &parsed)
            .map_err(|_| CoreError::BadCredentials)?;
        Ok(Session {
            user_id: parse_uuid(&id)?,
            username,
            role: parse_role(&role)?,
        })
    }

    /// Adds a user. Managers and owners only; only an owner adds an owner.
    pub async fn create_user(&self, session: &Session, new_user: &NewUser) -> Result<Uuid> {
        session.require(Permission::ManageUsers)?;
        if new_user.role == Role::Owner && session.role() != Role::Owner {
            return Err(CoreError::Forbidden {
                permission: Permission::ManageUsers,
                role: session.role(),
            });
        }
        let user_id = self.new_id(self.now_ms());
        self.insert_user(session.user_id(), user_id, new_user).await?;
        Ok(user_id)
    }

    async fn insert_user(&self, acting_user: Uuid, user_id: Uuid, new_user: &NewUser) -> Result<()> {
        let username = check_username(&new_user.username)?;
        let pin_hash = hash_pin(&new_user.pin)?;
        let mut write = self.write_as(acting_user).await?;
        if acting_user == user_id {
            // The first owner: only while there are no users at all, checked
            // inside the write so two first starts cannot both succeed.
            let existing: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
                .fetch_one(write.conn())
                .await?;
            if existing > 0 {
                return Err(CoreError::Conflict {
                    entity: "owner",
                    key: "first owner already exists".into(),
                });
            }
        }
        let taken: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE username = ?")
            .bind(username)
            .fetch_optional(write.conn())
            .await?;
        if taken.is_some() {
            return Err(CoreError::Conflict {
                entity: "user",
                key: username.to_string(),
            });
        }
        sqlx::query(
            "INSERT INTO users (id, username, display_name, role, pin_hash, active, created_ms) VALUES (?, ?, ?, ?, ?, 1, ?)",
        )
        .bind(user_id.to_string())
        .bind(username)
        .bind(new_user.display_name.trim())
        .bind(new_user.role.as_str())
        .bind(pin_hash)
        .bind(write.now_ms() as i64)
        .execute(write.conn())
        .await?;
        let hlc = write.stamp();
        let op = Op::UserSet(UserSet {
            id: user_id,
            username: username.to_string(),
            display_name: new_user.display_name.trim().to_string(),
            role: new_user.role.as_str().to_string(),
            active: true,
        });
        write.append_op(hlc, &op).await?;
        write.commit().await
    }

    /// Changes a PIN: one's own, or anyone's for a user manager, except that
    /// only an owner sets another owner's PIN. PINs are for switching users
    /// on this device: the hash stays on the device and is never synced.
    pub async fn set_pin(&self, session: &Session, user_id: Uuid, pin: &str) -> Result<()> {
        if user_id != session.user_id() {
            session.require(Permission::ManageUsers)?;
        }
        let pin_hash = hash_pin(pin)?;
        let mut write = self.write(session).await?;
        let target_role: Option<String> = sqlx::query_scalar("SELECT role FROM users WHERE id = ?")
            .bind(user_id.to_string())
            .fetch_optional(write.conn())
            .await?;
        let target_role = parse_role(&target_role.ok_or_else(|| CoreError::not_found("user", user_id))?)?;
        if target_role == Role::Owner && user_id != session.user_id() && session.role() != Role::Owner {
            return Err(CoreError::Forbidden {
                permission: Permission::ManageUsers,
                role: session.role(),
            });
        }
        sqlx::query("UPDATE users SET pin_hash = ? WHERE id = ?")
            .bind(pin_hash)
            .bind(user_id.to_string())
            .execute(write.conn())
            .await?;
        write.commit().await
    }

    /// Turns a user's access off or back on (users are never deleted).
    pub async fn set_user_active(&self, session: &Session, user_id: Uuid, active: bool) -> Result<()> {
        self.change_user(session, user_id, |user| Ok(User { active, ..user }))
            .await
    }

    /// Gives a user another role. Only an owner makes someone an owner or
    /// changes an owner's role.
    pub async fn set_user_role(&self, session: &Session, user_id: Uuid, role: Role) -> Result<()> {
        if role == Role::Owner && session.role() != Role::Owner {
            return Err(CoreError::Forbidden {
                permission: Permission::ManageUsers,
                role: session.role(),
            });
        }
        self.change_user(session, user_id, |user| Ok(User { role, ..user }))
            .await
    }

    /// Gives a user another username and display name (a blank one is the
    /// username): how a manager settles a username the hub refused because
    /// another account holds it. The PIN stays as it was.
    pub async fn rename_user(
        &self,
        session: &Session,
        user_id: Uuid,
        username: &str,
        display_name: &str,
    ) -> Result<()> {
        let username = check_username(username)?.to_string();
        let display_name = match display_name.trim() {
            "" => username.clone(),
            name => name.to_string(),
        };
        self.change_user(session, user_id, |user| {
            Ok(User {
                username,
                display_name,
                ..user
            })
        })
        .await
    }

    /// Changes a user as `change` says, in one write: the user as stored
    /// then (not as read before, so a change the feed applied meanwhile is
    /// kept), written back with the one `user.set` op that carries them to
    /// the hub; nothing when `change` leaves them as they were. Managers
    /// and owners change users, only an owner changes an owner, and a
    /// username another user of this device holds is a conflict.
    async fn change_user(
        &self,
        session: &Session,
        user_id: Uuid,
        change: impl FnOnce(User) -> Result<User>,
    ) -> Result<()> {
        session.require(Permission::ManageUsers)?;
        let mut write = self.write(session).await?;
        let row: Option<(String, String, String, bool)> =
            sqlx::query_as("SELECT username, display_name, role, active FROM users WHERE id = ?")
                .bind(user_id.to_string())
                .fetch_optional(write.conn())
                .await?;
        let (username, display_name, role, active) = row.ok_or_else(|| CoreError::not_found("user", user_id))?;
        let before = User {
            id: user_id,
            username,
            display_name,
            role: parse_role(&role)?,
            active,
        };
        if before.role == Role::Owner && session.role() != Role::Owner {
            return Err(CoreError::Forbidden {
                permission: Permission::ManageUsers,
                role: session.role(),
            });
        }
        let user = change(before.clone())?;
        if user == before {
            return Ok(());
        }
        let taken: Option<String> = sqlx::query_scalar("SELECT id FROM users WHERE username = ? AND id <> ?")
            .bind(&user.username)
            .bind(user.id.to_string())
            .fetch_optional(write.conn())
            .await?;
        if taken.is_some() {
            return Err(CoreError::Conflict {
                entity: "user",
                key: user.username,
            });
        }
        sqlx::query("UPDATE users SET username = ?, display_name = ?, role = ?, active = ? WHERE id = ?")
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(user.role.as_str())
            .bind(user.active)
            .bind(user.id.to_string())
            .execute(write.conn())
            .await?;
        let hlc = write.stamp();
        let op = Op::UserSet(UserSet {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role.as_str().to_string(),
            active: user.active,
        });
        write.append_op(hlc, &op).await?;
        write.commit().await
    }

    /// Whether a change to this user is still waiting in the outbox: the
    /// hub does not know them as they are here yet.
    pub async fn user_unsent(&self, user_id: Uuid) -> Result<bool> {
        let waiting: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM outbox WHERE op_type = 'user.set' AND json_extract(payload, '$.id') = ?)",
        )
        .bind(user_id.to_string())
        .fetch_one(self.reader())
        .await?;
        Ok(waiting)
    }

    /// Every user, active or not, by username.
    pub async fn users(&self) -> Result<Vec<User>> {
        let rows: Vec<(String, String, String, String, bool)> =
            sqlx::query_as("SELECT id, username, display_name, role, active FROM users ORDER BY username")
                .fetch_all(self.reader())
                .await?;
        rows.into_iter()
            .map(|(id, username, display_name, role, active)| {
                Ok(User {
                    id: parse_uuid(&id)?,
                    username,
                    display_name,
                    role: parse_role(&role)?,
                    active,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_table() {
        let allowed: Vec<(Role, Permission)> = Role::ALL
            .into_iter()
            .flat_map(|role| {
                [
                    Permission::Sell,
                    Permission::ReceiveStock,
                    Permission::ManageCatalog,
                    Permission::TakeOrders,
                ]
                .into_iter()
                .filter(move |permission| role.allows(*permission))
                .map(move |permission| (role, permission))
            })
            .collect();
        use Permission::*;
        use Role::*;
        assert_eq!(
            allowed,
            vec![
                (Owner, Sell),
                (Owner, ReceiveStock),
                (Owner, ManageCatalog),
                (Owner, TakeOrders),
                (Manager, Sell),
                (Manager, ReceiveStock),
                (Manager, ManageCatalog),
                (Manager, TakeOrders),
                (Cashier, Sell),
                (Salesperson, Sell),
                (Salesperson, TakeOrders),
                (Warehouse, ReceiveStock),
            ]
        );
    }

    #[test]
    fn pins_are_digits_of_sane_length() {
        assert!(check_pin_shape("1234").is_ok());
        assert!(check_pin_shape("123").is_err());
        assert!(check_pin_shape("12a4").is_err());
        assert!(check_pin_shape("1234567890123").is_err());
    }
}
