//! When streamed text is shown (src/pace.rs).
use confab::pace::{update_due, Waiting, MAX_UPDATE_GAP_MS};

fn at(longest: usize, since_shown: f64, waited: f64, catching_up: bool) -> bool {
    update_due(Waiting {
        longest,
        since_shown,
        waited,
        catching_up,
    })
}

#[test]
fn short_answers_are_shown_every_frame_and_long_ones_less_often() {
    // 2 KB: a frame later (16 ms) is late enough.
    assert!(at(2_000, 16.0, 16.0, false));
    // 10 KB: every 40 ms.
    assert!(!at(10_000, 16.0, 16.0, false));
    assert!(!at(10_000, 39.0, 39.0, false));
    assert!(at(10_000, 40.0, 40.0, false));
    // 60 KB: held to the longest gap, never beyond it.
    assert!(!at(60_000, 99.0, 99.0, false));
    assert!(at(60_000, MAX_UPDATE_GAP_MS, 16.0, false));
    assert!(at(10_000_000, MAX_UPDATE_GAP_MS, 16.0, false));
}

#[test]
fn text_waits_while_a_backlog_is_read_but_not_beyond_the_longest_gap() {
    // A short answer that would be shown this frame waits while its stream catches up ...
    assert!(at(500, 500.0, 10.0, false));
    assert!(!at(500, 500.0, 10.0, true));
    assert!(!at(500, 500.0, MAX_UPDATE_GAP_MS - 1.0, true));
    // ... until its oldest text has waited the longest gap.
    assert!(at(500, 500.0, MAX_UPDATE_GAP_MS, true));
    // The gap for its length still applies once the backlog is read.
    assert!(!at(60_000, 50.0, 120.0, false));
}

#[test]
fn a_clock_set_back_never_holds_text_back() {
    assert!(at(60_000, -5_000.0, 10.0, false));
    assert!(at(500, -5_000.0, -5_000.0, true));
}
