//! Taking a role: the streamer registering or taking over, a viewer admitted (under the cap) or resuming.

use crate::protocol::{ErrorCode, ServerMessage};
use crate::server::signaling::hub::interface::{
    error, Action, ConnId, Departure, HubEvent, MediaPlan, Outbox, ViewerCap,
};
use crate::server::signaling::hub::state::{Conn, Hub, Live, Role};

/// Longest display name shown to the streamer, in characters.
pub(super) const MAX_NAME_CHARS: usize = 40;

impl Hub {
    pub(super) fn register_streamer(&mut self, conn: ConnId) -> Outbox {
        if let Some(refusal) = self.external_refusal(conn) {
            return refusal;
        }
        // A studio socket may go live itself.
        self.studios.remove(&conn);
        let mut out = Vec::new();
        if let Some(old) = self.streamer.filter(|old| *old != conn) {
            tracing::info!("a new admin connection takes over the stream");
            if let Some(c) = self.conns.get_mut(&old) {
                c.role = Role::Pending;
            }
            out.push(Action::Send {
                to: old,
                msg: ServerMessage::error(ErrorCode::Replaced, "another admin connection took over the stream"),
            });
            out.push(Action::Close { conn: old });
        }
        let was_live = self.streamer.is_some();
        if !was_live {
            self.capacity_remaining = None;
            out.push(Action::Event(HubEvent::LiveStarted));
            if self.live_goes_on() {
                // Back within the resume window (a studio reload): the same live.
                self.live.as_mut().expect("checked").lost_at = None;
            } else {
                out.extend(self.release_removed());
                self.lives_started += 1;
                self.live = Some(Live { id: self.lives_started, lost_at: None });
            }
        }
        self.streamer = Some(conn);
        self.conns.get_mut(&conn).expect("caller checked").role = Role::Streamer;
        tracing::info!(waiting_viewers = self.viewers.len(), "streamer registered; stream live");
        out.push(Action::Send {
            to: conn,
            msg: ServerMessage::StreamerReady { ice_servers: self.ice_servers.clone() },
        });
        out.push(Action::Send { to: conn, msg: ServerMessage::ViewerCount { count: self.viewers.len() } });
        let relay = self.relay_for_streamer(conn);
        out.extend(relay);
        let mut waiting: Vec<(ConnId, &Conn)> = self.viewers.values().map(|id| (*id, &self.conns[id])).collect();
        waiting.sort_by_key(|(id, _)| *id);
        for (_, c) in waiting {
            let Role::Viewer { name } = &c.role else { continue };
            out.push(Action::Send {
                to: conn,
                msg: ServerMessage::NewViewer { viewer_id: c.viewer_id.clone(), name: name.clone() },
            });
        }
        // A takeover also tells viewers, so they drop connections to the old streamer.
        if !was_live || out.iter().any(|a| matches!(a, Action::Close { .. })) {
            out.extend(self.to_all_viewers(ServerMessage::Live));
            out.extend(self.relay_to_all_viewers());
        }
        out
    }

    /// The admin session `conn` was opened with ended (signed out, or its password changed):
    /// the socket loses the admin right and is closed. A streamer ends the live as End live
    /// does, since nobody is left who may stream it.
    pub fn admin_session_ended(&mut self, conn: ConnId) -> Outbox {
        let Some(c) = self.conns.get_mut(&conn).filter(|c| c.is_admin) else { return Vec::new() };
        c.is_admin = false;
        let mut out = Vec::new();
        if c.role == Role::Studio {
            c.role = Role::Pending;
            self.studios.remove(&conn);
        } else if self.streamer == Some(conn) {
            c.role = Role::Pending;
            tracing::info!("the streamer's admin session ended; stream offline");
            out.extend(self.streamer_left(Departure::Clean));
        }
        out.extend(error(
            conn,
            ErrorCode::Unauthorized,
            "your admin session ended (signed out, or the password changed): sign in again at /login",
        ));
        out.push(Action::Close { conn });
        out
    }

    pub(super) fn register_viewer(
        &mut self,
        conn: ConnId,
        name: Option<String>,
        resume_token: Option<String>,
    ) -> Outbox {
        let claim = resume_token.as_deref().and_then(|t| self.resume_key.verify(t));
        let c = &self.conns[&conn];
        // A genuine token names the viewer even once it can no longer resume.
        if self.removals.refuses(claim.as_ref().map(|c| &c.viewer_id), c.device.as_ref(), c.address) {
            tracing::debug!(conn = conn.0, "a viewer removed from this live tried to come back");
            let c = self.conns.get_mut(&conn).expect("caller checked");
            if let Some(claim) = claim {
                c.viewer_id = claim.viewer_id;
            }
            c.role = Role::Removed;
            return vec![Action::Send { to: conn, msg: ServerMessage::Removed }];
        }
        let resumed = claim.filter(|claim| self.may_resume(claim)).map(|claim| claim.viewer_id);
        // Only a resume that replaces a socket still counted leaves the count as it is.
        let replaces = resumed.as_ref().is_some_and(|id| self.viewers.contains_key(id));
        if let Some(reason) = self.admission_refusal().filter(|_| !replaces) {
            tracing::debug!(conn = conn.0, "viewer refused: stream full");
            return error(conn, ErrorCode::Full, reason);
        }
        let mut out = Vec::new();
        if let Some(id) = &resumed {
            // The same viewer on a socket that has not noticed it is gone: this one replaces it.
            if let Some(old) = self.viewers.remove(id).filter(|old| *old != conn) {
                let mut negotiation = None;
                if let Some(c) = self.conns.get_mut(&old) {
                    c.role = Role::Pending;
                    negotiation = Some(c.negotiation);
                }
                // An offer sent to the old socket is answered on this one.
                if let Some(n) = negotiation {
                    self.conns.get_mut(&conn).expect("caller checked").negotiation = n;
                }
                out.push(Action::Event(HubEvent::ViewerLeft { viewer_id: id.clone() }));
                out.push(Action::Close { conn: old });
            }
            self.conns.get_mut(&conn).expect("caller checked").viewer_id = id.clone();
            tracing::debug!(viewer = %id, "viewer resumed");
        }
        if self.cap == ViewerCap::Auto && self.streamer.is_some() && !replaces {
            // Until the studio's next estimate, count this viewer against the last one.
            self.capacity_remaining = self.capacity_remaining.map(|n| n.saturating_sub(1));
        }
        let name = name.as_deref().and_then(clean_name);
        let c = self.conns.get_mut(&conn).expect("caller checked");
        c.role = Role::Viewer { name: name.clone() };
        let viewer_id = c.viewer_id.clone();
        self.viewers.insert(viewer_id.clone(), conn);
        tracing::debug!(viewer = %viewer_id, name = name.as_deref().unwrap_or(""), "viewer joined");
        out.extend([
            Action::Event(HubEvent::ViewerJoined { viewer_id: viewer_id.clone(), name: name.clone() }),
            Action::Send {
                to: conn,
                msg: ServerMessage::Welcome {
                    viewer_id: viewer_id.clone(),
                    ice_servers: self.ice_servers.clone(),
                    resume_token: self.resume_key.token(&viewer_id, self.run),
                },
            },
            Action::Send { to: conn, msg: ServerMessage::ViewerCount { count: self.viewers.len() } },
        ]);
        match self.streamer {
            Some(s) => {
                out.push(Action::Send { to: conn, msg: ServerMessage::Live });
                out.extend(self.relay_for_joiner(conn, s));
                out.push(Action::Send { to: s, msg: ServerMessage::NewViewer { viewer_id, name } });
            }
            // An external encoder's live is always relayed.
            None if self.external.is_some() => {
                out.push(Action::Send { to: conn, msg: ServerMessage::Live });
                out.extend(self.use_relay().map(|msg| Action::Send { to: conn, msg }));
                out.extend(self.to_dashboards(ServerMessage::NewViewer { viewer_id, name }));
            }
            // A resuming viewer was watching a live this server has not seen end.
            None if resumed.is_some() => out.push(Action::Send { to: conn, msg: ServerMessage::StreamerLost }),
            None => out.push(Action::Send { to: conn, msg: ServerMessage::Offline }),
        }
        out
    }

    /// Why a new viewer cannot be admitted now, in words, or `None`.
    fn admission_refusal(&self) -> Option<String> {
        match self.cap {
            ViewerCap::Unlimited => None,
            ViewerCap::Fixed(max) if self.viewers.len() >= max => {
                Some(format!("the stream is full ({max} viewers); try again in a moment"))
            }
            ViewerCap::Fixed(_) => None,
            // With a relay to move to, a full uplink is no reason to turn anyone away.
            ViewerCap::Auto if self.media_plan != MediaPlan::MeshOnly => None,
            ViewerCap::Auto if self.streamer.is_some() && self.capacity_remaining == Some(0) => Some(
                "the stream is full: the streamer's connection cannot serve more viewers at this quality; try again in a moment"
                    .to_owned(),
            ),
            ViewerCap::Auto => None,
        }
    }
}

/// A display name as shown to the streamer: trimmed, no control characters, bounded.
pub(super) fn clean_name(raw: &str) -> Option<String> {
    let name: String =
        raw.chars().filter(|c| !c.is_control()).take(MAX_NAME_CHARS).collect::<String>().trim().to_owned();
    (!name.is_empty()).then_some(name)
}
