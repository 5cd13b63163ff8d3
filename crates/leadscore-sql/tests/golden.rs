//! Golden files: the query for the shipped model in every dialect.
//!
//! BigQuery and Snowflake cannot run here, so their text is pinned by these
//! files and reviewed by a person on every change; PostgreSQL, DuckDB and
//! Spark are also run against real engines by the workspace's integration
//! tests. `UPDATE_GOLDEN=1 cargo test -p leadscore-sql` rewrites the files.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use leadscore_core::Artifact;
use leadscore_sql::{export_sql, Dialect, ExportOptions, Provenance, ThresholdChoice};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn shipped() -> (Artifact, Provenance) {
    let bytes = std::fs::read(dir().join("../../models/leads/v1/model.bin")).unwrap();
    let artifact = Artifact::from_bytes(&bytes).unwrap();
    let provenance =
        Provenance { name: artifact.name.clone(), version: "v1".into(), checksum: Artifact::checksum(&bytes) };
    (artifact, provenance)
}

#[track_caller]
fn check(file: &str, actual: &str) {
    let path = dir().join("tests/golden").join(file);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    assert!(
        expected == actual,
        "{} differs from the generated query; review the change and run with UPDATE_GOLDEN=1",
        path.display()
    );
}

#[test]
fn every_dialect_matches_its_golden_file() {
    let (artifact, provenance) = shipped();
    for dialect in Dialect::ALL {
        let options = ExportOptions {
            dialect,
            table: "leads".into(),
            id: None,
            view: None,
            threshold: ThresholdChoice::Strategy(None),
            top_feature: true,
        };
        let sql = export_sql(&artifact, &provenance, &options).unwrap();
        check(&format!("leads-v1.{}.sql", dialect.name()), &sql);
    }
}

#[test]
fn a_view_with_a_qualified_name_and_a_strategy() {
    let (artifact, provenance) = shipped();
    let options = ExportOptions {
        dialect: Dialect::Snowflake,
        table: "crm.public.leads".into(),
        id: Some("lead_id".into()),
        view: Some("crm.scoring.lead_scores".into()),
        threshold: ThresholdChoice::Strategy(Some("capacity".into())),
        top_feature: false,
    };
    let sql = export_sql(&artifact, &provenance, &options).unwrap();
    assert!(sql.contains("CREATE OR REPLACE VIEW \"crm\".\"scoring\".\"lead_scores\" AS\nWITH"), "{sql}");
    assert!(sql.contains("FROM \"crm\".\"public\".\"leads\""));
    assert!(sql.contains("the `capacity` threshold"));
    assert!(!sql.contains("top_feature"));
}

#[test]
fn unknown_strategies_and_missing_ids_are_errors_that_say_what_exists() {
    let (mut artifact, provenance) = shipped();
    let mut options = ExportOptions {
        dialect: Dialect::Postgres,
        table: "leads".into(),
        id: None,
        view: None,
        threshold: ThresholdChoice::Strategy(Some("best".into())),
        top_feature: false,
    };
    let err = export_sql(&artifact, &provenance, &options).unwrap_err().to_string();
    assert_eq!(err, "the model has no `best` threshold; it has: max_f1, youden, capacity, precision, recall");
    options.threshold = ThresholdChoice::Probability(1.5);
    assert_eq!(
        export_sql(&artifact, &provenance, &options).unwrap_err().to_string(),
        "threshold 1.5 is not a probability in [0, 1]"
    );
    options.threshold = ThresholdChoice::Strategy(None);
    artifact.spec.ids.clear();
    let err = export_sql(&artifact, &provenance, &options).unwrap_err().to_string();
    assert!(err.contains("--id"), "{err}");
    options.id = Some(String::new());
    let err = export_sql(&artifact, &provenance, &options).unwrap_err().to_string();
    assert!(err.contains("is empty"), "{err}");
}
