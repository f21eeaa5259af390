//! The `/ws` client: typed send and receive, and reconnection with backoff.

use crate::protocol::{ClientMessage, ServerMessage};
use crate::web::watch_loader::EARLY_SOCKET_GLOBAL;
use js_sys::{Array, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

/// What the socket reports to its owner.
#[derive(Debug)]
pub enum SignalEvent {
    /// Connected (or connected again): register now.
    Open,
    Message(ServerMessage),
    /// The connection dropped; a new attempt is scheduled.
    Closed,
}

const BACKOFF_MS: [i32; 6] = [250, 500, 1000, 2000, 4000, 8000];

thread_local! {
    /// A socket opened by [`preconnect`] before the page hydrated, for the first session.
    static EARLY: RefCell<Option<Early>> = const { RefCell::new(None) };
    /// [`preconnect`] ran: a second call keeps what the first one found.
    static PRECONNECTED: Cell<bool> = const { Cell::new(false) };
}

/// A socket opened before hydration; from the watch page's loader, with what it sent and
/// received meanwhile (`web::watch_loader`).
struct Early {
    ws: WebSocket,
    loader: Option<JsValue>,
}

impl Early {
    /// The message the loader's socket sent (its `sent`: the join in its URL), if any.
    fn sent(&self) -> Option<String> {
        Reflect::get(self.loader.as_ref()?, &JsValue::from_str("sent")).ok()?.as_string()
    }

    /// The server's messages the loader kept, oldest first; its inbox is left empty.
    fn take_inbox(&self) -> Vec<String> {
        let Some(inbox) = self.loader.as_ref().and_then(|l| Reflect::get(l, &JsValue::from_str("inbox")).ok()) else {
            return Vec::new();
        };
        let inbox: Array = inbox.unchecked_into();
        let texts = inbox.iter().filter_map(|m| m.as_string()).collect();
        inbox.set_length(0);
        texts
    }
}

/// `/ws` on the page's own host.
fn signaling_url() -> String {
    let location = web_sys::window().expect("a window").location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss:" } else { "ws:" };
    format!("{scheme}//{}/ws", location.host().unwrap_or_default())
}

/// Keeps a signaling socket for the session that starts after hydration: the one the watch
/// page's loader opened from the HTML (`web::watch_loader`), or else one opened now, so the
/// connection handshake overlaps loading and hydration instead of following them. The
/// server says nothing before the client's first message, so nothing is missed meanwhile.
/// Once per page: the socket goes to the first session.
pub fn preconnect() {
    if PRECONNECTED.with(|done| done.replace(true)) {
        return;
    }
    let early =
        take_from_loader().or_else(|| WebSocket::new(&signaling_url()).ok().map(|ws| Early { ws, loader: None }));
    EARLY.with(|slot| *slot.borrow_mut() = early);
}

/// The loader's socket, removed from the page so that it has one owner.
fn take_from_loader() -> Option<Early> {
    let window = web_sys::window()?;
    let key = JsValue::from_str(EARLY_SOCKET_GLOBAL);
    let loader = Reflect::get(&window, &key).ok().filter(|l| l.is_object())?;
    let _ = Reflect::delete_property(&window, &key);
    let ws = Reflect::get(&loader, &JsValue::from_str("socket")).ok()?.dyn_into::<WebSocket>().ok()?;
    Some(Early { ws, loader: Some(loader) })
}

/// The preconnected socket, if it is still opening or open.
fn take_early() -> Option<Early> {
    let early = EARLY.with(|slot| slot.borrow_mut().take())?;
    (early.ws.ready_state() <= WebSocket::OPEN).then_some(early)
}

/// A signaling connection that reconnects by itself until [`SignalingSocket::close`] is called.
#[derive(Clone)]
pub struct SignalingSocket {
    inner: Rc<Inner>,
}

struct Inner {
    url: String,
    socket: RefCell<Option<WebSocket>>,
    on_event: Box<dyn Fn(SignalEvent)>,
    failures: Cell<usize>,
    stopped: Cell<bool>,
    /// What the watch page's loader already sent on this socket: the owner's first send of the
    /// same message is not repeated (a second join would register the viewer twice).
    already_sent: RefCell<Option<String>>,
    #[allow(clippy::type_complexity)]
    handlers:
        RefCell<Option<(Closure<dyn FnMut(Event)>, Closure<dyn FnMut(MessageEvent)>, Closure<dyn FnMut(CloseEvent)>)>>,
}

impl SignalingSocket {
    /// Opens `/ws` on the page's own host.
    pub fn connect(on_event: impl Fn(SignalEvent) + 'static) -> SignalingSocket {
        let inner = Rc::new(Inner {
            url: signaling_url(),
            socket: RefCell::new(None),
            on_event: Box::new(on_event),
            failures: Cell::new(0),
            stopped: Cell::new(false),
            already_sent: RefCell::new(None),
            handlers: RefCell::new(None),
        });
        Inner::open(&inner);
        SignalingSocket { inner }
    }

    /// Sends a message; false when the socket is not open (the caller re-registers on `Open`).
    pub fn send(&self, msg: &ClientMessage) -> bool {
        let socket = self.inner.socket.borrow();
        match socket.as_ref() {
            Some(ws) if ws.ready_state() == WebSocket::OPEN => {
                let json = msg.to_json();
                let mut already_sent = self.inner.already_sent.borrow_mut();
                if already_sent.as_deref() == Some(json.as_str()) {
                    *already_sent = None;
                    return true;
                }
                *already_sent = None;
                ws.send_with_str(&json).is_ok()
            }
            _ => false,
        }
    }

    /// Drops the current connection; the usual `Closed` then `Open` follow shortly.
    pub fn reconnect(&self) {
        if let Some(ws) = self.inner.socket.borrow().as_ref() {
            let _ = ws.close();
        }
    }

    /// Closes for good: no more events, no reconnection. A normal close (1000): for the
    /// streamer, the server takes it as the end of the live, not a connection lost.
    pub fn close(&self) {
        self.inner.stopped.set(true);
        if let Some(ws) = self.inner.socket.borrow_mut().take() {
            Inner::detach(&ws);
            let _ = ws.close_with_code(1000);
        }
        // The handlers stay until `Inner` drops: this may run inside one of them.
    }
}

impl Inner {
    fn open(this: &Rc<Inner>) {
        if this.stopped.get() {
            return;
        }
        let early = take_early();
        let already_open = early.as_ref().is_some_and(|e| e.ws.ready_state() == WebSocket::OPEN);
        // The loader's socket joined with its URL, open yet or not; once open, it has kept what
        // the server answered.
        *this.already_sent.borrow_mut() = early.as_ref().and_then(Early::sent);
        let inbox = early.as_ref().filter(|_| already_open);
        let ws = match early.as_ref().map_or_else(|| WebSocket::new(&this.url), |e| Ok(e.ws.clone())) {
            Ok(ws) => ws,
            Err(_) => {
                Inner::retry_later(this);
                return;
            }
        };
        let weak = Rc::downgrade(this);
        let on_open = Closure::<dyn FnMut(Event)>::new({
            let weak = weak.clone();
            move |_| {
                if let Some(inner) = weak.upgrade() {
                    inner.failures.set(0);
                    (inner.on_event)(SignalEvent::Open);
                }
            }
        });
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |e: MessageEvent| {
                let Some(inner) = weak.upgrade() else { return };
                if let Some(text) = e.data().as_string() {
                    inner.deliver(&text);
                }
            }
        });
        let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |_| {
            let Some(inner) = weak.upgrade() else { return };
            if inner.stopped.get() {
                return;
            }
            inner.socket.borrow_mut().take();
            (inner.on_event)(SignalEvent::Closed);
            Inner::retry_later(&inner);
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        // Taken only now that these handlers receive what follows: none is missed or doubled.
        let kept = inbox.map(Early::take_inbox).unwrap_or_default();
        *this.socket.borrow_mut() = Some(ws);
        *this.handlers.borrow_mut() = Some((on_open, on_message, on_close));
        if already_open {
            // Its `open` event has passed: report it once the caller has its handle.
            let weak = Rc::downgrade(this);
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(inner) = weak.upgrade() {
                    (inner.on_event)(SignalEvent::Open);
                    for text in kept {
                        inner.deliver(&text);
                    }
                }
            });
        }
    }

    fn deliver(&self, text: &str) {
        match serde_json::from_str::<ServerMessage>(text) {
            Ok(msg) => (self.on_event)(SignalEvent::Message(msg)),
            Err(err) => web_sys::console::warn_1(&format!("OnAir: ignored a server message: {err}").into()),
        }
    }

    fn retry_later(this: &Rc<Inner>) {
        let n = this.failures.get();
        this.failures.set(n + 1);
        let delay = BACKOFF_MS[n.min(BACKOFF_MS.len() - 1)];
        let weak: Weak<Inner> = Rc::downgrade(this);
        let retry = Closure::once_into_js(move || {
            if let Some(inner) = weak.upgrade() {
                Inner::open(&inner);
            }
        });
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(retry.unchecked_ref(), delay);
        }
    }

    fn detach(ws: &WebSocket) {
        ws.set_onopen(None);
        ws.set_onmessage(None);
        ws.set_onclose(None);
    }
}
