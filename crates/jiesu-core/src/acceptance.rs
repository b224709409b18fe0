//! How often agents keep what the smart assistant proposes, field by field.
//!
//! Counted from the `received` events that carry a proposal: a field counts as proposed when
//! the assistant had a value for it, and as kept when the ticket was recorded with that value.

use crate::ticket::{Event, EventRecord};
use serde::Serialize;

/// One field's figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct FieldAcceptance {
    /// Tickets where the assistant proposed a value.
    pub proposed: u64,
    /// Of those, tickets recorded with the proposed value.
    pub kept: u64,
    /// `kept / proposed`, when anything was proposed.
    pub rate: Option<f64>,
}

/// The figures for every field the assistant proposes.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Acceptance {
    /// Tickets recorded with the assistant.
    pub tickets: u64,
    /// District.
    pub district: FieldAcceptance,
    /// Street.
    pub street: FieldAcceptance,
    /// Urgency.
    pub urgency: FieldAcceptance,
    /// Catalog category.
    pub category: FieldAcceptance,
}

fn count(f: &mut FieldAcceptance, proposed: Option<&str>, chosen: Option<&str>) {
    if let Some(p) = proposed {
        f.proposed += 1;
        f.kept += u64::from(chosen == Some(p));
    }
}

/// Counts the proposals among `records` (any events; only `received` ones are read).
pub fn acceptance<'a>(records: impl IntoIterator<Item = &'a EventRecord>) -> Acceptance {
    let mut a = Acceptance::default();
    for r in records {
        let Event::Received {
            intake,
            proposal: Some(p),
            ..
        } = &r.event
        else {
            continue;
        };
        a.tickets += 1;
        count(
            &mut a.district,
            p.district_code.as_deref(),
            intake.district_code.as_deref(),
        );
        count(
            &mut a.street,
            p.street_code.as_deref(),
            intake.street_code.as_deref(),
        );
        count(
            &mut a.urgency,
            Some(p.urgency.as_str()),
            Some(intake.urgency.as_str()),
        );
        count(
            &mut a.category,
            p.category_code.as_deref(),
            intake.category_code.as_deref(),
        );
    }
    for f in [
        &mut a.district,
        &mut a.street,
        &mut a.urgency,
        &mut a.category,
    ] {
        f.rate = (f.proposed > 0).then(|| f.kept as f64 / f.proposed as f64);
    }
    a
}
