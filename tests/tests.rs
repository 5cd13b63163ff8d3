//! End-to-end tests of the `leadscore` binary: one test binary, one module per area.
// Test helpers may unwrap: a failure there is a failed test, with its message.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod util;

mod bad_data;
mod cli_limits;
mod csv_http;
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
mod refit;
mod reload_faults;
mod reload_load;
mod retrain;
mod retrain_http;
mod retrain_load;
mod sampled_search;
mod serve_process;
mod server_limits;
mod shadow_http;
mod shapes;
mod shipped_model;
mod sql_engines;
mod store;
