//! Printing as the argocd CLI prints: tabwriter tables (min width 0, padding 2), the
//! `%-20s%s` summary lines, Go's `time.Time` and `time.Duration` strings, and the column
//! values of `app list` (`formatSyncPolicy`, `formatConditionsSummary`, `getServer`).

use kap_sdk::api::{arr, get, s};
use kap_sdk::serde_json::Value;

/// Aligns rows like `tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)`.
pub fn table(rows: &[Vec<String>]) -> String {
    let text: String = rows.iter().map(|r| r.join("\t") + "\n").collect();
    kap_sdk::tabwriter::align(&text, 0, 2)
}

/// One summary line: `fmt.Printf("%-20s%s\n", key, value)`.
pub fn line(key: &str, value: &str) -> String {
    format!("{key:<20}{value}\n")
}

/// Go's `time.Time.String()` of an RFC 3339 UTC timestamp: `2024-05-01 12:00:00 +0000 UTC`;
/// the input as given when it does not parse, `0001-01-01 00:00:00 +0000 UTC` when empty.
pub fn go_time(ts: &str) -> String {
    if ts.is_empty() {
        return "0001-01-01 00:00:00 +0000 UTC".into();
    }
    match kap_sdk::time::parse_rfc3339(ts) {
        Some(t) => kap_sdk::time::format_rfc3339(t)
            .replace('T', " ")
            .replace('Z', " +0000 UTC"),
        None => ts.to_string(),
    }
}

/// Go's `time.Duration.String()` of whole seconds: `0s`, `45s`, `2m5s`, `1h0m0s`.
pub fn go_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

/// Argo CD's `QualifiedName`: `NAMESPACE/NAME` (just `NAME` without a namespace).
pub fn qualified(obj: &Value) -> String {
    let (ns, name) = (
        s(obj, &["metadata", "namespace"]),
        s(obj, &["metadata", "name"]),
    );
    if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    }
}

/// `getServer`: the destination's server, else its name.
pub fn server(app: &Value) -> String {
    let srv = s(app, &["spec", "destination", "server"]);
    if srv.is_empty() {
        s(app, &["spec", "destination", "name"]).to_string()
    } else {
        srv.to_string()
    }
}

/// The (first) source: `spec.source`, else `spec.sources[0]` (`GetSource`).
pub fn source(spec: &Value) -> Value {
    if let Some(src) = spec.get("source").filter(|v| v.is_object()) {
        return src.clone();
    }
    arr(spec, &["sources"])
        .first()
        .cloned()
        .unwrap_or(Value::Null)
}

/// The project (`GetProject`: `default` when empty).
pub fn project(spec: &Value) -> String {
    match s(spec, &["project"]) {
        "" => "default".into(),
        p => p.into(),
    }
}

/// Whether automated sync is enabled (`IsAutomatedSyncEnabled`: `automated` present and its
/// `enabled` not false).
pub fn automated(app: &Value) -> bool {
    match get(app, &["spec", "syncPolicy", "automated"]) {
        Some(a) if a.is_object() => a.get("enabled").and_then(Value::as_bool) != Some(false),
        _ => false,
    }
}

/// Whether automated sync prunes.
pub fn auto_prune(app: &Value) -> bool {
    automated(app)
        && get(app, &["spec", "syncPolicy", "automated", "prune"]).and_then(Value::as_bool)
            == Some(true)
}

/// `formatSyncPolicy`: `Manual`, `Auto` or `Auto-Prune`.
pub fn sync_policy(app: &Value) -> String {
    match (automated(app), auto_prune(app)) {
        (false, _) => "Manual".into(),
        (true, false) => "Auto".into(),
        (true, true) => "Auto-Prune".into(),
    }
}

/// `formatConditionsSummary`: condition types with counts, sorted, or `<none>`.
pub fn conditions_summary(app: &Value) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for c in arr(app, &["status", "conditions"]) {
        let t = s(c, &["type"]).to_string();
        match counts.iter_mut().find(|(k, _)| *k == t) {
            Some((_, n)) => *n += 1,
            None => counts.push((t, 1)),
        }
    }
    let mut items: Vec<String> = counts
        .into_iter()
        .map(|(t, n)| if n > 1 { format!("{t}({n})") } else { t })
        .collect();
    items.sort();
    if items.is_empty() {
        "<none>".into()
    } else {
        items.join(",")
    }
}

/// Prints `v` as JSON or YAML for `-o json|yaml`.
pub fn dump(v: &Value, output: &str) -> String {
    if output == "yaml" {
        kap_sdk::printing::to_yaml(v)
    } else {
        kap_sdk::printing::pretty_json(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_formats() {
        assert_eq!(
            go_time("2024-05-01T12:00:00Z"),
            "2024-05-01 12:00:00 +0000 UTC"
        );
        assert_eq!(go_duration(125), "2m5s");
        assert_eq!(go_duration(3600), "1h0m0s");
        assert_eq!(line("Name:", "x"), format!("Name:{}x\n", " ".repeat(15)));
    }
}
