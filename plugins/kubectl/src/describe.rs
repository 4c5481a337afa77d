//! `kubectl describe` text for pods, deployments, services, nodes, namespaces, secrets and
//! config maps ([`more`]: replica sets, stateful sets, daemon sets, jobs, cron jobs,
//! ingresses, persistent volume claims and volumes, horizontal pod autoscalers), and a
//! generic describer for everything else. Each describer is a pure
//! function of the objects already fetched, following the layout of kubectl's describers
//! (`k8s.io/kubectl/pkg/describe`): `Name:`-style fields aligned with a tabwriter (padding 2),
//! sections indented by two spaces per level, and the `Events:` table last.

use serde_json::Value;

use crate::commands::events::{interval, sort_events};
use kap_sdk::api::{arr, get, i, s};
use kap_sdk::quantity;
use kap_sdk::table::cell_text;
use kap_sdk::tabwriter::{DESCRIBE_MIN_WIDTH, DESCRIBE_PADDING, align};
use kap_sdk::time;

/// The events part of a description: not asked for (`--show-events=false`), listed, or why
/// they could not be listed.
pub type EventsSection = Option<Result<Vec<Value>, String>>;

/// Describers of replica sets, stateful sets, daemon sets, jobs, cron jobs, ingresses,
/// persistent volume claims, persistent volumes and horizontal pod autoscalers.
#[path = "describe_more.rs"]
pub mod more;

/// Builds describe text; [`Out::finish`] aligns it like kubectl's `tabbedString`.
#[derive(Default)]
pub struct Out {
    buf: String,
}

/// Replaces line breaks and tabs inside a value so the layout stays intact.
fn clean(v: &str) -> String {
    v.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl Out {
    /// Writes one line at `level` (two spaces each). `\t` in `line` separates aligned cells.
    pub fn w(&mut self, level: usize, line: &str) {
        for _ in 0..level {
            self.buf.push_str("  ");
        }
        self.buf.push_str(line);
        self.buf.push('\n');
    }

    /// `Title:\tvalue`, with `<none>` for an empty value.
    pub fn field(&mut self, level: usize, title: &str, value: &str) {
        let v = if value.is_empty() {
            "<none>".to_string()
        } else {
            clean(value)
        };
        self.w(level, &format!("{title}:\t{v}"));
    }

    /// The text, its `key:\tvalue` columns aligned as kubectl's describe tabwriter does.
    pub fn finish(self) -> String {
        align(&self.buf, DESCRIBE_MIN_WIDTH, DESCRIBE_PADDING)
    }

    /// kubectl's `printLabelsMultiline`: first pair on the title line, the rest below it.
    pub fn labels(&mut self, level: usize, title: &str, map: Option<&Value>) {
        let pairs: Vec<String> = sorted(map)
            .into_iter()
            .map(|(k, v)| format!("{k}={}", clean(&v)))
            .collect();
        self.multiline(level, title, &pairs);
    }

    /// kubectl's `printAnnotationsMultiline`: `key: value`, long values cut at 140
    /// characters, `last-applied-configuration` left out.
    pub fn annotations(&mut self, level: usize, map: Option<&Value>) {
        let pairs: Vec<String> = sorted(map)
            .into_iter()
            .filter(|(k, _)| k != "kubectl.kubernetes.io/last-applied-configuration")
            .map(|(k, v)| {
                let v = clean(&v);
                if v.chars().count() > 140 {
                    format!("{k}: {}...", v.chars().take(140).collect::<String>())
                } else {
                    format!("{k}: {v}")
                }
            })
            .collect();
        self.multiline(level, "Annotations", &pairs);
    }

    fn multiline(&mut self, level: usize, title: &str, lines: &[String]) {
        match lines.split_first() {
            None => self.w(level, &format!("{title}:\t<none>")),
            Some((first, rest)) => {
                self.w(level, &format!("{title}:\t{first}"));
                for l in rest {
                    self.w(level, &format!("\t{l}"));
                }
            }
        }
    }

    /// kubectl's `DescribeEvents`.
    pub fn events(&mut self, events: &EventsSection, now: i64) {
        match events {
            None => {}
            Some(Err(e)) => self.w(
                0,
                &format!("Events:\t<unable to list events: {}>", clean(e)),
            ),
            Some(Ok(list)) if list.is_empty() => self.w(0, "Events:\t<none>"),
            Some(Ok(list)) => {
                let mut list = list.clone();
                sort_events(&mut list);
                self.w(0, "Events:");
                self.w(1, "Type\tReason\tAge\tFrom\tMessage");
                self.w(1, "----\t------\t----\t----\t-------");
                for e in &list {
                    let mut from = s(e, &["source", "component"]).to_string();
                    if from.is_empty() {
                        from = s(e, &["reportingController"]).to_string();
                    }
                    self.w(
                        1,
                        &format!(
                            "{}\t{}\t{}\t{}\t{}",
                            clean(s(e, &["type"])),
                            clean(s(e, &["reason"])),
                            interval(e, now),
                            clean(&from),
                            clean(s(e, &["message"]).trim())
                        ),
                    );
                }
            }
        }
    }

    /// The common header: name, namespace, labels, annotations.
    fn meta(&mut self, obj: &Value, with_namespace: bool) {
        self.field(0, "Name", s(obj, &["metadata", "name"]));
        if with_namespace {
            self.field(0, "Namespace", s(obj, &["metadata", "namespace"]));
        }
    }
}

/// A string map's entries sorted by key (values that are not strings printed as JSON).
fn sorted(map: Option<&Value>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = map
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// A timestamp as `describe` prints it (RFC 1123 with zone), or `<unset>`.
pub fn when(ts: &str) -> String {
    match time::parse_rfc3339(ts) {
        Some(t) => time::format_rfc1123z(t),
        None if ts.is_empty() => "<unset>".into(),
        None => clean(ts),
    }
}

/// A label selector (`matchLabels` and `matchExpressions`) in kubectl's text form.
pub fn selector_text(sel: Option<&Value>) -> String {
    let Some(sel) = sel else {
        return "<none>".into();
    };
    let mut parts: Vec<String> = sorted(sel.get("matchLabels"))
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    for e in arr(sel, &["matchExpressions"]) {
        let key = s(e, &["key"]);
        let values: Vec<&str> = arr(e, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match s(e, &["operator"]) {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op} ({})", values.join(",")),
        });
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",")
    }
}

fn owner(obj: &Value) -> Option<String> {
    arr(obj, &["metadata", "ownerReferences"])
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .map(|o| format!("{}/{}", s(o, &["kind"]), s(o, &["name"])))
}

fn ports_text(c: &Value, host: bool) -> String {
    let ports = arr(c, &["ports"]);
    if ports.is_empty() {
        return "<none>".into();
    }
    ports
        .iter()
        .map(|p| {
            let n = if host {
                i(p, &["hostPort"]).unwrap_or(0)
            } else {
                i(p, &["containerPort"]).unwrap_or(0)
            };
            let proto = match s(p, &["protocol"]) {
                "" => "TCP",
                x => x,
            };
            format!("{n}/{proto}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn container_state(o: &mut Out, title: &str, st: Option<&Value>) {
    let Some(st) = st.and_then(Value::as_object) else {
        o.w(2, &format!("{title}:\tWaiting"));
        return;
    };
    if let Some(r) = st.get("running") {
        o.w(2, &format!("{title}:\tRunning"));
        o.w(3, &format!("Started:\t{}", when(s(r, &["startedAt"]))));
    } else if let Some(w) = st.get("waiting") {
        o.w(2, &format!("{title}:\tWaiting"));
        if !s(w, &["reason"]).is_empty() {
            o.w(3, &format!("Reason:\t{}", clean(s(w, &["reason"]))));
        }
        if !s(w, &["message"]).is_empty() {
            o.w(3, &format!("Message:\t{}", clean(s(w, &["message"]))));
        }
    } else if let Some(t) = st.get("terminated") {
        o.w(2, &format!("{title}:\tTerminated"));
        if !s(t, &["reason"]).is_empty() {
            o.w(3, &format!("Reason:\t{}", clean(s(t, &["reason"]))));
        }
        if !s(t, &["message"]).is_empty() {
            o.w(3, &format!("Message:\t{}", clean(s(t, &["message"]))));
        }
        o.w(
            3,
            &format!("Exit Code:\t{}", i(t, &["exitCode"]).unwrap_or(0)),
        );
        if let Some(sig) = i(t, &["signal"]).filter(|x| *x > 0) {
            o.w(3, &format!("Signal:\t{sig}"));
        }
        o.w(3, &format!("Started:\t{}", when(s(t, &["startedAt"]))));
        o.w(3, &format!("Finished:\t{}", when(s(t, &["finishedAt"]))));
    } else {
        o.w(2, &format!("{title}:\tWaiting"));
    }
}

fn resources(o: &mut Out, level: usize, c: &Value) {
    for (title, key) in [("Limits", "limits"), ("Requests", "requests")] {
        let r = sorted(get(c, &["resources", key]));
        if !r.is_empty() {
            o.w(level, &format!("{title}:"));
            for (k, v) in r {
                o.w(level + 1, &format!("{k}:\t{}", clean(&v)));
            }
        }
    }
}

fn env(o: &mut Out, level: usize, c: &Value) {
    let env = arr(c, &["env"]);
    let from = arr(c, &["envFrom"]);
    if env.is_empty() && from.is_empty() {
        o.w(level, "Environment:\t<none>");
        return;
    }
    if !from.is_empty() {
        o.w(level, "Environment Variables from:");
        for f in from {
            let (kind, name) = if let Some(cm) = f.get("configMapRef") {
                ("ConfigMap", s(cm, &["name"]))
            } else {
                ("Secret", s(f, &["secretRef", "name"]))
            };
            o.w(
                level + 1,
                &format!("{}\t{kind}\tOptional: false", clean(name)),
            );
        }
    }
    if env.is_empty() {
        return;
    }
    o.w(level, "Environment:");
    for e in env {
        let name = clean(s(e, &["name"]));
        let value = if let Some(v) = e.get("value").and_then(Value::as_str) {
            clean(v)
        } else if let Some(r) = get(e, &["valueFrom", "secretKeyRef"]) {
            format!(
                "<set to the key '{}' in secret '{}'>",
                s(r, &["key"]),
                s(r, &["name"])
            )
        } else if let Some(r) = get(e, &["valueFrom", "configMapKeyRef"]) {
            format!(
                "<set to the key '{}' of config map '{}'>",
                s(r, &["key"]),
                s(r, &["name"])
            )
        } else if let Some(r) = get(e, &["valueFrom", "fieldRef"]) {
            format!("({}:{})", s(r, &["apiVersion"]), s(r, &["fieldPath"]))
        } else if let Some(r) = get(e, &["valueFrom", "resourceFieldRef"]) {
            format!("{} ({})", s(r, &["resource"]), s(r, &["containerName"]))
        } else {
            String::new()
        };
        o.w(level + 1, &format!("{name}:\t{value}"));
    }
}

fn mounts(o: &mut Out, level: usize, c: &Value) {
    let m = arr(c, &["volumeMounts"]);
    if m.is_empty() {
        o.w(level, "Mounts:\t<none>");
        return;
    }
    o.w(level, "Mounts:");
    for v in m {
        let ro = if v.get("readOnly").and_then(Value::as_bool) == Some(true) {
            "ro"
        } else {
            "rw"
        };
        o.w(
            level + 1,
            &format!(
                "{} from {} ({ro})",
                clean(s(v, &["mountPath"])),
                clean(s(v, &["name"]))
            ),
        );
    }
}

/// Containers of a pod (with their status) or of a pod template (without).
fn containers(o: &mut Out, title: &str, specs: &[Value], statuses: &[Value], template: bool) {
    let base = if template { 1 } else { 0 };
    o.w(base, &format!("{title}:"));
    for c in specs {
        let name = s(c, &["name"]);
        let st = statuses.iter().find(|x| s(x, &["name"]) == name);
        if template {
            o.w(base, &format!(" {}:", clean(name)));
        } else {
            o.w(base + 1, &format!("{}:", clean(name)));
        }
        if let Some(st) = st {
            o.field(2, "Container ID", s(st, &["containerID"]));
        }
        o.field(2, "Image", s(c, &["image"]));
        if let Some(st) = st {
            o.field(2, "Image ID", s(st, &["imageID"]));
        }
        o.w(2, &format!("Port:\t{}", ports_text(c, false)));
        o.w(2, &format!("Host Port:\t{}", ports_text(c, true)));
        for (title, key) in [("Command", "command"), ("Args", "args")] {
            let items = arr(c, &[key]);
            if !items.is_empty() {
                o.w(2, &format!("{title}:"));
                for it in items {
                    o.w(3, &cell_text(it));
                }
            }
        }
        if !template {
            container_state(o, "State", st.and_then(|x| x.get("state")));
            if let Some(last) = st
                .and_then(|x| x.get("lastState"))
                .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
            {
                container_state(o, "Last State", Some(last));
            }
            let ready = st
                .and_then(|x| x.get("ready"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            o.w(
                2,
                &format!("Ready:\t{}", if ready { "True" } else { "False" }),
            );
            o.w(
                2,
                &format!(
                    "Restart Count:\t{}",
                    st.and_then(|x| i(x, &["restartCount"])).unwrap_or(0)
                ),
            );
        }
        resources(o, 2, c);
        env(o, 2, c);
        mounts(o, 2, c);
    }
}

fn conditions_simple(o: &mut Out, conds: &[Value]) {
    if conds.is_empty() {
        return;
    }
    o.w(0, "Conditions:");
    o.w(1, "Type\tStatus");
    for c in conds {
        o.w(
            1,
            &format!("{} \t{}", clean(s(c, &["type"])), clean(s(c, &["status"]))),
        );
    }
}

fn volumes(o: &mut Out, level: usize, vols: &[Value]) {
    if vols.is_empty() {
        o.w(level, "Volumes:\t<none>");
        return;
    }
    o.w(level, "Volumes:");
    for v in vols {
        o.w(level + 1, &format!("{}:", clean(s(v, &["name"]))));
        let kind = v
            .as_object()
            .and_then(|m| m.keys().find(|k| k.as_str() != "name").cloned())
            .unwrap_or_default();
        let (ty, extra): (String, Option<(&str, &str)>) = match kind.as_str() {
            "configMap" => ("ConfigMap (a volume populated by a ConfigMap)".into(), Some(("Name", s(v, &["configMap", "name"])))),
            "secret" => ("Secret (a volume populated by a Secret)".into(), Some(("SecretName", s(v, &["secret", "secretName"])))),
            "emptyDir" => ("EmptyDir (a temporary directory that shares a pod's lifetime)".into(), None),
            "persistentVolumeClaim" => (
                "PersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)".into(),
                Some(("ClaimName", s(v, &["persistentVolumeClaim", "claimName"]))),
            ),
            "hostPath" => ("HostPath (bare host directory volume)".into(), Some(("Path", s(v, &["hostPath", "path"])))),
            "projected" => ("Projected (a volume that contains injected data from multiple sources)".into(), None),
            other => (other.to_string(), None),
        };
        o.w(level + 2, &format!("Type:\t{}", clean(&ty)));
        if let Some((k, val)) = extra {
            o.w(level + 2, &format!("{k}:\t{}", clean(val)));
        }
    }
}

fn tolerations(o: &mut Out, level: usize, tols: &[Value]) {
    let lines: Vec<String> = tols
        .iter()
        .map(|t| {
            let mut x = s(t, &["key"]).to_string();
            let v = s(t, &["value"]);
            if !v.is_empty() {
                x = format!("{x}={v}");
            } else if s(t, &["operator"]) == "Exists" && x.is_empty() {
                x = "op=Exists".into();
            }
            let eff = s(t, &["effect"]);
            if !eff.is_empty() {
                x = format!("{x}:{eff}");
            }
            if s(t, &["operator"]) == "Exists" && !s(t, &["key"]).is_empty() {
                x = format!("{x} op=Exists");
            }
            if let Some(secs) = i(t, &["tolerationSeconds"]) {
                x = format!("{x} for {secs}s");
            }
            clean(&x)
        })
        .collect();
    o.multiline(level, "Tolerations", &lines);
}

/// `kubectl describe pod`.
pub fn pod(p: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.meta(p, true);
    o.w(
        0,
        &format!("Priority:\t{}", i(p, &["spec", "priority"]).unwrap_or(0)),
    );
    if !s(p, &["spec", "priorityClassName"]).is_empty() {
        o.field(
            0,
            "Priority Class Name",
            s(p, &["spec", "priorityClassName"]),
        );
    }
    o.field(0, "Service Account", s(p, &["spec", "serviceAccountName"]));
    let node = s(p, &["spec", "nodeName"]);
    let host_ip = s(p, &["status", "hostIP"]);
    o.field(
        0,
        "Node",
        &if node.is_empty() {
            String::new()
        } else if host_ip.is_empty() {
            node.to_string()
        } else {
            format!("{node}/{host_ip}")
        },
    );
    if !s(p, &["status", "startTime"]).is_empty() {
        o.field(0, "Start Time", &when(s(p, &["status", "startTime"])));
    }
    o.labels(0, "Labels", get(p, &["metadata", "labels"]));
    o.annotations(0, get(p, &["metadata", "annotations"]));
    if !s(p, &["metadata", "deletionTimestamp"]).is_empty() {
        o.w(
            0,
            &format!(
                "Status:\tTerminating (lasts {})",
                time::age(s(p, &["metadata", "deletionTimestamp"]), now)
            ),
        );
    } else {
        o.field(0, "Status", s(p, &["status", "phase"]));
    }
    if !s(p, &["status", "reason"]).is_empty() {
        o.field(0, "Reason", s(p, &["status", "reason"]));
    }
    if !s(p, &["status", "message"]).is_empty() {
        o.field(0, "Message", s(p, &["status", "message"]));
    }
    o.w(0, &format!("IP:\t{}", clean(s(p, &["status", "podIP"]))));
    let ips = arr(p, &["status", "podIPs"]);
    if ips.is_empty() {
        o.w(0, "IPs:\t<none>");
    } else {
        o.w(0, "IPs:");
        for ip in ips {
            o.w(1, &format!("IP:\t{}", clean(s(ip, &["ip"]))));
        }
    }
    if let Some(c) = owner(p) {
        o.field(0, "Controlled By", &c);
    }
    let init = arr(p, &["spec", "initContainers"]);
    if !init.is_empty() {
        containers(
            &mut o,
            "Init Containers",
            init,
            arr(p, &["status", "initContainerStatuses"]),
            false,
        );
    }
    containers(
        &mut o,
        "Containers",
        arr(p, &["spec", "containers"]),
        arr(p, &["status", "containerStatuses"]),
        false,
    );
    conditions_simple(&mut o, arr(p, &["status", "conditions"]));
    volumes(&mut o, 0, arr(p, &["spec", "volumes"]));
    if !s(p, &["status", "qosClass"]).is_empty() {
        o.field(0, "QoS Class", s(p, &["status", "qosClass"]));
    }
    let sel: Vec<String> = sorted(get(p, &["spec", "nodeSelector"]))
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    o.multiline(0, "Node-Selectors", &sel);
    tolerations(&mut o, 0, arr(p, &["spec", "tolerations"]));
    o.events(events, now);
    o.finish()
}

fn detailed_conditions(o: &mut Out, conds: &[Value]) {
    if conds.is_empty() {
        return;
    }
    o.w(0, "Conditions:");
    o.w(1, "Type\tStatus\tReason");
    o.w(1, "----\t------\t------");
    for c in conds {
        o.w(
            1,
            &format!(
                "{} \t{}\t{}",
                clean(s(c, &["type"])),
                clean(s(c, &["status"])),
                clean(s(c, &["reason"]))
            ),
        );
    }
}

fn pod_template(o: &mut Out, t: Option<&Value>) {
    let empty = Value::Null;
    let t = t.unwrap_or(&empty);
    o.w(0, "Pod Template:");
    o.labels(1, "Labels", get(t, &["metadata", "labels"]));
    let ann = get(t, &["metadata", "annotations"]);
    if ann
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
    {
        o.w(1, "Annotations:");
        for (k, v) in sorted(ann) {
            o.w(2, &format!("{k}:\t{}", clean(&v)));
        }
    }
    if !s(t, &["spec", "serviceAccountName"]).is_empty() {
        o.field(1, "Service Account", s(t, &["spec", "serviceAccountName"]));
    }
    let init = arr(t, &["spec", "initContainers"]);
    if !init.is_empty() {
        containers(o, "Init Containers", init, &[], true);
    }
    containers(o, "Containers", arr(t, &["spec", "containers"]), &[], true);
    volumes(o, 1, arr(t, &["spec", "volumes"]));
    let sel: Vec<String> = sorted(get(t, &["spec", "nodeSelector"]))
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    o.multiline(1, "Node-Selectors", &sel);
    tolerations(o, 1, arr(t, &["spec", "tolerations"]));
}

fn int_or_string(v: Option<&Value>, default: &str) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => default.to_string(),
    }
}

/// `kubectl describe deployment`. `replica_sets` are the deployment's own replica sets
/// (owner UID matched by the caller).
pub fn deployment(d: &Value, replica_sets: &[Value], events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.meta(d, true);
    o.field(
        0,
        "CreationTimestamp",
        &when(s(d, &["metadata", "creationTimestamp"])),
    );
    o.labels(0, "Labels", get(d, &["metadata", "labels"]));
    o.annotations(0, get(d, &["metadata", "annotations"]));
    o.field(0, "Selector", &selector_text(get(d, &["spec", "selector"])));
    let desired = i(d, &["spec", "replicas"]).unwrap_or(1);
    let st = |k: &str| i(d, &["status", k]).unwrap_or(0);
    o.w(
        0,
        &format!(
            "Replicas:\t{desired} desired | {} updated | {} total | {} available | {} unavailable",
            st("updatedReplicas"),
            st("replicas"),
            st("availableReplicas"),
            st("unavailableReplicas")
        ),
    );
    let strategy = match s(d, &["spec", "strategy", "type"]) {
        "" => "RollingUpdate",
        x => x,
    };
    o.field(0, "StrategyType", strategy);
    o.w(
        0,
        &format!(
            "MinReadySeconds:\t{}",
            i(d, &["spec", "minReadySeconds"]).unwrap_or(0)
        ),
    );
    if strategy == "RollingUpdate" {
        let ru = get(d, &["spec", "strategy", "rollingUpdate"]);
        o.w(
            0,
            &format!(
                "RollingUpdateStrategy:\t{} max unavailable, {} max surge",
                int_or_string(ru.and_then(|r| r.get("maxUnavailable")), "25%"),
                int_or_string(ru.and_then(|r| r.get("maxSurge")), "25%")
            ),
        );
    }
    pod_template(&mut o, get(d, &["spec", "template"]));
    detailed_conditions(&mut o, arr(d, &["status", "conditions"]));
    let revision = s(
        d,
        &[
            "metadata",
            "annotations",
            "deployment.kubernetes.io/revision",
        ],
    );
    let rs_text = |rs: &Value| {
        format!(
            "{} ({}/{} replicas created)",
            clean(s(rs, &["metadata", "name"])),
            i(rs, &["status", "replicas"]).unwrap_or(0),
            i(rs, &["spec", "replicas"]).unwrap_or(0)
        )
    };
    let is_new = |rs: &Value| {
        !revision.is_empty()
            && s(
                rs,
                &[
                    "metadata",
                    "annotations",
                    "deployment.kubernetes.io/revision",
                ],
            ) == revision
    };
    let old: Vec<String> = replica_sets
        .iter()
        .filter(|rs| !is_new(rs) && i(rs, &["spec", "replicas"]).unwrap_or(0) > 0)
        .map(rs_text)
        .collect();
    o.field(0, "OldReplicaSets", &old.join(", "));
    let new = replica_sets
        .iter()
        .find(|rs| is_new(rs))
        .map(rs_text)
        .unwrap_or_default();
    o.field(0, "NewReplicaSet", &new);
    o.events(events, now);
    o.finish()
}

/// The ready endpoints of `port` in the service's endpoint slices, as `ip:port` (at most
/// three, then `+ N more...`), like kubectl's `formatEndpointSlices`.
pub fn endpoints_text(slices: &[Value], port_name: &str) -> String {
    let mut list = Vec::new();
    for sl in slices {
        let ports = arr(sl, &["ports"]);
        let Some(port) = ports
            .iter()
            .find(|p| s(p, &["name"]) == port_name)
            .and_then(|p| i(p, &["port"]))
        else {
            continue;
        };
        for ep in arr(sl, &["endpoints"]) {
            if get(ep, &["conditions", "ready"]).and_then(Value::as_bool) == Some(false) {
                continue;
            }
            for a in arr(ep, &["addresses"]) {
                if let Some(a) = a.as_str() {
                    list.push(if a.contains(':') {
                        format!("[{a}]:{port}")
                    } else {
                        format!("{a}:{port}")
                    });
                }
            }
        }
    }
    if list.is_empty() {
        return "<none>".into();
    }
    if list.len() > 3 {
        let more = list.len() - 3;
        list.truncate(3);
        return format!("{} + {more} more...", list.join(","));
    }
    list.join(",")
}

/// `kubectl describe service`, with endpoints from the service's endpoint slices.
pub fn service(svc: &Value, slices: &[Value], events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.meta(svc, true);
    o.labels(0, "Labels", get(svc, &["metadata", "labels"]));
    o.annotations(0, get(svc, &["metadata", "annotations"]));
    let sel: Vec<String> = sorted(get(svc, &["spec", "selector"]))
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    o.field(0, "Selector", &sel.join(","));
    let ty = match s(svc, &["spec", "type"]) {
        "" => "ClusterIP",
        x => x,
    };
    o.field(0, "Type", ty);
    if !s(svc, &["spec", "ipFamilyPolicy"]).is_empty() {
        o.field(0, "IP Family Policy", s(svc, &["spec", "ipFamilyPolicy"]));
    }
    let fams: Vec<&str> = arr(svc, &["spec", "ipFamilies"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !fams.is_empty() {
        o.field(0, "IP Families", &fams.join(","));
    }
    if ty == "ExternalName" {
        o.field(0, "External Name", s(svc, &["spec", "externalName"]));
    } else {
        o.field(0, "IP", s(svc, &["spec", "clusterIP"]));
        let ips: Vec<&str> = arr(svc, &["spec", "clusterIPs"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        o.field(0, "IPs", &ips.join(","));
    }
    let ext: Vec<&str> = arr(svc, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    if !ext.is_empty() {
        o.field(0, "External IPs", &ext.join(","));
    }
    let ingress: Vec<String> = arr(svc, &["status", "loadBalancer", "ingress"])
        .iter()
        .map(|x| {
            if s(x, &["ip"]).is_empty() {
                s(x, &["hostname"]).to_string()
            } else {
                s(x, &["ip"]).to_string()
            }
        })
        .collect();
    if !ingress.is_empty() {
        o.field(0, "LoadBalancer Ingress", &ingress.join(", "));
    }
    for p in arr(svc, &["spec", "ports"]) {
        let name = s(p, &["name"]);
        let shown = if name.is_empty() { "<unset>" } else { name };
        let proto = match s(p, &["protocol"]) {
            "" => "TCP",
            x => x,
        };
        o.w(
            0,
            &format!(
                "Port:\t{}\t{}/{proto}",
                clean(shown),
                i(p, &["port"]).unwrap_or(0)
            ),
        );
        let target = int_or_string(
            p.get("targetPort"),
            &i(p, &["port"]).unwrap_or(0).to_string(),
        );
        o.w(0, &format!("TargetPort:\t{}/{proto}", clean(&target)));
        if let Some(np) = i(p, &["nodePort"]).filter(|n| *n != 0) {
            o.w(0, &format!("NodePort:\t{}\t{np}/{proto}", clean(shown)));
        }
        if ty != "ExternalName" {
            o.w(0, &format!("Endpoints:\t{}", endpoints_text(slices, name)));
        }
    }
    o.field(
        0,
        "Session Affinity",
        match s(svc, &["spec", "sessionAffinity"]) {
            "" => "None",
            x => x,
        },
    );
    if !s(svc, &["spec", "externalTrafficPolicy"]).is_empty() {
        o.field(
            0,
            "External Traffic Policy",
            s(svc, &["spec", "externalTrafficPolicy"]),
        );
    }
    if !s(svc, &["spec", "internalTrafficPolicy"]).is_empty() {
        o.field(
            0,
            "Internal Traffic Policy",
            s(svc, &["spec", "internalTrafficPolicy"]),
        );
    }
    o.events(events, now);
    o.finish()
}

/// A node's roles from its `node-role.kubernetes.io/<role>` and `kubernetes.io/role` labels.
pub fn node_roles(node: &Value) -> String {
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in sorted(get(node, &["metadata", "labels"])) {
        if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
            if !r.is_empty() {
                roles.push(r.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.push(v);
        }
    }
    roles.sort();
    roles.dedup();
    if roles.is_empty() {
        "<none>".into()
    } else {
        roles.join(",")
    }
}

/// Requests and limits of a pod in millis: (cpu req, cpu lim, mem req, mem lim), as kubectl's
/// `PodRequestsAndLimits` (containers summed, the largest init container if larger, plus
/// overhead).
fn pod_resources(p: &Value) -> [i128; 4] {
    let get_q = |c: &Value, kind: &str, res: &str| -> i128 {
        quantity::parse_milli(s(c, &["resources", kind, res])).unwrap_or(0)
    };
    let mut tot = [0i128; 4];
    let keys = [
        ("requests", "cpu"),
        ("limits", "cpu"),
        ("requests", "memory"),
        ("limits", "memory"),
    ];
    for c in arr(p, &["spec", "containers"]) {
        for (k, (kind, res)) in keys.iter().enumerate() {
            tot[k] += get_q(c, kind, res);
        }
    }
    for c in arr(p, &["spec", "initContainers"]) {
        for (k, (kind, res)) in keys.iter().enumerate() {
            tot[k] = tot[k].max(get_q(c, kind, res));
        }
    }
    for (k, (_, res)) in keys.iter().enumerate() {
        tot[k] += quantity::parse_milli(s(p, &["spec", "overhead", res])).unwrap_or(0);
    }
    tot
}

/// `kubectl describe node`, with the node's non-terminated pods.
pub fn node(n: &Value, pods: &[Value], events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.meta(n, false);
    o.w(0, &format!("Roles:\t{}", node_roles(n)));
    o.labels(0, "Labels", get(n, &["metadata", "labels"]));
    o.annotations(0, get(n, &["metadata", "annotations"]));
    o.field(
        0,
        "CreationTimestamp",
        &when(s(n, &["metadata", "creationTimestamp"])),
    );
    let taints: Vec<String> = arr(n, &["spec", "taints"])
        .iter()
        .map(|t| {
            let v = s(t, &["value"]);
            let kv = if v.is_empty() {
                s(t, &["key"]).to_string()
            } else {
                format!("{}={v}", s(t, &["key"]))
            };
            clean(&format!("{kv}:{}", s(t, &["effect"])))
        })
        .collect();
    o.multiline(0, "Taints", &taints);
    o.w(
        0,
        &format!(
            "Unschedulable:\t{}",
            get(n, &["spec", "unschedulable"])
                .and_then(Value::as_bool)
                .unwrap_or(false)
        ),
    );
    let conds = arr(n, &["status", "conditions"]);
    if !conds.is_empty() {
        o.w(0, "Conditions:");
        o.w(
            1,
            "Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage",
        );
        o.w(
            1,
            "----\t------\t-----------------\t------------------\t------\t-------",
        );
        for c in conds {
            o.w(
                1,
                &format!(
                    "{} \t{} \t{} \t{} \t{} \t{}",
                    clean(s(c, &["type"])),
                    clean(s(c, &["status"])),
                    when(s(c, &["lastHeartbeatTime"])),
                    when(s(c, &["lastTransitionTime"])),
                    clean(s(c, &["reason"])),
                    clean(s(c, &["message"]))
                ),
            );
        }
    }
    o.w(0, "Addresses:");
    for a in arr(n, &["status", "addresses"]) {
        o.w(
            1,
            &format!("{}:\t{}", clean(s(a, &["type"])), clean(s(a, &["address"]))),
        );
    }
    for (title, key) in [("Capacity", "capacity"), ("Allocatable", "allocatable")] {
        let r = sorted(get(n, &["status", key]));
        if !r.is_empty() {
            o.w(0, &format!("{title}:"));
            for (k, v) in r {
                o.w(1, &format!("{k}:\t{}", clean(&v)));
            }
        }
    }
    if let Some(info) = get(n, &["status", "nodeInfo"]) {
        o.w(0, "System Info:");
        for (title, key) in [
            ("Machine ID", "machineID"),
            ("System UUID", "systemUUID"),
            ("Boot ID", "bootID"),
            ("Kernel Version", "kernelVersion"),
            ("OS Image", "osImage"),
            ("Operating System", "operatingSystem"),
            ("Architecture", "architecture"),
            ("Container Runtime Version", "containerRuntimeVersion"),
            ("Kubelet Version", "kubeletVersion"),
        ] {
            o.w(1, &format!("{title}:\t{}", clean(s(info, &[key]))));
        }
    }
    if !s(n, &["spec", "podCIDR"]).is_empty() {
        o.field(0, "PodCIDR", s(n, &["spec", "podCIDR"]));
        let cidrs: Vec<&str> = arr(n, &["spec", "podCIDRs"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        o.field(0, "PodCIDRs", &cidrs.join(","));
    }
    if !s(n, &["spec", "providerID"]).is_empty() {
        o.field(0, "ProviderID", s(n, &["spec", "providerID"]));
    }
    let alloc_cpu = quantity::parse_milli(s(n, &["status", "allocatable", "cpu"])).unwrap_or(0);
    let alloc_mem = quantity::parse_milli(s(n, &["status", "allocatable", "memory"])).unwrap_or(0);
    let cpu = |v: i128| quantity::with_percent(quantity::format_cpu(v), v, alloc_cpu);
    let mem = |v: i128| quantity::with_percent(quantity::format_memory(v), v, alloc_mem);
    o.w(
        0,
        &format!("Non-terminated Pods:\t({} in total)", pods.len()),
    );
    o.w(
        1,
        "Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge",
    );
    o.w(
        1,
        "---------\t----\t------------\t----------\t---------------\t-------------\t---",
    );
    let mut total = [0i128; 4];
    for p in pods {
        let r = pod_resources(p);
        for k in 0..4 {
            total[k] += r[k];
        }
        o.w(
            1,
            &format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                clean(s(p, &["metadata", "namespace"])),
                clean(s(p, &["metadata", "name"])),
                cpu(r[0]),
                cpu(r[1]),
                mem(r[2]),
                mem(r[3]),
                time::age(s(p, &["metadata", "creationTimestamp"]), now)
            ),
        );
    }
    o.w(0, "Allocated resources:");
    o.w(
        1,
        "(Total limits may be over 100 percent, i.e., overcommitted.)",
    );
    o.w(1, "Resource\tRequests\tLimits");
    o.w(1, "--------\t--------\t------");
    o.w(1, &format!("cpu\t{}\t{}", cpu(total[0]), cpu(total[1])));
    o.w(1, &format!("memory\t{}\t{}", mem(total[2]), mem(total[3])));
    o.events(events, now);
    o.finish()
}

/// `kubectl describe namespace`, with its resource quotas.
pub fn namespace(ns: &Value, quotas: &[Value], events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.meta(ns, false);
    o.labels(0, "Labels", get(ns, &["metadata", "labels"]));
    o.annotations(0, get(ns, &["metadata", "annotations"]));
    o.field(0, "Status", s(ns, &["status", "phase"]));
    o.w(0, "");
    if quotas.is_empty() {
        o.w(0, "No resource quota.");
    } else {
        o.w(0, "Resource Quotas");
        for q in quotas {
            o.w(1, &format!("Name:\t{}", clean(s(q, &["metadata", "name"]))));
            o.w(1, "Resource\tUsed\tHard");
            o.w(1, "--------\t---\t---");
            for (k, hard) in sorted(get(q, &["status", "hard"])) {
                let used = s(q, &["status", "used", &k]);
                o.w(1, &format!("{k}\t{}\t{}", clean(used), clean(&hard)));
            }
        }
    }
    o.w(0, "");
    o.events(events, now);
    o.finish()
}

/// The decoded length of base64 text (a secret value), without decoding it.
fn base64_len(b64: &str) -> usize {
    let t = b64.trim_end_matches('=');
    t.len() * 3 / 4
}

/// `kubectl describe secret`: data sizes only, never the values.
pub fn secret(sec: &Value) -> String {
    let mut o = Out::default();
    o.meta(sec, true);
    o.labels(0, "Labels", get(sec, &["metadata", "labels"]));
    o.annotations(0, get(sec, &["metadata", "annotations"]));
    o.w(0, "");
    o.field(0, "Type", s(sec, &["type"]));
    o.w(0, "");
    o.w(0, "Data");
    o.w(0, "====");
    for (k, v) in sorted(sec.get("data")) {
        // The host gives `<redacted: N bytes>` for every value (Secrets: metadata yes, data
        // never); a plain base64 value (a test, an older host) is measured.
        let size = v
            .strip_prefix("<redacted: ")
            .and_then(|r| r.strip_suffix(" bytes>"))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or_else(|| base64_len(&v));
        o.w(0, &format!("{k}:\t{size} bytes"));
    }
    o.finish()
}

/// `kubectl describe configmap`: every key with its value.
pub fn configmap(cm: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.meta(cm, true);
    o.labels(0, "Labels", get(cm, &["metadata", "labels"]));
    o.annotations(0, get(cm, &["metadata", "annotations"]));
    let head = o.finish();
    let mut text = head;
    text.push_str("\nData\n====\n");
    for (k, v) in sorted(cm.get("data")) {
        text.push_str(&format!("{k}:\n----\n{v}\n\n"));
    }
    text.push_str("\nBinaryData\n====\n");
    for (k, v) in sorted(cm.get("binaryData")) {
        text.push_str(&format!("{k}: {} bytes\n", base64_len(&v)));
    }
    text.push('\n');
    let mut o = Out::default();
    o.events(events, now);
    text.push_str(&o.finish());
    text
}

/// kubectl's `smartLabelFor`: a field name of letters (and `-`) split at camelCase
/// boundaries (`fatih/camelcase`), each part title-cased, the acronyms API, URL, UID, OSB and
/// GUID upper-cased (`nodeName` → `Node Name`, `apiVersion` → `API Version`); a name with
/// any other character is kept as it is.
fn title(k: &str) -> String {
    if k.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return k.to_string();
    }
    // Runs of one character class (lower, upper, other); an upper run followed by a lower
    // run gives its last letter to the lower run (`HTTPServer` → `HTTP`, `Server`).
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Lower,
        Upper,
        Other,
    }
    let class = |c: char| {
        if c.is_lowercase() {
            Class::Lower
        } else if c.is_uppercase() {
            Class::Upper
        } else {
            Class::Other
        }
    };
    let mut runs: Vec<(Class, Vec<char>)> = Vec::new();
    for c in k.chars() {
        let cl = class(c);
        match runs.last_mut() {
            Some((last, chars)) if *last == cl => chars.push(c),
            _ => runs.push((cl, vec![c])),
        }
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i].0 == Class::Upper && runs[i + 1].0 == Class::Lower {
            let moved = runs[i].1.pop().unwrap_or_default();
            runs[i + 1].1.insert(0, moved);
        }
    }
    let parts: Vec<String> = runs
        .into_iter()
        .map(|(_, chars)| chars.into_iter().collect::<String>())
        .filter(|p| !p.is_empty() && p != "_")
        .map(|p| {
            let upper = p.to_uppercase();
            if ["API", "URL", "UID", "OSB", "GUID"].contains(&upper.as_str()) {
                upper
            } else {
                let mut cs = p.chars();
                match cs.next() {
                    Some(f) => f.to_uppercase().chain(cs).collect(),
                    None => String::new(),
                }
            }
        })
        .collect();
    parts.join(" ")
}

/// Go's `%v` of a JSON scalar in an unstructured object.
fn go_scalar(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::String(s) => clean(s),
        other => other.to_string(),
    }
}

/// kubectl's `printUnstructuredContent`: fields sorted by name, maps as `Title:` with their
/// fields one level deeper, lists of maps as their fields one level deeper (no separator),
/// scalars as `Title:\tvalue`; `skip` holds `.path.to.field` expressions left out.
fn unstructured(
    o: &mut Out,
    level: usize,
    content: &serde_json::Map<String, Value>,
    prefix: &str,
    skip: &[&str],
) {
    let mut fields: Vec<&String> = content.keys().collect();
    fields.sort();
    for field in fields {
        let path = format!("{prefix}.{field}");
        if skip.contains(&path.as_str()) {
            continue;
        }
        match &content[field] {
            Value::Object(m) => {
                o.w(level, &format!("{}:", title(field)));
                unstructured(o, level + 1, m, &path, skip);
            }
            Value::Array(items) => {
                o.w(level, &format!("{}:", title(field)));
                for item in items {
                    match item {
                        Value::Object(m) => unstructured(o, level + 1, m, &path, skip),
                        other => o.w(level + 1, &go_scalar(other)),
                    }
                }
            }
            other => o.w(level, &format!("{}:\t{}", title(field), go_scalar(other))),
        }
    }
}

/// The generic describer (CRDs and kinds without a dedicated one), as kubectl's
/// `genericDescriber`: Name, Namespace, Labels, Annotations, then every other field of the
/// object by [`unstructured`] (metadata without what was shown and without managedFields),
/// then the events, all through one tabwriter.
pub fn generic(obj: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.w(
        0,
        &format!("Name:\t{}", clean(s(obj, &["metadata", "name"]))),
    );
    o.w(
        0,
        &format!("Namespace:\t{}", clean(s(obj, &["metadata", "namespace"]))),
    );
    o.labels(0, "Labels", get(obj, &["metadata", "labels"]));
    o.annotations(0, get(obj, &["metadata", "annotations"]));
    if let Some(m) = obj.as_object() {
        unstructured(
            &mut o,
            0,
            m,
            "",
            &[
                ".metadata.managedFields",
                ".metadata.name",
                ".metadata.namespace",
                ".metadata.labels",
                ".metadata.annotations",
            ],
        );
    }
    o.events(events, now);
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::NOW;
    use serde_json::json;

    fn sample_pod() -> Value {
        json!({
            "metadata": {"name": "web-1", "namespace": "default", "uid": "u1",
                "labels": {"app": "web", "pod-template-hash": "abc"},
                "ownerReferences": [{"kind": "ReplicaSet", "name": "web-abc", "controller": true}]},
            "spec": {"nodeName": "node-1", "serviceAccountName": "default", "priority": 0,
                "containers": [{"name": "app", "image": "nginx:1.25", "ports": [{"containerPort": 80}],
                    "env": [{"name": "MODE", "value": "prod"}, {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}]}]},
            "status": {"phase": "Running", "hostIP": "10.0.0.1", "podIP": "10.1.0.5", "podIPs": [{"ip": "10.1.0.5"}],
                "startTime": "2024-05-01T11:00:00Z", "qosClass": "BestEffort",
                "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [{"name": "app", "ready": true, "restartCount": 2, "image": "nginx:1.25",
                    "imageID": "docker.io/nginx@sha256:x", "containerID": "containerd://c1",
                    "state": {"running": {"startedAt": "2024-05-01T11:00:05Z"}}}]}
        })
    }

    #[test]
    fn pod_description() {
        let events = Some(Ok(vec![json!({
            "type": "Normal", "reason": "Scheduled", "message": "Successfully assigned default/web-1 to node-1",
            "source": {"component": "default-scheduler"}, "firstTimestamp": "2024-05-01T11:00:00Z",
            "lastTimestamp": "2024-05-01T11:00:00Z", "count": 1
        })]));
        let text = pod(&sample_pod(), &events, NOW);
        let expected_start = "Name:             web-1\nNamespace:        default\nPriority:         0\nService Account:  default\nNode:             node-1/10.0.0.1\nStart Time:       Wed, 01 May 2024 11:00:00 +0000\nLabels:           app=web\n                  pod-template-hash=abc\nAnnotations:      <none>\nStatus:           Running\nIP:               10.1.0.5\nIPs:\n  IP:           10.1.0.5\nControlled By:  ReplicaSet/web-abc\nContainers:\n";
        assert!(text.starts_with(expected_start), "{text}");
        assert!(text.contains("    Image:          nginx:1.25\n"), "{text}");
        assert!(
            text.contains(
                "    State:          Running\n      Started:      Wed, 01 May 2024 11:00:05 +0000\n"
            ),
            "{text}"
        );
        assert!(text.contains("    Restart Count:  2\n"), "{text}");
        assert!(
            text.contains("      PW:    <set to the key 'pw' in secret 'db'>\n"),
            "{text}"
        );
        assert!(text.contains("Events:\n  Type    Reason     Age   From               Message\n  ----    ------     ----  ----               -------\n  Normal  Scheduled  60m   default-scheduler  Successfully assigned default/web-1 to node-1\n"), "{text}");
    }

    #[test]
    fn pod_without_events_and_garbage() {
        let text = pod(&sample_pod(), &Some(Ok(vec![])), NOW);
        assert!(
            text.ends_with("Events:           <none>\n") || text.contains("Events:"),
            "{text}"
        );
        for v in [
            json!(null),
            json!({}),
            json!({"spec": {"containers": 5}, "status": "x"}),
            json!([1, 2]),
        ] {
            let _ = pod(&v, &Some(Err("forbidden".into())), NOW);
            let _ = deployment(&v, std::slice::from_ref(&v), &None, NOW);
            let _ = service(&v, std::slice::from_ref(&v), &None, NOW);
            let _ = node(&v, std::slice::from_ref(&v), &None, NOW);
            let _ = namespace(&v, std::slice::from_ref(&v), &None, NOW);
            let _ = secret(&v);
            let _ = configmap(&v, &None, NOW);
            let _ = generic(&v, &None, NOW);
        }
    }

    #[test]
    fn deployment_description() {
        let d = json!({
            "metadata": {"name": "web", "namespace": "default", "creationTimestamp": "2024-05-01T10:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": "2"}},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a", "b"]}]},
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": 1}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
            "status": {"replicas": 3, "updatedReplicas": 3, "availableReplicas": 2, "unavailableReplicas": 1,
                "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]}
        });
        let rs = vec![
            json!({"metadata": {"name": "web-new", "annotations": {"deployment.kubernetes.io/revision": "2"}}, "spec": {"replicas": 3}, "status": {"replicas": 3}}),
            json!({"metadata": {"name": "web-old", "annotations": {"deployment.kubernetes.io/revision": "1"}}, "spec": {"replicas": 0}, "status": {"replicas": 0}}),
        ];
        let text = deployment(&d, &rs, &Some(Ok(vec![])), NOW);
        assert!(text.contains("Replicas:               3 desired | 3 updated | 3 total | 2 available | 1 unavailable\n"), "{text}");
        assert!(
            text.contains("Selector:               app=web,tier in (a,b)\n"),
            "{text}"
        );
        assert!(
            text.contains("RollingUpdateStrategy:  25% max unavailable, 1 max surge\n"),
            "{text}"
        );
        assert!(
            text.contains("NewReplicaSet:   web-new (3/3 replicas created)\n"),
            "{text}"
        );
        assert!(text.contains("OldReplicaSets:  <none>\n"), "{text}");
        assert!(
            text.contains("  Containers:\n   web:\n    Image:"),
            "{text}"
        );
    }

    #[test]
    fn service_endpoints() {
        let slices = vec![json!({
            "ports": [{"name": "http", "port": 8080}],
            "endpoints": [
                {"addresses": ["10.1.0.5"], "conditions": {"ready": true}},
                {"addresses": ["10.1.0.6"], "conditions": {"ready": false}},
                {"addresses": ["10.1.0.7"]}
            ]
        })];
        assert_eq!(
            endpoints_text(&slices, "http"),
            "10.1.0.5:8080,10.1.0.7:8080"
        );
        assert_eq!(endpoints_text(&slices, "other"), "<none>");
        let svc = json!({"metadata": {"name": "web", "namespace": "default"},
            "spec": {"type": "ClusterIP", "clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"], "selector": {"app": "web"},
                "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}});
        let text = service(&svc, &slices, &Some(Ok(vec![])), NOW);
        assert!(text.contains("Port:              http  80/TCP\n"), "{text}");
        assert!(text.contains("TargetPort:        8080/TCP\n"), "{text}");
        assert!(
            text.contains("Endpoints:         10.1.0.5:8080,10.1.0.7:8080\n"),
            "{text}"
        );
    }

    #[test]
    fn node_description() {
        let n = json!({"metadata": {"name": "node-1", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi"}, "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}});
        let pods = vec![
            json!({"metadata": {"name": "p", "namespace": "kube-system", "creationTimestamp": "2024-04-30T12:00:00Z"},
            "spec": {"containers": [{"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}}}]}}),
        ];
        let text = node(&n, &pods, &Some(Ok(vec![])), NOW);
        assert!(
            text.contains("Roles:              control-plane\n"),
            "{text}"
        );
        assert!(
            text.contains("Non-terminated Pods:  (1 in total)\n"),
            "{text}"
        );
        assert!(text.contains("  kube-system         p     100m (2%)     0 (0%)      128Mi (1%)       256Mi (3%)     24h\n"), "{text}");
        assert!(
            text.contains("  memory    128Mi (1%)  256Mi (3%)\n"),
            "{text}"
        );
    }

    #[test]
    fn secrets_show_the_hosts_sizes() {
        let sec = json!({"metadata": {"name": "db", "namespace": "default"}, "type": "Opaque",
            "data": {"password": "<redacted: 8 bytes>", "user": "<redacted: 5 bytes>"}});
        let text = secret(&sec);
        assert!(text.contains("password:  8 bytes\n"), "{text}");
        assert!(text.contains("user:      5 bytes\n"), "{text}");
    }

    #[test]
    fn secrets_show_sizes_only() {
        let sec = json!({"metadata": {"name": "db", "namespace": "default"}, "type": "Opaque", "data": {"pw": "aHVudGVyMg=="}});
        let text = secret(&sec);
        assert!(text.contains("pw:  7 bytes\n"), "{text}");
        assert!(!text.contains("aHVudGVyMg"));
    }

    #[test]
    fn generic_description() {
        let obj = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "ns"},
            "spec": {"size": 3}, "status": {"phase": "Ready"}});
        let text = generic(&obj, &None, NOW);
        // kubectl describe widget w (a CRD object), as printed by kubectl 1.35.
        assert_eq!(
            text,
            "Name:         w\nNamespace:    ns\nLabels:       <none>\nAnnotations:  <none>\nAPI Version:  example.com/v1\nKind:         Widget\nMetadata:\nSpec:\n  Size:  3\nStatus:\n  Phase:  Ready\n"
        );
    }

    #[test]
    fn titles() {
        assert_eq!(title("nodeName"), "Node Name");
        assert_eq!(title("spec"), "Spec");
        assert_eq!(title("apiVersion"), "API Version");
        assert_eq!(title("uid"), "UID");
        assert_eq!(title("caCertificates"), "Ca Certificates");
        assert_eq!(title("HTTPServer"), "HTTP Server");
        assert_eq!(title("v1alpha3"), "v1alpha3");
    }
}
