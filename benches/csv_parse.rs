//! The ceiling for batch scoring: a bare loop that reads a CSV the way
//! `leadscore score` does (csv crate, byte records, every cell checked as UTF-8)
//! and does nothing else. `scripts/bench_server.sh` compares rows per second.
//!
//! ```sh
//! cargo run --release --example csv_parse -- leads.csv   # prints `rows=N seconds=S`
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: csv_parse FILE.csv")?;
    let started = std::time::Instant::now();
    let mut reader = csv::ReaderBuilder::new().from_path(&path)?;
    let mut record = csv::ByteRecord::new();
    let (mut rows, mut bytes) = (0u64, 0usize);
    while reader.read_byte_record(&mut record)? {
        for cell in record.iter() {
            bytes += std::str::from_utf8(cell)?.len();
        }
        rows += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("rows={rows} seconds={seconds:.3} cell_bytes={bytes}");
    Ok(())
}
