//! What is rendered, the same on the server and in the browser: the shell, the pages, their
//! pieces, the view state they show, and the server functions they load data through.

pub mod api;
pub mod app;
pub mod chart;
pub mod components;
pub mod format;
pub mod page_code;
pub mod page_url;
pub mod pages;
pub mod relay_retry;
pub mod routes;
pub mod status;
pub mod view_state;
pub mod watch_loader;
