//! Reading CRM exports: CSV in, a typed [`Table`] out, every error with its line.
//!
//! Real exports have a UTF-8 byte-order mark (Excel), quoted cells with line
//! breaks (notes fields), trailing empty columns and duplicate header names;
//! the first two are accepted, the last is refused because a spec could not
//! say which of the two columns it means.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use leadscore_core::table::{Table, TableBuilder};
use leadscore_core::Spec;

use crate::{Error, Result};

/// Called as rows are read, for a progress bar. `bytes` is how far into the file the reader is.
pub trait Progress: Sync {
    /// Start a stage of `total` units (0 = unknown).
    fn start(&self, _stage: &str, _total: u64) {}
    /// Set the position within the current stage.
    fn set(&self, _position: u64) {}
    /// The current stage is done.
    fn finish(&self) {}
}

/// A progress sink that shows nothing (tests, libraries, `--quiet`).
pub struct NoProgress;
impl Progress for NoProgress {}

/// An open CSV file with a checked header.
pub struct CsvFile {
    path: PathBuf,
    reader: csv::Reader<Box<dyn Read>>,
    header: Vec<String>,
    size: u64,
}

fn strip_bom(cell: &[u8]) -> &[u8] {
    cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
}

fn csv_error(path: &Path, err: &csv::Error) -> Error {
    let line = err.position().map_or(0, |p| p.line());
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields but the header has {expected_len} (a ragged row: check for an unquoted comma or a missing cell)")
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not valid UTF-8; re-export the file as UTF-8", err.field() + 1),
        _ => err.to_string(),
    };
    Error::Csv { path: path.to_owned(), line, message }
}

impl CsvFile {
    /// Opens `path` (`-` is standard input) and reads its header.
    pub fn open(path: &Path) -> Result<CsvFile> {
        let (source, size): (Box<dyn Read>, u64) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin()), 0)
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            (Box::new(std::io::BufReader::with_capacity(1 << 20, file)), size)
        };
        let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(source);
        let raw_header = reader.byte_headers().map_err(|e| csv_error(path, &e))?.clone();
        if raw_header.is_empty() || (raw_header.len() == 1 && strip_bom(&raw_header[0]).is_empty()) {
            return Err(Error::EmptyFile { path: path.to_owned() });
        }
        let mut header = Vec::with_capacity(raw_header.len());
        for (i, cell) in raw_header.iter().enumerate() {
            let cell = if i == 0 { strip_bom(cell) } else { cell };
            let name = std::str::from_utf8(cell).map_err(|_| Error::Csv {
                path: path.to_owned(),
                line: 1,
                message: format!("header cell {} is not valid UTF-8; re-export the file as UTF-8", i + 1),
            })?;
            let name = name.trim().to_owned();
            if !name.is_empty() {
                if let Some(first) = header.iter().position(|h: &String| *h == name) {
                    return Err(Error::DuplicateColumn { path: path.to_owned(), column: name, first: first + 1, second: i + 1 });
                }
            }
            header.push(name);
        }
        Ok(CsvFile { path: path.to_owned(), reader, header, size })
    }

    /// Column names (trimmed; a trailing unnamed column is an empty string).
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// File path as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Position of each named column, or an error naming the first missing one.
    pub fn positions(&self, columns: &[(String, String)]) -> Result<Vec<usize>> {
        columns
            .iter()
            .map(|(column, role)| {
                self.header.iter().position(|h| h == column).ok_or_else(|| Error::MissingColumn {
                    path: self.path.clone(),
                    column: column.clone(),
                    role: role.clone(),
                    available: self.header.iter().filter(|h| !h.is_empty()).map(|h| format!("`{h}`")).collect::<Vec<_>>().join(", "),
                })
            })
            .collect()
    }

    /// Calls `f(line, cells)` for every data row, cells selected by `positions`.
    pub fn for_each_row(
        &mut self,
        positions: &[usize],
        progress: &dyn Progress,
        mut f: impl FnMut(u64, &[&str]) -> Result<()>,
    ) -> Result<u64> {
        let mut record = csv::ByteRecord::new();
        let mut n_rows = 0u64;
        progress.start("reading", self.size);
        loop {
            match self.reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => return Err(csv_error(&self.path, &e)),
            }
            let line = record.position().map_or(0, |p| p.line());
            let mut cells: Vec<&str> = Vec::with_capacity(positions.len());
            for &p in positions {
                let raw = record.get(p).unwrap_or_default();
                let cell = std::str::from_utf8(raw).map_err(|_| Error::Csv {
                    path: self.path.clone(),
                    line,
                    message: format!("column `{}` is not valid UTF-8; re-export the file as UTF-8", self.header[p]),
                })?;
                cells.push(cell);
            }
            f(line, &cells)?;
            n_rows += 1;
            if n_rows % 65_536 == 0 {
                progress.set(record.position().map_or(0, |p| p.byte()));
            }
        }
        progress.finish();
        Ok(n_rows)
    }
}

/// Reads a labelled training file into a typed table, as the spec says.
pub fn read_table(path: &Path, spec: &Spec, progress: &dyn Progress) -> Result<Table> {
    let mut file = CsvFile::open(path)?;
    let mut roles: Vec<(String, String)> = vec![(spec.target.column.clone(), "the target".into())];
    if let Some(t) = &spec.time_column {
        roles.push((t.clone(), "the time column".into()));
    }
    roles.extend(spec.features.keys().map(|f| (f.clone(), "a feature of the spec".into())));
    debug_assert_eq!(roles.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), TableBuilder::required_columns(spec));
    let positions = file.positions(&roles)?;
    let mut builder = TableBuilder::new(spec);
    let path_buf = path.to_owned();
    file.for_each_row(&positions, progress, |line, cells| {
        builder.push(cells).map_err(|e| Error::Data { path: path_buf.clone(), error: e.at_line(line) })
    })?;
    if builder.n_rows() == 0 {
        return Err(Error::NoRows { path: path.to_owned() });
    }
    let table = builder.finish();
    let n_won = table.target.iter().filter(|y| **y).count();
    if n_won == 0 || n_won == table.n_rows() {
        return Err(Error::OneClass {
            path: path.to_owned(),
            column: spec.target.column.clone(),
            class: if n_won == 0 { "lost" } else { "won" },
            n: table.n_rows(),
        });
    }
    Ok(table)
}
