//! Batch scoring: CSV in, CSV out, in constant memory, on every core.
//!
//! Each output row carries the lead's id columns, probability, 1-99 score,
//! tier, MQL flag at the chosen threshold, the top contributing factors and
//! notes.
//!
//! The calling thread reads the file in batches of records and writes the
//! answers; worker threads score and format whole batches. Batches go back
//! out in file order, so the output is byte-identical for any number of
//! threads; a bad row stops the run after every row before it was written,
//! as a one-thread loop would. At most `2 × threads` batches are in flight:
//! memory stays flat however large the file.

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
use crate::csv_source::{CellReader, CsvFile, Progress};
use crate::{Error, Result};

/// Rows per batch: large enough to amortise the hand-offs, small enough to
/// keep memory flat and every core busy near the end of a file.
const BATCH_ROWS: usize = 2048;

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
}

impl ScoreOptions {
    /// Options with the default threads and batch size.
    pub fn new(threshold: f64, explain: usize) -> Self {
        ScoreOptions { threshold, explain, threads: 0, batch_rows: 0 }
    }
}

/// Totals of a scoring run.
#[derive(Clone, Debug, PartialEq)]
pub struct ScoreSummary {
    /// Leads scored.
    pub n_rows: u64,
    /// Leads at or above the threshold.
    pub n_mql: u64,
}

/// Records read from the file, with the line each starts on. Reused: the
/// records keep their buffers from batch to batch.
#[derive(Default)]
struct Batch {
    records: Vec<csv::ByteRecord>,
    lines: Vec<u64>,
    len: usize,
}

/// A scored batch: CSV bytes of every row scored, and the error that stopped
/// it, if one did (the rows before it are in `bytes`).
struct Scored {
    bytes: Vec<u8>,
    summary: ScoreSummary,
    error: Option<Error>,
}

/// What every worker shares: how to read the cells of a record and lay out a row.
struct Layout<'f> {
    cells: CellReader<'f>,
    /// Record positions: the id columns, then the model's features in its order.
    positions: Vec<usize>,
    n_ids: usize,
    options: &'f ScoreOptions,
}

impl Layout<'_> {
    fn score_batch(&self, scorer: &mut Scorer<'_>, batch: &mut Batch) -> Scored {
        let mut out = Scored { bytes: Vec::new(), summary: ScoreSummary { n_rows: 0, n_mql: 0 }, error: None };
        // Rows run to about 170 bytes with three factors: room for them up front, not regrown.
        let mut rows = CsvRows::with_capacity(batch.len * 256);
        let mut text = String::with_capacity(128);
        for (slot, &line) in batch.records[..batch.len].iter_mut().zip(&batch.lines) {
            // One UTF-8 check for the whole record; the record goes back into the batch after.
            let written = match csv::StringRecord::from_byte_record(std::mem::take(slot)) {
                Ok(record) => {
                    let cell = |k: usize| self.positions.get(k).and_then(|&p| record.get(p)).unwrap_or_default();
                    let written = self.write_row(scorer, &mut rows, line, cell, &mut text, &mut out.summary);
                    *slot = record.into_byte_record();
                    written
                }
                Err(invalid) => {
                    // Invalid UTF-8 somewhere: only the model's and the id columns must be valid.
                    *slot = invalid.into_byte_record();
                    let mut cells = Vec::with_capacity(self.positions.len());
                    self.cells.cells(line, slot, &self.positions, &mut cells).and_then(|()| {
                        let cell = |k: usize| cells.get(k).copied().unwrap_or_default();
                        self.write_row(scorer, &mut rows, line, cell, &mut text, &mut out.summary)
                    })
                }
            };
            if let Err(e) = written {
                out.error = Some(e);
                break;
            }
        }
        out.bytes = rows.into_bytes();
        out
    }

    /// Scores and writes one row; `cell(k)` is the cell at `positions[k]`.
    fn write_row<'r>(
        &self,
        scorer: &mut Scorer<'_>,
        rows: &mut CsvRows,
        line: u64,
        cell: impl Fn(usize) -> &'r str,
        text: &mut String,
        summary: &mut ScoreSummary,
    ) -> Result<()> {
        let n_ids = self.n_ids;
        let scored = scorer
            .score_indexed(|i| RawValue::Text(cell(n_ids + i)), self.options.explain)
            .map_err(|e| Error::Data { path: self.cells.path().to_owned(), error: e.at_line(line) })?;
        if n_ids == 0 {
            text.clear();
            let _ = write!(text, "{line}");
            rows.plain(text.as_bytes());
        }
        for k in 0..n_ids {
            rows.field(cell(k).as_bytes());
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
        rows.end_row();
        summary.n_rows += 1;
        summary.n_mql += u64::from(mql);
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

/// Reads up to `rows` records into `batch`; returns how many.
fn fill(file: &mut CsvFile, batch: &mut Batch, rows: usize) -> Result<usize> {
    batch.len = 0;
    batch.lines.clear();
    while batch.len < rows {
        if batch.records.len() == batch.len {
            batch.records.push(csv::ByteRecord::new());
        }
        match file.read_record(&mut batch.records[batch.len])? {
            Some(line) => {
                batch.lines.push(line);
                batch.len += 1;
            }
            None => break,
        }
    }
    Ok(batch.len)
}

/// Scores every row of `input` and writes CSV to `out`.
pub fn score_csv(
    artifact: &Artifact,
    input: &Path,
    out: impl Write,
    options: &ScoreOptions,
    progress: &dyn Progress,
) -> Result<ScoreSummary> {
    let mut file = CsvFile::open(input)?;
    let header = file.header().to_vec();
    let features: Vec<(String, String)> =
        artifact.encoder.features.iter().map(|f| (f.name.clone(), "a feature of the model".into())).collect();
    let feature_pos = file.positions(&features)?;
    let ids: Vec<usize> = artifact.spec.ids.iter().filter_map(|id| header.iter().position(|h| h == id)).collect();
    let mut positions = ids.clone();
    positions.extend(&feature_pos);

    let mut writer = csv::Writer::from_writer(out);
    let mut head: Vec<String> =
        if ids.is_empty() { vec!["line".into()] } else { ids.iter().map(|&i| header[i].clone()).collect() };
    head.extend(["probability", "score", "tier", "mql"].map(String::from));
    head.extend((1..=options.explain).map(|k| format!("factor_{k}")));
    head.push("notes".into());
    let write_err =
        |e: csv::Error| Error::Csv { path: Path::new("<output>").to_owned(), line: 0, message: e.to_string() };
    writer.write_record(&head).map_err(write_err)?;
    writer.flush().map_err(|e| Error::io("<output>", e))?;
    let mut out = writer.into_inner().map_err(|e| Error::io("<output>", e.into_error()))?;

    let threads = match options.threads {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => n,
    };
    let rows = if options.batch_rows == 0 { BATCH_ROWS } else { options.batch_rows };
    // The workers read cells through the header copy: the file itself stays with the reader.
    let layout = Layout { cells: CellReader::new(input, &header), positions, n_ids: ids.len(), options };
    progress.start("scoring", file.size());
    let summary = run_pipeline(artifact, &mut file, &layout, &mut out, threads, rows, progress)?;
    progress.finish();
    out.flush().map_err(|e| Error::io("<output>", e))?;
    Ok(summary)
}

/// Reads batches on this thread, scores them on `threads` workers, and writes
/// them back in file order.
fn run_pipeline(
    artifact: &Artifact,
    file: &mut CsvFile,
    layout: &Layout<'_>,
    out: &mut impl Write,
    threads: usize,
    rows: usize,
    progress: &dyn Progress,
) -> Result<ScoreSummary> {
    let max_in_flight = 2 * threads;
    let (job_tx, job_rx) = mpsc::sync_channel::<(u64, Batch)>(max_in_flight);
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<(u64, Batch, Scored)>();
    let lookup = Lookup::new(artifact);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let done_tx = done_tx.clone();
            let (job_rx, lookup) = (&job_rx, &lookup);
            scope.spawn(move || {
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
        }
        drop(done_tx);
        let mut writer = InOrder {
            out,
            next: 0,
            pending: BTreeMap::new(),
            free: Vec::new(),
            total: ScoreSummary { n_rows: 0, n_mql: 0 },
        };
        let mut in_flight = 0usize;
        let mut seq = 0u64;
        let read = loop {
            let mut batch = writer.free.pop().unwrap_or_default();
            match fill(file, &mut batch, rows) {
                Ok(0) => break Ok(()),
                Ok(_) => {}
                Err(e) => break Err(e),
            }
            if job_tx.send((seq, batch)).is_err() {
                break Ok(()); // every worker is gone: the error arrives with its batch
            }
            seq += 1;
            in_flight += 1;
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
            return Err(Error::io("<output>", std::io::Error::other("a scoring thread stopped unexpectedly")));
        }
        read?;
        Ok(writer.total)
    })
}

/// Writes scored batches in file order, holding back those that finish early.
struct InOrder<'o, W> {
    out: &'o mut W,
    next: u64,
    pending: BTreeMap<u64, Scored>,
    free: Vec<Batch>,
    total: ScoreSummary,
}

impl<W: Write> InOrder<'_, W> {
    fn accept(&mut self, (seq, batch, scored): (u64, Batch, Scored)) -> Result<()> {
        self.free.push(batch);
        self.pending.insert(seq, scored);
        while let Some(scored) = self.pending.remove(&self.next) {
            self.out.write_all(&scored.bytes).map_err(|e| Error::io("<output>", e))?;
            self.total.n_rows += scored.summary.n_rows;
            self.total.n_mql += scored.summary.n_mql;
            if let Some(e) = scored.error {
                return Err(e);
            }
            self.next += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csv_source::NoProgress;
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
        let mut out = Vec::new();
        let options = ScoreOptions { threads, batch_rows, ..ScoreOptions::new(0.3, explain) };
        let result = score_csv(artifact, path, &mut out, &options, &NoProgress);
        (out, result)
    }

    #[test]
    fn any_threads_and_batches_give_the_same_bytes_and_the_library_probabilities() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let path = leads(dir.path(), 300, &ODD);
        let (reference, summary) = run(&artifact, &path, 3, 1, 1_000_000);
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
            ["lead_id", "probability", "score", "tier", "mql", "factor_1", "factor_2", "factor_3", "notes"]
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
        assert!(text.starts_with("lead_id,probability,score,tier,mql,notes\n"));
        assert_eq!(text.lines().count(), 21);
    }

    /// A bad value stops the run with its line, after every row before it was
    /// written, whatever the threads and batches.
    #[test]
    fn a_bad_row_stops_after_the_rows_before_it() {
        let artifact = shipped();
        let dir = tempfile::tempdir().unwrap();
        let bad = "L9000009,2024-01-01,Partner,United States,Media,VP,Sales,51-200,5,many,0,0,0,0,yes,no,4,lost";
        let path = leads(dir.path(), 100, &[bad, ODD[0]]);
        let (reference, result) = run(&artifact, &path, 3, 1, 1_000_000);
        let message = result.unwrap_err().to_string();
        assert!(message.contains("line 102") && message.contains("page_views"), "{message}");
        assert_eq!(String::from_utf8(reference.clone()).unwrap().lines().count(), 101);
        for (threads, batch_rows) in [(2, 1), (3, 7), (2, 64)] {
            let (out, result) = run(&artifact, &path, 3, threads, batch_rows);
            assert_eq!(result.unwrap_err().to_string(), message);
            assert_eq!(out, reference, "threads {threads}, batch {batch_rows}");
        }
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
        let message = run(&artifact, &path, 1, 2, 1).1.unwrap_err().to_string();
        assert!(message.contains("line 3") && message.contains("`country`") && message.contains("UTF-8"), "{message}");
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
