//! Reading CRM exports: CSV in, a typed [`Table`] out, every error with its line.
//!
//! Real exports have a UTF-8 byte-order mark (Excel), quoted cells with line
//! breaks (notes fields), trailing empty columns and duplicate header names;
//! the first two are accepted, the last is refused because a spec could not
//! say which of the two columns it means.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, Read};
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

/// The most frequent of `,` `;` tab `|` outside quotes on the first line (comma on a tie).
pub fn sniff_delimiter(head: &[u8]) -> u8 {
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let mut counts = [0usize; 4];
    let mut quoted = false;
    for b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            b'|' if !quoted => counts[3] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t', b'|'];
    let mut best = 0;
    for i in 1..4 {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    candidates[best]
}

/// An open CSV file with a checked header.
pub struct CsvFile {
    path: PathBuf,
    reader: csv::Reader<LineCounter<Box<dyn Read>>>,
    header: Vec<String>,
    size: u64,
}

/// Counts line breaks in the bytes the CSV parser reads, so that errors name
/// the line a person sees in an editor.
///
/// The `csv` crate's own line number counts the `\n` bytes consumed so far, and
/// it returns a record ending in `\r\n` (every Excel export) after its `\r`:
/// the `\n` is consumed with the next record. Its numbers are therefore one
/// too low for every row of a CRLF file, blame blank lines for the record
/// after them, and stay at 1 in a file with bare `\r` line ends. Here `\r\n`,
/// `\n` and a bare `\r` each end a line, and a record's line is found from
/// where the parser stopped after it (`CsvFile::record_line`).
struct LineCounter<R> {
    inner: R,
    /// Bytes read from `inner` so far.
    offset: u64,
    /// Whether the last byte read was `\r` (its `\n` may come in the next read).
    pending_cr: bool,
    /// Offsets at which a line starts, not yet asked about (the parser lags the reads by at most its buffer).
    starts: VecDeque<u64>,
    /// Line starts already passed.
    passed: u64,
}

impl<R: Read> LineCounter<R> {
    fn new(inner: R) -> Self {
        Self { inner, offset: 0, pending_cr: false, starts: VecDeque::new(), passed: 0 }
    }

    /// The 1-based line holding byte `at`. Calls must not go backwards.
    fn line_at(&mut self, at: u64) -> u64 {
        while self.starts.front().is_some_and(|&s| s <= at) {
            self.starts.pop_front();
            self.passed += 1;
        }
        1 + self.passed
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Only line breaks matter: jump between them (memchr) instead of visiting every byte.
        let mut cr_before = self.pending_cr.then(|| self.offset.wrapping_sub(1));
        for i in memchr::memchr2_iter(b'\n', b'\r', &buf[..n]) {
            let at = self.offset + i as u64;
            let b = buf[i];
            if b == b'\n' && cr_before == Some(at.wrapping_sub(1)) {
                // The `\n` of a `\r\n`: the line starts after it, not between the two.
                if let Some(last) = self.starts.back_mut() {
                    *last = at + 1;
                }
            } else {
                self.starts.push_back(at + 1);
            }
            cr_before = (b == b'\r').then_some(at);
        }
        if n > 0 {
            self.pending_cr = buf[n - 1] == b'\r';
        }
        self.offset += n as u64;
        Ok(n)
    }
}

/// Line breaks inside a record's cells (quoted notes with line breaks), counted like [`LineCounter`].
fn breaks_in(record: &csv::ByteRecord) -> u64 {
    if memchr::memchr2(b'\n', b'\r', record.as_slice()).is_none() {
        return 0; // nearly every record: one vectorised scan
    }
    let mut n = 0;
    for field in record {
        let mut after_cr = false;
        for &b in field {
            n += u64::from(b == b'\r' || (b == b'\n' && !after_cr));
            after_cr = b == b'\r';
        }
    }
    n
}

fn strip_bom(cell: &[u8]) -> &[u8] {
    cell.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(cell)
}

fn csv_error(path: &Path, line: u64, err: &csv::Error) -> Error {
    let message = match err.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("row has {len} fields but the header has {expected_len} (a ragged row: check for an unquoted comma or a missing cell)")
        }
        csv::ErrorKind::Utf8 { err, .. } => {
            format!("field {} is not valid UTF-8; re-export the file as UTF-8", err.field() + 1)
        }
        _ => err.to_string(),
    };
    Error::Csv { path: path.to_owned(), line, message }
}

impl CsvFile {
    /// Opens `path` (`-` is standard input) and reads its header. The
    /// delimiter is sniffed from the header line: comma, semicolon (European
    /// Excel, UCI exports), tab or pipe, whichever occurs most outside quotes.
    pub fn open(path: &Path) -> Result<CsvFile> {
        let (source, size): (Box<dyn Read>, u64) = if path.as_os_str() == "-" {
            (Box::new(std::io::stdin()), 0)
        } else {
            let file = File::open(path).map_err(|e| Error::io(path, e))?;
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            (Box::new(file), size)
        };
        Self::from_reader(path, source, size, None)
    }

    /// Reads CSV from any stream (a database's `COPY ... TO STDOUT`), with the
    /// same header checks, line numbers and errors as a file; `name` stands for
    /// the path in messages, `size` (0 = unknown) drives the progress bar, and
    /// `delimiter` is sniffed from the header when `None`.
    pub fn from_reader(name: &Path, source: Box<dyn Read>, size: u64, delimiter: Option<u8>) -> Result<CsvFile> {
        let path = name;
        let mut buffered = std::io::BufReader::with_capacity(1 << 20, source);
        let delimiter = match delimiter {
            Some(d) => d,
            None => sniff_delimiter(buffered.fill_buf().map_err(|e| Error::io(path, e))?),
        };
        let source: Box<dyn Read> = Box::new(buffered);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .delimiter(delimiter)
            .from_reader(LineCounter::new(source));
        let raw_header = reader.byte_headers().map_err(|e| csv_error(path, 1, &e))?.clone();
        if raw_header.is_empty() || (raw_header.len() == 1 && strip_bom(&raw_header[0]).is_empty()) {
            return Err(Error::EmptyFile { path: path.to_owned() });
        }
        let mut header = Vec::with_capacity(raw_header.len());
        for (i, cell) in raw_header.iter().enumerate() {
            let cell = if i == 0 { strip_bom(cell) } else { cell };
            let name = std::str::from_utf8(cell).map_err(|_| Error::Csv {
                path: path.to_owned(),
                line: 1,
                message: format!(
                    "the name of column {} (`{}`) is not valid UTF-8; re-export the file as UTF-8",
                    i + 1,
                    String::from_utf8_lossy(cell).trim()
                ),
            })?;
            let name = name.trim().to_owned();
            if !name.is_empty() {
                if let Some(first) = header.iter().position(|h: &String| *h == name) {
                    return Err(Error::DuplicateColumn {
                        path: path.to_owned(),
                        column: name,
                        first: first + 1,
                        second: i + 1,
                    });
                }
            }
            header.push(name);
        }
        Ok(CsvFile { path: path.to_owned(), reader, header, size })
    }

    /// The 1-based line on which the record just read (or refused) starts.
    fn record_line(&mut self, record: &csv::ByteRecord) -> u64 {
        // The parser has consumed the record and the first byte of its line end (or reached the
        // end of the file): the byte before that is on the record's last line.
        let end = self.reader.position().byte();
        let last = self.reader.get_mut().line_at(end.saturating_sub(1));
        last.saturating_sub(breaks_in(record)).max(1)
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
                    available: self
                        .header
                        .iter()
                        .filter(|h| !h.is_empty())
                        .map(|h| format!("`{h}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            })
            .collect()
    }

    /// Reads the next record into `record`; `Ok(None)` at the end of the file.
    /// Returns the line the record starts on (1 = the header).
    pub fn read_record(&mut self, record: &mut csv::ByteRecord) -> Result<Option<u64>> {
        match self.reader.read_byte_record(record) {
            Ok(true) => Ok(Some(self.record_line(record))),
            Ok(false) => Ok(None),
            Err(e) => {
                let line = self.record_line(record);
                Err(csv_error(&self.path, line, &e))
            }
        }
    }

    /// Reads cells out of this file's records (the errors name its columns).
    pub fn cell_reader(&self) -> CellReader<'_> {
        CellReader::new(&self.path, &self.header)
    }

    /// Bytes read so far, for progress.
    pub fn position(&self) -> u64 {
        self.reader.position().byte()
    }

    /// Total size when known (0 for stdin).
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Calls `f(line, cells)` for every data row with the cells at `positions`
    /// (1-based line numbers, counting the header as line 1).
    pub fn for_each_row(
        &mut self,
        positions: &[usize],
        progress: &dyn Progress,
        mut f: impl FnMut(u64, &[&str]) -> Result<()>,
    ) -> Result<u64> {
        let mut record = csv::ByteRecord::new();
        let mut n_rows = 0u64;
        progress.start("reading", self.size);
        while let Some(line) = self.read_record(&mut record)? {
            let mut cells = Vec::with_capacity(positions.len());
            self.cell_reader().cells(line, &record, positions, &mut cells)?;
            f(line, &cells)?;
            n_rows += 1;
            if n_rows % 65_536 == 0 {
                progress.set(self.position());
            }
        }
        progress.finish();
        Ok(n_rows)
    }
}

/// Reads cells out of records of one file: the file's path and header, for errors.
#[derive(Clone, Copy, Debug)]
pub struct CellReader<'f> {
    path: &'f Path,
    header: &'f [String],
}

impl<'f> CellReader<'f> {
    /// A reader for records of the file at `path` with this `header` (a copy of
    /// [`CsvFile::header`] lets other threads read cells while the file reads on).
    pub fn new(path: &'f Path, header: &'f [String]) -> Self {
        CellReader { path, header }
    }

    /// The file the records come from, for errors.
    pub fn path(&self) -> &'f Path {
        self.path
    }

    /// Appends the cells of `record` at `positions` to `out`, checked as UTF-8
    /// (the error names the column and the line).
    pub fn cells<'r>(
        &self,
        line: u64,
        record: &'r csv::ByteRecord,
        positions: &[usize],
        out: &mut Vec<&'r str>,
    ) -> Result<()> {
        for &p in positions {
            let raw = record.get(p).unwrap_or_default();
            let cell = std::str::from_utf8(raw).map_err(|_| Error::Csv {
                path: self.path.to_owned(),
                line,
                message: format!(
                    "column `{}` is not valid UTF-8; re-export the file as UTF-8",
                    self.header.get(p).map_or("", String::as_str)
                ),
            })?;
            out.push(cell);
        }
        Ok(())
    }
}

/// Reads a labelled training file into a typed table, as the spec says.
pub fn read_table(path: &Path, spec: &Spec, progress: &dyn Progress) -> Result<Table> {
    read_table_from(CsvFile::open(path)?, spec, progress)
}

/// [`read_table`] from an already open source (a file, or a database query through [`CsvFile::from_reader`]).
pub fn read_table_from(file: CsvFile, spec: &Spec, progress: &dyn Progress) -> Result<Table> {
    read_table_keeping(file, spec, &[], progress, |_| ())
}

/// [`read_table_from`] that also hands `keep` the cells of the `extra` columns of every row, in
/// row order, in the same single pass (the promotion gate keeps what the current model reads,
/// which a database query could not be asked for twice). Every `extra` column must be in the
/// header.
pub fn read_table_keeping(
    mut file: CsvFile,
    spec: &Spec,
    extra: &[String],
    progress: &dyn Progress,
    mut keep: impl FnMut(&[&str]),
) -> Result<Table> {
    let path = file.path().to_owned();
    let path = path.as_path();
    let mut roles: Vec<(String, String)> = vec![(spec.target.column.clone(), "the target".into())];
    if let Some(t) = &spec.time_column {
        roles.push((t.clone(), "the time column".into()));
    }
    roles.extend(spec.features.keys().map(|f| (f.clone(), "a feature of the spec".into())));
    debug_assert_eq!(roles.iter().map(|r| r.0.clone()).collect::<Vec<_>>(), TableBuilder::required_columns(spec));
    let n_spec = roles.len();
    roles.extend(extra.iter().map(|c| (c.clone(), "a feature of the current model".into())));
    let positions = file.positions(&roles)?;
    let mut builder = TableBuilder::new(spec);
    let path_buf = path.to_owned();
    file.for_each_row(&positions, progress, |line, cells| {
        let (own, kept) = cells.split_at(n_spec);
        builder.push(own).map_err(|e| Error::Data { path: path_buf.clone(), error: e.at_line(line) })?;
        keep(kept);
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The line of every data row of `bytes`, as `for_each_row` reports it.
    fn lines_of(bytes: &[u8]) -> Vec<u64> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        std::fs::write(&path, bytes).unwrap();
        let mut file = CsvFile::open(&path).unwrap();
        let mut lines = Vec::new();
        file.for_each_row(&[0], &NoProgress, |line, _| {
            lines.push(line);
            Ok(())
        })
        .unwrap();
        lines
    }

    #[test]
    fn lines_count_every_kind_of_line_end() {
        assert_eq!(lines_of(b"a,b\n1,2\n3,4\n"), [2, 3]);
        assert_eq!(lines_of(b"a,b\n1,2\n3,4"), [2, 3]);
        assert_eq!(lines_of(b"a,b\r\n1,2\r\n3,4\r\n"), [2, 3]);
        assert_eq!(lines_of(b"\xEF\xBB\xBFa,b\r\n1,2\r\n3,4"), [2, 3]);
        assert_eq!(lines_of(b"a,b\r1,2\r3,4\r"), [2, 3]);
        assert_eq!(lines_of(b"a,b\n\n1,2\n\n\n3,4\n"), [3, 6]);
        assert_eq!(lines_of(b"a,b\r\n\r\n1,2\r\n\r\n\r\n3,4\r\n"), [3, 6]);
        assert_eq!(lines_of(b"a,b\n\"x\ny\",2\n3,\"p\nq\nr\"\n5,6\n"), [2, 4, 7]);
        assert_eq!(lines_of(b"a,b\r\n\"x\r\ny\",2\r\n3,\"p\r\nq\rr\"\r\n5,6\r\n"), [2, 4, 7]);
    }

    #[test]
    fn lines_stay_right_across_read_buffers() {
        // Far more than the parser's buffer, with `\r\n` pairs split across reads somewhere.
        let mut text = b"id,notes\r\n".to_vec();
        let mut expected = Vec::new();
        let mut line = 2;
        for i in 0..20_000u64 {
            expected.push(line);
            if i % 7 == 3 {
                text.extend_from_slice(format!("{i},\"first\r\nsecond {i}\"\r\n").as_bytes());
                line += 2;
            } else {
                text.extend_from_slice(format!("{i},{}\r\n", "x".repeat((i % 13) as usize)).as_bytes());
                line += 1;
            }
        }
        assert_eq!(lines_of(&text), expected);
    }

    #[test]
    fn errors_name_the_line_of_the_bad_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        std::fs::write(&path, b"a,b\r\n\"x\r\ny\",2\r\n3,4,5\r\n").unwrap();
        let mut file = CsvFile::open(&path).unwrap();
        let err = file.for_each_row(&[0], &NoProgress, |_, _| Ok(())).unwrap_err().to_string();
        assert!(err.contains("line 4: row has 3 fields but the header has 2"), "{err}");
        std::fs::write(&path, b"a,caf\xE9\n1,2\n").unwrap();
        let err = CsvFile::open(&path).err().unwrap().to_string();
        assert!(err.contains("line 1: the name of column 2 (`caf\u{FFFD}`) is not valid UTF-8"), "{err}");
    }

    #[test]
    fn sniffs_the_delimiter_of_the_header_line() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(sniff_delimiter(b"\"age\";\"job\";\"y\"\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter(b"\"x;y\",b,c"), b',');
        assert_eq!(sniff_delimiter(b"single"), b',');
    }

    /// A reader handing out `chunk` bytes at a time, to split `\r\n` pairs across reads.
    struct Chunked<'a> {
        bytes: &'a [u8],
        chunk: usize,
    }

    impl Read for Chunked<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.chunk.min(buf.len()).min(self.bytes.len());
            buf[..n].copy_from_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            Ok(n)
        }
    }

    proptest::proptest! {
        /// Line starts found by jumping between breaks equal a byte-by-byte count, however
        /// the input is cut into reads.
        #[test]
        fn line_starts_match_a_byte_by_byte_count(
            bytes in proptest::collection::vec(proptest::sample::select(vec![b'a', b'\r', b'\n', b',']), 0..64),
            chunk in 1usize..7,
        ) {
            let mut expected = Vec::new();
            let mut after_cr = false;
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'\n' if after_cr => *expected.last_mut().unwrap() = i as u64 + 1,
                    b'\n' | b'\r' => expected.push(i as u64 + 1),
                    _ => {}
                }
                after_cr = b == b'\r';
            }
            let mut counter = LineCounter::new(Chunked { bytes: &bytes, chunk });
            let mut sink = Vec::new();
            counter.read_to_end(&mut sink).unwrap();
            proptest::prop_assert_eq!(&sink, &bytes);
            proptest::prop_assert_eq!(Vec::from(counter.starts.clone()), expected);
        }
    }
}
