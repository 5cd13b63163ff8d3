//! Reading a large log a page at a time.
//!
//! A server writing tens of thousands of rows a second must not be held up by someone reading
//! its log. One long `SELECT` holds one read open for its whole length: on SQLite the WAL cannot
//! start over past that read's snapshot, so it grows for as long as the read lasts (from 97 MB to
//! 706 MB in a 30 s read of 1.8M rows under load, measured) and every insert looks its pages up
//! in a longer WAL index; on PostgreSQL it holds back vacuum. [`rows_in_pages`] reads the same
//! rows as [`Store::rows`] in pages of [`PAGE_ROWS`], each its own statement, over the rows there
//! were when it started, and can stop at the newest `n` (the server's kept monitor report).

use crate::row::{Filter, LoggedRow};
use crate::{Result, Store};

/// Rows per page: tens of milliseconds of reading each, so the log is never held for long and
/// the statements' overhead stays small.
pub const PAGE_ROWS: u64 = 10_000;

/// What [`rows_in_pages`] read.
#[derive(Debug, Default)]
pub struct PagedRows {
    /// The rows, in insertion order, each with its lead's outcome.
    pub rows: Vec<LoggedRow>,
    /// Whether older rows matching the filter were left out (only the newest were asked for).
    pub capped: bool,
}

/// The scorings matching `filter` (its own id bounds and limit are replaced), as [`Store::rows`]
/// gives them but read [`PAGE_ROWS`] at a time, each page its own statement: only the rows
/// there were when the read started, and with `newest`, only that many of the newest.
pub fn rows_in_pages(store: &mut dyn Store, filter: &Filter, newest: Option<u64>) -> Result<PagedRows> {
    let base = Filter { after_id: None, through_id: None, limit: None, ..filter.clone() };
    let Some(last) = store.nth_newest_id(&base, 0)? else {
        return Ok(PagedRows::default());
    };
    let base = Filter { through_id: Some(last), ..base };
    let (mut after, capped) = match newest {
        // The row with `n` newer ones is the last one left out.
        Some(n) => match store.nth_newest_id(&base, n)? {
            Some(id) => (Some(id), true),
            None => (None, false),
        },
        None => (None, false),
    };
    let mut rows = Vec::new();
    loop {
        let page = store.rows(&Filter { after_id: after, limit: Some(PAGE_ROWS), ..base.clone() })?;
        let full = page.len() as u64 == PAGE_ROWS;
        after = page.last().map(|r| r.row_id);
        rows.extend(page);
        if !full {
            return Ok(PagedRows { rows, capped });
        }
    }
}
