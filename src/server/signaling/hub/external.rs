//! A live from an external encoder (OBS, ffmpeg over WHIP with a stream key): when it starts
//! and ends, the `studio` sockets that watch its dashboard, and what they and viewers are told.

use crate::protocol::{ErrorCode, IngestReport, ServerMessage, VideoCodec};
use crate::server::signaling::hub::encoder::ExternalLive;
use crate::server::signaling::hub::interface::{error, Action, ConnId, HubEvent, Outbox};
use crate::server::signaling::hub::state::{Conn, Hub, Live, Role};

impl Hub {
    /// Whether a browser studio is live (an external encoder's publish is then refused).
    pub fn browser_live(&self) -> bool {
        self.streamer.is_some()
    }

    /// The client name of the external encoder that is live, if one is.
    pub fn external_client(&self) -> Option<&str> {
        self.external.as_ref().map(|e| e.client.as_str())
    }

    /// An external encoder's stream arrived at the relay: viewers get `live` and play from
    /// the relay, `studio` sockets get `ingest`. The same encoder reconnecting (its key took
    /// over its own session) stays the same live.
    pub fn external_live_started(&mut self, client: String, codec: VideoCodec) -> Outbox {
        let ingest = ServerMessage::Ingest { client: client.clone(), codec };
        let was_live = self.external.replace(ExternalLive { client: client.clone(), codec }).is_some();
        if was_live {
            return self.to_studios(ingest);
        }
        tracing::info!(client = %client, "an external encoder is live through the relay");
        let mut out = self.release_removed();
        self.lives_started += 1;
        self.live = Some(Live { id: self.lives_started, lost_at: None });
        self.relay_reason = Some(format!("{client} publishes to the relay (WHIP)"));
        out.push(Action::Event(HubEvent::ExternalLiveStarted { client }));
        out.extend(self.to_studios(ingest));
        out.extend(self.to_all_viewers(ServerMessage::Live));
        out.extend(self.relay_to_all_viewers());
        out
    }

    /// The external encoder's live ended (`reason` in words): viewers go offline as when a
    /// studio ends its live, `studio` sockets get `ingestEnded`.
    pub fn external_live_ended(&mut self, reason: &str) -> Outbox {
        if self.external.take().is_none() {
            return Vec::new();
        }
        tracing::info!("the external encoder's live ended: {reason}");
        self.live = None;
        self.relay_reason = None;
        let mut out = vec![Action::Event(HubEvent::LiveEnded)];
        out.extend(self.to_studios(ServerMessage::IngestEnded { reason: reason.to_owned() }));
        out.extend(self.to_all_viewers(ServerMessage::Offline));
        out.extend(self.release_removed());
        out
    }

    /// The relay's once-a-second figures of the incoming stream, to `studio` sockets.
    pub fn ingest_stats(&self, report: IngestReport) -> Outbox {
        if self.external.is_none() {
            return Vec::new();
        }
        self.to_studios(ServerMessage::IngestStats(report))
    }

    /// `{"type":"studio"}` from an admin socket: it watches the dashboard. While an external
    /// encoder is live it is told so at once, with the count and every viewer's row.
    pub(super) fn register_studio(&mut self, conn: ConnId) -> Outbox {
        self.conns.get_mut(&conn).expect("caller checked").role = Role::Studio;
        self.studios.insert(conn);
        let Some(external) = &self.external else { return Vec::new() };
        let mut out = vec![
            Action::Send {
                to: conn,
                msg: ServerMessage::Ingest { client: external.client.clone(), codec: external.codec },
            },
            Action::Send { to: conn, msg: ServerMessage::ViewerCount { count: self.viewers.len() } },
        ];
        out.extend(self.use_relay().map(|msg| Action::Send { to: conn, msg }));
        let mut waiting: Vec<(ConnId, &Conn)> = self.viewers.values().map(|id| (*id, &self.conns[id])).collect();
        waiting.sort_by_key(|(id, _)| *id);
        for (_, c) in waiting {
            let Role::Viewer { name } = &c.role else { continue };
            out.push(Action::Send {
                to: conn,
                msg: ServerMessage::NewViewer { viewer_id: c.viewer_id.clone(), name: name.clone() },
            });
        }
        out
    }

    /// `{"type":"endLive"}`: the external encoder's live ends now; the relay deletes its session.
    pub(super) fn end_live_asked(&mut self, conn: ConnId) -> Outbox {
        if self.external.is_none() {
            return error(conn, ErrorCode::NotLive, "no external encoder is live");
        }
        let mut out = self.external_live_ended("ended from the studio (End live)");
        out.push(Action::Event(HubEvent::IngestEndRequested));
        out
    }

    /// The browser studio may not go live over an external encoder's live.
    pub(super) fn external_refusal(&self, conn: ConnId) -> Option<Outbox> {
        let external = self.external.as_ref()?;
        let words = format!("{} is live on this server; end that live first", external.client);
        Some(error(conn, ErrorCode::ExternalLive, words))
    }

    /// Who sees the live's viewer rows: the browser streamer, or during an external live the
    /// `studio` sockets.
    pub(super) fn dashboards(&self) -> Vec<ConnId> {
        match self.streamer {
            Some(s) => vec![s],
            None if self.external.is_some() => self.studios.iter().copied().collect(),
            None => Vec::new(),
        }
    }

    pub(super) fn to_dashboards(&self, msg: ServerMessage) -> Outbox {
        fan_out(self.dashboards(), msg)
    }

    fn to_studios(&self, msg: ServerMessage) -> Outbox {
        fan_out(self.studios.iter().copied().collect(), msg)
    }
}

/// One message to each of `to`: a plain send for one, a broadcast (serialized once) for more.
fn fan_out(mut to: Vec<ConnId>, msg: ServerMessage) -> Outbox {
    match to.len() {
        0 => Vec::new(),
        1 => vec![Action::Send { to: to.remove(0), msg }],
        _ => vec![Action::Broadcast { to, msg }],
    }
}
