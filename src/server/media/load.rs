//! When the relay is overloaded: its thread's busy share over the last seconds. Above the
//! limit it admits no new players and sheds the newest ones, a few at a time, so the viewers
//! it can serve keep a clean stream instead of everyone losing packets (a relay that drops on
//! its socket triggers keyframe requests that raise the publisher's bitrate: a spiral).

use std::time::Duration;

/// Busy share of the relay thread above which it counts as overloaded.
pub const OVERLOAD_BUSY: f64 = 0.9;
/// Seconds in a row over the limit before it sheds.
pub const OVERLOAD_SECONDS: u32 = 2;
/// Share of the players shed per overloaded second (at least one).
pub const SHED_SHARE: f64 = 0.05;

#[derive(Debug, Default)]
pub struct LoadGovernor {
    busy: Duration,
    over_for: u32,
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
        if share >= OVERLOAD_BUSY {
            self.over_for += 1;
        } else {
            self.over_for = 0;
        }
        let overloaded = self.over_for >= OVERLOAD_SECONDS;
        let shed = if overloaded && players > 0 { ((players as f64 * SHED_SHARE).ceil() as usize).max(1) } else { 0 };
        LoadVerdict { refuse_new: self.over_for > 0, shed }
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

    #[test]
    fn a_relay_with_headroom_admits_and_keeps_everyone() {
        let mut g = LoadGovernor::default();
        for _ in 0..10 {
            assert_eq!(second(&mut g, 600, 400), LoadVerdict { refuse_new: false, shed: 0 });
        }
    }

    #[test]
    fn one_busy_second_refuses_newcomers_and_a_sustained_overload_sheds_the_newest() {
        let mut g = LoadGovernor::default();
        assert_eq!(second(&mut g, 950, 600), LoadVerdict { refuse_new: true, shed: 0 }, "a spike sheds nobody");
        assert_eq!(second(&mut g, 990, 600), LoadVerdict { refuse_new: true, shed: 30 });
        assert_eq!(second(&mut g, 990, 3), LoadVerdict { refuse_new: true, shed: 1 }, "at least one");
        assert_eq!(second(&mut g, 500, 570), LoadVerdict { refuse_new: false, shed: 0 }, "recovered");
    }
}
