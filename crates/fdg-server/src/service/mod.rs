//! The application services: what the registry does, with no HTTP in it.

pub mod cpr_register;
pub mod dated;
pub mod passwords;
pub mod read;
pub mod scope;
pub mod witness;
pub mod worklist;
pub mod write;
