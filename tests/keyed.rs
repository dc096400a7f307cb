//! The sorted-vector map that stands in for `BTreeMap` in the bundle: same order, same
//! replacement rules, same stored JSON.

use confab::keyed::{Fields, KeySet, Keyed};
use std::collections::BTreeMap;

#[test]
fn entries_come_back_in_key_order_whatever_the_insertion_order() {
    let mut map = Keyed::new();
    for k in [5u32, 1, 9, 3, 7] {
        assert_eq!(map.insert(k, k * 10), None);
    }
    assert_eq!(map.keys().copied().collect::<Vec<_>>(), [1, 3, 5, 7, 9]);
    assert_eq!(
        map.values().copied().collect::<Vec<_>>(),
        [10, 30, 50, 70, 90]
    );
    assert_eq!(map.last(), Some((&9, &90)));
    assert_eq!(map.len(), 5);
}

#[test]
fn inserting_a_present_key_replaces_its_value_and_gives_the_old_one_back() {
    let mut map = Fields::new();
    map.insert("email".into(), "a@x.test".into());
    assert_eq!(
        map.insert("email".into(), "b@x.test".into()),
        Some("a@x.test".to_string())
    );
    assert_eq!(map.len(), 1);
    assert_eq!(map.get("email").map(String::as_str), Some("b@x.test"));
}

#[test]
fn removing_finds_by_borrowed_key_and_leaves_the_rest_in_order() {
    let mut map: Fields = [("c", "3"), ("a", "1"), ("b", "2")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(map.remove("b"), Some("2".to_string()));
    assert_eq!(map.remove("b"), None);
    assert!(!map.contains_key("b"));
    assert!(map.contains_key("a"));
    let left: Vec<(&String, &String)> = map.iter().collect();
    assert_eq!(left.len(), 2);
    assert_eq!((left[0].0.as_str(), left[1].0.as_str()), ("a", "c"));
    map.clear();
    assert!(map.is_empty());
}

#[test]
fn collecting_a_repeated_key_keeps_the_last_value_as_btreemap_does() {
    let pairs = [(2u32, "x"), (1, "y"), (2, "z")];
    let keyed: Keyed<u32, &str> = pairs.into_iter().collect();
    let btree: BTreeMap<u32, &str> = pairs.into_iter().collect();
    assert_eq!(
        keyed.into_iter().collect::<Vec<_>>(),
        btree.into_iter().collect::<Vec<_>>()
    );
}

#[test]
fn entry_or_default_adds_once_and_then_hands_back_the_same_value() {
    let mut map: Keyed<String, Vec<u32>> = Keyed::new();
    map.entry_or_default("m".into()).push(1);
    map.entry_or_default("m".into()).push(2);
    map.entry_or_default("a".into());
    assert_eq!(map.get("m"), Some(&vec![1, 2]));
    assert_eq!(map.get("a"), Some(&vec![]));
    assert_eq!(map.len(), 2);
}

#[test]
fn a_set_reports_whether_a_key_was_new() {
    let mut set = KeySet::new();
    assert!(set.add(4u64));
    assert!(set.add(2));
    assert!(!set.add(4));
    assert_eq!(set.len(), 2);
    assert_eq!(set.last().map(|(k, _)| *k), Some(4));
}

#[test]
fn it_is_written_exactly_as_serde_json_writes_the_btreemap_it_replaces() {
    let pairs = [(10u32, "ten"), (2, "two"), (33, "thirty-three")];
    let keyed: Keyed<u32, &str> = pairs.into_iter().collect();
    let btree: BTreeMap<u32, &str> = pairs.into_iter().collect();
    let text = confab::protocol::write::json(&keyed);
    assert_eq!(text, r#"{"2":"two","10":"ten","33":"thirty-three"}"#);
    assert_eq!(Some(text), serde_json::to_string(&btree).ok());
}
