//! The engine: plans a task, runs its workspaces and aggregates their results. It speaks to front
//! ends only through [`event::Command`] and [`event::Event`].

pub mod event;
pub mod plan;
pub mod protocol;
