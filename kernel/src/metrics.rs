//! Measurements of this process for `/metrics` (Prometheus text format, written by hand: a
//! histogram is a dozen atomic counters).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds (seconds) of the latency buckets, as Prometheus clients use by default plus
/// 30 s (a national export).
pub const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// How long the figures' flush took, for every writing transaction that changed figures
/// (`db::commit`).
pub static FIGURES_FLUSH: Histogram = Histogram::new();

/// SQLite's group commit (issue 50, `db::Group`): how many groups committed and how many
/// writing transactions they carried (their ratio: writers per `COMMIT`).
pub static GROUP_COMMITS: AtomicU64 = AtomicU64::new(0);
pub static GROUP_MEMBERS: AtomicU64 = AtomicU64::new(0);

/// Counts one group's commit of `members` writers.
pub fn group_committed(members: usize) {
    GROUP_COMMITS.fetch_add(1, Ordering::Relaxed);
    GROUP_MEMBERS.fetch_add(members as u64, Ordering::Relaxed);
}

/// A latency histogram: how many observations fell at or under each bound, their count and
/// their sum.
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram::new()
    }
}

impl Histogram {
    pub const fn new() -> Histogram {
        Histogram {
            buckets: [const { AtomicU64::new(0) }; BUCKETS.len()],
            count: AtomicU64::new(0),
            sum_micros: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The lines of this histogram as `name{labels,le="…"}` (cumulative buckets), `name_sum`
    /// and `name_count`; `labels` is empty or `key="value",…` without braces.
    pub fn write(&self, out: &mut String, name: &str, labels: &str) {
        let separator = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, bucket) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            line(
                out,
                format_args!("{name}_bucket{{{labels}{separator}le=\"{bound}\"}} {cumulative}"),
            );
        }
        let count = self.count();
        line(
            out,
            format_args!("{name}_bucket{{{labels}{separator}le=\"+Inf\"}} {count}"),
        );
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        line(out, format_args!("{name}_sum{braces} {sum}"));
        line(out, format_args!("{name}_count{braces} {count}"));
    }
}

/// Appends `text` and a line break to `out`.
pub fn line(out: &mut String, text: std::fmt::Arguments<'_>) {
    use std::fmt::Write;
    if out.write_fmt(text).is_ok() {
        out.push('\n');
    }
}

/// A label value escaped as the text format asks (backslash, quote, line break).
pub fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_writes_cumulative_buckets_sum_and_count() {
        let h = Histogram::new();
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_millis(40));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.write(&mut out, "x_seconds", "route=\"/a\"");
        assert!(
            out.contains("x_seconds_bucket{route=\"/a\",le=\"0.005\"} 1\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{route=\"/a\",le=\"0.05\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{route=\"/a\",le=\"30\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_bucket{route=\"/a\",le=\"+Inf\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("x_seconds_sum{route=\"/a\"} 60.043\n"),
            "{out}"
        );
        assert!(out.contains("x_seconds_count{route=\"/a\"} 3\n"), "{out}");
        let mut plain = String::new();
        Histogram::new().write(&mut plain, "y", "");
        assert!(plain.contains("y_bucket{le=\"+Inf\"} 0\n") && plain.contains("y_count 0\n"));
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
