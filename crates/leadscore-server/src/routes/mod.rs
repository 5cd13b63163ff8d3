//! One module per group of routes.
pub mod compare;
pub mod dashboard;
pub mod health;
pub mod models;
pub mod score;
