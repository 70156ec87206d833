//! huddle: a planner LLM splits a task into a tree of workspaces staffed by agents that talk in
//! parallel; front ends watch and steer the run through the engine's events and commands.

pub mod bench;
pub mod cli;
pub mod config;
pub mod engine;
pub mod headless;
pub mod launch;
pub mod llm;
pub mod pricing;
pub mod session;
pub mod team;
pub mod text;
pub mod tui;
