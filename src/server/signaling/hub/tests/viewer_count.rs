//! The viewer count broadcast: coalescing and pacing.

use super::support::*;
use crate::protocol::ServerMessage;
use crate::server::signaling::hub::{viewer_count_interval, Action, ConnId};
use std::time::Duration;

#[test]
fn viewer_count_is_coalesced_into_one_broadcast_per_flush() {
    let mut h = hub();
    go_live(&mut h);
    assert!(h.flush_viewer_count().is_empty(), "nothing changed yet");
    for n in 10..1010 {
        let out = join_viewer(&mut h, n);
        let messages = out.iter().filter(|a| !matches!(a, Action::Event(_))).count();
        assert!(messages <= 4, "a join is O(1) messages, not O(N)");
    }
    let out = h.flush_viewer_count();
    assert_eq!(out.len(), 1);
    match &out[0] {
        Action::Broadcast { to, msg } => {
            assert_eq!(*msg, ServerMessage::ViewerCount { count: 1000 });
            assert_eq!(to.len(), 1001, "every viewer and the streamer");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(h.flush_viewer_count().is_empty());
    h.disconnect(ConnId(10));
    assert!(h.flush_viewer_count().is_empty(), "within a second of the last count");
    h.advance(Duration::from_secs(1));
    assert_eq!(received(&h.flush_viewer_count(), ADMIN), vec![ServerMessage::ViewerCount { count: 999 }]);
}

#[test]
fn large_audiences_get_the_count_less_often() {
    assert_eq!(viewer_count_interval(0), Duration::from_secs(1));
    assert_eq!(viewer_count_interval(1999), Duration::from_secs(1));
    assert_eq!(viewer_count_interval(5000), Duration::from_secs(5));
    assert_eq!(viewer_count_interval(50_000), Duration::from_secs(10));
    let mut h = hub();
    go_live(&mut h);
    for n in 10..5010 {
        join_viewer(&mut h, n);
    }
    assert_eq!(h.flush_viewer_count().len(), 1);
    join_viewer(&mut h, 6000);
    h.advance(Duration::from_secs(4));
    assert!(h.flush_viewer_count().is_empty(), "5,001 viewers: every 5 s");
    h.advance(Duration::from_secs(5));
    assert!(matches!(
        h.flush_viewer_count()[..],
        [Action::Broadcast { msg: ServerMessage::ViewerCount { count: 5001 }, .. }]
    ));
}
