//! stub: the training report (replaced by the report helper)
use leadscore_core::Artifact;
/// A self-contained HTML report of a trained model.
pub fn report_html(artifact: &Artifact, version: &str) -> String {
    format!("<!doctype html><title>{} {version}</title><p>AUC {:?}</p>", artifact.name, artifact.holdout.auc)
}
