//! Synthetic B2B leads drawn from a documented logistic ground truth.
//!
//! # Why this exists
//!
//! A lead-scoring model can only be checked against reality when reality is
//! known. `leadscore synth --rows N --seed S` produces CRM-export-like leads
//! whose outcome is drawn from the logistic model below, so that:
//!
//! * the committed ~20k-row sample is realistic training data (skewed counts,
//!   missing revenue, messy categorical spellings, form placeholders, rare
//!   levels, inconsistent booleans), exercising the cleaning code;
//! * tests can check that the trainer recovers the coefficients of the table
//!   below and that its held-out AUC is close to the AUC of the true
//!   probabilities ([`SynthLead::true_probability`]);
//! * a benchmark can stream 1,000,000 rows ([`generate`] is a lazy iterator,
//!   [`write_csv`] never holds more than one row).
//!
//! Everything is drawn from one [`ChaCha8Rng`] seeded with
//! [`SynthParams::seed`] (including the messiness), so the same parameters
//! give a byte-identical CSV.
//!
//! # Ground truth
//!
//! `logit(p) = INTERCEPT + Σ effects`, `won ~ Bernoulli(p)`. The logit is a
//! function of exactly what the CSV row says once cleaned, and every term is
//! expressible in a standard encoding (one-hot with a reference level and a
//! missing level, `ln(1 + count)`, a boolean indicator, recency bins, `ln` of
//! revenue with single-value imputation), so a logistic regression on that
//! encoding is correctly specified and recovers the table. The constants
//! live in [`truth`]; [`truth::true_logit`] evaluates the formula.
//!
//! | term | encoding | effect on the logit |
//! |---|---|---|
//! | intercept | | `-4.0` ([`truth::INTERCEPT`]) |
//! | `job_level` | one-hot, ref `Individual Contributor` | C-Level `+0.9`, VP `+0.8`, Director `+0.6`, Manager `+0.3`, Individual Contributor `0`, Student `-1.5` |
//! | `lead_source` | one-hot, ref `Organic Search` | Organic Search `0`, Paid Search `-0.3`, LinkedIn `+0.1`, Referral `+0.9`, Webinar `+0.4`, Trade Show `+0.5`, Email Campaign `-0.2`, Partner `+0.7` |
//! | `industry` | one-hot, ref `Manufacturing` | Software `+0.5`, Financial Services `+0.3`, Healthcare `+0.2`, Manufacturing `0`, Retail `-0.2`, Education `-0.6`, Media `0`, Telecommunications `+0.2`, Energy `+0.1`, Non-profit `-0.7` |
//! | `company_size` | one-hot, ref `51-200` | 1-10 `-0.8`, 11-50 `-0.3`, 51-200 `0`, 201-1000 `+0.3`, 1001-5000 `+0.4`, 5000+ `+0.2` |
//! | `country` | one-hot, ref `United States` | `0` for every country, the rare `Iceland` and `Luxembourg` included (recovered coefficients should be ≈ 0) |
//! | `department` | one-hot, ref `IT` | Marketing `+0.25`, Sales `+0.1`, IT `0`, Operations `0`, Finance `0`, Engineering `-0.1`, HR `-0.2` |
//! | placeholder (`Select`, `N/A`, empty) in `country`, `industry`, `job_level`, `department`, `company_size` | its own "missing" level | `0`, same as the reference ([`truth::MISSING_LEVEL_EFFECT`]) |
//! | `pricing_page_visits` | `ln(1 + x)` | `+0.8` ([`truth::BETA_LOG_PRICING`]) |
//! | `page_views` | `ln(1 + x)` | `+0.3` ([`truth::BETA_LOG_VIEWS`]) |
//! | `email_clicks` | `ln(1 + x)` | `+0.4` ([`truth::BETA_LOG_CLICKS`]) |
//! | `email_opens` | `ln(1 + x)` | `0` (correlated with clicks, no effect of its own) |
//! | `content_downloads` | linear `x` | `+0.15` per download ([`truth::BETA_CONTENT_DOWNLOADS`]) |
//! | `demo_requested` | 0/1 | `+1.6` ([`truth::BETA_DEMO_REQUESTED`]) |
//! | `webinar_attended` | 0/1 | `+0.4` ([`truth::BETA_WEBINAR_ATTENDED`]) |
//! | `days_since_last_activity` | step: `<= 7` / `8..=30` / `> 30` | `0` / `-0.5` / `-1.5` ([`truth::recency_effect`]) |
//! | `annual_revenue` | `ln(revenue / 1,000,000 USD)` | `+0.1` ([`truth::BETA_LOG_REVENUE`]) |
//! | `annual_revenue` blank (~15%) | `ln` evaluated at $30M | `+0.1 * ln(30) ≈ +0.34` ([`truth::REVENUE_WHEN_MISSING_USD`]) |
//! | `created_at`, `lead_id` | | none (no drift) |
//!
//! With [`SynthParams::interactions`] (`leadscore synth --interactions`) two
//! pair effects are added to the logit, for testing that training finds
//! interactions (and only those): the leads and their cells are the same
//! draws, only the outcomes change.
//!
//! | pair | effect on the logit |
//! |---|---|
//! | `job_level` × `demo_requested` | a C-Level, VP or Director who requested a demo: `+1.0` ([`truth::BETA_SENIOR_DEMO`]) |
//! | `industry` × `pricing_page_visits` | Software with 2 or more pricing page visits: `+1.2` ([`truth::BETA_SOFTWARE_PRICING`]) |
//!
//! Notes for anyone testing recovery:
//!
//! * The revenue term is `ln` of revenue in **millions** of USD, so the
//!   intercept is the logit of a reference lead with zero counts, recent
//!   activity and $1M revenue. A model using raw `ln(revenue)` recovers the
//!   same slope and an intercept of `INTERCEPT - 0.1 * ln(1e6) ≈ -5.38`.
//! * The recency effect is a step function with breaks at 7 and 30 days: a
//!   linear term cannot follow it, quantile bins (or these exact bins) can.
//! * Engagement counts, webinar, demo and recency are all driven by one latent
//!   engagement score (and by source / job level), so they are correlated
//!   like real data, but the outcome depends on the latent score only through
//!   the observed columns: the logistic model above is correctly specified.
//! * Missing values are part of the export, and the truth is defined on the
//!   export. Placeholders are drawn completely at random (a few % per
//!   column: `country` 2%, `industry` 3%, `job_level` 2%, `department` 4%,
//!   `company_size` 2%; `lead_source` is never missing) and count as a level
//!   with effect 0. Blank revenue (15%, completely at random) is scored at
//!   $30M, about the geometric mean revenue, as median imputation would: so
//!   a model that imputes `ln(revenue)` with one value (the median: $26M) and
//!   adds a missing indicator is exactly specified; the indicator's true
//!   coefficient is `0.1 * (ln(30) - ln(imputed $M))` (≈ +0.015 for the
//!   median) and blank rows win about as often as the rest. Imputing per
//!   `company_size` bucket instead is *mis*specified (revenue tracks size).
//! * Cleaning rule that recovers the canonical values exactly: trim the
//!   cell, match it case-insensitively against the level names in
//!   [`truth`]; `Select`, `N/A` and empty mean missing. Booleans: `yes`,
//!   `y`, `true`, `1` (any case) are true, `no`, `n`, `false`, `0` false.
//! * Checked when this was written: a plain (unpenalised) logistic regression
//!   with that encoding on 1M rows put all 58 coefficients within 2 standard
//!   errors of this table (standard errors ≈ 0.01-0.03; at 20k rows they are
//!   ≈ 0.05-0.15, larger for rare levels).
//!
//! # What the CSV looks like
//!
//! Columns are [`HEADER`]. Rows are sorted by `created_at` (ascending,
//! evenly spread over the 731 days from 2024-01-01 to 2025-12-31) and
//! `lead_id` is `L0000001`, `L0000002`, … in that order, so "newest 20% of
//! rows" is a time-based holdout. The outcome does not depend on the date.
//!
//! Messiness, per cell: ~4% of categorical cells are case/whitespace variants
//! (`linkedin`, `LINKEDIN`, ` LinkedIn `, `LinkedIn  `), placeholders as
//! above, revenue blank in ~15% of rows; booleans are mostly
//! `yes`/`no` with `Yes`, `TRUE`, `1`, `Y` / `No`, `FALSE`, `0`, `N` mixed in;
//! `country` has two rare levels (`Iceland`, `Luxembourg`) seen only a handful
//! of times per 20k rows; `email_clicks <= email_opens` always holds.

use std::borrow::Cow;
use std::convert::Infallible;

use chrono::{Datelike, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Binomial, Distribution, Poisson, StandardNormal};

/// The CSV header, in column order. Other code depends on these names and
/// this order.
pub const HEADER: [&str; 18] = [
    "lead_id",
    "created_at",
    "lead_source",
    "country",
    "industry",
    "job_level",
    "department",
    "company_size",
    "annual_revenue",
    "page_views",
    "pricing_page_visits",
    "email_opens",
    "email_clicks",
    "content_downloads",
    "webinar_attended",
    "demo_requested",
    "days_since_last_activity",
    "outcome",
];

/// Number of distinct `created_at` days: 2024-01-01 through 2025-12-31.
pub const DATE_SPAN_DAYS: usize = 731;

/// First possible `created_at` date (2024-01-01).
pub fn start_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2024, 1, 1).expect("2024-01-01 is a valid date")
}

/// Parameters of one generation run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SynthParams {
    /// Number of leads to generate.
    pub rows: usize,
    /// Seed of the [`ChaCha8Rng`]; the same seed and row count give the same
    /// leads and a byte-identical CSV.
    pub seed: u64,
    /// Add the two pair effects of [`truth::interaction_effect`] to the logit.
    pub interactions: bool,
}

/// The ground-truth logistic model the outcomes are drawn from.
///
/// Effect tables list every canonical level of a column, in the order the
/// generator uses, with its additive effect on the logit. The reference level
/// of each column has effect `0.0`.
pub mod truth {
    use super::SynthLead;

    /// Logit of a reference lead: Individual Contributor, Organic Search,
    /// Manufacturing, 51-200 employees, zero counts, no webinar or demo,
    /// activity within 7 days and $1M revenue.
    pub const INTERCEPT: f64 = -4.0;

    /// `job_level` effects; reference `Individual Contributor`.
    pub const JOB_LEVEL_EFFECTS: [(&str, f64); 6] = [
        ("C-Level", 0.9),
        ("VP", 0.8),
        ("Director", 0.6),
        ("Manager", 0.3),
        ("Individual Contributor", 0.0),
        ("Student", -1.5),
    ];
    /// Reference level of `job_level`.
    pub const JOB_LEVEL_REFERENCE: &str = "Individual Contributor";

    /// `lead_source` effects; reference `Organic Search`.
    pub const LEAD_SOURCE_EFFECTS: [(&str, f64); 8] = [
        ("Organic Search", 0.0),
        ("Paid Search", -0.3),
        ("LinkedIn", 0.1),
        ("Referral", 0.9),
        ("Webinar", 0.4),
        ("Trade Show", 0.5),
        ("Email Campaign", -0.2),
        ("Partner", 0.7),
    ];
    /// Reference level of `lead_source`.
    pub const LEAD_SOURCE_REFERENCE: &str = "Organic Search";

    /// `industry` effects; reference `Manufacturing`. `Media` is a
    /// non-reference level whose true effect is also zero.
    pub const INDUSTRY_EFFECTS: [(&str, f64); 10] = [
        ("Software", 0.5),
        ("Financial Services", 0.3),
        ("Healthcare", 0.2),
        ("Manufacturing", 0.0),
        ("Retail", -0.2),
        ("Education", -0.6),
        ("Media", 0.0),
        ("Telecommunications", 0.2),
        ("Energy", 0.1),
        ("Non-profit", -0.7),
    ];
    /// Reference level of `industry`.
    pub const INDUSTRY_REFERENCE: &str = "Manufacturing";

    /// `company_size` effects; reference `51-200`. Deliberately not
    /// monotonic: the largest companies convert less than mid-size ones.
    pub const COMPANY_SIZE_EFFECTS: [(&str, f64); 6] =
        [("1-10", -0.8), ("11-50", -0.3), ("51-200", 0.0), ("201-1000", 0.3), ("1001-5000", 0.4), ("5000+", 0.2)];
    /// Reference level of `company_size`.
    pub const COMPANY_SIZE_REFERENCE: &str = "51-200";

    /// `country` effects: all zero, so a fitted model should find ≈ 0.
    /// `Iceland` and `Luxembourg` are rare levels.
    pub const COUNTRY_EFFECTS: [(&str, f64); 10] = [
        ("United States", 0.0),
        ("United Kingdom", 0.0),
        ("Germany", 0.0),
        ("Canada", 0.0),
        ("France", 0.0),
        ("Australia", 0.0),
        ("India", 0.0),
        ("Netherlands", 0.0),
        ("Iceland", 0.0),
        ("Luxembourg", 0.0),
    ];
    /// Reference level of `country`.
    pub const COUNTRY_REFERENCE: &str = "United States";

    /// `department` effects (small); reference `IT`.
    pub const DEPARTMENT_EFFECTS: [(&str, f64); 7] = [
        ("Marketing", 0.25),
        ("Sales", 0.1),
        ("IT", 0.0),
        ("Operations", 0.0),
        ("Finance", 0.0),
        ("Engineering", -0.1),
        ("HR", -0.2),
    ];
    /// Reference level of `department`.
    pub const DEPARTMENT_REFERENCE: &str = "IT";

    /// Coefficient of `ln(1 + pricing_page_visits)`.
    pub const BETA_LOG_PRICING: f64 = 0.8;
    /// Coefficient of `ln(1 + page_views)`.
    pub const BETA_LOG_VIEWS: f64 = 0.3;
    /// Coefficient of `ln(1 + email_clicks)`.
    pub const BETA_LOG_CLICKS: f64 = 0.4;
    /// Coefficient of `ln(1 + email_opens)`: zero, opens only matter through
    /// clicks.
    pub const BETA_LOG_OPENS: f64 = 0.0;
    /// Coefficient of `content_downloads` (linear, per download).
    pub const BETA_CONTENT_DOWNLOADS: f64 = 0.15;
    /// Effect of `demo_requested == true`.
    pub const BETA_DEMO_REQUESTED: f64 = 1.6;
    /// Effect of `webinar_attended == true`.
    pub const BETA_WEBINAR_ATTENDED: f64 = 0.4;
    /// Coefficient of `ln(annual_revenue / REVENUE_UNIT_USD)`.
    pub const BETA_LOG_REVENUE: f64 = 0.1;
    /// Unit the revenue term is measured in: millions of USD.
    pub const REVENUE_UNIT_USD: f64 = 1_000_000.0;

    /// Inclusive upper bounds (days) of the first two recency bins:
    /// `0..=7`, `8..=30`, then `31..`.
    pub const RECENCY_BIN_UPPER: [u32; 2] = [7, 30];
    /// Effect of each recency bin, matching [`RECENCY_BIN_UPPER`].
    pub const RECENCY_EFFECTS: [f64; 3] = [0.0, -0.5, -1.5];

    fn lookup(table: &[(&str, f64)], level: &str) -> f64 {
        table.iter().find(|(name, _)| *name == level).map_or(0.0, |(_, effect)| *effect)
    }

    /// Effect of a canonical `job_level` name; `0.0` for unknown names.
    pub fn job_level_effect(level: &str) -> f64 {
        lookup(&JOB_LEVEL_EFFECTS, level)
    }

    /// Effect of a canonical `lead_source` name; `0.0` for unknown names.
    pub fn lead_source_effect(source: &str) -> f64 {
        lookup(&LEAD_SOURCE_EFFECTS, source)
    }

    /// Effect of a canonical `industry` name; `0.0` for unknown names.
    pub fn industry_effect(industry: &str) -> f64 {
        lookup(&INDUSTRY_EFFECTS, industry)
    }

    /// Effect of a canonical `company_size` bucket; `0.0` for unknown names.
    pub fn company_size_effect(size: &str) -> f64 {
        lookup(&COMPANY_SIZE_EFFECTS, size)
    }

    /// Effect of a canonical `country` name (always `0.0`).
    pub fn country_effect(country: &str) -> f64 {
        lookup(&COUNTRY_EFFECTS, country)
    }

    /// Effect of a canonical `department` name; `0.0` for unknown names.
    pub fn department_effect(department: &str) -> f64 {
        lookup(&DEPARTMENT_EFFECTS, department)
    }

    /// Step effect of `days_since_last_activity`.
    pub fn recency_effect(days: u32) -> f64 {
        if days <= RECENCY_BIN_UPPER[0] {
            RECENCY_EFFECTS[0]
        } else if days <= RECENCY_BIN_UPPER[1] {
            RECENCY_EFFECTS[1]
        } else {
            RECENCY_EFFECTS[2]
        }
    }

    /// Revenue the revenue term is evaluated at when the CSV cell is blank:
    /// $30M, about the geometric mean of all generated revenue, i.e. what a
    /// single-value (median) imputation of `ln(revenue)` sees.
    pub const REVENUE_WHEN_MISSING_USD: f64 = 30_000_000.0;

    /// Effect of a categorical cell that holds a placeholder (`Select`,
    /// `N/A`, empty): the same as the reference level.
    pub const MISSING_LEVEL_EFFECT: f64 = 0.0;

    /// Revenue term `BETA_LOG_REVENUE * ln(revenue / REVENUE_UNIT_USD)`,
    /// evaluated at [`REVENUE_WHEN_MISSING_USD`] for a blank cell.
    pub fn revenue_effect(annual_revenue: Option<f64>) -> f64 {
        let revenue = annual_revenue.unwrap_or(REVENUE_WHEN_MISSING_USD);
        BETA_LOG_REVENUE * (revenue / REVENUE_UNIT_USD).ln()
    }

    /// The true logit of a lead, from its canonical fields, i.e. from exactly
    /// what its CSV row says once cleaned (placeholders are `None`).
    pub fn true_logit(lead: &SynthLead) -> f64 {
        let ln1p = |x: u32| f64::from(x).ln_1p();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        let level = |value: Option<&str>, effect: fn(&str) -> f64| value.map_or(MISSING_LEVEL_EFFECT, effect);
        INTERCEPT
            + level(lead.job_level, job_level_effect)
            + lead_source_effect(lead.lead_source)
            + level(lead.industry, industry_effect)
            + level(lead.company_size, company_size_effect)
            + level(lead.country, country_effect)
            + level(lead.department, department_effect)
            + BETA_LOG_PRICING * ln1p(lead.pricing_page_visits)
            + BETA_LOG_VIEWS * ln1p(lead.page_views)
            + BETA_LOG_CLICKS * ln1p(lead.email_clicks)
            + BETA_LOG_OPENS * ln1p(lead.email_opens)
            + BETA_CONTENT_DOWNLOADS * f64::from(lead.content_downloads)
            + BETA_DEMO_REQUESTED * flag(lead.demo_requested)
            + BETA_WEBINAR_ATTENDED * flag(lead.webinar_attended)
            + recency_effect(lead.days_since_last_activity)
            + revenue_effect(lead.annual_revenue)
    }

    /// Effect of a C-Level, VP or Director who requested a demo (with `--interactions`).
    pub const BETA_SENIOR_DEMO: f64 = 1.0;
    /// Effect of a Software lead with 2 or more pricing page visits (with `--interactions`).
    pub const BETA_SOFTWARE_PRICING: f64 = 1.2;

    /// The pair effects added to [`true_logit`] by `--interactions`.
    pub fn interaction_effect(lead: &SynthLead) -> f64 {
        let senior = matches!(lead.job_level, Some("C-Level" | "VP" | "Director"));
        let seniority = if senior && lead.demo_requested { BETA_SENIOR_DEMO } else { 0.0 };
        let software = if lead.industry == Some("Software") && lead.pricing_page_visits >= 2 {
            BETA_SOFTWARE_PRICING
        } else {
            0.0
        };
        seniority + software
    }

    /// The logistic function, `1 / (1 + e^-x)`.
    pub fn sigmoid(x: f64) -> f64 {
        1.0 / (1.0 + (-x).exp())
    }
}

/// The cells of a lead as written to the CSV, messiness included.
#[derive(Debug, Clone, PartialEq)]
pub struct MessyCells {
    /// `lead_source` as written (case/whitespace variants, never missing).
    pub lead_source: Cow<'static, str>,
    /// `country` as written (variants or `Select` / `N/A` / empty).
    pub country: Cow<'static, str>,
    /// `industry` as written (variants or placeholders).
    pub industry: Cow<'static, str>,
    /// `job_level` as written (variants or placeholders).
    pub job_level: Cow<'static, str>,
    /// `department` as written (variants or placeholders).
    pub department: Cow<'static, str>,
    /// `company_size` as written (whitespace variants or placeholders).
    pub company_size: Cow<'static, str>,
    /// `webinar_attended` as written (`yes`, `Yes`, `TRUE`, `1`, `no`, `N`, …).
    pub webinar_attended: &'static str,
    /// `demo_requested` as written.
    pub demo_requested: &'static str,
}

/// One generated lead: the clean canonical values the ground truth is
/// computed from, the truth itself, and the messy cells written to the CSV.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthLead {
    /// `L0000001`-style id, unique within a run (in creation order).
    pub id: String,
    /// Creation date, 2024-01-01 ..= 2025-12-31; non-decreasing along a run.
    pub created_at: NaiveDate,
    /// Canonical lead source (a name from [`truth::LEAD_SOURCE_EFFECTS`]).
    pub lead_source: &'static str,
    /// Canonical country (a name from [`truth::COUNTRY_EFFECTS`]); `None`
    /// when the CSV cell is a placeholder (`Select`, `N/A`, empty).
    pub country: Option<&'static str>,
    /// Canonical industry (from [`truth::INDUSTRY_EFFECTS`]); `None` for a
    /// placeholder.
    pub industry: Option<&'static str>,
    /// Canonical job level (from [`truth::JOB_LEVEL_EFFECTS`]); `None` for a
    /// placeholder.
    pub job_level: Option<&'static str>,
    /// Canonical department (from [`truth::DEPARTMENT_EFFECTS`]); `None` for
    /// a placeholder.
    pub department: Option<&'static str>,
    /// Canonical company size bucket (from [`truth::COMPANY_SIZE_EFFECTS`]);
    /// `None` for a placeholder.
    pub company_size: Option<&'static str>,
    /// Annual revenue in USD, a whole number of thousands; `None` when the
    /// CSV cell is empty (~15% of rows, completely at random).
    pub annual_revenue: Option<f64>,
    /// Website page views.
    pub page_views: u32,
    /// Visits to the pricing page.
    pub pricing_page_visits: u32,
    /// Marketing emails opened.
    pub email_opens: u32,
    /// Marketing email clicks; never more than `email_opens`.
    pub email_clicks: u32,
    /// Content (white papers, e-books) downloaded.
    pub content_downloads: u32,
    /// Attended a webinar.
    pub webinar_attended: bool,
    /// Requested a demo.
    pub demo_requested: bool,
    /// Days since the lead's last tracked activity.
    pub days_since_last_activity: u32,
    /// `sigmoid(truth::true_logit(self))`, plus [`truth::interaction_effect`] with `interactions`.
    pub true_probability: f64,
    /// The drawn outcome: `won` with probability `true_probability`.
    pub won: bool,
    /// The cells as written to the CSV.
    pub messy: MessyCells,
}

impl SynthLead {
    /// The messy CSV cells, in [`HEADER`] order.
    pub fn to_record(&self) -> [String; 18] {
        let mut record: [String; 18] = Default::default();
        let mut i = 0;
        let filled = self.visit_cells(|cell| {
            // Every cell is built from `&str`s and ASCII digits: valid UTF-8.
            record[i] = String::from_utf8_lossy(cell).into_owned();
            i += 1;
            Ok::<(), Infallible>(())
        });
        match filled {
            Ok(()) => record,
            Err(never) => match never {},
        }
    }

    /// Calls `emit` with each CSV cell in [`HEADER`] order, formatting
    /// numbers on the stack so that writing a row allocates nothing.
    fn visit_cells<E>(&self, mut emit: impl FnMut(&[u8]) -> Result<(), E>) -> Result<(), E> {
        let mut digits = [0u8; 20];
        let m = &self.messy;
        emit(self.id.as_bytes())?;
        emit(&format_date(self.created_at))?;
        emit(m.lead_source.as_bytes())?;
        emit(m.country.as_bytes())?;
        emit(m.industry.as_bytes())?;
        emit(m.job_level.as_bytes())?;
        emit(m.department.as_bytes())?;
        emit(m.company_size.as_bytes())?;
        match self.annual_revenue {
            // Revenue is a positive whole number of dollars far below 2^53,
            // so the conversion is exact.
            Some(revenue) => emit(format_u64(revenue.round() as u64, &mut digits))?,
            None => emit(b"")?,
        }
        for count in
            [self.page_views, self.pricing_page_visits, self.email_opens, self.email_clicks, self.content_downloads]
        {
            emit(format_u64(u64::from(count), &mut digits))?;
        }
        emit(m.webinar_attended.as_bytes())?;
        emit(m.demo_requested.as_bytes())?;
        emit(format_u64(u64::from(self.days_since_last_activity), &mut digits))?;
        emit(if self.won { b"won" } else { b"lost" })
    }
}

/// Decimal digits of `value`, written into the end of `buf`.
fn format_u64(mut value: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            return &buf[start..];
        }
    }
}

/// `YYYY-MM-DD` (years 0..=9999, which covers every date generated here).
fn format_date(date: NaiveDate) -> [u8; 10] {
    let year = date.year().clamp(0, 9999) as u32;
    let (month, day) = (date.month(), date.day());
    let digit = |v: u32| b'0' + (v % 10) as u8;
    [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ]
}

/// `L0000001`-style id of the lead at zero-based `index`: at least 7 digits.
fn lead_id(index: usize) -> String {
    let mut digits = [0u8; 20];
    let number = format_u64(index as u64 + 1, &mut digits);
    let mut id = String::with_capacity(1 + number.len().max(7));
    id.push('L');
    for _ in number.len()..7 {
        id.push('0');
    }
    id.extend(number.iter().map(|&d| char::from(d)));
    id
}

/// Streams `params.rows` leads, deterministically for `params.seed`.
///
/// Leads come out sorted by `created_at`; nothing is buffered, so any number
/// of rows runs in constant memory.
pub fn generate(params: &SynthParams) -> impl Iterator<Item = SynthLead> {
    LeadGenerator {
        rng: ChaCha8Rng::seed_from_u64(params.seed),
        rows: params.rows,
        interactions: params.interactions,
        next: 0,
        dates: start_date().iter_days().take(DATE_SPAN_DAYS).collect(),
    }
}

/// Writes [`HEADER`] and `params.rows` generated leads as CSV to `out`;
/// returns the number of rows written (header excluded).
pub fn write_csv<W: std::io::Write>(params: &SynthParams, out: W) -> Result<u64, csv::Error> {
    let mut writer = csv::WriterBuilder::new().buffer_capacity(1 << 16).from_writer(out);
    writer.write_record(HEADER)?;
    let mut written = 0u64;
    for lead in generate(params) {
        lead.visit_cells(|cell| writer.write_field(cell))?;
        writer.write_record(None::<&[u8]>)?;
        written += 1;
    }
    writer.flush()?;
    Ok(written)
}

// ---------------------------------------------------------------------------
// Generation
// ---------------------------------------------------------------------------

/// Sampling weights, aligned index by index with the `truth` effect tables.
const JOB_LEVEL_WEIGHTS: [f64; 6] = [0.06, 0.08, 0.16, 0.26, 0.38, 0.06];
const LEAD_SOURCE_WEIGHTS: [f64; 8] = [0.25, 0.20, 0.12, 0.07, 0.08, 0.06, 0.15, 0.07];
const INDUSTRY_WEIGHTS: [f64; 10] = [0.18, 0.12, 0.11, 0.14, 0.09, 0.07, 0.06, 0.08, 0.08, 0.07];
const COMPANY_SIZE_WEIGHTS: [f64; 6] = [0.15, 0.22, 0.25, 0.20, 0.11, 0.07];
/// Iceland and Luxembourg are rare: ~6 and ~8 rows per 20k.
const COUNTRY_WEIGHTS: [f64; 10] = [0.40, 0.12, 0.10, 0.08, 0.07, 0.06, 0.09, 0.0793, 0.0003, 0.0004];
const DEPARTMENT_WEIGHTS: [f64; 7] = [0.28, 0.20, 0.18, 0.12, 0.08, 0.10, 0.04];

/// Median annual revenue (USD) per company size bucket.
const REVENUE_MEDIAN_BY_SIZE: [f64; 6] = [0.8e6, 5e6, 25e6, 120e6, 600e6, 4e9];
/// Log-scale standard deviation of revenue within a size bucket.
const REVENUE_LOG_SD: f64 = 0.8;
/// Share of rows whose revenue cell is empty (completely at random).
const REVENUE_MISSING_RATE: f64 = 0.15;

/// Shift of the latent engagement score by lead source (aligned with
/// `truth::LEAD_SOURCE_EFFECTS`).
const ENGAGEMENT_BY_SOURCE: [f64; 8] = [0.0, -0.3, 0.0, 0.3, 0.4, 0.1, -0.1, 0.2];
/// Shift of the latent engagement score by job level: students browse a lot
/// but rarely buy, executives browse little.
const ENGAGEMENT_BY_JOB: [f64; 6] = [-0.3, -0.2, 0.0, 0.1, 0.0, 0.4];
/// Index of `Webinar` in `truth::LEAD_SOURCE_EFFECTS`.
const WEBINAR_SOURCE: usize = 4;
/// Index of `1-10` in `truth::COMPANY_SIZE_EFFECTS`, and of `C-Level` in
/// `truth::JOB_LEVEL_EFFECTS`: small companies are often run by the person
/// who fills in the form.
const SMALLEST_SIZE: usize = 0;
const C_LEVEL: usize = 0;

/// Share of categorical cells written as a case/whitespace variant.
const VARIANT_RATE: f64 = 0.04;
/// Share of cells replaced by a form placeholder, per column.
const PLACEHOLDER_RATE_COUNTRY: f64 = 0.02;
const PLACEHOLDER_RATE_INDUSTRY: f64 = 0.03;
const PLACEHOLDER_RATE_JOB_LEVEL: f64 = 0.02;
const PLACEHOLDER_RATE_DEPARTMENT: f64 = 0.04;
const PLACEHOLDER_RATE_COMPANY_SIZE: f64 = 0.02;
const PLACEHOLDERS: [&str; 3] = ["Select", "N/A", ""];

/// Spellings of booleans with their cumulative probabilities.
const TRUE_SPELLINGS: [(&str, f64); 5] = [("yes", 0.80), ("Yes", 0.88), ("TRUE", 0.93), ("1", 0.97), ("Y", 1.0)];
const FALSE_SPELLINGS: [(&str, f64); 5] = [("no", 0.80), ("No", 0.86), ("0", 0.92), ("N", 0.96), ("FALSE", 1.0)];

struct LeadGenerator {
    rng: ChaCha8Rng,
    rows: usize,
    interactions: bool,
    next: usize,
    dates: Vec<NaiveDate>,
}

impl Iterator for LeadGenerator {
    type Item = SynthLead;

    fn next(&mut self) -> Option<SynthLead> {
        if self.next >= self.rows {
            return None;
        }
        let index = self.next;
        self.next += 1;
        Some(self.lead(index))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.rows - self.next;
        (left, Some(left))
    }
}

impl LeadGenerator {
    fn lead(&mut self, index: usize) -> SynthLead {
        let rng = &mut self.rng;

        // Stratified dates: row i falls in [i, i+1) / rows of the span, so
        // rows are sorted and evenly spread.
        let position = (index as f64 + rng.gen::<f64>()) / self.rows as f64;
        let day = ((position * DATE_SPAN_DAYS as f64) as usize).min(DATE_SPAN_DAYS - 1);
        let created_at = self.dates[day];

        let source = pick(rng, &LEAD_SOURCE_WEIGHTS);
        let size = pick(rng, &COMPANY_SIZE_WEIGHTS);
        let job = {
            let mut weights = JOB_LEVEL_WEIGHTS;
            if size == SMALLEST_SIZE {
                weights[C_LEVEL] *= 4.0;
            }
            pick(rng, &weights)
        };
        let industry = pick(rng, &INDUSTRY_WEIGHTS);
        let country = pick(rng, &COUNTRY_WEIGHTS);
        let department = pick(rng, &DEPARTMENT_WEIGHTS);

        let log_revenue = REVENUE_MEDIAN_BY_SIZE[size].ln() + REVENUE_LOG_SD * normal(rng);
        let annual_revenue = (log_revenue.exp() / 1000.0).round().max(1.0) * 1000.0;

        // Latent engagement drives every behavioural column.
        let z = normal(rng) + ENGAGEMENT_BY_SOURCE[source] + ENGAGEMENT_BY_JOB[job];
        let page_views = poisson_lognormal(rng, 1.8 + 0.55 * z, 0.5);
        let pricing_page_visits = poisson_lognormal(rng, -1.0 + 0.8 * z, 0.4);
        let email_opens = poisson_lognormal(rng, 1.1 + 0.4 * z, 0.7);
        let email_clicks = binomial(rng, email_opens, sigmoid(-1.6 + 0.5 * z));
        let content_downloads = poisson_lognormal(rng, -1.1 + 0.5 * z, 0.5);
        let webinar_boost = if source == WEBINAR_SOURCE { 3.0 } else { 0.0 };
        let webinar_attended = rng.gen::<f64>() < sigmoid(-2.2 + 0.5 * z + webinar_boost);
        let demo_requested = rng.gen::<f64>() < sigmoid(-3.2 + 0.8 * z + 0.6 * f64::from(pricing_page_visits).ln_1p());
        let demo_shift = if demo_requested { -0.4 } else { 0.0 };
        let days_since_last_activity = ((2.7 - 0.5 * z + demo_shift + normal(rng)).exp().floor()).min(540.0) as u32;

        // The export: which cells are blank or placeholders, and how the rest
        // are spelled. Masking is completely at random, and the truth below
        // is computed from the exported values, so a model that sees only the
        // CSV can be exactly right.
        let (_, lead_source_cell) = messy_category(rng, truth::LEAD_SOURCE_EFFECTS[source].0, 0.0);
        let (country, country_cell) = messy_category(rng, truth::COUNTRY_EFFECTS[country].0, PLACEHOLDER_RATE_COUNTRY);
        let (industry, industry_cell) =
            messy_category(rng, truth::INDUSTRY_EFFECTS[industry].0, PLACEHOLDER_RATE_INDUSTRY);
        let (job_level, job_level_cell) =
            messy_category(rng, truth::JOB_LEVEL_EFFECTS[job].0, PLACEHOLDER_RATE_JOB_LEVEL);
        let (department, department_cell) =
            messy_category(rng, truth::DEPARTMENT_EFFECTS[department].0, PLACEHOLDER_RATE_DEPARTMENT);
        let (company_size, company_size_cell) =
            messy_category(rng, truth::COMPANY_SIZE_EFFECTS[size].0, PLACEHOLDER_RATE_COMPANY_SIZE);
        let revenue_reported = rng.gen::<f64>() >= REVENUE_MISSING_RATE;

        let mut lead = SynthLead {
            id: lead_id(index),
            created_at,
            lead_source: truth::LEAD_SOURCE_EFFECTS[source].0,
            country,
            industry,
            job_level,
            department,
            company_size,
            annual_revenue: revenue_reported.then_some(annual_revenue),
            page_views,
            pricing_page_visits,
            email_opens,
            email_clicks,
            content_downloads,
            webinar_attended,
            demo_requested,
            days_since_last_activity,
            true_probability: 0.0,
            won: false,
            messy: MessyCells {
                lead_source: lead_source_cell,
                country: country_cell,
                industry: industry_cell,
                job_level: job_level_cell,
                department: department_cell,
                company_size: company_size_cell,
                webinar_attended: messy_bool(rng, webinar_attended),
                demo_requested: messy_bool(rng, demo_requested),
            },
        };
        let pairs = if self.interactions { truth::interaction_effect(&lead) } else { 0.0 };
        lead.true_probability = sigmoid(truth::true_logit(&lead) + pairs);
        lead.won = rng.gen::<f64>() < lead.true_probability;
        lead
    }
}

fn sigmoid(x: f64) -> f64 {
    truth::sigmoid(x)
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    rng.sample(StandardNormal)
}

/// Index drawn with probability proportional to `weights`.
fn pick(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut u = rng.gen::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i;
        }
        u -= w;
    }
    weights.len() - 1
}

/// Poisson-lognormal draw: Poisson with rate `exp(mu + sigma * N(0, 1))`.
fn poisson_lognormal(rng: &mut ChaCha8Rng, mu: f64, sigma: f64) -> u32 {
    let log_rate = mu + sigma * normal(rng);
    poisson(rng, log_rate.exp())
}

/// Poisson draw. Small rates (the vast majority here) use inversion with a
/// single uniform, which is much cheaper than building a `Poisson` (whose
/// constructor evaluates `ln Γ`); larger rates use `rand_distr`. `lambda` is
/// clamped into the range where `Poisson::new` cannot fail (positive, finite)
/// and counts stay plausible.
fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> u32 {
    let lambda = if lambda.is_finite() { lambda.clamp(1e-6, 1e4) } else { 1e4 };
    if lambda < 30.0 {
        let u = rng.gen::<f64>();
        let mut k = 0u32;
        let mut term = (-lambda).exp();
        let mut cumulative = term;
        // The cap only guards against a pathological u ≈ 1 with rounding;
        // P(X > 200) for lambda < 30 is far below f64 resolution.
        while u > cumulative && k < 200 {
            k += 1;
            term *= lambda / f64::from(k);
            cumulative += term;
        }
        return k;
    }
    match Poisson::new(lambda) {
        Ok(dist) => {
            let draw: f64 = dist.sample(rng);
            draw as u32
        }
        Err(_) => 0,
    }
}

/// Binomial draw of `n` trials with success probability `p` (clamped).
fn binomial(rng: &mut ChaCha8Rng, n: u32, p: f64) -> u32 {
    if n == 0 {
        return 0;
    }
    match Binomial::new(u64::from(n), p.clamp(0.0, 1.0)) {
        // At most n successes, so the value fits in u32.
        Ok(dist) => dist.sample(rng).min(u64::from(n)) as u32,
        Err(_) => 0,
    }
}

/// A categorical cell as a CRM export writes it: usually the canonical name,
/// sometimes a placeholder (probability `placeholder_rate`, and then the
/// clean value is `None`), sometimes a case/whitespace variant
/// ([`VARIANT_RATE`]). Returns the clean value and the written cell.
fn messy_category(
    rng: &mut ChaCha8Rng,
    canonical: &'static str,
    placeholder_rate: f64,
) -> (Option<&'static str>, Cow<'static, str>) {
    let u = rng.gen::<f64>();
    if u < placeholder_rate {
        let placeholder = PLACEHOLDERS[rng.gen_range(0..PLACEHOLDERS.len())];
        (None, Cow::Borrowed(placeholder))
    } else if u < placeholder_rate + VARIANT_RATE {
        let variant = match rng.gen_range(0..5u8) {
            0 | 1 => canonical.to_lowercase(),
            2 => canonical.to_uppercase(),
            3 => format!(" {canonical} "),
            _ => format!("{canonical}  "),
        };
        (Some(canonical), Cow::Owned(variant))
    } else {
        (Some(canonical), Cow::Borrowed(canonical))
    }
}

/// A boolean cell: mostly `yes`/`no`, sometimes another spelling.
fn messy_bool(rng: &mut ChaCha8Rng, value: bool) -> &'static str {
    let spellings = if value { &TRUE_SPELLINGS } else { &FALSE_SPELLINGS };
    let u = rng.gen::<f64>();
    spellings.iter().find(|(_, cumulative)| u < *cumulative).map_or(spellings[0].0, |(spelling, _)| spelling)
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn csv_bytes(rows: usize, seed: u64) -> Result<Vec<u8>, csv::Error> {
        let mut out = Vec::new();
        write_csv(&SynthParams { rows, seed, interactions: false }, &mut out)?;
        Ok(out)
    }

    fn leads(rows: usize, seed: u64) -> Vec<SynthLead> {
        generate(&SynthParams { rows, seed, interactions: false }).collect()
    }

    #[test]
    fn same_seed_same_bytes_different_seed_different_bytes() -> TestResult {
        let a = csv_bytes(2_000, 7)?;
        let b = csv_bytes(2_000, 7)?;
        let c = csv_bytes(2_000, 8)?;
        assert_eq!(a, b);
        assert_ne!(a, c);
        Ok(())
    }

    #[test]
    fn write_csv_matches_to_record_and_header() -> TestResult {
        let params = SynthParams { rows: 500, seed: 3, interactions: false };
        let mut bytes = Vec::new();
        let written = write_csv(&params, &mut bytes)?;
        assert_eq!(written, 500);

        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::None).from_reader(bytes.as_slice());
        let header: Vec<String> = reader.headers()?.iter().map(str::to_owned).collect();
        assert_eq!(header, HEADER);
        let rows = reader.records().collect::<Result<Vec<_>, _>>()?;
        assert_eq!(rows.len(), 500);
        for (row, lead) in rows.iter().zip(generate(&params)) {
            let expected = lead.to_record();
            let actual: Vec<&str> = row.iter().collect();
            assert_eq!(actual, expected.iter().map(String::as_str).collect::<Vec<_>>());
        }
        Ok(())
    }

    #[test]
    fn zero_rows_writes_only_the_header() -> TestResult {
        let bytes = csv_bytes(0, 1)?;
        assert_eq!(String::from_utf8(bytes)?.lines().count(), 1);
        Ok(())
    }

    #[test]
    fn won_rate_is_between_10_and_15_percent_and_matches_true_probability() {
        let all = leads(20_000, 42);
        let n = all.len() as f64;
        let won = all.iter().filter(|l| l.won).count() as f64 / n;
        assert!((0.10..=0.15).contains(&won), "won rate {won}");
        let mean_p = all.iter().map(|l| l.true_probability).sum::<f64>() / n;
        // Outcomes are independent Bernoulli(p_i): the won rate has standard
        // error sqrt(sum p(1-p)) / n; allow 4 of them.
        let se = all.iter().map(|l| l.true_probability * (1.0 - l.true_probability)).sum::<f64>().sqrt() / n;
        assert!((won - mean_p).abs() < 4.0 * se, "won {won} vs mean p {mean_p}");
    }

    #[test]
    fn true_probability_is_the_documented_logit() {
        for lead in leads(200, 5) {
            let p = truth::sigmoid(truth::true_logit(&lead));
            assert!((p - lead.true_probability).abs() < 1e-12);
        }
        assert_eq!(truth::recency_effect(7), 0.0);
        assert_eq!(truth::recency_effect(8), -0.5);
        assert_eq!(truth::recency_effect(30), -0.5);
        assert_eq!(truth::recency_effect(31), -1.5);
        assert_eq!(truth::job_level_effect(truth::JOB_LEVEL_REFERENCE), 0.0);
        assert_eq!(truth::lead_source_effect(truth::LEAD_SOURCE_REFERENCE), 0.0);
        assert_eq!(truth::industry_effect(truth::INDUSTRY_REFERENCE), 0.0);
        assert_eq!(truth::company_size_effect(truth::COMPANY_SIZE_REFERENCE), 0.0);
        assert_eq!(truth::country_effect(truth::COUNTRY_REFERENCE), 0.0);
        assert_eq!(truth::department_effect(truth::DEPARTMENT_REFERENCE), 0.0);
        assert_eq!(truth::job_level_effect("C-Level"), 0.9);
        assert_eq!(truth::job_level_effect("no such level"), 0.0);
    }

    #[test]
    fn counts_are_consistent_and_skewed() {
        let all = leads(20_000, 11);
        assert!(all.iter().all(|l| l.email_clicks <= l.email_opens));
        // Skewed: the mean exceeds the median for page views.
        let mut views: Vec<u32> = all.iter().map(|l| l.page_views).collect();
        views.sort_unstable();
        let mean = views.iter().map(|&v| f64::from(v)).sum::<f64>() / views.len() as f64;
        assert!(mean > f64::from(views[views.len() / 2]));
        // Every recency bin is well populated, so the step is learnable.
        for bin in 0..3 {
            let share = all
                .iter()
                .filter(|l| {
                    let d = l.days_since_last_activity;
                    match bin {
                        0 => d <= 7,
                        1 => (8..=30).contains(&d),
                        _ => d > 30,
                    }
                })
                .count() as f64
                / all.len() as f64;
            assert!(share > 0.15, "recency bin {bin} share {share}");
        }
    }

    #[test]
    fn about_15_percent_of_revenue_is_missing() {
        let all = leads(20_000, 13);
        let missing = all.iter().filter(|l| l.annual_revenue.is_none()).count() as f64 / all.len() as f64;
        assert!((0.135..=0.165).contains(&missing), "missing {missing}");
        // Revenue grows with company size.
        let median_log = |size: &str| {
            let mut v: Vec<f64> = all
                .iter()
                .filter(|l| l.company_size == Some(size))
                .filter_map(|l| l.annual_revenue.map(f64::ln))
                .collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        assert!(median_log("1-10") < median_log("51-200"));
        assert!(median_log("51-200") < median_log("5000+"));
    }

    #[test]
    fn ids_unique_and_dates_sorted_within_two_years() {
        let all = leads(5_000, 17);
        assert_eq!(all[0].id, "L0000001");
        assert_eq!(all[4_999].id, "L0005000");
        let start = start_date();
        let end = NaiveDate::from_ymd_opt(2025, 12, 31).expect("valid date");
        assert!(all.windows(2).all(|w| w[0].created_at <= w[1].created_at));
        assert!(all.iter().all(|l| l.created_at >= start && l.created_at <= end));
        assert!(all[0].created_at < start + chrono::Days::new(10));
        assert!(all[4_999].created_at > end - chrono::Days::new(10));
    }

    #[test]
    fn messy_variants_placeholders_booleans_and_rare_levels_appear() -> TestResult {
        let text = String::from_utf8(csv_bytes(20_000, 42)?)?;
        let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::None).from_reader(text.as_bytes());
        let mut source = std::collections::HashMap::<String, usize>::new();
        let mut job = std::collections::HashMap::<String, usize>::new();
        let mut country = std::collections::HashMap::<String, usize>::new();
        let mut booleans = std::collections::HashSet::<String>::new();
        for row in reader.records() {
            let row = row?;
            *source.entry(row[2].to_owned()).or_default() += 1;
            *country.entry(row[3].to_owned()).or_default() += 1;
            *job.entry(row[5].to_owned()).or_default() += 1;
            booleans.insert(row[14].to_owned());
            booleans.insert(row[15].to_owned());
        }
        for variant in ["linkedin", "LINKEDIN", " LinkedIn ", "LinkedIn  "] {
            assert!(source.contains_key(variant), "missing variant {variant:?}");
        }
        for placeholder in ["Select", "N/A", ""] {
            assert!(job.contains_key(placeholder), "missing {placeholder:?}");
        }
        for spelling in ["yes", "no", "Yes", "TRUE", "1", "0", "N"] {
            assert!(booleans.contains(spelling), "missing boolean {spelling:?}");
        }
        // Variants are a few percent, not the norm.
        let canonical = source.get("LinkedIn").copied().unwrap_or(0) as f64;
        let variants = ["linkedin", "LINKEDIN", " LinkedIn ", "LinkedIn  "]
            .iter()
            .map(|v| source.get(*v).copied().unwrap_or(0))
            .sum::<usize>() as f64;
        let share = variants / (canonical + variants);
        assert!((0.01..=0.08).contains(&share), "variant share {share}");
        // Rare countries: a handful of rows each.
        for rare in ["Iceland", "Luxembourg"] {
            let seen = country.get(rare).copied().unwrap_or(0);
            assert!((1..=25).contains(&seen), "{rare} seen {seen} times");
        }
        Ok(())
    }

    /// The documented cleaning rule, as a trainer would implement it.
    fn clean(cell: &str, levels: &[(&'static str, f64)]) -> Option<&'static str> {
        let cell = cell.trim();
        levels.iter().map(|(name, _)| *name).find(|name| name.eq_ignore_ascii_case(cell))
    }

    fn clean_bool(cell: &str) -> Option<bool> {
        match cell.trim().to_ascii_lowercase().as_str() {
            "yes" | "y" | "true" | "1" => Some(true),
            "no" | "n" | "false" | "0" => Some(false),
            _ => None,
        }
    }

    #[test]
    fn cleaning_the_messy_cells_recovers_the_canonical_values() -> TestResult {
        let mut placeholders = 0;
        for lead in leads(20_000, 23) {
            let m = &lead.messy;
            assert_eq!(clean(&m.lead_source, &truth::LEAD_SOURCE_EFFECTS), Some(lead.lead_source));
            assert_eq!(clean(&m.country, &truth::COUNTRY_EFFECTS), lead.country);
            assert_eq!(clean(&m.industry, &truth::INDUSTRY_EFFECTS), lead.industry);
            assert_eq!(clean(&m.job_level, &truth::JOB_LEVEL_EFFECTS), lead.job_level);
            assert_eq!(clean(&m.department, &truth::DEPARTMENT_EFFECTS), lead.department);
            assert_eq!(clean(&m.company_size, &truth::COMPANY_SIZE_EFFECTS), lead.company_size);
            for cell in [&m.country, &m.industry, &m.job_level, &m.department, &m.company_size] {
                if clean(cell, &[]).is_none() && ["Select", "N/A", ""].contains(&cell.as_ref()) {
                    placeholders += 1;
                }
            }
            assert_eq!(clean_bool(m.webinar_attended), Some(lead.webinar_attended));
            assert_eq!(clean_bool(m.demo_requested), Some(lead.demo_requested));
            let record = lead.to_record();
            let revenue = record[8].parse::<f64>().ok();
            assert_eq!(revenue, lead.annual_revenue);
        }
        // 2-4% of five columns of 20k rows.
        assert!((1_500..=4_000).contains(&placeholders), "{placeholders}");
        Ok(())
    }

    #[test]
    fn blank_revenue_rows_win_about_as_often_as_the_rest() {
        let all = leads(200_000, 29);
        let rate = |blank: bool| {
            let group: Vec<&SynthLead> = all.iter().filter(|l| l.annual_revenue.is_none() == blank).collect();
            group.iter().filter(|l| l.won).count() as f64 / group.len() as f64
        };
        let (blank, reported) = (rate(true), rate(false));
        // ~30k blank rows: standard error of their won rate ≈ 0.002.
        assert!((blank - reported).abs() < 0.01, "{blank} vs {reported}");
    }

    #[test]
    fn generator_levels_all_have_truth_entries() {
        assert_eq!(JOB_LEVEL_WEIGHTS.len(), truth::JOB_LEVEL_EFFECTS.len());
        assert_eq!(LEAD_SOURCE_WEIGHTS.len(), truth::LEAD_SOURCE_EFFECTS.len());
        assert_eq!(truth::LEAD_SOURCE_EFFECTS[WEBINAR_SOURCE].0, "Webinar");
        assert_eq!(truth::COMPANY_SIZE_EFFECTS[SMALLEST_SIZE].0, "1-10");
        assert_eq!(truth::JOB_LEVEL_EFFECTS[C_LEVEL].0, "C-Level");
        let all = leads(20_000, 19);
        for size in truth::COMPANY_SIZE_EFFECTS.iter().map(|(s, _)| *s) {
            assert!(all.iter().any(|l| l.company_size == Some(size)));
        }
        for level in truth::JOB_LEVEL_EFFECTS.iter().map(|(s, _)| *s) {
            assert!(all.iter().any(|l| l.job_level == Some(level)));
        }
    }
}
