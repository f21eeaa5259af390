//! OnAir: go live from a browser tab; viewers watch peer to peer over WebRTC.
//!
//! One crate, two builds: `ssr` (the server binary) and `hydrate` (the browser wasm).
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod chart;
pub mod components;
pub mod json_fields;
pub mod page_url;
pub mod pages;
pub mod protocol;
pub mod session;
pub mod stats;
pub mod status;

#[cfg(feature = "ssr")]
pub mod config;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
pub mod rtc;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The watch page's first need is the signaling socket: open it before hydrating.
    if app::Page::at(page_url::PageUrl::current().path()) == Some(app::Page::Watch) {
        rtc::signaling::preconnect();
    }
    leptos::mount::hydrate_body(app::App);
}
