//! Progress bars on stderr (indicatif), shown only on a terminal and never with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use leadscore_io::csv_source::Progress;

/// What the user asked of the terminal.
pub struct Ui {
    /// `--quiet`.
    pub quiet: bool,
}

impl Ui {
    /// A progress sink for long work.
    pub fn progress(&self) -> Bar {
        let visible = !self.quiet && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            None,
            if visible { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() },
        );
        Bar { bar }
    }
}

/// An indicatif bar behind the trainer's [`Progress`] trait.
pub struct Bar {
    bar: ProgressBar,
}

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        self.bar.reset();
        self.bar.set_position(0);
        if total > 0 {
            self.bar.set_length(total);
            self.bar.set_style(
                ProgressStyle::with_template("{msg:>16} [{bar:40}] {percent:>3}% {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
        } else {
            self.bar.unset_length();
            self.bar.set_style(
                ProgressStyle::with_template("{msg:>16} {spinner} {elapsed}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            self.bar.enable_steady_tick(std::time::Duration::from_millis(120));
        }
        self.bar.set_message(stage.to_owned());
    }

    fn set(&self, position: u64) {
        self.bar.set_position(position);
    }

    fn finish(&self) {
        self.bar.disable_steady_tick();
        self.bar.set_draw_target(ProgressDrawTarget::hidden());
        self.bar.finish_and_clear();
    }
}
