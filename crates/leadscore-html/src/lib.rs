//! leadscore's pages for people: self-contained HTML with inline SVG charts.
//!
//! Why a crate of its own: the training report (`report.html`, written by
//! `leadscore train`), the comparison report (`compare.html`, by `leadscore
//! compare`) and the server's dashboard (`GET /`) must draw the same charts
//! with the same code, and the server may not depend on the trainer (which
//! links linfa). Everything here is a pure function of core types: no I/O,
//! no clock, no network; the same input gives the same bytes.
//!
//! - [`plot`]: hand-written SVG charts (lines, scatter, bars, histograms);
//! - [`report`]: the training report of an artifact;
//! - [`compare`]: the model against points rules, from a core `Comparison`;
//! - [`dashboard`]: the server's page for marketers, with a threshold slider;
//! - [`monitor`]: a model in production, from the monitor's report;
//! - [`promotion`]: the promotion gate's section of the report (candidate against current).
#![warn(missing_docs)]

pub mod compare;
pub mod dashboard;
pub mod monitor;
pub mod plot;
pub mod promotion;
pub mod report;

#[cfg(test)]
pub(crate) mod testing {
    use leadscore_core::Artifact;

    /// The shipped model (`models/leads`), trained from `data/` by `leadscore train`:
    /// `(version, artifact)`.
    pub(crate) fn shipped() -> (String, Artifact) {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/leads");
        let version = std::fs::read_to_string(root.join("CURRENT")).expect("models/leads/CURRENT");
        let bytes = std::fs::read(root.join(version.trim()).join("model.bin")).expect("the shipped model");
        (version.trim().to_owned(), Artifact::from_bytes(&bytes).expect("the shipped model decodes"))
    }
}
