//! Beijing's daily curve: the share of a day's orders received in each Beijing hour.
//!
//! The shape follows what Beijing's 12345 centre publishes about its load: nights are low
//! (under 1 % an hour from 1 to 5 a.m.), calls climb from 7 a.m., peak at 9–11 and again at
//! 14–17, and ebb through the evening. Weekends start later, are flatter and carry
//! [`WEEKEND_FACTOR`] of a weekday's volume.

use chrono::{Datelike, NaiveDate, Weekday};

/// A weekend day's volume relative to a weekday's.
pub const WEEKEND_FACTOR: f64 = 0.8;

/// Relative weights of the 24 Beijing hours on a weekday.
const WEEKDAY: [f64; 24] = [
    1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.8, 5.6, 7.6, 7.8, 6.9, 5.0, 5.6, 6.9, 7.2, 7.0, 6.0, 4.6,
    4.2, 3.9, 3.4, 2.6, 1.6,
];

/// Relative weights of the 24 Beijing hours on a weekend day.
const WEEKEND: [f64; 24] = [
    1.2, 0.7, 0.5, 0.4, 0.4, 0.5, 1.0, 2.0, 4.0, 5.8, 6.6, 6.5, 5.6, 5.7, 6.2, 6.3, 6.1, 5.5, 4.8,
    4.7, 4.5, 3.9, 3.0, 2.0,
];

/// Whether a day is a Saturday or Sunday.
pub fn is_weekend(date: NaiveDate) -> bool {
    matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The share of the day's orders in each Beijing hour (0 = midnight to 1 a.m.); sums to 1.
pub fn hour_shares(date: NaiveDate) -> [f64; 24] {
    let w = if is_weekend(date) { WEEKEND } else { WEEKDAY };
    let total: f64 = w.iter().sum();
    w.map(|x| x / total)
}

/// Splits `volume` over the hours by `shares`, largest remainders first, so the counts add up
/// to the volume exactly.
pub(crate) fn split(volume: u64, shares: &[f64; 24]) -> [u64; 24] {
    let exact: Vec<f64> = shares.iter().map(|s| s * volume as f64).collect();
    let mut counts = [0_u64; 24];
    for (c, e) in counts.iter_mut().zip(&exact) {
        *c = e.floor() as u64;
    }
    let mut left = volume.saturating_sub(counts.iter().sum());
    let mut order: Vec<usize> = (0..24).collect();
    order.sort_by(|&a, &b| {
        let ra = exact[a] - exact[a].floor();
        let rb = exact[b] - exact[b].floor();
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &h in order.iter().cycle() {
        if left == 0 {
            break;
        }
        counts[h] += 1;
        left -= 1;
    }
    counts
}
