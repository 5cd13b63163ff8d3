//! One module per group of routes.
pub mod health;
pub mod models;
pub mod score;
