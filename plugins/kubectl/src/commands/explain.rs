//! `kubectl explain TYPE[.FIELD...] [--recursive] [--api-version=GROUP/VERSION]`: the
//! documentation of a resource type or one of its fields, read from the API server's OpenAPI
//! v3 document of the type's group version (the `kube` capability's `openapi-schema`).
//!
//! Follows kubectl 1.36's `explain` (its `plaintext` template, `pkg/explain/v2`): the GVK is
//! taken from the document's resource paths, the kind's schema is the `components.schemas`
//! entry whose `x-kubernetes-group-version-kind` lists it, and field paths are followed
//! through `properties`, `$ref`, `items`, `additionalProperties` and `allOf`. Descriptions are
//! wrapped as kubectl wraps them (go-wordwrap at 76 columns), types are guessed as kubectl
//! does (`<integer>`, `<Object>`, `<[]Container>`, `<map[string]string>`, the referenced
//! schema's name for objects), and `--recursive` prints the field tree without descriptions.
//! The document is parsed once; walks stop at cycles of `$ref` (as kubectl) and at a fixed
//! depth.

use serde_json::Value;

use super::common::resolve;
use kap_sdk::api::{Api, CmdResult, Failure, KubeError, Outcome, ResourceInfo, usage};
use kap_sdk::cli::Parsed;

/// How deep the walks of the document may nest (a guard for hostile documents; real schemas
/// stay far below it).
const MAX_DEPTH: usize = 64;

/// Runs `kubectl explain`.
pub fn run(p: &Parsed, api: &mut dyn Api) -> CmdResult {
    match p.args.len() {
        0 => {
            return usage(
                "You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.",
            );
        }
        1 => {}
        _ => return usage("We accept only this format: explain RESOURCE"),
    }
    match p.value("output") {
        None | Some("plaintext") => {}
        Some("plaintext-openapiv2") => {
            return usage(
                "--output=plaintext-openapiv2 is not supported: only the OpenAPI v3 document is available (use --output=plaintext)",
            );
        }
        Some(other) => return Err(Failure::Message(format!("unrecognized format: {other}"))),
    }
    let recursive = p.bool("recursive");
    let input = p.args[0].trim_end_matches('.');
    let segments: Vec<&str> = input.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return usage(format!("invalid jsonpath syntax: {input:?}"));
    }
    let (info, fields, group, version) = match p.value("api-version") {
        Some(gv) if !gv.is_empty() => {
            let (group, version) = parse_group_version(gv)?;
            let info = resolve(api, segments[0])?;
            let fields = segments[1..].iter().map(|s| s.to_string()).collect();
            (info, fields, group, version)
        }
        _ => {
            let (info, fields) = resolve_with_prefix(api, input, &segments)?;
            let (g, v) = (info.group.clone(), info.version.clone());
            (info, fields, g, v)
        }
    };
    let gvr = format!("{}/{}, Resource={}", group, version, info.resource);
    let text = match api.openapi_schema(&group, &version) {
        Ok(t) => t,
        Err(KubeError::UnknownResource(_)) => {
            return Err(Failure::Message(format!(
                "couldn't find resource for \"{gvr}\""
            )));
        }
        Err(e) => return Err(Failure::Kube(e)),
    };
    let doc: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Message(format!(
            "failed to parse openapi schema for {}: {e}",
            doc_path(&group, &version)
        ))
    })?;
    drop(text);
    let out = render(&doc, &group, &version, &info.resource, &fields, recursive)
        .map_err(Failure::Message)?;
    Ok(Outcome::text(out))
}

/// kubectl's `schema.ParseGroupVersion`: `v1` is the core group, `apps/v1` a named one.
fn parse_group_version(gv: &str) -> Result<(String, String), Failure> {
    match gv.split('/').collect::<Vec<_>>().as_slice() {
        [v] => Ok((String::new(), v.to_string())),
        [g, v] => Ok((g.to_string(), v.to_string())),
        _ => Err(Failure::Message(format!(
            "unexpected GroupVersion string: {gv}"
        ))),
    }
}

fn doc_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// kubectl's `SplitAndParseResourceRequestWithMatchingPrefix`: the first word is the
/// resource; when the input starts with `RESOURCE.GROUP` (the plural and the group of one of
/// the resources the word names), that group is chosen and the rest is the field path,
/// otherwise the preferred resource and every word after the first.
fn resolve_with_prefix(
    api: &mut dyn Api,
    input: &str,
    segments: &[&str],
) -> Result<(ResourceInfo, Vec<String>), Failure> {
    let info = resolve(api, segments[0])?;
    let rest_of = |r: &ResourceInfo| -> Option<Vec<String>> {
        if r.group.is_empty() {
            return None;
        }
        let prefix = format!("{}.{}", r.resource, r.group);
        let suffix = input.strip_prefix(&prefix)?;
        if suffix.is_empty() {
            return Some(Vec::new());
        }
        let suffix = suffix.strip_prefix('.')?;
        Some(suffix.split('.').map(str::to_string).collect())
    };
    if let Some(fields) = rest_of(&info) {
        return Ok((info, fields));
    }
    let default = segments[1..].iter().map(|s| s.to_string()).collect();
    if segments.len() < 2 {
        return Ok((info, default));
    }
    // Another group's resource of the same name, qualified by its group (`events.events.k8s.io`).
    let others = api.api_resources().unwrap_or_default();
    let mut best: Option<(ResourceInfo, Vec<String>)> = None;
    for r in others.into_iter().filter(|r| r.resource == info.resource) {
        if let Some(fields) = rest_of(&r)
            && best
                .as_ref()
                .is_none_or(|(b, _)| b.group.len() < r.group.len())
        {
            best = Some((r, fields));
        }
    }
    Ok(best.unwrap_or((info, default)))
}

/// Go templates' truthiness: `null`, `false`, `0`, `""`, `[]` and `{}` are false.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| truthy(Some(x)))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `additionalProperties` when it is a schema (not `true`/`false`).
fn additional(v: &Value) -> Option<&Value> {
    field(v, "additionalProperties").filter(|a| !a.is_boolean())
}

/// The keys of an object in Go's map order (sorted).
fn sorted_keys(v: Option<&Value>) -> Vec<&String> {
    let mut keys: Vec<&String> = v
        .and_then(Value::as_object)
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// kubectl's template function `indent`.
fn indent(amount: usize, s: &str) -> String {
    let pad = " ".repeat(amount);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// kubectl's template function `wrap` (`term.NewWordWrapWriter`, i.e. go-wordwrap's
/// `WrapString`): breaks at white space so that lines fit in `lim` characters; words longer
/// than that stay whole; existing line breaks are kept.
fn wrap(s: &str, lim: usize) -> String {
    let mut buf = String::with_capacity(s.len() + s.len() / 16);
    let mut current = 0usize;
    let (mut word, mut space) = (String::new(), String::new());
    let (mut word_len, mut space_len) = (0usize, 0usize);
    for c in s.chars() {
        if c == '\n' {
            if !word.is_empty() || current + space_len <= lim {
                buf.push_str(&space);
            }
            buf.push_str(&word);
            space.clear();
            word.clear();
            space_len = 0;
            word_len = 0;
            buf.push('\n');
            current = 0;
        } else if c.is_whitespace() && c != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space_len + word_len;
                buf.push_str(&space);
                buf.push_str(&word);
                space.clear();
                word.clear();
                space_len = 0;
                word_len = 0;
            }
            space.push(c);
            space_len += 1;
        } else {
            word.push(c);
            word_len += 1;
            if current + word_len + space_len > lim && word_len < lim {
                buf.push('\n');
                current = 0;
                space.clear();
                space_len = 0;
            }
        }
    }
    if word.is_empty() {
        if current + space_len <= lim {
            buf.push_str(&space);
        }
    } else {
        buf.push_str(&space);
        buf.push_str(&word);
    }
    buf
}

/// An enum value as Go's `%v` prints it (`""` for the empty string).
fn enum_value(v: &Value) -> String {
    match v {
        Value::String(s) if s.is_empty() => "\"\"".into(),
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

/// The `GROUP:`/`KIND:`/`VERSION:` header and the explanation of `fields` of the resource
/// `resource` in the OpenAPI v3 document `doc` (kubectl's `plaintext` template).
pub fn render(
    doc: &Value,
    group: &str,
    version: &str,
    resource: &str,
    fields: &[String],
    recursive: bool,
) -> Result<String, String> {
    let r = Renderer { doc, recursive };
    let gvk = r.gvk(group, version, resource).ok_or_else(|| {
        format!("error: GVR ({group}/{version}, Resource={resource}) not found in OpenAPI schema")
    })?;
    let mut out = String::new();
    let g = str_of(gvk, "group");
    if !g.is_empty() {
        out.push_str(&format!("GROUP:      {g}\n"));
    }
    out.push_str(&format!("KIND:       {}\n", str_of(gvk, "kind")));
    out.push_str(&format!("VERSION:    {}\n\n", str_of(gvk, "version")));
    let schemas = doc.pointer("/components/schemas");
    let schema = sorted_keys(schemas)
        .into_iter()
        .filter_map(|k| schemas.and_then(|s| s.get(k.as_str())))
        .find(|s| {
            s.get("x-kubernetes-group-version-kind")
                .and_then(Value::as_array)
                .is_some_and(|a| a.contains(gvk))
        })
        .ok_or_else(|| {
            let mut parts: Vec<String> = gvk
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| format!("{k}:{}", enum_value(v)))
                        .collect()
                })
                .unwrap_or_default();
            parts.sort();
            format!(
                "error: GVK map[{}] not found in OpenAPI schema",
                parts.join(" ")
            )
        })?;
    let body = r.output(schema, fields, &[], 0);
    if body.is_empty() {
        let last = fields.last().map(String::as_str).unwrap_or("");
        return Err(format!("error: field \"{last}\" does not exist"));
    }
    out.push_str(&body);
    out.push('\n');
    Ok(out)
}

struct Renderer<'a> {
    doc: &'a Value,
    recursive: bool,
}

impl<'a> Renderer<'a> {
    /// The GVK of the resource's operations under `paths` (the list and item paths, cluster
    /// or namespace scoped), as kubectl's template finds it.
    fn gvk(&self, group: &str, version: &str, resource: &str) -> Option<&'a Value> {
        let prefix = if group.is_empty() {
            "/api".to_string()
        } else {
            format!("/apis/{group}")
        };
        let searches = [
            format!("{prefix}/{version}/{resource}"),
            format!("{prefix}/{version}/{resource}/{{name}}"),
            format!("{prefix}/{version}/namespaces/{{namespace}}/{resource}"),
            format!("{prefix}/{version}/namespaces/{{namespace}}/{resource}/{{name}}"),
        ];
        let paths = self.doc.get("paths")?;
        let mut gvk: Option<&Value> = None;
        for path in &searches {
            let Some(element) = field(paths, path) else {
                continue;
            };
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(op) = field(element, method) {
                    gvk = op.get("x-kubernetes-group-version-kind");
                    if truthy(gvk) {
                        break;
                    }
                }
            }
        }
        gvk.filter(|g| truthy(Some(g)))
    }

    /// kubectl's `resolveRef`: `#/components/schemas/NAME` in the document.
    fn resolve_ref(&self, reference: &str) -> Option<&'a Value> {
        let fragment = reference.strip_prefix('#')?;
        let mut cur = self.doc;
        for k in fragment.split('/').filter(|k| !k.is_empty()) {
            cur = cur.get(k).filter(|v| v.is_object())?;
        }
        Some(cur).filter(|v| truthy(Some(v)))
    }

    /// The schema itself, or the one its `$ref` names.
    fn resolved(&self, schema: &'a Value) -> &'a Value {
        self.resolve_ref(str_of(schema, "$ref")).unwrap_or(schema)
    }

    /// kubectl's `output` template: follows `path`, then prints `FIELD:` (for a path), the
    /// description and the field list. Empty when the path leads nowhere.
    fn output(
        &self,
        schema: &'a Value,
        path: &[String],
        history: &[&'a str],
        depth: usize,
    ) -> String {
        if depth > MAX_DEPTH {
            return String::new();
        }
        let reference = str_of(schema, "$ref");
        let mut next = history.to_vec();
        next.push(reference);
        let resolved = self.resolved(schema);
        let Some((first, rest)) = path.split_first() else {
            let mut s = String::from("DESCRIPTION:\n");
            let mut d = String::new();
            self.description(resolved, &mut d, 0);
            if d.is_empty() {
                d.push_str("<empty>");
            }
            s.push_str(&indent(4, &wrap(&d, 76)));
            s.push('\n');
            let docs = external_docs(resolved);
            if !docs.is_empty() {
                s.push('\n');
                s.push_str(&docs);
            }
            let mut list = String::new();
            self.field_list(resolved, 1, &[], &mut list, 0);
            if !list.is_empty() {
                s.push_str("FIELDS:\n");
                s.push_str(&list);
            }
            return s;
        };
        if !reference.is_empty() && history.contains(&reference) {
            return String::new();
        }
        if let Some(sub) = field(resolved, "properties").and_then(|p| field(p, first)) {
            let mut s = String::new();
            if rest.is_empty() {
                s.push_str(&format!("FIELD: {first} <{}>\n", self.type_guess(sub, 0)));
                s.push_str(&enum_long(sub));
                s.push_str("\n\n");
            }
            s.push_str(&self.output(sub, rest, &[], depth + 1));
            return s;
        }
        if let Some(items) = field(resolved, "items") {
            return self.output(items, path, &next, depth + 1);
        }
        if let Some(add) = additional(resolved) {
            return self.output(add, path, &next, depth + 1);
        }
        for sub in field(resolved, "allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let s = self.output(sub, path, &next, depth + 1);
            if !s.is_empty() {
                return s;
            }
        }
        String::new()
    }

    /// kubectl's `description` template: the schema's description, then those of its
    /// `allOf` members, items and map values, each followed by a line break.
    fn description(&self, schema: &'a Value, out: &mut String, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        let s = self.resolved(schema);
        if !truthy(Some(s)) {
            return;
        }
        if let Some(d) = field(s, "description").and_then(Value::as_str) {
            out.push_str(d);
            out.push('\n');
        }
        for a in field(s, "allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            self.description(a, out, depth + 1);
        }
        if let Some(items) = field(s, "items") {
            self.description(items, out, depth + 1);
        }
        if let Some(add) = additional(s) {
            self.description(add, out, depth + 1);
        }
    }

    /// kubectl's `fieldList` template: every property (sorted) with its type and description,
    /// or with `--recursive` the tree of properties; `$ref`s already on the way are skipped.
    fn field_list(
        &self,
        schema: &'a Value,
        level: usize,
        history: &[&'a str],
        out: &mut String,
        depth: usize,
    ) {
        let reference = str_of(schema, "$ref");
        if depth > MAX_DEPTH || (!reference.is_empty() && history.contains(&reference)) {
            return;
        }
        let mut next = history.to_vec();
        next.push(reference);
        let resolved = self.resolved(schema);
        let props = field(resolved, "properties");
        for name in sorted_keys(props) {
            self.field_detail(name, resolved, level, out);
            if self.recursive
                && let Some(v) = props.and_then(|p| p.get(name.as_str()))
            {
                self.field_list(v, level + 1, &next, out, depth + 1);
            }
        }
        for a in field(resolved, "allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            self.field_list(a, level, &next, out, depth + 1);
        }
        if let Some(items) = field(resolved, "items") {
            self.field_list(items, level, &next, out, depth + 1);
        }
        if let Some(add) = additional(resolved) {
            self.field_list(add, level, &next, out, depth + 1);
        }
    }

    /// kubectl's `fieldDetail` template: `name\t<type>`, ` -required-`, the enum, then (not
    /// with `--recursive`) the wrapped description and external docs.
    fn field_detail(&self, name: &str, parent: &'a Value, level: usize, out: &mut String) {
        let ind = level * 2;
        let null = Value::Null;
        let schema = parent
            .get("properties")
            .and_then(|p| p.get(name))
            .unwrap_or(&null);
        out.push_str(&indent(ind, name));
        out.push_str(&format!("\t<{}>", self.type_guess(schema, 0)));
        let required = parent
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|x| x.as_str() == Some(name)));
        if required {
            out.push_str(" -required-");
        }
        out.push_str(&enum_short(schema, ind));
        out.push('\n');
        if self.recursive {
            return;
        }
        let desc = field(schema, "description")
            .and_then(Value::as_str)
            .unwrap_or("<no description>");
        out.push_str(&indent(ind + 2, &wrap(desc, 78usize.saturating_sub(ind))));
        out.push('\n');
        if let Some(docs) = field(schema, "externalDocs") {
            out.push('\n');
            out.push_str(&indent(ind + 2, "EXTERNAL DOCS:"));
            out.push('\n');
            if let Some(d) = field(docs, "description").and_then(Value::as_str) {
                out.push_str(&indent(ind + 4, &wrap(d, 76usize.saturating_sub(ind))));
                out.push('\n');
            }
            if let Some(u) = field(docs, "url").and_then(Value::as_str) {
                out.push_str(&indent(ind + 4, &format!("URL: {u}")));
                out.push('\n');
            }
        }
        out.push('\n');
    }

    /// kubectl's `typeGuess` template: `[]T` for arrays, `map[string]T` for maps, the
    /// referenced schema's short name for objects, else the JSON type (`Object` for objects).
    fn type_guess(&self, schema: &'a Value, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return "Object".into();
        }
        if let Some(items) = field(schema, "items") {
            return format!("[]{}", self.type_guess(items, depth + 1));
        }
        if let Some(add) = additional(schema) {
            return format!("map[string]{}", self.type_guess(add, depth + 1));
        }
        if let Some(all) = field(schema, "allOf").and_then(Value::as_array)
            && all.len() == 1
            && field(schema, "properties").is_none()
        {
            return self.type_guess(&all[0], depth + 1);
        }
        let reference = str_of(schema, "$ref");
        if !reference.is_empty() {
            let target = self.resolve_ref(reference);
            let ty = target.map(|t| str_of(t, "type")).unwrap_or("");
            if ty.is_empty() || ty == "object" {
                let name = reference.rsplit('/').next().unwrap_or("");
                let short = name.rsplit('.').next().unwrap_or("");
                return if short.is_empty() { "Object" } else { short }.into();
            }
            return ty.into();
        }
        match str_of(schema, "type") {
            "object" | "" => "Object".into(),
            t => t.into(),
        }
    }
}

/// The `ENUM:` lines under `FIELD:` (all values, one per line).
fn enum_long(schema: &Value) -> String {
    let mut s = String::new();
    if let Some(values) = field(schema, "enum").and_then(Value::as_array) {
        s.push_str("ENUM:");
        for v in values {
            s.push_str("\n    ");
            s.push_str(&enum_value(v));
        }
    }
    s
}

/// The `enum:` line of a field list entry (at most four values, then `, ....`).
fn enum_short(schema: &Value, ind: usize) -> String {
    let mut s = String::new();
    if let Some(values) = field(schema, "enum").and_then(Value::as_array) {
        s.push('\n');
        s.push_str(&" ".repeat(ind));
        s.push_str("enum: ");
        for (i, v) in values.iter().enumerate() {
            if i >= 4 {
                s.push_str(", ....");
                break;
            }
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(&enum_value(v));
        }
    }
    s
}

/// kubectl's `externalDocs` template (the schema's own external documentation).
fn external_docs(schema: &Value) -> String {
    let mut s = String::new();
    if let Some(docs) = field(schema, "externalDocs") {
        s.push_str("EXTERNAL DOCS:\n");
        if let Some(d) = field(docs, "description").and_then(Value::as_str) {
            s.push_str(&indent(4, &wrap(d, 76)));
            s.push('\n');
        }
        if let Some(u) = field(docs, "url").and_then(Value::as_str) {
            s.push_str(&indent(4, &format!("URL: {u}")));
            s.push('\n');
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::{Fake, run_line};
    use serde_json::json;

    /// A small OpenAPI v3 document of apps/v1 in the shape the API server serves.
    fn apps_doc() -> Value {
        let gvk = json!([{"group": "apps", "kind": "Deployment", "version": "v1"}]);
        json!({
            "openapi": "3.0.0",
            "paths": {
                "/apis/apps/v1/namespaces/{namespace}/deployments": {
                    "get": {"x-kubernetes-group-version-kind": gvk[0]},
                    "post": {"x-kubernetes-group-version-kind": gvk[0]}
                }
            },
            "components": {"schemas": {
                "io.k8s.api.apps.v1.Deployment": {
                    "description": "Deployment enables declarative updates for Pods and ReplicaSets.",
                    "type": "object",
                    "properties": {
                        "apiVersion": {"description": "APIVersion defines the versioned schema of this representation of an object.", "type": "string"},
                        "kind": {"description": "Kind is a string value representing the REST resource this object represents.", "type": "string"},
                        "metadata": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}], "default": {}, "description": "Standard object's metadata."},
                        "spec": {"allOf": [{"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}], "default": {}, "description": "Specification of the desired behavior of the Deployment."}
                    },
                    "x-kubernetes-group-version-kind": gvk
                },
                "io.k8s.api.apps.v1.DeploymentSpec": {
                    "description": "DeploymentSpec is the specification of the desired behavior of the Deployment.",
                    "type": "object",
                    "required": ["selector"],
                    "properties": {
                        "replicas": {"description": "Number of desired pods. This is a pointer to distinguish between explicit zero and not specified. Defaults to 1.", "type": "integer", "format": "int32"},
                        "selector": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"}], "description": "Label selector for pods."},
                        "strategy": {"description": "The deployment strategy.", "type": "string", "enum": ["Recreate", "RollingUpdate"]},
                        "args": {"description": "Arguments.", "type": "array", "items": {"type": "string", "default": ""}}
                    }
                },
                "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": {
                    "description": "A label selector.",
                    "type": "object",
                    "properties": {
                        "matchLabels": {"description": "matchLabels is a map.", "type": "object", "additionalProperties": {"type": "string", "default": ""}},
                        "matchExpressions": {"description": "a list of requirements.", "type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement"}], "default": {}}}
                    }
                },
                "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement": {
                    "description": "A requirement.",
                    "type": "object",
                    "required": ["key"],
                    "properties": {"key": {"description": "key is the label key.", "type": "string"}}
                },
                "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {
                    "description": "ObjectMeta is metadata.",
                    "type": "object",
                    "properties": {
                        "name": {"description": "Name must be unique.", "type": "string"},
                        "ownerReferences": {"type": "array", "items": {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}
                    }
                }
            }}
        })
    }

    fn fake() -> Fake {
        let mut f = Fake::new();
        f.openapi("apps", "v1", apps_doc());
        f
    }

    fn ok(f: &mut Fake, line: &str) -> String {
        let out = run_line(f, line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
        assert!(!out.is_error, "{line}: {}", out.text);
        out.text
    }

    fn message(f: &mut Fake, line: &str) -> String {
        match run_line(f, line) {
            Err(Failure::Message(m) | Failure::Usage(m)) => m,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn explains_a_field_like_kubectl() {
        let mut f = fake();
        assert_eq!(
            ok(&mut f, "explain deploy.spec.replicas"),
            "GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nFIELD: replicas <integer>\n\n\nDESCRIPTION:\n    Number of desired pods. This is a pointer to distinguish between explicit\n    zero and not specified. Defaults to 1.\n    \n\n"
        );
        assert!(f.requests.is_empty());
    }

    #[test]
    fn explains_an_object_field_with_its_fields() {
        let mut f = fake();
        let out = ok(&mut f, "explain deployments.spec");
        assert!(
            out.contains("FIELD: spec <DeploymentSpec>\n\n\nDESCRIPTION:\n    Specification of the desired behavior of the Deployment.\n    DeploymentSpec is the specification of the desired behavior of the\n    Deployment.\n    \nFIELDS:\n"),
            "{out}"
        );
        assert!(
            out.contains("  args\t<[]string>\n    Arguments.\n\n"),
            "{out}"
        );
        assert!(
            out.contains(
                "  selector\t<LabelSelector> -required-\n    Label selector for pods.\n\n"
            ),
            "{out}"
        );
        assert!(
            out.contains("  strategy\t<string>\n  enum: Recreate, RollingUpdate\n    The deployment strategy.\n\n"),
            "{out}"
        );
        let names: Vec<&str> = out
            .lines()
            .filter(|l| l.starts_with("  ") && l.contains('\t'))
            .map(|l| l.trim().split('\t').next().unwrap())
            .collect();
        assert_eq!(names, ["args", "replicas", "selector", "strategy"]);
    }

    #[test]
    fn explains_the_kind_and_follows_arrays_and_maps() {
        let mut f = fake();
        let out = ok(&mut f, "explain deployment");
        assert!(out.starts_with("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nDESCRIPTION:\n    Deployment enables"), "{out}");
        assert!(out.contains("  metadata\t<ObjectMeta>\n"), "{out}");
        let out = ok(
            &mut f,
            "explain deployment.spec.selector.matchExpressions.key",
        );
        assert!(out.contains("FIELD: key <string>\n"), "{out}");
        let out = ok(&mut f, "explain deployment.spec.selector");
        assert!(
            out.contains("  matchLabels\t<map[string]string>\n"),
            "{out}"
        );
        assert!(
            out.contains("  matchExpressions\t<[]LabelSelectorRequirement>\n"),
            "{out}"
        );
        let out = ok(&mut f, "explain deployment.spec.strategy");
        assert!(
            out.contains("FIELD: strategy <string>\nENUM:\n    Recreate\n    RollingUpdate\n\n"),
            "{out}"
        );
    }

    #[test]
    fn recursive_prints_the_tree_and_stops_at_cycles() {
        let mut f = fake();
        let out = ok(&mut f, "explain deployment.spec --recursive");
        assert!(
            out.ends_with("FIELDS:\n  args\t<[]string>\n  replicas\t<integer>\n  selector\t<LabelSelector> -required-\n    matchExpressions\t<[]LabelSelectorRequirement>\n      key\t<string> -required-\n    matchLabels\t<map[string]string>\n  strategy\t<string>\n  enum: Recreate, RollingUpdate\n\n"),
            "{out}"
        );
        // ObjectMeta.ownerReferences refers to ObjectMeta again: printed once, not followed.
        let out = ok(&mut f, "explain deployment.metadata -R");
        assert!(
            out.ends_with("FIELDS:\n  name\t<string>\n  ownerReferences\t<[]ObjectMeta>\n\n"),
            "{out}"
        );
    }

    #[test]
    fn errors_follow_kubectl() {
        let mut f = fake();
        assert_eq!(
            message(&mut f, "explain deployment.spec.nope"),
            "error: field \"nope\" does not exist"
        );
        assert_eq!(
            message(&mut f, "explain deployment.nope.deeper"),
            "error: field \"deeper\" does not exist"
        );
        assert!(message(&mut f, "explain").starts_with("You must specify the type"));
        assert!(message(&mut f, "explain pods nodes").starts_with("We accept only"));
        // No core/v1 document registered: the server has none.
        assert_eq!(
            message(&mut f, "explain pods"),
            "couldn't find resource for \"/v1, Resource=pods\""
        );
        assert_eq!(
            message(&mut f, "explain deploy -o yaml"),
            "unrecognized format: yaml"
        );
        assert!(matches!(
            run_line(&mut f, "explain widgets"),
            Err(Failure::Kube(KubeError::UnknownResource(_)))
        ));
    }

    #[test]
    fn group_prefix_and_api_version() {
        let mut f = fake();
        let out = ok(&mut f, "explain deployments.apps.spec.replicas");
        assert!(out.contains("FIELD: replicas <integer>"), "{out}");
        let out = ok(&mut f, "explain deployments.apps");
        assert!(
            out.contains("DESCRIPTION:\n    Deployment enables"),
            "{out}"
        );
        let out = ok(&mut f, "explain deploy.spec.replicas --api-version=apps/v1");
        assert!(out.contains("FIELD: replicas <integer>"), "{out}");
        assert_eq!(
            message(&mut f, "explain deploy --api-version=apps/v1beta1"),
            "couldn't find resource for \"apps/v1beta1, Resource=deployments\""
        );
    }

    #[test]
    fn wrap_follows_go_wordwrap() {
        assert_eq!(wrap("aaa bbb ccc", 7), "aaa bbb\nccc");
        assert_eq!(wrap("a\nb", 76), "a\nb");
        assert_eq!(
            wrap("averyveryverylongword x", 5),
            "averyveryverylongword\nx"
        );
        assert_eq!(wrap("one two\n", 76), "one two\n");
    }
}
