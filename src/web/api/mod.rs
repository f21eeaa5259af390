//! Server functions the pages load data through.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Whether the stream is live, for the home page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamSummary {
    pub live: bool,
    pub viewers: usize,
}

#[server]
pub async fn stream_info() -> Result<StreamSummary, ServerFnError> {
    let signaling = use_context::<std::sync::Arc<crate::server::signaling::service::Signaling>>()
        .ok_or_else(|| ServerFnError::new("the signaling service is missing"))?;
    let status = signaling.status();
    Ok(StreamSummary { live: status.live, viewers: status.viewers })
}

pub mod history;
