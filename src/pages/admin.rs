//! `/admin`: the studio. Go live, see who is watching, end the live.

use crate::components::status_badge::StatusBadge;
use crate::components::viewer_table::ViewerTable;
use crate::session::StudioView;
use crate::status::BroadcastStatus;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AdminPage() -> impl IntoView {
    let studio = StudioView::new();

    #[cfg(feature = "hydrate")]
    let session = {
        use crate::session::broadcast::Broadcast;
        let session = StoredValue::new_local(None::<std::rc::Rc<Broadcast>>);
        on_cleanup(move || {
            if let Some(Some(b)) = session.try_update_value(Option::take) {
                b.stop();
            }
        });
        session
    };

    let go_live = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use crate::session::broadcast::Broadcast;
            if studio.busy.get_untracked() {
                return;
            }
            studio.busy.set(true);
            studio.message.set(None);
            studio.status.set(BroadcastStatus::Starting);
            leptos::task::spawn_local(async move {
                match Broadcast::start(studio).await {
                    Ok(b) => session.set_value(Some(b)),
                    Err(e) => {
                        studio.status.set(BroadcastStatus::Off);
                        studio.message.set(Some(e.to_string()));
                    }
                }
                studio.busy.set(false);
            });
        }
    };
    let end_live = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(Some(b)) = session.try_update_value(Option::take) {
            b.stop();
        }
    };

    let status = studio.status;
    let is_off = move || status.get() == BroadcastStatus::Off;
    view! {
        <Title text="Studio · OnAir"/>
        <p class="history-link"><a href="/admin/history" target="_blank" rel="external" data-testid="history-link">"History"</a></p>
        <section class="studio">
            <div class="studio-main">
                <div class="stage" data-state=move || status.get().as_str()>
                    <video data-testid="preview" node_ref=studio.preview autoplay playsinline muted></video>
                    <Show when=is_off>
                        <div class="stage-overlay">
                            <p>"Your camera preview appears here when you go live."</p>
                        </div>
                    </Show>
                </div>
                <div class="studio-bar">
                    <StatusBadge
                        testid="broadcast-status"
                        state=Signal::derive(move || status.get().as_str())
                        label=Signal::derive(move || status.get().label())
                    />
                    <Show
                        when=is_off
                        fallback=move || view! {
                            <button class="button danger" on:click=end_live>"End live"</button>
                        }
                    >
                        <button class="button primary" on:click=go_live disabled=move || studio.busy.get()>
                            {move || if studio.busy.get() { "Starting…" } else { "Go live" }}
                        </button>
                    </Show>
                </div>
                <Show when=move || studio.message.with(Option::is_some)>
                    <p class="error" role="alert" data-testid="studio-message">{move || studio.message.get()}</p>
                </Show>
            </div>
            <aside class="studio-side card">
                <div class="side-head">
                    <h2>"Viewers"</h2>
                    <strong class="count" data-testid="viewer-count">{move || studio.viewers.with(Vec::len)}</strong>
                </div>
                <p class="muted">"Share the watch page: "<a href="/watch" target="_blank" rel="external">"/watch"</a></p>
                <ViewerTable rows=studio.viewers/>
                <form method="post" action="/logout" class="signout">
                    <button type="submit" class="button ghost">"Sign out"</button>
                </form>
            </aside>
        </section>
    }
}
