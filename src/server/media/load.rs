//! When the relay is overloaded: how far behind it falls, second by second. Behind, it admits
//! no new players (cheap to undo: the watch page tries again after the `Retry-After`); behind
//! for seconds on end, it sheds its newest players, a few at a time, so the viewers it can
//! serve keep a clean stream instead of everyone's frames arriving late or not at all.
//!
//! "Behind" is the relay's lag: the longest stretch in a second during which its socket never
//! ran empty. Its busy share is no measure of that: the loop batches more as load grows, so it
//! works nearly all the time well before it falls behind (measured: busy 0.93–1.0 while serving
//! 400 viewers with no loss, its lag 9–39 ms; the README has the figures). A relay keeping up
//! empties its socket within tens of milliseconds (a keyframe's fan-out is the longest stretch);
//! a crowd's handshakes make it lag ~150 ms for a moment; one that cannot keep up never empties
//! it, and its lag grows every second.

use std::time::Duration;

/// Lag in a second at or above which newcomers are refused.
pub const REFUSE_LAG: Duration = Duration::from_millis(200);
/// Lag at or above which a second counts as saturated.
pub const SHED_LAG: Duration = Duration::from_millis(400);
/// Saturated seconds in a row before the newest players are shed.
pub const SHED_AFTER_SECONDS: u32 = 3;
/// Share of the players shed per saturated second (at least one).
pub const SHED_SHARE: f64 = 0.02;
/// Players below which the relay neither refuses nor sheds: its lag then comes from something
/// other than the audience's size (a burst of handshakes, a debug build, a slow machine), and
/// turning a viewer away would not relieve it. The debug build's end-to-end tests lagged past
/// 200 ms with 2 players, and a viewer moving to the relay waited 1.4 s for its next try.
pub const MIN_PLAYERS: usize = 20;

#[derive(Debug, Default)]
pub struct LoadGovernor {
    busy: Duration,
    /// The busy share of the last second (for `/metrics`).
    share: f64,
    /// The longest backlog of the second in progress, and of the last one.
    building: Duration,
    lag: Duration,
    saturated_for: u32,
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

    /// The socket has not run empty for `backlog` (noted at each read; the longest counts).
    pub fn lagged(&mut self, backlog: Duration) {
        self.building = self.building.max(backlog);
    }

    /// Once a second: the verdict for the second that ended, with `players` connected.
    pub fn second(&mut self, elapsed: Duration, players: usize) -> LoadVerdict {
        self.share = if elapsed.is_zero() { 0.0 } else { self.busy.as_secs_f64() / elapsed.as_secs_f64() };
        self.busy = Duration::ZERO;
        self.lag = std::mem::take(&mut self.building);
        if self.lag >= SHED_LAG {
            self.saturated_for += 1;
        } else {
            self.saturated_for = 0;
        }
        if players < MIN_PLAYERS {
            return LoadVerdict { refuse_new: false, shed: 0 };
        }
        let shed = if self.saturated_for >= SHED_AFTER_SECONDS {
            ((players as f64 * SHED_SHARE).ceil() as usize).max(1)
        } else {
            0
        };
        LoadVerdict { refuse_new: self.lag >= REFUSE_LAG, shed }
    }

    /// The busy share of the last second measured, 0..=1 (more when the clock jumped).
    pub fn share(&self) -> f64 {
        self.share
    }

    /// The longest backlog of the last second measured.
    pub fn lag(&self) -> Duration {
        self.lag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    /// A second in which the relay worked `busy_ms` and its longest backlog was `lag_ms`.
    fn second(g: &mut LoadGovernor, busy_ms: u64, lag_ms: u64, players: usize) -> LoadVerdict {
        g.worked(Duration::from_millis(busy_ms));
        g.lagged(Duration::from_millis(lag_ms / 2));
        g.lagged(Duration::from_millis(lag_ms));
        g.second(SECOND, players)
    }

    const CALM: LoadVerdict = LoadVerdict { refuse_new: false, shed: 0 };
    const REFUSING: LoadVerdict = LoadVerdict { refuse_new: true, shed: 0 };

    #[test]
    fn a_relay_that_keeps_up_admits_and_keeps_everyone_however_busy() {
        let mut g = LoadGovernor::default();
        for _ in 0..10 {
            assert_eq!(second(&mut g, 1000, 40, 400), CALM);
        }
        assert!((g.share() - 1.0).abs() < 1e-9, "the busy share is kept for /metrics");
        assert_eq!(g.lag(), Duration::from_millis(40), "the longest backlog of the second");
    }

    #[test]
    fn a_lagging_second_refuses_newcomers_at_once_and_the_next_calm_one_admits_them_again() {
        let mut g = LoadGovernor::default();
        assert_eq!(second(&mut g, 900, 250, 300), REFUSING, "a crowd arriving");
        assert_eq!(second(&mut g, 900, 30, 300), CALM);
    }

    #[test]
    fn a_handful_of_players_is_never_refused_nor_shed_however_late() {
        let mut g = LoadGovernor::default();
        for _ in 0..5 {
            assert_eq!(second(&mut g, 1000, 900, MIN_PLAYERS - 1), CALM);
        }
        assert_eq!(second(&mut g, 1000, 900, MIN_PLAYERS), LoadVerdict { refuse_new: true, shed: 1 });
    }

    #[test]
    fn only_seconds_of_saturation_in_a_row_shed_the_newest_players() {
        let mut g = LoadGovernor::default();
        for _ in 0..2 {
            assert_eq!(second(&mut g, 1000, 400, 600), REFUSING, "shedding waits");
        }
        assert_eq!(second(&mut g, 1000, 400, 600), LoadVerdict { refuse_new: true, shed: 12 });
        assert_eq!(second(&mut g, 1000, 900, 30), LoadVerdict { refuse_new: true, shed: 1 }, "at least one");
        assert_eq!(second(&mut g, 1000, 200, 588), REFUSING, "a second under the shedding lag stops it");
        for _ in 0..2 {
            assert_eq!(second(&mut g, 1000, 400, 588), REFUSING, "and it waits again");
        }
        assert_eq!(second(&mut g, 300, 5, 588), CALM, "recovered");
    }
}
