//! A connection's incoming stream, held back until its answer has left: attaching and
//! starting the `<video>` costs the page's main thread tens of ms, which the browser's
//! answer would otherwise wait behind, and no frame comes before the answer anyway.

use std::cell::{Cell, RefCell};
use web_sys::MediaStream;

/// Holds a connection's incoming stream until its answer has been sent.
#[derive(Default)]
pub struct AnswerFirst {
    answered: Cell<bool>,
    stream: RefCell<Option<MediaStream>>,
}

impl AnswerFirst {
    /// A stream arrived: the one to show now, if the answer has left.
    pub fn arrived(&self, stream: MediaStream) -> Option<MediaStream> {
        if self.answered.get() {
            return Some(stream);
        }
        *self.stream.borrow_mut() = Some(stream);
        None
    }

    /// The answer has left: the stream that arrived before, to show now.
    pub fn answered(&self) -> Option<MediaStream> {
        self.answered.set(true);
        self.stream.borrow_mut().take()
    }
}
