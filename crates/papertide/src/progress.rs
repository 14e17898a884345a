//! Progress reporting: an indicatif bar on a terminal, periodic plain lines otherwise.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress display for a long operation counted in records, optionally sized in bytes.
pub struct Progress {
    bar: Option<ProgressBar>,
    started: Instant,
    last_line: Instant,
    label: &'static str,
    /// For [`Progress::items`]: the total and what is counted.
    items: Option<(u64, &'static str)>,
}

/// `bar` drawn on stderr at most 8 times a second, its spinner ticking on its own.
fn ticking(bar: ProgressBar) -> ProgressBar {
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

impl Progress {
    /// Starts a display. `total_bytes` gives a bar with ETA when the input size is known.
    pub fn new(label: &'static str, total_bytes: Option<u64>) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            ticking(match total_bytes {
                Some(total) => ProgressBar::new(total).with_style(
                    ProgressStyle::with_template(
                        "{spinner} {msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ETA {eta}",
                    )
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
                ),
                None => ProgressBar::new_spinner(),
            })
        });
        let now = Instant::now();
        Progress { bar, started: now, last_line: now, label, items: None }
    }

    /// Starts a display of `total` items (`unit`: "papers"), with a bar and ETA on a terminal
    /// and a line every 10 s with the rate and ETA otherwise. Update with [`Progress::update`]
    /// (the bytes argument is ignored).
    pub fn items(label: &'static str, total: u64, unit: &'static str) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} {label} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} {unit} ({{per_sec}}) ETA {{eta}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            ticking(ProgressBar::new(total).with_style(style))
        });
        let now = Instant::now();
        Progress { bar, started: now, last_line: now, label, items: Some((total, unit)) }
    }

    /// Updates the display with records done and bytes read so far.
    pub fn update(&mut self, records: u64, bytes: u64) {
        let rate = records as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
        if let Some((total, unit)) = self.items {
            match &self.bar {
                Some(bar) => bar.set_position(records),
                None if self.last_line.elapsed() >= Duration::from_secs(10) => {
                    self.last_line = Instant::now();
                    let eta = total.saturating_sub(records) as f64 / rate.max(1e-9);
                    eprintln!("{}: {records}/{total} {unit} ({rate:.1}/s, ETA {:.0} s)", self.label, eta);
                }
                None => {}
            }
            return;
        }
        match &self.bar {
            Some(bar) => {
                bar.set_position(bytes);
                bar.set_message(format!("{} {records} records ({rate:.0}/s)", self.label));
            }
            None if self.last_line.elapsed() >= Duration::from_secs(10) => {
                self.last_line = Instant::now();
                eprintln!("{}: {records} records ({rate:.0}/s)", self.label);
            }
            None => {}
        }
    }

    /// Removes the bar; the caller prints the summary.
    pub fn finish(self) -> Duration {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
        self.started.elapsed()
    }
}

/// Peak resident set size of this process in bytes (`VmHWM` on Linux; 0 where unknown).
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}
