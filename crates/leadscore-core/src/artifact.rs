//! The model artifact: our own versioned struct, and its bytes on disk.
//!
//! File layout (all integers little-endian):
//!
//! | bytes  | content                                   |
//! |--------|-------------------------------------------|
//! | 0..8   | magic `LSMODEL\0`                          |
//! | 8..12  | format version (u32)                       |
//! | 12..20 | payload length (u64)                       |
//! | 20..52 | SHA-256 of the payload                     |
//! | 52..   | payload: bincode 2 (standard config) of [`Artifact`] |
//!
//! Format 2 added date formats (`format`, `time_format` in the spec, one per date encoder);
//! format 3 the evidence behind each term ([`Artifact::evidence`]); format 4 dates measured at the
//! lead's own time column (a date's `age` and `hour`, the encoder's time input); format 5 pair
//! terms (`pairs` and `pair_search` in the spec, the encoder's `pairs`, [`Artifact::pair_search`],
//! evidence for every pair cell); format 6 which leads the published model was fitted on
//! ([`Artifact::fitted_on`]); format 7 numbers' shapes chosen by the data (a feature's `shape`
//! in the spec, [`Artifact::shape_search`]); format 8 the pull between a pair's neighbouring
//! cells that the search chose with each candidate's penalty ([`crate::report::PairCandidate::pull`]).
//! Format 1 to 7 files are read through frozen copies of their layouts ([`v1`], [`v2`], [`v3`],
//! [`v4`], [`v5`], [`v6`], [`v7`]) and score as they did.
//!
//! Decoding checks each of these before bincode sees a byte, and bincode runs
//! with a byte limit: its default config aborts the whole process on a
//! 20-byte file whose length prefix claims terabytes. A truncated, padded,
//! corrupt or foreign file is refused with an error that says which.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::curve::{OperatingCurve, Suggestion};
use crate::encode::Encoder;
use crate::evidence::TermEvidence;
use crate::model::LogisticModel;
use crate::report::{
    CvSummary, Evaluation, FeatureDistribution, FittedOn, PairSearch, Regularisation, ShapeSearch, TrainingSummary,
    Warning,
};
use crate::spec::Spec;
use crate::tiers::Tiers;
use crate::{Error, Result};

mod v1;
mod v2;
mod v3;
mod v4;
mod v5;
mod v6;
mod v7;

/// First bytes of every artifact.
pub const MAGIC: &[u8; 8] = b"LSMODEL\0";
/// The format this build writes (and the newest it reads; every older one still loads).
pub const FORMAT_VERSION: u32 = 8;
/// Largest artifact this build will read (a model of a few hundred features is well under 10 MiB).
pub const MAX_ARTIFACT_BYTES: usize = 256 * 1024 * 1024;
const HEADER_LEN: usize = 52;

/// Everything needed to score a raw lead and to explain and judge the model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Model name (the registry folder).
    pub name: String,
    /// The spec it was trained with.
    pub spec: Spec,
    /// The fitted encoder.
    pub encoder: Encoder,
    /// Coefficients and intercept.
    pub model: LogisticModel,
    /// Chosen L2 penalty and the search that chose it.
    pub regularisation: Regularisation,
    /// Data, split and provenance.
    pub training: TrainingSummary,
    /// Cross-validated figures (None when the penalty was fixed).
    pub cv: Option<CvSummary>,
    /// Held-out figures.
    pub holdout: Evaluation,
    /// Held-out operating curve: computes any threshold later without the data.
    pub curve: OperatingCurve,
    /// Suggested MQL thresholds.
    pub thresholds: Vec<Suggestion>,
    /// Tier cut points.
    pub tiers: Tiers,
    /// Training distribution of each feature.
    pub distributions: Vec<FeatureDistribution>,
    /// Leakage and small-data warnings raised in training.
    pub warnings: Vec<Warning>,
    /// What the training data says of each encoded column (its leads and the standard error of
    /// its weight), in column order; empty for a model of an older format.
    pub evidence: Vec<TermEvidence>,
    /// What the pair search tried and kept (None: no search ran).
    pub pair_search: Option<PairSearch>,
    /// Which leads [`Artifact::model`] was fitted on, and which model the held-out figures describe.
    pub fitted_on: FittedOn,
    /// What the shape search tried and chose for the spec's `shape = "auto"` numbers (None: no
    /// search ran).
    pub shape_search: Option<ShapeSearch>,
}

fn bincode_config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_ARTIFACT_BYTES>()
}

impl Artifact {
    /// Serialises with header and checksum. Deterministic: the same artifact gives the same bytes.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let payload = bincode::serde::encode_to_vec(self, bincode_config())
            .map_err(|e| Error::Artifact(format!("cannot encode: {e}")))?;
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&Sha256::digest(&payload));
        out.extend_from_slice(&payload);
        Ok(out)
    }

    /// Reads an artifact, refusing anything that is not exactly what [`Artifact::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact> {
        if bytes.len() > MAX_ARTIFACT_BYTES + HEADER_LEN {
            return Err(Error::Artifact(format!(
                "file is {} bytes, more than the {MAX_ARTIFACT_BYTES}-byte limit",
                bytes.len()
            )));
        }
        if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
            return Err(Error::Artifact("not a leadscore model (bad magic bytes)".into()));
        }
        if bytes.len() < HEADER_LEN {
            return Err(Error::Artifact(format!("truncated: {} bytes, the header alone is {HEADER_LEN}", bytes.len())));
        }
        let u32_at = |i: usize| bytes.get(i..i + 4).and_then(|b| b.try_into().ok()).map(u32::from_le_bytes);
        let u64_at = |i: usize| bytes.get(i..i + 8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes);
        let version = u32_at(8).ok_or_else(|| Error::Artifact("truncated header".into()))?;
        if !(1..=FORMAT_VERSION).contains(&version) {
            return Err(Error::UnsupportedFormat { found: version, expected: FORMAT_VERSION });
        }
        let declared = u64_at(12).ok_or_else(|| Error::Artifact("truncated header".into()))?;
        let payload = &bytes[HEADER_LEN..];
        if (payload.len() as u64) < declared {
            return Err(Error::Artifact(format!(
                "truncated: payload is {} bytes, header says {declared}",
                payload.len()
            )));
        }
        if (payload.len() as u64) > declared {
            return Err(Error::Artifact(format!(
                "{} unexpected bytes after the payload",
                payload.len() as u64 - declared
            )));
        }
        if Sha256::digest(payload).as_slice() != &bytes[20..52] {
            return Err(Error::Artifact("checksum mismatch: the file is corrupt".into()));
        }
        let cannot = |e: bincode::error::DecodeError| Error::Artifact(format!("cannot decode: {e}"));
        let (artifact, used): (Artifact, usize) = if version == 1 {
            let (old, used): (v1::ArtifactV1, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else if version == 2 {
            let (old, used): (v2::ArtifactV2, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else if version == 3 {
            let (old, used): (v3::ArtifactV3, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else if version == 4 {
            let (old, used): (v4::ArtifactV4, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else if version == 5 {
            let (old, used): (v5::ArtifactV5, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else if version == 6 {
            let (old, used): (v6::ArtifactV6, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else if version == 7 {
            let (old, used): (v7::ArtifactV7, usize) =
                bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?;
            (old.into(), used)
        } else {
            bincode::serde::decode_from_slice(payload, bincode_config()).map_err(cannot)?
        };
        if used != payload.len() {
            return Err(Error::Artifact(format!("{} unexpected bytes after the model", payload.len() - used)));
        }
        artifact.validate()?;
        Ok(artifact)
    }

    /// Consistency checks an artifact must pass before it may score.
    pub fn validate(&self) -> Result<()> {
        self.spec.validate()?;
        self.encoder.validate()?;
        if self.model.weights.len() != self.encoder.n_columns {
            return Err(Error::ShapeMismatch { weights: self.model.weights.len(), columns: self.encoder.n_columns });
        }
        if !self.model.intercept.is_finite() || self.model.weights.iter().any(|w| !w.is_finite()) {
            return Err(Error::Artifact("model has non-finite coefficients".into()));
        }
        if let FittedOn::AllRows { evaluated } = &self.fitted_on {
            if evaluated.weights.len() != self.encoder.n_columns {
                return Err(Error::ShapeMismatch { weights: evaluated.weights.len(), columns: self.encoder.n_columns });
            }
            if !evaluated.intercept.is_finite() || evaluated.weights.iter().any(|w| !w.is_finite()) {
                return Err(Error::Artifact("the evaluated model has non-finite coefficients".into()));
            }
        }
        if !self.evidence.is_empty() && self.evidence.len() != self.encoder.n_columns {
            return Err(Error::Artifact(format!(
                "evidence for {} columns, the model has {}",
                self.evidence.len(),
                self.encoder.n_columns
            )));
        }
        Ok(())
    }

    /// The model the held-out figures describe, as a whole artifact: itself when it was fitted on
    /// the training part, else a copy holding the fit on the training part. Anything judged on
    /// the held-out leads (`compare --holdout`, the retraining gate) scores with this one, since
    /// a refit on all leads has seen them.
    pub fn evaluated(&self) -> std::borrow::Cow<'_, Artifact> {
        match &self.fitted_on {
            FittedOn::TrainingPart => std::borrow::Cow::Borrowed(self),
            FittedOn::AllRows { evaluated } => std::borrow::Cow::Owned(Artifact {
                model: evaluated.clone(),
                fitted_on: FittedOn::TrainingPart,
                ..self.clone()
            }),
        }
    }

    /// A short content id (first 12 hex digits of the payload's SHA-256), for logs and cards.
    pub fn checksum(bytes: &[u8]) -> String {
        bytes.get(20..26).map_or_else(String::new, |b| b.iter().map(|x| format!("{x:02x}")).collect())
    }
}
