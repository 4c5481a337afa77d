//! `kubectl logs POD` / `pod/POD`: a GET of the `pods/log` subresource as text.
//!
//! `--grep PATTERN` (an extension: kubectl has none) keeps the lines that match a regular
//! expression. It applies to what the server returned, so after `--tail`, `--since` and
//! `--limit-bytes`: `logs web --tail=100 --grep=ERROR` is `kubectl logs web --tail=100 |
//! grep -E ERROR` (the errors among the last 100 lines). A log longer than the answer budget
//! (`K8S_MCP_MAX_OUTPUT`) keeps its last lines, the most recent, and ends with a note that
//! says how to narrow it (`--tail`, `--since`, `--grep`); with output filters (`| grep`) the
//! whole log goes to the filters.

use regex::{Regex, RegexBuilder};
use serde_json::Value;

use super::common::{namespace, refuse_flags};
use crate::targets::validate_name;
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, Outcome, OutputFormat, Verb, arr, core, request, s, send_json,
    usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::time;

/// kubectl's choice of container when `-c` is absent: the
/// `kubectl.kubernetes.io/default-container` annotation, else the first container.
/// Returns the container and, when the pod has several, kubectl's notice.
pub fn default_container(pod: &Value) -> Option<(String, Option<String>)> {
    let names: Vec<&str> = arr(pod, &["spec", "containers"])
        .iter()
        .map(|c| s(c, &["name"]))
        .collect();
    let annotated = s(
        pod,
        &[
            "metadata",
            "annotations",
            "kubectl.kubernetes.io/default-container",
        ],
    );
    if !annotated.is_empty() && names.contains(&annotated) {
        return Some((annotated.to_string(), None));
    }
    let first = names.first()?.to_string();
    if names.len() == 1 && arr(pod, &["spec", "initContainers"]).is_empty() {
        return Some((first, None));
    }
    let mut all: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    all.extend(
        arr(pod, &["spec", "initContainers"])
            .iter()
            .map(|c| format!("{} (init)", s(c, &["name"]))),
    );
    if all.len() == 1 {
        return Some((first, None));
    }
    let note = format!("Defaulted container \"{first}\" out of: {}", all.join(", "));
    Some((first, Some(note)))
}

/// Builds the `pods/log` query from the flags.
pub fn log_query(p: &Parsed, container: Option<&str>) -> Result<Vec<(String, String)>, Failure> {
    let mut q = Vec::new();
    if let Some(c) = container {
        q.push(("container".to_string(), c.to_string()));
    }
    if let Some(t) = p.value("tail") {
        let n: i64 = t.parse().map_err(|_| {
            Failure::Usage(format!("invalid --tail {t:?}: a number of lines is needed"))
        })?;
        if n >= 0 {
            q.push(("tailLines".to_string(), n.to_string()));
        }
    }
    if p.bool("previous") {
        q.push(("previous".to_string(), "true".to_string()));
    }
    if let Some(d) = p.value("since") {
        if p.given("since-time") {
            return usage("at most one of --since-time or --since may be specified");
        }
        let secs = time::parse_duration_secs(d).ok_or_else(|| {
            Failure::Usage(format!(
                "invalid --since {d:?}: use a duration like 30s, 5m or 2h"
            ))
        })?;
        q.push(("sinceSeconds".to_string(), secs.to_string()));
    }
    if let Some(t) = p.value("since-time") {
        if time::parse_rfc3339(t).is_none() {
            return usage(format!(
                "invalid --since-time {t:?}: use an RFC3339 time like 2024-05-01T12:00:00Z"
            ));
        }
        q.push(("sinceTime".to_string(), t.to_string()));
    }
    if p.bool("timestamps") {
        q.push(("timestamps".to_string(), "true".to_string()));
    }
    if let Some(b) = p.value("limit-bytes") {
        let n: u64 = b
            .parse()
            .map_err(|_| Failure::Usage(format!("invalid --limit-bytes {b:?}")))?;
        q.push(("limitBytes".to_string(), n.to_string()));
    }
    Ok(q)
}

/// Reads `--grep`: a regular expression in Rust's `regex` syntax (close to `grep -E`; `(?i)`
/// for any case), bounded in size like the `| grep` filter.
fn grep_pattern(p: &Parsed) -> Result<Option<Regex>, Failure> {
    let Some(pattern) = p.value("grep") else {
        return Ok(None);
    };
    RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
        .map(Some)
        .map_err(|e| Failure::Usage(format!("invalid --grep {pattern:?}: {e}")))
}

/// Cuts a log longer than `budget` to its last lines (the most recent) and ends it with a note
/// that says so and how to narrow the request.
fn fit_log(text: String, budget: usize) -> String {
    if text.len() <= budget {
        return text;
    }
    let total = text.lines().count();
    let room = budget.saturating_sub(250 + budget / 100);
    let mut start = text.len().saturating_sub(room);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    // Start on a whole line when one begins in the part kept.
    if start > 0
        && text.as_bytes()[start - 1] != b'\n'
        && let Some(nl) = text[start..].find('\n')
        && start + nl + 1 < text.len()
    {
        start += nl + 1;
    }
    let kept = &text[start..];
    format!(
        "{kept}{}(log cut to fit the answer budget of {budget} characters (K8S_MCP_MAX_OUTPUT): showing the last {} of {total} lines; narrow it with --tail=N, --since=DURATION (e.g. 10m) or --grep=PATTERN)\n",
        if kept.ends_with('\n') { "" } else { "\n" },
        kept.lines().count(),
    )
}

/// Runs `kubectl logs`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            (
                "follow",
                "a tool call returns one answer; use --tail or --since to bound the output",
            ),
            ("selector", "not supported yet; name the pod"),
        ],
    )?;
    let pod_name = match p.args.as_slice() {
        [pod] | [pod, _] => match pod.split_once('/') {
            Some(("pod" | "pods" | "po", n)) => n.to_string(),
            Some((t, _)) => {
                return usage(format!(
                    "kubectl logs {t}/NAME is not supported yet: name the pod (find it with `kubectl get pods -l <selector>`)"
                ));
            }
            None => pod.clone(),
        },
        [] => return usage("kubectl logs needs a pod name: kubectl logs POD [-c CONTAINER]"),
        _ => {
            return usage(
                "kubectl logs takes one pod and optionally one container: kubectl logs POD [CONTAINER]",
            );
        }
    };
    validate_name(&pod_name).map_err(Failure::Usage)?;
    // Check the flags before any request.
    log_query(p, None)?;
    let grep = grep_pattern(p)?;
    let ns = namespace(p, ctx).to_string();
    let pods = core("pods", "Pod", true);
    let mut container = p
        .value("container")
        .map(str::to_string)
        .or_else(|| p.args.get(1).cloned());
    let mut note = None;
    let mut all_containers = Vec::new();
    if p.bool("all-containers") {
        let pod = send_json(api, &request(Verb::Get, &pods, Some(&ns), Some(&pod_name)))?;
        for key in ["initContainers", "containers", "ephemeralContainers"] {
            all_containers.extend(
                arr(&pod, &["spec", key])
                    .iter()
                    .map(|c| s(c, &["name"]).to_string()),
            );
        }
    } else if container.is_none() {
        // Like kubectl, look at the pod to pick the container; if it cannot be read, let the
        // server decide (it answers with the list of containers when one must be chosen).
        if let Ok(pod) = send_json(api, &request(Verb::Get, &pods, Some(&ns), Some(&pod_name)))
            && let Some((c, n)) = default_container(&pod)
        {
            container = Some(c);
            note = n;
        }
    }
    let mut text = String::new();
    if let Some(n) = &note {
        text.push_str(n);
        text.push('\n');
    }
    let targets: Vec<Option<String>> = if all_containers.is_empty() {
        vec![container]
    } else {
        all_containers.into_iter().map(Some).collect()
    };
    for c in &targets {
        if let Some(c) = c {
            validate_name(c).map_err(Failure::Usage)?;
        }
        let mut req = request(Verb::Get, &pods, Some(&ns), Some(&pod_name));
        req.subresource = Some("log".into());
        req.output = OutputFormat::Text;
        req.query = log_query(p, c.as_deref())?;
        let body = api.send(&req)?.body;
        let prefix = p
            .bool("prefix")
            .then(|| format!("[pod/{pod_name}/{}] ", c.as_deref().unwrap_or("")));
        if prefix.is_none() && grep.is_none() {
            text.push_str(&body);
            continue;
        }
        for line in body.lines() {
            if grep.as_ref().is_some_and(|re| !re.is_match(line)) {
                continue;
            }
            text.push_str(prefix.as_deref().unwrap_or(""));
            text.push_str(line);
            text.push('\n');
        }
    }
    if ctx.filtered {
        return Ok(Outcome::text(text));
    }
    Ok(Outcome::text(fit_log(text, ctx.budget())))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, ok_text, run_line};
    use super::*;
    use serde_json::json;

    #[test]
    fn logs_request() {
        let mut f = Fake::new();
        f.on(|r| {
            if r.subresource.is_none() {
                return ok_json(
                    json!({"spec": {"containers": [{"name": "app"}, {"name": "sidecar"}]}}),
                );
            }
            assert_eq!(r.subresource.as_deref(), Some("log"));
            assert!(matches!(r.output, OutputFormat::Text));
            assert_eq!(r.name.as_deref(), Some("web-1"));
            assert_eq!(r.namespace.as_deref(), Some("prod"));
            assert_eq!(
                r.query,
                vec![
                    ("container".to_string(), "app".to_string()),
                    ("tailLines".to_string(), "20".to_string()),
                    ("previous".to_string(), "true".to_string()),
                    ("sinceSeconds".to_string(), "300".to_string()),
                ]
            );
            ok_text("line 1\nline 2\n")
        });
        let out = run_line(&mut f, "logs pod/web-1 -n prod --tail=20 -p --since 5m").unwrap();
        assert_eq!(
            out.text,
            "Defaulted container \"app\" out of: app, sidecar\nline 1\nline 2\n"
        );
    }

    #[test]
    fn explicit_container_skips_lookup() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.subresource.as_deref(), Some("log"));
            assert_eq!(r.query, vec![("container".to_string(), "c".to_string())]);
            ok_text("x\n")
        });
        assert_eq!(
            run_line(&mut f, "logs web -c c --tail -1").unwrap().text,
            "x\n"
        );
        assert_eq!(f.requests.len(), 1);
    }

    #[test]
    fn refusals() {
        let mut f = Fake::new();
        assert!(
            format!("{:?}", run_line(&mut f, "logs -f web")).contains("--follow is not supported")
        );
        assert!(format!("{:?}", run_line(&mut f, "logs deploy/web")).contains("not supported yet"));
        assert!(format!("{:?}", run_line(&mut f, "logs")).contains("needs a pod name"));
        assert!(
            format!("{:?}", run_line(&mut f, "logs web --since=5x")).contains("invalid --since")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "logs web --tail=abc")).contains("invalid --tail")
        );
    }

    #[test]
    fn grep_keeps_matching_lines_after_tail() {
        let mut f = Fake::new();
        f.on(|r| {
            // --tail is the server's; --grep is applied to what it returns.
            assert_eq!(
                r.query,
                vec![
                    ("container".to_string(), "c".to_string()),
                    ("tailLines".to_string(), "4".to_string()),
                ]
            );
            ok_text("GET /a 200\nGET /b 500\nPOST /c 500\nGET /d 200\n")
        });
        let out = run_line(&mut f, "logs web -c c --tail=4 --grep ' 5[0-9]{2}$'").unwrap();
        assert_eq!(out.text, "GET /b 500\nPOST /c 500\n");
        let out = run_line(&mut f, "logs web -c c --tail=4 --grep='(?i)^get' --prefix").unwrap();
        assert_eq!(
            out.text,
            "[pod/web/c] GET /a 200\n[pod/web/c] GET /b 500\n[pod/web/c] GET /d 200\n"
        );
        let out = run_line(&mut f, "logs web -c c --tail=4 --grep=nothing").unwrap();
        assert_eq!(out.text, "");
        let n = f.requests.len();
        let e = run_line(&mut f, "logs web -c c --grep='('").unwrap_err();
        assert!(format!("{e:?}").contains("invalid --grep"), "{e:?}");
        assert_eq!(f.requests.len(), n, "checked before any request");
    }

    #[test]
    fn long_logs_keep_their_last_lines_and_say_how_to_narrow() {
        let log: String = (0..1000)
            .map(|i| format!("line {i:04} {}\n", "x".repeat(40)))
            .collect();
        let mut f = Fake::new();
        f.ctx.max_output_chars = 5000;
        let body = log.clone();
        f.on(move |_| ok_text(&body));
        let out = run_line(&mut f, "logs web -c c").unwrap();
        assert!(out.text.len() <= 5000, "{}", out.text.len());
        let (kept, note) = out.text.trim_end().rsplit_once('\n').unwrap();
        assert!(log.ends_with(&format!("{kept}\n")), "whole last lines");
        assert!(kept.starts_with("line "));
        let shown = kept.lines().count();
        assert_eq!(
            note,
            format!(
                "(log cut to fit the answer budget of 5000 characters (K8S_MCP_MAX_OUTPUT): showing the last {shown} of 1000 lines; narrow it with --tail=N, --since=DURATION (e.g. 10m) or --grep=PATTERN)"
            )
        );
        // Output filters get the whole log.
        let ctx = f.ctx.clone();
        let out = crate::tool::call(
            "execute_kubectl",
            &json!({"command": "logs web -c c | wc -l"}).to_string(),
            ctx,
            &mut f,
        )
        .unwrap();
        assert_eq!(out.text, "1000\n");
        assert_eq!(fit_log("short\n".into(), 10), "short\n");
    }

    #[test]
    fn default_container_rules() {
        let pod = json!({"metadata": {"annotations": {"kubectl.kubernetes.io/default-container": "b"}}, "spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        assert_eq!(default_container(&pod), Some(("b".to_string(), None)));
        let pod = json!({"spec": {"containers": [{"name": "a"}]}});
        assert_eq!(default_container(&pod), Some(("a".to_string(), None)));
        assert_eq!(default_container(&json!({})), None);
    }
}
