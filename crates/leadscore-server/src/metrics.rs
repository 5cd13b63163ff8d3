//! Prometheus metrics, kept in plain atomics and maps and written as the text
//! exposition format. Small enough that a metrics crate would add more than it saves.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Latency bucket bounds in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];
/// Score distribution bucket bounds (probabilities).
const SCORE_BUCKETS: [f64; 10] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

#[derive(Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], v: f64) {
        if self.counts.len() != bounds.len() {
            self.counts = vec![0; bounds.len()];
        }
        for (i, b) in bounds.iter().enumerate() {
            if v <= *b {
                self.counts[i] += 1;
            }
        }
        self.sum += v;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, b) in bounds.iter().enumerate() {
            let _ =
                writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{b}\"}} {}", self.counts.get(i).copied().unwrap_or(0));
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// Requests of one route: counts by status and the latency histogram.
#[derive(Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    latency: Histogram,
}

/// All counters the server exposes at `/metrics`.
#[derive(Default)]
pub struct Metrics {
    /// By route: one lock per request, and a route's name is allocated once, not per request.
    routes: Mutex<BTreeMap<String, RouteStats>>,
    scores: Mutex<Histogram>,
    leads_scored: AtomicU64,
    reload_ok: AtomicU64,
    reload_failed: AtomicU64,
    refused_files: AtomicU64,
    /// What the last reload left served and wrong, written whole by each reload.
    registry: Mutex<RegistryGauges>,
}

/// The registry as the last reload left it.
#[derive(Default)]
struct RegistryGauges {
    /// (name, version, checksum, is the default) of each model's serving version.
    served: Vec<(String, String, String, bool)>,
    /// Problems by model (`""`: the registry root).
    problems: BTreeMap<String, u64>,
    /// Files refused now.
    refused: u64,
}

impl Metrics {
    /// Records one finished request.
    pub fn request(&self, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut routes) = self.routes.lock() {
            let stats = match routes.get_mut(route) {
                Some(stats) => stats,
                None => routes.entry(route.to_owned()).or_default(),
            };
            *stats.by_status.entry(status).or_default() += 1;
            stats.latency.observe(&LATENCY_BUCKETS, elapsed.as_secs_f64());
        }
    }

    /// Records served probabilities.
    pub fn scores(&self, probabilities: impl Iterator<Item = f64>) {
        if let Ok(mut h) = self.scores.lock() {
            let mut n = 0;
            for p in probabilities {
                h.observe(&SCORE_BUCKETS, p);
                n += 1;
            }
            self.leads_scored.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// Records a reload: what it serves and what is wrong (gauges, from `set`), and
    /// `newly_refused`, the files refused with content not refused before (a counter).
    pub fn reloaded(&self, set: &crate::state::ModelSet, newly_refused: u64) {
        let ok = set.problems.is_empty() && newly_refused == 0;
        if ok { &self.reload_ok } else { &self.reload_failed }.fetch_add(1, Ordering::Relaxed);
        self.refused_files.fetch_add(newly_refused, Ordering::Relaxed);
        let mut gauges = RegistryGauges { refused: set.failures.len() as u64, ..RegistryGauges::default() };
        for (name, named) in &set.models {
            if let Some(model) = named.current.as_ref().and_then(|v| named.versions.get(v)) {
                let default = set.default.as_deref() == Some(name.as_str());
                gauges.served.push((name.clone(), model.version.clone(), model.checksum.clone(), default));
            }
        }
        for p in &set.problems {
            *gauges.problems.entry(p.model.clone().unwrap_or_default()).or_default() += 1;
        }
        if let Ok(mut g) = self.registry.lock() {
            *g = gauges;
        }
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP leadscore_http_requests_total HTTP requests by route and status.\n# TYPE leadscore_http_requests_total counter\n");
        let routes = self.routes.lock();
        if let Ok(m) = &routes {
            for (route, stats) in m.iter() {
                for (status, n) in &stats.by_status {
                    let _ = writeln!(out, "leadscore_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}");
                }
            }
        }
        out.push_str("# HELP leadscore_http_request_duration_seconds Request latency by route.\n# TYPE leadscore_http_request_duration_seconds histogram\n");
        if let Ok(m) = &routes {
            for (route, stats) in m.iter() {
                stats.latency.write(
                    &mut out,
                    "leadscore_http_request_duration_seconds",
                    &format!("route=\"{route}\""),
                    &LATENCY_BUCKETS,
                );
            }
        }
        drop(routes);
        out.push_str(
            "# HELP leadscore_leads_scored_total Leads scored.\n# TYPE leadscore_leads_scored_total counter\n",
        );
        let _ = writeln!(out, "leadscore_leads_scored_total {}", self.leads_scored.load(Ordering::Relaxed));
        out.push_str("# HELP leadscore_score_probability Distribution of served probabilities.\n# TYPE leadscore_score_probability histogram\n");
        if let Ok(h) = self.scores.lock() {
            h.write(&mut out, "leadscore_score_probability", "", &SCORE_BUCKETS);
        }
        out.push_str(
            "# HELP leadscore_model_info The version each model serves, as loaded in memory (value 1).\n# TYPE leadscore_model_info gauge\n",
        );
        let registry = self.registry.lock();
        if let Ok(g) = &registry {
            for (name, version, checksum, default) in &g.served {
                let _ = writeln!(
                    out,
                    "leadscore_model_info{{name=\"{name}\",version=\"{version}\",checksum=\"{checksum}\",default=\"{default}\"}} 1"
                );
            }
            out.push_str("# HELP leadscore_registry_problems What in the registry cannot be read and is worked around, by model (details in /v1/models).\n# TYPE leadscore_registry_problems gauge\n");
            for (model, n) in &g.problems {
                let _ = writeln!(out, "leadscore_registry_problems{{model=\"{model}\"}} {n}");
            }
            out.push_str("# HELP leadscore_model_files_refused Model files refused now.\n# TYPE leadscore_model_files_refused gauge\n");
            let _ = writeln!(out, "leadscore_model_files_refused {}", g.refused);
        }
        drop(registry);
        out.push_str(
            "# HELP leadscore_reloads_total Registry reloads by outcome.\n# TYPE leadscore_reloads_total counter\n",
        );
        let _ =
            writeln!(out, "leadscore_reloads_total{{outcome=\"success\"}} {}", self.reload_ok.load(Ordering::Relaxed));
        let _ = writeln!(
            out,
            "leadscore_reloads_total{{outcome=\"failure\"}} {}",
            self.reload_failed.load(Ordering::Relaxed)
        );
        out.push_str("# HELP leadscore_model_files_refused_total Distinct model file contents refused (corrupt, truncated, foreign, failed probe).\n# TYPE leadscore_model_files_refused_total counter\n");
        let _ = writeln!(out, "leadscore_model_files_refused_total {}", self.refused_files.load(Ordering::Relaxed));
        out
    }
}
