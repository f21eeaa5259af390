//! Web security headers on every response, and the per-request CSP nonce.
//!
//! Each request gets a fresh nonce: it goes into the request's extensions as [`CspNonce`]
//! (the Leptos context hands it to `HydrationScripts`, see [`provide_request_nonce`]) and
//! into the `Content-Security-Policy` header. Only scripts carrying it run; what they load
//! runs through `'strict-dynamic'`, and `'wasm-unsafe-eval'` lets the app's wasm compile.

use crate::web::routes::Page;
use axum::extract::{Request, State};
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The nonce of the request being answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CspNonce(pub String);

/// What the policy must allow beyond the app itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeaderPolicy {
    /// `cargo leptos watch`: its reload script's WebSocket on this port (development only).
    pub dev_reload_port: Option<u16>,
}

const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");
/// Pages that use the camera, the microphone or screen capture: the studio.
const CAPTURE_ALLOWED: &str = "camera=(self), microphone=(self), display-capture=(self)";
const CAPTURE_DENIED: &str = "camera=(), microphone=(), display-capture=()";

fn new_nonce() -> String {
    crate::server::secrets::random::<16>()
}

impl HeaderPolicy {
    pub fn content_security_policy(&self, nonce: &str) -> String {
        let reload = match self.dev_reload_port {
            Some(port) => format!(" ws://*:{port}"),
            None => String::new(),
        };
        format!(
            "default-src 'self'; \
             script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
             style-src 'self'; \
             connect-src 'self'{reload}; \
             img-src 'self' data:; \
             media-src 'self' blob: mediastream:; \
             frame-ancestors 'none'; \
             base-uri 'none'; \
             form-action 'self'; \
             object-src 'none'"
        )
    }
}

/// The middleware: a nonce for the request, the headers on the response.
pub async fn security_headers(State(policy): State<HeaderPolicy>, mut req: Request, next: Next) -> Response {
    let nonce = new_nonce();
    let studio = Page::is_studio(req.uri().path());
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(PERMISSIONS_POLICY, HeaderValue::from_static(if studio { CAPTURE_ALLOWED } else { CAPTURE_DENIED }));
    if let Ok(csp) = HeaderValue::from_str(&policy.content_security_policy(&nonce)) {
        h.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    res
}

/// For the Leptos context of a page or server function: the request's nonce becomes the one
/// Leptos puts on its scripts (instead of one of its own the header would not name).
pub fn provide_request_nonce() {
    use leptos::prelude::{provide_context, use_context};
    let nonce =
        use_context::<axum::http::request::Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_nonce_and_locks_the_rest_down() {
        let csp = HeaderPolicy::default().content_security_policy("abc123");
        assert!(csp.contains("script-src 'nonce-abc123' 'strict-dynamic' 'wasm-unsafe-eval';"), "{csp}");
        for part in ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'", "connect-src 'self';"] {
            assert!(csp.contains(part), "{part} in {csp}");
        }
        assert!(!csp.contains("unsafe-inline"));
        let dev = HeaderPolicy { dev_reload_port: Some(3001) }.content_security_policy("n");
        assert!(dev.contains("connect-src 'self' ws://*:3001;"), "{dev}");
    }
}
