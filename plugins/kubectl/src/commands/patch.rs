//! `kubectl patch TYPE NAME -p PATCH [--type=strategic|merge|json] [--subresource=S]`: as
//! kubectl does it, a `GET` of each object, then a `PATCH` with the patch (YAML is converted
//! to JSON) and `fieldManager=kubectl-patch`; `(no change)` when the object did not change.

use serde_json::Value;

use super::common::{DryRun, Report, namespace, refuse_flags};
use super::get::resolve_targets;
use super::writes::{Print, write_query};
use crate::targets::parse_targets;
use kap_sdk::api::{Api, CmdResult, Ctx, Failure, PatchType, Verb, request, s, send_json, usage};
use kap_sdk::cli::Parsed;

/// kubectl's field manager for `patch`.
pub const FIELD_MANAGER: &str = "kubectl-patch";

/// kubectl's `--type` values.
pub fn patch_type(v: Option<&str>) -> Result<PatchType, Failure> {
    match v {
        None | Some("strategic") => Ok(PatchType::Strategic),
        Some("merge") => Ok(PatchType::Merge),
        Some("json") => Ok(PatchType::Json),
        Some(other) => usage(format!(
            "--type must be one of [json merge strategic], not {other:?}"
        )),
    }
}

/// The patch as JSON: kubectl reads `-p` as YAML (JSON is YAML) and sends JSON.
pub fn patch_json(text: &str) -> Result<String, Failure> {
    let v: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| Failure::Usage(format!("unable to parse {text:?}: {e}")))?;
    match v {
        Value::Object(_) | Value::Array(_) => Ok(v.to_string()),
        _ => usage(format!(
            "unable to parse {text:?}: the patch must be a JSON or YAML object (or a list for --type=json)"
        )),
    }
}

/// Runs `kubectl patch`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[(
            "filename",
            "files cannot be read; name the object as TYPE NAME",
        )],
    )?;
    let Some(text) = p.value("patch") else {
        return usage("must specify --patch or --patch-file containing the contents of the patch");
    };
    let pt = patch_type(p.value("type"))?;
    let body = patch_json(text)?;
    if pt == PatchType::Json && !body.starts_with('[') {
        return usage(
            "a --type=json patch is a list of operations, e.g. [{\"op\": \"replace\", \"path\": \"/spec/replicas\", \"value\": 2}]",
        );
    }
    if pt != PatchType::Json && !body.starts_with('{') {
        return usage(
            "a strategic or merge patch is an object; use --type=json for a list of operations",
        );
    }
    let sub = match p.value("subresource") {
        None | Some("") => None,
        Some(s @ ("status" | "scale")) => Some(s.to_string()),
        Some(other) => {
            return usage(format!(
                "invalid --subresource {other:?}: must be status or scale"
            ));
        }
    };
    let print = Print::from(p)?;
    let dry = DryRun::from(p)?;
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() || targets.iter().any(|t| t.names.is_empty()) {
        return usage("kubectl patch needs the object: TYPE NAME or TYPE/NAME, and -p PATCH");
    }
    let ns = namespace(p, ctx).to_string();
    let resolved = resolve_targets(api, &targets)?;
    let mut report = Report::default();
    for (info, names) in &resolved {
        for name in names {
            let mut get = request(Verb::Get, info, Some(&ns), Some(name));
            get.subresource = sub.clone();
            let before = match send_json(api, &get) {
                Ok(v) => v,
                Err(Failure::Kube(e)) => {
                    report.errors.push(e);
                    continue;
                }
                Err(other) => return Err(other),
            };
            let after = if dry == DryRun::Client {
                before.clone()
            } else {
                let mut req = get.clone();
                req.verb = Verb::Patch;
                req.patch_type = Some(pt);
                req.body = Some(body.clone());
                req.query = write_query(p, dry, FIELD_MANAGER);
                match send_json(api, &req) {
                    Ok(v) => v,
                    Err(Failure::Kube(e)) => {
                        report.errors.push(e);
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            };
            let changed = dry != DryRun::None
                || s(&before, &["metadata", "resourceVersion"])
                    != s(&after, &["metadata", "resourceVersion"]);
            let op = if changed {
                "patched"
            } else {
                "patched (no change)"
            };
            report
                .out
                .push_str(&print.text(info, name, op, dry, &after));
        }
    }
    report.finish()
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use kap_sdk::api::{PatchType, Verb};
    use serde_json::json;

    #[test]
    fn patch_types_and_no_change() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => ok_json(json!({"metadata": {"resourceVersion": "1"}})),
            _ => {
                assert!(matches!(r.patch_type, Some(PatchType::Strategic)));
                assert_eq!(r.body.as_deref(), Some(r#"{"spec":{"replicas":2}}"#));
                assert_eq!(
                    r.query,
                    vec![("fieldManager".to_string(), "kubectl-patch".to_string())]
                );
                ok_json(json!({"metadata": {"resourceVersion": "2"}}))
            }
        });
        assert_eq!(
            run_line(&mut f, "patch deploy web -p '{\"spec\":{\"replicas\":2}}'")
                .unwrap()
                .text,
            "deployment.apps/web patched\n"
        );
        // YAML is converted to JSON.
        assert_eq!(
            run_line(&mut f, "patch deployment/web -p 'spec: {replicas: 2}'")
                .unwrap()
                .text,
            "deployment.apps/web patched\n"
        );
        let mut f = Fake::new();
        f.on(|r| {
            if matches!(r.verb, Verb::Patch) {
                assert!(matches!(r.patch_type, Some(PatchType::Json)));
                assert_eq!(r.subresource.as_deref(), Some("status"));
            }
            ok_json(json!({"metadata": {"resourceVersion": "7"}}))
        });
        assert_eq!(
            run_line(
                &mut f,
                "patch pod x --type=json --subresource=status -p '[{\"op\":\"remove\",\"path\":\"/status/x\"}]'"
            )
            .unwrap()
            .text,
            "pod/x patched (no change)\n"
        );
    }

    #[test]
    fn patch_errors() {
        let mut f = Fake::new();
        assert!(format!("{:?}", run_line(&mut f, "patch pod x")).contains("must specify --patch"));
        assert!(
            format!("{:?}", run_line(&mut f, "patch pod x -p '{}' --type=xml"))
                .contains("--type must be one of")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "patch pod x -p '{}' --type=json"))
                .contains("list of operations")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "patch pod -p '{}'")).contains("needs the object")
        );
    }
}
