//! A coloured pill with a state's words; `data-state` carries the machine-readable value.

use leptos::prelude::*;

#[component]
pub fn StatusBadge(
    /// The `data-state` value (also picks the colour in CSS).
    #[prop(into)]
    state: Signal<&'static str>,
    /// The words shown.
    #[prop(into)]
    label: Signal<&'static str>,
    #[prop(optional)] testid: &'static str,
) -> impl IntoView {
    view! {
        <span class="badge" data-testid=testid data-state=move || state.get() role="status" aria-live="polite">
            <span class="badge-dot" aria-hidden="true"></span>
            {move || label.get()}
        </span>
    }
}
