//! `kubectl events` (and `kubectl get events`): core/v1 events sorted by time, printed as
//! `LAST SEEN  TYPE  REASON  OBJECT  MESSAGE` like kubectl's event printer.

use serde_json::{Value, json};

use super::common::{namespace, pretty_json, refuse_flags, resolve, strip_managed_fields, to_yaml};
use crate::targets::validate_name;
use kap_sdk::api::{Api, CmdResult, Ctx, Failure, Outcome, core, list_items, s, usage};
use kap_sdk::cli::Parsed;
use kap_sdk::table::cell_text;
use kap_sdk::tabwriter;
use kap_sdk::time;

/// When an event last happened (kubectl's sort key): the series' last observation, else
/// `lastTimestamp`, else `eventTime`.
pub fn last_seen(e: &Value) -> Option<i64> {
    let series = s(e, &["series", "lastObservedTime"]);
    if !series.is_empty() {
        return time::parse_rfc3339(series);
    }
    time::parse_rfc3339(s(e, &["lastTimestamp"]))
        .or_else(|| time::parse_rfc3339(s(e, &["eventTime"])))
}

fn first_seen(e: &Value) -> Option<i64> {
    time::parse_rfc3339(s(e, &["eventTime"]))
        .or_else(|| time::parse_rfc3339(s(e, &["firstTimestamp"])))
}

fn since(t: Option<i64>, now: i64) -> String {
    match t {
        Some(t) => time::human_duration(now - t),
        None => "<unknown>".into(),
    }
}

/// kubectl's event interval: `5m`, or `2m (x3 over 10m)` for repeated events.
pub fn interval(e: &Value, now: i64) -> String {
    let first = since(first_seen(e), now);
    let series_count = e
        .get("series")
        .and_then(|x| x.get("count"))
        .and_then(Value::as_i64);
    let count = e.get("count").and_then(Value::as_i64).unwrap_or(0);
    if let Some(n) = series_count {
        format!(
            "{} (x{n} over {first})",
            since(
                time::parse_rfc3339(s(e, &["series", "lastObservedTime"])),
                now
            )
        )
    } else if count > 1 {
        format!(
            "{} (x{count} over {first})",
            since(time::parse_rfc3339(s(e, &["lastTimestamp"])), now)
        )
    } else {
        first
    }
}

/// Sorts events oldest first, as kubectl does.
pub fn sort_events(events: &mut [Value]) {
    events.sort_by_key(|e| last_seen(e).unwrap_or(i64::MIN));
}

/// Prints events as `kubectl events` does (`NAMESPACE` first with `-A`).
pub fn print_events(events: &[Value], all_ns: bool, no_headers: bool, now: i64) -> String {
    let mut rows = Vec::new();
    if !no_headers {
        let mut h = vec![];
        if all_ns {
            h.push("NAMESPACE".to_string());
        }
        h.extend(["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"].map(String::from));
        rows.push(h);
    }
    for e in events {
        let mut r = Vec::new();
        if all_ns {
            r.push(s(e, &["metadata", "namespace"]).to_string());
        }
        r.push(interval(e, now));
        r.push(cell_text(&json!(s(e, &["type"]))));
        r.push(cell_text(&json!(s(e, &["reason"]))));
        r.push(cell_text(&json!(format!(
            "{}/{}",
            s(e, &["involvedObject", "kind"]),
            s(e, &["involvedObject", "name"])
        ))));
        r.push(cell_text(&json!(s(e, &["message"]).trim())));
        rows.push(r);
    }
    tabwriter::table(&rows)
}

/// Runs `kubectl events`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    if !p.args.is_empty() {
        return usage(format!(
            "kubectl events takes no arguments (found {:?}); use --for TYPE/NAME to select an object",
            p.args
        ));
    }
    let for_obj = match p.value("for") {
        Some(f) => {
            let Some((t, n)) = f.split_once('/') else {
                return usage(format!(
                    "--for must be TYPE/NAME, e.g. --for pod/web-1 (got {f:?})"
                ));
            };
            validate_name(n).map_err(Failure::Usage)?;
            let info = resolve(api, t)?;
            Some((info.kind, n.to_string()))
        }
        None => None,
    };
    list_and_print(p, ctx, api, for_obj)
}

/// Lists events (in the namespace, or all with `-A`), optionally about one object, and prints
/// them; shared by `events` and `get events`.
pub fn list_and_print(
    p: &Parsed,
    ctx: &Ctx,
    api: &mut dyn Api,
    for_obj: Option<(String, String)>,
) -> CmdResult {
    refuse_flags(p, &[("watch", "a tool call returns one answer")])?;
    let all_ns = p.bool("all-namespaces");
    let ns = namespace(p, ctx).to_string();
    let types: Vec<String> = match p.value("types") {
        Some(t) => {
            let mut out = Vec::new();
            for x in t.split(',').filter(|x| !x.is_empty()) {
                match x.to_ascii_lowercase().as_str() {
                    "normal" => out.push("Normal".to_string()),
                    "warning" => out.push("Warning".to_string()),
                    _ => return usage(format!("valid --types are Normal or Warning, got {x:?}")),
                }
            }
            out
        }
        None => Vec::new(),
    };
    let mut query = Vec::new();
    let mut fields = Vec::new();
    if let Some((kind, name)) = &for_obj {
        fields.push(format!("involvedObject.kind={kind}"));
        fields.push(format!("involvedObject.name={name}"));
    }
    if let Some(f) = p.value("field-selector") {
        fields.push(f.to_string());
    }
    if !fields.is_empty() {
        query.push(("fieldSelector".to_string(), fields.join(",")));
    }
    if let Some(l) = p.value("selector") {
        query.push(("labelSelector".to_string(), l.to_string()));
    }
    let info = core("events", "Event", true);
    let mut events = list_items(api, &info, (!all_ns).then_some(ns.as_str()), query)?;
    if !types.is_empty() {
        events.retain(|e| types.iter().any(|t| t == s(e, &["type"])));
    }
    sort_events(&mut events);
    match p.value("output") {
        None | Some("") => {}
        Some(o @ ("json" | "yaml")) => {
            for e in events.iter_mut() {
                if let Some(obj) = e.as_object_mut() {
                    obj.entry("apiVersion").or_insert(json!("v1"));
                    obj.entry("kind").or_insert(json!("Event"));
                }
                strip_managed_fields(e);
            }
            let list = json!({"apiVersion": "v1", "items": events, "kind": "List", "metadata": {"resourceVersion": ""}});
            return Ok(Outcome::text(if o == "json" {
                pretty_json(&list)
            } else {
                to_yaml(&list)
            }));
        }
        Some(other) => {
            return usage(format!(
                "output format {other:?} is not supported for events; use json or yaml"
            ));
        }
    }
    if events.is_empty() {
        return Ok(Outcome::text(if all_ns {
            "No events found.\n".to_string()
        } else {
            format!("No events found in {ns} namespace.\n")
        }));
    }
    let now = api.now();
    let text = print_events(&events, all_ns, p.bool("no-headers"), now);
    let items: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "namespace": s(e, &["metadata", "namespace"]),
                "lastSeen": interval(e, now),
                "type": s(e, &["type"]),
                "reason": s(e, &["reason"]),
                "object": format!("{}/{}", s(e, &["involvedObject", "kind"]), s(e, &["involvedObject", "name"])),
                "message": s(e, &["message"]).trim(),
            })
        })
        .collect();
    Ok(Outcome {
        text,
        structured: Some(json!({"kind": "Event", "items": items})),
        is_error: false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, NOW, ok_json, run_line};
    use super::*;

    fn ev(name: &str, last: &str, count: i64, ty: &str, msg: &str) -> Value {
        json!({
            "metadata": {"name": name, "namespace": "default"},
            "type": ty, "reason": "Pulled", "message": msg, "count": count,
            "firstTimestamp": "2024-05-01T11:00:00Z", "lastTimestamp": last,
            "involvedObject": {"kind": "Pod", "name": "web-1"}
        })
    }

    #[test]
    fn intervals() {
        assert_eq!(
            interval(&ev("a", "2024-05-01T11:55:00Z", 1, "Normal", ""), NOW),
            "60m"
        );
        assert_eq!(
            interval(&ev("a", "2024-05-01T11:55:00Z", 3, "Normal", ""), NOW),
            "5m (x3 over 60m)"
        );
        assert_eq!(interval(&json!({}), NOW), "<unknown>");
        let series = json!({"eventTime": "2024-05-01T11:59:00.000000Z", "series": {"count": 4, "lastObservedTime": "2024-05-01T11:59:50.000000Z"}});
        assert_eq!(interval(&series, NOW), "10s (x4 over 60s)");
    }

    #[test]
    fn events_sorted_and_filtered() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.resource, "events");
            assert_eq!(r.group, "");
            assert_eq!(
                r.query,
                vec![(
                    "fieldSelector".to_string(),
                    "involvedObject.kind=Pod,involvedObject.name=web-1".to_string()
                )]
            );
            ok_json(json!({"items": [
                ev("b", "2024-05-01T11:59:00Z", 1, "Warning", "Back-off restarting"),
                ev("a", "2024-05-01T11:50:00Z", 1, "Normal", "pulled\n"),
            ]}))
        });
        let out = run_line(&mut f, "events --for pod/web-1").unwrap();
        assert_eq!(
            out.text,
            "LAST SEEN   TYPE      REASON   OBJECT      MESSAGE\n60m         Normal    Pulled   Pod/web-1   pulled\n60m         Warning   Pulled   Pod/web-1   Back-off restarting\n"
        );
        let mut f = Fake::new();
        f.on(|_| ok_json(json!({"items": [ev("b", "2024-05-01T11:59:00Z", 1, "Warning", "x"), ev("a", "2024-05-01T11:50:00Z", 1, "Normal", "y")]})));
        let out = run_line(&mut f, "events --types=Warning -A").unwrap();
        assert!(out.text.starts_with("NAMESPACE   LAST SEEN"));
        assert_eq!(out.text.lines().count(), 2);
        assert_eq!(f.requests[0].namespace, None);
    }

    #[test]
    fn no_events() {
        let mut f = Fake::new();
        f.on(|_| ok_json(json!({"items": []})));
        assert_eq!(
            run_line(&mut f, "events -n x").unwrap().text,
            "No events found in x namespace.\n"
        );
    }
}
