//! What the hub tests share: a hub, ids, SDP and candidates, and readers of an outbox.

use crate::protocol::{
    ClientMessage, ErrorCode, IceCandidate, IceServer, SdpType, ServerMessage, SessionDescription, ViewerId,
};
use crate::server::signaling::hub::{Action, ConnId, Hub, HubEvent, Outbox};

pub(super) const ADMIN: ConnId = ConnId(1);

pub(super) fn hub() -> Hub {
    Hub::new(vec![IceServer { urls: vec!["stun:stun.example".into()], username: None, credential: None }])
}

pub(super) fn vid(n: u64) -> ViewerId {
    ViewerId(format!("viewer-{n}"))
}

pub(super) fn sdp(kind: SdpType) -> SessionDescription {
    SessionDescription { kind, sdp: "v=0\r\n".into() }
}

pub(super) fn cand() -> IceCandidate {
    IceCandidate {
        candidate: "candidate:1".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: None,
    }
}

/// Every message `to` receives in an outbox, in order.
pub(super) fn received(out: &Outbox, to: ConnId) -> Vec<ServerMessage> {
    out.iter()
        .filter_map(|a| match a {
            Action::Send { to: t, msg } if *t == to => Some(msg.clone()),
            Action::Broadcast { to: ts, msg } if ts.contains(&to) => Some(msg.clone()),
            _ => None,
        })
        .collect()
}

pub(super) fn error_code(out: &Outbox, to: ConnId) -> Option<ErrorCode> {
    received(out, to).into_iter().find_map(|m| match m {
        ServerMessage::Error { code, .. } => Some(code),
        _ => None,
    })
}

pub(super) fn join_viewer(h: &mut Hub, n: u64) -> Outbox {
    h.connect(ConnId(n), vid(n), false, true);
    h.handle(ConnId(n), ClientMessage::Viewer { name: None, resume_token: None })
}

pub(super) fn go_live(h: &mut Hub) -> Outbox {
    h.connect(ADMIN, vid(1), true, true);
    h.handle(ADMIN, ClientMessage::Streamer)
}

pub(super) fn events(out: &Outbox) -> Vec<HubEvent> {
    out.iter()
        .filter_map(|a| match a {
            Action::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// The streamer offers viewer `n` a negotiation (which lets it answer and send candidates).
pub(super) fn offer_to(h: &mut Hub, n: u64) -> Outbox {
    h.handle(ADMIN, ClientMessage::Offer { offer: sdp(SdpType::Offer), viewer_id: vid(n) })
}
