//! Printing the API server's `meta.k8s.io/v1` `Table` answers the way `kubectl get` prints
//! them (kubectl's `HumanReadablePrinter` for server-side printing).
//!
//! * the header is each column's name in upper case (`Nominated Node` → `NOMINATED NODE`);
//! * only columns of priority 0 are printed, unless `-o wide`;
//! * `-A` adds a `NAMESPACE` column first, from each row's object metadata;
//! * `--show-labels` adds `LABELS` last, `-L key` adds one column per key, headed by the
//!   key's last `/` segment in upper case (`-L app.kubernetes.io/name` → `NAME`);
//! * when several resource types are printed, names are prefixed with `kind.group/`.

use serde_json::{Map, Value, json};

/// How to print one table.
#[derive(Debug, Clone, Default)]
pub struct TableOptions {
    /// `-o wide`: every column, whatever its priority.
    pub wide: bool,
    /// `-A`: a `NAMESPACE` column first.
    pub namespace_column: bool,
    /// `--show-labels`.
    pub show_labels: bool,
    /// `-L key1,key2`.
    pub label_columns: Vec<String>,
    /// `kind.group` to prefix names with (`pod`, `deployment.apps`) when several types print.
    pub kind_prefix: Option<String>,
}

/// One printed table: header, rows, and the rows as JSON objects for structured output.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Printed {
    /// The column headers, upper-cased as kubectl prints them.
    pub header: Vec<String>,
    /// The cells of each row.
    pub rows: Vec<Vec<String>>,
    /// Each row as a JSON object keyed by column name.
    pub items: Vec<Value>,
}

/// A cell as kubectl prints it: strings as they are, numbers and booleans in their usual
/// form, nothing as `<none>`. Tabs and line breaks become spaces so rows stay one line.
pub fn cell_text(v: &Value) -> String {
    let s = match v {
        Value::String(s) => s.clone(),
        Value::Null => "<none>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The `k=v,k2=v2` form of a label map, sorted by key (`<none>` when empty).
pub fn labels_text(labels: Option<&Value>) -> String {
    let Some(map) = labels.and_then(Value::as_object) else {
        return "<none>".into();
    };
    if map.is_empty() {
        return "<none>".into();
    }
    let mut pairs: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
        .collect();
    pairs.sort();
    pairs.join(",")
}

/// A column name as a JSON key: lower case, spaces as `_` (`Nominated Node` → `nominated_node`).
fn key(name: &str) -> String {
    name.to_lowercase().replace(' ', "_")
}

/// Turns a `Table` answer into printable rows (see the module documentation).
pub fn print_table(table: &Value, opts: &TableOptions) -> Printed {
    let columns: &[Value] = table
        .get("columnDefinitions")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let visible: Vec<usize> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| opts.wide || c.get("priority").and_then(Value::as_i64).unwrap_or(0) == 0)
        .map(|(i, _)| i)
        .collect();
    let name_col = columns
        .iter()
        .position(|c| c.get("format").and_then(Value::as_str) == Some("name"))
        .unwrap_or(0);
    let col_name = |i: usize| {
        columns[i]
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };

    let mut header = Vec::new();
    if opts.namespace_column {
        header.push("NAMESPACE".to_string());
    }
    header.extend(visible.iter().map(|&i| col_name(i).to_uppercase()));
    // kubectl's `formatLabelHeaders`: the key's last `/` segment, upper case.
    header.extend(
        opts.label_columns
            .iter()
            .map(|k| k.rsplit('/').next().unwrap_or(k).to_uppercase()),
    );
    if opts.show_labels {
        header.push("LABELS".into());
    }

    let mut rows = Vec::new();
    let mut items = Vec::new();
    for row in table
        .get("rows")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let cells: &[Value] = row
            .get("cells")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let meta = row.get("object").and_then(|o| o.get("metadata"));
        let ns = meta
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let labels = meta.and_then(|m| m.get("labels"));
        let mut out = Vec::new();
        let mut item = Map::new();
        if opts.namespace_column {
            out.push(ns.to_string());
        }
        let name = meta
            .and_then(|m| m.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| cells.get(name_col).map(cell_text).unwrap_or_default());
        item.insert("name".into(), json!(name));
        if !ns.is_empty() {
            item.insert("namespace".into(), json!(ns));
        }
        for &i in &visible {
            let mut text = cells.get(i).map(cell_text).unwrap_or_default();
            if i == name_col
                && let Some(prefix) = &opts.kind_prefix
            {
                text = format!("{prefix}/{text}");
            }
            if i != name_col {
                item.insert(
                    key(&col_name(i)),
                    cells.get(i).cloned().unwrap_or(Value::Null),
                );
            }
            out.push(text);
        }
        for k in &opts.label_columns {
            let v = labels
                .and_then(|l| l.get(k))
                .and_then(Value::as_str)
                .unwrap_or("");
            out.push(v.to_string());
        }
        if opts.show_labels {
            out.push(labels_text(labels));
        }
        if let Some(l) = labels.filter(|_| opts.show_labels || !opts.label_columns.is_empty()) {
            item.insert("labels".into(), l.clone());
        }
        rows.push(out);
        items.push(Value::Object(item));
    }
    Printed {
        header,
        rows,
        items,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tabwriter;

    pub fn pods_table() -> Value {
        json!({
            "kind": "Table",
            "apiVersion": "meta.k8s.io/v1",
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "description": "", "priority": 0},
                {"name": "Ready", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "Status", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "Restarts", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "Age", "type": "string", "format": "", "description": "", "priority": 0},
                {"name": "IP", "type": "string", "format": "", "description": "", "priority": 1},
                {"name": "Node", "type": "string", "format": "", "description": "", "priority": 1},
                {"name": "Nominated Node", "type": "string", "format": "", "description": "", "priority": 1}
            ],
            "rows": [
                {"cells": ["web-1", "1/1", "Running", 0, "5d", "10.1.0.5", "node-1", "<none>"],
                 "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web", "tier": "fe"}}}},
                {"cells": ["db-0", "0/1", "Pending", 3, "2m", "<none>", "<none>", null],
                 "object": {"metadata": {"name": "db-0", "namespace": "data"}}}
            ]
        })
    }

    fn render(p: &Printed) -> String {
        let mut all = vec![p.header.clone()];
        all.extend(p.rows.iter().cloned());
        tabwriter::table(&all)
    }

    #[test]
    fn default_columns() {
        let p = print_table(&pods_table(), &TableOptions::default());
        assert_eq!(
            render(&p),
            "NAME    READY   STATUS    RESTARTS   AGE\nweb-1   1/1     Running   0          5d\ndb-0    0/1     Pending   3          2m\n"
        );
        assert_eq!(
            p.items[0],
            json!({"name": "web-1", "namespace": "default", "ready": "1/1", "status": "Running", "restarts": 0, "age": "5d"})
        );
    }

    #[test]
    fn wide_namespaces_and_labels() {
        let opts = TableOptions {
            wide: true,
            namespace_column: true,
            show_labels: true,
            label_columns: vec!["app".into(), "example.com/tier".into()],
            kind_prefix: Some("pod".into()),
        };
        let p = print_table(&pods_table(), &opts);
        assert_eq!(
            p.header,
            [
                "NAMESPACE",
                "NAME",
                "READY",
                "STATUS",
                "RESTARTS",
                "AGE",
                "IP",
                "NODE",
                "NOMINATED NODE",
                "APP",
                "TIER",
                "LABELS"
            ]
        );
        assert_eq!(p.rows[0][1], "pod/web-1");
        assert_eq!(p.rows[0][0], "default");
        assert_eq!(p.rows[0][9], "web");
        assert_eq!(p.rows[0][10], "");
        assert_eq!(p.rows[0][11], "app=web,tier=fe");
        assert_eq!(p.rows[1][8], "<none>");
        assert_eq!(p.rows[1][11], "<none>");
        assert_eq!(p.items[1]["nominated_node"], Value::Null);
    }

    #[test]
    fn malformed_tables_do_not_panic() {
        for t in [
            json!(null),
            json!({}),
            json!({"columnDefinitions": 3, "rows": "x"}),
            json!({"rows": [{"cells": 1}, 2]}),
        ] {
            let _ = print_table(
                &t,
                &TableOptions {
                    wide: true,
                    namespace_column: true,
                    show_labels: true,
                    ..Default::default()
                },
            );
        }
    }

    #[test]
    fn cells_are_one_line() {
        assert_eq!(cell_text(&json!("a\tb\nc")), "a b c");
        assert_eq!(cell_text(&json!(true)), "true");
        assert_eq!(cell_text(&json!(["a"])), "[\"a\"]");
    }
}
