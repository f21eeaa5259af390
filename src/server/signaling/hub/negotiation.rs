//! What a viewer may send the streamer during a negotiation: one answer per offer it was sent,
//! and a bounded number of ICE candidates per offer. Without this every viewer could send
//! the streamer answers (32 KiB each) and candidates for as long as its message budget lasts.

use crate::protocol::ErrorCode;

/// ICE candidates a viewer may send per offer. A browser gathers a few per network interface
/// (host, server-reflexive, relay, over UDP and TCP): a dozen or two; 64 leaves room for
/// machines with many interfaces.
pub const CANDIDATES_PER_NEGOTIATION: u32 = 64;
/// Offers a viewer may owe answers to at once. The studio has one negotiation per viewer in
/// flight; a few more cover an ICE restart sent while the first answer is on its way.
pub const OPEN_OFFERS: u32 = 4;

/// One viewer connection's negotiation with the streamer, as far as the server relays it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Negotiation {
    /// Offers sent to this viewer and not yet answered.
    answers_owed: u32,
    /// Candidates it may still send for the latest offer.
    candidates_left: u32,
}

/// Why a viewer's message is not relayed, in words.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutOfTurn {
    #[error("an answer is relayed only in reply to an offer, one answer per offer")]
    AnswerWithoutOffer,
    #[error("at most {CANDIDATES_PER_NEGOTIATION} ICE candidates are relayed per offer; this one was dropped")]
    TooManyCandidates,
}

impl OutOfTurn {
    pub fn code(&self) -> ErrorCode {
        ErrorCode::OutOfTurn
    }
}

impl Negotiation {
    /// The streamer sent this viewer an offer: one answer and a fresh set of candidates are due.
    pub fn offered(&mut self) {
        self.answers_owed = (self.answers_owed + 1).min(OPEN_OFFERS);
        self.candidates_left = CANDIDATES_PER_NEGOTIATION;
    }

    /// The viewer sends an answer: relayed when an offer is waiting for one.
    pub fn answer(&mut self) -> Result<(), OutOfTurn> {
        self.answers_owed = self.answers_owed.checked_sub(1).ok_or(OutOfTurn::AnswerWithoutOffer)?;
        Ok(())
    }

    /// The viewer sends an ICE candidate: relayed while the latest offer's allowance lasts.
    pub fn candidate(&mut self) -> Result<(), OutOfTurn> {
        self.candidates_left = self.candidates_left.checked_sub(1).ok_or(OutOfTurn::TooManyCandidates)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_needs_an_offer_and_only_one_is_relayed_per_offer() {
        let mut n = Negotiation::default();
        assert_eq!(n.answer(), Err(OutOfTurn::AnswerWithoutOffer));
        n.offered();
        assert_eq!(n.answer(), Ok(()));
        assert_eq!(n.answer(), Err(OutOfTurn::AnswerWithoutOffer), "a second answer to one offer");
        // An ICE restart: a second offer, a second answer.
        n.offered();
        assert_eq!(n.answer(), Ok(()));
    }

    #[test]
    fn answers_owed_are_bounded_even_if_the_streamer_offers_again_and_again() {
        let mut n = Negotiation::default();
        for _ in 0..100 {
            n.offered();
        }
        assert_eq!((0..100).filter(|_| n.answer().is_ok()).count(), OPEN_OFFERS as usize);
    }

    #[test]
    fn candidates_are_capped_per_offer_and_a_new_offer_renews_the_allowance() {
        let mut n = Negotiation::default();
        assert_eq!(n.candidate(), Err(OutOfTurn::TooManyCandidates), "no offer, no candidates");
        n.offered();
        assert!((0..CANDIDATES_PER_NEGOTIATION).all(|_| n.candidate().is_ok()));
        assert_eq!(n.candidate(), Err(OutOfTurn::TooManyCandidates));
        n.offered();
        assert_eq!(n.candidate(), Ok(()));
    }
}
