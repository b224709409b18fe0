//! jiesu-core: the domain of a 12345 hotline with no I/O.
//!
//! A ticket (work order) is a stream of events. [`ticket::decide`] turns a command and the
//! current state into new events, or refuses; [`ticket::evolve`] folds one event into the
//! state. The allowed transitions are one table, [`ticket::TRANSITIONS`]. Everything here is
//! synchronous and pure: storage, HTTP and clocks live in the crates around this one.
#![deny(missing_docs)]

pub mod acceptance;
pub mod analytics;
pub mod calendar;
pub mod directory;
pub mod dispatch;
pub mod export;
pub mod ivr;
pub mod knowledge;
pub mod privacy;
pub mod rates;
pub mod reference;
pub mod report;
pub mod role;
pub mod rollup;
pub mod ticket;
pub mod timelimit;

pub use calendar::{CalendarError, Day, DayKind, Reckoning, Span, WorkingCalendar, YearSchedule};
pub use directory::{Directory, MemoryDirectory};
pub use reference::{CatalogNode, Division, DivisionLevel, Unit, UnitKind};
pub use role::{Actor, Role};
pub use ticket::{
    Caller, Channel, Command, CommandKind, DecideError, Event, EventRecord, Intake, Proposal,
    ReplyOutcome, ReviewDecision, Satisfaction, Status, TRANSITIONS, Ticket, TicketId, Urgency,
    Waiting, available, china_day_start, china_offset, decide, evolve, execute, number_day,
    parse_china_time, replay, ticket_number,
};
