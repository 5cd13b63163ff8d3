//! End-to-end tests of the `leadscore` binary: one test binary, one module per area.
// Test helpers may unwrap: a failure there is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod util;

mod bad_data;
mod dates;
mod feedback_faults;
mod feedback_http;
mod feedback_pg;
mod http;
mod http_props;
mod marketers;
mod marketers_http;
mod model_quality;
mod pairs;
mod reload_faults;
mod reload_load;
mod retrain;
mod serve_process;
mod shipped_model;
mod sql_engines;
mod store;
