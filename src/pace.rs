//! When streamed text reaches the screen. Every update lays the whole answer out again, so a
//! long answer is shown less often than every frame, and text a stream has already received
//! but not yet read is not shown half-read.

/// An answer is shown at most every (its length in bytes / this many) ms: a 2 KB answer every
/// frame, a 10 KB one every 40 ms ...
pub const BYTES_PER_MS: f64 = 250.0;
/// ... and never less often than this, however long it is.
pub const MAX_UPDATE_GAP_MS: f64 = 100.0;

/// The state of the text waiting to be shown, at a frame.
#[derive(Clone, Copy, Debug)]
pub struct Waiting {
    /// The length in bytes of the longest answer with text waiting.
    pub longest: usize,
    /// Ms since streamed text was last shown.
    pub since_shown: f64,
    /// Ms since the oldest text waiting arrived.
    pub waited: f64,
    /// A stream is in the middle of a backlog: more of its body is already here, and it has
    /// only paused to let the page run.
    pub catching_up: bool,
}

/// Whether the text waiting is shown in this frame. During a backlog it waits until the
/// backlog is read (or it has waited the longest gap): shown sooner, it would be out of date
/// within milliseconds and cost a layout for nothing. A wall clock set back never holds text
/// back.
pub fn update_due(w: Waiting) -> bool {
    if w.catching_up && (0.0..MAX_UPDATE_GAP_MS).contains(&w.waited) {
        return false;
    }
    let gap = (w.longest as f64 / BYTES_PER_MS).min(MAX_UPDATE_GAP_MS);
    w.since_shown < 0.0 || w.since_shown >= gap
}
