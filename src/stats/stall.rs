//! Whether a playing stream has stalled: no frame decoded for a few seconds in a row means
//! the path is broken (a cut link, a changed network) long before the connection says so.

/// Seconds without a decoded frame before a playing stream counts as stalled.
pub const STALL_SECONDS: u32 = 2;

/// Fed the frames decoded each second; says when the stream stalls and when it plays again.
#[derive(Default)]
pub struct StallWatch {
    seconds_without_frames: u32,
}

/// What changed with this second's sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stall {
    /// The stream just stalled.
    Began,
    /// Frames decode again after a stall.
    Ended,
}

impl StallWatch {
    /// `frames`: frames decoded since the previous sample (`None`: not known yet).
    pub fn on_sample(&mut self, frames: Option<u64>) -> Option<Stall> {
        let frames = frames?;
        if frames > 0 {
            let was_stalled = self.seconds_without_frames >= STALL_SECONDS;
            self.seconds_without_frames = 0;
            return was_stalled.then_some(Stall::Ended);
        }
        self.seconds_without_frames += 1;
        (self.seconds_without_frames == STALL_SECONDS).then_some(Stall::Began)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_seconds_without_frames_is_a_stall_until_frames_come_back() {
        let mut w = StallWatch::default();
        assert_eq!(w.on_sample(Some(30)), None);
        assert_eq!(w.on_sample(Some(0)), None, "one second is a hiccup");
        assert_eq!(w.on_sample(Some(0)), Some(Stall::Began));
        assert_eq!(w.on_sample(Some(0)), None, "said once");
        assert_eq!(w.on_sample(None), None, "unknown says nothing");
        assert_eq!(w.on_sample(Some(12)), Some(Stall::Ended));
        assert_eq!(w.on_sample(Some(30)), None);
    }

    #[test]
    fn a_hiccup_that_heals_is_no_stall() {
        let mut w = StallWatch::default();
        assert_eq!(w.on_sample(Some(0)), None);
        assert_eq!(w.on_sample(Some(30)), None);
        assert_eq!(w.on_sample(Some(0)), None);
    }
}
