//! jiesu-assist: the agent's smart assistant (坐席智能助手) reads a citizen's words and
//! proposes where the problem is and how urgent it is, each with its reasons.
//!
//! [`address::Gazetteer`] resolves district and street (and picks out a community or compound
//! name) against the official divisions; [`urgency::assess`] spots life-and-safety requests by
//! rules and says which words made it urgent; [`scene::Scenes`] reads where the problem is
//! (a residential compound, a city road, a park, a river, a market), which decides the unit. Both are pure and fast enough to run on every
//! keystroke.
#![deny(missing_docs)]

pub mod address;
pub mod scene;
pub mod urgency;
