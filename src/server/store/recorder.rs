//! Turns hub events into stream history. The socket layer hands each event over without
//! waiting (an unbounded channel, stamped with the wall clock as it leaves the hub); one thread
//! of its own writes them to the database, so no disk write ever happens under the signaling lock.

use crate::protocol::ViewerId;
use crate::server::clock::now_ms;
use crate::server::signaling::hub::HubEvent;
use crate::server::store::history::{History, LiveId, VisitId, Writes};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

enum Note {
    Event {
        at: i64,
        event: HubEvent,
    },
    /// The server is stopping: end the live and acknowledge.
    Shutdown {
        at: i64,
        done: oneshot::Sender<()>,
    },
}

/// Most events written in one transaction.
const MAX_BATCH: usize = 1024;

/// Lowers the calling thread's scheduling priority (nice 10). On a one-core server the history
/// thread would otherwise take half the core from the signaling while it catches up after a
/// burst; history may lag by seconds, an offer may not.
#[allow(unsafe_code)]
fn yield_to_signaling() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: gettid and setpriority have no memory preconditions; on Linux a thread id
        // with PRIO_PROCESS sets that one thread's nice value.
        let failed = unsafe {
            let tid = libc::gettid();
            libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, HISTORY_NICE) != 0
        };
        if failed {
            tracing::debug!("cannot lower the history thread's priority: {}", std::io::Error::last_os_error());
        }
    }
}

/// The history thread's nice value (0 is the default, 19 the lowest priority).
pub const HISTORY_NICE: i32 = 10;

/// The sending side, held by the socket layer and the server.
pub struct Recorder {
    tx: mpsc::UnboundedSender<Note>,
}

impl Recorder {
    /// Starts the history thread.
    pub fn start(history: History) -> std::io::Result<Arc<Recorder>> {
        let (tx, mut rx) = mpsc::unbounded_channel::<Note>();
        std::thread::Builder::new().name("onair-history".into()).spawn(move || {
            yield_to_signaling();
            let mut tracker = Tracker::default();
            while let Some(first) = rx.blocking_recv() {
                // What queued meanwhile goes in the same transaction: a flash crowd's joins
                // cost a few commits instead of one each.
                let mut events = Vec::new();
                let mut next = Some(first);
                while let Some(note) = next.take() {
                    match note {
                        Note::Event { at, event } => events.push((at, event)),
                        Note::Shutdown { at, done } => {
                            tracker.apply_all(&history, events);
                            tracker.shutdown(&history, at);
                            let _ = done.send(());
                            // Later events (sockets closing after the server stopped) are not history.
                            return;
                        }
                    }
                    if events.len() < MAX_BATCH {
                        next = rx.try_recv().ok();
                    }
                }
                tracker.apply_all(&history, events);
            }
        })?;
        Ok(Arc::new(Recorder { tx }))
    }

    /// Hands an event over, stamped now. Never blocks; does nothing once the thread has stopped.
    pub fn record(&self, event: HubEvent) {
        let _ = self.tx.send(Note::Event { at: now_ms(), event });
    }

    /// Ends the live in progress, if any, and waits until that is written.
    pub async fn shutdown(&self) {
        let (done, written) = oneshot::channel();
        if self.tx.send(Note::Shutdown { at: now_ms(), done }).is_ok() {
            let _ = written.await;
        }
    }
}

/// Who is connected and which live is open, mirrored from the events; writes through `History`.
/// A failed write is logged and skipped: history is never worth stopping the stream for.
#[derive(Default)]
pub struct Tracker {
    /// Every connected viewer, live or not, with its display name and join order.
    present: HashMap<ViewerId, (u64, Option<String>)>,
    joined: u64,
    live: Option<OpenLive>,
}

struct OpenLive {
    id: LiveId,
    visits: HashMap<ViewerId, VisitId>,
}

impl Tracker {
    /// One event, in a transaction of its own.
    pub fn apply(&mut self, history: &History, at: i64, event: HubEvent) {
        self.apply_all(history, [(at, event)]);
    }

    /// Events in order, in one transaction.
    pub fn apply_all(&mut self, history: &History, events: impl IntoIterator<Item = (i64, HubEvent)>) {
        let written = history.write(|w| {
            for (at, event) in events {
                self.apply_in(w, at, event);
            }
        });
        if let Err(e) = written {
            tracing::error!("cannot write the stream history: {e}");
        }
    }

    /// A live started (from the studio, or an external encoder named by `source`).
    fn start_live(&mut self, history: &Writes<'_>, at: i64, source: Option<&str>) {
        // Cannot happen with the hub's rules; if it did, the old live ends here.
        self.end_live(history, at);
        let mut waiting: Vec<(&ViewerId, &(u64, Option<String>))> = self.present.iter().collect();
        waiting.sort_by_key(|(_, (order, _))| *order);
        let names: Vec<Option<String>> = waiting.iter().map(|(_, (_, name))| name.clone()).collect();
        match history.start_live(at, &names, source) {
            Ok((id, visit_ids)) => {
                let visits = waiting.iter().map(|(v, _)| (*v).clone()).zip(visit_ids).collect();
                tracing::debug!(live = id, waiting = names.len(), "live recorded");
                self.live = Some(OpenLive { id, visits });
            }
            Err(e) => tracing::error!("cannot record the start of a live: {e}"),
        }
    }

    fn apply_in(&mut self, history: &Writes<'_>, at: i64, event: HubEvent) {
        match event {
            HubEvent::LiveStarted => self.start_live(history, at, None),
            HubEvent::ExternalLiveStarted { client } => self.start_live(history, at, Some(&client)),
            HubEvent::IngestEndRequested => {}
            // The visit ends with the `ViewerLeft` that comes with it.
            HubEvent::ViewerRemoved { .. } => {}
            HubEvent::LiveEnded => self.end_live(history, at),
            HubEvent::ViewerJoined { viewer_id, name } => {
                self.joined += 1;
                self.present.insert(viewer_id.clone(), (self.joined, name.clone()));
                if let Some(live) = &mut self.live {
                    let watching = live.visits.len() + 1;
                    match history.viewer_joined(live.id, name.as_deref(), at, watching) {
                        Ok(visit) => {
                            live.visits.insert(viewer_id, visit);
                        }
                        Err(e) => tracing::error!("cannot record a viewer joining: {e}"),
                    }
                }
            }
            HubEvent::ViewerLeft { viewer_id } => {
                self.present.remove(&viewer_id);
                if let Some(live) = &mut self.live {
                    if let Some(visit) = live.visits.remove(&viewer_id) {
                        if let Err(e) = history.viewer_left(live.id, visit, at) {
                            tracing::error!("cannot record a viewer leaving: {e}");
                        }
                    }
                }
            }
        }
    }

    /// The server is stopping: the live in progress ends now.
    pub fn shutdown(&mut self, history: &History, at: i64) {
        if let Err(e) = history.write(|w| self.end_live(w, at)) {
            tracing::error!("cannot write the stream history: {e}");
        }
    }

    fn end_live(&mut self, history: &Writes<'_>, at: i64) {
        if let Some(live) = self.live.take() {
            match history.end_live(live.id, at) {
                Ok(()) => tracing::debug!(live = live.id, "end of live recorded"),
                Err(e) => tracing::error!("cannot record the end of a live: {e}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::db::Db;

    fn vid(n: u64) -> ViewerId {
        ViewerId(format!("viewer-{n}"))
    }

    fn joined(n: u64, name: Option<&str>) -> HubEvent {
        HubEvent::ViewerJoined { viewer_id: vid(n), name: name.map(str::to_owned) }
    }

    #[test]
    fn waiting_viewers_count_from_the_start_and_stayers_leave_at_the_end() {
        let history = History::new(Db::open_in_memory().unwrap());
        let mut t = Tracker::default();
        t.apply(&history, 100, joined(1, Some("early")));
        t.apply(&history, 150, joined(2, None));
        t.apply(&history, 160, HubEvent::ViewerLeft { viewer_id: vid(2) });
        t.apply(&history, 1_000, HubEvent::LiveStarted);
        t.apply(&history, 2_000, joined(3, Some("late")));
        t.apply(&history, 3_000, joined(4, None));
        t.apply(&history, 4_000, HubEvent::ViewerLeft { viewer_id: vid(3) });
        t.apply(&history, 5_000, HubEvent::LiveEnded);
        // After the live: viewers come and go without a trace.
        t.apply(&history, 6_000, joined(5, None));

        let lives = history.lives(10, 10_000).unwrap();
        assert_eq!(lives.len(), 1);
        let d = history.live(lives[0].id, 10_000).unwrap().unwrap();
        assert_eq!((d.live.started_at, d.live.ended_at), (1_000, Some(5_000)));
        assert_eq!(d.live.peak_viewers, 3);
        let visits: Vec<(Option<&str>, i64, Option<i64>)> =
            d.visits.iter().map(|v| (v.name.as_deref(), v.joined_at, v.left_at)).collect();
        assert_eq!(
            visits,
            vec![(Some("early"), 1_000, Some(5_000)), (Some("late"), 2_000, Some(4_000)), (None, 3_000, Some(5_000))]
        );
        assert_eq!(d.live.viewer_ms, 4_000 + 2_000 + 2_000);
    }

    #[test]
    fn shutdown_ends_the_live_and_a_second_live_is_separate() {
        let history = History::new(Db::open_in_memory().unwrap());
        let mut t = Tracker::default();
        t.apply(&history, 0, HubEvent::LiveStarted);
        t.apply(&history, 10, joined(1, None));
        t.apply(&history, 20, HubEvent::LiveEnded);
        t.apply(&history, 30, HubEvent::LiveStarted);
        t.shutdown(&history, 90);
        t.shutdown(&history, 95);
        let lives = history.lives(10, 100).unwrap();
        assert_eq!(lives.iter().map(|l| l.ended_at).collect::<Vec<_>>(), vec![Some(90), Some(20)]);
        // Viewer 1 never left: it is carried into the second live from its start.
        assert_eq!(lives[0].viewers, 1);
        assert_eq!(lives[0].viewer_ms, 60);
    }

    #[test]
    fn a_batch_records_what_the_same_events_one_by_one_record() {
        let events = || {
            vec![
                (100, joined(1, Some("early"))),
                (1_000, HubEvent::LiveStarted),
                (2_000, joined(2, None)),
                (3_000, HubEvent::ViewerLeft { viewer_id: vid(1) }),
                (4_000, HubEvent::LiveEnded),
            ]
        };
        let (one_by_one, batched) =
            (History::new(Db::open_in_memory().unwrap()), History::new(Db::open_in_memory().unwrap()));
        let mut t = Tracker::default();
        for (at, event) in events() {
            t.apply(&one_by_one, at, event);
        }
        Tracker::default().apply_all(&batched, events());
        let detail = |h: &History| {
            let id = h.lives(10, 10_000).unwrap()[0].id;
            let d = h.live(id, 10_000).unwrap().unwrap();
            (
                d.live.peak_viewers,
                d.live.viewer_ms,
                d.visits.iter().map(|v| (v.joined_at, v.left_at)).collect::<Vec<_>>(),
            )
        };
        assert_eq!(detail(&batched), detail(&one_by_one));
        assert_eq!(detail(&batched), (2, 2_000 + 2_000, vec![(1_000, Some(3_000)), (2_000, Some(4_000))]));
    }

    #[tokio::test]
    async fn a_burst_queued_before_shutdown_is_written_in_full() {
        let history = History::new(Db::open_in_memory().unwrap());
        let recorder = Recorder::start(history.clone()).unwrap();
        recorder.record(HubEvent::LiveStarted);
        // More than one batch, all queued at once.
        for n in 0..3000 {
            recorder.record(joined(n, None));
        }
        for n in 0..1000 {
            recorder.record(HubEvent::ViewerLeft { viewer_id: vid(n) });
        }
        recorder.shutdown().await;
        let live = &history.lives(10, now_ms()).unwrap()[0];
        assert_eq!((live.viewers, live.peak_viewers), (3000, 3000));
        let detail = history.live(live.id, now_ms()).unwrap().unwrap();
        assert_eq!(detail.visits.iter().filter(|v| v.left_at.is_some()).count(), 3000, "all closed at the end");
        assert!(live.ended_at.is_some());
    }

    #[tokio::test]
    async fn the_thread_writes_events_and_shutdown_waits_for_the_end() {
        let history = History::new(Db::open_in_memory().unwrap());
        let recorder = Recorder::start(history.clone()).unwrap();
        recorder.record(HubEvent::LiveStarted);
        recorder.record(joined(1, Some("Ann")));
        recorder.shutdown().await;
        let lives = history.lives(10, now_ms()).unwrap();
        assert_eq!(lives.len(), 1);
        assert!(lives[0].ended_at.is_some());
        assert_eq!(lives[0].viewers, 1);
        // After shutdown, events are dropped quietly.
        recorder.record(HubEvent::LiveStarted);
        recorder.shutdown().await;
    }
}
