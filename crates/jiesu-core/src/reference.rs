//! Reference data types: administrative divisions, handling units and the complaint catalog.
//!
//! The data itself ships in `jiesu-reference`; these are the shapes every other crate speaks.

use serde::{Deserialize, Serialize};

/// Level of an administrative division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum DivisionLevel {
    /// 区 / 县: a district or county (6-digit code).
    District,
    /// 街道 / 乡镇: a street office, town or township (9-digit code).
    Street,
}

/// 行政区划 an administrative division of the configured city (district or street).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Division {
    /// National Bureau of Statistics code: 6 digits for a district, 9 for a street.
    pub code: String,
    /// Official name, for example `朝阳区` or `北下关街道`.
    pub name: String,
    /// District or street.
    pub level: DivisionLevel,
    /// The district a street belongs to; `None` for a district.
    pub parent_code: Option<String>,
}

/// Kind of handling unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// A city bureau or commission (委办局), for example 城管委.
    Bureau,
    /// A district government (区政府).
    District,
    /// A street office or township government (街道办事处 / 乡镇政府).
    Street,
    /// A public utility company (heating, gas, water, power, telecom).
    Utility,
}

/// 承办单位 a unit that handles tickets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Stable code: a mnemonic for bureaus and utilities (`cgw`, `gas`), the division code for
    /// district governments and street offices.
    pub code: String,
    /// Full Chinese name.
    pub name: String,
    /// What kind of unit this is.
    pub kind: UnitKind,
    /// District the unit belongs to, for district governments and street offices.
    pub district_code: Option<String>,
}

/// 派单目录 one node of the three-level catalog tickets are filed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogNode {
    /// Hierarchical code: two digits per level (`03`, `0305`, `030512`).
    pub code: String,
    /// Name at this level.
    pub name: String,
    /// 1, 2 or 3.
    pub level: u8,
    /// Code of the parent node, `None` at level 1.
    pub parent_code: Option<String>,
    /// Default lead unit for a leaf (level 3); `None` on inner nodes.
    pub default_unit: Option<String>,
}
