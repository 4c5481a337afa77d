//! `kubectl delete TYPE NAME...` / `TYPE/NAME...`: one DELETE per named object.
//! `kubectl delete TYPE -l SELECTOR` / `--field-selector`: as kubectl does, a LIST in the one
//! namespace, then one DELETE per object found. `--all`, `--all-namespaces` and files are
//! refused.

use super::common::{DryRun, Report, namespace, refuse_flags};
use super::get::resolve_targets;
use crate::targets::parse_targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, Verb, is_not_found, list_items, request, s, usage,
};
use kap_sdk::cli::Parsed;

/// kubectl's `--cascade` values as a `propagationPolicy`.
pub fn propagation(v: &str) -> Result<&'static str, Failure> {
    match v {
        "background" | "true" => Ok("Background"),
        "foreground" => Ok("Foreground"),
        "orphan" | "false" => Ok("Orphan"),
        other => usage(format!(
            "invalid --cascade {other:?}: must be one of \"background\", \"foreground\" or \"orphan\""
        )),
    }
}

/// Runs `kubectl delete`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            (
                "filename",
                "files cannot be read; name the objects as TYPE NAME or TYPE/NAME",
            ),
            (
                "all",
                "not supported: name the objects to delete or select them with -l",
            ),
            (
                "all-namespaces",
                "not allowed: delete acts in one namespace (-n NS)",
            ),
        ],
    )?;
    let dry = DryRun::from(p)?;
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() {
        return usage(
            "You must provide one or more resources by argument or filename: kubectl delete TYPE NAME",
        );
    }
    let selecting = p.given("selector") || p.given("field-selector");
    if selecting && targets.iter().any(|t| !t.names.is_empty()) {
        return usage("name cannot be provided when a selector is specified");
    }
    if !selecting && targets.iter().any(|t| t.names.is_empty()) {
        return usage(
            "resource(s) were provided, but no name was specified: kubectl delete TYPE NAME, or TYPE -l SELECTOR (--all is not supported)",
        );
    }
    let mut query: Vec<(String, String)> = Vec::new();
    let mut grace: Option<i64> = match p.value("grace-period") {
        None => None,
        Some(g) => Some(
            g.parse()
                .map_err(|_| Failure::Usage(format!("invalid --grace-period {g:?}")))?,
        ),
    };
    if p.bool("now") {
        if grace.is_some() {
            return usage("--now and --grace-period cannot be specified together");
        }
        grace = Some(1);
    }
    if p.bool("force") && grace.is_none() {
        grace = Some(0);
    }
    if let Some(g) = grace.filter(|g| *g >= 0) {
        // kubectl turns a zero grace period into 1 unless --force is given.
        let g = if g == 0 && !p.bool("force") { 1 } else { g };
        query.push(("gracePeriodSeconds".into(), g.to_string()));
    }
    if let Some(c) = p.value("cascade") {
        query.push(("propagationPolicy".into(), propagation(c)?.to_string()));
    }
    query.extend(dry.query());
    let ns = namespace(p, ctx).to_string();
    let mut resolved = resolve_targets(api, &targets)?;
    if selecting {
        let mut select = Vec::new();
        select.extend(
            p.value("selector")
                .map(|l| ("labelSelector".to_string(), l.to_string())),
        );
        select.extend(
            p.value("field-selector")
                .map(|f| ("fieldSelector".to_string(), f.to_string())),
        );
        for (info, names) in resolved.iter_mut() {
            let items = list_items(api, info, Some(&ns), select.clone())?;
            *names = items
                .iter()
                .map(|o| s(o, &["metadata", "name"]).to_string())
                .collect();
        }
        if resolved.iter().all(|(_, n)| n.is_empty()) {
            return Ok(Outcome::text(format!(
                "No resources found in {ns} namespace.\n"
            )));
        }
    }
    let mut report = Report::default();
    for (info, names) in &resolved {
        let kind = info.kind.to_lowercase();
        let kg = if info.group.is_empty() {
            kind
        } else {
            format!("{kind}.{}", info.group)
        };
        for name in names {
            if dry != DryRun::Client {
                let mut req = request(Verb::Delete, info, Some(&ns), Some(name));
                req.query = query.clone();
                match api.send(&req) {
                    Ok(_) => {}
                    Err(e) if is_not_found(&e) && p.bool("ignore-not-found") => continue,
                    Err(e) => {
                        report.errors.push(e);
                        continue;
                    }
                }
            }
            report.line(format!("{kg} \"{name}\" deleted{}", dry.suffix()));
        }
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, not_found, ok_json, run_line};
    use kap_sdk::api::Verb;
    use serde_json::json;

    #[test]
    fn delete_named() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.verb, Verb::Delete));
            if r.name.as_deref() == Some("gone") {
                return Err(not_found("pods", "gone"));
            }
            ok_json(json!({}))
        });
        let out = run_line(&mut f, "delete pod x deploy/y").unwrap_err();
        assert!(format!("{out:?}").contains("resource/name form"));
        let out = run_line(&mut f, "delete pod x gone").unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "pod \"x\" deleted\nError from server (NotFound): pods \"gone\" not found\n"
        );
        let out = run_line(&mut f, "delete pod/x deploy/y").unwrap();
        assert_eq!(
            out.text,
            "pod \"x\" deleted\ndeployment.apps \"y\" deleted\n"
        );
        let out = run_line(&mut f, "delete pod gone --ignore-not-found").unwrap();
        assert_eq!(out.text, "");
        assert!(!out.is_error);
    }

    #[test]
    fn delete_options() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(
                r.query,
                vec![
                    ("gracePeriodSeconds".to_string(), "0".to_string()),
                    ("propagationPolicy".to_string(), "Foreground".to_string()),
                    ("dryRun".to_string(), "All".to_string())
                ]
            );
            ok_json(json!({}))
        });
        let out = run_line(
            &mut f,
            "delete pod x --force --grace-period=0 --cascade=foreground --dry-run=server",
        )
        .unwrap();
        assert_eq!(out.text, "pod \"x\" deleted (server dry run)\n");
    }

    #[test]
    fn delete_by_selector_lists_then_deletes() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::List => {
                assert_eq!(r.namespace.as_deref(), Some("team"));
                assert_eq!(
                    r.query,
                    vec![
                        ("labelSelector".to_string(), "app=web".to_string()),
                        (
                            "fieldSelector".to_string(),
                            "status.phase=Failed".to_string()
                        )
                    ]
                );
                ok_json(
                    json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}),
                )
            }
            Verb::Delete => {
                assert_eq!(r.namespace.as_deref(), Some("team"));
                ok_json(json!({}))
            }
            _ => panic!("{r:?}"),
        });
        let out = run_line(
            &mut f,
            "delete pods -l app=web --field-selector status.phase=Failed -n team",
        )
        .unwrap();
        assert_eq!(out.text, "pod \"a\" deleted\npod \"b\" deleted\n");
        f.on(|_| ok_json(json!({"items": []})));
        assert_eq!(
            run_line(&mut f, "delete pods -l app=none -n team")
                .unwrap()
                .text,
            "No resources found in team namespace.\n"
        );
    }

    #[test]
    fn delete_refusals() {
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "delete pods --all"))
                .contains("--all is not supported")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "delete pods -l app=x -A"))
                .contains("--all-namespaces is not supported: not allowed")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "delete pod x -l app=x"))
                .contains("name cannot be provided")
        );
        assert!(format!("{:?}", run_line(&mut f, "delete pods")).contains("no name was specified"));
        assert!(
            format!("{:?}", run_line(&mut f, "delete -f x.yaml")).contains("files cannot be read")
        );
    }
}
