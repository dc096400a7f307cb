//! Confab: an embeddable chat widget. See README.md for the architecture.

pub mod actions;
pub mod clock;
pub mod config;
pub mod engine;
pub mod i18n;
pub mod keyed;
pub mod markdown;
pub mod pace;
pub mod protocol;
pub mod strmap;
pub mod text;

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod ui;
#[cfg(target_arch = "wasm32")]
pub mod widget;
