//! `kubectl describe` for replica sets, stateful sets, daemon sets, jobs, cron jobs,
//! ingresses, persistent volume claims, persistent volumes and horizontal pod autoscalers.
//! Each function follows the describer of the same kind in kubectl's
//! `k8s.io/kubectl/pkg/describe/describe.go` (field labels, order and value formats), and
//! like the describers of [`crate::describe`] is a pure function of the objects already
//! fetched.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{
    EventsSection, Out, clean, detailed_conditions, int_or_string, owner, pod_template,
    selector_text, sorted, when,
};
use kap_sdk::api::{arr, get, i, s};
use kap_sdk::time;

/// Pods of a controller by phase — `[running, waiting, succeeded, failed]` — or why they
/// could not be listed (kubectl's `getPodStatusForController`).
pub type PodCounts = Result<[usize; 4], String>;

/// The service backends of an ingress by service name: the service and its endpoint slices,
/// or why they could not be read.
pub type Backends = BTreeMap<String, Result<(Value, Vec<Value>), String>>;

/// kubectl's `getPodStatusForController`: counts `pods` (listed with the controller's label
/// selector) whose controller owner reference has `uid`, by phase.
pub fn pod_counts(pods: &[Value], uid: &str) -> [usize; 4] {
    let mut n = [0usize; 4];
    for p in pods {
        let owned = arr(p, &["metadata", "ownerReferences"]).iter().any(|o| {
            o.get("controller").and_then(Value::as_bool) == Some(true) && s(o, &["uid"]) == uid
        });
        if !owned {
            continue;
        }
        match s(p, &["status", "phase"]) {
            "Running" => n[0] += 1,
            "Pending" => n[1] += 1,
            "Succeeded" => n[2] += 1,
            "Failed" => n[3] += 1,
            _ => {}
        }
    }
    n
}

fn pods_status(o: &mut Out, counts: &PodCounts, error_prefix: &str) {
    match counts {
        Ok([r, w, su, f]) => o.w(
            0,
            &format!("Pods Status:\t{r} Running / {w} Waiting / {su} Succeeded / {f} Failed"),
        ),
        Err(e) => o.w(0, &format!("Pods Status:\t{error_prefix}{}", clean(e))),
    }
}

/// A value printed as kubectl's `%v` prints it (`<nil>`-free: missing is empty).
fn plain(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(x)) => clean(x),
        Some(Value::Null) | None => String::new(),
        Some(other) => clean(&other.to_string()),
    }
}

/// Go's `%v` of a string slice: `[a b]`.
fn go_list(v: &[Value]) -> String {
    let items: Vec<String> = v.iter().map(|x| plain(Some(x))).collect();
    format!("[{}]", items.join(" "))
}

/// kubectl's `labels.FormatLabels`: `k=v,...` sorted, or `<none>`.
fn format_labels(map: Option<&Value>) -> String {
    let pairs: Vec<String> = sorted(map)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if pairs.is_empty() {
        "<none>".into()
    } else {
        clean(&pairs.join(","))
    }
}

fn controlled_by(o: &mut Out, obj: &Value) {
    if let Some(c) = owner(obj) {
        o.field(0, "Controlled By", &c);
    }
}

fn header(o: &mut Out, obj: &Value) {
    o.meta(obj, true);
}

fn labels_annotations(o: &mut Out, obj: &Value) {
    o.labels(0, "Labels", get(obj, &["metadata", "labels"]));
    o.annotations(0, get(obj, &["metadata", "annotations"]));
}

/// kubectl's `ReplicaSetDescriber`: `pods` are the counts of the replica set's own pods.
pub fn replica_set(rs: &Value, pods: &PodCounts, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, rs);
    o.w(
        0,
        &format!(
            "Selector:\t{}",
            selector_text(get(rs, &["spec", "selector"]))
        ),
    );
    labels_annotations(&mut o, rs);
    controlled_by(&mut o, rs);
    o.w(
        0,
        &format!(
            "Replicas:\t{} current / {} desired",
            i(rs, &["status", "replicas"]).unwrap_or(0),
            i(rs, &["spec", "replicas"]).unwrap_or(1)
        ),
    );
    pods_status(&mut o, pods, "error in fetching pods: ");
    pod_template(&mut o, get(rs, &["spec", "template"]));
    detailed_conditions(&mut o, arr(rs, &["status", "conditions"]));
    o.events(events, now);
    o.finish()
}

/// The volume claim templates of a stateful set (kubectl's `describeVolumeClaimTemplates`).
fn volume_claim_templates(o: &mut Out, templates: &[Value]) {
    if templates.is_empty() {
        o.w(0, "Volume Claims:\t<none>");
        return;
    }
    o.w(0, "Volume Claims:");
    for t in templates {
        o.w(1, &format!("Name:\t{}", clean(s(t, &["metadata", "name"]))));
        o.w(1, &format!("StorageClass:\t{}", clean(&claim_class(t))));
        o.labels(1, "Labels", get(t, &["metadata", "labels"]));
        o.labels(1, "Annotations", get(t, &["metadata", "annotations"]));
        let cap = s(t, &["spec", "resources", "requests", "storage"]);
        o.w(
            1,
            &format!(
                "Capacity:\t{}",
                if cap.is_empty() {
                    "<default>".to_string()
                } else {
                    clean(cap)
                }
            ),
        );
        o.w(
            1,
            &format!(
                "Access Modes:\t{}",
                go_list(arr(t, &["spec", "accessModes"]))
            ),
        );
    }
}

/// kubectl's `StatefulSetDescriber`: `pods` are the counts of the stateful set's own pods.
/// As in kubectl 1.36: without the `Service Name`, `Pod Management Policy` and
/// `Persistent Volume Claim Retention Policy` fields that later kubectl versions add.
pub fn stateful_set(sts: &Value, pods: &PodCounts, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, sts);
    o.w(
        0,
        &format!(
            "CreationTimestamp:\t{}",
            when(s(sts, &["metadata", "creationTimestamp"]))
        ),
    );
    o.w(
        0,
        &format!(
            "Selector:\t{}",
            selector_text(get(sts, &["spec", "selector"]))
        ),
    );
    labels_annotations(&mut o, sts);
    o.w(
        0,
        &format!(
            "Replicas:\t{} desired | {} total",
            i(sts, &["spec", "replicas"]).unwrap_or(1),
            i(sts, &["status", "replicas"]).unwrap_or(0)
        ),
    );
    o.w(
        0,
        &format!(
            "Update Strategy:\t{}",
            clean(s(sts, &["spec", "updateStrategy", "type"]))
        ),
    );
    if let Some(ru) = get(sts, &["spec", "updateStrategy", "rollingUpdate"])
        && let Some(p) = i(ru, &["partition"])
    {
        o.w(1, &format!("Partition:\t{p}"));
        if let Some(mu) = ru.get("maxUnavailable").filter(|v| !v.is_null()) {
            o.w(
                1,
                &format!("MaxUnavailable:\t{}", clean(&int_or_string(Some(mu), ""))),
            );
        }
    }
    pods_status(&mut o, pods, "");
    pod_template(&mut o, get(sts, &["spec", "template"]));
    volume_claim_templates(&mut o, arr(sts, &["spec", "volumeClaimTemplates"]));
    o.events(events, now);
    o.finish()
}

/// kubectl's `DaemonSetDescriber`: `pods` are the counts of the daemon set's own pods.
pub fn daemon_set(ds: &Value, pods: &PodCounts, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, ds);
    o.w(
        0,
        &format!(
            "Selector:\t{}",
            selector_text(get(ds, &["spec", "selector"]))
        ),
    );
    o.w(
        0,
        &format!(
            "Node-Selector:\t{}",
            format_labels(get(ds, &["spec", "template", "spec", "nodeSelector"]))
        ),
    );
    labels_annotations(&mut o, ds);
    let st = |k: &str| i(ds, &["status", k]).unwrap_or(0);
    // kubectl writes these five without a tab: they stay outside the aligned column.
    o.w(
        0,
        &format!(
            "Desired Number of Nodes Scheduled: {}",
            st("desiredNumberScheduled")
        ),
    );
    o.w(
        0,
        &format!(
            "Current Number of Nodes Scheduled: {}",
            st("currentNumberScheduled")
        ),
    );
    o.w(
        0,
        &format!(
            "Number of Nodes Scheduled with Up-to-date Pods: {}",
            st("updatedNumberScheduled")
        ),
    );
    o.w(
        0,
        &format!(
            "Number of Nodes Scheduled with Available Pods: {}",
            st("numberAvailable")
        ),
    );
    o.w(
        0,
        &format!("Number of Nodes Misscheduled: {}", st("numberMisscheduled")),
    );
    pods_status(&mut o, pods, "");
    pod_template(&mut o, get(ds, &["spec", "template"]));
    o.events(events, now);
    o.finish()
}

/// kubectl's `capIndexesListOrNone`: the completed indexes, cut after about 50 characters.
fn cap_indexes(indexes: &str, soft_limit: usize) -> String {
    if indexes.is_empty() {
        return "<none>".into();
    }
    let b = indexes.as_bytes();
    let mut ix = soft_limit;
    while ix < b.len() && b[ix] != b',' {
        ix += 1;
    }
    if ix >= b.len() {
        return clean(indexes);
    }
    format!("{}...", clean(&indexes[..=ix]))
}

/// kubectl's `JobDescriber`.
pub fn job(job: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, job);
    o.w(
        0,
        &format!(
            "Selector:\t{}",
            selector_text(get(job, &["spec", "selector"]))
        ),
    );
    labels_annotations(&mut o, job);
    controlled_by(&mut o, job);
    if let Some(p) = i(job, &["spec", "parallelism"]) {
        o.w(0, &format!("Parallelism:\t{p}"));
    }
    match i(job, &["spec", "completions"]) {
        Some(c) => o.w(0, &format!("Completions:\t{c}")),
        None => o.w(0, "Completions:\t<unset>"),
    }
    if !s(job, &["spec", "completionMode"]).is_empty() {
        o.field(0, "Completion Mode", s(job, &["spec", "completionMode"]));
    }
    if let Some(b) = get(job, &["spec", "suspend"]).and_then(Value::as_bool) {
        o.w(0, &format!("Suspend:\t{b}"));
    }
    if let Some(b) = i(job, &["spec", "backoffLimit"]) {
        o.w(0, &format!("Backoff Limit:\t{b}"));
    }
    if let Some(t) = i(job, &["spec", "ttlSecondsAfterFinished"]) {
        o.w(0, &format!("TTL Seconds After Finished:\t{t}"));
    }
    let start = s(job, &["status", "startTime"]);
    let done = s(job, &["status", "completionTime"]);
    if !start.is_empty() {
        o.w(0, &format!("Start Time:\t{}", when(start)));
    }
    if !done.is_empty() {
        o.w(0, &format!("Completed At:\t{}", when(done)));
    }
    if let (Some(a), Some(b)) = (time::parse_rfc3339(start), time::parse_rfc3339(done)) {
        o.w(0, &format!("Duration:\t{}", time::human_duration(b - a)));
    }
    if let Some(d) = i(job, &["spec", "activeDeadlineSeconds"]) {
        o.w(0, &format!("Active Deadline Seconds:\t{d}s"));
    }
    let st = |k: &str| i(job, &["status", k]).unwrap_or(0);
    match i(job, &["status", "ready"]) {
        None => o.w(
            0,
            &format!(
                "Pods Statuses:\t{} Active / {} Succeeded / {} Failed",
                st("active"),
                st("succeeded"),
                st("failed")
            ),
        ),
        Some(r) => o.w(
            0,
            &format!(
                "Pods Statuses:\t{} Active ({r} Ready) / {} Succeeded / {} Failed",
                st("active"),
                st("succeeded"),
                st("failed")
            ),
        ),
    }
    if s(job, &["spec", "completionMode"]) == "Indexed" {
        o.w(
            0,
            &format!(
                "Completed Indexes:\t{}",
                cap_indexes(s(job, &["status", "completedIndexes"]), 50)
            ),
        );
    }
    pod_template(&mut o, get(job, &["spec", "template"]));
    o.events(events, now);
    o.finish()
}

fn bool_ptr(v: Option<&Value>) -> &'static str {
    match v.and_then(Value::as_bool) {
        Some(true) => "True",
        Some(false) => "False",
        None => "<unset>",
    }
}

fn int_or_unset(v: Option<i64>, suffix: &str) -> String {
    v.map(|n| format!("{n}{suffix}"))
        .unwrap_or_else(|| "<unset>".into())
}

/// kubectl's `CronJobDescriber` (with `describeJobTemplate` and `printActiveJobs`).
pub fn cron_job(cj: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, cj);
    labels_annotations(&mut o, cj);
    o.w(
        0,
        &format!("Schedule:\t{}", clean(s(cj, &["spec", "schedule"]))),
    );
    o.w(
        0,
        &format!(
            "Concurrency Policy:\t{}",
            clean(s(cj, &["spec", "concurrencyPolicy"]))
        ),
    );
    o.w(
        0,
        &format!("Suspend:\t{}", bool_ptr(get(cj, &["spec", "suspend"]))),
    );
    let tz = s(cj, &["spec", "timeZone"]);
    o.w(
        0,
        &format!(
            "Time Zone:\t{}",
            if get(cj, &["spec", "timeZone"]).is_some_and(Value::is_string) {
                clean(tz)
            } else {
                "<unset>".into()
            }
        ),
    );
    o.w(
        0,
        &format!(
            "Successful Job History Limit:\t{}",
            int_or_unset(i(cj, &["spec", "successfulJobsHistoryLimit"]), "")
        ),
    );
    o.w(
        0,
        &format!(
            "Failed Job History Limit:\t{}",
            int_or_unset(i(cj, &["spec", "failedJobsHistoryLimit"]), "")
        ),
    );
    o.w(
        0,
        &format!(
            "Starting Deadline Seconds:\t{}",
            int_or_unset(i(cj, &["spec", "startingDeadlineSeconds"]), "s")
        ),
    );
    let jt = get(cj, &["spec", "jobTemplate"]).unwrap_or(&Value::Null);
    match get(jt, &["spec", "selector"]) {
        Some(sel) => o.w(0, &format!("Selector:\t{}", selector_text(Some(sel)))),
        None => o.w(0, "Selector:\t<unset>"),
    }
    o.w(
        0,
        &format!(
            "Parallelism:\t{}",
            int_or_unset(i(jt, &["spec", "parallelism"]), "")
        ),
    );
    o.w(
        0,
        &format!(
            "Completions:\t{}",
            int_or_unset(i(jt, &["spec", "completions"]), "")
        ),
    );
    if let Some(d) = i(jt, &["spec", "activeDeadlineSeconds"]) {
        o.w(0, &format!("Active Deadline Seconds:\t{d}s"));
    }
    pod_template(&mut o, get(jt, &["spec", "template"]));
    let last = s(cj, &["status", "lastScheduleTime"]);
    o.w(0, &format!("Last Schedule Time:\t{}", when(last)));
    let active: Vec<String> = arr(cj, &["status", "active"])
        .iter()
        .map(|j| clean(s(j, &["name"])))
        .collect();
    o.field(0, "Active Jobs", &active.join(", "));
    o.events(events, now);
    o.finish()
}

/// kubectl's `formatEndpointSlices` for one service port name: ready endpoints as `ip:port`,
/// at most three then `+ N more...`; `<none>` without slices.
fn format_endpoint_slices(slices: &[Value], port_name: &str) -> String {
    if slices.is_empty() {
        return "<none>".into();
    }
    let max = 3;
    let mut list: Vec<String> = Vec::new();
    let mut count = 0;
    let mut more = false;
    let mut add = |addr: String, ready: bool| {
        if list.len() == max {
            more = true;
        }
        if !ready {
            return;
        }
        if !more {
            list.push(addr);
        }
        count += 1;
    };
    for sl in slices {
        let ports = arr(sl, &["ports"]);
        let ready =
            |ep: &Value| get(ep, &["conditions", "ready"]).and_then(Value::as_bool) != Some(false);
        let first = |ep: &Value| {
            arr(ep, &["addresses"])
                .first()
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if ports.is_empty() {
            for ep in arr(sl, &["endpoints"]) {
                add(first(ep), ready(ep));
            }
            continue;
        }
        for p in ports {
            if s(p, &["name"]) != port_name {
                continue;
            }
            let port = i(p, &["port"]).unwrap_or(0);
            for ep in arr(sl, &["endpoints"]) {
                let a = first(ep);
                let hp = if a.contains(':') {
                    format!("[{a}]:{port}")
                } else {
                    format!("{a}:{port}")
                };
                add(hp, ready(ep));
            }
        }
    }
    let ret = clean(&list.join(","));
    if more {
        format!("{ret} + {} more...", count - max)
    } else {
        ret
    }
}

/// The service an ingress backend points at, if any.
pub fn backend_service(backend: &Value) -> Option<&str> {
    get(backend, &["service", "name"])
        .and_then(Value::as_str)
        .filter(|n| !n.is_empty())
}

/// Every service named by an ingress (default backend and rule paths).
pub fn ingress_services(ing: &Value) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |b: &Value| {
        if let Some(n) = backend_service(b)
            && !names.iter().any(|x| x == n)
        {
            names.push(n.to_string());
        }
    };
    if let Some(d) = get(ing, &["spec", "defaultBackend"]) {
        push(d);
    }
    for r in arr(ing, &["spec", "rules"]) {
        for p in arr(r, &["http", "paths"]) {
            if let Some(b) = p.get("backend") {
                push(b);
            }
        }
    }
    names
}

/// kubectl's `IngressDescriber.describeBackendV1`.
fn describe_backend(backend: &Value, backends: &Backends) -> String {
    if let Some(svc) = backend.get("service") {
        let name = s(svc, &["name"]);
        let number = i(svc, &["port", "number"]).unwrap_or(0);
        let port_name = s(svc, &["port", "name"]);
        let sb = if number != 0 {
            format!("{name}:{number}")
        } else {
            format!("{name}:{port_name}")
        };
        return match backends.get(name) {
            None => clean(&sb),
            Some(Err(e)) => clean(&format!("{sb} (<error: {e}>)")),
            Some(Ok((service, slices))) => {
                let mut sp_name = "";
                for sp in arr(service, &["spec", "ports"]) {
                    if (number != 0 && i(sp, &["port"]) == Some(number))
                        || (!port_name.is_empty() && s(sp, &["name"]) == port_name)
                    {
                        sp_name = s(sp, &["name"]);
                    }
                }
                format!(
                    "{} ({})",
                    clean(&sb),
                    format_endpoint_slices(slices, sp_name)
                )
            }
        };
    }
    if let Some(r) = backend.get("resource") {
        let group = match s(r, &["apiGroup"]) {
            "" => "<none>",
            g => g,
        };
        return clean(&format!(
            "APIGroup: {group}, Kind: {}, Name: {}",
            s(r, &["kind"]),
            s(r, &["name"])
        ));
    }
    String::new()
}

/// kubectl's `IngressDescriber` (networking.k8s.io/v1): `backends` holds the services the
/// ingress names, with their endpoint slices.
pub fn ingress(ing: &Value, backends: &Backends, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.field(0, "Name", s(ing, &["metadata", "name"]));
    o.labels(0, "Labels", get(ing, &["metadata", "labels"]));
    o.field(0, "Namespace", s(ing, &["metadata", "namespace"]));
    let mut addrs: Vec<String> = arr(ing, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|x| {
            [s(x, &["ip"]), s(x, &["hostname"])]
                .into_iter()
                .find(|v| !v.is_empty())
                .map(clean)
        })
        .collect();
    addrs.sort();
    addrs.dedup();
    o.w(0, &format!("Address:\t{}", addrs.join(",")));
    let class = match s(ing, &["spec", "ingressClassName"]) {
        "" => "<none>",
        c => c,
    };
    o.w(0, &format!("Ingress Class:\t{}", clean(class)));
    let default = match get(ing, &["spec", "defaultBackend"]) {
        Some(d) => describe_backend(d, backends),
        None => "<default>".into(),
    };
    o.w(0, &format!("Default backend:\t{default}"));
    let tls = arr(ing, &["spec", "tls"]);
    if !tls.is_empty() {
        o.w(0, "TLS:");
        for t in tls {
            let hosts: Vec<&str> = arr(t, &["hosts"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let secret = s(t, &["secretName"]);
            if secret.is_empty() {
                o.w(1, &clean(&format!("SNI routes {}", hosts.join(","))));
            } else {
                o.w(
                    1,
                    &clean(&format!("{secret} terminates {}", hosts.join(","))),
                );
            }
        }
    }
    o.w(0, "Rules:");
    o.w(1, "Host\tPath\tBackends");
    o.w(1, "----\t----\t--------");
    let mut count = 0;
    for r in arr(ing, &["spec", "rules"]) {
        let Some(http) = r.get("http").filter(|h| !h.is_null()) else {
            continue;
        };
        count += 1;
        let host = match s(r, &["host"]) {
            "" => "*",
            h => h,
        };
        o.w(1, &format!("{}\t", clean(host)));
        for p in arr(http, &["paths"]) {
            let b = p.get("backend").unwrap_or(&Value::Null);
            o.w(
                2,
                &format!(
                    "\t{} \t{}",
                    clean(s(p, &["path"])),
                    describe_backend(b, backends)
                ),
            );
        }
    }
    if count == 0 {
        o.w(1, &format!("*\t*\t{default}"));
    }
    o.annotations(0, get(ing, &["metadata", "annotations"]));
    o.events(events, now);
    o.finish()
}

/// kubectl's `GetAccessModesAsString`: `RWO,ROX,RWX,RWOP` in that order, without duplicates.
pub fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|x| x.as_str() == Some(m));
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .into_iter()
    .filter(|(m, _)| has(m))
    .map(|(_, short)| short)
    .collect::<Vec<_>>()
    .join(",")
}

/// A claim's (or volume's) storage class: the beta annotation, else `spec.storageClassName`.
fn claim_class(obj: &Value) -> String {
    if let Some(c) = get(
        obj,
        &[
            "metadata",
            "annotations",
            "volume.beta.kubernetes.io/storage-class",
        ],
    )
    .and_then(Value::as_str)
    {
        return c.to_string();
    }
    s(obj, &["spec", "storageClassName"]).to_string()
}

fn status_or_terminating(o: &mut Out, obj: &Value, now: i64) {
    let del = s(obj, &["metadata", "deletionTimestamp"]);
    if del.is_empty() {
        o.w(
            0,
            &format!("Status:\t{}", clean(s(obj, &["status", "phase"]))),
        );
    } else {
        o.w(
            0,
            &format!("Status:\tTerminating (lasts {})", time::age(del, now)),
        );
    }
}

/// kubectl's `PersistentVolumeClaimDescriber`: `users` are the pods that mount the claim
/// or own it (kubectl's `getPodsForPVC`).
pub fn pvc(pvc: &Value, users: &[Value], events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, pvc);
    o.w(0, &format!("StorageClass:\t{}", clean(&claim_class(pvc))));
    status_or_terminating(&mut o, pvc, now);
    let volume = s(pvc, &["spec", "volumeName"]);
    o.w(0, &format!("Volume:\t{}", clean(volume)));
    labels_annotations(&mut o, pvc);
    o.w(
        0,
        &format!(
            "Finalizers:\t{}",
            go_list(arr(pvc, &["metadata", "finalizers"]))
        ),
    );
    let (capacity, modes) = if volume.is_empty() {
        (String::new(), String::new())
    } else {
        (
            clean(s(pvc, &["status", "capacity", "storage"])),
            access_modes(arr(pvc, &["status", "accessModes"])),
        )
    };
    o.w(0, &format!("Capacity:\t{capacity}"));
    o.w(0, &format!("Access Modes:\t{modes}"));
    if !s(pvc, &["spec", "volumeMode"]).is_empty() {
        o.field(0, "VolumeMode", s(pvc, &["spec", "volumeMode"]));
    }
    if let Some(ds) = get(pvc, &["spec", "dataSource"]).filter(|d| d.is_object()) {
        o.w(0, "DataSource:");
        if let Some(g) = ds.get("apiGroup").and_then(Value::as_str) {
            o.w(1, &format!("APIGroup:\t{}", clean(g)));
        }
        o.w(1, &format!("Kind:\t{}", clean(s(ds, &["kind"]))));
        o.w(1, &format!("Name:\t{}", clean(s(ds, &["name"]))));
    }
    let mut names: Vec<String> = users
        .iter()
        .map(|p| clean(s(p, &["metadata", "name"])))
        .collect();
    names.sort();
    o.multiline(0, "Used By", &names);
    let conds = arr(pvc, &["status", "conditions"]);
    if !conds.is_empty() {
        o.w(0, "Conditions:");
        o.w(
            1,
            "Type\tStatus\tLastProbeTime\tLastTransitionTime\tReason\tMessage",
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
                    zero_time(s(c, &["lastProbeTime"])),
                    zero_time(s(c, &["lastTransitionTime"])),
                    clean(s(c, &["reason"])),
                    clean(s(c, &["message"]))
                ),
            );
        }
    }
    o.events(events, now);
    o.finish()
}

/// Go's zero `time.Time` formatted with RFC 1123Z when the timestamp is unset.
fn zero_time(ts: &str) -> String {
    if ts.is_empty() {
        "Mon, 01 Jan 0001 00:00:00 +0000".into()
    } else {
        when(ts)
    }
}

/// Pods of `pods` (one namespace's) that use `pvc`: by volume claim name, then owners of the
/// claim (kubectl's `getPodsForPVC`).
pub fn pvc_users(pvc: &Value, pods: &[Value]) -> Vec<Value> {
    let name = s(pvc, &["metadata", "name"]);
    let mut out: Vec<Value> = pods
        .iter()
        .filter(|p| {
            arr(p, &["spec", "volumes"])
                .iter()
                .any(|v| s(v, &["persistentVolumeClaim", "claimName"]) == name)
        })
        .cloned()
        .collect();
    for o in arr(pvc, &["metadata", "ownerReferences"]) {
        if s(o, &["kind"]) != "Pod" {
            continue;
        }
        let uid = s(o, &["uid"]);
        if out.iter().any(|p| s(p, &["metadata", "uid"]) == uid) {
            continue;
        }
        if let Some(p) = pods.iter().find(|p| s(p, &["metadata", "uid"]) == uid) {
            out.push(p.clone());
        }
    }
    out
}

/// kubectl's `printVolumeNodeAffinity`.
fn volume_node_affinity(o: &mut Out, pv: &Value) {
    let Some(req) = get(pv, &["spec", "nodeAffinity", "required"]).filter(|r| r.is_object()) else {
        o.w(0, "Node Affinity:\t<none>");
        return;
    };
    o.w(0, "Node Affinity:\t");
    let terms = arr(req, &["nodeSelectorTerms"]);
    if terms.is_empty() {
        o.w(1, "Required Terms:\t<none>");
        return;
    }
    o.w(1, "Required Terms:\t");
    for (n, t) in terms.iter().enumerate() {
        let exprs = arr(t, &["matchExpressions"]);
        if exprs.is_empty() {
            o.w(2, &format!("Term {n}:\t<none>"));
            continue;
        }
        for (k, e) in exprs.iter().enumerate() {
            let mut x = format!("{} {}", s(e, &["key"]), s(e, &["operator"]).to_lowercase());
            let values: Vec<&str> = arr(e, &["values"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            if !values.is_empty() {
                x = format!("{x} [{}]", values.join(", "));
            }
            if k == 0 {
                o.w(2, &format!("Term {n}:\t{}", clean(&x)));
            } else {
                o.w(2, &format!("\t{}", clean(&x)));
            }
        }
    }
}

/// The `Source:` section of a persistent volume for the common volume types (kubectl's
/// `print*VolumeSource` functions); other types print their fields as `key: value`.
fn pv_source(o: &mut Out, spec: &Value) {
    let b = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
    if let Some(h) = spec.get("hostPath") {
        o.w(2, "Type:\tHostPath (bare host directory volume)");
        o.w(2, &format!("Path:\t{}", clean(s(h, &["path"]))));
        let ty = match get(h, &["type"]).and_then(Value::as_str) {
            Some(t) => clean(t),
            None => "<none>".into(),
        };
        o.w(2, &format!("HostPathType:\t{ty}"));
    } else if let Some(n) = spec.get("nfs") {
        o.w(
            2,
            "Type:\tNFS (an NFS mount that lasts the lifetime of a pod)",
        );
        o.w(2, &format!("Server:\t{}", clean(s(n, &["server"]))));
        o.w(2, &format!("Path:\t{}", clean(s(n, &["path"]))));
        o.w(2, &format!("ReadOnly:\t{}", b(n.get("readOnly"))));
    } else if let Some(l) = spec.get("local") {
        o.w(
            2,
            "Type:\tLocalVolume (a persistent volume backed by local storage on a node)",
        );
        o.w(2, &format!("Path:\t{}", clean(s(l, &["path"]))));
    } else if let Some(c) = spec.get("csi") {
        o.w(
            2,
            "Type:\tCSI (a Container Storage Interface (CSI) volume source)",
        );
        o.w(2, &format!("Driver:\t{}", clean(s(c, &["driver"]))));
        o.w(2, &format!("FSType:\t{}", clean(s(c, &["fsType"]))));
        o.w(
            2,
            &format!("VolumeHandle:\t{}", clean(s(c, &["volumeHandle"]))),
        );
        o.w(2, &format!("ReadOnly:\t{}", b(c.get("readOnly"))));
        let attrs: Vec<String> = sorted(c.get("volumeAttributes"))
            .into_iter()
            .map(|(k, v)| clean(&format!("{k}={v}")))
            .collect();
        o.multiline(2, "VolumeAttributes", &attrs);
    } else {
        const NOT_SOURCES: [&str; 9] = [
            "accessModes",
            "capacity",
            "claimRef",
            "mountOptions",
            "nodeAffinity",
            "persistentVolumeReclaimPolicy",
            "storageClassName",
            "volumeMode",
            "volumeAttributesClassName",
        ];
        let source = spec.as_object().and_then(|m| {
            m.iter()
                .find(|(k, v)| !NOT_SOURCES.contains(&k.as_str()) && v.is_object())
        });
        match source {
            None => o.w(1, "<unknown>"),
            Some((k, v)) => {
                o.w(2, &format!("Type:\t{}", clean(k)));
                for (key, val) in sorted(Some(v)) {
                    o.w(2, &format!("{key}:\t{}", clean(&val)));
                }
            }
        }
    }
}

/// kubectl's `PersistentVolumeDescriber`.
pub fn pv(pv: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    o.field(0, "Name", s(pv, &["metadata", "name"]));
    labels_annotations(&mut o, pv);
    o.w(
        0,
        &format!(
            "Finalizers:\t{}",
            go_list(arr(pv, &["metadata", "finalizers"]))
        ),
    );
    o.w(0, &format!("StorageClass:\t{}", clean(&claim_class(pv))));
    status_or_terminating(&mut o, pv, now);
    let claim = match get(pv, &["spec", "claimRef"]).filter(|c| c.is_object()) {
        Some(c) => format!("{}/{}", s(c, &["namespace"]), s(c, &["name"])),
        None => String::new(),
    };
    o.w(0, &format!("Claim:\t{}", clean(&claim)));
    o.w(
        0,
        &format!(
            "Reclaim Policy:\t{}",
            clean(s(pv, &["spec", "persistentVolumeReclaimPolicy"]))
        ),
    );
    o.w(
        0,
        &format!(
            "Access Modes:\t{}",
            access_modes(arr(pv, &["spec", "accessModes"]))
        ),
    );
    if !s(pv, &["spec", "volumeMode"]).is_empty() {
        o.field(0, "VolumeMode", s(pv, &["spec", "volumeMode"]));
    }
    let cap = match s(pv, &["spec", "capacity", "storage"]) {
        "" => "0",
        c => c,
    };
    o.w(0, &format!("Capacity:\t{}", clean(cap)));
    volume_node_affinity(&mut o, pv);
    o.w(
        0,
        &format!("Message:\t{}", clean(s(pv, &["status", "message"]))),
    );
    o.w(0, "Source:");
    pv_source(&mut o, pv.get("spec").unwrap_or(&Value::Null));
    o.events(events, now);
    o.finish()
}

/// One metric line of an autoscaling/v2 HPA (kubectl's `describeHorizontalPodAutoscalerV2`).
fn hpa_metric(o: &mut Out, m: &Value, cur: Option<&Value>) {
    let q = |v: Option<&Value>| plain(v);
    let unknown = || "<unknown>".to_string();
    match s(m, &["type"]) {
        "External" => {
            let e = get(m, &["external"]).unwrap_or(&Value::Null);
            let name = s(e, &["metric", "name"]);
            let c = cur.and_then(|c| c.get("external"));
            if let Some(av) = get(e, &["target", "averageValue"]) {
                let current = c
                    .and_then(|c| get(c, &["current", "averageValue"]))
                    .map(|v| q(Some(v)))
                    .unwrap_or_else(unknown);
                o.w(
                    1,
                    &format!(
                        "{name:?} (target average value):\t{current} / {}",
                        q(Some(av))
                    ),
                );
            } else {
                let current = c
                    .map(|c| q(get(c, &["current", "value"])))
                    .unwrap_or_else(unknown);
                o.w(
                    1,
                    &format!(
                        "{name:?} (target value):\t{current} / {}",
                        q(get(e, &["target", "value"]))
                    ),
                );
            }
        }
        "Pods" => {
            let p = get(m, &["pods"]).unwrap_or(&Value::Null);
            let current = cur
                .and_then(|c| c.get("pods"))
                .map(|c| q(get(c, &["current", "averageValue"])))
                .unwrap_or_else(unknown);
            o.w(
                1,
                &format!(
                    "{:?} on pods:\t{current} / {}",
                    s(p, &["metric", "name"]),
                    q(get(p, &["target", "averageValue"]))
                ),
            );
        }
        "Object" => {
            let ob = get(m, &["object"]).unwrap_or(&Value::Null);
            let head = format!(
                "\"{}\" on {}/{} ",
                s(ob, &["metric", "name"]),
                s(ob, &["describedObject", "kind"]),
                s(ob, &["describedObject", "name"])
            );
            let c = cur.and_then(|c| c.get("object"));
            if s(ob, &["target", "type"]) == "AverageValue" {
                let current = c
                    .map(|c| q(get(c, &["current", "averageValue"])))
                    .unwrap_or_else(unknown);
                o.w(
                    1,
                    &format!(
                        "{head}(target average value):\t{current} / {}",
                        q(get(ob, &["target", "averageValue"]))
                    ),
                );
            } else {
                let current = c
                    .map(|c| q(get(c, &["current", "value"])))
                    .unwrap_or_else(unknown);
                o.w(
                    1,
                    &format!(
                        "{head}(target value):\t{current} / {}",
                        q(get(ob, &["target", "value"]))
                    ),
                );
            }
        }
        ty @ ("Resource" | "ContainerResource") => {
            let key = if ty == "Resource" {
                "resource"
            } else {
                "containerResource"
            };
            let r = get(m, &[key]).unwrap_or(&Value::Null);
            let head = if ty == "Resource" {
                format!("resource {} on pods", s(r, &["name"]))
            } else {
                format!(
                    "resource {} of container \"{}\" on pods",
                    s(r, &["name"]),
                    s(r, &["container"])
                )
            };
            let c = cur.and_then(|c| c.get(key));
            if let Some(av) = get(r, &["target", "averageValue"]) {
                let current = c
                    .map(|c| q(get(c, &["current", "averageValue"])))
                    .unwrap_or_else(unknown);
                o.w(1, &format!("{head}:\t{current} / {}", q(Some(av))));
            } else {
                let current = match c.and_then(|c| i(c, &["current", "averageUtilization"])) {
                    Some(u) => format!(
                        "{u}% ({})",
                        q(c.and_then(|c| get(c, &["current", "averageValue"])))
                    ),
                    None => unknown(),
                };
                let target = match i(r, &["target", "averageUtilization"]) {
                    Some(u) => format!("{u}%"),
                    None => "<auto>".into(),
                };
                // kubectl writes the second half at level 1 in the middle of the line.
                o.w(
                    1,
                    &format!("{head}  (as a percentage of request):\t{current} / {target}"),
                );
            }
        }
        other => o.w(1, &format!("<unknown metric type {other:?}>")),
    }
}

/// kubectl's `printDirectionBehavior`.
fn hpa_direction(o: &mut Out, title: &str, rules: Option<&Value>) {
    let Some(r) = rules.filter(|r| r.is_object()) else {
        return;
    };
    o.w(1, &format!("{title}:"));
    if let Some(w) = i(r, &["stabilizationWindowSeconds"]) {
        o.w(2, &format!("Stabilization Window: {w} seconds"));
    }
    let policies = arr(r, &["policies"]);
    if !policies.is_empty() {
        let select = match s(r, &["selectPolicy"]) {
            "" => "Max",
            x => x,
        };
        o.w(2, &format!("Select Policy: {}", clean(select)));
        o.w(2, "Policies:");
        for p in policies {
            o.w(
                3,
                &format!(
                    "- Type: {}\tValue: {}\tPeriod: {} seconds",
                    clean(s(p, &["type"])),
                    i(p, &["value"]).unwrap_or(0),
                    i(p, &["periodSeconds"]).unwrap_or(0)
                ),
            );
        }
    }
}

/// kubectl's `HorizontalPodAutoscalerDescriber`: the autoscaling/v2 layout, or the
/// autoscaling/v1 one for a v1 object (`spec.targetCPUUtilizationPercentage`).
pub fn hpa(hpa: &Value, events: &EventsSection, now: i64) -> String {
    let mut o = Out::default();
    header(&mut o, hpa);
    labels_annotations(&mut o, hpa);
    o.w(
        0,
        &format!(
            "CreationTimestamp:\t{}",
            when(s(hpa, &["metadata", "creationTimestamp"]))
        ),
    );
    let kind = s(hpa, &["spec", "scaleTargetRef", "kind"]);
    o.w(
        0,
        &format!(
            "Reference:\t{}/{}",
            clean(kind),
            clean(s(hpa, &["spec", "scaleTargetRef", "name"]))
        ),
    );
    let v1 = s(hpa, &["apiVersion"]) == "autoscaling/v1"
        || get(hpa, &["spec", "targetCPUUtilizationPercentage"]).is_some();
    if v1 {
        if let Some(t) = i(hpa, &["spec", "targetCPUUtilizationPercentage"]) {
            o.w(0, &format!("Target CPU utilization:\t{t}%"));
            let cur = i(hpa, &["status", "currentCPUUtilizationPercentage"])
                .map(|c| c.to_string())
                .unwrap_or_else(|| "<unknown>".into());
            o.w(0, &format!("Current CPU utilization:\t{cur}%"));
        }
    } else {
        o.w(0, "Metrics:\t( current / target )");
        let current = arr(hpa, &["status", "currentMetrics"]);
        for (n, m) in arr(hpa, &["spec", "metrics"]).iter().enumerate() {
            hpa_metric(&mut o, m, current.get(n));
        }
    }
    o.w(
        0,
        &format!(
            "Min replicas:\t{}",
            int_or_unset(i(hpa, &["spec", "minReplicas"]), "")
        ),
    );
    o.w(
        0,
        &format!(
            "Max replicas:\t{}",
            i(hpa, &["spec", "maxReplicas"]).unwrap_or(0)
        ),
    );
    if !v1 && let Some(b) = get(hpa, &["spec", "behavior"]).filter(|b| b.is_object()) {
        o.w(0, "Behavior:");
        hpa_direction(&mut o, "Scale Up", b.get("scaleUp"));
        hpa_direction(&mut o, "Scale Down", b.get("scaleDown"));
    }
    o.w(
        0,
        &format!(
            "{} pods:\t{} current / {} desired",
            clean(kind),
            i(hpa, &["status", "currentReplicas"]).unwrap_or(0),
            i(hpa, &["status", "desiredReplicas"]).unwrap_or(0)
        ),
    );
    let conds = arr(hpa, &["status", "conditions"]);
    if !v1 && !conds.is_empty() {
        o.w(0, "Conditions:");
        o.w(1, "Type\tStatus\tReason\tMessage");
        o.w(1, "----\t------\t------\t-------");
        for c in conds {
            o.w(
                1,
                &format!(
                    "{}\t{}\t{}\t{}",
                    clean(s(c, &["type"])),
                    clean(s(c, &["status"])),
                    clean(s(c, &["reason"])),
                    clean(s(c, &["message"]))
                ),
            );
        }
    }
    o.events(events, now);
    o.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::testing::NOW;
    use serde_json::json;

    /// The top-level labels of a description, in order.
    fn labels(text: &str) -> Vec<&str> {
        text.lines()
            .filter(|l| !l.starts_with(' '))
            .filter_map(|l| l.split_once(':').map(|(k, _)| k))
            .collect()
    }

    fn template() -> Value {
        json!({"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
    }

    fn owned(uid: &str, phase: &str) -> Value {
        json!({"metadata": {"ownerReferences": [{"uid": uid, "controller": true}]}, "status": {"phase": phase}})
    }

    #[test]
    fn counts_only_owned_pods() {
        let pods = vec![
            owned("u1", "Running"),
            owned("u1", "Pending"),
            owned("u1", "Succeeded"),
            owned("u1", "Failed"),
            owned("u1", "Running"),
            owned("u2", "Running"),
            json!({"status": {"phase": "Running"}}),
        ];
        assert_eq!(pod_counts(&pods, "u1"), [2, 1, 1, 1]);
    }

    #[test]
    fn replica_set_layout() {
        let rs = json!({"metadata": {"name": "web-abc", "namespace": "default",
                "ownerReferences": [{"kind": "Deployment", "name": "web", "controller": true}]},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}}, "template": template()},
            "status": {"replicas": 2, "conditions": [{"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate"}]}});
        let text = replica_set(&rs, &Ok([2, 1, 0, 0]), &Some(Ok(vec![])), NOW);
        assert_eq!(
            labels(&text),
            [
                "Name",
                "Namespace",
                "Selector",
                "Labels",
                "Annotations",
                "Controlled By",
                "Replicas",
                "Pods Status",
                "Pod Template",
                "Conditions",
                "Events"
            ]
        );
        assert!(
            text.contains("Replicas:       2 current / 3 desired\n"),
            "{text}"
        );
        assert!(
            text.contains("Pods Status:    2 Running / 1 Waiting / 0 Succeeded / 0 Failed\n"),
            "{text}"
        );
        assert!(text.contains("Controlled By:  Deployment/web\n"), "{text}");
        assert!(
            text.contains("  ReplicaFailure   True    FailedCreate\n"),
            "{text}"
        );
        let text = replica_set(&rs, &Err("forbidden".into()), &None, NOW);
        assert!(
            text.contains("Pods Status:    error in fetching pods: forbidden\n"),
            "{text}"
        );
    }

    #[test]
    fn stateful_and_daemon_sets() {
        let sts = json!({"metadata": {"name": "db", "namespace": "default", "creationTimestamp": "2024-05-01T10:00:00Z"},
            "spec": {"replicas": 2, "serviceName": "db", "podManagementPolicy": "OrderedReady",
                "selector": {"matchLabels": {"app": "db"}}, "template": template(),
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
                "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]},
            "status": {"replicas": 2}});
        let text = stateful_set(&sts, &Ok([2, 0, 0, 0]), &Some(Ok(vec![])), NOW);
        assert_eq!(
            labels(&text),
            [
                "Name",
                "Namespace",
                "CreationTimestamp",
                "Selector",
                "Labels",
                "Annotations",
                "Replicas",
                "Update Strategy",
                "Pods Status",
                "Pod Template",
                "Volume Claims",
                "Events"
            ]
        );
        assert!(
            text.contains("Replicas:               2 desired | 2 total\n")
                || text.contains("2 desired | 2 total"),
            "{text}"
        );
        assert!(text.contains("  Partition:"), "{text}");
        assert!(text.contains("Access Modes:  [ReadWriteOnce]"), "{text}");

        let ds = json!({"metadata": {"name": "agent", "namespace": "kube-system"},
            "spec": {"selector": {"matchLabels": {"app": "agent"}},
                "template": {"metadata": {"labels": {"app": "agent"}}, "spec": {"nodeSelector": {"os": "linux"}, "containers": []}}},
            "status": {"desiredNumberScheduled": 3, "currentNumberScheduled": 3, "numberAvailable": 2}});
        let text = daemon_set(&ds, &Ok([3, 0, 0, 0]), &None, NOW);
        assert!(text.contains("Node-Selector:  os=linux\n"), "{text}");
        assert!(
            text.contains("\nDesired Number of Nodes Scheduled: 3\n"),
            "{text}"
        );
        assert!(
            text.contains("\nNumber of Nodes Scheduled with Available Pods: 2\n"),
            "{text}"
        );
    }

    #[test]
    fn job_and_cron_job() {
        let j = json!({"metadata": {"name": "once", "namespace": "default"},
            "spec": {"parallelism": 1, "completions": 1, "completionMode": "NonIndexed", "suspend": false, "backoffLimit": 6,
                "selector": {"matchLabels": {"batch.kubernetes.io/job-name": "once"}}, "template": template()},
            "status": {"startTime": "2024-05-01T11:00:00Z", "completionTime": "2024-05-01T11:02:30Z", "succeeded": 1, "ready": 0}});
        let text = job(&j, &Some(Ok(vec![])), NOW);
        assert!(text.contains("Duration:         2m30s\n"), "{text}");
        assert!(
            text.contains("Pods Statuses:    0 Active (0 Ready) / 1 Succeeded / 0 Failed\n"),
            "{text}"
        );
        assert!(text.contains("Suspend:          false\n"), "{text}");
        assert_eq!(cap_indexes("1,2,3", 50), "1,2,3");
        assert_eq!(cap_indexes("1,2,3,4", 2), "1,2,...");

        let cj = json!({"metadata": {"name": "nightly", "namespace": "default"},
            "spec": {"schedule": "0 0 * * *", "concurrencyPolicy": "Allow", "suspend": true,
                "successfulJobsHistoryLimit": 3, "jobTemplate": {"spec": {"template": template()}}},
            "status": {"active": [{"name": "nightly-1"}, {"name": "nightly-2"}]}});
        let text = cron_job(&cj, &None, NOW);
        assert!(
            text.contains("Suspend:                       True\n"),
            "{text}"
        );
        assert!(
            text.contains("Failed Job History Limit:      <unset>\n"),
            "{text}"
        );
        assert!(
            text.contains("Selector:                      <unset>\n"),
            "{text}"
        );
        assert!(
            text.contains("Active Jobs:         nightly-1, nightly-2\n")
                || text.contains("nightly-1, nightly-2\n"),
            "{text}"
        );
    }

    #[test]
    fn ingress_rules_and_backends() {
        let ing = json!({"metadata": {"name": "web", "namespace": "default"},
            "spec": {"ingressClassName": "nginx", "tls": [{"hosts": ["a.example"], "secretName": "tls"}],
                "rules": [{"host": "a.example", "http": {"paths": [
                    {"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                    {"path": "/x", "backend": {"service": {"name": "gone", "port": {"name": "http"}}}}]}}]},
            "status": {"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}}});
        assert_eq!(ingress_services(&ing), ["web", "gone"]);
        let mut b = Backends::new();
        b.insert(
            "web".into(),
            Ok((
                json!({"spec": {"ports": [{"name": "http", "port": 80}]}}),
                vec![json!({"ports": [{"name": "http", "port": 8080}], "endpoints": [{"addresses": ["10.1.0.5"]}]})],
            )),
        );
        b.insert("gone".into(), Err("services \"gone\" not found".into()));
        let text = ingress(&ing, &b, &Some(Ok(vec![])), NOW);
        assert_eq!(
            labels(&text),
            [
                "Name",
                "Labels",
                "Namespace",
                "Address",
                "Ingress Class",
                "Default backend",
                "TLS",
                "Rules",
                "Annotations",
                "Events"
            ]
        );
        assert!(text.contains("web:80 (10.1.0.5:8080)"), "{text}");
        assert!(
            text.contains("gone:http (<error: services \"gone\" not found>)"),
            "{text}"
        );
        assert!(text.contains("  tls terminates a.example\n"), "{text}");
        assert!(text.contains("Address:          10.0.0.9\n"), "{text}");
    }

    #[test]
    fn claims_and_volumes() {
        let claim = json!({"metadata": {"name": "data", "namespace": "default", "uid": "c1",
                "finalizers": ["kubernetes.io/pvc-protection"]},
            "spec": {"storageClassName": "none", "accessModes": ["ReadWriteOnce"], "volumeMode": "Filesystem"},
            "status": {"phase": "Pending"}});
        let pods = vec![
            json!({"metadata": {"name": "b", "uid": "p2"}, "spec": {"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]}}),
            json!({"metadata": {"name": "a", "uid": "p1"}, "spec": {"volumes": [{"name": "v", "persistentVolumeClaim": {"claimName": "data"}}]}}),
            json!({"metadata": {"name": "c", "uid": "p3"}, "spec": {}}),
        ];
        let users = pvc_users(&claim, &pods);
        let text = pvc(&claim, &users, &Some(Ok(vec![])), NOW);
        assert_eq!(
            labels(&text),
            [
                "Name",
                "Namespace",
                "StorageClass",
                "Status",
                "Volume",
                "Labels",
                "Annotations",
                "Finalizers",
                "Capacity",
                "Access Modes",
                "VolumeMode",
                "Used By",
                "Events"
            ]
        );
        assert!(
            text.contains("Finalizers:    [kubernetes.io/pvc-protection]\n"),
            "{text}"
        );
        assert!(
            text.contains("Used By:       a\n               b\n"),
            "{text}"
        );

        let vol = json!({"metadata": {"name": "pv1"},
            "spec": {"capacity": {"storage": "1Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"],
                "persistentVolumeReclaimPolicy": "Retain", "claimRef": {"namespace": "default", "name": "data"},
                "hostPath": {"path": "/tmp/x", "type": ""},
                "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", "b"]}]}]}}},
            "status": {"phase": "Bound"}});
        let text = pv(&vol, &None, NOW);
        assert!(text.contains("Access Modes:      RWO,RWX\n"), "{text}");
        assert!(text.contains("Claim:             default/data\n"), "{text}");
        assert!(
            text.contains("    Term 0:        zone in [a, b]\n"),
            "{text}"
        );
        assert!(
            text.contains("    Type:          HostPath (bare host directory volume)\n"),
            "{text}"
        );
    }

    #[test]
    fn hpa_v2_and_v1() {
        let h = json!({"apiVersion": "autoscaling/v2", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 5,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}},
                    {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}}}],
                "behavior": {"scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}}},
            "status": {"currentReplicas": 2, "desiredReplicas": 2,
                "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 20, "averageValue": "10m"}}}],
                "conditions": [{"type": "AbleToScale", "status": "True", "reason": "ReadyForNewScale", "message": "ok"}]}});
        let text = hpa(&h, &Some(Ok(vec![])), NOW);
        assert!(
            text.contains(
                "  resource cpu on pods  (as a percentage of request):  20% (10m) / 50%\n"
            ),
            "{text}"
        );
        assert!(text.contains("  \"qps\" on pods:"), "{text}");
        assert!(text.contains("<unknown> / 10\n"), "{text}");
        assert!(text.contains("    Select Policy: Max\n"), "{text}");
        assert!(text.contains("Deployment pods:"), "{text}");
        assert!(text.contains("2 current / 2 desired\n"), "{text}");
        assert!(
            text.contains("  AbleToScale  True    ReadyForNewScale  ok\n"),
            "{text}"
        );

        let v1 = json!({"apiVersion": "autoscaling/v1", "metadata": {"name": "web", "namespace": "default"},
            "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "maxReplicas": 5, "targetCPUUtilizationPercentage": 80}});
        let text = hpa(&v1, &None, NOW);
        assert!(text.contains("Target CPU utilization:   80%\n"), "{text}");
        assert!(
            text.contains("Current CPU utilization:  <unknown>%\n"),
            "{text}"
        );
        assert!(
            text.contains("Min replicas:             <unset>\n"),
            "{text}"
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        for v in [
            json!(null),
            json!({}),
            json!({"spec": 5, "status": "x"}),
            json!([1]),
        ] {
            let _ = replica_set(&v, &Ok([0; 4]), &None, NOW);
            let _ = stateful_set(&v, &Err("x".into()), &None, NOW);
            let _ = daemon_set(&v, &Ok([0; 4]), &None, NOW);
            let _ = job(&v, &None, NOW);
            let _ = cron_job(&v, &None, NOW);
            let _ = ingress(&v, &Backends::new(), &None, NOW);
            let _ = pvc(&v, &pvc_users(&v, std::slice::from_ref(&v)), &None, NOW);
            let _ = pv(&v, &None, NOW);
            let _ = hpa(&v, &None, NOW);
            let _ = pod_counts(std::slice::from_ref(&v), "");
        }
    }
}
