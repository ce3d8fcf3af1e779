//! A project's reference curves and which one is selected, as plain data: the plugin keeps it
//! in its saved state (`persist::SavedLibrary`) so a project reopens with its curves.
//!
//! Saved state is read leniently: the field is stored as plain JSON, each curve is checked with
//! [`Curve::from_value`], a damaged curve is dropped with a message the editor shows, and the
//! good ones are kept.

use super::{Curve, builtin};
use serde_json::{Value, json};

/// Curves kept in one project at most (a saved state is not a sample library).
pub const MAX_CURVES: usize = 32;

/// Which curve the spectrum is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    None,
    /// A built-in slope, by id.
    Builtin(String),
    /// A curve of the library, by name.
    Library(String),
}

impl Selection {
    fn to_key(&self) -> Option<String> {
        match self {
            Selection::None => None,
            Selection::Builtin(id) => Some(format!("builtin:{id}")),
            Selection::Library(name) => Some(format!("curve:{name}")),
        }
    }

    fn from_key(key: Option<&str>) -> Selection {
        match key {
            Some(k) if k.starts_with("builtin:") => Selection::Builtin(k[8..].to_string()),
            Some(k) if k.starts_with("curve:") => Selection::Library(k[6..].to_string()),
            _ => Selection::None,
        }
    }
}

/// The curves and the selection, as plain values.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceLibrary {
    pub curves: Vec<Curve>,
    pub selection: Selection,
    /// What was wrong with saved curves that were dropped when the state was loaded.
    pub problems: Vec<String>,
}

impl Default for ReferenceLibrary {
    fn default() -> Self {
        Self {
            curves: Vec::new(),
            selection: Selection::Builtin(builtin::DEFAULT_ID.to_string()),
            problems: Vec::new(),
        }
    }
}

impl ReferenceLibrary {
    /// Adds a curve (replacing one of the same name) and selects it. The oldest curve goes
    /// when the library is full.
    pub fn add(&mut self, curve: Curve) {
        self.curves.retain(|c| c.name != curve.name);
        if self.curves.len() >= MAX_CURVES {
            self.curves.remove(0);
        }
        self.selection = Selection::Library(curve.name.clone());
        self.curves.push(curve);
    }

    pub fn remove(&mut self, name: &str) {
        self.curves.retain(|c| c.name != name);
        if self.selection == Selection::Library(name.to_string()) {
            self.selection = Selection::None;
        }
    }

    /// The selected curve (built-ins are made on request).
    pub fn selected(&self) -> Option<Curve> {
        match &self.selection {
            Selection::None => None,
            Selection::Builtin(id) => builtin::curve(id),
            Selection::Library(name) => self.curves.iter().find(|c| &c.name == name).cloned(),
        }
    }

    pub fn to_value(&self) -> Value {
        json!({
            "curves": self.curves,
            "selected": self.selection.to_key(),
        })
    }

    /// Reads saved state, keeping every curve that passes the format's checks.
    pub fn from_value(value: &Value) -> ReferenceLibrary {
        let mut library = ReferenceLibrary {
            curves: Vec::new(),
            selection: Selection::from_key(value.get("selected").and_then(Value::as_str)),
            problems: Vec::new(),
        };
        match value.get("curves") {
            Some(Value::Array(curves)) => {
                for (index, curve) in curves.iter().take(MAX_CURVES).enumerate() {
                    match Curve::from_value(curve.clone()) {
                        Ok(curve) => library.curves.push(curve),
                        Err(error) => library.problems.push(format!(
                            "saved reference curve {} was damaged and dropped: {error}",
                            index + 1
                        )),
                    }
                }
            }
            None | Some(Value::Null) => {}
            Some(_) => library
                .problems
                .push("saved reference curves were damaged and dropped".to_string()),
        }
        if let Selection::Library(name) = &library.selection
            && !library.curves.iter().any(|c| &c.name == name)
        {
            library.selection = Selection::None;
        }
        library
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_curves_are_dropped_with_a_message_and_the_rest_kept() {
        let good = builtin::curve("pink").unwrap();
        let mut bad = serde_json::to_value(&good).unwrap();
        bad["frequency_hz"][3] = json!(-5.0);
        let value = json!({"curves": [bad, good, "junk"], "selected": "curve:Pink noise slope (-3 dB/octave)"});
        let library = ReferenceLibrary::from_value(&value);
        assert_eq!(library.curves.len(), 1);
        assert_eq!(library.problems.len(), 2);
        assert!(
            library.problems[0].contains("curve 1 was damaged"),
            "{:?}",
            library.problems
        );
        assert!(
            library.problems[0].contains("point 3"),
            "{:?}",
            library.problems
        );
        assert!(library.selected().is_some());
        // Not even a list: nothing kept, one message, the default of no selection.
        let library = ReferenceLibrary::from_value(&json!({"curves": 7, "selected": "curve:gone"}));
        assert!(library.curves.is_empty());
        assert_eq!(library.selection, Selection::None);
        assert_eq!(library.problems.len(), 1);
    }

    #[test]
    fn adding_replaces_by_name_and_bounds_the_library() {
        let mut library = ReferenceLibrary::default();
        for i in 0..(MAX_CURVES + 5) {
            let mut c = builtin::curve("pink").unwrap();
            c.name = format!("c{i}");
            library.add(c);
        }
        assert_eq!(library.curves.len(), MAX_CURVES);
        assert_eq!(library.curves[0].name, "c5");
        let mut c = builtin::curve("brown").unwrap();
        c.name = "c7".to_string();
        library.add(c);
        assert_eq!(library.curves.len(), MAX_CURVES);
        assert_eq!(library.curves.iter().filter(|c| c.name == "c7").count(), 1);
        library.remove("c7");
        assert_eq!(library.selection, Selection::None);
    }
}
