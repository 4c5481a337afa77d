//! Pieces shared by the commands that write objects (`create`, `patch`, `label`, `expose`,
//! ...): kubectl's `-o` printing of the written object, its field-manager and dry-run query
//! parameters, and label selectors built from an object's `spec.selector`.

use serde_json::Value;

use super::common::{DryRun, pretty_json, strip_managed_fields, to_yaml};
use kap_sdk::api::{Failure, Request, ResourceInfo, Verb, kind_group, request, s, usage};
use kap_sdk::cli::Parsed;

/// How a write command prints what it wrote (kubectl's `PrintFlags` with an operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Print {
    /// `kind.group/name created` (the default).
    Operation,
    /// `-o name`: `kind.group/name`.
    Name,
    /// `-o json`.
    Json,
    /// `-o yaml`.
    Yaml,
}

impl Print {
    /// Reads `-o`: `name`, `json` or `yaml`; anything else is refused.
    pub fn from(p: &Parsed) -> Result<Print, Failure> {
        match p.value("output") {
            None | Some("") => Ok(Print::Operation),
            Some("name") => Ok(Print::Name),
            Some("json") => Ok(Print::Json),
            Some("yaml") => Ok(Print::Yaml),
            Some(o) => usage(format!(
                "output format {o:?} is not supported for kubectl {}; use name, json or yaml",
                p.sub
            )),
        }
    }

    /// The text kubectl prints for one written object: `operation` is `created`,
    /// `patched`, `labeled`, ...; `obj` is the server's answer (or, for a client dry run, the
    /// object that would have been sent), printed without managed fields.
    pub fn text(
        self,
        info: &ResourceInfo,
        name: &str,
        operation: &str,
        dry: DryRun,
        obj: &Value,
    ) -> String {
        match self {
            Print::Operation => {
                format!("{}/{name} {operation}{}\n", kind_group(info), dry.suffix())
            }
            Print::Name => format!("{}/{name}\n", kind_group(info)),
            Print::Json | Print::Yaml => {
                let mut o = obj.clone();
                strip_managed_fields(&mut o);
                if self == Print::Json {
                    pretty_json(&o)
                } else {
                    to_yaml(&o)
                }
            }
        }
    }
}

/// The query parameters kubectl sends with a write: `fieldManager` (kubectl's default for
/// the command, e.g. `kubectl-create`, or `--field-manager`) and `dryRun=All` for
/// `--dry-run=server`.
pub fn write_query(p: &Parsed, dry: DryRun, default_manager: &str) -> Vec<(String, String)> {
    let mut q = vec![(
        "fieldManager".to_string(),
        p.value("field-manager")
            .unwrap_or(default_manager)
            .to_string(),
    )];
    q.extend(dry.query());
    q
}

/// A `create` request for `info` with a JSON body.
pub fn create_request(info: &ResourceInfo, ns: &str, body: &Value) -> Request {
    let mut req = request(Verb::Create, info, Some(ns), None);
    req.body = Some(body.to_string());
    req
}

/// A label selector as text (`a=b,c in (d,e)`) from a `LabelSelector` object, as
/// `metav1.LabelSelectorAsSelector` prints it: requirements sorted by key.
pub fn selector_text(sel: &Value) -> Result<String, String> {
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or_default())));
        }
    }
    for e in sel
        .get("matchExpressions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let key = s(e, &["key"]);
        let mut values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        values.sort_unstable();
        let text = match s(e, &["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            other => return Err(format!("{other:?} is not a valid label selector operator")),
        };
        reqs.push((key.to_string(), text));
    }
    reqs.sort();
    Ok(reqs
        .into_iter()
        .map(|(_, t)| t)
        .collect::<Vec<_>>()
        .join(","))
}

/// Parses a port number (1-65535), naming the flag in the error.
pub fn port_number(flag: &str, v: &str) -> Result<i64, Failure> {
    match v.parse::<i64>() {
        Ok(n) if (1..=65535).contains(&n) => Ok(n),
        _ => usage(format!(
            "invalid {flag} {v:?}: a port is a number between 1 and 65535"
        )),
    }
}

/// A `targetPort` value: a number when it parses as one, else a port name
/// (`intstr.Parse`).
pub fn int_or_string(v: &str) -> Value {
    match v.parse::<i64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::String(v.to_string()),
    }
}

/// All values of a repeatable flag, in order, each split at commas when `split` (pflag's
/// `StringSlice`) or taken whole (`StringArray`).
pub fn values<'a>(p: &'a Parsed, long: &str, split: bool) -> Vec<&'a str> {
    p.flags
        .iter()
        .filter(|(n, _)| *n == long)
        .flat_map(|(_, v)| {
            if split {
                v.split(',').filter(|x| !x.is_empty()).collect::<Vec<_>>()
            } else {
                vec![v.as_str()]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors() {
        let sel = json!({"matchLabels": {"tier": "web", "app": "x"},
            "matchExpressions": [{"key": "env", "operator": "In", "values": ["b", "a"]},
                                  {"key": "gone", "operator": "DoesNotExist"}]});
        assert_eq!(
            selector_text(&sel).unwrap(),
            "app=x,env in (a,b),!gone,tier=web"
        );
        assert_eq!(selector_text(&json!({})).unwrap(), "");
    }

    #[test]
    fn ports() {
        assert_eq!(int_or_string("80"), json!(80));
        assert_eq!(int_or_string("http"), json!("http"));
        assert!(port_number("--port", "0").is_err());
        assert_eq!(port_number("--port", "8080").unwrap(), 8080);
    }
}
