//! `kubectl scale TYPE NAME --replicas=N` (and `TYPE/NAME`): a merge patch of the `scale`
//! subresource, as kubectl sends it.

use serde_json::json;

use super::common::{DryRun, Report, namespace, refuse_flags};
use super::get::resolve_targets;
use crate::targets::parse_targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, PatchType, Verb, i, kind_group, request, send_json, usage,
};
use kap_sdk::cli::Parsed;

/// Runs `kubectl scale`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            (
                "filename",
                "files cannot be read; name the objects as TYPE NAME or TYPE/NAME",
            ),
            ("selector", "not supported yet; name the objects"),
            ("all", "not supported yet; name the objects"),
        ],
    )?;
    let Some(r) = p.value("replicas") else {
        return usage("required flag(s) \"replicas\" not set");
    };
    let replicas: u32 = r.parse().map_err(|_| {
        Failure::Usage(format!(
            "invalid --replicas {r:?}: the number of replicas must be 0 or more"
        ))
    })?;
    let current: Option<i64> = match p.value("current-replicas") {
        None => None,
        Some(c) => match c.parse::<i64>() {
            Ok(-1) => None,
            Ok(n) if n >= 0 => Some(n),
            _ => return usage(format!("invalid --current-replicas {c:?}")),
        },
    };
    let dry = DryRun::from(p)?;
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() {
        return usage(
            "You must specify the type of resource to scale: kubectl scale TYPE NAME --replicas=N",
        );
    }
    if targets.iter().any(|t| t.names.is_empty()) {
        return usage(
            "resource(s) were provided, but no name was specified: kubectl scale TYPE NAME --replicas=N",
        );
    }
    let ns = namespace(p, ctx).to_string();
    let resolved = resolve_targets(api, &targets)?;
    let mut report = Report::default();
    for (info, names) in &resolved {
        for name in names {
            let mut scale_req = request(Verb::Get, info, Some(&ns), Some(name));
            scale_req.subresource = Some("scale".into());
            if let Some(want) = current {
                match send_json(api, &scale_req) {
                    Ok(scale) => {
                        let have = i(&scale, &["spec", "replicas"]).unwrap_or(0);
                        if have != want {
                            report.messages.push(format!(
                                "error: Expected replicas to be {want}, was {have} ({}/{name})",
                                kind_group(info)
                            ));
                            continue;
                        }
                    }
                    Err(Failure::Kube(e)) => {
                        report.errors.push(e);
                        continue;
                    }
                    Err(other) => return Err(other),
                }
            }
            if dry != DryRun::Client {
                let mut req = scale_req.clone();
                req.verb = Verb::Patch;
                req.patch_type = Some(PatchType::Merge);
                req.body = Some(json!({"spec": {"replicas": replicas}}).to_string());
                req.query.extend(dry.query());
                if let Err(e) = api.send(&req) {
                    report.errors.push(e);
                    continue;
                }
            }
            report.line(format!(
                "{}/{name} scaled{}",
                kind_group(info),
                dry.suffix()
            ));
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
    fn scale_patches_the_scale_subresource() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.verb, Verb::Patch));
            assert!(matches!(r.patch_type, Some(PatchType::Merge)));
            assert_eq!(r.group, "apps");
            assert_eq!(r.resource, "deployments");
            assert_eq!(r.subresource.as_deref(), Some("scale"));
            assert_eq!(r.body.as_deref(), Some(r#"{"spec":{"replicas":3}}"#));
            ok_json(json!({}))
        });
        assert_eq!(
            run_line(&mut f, "scale deploy web --replicas=3")
                .unwrap()
                .text,
            "deployment.apps/web scaled\n"
        );
        assert_eq!(
            run_line(&mut f, "scale deployment/web --replicas 3")
                .unwrap()
                .text,
            "deployment.apps/web scaled\n"
        );
    }

    #[test]
    fn current_replicas_precondition() {
        let mut f = Fake::new();
        f.on(|r| match r.verb {
            Verb::Get => ok_json(json!({"spec": {"replicas": 2}})),
            _ => panic!("must not patch"),
        });
        let out = run_line(&mut f, "scale sts/db --replicas=3 --current-replicas=1").unwrap();
        assert!(out.is_error);
        assert!(out.text.contains("Expected replicas to be 1, was 2"));
    }

    #[test]
    fn scale_usage_errors() {
        let mut f = Fake::new();
        assert!(format!("{:?}", run_line(&mut f, "scale deploy web")).contains("replicas"));
        assert!(
            format!("{:?}", run_line(&mut f, "scale deploy web --replicas=-1"))
                .contains("invalid --replicas")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "scale deploy --replicas=1"))
                .contains("no name was specified")
        );
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "scale deploy -l app=x --replicas=1")
            )
            .contains("not supported yet")
        );
    }

    #[test]
    fn scale_dry_run() {
        let mut f = Fake::new();
        assert_eq!(
            run_line(&mut f, "scale deploy web --replicas=1 --dry-run=client")
                .unwrap()
                .text,
            "deployment.apps/web scaled (dry run)\n"
        );
        f.on(|r| {
            assert_eq!(r.query, vec![("dryRun".to_string(), "All".to_string())]);
            ok_json(json!({}))
        });
        assert_eq!(
            run_line(&mut f, "scale deploy web --replicas=1 --dry-run=server")
                .unwrap()
                .text,
            "deployment.apps/web scaled (server dry run)\n"
        );
    }
}
