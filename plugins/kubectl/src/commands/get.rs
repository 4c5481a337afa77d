//! `kubectl get`: tables from server-side printing, or the objects as JSON, YAML, names,
//! a JSONPath template (`-o jsonpath=...`, the `jsonpath` submodule) or custom columns
//! (`-o custom-columns=NAME:.metadata.name,...`), optionally sorted by a field
//! (`--sort-by=.metadata.name`).
//!
//! Lists are read a page at a time with the API server's `limit` and `continue` (Kubernetes
//! API concepts, "Retrieving large results sets in chunks"; kubectl's `--chunk-size`, whose
//! default page is 500): the page size is `--limit N` (an extension flag) or, by default, what
//! fits the answer budget (`K8S_MCP_MAX_OUTPUT`). When the server says there is more
//! (`metadata.continue`), the answer ends with a note giving the command for the next page,
//! `--continue=TOKEN` (an extension flag), and `-o json`/`yaml` keep `metadata.continue` in the
//! List. A page whose answer would not fit the budget is read again with a smaller `limit`.
//! `--sort-by` and output filters (`| grep`, `| jq`) need the whole list, as kubectl reads
//! every chunk: then every page is read, up to [`MAX_WHOLE_LIST`] objects.

use kap_sdk::jsonpath;

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::common::{
    Report, namespace, pretty_json, refuse_flags, resolve, strip_managed_fields, to_yaml,
};
use super::events;
use crate::flags::{self, Arity};
use crate::targets::{Target, parse_targets};
use kap_sdk::api::{
    Api, CmdResult, Ctx, Failure, KubeError, Outcome, OutputFormat, Request, ResourceInfo, Verb,
    api_version, is_not_found, kind_group, kube_error_text, request, usage,
};
use kap_sdk::cli::Parsed;
use kap_sdk::table::{TableOptions, print_table};
use kap_sdk::tabwriter;

/// The `-o` forms of `get`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// No `-o`: the server-side Table, printed as kubectl's default columns.
    Table,
    /// `-o wide`: the Table with its priority > 0 columns.
    Wide,
    /// `-o json`: the objects (a `List` for several).
    Json,
    /// `-o yaml`: the objects as YAML documents.
    Yaml,
    /// `-o name`: `kind.group/name` per line.
    Name,
    /// `-o jsonpath=TEMPLATE` (`as_json`: `-o jsonpath-as-json=TEMPLATE`).
    JsonPath {
        /// The template, kubectl's JSONPath dialect (`{.items[*].metadata.name}`).
        template: String,
        /// `jsonpath-as-json`: print the matches as a JSON array.
        as_json: bool,
    },
    /// `-o custom-columns=HEADER:FIELD,...`.
    CustomColumns(String),
}

impl Output {
    /// Reads `-o`; Go templates and the `-file` forms are refused with a clear message.
    pub fn parse(v: Option<&str>) -> Result<Output, Failure> {
        match v {
            None | Some("") => Ok(Output::Table),
            Some("wide") => Ok(Output::Wide),
            Some("json") => Ok(Output::Json),
            Some("yaml") => Ok(Output::Yaml),
            Some("name") => Ok(Output::Name),
            Some(other) => match other.split_once('=') {
                Some(("jsonpath", t)) => Ok(Output::JsonPath {
                    template: t.to_string(),
                    as_json: false,
                }),
                Some(("jsonpath-as-json", t)) => Ok(Output::JsonPath {
                    template: t.to_string(),
                    as_json: true,
                }),
                Some(("custom-columns", spec)) => Ok(Output::CustomColumns(spec.to_string())),
                None if other == "custom-columns" => Ok(Output::CustomColumns(String::new())),
                None if other == "jsonpath" || other == "jsonpath-as-json" => usage(format!(
                    "-o {other} needs a template: -o {other}='{{.items[*].metadata.name}}'"
                )),
                Some((f, _)) if f.ends_with("-file") || f == "templatefile" => usage(format!(
                    "output format {f} is not supported: files cannot be read; give the template itself, e.g. -o jsonpath=... or -o custom-columns=..."
                )),
                Some(("go-template" | "template", _)) | None
                    if other.starts_with("go-template") || other.starts_with("template") =>
                {
                    usage(
                        "Go templates (-o go-template) are not supported; use -o jsonpath=TEMPLATE, -o custom-columns=SPEC, or -o json piped to jq",
                    )
                }
                _ => usage(format!(
                    "output format {other:?} is not supported; use wide, json, yaml, name, jsonpath=TEMPLATE, jsonpath-as-json=TEMPLATE or custom-columns=SPEC"
                )),
            },
        }
    }
}

/// One column of `-o custom-columns`: its header and the field it prints.
struct Column {
    header: String,
    field: jsonpath::Template,
}

/// Parses `HEADER:FIELD,...` as kubectl does (`NewCustomColumnsPrinterFromSpec`).
fn parse_columns(spec: &str) -> Result<Vec<Column>, Failure> {
    if spec.is_empty() {
        return usage("custom-columns format specified but no custom columns given");
    }
    spec.split(',')
        .map(|part| {
            let Some((header, path)) = part.split_once(':') else {
                return usage(format!(
                    "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                ));
            };
            let expr = jsonpath::relaxed(path).map_err(Failure::Usage)?;
            let field = jsonpath::parse(&expr)
                .map_err(|e| Failure::Usage(format!("error parsing jsonpath {expr}, {e}")))?;
            Ok(Column {
                header: header.to_string(),
                field,
            })
        })
        .collect()
}

/// `--sort-by`: the field as typed, relaxed to `{.a.b}`, and parsed.
struct SortBy {
    expr: String,
    field: jsonpath::Template,
}

impl SortBy {
    fn parse(p: &Parsed) -> Result<Option<SortBy>, Failure> {
        let Some(raw) = p.value("sort-by").filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        let expr = jsonpath::relaxed(raw).map_err(Failure::Usage)?;
        let field = jsonpath::parse(&expr)
            .map_err(|e| Failure::Usage(format!("error parsing jsonpath {expr}, {e}")))?;
        Ok(Some(SortBy { expr, field }))
    }

    /// Sorts `items` by the field of `object(item)` (kubectl's `SortingPrinter`).
    fn sort<T>(&self, items: &mut Vec<T>, object: impl Fn(&T) -> &Value) -> Result<(), Failure> {
        let keys = items
            .iter()
            .map(|i| jsonpath::SortKey::of(&self.field, object(i)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| Failure::Message(format!("sorting error: {e}")))?;
        jsonpath::sort_by_keys(items, keys, &self.expr).map_err(Failure::Message)
    }
}

/// How `get` prints, checked before any request is sent.
struct Printing {
    output: Output,
    template: Option<jsonpath::Template>,
    columns: Vec<Column>,
    sort: Option<SortBy>,
}

impl Printing {
    fn parse(p: &Parsed) -> Result<Printing, Failure> {
        let output = Output::parse(p.value("output"))?;
        let template = match &output {
            Output::JsonPath { template, .. } => {
                Some(jsonpath::parse(template).map_err(|e| {
                    Failure::Usage(format!("error parsing jsonpath {template}, {e}"))
                })?)
            }
            _ => None,
        };
        let columns = match &output {
            Output::CustomColumns(spec) => parse_columns(spec)?,
            _ => Vec::new(),
        };
        Ok(Printing {
            output,
            template,
            columns,
            sort: SortBy::parse(p)?,
        })
    }
}

/// The page size when neither `--limit` nor a small budget asks for less: kubectl's default
/// `--chunk-size` (500).
pub const DEFAULT_PAGE_SIZE: usize = 500;

/// The most objects read when the whole list is needed (`--sort-by`, output filters). kubectl
/// reads every chunk; here the list is bounded so that one answer stays within the plugin's
/// memory and the host's capability-call limit.
pub const MAX_WHOLE_LIST: usize = 10_000;

/// Characters a printed object is expected to take, per output format: what the default
/// page size is derived from.
fn chars_per_object(output: &Output) -> usize {
    match output {
        Output::Table => 120,
        Output::Name => 60,
        Output::Wide | Output::JsonPath { .. } | Output::CustomColumns(_) => 250,
        Output::Json | Output::Yaml => 5000,
    }
}

/// Where a listed type stopped: the server's `metadata.continue` and
/// `metadata.remainingItemCount`.
struct More {
    info: ResourceInfo,
    token: String,
    remaining: Option<i64>,
}

/// How `get` pages its lists (the API server's `limit` and `continue`), and where the lists
/// of one attempt stopped.
struct Pager {
    /// `limit` of every list request.
    limit: usize,
    /// `--continue`: where the (single) list starts.
    from: Option<String>,
    /// Read every page (`--sort-by`, output filters) instead of one.
    whole: bool,
    /// The lists that have more pages.
    more: Vec<More>,
    /// The most objects one list returned.
    largest: usize,
}

impl Pager {
    /// Reads `--limit` and `--continue`; the page size is set later by [`Pager::size`].
    fn parse(
        p: &Parsed,
        ctx: &Ctx,
        printing: &Printing,
    ) -> Result<(Pager, Option<usize>), Failure> {
        let limit = match p.value("limit") {
            None => None,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return usage(format!(
                        "invalid --limit {v:?}: give the number of objects per page, at least 1"
                    ));
                }
            },
        };
        let from = p.value("continue").map(str::to_string);
        if from.as_deref() == Some("") {
            return usage("--continue needs the token given in the note of the previous page");
        }
        let whole = printing.sort.is_some() || ctx.filtered;
        if from.is_some() && whole {
            return usage(if printing.sort.is_some() {
                "--continue cannot be combined with --sort-by: sorting reads the whole list"
            } else {
                "--continue cannot be combined with output filters (`|`): they read the whole list"
            });
        }
        let pager = Pager {
            limit: limit.unwrap_or(DEFAULT_PAGE_SIZE),
            from,
            whole,
            more: Vec::new(),
            largest: 0,
        };
        Ok((pager, limit))
    }

    /// The default page size: what fits the budget shared by `lists` lists, at most
    /// [`DEFAULT_PAGE_SIZE`] (the whole list is read in pages of that size).
    fn size(&mut self, explicit: Option<usize>, budget: usize, lists: usize, output: &Output) {
        self.limit = match explicit {
            Some(n) => n,
            None if self.whole => DEFAULT_PAGE_SIZE,
            None => (budget / 10 * 9 / lists.max(1) / chars_per_object(output))
                .clamp(1, DEFAULT_PAGE_SIZE),
        };
    }

    /// Lists one type (`key`: `rows` of a Table, `items` of a List): one page, or with
    /// `whole` every page up to [`MAX_WHOLE_LIST`] objects. Returns the pages' bodies.
    fn list(
        &mut self,
        api: &mut dyn Api,
        mut req: Request,
        key: &str,
        info: &ResourceInfo,
    ) -> Result<Vec<Value>, Failure> {
        let base = std::mem::take(&mut req.query);
        let mut token = self.from.clone();
        let mut bodies = Vec::new();
        let mut count = 0;
        loop {
            req.query = base.clone();
            req.query.push(("limit".into(), self.limit.to_string()));
            if let Some(t) = &token {
                req.query.push(("continue".into(), t.clone()));
            }
            let body = parse_body(&api.send(&req).map_err(expired)?.body)?;
            let n = body.get(key).and_then(Value::as_array).map_or(0, Vec::len);
            count += n;
            self.largest = self.largest.max(n);
            let next = body
                .pointer("/metadata/continue")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let remaining = body
                .pointer("/metadata/remainingItemCount")
                .and_then(Value::as_i64);
            bodies.push(body);
            if next.is_empty() {
                return Ok(bodies);
            }
            if !self.whole {
                self.more.push(More {
                    info: info.clone(),
                    token: next,
                    remaining,
                });
                return Ok(bodies);
            }
            if count >= MAX_WHOLE_LIST {
                return Err(Failure::Message(format!(
                    "there are more than {MAX_WHOLE_LIST} {}; sorting (--sort-by) and output filters read at most {MAX_WHOLE_LIST} objects: narrow the list with -n, -l or --field-selector, or page through it without them (--limit, --continue)",
                    info.resource
                )));
            }
            token = Some(next);
        }
    }

    /// `metadata.continue` and `metadata.remainingItemCount` of the one list read, when it has
    /// more pages.
    fn list_meta(&self, resolved: &[(ResourceInfo, Vec<String>)]) -> Option<Value> {
        match (self.more.as_slice(), resolved) {
            ([m], [_]) => {
                let mut meta = json!({ "continue": m.token });
                if let Some(n) = m.remaining {
                    meta["remainingItemCount"] = json!(n);
                }
                Some(meta)
            }
            _ => None,
        }
    }

    /// The note that ends a paged answer: per list with more pages, how many remain and the
    /// command for the next page.
    fn note(&self, p: &Parsed, several: bool) -> String {
        let mut note = String::new();
        for m in &self.more {
            let what = if several {
                format!("more {}", type_word(&m.info))
            } else {
                "more results".to_string()
            };
            let count = m
                .remaining
                .map(|n| format!(": about {n} remaining"))
                .unwrap_or_default();
            let cmd = next_page(p, several.then_some(&m.info), self.limit, &m.token);
            let _ = writeln!(
                note,
                "({what}{count}; next page: {cmd}; or narrow the list with -n, -l or --field-selector)"
            );
        }
        note
    }
}

/// A 410 Gone for an old `continue` token, in words that say what to do.
fn expired(e: KubeError) -> Failure {
    match &e {
        KubeError::Api(a) if a.code == 410 => Failure::Message(format!(
            "{}\nerror: the list's continue token has expired (the API server keeps a list's snapshot for a few minutes): list again without --continue",
            kube_error_text(&e)
        )),
        _ => Failure::Kube(e),
    }
}

/// A resource type as a `get` argument: `pods`, `deployments.apps`.
fn type_word(info: &ResourceInfo) -> String {
    if info.group.is_empty() {
        info.resource.clone()
    } else {
        format!("{}.{}", info.resource, info.group)
    }
}

/// A word of a command line, single-quoted unless it is plainly safe.
fn shell_word(w: &str) -> String {
    if !w.is_empty()
        && w.chars()
            .all(|c| c.is_ascii_alphanumeric() || "_./:=,@+%-".contains(c))
    {
        w.to_string()
    } else {
        format!("'{}'", w.replace('\'', r"'\''"))
    }
}

/// The command line of the next page: this `get` (only the type `only`, when several were
/// listed) with `--limit=LIMIT --continue=TOKEN`.
fn next_page(p: &Parsed, only: Option<&ResourceInfo>, limit: usize, token: &str) -> String {
    let mut words = vec!["kubectl".to_string(), "get".to_string()];
    match only {
        Some(info) => words.push(type_word(info)),
        None => words.extend(p.args.iter().map(|a| shell_word(a))),
    }
    for (name, value) in &p.flags {
        // Every parsed flag is in `get`'s table, which has one flag per name.
        let arity = flags::arity(name);
        words.push(match (*name, value.as_str()) {
            ("limit" | "continue", _) => continue,
            ("all-namespaces", "true") => "-A".to_string(),
            ("namespace", v) => format!("-n {}", shell_word(v)),
            ("selector", v) => format!("-l {}", shell_word(v)),
            ("output", v) => format!("-o {}", shell_word(v)),
            (n, "true") if arity == Some(Arity::Bool) => format!("--{n}"),
            (n, v) => format!("--{n}={}", shell_word(v)),
        });
    }
    words.push(format!("--limit={limit}"));
    words.push(format!("--continue={}", shell_word(token)));
    words.join(" ")
}

/// Kubernetes' `all` category, in the order kubectl prints it.
const ALL_ORDER: &[&str] = kap_sdk::kinds::ALL_CATEGORY;

/// Resolves the targets, expanding the `all` category from discovery.
pub fn resolve_targets(
    api: &mut dyn Api,
    targets: &[Target],
) -> Result<Vec<(ResourceInfo, Vec<String>)>, Failure> {
    let mut out: Vec<(ResourceInfo, Vec<String>)> = Vec::new();
    for t in targets {
        if t.type_name == "all" {
            let mut all: Vec<ResourceInfo> = api
                .api_resources()?
                .into_iter()
                .filter(|r| r.categories.iter().any(|c| c == "all"))
                .collect();
            all.sort_by_key(|r| {
                (
                    ALL_ORDER
                        .iter()
                        .position(|x| *x == r.resource)
                        .unwrap_or(ALL_ORDER.len()),
                    r.resource.clone(),
                )
            });
            for r in all {
                if !out
                    .iter()
                    .any(|(o, _)| o.group == r.group && o.resource == r.resource)
                {
                    out.push((r, t.names.clone()));
                }
            }
        } else {
            let info = resolve(api, &t.type_name)?;
            if !out
                .iter()
                .any(|(o, _)| o.group == info.group && o.resource == info.resource)
            {
                out.push((info, t.names.clone()));
            }
        }
    }
    Ok(out)
}

/// Runs `kubectl get`.
pub fn run(p: &Parsed, ctx: &Ctx, api: &mut dyn Api) -> CmdResult {
    refuse_flags(
        p,
        &[
            ("watch", "a tool call returns one answer"),
            (
                "filename",
                "files cannot be read; name the objects as TYPE NAME or TYPE/NAME",
            ),
        ],
    )?;
    let printing = Printing::parse(p)?;
    let output = printing.output.clone();
    let (mut pager, limit) = Pager::parse(p, ctx, &printing)?;
    let targets = parse_targets(&p.args).map_err(Failure::Usage)?;
    if targets.is_empty() {
        return usage(
            "You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.",
        );
    }
    let resolved = resolve_targets(api, &targets)?;
    let all_ns = p.bool("all-namespaces");
    let ns = namespace(p, ctx).to_string();

    // `get events` prints like `kubectl events` (sorted by time), unless sorted otherwise.
    if let [(info, names)] = resolved.as_slice()
        && info.group.is_empty()
        && info.resource == "events"
        && names.is_empty()
        && output == Output::Table
        && printing.sort.is_none()
        && limit.is_none()
        && pager.from.is_none()
    {
        return events::list_and_print(p, ctx, api, None);
    }

    let lists = resolved.iter().filter(|(_, n)| n.is_empty()).count();
    if pager.from.is_some() && (lists != 1 || resolved.len() != 1) {
        return usage(
            "--continue continues one list: give one resource type and no names, as in the note that gave the token",
        );
    }
    let budget = ctx.budget();
    pager.size(limit, budget, lists, &output);
    // A page whose answer would not fit the budget is read again, smaller (at most twice).
    let mut attempt = 0;
    loop {
        attempt += 1;
        pager.more.clear();
        pager.largest = 0;
        let out = match output {
            Output::Table | Output::Wide => {
                tables(p, api, &resolved, &ns, all_ns, &printing, &mut pager)?
            }
            _ => objects(p, api, &resolved, &ns, all_ns, &printing, &mut pager)?,
        };
        let note = pager.note(p, resolved.len() > 1);
        let size = out.text.len() + note.len();
        let room = budget.saturating_sub(note.len() + budget / 100);
        if pager.whole || pager.largest <= 1 || size <= budget - budget / 100 || attempt == 3 {
            return Ok(with_note(out, note, pager.list_meta(&resolved)));
        }
        let base = pager.limit.min(pager.largest);
        pager.limit = (base * room / size.max(1)).clamp(1, base - 1);
    }
}

/// Ends the answer with the paging note, and adds `continue` (and `remainingItemCount`) to
/// the structured content.
fn with_note(mut out: Outcome, note: String, meta: Option<Value>) -> Outcome {
    if note.is_empty() {
        return out;
    }
    if !out.text.is_empty() && !out.text.ends_with('\n') {
        out.text.push('\n');
    }
    out.text.push_str(&note);
    if let (Some(Value::Object(o)), Some(Value::Object(meta))) = (out.structured.as_mut(), meta) {
        o.extend(meta);
    }
    out
}

fn selector_query(p: &Parsed) -> Vec<(String, String)> {
    let mut q = Vec::new();
    if let Some(l) = p.value("selector") {
        q.push(("labelSelector".to_string(), l.to_string()));
    }
    if let Some(f) = p.value("field-selector") {
        q.push(("fieldSelector".to_string(), f.to_string()));
    }
    q
}

fn no_resources(ns: &str, all_ns: bool, namespaced: bool) -> String {
    if all_ns || !namespaced {
        "No resources found".into()
    } else {
        format!("No resources found in {ns} namespace.")
    }
}

fn tables(
    p: &Parsed,
    api: &mut dyn Api,
    resolved: &[(ResourceInfo, Vec<String>)],
    ns: &str,
    all_ns: bool,
    printing: &Printing,
    pager: &mut Pager,
) -> CmdResult {
    let wide = printing.output == Output::Wide;
    let sort = printing.sort.as_ref();
    // Sorting needs each row's whole object, as kubectl asks for it.
    let include_object = || ("includeObject".to_string(), "Object".to_string());
    let multi = resolved.len() > 1 || p.bool("show-kind");
    let label_columns: Vec<String> = p
        .value("label-columns")
        .map(|v| {
            v.split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let mut report = Report::default();
    let mut items = Vec::new();
    let mut any_namespaced = false;
    let mut printed_sections = 0;
    for (info, names) in resolved {
        any_namespaced |= info.namespaced;
        let list_all_ns = all_ns && names.is_empty() && info.namespaced;
        let opts = TableOptions {
            wide,
            namespace_column: list_all_ns,
            show_labels: p.bool("show-labels"),
            label_columns: label_columns.clone(),
            kind_prefix: multi.then(|| kind_group(info)),
        };
        let mut tables: Vec<Value> = Vec::new();
        if names.is_empty() {
            let mut req = request(Verb::List, info, (!list_all_ns).then_some(ns), None);
            req.query = selector_query(p);
            if sort.is_some() {
                req.query.push(include_object());
            }
            req.output = OutputFormat::Table;
            match pager.list(api, req, "rows", info) {
                Ok(pages) => tables.extend(pages),
                Err(Failure::Kube(e)) => report.errors.push(e),
                Err(other) => return Err(other),
            }
        } else {
            for name in names {
                let mut req = request(Verb::Get, info, Some(ns), Some(name));
                if sort.is_some() {
                    req.query.push(include_object());
                }
                req.output = OutputFormat::Table;
                match api.send(&req) {
                    Ok(r) => tables.push(parse_body(&r.body)?),
                    Err(e) if is_not_found(&e) && p.bool("ignore-not-found") => {}
                    Err(e) => report.errors.push(e),
                }
            }
        }
        if let Some(sort) = sort {
            tables = sorted_table(tables, sort)?;
        }
        // Rows of one type form one table (kubectl merges named gets of one type).
        let mut header = Vec::new();
        let mut rows = Vec::new();
        for t in &tables {
            let printed = print_table(t, &opts);
            header = printed.header;
            rows.extend(printed.rows);
            for mut item in printed.items {
                if let Some(o) = item.as_object_mut() {
                    o.insert("kind".into(), json!(info.kind));
                }
                items.push(item);
            }
        }
        if rows.is_empty() {
            continue;
        }
        if printed_sections > 0 {
            report.out.push('\n');
        }
        printed_sections += 1;
        let mut all = Vec::new();
        if !p.bool("no-headers") {
            all.push(header);
        }
        all.extend(rows);
        report.out.push_str(&tabwriter::table(&all));
    }
    if printed_sections == 0 && report.errors.is_empty() {
        report.line(no_resources(ns, all_ns, any_namespaced));
    }
    let kind = match resolved {
        [(info, _)] => info.kind.clone(),
        _ => "List".to_string(),
    };
    report.structured = Some(json!({ "kind": kind, "items": items }));
    report.finish()
}

/// The tables of one type as one, its rows sorted by the field of each row's object
/// (kubectl's `TableSorter`; a table of one row is left as it is).
fn sorted_table(mut tables: Vec<Value>, sort: &SortBy) -> Result<Vec<Value>, Failure> {
    if tables.is_empty() {
        return Ok(tables);
    }
    let mut rows: Vec<Value> = Vec::new();
    for t in &mut tables {
        if let Some(r) = t.get_mut("rows").and_then(Value::as_array_mut) {
            rows.append(r);
        }
    }
    if rows.len() > 1 {
        static NULL: Value = Value::Null;
        sort.sort(&mut rows, |r| r.get("object").unwrap_or(&NULL))?;
    }
    let mut table = tables.swap_remove(0);
    if let Some(o) = table.as_object_mut() {
        o.insert("rows".into(), Value::Array(rows));
    }
    Ok(vec![table])
}

fn parse_body(body: &str) -> Result<Value, Failure> {
    serde_json::from_str(body)
        .map_err(|e| Failure::Message(format!("the server's answer is not JSON: {e}")))
}

/// Fills in `apiVersion` and `kind` (list items come without them) and drops managed fields.
fn complete(mut obj: Value, info: &ResourceInfo) -> Value {
    if let Some(o) = obj.as_object_mut() {
        o.entry("apiVersion")
            .or_insert_with(|| json!(api_version(&info.group, &info.version)));
        o.entry("kind").or_insert_with(|| json!(info.kind));
    }
    strip_managed_fields(&mut obj);
    obj
}

fn objects(
    p: &Parsed,
    api: &mut dyn Api,
    resolved: &[(ResourceInfo, Vec<String>)],
    ns: &str,
    all_ns: bool,
    printing: &Printing,
    pager: &mut Pager,
) -> CmdResult {
    let output = &printing.output;
    let mut report = Report::default();
    let mut objs: Vec<(Value, String)> = Vec::new();
    let mut single = true;
    for (info, names) in resolved {
        // `-o name` of Secrets needs names only: it reads the server-side Table, whose rows
        // carry each object's metadata (PartialObjectMetadata), so it passes as a metadata
        // read where the objects themselves (their data) would be refused.
        let metadata_only =
            *output == Output::Name && info.group.is_empty() && info.resource == "secrets";
        let (key, format) = if metadata_only {
            ("rows", OutputFormat::Table)
        } else {
            ("items", OutputFormat::Json)
        };
        let row_object = |mut v: Value| -> Value {
            if metadata_only {
                v.get_mut("object").map(Value::take).unwrap_or(Value::Null)
            } else {
                v
            }
        };
        if names.is_empty() {
            single = false;
            let list_all_ns = all_ns && info.namespaced;
            let mut req = request(Verb::List, info, (!list_all_ns).then_some(ns), None);
            req.query = selector_query(p);
            req.output = format;
            match pager.list(api, req, key, info) {
                Ok(pages) => {
                    for mut page in pages {
                        if let Some(Value::Array(items)) = page.get_mut(key).map(Value::take) {
                            for item in items {
                                objs.push((complete(row_object(item), info), kind_group(info)));
                            }
                        }
                    }
                }
                Err(Failure::Kube(e)) => report.errors.push(e),
                Err(other) => return Err(other),
            }
        } else {
            for name in names {
                let mut req = request(Verb::Get, info, Some(ns), Some(name));
                req.output = format;
                let one = |body: Value| -> Value {
                    if metadata_only {
                        body.get("rows")
                            .and_then(|r| r.get(0))
                            .cloned()
                            .map(row_object)
                            .unwrap_or(Value::Null)
                    } else {
                        body
                    }
                };
                match api.send(&req) {
                    Ok(r) => {
                        objs.push((complete(one(parse_body(&r.body)?), info), kind_group(info)))
                    }
                    Err(e) if is_not_found(&e) && p.bool("ignore-not-found") => {}
                    Err(e) => report.errors.push(e),
                }
            }
        }
    }
    if resolved.len() > 1 || resolved.first().is_some_and(|(_, n)| n.len() != 1) {
        single = false;
    }
    if let Some(sort) = &printing.sort
        && !(single && objs.len() == 1)
    {
        sort.sort(&mut objs, |(o, _)| o)?;
    }
    if *output == Output::Name {
        for (o, kg) in &objs {
            let name = o
                .get("metadata")
                .and_then(|m| m.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("");
            report.line(format!("{kg}/{name}"));
        }
        return report.finish();
    }
    if objs.is_empty() && !report.errors.is_empty() {
        return report.finish();
    }
    if let Output::CustomColumns(_) = output {
        report.out = custom_columns(p, &printing.columns, objs.iter().map(|(o, _)| o))?;
        return report.finish();
    }
    let value = if single && objs.len() == 1 {
        objs.pop().map(|(o, _)| o).unwrap_or(Value::Null)
    } else {
        // One page of one list keeps the server's `continue` (and `remainingItemCount`).
        let mut metadata = json!({"resourceVersion": ""});
        if let (Some(Value::Object(more)), Some(m)) =
            (pager.list_meta(resolved), metadata.as_object_mut())
        {
            m.extend(more);
        }
        json!({
            "apiVersion": "v1",
            "items": objs.into_iter().map(|(o, _)| o).collect::<Vec<_>>(),
            "kind": "List",
            "metadata": metadata,
        })
    };
    report.out = match output {
        Output::Yaml => to_yaml(&value),
        Output::JsonPath { template, as_json } => printing
            .template
            .as_ref()
            .map(|t| t.execute(&value, *as_json))
            .unwrap_or_else(|| Ok(String::new()))
            .map_err(|e| {
                Failure::Message(format!(
                    "error executing jsonpath {template:?}: Error executing template: {e}"
                ))
            })?,
        _ => pretty_json(&value),
    };
    report.finish()
}

/// `-o custom-columns`: one row per object, each column the field's values joined with `,`
/// as Go prints them (`<none>` when there is none), headers as given (kubectl's
/// `CustomColumnsPrinter`).
fn custom_columns<'a>(
    p: &Parsed,
    columns: &[Column],
    objs: impl Iterator<Item = &'a Value>,
) -> Result<String, Failure> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    if !p.bool("no-headers") {
        rows.push(columns.iter().map(|c| c.header.clone()).collect());
    }
    for o in objs {
        let mut row = Vec::new();
        for c in columns {
            let results = c.field.find(o).map_err(Failure::Message)?;
            let values: Vec<String> = results
                .iter()
                .flatten()
                .map(|v| kap_sdk::table::cell_text(&Value::String(jsonpath::go_sprint(v))))
                .collect();
            row.push(if results.first().is_none_or(Vec::is_empty) {
                "<none>".to_string()
            } else {
                values.join(",")
            });
        }
        rows.push(row);
    }
    Ok(tabwriter::table(&rows))
}

#[cfg(test)]
mod tests {
    use super::super::testing::{Fake, ok_json, run_line};
    use kap_sdk::api::Verb;
    use serde_json::json;

    fn pod_table(rows: &[(&str, &str)]) -> serde_json::Value {
        json!({
            "kind": "Table",
            "columnDefinitions": [
                {"name": "Name", "type": "string", "format": "name", "priority": 0},
                {"name": "Ready", "type": "string", "format": "", "priority": 0},
                {"name": "Age", "type": "string", "format": "", "priority": 0},
                {"name": "IP", "type": "string", "format": "", "priority": 1}
            ],
            "rows": rows.iter().map(|(n, ns)| json!({"cells": [n, "1/1", "5d", "10.0.0.1"], "object": {"metadata": {"name": n, "namespace": ns}}})).collect::<Vec<_>>()
        })
    }

    #[test]
    fn get_pods_table() {
        let mut f = Fake::new();
        f.on(move |r| {
            assert_eq!(r.resource, "pods");
            assert!(matches!(r.verb, Verb::List));
            assert_eq!(r.namespace.as_deref(), Some("default"));
            ok_json(pod_table(&[("web-1", "default")]))
        });
        let out = run_line(&mut f, "kubectl get pods").unwrap();
        assert_eq!(out.text, "NAME    READY   AGE\nweb-1   1/1     5d\n");
        assert!(!out.is_error);
        let s = out.structured.unwrap();
        assert_eq!(s["kind"], "Pod");
        assert_eq!(s["items"][0]["name"], "web-1");
    }

    #[test]
    fn get_pods_all_namespaces_wide() {
        let mut f = Fake::new();
        f.on(move |r| {
            assert_eq!(r.namespace, None);
            assert_eq!(
                r.query,
                vec![
                    ("labelSelector".to_string(), "app in (a,b)".to_string()),
                    // The default page: what fits the budget, 250 characters a wide row.
                    ("limit".to_string(), "360".to_string())
                ]
            );
            ok_json(pod_table(&[("web-1", "default"), ("dns", "kube-system")]))
        });
        let out = run_line(&mut f, "get pods -A -o wide -l 'app in (a,b)'").unwrap();
        assert_eq!(
            out.text,
            "NAMESPACE     NAME    READY   AGE   IP\ndefault       web-1   1/1     5d    10.0.0.1\nkube-system   dns     1/1     5d    10.0.0.1\n"
        );
    }

    #[test]
    fn empty_list() {
        let mut f = Fake::new();
        f.on(|_| ok_json(pod_table(&[])));
        assert_eq!(
            run_line(&mut f, "get pods -n x").unwrap().text,
            "No resources found in x namespace.\n"
        );
        let mut f = Fake::new();
        f.on(|_| ok_json(pod_table(&[])));
        assert_eq!(
            run_line(&mut f, "get pods -A").unwrap().text,
            "No resources found\n"
        );
    }

    #[test]
    fn multiple_types_are_prefixed() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(pod_table(&[("web-1", "default")])),
            _ => ok_json(pod_table(&[("web", "default")])),
        });
        let out = run_line(&mut f, "get pods,deploy").unwrap();
        assert_eq!(
            out.text,
            "NAME        READY   AGE\npod/web-1   1/1     5d\n\nNAME                  READY   AGE\ndeployment.apps/web   1/1     5d\n"
        );
        assert_eq!(out.structured.unwrap()["kind"], "List");
    }

    #[test]
    fn named_gets_and_not_found() {
        let mut f = Fake::new();
        f.on(|r| match r.name.as_deref() {
            Some("web-1") => ok_json(pod_table(&[("web-1", "default")])),
            _ => Err(super::super::testing::not_found(
                "pods",
                r.name.as_deref().unwrap_or(""),
            )),
        });
        let out = run_line(&mut f, "get pod/web-1 pod/nope").unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "NAME    READY   AGE\nweb-1   1/1     5d\nError from server (NotFound): pods \"nope\" not found\n"
        );
        let mut f = Fake::new();
        f.on(|r| {
            Err(super::super::testing::not_found(
                "pods",
                r.name.as_deref().unwrap_or(""),
            ))
        });
        let err = run_line(&mut f, "get pods nope").unwrap_err();
        assert!(format!("{err:?}").contains("NotFound"));
        let mut f = Fake::new();
        f.on(|r| {
            Err(super::super::testing::not_found(
                "pods",
                r.name.as_deref().unwrap_or(""),
            ))
        });
        let out = run_line(&mut f, "get pods nope --ignore-not-found").unwrap();
        assert!(!out.is_error);
    }

    #[test]
    fn json_list_fills_kind() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.output, kap_sdk::api::OutputFormat::Json));
            ok_json(json!({"kind": "DeploymentList", "items": [{"metadata": {"name": "web", "managedFields": [{}]}}]}))
        });
        let out = run_line(&mut f, "get deploy -o json").unwrap();
        let v: serde_json::Value = serde_json::from_str(&out.text).unwrap();
        assert_eq!(v["kind"], "List");
        assert_eq!(v["items"][0]["apiVersion"], "apps/v1");
        assert_eq!(v["items"][0]["kind"], "Deployment");
        assert!(v["items"][0]["metadata"].get("managedFields").is_none());
        assert!(out.text.contains("\n    \"apiVersion\""));
    }

    #[test]
    fn single_object_yaml_and_names() {
        let mut f = Fake::new();
        f.on(|_| {
            ok_json(json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1"}}))
        });
        let out = run_line(&mut f, "get pod web-1 -o yaml").unwrap();
        assert_eq!(
            out.text,
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-1\n"
        );
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(
                json!({"items": [{"metadata": {"name": "a"}}, {"metadata": {"name": "b"}}]}),
            ),
            _ => ok_json(json!({"items": [{"metadata": {"name": "web"}}]})),
        });
        let out = run_line(&mut f, "get pods,deployments.apps -o name").unwrap();
        assert_eq!(out.text, "pod/a\npod/b\ndeployment.apps/web\n");
    }

    #[test]
    fn refused_outputs_and_flags() {
        let mut f = Fake::new();
        let err = |f: &mut Fake, line: &str| format!("{:?}", run_line(f, line).unwrap_err());
        assert!(err(&mut f, "get pods -o go-template={{.x}}").contains("not supported"));
        assert!(err(&mut f, "get pods -o jsonpath-file=/etc/passwd").contains("files cannot"));
        assert!(err(&mut f, "get pods -o jsonpath").contains("needs a template"));
        assert!(err(&mut f, "get pods -o bogus").contains("custom-columns=SPEC"));
        assert!(
            err(&mut f, "get pods -o jsonpath={.items").contains("error parsing jsonpath"),
            "{}",
            err(&mut f, "get pods -o jsonpath={.items")
        );
        assert!(err(&mut f, "get pods -o custom-columns=NAME").contains("expected <header>"));
        assert!(err(&mut f, "get pods -o custom-columns=").contains("no custom columns"));
        assert!(err(&mut f, "get pods --sort-by={a}{b}").contains("unexpected path string"));
        assert!(f.requests.is_empty());
        assert!(
            format!("{:?}", run_line(&mut f, "get pods -w").unwrap_err())
                .contains("--watch is not supported")
        );
        assert!(
            format!("{:?}", run_line(&mut f, "get").unwrap_err())
                .contains("You must specify the type")
        );
    }

    fn two_pods() -> serde_json::Value {
        json!({"kind": "PodList", "items": [
            {"metadata": {"name": "web-10", "namespace": "default", "labels": {"app": "web"}},
             "spec": {"containers": [{"name": "a"}, {"name": "b"}]},
             "status": {"phase": "Running", "podIP": "10.0.0.2"}},
            {"metadata": {"name": "web-9", "namespace": "default"},
             "spec": {"containers": [{"name": "c"}]},
             "status": {"phase": "Pending"}}
        ]})
    }

    #[test]
    fn jsonpath_output() {
        let mut f = Fake::new();
        f.on(|r| {
            assert!(matches!(r.output, kap_sdk::api::OutputFormat::Json));
            ok_json(two_pods())
        });
        let out = run_line(&mut f, "get pods -o jsonpath={.items[*].metadata.name}").unwrap();
        assert_eq!(out.text, "web-10 web-9");
        let out = run_line(
            &mut f,
            r#"get pods -o 'jsonpath={range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}'"#,
        )
        .unwrap();
        assert_eq!(out.text, "web-10\tRunning\nweb-9\tPending\n");
        let out = run_line(
            &mut f,
            "get pods -o=jsonpath='{.kind} {.items[0].metadata.labels}'",
        )
        .unwrap();
        assert_eq!(out.text, r#"List {"app":"web"}"#);
        let out = run_line(
            &mut f,
            "get pods -o jsonpath-as-json={.items[*].status.phase}",
        )
        .unwrap();
        assert_eq!(out.text, "[\n    \"Running\",\n    \"Pending\"\n]\n");
        let e = run_line(&mut f, "get pods -o jsonpath={.items[5]}").unwrap_err();
        let out = crate::tool::outcome_of(Err(e)).unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "error: error executing jsonpath \"{.items[5]}\": Error executing template: array index out of bounds: index 5, length 2\n"
        );
    }

    #[test]
    fn custom_columns_output() {
        let mut f = Fake::new();
        f.on(|_| ok_json(two_pods()));
        let out = run_line(
            &mut f,
            "get pods -o custom-columns=NAME:.metadata.name,CONTAINERS:.spec.containers[*].name,IP:status.podIP,LABELS:{.metadata.labels}",
        )
        .unwrap();
        assert_eq!(
            out.text,
            "NAME     CONTAINERS   IP         LABELS\nweb-10   a,b          10.0.0.2   map[app:web]\nweb-9    c            <none>     <none>\n"
        );
        let out = run_line(
            &mut f,
            "get pods -o custom-columns=N:.metadata.name --no-headers --sort-by=.metadata.name",
        )
        .unwrap();
        assert_eq!(out.text, "web-9\nweb-10\n");
    }

    #[test]
    fn sort_by_objects_and_tables() {
        let mut f = Fake::new();
        f.on(|_| ok_json(two_pods()));
        let out = run_line(&mut f, "get pods -o name --sort-by=.metadata.name").unwrap();
        assert_eq!(out.text, "pod/web-9\npod/web-10\n");
        let out = run_line(&mut f, "get pods -o name --sort-by=status.podIP").unwrap();
        assert_eq!(
            out.text, "pod/web-9\npod/web-10\n",
            "missing fields sort first"
        );
        let e = run_line(&mut f, "get pods -o name --sort-by=.nope").unwrap_err();
        assert!(
            matches!(&e, kap_sdk::api::Failure::Message(m) if m == "couldn't find any field with path \"{.nope}\" in the list of objects"),
            "{e:?}"
        );
        let e = run_line(&mut f, "get pods -o json --sort-by=.metadata").unwrap_err();
        assert!(format!("{e:?}").contains("unsortable"));

        // Tables: the rows' objects are asked for and the rows sorted by them.
        let mut f = Fake::new();
        f.on(|r| {
            assert!(
                r.query
                    .contains(&("includeObject".to_string(), "Object".to_string()))
            );
            let mut t = pod_table(&[("web-10", "default"), ("web-9", "default")]);
            t["rows"][0]["object"]["status"] = json!({"phase": "Running"});
            t["rows"][1]["object"]["status"] = json!({"phase": "Pending"});
            ok_json(t)
        });
        let out = run_line(&mut f, "get pods --sort-by=.metadata.name").unwrap();
        assert_eq!(
            out.text,
            "NAME     READY   AGE\nweb-9    1/1     5d\nweb-10   1/1     5d\n"
        );
        let out = run_line(&mut f, "get pods --sort-by={.status.phase} --no-headers").unwrap();
        assert_eq!(out.text, "web-9    1/1   5d\nweb-10   1/1   5d\n");
        // `get events --sort-by` prints the server's table, sorted.
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.resource, "events");
            ok_json(json!({"columnDefinitions": [{"name": "Name", "format": "name"}], "rows": [
                {"cells": ["b"], "object": {"metadata": {"name": "b"}, "lastTimestamp": "2024-05-01T12:00:00Z"}},
                {"cells": ["a"], "object": {"metadata": {"name": "a"}, "lastTimestamp": "2024-05-01T11:00:00Z"}}
            ]}))
        });
        let out = run_line(&mut f, "get events --sort-by=.lastTimestamp").unwrap();
        assert_eq!(out.text, "NAME\na\nb\n");
    }

    #[test]
    fn denial_is_reported() {
        let mut f = Fake::new();
        f.on(|_| {
            Err(super::super::testing::denied(
                "default.secret-contents",
                "secrets are not readable",
            ))
        });
        let err = run_line(&mut f, "get secrets").unwrap_err();
        let out = crate::tool::outcome_of(Err(err));
        let out = out.unwrap();
        assert!(out.is_error);
        assert_eq!(
            out.text,
            "Denied by policy (rule default.secret-contents): secrets are not readable\n"
        );
    }

    #[test]
    fn secret_names_are_read_from_the_table() {
        // `-o name` of Secrets asks for the Table (metadata), never the objects.
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(r.resource, "secrets");
            assert!(matches!(r.output, kap_sdk::api::OutputFormat::Table), "{r:?}");
            let row = |n: &str| json!({"cells": [n], "object": {"kind": "PartialObjectMetadata", "metadata": {"name": n}}});
            ok_json(json!({"kind": "Table", "columnDefinitions": [{"name": "Name", "format": "name"}],
                "rows": if r.name.is_some() { vec![row("one")] } else { vec![row("db-creds"), row("tls")] }}))
        });
        let out = run_line(&mut f, "get secrets -o name").unwrap();
        assert_eq!(out.text, "secret/db-creds\nsecret/tls\n");
        let out = run_line(&mut f, "get secret one -o name").unwrap();
        assert_eq!(out.text, "secret/one\n");
    }

    /// The value of query parameter `key`.
    fn query(r: &kap_sdk::api::Request, key: &str) -> Option<String> {
        r.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// A page of `pod_table` rows with `metadata.continue`/`remainingItemCount`.
    fn page(rows: &[(&str, &str)], next: &str, remaining: Option<i64>) -> serde_json::Value {
        let mut t = pod_table(rows);
        if !next.is_empty() {
            t["metadata"] = json!({"continue": next});
            if let Some(n) = remaining {
                t["metadata"]["remainingItemCount"] = json!(n);
            }
        }
        t
    }

    #[test]
    fn lists_send_limit_and_note_the_next_page() {
        let mut f = Fake::new();
        f.on(|r| {
            // 100000 characters * 9/10 / 120 per row: more than kubectl's 500.
            assert_eq!(query(r, "limit").as_deref(), Some("500"));
            assert_eq!(query(r, "continue"), None);
            ok_json(page(&[("web-1", "default")], "tok/1=", Some(42)))
        });
        let out = run_line(&mut f, "get pods -A -l app=web").unwrap();
        assert_eq!(
            out.text,
            "NAMESPACE   NAME    READY   AGE\ndefault     web-1   1/1     5d\n(more results: about 42 remaining; next page: kubectl get pods -A -l app=web --limit=500 --continue=tok/1=; or narrow the list with -n, -l or --field-selector)\n"
        );
        let s = out.structured.unwrap();
        assert_eq!(s["continue"], "tok/1=");
        assert_eq!(s["remainingItemCount"], 42);

        // Without remainingItemCount (the server leaves it out with selectors); a value with
        // spaces is quoted so that the command line splits back into the same words.
        let mut f = Fake::new();
        f.on(|_| ok_json(page(&[("web-1", "default")], "t2", None)));
        let out = run_line(&mut f, "get pods -l 'app in (a,b)' --show-labels=false").unwrap();
        assert!(
            out.text.ends_with(
                "\n(more results; next page: kubectl get pods -l 'app in (a,b)' --show-labels=false --limit=500 --continue=t2; or narrow the list with -n, -l or --field-selector)\n"
            ),
            "{}",
            out.text
        );
        let next = out.text.lines().last().unwrap();
        let cmd = &next[next.find("kubectl").unwrap()..next.find("; or").unwrap()];
        let words = kap_sdk::shell::tokenize(cmd).unwrap();
        assert_eq!(words[3], "-l");
        assert_eq!(words[4], "app in (a,b)");
    }

    #[test]
    fn continue_passes_the_token_and_limit_sets_the_page() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(query(r, "limit").as_deref(), Some("2"));
            assert_eq!(query(r, "continue").as_deref(), Some("tok1"));
            assert_eq!(r.namespace.as_deref(), Some("x"));
            ok_json(page(&[("c", "x")], "", None))
        });
        let out = run_line(&mut f, "get pods -n x --limit=2 --continue=tok1").unwrap();
        assert_eq!(
            out.text, "NAME   READY   AGE\nc      1/1     5d\n",
            "last page: no note"
        );
        assert!(out.structured.unwrap().get("continue").is_none());
        assert_eq!(f.requests.len(), 1);
    }

    #[test]
    fn every_output_keeps_the_continue() {
        let list = || {
            json!({"kind": "PodList", "metadata": {"continue": "tok", "remainingItemCount": 7},
                   "items": [{"metadata": {"name": "a"}}]})
        };
        let note = "(more results: about 7 remaining; next page: kubectl get pods -o json --limit=18 --continue=tok; or narrow the list with -n, -l or --field-selector)\n";
        let mut f = Fake::new();
        f.on(move |r| {
            // 90000 characters / 5000 per object.
            assert_eq!(query(r, "limit").as_deref(), Some("18"));
            ok_json(list())
        });
        let out = run_line(&mut f, "get pods -o json").unwrap();
        let (doc, tail) = out.text.split_at(out.text.len() - note.len());
        assert_eq!(tail, note);
        let v: serde_json::Value = serde_json::from_str(doc).unwrap();
        assert_eq!(
            v["metadata"],
            json!({"resourceVersion": "", "continue": "tok", "remainingItemCount": 7})
        );
        let mut f = Fake::new();
        f.on(move |_| ok_json(list()));
        let out = run_line(&mut f, "get pods -o name").unwrap();
        assert!(
            out.text
                .starts_with("pod/a\n(more results: about 7 remaining; next page: kubectl get pods -o name --limit=500 --continue=tok;"),
            "{}",
            out.text
        );
        let out = run_line(&mut f, "get pods -o jsonpath={.metadata.continue}").unwrap();
        assert!(out.text.starts_with("tok\n(more results"), "{}", out.text);
        let out = run_line(&mut f, "get pods -o custom-columns=N:.metadata.name").unwrap();
        assert!(out.text.starts_with("N\na\n(more results"), "{}", out.text);
    }

    #[test]
    fn sort_by_and_filters_read_every_page() {
        let mut f = Fake::new();
        f.on(|r| {
            assert_eq!(query(r, "limit").as_deref(), Some("500"));
            let mut t = match query(r, "continue").as_deref() {
                None => page(&[("web-3", "default"), ("web-1", "default")], "p2", Some(1)),
                Some("p2") => page(&[("web-2", "default")], "", None),
                other => panic!("{other:?}"),
            };
            for row in t["rows"].as_array_mut().unwrap() {
                row["object"]["kind"] = json!("Pod");
            }
            ok_json(t)
        });
        let out = run_line(&mut f, "get pods --sort-by=.metadata.name --no-headers").unwrap();
        assert_eq!(
            out.text,
            "web-1   1/1   5d\nweb-2   1/1   5d\nweb-3   1/1   5d\n"
        );
        assert_eq!(f.requests.len(), 2);

        // Output filters (`| grep`, `| wc -l`) see the whole list too, with no note.
        let mut f = Fake::new();
        f.on(|r| {
            ok_json(match query(r, "continue").as_deref() {
                None => {
                    json!({"metadata": {"continue": "p2"}, "items": [{"metadata": {"name": "a"}}]})
                }
                _ => json!({"items": [{"metadata": {"name": "b"}}]}),
            })
        });
        let ctx = f.ctx.clone();
        let out = crate::tool::call(
            "execute_kubectl",
            &json!({"command": "get pods -o name | wc -l"}).to_string(),
            ctx,
            &mut f,
        )
        .unwrap();
        assert_eq!(out.text, "2\n");
        assert_eq!(f.requests.len(), 2);

        // The whole list is bounded.
        let mut f = Fake::new();
        f.on(|_| {
            let items: Vec<_> = (0..500)
                .map(|i| json!({"metadata": {"name": format!("p{i}")}}))
                .collect();
            ok_json(json!({"metadata": {"continue": "more"}, "items": items}))
        });
        let e = run_line(&mut f, "get pods -o name --sort-by=.metadata.name").unwrap_err();
        assert!(
            matches!(&e, kap_sdk::api::Failure::Message(m) if m.starts_with("there are more than 10000 pods")),
            "{e:?}"
        );
        assert_eq!(f.requests.len(), 20);
    }

    #[test]
    fn a_page_over_the_budget_is_read_again_smaller() {
        let mut f = Fake::new();
        f.ctx.max_output_chars = 3000;
        f.on(|r| {
            let limit: usize = query(r, "limit").unwrap().parse().unwrap();
            let names: Vec<String> = (0..limit)
                .map(|i| format!("{}-{i:03}", "x".repeat(140)))
                .collect();
            let rows: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "default")).collect();
            ok_json(page(&rows, "next", Some(1000)))
        });
        let out = run_line(&mut f, "get pods").unwrap();
        let limits: Vec<String> = f
            .requests
            .iter()
            .map(|r| query(r, "limit").unwrap())
            .collect();
        // 3000 * 9/10 / 120 = 22 rows of ~160 characters do not fit: read again, fewer.
        assert_eq!(limits[0], "22");
        assert!(limits.len() == 2, "{limits:?}");
        assert!(out.text.len() <= 3000, "{}", out.text.len());
        assert!(
            out.text
                .contains(&format!("--limit={} --continue=next;", limits[1])),
            "{}",
            out.text
        );
        let rows = out.text.lines().count() - 2;
        assert_eq!(rows.to_string(), limits[1]);
    }

    #[test]
    fn several_types_note_each_list() {
        let mut f = Fake::new();
        f.on(|r| match r.resource.as_str() {
            "pods" => ok_json(page(&[("web-1", "default")], "pt", Some(3))),
            _ => ok_json(page(&[("web", "default")], "dt", None)),
        });
        let out = run_line(&mut f, "get pods,deploy -n prod").unwrap();
        assert!(
            out.text.ends_with(
                "(more pods: about 3 remaining; next page: kubectl get pods -n prod --limit=375 --continue=pt; or narrow the list with -n, -l or --field-selector)\n(more deployments.apps; next page: kubectl get deployments.apps -n prod --limit=375 --continue=dt; or narrow the list with -n, -l or --field-selector)\n"
            ),
            "{}",
            out.text
        );
        assert!(out.structured.unwrap().get("continue").is_none());
    }

    #[test]
    fn paging_usage_errors_and_expired_tokens() {
        let mut f = Fake::new();
        let err = |f: &mut Fake, line: &str| format!("{:?}", run_line(f, line).unwrap_err());
        assert!(err(&mut f, "get pods --limit=0").contains("invalid --limit"));
        assert!(err(&mut f, "get pods --limit=x").contains("invalid --limit"));
        assert!(err(&mut f, "get pods --continue=").contains("needs the token"));
        assert!(err(&mut f, "get pods --continue=t --sort-by=.a").contains("--sort-by"));
        assert!(err(&mut f, "get pods,svc --continue=t").contains("one resource type"));
        assert!(err(&mut f, "get pods web --continue=t").contains("one resource type"));
        assert!(f.requests.is_empty());
        f.on(|_| {
            Err(kap_sdk::api::KubeError::Api(kap_sdk::ApiError {
                code: 410,
                reason: "Expired".into(),
                message: "The provided continue parameter is too old".into(),
            }))
        });
        let e = run_line(&mut f, "get pods --continue=old").unwrap_err();
        assert!(
            matches!(&e, kap_sdk::api::Failure::Message(m) if m.contains("Error from server (Expired)") && m.contains("list again without --continue")),
            "{e:?}"
        );
    }
}
