//! kubectl's JSONPath templates (`-o jsonpath=...`, `-o custom-columns=...`, `--sort-by`),
//! following client-go's `util/jsonpath` (parser and evaluator) and kubectl's printers. No
//! maintained Rust crate implements this dialect (the JSONPath crates follow RFC 9535, which
//! has no templates, `range`/`end` or kubectl's printing), so it is implemented here.
//!
//! A template is text with actions in braces: `{.items[*].metadata.name}`,
//! `{range .items[*]}{.metadata.name}{"\t"}{.status.phase}{"\n"}{end}`. Inside an action:
//! `.field` (backslash escapes a `.` in a key: `{.metadata.labels.app\.kubernetes\.io/name}`),
//! `['key']`, `[n]`, `[start:end:step]` (negative indices count from the end), `[*]`, `.*`,
//! `..field` (recursive descent), `[a,b]` unions, `[?(@.field OP value)]` filters with `==`,
//! `!=`, `<`, `<=`, `>`, `>=`, `=~` (regular expression) or existence (`[?(@.field)]`),
//! quoted text (`"\n"`, `'\t'`), numbers and `true`/`false`, `@` and `$` (the current object),
//! and `range ...`/`end` blocks.
//!
//! Printing follows kubectl: an action's results are joined with a space; strings, numbers and
//! booleans print as text, objects and arrays as compact JSON (keys sorted, `<`, `>` and `&`
//! escaped as Go's `encoding/json` does), `null` as `<nil>`; no line break is added at the
//! end. Missing keys print nothing (kubectl's default `--allow-missing-template-keys=true`);
//! an index out of range or an index into a non-array is an error, as in kubectl.
//!
//! Differences from client-go: map keys are visited in sorted order by `*` and `..` (Go's
//! order is random); the `..` descent visits the same values but never yields the bytes of a
//! string.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt::Write as _;

use serde_json::Value;

type V<'a> = Cow<'a, Value>;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
enum Item {
    /// Plain text, or an action (a list of nodes).
    Print(Node),
    /// `{range EXPR}BODY{end}`.
    Range { expr: Vec<Node>, body: Vec<Item> },
}

#[derive(Debug, Clone)]
enum Node {
    Text(String),
    List(Vec<Node>),
    Field(String),
    Array([Param; 3]),
    Filter(Box<Filter>),
    Int(i64),
    Float(f64),
    Bool(bool),
    Wildcard,
    Recursive,
    Union(Vec<Vec<Node>>),
    Identifier(String),
}

#[derive(Debug, Clone, Copy, Default)]
struct Param {
    value: i64,
    known: bool,
    derived: bool,
}

#[derive(Debug, Clone)]
struct Filter {
    left: Vec<Node>,
    right: Vec<Node>,
    op: String,
}

// ---------------------------------------------------------------------------------------
// Parsing (client-go's `jsonpath.Parser`)

struct Parser<'s> {
    input: &'s str,
    pos: usize,
    start: usize,
}

fn is_terminator(c: Option<char>) -> bool {
    match c {
        None => true,
        Some(c) => matches!(
            c,
            ' ' | '\t' | '\r' | '\n' | '.' | ',' | '[' | ']' | '$' | '@' | '{' | '}'
        ),
    }
}

fn is_alphanumeric(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

impl<'s> Parser<'s> {
    fn rest(&self) -> &'s str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn consume(&mut self) -> &'s str {
        let s = &self.input[self.start..self.pos];
        self.start = self.pos;
        s
    }

    /// The whole template: text and actions.
    fn parse_text(&mut self) -> Result<Vec<Node>, String> {
        let mut root = Vec::new();
        loop {
            if self.rest().starts_with('{') {
                if self.pos > self.start {
                    root.push(Node::Text(self.consume().to_string()));
                }
                self.pos += 1;
                self.consume();
                let mut action = Vec::new();
                self.parse_action(&mut action)?;
                root.push(Node::List(action));
                continue;
            }
            if self.next().is_none() {
                break;
            }
        }
        if self.pos > self.start {
            root.push(Node::Text(self.consume().to_string()));
        }
        Ok(root)
    }

    /// Inside `{...}` up to and including the closing brace.
    fn parse_action(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            let rest = self.rest();
            if rest.starts_with('}') {
                self.pos += 1;
                self.consume();
                return Ok(());
            }
            if rest.starts_with("[?(") {
                self.parse_filter(cur)?;
                continue;
            }
            if rest.starts_with("..") {
                if matches!(cur.last(), Some(Node::Recursive)) {
                    return Err("invalid multiple recursive descent".into());
                }
                self.pos += 2;
                self.consume();
                cur.push(Node::Recursive);
                if self.peek().is_some_and(is_alphanumeric) {
                    self.parse_field(cur);
                }
                continue;
            }
            match self.next() {
                None | Some('\r') | Some('\n') => return Err("unclosed action".into()),
                Some(' ') | Some('@') | Some('$') => {
                    self.consume();
                }
                Some('[') => self.parse_array(cur)?,
                Some(q @ ('"' | '\'')) => self.parse_quote(cur, q)?,
                Some('.') => self.parse_field(cur),
                Some(c) if c == '+' || c == '-' || c.is_ascii_digit() => {
                    self.pos -= c.len_utf8();
                    self.parse_number(cur)?;
                }
                Some(c) if is_alphanumeric(c) => {
                    self.pos -= c.len_utf8();
                    self.parse_identifier(cur);
                }
                Some(c) => {
                    return Err(format!(
                        "unrecognized character in action: U+{:04X} '{c}'",
                        c as u32
                    ));
                }
            }
        }
    }

    fn parse_identifier(&mut self, cur: &mut Vec<Node>) {
        while !is_terminator(self.peek()) {
            self.next();
        }
        let value = self.consume();
        cur.push(match value {
            "true" => Node::Bool(true),
            "false" => Node::Bool(false),
            v => Node::Identifier(v.to_string()),
        });
    }

    fn parse_number(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        if matches!(self.peek(), Some('+') | Some('-')) {
            self.next();
        }
        while matches!(self.peek(), Some(c) if c == '.' || c.is_ascii_digit()) {
            self.next();
        }
        let value = self.consume();
        if let Ok(i) = value.parse::<i64>() {
            cur.push(Node::Int(i));
        } else if let Ok(f) = value.parse::<f64>() {
            cur.push(Node::Float(f));
        } else {
            return Err(format!("cannot parse number {value}"));
        }
        Ok(())
    }

    fn parse_field(&mut self, cur: &mut Vec<Node>) {
        self.consume();
        loop {
            match self.peek() {
                Some('\\') => {
                    self.next();
                    self.next();
                }
                c if is_terminator(c) => break,
                _ => {
                    self.next();
                }
            }
        }
        let value = self.consume();
        cur.push(if value == "*" {
            Node::Wildcard
        } else {
            Node::Field(value.replace('\\', ""))
        });
    }

    fn parse_quote(&mut self, cur: &mut Vec<Node>, quote: char) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated quoted string".into()),
                Some(c) if c == quote && !self.input[..self.pos - 1].ends_with('\\') => break,
                _ => {}
            }
        }
        let value = self.consume();
        let text = unquote(value).map_err(|e| format!("unquote string {value} error {e}"))?;
        cur.push(Node::Text(text));
        Ok(())
    }

    fn parse_array(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated array".into()),
                Some(']') => break,
                _ => {}
            }
        }
        let text = self.consume();
        let mut text = &text[1..text.len() - 1];
        if text == "*" {
            text = ":";
        }
        // Union: `[a,b]`.
        if text.contains(',') {
            let mut union = Vec::new();
            for part in text.split(',') {
                union.push(parse_action_text(&format!("[{}]", part.trim_matches(' ')))?);
            }
            cur.push(Node::Union(union));
            return Ok(());
        }
        // A quoted key: `['a.b']`.
        if text.len() >= 2
            && text.starts_with('\'')
            && text.ends_with('\'')
            && !text[1..text.len() - 1].contains('\'')
        {
            cur.extend(parse_action_text(&format!(
                ".{}",
                &text[1..text.len() - 1]
            ))?);
            return Ok(());
        }
        cur.push(Node::Array(parse_slice(text)?));
        Ok(())
    }

    fn parse_filter(&mut self, cur: &mut Vec<Node>) -> Result<(), String> {
        self.pos += 3;
        self.consume();
        let (mut begin, mut end) = (false, false);
        let mut pair = '"';
        loop {
            match self.next() {
                None | Some('\n') => return Err("unterminated filter".into()),
                Some(q @ ('"' | '\'')) => {
                    if !begin {
                        begin = true;
                        pair = q;
                        continue;
                    }
                    if !self.input[..self.pos - 1].ends_with('\\') && q == pair {
                        end = true;
                    }
                }
                Some(')') if begin == end => break,
                _ => {}
            }
        }
        if self.next() != Some(']') {
            return Err("unclosed array expect ]".into());
        }
        let text = self.consume();
        let text = &text[..text.len() - 2];
        // `^([^!<>=]+)([!<>=~]+)(.+?)$`
        let op_start = text.find(['!', '<', '>', '=']);
        let split = op_start.filter(|&i| i > 0).and_then(|i| {
            let op_len = text[i..]
                .find(|c: char| !"!<>=~".contains(c))
                .unwrap_or(text.len() - i);
            (i + op_len < text.len()).then_some((i, i + op_len))
        });
        match split {
            None => cur.push(Node::Filter(Box::new(Filter {
                left: parse_action_text(text)?,
                right: Vec::new(),
                op: "exists".into(),
            }))),
            Some((a, b)) => cur.push(Node::Filter(Box::new(Filter {
                left: parse_action_text(&text[..a])?,
                right: parse_action_text(&text[b..])?,
                op: text[a..b].to_string(),
            }))),
        }
        Ok(())
    }
}

/// Parses the inside of one action (client-go's `parseAction`).
fn parse_action_text(text: &str) -> Result<Vec<Node>, String> {
    let wrapped = format!("{{{text}}}");
    let mut p = Parser {
        input: &wrapped,
        pos: 0,
        start: 0,
    };
    let root = p.parse_text()?;
    match root.into_iter().next() {
        Some(Node::List(nodes)) => Ok(nodes),
        _ => Ok(Vec::new()),
    }
}

/// `[start:end:step]`, `[n]`, `[:n]`, `[-n:]` (client-go's slice operator).
fn parse_slice(text: &str) -> Result<[Param; 3], String> {
    let invalid = || format!("invalid array index {text}");
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() > 3 {
        return Err(invalid());
    }
    let valid = |s: &str| {
        let d = s.strip_prefix('-').unwrap_or(s);
        d.bytes().all(|b| b.is_ascii_digit())
    };
    if !parts.iter().all(|p| valid(p)) || (parts[0] == "-") {
        return Err(invalid());
    }
    let mut params = [Param::default(); 3];
    for i in 0..3 {
        match parts.get(i) {
            Some(s) if !s.is_empty() => {
                params[i].known = true;
                params[i].value = s
                    .parse()
                    .map_err(|_| format!("array index {s} is not a number"))?;
            }
            // `[n]`: the end is n+1.
            None if i == 1 => {
                params[1] = Param {
                    value: params[0].value + 1,
                    known: true,
                    derived: true,
                };
            }
            _ => {}
        }
    }
    Ok(params)
}

/// Go's `strconv.Unquote`, also for single-quoted strings (client-go's `UnquoteExtend`).
fn unquote(s: &str) -> Result<String, String> {
    let syntax = || "invalid syntax".to_string();
    let quote = s.chars().next().ok_or_else(syntax)?;
    let body = s
        .strip_prefix(quote)
        .and_then(|b| b.strip_suffix(quote))
        .ok_or_else(syntax)?;
    let mut out = String::new();
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err(syntax());
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(syntax)?;
        let hex = |chars: &mut std::iter::Peekable<std::str::Chars>, n: usize| {
            let h: String = (0..n).filter_map(|_| chars.next()).collect();
            if h.len() != n {
                return Err(syntax());
            }
            u32::from_str_radix(&h, 16).map_err(|_| syntax())
        };
        match e {
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'f' => out.push('\x0c'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\x0b'),
            '\\' => out.push('\\'),
            '\'' | '"' if e == quote => out.push(e),
            'x' => out.push(char::from_u32(hex(&mut chars, 2)?).ok_or_else(syntax)?),
            'u' => out.push(char::from_u32(hex(&mut chars, 4)?).ok_or_else(syntax)?),
            'U' => out.push(char::from_u32(hex(&mut chars, 8)?).ok_or_else(syntax)?),
            '0'..='7' => {
                let mut v = e.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    let d = chars
                        .next()
                        .and_then(|c| c.to_digit(8))
                        .ok_or_else(syntax)?;
                    v = v * 8 + d;
                }
                out.push(char::from_u32(v).filter(|_| v <= 255).ok_or_else(syntax)?);
            }
            _ => return Err(syntax()),
        }
    }
    Ok(out)
}

/// Parses a template (kubectl's `-o jsonpath=TEMPLATE`). Errors are client-go's messages.
pub fn parse(template: &str) -> Result<Template, String> {
    let mut p = Parser {
        input: template,
        pos: 0,
        start: 0,
    };
    let root = p.parse_text()?;
    // `{range ...}` ... `{end}` become blocks.
    let mut stack: Vec<(Vec<Node>, Vec<Item>)> = Vec::new();
    let mut items: Vec<Item> = Vec::new();
    for node in root {
        match node {
            Node::List(nodes) if matches!(nodes.first(), Some(Node::Identifier(i)) if i == "range") =>
            {
                stack.push((nodes[1..].to_vec(), std::mem::take(&mut items)));
            }
            Node::List(nodes) if matches!(nodes.first(), Some(Node::Identifier(i)) if i == "end") =>
            {
                let Some((expr, outer)) = stack.pop() else {
                    return Err("not in range, nothing to end".into());
                };
                let body = std::mem::replace(&mut items, outer);
                items.push(Item::Range { expr, body });
            }
            other => items.push(Item::Print(other)),
        }
    }
    // An unclosed range runs to the end of the template, as in client-go.
    while let Some((expr, outer)) = stack.pop() {
        let body = std::mem::replace(&mut items, outer);
        items.push(Item::Range { expr, body });
    }
    Ok(Template { items })
}

/// kubectl's `RelaxedJSONPathExpression` (custom columns and `--sort-by`): `a.b`, `.a.b`,
/// `{a.b}` and `{.a.b}` all become `{.a.b}`.
pub fn relaxed(expr: &str) -> Result<String, String> {
    if expr.is_empty() {
        return Ok(String::new());
    }
    let inner = expr
        .strip_prefix('{')
        .and_then(|e| e.strip_suffix('}'))
        .unwrap_or(expr);
    let inner = inner.strip_prefix('.').unwrap_or(inner);
    if inner.is_empty() || inner.contains(['{', '}']) {
        return Err("unexpected path string, expected a 'name1.name2' or '.name1.name2' or '{name1.name2}' or '{.name1.name2}'".into());
    }
    Ok(format!("{{.{inner}}}"))
}

// ---------------------------------------------------------------------------------------
// Evaluation (client-go's `JSONPath.FindResults`)

impl Template {
    /// The results of each printed node, in order (client-go's `FindResults`).
    pub fn find<'a>(&self, data: &'a Value) -> Result<Vec<Vec<V<'a>>>, String> {
        let mut out = Vec::new();
        exec(&self.items, Cow::Borrowed(data), &mut out)?;
        Ok(out)
    }

    /// The first result, if any (what custom columns' sorting and `--sort-by` look at).
    pub fn first<'a>(&self, data: &'a Value) -> Result<Option<V<'a>>, String> {
        Ok(self
            .find(data)?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next()))
    }

    /// Prints the template for `data` as kubectl's JSONPath printer does (see the module
    /// documentation); `as_json` is `-o jsonpath-as-json`: each node's results as an
    /// indented JSON array.
    pub fn execute(&self, data: &Value, as_json: bool) -> Result<String, String> {
        let mut out = String::new();
        for results in self.find(data)? {
            if as_json {
                let arr = Value::Array(results.into_iter().map(Cow::into_owned).collect());
                go_json(&arr, Some("    "), &mut out);
                out.push('\n');
                continue;
            }
            for (i, r) in results.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                match r.as_ref() {
                    v @ (Value::Object(_) | Value::Array(_)) => go_json(v, None, &mut out),
                    v => out.push_str(&go_text(v)),
                }
            }
        }
        Ok(out)
    }
}

fn exec<'a>(items: &[Item], data: V<'a>, out: &mut Vec<Vec<V<'a>>>) -> Result<(), String> {
    for item in items {
        match item {
            Item::Print(node) => out.push(walk(vec![data.clone()], node)?),
            Item::Range { expr, body } => {
                for v in eval_list(vec![data.clone()], expr)? {
                    exec(body, v, out)?;
                }
            }
        }
    }
    Ok(())
}

fn eval_list<'a>(input: Vec<V<'a>>, nodes: &[Node]) -> Result<Vec<V<'a>>, String> {
    let mut cur = input;
    for n in nodes {
        cur = walk(cur, n)?;
    }
    Ok(cur)
}

/// The values `f` picks from `v`, borrowed when `v` is.
fn pick<'a>(v: &V<'a>, f: impl for<'b> Fn(&'b Value) -> Vec<&'b Value>) -> Vec<V<'a>> {
    match v {
        Cow::Borrowed(b) => f(b).into_iter().map(Cow::Borrowed).collect(),
        Cow::Owned(o) => f(o).into_iter().map(|x| Cow::Owned(x.clone())).collect(),
    }
}

/// Go's type name of a JSON value as client-go's unstructured objects hold it.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn sorted_values(m: &serde_json::Map<String, Value>) -> Vec<&Value> {
    let mut kv: Vec<(&String, &Value)> = m.iter().collect();
    kv.sort_by(|a, b| a.0.cmp(b.0));
    kv.into_iter().map(|(_, v)| v).collect()
}

fn children(v: &Value) -> Vec<&Value> {
    match v {
        Value::Object(m) => sorted_values(m),
        Value::Array(a) => a.iter().collect(),
        _ => Vec::new(),
    }
}

fn walk<'a>(input: Vec<V<'a>>, node: &Node) -> Result<Vec<V<'a>>, String> {
    match node {
        Node::List(nodes) => eval_list(input, nodes),
        Node::Text(t) => Ok(vec![Cow::Owned(Value::String(t.clone()))]),
        Node::Int(i) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*i))).collect()),
        Node::Float(f) => Ok(input.iter().map(|_| Cow::Owned(Value::from(*f))).collect()),
        Node::Bool(b) => Ok(input.iter().map(|_| Cow::Owned(Value::Bool(*b))).collect()),
        Node::Field(name) => {
            // Missing keys give no result (kubectl allows missing template keys).
            Ok(input
                .iter()
                .flat_map(|v| {
                    pick(v, |x| match x {
                        Value::Object(m) => m.get(name).into_iter().collect(),
                        _ => Vec::new(),
                    })
                })
                .collect())
        }
        Node::Wildcard => Ok(input
            .iter()
            .flat_map(|v| match v.as_ref() {
                Value::String(s) => s
                    .bytes()
                    .map(|b| Cow::Owned(Value::from(b)))
                    .collect::<Vec<_>>(),
                _ => pick(v, children),
            })
            .collect()),
        Node::Recursive => {
            let mut out = Vec::new();
            for v in &input {
                recursive(v, &mut out);
            }
            Ok(out)
        }
        Node::Union(lists) => {
            let mut out = Vec::new();
            for l in lists {
                out.extend(eval_list(input.clone(), l)?);
            }
            Ok(out)
        }
        Node::Array(params) => eval_array(input, params),
        Node::Filter(f) => eval_filter(input, f),
        Node::Identifier(name) => Err(format!("unrecognized identifier {name}")),
    }
}

/// `..`: every object, array and non-empty string below (and including) `v`, in pre-order.
fn recursive<'a>(v: &V<'a>, out: &mut Vec<V<'a>>) {
    let has_children = match v.as_ref() {
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => false,
    };
    if !has_children {
        return;
    }
    out.push(v.clone());
    for c in pick(v, children) {
        recursive(&c, out);
    }
}

fn eval_array<'a>(input: Vec<V<'a>>, params: &[Param; 3]) -> Result<Vec<V<'a>>, String> {
    let mut out = Vec::new();
    for v in &input {
        let len = match v.as_ref() {
            Value::Null => continue,
            Value::Array(a) => a.len() as i64,
            other => return Err(format!("{} is not array or slice", go_type(other))),
        };
        let mut p = *params;
        if !p[0].known {
            p[0].value = 0;
        }
        if p[0].value < 0 {
            p[0].value += len;
        }
        if !p[1].known {
            p[1].value = len;
        }
        if p[1].value < 0 || (p[1].value == 0 && p[1].derived) {
            p[1].value += len;
        }
        if p[1].value == p[0].value {
            // Zero elements requested: client-go stops here.
            return Ok(out);
        }
        if p[0].value >= len || p[0].value < 0 {
            return Err(format!(
                "array index out of bounds: index {}, length {len}",
                p[0].value
            ));
        }
        if p[1].value > len || p[1].value < 0 {
            return Err(format!(
                "array index out of bounds: index {}, length {len}",
                p[1].value - 1
            ));
        }
        if p[0].value > p[1].value {
            return Err(format!(
                "starting index {} is greater than ending index {}",
                p[0].value, p[1].value
            ));
        }
        let step = if p[2].known {
            if p[2].value <= 0 {
                return Err("step must be > 0".into());
            }
            p[2].value as usize
        } else {
            1
        };
        let (from, to) = (p[0].value as usize, p[1].value as usize);
        out.extend(pick(v, |x| match x {
            Value::Array(a) => a[from..to].iter().step_by(step).collect(),
            _ => Vec::new(),
        }));
    }
    Ok(out)
}

fn eval_filter<'a>(input: Vec<V<'a>>, f: &Filter) -> Result<Vec<V<'a>>, String> {
    let mut out = Vec::new();
    for v in &input {
        if !v.is_array() {
            return Err(format!(
                "{} is not array or slice and cannot be filtered",
                go_text(v)
            ));
        }
        for elem in pick(v, children) {
            let lefts = eval_list(vec![elem.clone()], &f.left);
            if f.op == "exists" {
                if lefts.is_ok_and(|l| !l.is_empty()) {
                    out.push(elem);
                }
                continue;
            }
            let lefts = lefts?;
            let left = match lefts.as_slice() {
                [] => continue,
                [l] => l.clone(),
                _ => return Err("can only compare one element at a time".into()),
            };
            let rights = eval_list(vec![elem.clone()], &f.right)?;
            let right = match rights.as_slice() {
                [] => continue,
                [r] => r.clone(),
                _ => return Err("can only compare one element at a time".into()),
            };
            let pass = match f.op.as_str() {
                "==" => compare(&left, &right, false)? == Ordering::Equal,
                "!=" => compare(&left, &right, false)? != Ordering::Equal,
                "<" => compare(&left, &right, true)? == Ordering::Less,
                ">" => compare(&left, &right, true)? == Ordering::Greater,
                "<=" => compare(&left, &right, true)? != Ordering::Greater,
                ">=" => compare(&left, &right, true)? != Ordering::Less,
                "=~" => match (left.as_ref(), right.as_ref()) {
                    (Value::String(l), Value::String(r)) => regex::Regex::new(r)
                        .map_err(|e| format!("error parsing regexp: {e}"))?
                        .is_match(l),
                    _ => {
                        return Err(format!(
                            "regexp search only support string now but getting pattern: {}, data: {}",
                            go_text(&right),
                            go_text(&left)
                        ));
                    }
                },
                op => return Err(format!("unrecognized filter operator {op}")),
            };
            if pass {
                out.push(elem);
            }
        }
    }
    Ok(out)
}

/// Go template comparison (`eq`, `lt`, ...) of two basic values: the same kind of value only
/// (an integer with an integer, ...); booleans compare for equality only.
fn compare(a: &Value, b: &Value, ordered: bool) -> Result<Ordering, String> {
    let bad_type = || "invalid type for comparison".to_string();
    let incompatible = || "incompatible types for comparison".to_string();
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) if !ordered => Ok(x.cmp(y)),
        (Value::Bool(_), _) | (_, Value::Bool(_)) if ordered => Err(bad_type()),
        (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) if !x.is_f64() && !y.is_f64() => Ok(i.cmp(&j)),
            _ if x.is_f64() && y.is_f64() => {
                let (i, j) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                Ok(i.partial_cmp(&j).unwrap_or(Ordering::Equal))
            }
            _ => Err(incompatible()),
        },
        (Value::Null | Value::Object(_) | Value::Array(_), _)
        | (_, Value::Null | Value::Object(_) | Value::Array(_)) => Err(bad_type()),
        _ => Err(incompatible()),
    }
}

// ---------------------------------------------------------------------------------------
// Printing as Go does

/// A scalar as Go's `fmt.Fprint` prints it (kubectl's JSONPath text output).
fn go_text(v: &Value) -> String {
    go_sprint(v)
}

/// A value as Go's `fmt.Sprint` prints client-go's unstructured data (custom columns):
/// strings raw, `<nil>`, `[a b]` for arrays and `map[k:v]` (keys sorted) for objects.
pub fn go_sprint(v: &Value) -> String {
    let mut out = String::new();
    sprint(v, &mut out);
    out
}

fn sprint(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n, false)),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                sprint(x, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                sprint(&m[k], out);
            }
            out.push(']');
        }
    }
}

/// A number as Go prints an `int64` or a `float64`: `%v` (`1e+06`: an exponent from 1e6 or
/// below 1e-4) or, for JSON, `encoding/json` (`1000000`: an exponent only from 1e21 or below
/// 1e-6, `1.5e-7`).
fn go_number(n: &serde_json::Number, json: bool) -> String {
    if !n.is_f64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    if f == 0.0 || !f.is_finite() {
        return if f == 0.0 { "0".into() } else { f.to_string() };
    }
    // Rust's shortest representation, as Go's: `1.5e-7`, `1e6`.
    let sci = format!("{f:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let exponent = if json {
        !(1e-6..1e21).contains(&f.abs())
    } else {
        !(-4..6).contains(&exp)
    };
    if !exponent {
        return format!("{f}");
    }
    let digits = exp.unsigned_abs();
    match (exp < 0, json) {
        (true, true) => format!("{mant}e-{digits}"),
        (true, false) => format!("{mant}e-{digits:02}"),
        (false, _) => format!("{mant}e+{digits:02}"),
    }
}

/// JSON as Go's `encoding/json` writes it: keys sorted, `<`, `>`, `&`, U+2028 and U+2029
/// escaped; with `indent`, as `json.MarshalIndent(v, "", indent)`.
pub fn go_json(v: &Value, indent: Option<&str>, out: &mut String) {
    json_at(v, indent, 0, out);
}

fn json_at(v: &Value, indent: Option<&str>, level: usize, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        if let Some(ind) = indent {
            out.push('\n');
            for _ in 0..level {
                out.push_str(ind);
            }
        }
    };
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n, true)),
        Value::String(s) => json_string(s, out),
        Value::Array(a) => {
            if a.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                json_at(x, indent, level + 1, out);
            }
            newline(out, level);
            out.push(']');
        }
        Value::Object(m) => {
            if m.is_empty() {
                out.push_str("{}");
                return;
            }
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                json_string(k, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                json_at(&m[k], indent, level + 1, out);
            }
            newline(out, level);
            out.push('}');
        }
    }
}

fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------
// Sorting (kubectl's `--sort-by`)

/// kubectl's `sortorder.NaturalLess` as an ordering: runs of digits compare as numbers.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i].is_ascii_digit() && b[j].is_ascii_digit() {
            let si = i;
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            let sj = j;
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
            let (ra, rb) = (&a[si..i], &b[sj..j]);
            let ta = trim_zeros(ra);
            let tb = trim_zeros(rb);
            let o = ta.len().cmp(&tb.len()).then_with(|| ta.cmp(tb));
            if o != Ordering::Equal {
                return o;
            }
            // Equal numbers: fewer leading zeros first.
            let o = ra.len().cmp(&rb.len());
            if o != Ordering::Equal {
                return o;
            }
        } else {
            let o = a[i].cmp(&b[j]);
            if o != Ordering::Equal {
                return o;
            }
            i += 1;
            j += 1;
        }
    }
    (a.len() - i).cmp(&(b.len() - j))
}

fn trim_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n..]
}

/// A `--sort-by` key: the field's first value (kubectl's `RuntimeSort`).
#[derive(Debug, Clone, PartialEq)]
pub enum SortKey {
    /// The object has no such field (sorts first).
    Missing,
    /// `null` (sorts after missing fields).
    Null,
    /// An integer (Go's `int64` in unstructured objects).
    Int(i64),
    /// A number with a fraction (Go's `float64`).
    Float(f64),
    /// A string: compared as quantities when both are, else naturally.
    Str(String),
    /// Objects, arrays and booleans, which kubectl cannot sort by.
    Unsortable(&'static str),
}

impl SortKey {
    /// The key of one object for a parsed sort field.
    pub fn of(field: &Template, obj: &Value) -> Result<SortKey, String> {
        Ok(match field.first(obj)?.as_deref() {
            None => SortKey::Missing,
            Some(Value::Null) => SortKey::Null,
            Some(Value::Number(n)) if n.is_f64() => SortKey::Float(n.as_f64().unwrap_or(0.0)),
            Some(Value::Number(n)) => SortKey::Int(n.as_i64().unwrap_or(i64::MAX)),
            Some(Value::String(s)) => SortKey::Str(s.clone()),
            Some(other) => SortKey::Unsortable(go_type(other)),
        })
    }

    fn kind(&self) -> Option<&'static str> {
        match self {
            SortKey::Missing | SortKey::Null => None,
            SortKey::Int(_) => Some("int64"),
            SortKey::Float(_) => Some("float64"),
            SortKey::Str(_) => Some("string"),
            SortKey::Unsortable(t) => Some(t),
        }
    }
}

/// Sorts `items` by their keys as kubectl does: missing fields first, then `null`, then
/// numbers by value and strings as quantities (`100m` < `1`) when both are, else in natural
/// order (`web-2` < `web-10`). Stable. Fails, as kubectl does, when no item has the field
/// or the values cannot be compared (objects, arrays, booleans, mixed types).
pub fn sort_by_keys<T>(items: &mut Vec<T>, keys: Vec<SortKey>, field: &str) -> Result<(), String> {
    if !items.is_empty() && keys.iter().all(|k| *k == SortKey::Missing) {
        return Err(format!(
            "couldn't find any field with path {field:?} in the list of objects"
        ));
    }
    let mut kind = None;
    for k in &keys {
        match (k, k.kind(), kind) {
            (SortKey::Unsortable(t), _, _) => {
                return Err(format!(
                    "field {field} in the objects is an unsortable type: {t}"
                ));
            }
            (_, Some(t), None) => kind = Some(t),
            (_, Some(t), Some(prev)) if t != prev => {
                return Err(format!(
                    "field {field} in the objects is an unsortable type: {t} and {prev} cannot be compared"
                ));
            }
            _ => {}
        }
    }
    let mut pairs: Vec<(SortKey, T)> = keys.into_iter().zip(items.drain(..)).collect();
    pairs.sort_by(|(a, _), (b, _)| sort_cmp(a, b));
    items.extend(pairs.into_iter().map(|(_, t)| t));
    Ok(())
}

fn rank(k: &SortKey) -> u8 {
    match k {
        SortKey::Missing => 0,
        SortKey::Null => 1,
        _ => 2,
    }
}

fn sort_cmp(a: &SortKey, b: &SortKey) -> Ordering {
    match (a, b) {
        (SortKey::Int(x), SortKey::Int(y)) => x.cmp(y),
        (SortKey::Float(x), SortKey::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (SortKey::Str(x), SortKey::Str(y)) => {
            match (
                crate::quantity::parse_milli(x),
                crate::quantity::parse_milli(y),
            ) {
                (Some(p), Some(q)) => p.cmp(&q),
                _ => natural_cmp(x, y),
            }
        }
        _ => rank(a).cmp(&rank(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        parse(t)
            .unwrap_or_else(|e| panic!("{t}: {e}"))
            .execute(v, false)
            .unwrap_or_else(|e| panic!("{t}: {e}"))
    }

    fn err(t: &str, v: &Value) -> String {
        match parse(t) {
            Err(e) => e,
            Ok(p) => p.execute(v, false).unwrap_err(),
        }
    }

    /// The example input of kubectl's JSONPath documentation.
    fn doc() -> Value {
        json!({
          "kind": "List",
          "items":[
            {"kind":"None","metadata":{"name":"127.0.0.1","labels":{"kubernetes.io/hostname":"127.0.0.1"}},
             "status":{"capacity":{"cpu":"4"},"addresses":[{"type": "LegacyHostIP", "address":"127.0.0.1"}]}},
            {"kind":"None","metadata":{"name":"127.0.0.2"},
             "status":{"capacity":{"cpu":"8"},"addresses":[{"type": "LegacyHostIP", "address":"127.0.0.2"},{"type": "another", "address":"127.0.0.3"}]}}
          ],
          "users":[
            {"name": "myself", "user": {}},
            {"name": "e2e", "user": {"username": "admin", "password": "secret"}}
          ]
        })
    }

    #[test]
    fn documented_examples() {
        let d = doc();
        assert_eq!(run("kind is {.kind}", &d), "kind is List");
        assert_eq!(run("{.kind} {['kind']}", &d), "List List");
        assert_eq!(run("{..name}", &d), "127.0.0.1 127.0.0.2 myself e2e");
        assert_eq!(run("{.items[*].metadata.name}", &d), "127.0.0.1 127.0.0.2");
        assert_eq!(run("{.users[0].name}", &d), "myself");
        assert_eq!(
            run("{.items[*]['metadata.name', 'status.capacity']}", &d),
            r#"127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}"#
        );
        assert_eq!(
            run(r#"{.users[?(@.name=="e2e")].user.password}"#, &d),
            "secret"
        );
        assert_eq!(
            run(
                "{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
                &d
            ),
            r#"[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] "#
        );
        assert_eq!(
            run("{range .items[*]}{.metadata.name}{'\\t'}{end}", &d),
            "127.0.0.1\t127.0.0.2\t"
        );
        assert_eq!(run("{.items[-1:].metadata.name}", &d), "127.0.0.2");
        assert_eq!(
            run("{.items[0:2:1].metadata.name}", &d),
            "127.0.0.1 127.0.0.2"
        );
        assert_eq!(
            run(r"{.items[0].metadata.labels.kubernetes\.io/hostname}", &d),
            "127.0.0.1"
        );
        assert_eq!(
            run(
                "{.items[*].status.addresses[?(@.type=='another')].address}",
                &d
            ),
            "127.0.0.3"
        );
        assert_eq!(run("{.users[?(@.user.username)].name}", &d), "e2e");
        assert_eq!(run("{.users[?(@.name=~'^my')].name}", &d), "myself");
        assert_eq!(run("{@.kind}{$.kind}", &d), "ListList");
        assert_eq!(run("{.nope}{.items[*].nope}x", &d), "x");
        assert_eq!(run("{.}", &d), "");
        assert_eq!(run("{.users[1].user.*}", &d), "secret admin");
    }

    #[test]
    fn nested_ranges_and_values() {
        let d = json!({"items": [
            {"n": "a", "ports": [{"p": 1}, {"p": 2}], "x": null, "f": 0.5, "big": 1e6, "t": true},
            {"n": "b", "ports": [{"p": 3}]}
        ]});
        assert_eq!(
            run(
                "{range .items[*]}{.n}:{range .ports[*]}{.p},{end};{end}",
                &d
            ),
            "a:1,2,;b:3,;"
        );
        assert_eq!(
            run(
                "{.items[0].x} {.items[0].f} {.items[0].big} {.items[0].t}",
                &d
            ),
            "<nil> 0.5 1e+06 true"
        );
        assert_eq!(run("{.items[?(@.ports[0].p > 1)].n}", &d), "b");
        assert_eq!(run("{.items[?(@.n != 'a')].n}", &d), "b");
        assert_eq!(run("{.items[0].ports}", &d), r#"[{"p":1},{"p":2}]"#);
        assert_eq!(run(r#"{"<&>"}"#, &d), "<&>");
        let html = json!({"a": {"k": "<b>&"}});
        assert_eq!(run("{.a}", &html), r#"{"k":"\u003cb\u003e\u0026"}"#);
        assert_eq!(
            parse("{.items[*].n}").unwrap().execute(&d, true).unwrap(),
            "[\n    \"a\",\n    \"b\"\n]\n"
        );
        // An unclosed range runs to the end.
        assert_eq!(run("{range .items[*]}{.n}", &d), "ab");
    }

    #[test]
    fn errors_follow_client_go() {
        let d = doc();
        assert_eq!(err("{.kind", &d), "unclosed action");
        assert_eq!(err("{end}", &d), "not in range, nothing to end");
        assert_eq!(
            err("{.items[5]}", &d),
            "array index out of bounds: index 5, length 2"
        );
        assert_eq!(err("{.kind[0]}", &d), "string is not array or slice");
        assert_eq!(err("{.users[0:1:0]}", &d), "step must be > 0");
        assert_eq!(err("{.items[x]}", &d), "invalid array index x");
        assert_eq!(err("{.items[0}", &d), "unterminated array");
        assert_eq!(err("{foo}", &d), "unrecognized identifier foo");
        assert_eq!(
            err("{#}", &d),
            "unrecognized character in action: U+0023 '#'"
        );
        assert_eq!(
            err("{.users[?(@.name==1)].name}", &d),
            "incompatible types for comparison"
        );
        assert!(err("{'a}", &d).contains("unterminated quoted string"));
    }

    #[test]
    fn relaxed_paths() {
        for p in ["a.b", ".a.b", "{a.b}", "{.a.b}"] {
            assert_eq!(relaxed(p).unwrap(), "{.a.b}");
        }
        assert!(relaxed("{a}{b}").is_err());
        assert_eq!(relaxed("").unwrap(), "");
    }

    #[test]
    fn go_printing() {
        assert_eq!(
            go_sprint(&json!({"b": [1, "x"], "a": {"c": null}})),
            "map[a:map[c:<nil>] b:[1 x]]"
        );
        // The values of a Go program printing them with fmt.Println and json.Marshal.
        for (f, v, j) in [
            (1e6, "1e+06", "1000000"),
            (123456.0, "123456", "123456"),
            (1234567.0, "1.234567e+06", "1234567"),
            (1e20, "1e+20", "100000000000000000000"),
            (1e21, "1e+21", "1e+21"),
            (0.5, "0.5", "0.5"),
            (1.5e-7, "1.5e-07", "1.5e-7"),
            (0.0001, "0.0001", "0.0001"),
            (0.00001, "1e-05", "0.00001"),
        ] {
            assert_eq!(go_sprint(&json!(f)), v);
            let mut s = String::new();
            go_json(&json!(f), None, &mut s);
            assert_eq!(s, j);
        }
    }

    #[test]
    fn sorting() {
        assert_eq!(natural_cmp("web-2", "web-10"), Ordering::Less);
        assert_eq!(natural_cmp("a", "b"), Ordering::Less);
        assert_eq!(natural_cmp("a1", "a01"), Ordering::Less);
        assert_eq!(natural_cmp("ab", "a"), Ordering::Greater);
        let field = parse("{.v}").unwrap();
        let objs = [
            json!({"v": "1Gi"}),
            json!({"v": "100Mi"}),
            json!({}),
            json!({"v": "2"}),
        ];
        let keys = objs
            .iter()
            .map(|o| SortKey::of(&field, o).unwrap())
            .collect();
        let mut items: Vec<usize> = (0..objs.len()).collect();
        sort_by_keys(&mut items, keys, "{.v}").unwrap();
        assert_eq!(items, [2, 3, 1, 0]);
        let mut items = vec![1, 2];
        let e = sort_by_keys(&mut items, vec![SortKey::Missing, SortKey::Missing], "{.x}");
        assert_eq!(
            e.unwrap_err(),
            "couldn't find any field with path \"{.x}\" in the list of objects"
        );
        let e = sort_by_keys(
            &mut items,
            vec![SortKey::Int(1), SortKey::Str("a".into())],
            "{.x}",
        );
        assert!(e.unwrap_err().contains("unsortable"));
    }
}
