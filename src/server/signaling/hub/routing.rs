//! Who gets which message: each client message checked against its sender's role, then relayed.

use crate::protocol::{ClientMessage, ErrorCode, ServerMessage, Target, ViewerId, ViewerReport};
use crate::server::signaling::hub::interface::{error, Action, ConnId, HubEvent, Outbox};
use crate::server::signaling::hub::negotiation::{Negotiation, OutOfTurn};
use crate::server::signaling::hub::state::{Hub, Role};
use std::time::Duration;

/// A viewer reports every 2 s; anything faster than this is refused.
pub const VIEWER_STATS_EVERY: Duration = Duration::from_secs(1);

impl Hub {
    /// One decoded message from a connection.
    pub fn handle(&mut self, conn: ConnId, msg: ClientMessage) -> Outbox {
        let Some(c) = self.conns.get(&conn) else { return Vec::new() };
        let role = c.role.clone();
        match (msg, role) {
            (ClientMessage::Streamer, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "this connection is already a viewer")
            }
            (ClientMessage::Streamer, _) if !c.is_admin => {
                error(conn, ErrorCode::Unauthorized, "only a signed-in admin can stream: sign in at /login")
            }
            (ClientMessage::Streamer, _) => self.register_streamer(conn),
            (ClientMessage::Studio, _) if !c.is_admin => {
                error(conn, ErrorCode::Unauthorized, "only a signed-in admin can open the studio: sign in at /login")
            }
            (ClientMessage::Studio, Role::Pending | Role::Studio) => self.register_studio(conn),
            (ClientMessage::Studio, _) => error(conn, ErrorCode::WrongRole, "this connection already has a role"),
            (ClientMessage::EndLive, Role::Studio | Role::Streamer) => self.end_live_asked(conn),
            (ClientMessage::EndLive, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "only the studio ends a live")
            }
            (ClientMessage::RemoveViewer { viewer_id }, Role::Studio) => self.remove_viewer(conn, viewer_id),
            (
                ClientMessage::Offer { .. }
                | ClientMessage::Answer { .. }
                | ClientMessage::Candidate { .. }
                | ClientMessage::ViewerStats(_)
                | ClientMessage::Capacity { .. },
                Role::Studio,
            ) => error(
                conn,
                ErrorCode::WrongRole,
                "a studio socket only watches: send {\"type\":\"streamer\"} to go live",
            ),
            (ClientMessage::Viewer { .. }, Role::Studio) => {
                error(conn, ErrorCode::WrongRole, "a studio socket cannot also be a viewer")
            }
            (ClientMessage::Viewer { .. }, Role::Pending) if !c.may_watch => {
                error(conn, ErrorCode::CodeRequired, "this stream needs a code: enter it at /watch")
            }
            (ClientMessage::Viewer { name, resume_token }, Role::Pending) => {
                self.register_viewer(conn, name, resume_token)
            }
            (ClientMessage::Viewer { .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "this connection is already a viewer")
            }
            (ClientMessage::Viewer { .. }, Role::Streamer) => {
                error(conn, ErrorCode::WrongRole, "the streamer cannot also be a viewer")
            }
            (ClientMessage::Viewer { .. }, Role::Removed) => error(
                conn,
                ErrorCode::WrongRole,
                "the streamer removed you from this live; you can watch again when the next live starts",
            ),
            (ClientMessage::ViewerStats(report), Role::Viewer { .. }) => self.viewer_stats(conn, report),
            (ClientMessage::ViewerStats(_), Role::Streamer) => {
                error(conn, ErrorCode::WrongRole, "only viewers send viewer statistics")
            }
            (ClientMessage::RemoveViewer { viewer_id }, Role::Streamer) => self.remove_viewer(conn, viewer_id),
            (ClientMessage::Capacity { remaining }, Role::Streamer) => {
                self.capacity_remaining = remaining;
                Vec::new()
            }
            (ClientMessage::RemoveViewer { .. } | ClientMessage::Capacity { .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "only the streamer manages viewers")
            }
            (ClientMessage::Offer { offer, viewer_id }, Role::Streamer) => {
                if let Some(c) = self.viewers.get(&viewer_id).and_then(|v| self.conns.get_mut(v)) {
                    c.negotiation.offered();
                }
                self.to_viewer(conn, viewer_id, |viewer_id| ServerMessage::Offer { offer, viewer_id })
            }
            (ClientMessage::Candidate { candidate, viewer_id, .. }, Role::Streamer) => {
                let Some(viewer_id) = viewer_id else {
                    return error(
                        conn,
                        ErrorCode::InvalidMessage,
                        "a candidate from the streamer needs the viewerId it is for",
                    );
                };
                self.to_viewer(conn, viewer_id, |viewer_id| ServerMessage::Candidate {
                    candidate,
                    target: Target::Viewer,
                    viewer_id,
                })
            }
            (ClientMessage::Answer { .. }, Role::Streamer) => {
                error(conn, ErrorCode::WrongRole, "the streamer sends offers, not answers")
            }
            (ClientMessage::Answer { answer, .. }, Role::Viewer { .. }) => {
                self.viewer_to_streamer(conn, Negotiation::answer, |viewer_id| ServerMessage::Answer {
                    answer,
                    viewer_id,
                })
            }
            (ClientMessage::Candidate { target: Target::Viewer, .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "a viewer can only send candidates to the streamer")
            }
            (ClientMessage::Candidate { candidate, .. }, Role::Viewer { .. }) => {
                self.viewer_to_streamer(conn, Negotiation::candidate, |viewer_id| ServerMessage::Candidate {
                    candidate,
                    target: Target::Streamer,
                    viewer_id,
                })
            }
            (ClientMessage::Offer { .. }, Role::Viewer { .. }) => {
                error(conn, ErrorCode::WrongRole, "only the streamer sends offers")
            }
            (
                ClientMessage::Offer { .. }
                | ClientMessage::Answer { .. }
                | ClientMessage::Candidate { .. }
                | ClientMessage::ViewerStats(_)
                | ClientMessage::RemoveViewer { .. }
                | ClientMessage::Capacity { .. }
                | ClientMessage::EndLive,
                Role::Pending | Role::Removed,
            ) => error(conn, ErrorCode::NotRegistered, "send {\"type\":\"viewer\"} or {\"type\":\"streamer\"} first"),
        }
    }

    fn viewer_stats(&mut self, conn: ConnId, report: ViewerReport) -> Outbox {
        if !report.is_plausible() {
            return error(conn, ErrorCode::InvalidMessage, "viewer statistics out of range");
        }
        let now = self.now;
        let c = self.conns.get_mut(&conn).expect("caller checked");
        if c.last_stats.is_some_and(|last| now.saturating_sub(last) < VIEWER_STATS_EVERY) {
            return error(conn, ErrorCode::RateLimited, "viewer statistics are accepted at most once per second");
        }
        c.last_stats = Some(now);
        let viewer_id = c.viewer_id.clone();
        // Nobody to tell is not the viewer's fault.
        self.to_dashboards(ServerMessage::ViewerStats { viewer_id, report })
    }

    fn remove_viewer(&mut self, from: ConnId, viewer_id: ViewerId) -> Outbox {
        let Some(conn) = self.viewers.remove(&viewer_id) else {
            return error(from, ErrorCode::UnknownViewer, format!("no viewer {viewer_id} is connected"));
        };
        let now = self.wall_now();
        if let Some(c) = self.conns.get_mut(&conn) {
            c.role = Role::Removed;
            self.removals.add(viewer_id.clone(), c.device.as_ref(), c.address, now);
        }
        tracing::info!(viewer = %viewer_id, "viewer removed by the streamer");
        let mut out = vec![
            Action::Event(HubEvent::ViewerLeft { viewer_id: viewer_id.clone() }),
            Action::Event(HubEvent::ViewerRemoved { viewer_id: viewer_id.clone() }),
            Action::Send { to: conn, msg: ServerMessage::Removed },
        ];
        let mut told = self.dashboards();
        if !told.contains(&from) {
            told.push(from);
        }
        out.extend(
            told.into_iter()
                .map(|to| Action::Send { to, msg: ServerMessage::ViewerLeft { viewer_id: viewer_id.clone() } }),
        );
        out
    }

    fn to_viewer(&self, from: ConnId, viewer_id: ViewerId, make: impl FnOnce(ViewerId) -> ServerMessage) -> Outbox {
        match self.viewers.get(&viewer_id) {
            Some(to) => vec![Action::Send { to: *to, msg: make(viewer_id) }],
            None => error(from, ErrorCode::UnknownViewer, format!("no viewer {viewer_id} is connected")),
        }
    }

    /// A viewer's part of a negotiation, relayed to the streamer when one is there and the
    /// negotiation allows it (`allowed`), attributed to the viewer whatever id it claimed.
    fn viewer_to_streamer(
        &mut self,
        from: ConnId,
        allowed: fn(&mut Negotiation) -> Result<(), OutOfTurn>,
        make: impl FnOnce(ViewerId) -> ServerMessage,
    ) -> Outbox {
        let Some(to) = self.streamer else { return error(from, ErrorCode::NoStreamer, "the stream is offline") };
        let c = self.conns.get_mut(&from).expect("caller checked");
        if let Err(e) = allowed(&mut c.negotiation) {
            return error(from, e.code(), e.to_string());
        }
        vec![Action::Send { to, msg: make(c.viewer_id.clone()) }]
    }

    pub(super) fn to_all_viewers(&self, msg: ServerMessage) -> Outbox {
        if self.viewers.is_empty() {
            return Vec::new();
        }
        vec![Action::Broadcast { to: self.viewers.values().copied().collect(), msg }]
    }
}
