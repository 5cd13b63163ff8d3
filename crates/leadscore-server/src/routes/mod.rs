//! One module per group of routes; what they share on the way in is `extract`.
pub mod admin;
pub mod compare;
pub mod dashboard;
pub mod health;
pub mod models;
pub mod monitor;
pub mod outcomes;
pub mod score;
pub mod score_csv;
