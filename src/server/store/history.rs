//! Stream history in the database: one row per live, one per viewer connection during it,
//! and the viewer curve computed from those rows. Blocking calls: use them from the history
//! thread or `spawn_blocking`.

use crate::history::{CurvePoint, LiveDetail, LiveSummary, ViewerVisit};
use crate::server::store::db::Db;
use rusqlite::{params, OptionalExtension, Row};

pub type LiveId = i64;
/// One viewer connection during a live (a row of `live_viewers`).
pub type VisitId = i64;

/// At most this many steps in a viewer curve; longer ones are bucketed, keeping each bucket's peak.
pub const MAX_CURVE_POINTS: usize = 400;

#[derive(Clone)]
pub struct History {
    db: Db,
}

/// The listing columns. `?1` is "now" for lives that go on; `?2` picks one live or, when NULL, all.
const SUMMARY_SQL: &str = "
    SELECT l.id, l.started_at, l.ended_at, l.peak_viewers,
           CASE WHEN l.ended_at IS NULL
                THEN (SELECT COALESCE(SUM(MAX(COALESCE(v.left_at, ?1), v.joined_at) - v.joined_at), 0)
                      FROM live_viewers v WHERE v.live_id = l.id)
                ELSE l.viewer_ms END,
           (SELECT COUNT(*) FROM live_viewers v WHERE v.live_id = l.id)
    FROM lives l
    WHERE ?2 IS NULL OR l.id = ?2
    ORDER BY l.started_at DESC, l.id DESC
    LIMIT ?3";

impl History {
    pub fn new(db: Db) -> History {
        History { db }
    }

    /// Runs `writes` in one transaction: a burst of events costs one commit, not one each.
    /// A statement that fails inside is the caller's to report; the others are committed.
    pub fn write<T>(&self, writes: impl FnOnce(&Writes<'_>) -> T) -> rusqlite::Result<T> {
        let mut conn = self.db.lock();
        let batch = Writes { tx: conn.transaction()? };
        let out = writes(&batch);
        batch.tx.commit()?;
        Ok(out)
    }

    /// Opens a live at `at` (see [`Writes::start_live`]), in a transaction of its own.
    pub fn start_live(
        &self,
        at: i64,
        waiting: &[Option<String>],
        source: Option<&str>,
    ) -> rusqlite::Result<(LiveId, Vec<VisitId>)> {
        self.write(|w| w.start_live(at, waiting, source))?
    }

    /// A viewer joined (see [`Writes::viewer_joined`]), in a transaction of its own.
    pub fn viewer_joined(
        &self,
        live: LiveId,
        name: Option<&str>,
        at: i64,
        watching: usize,
    ) -> rusqlite::Result<VisitId> {
        self.write(|w| w.viewer_joined(live, name, at, watching))?
    }

    /// A viewer left (see [`Writes::viewer_left`]), in a transaction of its own.
    pub fn viewer_left(&self, live: LiveId, visit: VisitId, at: i64) -> rusqlite::Result<()> {
        self.write(|w| w.viewer_left(live, visit, at))?
    }

    /// Ends a live (see [`Writes::end_live`]), in a transaction of its own.
    pub fn end_live(&self, live: LiveId, at: i64) -> rusqlite::Result<()> {
        self.write(|w| w.end_live(live, at))?
    }

    /// Ends every live left open by a crash, at the last time anything was recorded for it
    /// (its start when nothing was). Run at start, before any new event. Returns how many.
    pub fn close_unfinished(&self) -> rusqlite::Result<usize> {
        let mut conn = self.db.lock();
        let tx = conn.transaction()?;
        let open: Vec<(LiveId, i64)> = tx
            .prepare("SELECT id, last_event_at FROM lives WHERE ended_at IS NULL")?
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
            .collect::<Result<_, _>>()?;
        for (live, last_event_at) in &open {
            end_live_in(&tx, *live, *last_event_at)?;
        }
        tx.commit()?;
        Ok(open.len())
    }

    /// The newest `limit` lives, newest first. `now` counts for lives that go on.
    pub fn lives(&self, limit: u32, now: i64) -> rusqlite::Result<Vec<LiveSummary>> {
        let conn = self.db.lock();
        let mut stmt = conn.prepare_cached(SUMMARY_SQL)?;
        let rows = stmt.query_map(params![now, None::<i64>, limit], |row| summary(row, now))?;
        rows.collect()
    }

    /// One live with its viewers (in join order) and its viewer curve; `None` if there is no such live.
    pub fn live(&self, id: LiveId, now: i64) -> rusqlite::Result<Option<LiveDetail>> {
        let conn = self.db.lock();
        let live =
            conn.prepare_cached(SUMMARY_SQL)?.query_row(params![now, id, 1], |row| summary(row, now)).optional()?;
        let Some(live) = live else { return Ok(None) };
        let visits: Vec<ViewerVisit> = conn
            .prepare_cached(
                "SELECT name, joined_at, left_at FROM live_viewers WHERE live_id = ?1 ORDER BY joined_at, id",
            )?
            .query_map([id], |row| Ok(ViewerVisit { name: row.get(0)?, joined_at: row.get(1)?, left_at: row.get(2)? }))?
            .collect::<Result<_, _>>()?;
        let end = live.ended_at.unwrap_or(now.max(live.started_at));
        let spans: Vec<(i64, Option<i64>)> = visits.iter().map(|v| (v.joined_at, v.left_at)).collect();
        let curve = viewer_curve(&spans, live.started_at, end, MAX_CURVE_POINTS);
        Ok(Some(LiveDetail { live, curve, visits }))
    }
}

/// The history's writes inside one transaction ([`History::write`]).
pub struct Writes<'c> {
    tx: rusqlite::Transaction<'c>,
}

impl Writes<'_> {
    /// Opens a live at `at`. The viewers already waiting (their display names) count from the
    /// start; their visit ids come back in the same order.
    /// `source` names an external encoder; `None` is the browser studio.
    pub fn start_live(
        &self,
        at: i64,
        waiting: &[Option<String>],
        source: Option<&str>,
    ) -> rusqlite::Result<(LiveId, Vec<VisitId>)> {
        let tx = &self.tx;
        tx.execute(
            "INSERT INTO lives (started_at, last_event_at, peak_viewers, source) VALUES (?1, ?1, ?2, ?3)",
            params![at, waiting.len() as i64, source],
        )?;
        let live = tx.last_insert_rowid();
        let mut visits = Vec::with_capacity(waiting.len());
        let mut insert =
            tx.prepare_cached("INSERT INTO live_viewers (live_id, name, joined_at) VALUES (?1, ?2, ?3)")?;
        for name in waiting {
            insert.execute(params![live, name, at])?;
            visits.push(tx.last_insert_rowid());
        }
        Ok((live, visits))
    }

    /// A viewer joined `live` at `at`; `watching` is how many watch now, this one included.
    pub fn viewer_joined(
        &self,
        live: LiveId,
        name: Option<&str>,
        at: i64,
        watching: usize,
    ) -> rusqlite::Result<VisitId> {
        let tx = &self.tx;
        tx.prepare_cached("INSERT INTO live_viewers (live_id, name, joined_at) VALUES (?1, ?2, ?3)")?
            .execute(params![live, name, at])?;
        let visit = tx.last_insert_rowid();
        tx.prepare_cached(
            "UPDATE lives SET peak_viewers = MAX(peak_viewers, ?2), last_event_at = MAX(last_event_at, ?3)
             WHERE id = ?1",
        )?
        .execute(params![live, watching as i64, at])?;
        Ok(visit)
    }

    /// A viewer of `live` left at `at`.
    pub fn viewer_left(&self, live: LiveId, visit: VisitId, at: i64) -> rusqlite::Result<()> {
        let tx = &self.tx;
        tx.prepare_cached("UPDATE live_viewers SET left_at = MAX(?2, joined_at) WHERE id = ?1 AND left_at IS NULL")?
            .execute(params![visit, at])?;
        tx.prepare_cached("UPDATE lives SET last_event_at = MAX(last_event_at, ?2) WHERE id = ?1")?
            .execute(params![live, at])?;
        Ok(())
    }

    /// Ends `live` at `at`: viewers still there leave at the end, and the watch time is totalled.
    /// Ending a live that has ended changes nothing.
    pub fn end_live(&self, live: LiveId, at: i64) -> rusqlite::Result<()> {
        end_live_in(&self.tx, live, at)
    }
}

fn end_live_in(tx: &rusqlite::Transaction<'_>, live: LiveId, at: i64) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE live_viewers SET left_at = MAX(?2, joined_at) WHERE live_id = ?1 AND left_at IS NULL")?
        .execute(params![live, at])?;
    tx.prepare_cached(
        "UPDATE lives SET ended_at = MAX(?2, started_at), last_event_at = MAX(last_event_at, ?2),
             viewer_ms = (SELECT COALESCE(SUM(left_at - joined_at), 0) FROM live_viewers WHERE live_id = ?1)
         WHERE id = ?1 AND ended_at IS NULL",
    )?
    .execute(params![live, at])?;
    Ok(())
}

fn summary(row: &Row<'_>, now: i64) -> rusqlite::Result<LiveSummary> {
    let started_at: i64 = row.get(1)?;
    let ended_at: Option<i64> = row.get(2)?;
    Ok(LiveSummary {
        id: row.get(0)?,
        started_at,
        ended_at,
        duration_ms: (ended_at.unwrap_or(now) - started_at).max(0),
        peak_viewers: row.get::<_, i64>(3)?.try_into().unwrap_or(u32::MAX),
        viewer_ms: row.get(4)?,
        viewers: row.get::<_, i64>(5)?.try_into().unwrap_or(u32::MAX),
    })
}

/// The viewer count over `[start, end]` as steps, from each viewer's (joined, left) times; a
/// viewer who has not left counts until `end`. Times outside the live are clamped into it.
/// More than `max_points` steps are bucketed into `max_points` equal slices, each showing the
/// most viewers seen in it, so a peak never disappears.
pub fn viewer_curve(spans: &[(i64, Option<i64>)], start: i64, end: i64, max_points: usize) -> Vec<CurvePoint> {
    let end = end.max(start);
    let mut changes: Vec<(i64, i64)> = Vec::with_capacity(spans.len() * 2);
    for &(joined, left) in spans {
        let from = joined.clamp(start, end);
        let to = left.unwrap_or(end).clamp(from, end);
        if to > from {
            changes.push((from, 1));
            changes.push((to, -1));
        }
    }
    changes.sort_unstable();
    let mut steps: Vec<CurvePoint> = Vec::new();
    let mut level: i64 = 0;
    let mut i = 0;
    // Everything at the same instant is one step; nothing at `end` itself is drawn.
    while i < changes.len() && changes[i].0 < end {
        let at = changes[i].0;
        while i < changes.len() && changes[i].0 == at {
            level += changes[i].1;
            i += 1;
        }
        let viewers = level.max(0) as u32;
        if steps.last().is_none_or(|last| last.viewers != viewers) {
            steps.push(CurvePoint { at, viewers });
        }
    }
    if steps.first().is_none_or(|first| first.at > start) {
        steps.insert(0, CurvePoint { at: start, viewers: 0 });
    }
    if steps.len() > max_points.max(1) {
        steps = bucket_peaks(&steps, start, end, max_points.max(1));
    }
    let last = steps.last().map_or(0, |p| p.viewers);
    steps.push(CurvePoint { at: end, viewers: last });
    steps
}

/// `buckets` equal slices of `[start, end]`, each with the highest level of the steps it touches.
fn bucket_peaks(steps: &[CurvePoint], start: i64, end: i64, buckets: usize) -> Vec<CurvePoint> {
    let span = (end - start).max(1) as i128;
    let mut out: Vec<CurvePoint> = Vec::with_capacity(buckets);
    let mut active = 0; // the step in force at the current bucket's start
    for b in 0..buckets {
        let from = start + (span * b as i128 / buckets as i128) as i64;
        let to = start + (span * (b + 1) as i128 / buckets as i128) as i64;
        while active + 1 < steps.len() && steps[active + 1].at <= from {
            active += 1;
        }
        let mut peak = steps[active].viewers;
        let mut next = active + 1;
        while next < steps.len() && steps[next].at < to {
            peak = peak.max(steps[next].viewers);
            next += 1;
        }
        match out.last() {
            Some(last) if last.viewers == peak => {}
            _ => out.push(CurvePoint { at: from, viewers: peak }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        History::new(Db::open_in_memory().unwrap())
    }

    fn p(at: i64, viewers: u32) -> CurvePoint {
        CurvePoint { at, viewers }
    }

    #[test]
    fn a_live_with_two_viewers_is_recorded_and_totalled() {
        let h = history();
        let (live, waiting) = h.start_live(1_000, &[Some("Ann".into())], None).unwrap();
        let bob = h.viewer_joined(live, Some("Bob"), 2_000, 2).unwrap();
        h.viewer_left(live, bob, 62_000).unwrap();
        h.end_live(live, 121_000).unwrap();

        let lives = h.lives(10, 999_999).unwrap();
        assert_eq!(lives.len(), 1);
        let l = &lives[0];
        assert_eq!((l.started_at, l.ended_at, l.duration_ms), (1_000, Some(121_000), 120_000));
        assert_eq!(l.peak_viewers, 2);
        assert_eq!(l.viewers, 2);
        // Ann 120 s from the start, Bob 60 s.
        assert_eq!(l.viewer_ms, 180_000);
        assert_eq!(l.viewer_minutes(), 3.0);

        let d = h.live(live, 999_999).unwrap().unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(
            d.visits,
            vec![
                ViewerVisit { name: Some("Ann".into()), joined_at: 1_000, left_at: Some(121_000) },
                ViewerVisit { name: Some("Bob".into()), joined_at: 2_000, left_at: Some(62_000) },
            ]
        );
        assert_eq!(d.curve, vec![p(1_000, 1), p(2_000, 2), p(62_000, 1), p(121_000, 1)]);
    }

    #[test]
    fn a_live_that_goes_on_counts_until_now_and_lists_newest_first() {
        let h = history();
        let (old, _) = h.start_live(1_000, &[], None).unwrap();
        h.end_live(old, 5_000).unwrap();
        let (live, _) = h.start_live(10_000, &[], None).unwrap();
        h.viewer_joined(live, None, 10_000, 1).unwrap();
        let lives = h.lives(10, 70_000).unwrap();
        assert_eq!(lives.iter().map(|l| l.id).collect::<Vec<_>>(), vec![live, old]);
        assert_eq!(lives[0].ended_at, None);
        assert_eq!(lives[0].duration_ms, 60_000);
        assert_eq!(lives[0].viewer_ms, 60_000);
        assert_eq!(h.lives(1, 70_000).unwrap().len(), 1, "the limit holds");
        assert_eq!(h.live(live + 100, 0).unwrap(), None);
    }

    #[test]
    fn a_crashed_live_is_closed_at_its_last_event_or_its_start() {
        let h = history();
        let (crashed, _) = h.start_live(1_000, &[None], None).unwrap();
        let v = h.viewer_joined(crashed, Some("Cyd"), 4_000, 2).unwrap();
        h.viewer_left(crashed, v, 9_000).unwrap();
        let (empty, _) = h.start_live(20_000, &[], None).unwrap();
        assert_eq!(h.close_unfinished().unwrap(), 2);
        assert_eq!(h.close_unfinished().unwrap(), 0, "nothing left open");

        let d = h.live(crashed, 999_999).unwrap().unwrap();
        assert_eq!(d.live.ended_at, Some(9_000));
        assert!(d.visits.iter().all(|v| v.left_at == Some(9_000)));
        assert_eq!(d.live.viewer_ms, 8_000 + 5_000);
        let d = h.live(empty, 999_999).unwrap().unwrap();
        assert_eq!(d.live.ended_at, Some(20_000));
        assert_eq!(d.live.duration_ms, 0);
    }

    #[test]
    fn ending_twice_or_leaving_twice_keeps_the_first_time() {
        let h = history();
        let (live, visits) = h.start_live(0, &[None], None).unwrap();
        h.viewer_left(live, visits[0], 5_000).unwrap();
        h.viewer_left(live, visits[0], 7_000).unwrap();
        h.end_live(live, 10_000).unwrap();
        h.end_live(live, 50_000).unwrap();
        let d = h.live(live, 0).unwrap().unwrap();
        assert_eq!(d.live.ended_at, Some(10_000));
        assert_eq!(d.visits[0].left_at, Some(5_000));
    }

    #[test]
    fn a_clock_going_backwards_never_makes_negative_times() {
        let h = history();
        let (live, _) = h.start_live(10_000, &[], None).unwrap();
        let v = h.viewer_joined(live, None, 10_000, 1).unwrap();
        h.viewer_left(live, v, 9_000).unwrap();
        h.end_live(live, 8_000).unwrap();
        let d = h.live(live, 0).unwrap().unwrap();
        assert_eq!(d.live.ended_at, Some(10_000));
        assert_eq!(d.visits[0].left_at, Some(10_000));
        assert_eq!(d.live.viewer_ms, 0);
    }

    #[test]
    fn curve_of_an_empty_live_is_flat_zero() {
        assert_eq!(viewer_curve(&[], 100, 200, 10), vec![p(100, 0), p(200, 0)]);
        assert_eq!(viewer_curve(&[], 100, 100, 10), vec![p(100, 0), p(100, 0)]);
    }

    #[test]
    fn curve_steps_at_joins_and_leaves_and_merges_same_instant_changes() {
        let spans = [(0, Some(50)), (10, None), (50, Some(80)), (20, Some(20))];
        // At 50 one leaves and one joins: no visible step. The zero-length visit leaves no trace.
        assert_eq!(viewer_curve(&spans, 0, 100, 10), vec![p(0, 1), p(10, 2), p(80, 1), p(100, 1)]);
    }

    #[test]
    fn curve_clamps_times_outside_the_live() {
        let spans = [(-50, Some(30)), (90, Some(500))];
        assert_eq!(viewer_curve(&spans, 0, 100, 10), vec![p(0, 1), p(30, 0), p(90, 1), p(100, 1)]);
    }

    #[test]
    fn long_curves_are_bucketed_and_keep_their_peak() {
        // 1000 one-millisecond blips of one viewer, plus a single spike of 3 around 500.
        let mut spans: Vec<(i64, Option<i64>)> = (0..1000).map(|i| (i * 10, Some(i * 10 + 1))).collect();
        spans.push((5_002, Some(5_004)));
        spans.push((5_002, Some(5_004)));
        spans.push((5_002, Some(5_003)));
        let curve = viewer_curve(&spans, 0, 10_000, 50);
        assert!(curve.len() <= 51, "{} points", curve.len());
        assert_eq!(curve.iter().map(|c| c.viewers).max(), Some(3));
        assert_eq!(curve.first().unwrap().at, 0);
        assert_eq!(curve.last().unwrap().at, 10_000);
        assert!(curve.windows(2).all(|w| w[0].at <= w[1].at), "in time order");
    }
}
