//! 语音导航 the IVR menu as data, and the walk of one call through it.
//!
//! A [`Menu`] is a tree of nodes, each with a prompt and digit → [`Choice`]. A PBX drives a call
//! by sending the digits the caller pressed; [`step`] says what to do next. `*` always goes
//! back to the top menu; three wrong keys in a row hand the caller to an agent.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Wrong keys in a row before the caller is handed to an agent.
pub const MAX_WRONG_KEYS: u32 = 3;

/// What a key does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Choice {
    /// Go to another node.
    Menu {
        /// The node.
        node: String,
    },
    /// Read out a knowledge-base entry's answer (only while it is in force).
    ReadEntry {
        /// The entry id.
        entry_id: String,
    },
    /// Read out a list of numbers (for example each district's service line).
    ReadNumbers {
        /// What to read, in order.
        numbers: Vec<PhoneNumber>,
    },
    /// 转人工 hand the call to an agent.
    Agent,
    /// 留言 record a message that becomes a work order.
    Message,
}

/// A name and its number, read out by [`Choice::ReadNumbers`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneNumber {
    /// Who answers.
    pub name: String,
    /// The number.
    pub phone: String,
}

/// One node: what is said, and what each key does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// What the caller hears on arriving.
    pub prompt: String,
    /// Key (`0`–`9`, `#`) → what it does.
    pub options: BTreeMap<String, Choice>,
}

/// 语音导航菜单 the menu: nodes by id and the node a call starts at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Menu {
    /// The node a call starts at.
    pub root: String,
    /// The nodes by id.
    pub nodes: BTreeMap<String, Node>,
}

/// Why a menu was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct MenuError {
    /// The field, in API spelling (`nodes.policy.options.1.node`).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn menu_error(field: String, message: impl Into<String>) -> MenuError {
    MenuError {
        field,
        message: message.into(),
    }
}

impl Menu {
    /// Checks that the root and every referenced node exist, keys are single digits or `#`
    /// (`*` is kept for "back to the top"), prompts are not empty, and every node can be
    /// reached from the root. `entry_exists` tells whether an entry id is known.
    pub fn validate(&self, entry_exists: impl Fn(&str) -> bool) -> Result<(), MenuError> {
        if !self.nodes.contains_key(&self.root) {
            return Err(menu_error("root".into(), format!("no node {}", self.root)));
        }
        for (id, node) in &self.nodes {
            if node.prompt.trim().is_empty() {
                return Err(menu_error(
                    format!("nodes.{id}.prompt"),
                    "must not be empty",
                ));
            }
            for (key, choice) in &node.options {
                let field = format!("nodes.{id}.options.{key}");
                if !(key.len() == 1 && (key.as_bytes()[0].is_ascii_digit() || key == "#")) {
                    return Err(menu_error(field, "a key is one digit 0-9 or #"));
                }
                match choice {
                    Choice::Menu { node } if !self.nodes.contains_key(node) => {
                        return Err(menu_error(field + ".node", format!("no node {node}")));
                    }
                    Choice::ReadEntry { entry_id } if !entry_exists(entry_id) => {
                        return Err(menu_error(
                            field + ".entry_id",
                            format!("no entry {entry_id}"),
                        ));
                    }
                    Choice::ReadNumbers { numbers } if numbers.is_empty() => {
                        return Err(menu_error(field + ".numbers", "must not be empty"));
                    }
                    _ => {}
                }
            }
        }
        let mut seen = std::collections::BTreeSet::from([self.root.as_str()]);
        let mut todo = vec![self.root.as_str()];
        while let Some(id) = todo.pop() {
            for choice in self.nodes[id].options.values() {
                if let Choice::Menu { node } = choice
                    && seen.insert(node.as_str())
                {
                    todo.push(node.as_str());
                }
            }
        }
        if let Some(orphan) = self.nodes.keys().find(|k| !seen.contains(k.as_str())) {
            return Err(menu_error(
                format!("nodes.{orphan}"),
                "cannot be reached from the root",
            ));
        }
        Ok(())
    }

    /// The prompt of a node followed by its keys, as the caller hears it.
    pub fn prompt(&self, node: &str) -> String {
        self.nodes
            .get(node)
            .map(|n| n.prompt.clone())
            .unwrap_or_default()
    }
}

/// What the PBX does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Say the node's prompt and wait for a key.
    Gather {
        /// The node the call is now at.
        node: String,
        /// True when the key pressed was not on the menu.
        wrong_key: bool,
    },
    /// Read an entry's answer, then wait for a key at the same node.
    ReadEntry {
        /// The node the call stays at.
        node: String,
        /// The entry to read.
        entry_id: String,
    },
    /// Read numbers, then wait for a key at the same node.
    ReadNumbers {
        /// The node the call stays at.
        node: String,
        /// What to read.
        numbers: Vec<PhoneNumber>,
    },
    /// Hand the call to an agent.
    Agent,
    /// Record a message.
    Message,
}

/// The next step of a call at `node` when the caller presses `key`, with `wrong_keys` wrong
/// keys already in a row.
pub fn step(menu: &Menu, node: &str, key: &str, wrong_keys: u32) -> Step {
    if key == "*" {
        return Step::Gather {
            node: menu.root.clone(),
            wrong_key: false,
        };
    }
    let choice = menu.nodes.get(node).and_then(|n| n.options.get(key));
    match choice {
        None if wrong_keys + 1 >= MAX_WRONG_KEYS => Step::Agent,
        None => Step::Gather {
            node: if menu.nodes.contains_key(node) {
                node.to_string()
            } else {
                menu.root.clone()
            },
            wrong_key: true,
        },
        Some(Choice::Menu { node }) => Step::Gather {
            node: node.clone(),
            wrong_key: false,
        },
        Some(Choice::ReadEntry { entry_id }) => Step::ReadEntry {
            node: node.to_string(),
            entry_id: entry_id.clone(),
        },
        Some(Choice::ReadNumbers { numbers }) => Step::ReadNumbers {
            node: node.to_string(),
            numbers: numbers.clone(),
        },
        Some(Choice::Agent) => Step::Agent,
        Some(Choice::Message) => Step::Message,
    }
}

/// How a call through the IVR ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Still in the menu.
    InMenu,
    /// Hung up after hearing an answer or numbers: served without an agent.
    SelfServed,
    /// Handed to an agent.
    Agent,
    /// Left a message that became a work order.
    Ticket,
    /// Hung up before hearing anything useful.
    Abandoned,
}

impl CallOutcome {
    /// The identifier used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            CallOutcome::InMenu => "in_menu",
            CallOutcome::SelfServed => "self_served",
            CallOutcome::Agent => "agent",
            CallOutcome::Ticket => "ticket",
            CallOutcome::Abandoned => "abandoned",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn menu() -> Menu {
        serde_json::from_value(serde_json::json!({
            "root": "main",
            "nodes": {
                "main": {"prompt": "政策咨询请按1，各区热线请按2，人工服务请按0，留言请按9", "options": {
                    "1": {"action": "menu", "node": "policy"},
                    "2": {"action": "read_numbers", "numbers": [{"name": "海淀区", "phone": "010-1"}]},
                    "0": {"action": "agent"},
                    "9": {"action": "message"}
                }},
                "policy": {"prompt": "供暖请按1", "options": {
                    "1": {"action": "read_entry", "entry_id": "KB1"}
                }}
            }
        }))
        .unwrap()
    }

    #[test]
    fn a_call_walks_the_tree() {
        let m = menu();
        m.validate(|id| id == "KB1").unwrap();
        assert_eq!(
            step(&m, "main", "1", 0),
            Step::Gather {
                node: "policy".into(),
                wrong_key: false
            }
        );
        assert_eq!(
            step(&m, "policy", "1", 0),
            Step::ReadEntry {
                node: "policy".into(),
                entry_id: "KB1".into()
            }
        );
        assert_eq!(
            step(&m, "policy", "*", 0),
            Step::Gather {
                node: "main".into(),
                wrong_key: false
            }
        );
        assert_eq!(step(&m, "main", "0", 0), Step::Agent);
        assert_eq!(step(&m, "main", "9", 0), Step::Message);
    }

    #[test]
    fn wrong_keys_repeat_the_prompt_then_hand_over() {
        let m = menu();
        assert_eq!(
            step(&m, "policy", "7", 0),
            Step::Gather {
                node: "policy".into(),
                wrong_key: true
            }
        );
        assert_eq!(step(&m, "policy", "7", 2), Step::Agent);
    }

    #[test]
    fn a_broken_menu_is_refused_naming_the_place() {
        let mut m = menu();
        assert_eq!(
            m.validate(|_| false).unwrap_err().field,
            "nodes.policy.options.1.entry_id"
        );
        m.nodes.get_mut("main").unwrap().options.insert(
            "3".into(),
            Choice::Menu {
                node: "nowhere".into(),
            },
        );
        assert_eq!(
            m.validate(|_| true).unwrap_err().field,
            "nodes.main.options.3.node"
        );
        let mut m = menu();
        m.nodes.get_mut("main").unwrap().options.remove("1");
        assert_eq!(m.validate(|_| true).unwrap_err().field, "nodes.policy");
        let mut m = menu();
        m.nodes
            .get_mut("main")
            .unwrap()
            .options
            .insert("12".into(), Choice::Agent);
        assert_eq!(
            m.validate(|_| true).unwrap_err().field,
            "nodes.main.options.12"
        );
    }
}
