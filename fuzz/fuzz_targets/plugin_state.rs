//! Any bytes as the plugin's saved state, through the same `Params::deserialize_fields` that
//! nice-plug calls with a project's persisted fields (after parsing its JSON frame, which is
//! serde's): either a whole map of fields, or one field (picked by the first byte) with the
//! rest as its text. Loading never panics; whatever was loaded, the editor size stays inside
//! its bounds, and saving again and loading that into a fresh plugin saves the same bytes (a
//! damaged project, once loaded and saved, stays what it became).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mixmeter::params::{EDITOR_MAX_SIZE, EDITOR_MIN_SIZE, MixmeterParams};
use nice_plug::params::Params;
use std::collections::BTreeMap;

const FIELDS: [&str; 9] = [
    "report-folder",
    "reports",
    "compare-versions",
    "last-measurement",
    "references",
    "spectrum-view",
    "editor-pane",
    "editor",
    "session-link",
];

fuzz_target!(|data: &[u8]| {
    let mut fields: BTreeMap<String, String> =
        serde_json::from_slice(data).unwrap_or_default();
    if fields.is_empty() && !data.is_empty() {
        let name = FIELDS[usize::from(data[0]) % FIELDS.len()];
        fields.insert(
            name.to_string(),
            String::from_utf8_lossy(&data[1..]).into_owned(),
        );
    }
    let params = MixmeterParams::default();
    params.deserialize_fields(&fields);
    let (width, height) = params.editor.size();
    assert!(
        (EDITOR_MIN_SIZE.0..=EDITOR_MAX_SIZE.0).contains(&width)
            && (EDITOR_MIN_SIZE.1..=EDITOR_MAX_SIZE.1).contains(&height),
        "editor size {width}x{height}"
    );
    let saved = params.serialize_fields();
    let fresh = MixmeterParams::default();
    fresh.deserialize_fields(&saved);
    assert_eq!(fresh.serialize_fields(), saved, "loaded from {fields:?}");
});
