//! Test fixtures shared by the unit tests of several modules: a model small enough that
//! every number it produces can be worked out by hand.

use crate::artifact::Artifact;
use crate::curve::OperatingCurve;
use crate::encode::Encoder;
use crate::model::LogisticModel;
use crate::report::{DistributionSummary, Evaluation, FeatureDistribution, Holdout, Regularisation, TrainingSummary};
use crate::spec::{FeatureSpec, Kind, Spec, TargetSpec};
use crate::table::{Table, TableBuilder};
use crate::tiers::Tiers;

pub(crate) fn spec() -> Spec {
    let mut spec = Spec::new(TargetSpec { column: "y".into(), positive: vec!["1".into()], negative: vec![] });
    spec.defaults.min_count = 2;
    spec.features.insert("visits".into(), FeatureSpec::new(Kind::Numeric));
    spec.features.insert("source".into(), FeatureSpec::new(Kind::Categorical));
    spec.features.insert("demo".into(), FeatureSpec::new(Kind::Boolean));
    spec
}

/// Columns (spec order demo, source, visits):
/// demo, demo (missing), source = google, source = referral, source = (other), visits, visits (missing).
///
/// visits: present 1, 3, 3, 5 -> median fill 3; imputed 1, 3, 3, 3, 5 -> mean 3, std sqrt(1.6).
/// demo: 2 yes, 2 no -> missing fills as no. source: `fair` seen once (< min_count 2) -> (other).
pub(crate) fn artifact() -> Artifact {
    let spec = spec();
    let table = table(&spec);
    let (encoder, _) = Encoder::fit(&spec, &table, &[0, 1, 2, 3, 4]).unwrap();
    assert_eq!(encoder.n_columns, 7);
    let model = LogisticModel { intercept: -1.0, weights: vec![0.5, -0.2, 1.0, -0.5, 0.25, 0.4, 0.1] };
    let evaluation = Evaluation {
        n_rows: 0,
        n_positives: 0,
        auc: None,
        auc_ci: None,
        log_loss: 0.0,
        brier: 0.0,
        average_precision: None,
        lift_top_decile: None,
        lift_ci: None,
        calibration: vec![],
    };
    Artifact {
        name: "tiny".into(),
        spec,
        encoder,
        model,
        regularisation: Regularisation { l2: 1.0, grid: vec![] },
        training: TrainingSummary {
            n_rows: 5,
            n_positives: 2,
            n_train: 5,
            n_holdout: 0,
            holdout: Holdout::Stratified { seed: 1 },
            date_range: None,
            data_hash: String::new(),
            seed: 1,
            leadscore_version: "test".into(),
        },
        cv: None,
        holdout: evaluation,
        curve: OperatingCurve::from_predictions(&[], &[]),
        thresholds: vec![],
        tiers: Tiers { tiers: vec![] },
        distributions: vec![FeatureDistribution {
            feature: "visits".into(),
            missing_rate: 0.2,
            summary: DistributionSummary::Numeric {
                deciles: vec![1.0, 1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 5.0, 5.0, 5.0],
                mean: 3.0,
            },
        }],
        warnings: vec![],
        evidence: vec![],
        fitted_on: crate::report::FittedOn::TrainingPart,
        shape_search: None,
        pair_search: None,
    }
}

/// Five leads (columns y, demo, source, visits) read through `spec`: two Google, two referral,
/// one rare `Fair`, one blank yes/no, one blank number.
pub(crate) fn table(spec: &Spec) -> Table {
    let mut b = TableBuilder::new(spec);
    for row in [
        ["1", "yes", "Google", "1"],
        ["0", "no", "google", "3"],
        ["0", "no", "Referral", ""],
        ["1", "yes", "referral", "5"],
        ["0", "", "Fair", "3"],
    ] {
        b.push(&row).unwrap();
    }
    b.finish()
}

/// [`artifact`] with two pair terms after its seven columns:
/// `demo × source` (no, yes, (missing) × google, referral, (other): 9 cells, columns 7-15) and
/// `source × visits` (the same levels × visits below 2, 2 to 4, 4 and above, (missing): 12 cells,
/// columns 16-27). Cell `k` of the 21 has weight `0.05 (k + 1)`, negative for odd `k`; baseline 0.
pub(crate) fn artifact_with_pairs() -> Artifact {
    use crate::pair::{Axis, MissingCell};
    let mut a = artifact();
    a.encoder.add_pair([0, 1], [Axis::Flag { missing: MissingCell::Own }, Axis::Levels { n: 3 }]).unwrap();
    a.encoder
        .add_pair([1, 2], [Axis::Levels { n: 3 }, Axis::Bins { cuts: vec![2.0, 4.0], missing: MissingCell::Own }])
        .unwrap();
    assert_eq!(a.encoder.n_columns, 28);
    a.model.weights.extend((0..21).map(|k| if k % 2 == 0 { 0.05 * (k + 1) as f64 } else { -0.05 * (k + 1) as f64 }));
    a.validate().unwrap();
    a
}
