//! The relay thread's dealings with the publisher: the codec its viewers are offered, an
//! external encoder's live (told to the hub), and ending that publish on request.

use super::Engine;
use crate::server::media::routing::{Role, SessionId};
use crate::server::signaling::service::IngestEvent;

impl Engine {
    /// What the publisher's frame tells: the codec viewers get, an external encoder's live.
    pub(super) fn publisher_frame(&mut self, id: SessionId, data: &str0m::media::MediaData) {
        let codec = data.params.spec().codec;
        if codec.is_video() && self.publisher_video.is_none_or(|(s, _)| s != id) {
            self.publisher_video = Some((id, data.params));
        }
        let started = self.ingest.frame(id, codec, &data.data, data.is_keyframe());
        self.tell(started);
    }

    /// Tells the hub what the relay saw of an external encoder.
    pub(super) fn tell(&self, event: Option<IngestEvent>) {
        if let Some(event) = event {
            (self.sinks.ingest)(event);
        }
    }

    /// Ends the external encoder's publish (of `owner` only, when given).
    pub(super) fn end_publisher(&mut self, owner: Option<&str>, reason: &str) {
        let Some(id) = self.core.publisher() else { return };
        let owned = match (owner, self.core.role(id)) {
            (Some(owner), Some(Role::Publisher { owner: o })) => o == owner,
            (None, _) => self.ingest.is_encoder(id),
            _ => false,
        };
        if owned {
            self.drop_session(id, reason);
        }
    }
}
