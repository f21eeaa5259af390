//! The watch page's starter: a wasm file of its own, without Leptos (an eighth of the player's),
//! that the page's loader runs before the player's, which a cold page would wait for until
//! well after the stream's offer has come. On the loader's socket it answers the first offer,
//! applies that connection's candidates and, once connected, shows its stream in the page's
//! `<video>`. Every other message stays in the loader's inbox, and the connection is handed
//! over (`rtc::handover`), for the player to take over once its wasm is in.
//! [`FirstConnection`] has the rules.

use crate::browser::first_connection::{FirstConnection, Step};
use crate::browser::rtc::peer::Peer;
use crate::browser::rtc::{handover, media};
use crate::protocol::starter_wire::{self, Json, Out, Seen};
use crate::protocol::{IceServer, SessionDescription};
use crate::web::player_element::{PLAYER_ELEMENT_ID, STARTED_ATTRIBUTE};
use crate::web::status::PeerState;
use js_sys::{Array, Function, Object, Promise, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlMediaElement, MediaStream, MessageEvent, WebSocket};

thread_local! {
    /// The starter, for the page's life: its connection must not be dropped (that closes it),
    /// and the player takes it over by the browser object, not by this.
    static STARTER: RefCell<Option<Rc<Starter>>> = const { RefCell::new(None) };
}

struct Starter {
    socket: WebSocket,
    /// The loader's inbox: what the player replays when it takes the socket over.
    inbox: Array,
    rules: RefCell<FirstConnection>,
    peer: RefCell<Option<Rc<Peer>>>,
    /// What the starter took for its connection until the answer has left: back to the inbox,
    /// in order, should answering fail (the player then answers itself).
    taken: RefCell<Vec<String>>,
    answered: Cell<bool>,
    /// The incoming stream, until the connection is up: attaching and starting the `<video>`
    /// takes the main thread for tens of ms, which the candidates and DTLS would wait behind,
    /// and no frame comes before anyway.
    stream: RefCell<Option<MediaStream>>,
    connected: Cell<bool>,
    failed: Cell<bool>,
    /// Resolves the promise [`start`] returned.
    settle: RefCell<Option<Function>>,
    /// The loader's `hold`, called once an offer is taken: the page's first render then waits
    /// for this connection (the loader's 150 ms timer otherwise fell mid-answer on a cold page).
    hold_render: Function,
    /// The loader's `render`, called once the connection is up or failed: the page renders then.
    render: RefCell<Option<Function>>,
}

/// Starts on the loader's `{socket, inbox}`; calls `hold_render` once it takes an offer and
/// `render` once that connection is up or failed.
/// Resolves once the player may load without holding up the first frame (its compile and the
/// page's hydration take the main thread for tens of ms, which the video's first frame waits
/// behind): the video plays (or the browser refused to play it), the connection failed, or
/// there is nothing for the starter to do.
pub fn start(early: &JsValue, render: Function, hold_render: Function) -> Result<Promise, JsValue> {
    let socket: WebSocket = Reflect::get(early, &"socket".into())?.dyn_into()?;
    let inbox: Array = Reflect::get(early, &"inbox".into())?.dyn_into()?;
    let mut settle = None;
    let settled = Promise::new(&mut |resolve, _| settle = Some(resolve));
    let this = Rc::new(Starter {
        socket,
        inbox,
        rules: RefCell::new(FirstConnection::default()),
        peer: RefCell::new(None),
        taken: RefCell::new(Vec::new()),
        answered: Cell::new(false),
        stream: RefCell::new(None),
        connected: Cell::new(false),
        failed: Cell::new(false),
        settle: RefCell::new(settle),
        hold_render,
        render: RefCell::new(Some(render)),
    });
    let kept: Vec<String> = this.inbox.iter().filter_map(|m| m.as_string()).collect();
    this.inbox.set_length(0);
    for text in kept {
        this.deliver(text);
    }
    let weak = Rc::downgrade(&this);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if let (Some(this), Some(text)) = (weak.upgrade(), e.data().as_string()) {
            this.deliver(text);
        }
    });
    // Replaces the loader's handler; the player's replaces this one when it takes the socket.
    // One handler for the page's life, as the starter is.
    this.socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    STARTER.with(|slot| *slot.borrow_mut() = Some(this));
    Ok(settled)
}

impl Starter {
    fn deliver(self: &Rc<Self>, text: String) {
        // What does not read is the player's to report.
        let step = self.rules.borrow_mut().on_message(read(&text));
        match step {
            Step::Answer { offer, ice_servers } => self.answer(text, &offer, &ice_servers),
            Step::Candidate(candidate) if !self.failed.get() => {
                if !self.answered.get() {
                    self.taken.borrow_mut().push(text);
                }
                if let Some(peer) = self.peer.borrow().clone() {
                    wasm_bindgen_futures::spawn_local(async move { peer.add_remote_candidate(candidate).await });
                }
            }
            _ => {
                self.inbox.push(&JsValue::from_str(&text));
                if self.rules.borrow().stopped() {
                    self.settle();
                }
            }
        }
    }

    fn answer(self: &Rc<Self>, text: String, offer: &SessionDescription, ice_servers: &[IceServer]) {
        self.taken.borrow_mut().push(text);
        let _ = self.hold_render.call0(&JsValue::NULL);
        let peer = match Peer::new(ice_servers) {
            Ok(peer) => Rc::new(peer),
            Err(_) => return self.give_up(),
        };
        let socket = self.socket.clone();
        peer.on_ice_candidate(move |candidate| send(&socket, &starter_wire::candidate(&candidate)));
        peer.on_track({
            let weak = Rc::downgrade(self);
            move |stream| {
                handover::publish_stream(&stream);
                let Some(this) = weak.upgrade() else { return };
                if this.connected.get() {
                    this.show(stream);
                } else {
                    *this.stream.borrow_mut() = Some(stream);
                }
            }
        });
        let weak = Rc::downgrade(self);
        peer.on_connection_state(move |state| {
            let Some(this) = weak.upgrade() else { return };
            match state {
                PeerState::Connected => {
                    this.connected.set(true);
                    this.render();
                    let stream = this.stream.borrow_mut().take();
                    if let Some(stream) = stream {
                        this.show(stream);
                    }
                }
                PeerState::Failed => {
                    this.render();
                    this.settle();
                }
                _ => {}
            }
        });
        handover::publish(peer.connection());
        *self.peer.borrow_mut() = Some(peer.clone());
        let (this, offer, socket) = (self.clone(), offer.clone(), self.socket.clone());
        wasm_bindgen_futures::spawn_local(async move {
            match peer.answer(&offer, |answer| send(&socket, &starter_wire::answer(&answer))).await {
                Ok(()) => {
                    this.answered.set(true);
                    this.taken.borrow_mut().clear();
                }
                Err(e) => {
                    web_sys::console::warn_2(&"OnAir: the player answers instead:".into(), &e.0.into());
                    peer.close();
                    this.give_up();
                }
            }
        });
    }

    /// Answering failed: the offer and its candidates go back to the player, in order.
    fn give_up(&self) {
        self.failed.set(true);
        self.render();
        handover::withdraw();
        for text in self.taken.borrow_mut().drain(..) {
            self.inbox.push(&JsValue::from_str(&text));
        }
        self.settle();
    }

    /// Lets the page render (once).
    fn render(&self) {
        let render = self.render.borrow_mut().take();
        if let Some(f) = render {
            let _ = f.call0(&JsValue::NULL);
        }
    }

    fn settle(&self) {
        let resolve = self.settle.borrow_mut().take();
        if let Some(resolve) = resolve {
            let _ = resolve.call0(&JsValue::NULL);
        }
    }

    /// Shows `stream` in the page's `<video>` (muted, as the page renders it, so it may
    /// autoplay; if the browser refuses, the player offers its Play button once it has taken
    /// over), and settles once it plays.
    fn show(self: &Rc<Starter>, stream: MediaStream) {
        let video = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(PLAYER_ELEMENT_ID))
            .and_then(|e| e.dyn_into::<HtmlMediaElement>().ok());
        let Some(video) = video else { return self.settle() };
        media::attach(&video, Some(&stream));
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if media::play(&video).await {
                // Until the page hydrates, this uncovers the video (style/main.css).
                let _ = video.set_attribute(STARTED_ATTRIBUTE, "");
            }
            this.settle();
        });
    }
}

/// Reads a server message's text through the browser's JSON.
fn read(text: &str) -> Seen {
    js_sys::JSON::parse(text).map_or(Seen::Other, |value| starter_wire::seen(&value))
}

impl Json for JsValue {
    fn field(&self, key: &str) -> Option<JsValue> {
        if !self.is_object() {
            return None;
        }
        Reflect::get(self, &JsValue::from_str(key)).ok().filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn text(&self) -> Option<String> {
        self.as_string()
    }
    fn number(&self) -> Option<f64> {
        self.as_f64()
    }
    fn elements(&self) -> Option<Vec<JsValue>> {
        Array::is_array(self).then(|| Array::from(self).iter().collect())
    }
}

/// The browser's value of what the starter writes.
fn to_js(out: &Out) -> JsValue {
    match out {
        Out::Text(text) => JsValue::from_str(text),
        Out::Number(n) => JsValue::from(*n),
        Out::Object(fields) => {
            let object = Object::new();
            for (key, value) in fields {
                let _ = Reflect::set(&object, &JsValue::from_str(key), &to_js(value));
            }
            object.into()
        }
    }
}

/// Sends a message through the browser's JSON.
fn send(socket: &WebSocket, out: &Out) {
    if let Some(text) = js_sys::JSON::stringify(&to_js(out)).ok().and_then(|t| t.as_string()) {
        let _ = socket.send_with_str(&text);
    }
}
