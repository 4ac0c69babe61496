//! The effect check: did an injection change anything? Compares the tool's error rate and
//! latency in a window after the injection with the window before it.

use crate::live::EffectVerdict;
use crate::metrics::Series;

/// Fewest completions on each side of the injection to judge by.
pub const MIN_SAMPLES: u64 = 20;

/// Per-tool counts in a window of the per-second series.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Window {
    pub completed: u64,
    pub errors: u64,
    /// Largest per-second p99 of this tool in the window.
    pub p99_ms: f64,
}

pub fn window(series: &Series, tool: usize, from_s: f64, to_s: f64) -> Window {
    let mut w = Window::default();
    for p in series.since(from_s).take_while(|p| f64::from(p.t) < to_s) {
        w.completed += p.tool_completed.get(tool).copied().unwrap_or(0);
        w.errors += p.tool_errors.get(tool).copied().unwrap_or(0);
        w.p99_ms = w.p99_ms.max(p.tool_p99_ms.get(tool).copied().unwrap_or(0.0));
    }
    w
}

/// Judges before vs after: an error rate up by 5 points and at least doubled, or a p99 at
/// least doubled and up by 100 ms, is an observed effect.
pub fn judge(before: Window, after: Window) -> (EffectVerdict, String) {
    if before.completed < MIN_SAMPLES || after.completed < MIN_SAMPLES {
        return (
            EffectVerdict::NotEnoughTraffic,
            format!(
                "not enough traffic: {} calls before, {} after (need {MIN_SAMPLES} each)",
                before.completed, after.completed
            ),
        );
    }
    let rate = |w: Window| w.errors as f64 * 100.0 / w.completed as f64;
    let (eb, ea) = (rate(before), rate(after));
    let detail = format!(
        "error rate {eb:.1}% → {ea:.1}%, p99 {:.0} → {:.0} ms ({} → {} calls)",
        before.p99_ms, after.p99_ms, before.completed, after.completed
    );
    let errors_up = ea - eb >= 5.0 && ea >= 2.0 * eb.max(0.5);
    let latency_up = after.p99_ms >= 2.0 * before.p99_ms && after.p99_ms - before.p99_ms >= 100.0;
    if errors_up || latency_up {
        (EffectVerdict::Observed, detail)
    } else {
        (EffectVerdict::NoObservedEffect, detail)
    }
}

/// The client saw no effect; if the target counted the failures it injected (`injected`,
/// its counter's growth over the check), its retries or cache absorbed them.
pub fn absorbed_or_not(verdict: EffectVerdict, detail: String, injected: Option<f64>) -> (EffectVerdict, String) {
    match injected.filter(|n| *n > 0.0) {
        Some(n) if verdict == EffectVerdict::NoObservedEffect => (
            EffectVerdict::Absorbed,
            format!("{detail}; the target counted {n} injected failures (retries or cache absorbed them)"),
        ),
        _ => (verdict, detail),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(completed: u64, errors: u64, p99_ms: f64) -> Window {
        Window { completed, errors, p99_ms }
    }

    #[test]
    fn verdicts() {
        assert_eq!(judge(w(100, 0, 20.0), w(100, 30, 20.0)).0, EffectVerdict::Observed);
        assert_eq!(judge(w(100, 0, 20.0), w(100, 0, 900.0)).0, EffectVerdict::Observed);
        assert_eq!(judge(w(100, 1, 20.0), w(100, 2, 25.0)).0, EffectVerdict::NoObservedEffect);
        assert_eq!(judge(w(5, 0, 20.0), w(100, 50, 20.0)).0, EffectVerdict::NotEnoughTraffic);
        assert!(judge(w(100, 0, 20.0), w(100, 30, 20.0)).1.contains("0.0% → 30.0%"));
    }

    #[test]
    fn no_client_effect_with_injections_counted_is_absorbed() {
        let none = EffectVerdict::NoObservedEffect;
        let (v, d) = absorbed_or_not(none.clone(), "error rate 0.0% → 1.2%".into(), Some(41.0));
        assert_eq!(v, EffectVerdict::Absorbed);
        assert!(d.ends_with("the target counted 41 injected failures (retries or cache absorbed them)"), "{d}");
        assert_eq!(absorbed_or_not(none.clone(), "x".into(), Some(0.0)).0, none, "nothing injected");
        assert_eq!(absorbed_or_not(none.clone(), "x".into(), None).0, none, "no counter, no claim");
        assert_eq!(absorbed_or_not(EffectVerdict::Observed, "x".into(), Some(5.0)).0, EffectVerdict::Observed);
    }
}
