//! The tools of a plugin's manifest (`plugin.toml`), read in the guest so tools are declared
//! once: [`crate::Plugin::tools`] builds `list-tools` from the `[[tools]]` tables.
//!
//! Each `[[tools]]` table:
//!
//! | field | type | default |
//! | --- | --- | --- |
//! | `name` | string | required |
//! | `title` | string | none |
//! | `description` | string | required |
//! | `read_only` | bool | `false` |
//! | `destructive` | bool | `false` |
//! | `idempotent` | bool | `false` |
//! | `open_world` | bool | `false` |
//! | `input_schema` | table (a JSON Schema) | `{"type": "object", "properties": {}}` |
//! | `truncation_hint` | string | none |
//!
//! A tool's annotations are hints to the client, never trusted by the host's policy. The rest of the manifest (capabilities, name, version) is the
//! host's business and is ignored here.

use serde::Deserialize;
use serde_json::Value;

use crate::{Annotations, Tool};

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    tools: Vec<ToolEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolEntry {
    name: String,
    title: Option<String>,
    description: String,
    #[serde(default)]
    read_only: bool,
    #[serde(default)]
    destructive: bool,
    #[serde(default)]
    idempotent: bool,
    #[serde(default)]
    open_world: bool,
    input_schema: Option<toml::Table>,
    truncation_hint: Option<String>,
}

/// The `[[tools]]` of a manifest as WIT tools. Errors name the problem (TOML syntax, a
/// missing `name` or `description`, an unknown field, a schema that is not an object
/// schema).
pub fn tools(manifest: &str) -> Result<Vec<Tool>, String> {
    let file: File = toml::from_str(manifest).map_err(|e| e.to_string())?;
    file.tools
        .into_iter()
        .map(|t| {
            let schema = match t.input_schema {
                None => serde_json::json!({"type": "object", "properties": {}}),
                Some(table) => {
                    let v = serde_json::to_value(&table)
                        .map_err(|e| format!("tool {}: input_schema: {e}", t.name))?;
                    if v.get("type").and_then(Value::as_str) != Some("object") {
                        return Err(format!(
                            "tool {}: input_schema must be an object schema (type = \"object\")",
                            t.name
                        ));
                    }
                    v
                }
            };
            Ok(Tool {
                name: t.name,
                title: t.title,
                description: t.description,
                input_schema: schema.to_string(),
                annotations: Annotations {
                    read_only: t.read_only,
                    destructive: t.destructive,
                    idempotent: t.idempotent,
                    open_world: t.open_world,
                },
                truncation_hint: t.truncation_hint,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tools_from_the_manifest() {
        let t = tools(
            r#"
name = "demo"
[capabilities.kube]
verbs = ["list"]

[[tools]]
name = "list_namespaces"
title = "List namespaces"
description = "Lists the namespaces."
read_only = true
destructive = false
idempotent = true
truncation_hint = "narrow it with a label selector"

[tools.input_schema]
type = "object"
properties.selector = { type = "string", description = "a label selector" }

[[tools]]
name = "plain"
description = "No schema."
"#,
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].title.as_deref(), Some("List namespaces"));
        assert!(t[0].annotations.read_only && t[0].annotations.idempotent);
        assert!(!t[0].annotations.open_world);
        let schema: Value = serde_json::from_str(&t[0].input_schema).unwrap();
        assert_eq!(schema["properties"]["selector"]["type"], "string");
        assert_eq!(
            t[0].truncation_hint.as_deref(),
            Some("narrow it with a label selector")
        );
        assert_eq!(t[1].input_schema, r#"{"properties":{},"type":"object"}"#);
        assert_eq!(t[1].title, None);
    }

    #[test]
    fn bad_manifests_say_why() {
        assert!(
            tools("[[tools]]\nname = \"x\"\n")
                .unwrap_err()
                .contains("description")
        );
        let e =
            tools("[[tools]]\nname = \"x\"\ndescription = \"d\"\nreadonly = true\n").unwrap_err();
        assert!(e.contains("readonly"), "{e}");
        let e = tools(
            "[[tools]]\nname = \"x\"\ndescription = \"d\"\ninput_schema = { type = \"string\" }\n",
        )
        .unwrap_err();
        assert!(e.contains("object schema"), "{e}");
        assert!(tools("name = \"x\"\n").unwrap().is_empty());
    }
}
