//! What the arguments of `get`, `describe`, `delete`, ... name, following kubectl's
//! `ResourceTypeOrNameArgs`: either `TYPE[,TYPE...] [NAME...]` or only `TYPE/NAME` words.
//! Object names and namespaces are also checked here, so nothing that could change the
//! shape of a URL path (`/`, `..`, `%`, `?`) reaches the host.

/// One resource type and the names asked for (none: every object of the type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The type as typed (`po`, `deployments.apps`, `Pod`); resolved by the host.
    pub type_name: String,
    /// The object names asked for, in order; empty for every object of the type.
    pub names: Vec<String>,
}

/// Parses `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME [TYPE/NAME...]`. Types named twice are
/// merged, in the order they first appear.
pub fn parse_targets(args: &[String]) -> Result<Vec<Target>, String> {
    let mut out: Vec<Target> = Vec::new();
    if args.iter().any(|a| a.contains('/')) {
        for a in args {
            let Some((t, n)) = a.split_once('/') else {
                return Err(format!(
                    "there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'): found {a:?}"
                ));
            };
            if t.is_empty() || n.is_empty() {
                return Err(format!(
                    "arguments in resource/name form must have a single resource and name: {a:?}"
                ));
            }
            validate_name(n)?;
            match out.iter_mut().find(|x| x.type_name == t) {
                Some(x) => {
                    if !x.names.iter().any(|m| m == n) {
                        x.names.push(n.to_string());
                    }
                }
                None => out.push(Target {
                    type_name: t.to_string(),
                    names: vec![n.to_string()],
                }),
            }
        }
        return Ok(out);
    }
    let Some((types, names)) = args.split_first() else {
        return Ok(out);
    };
    for n in names {
        validate_name(n)?;
    }
    for t in types.split(',') {
        if t.is_empty() {
            return Err(format!("invalid resource type list {types:?}: empty type"));
        }
        if !out.iter().any(|x| x.type_name == t) {
            out.push(Target {
                type_name: t.to_string(),
                names: names.to_vec(),
            });
        }
    }
    Ok(out)
}

/// Refuses object names that no Kubernetes object can have and that could change a URL path.
pub fn validate_name(n: &str) -> Result<(), String> {
    if n.is_empty()
        || n == "."
        || n == ".."
        || n.chars().any(|c| {
            c == '/' || c == '%' || c == '?' || c == '#' || c.is_whitespace() || c.is_control()
        })
    {
        return Err(format!("invalid object name {n:?}"));
    }
    Ok(())
}

/// Refuses namespaces that are not DNS labels (RFC 1123), as the API server would.
pub fn validate_namespace(ns: &str) -> Result<(), String> {
    let ok = !ns.is_empty()
        && ns.len() <= 63
        && ns
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !ns.starts_with('-')
        && !ns.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid namespace {ns:?}: a namespace is a DNS label (a-z, 0-9, '-')"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(args: &[&str]) -> Result<Vec<Target>, String> {
        parse_targets(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn target(ty: &str, names: &[&str]) -> Target {
        Target {
            type_name: ty.into(),
            names: names.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn types_and_names() {
        assert_eq!(t(&["pods"]).unwrap(), [target("pods", &[])]);
        assert_eq!(
            t(&["pods,svc"]).unwrap(),
            [target("pods", &[]), target("svc", &[])]
        );
        assert_eq!(
            t(&["pods", "a", "b"]).unwrap(),
            [target("pods", &["a", "b"])]
        );
        assert_eq!(
            t(&["po,svc", "a"]).unwrap(),
            [target("po", &["a"]), target("svc", &["a"])]
        );
        assert!(t(&[]).unwrap().is_empty());
        assert!(t(&["pods,", "a"]).is_err());
    }

    #[test]
    fn slash_form() {
        assert_eq!(
            t(&["pod/web-1", "deploy/web", "pod/web-2"]).unwrap(),
            [
                target("pod", &["web-1", "web-2"]),
                target("deploy", &["web"])
            ]
        );
        assert!(
            t(&["pods", "pod/web"])
                .unwrap_err()
                .contains("no need to specify a resource type")
        );
        assert!(t(&["pod/"]).is_err());
        assert!(t(&["/web"]).is_err());
        assert!(t(&["pod/a/b"]).is_err());
        assert!(t(&["pod/.."]).is_err());
    }

    #[test]
    fn names_are_checked() {
        assert!(t(&["pods", "../secrets"]).is_err());
        assert!(t(&["pods", "a%2fb"]).is_err());
        assert!(t(&["pods", "a?x=1"]).is_err());
        assert!(t(&["pods", ""]).is_err());
        assert!(t(&["pods", "web-1.example"]).is_ok());
    }

    #[test]
    fn namespaces_are_checked() {
        assert!(validate_namespace("kube-system").is_ok());
        assert!(validate_namespace("../x").is_err());
        assert!(validate_namespace("").is_err());
        assert!(validate_namespace("A").is_err());
        assert!(validate_namespace("-a").is_err());
    }
}
