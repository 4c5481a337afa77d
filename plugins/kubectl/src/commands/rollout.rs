//! `kubectl rollout status|restart|pause|resume TYPE/NAME` for deployments, stateful sets
//! and daemon sets. `status` checks once (kubectl's status viewers) instead of watching.
//! `history` and `undo` (deployments) are in [`super::history`].

use serde_json::{Value, json};

use super::common::{DryRun, namespace, refuse_flags, resolve};
use crate::targets::parse_targets;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, PatchType, ResourceInfo, Verb, get, i, kind_group,
    request, s, send_json, usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::time;

/// One status check: the message and whether the rollout is complete; `Err` when it failed.
pub fn status_message(kind: &str, obj: &Value) -> Result<(String, bool), String> {
    let name = s(obj, &["metadata", "name"]);
    let generation = i(obj, &["metadata", "generation"]).unwrap_or(0);
    let observed = i(obj, &["status", "observedGeneration"]).unwrap_or(0);
    let st = |k: &str| i(obj, &["status", k]).unwrap_or(0);
    match kind {
        "Deployment" => {
            if generation > observed {
                return Ok((
                    "Waiting for deployment spec update to be observed...".into(),
                    false,
                ));
            }
            let progressing = get(obj, &["status", "conditions"])
                .and_then(Value::as_array)
                .and_then(|c| c.iter().find(|c| s(c, &["type"]) == "Progressing"));
            if progressing.is_some_and(|c| s(c, &["reason"]) == "ProgressDeadlineExceeded") {
                return Err(format!(
                    "deployment \"{name}\" exceeded its progress deadline"
                ));
            }
            let desired = i(obj, &["spec", "replicas"]).unwrap_or(1);
            let (updated, total, available) = (
                st("updatedReplicas"),
                st("replicas"),
                st("availableReplicas"),
            );
            if updated < desired {
                return Ok((
                    format!(
                        "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {desired} new replicas have been updated..."
                    ),
                    false,
                ));
            }
            if total > updated {
                return Ok((
                    format!(
                        "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
                        total - updated
                    ),
                    false,
                ));
            }
            if available < updated {
                return Ok((
                    format!(
                        "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."
                    ),
                    false,
                ));
            }
            Ok((
                format!("deployment \"{name}\" successfully rolled out"),
                true,
            ))
        }
        "StatefulSet" => {
            let strategy = match s(obj, &["spec", "updateStrategy", "type"]) {
                "" => "RollingUpdate",
                x => x,
            };
            if strategy != "RollingUpdate" {
                return Err(
                    "rollout status is only available for RollingUpdate strategy type".into(),
                );
            }
            if observed == 0 || generation > observed {
                return Ok((
                    "Waiting for statefulset spec update to be observed...".into(),
                    false,
                ));
            }
            let desired = i(obj, &["spec", "replicas"]).unwrap_or(1);
            if st("readyReplicas") < desired {
                return Ok((
                    format!(
                        "Waiting for {} pods to be ready...",
                        desired - st("readyReplicas")
                    ),
                    false,
                ));
            }
            if let Some(partition) = i(
                obj,
                &["spec", "updateStrategy", "rollingUpdate", "partition"],
            ) {
                if st("updatedReplicas") < desired - partition {
                    return Ok((
                        format!(
                            "Waiting for partitioned roll out to finish: {} out of {} new pods have been updated...",
                            st("updatedReplicas"),
                            desired - partition
                        ),
                        false,
                    ));
                }
                return Ok((
                    format!(
                        "partitioned roll out complete: {} new pods have been updated...",
                        st("updatedReplicas")
                    ),
                    true,
                ));
            }
            let (update_rev, current_rev) = (
                s(obj, &["status", "updateRevision"]),
                s(obj, &["status", "currentRevision"]),
            );
            if update_rev != current_rev {
                return Ok((
                    format!(
                        "waiting for statefulset rolling update to complete {} pods at revision {update_rev}...",
                        st("updatedReplicas")
                    ),
                    false,
                ));
            }
            Ok((
                format!(
                    "statefulset rolling update complete {} pods at revision {current_rev}...",
                    st("currentReplicas")
                ),
                true,
            ))
        }
        "DaemonSet" => {
            let strategy = match s(obj, &["spec", "updateStrategy", "type"]) {
                "" => "RollingUpdate",
                x => x,
            };
            if strategy != "RollingUpdate" {
                return Err(
                    "rollout status is only available for RollingUpdate strategy type".into(),
                );
            }
            if generation > observed {
                return Ok((
                    "Waiting for daemon set spec update to be observed...".into(),
                    false,
                ));
            }
            let (desired, updated, available) = (
                st("desiredNumberScheduled"),
                st("updatedNumberScheduled"),
                st("numberAvailable"),
            );
            if updated < desired {
                return Ok((
                    format!(
                        "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated..."
                    ),
                    false,
                ));
            }
            if available < desired {
                return Ok((
                    format!(
                        "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available..."
                    ),
                    false,
                ));
            }
            Ok((
                format!("daemon set \"{name}\" successfully rolled out"),
                true,
            ))
        }
        other => Err(format!("no status viewer has been implemented for {other}")),
    }
}

fn rollout_target(p: &Parsed, api: &mut dyn Api) -> Result<(ResourceInfo, String), Failure> {
    let targets = parse_targets(&p.args[1..]).map_err(Failure::Usage)?;
    let (type_name, name) = match targets.as_slice() {
        [t] if t.names.len() == 1 => (t.type_name.clone(), t.names[0].clone()),
        _ => {
            return usage(
                "kubectl rollout needs exactly one object: TYPE/NAME or TYPE NAME, e.g. deployment/web",
            );
        }
    };
    let info = resolve(api, &type_name)?;
    if info.group != "apps"
        || !matches!(
            info.resource.as_str(),
            "deployments" | "statefulsets" | "daemonsets"
        )
    {
        return usage(format!(
            "kubectl rollout supports deployments, statefulsets and daemonsets, not {}",
            kind_group(&info)
        ));
    }
    Ok((info, name))
}

/// Runs `kubectl rollout`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            (
                "filename",
                "files cannot be read; name the object as TYPE/NAME",
            ),
            (
                "selector",
                "not supported yet; name the object as TYPE/NAME",
            ),
        ],
    )?;
    let Some(action) = p.args.first().map(String::as_str) else {
        return usage("kubectl rollout needs a subcommand: status, restart, pause or resume");
    };
    if !matches!(action, "status" | "restart" | "pause" | "resume") {
        return usage(format!(
            "kubectl rollout {action} is not supported yet; supported: status, restart, pause, resume, history, undo"
        ));
    }
    let (info, name) = rollout_target(p, api)?;
    let ns = namespace(p, ctx).to_string();
    if action == "status" {
        let obj = send_json(api, &request(Verb::Get, &info, Some(&ns), Some(&name)))?;
        return match status_message(&info.kind, &obj) {
            Ok((msg, true)) => Ok(Outcome::text(format!("{msg}\n"))),
            Ok((msg, false)) => Ok(Outcome::text(format!(
                "{msg}\n(checked once: kube-ai-proxy does not watch; run the command again to check the progress)\n"
            ))),
            Err(e) => Err(Failure::Message(format!("error: {e}"))),
        };
    }
    let dry = DryRun::from(p)?;
    let (patch, verb) = match action {
        "restart" => {
            let at = time::format_rfc3339(api.now());
            (
                json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": at}}}}}),
                "restarted",
            )
        }
        "pause" | "resume" => {
            if info.resource != "deployments" {
                return usage(format!(
                    "kubectl rollout {action} supports deployments only"
                ));
            }
            (
                json!({"spec": {"paused": action == "pause"}}),
                if action == "pause" {
                    "paused"
                } else {
                    "resumed"
                },
            )
        }
        _ => return usage(format!("kubectl rollout {action} is not supported yet")),
    };
    if dry != DryRun::Client {
        let mut req = request(Verb::Patch, &info, Some(&ns), Some(&name));
        req.patch_type = Some(PatchType::Merge);
        req.body = Some(patch.to_string());
        req.query.extend(dry.query());
        api.send(&req)?;
    }
    Ok(Outcome::text(format!(
        "{}/{name} {verb}{}\n",
        kind_group(&info),
        dry.suffix()
    )))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use super::*;

    #[test]
    fn deployment_status() {
        let d = |generation: i64, obs: i64, spec: i64, upd: i64, tot: i64, avail: i64| {
            json!({"metadata": {"name": "web", "generation": generation}, "spec": {"replicas": spec},
                "status": {"observedGeneration": obs, "updatedReplicas": upd, "replicas": tot, "availableReplicas": avail}})
        };
        assert_eq!(
            status_message("Deployment", &d(2, 1, 3, 3, 3, 3))
                .unwrap()
                .0,
            "Waiting for deployment spec update to be observed..."
        );
        assert_eq!(
            status_message("Deployment", &d(1, 1, 3, 1, 3, 1))
                .unwrap()
                .0,
            "Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated..."
        );
        assert_eq!(
            status_message("Deployment", &d(1, 1, 3, 3, 4, 3))
                .unwrap()
                .0,
            "Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination..."
        );
        assert_eq!(
            status_message("Deployment", &d(1, 1, 3, 3, 3, 1))
                .unwrap()
                .0,
            "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available..."
        );
        assert_eq!(
            status_message("Deployment", &d(1, 1, 3, 3, 3, 3)).unwrap(),
            (
                "deployment \"web\" successfully rolled out".to_string(),
                true
            )
        );
        let stuck = json!({"metadata": {"name": "web"}, "status": {"conditions": [{"type": "Progressing", "reason": "ProgressDeadlineExceeded"}]}});
        assert!(
            status_message("Deployment", &stuck)
                .unwrap_err()
                .contains("exceeded its progress deadline")
        );
    }

    #[test]
    fn statefulset_and_daemonset_status() {
        let sts = json!({"metadata": {"name": "db", "generation": 1}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 1, "readyReplicas": 2, "currentReplicas": 2, "updateRevision": "r1", "currentRevision": "r1"}});
        assert_eq!(
            status_message("StatefulSet", &sts).unwrap().0,
            "statefulset rolling update complete 2 pods at revision r1..."
        );
        let ds = json!({"metadata": {"name": "agent", "generation": 1},
            "status": {"observedGeneration": 1, "desiredNumberScheduled": 3, "updatedNumberScheduled": 3, "numberAvailable": 2}});
        assert_eq!(
            status_message("DaemonSet", &ds).unwrap().0,
            "Waiting for daemon set \"agent\" rollout to finish: 2 of 3 updated pods are available..."
        );
        assert!(
            status_message(
                "DaemonSet",
                &json!({"spec": {"updateStrategy": {"type": "OnDelete"}}})
            )
            .is_err()
        );
    }

    #[test]
    fn status_command_and_restart() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.resource, "deployments");
            ok_json(json!({"metadata": {"name": "web"}, "spec": {"replicas": 2}, "status": {"updatedReplicas": 1}}))
        });
        let out = run_line(&mut f, "rollout status deployment/web").unwrap();
        assert!(
            out.text
                .starts_with("Waiting for deployment \"web\" rollout to finish: 1 out of 2")
        );
        assert!(out.text.contains("checked once"));
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.verb, Verb::Patch));
            assert_eq!(
                r.body.as_deref(),
                Some(r#"{"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2024-05-01T12:00:00Z"}}}}}"#)
            );
            ok_json(json!({}))
        });
        assert_eq!(
            run_line(&mut f, "rollout restart deploy web").unwrap().text,
            "deployment.apps/web restarted\n"
        );
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "rollout restart pod/x"))
                .contains("supports deployments")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "rollout frobnicate deploy/x"))
                .contains("not supported yet")
        );
    }
}
