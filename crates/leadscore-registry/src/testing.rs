//! Test fixtures: real artifacts (the shipped model, nudged so each version differs) in a
//! temporary registry, since an alias only ever names a version whose model loads.

use std::path::Path;

use leadscore_core::Artifact;

use crate::Registry;

/// The shipped model with its intercept moved by `i / 1000`: distinct bytes per `i`.
pub fn model_bytes(i: u32) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models/leads/v1/model.bin");
    let mut artifact = Artifact::from_bytes(&std::fs::read(path).unwrap()).unwrap();
    artifact.model.intercept += f64::from(i) / 1000.0;
    artifact.to_bytes().unwrap()
}

/// A registry holding `leads` v1..=v`n`, `CURRENT` at v1 (published as `train` would).
pub fn registry_with(n: u32) -> (tempfile::TempDir, Registry) {
    let dir = tempfile::tempdir().unwrap();
    let reg = Registry::new(dir.path());
    reg.publish("leads", &model_bytes(1), b"{}", b"<html>").unwrap();
    for i in 2..=n {
        reg.publish_candidate("leads", &model_bytes(i), |_| (b"{}".to_vec(), b"<html>".to_vec())).unwrap();
    }
    (dir, reg)
}
