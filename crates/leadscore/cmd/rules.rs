//! `leadscore rules`: marketing's points rules, checked before they score anything.

use std::path::PathBuf;

use anyhow::Context;
use leadscore_core::rules::check;
use leadscore_core::Spec;

/// `leadscore rules ...`
#[derive(clap::Subcommand, Debug)]
pub enum RulesCommand {
    /// Check a rules file and name every mistake with its line (unknown fields, a text value
    /// compared with a number, an empty rule set, overlapping ranges, ...).
    Check(CheckArgs),
}

/// Arguments of `leadscore rules check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The rules file (TOML).
    #[arg(long)]
    pub rules: PathBuf,
    /// The data spec the rules will read leads with: fields must be its columns and operators
    /// must fit their kinds. Without it only the file's own structure is checked.
    #[arg(long)]
    pub spec: Option<PathBuf>,
}

/// Runs `leadscore rules ...`.
pub fn run(command: RulesCommand) -> anyhow::Result<()> {
    match command {
        RulesCommand::Check(args) => check_file(&args),
    }
}

fn check_file(args: &CheckArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.rules).with_context(|| format!("reading {}", args.rules.display()))?;
    let spec = match &args.spec {
        None => None,
        Some(path) => {
            let spec_text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
            Some(Spec::from_toml_str(&spec_text).with_context(|| format!("spec {}", path.display()))?)
        }
    };
    let mistakes = check(&text, spec.as_ref());
    let file = args.rules.display();
    if !mistakes.is_empty() {
        for m in &mistakes {
            eprintln!("{file}:{}: {}", m.line, m.message);
        }
        let n = mistakes.len();
        anyhow::bail!("{file}: {n} mistake{}", if n == 1 { "" } else { "s" });
    }
    let mut out = String::new();
    match &spec {
        Some(spec) => {
            let set = leadscore_core::rules::RuleSet::from_toml_str(&text, spec)?;
            let groups: Vec<&str> = set.groups.iter().map(|g| g.name.as_str()).collect();
            outln!(
                out,
                "{file}: ok: {} rules{}, MQL at {} points; reads {}",
                set.rules.len(),
                if groups.is_empty() { String::new() } else { format!(" in groups {}", groups.join(", ")) },
                set.mql_threshold,
                set.field_names().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            );
        }
        None => outln!(out, "{file}: ok (structure only: pass --spec to check the fields against the data)"),
    }
    super::emit(&out)
}
