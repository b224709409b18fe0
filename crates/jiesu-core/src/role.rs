//! Who acts: roles and the actor recorded on every event.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The role of a user. Every user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 话务员 / 坐席: takes calls, records and answers tickets, records callbacks.
    Agent,
    /// 派单员 / 审核: dispatches, reviews returns, transfers, merges.
    Dispatcher,
    /// 承办单位 user: acts on the tickets dispatched to its own unit only.
    Unit,
    /// 督办: supervises late and unresolved tickets, escalates, decides extensions.
    Supervisor,
    /// 知识库管理员: maintains the knowledge base.
    Editor,
    /// Analyst or leader: reads dashboards and reports.
    Analyst,
    /// Administrator: everything.
    Admin,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 7] = [
        Role::Agent,
        Role::Dispatcher,
        Role::Unit,
        Role::Supervisor,
        Role::Editor,
        Role::Analyst,
        Role::Admin,
    ];

    /// The identifier used in the API and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Dispatcher => "dispatcher",
            Role::Unit => "unit",
            Role::Supervisor => "supervisor",
            Role::Editor => "editor",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown role '{0}' (expected one of agent, dispatcher, unit, supervisor, editor, analyst, admin)"
)]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// Who did something: recorded on every event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// User name.
    pub name: String,
    /// The user's role at the time.
    pub role: Role,
    /// The unit of a `unit` user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

impl Actor {
    /// An actor without a unit.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Actor {
            name: name.into(),
            role,
            unit: None,
        }
    }

    /// A user of a handling unit.
    pub fn of_unit(name: impl Into<String>, unit: impl Into<String>) -> Self {
        Actor {
            name: name.into(),
            role: Role::Unit,
            unit: Some(unit.into()),
        }
    }

    /// The system itself (imports, background jobs).
    pub fn system() -> Self {
        Actor::new("system", Role::Admin)
    }
}
