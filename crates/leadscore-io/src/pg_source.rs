//! Training rows straight from PostgreSQL, read as the CSV reader reads a file.
//!
//! Closed deals usually sit in the warehouse already; exporting them to a file
//! first is a step that goes stale. The query runs as
//! `COPY (query) TO STDOUT WITH (FORMAT csv, HEADER)` and its output streams
//! into [`CsvFile::from_reader`], so the spec handling, the error messages (a
//! column the query does not return is named, with the columns it does), the
//! line numbers (line `n` is the query's row `n - 1`) and the data hash are the
//! CSV path's own code: the same rows as text give a byte-identical artifact.
//!
//! `COPY` writes SQL NULL as an empty cell, which every spec reads as missing,
//! and typed columns in PostgreSQL's text form (`t`/`f`, ISO dates, shortest
//! round-trip doubles), which the readers accept; the artifact is identical to
//! the CSV's when those texts are the CSV's texts (text columns always are).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use crate::csv_source::CsvFile;
use crate::{Error, Result};

/// Whether `data` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(data: &str) -> bool {
    data.starts_with("postgres://") || data.starts_with("postgresql://")
}

/// What to read from the database.
#[derive(Clone, Debug, PartialEq)]
pub enum PgQuery {
    /// Every column of a table, optionally schema-qualified (`crm.closed_deals`).
    Table(String),
    /// Any `SELECT` (or `VALUES`, `TABLE`, ...) that `COPY (...) TO` accepts.
    Sql(String),
}

impl PgQuery {
    /// The query text.
    fn sql(&self) -> String {
        match self {
            PgQuery::Table(table) => {
                let quoted: Vec<String> = table.split('.').map(|p| format!("\"{}\"", p.replace('"', "\"\""))).collect();
                format!("SELECT * FROM {}", quoted.join("."))
            }
            PgQuery::Sql(sql) => sql.trim().trim_end_matches(';').trim_end().to_owned(),
        }
    }
}

/// The URL without its password, to name the source in messages.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    match rest.split_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// A chunked pipe from the thread that owns the connection (the `postgres`
/// crate's COPY reader borrows its client, so the client lives where the
/// reader does). At the end of the stream it reports the thread's error, so a
/// connection lost mid-query is an error, never a silently shorter table.
struct CopyStream {
    chunks: Receiver<Vec<u8>>,
    current: Vec<u8>,
    at: usize,
    worker: Option<JoinHandle<std::result::Result<(), String>>>,
}

impl Read for CopyStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Err(_) => {
                    // The sender is gone: the copy finished or failed.
                    return match self.worker.take().map(JoinHandle::join) {
                        Some(Ok(Err(message))) => Err(std::io::Error::other(message)),
                        Some(Err(_)) => Err(std::io::Error::other("the PostgreSQL reader thread panicked")),
                        _ => Ok(0),
                    };
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Runs `query` on the database at `url` and returns its rows as an open CSV source.
/// Connection and query errors (a table that does not exist, a syntax error) are
/// returned here, before any row is read.
pub fn open(url: &str, query: &PgQuery) -> Result<CsvFile> {
    let name = PathBuf::from(format!(
        "{} ({})",
        redact(url),
        match query {
            PgQuery::Table(t) => format!("table {t}"),
            PgQuery::Sql(_) => "query".to_owned(),
        }
    ));
    let fail = |message: String| Error::Csv { path: name.clone(), line: 0, message };
    let copy = format!("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER)", query.sql());
    let url = url.to_owned();
    let (started_tx, started_rx) = sync_channel::<std::result::Result<(), String>>(1);
    let (chunk_tx, chunk_rx) = sync_channel::<Vec<u8>>(16);
    let worker = std::thread::spawn(move || -> std::result::Result<(), String> {
        let start = || -> std::result::Result<postgres::Client, postgres::Error> {
            let mut client = postgres::Client::connect(&url, postgres::NoTls)?;
            // The text forms the readers expect, whatever the server's defaults.
            client.batch_execute("SET datestyle TO 'ISO, YMD'; SET extra_float_digits TO 1")?;
            Ok(client)
        };
        let mut client = match start() {
            Ok(client) => client,
            Err(e) => {
                let _ = started_tx.send(Err(format!("cannot connect: {}", error_text(&e))));
                return Ok(());
            }
        };
        let mut reader = match client.copy_out(copy.as_str()) {
            Ok(reader) => reader,
            Err(e) => {
                let _ = started_tx.send(Err(error_text(&e)));
                return Ok(());
            }
        };
        let _ = started_tx.send(Ok(()));
        loop {
            let mut chunk = vec![0u8; 1 << 16];
            let n = reader.read(&mut chunk).map_err(|e| format!("reading the query's rows: {e}"))?;
            if n == 0 {
                return Ok(());
            }
            chunk.truncate(n);
            if chunk_tx.send(chunk).is_err() {
                // The reader stopped early (an error in a row): nothing more to send.
                return Ok(());
            }
        }
    });
    match started_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(message)) => return Err(fail(message)),
        Err(_) => return Err(fail("the PostgreSQL reader thread stopped before the query started".into())),
    }
    let stream = CopyStream { chunks: chunk_rx, current: Vec::new(), at: 0, worker: Some(worker) };
    CsvFile::from_reader(Path::new(&name), Box::new(stream), 0, Some(b','))
}

/// A `postgres` error with the server's message and detail when there is one.
fn error_text(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({detail})", db.message()),
            None => db.message().to_owned(),
        },
        None => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_passwords_hidden() {
        assert!(is_postgres_url("postgres://u@h/db") && is_postgres_url("postgresql://h/db"));
        assert!(!is_postgres_url("data/leads.csv") && !is_postgres_url("postgres.csv"));
        assert_eq!(redact("postgres://ann:s3cret@db.internal:5432/crm"), "postgres://ann:***@db.internal:5432/crm");
        assert_eq!(redact("postgres://ann@db/crm"), "postgres://ann@db/crm");
    }

    #[test]
    fn tables_are_quoted_and_queries_lose_their_semicolon() {
        assert_eq!(PgQuery::Table("crm.Closed Deals".into()).sql(), "SELECT * FROM \"crm\".\"Closed Deals\"");
        assert_eq!(PgQuery::Sql(" SELECT 1;\n".into()).sql(), "SELECT 1");
    }

    #[test]
    fn an_unreachable_server_is_an_error_naming_it_without_the_password() {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        let err = open("postgres://ann:s3cret@127.0.0.1:1/crm", &PgQuery::Table("leads".into())).err().unwrap();
        let text = err.to_string();
        assert!(text.starts_with("postgres://ann:***@127.0.0.1:1/crm (table leads): line 0: cannot connect"), "{text}");
        assert!(!text.contains("s3cret"));
    }
}
