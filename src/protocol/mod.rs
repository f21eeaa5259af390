//! The signaling protocol on `/ws`: every JSON message, shared by the server and the browser.
//!
//! The vocabulary stays compatible with the original Node server (`streamer`, `viewer`,
//! `newViewer`, `offer`, `answer`, `candidate`); OnAir adds the rest.

mod client_decode;
mod client_message;
mod error_code;
mod ids;
mod join_in_url;
mod read;
mod report;
mod server_message;
mod size_limits;
pub mod starter_wire;
mod webrtc;

#[cfg(test)]
mod properties;

pub use client_decode::{decode_client, DecodeError};
pub use client_message::ClientMessage;
pub use error_code::ErrorCode;
pub use ids::ViewerId;
pub use join_in_url::{join_for, joined_socket_path, url_join, UnknownJoin, JOIN_PARAM};
pub use read::ServerMessageError;
pub use report::{IngestReport, RelayReport, TurnTransport, VideoCodec, ViewerReport};
pub use server_message::ServerMessage;
pub use size_limits::{MAX_CANDIDATE_BYTES, MAX_ID_BYTES, MAX_NAME_BYTES, MAX_RESUME_TOKEN_BYTES, MAX_SDP_BYTES};
pub use webrtc::{is_relay_candidate, IceCandidate, IceServer, SdpType, SessionDescription, Target};
