//! How a running transfer reads on screen: rate, time left, sizes and percent. Presentation
//! only; nothing in the protocol depends on it.

use std::fmt::Write as _;

/// Transfer rate and time left, smoothed so the numbers do not jump with every chunk.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RateMeter {
    last_ms: Option<f64>,
    last_bytes: u64,
    bytes_per_second: Option<f64>,
}

/// Samples closer together than this are merged, so a burst does not read as a huge rate.
const RATE_SAMPLE_MS: f64 = 250.0;

impl RateMeter {
    /// Records that `bytes` are done at `now_ms`; returns true when the estimate changed.
    pub fn record(&mut self, now_ms: f64, bytes: u64) -> bool {
        let Some(last_ms) = self.last_ms else {
            self.last_ms = Some(now_ms);
            self.last_bytes = bytes;
            return false;
        };
        let elapsed = now_ms - last_ms;
        if elapsed < RATE_SAMPLE_MS {
            return false;
        }
        let rate = bytes.saturating_sub(self.last_bytes) as f64 * 1000.0 / elapsed;
        self.bytes_per_second = Some(match self.bytes_per_second {
            Some(previous) => previous * 0.6 + rate * 0.4,
            None => rate,
        });
        self.last_ms = Some(now_ms);
        self.last_bytes = bytes;
        true
    }

    pub fn bytes_per_second(&self) -> Option<f64> {
        self.bytes_per_second
    }

    /// Seconds until `total` at the current rate.
    pub fn seconds_left(&self, done: u64, total: u64) -> Option<f64> {
        let rate = self.bytes_per_second.filter(|r| *r > 0.0)?;
        Some(total.saturating_sub(done) as f64 / rate)
    }
}

/// "532 B", "12.3 KB", "24.0 MB", "1.50 GB" (decimal units, as file managers show).
///
/// Integer arithmetic only: formatting an `f64` pulls about 11 KB of float-printing code into
/// the wasm, for this one line of text. And `u64` only: `u128` brings its own division and
/// printing code (about 2.5 KB).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    let mut unit = 0;
    // At most 10^15: times 1000 still fits a u64.
    let mut divisor: u64 = 1000;
    while unit + 1 < UNITS.len() && bytes >= divisor * 1000 {
        divisor *= 1000;
        unit += 1;
    }
    // Two decimals below 10, one above, rounded half up: (bytes · scale + divisor / 2) / divisor,
    // divided through by scale first (exact: the divisor is a multiple of 20 · scale) so that
    // nothing overflows. Saturating only changes the sum within half a step of u64::MAX, where
    // the result is the same.
    let decimals: u32 = if bytes < divisor * 10 { 2 } else { 1 };
    let scale = 10u64.pow(decimals);
    let step = divisor / scale;
    let scaled = bytes.saturating_add(step / 2) / step;
    format!(
        "{}.{:0width$} {}",
        scaled / scale,
        scaled % scale,
        UNITS[unit],
        width = decimals as usize
    )
}

/// "3 s", "2 min 5 s", "1 h 4 min".
pub fn format_seconds(seconds: f64) -> String {
    let total = seconds.max(0.0).ceil() as u64;
    match total {
        0..=59 => format!("{total} s"),
        60..=3599 => format!("{} min {} s", total / 60, total % 60),
        _ => format!("{} h {} min", total / 3600, (total % 3600) / 60),
    }
}

/// The line under a running transfer: "3.20 MB of 24.0 MB · 12.1 MB/s · 2 s left".
pub fn progress_text(done: u64, total: u64, meter: &RateMeter) -> String {
    let mut text = format!("{} of {}", format_bytes(done), format_bytes(total));
    if let Some(rate) = meter.bytes_per_second() {
        let _ = write!(text, " · {}/s", format_bytes(rate as u64));
        if let Some(left) = meter.seconds_left(done, total) {
            let _ = write!(text, " · {} left", format_seconds(left));
        }
    }
    text
}

/// Whole percent done, for the progress bar (an empty file is 100% once it is done).
pub fn percent(done: u64, total: u64) -> u8 {
    if total == 0 {
        return 100;
    }
    ((done.min(total) as f64 * 100.0 / total as f64).floor()) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_and_time_left() {
        let mut meter = RateMeter::default();
        assert!(!meter.record(0.0, 0));
        assert!(!meter.record(100.0, 1_000_000));
        assert!(meter.record(1000.0, 10_000_000));
        assert_eq!(meter.bytes_per_second(), Some(10_000_000.0));
        assert_eq!(meter.seconds_left(10_000_000, 30_000_000), Some(2.0));
        assert_eq!(
            progress_text(10_000_000, 30_000_000, &meter),
            "10.0 MB of 30.0 MB · 10.0 MB/s · 2 s left"
        );
        assert_eq!(progress_text(0, 500, &RateMeter::default()), "0 B of 500 B");
        assert_eq!(format_bytes(1_500), "1.50 KB");
        assert_eq!(format_bytes(25_165_824), "25.2 MB");
        assert_eq!(format_bytes(2_147_483_648), "2.15 GB");
        assert_eq!(format_bytes(1_000), "1.00 KB");
        assert_eq!(format_bytes(9_994), "9.99 KB");
        assert_eq!(format_bytes(999_949), "999.9 KB");
        assert_eq!(format_bytes(67_108_864), "67.1 MB");
        assert_eq!(format_bytes(u64::MAX), "18446.7 PB");
        assert_eq!(format_seconds(0.2), "1 s");
        assert_eq!(format_seconds(125.0), "2 min 5 s");
        assert_eq!(format_seconds(3_840.0), "1 h 4 min");
        assert_eq!(percent(1, 3), 33);
        assert_eq!(percent(5, 3), 100);
        assert_eq!(percent(0, 0), 100);
    }

    /// The sizes as the first version printed them, with `u128` arithmetic.
    fn format_bytes_u128(bytes: u64) -> String {
        const UNITS: [&str; 5] = ["KB", "MB", "GB", "TB", "PB"];
        if bytes < 1000 {
            return format!("{bytes} B");
        }
        let mut unit = 0;
        let mut divisor: u128 = 1000;
        while unit + 1 < UNITS.len() && u128::from(bytes) >= divisor * 1000 {
            divisor *= 1000;
            unit += 1;
        }
        let decimals: u32 = if u128::from(bytes) < divisor * 10 {
            2
        } else {
            1
        };
        let scale = 10u128.pow(decimals);
        let scaled = (u128::from(bytes) * scale + divisor / 2) / divisor;
        format!(
            "{}.{:0width$} {}",
            scaled / scale,
            scaled % scale,
            UNITS[unit],
            width = decimals as usize
        )
    }

    #[test]
    fn sizes_at_every_edge_read_as_before() {
        for power in 0..20u32 {
            let base = 10u64.saturating_pow(power);
            for bytes in [
                base.saturating_sub(1),
                base,
                base.saturating_add(base / 2),
                base.saturating_mul(5).saturating_sub(1),
            ] {
                assert_eq!(format_bytes(bytes), format_bytes_u128(bytes), "{bytes}");
            }
        }
        for bytes in [u64::MAX, u64::MAX - 1, u64::MAX - 50_000_000_000_000] {
            assert_eq!(format_bytes(bytes), format_bytes_u128(bytes), "{bytes}");
        }
    }

    // proptest is a host-only dev-dependency.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        #[test]
        fn sizes_read_as_before(bytes in proptest::num::u64::ANY, shift in 0u32..64) {
            let bytes = bytes >> shift;
            proptest::prop_assert_eq!(format_bytes(bytes), format_bytes_u128(bytes));
        }
    }
}
