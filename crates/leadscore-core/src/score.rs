//! Scoring one lead: probability, 1-99 score, tier and an exact explanation.
//!
//! The explanation is additive on the log-odds scale against the training
//! baseline `b + w · m` (m = mean encoded training lead):
//! `log_odds = baseline + Σ_feature Σ_column w_j (x_j - m_j)`, so the
//! contributions of a lead sum exactly to how far it sits from the average
//! lead. "Why is this lead 87?" has an exact answer, not an approximation.
//!
//! Two ways in: [`Artifact::score`] answers one lead with every contribution
//! as owned data; a [`Scorer`] keeps its buffers between leads and ranks only
//! the top `k` contributions, borrowing names from the model and values from
//! the caller. Batch scoring and the server use the [`Scorer`]: allocating
//! two strings per feature and sorting all of them to show three cost ten
//! times more than the dot product itself.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::artifact::Artifact;
use crate::encode::{Note, NoteKind};
use crate::lookup::{contribution, Lookup};
use crate::model::{score_1_99, sigmoid};
use crate::value::RawValue;
use crate::Result;

/// One feature's (or pair term's) share of a lead's log-odds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Contribution {
    /// Source column, or a pair term's name (`month × day_of_month`).
    pub feature: String,
    /// The lead's value as read (`(missing)` when absent; a pair's two values as `may, 15`).
    pub value: String,
    /// Additive log-odds contribution against the baseline.
    pub contribution: f64,
}

/// A scored lead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoredLead {
    /// Probability of being won.
    pub probability: f64,
    /// `round(100 p)` clamped to 1-99.
    pub score: u8,
    /// Log-odds of being won.
    pub log_odds: f64,
    /// Log-odds of the average training lead.
    pub baseline_log_odds: f64,
    /// Tier name (A best).
    pub tier: String,
    /// Every feature's and pair term's contribution, largest magnitude first.
    pub contributions: Vec<Contribution>,
    /// Missing and unseen fields.
    pub notes: Vec<Note>,
}

/// A lead's value as shown in an explanation: text trimmed, `(missing)` when absent or blank;
/// a pair term's two values as `may, 15`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ShownValue<'a> {
    /// A feature's value.
    One(RawValue<'a>),
    /// A pair term's two values, in the pair's order.
    Pair(RawValue<'a>, RawValue<'a>),
}

/// The text of one value, when it needs no formatting.
fn plain(raw: RawValue<'_>) -> Option<&str> {
    match raw {
        RawValue::Missing => Some(crate::encode::MISSING),
        RawValue::Text(t) => match crate::value::trim(t) {
            "" => Some(crate::encode::MISSING),
            trimmed => Some(trimmed),
        },
        RawValue::Number(_) | RawValue::Bool(_) => None,
    }
}

fn show_one(raw: RawValue<'_>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match (plain(raw), raw) {
        (Some(text), _) => f.write_str(text),
        // A whole number's digits are what `{v}` writes, at a fifth of its cost (-0 keeps its sign).
        (None, RawValue::Number(v)) if v.fract() == 0.0 && v.abs() < 9.0e15 && !(v == 0.0 && v.is_sign_negative()) => {
            f.write_str(itoa::Buffer::new().format(v as i64))
        }
        (None, RawValue::Number(v)) => write!(f, "{v}"),
        (None, RawValue::Bool(b)) => write!(f, "{b}"),
        (None, _) => Ok(()),
    }
}

impl<'a> ShownValue<'a> {
    /// The text shown, when it needs no formatting (a feature's text or missing value): lets
    /// batch scoring copy it without the formatting machinery.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            ShownValue::One(raw) => plain(raw),
            ShownValue::Pair(..) => None,
        }
    }
}

impl fmt::Display for ShownValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ShownValue::One(raw) => show_one(raw, f),
            ShownValue::Pair(a, b) => {
                show_one(a, f)?;
                f.write_str(", ")?;
                show_one(b, f)
            }
        }
    }
}

/// One of a lead's top factors, borrowing the feature name from the model
/// and the value from the caller's lead.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Factor<'m, 'a> {
    /// Source column, or a pair term's name (`month × day_of_month`).
    pub feature: &'m str,
    /// The lead's value of it.
    pub value: ShownValue<'a>,
    /// Additive log-odds contribution against the baseline.
    pub contribution: f64,
}

impl Factor<'_, '_> {
    /// The owned form.
    pub fn to_contribution(&self) -> Contribution {
        Contribution {
            feature: self.feature.to_owned(),
            value: self.value.to_string(),
            contribution: self.contribution,
        }
    }
}

/// A field that was missing or unseen, naming the feature without copying it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FieldNote<'m> {
    /// The source column.
    pub feature: &'m str,
    /// What happened.
    pub kind: NoteKind,
}

impl fmt::Display for FieldNote<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.kind.describe(self.feature, f)
    }
}

/// A lead scored by a [`Scorer`]: borrowed from the model and the caller's lead.
#[derive(Clone, Debug, PartialEq)]
pub struct Scored<'m, 'a> {
    /// Probability of being won.
    pub probability: f64,
    /// `round(100 p)` clamped to 1-99.
    pub score: u8,
    /// Log-odds of being won.
    pub log_odds: f64,
    /// Log-odds of the average training lead.
    pub baseline_log_odds: f64,
    /// Tier name (A best).
    pub tier: &'m str,
    /// The `k` largest contributions by magnitude, largest first; ties keep
    /// the model's feature order (the order the SQL export breaks ties in).
    pub factors: Vec<Factor<'m, 'a>>,
    /// Missing and unseen fields, in the model's feature order.
    pub notes: Vec<FieldNote<'m>>,
}

impl Scored<'_, '_> {
    /// The owned form.
    pub fn into_owned(self) -> ScoredLead {
        ScoredLead {
            probability: self.probability,
            score: self.score,
            log_odds: self.log_odds,
            baseline_log_odds: self.baseline_log_odds,
            tier: self.tier.to_owned(),
            contributions: self.factors.iter().map(Factor::to_contribution).collect(),
            notes: self.notes.iter().map(|n| Note { feature: n.feature.to_owned(), kind: n.kind }).collect(),
        }
    }
}

/// Up to this many factors are ranked by insertion into a short list; more by
/// selection and sort.
const SMALL_K: usize = 16;

/// Scores many leads with one model, reusing its buffers between leads.
///
/// Scoring takes `&mut self` (the buffers): give each thread its own. Build
/// the model's [`Lookup`] once and hand it to every scorer with
/// [`Scorer::with_lookup`]; [`Scorer::new`] builds its own.
#[derive(Clone, Debug)]
pub struct Scorer<'m> {
    artifact: &'m Artifact,
    lookup: Cow<'m, Lookup>,
    baseline_log_odds: f64,
    /// The encoded lead (only the blocks of features without a lookup entry are written).
    row: Vec<f64>,
    /// Per feature, then per pair term: its contribution.
    contributions: Vec<f64>,
    /// Feature indices being ranked.
    order: Vec<usize>,
}

impl<'m> Scorer<'m> {
    /// A scorer for `artifact`, building its lookup tables (a few hundred
    /// microseconds): for many leads on one thread.
    pub fn new(artifact: &'m Artifact) -> Self {
        Self::with(artifact, Cow::Owned(Lookup::new(artifact)))
    }

    /// A scorer sharing tables built once with [`Lookup::new`] for this artifact.
    pub fn with_lookup(artifact: &'m Artifact, lookup: &'m Lookup) -> Self {
        Self::with(artifact, Cow::Borrowed(lookup))
    }

    /// A scorer without tables: every feature encoded per lead. For one lead.
    pub fn without_lookup(artifact: &'m Artifact) -> Self {
        Self::with(artifact, Cow::Owned(Lookup::none(artifact)))
    }

    fn with(artifact: &'m Artifact, lookup: Cow<'m, Lookup>) -> Self {
        let n_terms = artifact.encoder.features.len() + artifact.encoder.pairs.len();
        Scorer {
            artifact,
            lookup,
            baseline_log_odds: artifact.baseline_log_odds(),
            row: vec![0.0; artifact.encoder.n_columns],
            contributions: vec![0.0; n_terms],
            order: Vec::with_capacity(n_terms),
        }
    }

    /// The model this scorer scores with.
    pub fn artifact(&self) -> &'m Artifact {
        self.artifact
    }

    /// Scores one lead; `field(name)` gives the lead's value of a source
    /// column (it is asked again for the values of the top `explain` features).
    /// `explain = 0` skips the explanation; `usize::MAX` ranks every feature.
    pub fn score<'a>(&mut self, mut field: impl FnMut(&str) -> RawValue<'a>, explain: usize) -> Result<Scored<'m, 'a>> {
        let inputs = self.artifact.encoder.inputs();
        self.score_indexed(|i| inputs.get(i).map_or(RawValue::Missing, |name| field(name)), explain)
    }

    /// As [`Scorer::score`], with `field(i)` giving the value of the model's
    /// `i`-th input (`artifact.encoder.inputs()[i]`: its features in order, then the time
    /// column when an age is measured from it): no name lookups, for callers that laid their
    /// columns out in the model's order once.
    pub fn score_indexed<'a>(
        &mut self,
        mut field: impl FnMut(usize) -> RawValue<'a>,
        explain: usize,
    ) -> Result<Scored<'m, 'a>> {
        let artifact = self.artifact;
        let encoder = &artifact.encoder;
        let weights = &artifact.model.weights;
        let mut notes = Vec::new();
        // `Σ w_j x_j` in column order, as `LogisticModel::log_odds` sums it, so
        // the probability is the same to the bit.
        let mut sum = -0.0;
        let lead_time = match encoder.time_index() {
            Some(at) => {
                let day = encoder.read_time(field(at))?;
                if day.is_none() && at == encoder.features.len() {
                    if let Some(time) = &encoder.time {
                        notes.push(FieldNote { feature: &time.column, kind: NoteKind::Missing });
                    }
                }
                day
            }
            None => None,
        };
        for (i, feature) in encoder.features.iter().enumerate() {
            let raw = field(i);
            let (contribution, note) = match self.lookup.find(i, feature, raw, &encoder.missing, &mut sum)? {
                Some(found) => found,
                None => {
                    let range = feature.offset..feature.offset + feature.width();
                    let mismatch = || crate::Error::ShapeMismatch { weights: range.end, columns: encoder.n_columns };
                    let out = self.row.get_mut(range.clone()).ok_or_else(mismatch)?;
                    let note = feature.encode_value(raw, &encoder.missing, lead_time, out)?;
                    let (w, m) = (weights.get(range.clone()), encoder.baseline.get(range.clone()));
                    let (Some(w), Some(m)) = (w, m) else { return Err(mismatch()) };
                    for (w, x) in w.iter().zip(&*out) {
                        sum += w * x;
                    }
                    (if explain > 0 { contribution(w, m, out) } else { 0.0 }, note)
                }
            };
            if let Some(kind) = note {
                notes.push(FieldNote { feature: &feature.name, kind });
            }
            self.contributions[i] = contribution;
        }
        // Pair terms' columns come after every feature's: summed after them, in order.
        let n_features = encoder.features.len();
        for (p, pair) in encoder.pairs.iter().enumerate() {
            let raw = [field(pair.features[0]), field(pair.features[1])];
            let cell = pair.cell(pair.read(&encoder.features, raw, &encoder.missing)?);
            let contribution = match self.lookup.find_pair(p, cell, &mut sum) {
                Some(c) => c,
                None => {
                    let range = pair.offset..pair.offset + pair.width();
                    let mismatch = || crate::Error::ShapeMismatch { weights: range.end, columns: encoder.n_columns };
                    let out = self.row.get_mut(range.clone()).ok_or_else(mismatch)?;
                    pair.write(cell, |c, v| out[c] = v);
                    let (w, m) = (weights.get(range.clone()), encoder.baseline.get(range.clone()));
                    let (Some(w), Some(m)) = (w, m) else { return Err(mismatch()) };
                    for (w, x) in w.iter().zip(&*out) {
                        sum += w * x;
                    }
                    if explain > 0 {
                        contribution(w, m, out)
                    } else {
                        0.0
                    }
                }
            };
            self.contributions[n_features + p] = contribution;
        }
        let log_odds = artifact.model.intercept + sum;
        let probability = sigmoid(log_odds);
        let factors = if explain == 0 { Vec::new() } else { self.top(explain, &mut field) };
        Ok(Scored {
            probability,
            score: score_1_99(probability),
            log_odds,
            baseline_log_odds: self.baseline_log_odds,
            tier: artifact.tiers.tier(probability),
            factors,
            notes,
        })
    }

    /// The `k` largest contributions by magnitude: a partial selection, then a
    /// sort of those `k` only.
    fn top<'a>(&mut self, k: usize, field: &mut impl FnMut(usize) -> RawValue<'a>) -> Vec<Factor<'m, 'a>> {
        let contributions = &self.contributions;
        let rank = |a: &usize, b: &usize| -> Ordering {
            contributions[*b].abs().total_cmp(&contributions[*a].abs()).then(a.cmp(b))
        };
        let n = contributions.len();
        let k = k.min(n);
        self.order.clear();
        if k == 0 {
            return Vec::new();
        }
        if k <= SMALL_K {
            // One pass keeping the best k in order, on the stack. For non-negative
            // floats the bit patterns order as `total_cmp` does; a later feature
            // goes after an equal one, so ties keep the feature order.
            let mut best = [(0u64, 0usize); SMALL_K];
            let mut len = 0;
            for (i, c) in contributions.iter().enumerate() {
                let key = c.abs().to_bits();
                if len == k && best[k - 1].0 >= key {
                    continue;
                }
                let mut at = len.min(k - 1);
                while at > 0 && best[at - 1].0 < key {
                    best[at] = best[at - 1];
                    at -= 1;
                }
                best[at] = (key, i);
                len = (len + 1).min(k);
            }
            self.order.extend(best[..len].iter().map(|&(_, i)| i));
        } else {
            self.order.extend(0..n);
            if k < n {
                self.order.select_nth_unstable_by(k - 1, rank);
                self.order.truncate(k);
            }
            self.order.sort_unstable_by(rank);
        }
        let encoder = &self.artifact.encoder;
        let n_features = encoder.features.len();
        self.order
            .iter()
            .map(|&i| match encoder.pairs.get(i.wrapping_sub(n_features)) {
                Some(pair) if i >= n_features => Factor {
                    feature: pair.name.as_str(),
                    value: ShownValue::Pair(field(pair.features[0]), field(pair.features[1])),
                    contribution: contributions[i],
                },
                _ => Factor {
                    feature: encoder.features[i].name.as_str(),
                    value: ShownValue::One(field(i)),
                    contribution: contributions[i],
                },
            })
            .collect()
    }
}

impl Artifact {
    /// Log-odds of the average training lead: where every explanation starts.
    pub fn baseline_log_odds(&self) -> f64 {
        self.model.log_odds(&self.encoder.baseline)
    }

    /// Scores one lead with every feature's contribution; `field(name)` gives
    /// the lead's value of a source column. For many leads use a [`Scorer`].
    pub fn score<'a>(&self, field: impl FnMut(&str) -> RawValue<'a>) -> Result<ScoredLead> {
        Ok(Scorer::without_lookup(self).score(field, usize::MAX)?.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{artifact, artifact_with_pairs};
    use proptest::prelude::*;

    fn lead<'a>(demo: &'a str, source: &'a str, visits: &'a str) -> impl FnMut(&str) -> RawValue<'a> {
        move |name| {
            let cell = match name {
                "demo" => demo,
                "source" => source,
                "visits" => visits,
                _ => "",
            };
            RawValue::Text(cell)
        }
    }

    /// Worked by hand on the fixture (columns demo, demo (missing), source = google,
    /// source = referral, source = (other), visits, visits (missing); weights 0.5, -0.2,
    /// 1.0, -0.5, 0.25, 0.4, 0.1; intercept -1) with the baseline set to the training
    /// means 0.4, 0.2, 0.4, 0.4, 0.2, 0, 0.2.
    #[test]
    fn contributions_are_worked_out_by_hand() {
        let mut a = artifact();
        a.encoder.baseline = vec![0.4, 0.2, 0.4, 0.4, 0.2, 0.0, 0.2];
        let s = a.score(lead("yes", "Referral", "5")).unwrap();
        // demo: 0.5 (1 - 0.4) - 0.2 (0 - 0.2) = 0.34; source: 1.0 (0 - 0.4) - 0.5 (1 - 0.4) + 0.25 (0 - 0.2)
        // = -0.75; visits: 0.4 (2 / sqrt 1.6) + 0.1 (0 - 0.2) = 0.6125.
        let by_name = |n: &str| s.contributions.iter().find(|c| c.feature == n).unwrap().contribution;
        assert!((by_name("demo") - 0.34).abs() < 1e-12);
        assert!((by_name("source") + 0.75).abs() < 1e-12);
        assert!((by_name("visits") - (0.8 / 1.6f64.sqrt() - 0.02)).abs() < 1e-12);
        let order: Vec<&str> = s.contributions.iter().map(|c| c.feature.as_str()).collect();
        assert_eq!(order, ["source", "visits", "demo"]);
        assert_eq!(s.contributions[0].value, "Referral");
        let sum: f64 = s.contributions.iter().map(|c| c.contribution).sum();
        assert!((s.baseline_log_odds + sum - s.log_odds).abs() < 1e-12);
        assert!(s.notes.is_empty());
    }

    /// With the fixture's zero baseline, demo = yes (+0.5) and source = referral (-0.5) tie in
    /// magnitude: the model's feature order breaks the tie, in the full ranking and the top k.
    #[test]
    fn ties_keep_the_feature_order() {
        let a = artifact();
        let full = a.score(lead("yes", "referral", "5")).unwrap();
        let order: Vec<(&str, f64)> = full.contributions.iter().map(|c| (c.feature.as_str(), c.contribution)).collect();
        assert_eq!(order, [("visits", 0.8 / 1.6f64.sqrt()), ("demo", 0.5), ("source", -0.5)]);
        let mut scorer = Scorer::new(&a);
        let top = scorer.score(lead("yes", "referral", "5"), 2).unwrap();
        let names: Vec<&str> = top.factors.iter().map(|f| f.feature).collect();
        assert_eq!(names, ["visits", "demo"]);
    }

    #[test]
    fn notes_name_missing_and_unseen_fields_and_values_show_as_read() {
        let a = artifact();
        let s = a.score(lead("", "  Billboard ", "")).unwrap();
        let notes: Vec<(&str, NoteKind)> = s.notes.iter().map(|n| (n.feature.as_str(), n.kind)).collect();
        assert_eq!(
            notes,
            [("demo", NoteKind::Missing), ("source", NoteKind::UnseenLevel), ("visits", NoteKind::Missing)]
        );
        let source = s.contributions.iter().find(|c| c.feature == "source").unwrap();
        assert_eq!(source.value, "Billboard");
        assert_eq!(s.contributions.iter().find(|c| c.feature == "visits").unwrap().value, "(missing)");
    }

    #[test]
    fn explain_zero_scores_the_same_without_factors() {
        let a = artifact();
        let mut scorer = Scorer::new(&a);
        let full = a.score(lead("no", "google", "2")).unwrap();
        let quick = scorer.score(lead("no", "google", "2"), 0).unwrap();
        assert_eq!(quick.probability.to_bits(), full.probability.to_bits());
        assert_eq!((quick.score, quick.tier), (full.score, full.tier.as_str()));
        assert!(quick.factors.is_empty());
    }

    /// A pair term is named in explanations with both values, and its contribution is its
    /// cell's weight against the baseline: `demo × source = yes, referral` is cell 4 (weight
    /// 0.25), `source × visits = referral, [4, inf)` cell 6 of the second pair (overall cell 15,
    /// weight -0.8) with the fixture's zero baseline.
    #[test]
    fn explanations_name_pairs_with_both_values() {
        let a = artifact_with_pairs();
        let s = a.score(lead("yes", " Referral", "5")).unwrap();
        let pair = |n: &str| s.contributions.iter().find(|c| c.feature == n).unwrap();
        assert_eq!(pair("demo × source").value, "yes, Referral");
        assert_eq!(pair("demo × source").contribution, 0.25);
        assert_eq!(pair("source × visits").value, "Referral, 5");
        assert_eq!(pair("source × visits").contribution, -0.8);
        assert_eq!(s.contributions[0].feature, "source × visits", "{:?}", s.contributions);
        let (x, _) = a.encoder.encode(lead("yes", " Referral", "5")).unwrap();
        assert_eq!(s.probability.to_bits(), a.model.probability(&x).to_bits());
        let sum: f64 = s.contributions.iter().map(|c| c.contribution).sum();
        assert!((s.baseline_log_odds + sum - s.log_odds).abs() < 1e-12);
        // A level never seen: no cell, no contribution, and the pair shows the value as read.
        let s = a.score(lead("", "TikTok", "")).unwrap();
        assert_eq!(pair_value(&s, "source × visits"), ("TikTok, (missing)".to_owned(), 0.0));
    }

    fn pair_value(s: &ScoredLead, name: &str) -> (String, f64) {
        let c = s.contributions.iter().find(|c| c.feature == name).unwrap();
        (c.value.clone(), c.contribution)
    }

    proptest! {
        /// With pair terms too, the lookup tables answer what encoding every column answers,
        /// to the bit, and the top k are the full ranking's first k.
        #[test]
        fn lookup_tables_equal_encoding_every_column_with_pairs(
            demo in prop::sample::select(vec!["yes", "no", "", "maybe"]),
            source in prop::sample::select(vec!["google", " Referral", "fair", "", "tv"]),
            visits in prop_oneof![
                (0u32..8).prop_map(|v| v.to_string()),
                prop::sample::select(vec!["", "-0", "2", "4", "3.999", "1e300", "x"]).prop_map(String::from),
            ],
            baseline in prop::collection::vec(0.0f64..1.0, 28),
            k in 0usize..6,
        ) {
            let mut a = artifact_with_pairs();
            a.encoder.baseline = baseline;
            let tables = Lookup::new(&a);
            let fast = Scorer::with_lookup(&a, &tables).score(lead(demo, source, &visits), usize::MAX);
            let slow = Scorer::without_lookup(&a).score(lead(demo, source, &visits), usize::MAX);
            let top = Scorer::new(&a).score(lead(demo, source, &visits), k);
            match (fast, slow, top) {
                (Ok(fast), Ok(slow), Ok(top)) => {
                    let (x, _) = a.encoder.encode(lead(demo, source, &visits)).unwrap();
                    prop_assert_eq!(fast.probability.to_bits(), a.model.probability(&x).to_bits());
                    prop_assert_eq!(fast.probability.to_bits(), slow.probability.to_bits());
                    let bits = |s: &Scored| -> Vec<(String, String, u64)> {
                        s.factors.iter().map(|f| (f.feature.to_owned(), f.value.to_string(), f.contribution.to_bits())).collect()
                    };
                    prop_assert_eq!(fast.factors.len(), 5);
                    prop_assert_eq!(bits(&fast), bits(&slow));
                    prop_assert_eq!(&bits(&top)[..], &bits(&fast)[..k.min(5)]);
                }
                (Err(a), Err(b), Err(c)) => {
                    prop_assert_eq!(a.to_string(), b.to_string());
                    prop_assert_eq!(a.to_string(), c.to_string());
                }
                (a, b, c) => prop_assert!(false, "tables {:?} vs encoding {:?} vs top {:?}", a.is_ok(), b.is_ok(), c.is_ok()),
            }
        }

        /// The lookup tables answer what encoding every column answers, to the bit:
        /// the probability of the dense dot product, every contribution, every note.
        #[test]
        fn lookup_tables_equal_encoding_every_column(
            demo in prop::sample::select(vec!["yes", "no", "", "Y", "maybe", " NA "]),
            source in prop::sample::select(vec!["google", " Google ", "referral", "fair", "", "tv", "GOOGLE  x"]),
            visits in prop_oneof![
                (0u32..1100).prop_map(|v| v.to_string()),
                prop::sample::select(vec!["", "-0", "-3", "2.5", "1e300", "3.0", " 7 ", "x"]).prop_map(String::from),
                any::<f64>().prop_map(|v| v.to_string()),
            ],
        ) {
            let mut a = artifact();
            a.encoder.baseline = vec![0.4, 0.2, 0.4, 0.4, 0.2, 0.1, 0.2];
            let tables = Lookup::new(&a);
            let fast = Scorer::with_lookup(&a, &tables).score(lead(demo, source, &visits), usize::MAX);
            let slow = Scorer::without_lookup(&a).score(lead(demo, source, &visits), usize::MAX);
            match (fast, slow) {
                (Ok(fast), Ok(slow)) => {
                    let (x, _) = a.encoder.encode(lead(demo, source, &visits)).unwrap();
                    prop_assert_eq!(fast.probability.to_bits(), a.model.probability(&x).to_bits());
                    prop_assert_eq!(fast.probability.to_bits(), slow.probability.to_bits());
                    let bits = |s: &Scored| -> Vec<(String, u64)> {
                        s.factors.iter().map(|f| (f.feature.to_owned(), f.contribution.to_bits())).collect()
                    };
                    prop_assert_eq!(bits(&fast), bits(&slow));
                    prop_assert_eq!(fast.notes, slow.notes);
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "tables {:?} vs encoding {:?}", a.is_ok(), b.is_ok()),
            }
        }

        /// The partial selection gives exactly the first k of a full stable sort,
        /// ties included, and a reused scorer answers like a fresh one.
        #[test]
        fn top_k_is_the_prefix_of_the_full_ranking(
            demo in prop::sample::select(vec!["yes", "no", "", "maybe"]),
            source in prop::sample::select(vec!["google", "referral", "fair", "", "tv"]),
            visits in prop::sample::select(vec!["1", "3", "", "3.0", "1e300", "-7"]),
            k in 0usize..5,
        ) {
            let a = artifact();
            let mut scorer = Scorer::new(&a);
            scorer.score(lead("yes", "google", "5"), 3).ok();
            let full = a.score(lead(demo, source, visits));
            let top = scorer.score(lead(demo, source, visits), k);
            match (full, top) {
                (Ok(full), Ok(top)) => {
                    // The reference: contributions in the model's feature order, stably sorted.
                    let mut reference: Vec<Contribution> = a
                        .encoder
                        .features
                        .iter()
                        .map(|f| full.contributions.iter().find(|c| c.feature == f.name).unwrap().clone())
                        .collect();
                    reference.sort_by(|x, y| y.contribution.abs().total_cmp(&x.contribution.abs()));
                    prop_assert_eq!(&reference, &full.contributions);
                    let owned: Vec<Contribution> = top.factors.iter().map(Factor::to_contribution).collect();
                    prop_assert_eq!(&owned[..], &full.contributions[..k.min(3)]);
                    prop_assert_eq!(top.probability.to_bits(), full.probability.to_bits());
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "full {:?} vs top {:?}", a.is_ok(), b.is_ok()),
            }
        }
    }
}
