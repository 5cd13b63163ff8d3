//! leadscore's file formats, shared by the CLI, the trainer and the server (which must not link
//! the trainer): reading CRM exports ([`csv_source`], and [`pg_source`] for PostgreSQL), writing
//! CSV rows ([`csv_rows`]) and streaming batch scoring ([`score_csv`]).
//!
//! One reader and one row writer for every path, as polars keeps its I/O in polars-io: a file
//! that `leadscore score` refuses is refused the same way by the server's CSV route.
#![warn(missing_docs)]

mod csv_rows;
pub mod csv_source;
pub mod error;
#[cfg(feature = "postgres")]
pub mod pg_source;
pub mod score_csv;

pub use error::{Error, Result};
