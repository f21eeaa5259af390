//! The watch page's viewer cookie (`onair_viewer`; the sign-in's `onair_device` is another
//! thing, in auth/devices.rs): set on `GET /watch` when the browser has no genuine one, read
//! at the `/ws` upgrade, so that a viewer the streamer removed is known again on a new socket
//! without its resume token. Signed, so its age cannot be faked.

use crate::server::auth::cookies::{cookie, CookiePolicy};
use crate::server::signaling::resume::{Device, ResumeKey};
use crate::server::signaling::service::Signaling;
use crate::web::routes::Page;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;
use std::time::Duration;

pub const VIEWER_COOKIE: &str = "onair_viewer";
/// A device is the same browser for a year, unless its cookies are cleared.
const VIEWER_COOKIE_TTL: Duration = Duration::from_secs(365 * 24 * 3600);

/// What the middleware needs: the signing key (the signaling service's) and the cookie flags.
#[derive(Clone)]
pub struct ViewerCookies {
    pub signaling: Arc<Signaling>,
    pub cookies: CookiePolicy,
}

/// The device a request's genuine `onair_viewer` cookie names.
pub fn device(headers: &HeaderMap, key: &ResumeKey) -> Option<Device> {
    cookie(headers, VIEWER_COOKIE).and_then(|value| key.verify_device(value))
}

/// On `GET /watch`: gives a browser without a genuine device cookie a new one.
pub async fn on_watch(State(state): State<ViewerCookies>, req: Request, next: Next) -> Response {
    let wanted = req.method() == Method::GET
        && req.uri().path() == Page::Watch.path()
        && device(req.headers(), state.signaling.device_key()).is_none();
    let headers = req.headers().clone();
    let mut res = next.run(req).await;
    if wanted {
        let value = state.signaling.device_key().device_cookie(crate::server::clock::unix_secs());
        let set = state.cookies.set_cookie(&headers, VIEWER_COOKIE, &value, VIEWER_COOKIE_TTL);
        res.headers_mut().append(header::SET_COOKIE, set);
    }
    res
}
