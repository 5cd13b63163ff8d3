//! The prediction log's raw write rate: `ROWS` rows like the server logs for the shipped model
//! (eleven fields as JSON text) inserted into a fresh SQLite store in transactions of `BATCH`
//! rows, as the log writer does, with nothing else running. Lead ids are new UUIDv7s (`DISTINCT`
//! 0), or the ids of `DISTINCT` leads over and over (rescoring: every batch then adds to the
//! lead-id index at as many places). `scripts/bench_server.sh` prints it beside (d), whose
//! offered rate it must exceed.
//!
//! ```sh
//! cargo run --release --example store_write -- ROWS BATCH DISTINCT   # e.g. 1000000 8192 1000
//! ```

use std::time::Instant;

use leadscore_store::sqlite::SqliteStore;
use leadscore_store::{new_lead_id, FieldValue, Fields, Prediction, Store};

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(2_000_000), |a| a.parse())?;
    let batch: usize = args.next().map_or(Ok(300), |a| a.parse())?;
    // 0: a new UUIDv7 per row (ids the server generates); N: the ids of N leads, over and over.
    let distinct: usize = args.next().map_or(Ok(0), |a| a.parse())?;
    let dir = tempfile::tempdir()?;
    let mut store = SqliteStore::open(&dir.path().join("log.sqlite"))?;
    let t0 = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    let lead = |i: usize| {
        let fields = Fields::new(vec![
            ("annual_revenue".into(), FieldValue::Number(1e6 + (i % 977) as f64 * 1234.5)),
            ("company_size".into(), FieldValue::Text(["1-10", "11-50", "51-200", "201-1000"][i % 4].into())),
            ("country".into(), FieldValue::Text(["US", "DE", "FR", "UK", "BR"][i % 5].into())),
            ("demo_requested".into(), FieldValue::Bool(i % 3 == 0)),
            ("email_clicks".into(), FieldValue::Number((i % 7) as f64)),
            ("email_opens".into(), FieldValue::Number((i % 23) as f64)),
            ("industry".into(), FieldValue::Text(["software", "retail", "finance", "health"][i % 4].into())),
            ("job_level".into(), FieldValue::Text(["vp", "director", "manager", "staff"][i % 4].into())),
            ("lead_source".into(), FieldValue::Text(["web", "event", "referral", "ads"][i % 4].into())),
            ("page_views".into(), FieldValue::Number((i % 41) as f64)),
            ("pricing_page_visits".into(), FieldValue::Number((i % 5) as f64)),
        ]);
        Prediction {
            scored_at_ms: t0 + (i / 50) as i64,
            model: "leads".into(),
            version: "v1".into(),
            shadow: false,
            lead_id: if distinct == 0 { new_lead_id() } else { format!("L{:07}", i % distinct) },
            probability: (i % 1000) as f64 / 1000.0,
            score: (1 + i % 99) as u8,
            tier: ["A", "B", "C", "D"][i % 4].into(),
            mql: i % 4 == 0,
            threshold: 0.42,
            rule_points: None,
            rule_mql: None,
            fields: Some(fields),
        }
    };
    let mut written = 0;
    let mut busy = std::time::Duration::ZERO;
    while written < rows {
        let n = batch.min(rows - written);
        let chunk: Vec<Prediction> = (written..written + n).map(lead).collect();
        let start = Instant::now();
        store.insert(&chunk)?;
        busy += start.elapsed();
        written += n;
    }
    let size = std::fs::metadata(dir.path().join("log.sqlite"))?.len();
    println!(
        "store_write: {:.0} rows/s ({written} rows in batches of {batch}, {:.2} s inserting, file {} MB)",
        written as f64 / busy.as_secs_f64(),
        busy.as_secs_f64(),
        size / 1_000_000
    );
    Ok(())
}
