//! `kubectl auth can-i VERB TYPE[/NAME] [NAME]`: an access review through the host, which
//! also says whether its policy would let this plugin do it.

use serde_json::json;

use super::common::{namespace, resolve};
use crate::targets::validate_name;
use kap_sdk::api::{Api, CmdResult, Ctx, Failure, Outcome, Verb, usage};
use kap_sdk::cli::Parsed;

/// Maps an RBAC verb to the WIT verb; `watch` and the others a tool cannot use are refused.
pub fn verb(v: &str) -> Result<Verb, Failure> {
    Ok(match v {
        "get" => Verb::Get,
        "list" => Verb::List,
        "create" => Verb::Create,
        "update" => Verb::Update,
        "patch" => Verb::Patch,
        "delete" => Verb::Delete,
        "deletecollection" => Verb::DeleteCollection,
        "watch" => {
            return usage(
                "can-i watch is not supported: a tool call returns one answer, so watch is never used",
            );
        }
        other => {
            return usage(format!(
                "can-i {other} is not supported: ask about get, list, create, update, patch, delete or deletecollection"
            ));
        }
    })
}

/// Runs `kubectl auth can-i`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    match p.args.first().map(String::as_str) {
        Some("can-i") => {}
        Some(other) => {
            return usage(format!(
                "kubectl auth {other} is not supported yet; only `auth can-i` is"
            ));
        }
        None => return usage("kubectl auth needs a subcommand: can-i"),
    }
    if p.bool("list") {
        return usage(
            "kubectl auth can-i --list is not supported yet; ask about one verb and resource",
        );
    }
    let (v, target, extra_name) = match &p.args[1..] {
        [v, t] => (v, t, None),
        [v, t, n] => (v, t, Some(n.clone())),
        _ => {
            return usage(
                "usage: kubectl auth can-i VERB TYPE[/NAME] [NAME] [-n NAMESPACE] [--subresource=SUB]",
            );
        }
    };
    if target.starts_with('/') {
        return usage("non-resource URLs are not supported by can-i here; ask about a resource");
    }
    let verb = verb(v)?;
    let (type_name, name) = match target.split_once('/') {
        Some((t, n)) => {
            if extra_name.is_some() {
                return usage(
                    "give the name either as TYPE/NAME or as a separate argument, not both",
                );
            }
            (t.to_string(), Some(n.to_string()))
        }
        None => (target.clone(), extra_name),
    };
    if let Some(n) = &name {
        validate_name(n).map_err(Failure::Usage)?;
    }
    if let Some(sr) = p.value("subresource")
        && (sr.is_empty() || !sr.bytes().all(|b| b.is_ascii_lowercase()))
    {
        return usage(format!(
            "invalid --subresource {sr:?}: a subresource is a lowercase word such as log or scale"
        ));
    }
    let (group, resource, namespaced) = if type_name == "*" {
        (String::new(), "*".to_string(), true)
    } else {
        let info = resolve(api, &type_name)?;
        (info.group, info.resource, info.namespaced)
    };
    let ns = if p.bool("all-namespaces") || !namespaced {
        None
    } else {
        Some(namespace(p, ctx).to_string())
    };
    let review = api.can_i(
        verb,
        &group,
        &resource,
        p.value("subresource"),
        ns.as_deref(),
        name.as_deref(),
    )?;
    let mut text = if review.allowed {
        "yes\n".to_string()
    } else {
        "no\n".to_string()
    };
    if !review.allowed && !review.reason.is_empty() {
        text.push_str(&review.reason);
        text.push('\n');
    }
    Ok(Outcome {
        text,
        structured: Some(json!({"allowed": review.allowed, "reason": review.reason})),
        is_error: false,
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, run_line};
    use kap_sdk::api::AccessReview;

    #[test]
    fn can_i() {
        let mut f = Fake::new();
        assert_eq!(
            run_line(&mut f, "auth can-i list pods").unwrap().text,
            "yes\n"
        );
        f.can_i = Some(AccessReview {
            allowed: false,
            reason: "policy forbids deleting nodes".into(),
        });
        assert_eq!(
            run_line(&mut f, "auth can-i delete nodes/n1").unwrap().text,
            "no\npolicy forbids deleting nodes\n"
        );
        assert!(
            format!("{:?}", run_line(&mut f, "auth can-i watch pods"))
                .contains("watch is not supported")
        );
        assert!(format!("{:?}", run_line(&mut f, "auth whoami")).contains("not supported yet"));
        assert!(format!("{:?}", run_line(&mut f, "auth can-i get")).contains("usage"));
        assert!(
            format!(
                "{:?}",
                run_line(&mut f, "auth can-i get pods --subresource=../x")
            )
            .contains("invalid --subresource")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "auth can-i get pods/../x"))
                .contains("invalid object name")
        );
    }
}
