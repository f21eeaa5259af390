//! HTTP plumbing shared by every route: security headers, `/pkg` assets, `/metrics`.

pub mod assets;
pub mod headers;
pub mod metrics;
