//! Ties a browser session's signaling socket and its once-a-second timer to the session's
//! life: both hold it weakly and stop calling once it is dropped.

use leptos::prelude::*;

/// Opens the signaling socket for a session and hands it each event while the session lives.
pub fn connect_signaling<S: 'static>(
    session: &std::rc::Rc<S>,
    on_event: fn(&std::rc::Rc<S>, crate::browser::rtc::signaling::SignalEvent),
) -> crate::browser::rtc::signaling::SignalingSocket {
    let weak = std::rc::Rc::downgrade(session);
    crate::browser::rtc::signaling::SignalingSocket::connect(move |event| {
        if let Some(session) = weak.upgrade() {
            on_event(&session, event);
        }
    })
}

/// Runs `tick` on the session once a second while it lives; clear the handle to stop.
pub fn every_second<S: 'static, F: std::future::Future<Output = ()> + 'static>(
    session: &std::rc::Rc<S>,
    tick: fn(std::rc::Rc<S>) -> F,
) -> Option<IntervalHandle> {
    let weak = std::rc::Rc::downgrade(session);
    let each = move || {
        if let Some(session) = weak.upgrade() {
            leptos::task::spawn_local(tick(session));
        }
    };
    set_interval_with_handle(each, std::time::Duration::from_secs(1)).ok()
}
