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

/// The shipped model with three pair terms added by hand, one of each axis kind (yes/no ×
/// levels, levels × bins, bins with a `(missing)` cell × bins sharing a bin with blanks), cell
/// `k`'s weight `((37 k) mod 17) / 10 - 0.8`: the `pairs` stage and one term per pair in every
/// dialect. PostgreSQL, DuckDB and Spark run a trained model with pairs in the integration tests.
fn with_pairs() -> (Artifact, Provenance) {
    use leadscore_core::encode::Transform;
    use leadscore_core::pair::{Axis, MissingCell};
    let (mut artifact, provenance) = shipped();
    let at = |a: &Artifact, name: &str| a.encoder.features.iter().position(|f| f.name == name).unwrap();
    let levels = |a: &Artifact, name: &str| match &a.encoder.features[at(a, name)].transform {
        Transform::Categorical(c) => c.levels.len(),
        _ => panic!("{name} is categorical"),
    };
    let bins = |cuts: &[f64], missing| Axis::Bins { cuts: cuts.to_vec(), missing };
    let pairs = [
        (
            [at(&artifact, "demo_requested"), at(&artifact, "job_level")],
            [Axis::Flag { missing: MissingCell::Own }, Axis::Levels { n: levels(&artifact, "job_level") }],
        ),
        (
            [at(&artifact, "industry"), at(&artifact, "pricing_page_visits")],
            [Axis::Levels { n: levels(&artifact, "industry") }, bins(&[1.0, 2.0, 3.0, 5.0], MissingCell::Own)],
        ),
        (
            [at(&artifact, "annual_revenue"), at(&artifact, "days_since_last_activity")],
            [bins(&[1e6, 1.25e7, 1e8], MissingCell::Own), bins(&[7.0, 30.0], MissingCell::Shares(0))],
        ),
    ];
    for (pair, axes) in pairs {
        artifact.encoder.add_pair(pair, axes).unwrap();
    }
    let added = artifact.encoder.n_columns - artifact.model.weights.len();
    artifact.model.weights.extend((0..added).map(|k| ((37 * k) % 17) as f64 / 10.0 - 0.8));
    let evidence = leadscore_core::evidence::TermEvidence { leads: 100, std_error: 0.1 };
    artifact.evidence.resize(artifact.encoder.n_columns, evidence);
    for pair in artifact.encoder.pairs.clone() {
        let share = 1.0 / pair.width() as f64;
        artifact.encoder.baseline[pair.offset..pair.offset + pair.width()].iter_mut().for_each(|x| *x = share);
    }
    artifact.validate().unwrap();
    (artifact, provenance)
}

#[test]
fn a_model_with_pairs_matches_its_golden_file_in_every_dialect() {
    let (artifact, provenance) = with_pairs();
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
        assert!(sql.contains("px2 = cell of pair term") || sql.contains("-- px<p> = cell of pair term p"), "{sql}");
        check(&format!("pairs-v1.{}.sql", dialect.name()), &sql);
    }
}
