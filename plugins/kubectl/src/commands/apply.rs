//! `kubectl apply -f -` with the manifest in the tool's `manifest` argument: server-side
//! apply of each document (YAML or JSON, several separated by `---`, `List`s flattened).

use serde::Deserialize;
use serde_json::Value;

use super::common::{DryRun, Report, namespace};
use crate::targets::{validate_name, validate_namespace};
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, PatchType, ResourceInfo, Verb, kind_group, request, s, usage,
};
use kap_sdk::cli::Parsed;

/// Splits a manifest into objects: YAML documents (JSON is YAML), empty documents skipped,
/// `kind: List` flattened into its items, as kubectl reads `-f`.
pub fn parse_manifest(text: &str) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    for (n, doc) in serde_yaml_ng::Deserializer::from_str(text).enumerate() {
        let v = Value::deserialize(doc)
            .map_err(|e| format!("error parsing the manifest (document {}): {e}", n + 1))?;
        match v {
            Value::Null => {}
            Value::Object(ref m) if m.get("kind").and_then(Value::as_str) == Some("List") => {
                for item in m
                    .get("items")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
                {
                    out.push(item);
                }
            }
            Value::Object(_) => out.push(v),
            other => {
                return Err(format!(
                    "error parsing the manifest (document {}): expected an object, found {}",
                    n + 1,
                    match other {
                        Value::Array(_) => "a list",
                        Value::String(_) => "a string",
                        _ => "a scalar",
                    }
                ));
            }
        }
    }
    Ok(out)
}

/// Splits an `apiVersion` into group and version (`apps/v1` → (`apps`, `v1`), `v1` → (``, `v1`)).
pub fn split_api_version(av: &str) -> (&str, &str) {
    match av.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", av),
    }
}

/// One manifest document mapped to the resource that serves it, its namespace, and the body
/// to send (with `metadata.namespace` set for namespaced kinds), as kubectl's resource
/// builder maps `-f` input.
pub struct Mapped {
    /// The resource, at the document's API version.
    pub info: ResourceInfo,
    /// The namespace; empty for cluster-scoped kinds.
    pub ns: String,
    /// The document with its namespace filled in.
    pub body: Value,
}

/// Maps one document whose `apiVersion`, `kind` and name the caller has checked: its resource
/// from discovery (`resources`, fetched on first use), at the document's version; its
/// namespace: the document's, else `--namespace` (`flag_ns`), else `default_ns`, with
/// kubectl's error when the document's namespace differs from `--namespace`.
///
/// `Ok(Err(line))` is kubectl's error line for this document (no mapping for the kind, the
/// namespace mismatch, an invalid namespace); `Err` a failed discovery call.
pub fn map_document(
    api: &mut dyn Api,
    resources: &mut Option<Vec<ResourceInfo>>,
    doc: &Value,
    flag_ns: Option<&str>,
    default_ns: &str,
) -> Result<Result<Mapped, String>, Failure> {
    let av = s(doc, &["apiVersion"]);
    let kind = s(doc, &["kind"]);
    let name = s(doc, &["metadata", "name"]);
    let (group, version) = split_api_version(av);
    if resources.is_none() {
        *resources = Some(api.api_resources()?);
    }
    let found = resources
        .as_deref()
        .unwrap_or_default()
        .iter()
        .find(|r| r.group == group && r.kind == kind)
        .cloned();
    let Some(mut info) = found else {
        return Ok(Err(format!(
            "error: resource mapping not found for name: \"{name}\" namespace: \"{}\" from \"STDIN\": no matches for kind \"{kind}\" in version \"{av}\"",
            s(doc, &["metadata", "namespace"])
        )));
    };
    info.version = version.to_string();
    let doc_ns = s(doc, &["metadata", "namespace"]);
    let ns = if info.namespaced {
        match (flag_ns, doc_ns) {
            (Some(f), d) if !d.is_empty() && d != f => {
                return Ok(Err(format!(
                    "error: the namespace from the provided object \"{d}\" does not match the namespace \"{f}\". You must pass '--namespace={d}' to perform this operation."
                )));
            }
            (_, d) if !d.is_empty() => d.to_string(),
            _ => default_ns.to_string(),
        }
    } else {
        String::new()
    };
    if info.namespaced
        && let Err(e) = validate_namespace(&ns)
    {
        return Ok(Err(format!("error: {e}")));
    }
    let mut body = doc.clone();
    if info.namespaced
        && let Some(m) = body.get_mut("metadata").and_then(Value::as_object_mut)
    {
        m.insert("namespace".into(), Value::String(ns.clone()));
    }
    Ok(Ok(Mapped { info, ns, body }))
}

/// Runs `kubectl apply`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    match p.value("filename") {
        Some("-") => {}
        Some(f) => {
            return usage(format!(
                "apply -f {f}: files cannot be read; pass the manifest (YAML or JSON) in the `manifest` argument and use `apply -f -`"
            ));
        }
        None if ctx.manifest.is_some() => {}
        None => return usage("must specify -f -, with the manifest in the `manifest` argument"),
    }
    if !p.args.is_empty() {
        return usage(format!(
            "kubectl apply takes no arguments (found {:?}); use -f -",
            p.args
        ));
    }
    if p.value("server-side") == Some("false") {
        return usage("client-side apply is not supported: apply is always server-side here");
    }
    let output_name = match p.value("output") {
        None => false,
        Some("name") => true,
        Some(o) => {
            return usage(format!(
                "output format {o:?} is not supported for apply; use name"
            ));
        }
    };
    let manifest = match ctx.manifest.as_deref() {
        Some(m) if !m.trim().is_empty() => m,
        _ => {
            return usage(
                "apply -f - reads the manifest from the `manifest` argument, which is empty",
            );
        }
    };
    let docs = parse_manifest(manifest).map_err(Failure::Usage)?;
    if docs.is_empty() {
        return usage("no objects passed to apply");
    }
    let dry = DryRun::from(p)?;
    let field_manager = p
        .value("field-manager")
        .unwrap_or("kube-ai-proxy")
        .to_string();
    let flag_ns = p.namespace().map(str::to_string);
    let default_ns = namespace(p, ctx).to_string();
    let mut resources: Option<Vec<ResourceInfo>> = None;
    let mut report = Report::default();
    for doc in docs {
        let av = s(&doc, &["apiVersion"]);
        let kind = s(&doc, &["kind"]);
        let name = s(&doc, &["metadata", "name"]);
        if av.is_empty() || kind.is_empty() {
            report
                .messages
                .push("error: every object needs apiVersion and kind".to_string());
            continue;
        }
        if name.is_empty() {
            report.messages.push(format!(
                "error: a {kind} needs metadata.name (generateName cannot be applied)"
            ));
            continue;
        }
        if let Err(e) = validate_name(name) {
            report.messages.push(format!("error: {e}"));
            continue;
        }
        let Mapped { info, ns, body } =
            match map_document(api, &mut resources, &doc, flag_ns.as_deref(), &default_ns)? {
                Ok(m) => m,
                Err(line) => {
                    report.messages.push(line);
                    continue;
                }
            };
        if dry != DryRun::Client {
            let mut req = request(Verb::Patch, &info, Some(&ns), Some(name));
            req.patch_type = Some(PatchType::Apply);
            req.body = Some(body.to_string());
            req.query
                .push(("fieldManager".into(), field_manager.clone()));
            if p.bool("force-conflicts") {
                req.query.push(("force".into(), "true".into()));
            }
            req.query.extend(dry.query());
            if let Err(e) = api.send(&req) {
                report.errors.push(e);
                continue;
            }
        }
        if output_name {
            report.line(format!("{}/{name}", kind_group(&info)));
        } else {
            report.line(format!(
                "{}/{name} serverside-applied{}",
                kind_group(&info),
                dry.suffix()
            ));
        }
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;
    use kap_sdk::api::Verb;
    use serde_json::json;

    const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n---\n---\n{\"apiVersion\": \"v1\", \"kind\": \"Namespace\", \"metadata\": {\"name\": \"team\"}}\n";

    #[test]
    fn parses_documents() {
        let docs = parse_manifest(MANIFEST).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["spec"]["replicas"], 2);
        let list = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n";
        assert_eq!(parse_manifest(list).unwrap().len(), 1);
        assert!(
            parse_manifest("- a\n- b\n")
                .unwrap_err()
                .contains("expected an object")
        );
        assert!(parse_manifest("a: [").is_err());
    }

    #[test]
    fn applies_server_side() {
        let mut f = Fake::new();
        f.ctx.manifest = Some(MANIFEST.into());
        f.on(|r| {
            assert!(matches!(r.verb, Verb::Patch));
            assert!(matches!(r.patch_type, Some(PatchType::Apply)));
            assert!(
                r.query
                    .contains(&("fieldManager".to_string(), "kube-ai-proxy".to_string()))
            );
            assert!(r.query.contains(&("force".to_string(), "true".to_string())));
            let body: Value = serde_json::from_str(r.body.as_deref().unwrap()).unwrap();
            match r.resource.as_str() {
                "deployments" => {
                    assert_eq!(r.namespace.as_deref(), Some("prod"));
                    assert_eq!(body["metadata"]["namespace"], "prod");
                }
                "namespaces" => assert_eq!(r.namespace, None),
                other => panic!("{other}"),
            }
            ok_json(json!({}))
        });
        let out = run_line(&mut f, "apply -f - -n prod --force-conflicts").unwrap();
        assert_eq!(
            out.text,
            "deployment.apps/web serverside-applied\nnamespace/team serverside-applied\n"
        );
    }

    #[test]
    fn apply_errors() {
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "apply -f deploy.yaml"))
                .contains("files cannot be read")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "apply -f -"))
                .contains("`manifest` argument, which is empty")
        );
        f.ctx.manifest =
            Some("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n".into());
        let out = run_line(&mut f, "apply -f -").unwrap();
        assert!(out.is_error);
        assert!(
            out.text
                .contains("no matches for kind \"Widget\" in version \"example.com/v1\"")
        );
        f.ctx.manifest =
            Some("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n".into());
        let out = run_line(&mut f, "apply -f - -n b").unwrap();
        assert!(out.text.contains("does not match the namespace \"b\""));
    }
}
