//! `istioctl analyze`, `version` and `validate -f -`, computed from the Kubernetes API.

use kap_sdk::api::{self, Api, Ctx, Failure, Outcome};
use kap_sdk::serde_json::{Value, json};
use kap_sdk::{KubeError, Request};

use crate::analyze::{self, Filter};
use crate::cli::Command;
use crate::model;
use crate::msg::{self, Level, Message};
use crate::snapshot::{self, Kind, Snapshot};

/// Kubernetes Gateway API Gateways (a VirtualService may bind to one).
pub const KUBERNETES_GATEWAYS: Kind = Kind {
    group: "gateway.networking.k8s.io",
    version: "v1",
    resource: "gateways",
    kind: "KubernetesGateway",
    namespaced: true,
};

/// Every kind `analyze` reads.
pub fn analyzed_kinds() -> Vec<Kind> {
    let mut k = snapshot::ANALYZED.to_vec();
    k.push(KUBERNETES_GATEWAYS);
    k
}

/// The analyzers, as `istioctl analyze -L` lists them (name and what it checks).
pub const ANALYZERS: &[(&str, &str)] = &[
    (
        "annotations.K8sAnalyzer",
        "Checks for misplaced and invalid Istio annotations in Kubernetes resources (IST0107, IST0108)",
    ),
    (
        "auth.AuthorizationPoliciesAnalyzer",
        "Checks the namespaces AuthorizationPolicies' sources name (IST0101)",
    ),
    (
        "deployment.MultiServiceAnalyzer",
        "Checks association between services and pods (IST0116)",
    ),
    (
        "destinationrule.CaCertificateAnalyzer",
        "Checks if caCertificates is set when TLS mode is SIMPLE/MUTUAL (IST0128)",
    ),
    (
        "gateway.ConflictingGatewayAnalyzer",
        "Checks a gateway's selector, port number and hosts (IST0145)",
    ),
    (
        "gateway.IngressGatewayPortAnalyzer",
        "Checks a gateway's ports against the gateway's Kubernetes service ports (IST0101, IST0162)",
    ),
    (
        "injection.Analyzer",
        "Checks conditions related to Istio sidecar injection (IST0102, IST0103, IST0123)",
    ),
    (
        "schema.ValidationAnalyzer",
        "Runs schema validation as an analyzer and reports any violations (IST0106, IST0130, IST0131)",
    ),
    (
        "service.PortNameAnalyzer",
        "Checks the port names associated with each service (IST0118)",
    ),
    (
        "serviceentry.Analyzer",
        "Checks the validity of ServiceEntry (IST0134)",
    ),
    (
        "sidecar.SelectorAnalyzer",
        "Validates that sidecars that define a workload selector match at least one pod, and that there aren't multiple sidecar resources that select overlapping pods (IST0101, IST0110, IST0111); and that egress hosts name existing namespaces and services (IST0101, ours)",
    ),
    (
        "virtualservice.ConflictingMeshGatewayHostsAnalyzer",
        "Checks if multiple virtual services associated with the mesh gateway have conflicting hosts (IST0109)",
    ),
    (
        "virtualservice.DestinationHostAnalyzer",
        "Checks the destination hosts associated with each virtual service (IST0101, IST0112)",
    ),
    (
        "virtualservice.DestinationRuleAnalyzer",
        "Checks the destination rules associated with each virtual service (IST0101)",
    ),
    (
        "virtualservice.GatewayAnalyzer",
        "Checks the gateways associated with each virtual service (IST0101, IST0132)",
    ),
];

fn level_flag(cmd: &Command, name: &str, default: Level) -> Result<Level, Failure> {
    match cmd.parsed.value(name) {
        None => Ok(default),
        Some(v) => Level::parse(v).ok_or_else(|| {
            Failure::Usage(format!(
                "invalid argument {v:?} for \"--{name}\" flag: valid values are Info, Warning, Error"
            ))
        }),
    }
}

/// `istioctl analyze` (see [`crate::cli`] for the flags).
///
/// The answer's text is istioctl's output for the format; the structured content is
/// `{"messages": [{code, level, name, resource, message, documentation_url, ...}],
/// "not_analyzed": [{resource, namespace, reason}], "namespace": NS or "*"}`. `isError` when a
/// message reaches `--failure-threshold` (default Error), or when something in the analyzed
/// scope could not be read.
pub fn analyze(api: &mut dyn Api, cmd: &Command, ctx: &Ctx) -> Result<Outcome, Failure> {
    if cmd.parsed.bool("list-analyzers") {
        let mut s = String::from("Available analyzers:\n");
        for (n, d) in ANALYZERS {
            s.push_str(&format!("* {n}:\n    {d}\n"));
        }
        return Ok(Outcome::text(s));
    }
    let output_threshold = level_flag(cmd, "output-threshold", Level::Info)?;
    let failure_threshold = level_flag(cmd, "failure-threshold", Level::Error)?;
    let format = cmd.parsed.value("output").unwrap_or("log");
    if !matches!(format, "log" | "json" | "yaml") {
        return Err(Failure::Usage(format!(
            "invalid format, expected one of [log json yaml] but got {format:?}"
        )));
    }
    let mut suppress = Vec::new();
    for (k, v) in &cmd.parsed.flags {
        if *k == "suppress" {
            match v.split_once('=') {
                Some((code, res)) if !res.contains('=') => {
                    suppress.push((code.to_string(), res.to_string()))
                }
                _ => {
                    return Err(Failure::Usage(format!(
                        "{v} is not a valid suppression value. See istioctl analyze --help"
                    )));
                }
            }
        }
    }
    let all = cmd.parsed.bool("all-namespaces");
    let scope = (!all).then(|| {
        cmd.parsed
            .namespace()
            .unwrap_or(&ctx.default_namespace)
            .to_string()
    });
    if let Some(ns) = &scope {
        match api.send(&Request::get("", "v1", "namespaces", ns)) {
            Err(e) if api::is_not_found(&e) => {
                return Ok(Outcome {
                    text: format!("namespace {ns:?} not found\n"),
                    structured: None,
                    is_error: true,
                });
            }
            // Refused: the snapshot records what could not be read.
            _ => {}
        }
    }
    let mut snap = snapshot::load(
        api,
        &analyzed_kinds(),
        scope.as_deref(),
        cmd.istio_namespace(),
    );
    analyze::drop_ignored(&mut snap);
    let filter = Filter {
        namespace: scope.clone(),
        suppress,
    };
    let messages = analyze::filter(analyze::run(&snap), &filter, &snap);
    Ok(report(
        &snap,
        messages,
        scope.as_deref(),
        format,
        output_threshold,
        failure_threshold,
        cmd.parsed.bool("verbose"),
    ))
}

/// The analysis answer (see [`analyze`]).
fn report(
    snap: &Snapshot,
    messages: Vec<Message>,
    scope: Option<&str>,
    format: &str,
    output_threshold: Level,
    failure_threshold: Level,
    verbose: bool,
) -> Outcome {
    let unread = snap.unread_in(scope);
    let shown: Vec<Message> = messages
        .iter()
        .filter(|m| m.ty.level >= output_threshold)
        .cloned()
        .collect();
    let failed = messages.iter().any(|m| m.ty.level >= failure_threshold);
    let target = match scope {
        Some(ns) => format!("namespace: {ns}"),
        None => "all namespaces".into(),
    };
    let mut text = String::new();
    if verbose {
        text.push_str(&format!("Analyzed resources in {target}:\n"));
        for (k, list) in &snap.objects {
            text.push_str(&format!("  {k}: {}\n", list.len()));
        }
        if !snap.absent.is_empty() {
            text.push_str(&format!(
                "  not served by the API server (CRD not installed): {}\n",
                snap.absent.join(", ")
            ));
        }
        text.push('\n');
    }
    match format {
        "json" => {
            text.push_str(&msg::to_json(&shown));
            text.push('\n');
        }
        "yaml" => text.push_str(&msg::to_yaml(&shown)),
        _ => {
            for m in &shown {
                text.push_str(&m.log_line());
                text.push('\n');
            }
            if shown.is_empty() && unread.is_empty() {
                text.push_str(&format!(
                    "\u{2714} No validation issues found when analyzing {target}.\n"
                ));
            }
        }
    }
    if !unread.is_empty() {
        text.push_str(
            "\nNot analyzed: the server could not read these, so findings in them are unknown (not clean):\n",
        );
        for u in &unread {
            text.push_str(&format!("  - {}\n", u.line()));
        }
    }
    let structured = json!({
        "namespace": scope.unwrap_or("*"),
        "messages": shown.iter().map(Message::structured).collect::<Vec<_>>(),
        "counts": msg::counts(&messages),
        "not_analyzed": unread.iter().map(|u| json!({
            "resource": u.resource,
            "namespace": u.namespace,
            "reason": u.reason,
        })).collect::<Vec<_>>(),
        "complete": unread.is_empty(),
    });
    Outcome {
        text,
        structured: Some(structured),
        is_error: failed || !unread.is_empty(),
    }
}

/// This plugin's istioctl compatibility: the Istio minor whose analyzers and messages it
/// follows.
pub const ISTIO_COMPAT: &str = "1.30";

/// `istioctl version`: the client (this plugin), the control plane from the istiod
/// Deployments' images in the Istio namespace, the data plane from the pods' `istio-proxy`
/// images. "no running Istio pods in NS" when there is no istiod.
pub fn version(api: &mut dyn Api, cmd: &Command) -> Result<Outcome, Failure> {
    let client = format!(
        "{ISTIO_COMPAT} (kube-ai-proxy istio plugin {}, computed from the Kubernetes API)",
        env!("CARGO_PKG_VERSION")
    );
    let remote = cmd.parsed.value("remote") != Some("false");
    let short = cmd.parsed.bool("short") || cmd.parsed.value("output") == Some("short");
    let format = cmd.parsed.value("output").unwrap_or("");
    if !matches!(format, "" | "short" | "json" | "yaml") {
        return Err(Failure::Usage(format!(
            "--output must be 'yaml', 'json' or 'short', got {format:?}"
        )));
    }
    let ns = cmd.istio_namespace();
    let mut control: Vec<(String, String)> = Vec::new();
    let mut note = String::new();
    let mut proxies: std::collections::BTreeMap<String, usize> = Default::default();
    if remote {
        match snapshot::list_all(api, &snapshot::DEPLOYMENTS, Some(ns)) {
            Ok(ds) => {
                for d in ds {
                    let name = model::name(&d);
                    let app = model::labels(&d).get("app").cloned().unwrap_or_default();
                    if !(name == "istiod" || name.starts_with("istiod-") || app == "istiod") {
                        continue;
                    }
                    for c in model::arr(&d, "/spec/template/spec/containers") {
                        if let Some(t) = kap_sdk::printing::image_tag(model::str_at(c, "/image")) {
                            control.push((name.to_string(), t.to_string()));
                        }
                    }
                }
            }
            Err(e) => note = format!("control plane not read: {}", api::kube_error_text(&e)),
        }
        match snapshot::list_all(api, &snapshot::PODS, None) {
            Ok(pods) => {
                for p in pods {
                    for c in model::containers(&p, "/spec") {
                        if model::str_at(c, "/name") == "istio-proxy"
                            && let Some(t) =
                                kap_sdk::printing::image_tag(model::str_at(c, "/image"))
                        {
                            *proxies.entry(t.to_string()).or_default() += 1;
                        }
                    }
                }
            }
            Err(e) => {
                if !note.is_empty() {
                    note.push_str("; ");
                }
                note.push_str(&format!(
                    "data plane not read: {}",
                    api::kube_error_text(&e)
                ));
            }
        }
    }
    let structured = json!({
        "clientVersion": {"version": ISTIO_COMPAT, "plugin": env!("CARGO_PKG_VERSION")},
        "meshVersion": control.iter().map(|(n, v)| json!({"Component": "pilot", "Info": {"version": v}, "deployment": n})).collect::<Vec<_>>(),
        "dataPlaneVersion": proxies.iter().map(|(v, n)| json!({"IstioVersion": v, "proxies": n})).collect::<Vec<_>>(),
    });
    let text = match format {
        "json" => kap_sdk::printing::pretty_json(&structured),
        "yaml" => kap_sdk::printing::to_yaml(&structured),
        _ => {
            let mut s = if short {
                format!("client version: {ISTIO_COMPAT}\n")
            } else {
                format!("client version: {client}\n")
            };
            if remote {
                if control.is_empty() && note.is_empty() {
                    s.push_str(&format!("no running Istio pods in {ns:?}\n"));
                } else {
                    let mut vs: Vec<&str> = control.iter().map(|(_, v)| v.as_str()).collect();
                    vs.sort();
                    vs.dedup();
                    if !vs.is_empty() {
                        s.push_str(&format!("control plane version: {}\n", vs.join(", ")));
                    }
                }
                if !proxies.is_empty() {
                    let parts: Vec<String> = proxies
                        .iter()
                        .map(|(v, n)| format!("{v} ({n} proxies)"))
                        .collect();
                    s.push_str(&format!("data plane version: {}\n", parts.join(", ")));
                }
                if !note.is_empty() {
                    s.push_str(&format!("{note}\n"));
                }
            }
            s
        }
    };
    Ok(Outcome {
        text,
        structured: Some(structured),
        is_error: false,
    })
}

/// Largest `manifest` `validate` reads, in bytes.
pub const MAX_MANIFEST: usize = 1 << 20;
/// Most documents `validate` reads.
pub const MAX_DOCUMENTS: usize = 200;

/// Istio kinds `validate` sends to the API server: kind → (group, version, resource).
pub const ISTIO_KINDS: &[(&str, &str, &str, &str)] = &[
    (
        "VirtualService",
        "networking.istio.io",
        "v1",
        "virtualservices",
    ),
    (
        "DestinationRule",
        "networking.istio.io",
        "v1",
        "destinationrules",
    ),
    ("Gateway", "networking.istio.io", "v1", "gateways"),
    (
        "ServiceEntry",
        "networking.istio.io",
        "v1",
        "serviceentries",
    ),
    ("Sidecar", "networking.istio.io", "v1", "sidecars"),
    (
        "WorkloadEntry",
        "networking.istio.io",
        "v1",
        "workloadentries",
    ),
    (
        "WorkloadGroup",
        "networking.istio.io",
        "v1",
        "workloadgroups",
    ),
    (
        "EnvoyFilter",
        "networking.istio.io",
        "v1alpha3",
        "envoyfilters",
    ),
    (
        "ProxyConfig",
        "networking.istio.io",
        "v1beta1",
        "proxyconfigs",
    ),
    (
        "AuthorizationPolicy",
        "security.istio.io",
        "v1",
        "authorizationpolicies",
    ),
    (
        "PeerAuthentication",
        "security.istio.io",
        "v1",
        "peerauthentications",
    ),
    (
        "RequestAuthentication",
        "security.istio.io",
        "v1",
        "requestauthentications",
    ),
    ("Telemetry", "telemetry.istio.io", "v1", "telemetries"),
    (
        "WasmPlugin",
        "extensions.istio.io",
        "v1alpha1",
        "wasmplugins",
    ),
];

/// Parses `manifest` into objects (YAML or JSON, `---`-separated), within the limits.
pub fn documents(manifest: &str) -> Result<Vec<Value>, Failure> {
    if manifest.len() > MAX_MANIFEST {
        return Err(Failure::Usage(format!(
            "the manifest is {} bytes; validate reads at most {MAX_MANIFEST}",
            manifest.len()
        )));
    }
    let mut out = Vec::new();
    for doc in serde_yaml_ng::Deserializer::from_str(manifest) {
        let v: Value = serde::Deserialize::deserialize(doc)
            .map_err(|e| Failure::Usage(format!("the manifest is not valid YAML: {e}")))?;
        if v.is_null() {
            continue;
        }
        if let Some(items) = v.get("items").and_then(Value::as_array)
            && v.get("kind")
                .and_then(Value::as_str)
                .is_some_and(|k| k.ends_with("List"))
        {
            out.extend(items.iter().cloned());
        } else {
            out.push(v);
        }
        if out.len() > MAX_DOCUMENTS {
            return Err(Failure::Usage(format!(
                "the manifest has more than {MAX_DOCUMENTS} objects"
            )));
        }
    }
    Ok(out)
}

/// `istioctl validate -f -`: each Istio object in `manifest` is checked by the API server
/// with a dry-run create (`dryRun=All`; under a generated name when one with its name
/// exists) and by this plugin's schema checks; then the analyzers run on the cluster with
/// the objects added, and their messages on these objects are shown. `isError` when an
/// object is invalid or a message reaches Error.
pub fn validate(api: &mut dyn Api, cmd: &Command, ctx: &Ctx) -> Result<Outcome, Failure> {
    let Some(manifest) = ctx.manifest.as_deref().filter(|m| !m.trim().is_empty()) else {
        return Err(Failure::Usage(
            "validate -f - reads the objects from the `manifest` argument, which is empty".into(),
        ));
    };
    let docs = documents(manifest)?;
    let default_ns = cmd.parsed.namespace().unwrap_or(&ctx.default_namespace);
    let mut lines = Vec::new();
    let mut results = Vec::new();
    let mut invalid = false;
    let mut added: Vec<(&'static str, Value)> = Vec::new();
    for mut d in docs {
        let kind = model::str_at(&d, "/kind").to_string();
        let api_version = model::str_at(&d, "/apiVersion").to_string();
        let name = model::name(&d).to_string();
        let Some(&(k, group, version, resource)) = ISTIO_KINDS
            .iter()
            .find(|(k, g, _, _)| *k == kind && api_version.starts_with(&format!("{g}/")))
        else {
            lines.push(format!(
                "skipped {kind} {name}: not an Istio kind (apiVersion {api_version:?})"
            ));
            results.push(json!({"kind": kind, "name": name, "valid": null, "skipped": true}));
            continue;
        };
        let ns = match model::namespace(&d) {
            "" => default_ns.to_string(),
            n => n.to_string(),
        };
        if let Some(meta) = d.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("namespace".into(), json!(ns));
        }
        let mut errors: Vec<String> = crate::analyze::schema::errors(k, &d);
        match dry_run_create(api, group, version, resource, &ns, &d) {
            Ok(()) => {}
            Err(DryRun::Invalid(m)) => errors.push(m),
            Err(DryRun::Refused(e)) => {
                return Err(Failure::Kube(e));
            }
        }
        let what = format!("{k} {ns}/{name}");
        if errors.is_empty() {
            lines.push(format!("\u{2714} {what} is valid"));
        } else {
            invalid = true;
            lines.push(format!("\u{2718} {what} is invalid:"));
            for e in &errors {
                lines.push(format!("    * {e}"));
            }
        }
        results.push(json!({"kind": k, "namespace": ns, "name": name, "valid": errors.is_empty(), "errors": errors}));
        added.push((k, d));
    }
    // The analyzers, on the cluster plus these objects; messages on these objects only.
    let mut snap = snapshot::load(
        api,
        &analyzed_kinds(),
        Some(default_ns),
        cmd.istio_namespace(),
    );
    analyze::drop_ignored(&mut snap);
    let keys: Vec<(String, String, String)> = added
        .iter()
        .map(|(k, d)| {
            (
                k.to_string(),
                model::namespace(d).to_string(),
                model::name(d).to_string(),
            )
        })
        .collect();
    for (k, d) in added {
        snap.overlay(k, d);
    }
    let messages: Vec<Message> = analyze::run(&snap)
        .into_iter()
        .filter(|m| {
            keys.contains(&(
                m.resource.kind.clone(),
                m.resource.namespace.clone(),
                m.resource.name.clone(),
            ))
        })
        .filter(|m| m.ty.code != "IST0106")
        .collect();
    if !messages.is_empty() {
        lines.push(String::new());
        lines.push("Analysis of these objects with the cluster's configuration:".into());
        for m in &messages {
            lines.push(m.log_line());
        }
    }
    let failed = invalid || messages.iter().any(|m| m.ty.level == Level::Error);
    Ok(Outcome {
        text: lines.join("\n") + "\n",
        structured: Some(json!({
            "objects": results,
            "messages": messages.iter().map(Message::structured).collect::<Vec<_>>(),
        })),
        is_error: failed,
    })
}

enum DryRun {
    Invalid(String),
    Refused(KubeError),
}

fn dry_run_create(
    api: &mut dyn Api,
    group: &str,
    version: &str,
    resource: &str,
    ns: &str,
    obj: &Value,
) -> Result<(), DryRun> {
    let send = |api: &mut dyn Api, body: &Value| {
        api.send(
            &Request::create(group, version, resource, body.to_string())
                .namespace(ns)
                .dry_run(),
        )
    };
    match send(api, obj) {
        Ok(_) => Ok(()),
        Err(KubeError::Api(a)) if a.code == 409 => {
            // It exists: check it as a new object under a generated name.
            let mut fresh = obj.clone();
            if let Some(meta) = fresh.get_mut("metadata").and_then(Value::as_object_mut) {
                let name = meta.remove("name");
                let base = name.as_ref().and_then(Value::as_str).unwrap_or("validate");
                meta.insert("generateName".into(), json!(format!("{base}-")));
                meta.remove("resourceVersion");
                meta.remove("uid");
            }
            match send(api, &fresh) {
                Ok(_) => Ok(()),
                Err(KubeError::Api(a)) if (400..500).contains(&a.code) && a.code != 403 => {
                    Err(DryRun::Invalid(a.message))
                }
                Err(e) => Err(DryRun::Refused(e)),
            }
        }
        Err(KubeError::Api(a)) if (400..500).contains(&a.code) && a.code != 403 => {
            Err(DryRun::Invalid(a.message))
        }
        Err(e) => Err(DryRun::Refused(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_sdk::testing::{FakeApi, ok_json};

    #[test]
    fn documents_are_bounded() {
        assert_eq!(documents("a: 1\n---\nb: 2\n").unwrap().len(), 2);
        assert!(documents(&"x".repeat(MAX_MANIFEST + 1)).is_err());
        assert!(documents("a: [").is_err());
    }

    #[test]
    fn version_without_istiod() {
        let mut api = FakeApi::new();
        api.handler = Box::new(|_| ok_json(json!({"items": []})));
        let cmd = crate::cli::parse(&["version".to_string()]).unwrap();
        let out = version(&mut api, &cmd).unwrap();
        assert!(
            out.text
                .contains("no running Istio pods in \"istio-system\""),
            "{}",
            out.text
        );
        assert!(out.text.starts_with("client version: 1.30"));
    }
}
