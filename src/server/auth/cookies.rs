//! Reading our cookies from a request and writing them: always `HttpOnly`, `SameSite=Strict`,
//! `Path=/`, plus `Secure` when the deployment says so or the request came over TLS.

use axum::http::{header, HeaderMap, HeaderValue};
use std::time::Duration;

/// When cookies get `Secure`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CookiePolicy {
    /// Always (`--secure-cookies`).
    pub always_secure: bool,
    /// When a trusted reverse proxy says the request was HTTPS (`--trust-proxy`).
    pub trust_proxy: bool,
}

impl CookiePolicy {
    /// Whether a cookie set in answer to a request with these headers should be `Secure`.
    /// OnAir itself speaks plain HTTP, so TLS can only be known from the proxy's header.
    pub fn secure_for(&self, headers: &HeaderMap) -> bool {
        self.always_secure
            || (self.trust_proxy
                && headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split(',').next())
                    .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https")))
    }

    /// A `Set-Cookie` value. `value` must be a cookie-safe token (we only write hex).
    pub fn set_cookie(&self, request: &HeaderMap, name: &str, value: &str, max_age: Duration) -> HeaderValue {
        let secure = if self.secure_for(request) { "; Secure" } else { "" };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
            max_age.as_secs()
        ))
        .expect("cookie names and values are plain ASCII")
    }

    /// A `Set-Cookie` value that deletes the cookie.
    pub fn clear_cookie(&self, request: &HeaderMap, name: &str) -> HeaderValue {
        self.set_cookie(request, name, "", Duration::ZERO)
    }
}

/// The value of cookie `name` in a request, if any.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn a_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; onair_session=abc; b=2")]);
        assert_eq!(cookie(&h, "onair_session"), Some("abc"));
        assert_eq!(cookie(&headers(&[("cookie", "not_onair_session=abc")]), "onair_session"), None);
    }

    #[test]
    fn secure_when_configured_or_when_a_trusted_proxy_says_https() {
        let https = headers(&[("x-forwarded-proto", "https")]);
        let plain = HeaderMap::new();
        let off = CookiePolicy::default();
        assert!(!off.secure_for(&https), "the header alone is not trusted");
        let proxy = CookiePolicy { always_secure: false, trust_proxy: true };
        assert!(proxy.secure_for(&https));
        assert!(!proxy.secure_for(&plain));
        assert!(!proxy.secure_for(&headers(&[("x-forwarded-proto", "http")])));
        let always = CookiePolicy { always_secure: true, trust_proxy: false };
        assert!(always.secure_for(&plain));
        let c = always.set_cookie(&plain, "n", "v", Duration::from_secs(60));
        assert_eq!(c.to_str().unwrap(), "n=v; Path=/; HttpOnly; SameSite=Strict; Max-Age=60; Secure");
        let c = off.set_cookie(&plain, "n", "v", Duration::from_secs(60));
        assert!(!c.to_str().unwrap().contains("Secure"));
    }
}
