//! When the relay is overloaded: its thread's busy share, second by second. Busy, it admits no
//! new players (cheap to undo: the watch page tries again after the `Retry-After`); saturated
//! for seconds on end, it sheds its newest players, a few at a time, so the viewers it can
//! serve keep a clean stream instead of everyone losing packets (a relay that drops on its
//! socket triggers keyframe requests that raise the publisher's bitrate: a spiral).
//!
//! One second's share swings by ±15 points with the stream itself (a keyframe is nine times a
//! delta frame's packets, every 2 s), so shedding, which cannot be undone, looks at the mean
//! over several seconds; refusing reacts to one second, since a crowd arrives within seconds.

use std::collections::VecDeque;
use std::time::Duration;

/// One second's busy share at or above which newcomers are refused.
pub const REFUSE_SECOND: f64 = 0.9;
/// The mean busy share over [`WINDOW_SECONDS`] at or above which newcomers are refused.
pub const REFUSE_MEAN: f64 = 0.85;
/// The mean busy share over [`WINDOW_SECONDS`] (each of them at least [`REFUSE_SECOND`]) at or
/// above which the newest players are shed.
pub const SHED_MEAN: f64 = 0.95;
/// The seconds the mean is over.
pub const WINDOW_SECONDS: usize = 4;
/// Share of the players shed per saturated second (at least one).
pub const SHED_SHARE: f64 = 0.02;

#[derive(Debug, Default)]
pub struct LoadGovernor {
    busy: Duration,
    /// The busy shares of the last seconds, newest last.
    shares: VecDeque<f64>,
}

/// What the relay does about its load this second.
#[derive(Debug, PartialEq, Eq)]
pub struct LoadVerdict {
    /// New players are refused.
    pub refuse_new: bool,
    /// How many of the newest players to drop now.
    pub shed: usize,
}

impl LoadGovernor {
    /// Time spent working (not waiting for the socket or a timer).
    pub fn worked(&mut self, busy: Duration) {
        self.busy += busy;
    }

    /// Once a second: the verdict for the second that ended, with `players` connected.
    pub fn second(&mut self, elapsed: Duration, players: usize) -> LoadVerdict {
        let share = if elapsed.is_zero() { 0.0 } else { self.busy.as_secs_f64() / elapsed.as_secs_f64() };
        self.busy = Duration::ZERO;
        if self.shares.len() == WINDOW_SECONDS {
            self.shares.pop_front();
        }
        self.shares.push_back(share);
        let mean = self.shares.iter().sum::<f64>() / self.shares.len() as f64;
        let full_window = self.shares.len() == WINDOW_SECONDS;
        let saturated = full_window && mean >= SHED_MEAN && self.shares.iter().all(|s| *s >= REFUSE_SECOND);
        let shed = if saturated && players > 0 { ((players as f64 * SHED_SHARE).ceil() as usize).max(1) } else { 0 };
        LoadVerdict { refuse_new: share >= REFUSE_SECOND || mean >= REFUSE_MEAN, shed }
    }

    /// The busy share of the last second measured, 0..=1 (more when the clock jumped).
    pub fn share(&self) -> f64 {
        self.shares.back().copied().unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    fn second(g: &mut LoadGovernor, busy_ms: u64, players: usize) -> LoadVerdict {
        g.worked(Duration::from_millis(busy_ms));
        g.second(SECOND, players)
    }

    const CALM: LoadVerdict = LoadVerdict { refuse_new: false, shed: 0 };
    const REFUSING: LoadVerdict = LoadVerdict { refuse_new: true, shed: 0 };

    #[test]
    fn a_relay_with_headroom_admits_and_keeps_everyone() {
        let mut g = LoadGovernor::default();
        for _ in 0..10 {
            assert_eq!(second(&mut g, 600, 400), CALM);
        }
    }

    #[test]
    fn a_busy_second_refuses_newcomers_at_once_and_the_next_calm_one_admits_them_again() {
        let mut g = LoadGovernor::default();
        assert_eq!(second(&mut g, 500, 100), CALM);
        assert_eq!(second(&mut g, 920, 200), REFUSING, "a crowd arriving");
        assert!((g.share() - 0.92).abs() < 1e-9, "the share is kept for /metrics");
        assert_eq!(second(&mut g, 700, 200), CALM, "mean 0.71: room again");
    }

    #[test]
    fn keyframe_seconds_alone_shed_nobody_but_a_high_mean_refuses() {
        let mut g = LoadGovernor::default();
        for _ in 0..5 {
            assert_eq!(second(&mut g, 950, 400), REFUSING);
            assert_eq!(second(&mut g, 700, 400), CALM, "mean 0.825");
        }
        let mut g = LoadGovernor::default();
        for _ in 0..4 {
            second(&mut g, 980, 400);
            assert_eq!(second(&mut g, 850, 400), REFUSING, "mean 0.915, under 0.9 this second");
        }
    }

    #[test]
    fn only_seconds_of_saturation_shed_the_newest_players() {
        let mut g = LoadGovernor::default();
        for _ in 0..3 {
            assert_eq!(second(&mut g, 990, 600), REFUSING, "shedding waits for a full window");
        }
        assert_eq!(second(&mut g, 990, 600), LoadVerdict { refuse_new: true, shed: 12 });
        assert_eq!(second(&mut g, 990, 10), LoadVerdict { refuse_new: true, shed: 1 }, "at least one");
        assert_eq!(second(&mut g, 880, 588), REFUSING, "one second under 0.9 stops the shedding");
        for _ in 0..3 {
            second(&mut g, 300, 588);
        }
        assert_eq!(second(&mut g, 300, 588), CALM, "recovered");
    }
}
