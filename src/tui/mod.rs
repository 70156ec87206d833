//! The terminal dashboard (SPEC §6): a consumer of engine events and a sender of commands, like the
//! headless printer and the session writer.

pub mod log;
pub mod markdown;
