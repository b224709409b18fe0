//! The reference data a decision needs to look up: units, catalog, divisions.

use crate::calendar::WorkingCalendar;
use crate::reference::{CatalogNode, Division, DivisionLevel, Unit};
use crate::timelimit::PolicySet;
use std::collections::HashMap;

/// Look-ups into the reference data, so that the core can check codes without I/O.
pub trait Directory {
    /// The handling unit with this code.
    fn unit(&self, code: &str) -> Option<&Unit>;
    /// The catalog node with this code.
    fn catalog(&self, code: &str) -> Option<&CatalogNode>;
    /// The division (district or street) with this code.
    fn division(&self, code: &str) -> Option<&Division>;
    /// The time-limit policies and the working calendar, when time limits are in force.
    fn time_limits(&self) -> Option<(&PolicySet, &WorkingCalendar)> {
        None
    }
}

/// A [`Directory`] held in memory, built once from the reference data.
#[derive(Debug, Default, Clone)]
pub struct MemoryDirectory {
    units: HashMap<String, Unit>,
    catalog: HashMap<String, CatalogNode>,
    divisions: HashMap<String, Division>,
    limits: Option<(PolicySet, WorkingCalendar)>,
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
            limits: None,
        }
    }

    /// Holds tickets to these time limits from now on.
    pub fn with_time_limits(mut self, policies: PolicySet, calendar: WorkingCalendar) -> Self {
        self.limits = Some((policies, calendar));
        self
    }

    /// Replaces the policies (after an admin's edit), keeping the calendar.
    pub fn set_time_limits(&mut self, policies: PolicySet, calendar: WorkingCalendar) {
        self.limits = Some((policies, calendar));
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
    fn time_limits(&self) -> Option<(&PolicySet, &WorkingCalendar)> {
        self.limits.as_ref().map(|(p, c)| (p, c))
    }
}
