//! HTTP plumbing shared by every route: security headers, `/pkg` assets, `/metrics`, origins, client addresses.

pub mod assets;
pub mod client_addr;
pub mod headers;
pub mod metrics;
pub mod origin;
pub mod query;
pub mod taking_turns;
