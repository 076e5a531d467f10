//! Checkpoints saved as changes. The first checkpoint a writer saves is whole; each later one is an
//! [`Update`] holding only what changed in the checkpoint's JSON since the previous save: keys set
//! or removed, arrays cut at the front or back (old turns folded out of the model's context), and
//! elements appended (a new question, exchange or message). A session file then grows with what
//! was said, instead of repeating the whole interview on every save.
//!
//! The reader applies the updates in order to the last whole checkpoint's JSON, so the state it
//! reads back is exactly the state that was saved.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// One change to a checkpoint's JSON, at `path` (object keys and array indices from the root).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Change {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<Value>,
    /// The new value at `path` (added or replaced).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub set: Option<Value>,
    /// The key at `path` is removed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub remove: bool,
    /// The array at `path` keeps `len` elements from index `from`; the others are dropped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<[usize; 2]>,
    /// Elements appended to the array at `path`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub push: Option<Vec<Value>>,
}

/// `"set": null` sets null: a present key is `Some`, whatever its value.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The changes that turn `old` into `new` (none when they are equal).
pub fn diff(old: &Value, new: &Value) -> Vec<Change> {
    let mut out = vec![];
    diff_at(old, new, &mut vec![], &mut out);
    out
}

fn diff_at(old: &Value, new: &Value, path: &mut Vec<Value>, out: &mut Vec<Change>) {
    if old == new {
        return;
    }
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                path.push(Value::String(k.clone()));
                match a.get(k) {
                    Some(o) => diff_at(o, v, path, out),
                    None => out.push(Change {
                        path: path.clone(),
                        set: Some(v.clone()),
                        ..Change::default()
                    }),
                }
                path.pop();
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                let mut at = path.clone();
                at.push(Value::String(k.clone()));
                out.push(Change {
                    path: at,
                    remove: true,
                    ..Change::default()
                });
            }
        }
        (Value::Array(a), Value::Array(b)) => diff_array(a, b, path, out),
        _ => out.push(Change {
            path: path.clone(),
            set: Some(new.clone()),
            ..Change::default()
        }),
    }
}

/// Arrays change at their ends: the oldest messages are folded away at the front, new elements
/// are appended at the back, and the last few elements change in place (the current question, its
/// open exchange). Elements at the same position after the common run are compared in place.
fn diff_array(a: &[Value], b: &[Value], path: &mut Vec<Value>, out: &mut Vec<Change>) {
    let from = b
        .first()
        .and_then(|first| a.iter().position(|x| x == first))
        .unwrap_or(0);
    let rest = &a[from..];
    let common = rest.iter().zip(b).take_while(|(x, y)| x == y).count();
    let in_place = (rest.len() - common).min(b.len() - common);
    let kept = common + in_place;
    if from > 0 || kept < rest.len() {
        out.push(Change {
            path: path.clone(),
            keep: Some([from, kept]),
            ..Change::default()
        });
    }
    for i in common..kept {
        path.push(Value::from(i));
        diff_at(&rest[i], &b[i], path, out);
        path.pop();
    }
    if kept < b.len() {
        out.push(Change {
            path: path.clone(),
            push: Some(b[kept..].to_vec()),
            ..Change::default()
        });
    }
}

/// Apply `changes` in order to `root`; an error says which change did not fit.
pub fn apply(root: &mut Value, changes: &[Change]) -> Result<(), String> {
    for (i, c) in changes.iter().enumerate() {
        apply_one(root, c).map_err(|e| format!("change {}: {e}", i + 1))?;
    }
    Ok(())
}

fn apply_one(root: &mut Value, c: &Change) -> Result<(), String> {
    let ops = usize::from(c.set.is_some())
        + usize::from(c.remove)
        + usize::from(c.keep.is_some())
        + usize::from(c.push.is_some());
    if ops != 1 {
        return Err("expected exactly one of set, remove, keep, push".into());
    }
    if let Some(value) = &c.set {
        let Some((last, parent)) = c.path.split_last() else {
            *root = value.clone();
            return Ok(());
        };
        return match (walk(root, parent)?, last) {
            (Value::Object(m), Value::String(k)) => {
                m.insert(k.clone(), value.clone());
                Ok(())
            }
            (Value::Array(v), step) => {
                let i = index(step)?;
                match i.cmp(&v.len()) {
                    std::cmp::Ordering::Less => v[i] = value.clone(),
                    std::cmp::Ordering::Equal => v.push(value.clone()),
                    std::cmp::Ordering::Greater => return Err(format!("no element {i}")),
                }
                Ok(())
            }
            _ => Err(format!("cannot set {last} here")),
        };
    }
    if c.remove {
        let Some((last, parent)) = c.path.split_last() else {
            return Err("cannot remove the root".into());
        };
        return match (walk(root, parent)?, last) {
            (Value::Object(m), Value::String(k)) => {
                m.remove(k);
                Ok(())
            }
            _ => Err(format!("cannot remove {last} here")),
        };
    }
    let Value::Array(v) = walk(root, &c.path)? else {
        return Err("not an array".into());
    };
    if let Some([from, len]) = c.keep {
        if from.checked_add(len).is_none_or(|end| end > v.len()) {
            return Err(format!("cannot keep {len} from {from} of {}", v.len()));
        }
        v.drain(..from);
        v.truncate(len);
    }
    if let Some(items) = &c.push {
        v.extend(items.iter().cloned());
    }
    Ok(())
}

fn index(step: &Value) -> Result<usize, String> {
    step.as_u64()
        .and_then(|i| usize::try_from(i).ok())
        .ok_or_else(|| format!("{step} is not an index"))
}

/// The value at `path`.
fn walk<'a>(mut node: &'a mut Value, path: &[Value]) -> Result<&'a mut Value, String> {
    for step in path {
        node = match (node, step) {
            (Value::Object(m), Value::String(k)) => {
                m.get_mut(k).ok_or_else(|| format!("no key {k}"))?
            }
            (Value::Array(v), step) => {
                let i = index(step)?;
                v.get_mut(i).ok_or_else(|| format!("no element {i}"))?
            }
            (_, step) => return Err(format!("cannot step into {step}")),
        };
    }
    Ok(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(old: Value, new: Value) -> Vec<Change> {
        let changes = diff(&old, &new);
        let text = serde_json::to_string(&changes).unwrap();
        let read: Vec<Change> = serde_json::from_str(&text).unwrap();
        assert_eq!(read, changes, "{text}");
        let mut patched = old;
        apply(&mut patched, &read).unwrap();
        assert_eq!(patched, new, "{text}");
        changes
    }

    #[test]
    fn equal_values_need_no_change() {
        let v = json!({"a": [1, 2, {"b": "c"}]});
        assert!(round_trip(v.clone(), v).is_empty());
    }

    #[test]
    fn appended_elements_are_pushed_alone() {
        let big = "x".repeat(1000);
        let changes = round_trip(
            json!({"q": [{"id": "a", "text": big}]}),
            json!({"q": [{"id": "a", "text": big}, {"id": "b"}]}),
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].push, Some(vec![json!({"id": "b"})]));
        assert!(!serde_json::to_string(&changes).unwrap().contains(&big));
    }

    #[test]
    fn the_last_element_changes_in_place_without_repeating_its_siblings() {
        let big = "y".repeat(1000);
        let changes = round_trip(
            json!({"q": [{"a": big}, {"ex": [{"answer": null}]}]}),
            json!({"q": [{"a": big}, {"ex": [{"answer": "hi", "score": 3.5}, {"probe": "why?"}]}]}),
        );
        let text = serde_json::to_string(&changes).unwrap();
        assert!(!text.contains(&big), "{text}");
        assert!(text.contains("why?") && text.contains("3.5"), "{text}");
    }

    #[test]
    fn folding_cuts_the_front_and_replies_replace_the_back() {
        round_trip(
            json!({"recent": [1, 2, 3, 4, 5], "summary": ""}),
            json!({"recent": [3, 4, 5, 6], "summary": "1 and 2"}),
        );
        round_trip(json!([1, 2, 3, 4]), json!([1, 2, 9]));
        round_trip(json!([1, 2, 3]), json!([]));
        round_trip(json!([]), json!([1]));
        round_trip(json!([{"a": 1}]), json!([{"a": 2}, {"b": 1}]));
    }

    #[test]
    fn keys_are_added_replaced_and_removed_and_null_is_a_value() {
        let changes = round_trip(
            json!({"a": 1, "b": {"c": true}, "gone": "x"}),
            json!({"a": null, "b": {"c": false, "d": [1]}, "new": 2}),
        );
        assert!(changes.iter().any(|c| c.remove));
        round_trip(json!(1), json!("whole"));
    }

    #[test]
    fn changes_that_do_not_fit_are_errors() {
        let mut v = json!({"a": [1]});
        let bad = Change {
            path: vec![json!("a")],
            keep: Some([0, 5]),
            ..Change::default()
        };
        assert!(apply(&mut v, &[bad]).is_err());
        let nowhere = Change {
            path: vec![json!("x"), json!("y")],
            set: Some(json!(1)),
            ..Change::default()
        };
        assert!(apply(&mut v, &[nowhere]).is_err());
        assert!(apply(&mut v, &[Change::default()]).is_err());
    }
}
