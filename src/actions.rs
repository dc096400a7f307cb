//! The rules for page actions that need no DOM, checked before anything runs: known actions,
//! required fields, and where `navigate` may go (PROTOCOLS.md §2; issue 3's safety rules).

use crate::config::normalize_origin;
use crate::protocol::PageAction;

pub const ACTIONS: [&str; 7] = [
    "navigate",
    "click",
    "type",
    "highlight",
    "scroll",
    "wait",
    "select",
];

/// Refuses an action that is unknown or lacks what it needs.
pub fn precheck(a: &PageAction) -> Result<(), String> {
    if !ACTIONS.contains(&a.action.as_str()) {
        return Err(if a.action.is_empty() {
            "a command without an action".to_string()
        } else {
            format!("unknown action \"{}\"", a.action)
        });
    }
    if a.action == "navigate" {
        return match a.url.as_deref() {
            Some(u) if !u.trim().is_empty() && u.len() <= 2048 => Ok(()),
            _ => Err("navigate needs a url".into()),
        };
    }
    match a.selector.as_deref() {
        Some(s) if !s.trim().is_empty() && s.len() <= 500 && !s.contains('\0') => Ok(()),
        Some(_) => Err(format!("{} has an unusable selector", a.action)),
        None => Err(format!("{} needs a selector", a.action)),
    }
}

/// `href` is the URL resolved against the target's own location. Only http(s) URLs whose
/// origin is the target's or listed in `data-allowed-origins` may be opened.
pub fn check_navigate(href: &str, target_origin: &str, allowed: &[String]) -> Result<(), String> {
    let scheme = href.split(':').next().unwrap_or("").to_ascii_lowercase();
    if scheme != "http" && scheme != "https" {
        return Err(format!(
            "only http(s) URLs can be opened, not \"{scheme}:\""
        ));
    }
    let origin =
        normalize_origin(href).ok_or_else(|| format!("\"{href}\" has no usable origin"))?;
    let target = normalize_origin(target_origin).unwrap_or_default();
    if origin == target || allowed.contains(&origin) {
        Ok(())
    } else {
        Err(format!("{origin} is not an allowed origin"))
    }
}
