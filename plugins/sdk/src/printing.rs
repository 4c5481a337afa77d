//! JSON and YAML printing as kubectl does it (`-o json`, `-o yaml`).
//!
//! Our own code where kubectl's exact format is the point: `-o json` is indented with four
//! spaces (Go's `json.MarshalIndent(obj, "", "    ")` in kubectl's JSON printer), which
//! `serde_json`'s default pretty printer (two spaces) does not do.

use serde_json::Value;

/// Removes `metadata.managedFields`, as kubectl does unless `--show-managed-fields`.
pub fn strip_managed_fields(v: &mut Value) {
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        m.remove("managedFields");
    }
}

/// JSON with four-space indentation, as kubectl prints `-o json`.
pub fn pretty_json(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    if v.serialize(&mut ser).is_err() {
        return v.to_string();
    }
    let mut s = String::from_utf8(buf).unwrap_or_default();
    s.push('\n');
    s
}

/// YAML as kubectl prints `-o yaml`.
pub fn to_yaml(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_else(|e| format!("# cannot print as YAML: {e}\n"))
}
