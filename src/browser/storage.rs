//! localStorage / sessionStorage / nothing, with an in-memory fallback: when storage is
//! disabled, throws, or is full, the widget keeps working and only forgets on reload.

use crate::config::StorageKind;
use crate::keyed::Keyed;
use gloo_storage::Storage as _;
use std::cell::{Cell, RefCell};

pub struct Store {
    web: Option<web_sys::Storage>,
    /// Values that could not be written to `web` (or all values, without it).
    memory: RefCell<Keyed<String, Option<String>>>,
    warned: Cell<bool>,
}

impl Store {
    pub fn open(kind: StorageKind) -> Store {
        let web = match kind {
            StorageKind::None => None,
            // Probe first: merely reading `window.localStorage` throws where storage is blocked,
            // and gloo-storage's handle accessors would turn that into a JS exception.
            StorageKind::Local => {
                probe(|w| w.local_storage()).map(|_| gloo_storage::LocalStorage::raw())
            }
            StorageKind::Session => {
                probe(|w| w.session_storage()).map(|_| gloo_storage::SessionStorage::raw())
            }
        };
        if web.is_none() && kind != StorageKind::None {
            super::console_warn("storage is unavailable; this conversation is kept in memory only");
        }
        Store {
            web,
            memory: RefCell::new(Keyed::new()),
            warned: Cell::new(false),
        }
    }

    pub fn is_persistent(&self) -> bool {
        self.web.is_some()
    }

    pub fn get(&self, key: &str) -> Option<String> {
        if let Some(v) = self.memory.borrow().get(key) {
            return v.clone();
        }
        self.web
            .as_ref()
            .and_then(|s| s.get_item(key).ok().flatten())
    }

    pub fn set(&self, key: &str, value: Option<&str>) {
        let written = match (&self.web, value) {
            (Some(s), Some(v)) => s.set_item(key, v).is_ok(),
            (Some(s), None) => s.remove_item(key).is_ok(),
            (None, _) => false,
        };
        let mut memory = self.memory.borrow_mut();
        if written {
            memory.remove(key);
        } else {
            memory.insert(key.to_string(), value.map(str::to_string));
            if self.web.is_some() && !self.warned.replace(true) {
                super::console_warn(
                    "storage refused a write (full or blocked); keeping it in memory",
                );
            }
        }
    }
}

fn probe<F>(get: F) -> Option<web_sys::Storage>
where
    F: FnOnce(&web_sys::Window) -> Result<Option<web_sys::Storage>, wasm_bindgen::JsValue>,
{
    let window = web_sys::window()?;
    let storage = get(&window).ok().flatten()?;
    // Safari's private mode and some policies expose a storage that throws on every write.
    let key = "confab:probe";
    storage.set_item(key, "1").ok()?;
    storage.remove_item(key).ok()?;
    Some(storage)
}
