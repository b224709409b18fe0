//! The reference data a decision needs to look up: units, catalog, divisions.

use crate::reference::{CatalogNode, Division, DivisionLevel, Unit};
use std::collections::HashMap;

/// Look-ups into the reference data, so that the core can check codes without I/O.
pub trait Directory {
    /// The handling unit with this code.
    fn unit(&self, code: &str) -> Option<&Unit>;
    /// The catalog node with this code.
    fn catalog(&self, code: &str) -> Option<&CatalogNode>;
    /// The division (district or street) with this code.
    fn division(&self, code: &str) -> Option<&Division>;
}

/// A [`Directory`] held in memory, built once from the reference data.
#[derive(Debug, Default, Clone)]
pub struct MemoryDirectory {
    units: HashMap<String, Unit>,
    catalog: HashMap<String, CatalogNode>,
    divisions: HashMap<String, Division>,
}

impl MemoryDirectory {
    /// Indexes the given reference data by code.
    pub fn new(
        units: impl IntoIterator<Item = Unit>,
        catalog: impl IntoIterator<Item = CatalogNode>,
        divisions: impl IntoIterator<Item = Division>,
    ) -> Self {
        MemoryDirectory {
            units: units.into_iter().map(|u| (u.code.clone(), u)).collect(),
            catalog: catalog.into_iter().map(|c| (c.code.clone(), c)).collect(),
            divisions: divisions.into_iter().map(|d| (d.code.clone(), d)).collect(),
        }
    }

    /// Number of units, catalog nodes and divisions.
    pub fn counts(&self) -> (usize, usize, usize) {
        (self.units.len(), self.catalog.len(), self.divisions.len())
    }

    /// The district a street belongs to.
    pub fn district_of(&self, street_code: &str) -> Option<&Division> {
        let street = self.divisions.get(street_code)?;
        (street.level == DivisionLevel::Street)
            .then_some(street.parent_code.as_deref())
            .flatten()
            .and_then(|d| self.divisions.get(d))
    }
}

impl Directory for MemoryDirectory {
    fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.get(code)
    }
    fn catalog(&self, code: &str) -> Option<&CatalogNode> {
        self.catalog.get(code)
    }
    fn division(&self, code: &str) -> Option<&Division> {
        self.divisions.get(code)
    }
}
