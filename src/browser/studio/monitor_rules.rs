//! The studio's rules while it does not stream itself, as a plain state machine: its `studio`
//! socket shows an external encoder's live (OBS, ffmpeg over WHIP) and that live's viewers.

use crate::browser::studio::rules::SESSION_ENDED;
use crate::protocol::{
    ClientMessage, ErrorCode, IngestReport, RelayReport, ServerMessage, VideoCodec, ViewerId, ViewerReport,
};
use crate::web::components::external_live::go_live_refusal;

/// What happened to the watching studio.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorEvent {
    /// The socket is (again) connected.
    SignalingOpened,
    Server(ServerMessage),
    /// The admin pressed "End live" while the encoder is live.
    EndClicked,
    /// The admin pressed "Remove" on a viewer's row.
    RemoveClicked {
        viewer: ViewerId,
    },
}

/// What the page has to do about it.
#[derive(Clone, Debug, PartialEq)]
pub enum MonitorAction {
    Send(ClientMessage),
    /// An external encoder is live: say from what, and empty the last live's figures.
    ShowExternal {
        client: String,
        codec: VideoCodec,
    },
    /// The relay's figures of the incoming stream.
    ShowIngest(IngestReport),
    /// The external live ended: say why.
    ShowEnded {
        reason: String,
    },
    /// A row for a viewer of the live (they all play from the relay).
    AddRow {
        viewer: ViewerId,
        name: Option<String>,
    },
    DropRow {
        viewer: ViewerId,
    },
    /// Every row off (the server lists the viewers again after a reconnect).
    ClearRows,
    ShowRelayReport {
        viewer: ViewerId,
        report: RelayReport,
    },
    ShowViewerReport {
        viewer: ViewerId,
        report: ViewerReport,
    },
    /// Stop watching, showing why (the admin session ended).
    Stop {
        reason: &'static str,
    },
    /// The server refused a message: worth a console line, nothing more.
    LogRefusal {
        code: ErrorCode,
        message: String,
    },
}

/// Where the studio page stands while it is not streaming itself.
#[derive(Default)]
pub struct MonitorRules {
    /// The encoder's name, while an external live is on.
    external: Option<String>,
    /// The live's viewers, by id: the rows shown.
    viewers: Vec<ViewerId>,
}

impl MonitorRules {
    pub fn handle(&mut self, event: MonitorEvent) -> Vec<MonitorAction> {
        use MonitorAction as A;
        match event {
            // The server says at once what is live and who watches: start from nothing
            // rather than keep rows of viewers who left while the socket was away.
            MonitorEvent::SignalingOpened => {
                self.viewers.clear();
                vec![A::ClearRows, A::Send(ClientMessage::Studio)]
            }
            MonitorEvent::Server(msg) => self.on_server(msg),
            MonitorEvent::EndClicked if self.external.is_some() => vec![A::Send(ClientMessage::EndLive)],
            MonitorEvent::EndClicked => Vec::new(),
            MonitorEvent::RemoveClicked { viewer } => vec![A::Send(ClientMessage::RemoveViewer { viewer_id: viewer })],
        }
    }

    /// Why "Go live" cannot start here now, in words; `None` when it can.
    pub fn go_live_refusal(&self) -> Option<String> {
        self.external.as_deref().map(go_live_refusal)
    }

    /// An external encoder is live.
    pub fn external_live(&self) -> bool {
        self.external.is_some()
    }

    fn on_server(&mut self, msg: ServerMessage) -> Vec<MonitorAction> {
        use MonitorAction as A;
        match msg {
            ServerMessage::Ingest { client, codec } => {
                // The same live announced again (a reconnect) keeps its rows.
                self.external = Some(client.clone());
                vec![A::ShowExternal { client, codec }]
            }
            ServerMessage::IngestStats(report) if self.external.is_some() => vec![A::ShowIngest(report)],
            ServerMessage::IngestEnded { reason } => {
                self.external = None;
                self.viewers.clear();
                vec![A::ShowEnded { reason }, A::ClearRows]
            }
            ServerMessage::NewViewer { viewer_id, name } if !self.viewers.contains(&viewer_id) => {
                self.viewers.push(viewer_id.clone());
                vec![A::AddRow { viewer: viewer_id, name }]
            }
            ServerMessage::ViewerLeft { viewer_id } => match self.viewers.iter().position(|v| v == &viewer_id) {
                Some(at) => {
                    self.viewers.swap_remove(at);
                    vec![A::DropRow { viewer: viewer_id }]
                }
                None => Vec::new(),
            },
            ServerMessage::RelayStats { viewer_id, report } if self.viewers.contains(&viewer_id) => {
                vec![A::ShowRelayReport { viewer: viewer_id, report }]
            }
            ServerMessage::ViewerStats { viewer_id, report } if self.viewers.contains(&viewer_id) => {
                vec![A::ShowViewerReport { viewer: viewer_id, report }]
            }
            ServerMessage::Error { code: ErrorCode::Unauthorized, .. } => vec![A::Stop { reason: SESSION_ENDED }],
            ServerMessage::Error { code, message } => vec![A::LogRefusal { code, message }],
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> ViewerId {
        ViewerId(s.to_owned())
    }

    fn server(rules: &mut MonitorRules, msg: ServerMessage) -> Vec<MonitorAction> {
        rules.handle(MonitorEvent::Server(msg))
    }

    fn ingest_report() -> IngestReport {
        IngestReport {
            bitrate_kbps: 1200.0,
            frames_per_second: 30.0,
            width: 640,
            height: 360,
            codec: VideoCodec::H264,
            packet_loss: 0.0,
        }
    }

    /// Rules of a studio page that sees ffmpeg live.
    fn watching_ffmpeg() -> MonitorRules {
        let mut rules = MonitorRules::default();
        rules.handle(MonitorEvent::SignalingOpened);
        server(&mut rules, ServerMessage::Ingest { client: "ffmpeg".into(), codec: VideoCodec::H264 });
        rules
    }

    #[test]
    fn the_socket_asks_to_watch_as_studio_and_starts_from_no_rows() {
        let mut rules = MonitorRules::default();
        assert_eq!(
            rules.handle(MonitorEvent::SignalingOpened),
            vec![MonitorAction::ClearRows, MonitorAction::Send(ClientMessage::Studio)]
        );
    }

    #[test]
    fn an_external_live_is_shown_with_its_figures() {
        let mut rules = MonitorRules::default();
        rules.handle(MonitorEvent::SignalingOpened);
        // Figures before the live is announced belong to nothing shown.
        assert_eq!(server(&mut rules, ServerMessage::IngestStats(ingest_report())), vec![]);
        assert_eq!(
            server(&mut rules, ServerMessage::Ingest { client: "OBS Studio 30.2".into(), codec: VideoCodec::H264 }),
            vec![MonitorAction::ShowExternal { client: "OBS Studio 30.2".into(), codec: VideoCodec::H264 }]
        );
        assert!(rules.external_live());
        assert_eq!(
            server(&mut rules, ServerMessage::IngestStats(ingest_report())),
            vec![MonitorAction::ShowIngest(ingest_report())]
        );
    }

    #[test]
    fn viewers_get_one_row_each_with_the_relays_and_their_own_figures() {
        let mut rules = watching_ffmpeg();
        let joined = ServerMessage::NewViewer { viewer_id: id("a"), name: None };
        assert_eq!(server(&mut rules, joined.clone()), vec![MonitorAction::AddRow { viewer: id("a"), name: None }]);
        // Announced again (the server lists viewers after a reconnect of theirs): one row.
        assert_eq!(server(&mut rules, joined), vec![]);
        let relay = RelayReport { video_kbps: Some(900.0), ..Default::default() };
        assert_eq!(
            server(&mut rules, ServerMessage::RelayStats { viewer_id: id("a"), report: relay.clone() }),
            vec![MonitorAction::ShowRelayReport { viewer: id("a"), report: relay.clone() }]
        );
        let seen = ViewerReport { fps: Some(30.0), ..Default::default() };
        assert_eq!(
            server(&mut rules, ServerMessage::ViewerStats { viewer_id: id("a"), report: seen.clone() }),
            vec![MonitorAction::ShowViewerReport { viewer: id("a"), report: seen }]
        );
        // Figures of a viewer without a row are dropped.
        assert_eq!(server(&mut rules, ServerMessage::RelayStats { viewer_id: id("b"), report: relay }), vec![]);
        assert_eq!(
            server(&mut rules, ServerMessage::ViewerLeft { viewer_id: id("a") }),
            vec![MonitorAction::DropRow { viewer: id("a") }]
        );
        assert_eq!(server(&mut rules, ServerMessage::ViewerLeft { viewer_id: id("a") }), vec![]);
    }

    #[test]
    fn end_live_and_remove_ask_the_server() {
        let mut rules = MonitorRules::default();
        rules.handle(MonitorEvent::SignalingOpened);
        // Nothing external is live: nothing to end.
        assert_eq!(rules.handle(MonitorEvent::EndClicked), vec![]);
        let mut rules = watching_ffmpeg();
        assert_eq!(rules.handle(MonitorEvent::EndClicked), vec![MonitorAction::Send(ClientMessage::EndLive)]);
        assert_eq!(
            rules.handle(MonitorEvent::RemoveClicked { viewer: id("a") }),
            vec![MonitorAction::Send(ClientMessage::RemoveViewer { viewer_id: id("a") })]
        );
    }

    #[test]
    fn the_end_of_the_external_live_says_why_and_empties_the_table() {
        let mut rules = watching_ffmpeg();
        server(&mut rules, ServerMessage::NewViewer { viewer_id: id("a"), name: None });
        assert_eq!(
            server(&mut rules, ServerMessage::IngestEnded { reason: "the encoder stopped".into() }),
            vec![MonitorAction::ShowEnded { reason: "the encoder stopped".into() }, MonitorAction::ClearRows]
        );
        assert!(!rules.external_live());
        assert_eq!(rules.go_live_refusal(), None);
        assert_eq!(server(&mut rules, ServerMessage::IngestStats(ingest_report())), vec![]);
        // The same viewer in the next live gets a row again.
        assert_eq!(
            server(&mut rules, ServerMessage::NewViewer { viewer_id: id("a"), name: None }),
            vec![MonitorAction::AddRow { viewer: id("a"), name: None }]
        );
    }

    #[test]
    fn go_live_is_refused_in_words_while_an_encoder_is_live() {
        let rules = watching_ffmpeg();
        let refusal = rules.go_live_refusal().unwrap();
        assert!(refusal.starts_with("ffmpeg is live"), "{refusal}");
        assert!(refusal.contains("End that live first"), "{refusal}");
    }

    #[test]
    fn a_lost_session_stops_watching_and_other_refusals_are_logged() {
        let mut rules = watching_ffmpeg();
        assert_eq!(
            server(&mut rules, ServerMessage::error(ErrorCode::Unauthorized, "sign in")),
            vec![MonitorAction::Stop { reason: SESSION_ENDED }]
        );
        assert_eq!(
            server(&mut rules, ServerMessage::error(ErrorCode::NotLive, "nothing is live")),
            vec![MonitorAction::LogRefusal { code: ErrorCode::NotLive, message: "nothing is live".into() }]
        );
    }
}
