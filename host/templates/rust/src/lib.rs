//! {{name}}: a kube-ai-proxy plugin with one tool, `{{tool}}`, that lists the cluster's
//! namespaces.
//!
//! The tools are declared once, in `plugin.toml` (`[[tools]]`): the SDK builds `list-tools`
//! from them and embeds the manifest in the component. This file implements them.

use kap_sdk::{Api, CallContext, Plugin, Request, ToolError, ToolOutput};

/// The plugin.
struct {{type}};

impl Plugin for {{type}} {
    fn call_tool(
        name: &str,
        _args: &serde_json::Value,
        _ctx: &CallContext,
        api: &mut dyn Api,
    ) -> Result<ToolOutput, ToolError> {
        match name {
            "{{tool}}" => list_namespaces(api),
            other => Err(ToolError::UnknownTool(other.to_string())),
        }
    }
}

kap_sdk::export_plugin!({{type}}, "../plugin.toml");

/// `{{tool}}`: the names of the cluster's namespaces, one per line.
fn list_namespaces(api: &mut dyn Api) -> Result<ToolOutput, ToolError> {
    let response = api.send(&Request::list("", "v1", "namespaces"))?;
    let list: serde_json::Value = serde_json::from_str(&response.body)
        .map_err(|e| ToolError::Failed(format!("cannot read the namespace list: {e}")))?;
    let names: Vec<&str> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item["metadata"]["name"].as_str())
        .collect();
    Ok(ToolOutput::text(names.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::testing::{FakeApi, call_context};

    #[test]
    fn lists_namespace_names_one_per_line() {
        let mut api = FakeApi::new();
        api.respond(
            &Request::list("", "v1", "namespaces"),
            r#"{"kind": "NamespaceList", "items": [
                {"metadata": {"name": "default"}},
                {"metadata": {"name": "kube-system"}}
            ]}"#,
        );
        let out = {{type}}::call_tool(
            "{{tool}}",
            &serde_json::json!({}),
            &call_context(),
            &mut api,
        )
        .unwrap();
        assert_eq!(out.text, "default\nkube-system");
    }
}
