//! The media relay: an SFU on str0m. A pure core (`routing`, `keyframes`, `demux`, `timers`, `gso`), the one
//! thread that owns the UDP socket and every `Rtc` (`engine`, `session`, `socket`), how the server talks
//! to it (`handle`), WHIP/WHEP (`http`), which addresses it announces (`announce`), and `--relay` (`mode`).

pub mod announce;
pub mod demux;
pub mod egress;
pub mod engine;
pub mod gso;
pub mod handle;
pub mod http;
pub mod ingest;
pub mod keyframes;
pub mod load;
pub mod metrics;
pub mod mode;
pub mod offer;
pub mod resolution;
pub mod routing;
pub mod session;
pub mod socket;
pub mod stream_key_api;
pub mod timers;
pub mod trickle;
