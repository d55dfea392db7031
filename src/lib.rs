//! k2search: full-text search over health articles, with citations.
pub mod analyze;
pub mod error;
pub mod index;
pub mod output;
pub mod passage;
pub mod search;
pub mod source;
pub use error::{Error, Result};
pub mod eval;
