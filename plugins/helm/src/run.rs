//! Running a parsed helm command through the host's `process` capability: chart sources
//! checked against the grant, values passed as a file, a preview and an approval for runs
//! that delete or replace objects, and helm's output redacted on its way to the model.

use kap_sdk::serde_json::{self, Value, json};
use kap_sdk::{
    Api, Approval, ApprovedRequest, ProcessError, ProcessGrant, RunOutput, RunRequest, ToolOutput,
    Verb, kinds,
};

use crate::cli::Command;
use crate::redact;

/// Prefix of helm's release records (Secrets `sh.helm.release.v1.NAME.vN`).
const RELEASE_PREFIX: &str = "sh.helm.release.v1.";

/// Most objects listed one by one in a preview.
const PREVIEW_OBJECTS: usize = 200;

/// What a call needs besides the command.
pub struct Call<'a> {
    /// The effective process grant (`call-context.process`).
    pub grant: &'a ProcessGrant,
    /// The namespace the command acts in.
    pub namespace: String,
    /// The `values` argument (YAML), if any.
    pub values: Option<String>,
    /// The run's deadline in milliseconds.
    pub timeout_ms: u64,
}

/// Checks a chart reference against the grant: an absolute path (no `..`) under one of
/// `read_dirs`; `http(s)://` or `oci://` under one of `urls`; with `--repo URL`, a chart name.
/// `file://`, relative paths and bare `repo/chart` references are refused (the child's
/// working directory is an empty scratch directory and no repositories are configured).
pub fn check_chart(chart: &str, repo: Option<&str>, grant: &ProcessGrant) -> Result<(), String> {
    if let Some(url) = repo {
        check_url(url, grant)?;
        if chart.contains('/') {
            return Err(format!(
                "with --repo, the chart is a name in that repository, not {chart:?}"
            ));
        }
        return Ok(());
    }
    if chart.starts_with("file://") {
        return Err(format!(
            "chart {chart:?}: file:// references are refused; give an absolute path under the granted read_dirs"
        ));
    }
    if chart.contains("://") {
        return check_url(chart, grant);
    }
    if chart.starts_with('/') {
        if chart.split('/').any(|c| c == "..") {
            return Err(format!("chart path {chart:?} contains `..`: refused"));
        }
        let ok = grant.read_dirs.iter().any(|d| {
            let d = d.trim_end_matches('/');
            chart == d || chart.starts_with(&format!("{d}/"))
        });
        if !ok {
            return Err(format!(
                "chart path {chart:?} is not under the granted read_dirs {:?}",
                grant.read_dirs
            ));
        }
        return Ok(());
    }
    if chart.split('/').count() == 2 && !chart.starts_with('.') {
        return Err(format!(
            "chart {chart:?} is a repository reference (repo/chart), but this server configures no repositories: use `NAME --repo URL` with a granted URL ({:?}) or an absolute path under the granted read_dirs ({:?})",
            grant.urls, grant.read_dirs
        ));
    }
    Err(format!(
        "chart {chart:?}: give an absolute path under the granted read_dirs ({:?}), or `NAME --repo URL` with a granted URL ({:?})",
        grant.read_dirs, grant.urls
    ))
}

/// Whether `url` is `prefix` or lies under it: the prefix ends with `/`, or the URL goes on
/// with `/`, `?` or `#` (so `http://h:80` does not admit `http://h:8080/` or
/// `http://h:80@evil/`).
fn url_under(url: &str, prefix: &str) -> bool {
    if prefix.is_empty() {
        return false;
    }
    match url.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with(['/', '?', '#']),
        None => false,
    }
}

fn check_url(url: &str, grant: &ProcessGrant) -> Result<(), String> {
    if url.starts_with("file://") {
        return Err(format!("{url:?}: file:// URLs are refused"));
    }
    if grant.urls.iter().any(|u| url_under(url, u)) {
        Ok(())
    } else {
        Err(format!(
            "URL {url:?} is not under the granted urls {:?}",
            grant.urls
        ))
    }
}

/// One object of a rendered manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// API group (`""` for core).
    pub group: String,
    /// The kind.
    pub kind: String,
    /// The plural resource: the built-in kinds table's, else the kind in lowercase plus `s`.
    pub resource: String,
    /// The namespace (`None` for cluster-scoped kinds).
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl Object {
    /// `Kind namespace/name` (or `Kind name`).
    pub fn label(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }
}

/// The objects of a multi-document manifest, namespaced ones in `namespace` unless they
/// name their own. Documents that are not objects are skipped.
pub fn objects(manifest: &str, namespace: &str) -> Vec<Object> {
    let mut out = Vec::new();
    for doc in manifest.split("\n---") {
        let Ok(v) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(doc) else {
            continue;
        };
        let s = |p: &[&str]| {
            let mut cur = &v;
            for k in p {
                cur = cur.get(*k)?;
            }
            cur.as_str().map(str::to_string)
        };
        let (Some(api_version), Some(kind), Some(name)) =
            (s(&["apiVersion"]), s(&["kind"]), s(&["metadata", "name"]))
        else {
            continue;
        };
        let group = api_version
            .rsplit_once('/')
            .map(|(g, _)| g.to_string())
            .unwrap_or_default();
        let known = kinds::by_kind(&group, &kind);
        let namespaced = known.is_none_or(|k| k.namespaced);
        out.push(Object {
            resource: known
                .map(|k| k.plural.to_string())
                .unwrap_or_else(|| format!("{}s", kind.to_ascii_lowercase())),
            namespace: namespaced
                .then(|| s(&["metadata", "namespace"]).unwrap_or_else(|| namespace.to_string())),
            group,
            kind,
            name,
        });
    }
    out
}

fn approved(o: &Object, verb: Verb) -> ApprovedRequest {
    ApprovedRequest {
        verb,
        group: o.group.clone(),
        resource: o.resource.clone(),
        namespace: o.namespace.clone(),
        name: Some(o.name.clone()),
    }
}

/// helm's release records of `release` in `namespace`, for `verbs`.
fn release_records(release: &str, namespace: &str, verbs: &[Verb]) -> Vec<ApprovedRequest> {
    verbs
        .iter()
        .map(|v| ApprovedRequest {
            verb: *v,
            group: String::new(),
            resource: "secrets".into(),
            namespace: Some(namespace.to_string()),
            name: Some(format!("{RELEASE_PREFIX}{release}.v*")),
        })
        .collect()
}

/// Runs helm with `args`; with `values`, the values file `values.yaml` in its scratch
/// directory and `--values=values.yaml` (values files come before `--set` flags in helm's
/// precedence either way).
fn spawn(
    api: &mut dyn Api,
    call: &Call<'_>,
    mut args: Vec<String>,
    values: Option<&str>,
    approval: Option<Approval>,
) -> Result<RunOutput, ProcessError> {
    let mut files = Vec::new();
    if let Some(v) = values {
        files.push(("values.yaml".to_string(), v.as_bytes().to_vec()));
        args.push("--values=values.yaml".into());
    }
    api.run_process(&RunRequest {
        program: "helm".into(),
        args,
        stdin: None,
        files,
        timeout_ms: call.timeout_ms,
        approval,
    })
}

/// Runs helm with `args` and the call's values file, when it has one.
fn helm(
    api: &mut dyn Api,
    call: &Call<'_>,
    args: Vec<String>,
    approval: Option<Approval>,
) -> Result<RunOutput, ProcessError> {
    spawn(api, call, args, call.values.as_deref(), approval)
}

/// A read-only helm run for a preview; `Err` is the message to return.
fn read(api: &mut dyn Api, call: &Call<'_>, args: Vec<String>) -> Result<Option<String>, String> {
    let run = spawn(api, call, args, None, None).map_err(|e| process_error(&e))?;
    Ok((run.exit_code == Some(0)).then_some(run.stdout))
}

/// The rendered manifest of `cmd` (an install or upgrade) with `helm template`, as helm
/// would apply it (same chart, values and flags).
fn render(api: &mut dyn Api, call: &Call<'_>, cmd: &Command) -> Result<String, String> {
    let mut t = cmd.clone();
    t.sub = "template";
    t.parsed.flags.retain(|(n, _)| {
        matches!(
            *n,
            "set"
                | "set-string"
                | "set-json"
                | "set-literal"
                | "version"
                | "repo"
                | "devel"
                | "skip-crds"
                | "skip-schema-validation"
                | "namespace"
                | "no-hooks"
        )
    });
    if cmd.sub == "upgrade" {
        t.parsed.flags.push(("is-upgrade", "true".into()));
    }
    let run = helm(api, call, t.argv(&call.namespace), None).map_err(|e| process_error(&e))?;
    if run.exit_code != Some(0) {
        return Err(format!(
            "helm template (for the preview) failed:\n{}",
            run.stderr.trim_end()
        ));
    }
    Ok(run.stdout)
}

fn diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    let (old, new) = (redact::manifests(old), redact::manifests(new));
    let d = similar::TextDiff::from_lines(&old, &new);
    let text = d
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string();
    if text.is_empty() {
        "(no change to the objects)".into()
    } else {
        text
    }
}

fn object_list(objs: &[Object]) -> String {
    let mut s: String = objs
        .iter()
        .take(PREVIEW_OBJECTS)
        .map(|o| format!("  {}\n", o.label()))
        .collect();
    if objs.len() > PREVIEW_OBJECTS {
        s.push_str(&format!("  … and {} more\n", objs.len() - PREVIEW_OBJECTS));
    }
    s
}

/// The approval of a run that changes a release: what the person sees and which requests
/// it covers. `Ok(None)`: the run needs none (a dry run, or a command that writes nothing).
pub fn approval(
    api: &mut dyn Api,
    call: &Call<'_>,
    cmd: &Command,
    normalized: &str,
) -> Result<Option<Approval>, String> {
    if !cmd.writes() {
        return Ok(None);
    }
    let ns = call.namespace.clone();
    let release = cmd.release().unwrap_or_default().to_string();
    let manifest_of = |api: &mut dyn Api, revision: Option<&str>| {
        let mut a = vec![
            "get".to_string(),
            "manifest".into(),
            release.clone(),
            format!("--namespace={ns}"),
        ];
        if let Some(r) = revision {
            a.push(format!("--revision={r}"));
        }
        read(api, call, a)
    };
    let all_writes = [Verb::Create, Verb::Update, Verb::Patch];
    match cmd.sub {
        "uninstall" => {
            let current = manifest_of(api, None)?.unwrap_or_default();
            let objs = objects(&current, &ns);
            let mut requests: Vec<ApprovedRequest> =
                objs.iter().map(|o| approved(o, Verb::Delete)).collect();
            requests.extend(release_records(
                &release,
                &ns,
                &[Verb::Delete, Verb::Update, Verb::Patch],
            ));
            let keep = if cmd.parsed.bool("keep-history") {
                " (the release history is kept)"
            } else {
                " and its release records"
            };
            Ok(Some(Approval {
                what: normalized.to_string(),
                preview: format!(
                    "helm uninstall {release} in namespace {ns} deletes {} object(s){keep}:\n{}",
                    objs.len(),
                    object_list(&objs)
                ),
                required: true,
                requests,
            }))
        }
        "rollback" => {
            let current = manifest_of(api, None)?.unwrap_or_default();
            let target_rev = match cmd.args.get(1) {
                Some(r) => r.clone(),
                None => previous_revision(api, call, &release)?,
            };
            let target = manifest_of(api, Some(&target_rev))?.ok_or_else(|| {
                format!("release {release} has no revision {target_rev} in namespace {ns}")
            })?;
            let (now, then) = (objects(&current, &ns), objects(&target, &ns));
            let mut requests = Vec::new();
            for o in now.iter().chain(then.iter()) {
                for v in [Verb::Create, Verb::Update, Verb::Patch, Verb::Delete] {
                    requests.push(approved(o, v));
                }
            }
            // Delete too: helm prunes release records beyond --history-max.
            requests.extend(release_records(
                &release,
                &ns,
                &[Verb::Create, Verb::Update, Verb::Patch, Verb::Delete],
            ));
            Ok(Some(Approval {
                what: normalized.to_string(),
                preview: format!(
                    "helm rollback {release} to revision {target_rev} in namespace {ns} changes the objects as follows:\n{}",
                    diff(
                        &current,
                        &target,
                        "current",
                        &format!("revision {target_rev}")
                    )
                ),
                required: true,
                requests,
            }))
        }
        "install" | "upgrade" => {
            let new = render(api, call, cmd)?;
            let current = if cmd.sub == "upgrade" {
                manifest_of(api, None)?.unwrap_or_default()
            } else {
                String::new()
            };
            let (before, after) = (objects(&current, &ns), objects(&new, &ns));
            let removed: Vec<Object> = before
                .iter()
                .filter(|o| {
                    !after
                        .iter()
                        .any(|n| n.kind == o.kind && n.name == o.name && n.namespace == o.namespace)
                })
                .cloned()
                .collect();
            let mut requests: Vec<ApprovedRequest> = Vec::new();
            for o in &after {
                for v in all_writes {
                    requests.push(approved(o, v));
                }
            }
            for o in &removed {
                requests.push(approved(o, Verb::Delete));
            }
            requests.extend(release_records(
                &release,
                &ns,
                &[Verb::Create, Verb::Update, Verb::Patch, Verb::Delete],
            ));
            let preview = if current.is_empty() {
                format!(
                    "helm {} {release} in namespace {ns} creates {} object(s):\n{}",
                    cmd.sub,
                    after.len(),
                    object_list(&after)
                )
            } else {
                let mut p = format!("helm upgrade {release} in namespace {ns}:\n");
                if !removed.is_empty() {
                    p.push_str(&format!(
                        "deletes {} object(s):\n{}",
                        removed.len(),
                        object_list(&removed)
                    ));
                }
                p.push_str(&diff(&current, &new, "current", "upgrade"));
                p
            };
            Ok(Some(Approval {
                what: normalized.to_string(),
                preview,
                required: !removed.is_empty(),
                requests,
            }))
        }
        _ => Ok(None),
    }
}

/// The revision before the current one (`helm history -o json`), as `helm rollback NAME`
/// without a revision picks it.
fn previous_revision(api: &mut dyn Api, call: &Call<'_>, release: &str) -> Result<String, String> {
    let out = read(
        api,
        call,
        vec![
            "history".into(),
            release.into(),
            "--output=json".into(),
            format!("--namespace={}", call.namespace),
        ],
    )?
    .ok_or_else(|| {
        format!(
            "release {release} not found in namespace {}",
            call.namespace
        )
    })?;
    let v: Value = serde_json::from_str(&out).unwrap_or(Value::Null);
    let revs: Vec<i64> = v
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["revision"].as_i64()).collect())
        .unwrap_or_default();
    match revs.len() {
        0 | 1 => Err(format!(
            "release {release} has no previous revision to roll back to"
        )),
        n => Ok(revs[n - 2].to_string()),
    }
}

/// A process error in words.
pub fn process_error(e: &ProcessError) -> String {
    match e {
        ProcessError::Denied((rule, reason)) => format!("Denied by policy rule {rule}: {reason}"),
        ProcessError::NotGranted(why) => format!("helm may not run here: {why}"),
        ProcessError::Timeout(ms) => format!(
            "Timeout: helm did not finish within {:.1} s; it and every process it started were killed",
            *ms as f64 / 1000.0
        ),
        ProcessError::OutputLimit(n) => {
            format!("helm wrote more than {n} bytes to one stream; it was stopped")
        }
        ProcessError::SpawnFailed(why) => format!("helm could not be started: {why}"),
    }
}

/// Redacts what helm printed for `cmd` in its table (text) form.
fn redact_output(cmd: &Command, text: &str) -> String {
    match (cmd.sub, cmd.mode.as_deref()) {
        ("get", Some("values")) => redact::values_text(text),
        ("get", Some("all")) => redact::values_text_in_all(text),
        _ => redact::manifests(text),
    }
}

/// helm's `-o json` or `-o yaml` output, parsed (keys in helm's order), redacted with
/// [`redact::document_tree`] and printed again in the same format; with it the JSON value for
/// the structured content (an array wrapped as `{"items": [...]}`). `None` when the output
/// does not parse (e.g. cut at the host's limit): it is then withheld, since `status -o json`
/// holds the release's values and manifest.
fn redacted_document(format: &str, stdout: &str) -> Option<(String, Value)> {
    let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(stdout).ok()?;
    redact::document_tree(&mut doc);
    let text = if format == "json" {
        let mut t = serde_json::to_string(&doc).ok()?;
        t.push('\n');
        t
    } else {
        serde_yaml_ng::to_string(&doc).ok()?
    };
    let v = match serde_json::to_value(&doc).ok()? {
        v @ Value::Object(_) => v,
        other => json!({ "items": other }),
    };
    Some((text, v))
}

/// Runs `cmd`: the preview and approval when it changes a release, then helm, then the
/// output: redacted (Secret data, credential-like values); `-o json|yaml` output is redacted
/// as a document and also given as structured content.
pub fn execute(api: &mut dyn Api, call: &Call<'_>, cmd: &Command, normalized: &str) -> ToolOutput {
    if let Some(chart) = cmd.chart()
        && let Err(e) = check_chart(chart, cmd.parsed.value("repo"), call.grant)
    {
        return ToolOutput::error(format!("Error: {e}"));
    }
    let approval = match approval(api, call, cmd, normalized) {
        Ok(a) => a,
        Err(e) => return ToolOutput::error(format!("Error: {e}")),
    };
    let run = match helm(api, call, cmd.argv(&call.namespace), approval) {
        Ok(r) => r,
        Err(e) => return ToolOutput::error(process_error(&e)),
    };
    let format = cmd
        .parsed
        .value("output")
        .filter(|o| matches!(*o, "json" | "yaml"));
    let (mut text, structured) = match format {
        None => (redact_output(cmd, &run.stdout), None),
        Some(_) if run.stdout.trim().is_empty() => (String::new(), None),
        Some(f) => match redacted_document(f, &run.stdout) {
            Some((t, v)) => (t, Some(v)),
            None => (
                format!(
                    "(helm's -o {f} output did not parse, so it is withheld: a release's values and manifests are redacted as a document; narrow the request or use the table output)\n"
                ),
                None,
            ),
        },
    };
    if run.truncated {
        text.push_str("\n… (helm's output was cut at the host's limit)\n");
    }
    if run.exit_code != Some(0) {
        let status = run
            .exit_code
            .map(|c| format!("status {c}"))
            .unwrap_or_else(|| "a signal".into());
        let mut msg = format!(
            "helm exited with {status}:\n{}",
            redact::manifests(run.stderr.trim_end())
        );
        if !text.trim().is_empty() {
            msg.push_str("\n\n");
            msg.push_str(&text);
        }
        return ToolOutput::error(msg);
    }
    match structured {
        Some(v) => ToolOutput::with_structured(text, &v),
        None => ToolOutput::text(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant() -> ProcessGrant {
        ProcessGrant {
            programs: vec!["helm".into()],
            read_dirs: vec!["/srv/charts".into()],
            urls: vec!["http://127.0.0.1:8879/".into()],
        }
    }

    #[test]
    fn chart_sources_follow_the_grant() {
        let g = grant();
        assert!(check_chart("/srv/charts/web", None, &g).is_ok());
        assert!(check_chart("/srv/charts/web-0.1.0.tgz", None, &g).is_ok());
        assert!(check_chart("web", Some("http://127.0.0.1:8879/"), &g).is_ok());
        assert!(check_chart("http://127.0.0.1:8879/web-0.1.0.tgz", None, &g).is_ok());
        for (bad, named) in [
            ("/etc", "/etc"),
            ("/srv/charts/../../etc", ".."),
            ("/srv/chartsevil/x", "/srv/chartsevil"),
            ("file:///srv/charts/web", "file://"),
            (
                "https://charts.example.com/web.tgz",
                "https://charts.example.com",
            ),
            ("oci://registry.example/web", "oci://"),
            ("bitnami/nginx", "bitnami/nginx"),
            ("./web", "./web"),
        ] {
            let e = check_chart(bad, None, &g).unwrap_err();
            assert!(e.contains(named), "{bad}: {e}");
        }
        // A grant without a trailing `/` admits its paths, not a longer port or a user part.
        let g2 = ProcessGrant {
            urls: vec!["http://127.0.0.1:80".into()],
            ..grant()
        };
        assert!(check_chart("http://127.0.0.1:80/web.tgz", None, &g2).is_ok());
        for bad in [
            "http://127.0.0.1:8080/web.tgz",
            "http://127.0.0.1:80@evil/web.tgz",
        ] {
            assert!(check_chart(bad, None, &g2).is_err(), "{bad}");
        }
        assert!(
            check_chart("web", Some("http://evil/"), &g)
                .unwrap_err()
                .contains("http://evil/")
        );
    }

    #[test]
    fn objects_of_a_manifest() {
        let m = "---\n# Source: x\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: elsewhere\n";
        let o = objects(m, "demo");
        assert_eq!(o.len(), 3);
        assert_eq!(
            (
                o[0].group.as_str(),
                o[0].resource.as_str(),
                o[0].namespace.as_deref()
            ),
            ("apps", "deployments", Some("demo"))
        );
        assert_eq!(
            (o[1].resource.as_str(), o[1].namespace.as_deref()),
            ("namespaces", None)
        );
        assert_eq!(
            (o[2].resource.as_str(), o[2].namespace.as_deref()),
            ("widgets", Some("elsewhere"))
        );
    }
}
