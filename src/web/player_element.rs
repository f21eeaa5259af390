//! The watch page's `<video>` as the starter's wasm finds and marks it (`browser::starter`): it
//! has no view code of its own, so the page's view (`pages::watch`) and the starter share these.

/// The `id` of the page's `<video>`: the watch page's starter shows the stream in it before the
/// page hydrates.
pub const PLAYER_ELEMENT_ID: &str = "player";

/// Set on the page's `<video>` by the starter once its stream plays: until the page hydrates,
/// the stylesheet then hides the "Connecting" overlay over it (style/main.css).
pub const STARTED_ATTRIBUTE: &str = "data-started";
