//! Answering one WHIP or WHEP offer: a new ICE-lite `Rtc` with the relay's candidates, and
//! for a player only the publisher's video codec (a player that cannot take it is told so
//! rather than shown a black picture).

use crate::server::media::announce::relay_candidates;
use crate::server::media::handle::{Direction, RelayError};
use crate::server::media::ingest;
use std::time::{Duration, Instant};
use str0m::change::SdpOffer;
use str0m::format::{CodecConfig, PayloadParams};
use str0m::rtp::{Extension, ExtensionMap};
use str0m::{IceCreds, Rtc};

/// What an answer is made from.
pub struct Answering<'a> {
    pub direction: Direction,
    pub dtls_cert: Option<&'a str0m::config::DtlsCert>,
    pub announced: &'a [std::net::SocketAddr],
    pub creds: IceCreds,
    /// The publisher's video codec, once its first frame came.
    pub publisher_video: Option<PayloadParams>,
    pub now: Instant,
}

impl Answering<'_> {
    /// The session's `Rtc` and the answer's SDP.
    pub fn answer(self, offer_text: &str) -> Result<(Rtc, String), RelayError> {
        let offer_has_video = offer_text.lines().any(|l| l.starts_with("m=video"));
        let offer = SdpOffer::from_sdp_string(offer_text).map_err(|e| RelayError::BadOffer(e.to_string()))?;
        let player_video = self.publisher_video.filter(|_| self.direction == Direction::Play);
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut config = Rtc::builder();
            if let Some(cert) = self.dtls_cert {
                config = config.set_dtls_cert(cert.clone());
            }
            if let Some(params) = player_video {
                *config.codec_config() = codecs_for_player(params);
            }
            if self.direction == Direction::Play {
                config = config.set_extension_map(player_extensions());
            }
            let mut rtc = config
                .set_ice_lite(true)
                .set_local_ice_credentials(self.creds)
                .set_stats_interval(Some(Duration::from_secs(1)))
                .build(self.now);
            // The first announced address first: ffmpeg uses only the first candidate.
            for c in relay_candidates(self.announced) {
                rtc.add_local_candidate(c);
            }
            let answer = rtc.sdp_api().accept_offer(offer);
            (rtc, answer)
        }));
        let (rtc, answer) = built.map_err(|_| RelayError::BadOffer("the relay could not read it".into()))?;
        let answer_sdp = answer.map_err(|e| RelayError::BadOffer(e.to_string()))?.to_sdp_string();
        // Accepted media lines have a port; rejected ones (no common codec) have port 0.
        let accepted = |l: &str| {
            let mut words = l.split_whitespace();
            let media = words.next().unwrap_or("");
            (media == "m=audio" || media == "m=video") && words.next() != Some("0")
        };
        let video_refused = answer_sdp.lines().any(|l| l.starts_with("m=video 0 "));
        if let (Some(params), true) = (player_video, offer_has_video && video_refused) {
            let words = ingest::video_codec(params.spec().codec).map_or("an unusual", |c| c.words());
            return Err(RelayError::CannotDecode(words));
        }
        if !answer_sdp.lines().any(accepted) {
            return Err(RelayError::NoUsableMedia);
        }
        Ok((rtc, answer_sdp))
    }
}

/// str0m's standard RTP header extensions but transport-wide congestion control: the relay
/// adapts nothing to a player's bandwidth, so a player's feedback (a packet every 50 ms from
/// str0m and Chromium alike) would be received, decrypted and thrown away. The publisher keeps
/// it: its encoder adapts to the relay's feedback.
fn player_extensions() -> ExtensionMap {
    let standard = ExtensionMap::standard();
    let mut exts = ExtensionMap::empty();
    for (id, ext) in standard.iter().filter(|(_, e)| **e != Extension::TransportSequenceNumber) {
        exts.set(id, ext.clone());
    }
    exts
}

/// Every audio codec, and of video only what matches the publisher's.
fn codecs_for_player(publisher: PayloadParams) -> CodecConfig {
    let publisher_only = CodecConfig::new_from_payload_params(vec![publisher]);
    let kept = CodecConfig::new_with_defaults()
        .params()
        .iter()
        .filter(|p| !p.spec().codec.is_video() || publisher_only.match_params(**p).is_some())
        .copied()
        .collect();
    CodecConfig::new_from_payload_params(kept)
}
