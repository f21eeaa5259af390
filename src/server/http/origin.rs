//! A request's `Origin`, parsed and normalized by the WHATWG URL parser (`url`), and the check
//! that guards `/ws` against cross-site WebSocket hijacking.

use url::Url;

/// Why an upgrade's `Origin` is refused, in words for the `403` body and the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("cross-origin WebSocket refused: origin {origin:?} is not {expected}")]
    Foreign { origin: String, expected: String },
    #[error("cross-origin WebSocket refused: origin {0:?} is not a valid origin")]
    Invalid(String),
    #[error("cross-origin WebSocket refused: the request has an Origin but no Host header")]
    NoHost,
}

/// An origin as browsers send it: `scheme://host[:port]`, the host lowercased (an
/// international one in punycode), the default port left out. Accepts a full URL (a path,
/// query or fragment is ignored), so `--public-url https://tv.example.org/` works. Only
/// `http` and `https`, and no user name or password: those are never a page's origin.
pub fn normalize_origin(text: &str) -> Option<String> {
    web_url(text).map(|url| url.origin().ascii_serialization())
}

/// `text` parsed as an `http` or `https` URL without user info.
fn web_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    let web = matches!(url.scheme(), "http" | "https") && url.has_host();
    (web && url.username().is_empty() && url.password().is_none()).then_some(url)
}

/// The origin a `Host` header names under `scheme`, normalized like [`normalize_origin`];
/// `None` when it is more than `host[:port]`.
fn host_origin(scheme: &str, host: &str) -> Option<String> {
    let url = web_url(&format!("{scheme}://{host}"))?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    bare.then(|| url.origin().ascii_serialization())
}

/// Decides whether a `/ws` upgrade with this `Origin` may go on.
///
/// - No `Origin` header: allowed. Browsers always send one on WebSocket requests, so its
///   absence means a non-browser client (tests, benches, scripts), which carries no victim's
///   cookie: cross-site WebSocket hijacking is a browser attack.
/// - `allowed` not empty (`--public-url`): the origin must be one of them.
/// - Otherwise same-origin: the origin's `host[:port]` must equal the request's `Host`.
pub fn check_origin(origin: Option<&str>, host: Option<&str>, allowed: &[String]) -> Result<(), OriginError> {
    let Some(origin) = origin else { return Ok(()) };
    let Some(url) = web_url(origin) else {
        return Err(OriginError::Invalid(shorten(origin)));
    };
    let normalized = url.origin().ascii_serialization();
    if !allowed.is_empty() {
        return if allowed.contains(&normalized) {
            Ok(())
        } else {
            Err(OriginError::Foreign { origin: shorten(origin), expected: allowed.join(" or ") })
        };
    }
    let Some(host) = host else { return Err(OriginError::NoHost) };
    let host = host.trim().to_ascii_lowercase();
    if host_origin(url.scheme(), &host) == Some(normalized) {
        Ok(())
    } else {
        Err(OriginError::Foreign { origin: shorten(origin), expected: format!("this site ({host})") })
    }
}

fn shorten(text: &str) -> String {
    let mut s: String = text.chars().take(100).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized() {
        assert_eq!(normalize_origin("https://TV.example.org/").as_deref(), Some("https://tv.example.org"));
        assert_eq!(normalize_origin("https://tv.example.org:443/watch").as_deref(), Some("https://tv.example.org"));
        assert_eq!(normalize_origin("http://127.0.0.1:9090").as_deref(), Some("http://127.0.0.1:9090"));
        assert_eq!(normalize_origin("http://[::1]:80").as_deref(), Some("http://[::1]"));
        assert_eq!(normalize_origin("http://[::1]:9090").as_deref(), Some("http://[::1]:9090"));
        for bad in ["null", "", "ftp://x", "https://", "tv.example.org", "https://user@evil"] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn without_public_urls_the_origin_must_be_the_host() {
        assert_eq!(check_origin(None, Some("a:1"), &[]), Ok(()), "non-browser clients send no Origin");
        assert_eq!(check_origin(Some("http://127.0.0.1:9090"), Some("127.0.0.1:9090"), &[]), Ok(()));
        assert_eq!(check_origin(Some("https://tv.example.org"), Some("tv.example.org"), &[]), Ok(()));
        assert_eq!(check_origin(Some("https://tv.example.org"), Some("tv.example.org:443"), &[]), Ok(()));
        assert_eq!(check_origin(Some("http://TV.example.org"), Some("tv.example.ORG"), &[]), Ok(()));
        for (origin, host) in [
            ("http://evil.example", "127.0.0.1:9090"),
            ("http://127.0.0.1:9091", "127.0.0.1:9090"),
            ("http://127.0.0.1", "127.0.0.1:9090"),
            ("https://tv.example.org.evil.example", "tv.example.org"),
        ] {
            let e = check_origin(Some(origin), Some(host), &[]).unwrap_err();
            assert!(matches!(e, OriginError::Foreign { .. }), "{origin} on {host}");
            assert!(e.to_string().contains(origin));
        }
        assert!(matches!(check_origin(Some("null"), Some("h"), &[]), Err(OriginError::Invalid(_))));
        assert_eq!(check_origin(Some("http://h"), None, &[]), Err(OriginError::NoHost));
    }

    #[test]
    fn public_urls_replace_the_host_comparison() {
        let allowed = vec!["https://tv.example.org".to_owned(), "http://127.0.0.1:9090".to_owned()];
        assert_eq!(check_origin(Some("https://tv.example.org"), Some("127.0.0.1:9090"), &allowed), Ok(()));
        assert_eq!(check_origin(Some("http://127.0.0.1:9090"), Some("whatever"), &allowed), Ok(()));
        // Same host but another scheme or port is another origin.
        assert!(check_origin(Some("http://tv.example.org"), Some("tv.example.org"), &allowed).is_err());
        assert!(check_origin(Some("https://evil.example"), Some("evil.example"), &allowed).is_err());
    }

    #[test]
    fn user_info_is_never_an_origin() {
        for bad in ["https://user@tv.example.org", "https://user:pw@tv.example.org", "https://:pw@tv.example.org"] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
            assert!(matches!(check_origin(Some(bad), Some("tv.example.org"), &[]), Err(OriginError::Invalid(_))));
        }
    }

    #[test]
    fn a_path_query_or_fragment_is_ignored() {
        for url in ["https://tv.example.org/watch", "https://tv.example.org/?code=1", "https://tv.example.org#live"] {
            assert_eq!(normalize_origin(url).as_deref(), Some("https://tv.example.org"), "{url}");
        }
        assert_eq!(normalize_origin("  https://tv.example.org/  ").as_deref(), Some("https://tv.example.org"));
    }

    #[test]
    fn ipv6_hosts_are_bracketed_and_compressed() {
        assert_eq!(normalize_origin("https://[::1]:443/").as_deref(), Some("https://[::1]"));
        assert_eq!(normalize_origin("http://[0:0:0:0:0:0:0:1]:9090").as_deref(), Some("http://[::1]:9090"));
        assert_eq!(normalize_origin("http://[::FFFF:7F00:1]").as_deref(), Some("http://[::ffff:7f00:1]"));
        assert_eq!(check_origin(Some("http://[::1]:9090"), Some("[::1]:9090"), &[]), Ok(()));
        assert_eq!(check_origin(Some("http://[::1]"), Some("[::1]:80"), &[]), Ok(()));
        assert!(check_origin(Some("http://[::1]:9091"), Some("[::1]:9090"), &[]).is_err());
        assert_eq!(normalize_origin("http://[::1"), None);
    }

    #[test]
    fn scheme_and_host_are_case_insensitive() {
        assert_eq!(normalize_origin("HTTPS://TV.Example.ORG").as_deref(), Some("https://tv.example.org"));
        assert_eq!(check_origin(Some("HTTP://TV.EXAMPLE.ORG:9090"), Some("tv.example.org:9090"), &[]), Ok(()));
        let allowed = vec!["https://tv.example.org".to_owned()];
        assert_eq!(check_origin(Some("https://TV.example.org"), None, &allowed), Ok(()));
    }

    #[test]
    fn only_the_schemes_default_port_is_dropped() {
        assert_eq!(normalize_origin("http://h:80").as_deref(), Some("http://h"));
        assert_eq!(normalize_origin("https://h:443").as_deref(), Some("https://h"));
        assert_eq!(normalize_origin("http://h:443").as_deref(), Some("http://h:443"));
        assert_eq!(normalize_origin("https://h:80").as_deref(), Some("https://h:80"));
        assert_eq!(check_origin(Some("http://h"), Some("h:80"), &[]), Ok(()));
        assert!(check_origin(Some("https://h"), Some("h:80"), &[]).is_err());
        for bad in ["http://h:99999", "http://h:port"] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_null_origin_of_sandboxed_pages_is_refused() {
        assert_eq!(normalize_origin("null"), None);
        let e = check_origin(Some("null"), Some("tv.example.org"), &["https://tv.example.org".to_owned()]);
        assert_eq!(e, Err(OriginError::Invalid("null".to_owned())));
    }

    #[test]
    fn only_web_pages_have_an_origin_here() {
        for bad in [
            "ws://tv.example.org",
            "wss://tv.example.org",
            "file:///etc/passwd",
            "blob:https://tv.example.org/0b9c2d",
            "data:text/html,hi",
            "javascript:alert(1)",
            "chrome-extension://abcdef",
        ] {
            assert_eq!(normalize_origin(bad), None, "{bad}");
            assert!(
                matches!(check_origin(Some(bad), Some("tv.example.org"), &[]), Err(OriginError::Invalid(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn international_hosts_compare_in_punycode() {
        assert_eq!(normalize_origin("https://bücher.example").as_deref(), Some("https://xn--bcher-kva.example"));
        assert_eq!(check_origin(Some("https://bücher.example"), Some("xn--bcher-kva.example"), &[]), Ok(()));
    }

    #[test]
    fn a_host_header_that_is_more_than_host_and_port_matches_nothing() {
        for host in ["evil@tv.example.org", "tv.example.org/watch", "tv.example.org?x", ""] {
            let e = check_origin(Some("https://tv.example.org"), Some(host), &[]).unwrap_err();
            assert!(matches!(e, OriginError::Foreign { .. }), "{host:?}");
        }
    }

    #[test]
    fn a_long_origin_is_shortened_in_the_refusal() {
        let origin = format!("https://{}.example", "a".repeat(200));
        let e = check_origin(Some(&origin), Some("tv.example.org"), &[]).unwrap_err();
        assert!(e.to_string().contains('…') && e.to_string().len() < 250, "{e}");
    }
}
