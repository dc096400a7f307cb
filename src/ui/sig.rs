//! The view's signals: a value behind a reference count, and a Leptos trigger that tells the
//! effects which read the value when it changes.
//!
//! Leptos's own `ArcRwSignal<T>` does the same through a lock, guards and a set of traits, all
//! compiled again for each value type and each closure that reads one (about 15 KB of wasm
//! before `wasm-opt` for the view's eight value types). Here the only generic code is a
//! `RefCell` borrow around the caller's closure; tracking and notifying are the trigger's,
//! compiled once.

use leptos::prelude::{ArcTrigger, Notify, Track};
use std::cell::RefCell;
use std::rc::Rc;

pub struct Sig<T> {
    value: Rc<RefCell<T>>,
    trigger: ArcTrigger,
}

impl<T> Clone for Sig<T> {
    fn clone(&self) -> Self {
        Sig {
            value: self.value.clone(),
            trigger: self.trigger.clone(),
        }
    }
}

/// The same signal, not an equal value.
impl<T> PartialEq for Sig<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.value, &other.value)
    }
}

impl<T> std::fmt::Debug for Sig<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sig")
    }
}

impl<T> Sig<T> {
    pub fn new(value: T) -> Self {
        Sig {
            value: Rc::new(RefCell::new(value)),
            trigger: ArcTrigger::new(),
        }
    }

    /// Makes the running effect read this signal: it runs again when the signal changes.
    pub fn track(&self) {
        self.trigger.track();
    }

    /// Runs the effects that read this signal.
    pub fn notify(&self) {
        self.trigger.notify();
    }

    /// `f` on the value, tracked.
    pub fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        self.track();
        self.with_untracked(f)
    }

    /// `f` on the value, not tracked.
    pub fn with_untracked<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.value.borrow())
    }

    /// Changes the value with `f`, then tells its readers (after the value is let go, so a
    /// reader that runs at once can read it).
    pub fn update<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let r = f(&mut self.value.borrow_mut());
        self.notify();
        r
    }

    pub fn set(&self, value: T) {
        // The old value is dropped after the borrow ends: dropping it may drop other signals.
        let old = self.value.replace(value);
        self.notify();
        drop(old);
    }

    /// Runs the readers still alive once more, then forgets every reader (see
    /// `MessageView::forget_readers` for why).
    pub fn forget_readers(&self) {
        use leptos::reactive::graph::Source;
        self.notify();
        self.trigger.clear_subscribers();
    }
}

impl<T: Clone> Sig<T> {
    /// A copy of the value, tracked.
    pub fn get(&self) -> T {
        self.with(T::clone)
    }

    /// A copy of the value, not tracked.
    pub fn get_untracked(&self) -> T {
        self.with_untracked(T::clone)
    }
}
