//! Which wasm file holds each page's code in a split build (`browser::pages` names its
//! functions after these), and the server's preload of that file on the page that needs it.

use crate::web::routes::Page;

/// The split file of `page`'s code: `browser::pages`' `#[lazy]` function of that name, which
/// cargo-leptos's manifest lists as `{name}_{hash}`. `None` for the pages whose code is in the
/// main wasm: the watch page and its code form (and an unknown address).
pub fn split_name(page: Option<Page>) -> Option<&'static str> {
    match page? {
        Page::Watch | Page::WatchCode => None,
        Page::Admin => Some("admin"),
        Page::History => Some("history"),
        Page::Login => Some("login"),
        Page::Home => Some("home"),
    }
}

/// The manifest's key for `name`, if it has one.
#[cfg(feature = "ssr")]
fn manifest_key<'a>(keys: impl IntoIterator<Item = &'a str>, name: &str) -> Option<&'a str> {
    keys.into_iter().find(|key| {
        key.strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('_'))
            .is_some_and(|hash| hash.chars().all(|c| c.is_ascii_digit()))
    })
}

/// Has Leptos preload `page`'s split file (and the chunks it shares), as it does for a
/// `#[lazy]` function the server ran: the browser then fetches them beside the main wasm
/// instead of once it runs. Needs the manifest `HydrationScripts` provides in a split build;
/// does nothing otherwise.
#[cfg(feature = "ssr")]
pub fn preload(page: Option<Page>) {
    use leptos::prelude::{use_context, ReadValue};
    use std::collections::HashMap;
    use std::sync::OnceLock;
    let Some(name) = split_name(page) else { return };
    let Some(manifest) = use_context::<leptos::WasmSplitManifest>() else { return };
    // Leptos keeps preloads as `&'static str`s: each key of the manifest (one per split
    // page, read once per process) is kept for good, once.
    static KEYS: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| {
        let (_, files, _) = &*manifest.0.read_value();
        let keys: Vec<&'static str> = files.keys().map(|k| &*Box::leak(k.clone().into_boxed_str())).collect();
        Page::ALL
            .into_iter()
            .filter_map(|page| split_name(Some(page)))
            .filter_map(|name| Some((name, manifest_key(keys.iter().copied(), name)?)))
            .collect()
    });
    if let Some(key) = keys.get(name) {
        leptos::prefetch_lazy_fn_on_server(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_watch_pages_are_in_the_main_file() {
        assert_eq!(split_name(Some(Page::Watch)), None);
        assert_eq!(split_name(Some(Page::WatchCode)), None);
        assert_eq!(split_name(None), None);
        let names: Vec<_> = Page::ALL.into_iter().filter_map(|p| split_name(Some(p))).collect();
        let distinct: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!((names.len(), distinct.len()), (4, 4), "one file per other page: {names:?}");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_manifest_key_is_the_name_and_a_hash() {
        let keys = ["home_10003882693138703772", "admin_history_1", "admin_16014955328050395933", "login_x1"];
        assert_eq!(manifest_key(keys, "admin"), Some("admin_16014955328050395933"));
        assert_eq!(manifest_key(keys, "home"), Some("home_10003882693138703772"));
        assert_eq!(manifest_key(keys, "login"), None);
        assert_eq!(manifest_key(keys, "history"), None);
    }
}
