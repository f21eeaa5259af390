//! The studio page's `studio` socket while it does not stream itself: it performs the monitor
//! rules' actions on the page (an external encoder's live, its figures and its viewers' rows).

use crate::browser::rtc::signaling::{SignalEvent, SignalingSocket};
use crate::browser::studio::monitor_rules::{MonitorAction, MonitorEvent, MonitorRules};
use crate::protocol::ViewerId;
use crate::web::view_state::{ExternalLive, StudioView, ViewerRow};
use leptos::prelude::*;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

pub struct Monitor {
    view: StudioView,
    signaling: RefCell<Option<SignalingSocket>>,
    rules: RefCell<MonitorRules>,
    ticker: Cell<Option<IntervalHandle>>,
}

impl Monitor {
    /// Opens the socket; the server tells it at once whether an encoder is live.
    pub fn start(view: StudioView) -> Rc<Monitor> {
        let this = Rc::new(Monitor {
            view,
            signaling: RefCell::new(None),
            rules: RefCell::new(MonitorRules::default()),
            ticker: Cell::new(None),
        });
        *this.signaling.borrow_mut() = Some(crate::browser::lifecycle::connect_signaling(&this, Self::on_signal));
        this.ticker.set(crate::browser::lifecycle::every_second(&this, Self::tick));
        this
    }

    /// Stops watching (the page goes, or this tab goes live itself) and clears what it showed.
    pub fn stop(&self) {
        if let Some(t) = self.ticker.take() {
            t.clear();
        }
        if let Some(s) = self.signaling.borrow_mut().take() {
            s.close();
        }
        self.clear_rows();
        self.view.external.set(None);
        self.view.ingest.set(None);
        self.view.live_since_ms.set(None);
    }

    /// Ends the external encoder's live, if one is live.
    pub fn end_live(self: &Rc<Self>) {
        self.handle(MonitorEvent::EndClicked);
    }

    pub fn remove_viewer(self: &Rc<Self>, viewer: ViewerId) {
        self.handle(MonitorEvent::RemoveClicked { viewer });
    }

    /// Why this tab cannot go live now, in words.
    pub fn go_live_refusal(&self) -> Option<String> {
        self.rules.borrow().go_live_refusal()
    }

    async fn tick(self: Rc<Self>) {
        self.view.now_ms.set(js_sys::Date::now());
    }

    fn on_signal(self: &Rc<Self>, event: SignalEvent) {
        match event {
            SignalEvent::Open => self.handle(MonitorEvent::SignalingOpened),
            SignalEvent::Message(msg) => self.handle(MonitorEvent::Server(msg)),
            // The server lists everything again once the socket is back.
            SignalEvent::Closed => {}
        }
    }

    fn handle(self: &Rc<Self>, event: MonitorEvent) {
        // Released before acting, as in the broadcast.
        let actions = self.rules.borrow_mut().handle(event);
        for action in actions {
            self.perform(action);
        }
    }

    fn perform(self: &Rc<Self>, action: MonitorAction) {
        let view = self.view;
        match action {
            MonitorAction::Send(msg) => {
                if let Some(s) = self.signaling.borrow().as_ref() {
                    s.send(&msg);
                }
            }
            MonitorAction::ShowExternal { client, codec } => {
                let live = ExternalLive { client, codec };
                if view.external.get_untracked().as_ref() != Some(&live) {
                    view.message.set(None);
                    view.ingest.set(None);
                    view.live_since_ms.set(Some(js_sys::Date::now()));
                    view.now_ms.set(js_sys::Date::now());
                    view.external.set(Some(live));
                }
            }
            MonitorAction::ShowIngest(report) => view.ingest.set(Some(report)),
            MonitorAction::ShowEnded { reason } => {
                let client = view.external.get_untracked().map(|e| e.client);
                view.external.set(None);
                view.ingest.set(None);
                view.live_since_ms.set(None);
                view.message.set(Some(match client {
                    Some(client) => format!("The live from {client} ended: {reason}"),
                    None => format!("The live ended: {reason}"),
                }));
            }
            MonitorAction::AddRow { viewer, name } => {
                let row = ViewerRow::new(viewer, name, js_sys::Date::now());
                row.via_relay.set(true);
                view.viewers.update(|rows| rows.push(row));
            }
            MonitorAction::DropRow { viewer } => {
                let mut removed = None;
                view.viewers.update(|rows| {
                    if let Some(at) = rows.iter().position(|r| r.id == viewer) {
                        removed = Some(rows.remove(at));
                    }
                });
                if let Some(row) = removed {
                    row.dispose();
                }
            }
            MonitorAction::ClearRows => self.clear_rows(),
            MonitorAction::ShowRelayReport { viewer, report } => {
                if let Some(row) = self.row(&viewer) {
                    row.show_relay_report(&report);
                }
            }
            MonitorAction::ShowViewerReport { viewer, report } => {
                if let Some(row) = self.row(&viewer) {
                    row.seen.set(Some(report));
                }
            }
            MonitorAction::Stop { reason } => {
                self.stop();
                view.message.set(Some(reason.to_owned()));
            }
            MonitorAction::LogRefusal { code, message } => web_sys::console::warn_1(
                &format!("OnAir: server refused a message ({}): {message}", code.as_str()).into(),
            ),
        }
    }

    fn row(&self, id: &ViewerId) -> Option<ViewerRow> {
        self.view.viewers.with_untracked(|rows| rows.iter().find(|r| &r.id == id).cloned())
    }

    fn clear_rows(&self) {
        let rows = self.view.viewers.try_update(std::mem::take).unwrap_or_default();
        for row in rows {
            row.dispose();
        }
    }
}
