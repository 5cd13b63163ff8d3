//! Reading a large log a page at a time.
//!
//! A server writing tens of thousands of rows a second must not be held up by someone reading
//! its log. One long `SELECT` holds one read open for its whole length: on SQLite the WAL cannot
//! start over past that read's snapshot, so it grows for as long as the read lasts (from 97 MB to
//! 706 MB in a 30 s read of 1.8M rows under load, measured) and every insert looks its pages up
//! in a longer WAL index; on PostgreSQL it holds back vacuum. [`rows_in_pages`] reads the same
//! rows as [`Store::rows`] in pages of [`PAGE_ROWS`], each its own statement, over the rows there
//! were when it started, and can stop at the newest `n` (the server's kept monitor report).
//! [`pairs_in_pages`] does the same for the shadow pairs behind the challenger figures.

use crate::row::{Filter, LoggedRow, PairFilter, PairedRow};
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
    let (after, capped) = match newest {
        // The row with `n` newer ones is the last one left out.
        Some(n) => match store.nth_newest_id(&base, n)? {
            Some(id) => (Some(id), true),
            None => (None, false),
        },
        None => (None, false),
    };
    let mut rows = Vec::new();
    read_pages(
        after,
        &mut rows,
        |r: &LoggedRow| r.row_id,
        |after| store.rows(&Filter { after_id: after, limit: Some(PAGE_ROWS), ..base.clone() }),
    )?;
    Ok(PagedRows { rows, capped })
}

/// Appends to `out` every page `page(after)` gives, each read after the last row of the one
/// before (`id` of a row: its place in id order), starting after `after`, until a page comes
/// short of [`PAGE_ROWS`].
fn read_pages<T>(
    mut after: Option<i64>,
    out: &mut Vec<T>,
    id: impl Fn(&T) -> i64,
    mut page: impl FnMut(Option<i64>) -> Result<Vec<T>>,
) -> Result<()> {
    loop {
        let rows = page(after)?;
        let full = rows.len() as u64 == PAGE_ROWS;
        after = rows.last().map(&id);
        out.extend(rows);
        if !full {
            return Ok(());
        }
    }
}

/// The shadow pairs matching `filter` (its own id bounds and limit are replaced), as
/// [`Store::paired_rows`] gives them but read [`PAGE_ROWS`] at a time, each page its own
/// statement, over the pairs there were when the read started. Without a named challenger,
/// each challenger's pairs are read in turn (in version order, each in insertion order): a page
/// of one challenger's pairs is a seek in the shadow rows' index, where a page of all of them
/// would sort every shadow row of the model.
pub fn pairs_in_pages(store: &mut dyn Store, filter: &PairFilter) -> Result<Vec<PairedRow>> {
    // The model's newest row now: every pair logged so far has its shadow row at or before it.
    let Some(last) = store.nth_newest_id(&Filter { model: filter.model.clone(), ..Filter::default() }, 0)? else {
        return Ok(Vec::new());
    };
    let challengers = match &filter.challenger {
        Some(version) => vec![version.clone()],
        None => store.shadow_versions(&filter.model)?,
    };
    let mut pairs = Vec::new();
    for challenger in challengers {
        let base = PairFilter {
            challenger: Some(challenger),
            after_id: None,
            through_id: Some(last),
            limit: None,
            ..filter.clone()
        };
        read_pages(
            None,
            &mut pairs,
            |p: &PairedRow| p.challenger.row_id,
            |after| store.paired_rows(&PairFilter { after_id: after, limit: Some(PAGE_ROWS), ..base.clone() }),
        )?;
    }
    Ok(pairs)
}
