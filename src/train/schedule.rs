//! Learning-rate schedule: linear warm-up, then cosine decay to zero (Loshchilov & Hutter
//! 2017, SGDR without restarts; the usual schedule for transformers).
//!
//! The rate is a pure function of the optimiser step, so a resumed run needs nothing but the
//! step counter to continue on the same curve.

/// Warm-up then cosine decay over a fixed number of optimiser steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrSchedule {
    /// Peak learning rate, reached at the end of warm-up.
    pub peak: f64,
    /// Steps of linear warm-up.
    pub warmup_steps: usize,
    /// Total steps of the run.
    pub total_steps: usize,
}

impl LrSchedule {
    /// A schedule over `total_steps` whose first `warmup_fraction` (rounded up) warms up.
    pub fn new(peak: f64, warmup_fraction: f64, total_steps: usize) -> LrSchedule {
        let fraction = warmup_fraction.clamp(0.0, 1.0);
        let warmup_steps = ((total_steps as f64) * fraction).ceil() as usize;
        LrSchedule {
            peak,
            warmup_steps: warmup_steps.min(total_steps),
            total_steps,
        }
    }

    /// Rate for the 0-based optimiser step `step`.
    ///
    /// Warm-up climbs linearly to the peak, so step `warmup_steps − 1` uses the peak; decay
    /// then follows `peak · ½(1 + cos(π·t))` with `t` going from 0 at the first decay step
    /// to 1 one step past the last, so no step trains at rate zero.
    pub fn lr(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.peak * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay_steps = self.total_steps.saturating_sub(self.warmup_steps).max(1);
        let t = ((step - self.warmup_steps) as f64 / decay_steps as f64).min(1.0);
        self.peak * 0.5 * (1.0 + (std::f64::consts::PI * t).cos())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warmup_is_linear_to_the_peak() {
        let s = LrSchedule::new(1e-3, 0.1, 100);
        assert_eq!(s.warmup_steps, 10);
        assert!((s.lr(0) - 1e-4).abs() < 1e-15);
        assert!((s.lr(4) - 5e-4).abs() < 1e-15);
        assert!((s.lr(9) - 1e-3).abs() < 1e-15);
    }

    #[test]
    fn cosine_decay_halves_midway_and_stays_positive() {
        let s = LrSchedule::new(2.0, 0.1, 110);
        assert_eq!(s.warmup_steps, 11);
        // First decay step is the peak, the middle of the 99 decay steps is half of it.
        assert!((s.lr(11) - 2.0).abs() < 1e-12);
        let mid = 11 + 99 / 2;
        let expected = 1.0 + (std::f64::consts::PI * (49.0 / 99.0)).cos();
        assert!((s.lr(mid) - expected).abs() < 1e-12);
        let last = s.lr(109);
        assert!(last > 0.0 && last < 2e-3, "{last}");
        // Monotone decay after warm-up.
        assert!((11..109).all(|k| s.lr(k + 1) <= s.lr(k)));
    }

    #[test]
    fn no_warmup_and_rounding_up() {
        let s = LrSchedule::new(1.0, 0.0, 10);
        assert_eq!(s.warmup_steps, 0);
        assert_eq!(s.lr(0), 1.0);
        // 5% of 7 steps rounds up to one warm-up step.
        assert_eq!(LrSchedule::new(1.0, 0.05, 7).warmup_steps, 1);
    }
}
