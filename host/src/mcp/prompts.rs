//! MCP prompts (MCP spec, "Prompts"): `prompts/list` and `prompts/get`, served from the
//! plugins' `prompts` export (contract 0.2.0). The host knows no prompt by name: it lists what
//! the plugins declared at load time and routes `prompts/get` to the plugin that owns the
//! prompt, which validates the arguments and renders the text (capabilities refused).
//!
//! Argument values arrive as a JSON object; the host passes strings as they are and numbers
//! as their decimal text, drops `null`, and refuses anything else, more than
//! [`MAX_ARGUMENTS`] arguments or a value over [`MAX_VALUE`] characters. Unknown prompts and
//! the plugin's refusals are `invalid_params` errors (`-32602`), as the spec asks.

use rmcp::ErrorData as McpError;
use rmcp::model::{GetPromptResult, JsonObject, Prompt, PromptArgument, PromptMessage, Role};
use serde_json::Value;

use crate::plugins::PluginHost;
use crate::wit::prompts as wit;

/// Most arguments one `prompts/get` may carry.
pub const MAX_ARGUMENTS: usize = 32;
/// Longest argument value, in characters.
pub const MAX_VALUE: usize = 4096;

fn invalid(msg: String) -> McpError {
    McpError::invalid_params(msg, None)
}

/// The catalogue as `prompts/list` answers it: every plugin's prompts, in load order.
pub fn list(host: &PluginHost) -> Vec<Prompt> {
    host.prompts()
        .map(|(_, p)| {
            let args = p
                .arguments
                .iter()
                .map(|a| {
                    let mut arg = PromptArgument::new(a.name.clone()).with_required(a.required);
                    if let Some(t) = &a.title {
                        arg = arg.with_title(t.clone());
                    }
                    if let Some(d) = &a.description {
                        arg = arg.with_description(d.clone());
                    }
                    arg
                })
                .collect();
            let mut prompt = Prompt::new(p.name.clone(), p.description.clone(), Some(args));
            if let Some(t) = &p.title {
                prompt = prompt.with_title(t.clone());
            }
            prompt
        })
        .collect()
}

/// The client's arguments as (name, value) pairs, bounded (see the module docs).
pub fn argument_pairs(
    name: &str,
    arguments: Option<&JsonObject>,
) -> Result<Vec<(String, String)>, McpError> {
    let Some(arguments) = arguments else {
        return Ok(Vec::new());
    };
    if arguments.len() > MAX_ARGUMENTS {
        return Err(invalid(format!(
            "prompt {name}: {} arguments, at most {MAX_ARGUMENTS}",
            arguments.len()
        )));
    }
    let mut out = Vec::new();
    for (k, v) in arguments {
        let value = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                return Err(invalid(format!(
                    "argument {k:?} of prompt {name} must be a string"
                )));
            }
        };
        if value.chars().count() > MAX_VALUE || k.chars().count() > 128 {
            return Err(invalid(format!(
                "argument {:?} of prompt {name} is longer than {MAX_VALUE} characters",
                k.chars().take(128).collect::<String>()
            )));
        }
        out.push((k.clone(), value));
    }
    Ok(out)
}

/// Renders prompt `name` with `arguments`: the `prompts/get` answer.
///
/// Errors (`invalid_params`): an unknown prompt, arguments the host refuses (see
/// [`argument_pairs`]) or the plugin refuses; (`internal_error`): the plugin trapped or did
/// not answer.
pub async fn get(
    host: &PluginHost,
    name: &str,
    arguments: Option<&JsonObject>,
) -> Result<GetPromptResult, McpError> {
    let Some(plugin) = host.find_prompt(name) else {
        let known: Vec<&str> = host.prompts().map(|(_, p)| p.name.as_str()).collect();
        return Err(invalid(format!(
            "unknown prompt {:?}; the prompts are {}",
            name.chars().take(128).collect::<String>(),
            known.join(", ")
        )));
    };
    let pairs = argument_pairs(name, arguments)?;
    let rendered = host
        .get_prompt(plugin, name, &pairs)
        .await
        .map_err(|e| McpError::internal_error(format!("prompt {name}: {e:#}"), None))?;
    match rendered {
        Ok(r) => {
            let messages = r
                .messages
                .into_iter()
                .map(|m| {
                    let role = match m.role {
                        wit::Role::User => Role::User,
                        wit::Role::Assistant => Role::Assistant,
                    };
                    PromptMessage::new_text(role, crate::redact::text(&m.text).into_owned())
                })
                .collect();
            let mut out = GetPromptResult::new(messages);
            if let Some(d) = r.description {
                out = out.with_description(d);
            }
            Ok(out)
        }
        Err(wit::PromptError::UnknownPrompt(m)) | Err(wit::PromptError::InvalidArguments(m)) => {
            Err(invalid(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arguments_are_bounded_strings() {
        let obj = |v: Value| v.as_object().cloned().unwrap();
        let pairs = argument_pairs("p", Some(&obj(json!({"a": "x", "b": 3, "c": null})))).unwrap();
        assert_eq!(
            pairs,
            vec![("a".into(), "x".into()), ("b".into(), "3".into())]
        );
        let e = argument_pairs("p", Some(&obj(json!({"a": [1]})))).unwrap_err();
        assert!(e.message.contains("must be a string"), "{}", e.message);
        let long = "x".repeat(MAX_VALUE + 1);
        assert!(argument_pairs("p", Some(&obj(json!({ "a": long })))).is_err());
        let many: serde_json::Map<String, Value> = (0..=MAX_ARGUMENTS)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect();
        assert!(argument_pairs("p", Some(&many)).is_err());
        assert!(argument_pairs("p", None).unwrap().is_empty());
    }
}
