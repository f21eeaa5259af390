//! The studio's list of viewers: one row per peer connection, updated in place.

use crate::protocol::ViewerId;
use crate::status::peer_state_label;
use leptos::prelude::*;

/// One viewer as the studio sees it. `state` is its `RTCPeerConnection.connectionState`.
#[derive(Clone, Debug)]
pub struct ViewerRow {
    pub id: ViewerId,
    pub name: Option<String>,
    pub state: RwSignal<String>,
}

impl ViewerRow {
    pub fn new(id: ViewerId, name: Option<String>) -> Self {
        ViewerRow { id, name, state: RwSignal::new("new".to_owned()) }
    }

    /// The name the viewer gave, or a short form of its id.
    pub fn display_name(&self) -> String {
        match &self.name {
            Some(n) => n.clone(),
            None => format!("Viewer {}", &self.id.0[..self.id.0.len().min(6)]),
        }
    }
}

#[component]
pub fn ViewerTable(rows: RwSignal<Vec<ViewerRow>>) -> impl IntoView {
    view! {
        <table class="viewers">
            <thead>
                <tr>
                    <th scope="col">"Viewer"</th>
                    <th scope="col">"Connection"</th>
                </tr>
            </thead>
            <tbody>
                <For each=move || rows.get() key=|row| row.id.clone() let:row>
                    <tr data-testid="viewer-row" data-viewer-id=row.id.0.clone() data-state=move || row.state.get()>
                        <td>{row.display_name()}</td>
                        <td>
                            <span class="badge" data-state=move || row.state.get()>
                                <span class="badge-dot" aria-hidden="true"></span>
                                {move || peer_state_label(&row.state.get())}
                            </span>
                        </td>
                    </tr>
                </For>
            </tbody>
        </table>
        <Show when=move || rows.with(Vec::is_empty)>
            <p class="empty">"No one is watching yet. Share the watch link to invite viewers."</p>
        </Show>
    }
}
