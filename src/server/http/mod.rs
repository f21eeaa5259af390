//! HTTP plumbing shared by every route: security headers, `/pkg` assets, `/metrics`, origins.

pub mod assets;
pub mod headers;
pub mod metrics;
pub mod origin;
