//! `kubectl wait --for=condition=NAME[=VALUE]|delete|create TYPE/NAME... [-l SELECTOR]
//! [--timeout=30s]`. kubectl watches; a tool call cannot, so the objects are polled with
//! `GET` once a second until the condition holds or the timeout (kubectl's default 30s,
//! never more than [`MAX_WAIT`], and always within the call's own time limit) runs out.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::common::{Report, namespace};
use super::get::resolve_targets;
use crate::targets::parse_targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, ResourceInfo, Verb, arr, i, is_not_found, kind_group, list_items,
    request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::time::parse_duration_secs;

/// The longest a command waits, whatever `--timeout` says: the host ends a call after its
/// own time limit (300 s by default), and an answer is better than a timeout.
pub const MAX_WAIT: Duration = Duration::from_secs(240);

/// Sleeps between polls (not in unit tests, whose fake clock does not move).
pub fn pause(d: Duration) {
    #[cfg(not(test))]
    std::thread::sleep(d);
    #[cfg(test)]
    let _ = d;
}

/// Reads a `--timeout` Go duration (`30s`, `2m`, `0` to check once), bounded by
/// [`MAX_WAIT`]; a negative duration (kubectl: a week) is [`MAX_WAIT`].
pub fn wait_limit(v: Option<&str>, default: Duration) -> Result<Duration, Failure> {
    match v {
        None => Ok(default.min(MAX_WAIT)),
        Some(t) if t.starts_with('-') => Ok(MAX_WAIT),
        Some(t) => match parse_duration_secs(t) {
            Some(secs) => Ok(Duration::from_secs(secs.max(0) as u64).min(MAX_WAIT)),
            None => usage(format!(
                "invalid --timeout {t:?}: a duration such as 30s, 5m or 1h"
            )),
        },
    }
}

/// What `--for` asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitFor {
    /// `condition=NAME[=VALUE]`: `status.conditions[type=NAME].status == VALUE` (default
    /// `True`), both compared case-insensitively.
    Condition(String, String),
    /// `delete`: the object is gone.
    Delete,
    /// `create`: the object exists.
    Create,
}

/// Parses `--for` as kubectl does.
pub fn parse_for(v: &str) -> Result<WaitFor, Failure> {
    if v.eq_ignore_ascii_case("delete") {
        return Ok(WaitFor::Delete);
    }
    if v.eq_ignore_ascii_case("create") {
        return Ok(WaitFor::Create);
    }
    if let Some(c) = v.strip_prefix("condition=") {
        let (name, value) = match c.split_once('=') {
            Some((n, val)) => (n, val),
            None => (c, "True"),
        };
        if name.is_empty() {
            return usage("--for=condition needs a condition name, e.g. --for=condition=Available");
        }
        return Ok(WaitFor::Condition(name.to_string(), value.to_string()));
    }
    if v.starts_with("jsonpath=") {
        return usage(
            "--for=jsonpath is not supported yet; use --for=condition=NAME or --for=delete",
        );
    }
    usage(format!(
        "unrecognized condition: {v:?}; use --for=condition=NAME[=VALUE], --for=delete or --for=create"
    ))
}

/// Whether the object meets `condition=name=value` (kubectl's `ConditionalWait`): a
/// condition of that type with that status, not older than the object's generation.
pub fn condition_met(obj: &Value, name: &str, value: &str) -> bool {
    let generation = i(obj, &["metadata", "generation"]);
    arr(obj, &["status", "conditions"]).iter().any(|c| {
        s(c, &["type"]).eq_ignore_ascii_case(name)
            && s(c, &["status"]).eq_ignore_ascii_case(value)
            && match (i(c, &["observedGeneration"]), generation) {
                (Some(o), Some(g)) => o >= g,
                _ => true,
            }
    })
}

/// Runs `kubectl wait`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    let Some(for_text) = p.value("for") else {
        return usage("--for must be specified: condition=NAME[=VALUE], delete or create");
    };
    let want = parse_for(for_text)?;
    let limit = wait_limit(p.value("timeout"), Duration::from_secs(30))?;
    let deadline = Instant::now() + limit;
    let ns = namespace(p, ctx).to_string();
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() {
        return usage("kubectl wait needs resources: TYPE/NAME, TYPE NAME or TYPE -l SELECTOR");
    }
    let selector = p.value("selector");
    if selector.is_some() == targets.iter().any(|t| !t.names.is_empty()) {
        return usage(if selector.is_some() {
            "name cannot be provided when a selector is specified"
        } else {
            "resource(s) were provided, but no name was specified: name the objects or use -l SELECTOR"
        });
    }
    let resolved = resolve_targets(api, &targets)?;
    let mut pending: Vec<(ResourceInfo, String)> = Vec::new();
    for (info, names) in resolved {
        if let Some(sel) = selector {
            let q = vec![("labelSelector".to_string(), sel.to_string())];
            for item in list_items(api, &info, Some(&ns), q)? {
                pending.push((info.clone(), s(&item, &["metadata", "name"]).to_string()));
            }
        } else {
            for n in names {
                pending.push((info.clone(), n));
            }
        }
    }
    if pending.is_empty() {
        return Err(Failure::Message(
            "error: no matching resources found".into(),
        ));
    }
    let mut report = Report::default();
    loop {
        let mut still = Vec::new();
        for (info, name) in pending {
            let got = send_json(api, &request(Verb::Get, &info, Some(&ns), Some(&name)));
            let done = match (&want, got) {
                (WaitFor::Delete, Err(Failure::Kube(e))) if is_not_found(&e) => Some("deleted"),
                (WaitFor::Create, Err(Failure::Kube(e))) if is_not_found(&e) => None,
                (WaitFor::Condition(..), Err(Failure::Kube(e))) if is_not_found(&e) => {
                    report.errors.push(e);
                    continue;
                }
                (_, Err(Failure::Kube(e))) => {
                    report.errors.push(e);
                    continue;
                }
                (_, Err(other)) => return Err(other),
                (WaitFor::Delete, Ok(_)) => None,
                (WaitFor::Create, Ok(_)) => Some("condition met"),
                (WaitFor::Condition(c, v), Ok(obj)) => {
                    condition_met(&obj, c, v).then_some("condition met")
                }
            };
            match done {
                Some(word) => report.line(format!("{}/{name} {word}", kind_group(&info))),
                None => still.push((info, name)),
            }
        }
        pending = still;
        if pending.is_empty() || Instant::now() >= deadline {
            break;
        }
        pause(Duration::from_secs(1));
    }
    for (info, name) in &pending {
        report.messages.push(format!(
            "error: timed out waiting for the condition on {}/{name}",
            info.resource
        ));
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, not_found, ok_json, run_line};
    use super::*;
    use serde_json::json;
    use std::cell::Cell;
    use std::rc::Rc;

    #[test]
    fn parses_for() {
        assert_eq!(
            parse_for("condition=Available").unwrap(),
            WaitFor::Condition("Available".into(), "True".into())
        );
        assert_eq!(
            parse_for("condition=Ready=false").unwrap(),
            WaitFor::Condition("Ready".into(), "false".into())
        );
        assert_eq!(parse_for("delete").unwrap(), WaitFor::Delete);
        assert!(parse_for("jsonpath={.x}").is_err());
        assert!(parse_for("ready").is_err());
        assert_eq!(
            wait_limit(Some("2m"), Duration::from_secs(30)).unwrap(),
            Duration::from_secs(120)
        );
        assert_eq!(wait_limit(Some("1h"), Duration::ZERO).unwrap(), MAX_WAIT);
        assert!(wait_limit(Some("soon"), Duration::ZERO).is_err());
    }

    #[test]
    fn conditions() {
        let d = json!({"metadata": {"generation": 2}, "status": {"conditions": [
            {"type": "Available", "status": "True"},
            {"type": "Progressing", "status": "True", "observedGeneration": 1}]}});
        assert!(condition_met(&d, "available", "true"));
        assert!(!condition_met(&d, "Available", "False"));
        assert!(!condition_met(&d, "Progressing", "True"));
        assert!(!condition_met(&d, "Ready", "True"));
    }

    #[test]
    fn polls_until_met() {
        let n = Rc::new(Cell::new(0));
        let n2 = n.clone();
        let mut f = Fake::new();
        f.on(move |r| {
            assert!(matches!(r.verb, Verb::Get));
            n2.set(n2.get() + 1);
            let status = if n2.get() < 3 { "False" } else { "True" };
            ok_json(json!({"status": {"conditions": [{"type": "Available", "status": status}]}}))
        });
        assert_eq!(
            run_line(
                &mut f,
                "wait --for=condition=Available deploy/web --timeout=10s"
            )
            .unwrap()
            .text,
            "deployment.apps/web condition met\n"
        );
        assert_eq!(n.get(), 3);
        // Timeout 0: one check.
        let mut f = Fake::new();
        f.on(|_| ok_json(json!({})));
        let out = run_line(&mut f, "wait --for=delete pod/x --timeout=0").unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "error: timed out waiting for the condition on pods/x\n"
        );
        f.on(|_| Err(not_found("pods", "x")));
        assert_eq!(
            run_line(&mut f, "wait --for=delete pod/x").unwrap().text,
            "pod/x deleted\n"
        );
        assert!(
            format!("{:?}", run_line(&mut f, "wait pod/x")).contains("--for must be specified")
        );
    }
}
