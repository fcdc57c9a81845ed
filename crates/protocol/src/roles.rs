//! Roles and what each may do: one table, read by the device core (to check
//! commands) and by the hub (to check the ops devices push).

/// A user's role in a shop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Manager,
    Cashier,
    Salesperson,
    Warehouse,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Owner,
        Role::Manager,
        Role::Cashier,
        Role::Salesperson,
        Role::Warehouse,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Cashier => "cashier",
            Role::Salesperson => "salesperson",
            Role::Warehouse => "warehouse",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// The role's permissions. Owners and managers may do everything except
    /// that only an owner may create or change another owner.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Owner | Role::Manager => true,
            Role::Cashier => matches!(permission, Sell | Refund | CollectPayments | ManageCustomers),
            Role::Salesperson => matches!(permission, Sell | TakeOrders | CollectPayments | ManageCustomers),
            Role::Warehouse => matches!(permission, ReceiveStock | AdjustStock | TransferStock | CountStock),
        }
    }
}

/// Things a command may need to be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    ManageCatalog,
    ManageUsers,
    ManageLocations,
    ManageCustomers,
    /// A customer's credit limit and price list: what they may owe and pay.
    ManageCredit,
    /// Which salesperson looks after a customer (whose devices hold it).
    AssignCustomers,
    ReceiveStock,
    AdjustStock,
    TransferStock,
    CountStock,
    Sell,
    Refund,
    TakeOrders,
    CollectPayments,
    ImportExport,
    /// Marking a manager's flag (negative stock, clock doubt) as dealt with.
    ResolveFlags,
}
