//! Unit tests of the rules: every operator, caps, decay, and every mistake `check` names.

use super::*;
use crate::spec::{FeatureSpec, TargetSpec};
use crate::Error;

/// A data spec with one column of every kind.
fn spec() -> Spec {
    let mut spec = Spec::new(TargetSpec { column: "outcome".into(), positive: vec!["won".into()], negative: vec![] });
    spec.ids = vec!["lead_id".into()];
    spec.time_column = Some("created_at".into());
    spec.exclude.insert("notes".into(), "free text filled in by sales".into());
    for (name, kind) in [
        ("job_level", Kind::Categorical),
        ("email", Kind::Categorical),
        ("visits", Kind::Numeric),
        ("days_quiet", Kind::Numeric),
        ("demo", Kind::Boolean),
        ("last_seen", Kind::Date),
    ] {
        spec.features.insert(name.into(), FeatureSpec::new(kind));
    }
    spec
}

fn rules(body: &str) -> RuleSet {
    RuleSet::from_toml_str(&format!("mql_threshold = 50\n{body}"), &spec()).unwrap_or_else(|e| panic!("{e}"))
}

/// The total points of a lead given as (field, cell) pairs; absent fields are missing.
#[track_caller]
fn points(set: &RuleSet, lead: &[(&str, &str)]) -> f64 {
    let score = set
        .score(|name| lead.iter().find(|(n, _)| *n == name).map_or(RawValue::Missing, |(_, v)| RawValue::Text(v)))
        .unwrap();
    score.total
}

#[track_caller]
fn check_points(body: &str, cases: &[(&[(&str, &str)], f64)]) {
    let set = rules(body);
    for (lead, expected) in cases {
        let got = points(&set, lead);
        assert!((got - expected).abs() < 1e-9, "lead {lead:?}: got {got}, expected {expected}");
    }
}

#[test]
fn equals_reads_cells_like_the_model() {
    // "VP" in the rule and " vp ", "Vp" in the data are one level (case and space folded).
    let body = r#"
[[rules]]
name = "VP"
when = { field = "job_level", equals = "VP" }
points = 15
"#;
    check_points(
        body,
        &[
            (&[("job_level", " vp ")], 15.0),
            (&[("job_level", "Vp")], 15.0),
            (&[("job_level", "Director")], 0.0),
            // `Select` is a missing token of the spec: not a VP.
            (&[("job_level", "Select")], 0.0),
            (&[], 0.0),
        ],
    );
}

#[test]
fn equals_on_numbers_booleans_and_dates() {
    let body = r#"
[[rules]]
name = "exactly 3 visits"
when = { field = "visits", equals = 3 }
points = 1
[[rules]]
name = "demo"
when = { field = "demo", equals = true }
points = 10
[[rules]]
name = "launch day"
when = { field = "last_seen", equals = "2024-06-01" }
points = 100
"#;
    check_points(
        body,
        &[
            (&[("visits", "3.0")], 1.0),
            (&[("visits", "3.5")], 0.0),
            // yes/no read with the model's spellings
            (&[("demo", "Yes")], 10.0),
            (&[("demo", "1")], 10.0),
            (&[("demo", "no")], 0.0),
            // the date parser takes timestamps too: 1 + 10 + 100
            (&[("visits", "3"), ("demo", "y"), ("last_seen", "2024-06-01T09:30:00Z")], 111.0),
        ],
    );
}

#[test]
fn in_a_set() {
    let body = r#"
[[rules]]
name = "Senior"
when = { field = "job_level", in = ["VP", "C-Level", "Director"] }
points = 12
"#;
    check_points(
        body,
        &[
            (&[("job_level", "c-level")], 12.0),
            (&[("job_level", "DIRECTOR")], 12.0),
            (&[("job_level", "Manager")], 0.0),
            (&[], 0.0),
        ],
    );
}

#[test]
fn numeric_comparisons_and_ranges() {
    let body = r#"
[[rules]]
name = "few"
when = { field = "visits", lt = 3 }
points = -5
[[rules]]
name = "some"
when = { field = "visits", gte = 3, lte = 9 }
points = 5
[[rules]]
name = "many"
when = { field = "visits", gt = 9 }
points = 20
"#;
    check_points(
        body,
        &[
            (&[("visits", "0")], -5.0),
            (&[("visits", "2.99")], -5.0),
            (&[("visits", "3")], 5.0),
            (&[("visits", "9")], 5.0),
            (&[("visits", "9.01")], 20.0),
            // missing: no range matches
            (&[("visits", "NA")], 0.0),
        ],
    );
}

#[test]
fn date_ranges() {
    let body = r#"
[[rules]]
name = "recent"
when = { field = "last_seen", gte = "2024-06-01", lt = 2024-07-01 }
points = 7
"#;
    check_points(
        body,
        &[
            (&[("last_seen", "2024-06-01")], 7.0),
            (&[("last_seen", "2024-06-30")], 7.0),
            (&[("last_seen", "2024-07-01")], 0.0),
        ],
    );
}

#[test]
fn present_and_absent() {
    let body = r#"
[[rules]]
name = "gave a level"
when = { field = "job_level", present = true }
points = 3
[[rules]]
name = "no visit count"
when = { field = "visits", present = false }
points = -2
"#;
    check_points(
        body,
        &[
            (&[("job_level", "Manager"), ("visits", "4")], 3.0),
            // `Select` and `N/A` are missing tokens
            (&[("job_level", "Select"), ("visits", "N/A")], -2.0),
            (&[], -2.0),
        ],
    );
}

#[test]
fn contains_text() {
    let body = r#"
[[rules]]
name = "free mail"
when = { field = "email", contains = ["@gmail.", "@YAHOO."] }
points = -10
[[rules]]
name = "edu"
when = { field = "email", contains = ".edu" }
points = -4
"#;
    check_points(
        body,
        &[
            (&[("email", "ann@gmail.com")], -10.0),
            (&[("email", "Bob@Yahoo.co.uk")], -10.0),
            (&[("email", "x@uni.edu")], -4.0),
            (&[("email", "eve@acme.com")], 0.0),
            (&[], 0.0),
        ],
    );
}

#[test]
fn all_any_not() {
    let body = r#"
[[rules]]
name = "senior and engaged"
when = { all = [ { field = "job_level", in = ["VP", "C-Level"] }, { field = "visits", gte = 5 } ] }
points = 20
[[rules]]
name = "demo or many visits"
when = { any = [ { field = "demo", equals = true }, { field = "visits", gte = 10 } ] }
points = 8
[[rules]]
name = "not a student"
when = { not = { field = "job_level", equals = "Student" } }
points = 1
"#;
    check_points(
        body,
        &[
            // all: 20; any (visits >= 10): 8; not student: 1
            (&[("job_level", "VP"), ("visits", "12")], 29.0),
            // all fails (visits 4 < 5); any via demo: 8; not student: 1
            (&[("job_level", "VP"), ("visits", "4"), ("demo", "yes")], 9.0),
            // a student: only `any` could fire, and it does not
            (&[("job_level", "Student"), ("visits", "1")], 0.0),
            // missing level is "not Student": 1
            (&[], 1.0),
        ],
    );
}

#[test]
fn points_per_unit_with_a_cap() {
    let body = r#"
[[rules]]
name = "per visit"
per = "visits"
points = 10
max = 30
[[rules]]
name = "per quiet day, floored"
per = "days_quiet"
points = -1
min = -20
"#;
    check_points(
        body,
        &[
            // 2 visits * 10 = 20; 5 quiet days * -1 = -5
            (&[("visits", "2"), ("days_quiet", "5")], 15.0),
            // 7 visits * 10 = 70 capped at 30; 45 days * -1 = -45 floored at -20
            (&[("visits", "7"), ("days_quiet", "45")], 10.0),
            // a missing `per` field: the rule does not fire
            (&[], 0.0),
        ],
    );
    let set = rules(body);
    let score = set.score(|n| if n == "visits" { RawValue::Number(2.5) } else { RawValue::Missing }).unwrap();
    assert_eq!(score.fired, vec![FiredRule { rule: 0, points: 25.0 }]);
    // zero visits give no points, so the rule does not count as fired
    let score = set.score(|n| if n == "visits" { RawValue::Number(0.0) } else { RawValue::Missing }).unwrap();
    assert_eq!(score.fired, vec![]);
}

#[test]
fn group_subtotals_and_caps() {
    let body = r#"
[groups.fit]
max = 25
min = -10
[groups.engagement]
max = 40

[[rules]]
name = "VP"
group = "fit"
when = { field = "job_level", equals = "VP" }
points = 15
[[rules]]
name = "demo"
group = "fit"
when = { field = "demo", equals = true }
points = 20
[[rules]]
name = "student"
group = "fit"
when = { field = "job_level", equals = "Student" }
points = -30
[[rules]]
name = "visits"
group = "engagement"
per = "visits"
points = 5
[[rules]]
name = "bonus"
points = 1
"#;
    let set = rules(body);
    let lead = [("job_level", "VP"), ("demo", "yes"), ("visits", "10")];
    let score = set
        .score(|n| lead.iter().find(|(k, _)| *k == n).map_or(RawValue::Missing, |(_, v)| RawValue::Text(v)))
        .unwrap();
    // fit: 15 + 20 = 35, capped at 25; engagement: 10 * 5 = 50, capped at 40; ungrouped bonus 1.
    assert_eq!(score.groups, vec![25.0, 40.0]);
    assert_eq!(score.ungrouped, 1.0);
    assert_eq!(score.total, 66.0);
    assert!(score.mql);
    // A student: fit -30 floored at -10; no visits; bonus 1 = -9.
    assert_eq!(points(&set, &[("job_level", "Student")]), -9.0);
}

#[test]
fn half_life_decay() {
    let body = r#"
[groups.engagement]
decay = { field = "days_quiet", half_life_days = 30 }
[[rules]]
name = "visits"
group = "engagement"
per = "visits"
points = 10
"#;
    check_points(
        body,
        &[
            // 4 visits = 40 points; 0 days: 40; 30 days: 20; 60 days: 10; 15 days: 40 / sqrt(2)
            (&[("visits", "4"), ("days_quiet", "0")], 40.0),
            (&[("visits", "4"), ("days_quiet", "30")], 20.0),
            (&[("visits", "4"), ("days_quiet", "60")], 10.0),
            (&[("visits", "4"), ("days_quiet", "15")], 40.0 / 2f64.sqrt()),
            // unknown recency: undecayed
            (&[("visits", "4")], 40.0),
        ],
    );
}

#[test]
fn step_decay_and_caps_come_first() {
    let body = r#"
[groups.engagement]
max = 30
decay = { field = "days_quiet", after_days = 30, minus = 10 }
[[rules]]
name = "visits"
group = "engagement"
per = "visits"
points = 10
[[rules]]
name = "student"
group = "engagement"
when = { field = "job_level", equals = "Student" }
points = -50
"#;
    check_points(
        body,
        &[
            // 5 visits = 50, capped at 30, then 31 quiet days: 30 - 10 = 20
            (&[("visits", "5"), ("days_quiet", "31")], 20.0),
            // 29 days: not yet
            (&[("visits", "5"), ("days_quiet", "29")], 30.0),
            // exactly 30 days: decayed
            (&[("visits", "5"), ("days_quiet", "30")], 20.0),
            // 0.5 visits = 5 points, minus 10 would be -5: decay stops at 0
            (&[("visits", "0.5"), ("days_quiet", "90")], 0.0),
            // a negative subtotal is not decayed: 1 visit + student = 10 - 50 = -40
            (&[("visits", "1"), ("job_level", "student"), ("days_quiet", "90")], -40.0),
        ],
    );
}

#[test]
fn rule_decay_by_date_needs_as_of() {
    let text = r#"
mql_threshold = 10
as_of = "2024-03-31"
[[rules]]
name = "webinar"
points = 16
decay = { field = "last_seen", half_life_days = 10 }
"#;
    let set = RuleSet::from_toml_str(text, &spec()).unwrap();
    // 2024-03-11 is 20 days before as_of: 16 / 4 = 4
    assert_eq!(points(&set, &[("last_seen", "2024-03-11")]), 4.0);
    assert_eq!(points(&set, &[("last_seen", "2024-03-31")]), 16.0);
}

#[test]
fn bad_cells_are_the_models_errors() {
    let set = rules("[[rules]]\nname = \"v\"\nwhen = { field = \"visits\", gt = 1 }\npoints = 1\n");
    let err = set.score(|_| RawValue::Text("lots")).unwrap_err();
    assert_eq!(err.to_string(), "column `visits`: cannot parse \"lots\" as a number");
}

#[test]
fn json_values_score_like_text() {
    let set = rules(
        "[[rules]]\nname = \"d\"\nwhen = { field = \"demo\", equals = true }\npoints = 4\n\
         [[rules]]\nname = \"v\"\nper = \"visits\"\npoints = 2\n",
    );
    let score = set
        .score(|n| match n {
            "demo" => RawValue::Bool(true),
            "visits" => RawValue::Number(3.0),
            _ => RawValue::Missing,
        })
        .unwrap();
    assert_eq!(score.total, 10.0);
}

/// The mistakes `check` reports for `text`, as `line: message` strings.
fn mistakes(text: &str) -> Vec<String> {
    check(text, Some(&spec())).iter().map(ToString::to_string).collect()
}

#[track_caller]
fn check_mistake(text: &str, line: u64, needle: &str) {
    let found = mistakes(text);
    assert!(
        found.iter().any(|m| m.starts_with(&format!("line {line}: ")) && m.contains(needle)),
        "expected a mistake on line {line} containing {needle:?}, got {found:#?}"
    );
}

#[test]
fn a_good_file_has_no_mistakes() {
    let text = r#"mql_threshold = 40
[groups.fit]
max = 30
[[rules]]
name = "VP"
group = "fit"
when = { field = "job_level", equals = "VP" }
points = 15
"#;
    assert_eq!(mistakes(text), Vec::<String>::new());
}

#[test]
fn unknown_fields_are_named_with_their_line() {
    let text =
        "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"job_levle\", equals = \"VP\" }\npoints = 1\n";
    check_mistake(text, 4, "field `job_levle` is not a column of the spec; did you mean `job_level`?");
    let text =
        "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"job_title\", equals = \"VP\" }\npoints = 1\n";
    check_mistake(text, 4, "did you mean `job_level`?");
    let text = "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"zzz\", equals = 1 }\npoints = 1\n";
    check_mistake(text, 4, "its columns are: `days_quiet`, `demo`");
    let text = "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"notes\", contains = \"budget\" }\npoints = 1\n";
    check_mistake(text, 4, "field `notes` is excluded by the spec (free text filled in by sales)");
    let text =
        "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"outcome\", equals = \"won\" }\npoints = 1\n";
    check_mistake(text, 4, "is the outcome itself");
    let text = "mql_threshold = 40\n[[rules]]\nname = \"t\"\nper = \"lead_id\"\npoints = 1\n";
    check_mistake(text, 4, "is an id column");
}

#[test]
fn text_compared_with_a_number() {
    let text =
        "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"visits\", equals = \"many\" }\npoints = 1\n";
    check_mistake(text, 4, "rule `t`: the text value \"many\" compared with `visits` (a number column)");
    let text = "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"visits\", gte = \"5\" }\npoints = 1\n";
    check_mistake(text, 4, "the text value \"5\" compared with the number column `visits`");
    let text =
        "mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = { field = \"visits\", in = [1, \"2\"] }\npoints = 1\n";
    check_mistake(text, 4, "`visits` is a number column; write 2 without quotes");
}

#[test]
fn operators_that_do_not_fit_the_column() {
    let cases = [
        (
            "{ field = \"job_level\", gt = 3 }",
            "`gt` compares numbers or dates, but `job_level` is a text (categorical) column",
        ),
        ("{ field = \"visits\", contains = \"x\" }", "`contains` searches text, but `visits` is a number column"),
        ("{ field = \"demo\", equals = \"maybe\" }", "(a yes/no column: use true or false)"),
        ("{ field = \"last_seen\", equals = 3 }", "a date column: write dates like \"2024-06-01\""),
        ("{ field = \"last_seen\", lt = \"soon\" }", "needs a date like \"2024-06-01\""),
        ("{ field = \"visits\", equals = [1] }", "expected a single value"),
    ];
    for (when, needle) in cases {
        let text = format!("mql_threshold = 40\n[[rules]]\nname = \"t\"\nwhen = {when}\npoints = 1\n");
        check_mistake(&text, 4, needle);
    }
    let text = "mql_threshold = 40\n[[rules]]\nname = \"t\"\nper = \"job_level\"\npoints = 1\n";
    check_mistake(text, 4, "`per` needs a numeric field, but `job_level` is a text (categorical) column");
}

#[test]
fn an_empty_rule_set() {
    check_mistake("mql_threshold = 40\n", 1, "the rule set is empty");
    check_mistake("[[rules]]\nname = \"a\"\npoints = 1\n", 1, "`mql_threshold` is missing");
}

#[test]
fn overlapping_ranges_name_both_rules() {
    let text = r#"mql_threshold = 40
[[rules]]
name = "10 to 50"
when = { field = "visits", gte = 10, lte = 50 }
points = 5
[[rules]]
name = "50 up"
when = { field = "visits", gte = 50 }
points = 10
[[rules]]
name = "under 10"
when = { field = "visits", lt = 10 }
points = 1
"#;
    let found = mistakes(text);
    // [10, 50] and [50, inf) share 50; [10, 50] and (-inf, 10) do not touch; nor do the others.
    assert_eq!(found.len(), 1, "{found:#?}");
    check_mistake(
        text,
        6,
        "rule `50 up` (`visits` >= 50) overlaps rule `10 to 50` on line 2 (`visits` >= 10 and <= 50)",
    );
    // lt = 50 then gte = 50 is the right way: no overlap.
    assert!(mistakes(&text.replace("lte = 50", "lt = 50")).is_empty());
}

#[test]
fn structural_mistakes() {
    let cases: [(&str, u64, &str); 12] = [
        ("[[rules]]\nname = \"a\"\npoints = 0\n", 4, "gives 0 points"),
        (
            "[[rules]]\nname = \"a\"\npoints = 1\n[[rules]]\nname = \"a\"\npoints = 2\n",
            6,
            "rule name `a` is used twice (first on line 3)",
        ),
        ("[[rules]]\nname = \"a\"\ngroup = \"fti\"\npoints = 1\n", 4, "group `fti` is not declared"),
        (
            "[groups.fit]\n[groups.engagement]\n[[rules]]\nname = \"a\"\ngroup = \"fit\"\npoints = 1\n",
            3,
            "group `engagement` has no rules",
        ),
        ("[[rules]]\nname = \"a\"\npoints = 1\nmin = 5\nmax = 2\n", 6, "`min` (5) is above `max` (2)"),
        (
            "[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", gt = 5, lt = 5 }\npoints = 1\n",
            4,
            "the range `visits` > 5 and < 5 is empty",
        ),
        ("[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", gt = 1, gte = 2 }\npoints = 1\n", 4, "one lower bound"),
        (
            "[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", equals = 1, in = [2] }\npoints = 1\n",
            4,
            "this one has equals, in",
        ),
        ("[[rules]]\nname = \"a\"\nwhen = { any = [] }\npoints = 1\n", 4, "`any` has no conditions"),
        ("[[rules]]\nname = \"a\"\nwhen = { field = \"job_level\", in = [] }\npoints = 1\n", 4, "`in` lists no values"),
        (
            "[[rules]]\nname = \"a\"\npoints = 1\ndecay = { field = \"days_quiet\", half_life_days = 0 }\n",
            5,
            "`half_life_days` must be a positive number",
        ),
        (
            "[[rules]]\nname = \"a\"\npoints = 1\ndecay = { field = \"last_seen\", after_days = 3, minus = 1 }\n",
            5,
            "needs `as_of",
        ),
    ];
    for (body, line, needle) in cases {
        check_mistake(&format!("mql_threshold = 40\n{body}"), line, needle);
    }
}

#[test]
fn double_decay_and_bad_decay_fields() {
    let text = r#"mql_threshold = 40
[groups.engagement]
decay = { field = "days_quiet", half_life_days = 30 }
[[rules]]
name = "v"
group = "engagement"
points = 1
decay = { field = "days_quiet", after_days = 3, minus = 1 }
"#;
    check_mistake(text, 8, "decays, and so does its group `engagement`");
    let text = "mql_threshold = 40\n[[rules]]\nname = \"v\"\npoints = 1\ndecay = { field = \"job_level\", half_life_days = 3 }\n";
    check_mistake(text, 5, "decay needs days since the last activity (a number) or its date");
}

#[test]
fn toml_errors_and_unknown_keys_have_a_line() {
    check_mistake("mql_threshold = 40\n[[rules]]\nname = \"a\"\npionts = 3\n", 4, "unknown field `pionts`");
    check_mistake("mql_threshold = 40\n[[rules]]\nname = \"a\"\npoints = \n", 4, "");
    check_mistake(
        "mql_threshold = 40\n[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", gte = 1, betwen = 2 }\npoints = 1\n",
        4,
        "unknown field `betwen`",
    );
}

#[test]
fn every_mistake_is_reported_at_once() {
    let text = r#"mql_threshold = 40
[[rules]]
name = "a"
when = { field = "job_levle", equals = "VP" }
points = 1
[[rules]]
name = "b"
when = { field = "visits", equals = "lots" }
points = 2
[[rules]]
name = "c"
points = 0
"#;
    let found = mistakes(text);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("line 4: rule `a`"), "{found:#?}");
    assert!(found[1].starts_with("line 8: rule `b`"), "{found:#?}");
    assert!(found[2].starts_with("line 12: rule `c`"), "{found:#?}");
    let err = RuleSet::from_toml_str(text, &spec()).unwrap_err();
    assert!(matches!(&err, Error::Rules(d) if d.len() == 3), "{err}");
}

#[test]
fn without_a_spec_only_the_file_itself_is_checked() {
    // An unknown field cannot be known without a spec; a zero-point rule can.
    let text = "mql_threshold = 40\n[[rules]]\nname = \"a\"\nwhen = { field = \"anything\", gt = 3 }\npoints = 0\n";
    let found: Vec<String> = check(text, None).iter().map(ToString::to_string).collect();
    assert_eq!(found, ["line 5: rule `a`: gives 0 points; remove it or give it points"]);
}

#[test]
fn the_remaining_mistakes_each_named() {
    let cases: [(&str, u64, &str); 14] = [
        ("[[rules]]\nname = \"a\"\npoints = nan\n", 4, "`points` = NaN is not a finite number"),
        ("[[rules]]\nname = \"a\"\npoints = 1\nmax = inf\n", 5, "`max` = inf is not a finite number"),
        ("[[rules]]\nname = \" \"\npoints = 1\n", 3, "a rule has an empty `name`"),
        ("[[rules]]\nname = \"a\"\nwhen = {}\npoints = 1\n", 4, "the condition tests nothing"),
        ("[[rules]]\nname = \"a\"\nwhen = { equals = 3 }\npoints = 1\n", 4, "the condition names no `field`"),
        (
            "[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", not = { field = \"demo\", equals = true } }\npoints = 1\n",
            4,
            "`field` goes inside the conditions of all/any/not",
        ),
        ("[[rules]]\nname = \"a\"\nwhen = { field = \"email\", contains = [3] }\npoints = 1\n", 4, "`contains` needs non-empty text, got 3"),
        ("[[rules]]\nname = \"a\"\nwhen = { field = \"email\", contains = [] }\npoints = 1\n", 4, "`contains` lists no text"),
        ("[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", equals = nan }\npoints = 1\n", 4, "NaN is not a finite number"),
        (
            "[[rules]]\nname = \"a\"\npoints = 1\ndecay = { field = \"days_quiet\", after_days = -1, minus = 5 }\n",
            5,
            "`after_days` must be 0 or more, got -1",
        ),
        (
            "[[rules]]\nname = \"a\"\npoints = 1\ndecay = { field = \"days_quiet\", after_days = 30, minus = 0 }\n",
            5,
            "`minus` must be a positive number of points, got 0",
        ),
        (
            "[[rules]]\nname = \"a\"\npoints = 1\ndecay = { field = \"days_quiet\", half_life_days = 3, minus = 5 }\n",
            5,
            "a decay is either `half_life_days = N` or `after_days = D` with `minus = P`",
        ),
        ("as_of = \"soon\"\n[[rules]]\nname = \"a\"\npoints = 1\n", 2, "`as_of` = \"soon\" is not a date"),
        ("[[rules]]\nname = \"a\"\nwhen = { field = \"visits\", gt = true }\npoints = 1\n", 4, "the value true compared with the number column `visits`"),
    ];
    for (body, line, needle) in cases {
        check_mistake(&format!("mql_threshold = 40\n{body}"), line, needle);
    }
    // A non-finite MQL threshold, and a file with a spec-free compile asked to score.
    check_mistake(
        "mql_threshold = inf\n[[rules]]\nname = \"a\"\npoints = 1\n",
        1,
        "`mql_threshold` = inf is not a finite number",
    );
    let err = parse::compile("mql_threshold = 4\n[[rules]]\nname = \"a\"\npoints = 1\n", None).unwrap_err();
    assert!(err.to_string().contains("checked against a data spec"), "{err}");
}

/// Points, caps, decays and the threshold are finite and within ±MAX_POINTS: `1e308` once passed
/// the check and made totals of infinity (`null` on the wire) that counted as MQLs.
#[test]
fn points_caps_and_thresholds_stay_within_the_documented_range() {
    let range = "is not a finite number from -1000000 to 1000000";
    for (body, line, needle) in [
        ("[[rules]]\nname = \"a\"\npoints = 1e308\n", 4, "rule `a`: `points` = 1e308 "),
        ("[[rules]]\nname = \"a\"\npoints = -1000001\n", 4, "`points` = -1000001 "),
        ("[[rules]]\nname = \"a\"\npoints = 1\nmax = 1e12\n", 5, "`max` = 1e12 "),
        (
            "[groups.g]\nmin = -1e300\n[[rules]]\nname = \"a\"\ngroup = \"g\"\npoints = 1\n",
            3,
            "group `g`: `min` = -1e300 ",
        ),
    ] {
        check_mistake(&format!("mql_threshold = 40\n{body}"), line, needle);
        check_mistake(&format!("mql_threshold = 40\n{body}"), line, range);
    }
    check_mistake("mql_threshold = 2e6\n[[rules]]\nname = \"a\"\npoints = 1\n", 1, "`mql_threshold` = 2000000 ");
    check_mistake(
        "mql_threshold = 4\n[[rules]]\nname = \"a\"\npoints = 1\ndecay = { field = \"days_quiet\", after_days = 3, minus = 1e9 }\n",
        5,
        "`minus` must be a positive number of points, got 1e9 (at most 1000000)",
    );
    // The ends of the range are allowed.
    assert_eq!(
        mistakes("mql_threshold = 1e6\n[[rules]]\nname = \"a\"\npoints = -1e6\nmax = 1e6\n"),
        Vec::<String>::new()
    );
}

/// A `per` rule's product is held within the same bound, so a huge count gives a finite total.
#[test]
fn a_per_rule_on_a_huge_value_gives_a_finite_total() {
    let set = rules("[[rules]]\nname = \"visits\"\nper = \"visits\"\npoints = 1000\n");
    assert_eq!(points(&set, &[("visits", "1e300")]), 1_000_000.0);
    assert_eq!(points(&set, &[("visits", "-1e300")]), -1_000_000.0);
    let score = set.score(|n| if n == "visits" { RawValue::Number(f64::MAX) } else { RawValue::Missing }).unwrap();
    assert!(score.total.is_finite() && score.mql);
}
