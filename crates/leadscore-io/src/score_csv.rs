//! Batch scoring: CSV in, CSV out, in constant memory, on every core. The one
//! scorer of CSV files: `leadscore score` and the server's `text/csv` route both
//! run [`CsvScoring`], so they give the same columns and the same verdicts.
//!
//! Each output row carries the lead's id columns (its line when the spec names
//! none in the file), probability, 1-99 score, tier, MQL flag at the chosen
//! threshold, the top contributing factors, notes and an `error` cell. Every
//! input record is accounted for: it is scored, or its row says in `error`
//! why not (a value the model cannot read, a ragged row, lines merged by a
//! stray quote), naming its line. Header problems (a missing feature, a
//! duplicate name, in strict mode a column the spec does not know) are refused
//! before any row is written. With `strict`, the first bad row stops the run
//! (its error row is the last row written).
//!
//! The calling thread reads the file in batches of records and writes the
//! answers; worker threads score and format whole batches. Batches go back
//! out in file order, so the output is byte-identical for any number of
//! threads. At most `2 × threads` batches are in flight: memory stays flat
//! however large the file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Mutex;

use leadscore_core::lookup::Lookup;
use leadscore_core::score::Scorer;
use leadscore_core::value::RawValue;
use leadscore_core::Artifact;

use crate::csv_rows::CsvRows;
use crate::csv_source::{list_columns, CellReader, CsvFile, Progress};
use crate::{Error, Result};

/// Rows per batch: large enough to amortise the hand-offs, small enough to
/// keep memory flat and every core busy near the end of a file.
const BATCH_ROWS: usize = 2048;

/// Bytes of records per batch at most, besides the rows: with records of up to the record
/// limit (4 MiB) a batch of 2,048 could otherwise hold 8 GiB.
const BATCH_BYTES: usize = 8 << 20;

/// Most scoring threads: past a few per core they only cost memory (each holds two batches).
pub const MAX_THREADS: usize = 256;
/// Most rows per batch (a batch of a million rows of 4 MiB each would be unbounded memory).
pub const MAX_BATCH_ROWS: usize = 65_536;
/// Most factor columns, as the server's `explain`.
pub const MAX_EXPLAIN: usize = 50;

/// How to score.
#[derive(Clone, Debug)]
pub struct ScoreOptions {
    /// MQL if probability >= this.
    pub threshold: f64,
    /// Number of factor columns.
    pub explain: usize,
    /// Scoring threads (0: one per core).
    pub threads: usize,
    /// Rows per batch handed to a thread (0: the default).
    pub batch_rows: usize,
    /// Refuse header columns the model's spec does not name, and stop at the first bad row
    /// instead of writing its error row and reading on.
    pub strict: bool,
}

impl ScoreOptions {
    /// Options with the default threads and batch size, not strict.
    pub fn new(threshold: f64, explain: usize) -> Self {
        ScoreOptions { threshold, explain, threads: 0, batch_rows: 0, strict: false }
    }

    /// Every size a caller controls, checked before anything is allocated or spawned.
    pub fn check(&self) -> Result<()> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        if self.threads > MAX_THREADS {
            return Err(Error::Options(format!(
                "--threads {} is more than {MAX_THREADS}; this machine has {cores} cores (0, the default, uses one thread per core)",
                self.threads
            )));
        }
        if self.batch_rows > MAX_BATCH_ROWS {
            return Err(Error::Options(format!("batch of {} rows: use at most {MAX_BATCH_ROWS}", self.batch_rows)));
        }
        if self.explain > MAX_EXPLAIN {
            return Err(Error::Options(format!("--explain {}: at most {MAX_EXPLAIN} factor columns", self.explain)));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(Error::Options(format!(
                "threshold {} is not a probability strictly between 0 and 1",
                self.threshold
            )));
        }
        Ok(())
    }
}

/// A lead as scored, for a [`LeadHook`].
#[derive(Clone, Copy, Debug)]
pub struct LeadScore<'a> {
    /// The probability of winning.
    pub probability: f64,
    /// The 1-99 score.
    pub score: u8,
    /// The tier's name.
    pub tier: &'a str,
}

/// What a caller does with each lead scored, before its row is written (the server logs it
/// into the prediction log). Called from the scoring threads, in no particular order.
pub trait LeadHook: Sync {
    /// `id` is the lead's first id cell (`None` without id columns) and `field(i)` the cell of
    /// the model's `i`-th input (`Encoder::inputs`). Returns the id to write instead (`None`: as read), or why
    /// the lead is refused: its row becomes an error row saying so for the id column.
    fn lead<'r>(
        &self,
        id: Option<&str>,
        score: LeadScore<'_>,
        field: &mut dyn FnMut(usize) -> RawValue<'r>,
    ) -> Result<Option<String>, String>;
}

/// Totals of a scoring run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreSummary {
    /// Leads scored.
    pub n_rows: u64,
    /// Leads at or above the threshold.
    pub n_mql: u64,
    /// Records written as error rows (a bad value, a ragged row).
    pub n_failed: u64,
}

impl ScoreSummary {
    fn add(&mut self, other: &ScoreSummary) {
        self.n_rows += other.n_rows;
        self.n_mql += other.n_mql;
        self.n_failed += other.n_failed;
    }
}

/// Records read from the file, with the line each starts on and the reader's verdict on a
/// ragged one. Reused: the records keep their buffers from batch to batch.
#[derive(Default)]
struct Batch {
    records: Vec<csv::ByteRecord>,
    lines: Vec<u64>,
    refused: Vec<Option<Error>>,
    len: usize,
}

/// A scored batch: CSV bytes of every row, the probabilities scored, and the
/// error that stopped it in strict mode (the rows before it are in `bytes`).
struct Scored {
    bytes: Vec<u8>,
    probabilities: Vec<f64>,
    summary: ScoreSummary,
    error: Option<Error>,
}

/// What every worker shares: how to read the cells of a record and lay out a row.
struct Layout<'f> {
    cells: CellReader<'f>,
    /// Record positions: the id columns, then the model's inputs in its order.
    positions: Vec<usize>,
    n_ids: usize,
    options: &'f ScoreOptions,
    /// The first id column's name, for errors of the hook.
    id_column: Option<&'f str>,
    hook: Option<&'f dyn LeadHook>,
}

impl Layout<'_> {
    fn score_batch(&self, scorer: &mut Scorer<'_>, batch: &mut Batch) -> Scored {
        let mut out = Scored {
            bytes: Vec::new(),
            probabilities: Vec::with_capacity(batch.len),
            summary: ScoreSummary { n_rows: 0, n_mql: 0, n_failed: 0 },
            error: None,
        };
        // Rows run to about 170 bytes with three factors: room for them up front, not regrown.
        let mut rows = CsvRows::with_capacity(batch.len * 256);
        let mut text = String::with_capacity(128);
        for ((slot, &line), refused) in batch.records[..batch.len].iter_mut().zip(&batch.lines).zip(&mut batch.refused)
        {
            let written = match refused.take() {
                Some(e) => Err(e),
                // One UTF-8 check for the whole record; the record goes back into the batch after.
                None => match csv::StringRecord::from_byte_record(std::mem::take(slot)) {
                    Ok(record) => {
                        let cell = |k: usize| self.positions.get(k).and_then(|&p| record.get(p)).unwrap_or_default();
                        let written = self.write_row(scorer, &mut rows, line, cell, &mut text, &mut out);
                        *slot = record.into_byte_record();
                        written
                    }
                    Err(invalid) => {
                        // Invalid UTF-8 somewhere: only the model's and the id columns must be valid.
                        *slot = invalid.into_byte_record();
                        let mut cells = Vec::with_capacity(self.positions.len());
                        self.cells.cells(line, slot, &self.positions, &mut cells).and_then(|()| {
                            let cell = |k: usize| cells.get(k).copied().unwrap_or_default();
                            self.write_row(scorer, &mut rows, line, cell, &mut text, &mut out)
                        })
                    }
                },
            };
            if let Err(e) = written {
                self.write_error_row(&mut rows, line, slot, &e, &mut text);
                out.summary.n_failed += 1;
                if self.options.strict {
                    out.error = Some(e);
                    break;
                }
            }
        }
        out.bytes = rows.into_bytes();
        out
    }

    /// The row of a record that could not be scored: its ids (as far as they can be read),
    /// empty figures, and the reason with its line in `error`.
    fn write_error_row(
        &self,
        rows: &mut CsvRows,
        line: u64,
        record: &csv::ByteRecord,
        error: &Error,
        text: &mut String,
    ) {
        if self.n_ids == 0 {
            text.clear();
            let _ = write!(text, "{line}");
            rows.plain(text.as_bytes());
        }
        for &p in &self.positions[..self.n_ids] {
            rows.field(String::from_utf8_lossy(record.get(p).unwrap_or_default()).as_bytes());
        }
        for _ in 0..4 + self.options.explain + 1 {
            rows.plain(b"");
        }
        rows.field(error.row_message().as_bytes());
        rows.end_row();
    }

    /// Scores and writes one row; `cell(k)` is the cell at `positions[k]`.
    fn write_row<'r>(
        &self,
        scorer: &mut Scorer<'_>,
        rows: &mut CsvRows,
        line: u64,
        cell: impl Fn(usize) -> &'r str,
        text: &mut String,
        out: &mut Scored,
    ) -> Result<()> {
        let n_ids = self.n_ids;
        let scored = scorer
            .score_indexed(|i| RawValue::Text(cell(n_ids + i)), self.options.explain)
            .map_err(|e| Error::Data { path: self.cells.path().to_owned(), error: e.at_line(line) })?;
        let id = match self.hook {
            None => None,
            Some(hook) => {
                let score = LeadScore { probability: scored.probability, score: scored.score, tier: scored.tier };
                let first = (n_ids > 0).then(|| cell(0));
                hook.lead(first, score, &mut |i| RawValue::Text(cell(n_ids + i))).map_err(|reason| Error::Lead {
                    line,
                    column: self.id_column.unwrap_or("line").to_owned(),
                    reason,
                })?
            }
        };
        if n_ids == 0 {
            text.clear();
            let _ = write!(text, "{line}");
            rows.plain(text.as_bytes());
        }
        for k in 0..n_ids {
            match (&id, k) {
                (Some(id), 0) => rows.field(id.as_bytes()),
                _ => rows.field(cell(k).as_bytes()),
            }
        }
        let mql = scored.probability >= self.options.threshold;
        // Shortest text that reads back as the same f64: exact parity with other scorers.
        text.clear();
        push_probability(text, scored.probability, &mut ryu::Buffer::new());
        rows.plain(text.as_bytes());
        let score = [b'0' + scored.score / 10, b'0' + scored.score % 10];
        rows.plain(&score[usize::from(scored.score < 10)..]);
        rows.field(scored.tier.as_bytes());
        rows.plain(if mql { b"true" } else { b"false" });
        for k in 0..self.options.explain {
            text.clear();
            if let Some(c) = scored.factors.get(k) {
                text.push_str(c.feature);
                text.push('=');
                match c.value.as_str() {
                    Some(shown) => text.push_str(shown),
                    None => {
                        let _ = write!(text, "{}", c.value);
                    }
                }
                text.push_str(" (");
                push_signed_3(text, c.contribution);
                text.push(')');
            }
            rows.field(text.as_bytes());
        }
        text.clear();
        for (i, note) in scored.notes.iter().enumerate() {
            if i > 0 {
                text.push_str("; ");
            }
            let _ = write!(text, "{note}");
        }
        rows.field(text.as_bytes());
        rows.plain(b""); // error
        rows.end_row();
        out.probabilities.push(scored.probability);
        out.summary.n_rows += 1;
        out.summary.n_mql += u64::from(mql);
        Ok(())
    }
}

/// Appends `format!("{x:+.3}")` to `out` without the formatting machinery: an
/// integer rounding of `1000 x` wherever that provably equals the exact decimal
/// rounding std does, std itself near a tie (and for huge or non-finite values).
/// Three of these per row were a tenth of batch scoring.
fn push_signed_3(out: &mut String, x: f64) {
    let y = (x * 1000.0).abs();
    // `y` is within 2^-53 y of the exact 1000 |x|: far from a .5 the rounding agrees.
    // (Integer casts rather than `round`: without SSE4.1 those are library calls.)
    let whole = if y < 1e12 { y as u64 } else { u64::MAX };
    let frac = y - whole as f64;
    if whole == u64::MAX || (frac - 0.5).abs() < 1e-3 {
        let _ = write!(out, "{x:+.3}");
        return;
    }
    let n = whole + u64::from(frac > 0.5);
    // Written right to left: three decimals, the point, the whole part, the sign.
    let mut text = [0u8; 24];
    let mut at = text.len();
    let mut put = |b: u8| {
        at -= 1;
        text[at] = b;
    };
    let frac = n % 1000;
    put(b'0' + (frac % 10) as u8);
    put(b'0' + (frac / 10 % 10) as u8);
    put(b'0' + (frac / 100) as u8);
    put(b'.');
    let mut whole = n / 1000;
    loop {
        put(b'0' + (whole % 10) as u8);
        whole /= 10;
        if whole == 0 {
            break;
        }
    }
    put(if x.is_sign_negative() { b'-' } else { b'+' });
    out.push_str(std::str::from_utf8(&text[at..]).unwrap_or_default());
}

/// Appends `format!("{p}")`, the shortest text that reads back as the same
/// f64. For `1e-4 <= p < 1`, ryu writes the same shortest digits in the same
/// plain notation at a fraction of the cost; outside it (exponents, `1` for
/// `1.0`) std writes them.
fn push_probability(out: &mut String, p: f64, buffer: &mut ryu::Buffer) {
    if (1e-4..1.0).contains(&p) {
        out.push_str(buffer.format_finite(p));
    } else {
        let _ = write!(out, "{p}");
    }
}

/// Reads up to `rows` records into `batch`; returns how many, and the error that stopped the
/// reading, if one did: the records read before it are in the batch, to be scored and written
/// before the error's row. A ragged record is kept with the reader's verdict (its error row says
/// why) unless `strict`, where it stops the run.
fn fill(file: &mut CsvFile, batch: &mut Batch, rows: usize, strict: bool) -> (usize, Option<Error>) {
    batch.len = 0;
    batch.lines.clear();
    batch.refused.clear();
    let mut bytes = 0;
    while batch.len < rows && bytes < BATCH_BYTES {
        if batch.records.len() == batch.len {
            batch.records.push(csv::ByteRecord::new());
        }
        let (line, refused) = match file.read_record(&mut batch.records[batch.len]) {
            Ok(Some(line)) => (line, None),
            Ok(None) => break,
            Err(e @ Error::BadRecord { line, .. }) if !strict => (line, Some(e)),
            Err(e) => return (batch.len, Some(e)),
        };
        bytes += batch.records[batch.len].as_slice().len();
        batch.lines.push(line);
        batch.refused.push(refused);
        batch.len += 1;
    }
    (batch.len, None)
}

/// A CSV file of leads with its header checked against a model, ready to score.
pub struct CsvScoring<'a> {
    artifact: &'a Artifact,
    file: CsvFile,
    options: ScoreOptions,
    /// Header positions of the id columns present, then of the model's inputs
    /// (`Encoder::inputs`: the features, and the time column an age is measured from).
    positions: Vec<usize>,
    n_ids: usize,
    columns: Vec<String>,
    hook: Option<&'a dyn LeadHook>,
}

impl<'a> CsvScoring<'a> {
    /// Checks the options and the header before any row is read: every input of the model (its
    /// features, and the time column when a date's age is measured from it) must be a column
    /// (all missing ones are named), and in strict mode every column must be
    /// one the model's spec names (a feature, an id, the target, the time column or an
    /// excluded column), so a misspelt column is not silently scored as missing.
    pub fn new(artifact: &'a Artifact, file: CsvFile, options: ScoreOptions) -> Result<Self> {
        options.check()?;
        let header = file.header();
        let position = |name: &str| header.iter().position(|h| h == name);
        let inputs = artifact.encoder.inputs();
        let missing: Vec<String> = inputs.iter().filter(|f| position(f).is_none()).map(|f| (*f).to_owned()).collect();
        if !missing.is_empty() {
            return Err(Error::MissingFeatures {
                path: file.path().to_owned(),
                missing,
                available: list_columns(header),
            });
        }
        let spec = &artifact.spec;
        if options.strict {
            let known = |h: &String| {
                h.is_empty()
                    || inputs.contains(&h.as_str())
                    || spec.ids.contains(h)
                    || spec.target.column == *h
                    || spec.time_column.as_ref() == Some(h)
                    || spec.exclude.contains_key(h)
                    || spec.features.contains_key(h)
            };
            let unknown: Vec<String> = header.iter().filter(|h| !known(h)).cloned().collect();
            if !unknown.is_empty() {
                return Err(Error::UnknownColumns { path: file.path().to_owned(), columns: unknown });
            }
        }
        let ids: Vec<usize> = spec.ids.iter().filter_map(|id| position(id)).collect();
        let mut columns: Vec<String> =
            if ids.is_empty() { vec!["line".into()] } else { ids.iter().map(|&i| header[i].clone()).collect() };
        columns.extend(["probability", "score", "tier", "mql"].map(String::from));
        columns.extend((1..=options.explain).map(|k| format!("factor_{k}")));
        columns.extend(["notes", "error"].map(String::from));
        let mut positions = ids.clone();
        positions.extend(inputs.iter().filter_map(|f| position(f)));
        Ok(CsvScoring { artifact, file, options, positions, n_ids: ids.len(), columns, hook: None })
    }

    /// Calls `hook` with every lead scored, before its row is written.
    pub fn with_hook(mut self, hook: &'a dyn LeadHook) -> Self {
        self.hook = Some(hook);
        self
    }

    /// The output's column names.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Scores every row and writes the header and the rows to `out`; `observe` sees the
    /// probabilities of each batch as it is written (the server's score histogram).
    ///
    /// A record the reader cannot pass (longer than the record limit, a broken stream) stops
    /// the run after every row before it, and its error row is written last.
    pub fn run(
        mut self,
        out: impl Write,
        progress: &dyn Progress,
        observe: &mut dyn FnMut(&[f64]),
    ) -> Result<ScoreSummary> {
        let mut out = out;
        let mut head = CsvRows::with_capacity(256);
        for c in &self.columns {
            head.field(c.as_bytes());
        }
        head.end_row();
        out.write_all(&head.into_bytes()).map_err(|e| Error::io("<output>", e))?;
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let rows = if self.options.batch_rows == 0 { BATCH_ROWS } else { self.options.batch_rows };
        let header = self.file.header().to_vec();
        let path = self.file.path().to_owned();
        // The workers read cells through the header copy: the file itself stays with the reader.
        let layout = Layout {
            cells: CellReader::new(&path, &header),
            positions: std::mem::take(&mut self.positions),
            n_ids: self.n_ids,
            options: &self.options,
            id_column: (self.n_ids > 0).then(|| self.columns[0].as_str()),
            hook: self.hook,
        };
        progress.start("scoring", self.file.size());
        let result = run_pipeline(self.artifact, &mut self.file, &layout, &mut out, threads, rows, progress, observe);
        progress.finish();
        let summary = match result {
            Ok(summary) => summary,
            Err(stop) => {
                let Stop { error: e, row_written } = *stop;
                if let Some(line) = e.line().filter(|_| !row_written) {
                    let mut row = CsvRows::with_capacity(256);
                    layout.write_error_row(&mut row, line, &csv::ByteRecord::new(), &e, &mut String::new());
                    let _ = out.write_all(&row.into_bytes()).and_then(|()| out.flush());
                }
                return Err(e);
            }
        };
        out.flush().map_err(|e| Error::io("<output>", e))?;
        Ok(summary)
    }
}

/// Scores every row of `input` and writes CSV to `out`.
pub fn score_csv(
    artifact: &Artifact,
    input: &Path,
    out: impl Write,
    options: &ScoreOptions,
    progress: &dyn Progress,
) -> Result<ScoreSummary> {
    options.check()?;
    CsvScoring::new(artifact, CsvFile::open(input)?, options.clone())?.run(out, progress, &mut |_| {})
}

/// Reads batches on this thread, scores them on `threads` workers, and writes
/// them back in file order. An error comes with whether its row was already written.
#[allow(clippy::too_many_arguments)]
fn run_pipeline(
    artifact: &Artifact,
    file: &mut CsvFile,
    layout: &Layout<'_>,
    out: &mut impl Write,
    threads: usize,
    rows: usize,
    progress: &dyn Progress,
    observe: &mut dyn FnMut(&[f64]),
) -> Result<ScoreSummary, Box<Stop>> {
    let max_in_flight = 2 * threads;
    let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Batch)>(max_in_flight);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Batch, Scored)>();
    let lookup = Lookup::new(artifact);
    let strict = layout.options.strict;
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (job_rx, lookup) = (&job_rx, &lookup);
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                let mut scorer = Scorer::with_lookup(artifact, lookup);
                loop {
                    // The lock is held only while waiting for the next batch.
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((seq, mut batch)) = job else { return };
                    let scored = layout.score_batch(&mut scorer, &mut batch);
                    if done_tx.send((seq, batch, scored)).is_err() {
                        return;
                    }
                }
            });
            match spawned {
                Ok(_) => started += 1,
                // Out of threads or memory for their stacks: the ones running finish the file.
                Err(_) => break,
            }
        }
        drop(done_tx);
        if started == 0 {
            let e = Error::io("<output>", std::io::Error::other("no scoring thread could be started"));
            return Err(Stop::new(e, false));
        }
        // Fewer threads than asked: fewer batches in flight, or the reader would wait on a full queue.
        let max_in_flight = max_in_flight.min(2 * started);
        let mut writer = InOrder {
            out,
            next: 0,
            pending: BTreeMap::new(),
            free: Vec::new(),
            total: ScoreSummary { n_rows: 0, n_mql: 0, n_failed: 0 },
            observe,
        };
        let mut in_flight = 0usize;
        let mut seq = 0u64;
        let read = loop {
            let mut batch = writer.free.pop().unwrap_or_default();
            let (n, stopped) = fill(file, &mut batch, rows, strict);
            if n > 0 {
                if job_tx.send((seq, batch)).is_err() {
                    break Ok(()); // every worker is gone: the error arrives with its batch
                }
                seq += 1;
                in_flight += 1;
            }
            match stopped {
                Some(e) => break Err(e), // the rows before it are on their way
                None if n == 0 => break Ok(()),
                None => {}
            }
            progress.set(file.position());
            // Write what is ready; wait for the oldest when the pipeline is full.
            while in_flight > 0 {
                let done = if in_flight >= max_in_flight { done_rx.recv().ok() } else { done_rx.try_recv().ok() };
                let Some(done) = done else { break };
                in_flight -= 1;
                if let Err(e) = writer.accept(done) {
                    drop(job_tx);
                    return Err(e);
                }
            }
        };
        drop(job_tx);
        while in_flight > 0 {
            let Ok(done) = done_rx.recv() else { break };
            in_flight -= 1;
            writer.accept(done)?;
        }
        if writer.next != seq {
            let e = Error::io("<output>", std::io::Error::other("a scoring thread stopped unexpectedly"));
            return Err(Stop::new(e, true));
        }
        read.map_err(|e| Stop::new(e, false))?;
        Ok(writer.total)
    })
}

/// Why a run stopped: the error, and whether its row is already written (a strict stop, a
/// failed output) or still to write (the reader's error).
struct Stop {
    error: Error,
    row_written: bool,
}

impl Stop {
    fn new(error: Error, row_written: bool) -> Box<Stop> {
        Box::new(Stop { error, row_written })
    }
}

/// Writes scored batches in file order, holding back those that finish early.
struct InOrder<'o, W> {
    out: &'o mut W,
    next: u64,
    pending: BTreeMap<u64, Scored>,
    free: Vec<Batch>,
    total: ScoreSummary,
    observe: &'o mut dyn FnMut(&[f64]),
}

impl<W: Write> InOrder<'_, W> {
    /// Takes a scored batch and writes every batch now in order. An error says whether its
    /// row is written (a strict stop) or not (the output failed).
    fn accept(&mut self, (seq, batch, scored): (u64, Batch, Scored)) -> Result<(), Box<Stop>> {
        self.free.push(batch);
        self.pending.insert(seq, scored);
        while let Some(scored) = self.pending.remove(&self.next) {
            self.out.write_all(&scored.bytes).map_err(|e| Stop::new(Error::io("<output>", e), true))?;
            self.total.add(&scored.summary);
            (self.observe)(&scored.probabilities);
            if let Some(e) = scored.error {
                return Err(Stop::new(e, true));
            }
            self.next += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_source::{NoProgress, MAX_RECORD_BYTES};
    use std::collections::HashMap;

    fn shipped() -> Artifact {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        Artifact::from_bytes(&std::fs::read(format!("{root}/models/leads/v1/model.bin")).unwrap()).unwrap()
    }

    /// The first `n` leads of the shipped data, then leads with a blank, an unseen
    /// category, an extreme number and a quoted id, as a CSV file.
    fn leads(dir: &Path, n: usize, extra: &[&str]) -> std::path::PathBuf {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let text = std::fs::read_to_string(format!("{root}/data/leads.csv")).unwrap();
        let mut lines: Vec<&str> = text.lines().take(n + 1).collect();
        lines.extend(extra);
        let path = dir.join("leads.csv");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        path
    }

    const ODD: [&str; 3] = [
        "L9000001,2024-01-01,,Atlantis,Media,C-Level,Sales,1-10,,1e300,7,12,3,0,no,yes,1,won",
        "\"L9,2\",2024-01-01,Partner,United States,Brand New Industry,VP,Sales,51-200,5,15,-7,12,3,0,,yes,,lost",
        "L9000003,2024-01-01,Partner,  united states ,Media,vp,Sales,51-200,5,15,0,0,0,0,yes,no,400,lost",
    ];

    fn run(
        artifact: &Artifact,
        path: &Path,
        explain: usize,
        threads: usize,
        batch_rows: usize,
    ) -> (Vec<u8>, Result<ScoreSummary>) {
        run_as(artifact, path, explain, threads, batch_rows, false)
    }

    fn run_as(
        artifact: &Artifact,
        path: &Path,
        explain: usize,
        threads: usize,
        batch_rows: usize,
        strict: bool,
    ) -> (Vec<u8>, Result<ScoreSummary>) {
        let mut out = Vec::new();
        let options = ScoreOptions { threads, batch_rows, strict, ..ScoreOptions::new(0.3, explain) };
        let result = score_csv(artifact, path, &mut out, &options, &NoProgress);
        (out, result)
    }

    #[test]
    fn any_threads_and_batches_give_the_same_bytes_and_the_library_probabilities() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = leads(dir.path(), 300, &ODD);
        let (reference, summary) = run(&artifact, &path, 3, 1, 65_536);
        let summary = summary.unwrap();
        assert_eq!(summary.n_rows, 303);
        for (threads, batch_rows) in [(2, 1), (3, 7), (4, 64), (0, 0)] {
            let (out, s) = run(&artifact, &path, 3, threads, batch_rows);
            assert_eq!(s.unwrap(), summary, "threads {threads}, batch {batch_rows}");
            assert_eq!(out, reference, "threads {threads}, batch {batch_rows}");
        }
        // Every row against the one-lead library call.
        let mut input = csv::Reader::from_path(&path).unwrap();
        let header = input.headers().unwrap().clone();
        let mut output = csv::Reader::from_reader(reference.as_slice());
        assert_eq!(
            output.headers().unwrap().iter().collect::<Vec<_>>(),
            ["lead_id", "probability", "score", "tier", "mql", "factor_1", "factor_2", "factor_3", "notes", "error"]
        );
        let mut n_mql = 0;
        for (row, scored) in input.records().zip(output.records()) {
            let (row, scored) = (row.unwrap(), scored.unwrap());
            let cells: HashMap<&str, &str> = header.iter().zip(row.iter()).collect();
            let lead = artifact.score(|name| RawValue::Text(cells[name])).unwrap();
            assert_eq!(&scored[0], cells["lead_id"]);
            assert_eq!(scored[1].parse::<f64>().unwrap().to_bits(), lead.probability.to_bits());
            assert_eq!(scored[2].parse::<u8>().unwrap(), lead.score);
            assert_eq!(&scored[3], lead.tier);
            assert_eq!(&scored[4], (lead.probability >= 0.3).to_string());
            n_mql += usize::from(lead.probability >= 0.3);
            for k in 0..3 {
                let c = &lead.contributions[k];
                assert_eq!(&scored[5 + k], format!("{}={} ({:+.3})", c.feature, c.value, c.contribution));
            }
            let notes: Vec<String> = lead.notes.iter().map(|n| n.to_string()).collect();
            assert_eq!(&scored[8], notes.join("; "));
            assert_eq!(&scored[9], "");
        }
        assert_eq!(n_mql as u64, summary.n_mql);
        let text = String::from_utf8(reference).unwrap();
        assert!(text.contains("\"L9,2\""), "ids are quoted as CSV");
        assert!(text.contains("`country` has a level not seen in training"));
    }

    #[test]
    fn explain_zero_writes_no_factor_columns() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = leads(dir.path(), 20, &[]);
        let (out, s) = run(&artifact, &path, 0, 2, 3);
        assert_eq!(s.unwrap().n_rows, 20);
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("lead_id,probability,score,tier,mql,notes,error\n"), "{text}");
        assert_eq!(text.lines().count(), 21);
    }

    /// A bad value gives its row an error cell naming the line and the column, and the run
    /// goes on; in strict mode it stops the run after every row before it (and its own error
    /// row) was written. Both whatever the threads and batches.
    #[test]
    fn a_bad_row_gets_an_error_row_or_stops_a_strict_run() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let bad = "L9000009,2024-01-01,Partner,United States,Media,VP,Sales,51-200,5,many,0,0,0,0,yes,no,4,lost";
        let path = leads(dir.path(), 100, &[bad, ODD[0]]);
        let (reference, summary) = run(&artifact, &path, 3, 1, 65_536);
        assert_eq!(summary.unwrap(), ScoreSummary { n_rows: 101, n_mql: summary_mql(&reference), n_failed: 1 });
        let rows: Vec<csv::StringRecord> =
            csv::Reader::from_reader(reference.as_slice()).records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 102, "every record has its row");
        assert_eq!((&rows[100][0], &rows[100][1], &rows[100][4]), ("L9000009", "", ""));
        assert_eq!(&rows[100][9], "line 102: column `page_views`: cannot parse \"many\" as a number");
        assert_eq!(&rows[101][0], "L9000001");
        assert!(rows[101][1].parse::<f64>().is_ok() && rows[101][9].is_empty());
        for (threads, batch_rows) in [(2, 1), (3, 7), (2, 64)] {
            let (out, result) = run(&artifact, &path, 3, threads, batch_rows);
            assert_eq!(result.unwrap().n_failed, 1);
            assert_eq!(out, reference, "threads {threads}, batch {batch_rows}");
        }

        let (strict, result) = run_as(&artifact, &path, 3, 1, 65_536, true);
        let message = result.unwrap_err().to_string();
        assert!(message.contains("line 102") && message.contains("page_views"), "{message}");
        // The header, the 100 rows before it and its error row.
        let last_row = reference[..reference.len() - 1].iter().rposition(|&b| b == b'\n').unwrap() + 1;
        assert_eq!(strict, reference[..last_row]);
        assert_eq!(String::from_utf8(strict.clone()).unwrap().lines().count(), 102);
        for (threads, batch_rows) in [(2, 1), (3, 7), (2, 64)] {
            let (out, result) = run_as(&artifact, &path, 3, threads, batch_rows, true);
            assert_eq!(result.unwrap_err().to_string(), message);
            assert_eq!(out, strict, "threads {threads}, batch {batch_rows}");
        }
    }

    fn summary_mql(out: &[u8]) -> u64 {
        csv::Reader::from_reader(out).records().filter(|r| &r.as_ref().unwrap()[4] == "true").count() as u64
    }

    /// Latin-1 bytes in a column the model does not read (a free-text note) do not stop a
    /// run; in a column it reads they do, naming the column and the line.
    #[test]
    fn invalid_utf8_matters_only_in_the_columns_read() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("leads.csv");
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let text = std::fs::read_to_string(format!("{root}/data/leads.csv")).unwrap();
        let mut bytes: Vec<u8> = Vec::new();
        for (i, line) in text.lines().take(4).enumerate() {
            bytes.extend_from_slice(line.as_bytes());
            bytes.extend_from_slice(if i == 0 { b",note\n" } else { b",caf\xe9\n" });
        }
        std::fs::write(&path, &bytes).unwrap();
        let (out, result) = run(&artifact, &path, 1, 2, 1);
        assert_eq!(result.unwrap().n_rows, 3);
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 4);

        let bad = text.lines().nth(2).unwrap().replacen("United States", "Espa\u{f1}a", 1);
        let mut bytes: Vec<u8> = Vec::new();
        for line in text.lines().take(2) {
            bytes.extend_from_slice(line.as_bytes());
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&bad.as_bytes().iter().map(|&b| if b >= 0x80 { 0xf1 } else { b }).collect::<Vec<u8>>());
        std::fs::write(&path, &bytes).unwrap();
        let message = run_as(&artifact, &path, 1, 2, 1, true).1.unwrap_err().to_string();
        assert!(message.contains("line 3") && message.contains("`country`") && message.contains("UTF-8"), "{message}");
        let (out, summary) = run(&artifact, &path, 1, 2, 1);
        assert_eq!(summary.unwrap().n_failed, 1);
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.lines()
                .nth(2)
                .unwrap()
                .ends_with("line 3: column `country` is not valid UTF-8; re-export the file as UTF-8"),
            "{out}"
        );
    }

    /// The rows of a scoring run's output.
    fn rows_of(out: &[u8]) -> Vec<csv::StringRecord> {
        csv::Reader::from_reader(out).records().map(Result::unwrap).collect()
    }

    /// An unclosed quote no longer merges the rest of the file into one lead silently: the
    /// row where it opened says so (naming that line and how far it ran), the rows before it
    /// are scored, and the run says one row failed.
    #[test]
    fn an_unclosed_quote_is_reported_at_the_line_where_it_opened() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = leads(dir.path(), 100, &[]);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[3] = lines[3].replacen(",United States,", ",\"United States,", 1);
        assert!(lines[3].contains("\"United"), "test data changed");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let (out, summary) = run(&artifact, &path, 3, 2, 16);
        assert_eq!(summary.unwrap(), ScoreSummary { n_rows: 2, n_mql: summary_mql(&out), n_failed: 1 });
        let rows = rows_of(&out);
        assert_eq!(rows.len(), 3, "two scored rows and the row of the quote");
        assert_eq!(&rows[2][0], "L0000003");
        assert!(
            rows[2][9].starts_with("line 4: a quote opened on line 4 is not closed until line 101"),
            "{:?}",
            &rows[2]
        );
        let message = run_as(&artifact, &path, 3, 2, 16, true).1.unwrap_err().to_string();
        assert!(message.contains("line 4: a quote opened on line 4"), "{message}");
    }

    /// A row with too many or too few fields is an error row, not a lead scored with
    /// imputed values; the next row reads on.
    #[test]
    fn ragged_rows_get_error_rows() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = leads(dir.path(), 3, &[]);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        lines[1].push_str(",extra");
        lines[2] = lines[2].rsplit_once(',').unwrap().0.to_owned();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let (out, summary) = run(&artifact, &path, 1, 1, 0);
        assert_eq!(summary.unwrap().n_failed, 2);
        let rows = rows_of(&out);
        assert_eq!(rows.len(), 3);
        assert_eq!(&rows[0][7], "line 2: row has 19 fields but the header has 18 (a ragged row: check for an unquoted comma or a missing cell)");
        assert!(rows[1][7].starts_with("line 3: row has 17 fields"), "{:?}", &rows[1]);
        assert!(rows[2][7].is_empty() && !rows[2][1].is_empty());
    }

    /// Header problems are refused before any row: a duplicate name, missing features (all of
    /// them named), and in strict mode a column the spec does not name.
    #[test]
    fn header_problems_are_refused_before_any_row() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = leads(dir.path(), 3, &[]);
        let text = std::fs::read_to_string(&path).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        let refused = |header: &str, strict: bool| {
            std::fs::write(&path, format!("{header}\n{body}")).unwrap();
            let (out, result) = run_as(&artifact, &path, 1, 1, 0, strict);
            assert!(out.is_empty(), "nothing written before a header problem");
            result.unwrap_err().to_string()
        };
        let message = refused(&header.replacen("country", "industry", 1), false);
        assert!(message.contains("column name `industry` appears twice"), "{message}");
        let message = refused(&header.replacen("country", "Country", 1).replacen("page_views", "pageviews", 1), false);
        assert!(message.contains("the model reads columns the file lacks: `country`, `page_views`"), "{message}");
        let message = refused(&format!("{header},notes"), true);
        assert!(
            message.contains(
                "columns the model's spec does not name (strict mode; drop them or score without strict): `notes`"
            ),
            "{message}"
        );
        // The same file is scored without strict.
        std::fs::write(&path, format!("{header},notes\n{}", body.replace('\n', ",x\n"))).unwrap();
        assert_eq!(run(&artifact, &path, 1, 1, 0).1.unwrap().n_rows, 3);
    }

    /// A stream that fails midway (an upload cut for being too slow, a client gone): every row
    /// read before the failure is scored and written, then the failure's row at its line.
    #[test]
    fn rows_read_before_a_failing_stream_are_written_before_its_row() {
        struct Fails;
        impl std::io::Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "the upload was cut"))
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read(leads(dir.path(), 5, &[])).unwrap();
        let artifact = shipped();
        for strict in [false, true] {
            let source = Box::new(std::io::Read::chain(std::io::Cursor::new(text.clone()), Fails));
            let file = CsvFile::from_reader(Path::new("upload"), source, 0, None).unwrap();
            let options = ScoreOptions { strict, ..ScoreOptions::new(0.3, 1) };
            let mut out = Vec::new();
            let error = CsvScoring::new(&artifact, file, options).unwrap().run(&mut out, &NoProgress, &mut |_| {});
            assert!(error.unwrap_err().to_string().contains("line 7: the upload was cut"));
            let rows: Vec<csv::StringRecord> =
                csv::Reader::from_reader(&out[..]).records().map(Result::unwrap).collect();
            assert_eq!(rows.len(), 6, "5 scored rows and the error's: {}", String::from_utf8_lossy(&out));
            let error = rows[0].len() - 1;
            assert!(rows[..5].iter().all(|r| r[error].is_empty() && !r[1].is_empty()));
            assert_eq!(&rows[5][error], "line 7: the upload was cut");
        }
    }

    /// An endless line is refused at the record limit, having read about that much, and the
    /// message quotes none of it.
    #[test]
    fn a_line_without_end_is_refused_at_the_record_limit() {
        /// `n` bytes of `x` without a line break, counting what is read.
        struct Endless {
            left: u64,
            read: std::sync::Arc<std::sync::atomic::AtomicU64>,
        }
        impl std::io::Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = (buf.len() as u64).min(self.left) as usize;
                buf[..n].fill(b'x');
                self.left -= n as u64;
                self.read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
                Ok(n)
            }
        }
        let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        for header_first in [false, true] {
            read.store(0, std::sync::atomic::Ordering::Relaxed);
            let source: Box<dyn std::io::Read> = if header_first {
                let artifact = shipped();
                let header: Vec<String> = artifact.encoder.features.iter().map(|f| f.name.clone()).collect();
                Box::new(std::io::Read::chain(
                    std::io::Cursor::new(format!("{}\n", header.join(",")).into_bytes()),
                    Endless { left: 1 << 30, read: read.clone() },
                ))
            } else {
                Box::new(Endless { left: 1 << 30, read: read.clone() })
            };
            let message = match CsvFile::from_reader(Path::new("upload"), source, 0, None) {
                Err(e) => e.to_string(),
                Ok(file) => {
                    let artifact = shipped();
                    let scoring = CsvScoring::new(&artifact, file, ScoreOptions::new(0.3, 1)).unwrap();
                    let mut out = Vec::new();
                    let message = scoring.run(&mut out, &NoProgress, &mut |_| {}).unwrap_err().to_string();
                    let out = String::from_utf8(out).unwrap();
                    assert_eq!(out.lines().count(), 2, "the header and the error row: {out}");
                    message
                }
            };
            let line = if header_first { 2 } else { 1 };
            assert!(message.contains(&format!("upload: line {line}: ")), "{message}");
            assert!(message.contains("longer than 4 MiB, the limit for a line or a quoted cell"), "{message}");
            assert!(!message.contains("xxxx"), "the message quotes none of the line: {message}");
            let bytes = read.load(std::sync::atomic::Ordering::Relaxed);
            assert!(bytes < MAX_RECORD_BYTES + (4 << 20), "read {bytes} bytes of a 1 GiB line");
        }
    }

    proptest::proptest! {
        /// The fast fixed-point text is std's `{:+.3}` for any finite or non-finite value,
        /// ties (odd multiples of 1/16 and 1/2000) included.
        #[test]
        fn signed_3_equals_std(bits: u64, k in -200_000i64..200_000, scale in 0u32..6) {
            let values = [
                f64::from_bits(bits),
                k as f64 / 2000.0,
                (2 * k + 1) as f64 / 16.0,
                k as f64 * 10f64.powi(-(scale as i32)),
                -(k as f64) / 3.0,
            ];
            for x in values {
                let mut fast = String::new();
                push_signed_3(&mut fast, x);
                proptest::prop_assert_eq!(fast, format!("{x:+.3}"), "x = {:e}", x);
            }
        }
    }

    /// ryu's text is std's for every probability it is used for: 200,000 spread over
    /// `[1e-4, 1)` on a log scale, the ends, and the neighbours of round decimals.
    #[test]
    fn probabilities_print_as_std_does() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut values = vec![1e-4, 0.5, 0.1, 0.3, 0.7, 1.0 - f64::EPSILON / 2.0, 1.0, 0.0, 1e-5, 3.7e-9];
        for _ in 0..200_000 {
            state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            values.push(10f64.powf(-4.0 * unit));
        }
        for k in 1..1000 {
            let p = k as f64 / 1000.0;
            values.extend([p, f64::from_bits(p.to_bits() + 1), f64::from_bits(p.to_bits() - 1)]);
        }
        let mut buffer = ryu::Buffer::new();
        for p in values {
            let mut fast = String::new();
            push_probability(&mut fast, p, &mut buffer);
            assert_eq!(fast, format!("{p}"), "p = {p:e}");
        }
    }

    #[test]
    fn signed_3_examples() {
        for (x, text) in
            [(0.0625, "+0.062"), (-0.0625, "-0.062"), (-0.0001, "-0.000"), (1.5, "+1.500"), (-12.3456, "-12.346")]
        {
            let mut fast = String::new();
            push_signed_3(&mut fast, x);
            assert_eq!(fast, text);
            assert_eq!(fast, format!("{x:+.3}"));
        }
    }
}
