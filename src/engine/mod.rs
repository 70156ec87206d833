//! The engine: plans a task, runs its workspaces and aggregates their results. It speaks to front
//! ends only through [`Command`] and [`Event`]: the dashboard, the headless printer and the session
//! file are equal consumers of the same event stream.

pub mod aggregate;
pub mod budget;
pub mod context;
mod control;
pub mod event;
mod inspect;
pub mod ledger;
mod limiter;
pub mod plan;
pub mod planner;
pub mod protocol;
pub mod resume;
mod runtime;
pub mod workspace;

pub use event::{ALL, Command, Event, InspectedMessage, Message, Status, Target, Totals, USER};
pub use ledger::Ledger;
pub use runtime::{DEFAULT_CONTEXT_TOKENS, Engine, EngineConfig, EngineHandle, now_ms};
