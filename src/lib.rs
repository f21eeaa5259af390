//! OnAir: go live from a browser tab; viewers watch peer to peer over WebRTC.
//!
//! One crate, two builds: `ssr` (the server binary) and `hydrate` (the browser wasm). The
//! folders are its layers, each importing only those listed before it:
//! shared pure code (`protocol`, `stats`, `history`, `json_fields`) ← what is rendered
//! (`web`) ← the browser's side (`browser`: its I/O hydrate only, its pure rules in both
//! builds) and the server (`server`, ssr only).
#![recursion_limit = "256"]

pub mod history;
pub mod json_fields;
pub mod protocol;
pub mod stats;
pub mod web;

pub mod browser;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "hydrate")]
fn on_watch_page() -> bool {
    web::routes::Page::at(web::page_url::PageUrl::current().path()) == Some(web::routes::Page::Watch)
}

/// The watch page's loader calls this once the wasm is ready, before [`hydrate`]: playback
/// starts on the socket the loader opened, and the page takes it over once hydrated. The
/// promise resolves when the page may hydrate without holding up the connection
/// (`browser::early_playback::start_early` says when).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_watching() -> js_sys::Promise {
    console_error_panic_hook::set_once();
    if !on_watch_page() {
        return js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL);
    }
    // Hydration sets up Leptos's task executor the same way, later.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    browser::rtc::signaling::preconnect();
    browser::early_playback::start_early()
}

/// The watch page's starter (its own wasm build, `--features starter`): answers the first offer
/// on the loader's socket `{socket, inbox}` until the player takes over (`browser::starter`).
#[cfg(feature = "starter")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn start_first_connection(
    early: wasm_bindgen::JsValue,
    render: js_sys::Function,
    hold_render: js_sys::Function,
) -> Result<js_sys::Promise, wasm_bindgen::JsValue> {
    browser::starter::start(&early, render, hold_render)
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The watch page's first need is the signaling socket: open it before hydrating (once:
    // `start_watching` may have).
    if on_watch_page() {
        browser::rtc::signaling::preconnect();
    }
    // Pages other than the watch page hydrate once their code is in: tasks need the executor.
    let _ = any_spawner::Executor::init_wasm_bindgen();
    browser::pages::hydrate(web::routes::Page::at(web::page_url::PageUrl::current().path()));
}
