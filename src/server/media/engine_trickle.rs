//! The relay thread's answer to a `PATCH`: trickled candidates, or an ICE restart that gives
//! the session new credentials on both sides, a new name in the demux and a new ETag.

use super::Engine;
use crate::server::media::announce::relay_candidates;
use crate::server::media::handle::{Direction, Patched, RelayError};
use crate::server::media::routing::SessionId;
use crate::server::media::session::Session;
use crate::server::media::trickle::{self, Patch};
use str0m::{Candidate, IceCreds};

impl Engine {
    pub(super) fn trickle(
        &mut self,
        direction: Direction,
        resource: &str,
        if_match: Option<String>,
        fragment: &str,
    ) -> Result<Patched, RelayError> {
        let id = self.lookup(direction, resource)?;
        let session = &self.sessions[&id];
        let wildcard = if_match.as_deref() == Some("*");
        if if_match.as_deref().is_some_and(|m| m != "*" && m != session.etag) {
            return Err(RelayError::EtagMismatch);
        }
        match trickle::read(fragment, session.remote_ufrag.as_deref())? {
            Patch::Candidates(candidates) => {
                self.add_remote_candidates(id, candidates);
                Ok(Patched::Trickled)
            }
            // RFC 9725 §4.4.2: a restart carries `If-Match: *` (the client cannot know the
            // ETag of an ICE session that does not exist yet).
            Patch::Restart { .. } if !wildcard => Err(RelayError::RestartWithoutWildcard),
            Patch::Restart { remote, candidates } => self.restart(id, remote, candidates),
        }
    }

    fn add_remote_candidates(&mut self, id: SessionId, candidates: Vec<Candidate>) {
        for c in candidates {
            self.change(id, |rtc| {
                rtc.add_remote_candidate(c);
                Ok(())
            });
        }
    }

    /// Swaps both sides' credentials. The relay is ICE-lite: its agent only answers checks,
    /// so new credentials are all a restart is; the path in use keeps carrying media.
    fn restart(&mut self, id: SessionId, remote: IceCreds, candidates: Vec<Candidate>) -> Result<Patched, RelayError> {
        let local = Session::new_local_creds();
        let etag = Session::new_etag();
        let mut media = Vec::new();
        if let Some(session) = self.sessions.get_mut(&id) {
            session.remote_ufrag = Some(remote.ufrag.clone());
            session.etag = etag.clone();
            media.clone_from(&session.media);
        }
        let creds = local.clone();
        let swapped = self.change(id, |rtc| {
            let mut api = rtc.direct_api();
            api.set_remote_ice_credentials(remote);
            api.set_local_ice_credentials(creds);
            Ok(())
        });
        // A session that failed on the change is gone: its name must not come back.
        swapped.ok_or(RelayError::NoSuchSession)?;
        self.demux.rename(id, local.ufrag.clone(), local.pass.clone());
        self.add_remote_candidates(id, candidates);
        tracing::debug!(session = id.0, "relay session restarted its ICE");
        Ok(Patched::Restarted {
            etag,
            fragment: trickle::restart_answer(&local, &media, &relay_candidates(&self.announced)),
        })
    }
}
