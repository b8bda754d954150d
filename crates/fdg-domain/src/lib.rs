//! # fdg-domain — Det Fælles Datagrundlag, the rules without IO
//!
//! The value types ([`Cpr`], code lists), the [`command`]s callers send, the [`event`]s the
//! registry records, a person's [`state`] folded from events, and [`decide()`], which applies the
//! rules of *Bekendtgørelse om det fælles datagrundlag* (2007) to one command.
//!
//! This crate does no IO, has no async, no SQL and no HTTP; CI checks that with `cargo tree`.
//! Every rule is in [`rules`] with its stable id, provision and Danish and English messages;
//! [`ruleset`] names the legal baseline (the 2007 order) and chooses it by each record's
//! business date.
//!
//! ## Layout
//! - [`cpr`]: the CPR number, parsed once; [`ids`]: person ids, fact ids, idempotency keys and
//!   organisation labels, parsed once.
//! - [`codes`]: versioned code lists, shipped as CSV and replaceable; [`codes_const`] names the
//!   few codes rules refer to.
//! - [`command`], [`event`], [`state`]: inputs, facts and the folded person.
//! - [`decide()`]: the rules; [`view`]: the person overview answered to callers;
//!   [`worklist`]: the days that put a person on a job centre's worklist.

pub mod access;
pub mod actor;
pub mod agreement;
pub mod codes;
pub mod codes_const;
pub mod command;
pub mod cpr;
pub mod decide;
pub mod event;
pub mod ids;
pub mod rules;
pub mod ruleset;
pub mod state;
pub mod supervision;
pub mod view;
pub mod worklist;

pub use access::{PersonScope, Visibility};
pub use actor::{Actor, Clock, OrgKind, Role};
pub use codes::{CodeLists, ListName};
pub use command::Command;
pub use cpr::{Cpr, CprError};
pub use decide::{Context, Decision, decide};
pub use event::Event;
pub use ids::{FactId, IdempotencyKey, PersonId};
pub use rules::{Rule, RuleKind, Violation};
pub use state::{EventMeta, PersonState};
