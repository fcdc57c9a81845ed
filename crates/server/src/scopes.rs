//! Scopes: which part of a tenant's feed each device receives, decided by
//! the hub alone. Pure: the scopes of an op ([`scopes_of`]) and the scopes
//! a device may see ([`Grant::for_user`]), both tested by tables.
//!
//! Every feed entry belongs to one or more scopes, fixed when it enters the
//! feed: `shared` (the catalog, locations, users: everyone),
//! `customers:<salesperson>` (the records, payments, sales and returns of
//! the customers assigned to that salesperson when the entry was written),
//! `customers` (the same for customers assigned to no one),
//! `orders:<salesperson>` (an order and the hub's answer to it) and
//! `stock:<location>` (stock movements, sales and returns at a location; a
//! transfer's first leg is at both ends). A device sees the scopes its
//! enrolling user's role grants ([`Grant::for_user`]), narrowed or given
//! by its location assignment ([`Grant::for_device`]): a till assigned to
//! one shop receives that shop's stock only, and a salesperson's device
//! assigned to their van receives the van's stock.
//!
//! A salesperson's device holds their own customers only. Which customers
//! those are is the hub's record of each customer's `salesperson_id` field,
//! so an entry's customer scope is decided by the push ([`OpScopes::resolve`]
//! with the hub's current assignments), and a customer moved to another
//! salesperson changes both salespersons' grants ([`CustomerGrant::Own`]'s
//! version): their devices take new snapshots, which read a customer's
//! history by the customer (`feed_customers`), not by the old scope.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use stockroom_protocol::ops::Entity;
use stockroom_protocol::snapshot::{canonical_change, chain_hex, chain_link, parse_chain, GENESIS_CHAIN};
use stockroom_protocol::sync::{FeedChange, RawOpEnvelope};
use stockroom_protocol::Op;
use uuid::Uuid;

use crate::error::HubError;
use crate::policy::Role;

/// One scope of a tenant's feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    Shared,
    /// The customers assigned to no salesperson.
    Customers,
    /// The customers assigned to one salesperson (by user id).
    CustomersOf(Uuid),
    /// The orders of one salesperson (by user id).
    Orders(Uuid),
    /// The stock of one location.
    Stock(Uuid),
}

impl Scope {
    /// The scope's key as stored and sent: `shared`, `customers`,
    /// `customers:<uuid>`, `orders:<uuid>`, `stock:<uuid>`.
    pub fn key(&self) -> String {
        match self {
            Scope::Shared => "shared".to_string(),
            Scope::Customers => "customers".to_string(),
            Scope::CustomersOf(user_id) => format!("customers:{user_id}"),
            Scope::Orders(user_id) => format!("orders:{user_id}"),
            Scope::Stock(location_id) => format!("stock:{location_id}"),
        }
    }

    /// A stored key back as a scope.
    pub fn parse(key: &str) -> Option<Scope> {
        match key {
            "shared" => Some(Scope::Shared),
            "customers" => Some(Scope::Customers),
            _ => {
                let (kind, id) = key.split_once(':')?;
                let id = Uuid::parse_str(id).ok()?;
                match kind {
                    "customers" => Some(Scope::CustomersOf(id)),
                    "orders" => Some(Scope::Orders(id)),
                    "stock" => Some(Scope::Stock(id)),
                    _ => None,
                }
            }
        }
    }

    /// The customer scope of a customer assigned to `salesperson`.
    pub fn of_customer(salesperson: Option<Uuid>) -> Scope {
        salesperson.map_or(Scope::Customers, Scope::CustomersOf)
    }

    /// Whether this is a customer scope (`customers` or `customers:<id>`).
    pub fn is_customers(&self) -> bool {
        matches!(self, Scope::Customers | Scope::CustomersOf(_))
    }
}

/// The scopes of an applied op before its customers are looked up: those
/// fixed by the op itself, and the customers it concerns, whose scopes
/// depend on who each is assigned to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpScopes {
    pub fixed: Vec<Scope>,
    /// The customers whose scopes the op takes. Sorted, without repeats.
    pub customers: Vec<Uuid>,
    /// Every customer the op names: `customers`, and an order's customer
    /// (an order stays in its salesperson's scope whoever its customer
    /// goes to; a device that sends one for a customer outside its scopes
    /// is told to rebuild, so it drops the record it kept for the draft).
    /// Sorted, without repeats.
    pub named: Vec<Uuid>,
}

impl OpScopes {
    /// The op's scopes, sorted, never empty, with each customer in the
    /// scope of the salesperson `assigned` says it has.
    pub fn resolve(&self, assigned: impl Fn(Uuid) -> Option<Uuid>) -> Vec<Scope> {
        let mut scopes = self.fixed.clone();
        scopes.extend(
            self.customers
                .iter()
                .map(|customer| Scope::of_customer(assigned(*customer))),
        );
        scopes.sort();
        scopes.dedup();
        if scopes.is_empty() {
            scopes.push(Scope::Shared);
        }
        scopes
    }
}

/// The scopes an applied op belongs to ([`OpScopes`]). `None` (an op this
/// build cannot decode) is `shared`: everyone gets what no rule names. An
/// `order.decided` belongs to the scopes of the order it answers: the push
/// gives it those (its payload does not name the salesperson), so here it
/// is `shared` only as a fallback.
pub fn scopes_of(op: Option<&Op>) -> OpScopes {
    let mut customers = Vec::new();
    let mut named = Vec::new();
    let mut scopes = match op {
        None | Some(Op::UserSet(_)) | Some(Op::OrderDecided(_)) => vec![Scope::Shared],
        Some(Op::FieldsSet(set)) if set.entity == Entity::Customer => {
            customers.push(set.row_id);
            Vec::new()
        }
        Some(Op::FieldsSet(set)) => vec![entity_scope(set.entity)],
        Some(Op::PaymentReceived(payment)) => {
            customers.push(payment.customer_id);
            Vec::new()
        }
        Some(Op::OrderSubmitted(order)) => {
            named.push(order.customer_id);
            vec![Scope::Orders(order.salesperson_id)]
        }
        Some(Op::StockMoved(moved)) => {
            let mut scopes: Vec<Scope> = moved
                .movements
                .iter()
                .map(|movement| Scope::Stock(movement.location_id))
                .collect();
            if let Some(transfer) = &moved.transfer {
                scopes.push(Scope::Stock(transfer.from_location_id));
                scopes.push(Scope::Stock(transfer.to_location_id));
            }
            scopes
        }
        Some(Op::SaleCompleted(sale)) => {
            let mut scopes = vec![Scope::Stock(sale.location_id)];
            scopes.extend(sale.movements.iter().map(|movement| Scope::Stock(movement.location_id)));
            customers.extend(sale.customer_id);
            customers.extend(sale.account_entries.iter().map(|entry| entry.customer_id));
            scopes
        }
        Some(Op::ReturnCompleted(returned)) => {
            let mut scopes = vec![Scope::Stock(returned.location_id)];
            scopes.extend(
                returned
                    .movements
                    .iter()
                    .map(|movement| Scope::Stock(movement.location_id)),
            );
            customers.extend(returned.account_entries.iter().map(|entry| entry.customer_id));
            scopes
        }
    };
    scopes.sort();
    scopes.dedup();
    customers.sort();
    customers.dedup();
    named.extend(&customers);
    named.sort();
    named.dedup();
    if scopes.is_empty() && customers.is_empty() {
        scopes.push(Scope::Shared);
    }
    OpScopes {
        fixed: scopes,
        customers,
        named,
    }
}

/// The scope of a class-F record (and of its `fields.set` ops), a
/// customer's being that of customers assigned to no one (see
/// [`Scope::of_customer`] for the others).
pub fn entity_scope(entity: Entity) -> Scope {
    match entity {
        Entity::Customer => Scope::Customers,
        Entity::Product
        | Entity::Category
        | Entity::Barcode
        | Entity::PriceList
        | Entity::PriceListEntry
        | Entity::Location => Scope::Shared,
    }
}

/// Which locations' stock a device sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StockGrant {
    None,
    All,
    /// The one location the device is assigned to.
    One(Uuid),
}

/// Which customers a device sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CustomerGrant {
    None,
    /// Every customer, assigned or not.
    All,
    /// The customers assigned to this salesperson. `version` counts the
    /// times a customer was moved to or from them: it is part of the grant
    /// so that a move changes the grant's tag, and their devices take a
    /// snapshot of their customers as they now are.
    Own {
        salesperson: Uuid,
        version: u64,
    },
}

/// The scopes a device may see, from the role of the user who enrolled it
/// and the device's location assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Grant {
    pub customers: CustomerGrant,
    /// Every salesperson's orders.
    pub all_orders: bool,
    /// One salesperson's own orders.
    pub own_orders: Option<Uuid>,
    pub stock: StockGrant,
}

impl Grant {
    /// Owners and managers see everything; a salesperson the catalog, their
    /// own customers and their own orders; the warehouse the catalog, every
    /// location's stock and every order (to pick and ship them: with the
    /// customers the orders name); a cashier the catalog, every customer and
    /// every location's stock.
    pub fn for_user(role: Role, user_id: Uuid) -> Grant {
        let none = Grant {
            customers: CustomerGrant::None,
            all_orders: false,
            own_orders: None,
            stock: StockGrant::None,
        };
        match role {
            Role::Owner | Role::Manager => Grant {
                customers: CustomerGrant::All,
                all_orders: true,
                stock: StockGrant::All,
                ..none
            },
            Role::Salesperson => Grant {
                customers: CustomerGrant::Own {
                    salesperson: user_id,
                    version: 0,
                },
                own_orders: Some(user_id),
                ..none
            },
            Role::Warehouse => Grant {
                customers: CustomerGrant::All,
                all_orders: true,
                stock: StockGrant::All,
                ..none
            },
            Role::Cashier => Grant {
                customers: CustomerGrant::All,
                stock: StockGrant::All,
                ..none
            },
        }
    }

    /// The grant of a device enrolled by `user_id` (of `role`) and assigned
    /// to `location`, if it is: the role's grant with the stock of that one
    /// location in place of the role's (all or none). An assignment narrows
    /// a till to its shop; for a salesperson, whose role sees no stock, a
    /// manager's assignment gives their van's.
    pub fn for_device(role: Role, user_id: Uuid, location: Option<Uuid>) -> Grant {
        let grant = Grant::for_user(role, user_id);
        match location {
            Some(location_id) => Grant {
                stock: StockGrant::One(location_id),
                ..grant
            },
            None => grant,
        }
    }

    /// The same grant, with the count of customer moves of its salesperson
    /// (see [`CustomerGrant::Own`]).
    pub fn with_customers_version(self, version: u64) -> Grant {
        match self.customers {
            CustomerGrant::Own { salesperson, .. } => Grant {
                customers: CustomerGrant::Own { salesperson, version },
                ..self
            },
            _ => self,
        }
    }

    /// The salesperson whose customers alone this grant sees, if it is one.
    pub fn own_customers(&self) -> Option<Uuid> {
        match self.customers {
            CustomerGrant::Own { salesperson, .. } => Some(salesperson),
            _ => None,
        }
    }

    /// Whether a device of this grant sees `scope`.
    pub fn covers(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Shared => true,
            Scope::Customers => self.customers == CustomerGrant::All,
            Scope::CustomersOf(user_id) => match self.customers {
                CustomerGrant::None => false,
                CustomerGrant::All => true,
                CustomerGrant::Own { salesperson, .. } => salesperson == *user_id,
            },
            Scope::Orders(user_id) => self.all_orders || self.own_orders == Some(*user_id),
            Scope::Stock(location_id) => match self.stock {
                StockGrant::None => false,
                StockGrant::All => true,
                StockGrant::One(assigned) => assigned == *location_id,
            },
        }
    }

    /// The class-F entities whose records a device of this grant holds (of
    /// customers, only its own with [`CustomerGrant::Own`]).
    pub fn entities(&self) -> Vec<Entity> {
        Entity::ALL
            .into_iter()
            .filter(|entity| match entity {
                Entity::Customer => self.customers != CustomerGrant::None,
                _ => self.covers(&entity_scope(*entity)),
            })
            .collect()
    }

    /// Whether a device of this grant sees the scope with this key.
    pub fn covers_key(&self, key: &str) -> bool {
        Scope::parse(key).is_some_and(|scope| self.covers(&scope))
    }

    /// The grant as readable text, the same for the same grant: what the
    /// snapshot cache keys by.
    pub fn key(&self) -> String {
        let mut parts = vec!["shared".to_string()];
        match self.customers {
            CustomerGrant::None => {}
            CustomerGrant::All => parts.push("customers".into()),
            CustomerGrant::Own { salesperson, version } => parts.push(format!("customers:{salesperson}@{version}")),
        }
        match (self.all_orders, self.own_orders) {
            (true, _) => parts.push("orders:*".into()),
            (false, Some(user_id)) => parts.push(format!("orders:{user_id}")),
            (false, None) => {}
        }
        match self.stock {
            StockGrant::None => {}
            StockGrant::All => parts.push("stock:*".into()),
            StockGrant::One(location_id) => parts.push(format!("stock:{location_id}")),
        }
        parts.join(",")
    }

    /// A short fingerprint of [`Grant::key`], carried in pull cursors so a
    /// device whose grant changed is told to take a new snapshot.
    pub fn tag(&self) -> String {
        let digest = Sha256::digest(self.key().as_bytes());
        digest[..6].iter().map(|byte| format!("{byte:02x}")).collect()
    }
}

/// The chain at the head of each scope of a tenant (scopes with no entry
/// are absent: they start from the genesis chain).
pub type ScopeChains = BTreeMap<String, [u8; 32]>;

/// Links a feed entry at `position` (its [`canonical_change`] bytes) into
/// the chain of each of its scopes, moving `chains`; returns each scope's
/// key with its chain after the entry.
///
pub fn link(chains: &mut ScopeChains, scopes: &[Scope], position: u64, canonical: &[u8]) -> Vec<(String, [u8; 32])> {
    scopes
        .iter()
        .map(|scope| {
            let key = scope.key();
            let previous = chains.get(&key).copied().unwrap_or(GENESIS_CHAIN);
            let chain = chain_link(&previous, position, canonical);
            chains.insert(key.clone(), chain);
            (key, chain)
        })
        .collect()
}

/// Gives scopes to a tenant's feed entries written before the feed had
/// them, in feed order: the same scopes and chains a push gives today (an
/// `order.decided` takes the scopes of the order right before it).
#[derive(Default)]
pub struct OldEntries {
    pub chains: ScopeChains,
    order_scopes: Vec<Scope>,
}

impl OldEntries {
    /// The scopes of the entry at `position`, each with its chain after it.
    pub fn link(&mut self, position: u64, change: &FeedChange<RawOpEnvelope>) -> Vec<(String, [u8; 32])> {
        let scopes = match change {
            FeedChange::Op(raw) => {
                let op = raw.decode().ok().map(|envelope| envelope.op);
                // Entries from before customers were assigned: every
                // customer was assigned to no one.
                match &op {
                    Some(Op::OrderDecided(_)) if !self.order_scopes.is_empty() => self.order_scopes.clone(),
                    _ => scopes_of(op.as_ref()).resolve(|_| None),
                }
            }
            FeedChange::Row(_) => vec![Scope::Shared],
        };
        self.order_scopes = match change {
            FeedChange::Op(raw) if raw.op.op_type == "order.submitted" => scopes.clone(),
            _ => Vec::new(),
        };
        link(&mut self.chains, &scopes, position, &canonical_change(change))
    }
}

/// Scope chains as stored on the tenant row: a JSON object of hex.
pub fn scope_chains_json(chains: &ScopeChains) -> String {
    let hex: BTreeMap<&str, String> = chains
        .iter()
        .map(|(scope, chain)| (scope.as_str(), chain_hex(chain)))
        .collect();
    serde_json::to_string(&hex).unwrap_or_else(|_| "{}".to_string())
}

/// Stored scope chains back.
pub fn parse_scope_chains(stored: &str) -> Result<ScopeChains, HubError> {
    let hex: BTreeMap<String, String> =
        serde_json::from_str(stored).map_err(|_| HubError::corrupt("a tenant's scope chains"))?;
    hex.into_iter()
        .map(|(scope, chain)| {
            let chain = parse_chain(&chain).ok_or_else(|| HubError::corrupt(format!("the chain of scope {scope}")))?;
            Ok((scope, chain))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stockroom_protocol::ops::{AccountEntry, AccountEntryKind, FieldsSet, OrderDecided, OrderDecision};

    use super::*;

    const LOCATION_A: Uuid = Uuid::from_u128(0xa);
    const LOCATION_B: Uuid = Uuid::from_u128(0xb);
    const SELLER: Uuid = Uuid::from_u128(0x5);
    const OTHER_SELLER: Uuid = Uuid::from_u128(0x6);

    fn op(op_type: &str, data: serde_json::Value) -> Op {
        Op::from_parts(op_type, data).unwrap()
    }

    fn movement(location: Uuid, kind: &str) -> serde_json::Value {
        json!({"id": Uuid::from_u128(1), "kind": kind, "product_id": Uuid::from_u128(2),
               "location_id": location, "qty_milli": 1000, "hlc": 65536, "ref_id": null, "reason": null})
    }

    fn sale(customer: Option<Uuid>, on_account: bool) -> Op {
        let entries = if on_account {
            json!([{"id": Uuid::from_u128(3), "customer_id": Uuid::from_u128(4), "kind": "charge",
                    "amount_minor": 100, "currency": "EUR", "ref_id": null, "method": null}])
        } else {
            json!([])
        };
        op(
            "sale.completed",
            json!({"id": Uuid::from_u128(9), "number": "D01-1", "location_id": LOCATION_A, "customer_id": customer,
                   "currency": "EUR", "subtotal_minor": 100, "discount_minor": 0, "tax_minor": 0, "total_minor": 100,
                   "change_minor": 0, "lines": [], "payments": [], "movements": [movement(LOCATION_A, "sale")],
                   "account_entries": entries}),
        )
    }

    fn fields(entity: Entity) -> Op {
        Op::FieldsSet(FieldsSet {
            entity,
            row_id: Uuid::from_u128(7),
            fields: serde_json::Map::new(),
        })
    }

    /// Checks an op's scopes with every customer assigned to no one.
    fn check(op: Option<Op>, expected: &[Scope]) {
        assert_eq!(scopes_of(op.as_ref()).resolve(|_| None), expected, "{op:?}");
    }

    #[test]
    fn customers_take_the_scope_of_their_salesperson() {
        use Scope::*;
        let (assigned, unassigned) = (Uuid::from_u128(4), Uuid::from_u128(40));
        let assignments = |customer: Uuid| (customer == assigned).then_some(SELLER);
        // A customer's record goes where the customer is.
        let mut record = fields(Entity::Customer);
        if let Op::FieldsSet(set) = &mut record {
            set.row_id = assigned;
        }
        let record_scopes = scopes_of(Some(&record));
        assert_eq!(record_scopes.customers, vec![assigned]);
        assert_eq!(record_scopes.resolve(assignments), vec![CustomersOf(SELLER)]);
        // A sale names its customer and the customers of its account
        // entries: each in its own scope.
        let mut on_account = sale(Some(unassigned), true);
        if let Op::SaleCompleted(sale) = &mut on_account {
            sale.account_entries[0].customer_id = assigned;
        }
        let sale_scopes = scopes_of(Some(&on_account));
        assert_eq!(sale_scopes.fixed, vec![Stock(LOCATION_A)]);
        assert_eq!(sale_scopes.customers, vec![assigned, unassigned]);
        assert_eq!(
            sale_scopes.resolve(assignments),
            vec![Customers, CustomersOf(SELLER), Stock(LOCATION_A)]
        );
        // Nothing about a customer: no customer scope at all.
        assert_eq!(scopes_of(Some(&sale(None, false))).customers, Vec::<Uuid>::new());
    }

    #[test]
    fn scopes_of_each_op() {
        use Scope::*;
        let table: Vec<(Option<Op>, Vec<Scope>)> = vec![
            (Some(fields(Entity::Product)), vec![Shared]),
            (Some(fields(Entity::Barcode)), vec![Shared]),
            (Some(fields(Entity::Category)), vec![Shared]),
            (Some(fields(Entity::PriceList)), vec![Shared]),
            (Some(fields(Entity::PriceListEntry)), vec![Shared]),
            (Some(fields(Entity::Location)), vec![Shared]),
            (Some(fields(Entity::Customer)), vec![Customers]),
            (
                Some(op(
                    "user.set",
                    json!({"id": SELLER, "username": "s", "display_name": "S", "role": "salesperson", "active": true}),
                )),
                vec![Shared],
            ),
            (
                Some(Op::PaymentReceived(AccountEntry {
                    id: Uuid::from_u128(1),
                    customer_id: Uuid::from_u128(2),
                    kind: AccountEntryKind::Payment,
                    amount_minor: -100,
                    currency: "EUR".into(),
                    ref_id: None,
                    method: None,
                })),
                vec![Customers],
            ),
            (
                Some(op(
                    "order.submitted",
                    json!({"id": Uuid::from_u128(1), "number": "V-1", "customer_id": Uuid::from_u128(2),
                           "salesperson_id": SELLER, "price_list_id": null, "currency": "EUR", "total_minor": 0,
                           "note": null, "lines": []}),
                )),
                vec![Orders(SELLER)],
            ),
            (
                Some(op(
                    "stock.moved",
                    json!({"movements": [movement(LOCATION_B, "receive")], "transfer": null}),
                )),
                vec![Stock(LOCATION_B)],
            ),
            // A transfer's first leg: known at both ends.
            (
                Some(op(
                    "stock.moved",
                    json!({"movements": [movement(LOCATION_A, "transfer_out")],
                           "transfer": {"id": Uuid::from_u128(8), "from_location_id": LOCATION_A,
                                        "to_location_id": LOCATION_B, "number": "T-1"}}),
                )),
                vec![Stock(LOCATION_A), Stock(LOCATION_B)],
            ),
            (
                Some(op(
                    "stock.moved",
                    json!({"movements": [movement(LOCATION_B, "transfer_in")], "transfer": null}),
                )),
                vec![Stock(LOCATION_B)],
            ),
            (Some(sale(None, false)), vec![Stock(LOCATION_A)]),
            (
                Some(sale(Some(Uuid::from_u128(4)), false)),
                vec![Customers, Stock(LOCATION_A)],
            ),
            (Some(sale(None, true)), vec![Customers, Stock(LOCATION_A)]),
            (
                Some(Op::OrderDecided(OrderDecided {
                    order_id: Uuid::from_u128(1),
                    status: OrderDecision::Confirmed,
                    reason: None,
                })),
                vec![Shared],
            ),
            (None, vec![Shared]),
        ];
        for (op, expected) in table {
            check(op, &expected);
        }
    }

    #[test]
    fn returns_go_to_their_location_and_to_customers_when_credited() {
        let returned = |credited: bool| {
            let entries = if credited {
                json!([{"id": Uuid::from_u128(3), "customer_id": Uuid::from_u128(4), "kind": "credit",
                        "amount_minor": -100, "currency": "EUR", "ref_id": null, "method": null}])
            } else {
                json!([])
            };
            op(
                "return.completed",
                json!({"id": Uuid::from_u128(1), "number": "R-1", "sale_id": Uuid::from_u128(9),
                       "location_id": LOCATION_B, "currency": "EUR", "total_minor": 100, "reason": null,
                       "lines": [], "refunds": [], "movements": [movement(LOCATION_B, "return")],
                       "account_entries": entries}),
            )
        };
        check(Some(returned(false)), &[Scope::Stock(LOCATION_B)]);
        check(Some(returned(true)), &[Scope::Customers, Scope::Stock(LOCATION_B)]);
    }

    #[test]
    fn grants_by_role() {
        use Scope::*;
        let scopes = [
            Shared,
            Customers,
            CustomersOf(SELLER),
            CustomersOf(OTHER_SELLER),
            Orders(SELLER),
            Orders(OTHER_SELLER),
            Stock(LOCATION_A),
            Stock(LOCATION_B),
        ];
        // For each role: whether it sees each of `scopes`, in order.
        let table = [
            (Role::Owner, [true, true, true, true, true, true, true, true]),
            (Role::Manager, [true, true, true, true, true, true, true, true]),
            (Role::Salesperson, [true, false, true, false, true, false, false, false]),
            (Role::Warehouse, [true, true, true, true, true, true, true, true]),
            (Role::Cashier, [true, true, true, true, false, false, true, true]),
        ];
        for (role, expected) in table {
            let grant = Grant::for_user(role, SELLER);
            let seen: Vec<bool> = scopes.iter().map(|scope| grant.covers(scope)).collect();
            assert_eq!(seen, expected, "{role:?}");
            for scope in &scopes {
                assert_eq!(grant.covers_key(&scope.key()), grant.covers(scope));
            }
        }
        assert!(!Grant::for_user(Role::Owner, SELLER).covers_key("stock:not-a-uuid"));
    }

    #[test]
    fn an_assignment_gives_the_stock_of_one_location() {
        use Scope::*;
        for role in [
            Role::Owner,
            Role::Manager,
            Role::Warehouse,
            Role::Cashier,
            Role::Salesperson,
        ] {
            let unassigned = Grant::for_user(role, SELLER);
            assert_eq!(Grant::for_device(role, SELLER, None), unassigned);
            let assigned = Grant::for_device(role, SELLER, Some(LOCATION_A));
            assert!(assigned.covers(&Stock(LOCATION_A)), "{role:?}");
            assert!(!assigned.covers(&Stock(LOCATION_B)), "{role:?}");
            // Everything else is the role's.
            for scope in [Shared, Customers, Orders(SELLER), Orders(OTHER_SELLER)] {
                assert_eq!(assigned.covers(&scope), unassigned.covers(&scope), "{role:?} {scope:?}");
            }
            assert_eq!(
                assigned.key(),
                unassigned.key().replace(",stock:*", "") + &format!(",stock:{LOCATION_A}")
            );
            assert_ne!(assigned.tag(), unassigned.tag());
            assert_ne!(assigned.tag(), Grant::for_device(role, SELLER, Some(LOCATION_B)).tag());
        }
    }

    #[test]
    fn grant_keys_and_tags_tell_grants_apart() {
        let salesperson = Grant::for_user(Role::Salesperson, SELLER);
        assert_eq!(
            salesperson.key(),
            format!("shared,customers:{SELLER}@0,orders:{SELLER}")
        );
        // A customer moved to or from the salesperson changes the tag.
        let moved = salesperson.with_customers_version(1);
        assert_eq!(moved.key(), format!("shared,customers:{SELLER}@1,orders:{SELLER}"));
        assert_ne!(moved.tag(), salesperson.tag());
        assert_eq!(moved.own_customers(), Some(SELLER));
        // Others see every customer: the count does not touch them.
        let owner = Grant::for_user(Role::Owner, SELLER);
        assert_eq!(owner.with_customers_version(3), owner);
        assert_eq!(owner.own_customers(), None);
        assert_eq!(
            Grant::for_user(Role::Owner, SELLER).key(),
            "shared,customers,orders:*,stock:*"
        );
        assert_eq!(Grant::for_user(Role::Cashier, SELLER).key(), "shared,customers,stock:*");
        assert_ne!(
            salesperson.tag(),
            Grant::for_user(Role::Salesperson, OTHER_SELLER).tag()
        );
        assert_eq!(
            Grant::for_user(Role::Owner, SELLER).tag(),
            Grant::for_user(Role::Manager, OTHER_SELLER).tag()
        );
        assert_eq!(salesperson.tag().len(), 12);
    }

    #[test]
    fn scope_keys_and_chains_round_trip() {
        for scope in [
            Scope::Shared,
            Scope::Customers,
            Scope::CustomersOf(SELLER),
            Scope::Orders(SELLER),
            Scope::Stock(LOCATION_A),
        ] {
            assert_eq!(Scope::parse(&scope.key()), Some(scope));
        }
        assert_eq!(Scope::parse("stock:"), None);
        assert_eq!(Scope::parse("vans:00000000-0000-0000-0000-00000000000a"), None);
        let chains: ScopeChains = [
            ("shared".to_string(), [7u8; 32]),
            (Scope::Stock(LOCATION_A).key(), [9u8; 32]),
        ]
        .into_iter()
        .collect();
        assert_eq!(parse_scope_chains(&scope_chains_json(&chains)).unwrap(), chains);
        assert!(parse_scope_chains("{\"shared\":\"zz\"}").is_err());
    }
}
