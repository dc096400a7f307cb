//! The engine's named timers on `setTimeout` (gloo-timers); starting one replaces it.

use crate::engine::Timer;
use crate::keyed::Keyed;
use gloo_timers::callback::Timeout;
use std::cell::RefCell;
use std::rc::Rc;

#[derive(Default)]
pub struct Timers {
    pending: RefCell<Keyed<Timer, Timeout>>,
}

impl Timers {
    pub fn start(&self, timer: Timer, after_ms: u64, fire: Rc<dyn Fn(Timer)>) {
        let ms = after_ms.min(u32::MAX as u64) as u32;
        let timeout = Timeout::new(ms, move || fire(timer));
        // Dropping the previous Timeout clears it.
        self.pending.borrow_mut().insert(timer, timeout);
    }

    pub fn cancel(&self, timer: Timer) {
        self.pending.borrow_mut().remove(&timer);
    }

    pub fn cancel_all(&self) {
        self.pending.borrow_mut().clear();
    }

    /// Timers started and not cancelled (fired ones stay counted until replaced or cancelled).
    pub fn len(&self) -> usize {
        self.pending.borrow().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
