//! What is rendered, the same on the server and in the browser: the shell, the pages, their
//! pieces, the view state they show, and the server functions they load data through. The
//! watch page's starter builds without Leptos: it has only the modules that do not render.

#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod api;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod app;
pub mod chart;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod components;
pub mod format;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod page_code;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod page_url;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod pages;
pub mod player_element;
pub mod relay_retry;
pub mod routes;
pub mod status;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod view_state;
#[cfg(any(feature = "ssr", feature = "hydrate"))]
pub mod watch_loader;
