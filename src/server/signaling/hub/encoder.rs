//! The external encoder that is live (OBS, ffmpeg over WHIP): what the studio shows of it.

use crate::protocol::VideoCodec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ExternalLive {
    pub(super) client: String,
    pub(super) codec: VideoCodec,
}
