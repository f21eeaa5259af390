//! How the rest of the server talks to the relay thread: typed commands with a reply
//! channel, and the errors they can end in.

use crate::protocol::ViewerId;
use crate::server::media::metrics::RelayMetrics;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Whether a session sends to the relay (WHIP) or plays from it (WHEP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Publish,
    Play,
}

/// What a `PATCH` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Patched {
    /// Trickled candidates were added.
    Trickled,
    /// An ICE restart: the session's new ETag and the relay's answer fragment.
    Restarted { etag: String, fragment: String },
}

/// A session the relay created: what the HTTP answer carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Created {
    /// The secret last segment of the session's `Location`.
    pub resource: String,
    pub etag: String,
    pub answer_sdp: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RelayError {
    #[error("the offer is not a valid SDP offer: {0}")]
    BadOffer(String),
    #[error("the offer has no audio or video the relay can use (it relays VP8, VP9, H.264, AV1 and Opus)")]
    NoUsableMedia,
    #[error("no such session (it ended, or never existed)")]
    NoSuchSession,
    #[error("the relay is at capacity right now; try again in a moment")]
    Overloaded,
    #[error("the relay is full: {0} sessions at once")]
    Full(usize),
    #[error("too many relay sessions from one address (at most {0})")]
    TooManyFromAddress(usize),
    #[error("the session changed since that ETag was issued")]
    EtagMismatch,
    #[error("a candidate line could not be read: {0}")]
    BadCandidate(String),
    #[error("the ICE restart cannot be done: {0}")]
    BadRestart(String),
    #[error("an ICE restart must be sent with `If-Match: *` (RFC 9725 §4.4.2)")]
    RestartWithoutWildcard,
    #[error("another admin is live through the relay; end that live first")]
    AnotherPublisher,
    #[error("this stream is {0} video, which this player cannot decode")]
    CannotDecode(&'static str),
    #[error("the relay is not running")]
    Stopped,
}

pub(super) enum Command {
    Open {
        direction: Direction,
        offer: String,
        viewer_id: Option<ViewerId>,
        /// Who publishes (an admin account), for the one-publisher rule.
        owner: Option<String>,
        /// An external encoder's name (OBS, ffmpeg): its live is announced to the hub.
        encoder: Option<String>,
        peer: IpAddr,
        reply: oneshot::Sender<Result<Created, RelayError>>,
    },
    Trickle {
        direction: Direction,
        resource: String,
        if_match: Option<String>,
        fragment: String,
        reply: oneshot::Sender<Result<Patched, RelayError>>,
    },
    Close {
        direction: Direction,
        resource: String,
        reply: oneshot::Sender<Result<(), RelayError>>,
    },
    /// The streamer removed this viewer from the live.
    RemoveViewer {
        viewer_id: ViewerId,
    },
    /// End the external encoder's publish (of `owner` only, when given), saying why.
    EndPublisher {
        owner: Option<String>,
        reason: String,
    },
}

/// The publisher name of an external encoder publishing with `admin`'s stream key.
pub fn encoder_owner(admin: crate::server::auth::accounts::AdminId) -> String {
    format!("key:{}", admin.0)
}

impl crate::server::signaling::service::MediaObserver for RelayHandle {
    fn viewer_removed(&self, viewer_id: &ViewerId) {
        self.remove_viewer(viewer_id.clone());
    }

    fn end_ingest(&self) {
        self.end_external(None, "ended from the studio (End live)".to_owned());
    }
}

/// A cheap, cloneable way to reach the relay thread.
#[derive(Clone)]
pub struct RelayHandle {
    pub(super) commands: mpsc::Sender<Command>,
    pub(super) metrics: Arc<RelayMetrics>,
    pub(super) local_addr: SocketAddr,
    pub(super) announced: Arc<Vec<SocketAddr>>,
}

impl RelayHandle {
    /// The UDP address the relay's socket is bound to.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The addresses the relay gives clients as its candidates.
    pub fn announced(&self) -> &[SocketAddr] {
        &self.announced
    }

    pub fn metrics(&self) -> &RelayMetrics {
        &self.metrics
    }

    /// Answers an SDP offer with a new session: a publish by `owner`, or a player (of a
    /// `/ws` viewer when `viewer_id` is given).
    pub async fn open(
        &self,
        direction: Direction,
        offer: String,
        viewer_id: Option<ViewerId>,
        owner: Option<String>,
        encoder: Option<String>,
        peer: IpAddr,
    ) -> Result<Created, RelayError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Open { direction, offer, viewer_id, owner, encoder, peer, reply }).await?;
        answer.await.map_err(|_| RelayError::Stopped)?
    }

    /// Adds trickled candidates (`application/trickle-ice-sdpfrag`) to a session, or
    /// restarts its ICE when the fragment carries new credentials.
    pub async fn trickle(
        &self,
        direction: Direction,
        resource: String,
        if_match: Option<String>,
        fragment: String,
    ) -> Result<Patched, RelayError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Trickle { direction, resource, if_match, fragment, reply }).await?;
        answer.await.map_err(|_| RelayError::Stopped)?
    }

    /// Ends a session.
    pub async fn close(&self, direction: Direction, resource: String) -> Result<(), RelayError> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Close { direction, resource, reply }).await?;
        answer.await.map_err(|_| RelayError::Stopped)?
    }

    /// Drops a removed viewer's session at once. Never waits.
    pub fn remove_viewer(&self, viewer_id: ViewerId) {
        if self.commands.try_send(Command::RemoveViewer { viewer_id }).is_err() {
            tracing::warn!("relay command queue full; a removed viewer's session ends when its ICE times out");
        }
    }

    /// Ends the external encoder's publish of `owner` (a rotated stream key). Never waits.
    pub fn end_publisher(&self, owner: String, reason: String) {
        self.end_external(Some(owner), reason);
    }

    fn end_external(&self, owner: Option<String>, reason: String) {
        if self.commands.try_send(Command::EndPublisher { owner, reason }).is_err() {
            tracing::warn!("relay command queue full; the encoder's session ends when its ICE times out");
        }
    }

    async fn send(&self, command: Command) -> Result<(), RelayError> {
        self.commands.send(command).await.map_err(|_| RelayError::Stopped)
    }
}
