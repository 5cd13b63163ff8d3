//! Rows per second the `LogWriter` stores into SQLite, beside a peer run in the same process: the
//! same rows inserted by `SqliteStore::insert` directly in batches of the writer's size (no
//! queue, no thread). Prints both and the ratio, for each round.
//!
//!   cargo run --release -p leadscore-store --example write_rate -- [rows] [rounds] [offered rows/s] [rows per request] [ids] [pairs]
//!
//! With an offered rate (e.g. 50000) rows are handed to the writer at that pace, as a server
//! under steady load would, and the drops say whether the store keeps up; without one (0) they
//! are handed over as fast as possible and the writer's ceiling is measured (with drops). Rows
//! go to the writer in groups of `rows per request` (default 1), as the server hands over a
//! request's rows. `ids` 0 (default) gives every row an id of its own (new leads); N gives the ids
//! of N leads over and over (rescoring the same leads: each batch then adds to the lead-id index
//! at N places, and a commit writes every page it touched). `pairs` 1 shadows every row by a
//! challenger's row (shadow scoring: a served row and its shadow row are handed over together and
//! stored in one batch, the shadow row naming the served row's id); rows then count both.
//!
//! Issue 12 asks the SQLite store to keep up with 50,000 leads/s; phase 2's server benchmark
//! measures it under load, this measures the writer alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use leadscore_store::sqlite::SqliteStore;
use leadscore_store::{FieldValue, Fields, LogWriter, Pair, Prediction, Store, WriterConfig};

fn row(i: usize, ids: usize) -> Prediction {
    let fields = (0..15)
        .map(|k| {
            let v = if k % 3 == 0 {
                FieldValue::Text(format!("level {}", i % 7))
            } else {
                FieldValue::Number((i % 97) as f64)
            };
            (format!("field_{k}"), v)
        })
        .collect();
    Prediction {
        scored_at_ms: 1_700_000_000_000 + i as i64,
        model: "leads".into(),
        version: "v1".into(),
        shadow: false,
        lead_id: format!("L{:08}", if ids == 0 { i } else { i % ids }),
        probability: (i % 1000) as f64 / 1000.0,
        score: 50,
        tier: "B".into(),
        mql: i % 5 == 0,
        threshold: 0.3,
        rule_points: None,
        rule_mql: None,
        fields: Some(Fields::new(fields)),
    }
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("a number")).collect();
    let rows = args.first().copied().unwrap_or(200_000);
    let rounds = args.get(1).copied().unwrap_or(3);
    let offered = args.get(2).copied().unwrap_or(0);
    let per_request = args.get(3).copied().unwrap_or(1).max(1);
    let ids = args.get(4).copied().unwrap_or(0);
    let pairs = args.get(5).copied().unwrap_or(0) == 1;
    let data: Vec<Prediction> = (0..rows).map(|i| row(i, ids)).collect();
    let shadow = |p: &Prediction| Prediction { shadow: true, version: "v2".into(), ..p.clone() };
    let config = WriterConfig::default();
    for round in 1..=rounds {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("peer.db");
        let mut peer = SqliteStore::open(&path).unwrap();
        let start = Instant::now();
        let stored = if pairs { 2 * rows } else { rows };
        for batch in data.chunks(if pairs { config.batch_rows / 2 } else { config.batch_rows }) {
            if pairs {
                let rows: Vec<Prediction> = batch.iter().flat_map(|p| [p.clone(), shadow(p)]).collect();
                let pairs: Vec<Pair> = (0..batch.len()).map(|k| Pair { champion: 2 * k, shadow: 2 * k + 1 }).collect();
                peer.insert_paired(&rows, &pairs).unwrap();
            } else {
                peer.insert(batch).unwrap();
            }
        }
        let peer_rate = stored as f64 / start.elapsed().as_secs_f64();

        let path = dir.path().join("writer.db");
        let writer = LogWriter::start(path.to_str().unwrap(), config.clone()).unwrap();
        let start = Instant::now();
        let mut dropped = 0u64;
        for (k, group) in data.chunks(per_request).enumerate() {
            let i = k * per_request;
            if offered > 0 && (i % 100 < per_request || per_request >= 100) {
                let due = start + Duration::from_secs_f64(i as f64 / offered as f64);
                if let Some(wait) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
            }
            // As the server does: never wait; a full queue drops the rows.
            if pairs {
                for p in group {
                    dropped += if writer.log_pair(p.clone(), shadow(p)) { 0 } else { 2 };
                }
            } else {
                dropped += (group.len() - writer.log_all(group.to_vec())) as u64;
            }
        }
        let offered_for = start.elapsed();
        let stats = writer.shutdown(Duration::from_secs(120));
        let rate = stats.written as f64 / start.elapsed().as_secs_f64();
        println!(
            "round {round}: offered {:>9.0} rows/s for {:.1} s; writer {rate:>9.0} rows/s ({} written, {dropped} dropped)  \
             peer insert {peer_rate:>9.0} rows/s  ratio {:.2}",
            stored as f64 / offered_for.as_secs_f64(),
            offered_for.as_secs_f64(),
            stats.written,
            rate / peer_rate
        );
    }
}
