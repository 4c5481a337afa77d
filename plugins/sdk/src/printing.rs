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
    let mut s = json_indented(v, b"    ");
    s.push('\n');
    s
}

/// JSON indented with `indent` per level, without a final newline: Go's
/// `json.MarshalIndent(v, "", indent)` (kubectl prints with four spaces, `istioctl analyze -o
/// json` with a tab). Keys in the order of `v`'s maps.
pub fn json_indented(v: &Value, indent: &[u8]) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(indent);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    if v.serialize(&mut ser).is_err() {
        return v.to_string();
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// The tag of a container image reference, as the distribution/reference grammar reads it:
/// after the last `:` of the last path component, without an `@digest`
/// (`docker.io/istio/pilot:1.30.2` → `1.30.2`; `localhost:5000/app` → `None`, the port is
/// not a tag). `None` when the reference names no tag.
pub fn image_tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or(image);
    let last = name.rsplit('/').next()?;
    last.split_once(':').map(|(_, tag)| tag)
}

/// YAML as kubectl prints `-o yaml`.
pub fn to_yaml(v: &Value) -> String {
    serde_yaml_ng::to_string(v).unwrap_or_else(|e| format!("# cannot print as YAML: {e}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_tags() {
        assert_eq!(image_tag("docker.io/istio/pilot:1.30.2"), Some("1.30.2"));
        assert_eq!(
            image_tag("localhost:5000/istio/pilot:1.30.2@sha256:ab"),
            Some("1.30.2")
        );
        assert_eq!(image_tag("localhost:5000/istio/pilot"), None);
        assert_eq!(image_tag("istio/pilot@sha256:ab"), None);
        assert_eq!(image_tag("istio/pilot"), None);
    }

    #[test]
    fn indentation() {
        let v = serde_json::json!({"a": [1]});
        assert_eq!(json_indented(&v, b"\t"), "{\n\t\"a\": [\n\t\t1\n\t]\n}");
        assert_eq!(pretty_json(&v), "{\n    \"a\": [\n        1\n    ]\n}\n");
    }
}
