//! Safe output filters after `|` (in kubectl's `execute_kubectl` and any plugin that takes a
//! command line): instead of a shell pipeline, a short list of text filters implemented here
//! (no program is ever started).
//!
//! `get pods -A | grep -i crash | wc -l` is split by [`crate::shell::pipeline`] with POSIX
//! quoting; the first stage is the command (kubectl's, helm's, ...), every later stage must be one of:
//!
//! | filter | options | follows |
//! | --- | --- | --- |
//! | `grep PATTERN` | `-i` `-v` `-c` `-n` `-o` `-w` `-x` `-E` `-F` `-G` `-m N` `-A N` `-B N` `-C N` `-e PATTERN` (repeatable), `--` | GNU grep |
//! | `head` | `-n N`, `-N`, `-n -N` (all but the last N), `--lines=N` | GNU head |
//! | `tail` | `-n N`, `-N`, `-n +N` (from line N), `--lines=N` | GNU tail |
//! | `wc -l` | `-l` / `--lines` only | GNU wc |
//! | `sort` | `-r` `-n` `-u` `-f` `-b` `-t SEP` `-k N[,M]` (with `n`/`r`/`f`/`b` key letters) | GNU sort, `LC_ALL=C` |
//! | `uniq` | `-c` `-d` `-u` `-i` | GNU uniq |
//! | `jq [FILTER]` | `-r` `-j` `-c` `-S` `-n`, `--arg NAME VALUE`, `--argjson NAME JSON` | jq 1.7, via jaq |
//!
//! Anything else after a `|` is refused as invalid arguments, naming the allowed filters;
//! file arguments are refused too (the filters only read the command's output).
//!
//! **jq** runs in-process with the [jaq](https://github.com/01mf02/jaq) crates (`jaq-core`,
//! `jaq-std`, `jaq-json`), compiled before the command runs so a syntax error costs no API
//! request. Its input is the command's output read as a stream of JSON values. When jq is the
//! first filter of `get`, `events` or `version` and the command has no `-o`, `-o json` is added
//! (`get pods | jq '.items[].metadata.name'` works as `kubectl get pods -o json | jq ...`); any
//! other `-o` than `json` is refused with a message saying so. jq's `env`/`$ENV` are not
//! available (the plugin's environment is not the user's), `input`/`inputs`,
//! `input_filename`, `$__loc__` and modules are not either; `debug` and `stderr` pass their
//! input on without printing it elsewhere; `halt` ends the output, `halt_error` with a
//! non-zero code is an error. Output is printed like jq: two-space indentation, `-c`
//! compact, `-r` strings raw. Where jaq and jq differ (jaq's documented differences: e.g.
//! `limit(0; f)`, NaN handling, `error(null)`), jaq's behaviour applies.
//!
//! **grep** patterns are POSIX regular expressions as GNU grep reads them, translated to the
//! `regex` crate's syntax: basic (BRE, the default: `\|`, `\+`, `\?`, `\(`...`\)`,
//! `\{`...`\}` are operators, the bare characters literal) or extended (`-E`); `-F` is a fixed
//! string. Bracket expressions are POSIX (a backslash inside `[...]` is literal,
//! `[[:alpha:]]` classes work). Back-references (`\1`) are not supported. `-w` uses `\b`
//! word boundaries, which differ from GNU only for patterns that start or end with a
//! non-word character. Matching is per line, Unicode-aware.
//!
//! **sort** compares bytes (the C locale), numbers with `-n` (a leading `-`, digits and a
//! fraction; anything else is 0), and breaks ties by comparing whole lines, as GNU sort does.
//!
//! **Limits.** No filter can print more than [`MAX_OUTPUT`] bytes: output beyond it is cut at a
//! line boundary and a note says so. jq has no step counter; a jq program that loops without
//! printing, or builds a huge value, is stopped by the host's per-call deadline and memory
//! limit like any other plugin work.
//!
//! When the command itself reports an error (`Error from server ...`, also a partial one), its
//! output is returned unfiltered with a note, so the error is never filtered away. A filter's
//! answer has no structured content: the text is the answer.

use std::fmt::Write as _;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Ctx as JqCtx, Native, Vars, data::JustLut};
use jaq_json::Val;
use regex::{Regex, RegexBuilder};
use serde_json::json;

use crate::api::Outcome;
use crate::shell;

/// The most bytes one filter stage may print; the rest is cut at a line boundary.
pub const MAX_OUTPUT: usize = 1 << 20;

/// The filters allowed after `|`, as named in refusals.
pub const ALLOWED: &str = "grep [-i] [-v] [-c] [-n] [-o] [-w] [-x] [-E|-F] [-m N] [-A|-B|-C N] [-e] PATTERN, head [-n N], tail [-n N], wc -l, sort [-r] [-n] [-u] [-f] [-k N[,M]] [-t SEP], uniq [-c] [-d] [-u] [-i], jq [-r] [-c] [-j] [-S] [--arg NAME VALUE] FILTER";

/// A filter that failed while running (jq errors, input that is not JSON): what it printed
/// before the failure and the message, as jq or grep would print on standard error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    /// What the failing filter printed before the failure (the output of the filters after
    /// it is dropped).
    pub output: String,
    /// The failure, e.g. `jq: error (at input 1): cannot index ...`.
    pub message: String,
}

/// The filters after the command, in order (empty when the command has no `|`).
#[derive(Default)]
pub struct Pipeline {
    filters: Vec<Filter>,
}

enum Filter {
    Grep(Grep),
    Head(Lines),
    Tail(Lines),
    WcLines,
    Sort(Sort),
    Uniq(Uniq),
    Jq(Box<Jq>),
}

/// Splits a command line into the kubectl words and the filters after `|`. Errors (shell
/// constructs, unknown filters, bad filter options, jq syntax errors) are messages for an
/// invalid-arguments answer.
pub fn split_command(command: &str) -> Result<(Vec<String>, Pipeline), String> {
    let mut stages = shell::pipeline(command).map_err(|e| e.0)?;
    let words = stages.remove(0);
    let pipeline = Pipeline::parse(&stages)?;
    Ok((words, pipeline))
}

impl Pipeline {
    /// Parses the stages after the command (each one a filter's words).
    pub fn parse(stages: &[Vec<String>]) -> Result<Pipeline, String> {
        let filters = stages
            .iter()
            .map(|s| parse_filter(s))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pipeline { filters })
    }

    /// Whether there are no filters.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Whether the first filter is jq, which reads the command's output as JSON.
    pub fn wants_json(&self) -> bool {
        matches!(self.filters.first(), Some(Filter::Jq(_)))
    }

    /// Runs the filters over `input`, one after the other.
    pub fn apply(&self, input: &str) -> Result<String, FilterError> {
        let mut text = input.to_string();
        let mut cut = false;
        for f in &self.filters {
            let mut sink = Sink::default();
            let result = f.run(&text, &mut sink);
            cut |= sink.cut;
            if let Err(message) = result {
                return Err(FilterError {
                    output: finish(sink.out, cut),
                    message,
                });
            }
            text = sink.out;
        }
        Ok(finish(text, cut))
    }

    /// Applies the filters to a command's answer (see the module documentation): the
    /// filtered text without structured content, a filter's failure as an error answer, and
    /// a command error unfiltered with a note.
    pub fn run_on(&self, out: Outcome) -> Outcome {
        if self.is_empty() {
            return out;
        }
        if out.is_error {
            let mut text = out.text;
            if !text.is_empty() && !text.ends_with('\n') {
                text.push('\n');
            }
            text.push_str(
                "(the filters after `|` were not applied: the command reported an error)\n",
            );
            return Outcome { text, ..out };
        }
        match self.apply(&out.text) {
            Ok(text) => Outcome::text(text),
            Err(e) => {
                let mut text = e.output;
                if !text.is_empty() && !text.ends_with('\n') {
                    text.push('\n');
                }
                text.push_str(&e.message);
                text.push('\n');
                Outcome {
                    text,
                    structured: Some(json!({"error": {"type": "filter", "message": e.message}})),
                    is_error: true,
                }
            }
        }
    }
}

fn finish(mut text: String, cut: bool) -> String {
    if cut {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        let _ = writeln!(
            text,
            "[output cut: a filter may print at most {MAX_OUTPUT} bytes]"
        );
    }
    text
}

/// A filter's output, bounded by [`MAX_OUTPUT`].
#[derive(Default)]
struct Sink {
    out: String,
    cut: bool,
}

impl Sink {
    /// Adds a line (and its line break); false once the bound is reached.
    fn line(&mut self, s: &str) -> bool {
        self.raw(s) && self.raw("\n")
    }

    /// Adds text as it is; false once the bound is reached (nothing of `s` is then added).
    fn raw(&mut self, s: &str) -> bool {
        if self.cut {
            return false;
        }
        if self.out.len() + s.len() > MAX_OUTPUT {
            self.cut = true;
            return false;
        }
        self.out.push_str(s);
        true
    }
}

/// The lines of a text: split at `\n`, a final line break ending the last line.
fn lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        return Vec::new();
    }
    text.strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect()
}

fn refuse_unknown(name: &str) -> String {
    format!(
        "`{name}` is not an allowed filter after a pipe (`|`): the command is not run by a shell, and only these filters are available: {ALLOWED}"
    )
}

fn parse_filter(words: &[String]) -> Result<Filter, String> {
    let (name, args) = words
        .split_first()
        .ok_or_else(|| "a pipe (`|`) needs a filter after it".to_string())?;
    match name.as_str() {
        "grep" | "egrep" | "fgrep" => Grep::parse(name, args).map(Filter::Grep),
        "head" => Lines::parse("head", args).map(Filter::Head),
        "tail" => Lines::parse("tail", args).map(Filter::Tail),
        "wc" => match args {
            [l] if l == "-l" || l == "--lines" => Ok(Filter::WcLines),
            _ => Err("wc: only `wc -l` (count lines) is supported".into()),
        },
        "sort" => Sort::parse(args).map(Filter::Sort),
        "uniq" => Uniq::parse(args).map(Filter::Uniq),
        "jq" => Jq::parse(args).map(|j| Filter::Jq(Box::new(j))),
        "kubectl" => {
            Err("only one kubectl command per call: a pipe (`|`) can only lead to a filter".into())
        }
        other => Err(refuse_unknown(other)),
    }
}

impl Filter {
    fn run(&self, input: &str, sink: &mut Sink) -> Result<(), String> {
        match self {
            Filter::Grep(g) => {
                g.run(input, sink);
                Ok(())
            }
            Filter::Head(n) => {
                let all = lines(input);
                let keep = match *n {
                    Lines::First(n) => &all[..n.min(all.len())],
                    Lines::AllBut(n) => &all[..all.len().saturating_sub(n)],
                };
                emit(keep, sink);
                Ok(())
            }
            Filter::Tail(n) => {
                let all = lines(input);
                let keep = match *n {
                    Lines::First(n) => &all[all.len().saturating_sub(n)..],
                    Lines::AllBut(from) => &all[from.saturating_sub(1).min(all.len())..],
                };
                emit(keep, sink);
                Ok(())
            }
            Filter::WcLines => {
                sink.line(&input.matches('\n').count().to_string());
                Ok(())
            }
            Filter::Sort(s) => {
                s.run(input, sink);
                Ok(())
            }
            Filter::Uniq(u) => {
                u.run(input, sink);
                Ok(())
            }
            Filter::Jq(j) => j.run(input, sink),
        }
    }
}

fn emit(lines: &[&str], sink: &mut Sink) {
    for l in lines {
        if !sink.line(l) {
            break;
        }
    }
}

/// Reads a whole number for an option.
fn number(tool: &str, opt: &str, v: &str) -> Result<usize, String> {
    v.parse::<usize>()
        .map_err(|_| format!("{tool}: invalid number of lines for {opt}: {v:?}"))
}

/// The value of an option that takes one: the rest of the word, or the next word.
fn option_value<'a>(
    tool: &str,
    opt: &str,
    inline: &'a str,
    args: &'a [String],
    i: &mut usize,
) -> Result<&'a str, String> {
    if !inline.is_empty() {
        return Ok(inline);
    }
    *i += 1;
    args.get(*i)
        .map(String::as_str)
        .ok_or_else(|| format!("{tool}: option {opt} needs a value"))
}

// ---------------------------------------------------------------------------------------
// head, tail

/// `head`: the first N lines, or all but the last N. `tail`: the last N lines (`First`), or
/// the lines from line N on (`AllBut`, `-n +N`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    First(usize),
    AllBut(usize),
}

impl Lines {
    fn parse(tool: &str, args: &[String]) -> Result<Lines, String> {
        let mut out = Lines::First(10);
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            let value = if let Some(v) = a.strip_prefix("--lines=") {
                Some(v)
            } else if a == "--lines" || a == "-n" {
                Some(option_value(tool, "-n", "", args, &mut i)?)
            } else if let Some(v) = a.strip_prefix("-n") {
                Some(v)
            } else if a.len() > 1
                && a.starts_with('-')
                && a[1..].bytes().all(|b| b.is_ascii_digit())
            {
                Some(&a[1..])
            } else if a.starts_with('-') {
                return Err(format!(
                    "{tool}: unsupported option {a}; use {tool} -n N (lines only)"
                ));
            } else {
                return Err(format!(
                    "{tool}: files cannot be read ({a:?}): {tool} filters the command's output"
                ));
            };
            if let Some(v) = value {
                out = if let Some(n) = v.strip_prefix('-').filter(|_| tool == "head") {
                    Lines::AllBut(number(tool, "-n", n)?)
                } else if let Some(n) = v.strip_prefix('+').filter(|_| tool == "tail") {
                    Lines::AllBut(number(tool, "-n", n)?)
                } else {
                    // `head -n +N` and `tail -n -N` mean what `-n N` means.
                    let n = v.strip_prefix(['+', '-']).unwrap_or(v);
                    Lines::First(number(tool, "-n", n)?)
                };
            }
            i += 1;
        }
        Ok(out)
    }
}

// ---------------------------------------------------------------------------------------
// grep

struct Grep {
    re: Regex,
    invert: bool,
    count: bool,
    line_numbers: bool,
    only_matching: bool,
    /// `-m N`: stop after N selected lines.
    max_count: Option<usize>,
    /// `-B N`, `-A N` (`-C N` sets both).
    before: usize,
    after: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Syntax {
    Basic,
    Extended,
    Fixed,
}

impl Grep {
    fn parse(name: &str, args: &[String]) -> Result<Grep, String> {
        let mut syntax = match name {
            "egrep" => Syntax::Extended,
            "fgrep" => Syntax::Fixed,
            _ => Syntax::Basic,
        };
        let (mut icase, mut invert, mut count, mut numbers, mut word, mut whole) =
            (false, false, false, false, false, false);
        let (mut only, mut max_count, mut before, mut after) = (false, None, 0, 0);
        let mut patterns: Vec<String> = Vec::new();
        let mut positional: Vec<&str> = Vec::new();
        let mut i = 0;
        let mut options_done = false;
        while i < args.len() {
            let a = args[i].as_str();
            if options_done || a == "-" || !a.starts_with('-') {
                positional.push(a);
            } else if a == "--" {
                options_done = true;
            } else if let Some(long) = a.strip_prefix("--") {
                match long.split_once('=') {
                    Some(("regexp", v)) => patterns.push(v.to_string()),
                    None if long == "regexp" => {
                        patterns.push(option_value("grep", "--regexp", "", args, &mut i)?.into())
                    }
                    None if long == "ignore-case" => icase = true,
                    None if long == "invert-match" => invert = true,
                    None if long == "count" => count = true,
                    None if long == "line-number" => numbers = true,
                    None if long == "word-regexp" => word = true,
                    None if long == "line-regexp" => whole = true,
                    None if long == "extended-regexp" => syntax = Syntax::Extended,
                    None if long == "fixed-strings" => syntax = Syntax::Fixed,
                    None if long == "basic-regexp" => syntax = Syntax::Basic,
                    None if long == "only-matching" => only = true,
                    Some(("max-count", v)) => max_count = Some(number("grep", "-m", v)?),
                    Some(("after-context", v)) => after = number("grep", "-A", v)?,
                    Some(("before-context", v)) => before = number("grep", "-B", v)?,
                    Some(("context", v)) => {
                        after = number("grep", "-C", v)?;
                        before = after;
                    }
                    _ => return Err(grep_option(a)),
                }
            } else {
                let flags = &a[1..];
                for (k, c) in flags.char_indices() {
                    match c {
                        'i' | 'y' => icase = true,
                        'v' => invert = true,
                        'c' => count = true,
                        'n' => numbers = true,
                        'w' => word = true,
                        'x' => whole = true,
                        'E' => syntax = Syntax::Extended,
                        'F' => syntax = Syntax::Fixed,
                        'G' => syntax = Syntax::Basic,
                        'o' => only = true,
                        'm' | 'A' | 'B' | 'C' => {
                            let opt = format!("-{c}");
                            let v = option_value("grep", &opt, &flags[k + 1..], args, &mut i)?;
                            let n = number("grep", &opt, v)?;
                            match c {
                                'm' => max_count = Some(n),
                                'A' => after = n,
                                'B' => before = n,
                                _ => (after, before) = (n, n),
                            }
                            break;
                        }
                        'e' => {
                            let v = option_value("grep", "-e", &flags[k + 1..], args, &mut i)?;
                            patterns.push(v.to_string());
                            break;
                        }
                        _ => return Err(grep_option(&format!("-{c}"))),
                    }
                }
            }
            i += 1;
        }
        if patterns.is_empty() {
            let Some(p) = (!positional.is_empty()).then(|| positional.remove(0)) else {
                return Err("grep: no pattern given: use grep PATTERN".into());
            };
            patterns.push(p.to_string());
        }
        if let Some(f) = positional.first() {
            return Err(format!(
                "grep: files cannot be read ({f:?}): grep filters the command's output; quote a pattern that contains spaces"
            ));
        }
        // `grep -e a -e b`: a line matches any of the patterns; a pattern with line breaks
        // is several patterns, as in grep.
        let mut alternatives = Vec::new();
        for p in patterns.iter().flat_map(|p| p.split('\n')) {
            let re = match syntax {
                Syntax::Fixed => regex::escape(p),
                Syntax::Basic => posix_to_regex(p, true)?,
                Syntax::Extended => posix_to_regex(p, false)?,
            };
            let re = if whole {
                format!("^(?:{re})$")
            } else if word {
                format!(r"\b(?:{re})\b")
            } else {
                format!("(?:{re})")
            };
            alternatives.push(re);
        }
        let re = RegexBuilder::new(&alternatives.join("|"))
            .case_insensitive(icase)
            .size_limit(1 << 20)
            .dfa_size_limit(1 << 20)
            .build()
            .map_err(|e| format!("grep: invalid pattern: {e}"))?;
        Ok(Grep {
            re,
            invert,
            count,
            line_numbers: numbers,
            only_matching: only,
            max_count,
            before,
            after,
        })
    }

    fn run(&self, input: &str, sink: &mut Sink) {
        let all = lines(input);
        // The selected lines, up to `-m`.
        let mut selected: Vec<usize> = (0..all.len())
            .filter(|&i| self.re.is_match(all[i]) != self.invert)
            .collect();
        if let Some(m) = self.max_count {
            selected.truncate(m);
        }
        if self.count {
            sink.line(&selected.len().to_string());
            return;
        }
        let prefixed = |i: usize, sep: char, text: &str| {
            if self.line_numbers {
                format!("{}{sep}{text}", i + 1)
            } else {
                text.to_string()
            }
        };
        if self.only_matching {
            // Each match on a line of its own; nothing for `-v` (GNU grep).
            for &i in selected.iter().filter(|_| !self.invert) {
                for m in self.re.find_iter(all[i]).filter(|m| !m.is_empty()) {
                    if !sink.line(&prefixed(i, ':', m.as_str())) {
                        return;
                    }
                }
            }
            return;
        }
        // Selected lines (`:`) with their context lines (`-`); `--` between groups that are
        // not adjacent, as GNU grep prints them.
        let context = self.before > 0 || self.after > 0;
        let mut next = 0usize; // the first line not yet printed
        for (k, &i) in selected.iter().enumerate() {
            let from = i.saturating_sub(self.before).max(next);
            if context && k > 0 && from > next && !sink.line("--") {
                return;
            }
            for (j, line) in all.iter().enumerate().take(i).skip(from) {
                if !sink.line(&prefixed(j, '-', line)) {
                    return;
                }
            }
            if !sink.line(&prefixed(i, ':', all[i])) {
                return;
            }
            next = i + 1;
            let until = (i + 1 + self.after).min(all.len());
            let until = match selected.get(k + 1) {
                Some(&n) => until.min(n),
                None => until,
            };
            for (j, line) in all.iter().enumerate().take(until).skip(next) {
                if !sink.line(&prefixed(j, '-', line)) {
                    return;
                }
            }
            next = next.max(until);
        }
    }
}

fn grep_option(opt: &str) -> String {
    format!(
        "grep: unsupported option {opt}; supported: -i -v -c -n -o -w -x -E -F -G -m N -A N -B N -C N -e PATTERN (grep reads only the command's output)"
    )
}

/// Translates a POSIX regular expression as GNU grep reads it (basic when `basic`, else
/// extended) into the `regex` crate's syntax. See the module documentation.
fn posix_to_regex(p: &str, basic: bool) -> Result<String, String> {
    let chars: Vec<char> = p.chars().collect();
    let mut out = String::new();
    // Whether the position is at the start of an expression (where BRE's `*` is literal and
    // `^` an anchor).
    let mut at_start = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let was_start = at_start;
        at_start = false;
        match c {
            '[' => {
                i = bracket(&chars, i, &mut out)?;
                continue;
            }
            '\\' => {
                let Some(&n) = chars.get(i + 1) else {
                    return Err("grep: the pattern ends with a backslash (`\\`)".into());
                };
                i += 2;
                match n {
                    '(' | ')' | '{' | '}' | '|' | '+' | '?' if basic => {
                        out.push(n);
                        at_start = n == '(' || n == '|';
                    }
                    '1'..='9' => {
                        return Err(
                            "grep: back-references (`\\1`) are not supported in patterns".into(),
                        );
                    }
                    '<' | '>' | 'b' | 'B' | 'w' | 'W' | 's' | 'S' => {
                        out.push('\\');
                        out.push(n);
                    }
                    'n' => out.push_str(r"\n"),
                    't' => out.push_str(r"\t"),
                    other => out.push_str(&regex::escape(&other.to_string())),
                }
                continue;
            }
            '(' | ')' | '|' | '+' | '?' if basic => out.push_str(&regex::escape(&c.to_string())),
            '{' | '}' if basic => out.push_str(&regex::escape(&c.to_string())),
            '{' => {
                // ERE: an interval when a valid one follows, else a literal brace (GNU).
                let rest: String = chars[i..].iter().collect();
                match interval_len(&rest) {
                    Some(len) if !was_start => {
                        out.push_str(&rest[..len]);
                        i += rest[..len].chars().count();
                        continue;
                    }
                    _ => out.push_str(r"\{"),
                }
            }
            '}' => out.push_str(r"\}"),
            '*' if was_start => out.push_str(r"\*"),
            '^' if basic && !was_start => out.push_str(r"\^"),
            '^' => {
                out.push('^');
                at_start = true;
            }
            '$' if basic && !(i + 1 == chars.len() || ends_group(&chars, i + 1)) => {
                out.push_str(r"\$")
            }
            '(' | '|' => {
                out.push(c);
                at_start = true;
            }
            '.' | '*' | '+' | '?' | ')' | '$' => out.push(c),
            other => out.push_str(&regex::escape(&other.to_string())),
        }
        i += 1;
    }
    Ok(out)
}

/// Whether BRE text at `i` closes a group or starts an alternative (`\)` or `\|`), where a
/// `$` before it is an anchor.
fn ends_group(chars: &[char], i: usize) -> bool {
    chars.get(i) == Some(&'\\') && matches!(chars.get(i + 1), Some(')') | Some('|'))
}

/// The length of a valid ERE interval `{n}`, `{n,}`, `{n,m}`, `{,m}` at the start of `s`.
fn interval_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix('{')?;
    let end = body.find('}')?;
    let inner = &body[..end];
    let ok = match inner.split_once(',') {
        None => !inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()),
        Some((a, b)) => {
            (!a.is_empty() || !b.is_empty())
                && a.bytes().all(|x| x.is_ascii_digit())
                && b.bytes().all(|x| x.is_ascii_digit())
        }
    };
    ok.then_some(end + 2)
}

/// Copies a POSIX bracket expression starting at `chars[start] == '['` into `out` in the
/// `regex` crate's syntax; returns the index after it.
fn bracket(chars: &[char], start: usize, out: &mut String) -> Result<usize, String> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    // A `]` first is a literal.
    if chars.get(i) == Some(&']') {
        out.push_str(r"\]");
        i += 1;
    }
    loop {
        let Some(&c) = chars.get(i) else {
            return Err("grep: unmatched `[` in the pattern".into());
        };
        match c {
            ']' => {
                out.push(']');
                return Ok(i + 1);
            }
            '[' if matches!(chars.get(i + 1), Some(':') | Some('=') | Some('.')) => {
                let kind = chars[i + 1];
                let close: String = [kind, ']'].iter().collect();
                let rest: String = chars[i + 2..].iter().collect();
                let Some(end) = rest.find(&close) else {
                    return Err("grep: unterminated character class in the pattern".into());
                };
                let name = &rest[..end];
                match kind {
                    ':' => {
                        let _ = write!(out, "[:{name}:]");
                    }
                    // Equivalence classes and collating symbols of one character: that
                    // character (the C locale has no others).
                    _ if name.chars().count() == 1 => out.push_str(&regex::escape(name)),
                    _ => {
                        return Err(format!(
                            "grep: collating element [{kind}{name}{kind}] is not supported"
                        ));
                    }
                }
                i += 2 + name.chars().count() + 2;
            }
            '-' => {
                out.push('-');
                i += 1;
            }
            // Literal in POSIX brackets; special in the regex crate's classes.
            '\\' | '[' | '&' | '~' | '^' => {
                out.push('\\');
                out.push(c);
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// sort

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Order {
    reverse: bool,
    numeric: bool,
    fold: bool,
    blanks: bool,
}

impl Order {
    fn any(self) -> bool {
        self.reverse || self.numeric || self.fold || self.blanks
    }
}

#[derive(Debug, Clone)]
struct Key {
    /// First field, 1-based.
    from: usize,
    /// Last field, 1-based; `None`: to the end of the line.
    to: Option<usize>,
    /// The key's own ordering letters (they replace the global options for this key).
    order: Order,
}

struct Sort {
    order: Order,
    unique: bool,
    separator: Option<char>,
    keys: Vec<Key>,
}

impl Sort {
    fn parse(args: &[String]) -> Result<Sort, String> {
        let mut s = Sort {
            order: Order::default(),
            unique: false,
            separator: None,
            keys: Vec::new(),
        };
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            if let Some(long) = a.strip_prefix("--") {
                match long.split_once('=') {
                    Some(("key", v)) => s.keys.push(parse_key(v)?),
                    Some(("field-separator", v)) => s.separator = Some(separator(v)?),
                    None => match long {
                        "reverse" => s.order.reverse = true,
                        "numeric-sort" => s.order.numeric = true,
                        "unique" => s.unique = true,
                        "ignore-case" => s.order.fold = true,
                        "ignore-leading-blanks" => s.order.blanks = true,
                        "key" => s
                            .keys
                            .push(parse_key(option_value("sort", "-k", "", args, &mut i)?)?),
                        "field-separator" => {
                            s.separator =
                                Some(separator(option_value("sort", "-t", "", args, &mut i)?)?)
                        }
                        _ => return Err(sort_option(a)),
                    },
                    _ => return Err(sort_option(a)),
                }
            } else if a.len() > 1 && a.starts_with('-') {
                let flags = &a[1..];
                for (k, c) in flags.char_indices() {
                    match c {
                        'r' => s.order.reverse = true,
                        'n' => s.order.numeric = true,
                        'u' => s.unique = true,
                        'f' => s.order.fold = true,
                        'b' => s.order.blanks = true,
                        's' => {}
                        'k' => {
                            let v = option_value("sort", "-k", &flags[k + 1..], args, &mut i)?;
                            s.keys.push(parse_key(v)?);
                            break;
                        }
                        't' => {
                            let v = option_value("sort", "-t", &flags[k + 1..], args, &mut i)?;
                            s.separator = Some(separator(v)?);
                            break;
                        }
                        _ => return Err(sort_option(&format!("-{c}"))),
                    }
                }
            } else {
                return Err(format!(
                    "sort: files cannot be read ({a:?}): sort filters the command's output"
                ));
            }
            i += 1;
        }
        Ok(s)
    }

    /// The key text of `line` for `key` (GNU: a field starts at the blanks before it).
    fn key_text<'a>(&self, line: &'a str, key: &Key) -> &'a str {
        let starts = field_starts(line, self.separator);
        let from = match starts.get(key.from - 1) {
            Some(&(s, _)) => s,
            None => return "",
        };
        let to = match key.to {
            None => line.len(),
            Some(t) => match starts.get(t - 1) {
                Some(&(_, e)) => e,
                None => line.len(),
            },
        };
        if to < from { "" } else { &line[from..to] }
    }

    fn compare(&self, a: &str, b: &str) -> std::cmp::Ordering {
        use std::cmp::Ordering::Equal;
        if self.keys.is_empty() {
            let o = compare_by(a, b, self.order);
            return if self.order.reverse { o.reverse() } else { o };
        }
        for k in &self.keys {
            let order = if k.order.any() { k.order } else { self.order };
            let o = compare_by(self.key_text(a, k), self.key_text(b, k), order);
            let o = if order.reverse { o.reverse() } else { o };
            if o != Equal {
                return o;
            }
        }
        Equal
    }

    fn run(&self, input: &str, sink: &mut Sink) {
        let mut all = lines(input);
        all.sort_by(|a, b| {
            self.compare(a, b).then_with(|| {
                if self.unique {
                    std::cmp::Ordering::Equal
                } else if self.order.reverse {
                    b.as_bytes().cmp(a.as_bytes())
                } else {
                    a.as_bytes().cmp(b.as_bytes())
                }
            })
        });
        if self.unique {
            all.dedup_by(|b, a| self.compare(a, b) == std::cmp::Ordering::Equal);
        }
        emit(&all, sink);
    }
}

fn sort_option(opt: &str) -> String {
    format!("sort: unsupported option {opt}; supported: -r -n -u -f -b -t SEP -k N[,M]")
}

fn separator(v: &str) -> Result<char, String> {
    let mut cs = v.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(format!(
            "sort: the field separator must be one character, got {v:?}"
        )),
    }
}

/// `-k N[letters][,M[letters]]`; character positions (`N.C`) are not supported.
fn parse_key(v: &str) -> Result<Key, String> {
    let bad = || format!("sort: invalid key {v:?}: use -k N or -k N,M (field numbers from 1)");
    let mut order = Order::default();
    let mut field = |s: &str| -> Result<usize, String> {
        let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
        for c in s[digits.len()..].chars() {
            match c {
                'n' => order.numeric = true,
                'r' => order.reverse = true,
                'f' => order.fold = true,
                'b' => order.blanks = true,
                _ => return Err(bad()),
            }
        }
        match digits.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(bad()),
        }
    };
    let (from, to) = match v.split_once(',') {
        Some((a, b)) => (field(a)?, Some(field(b)?)),
        None => (field(v)?, None),
    };
    Ok(Key { from, to, order })
}

/// (start, end) byte offsets of each field: with a separator, the text between separators;
/// without, a run of blanks followed by a run of non-blanks (GNU sort's default fields).
fn field_starts(line: &str, sep: Option<char>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    match sep {
        Some(sep) => {
            let mut start = 0;
            for (i, c) in line.char_indices() {
                if c == sep {
                    out.push((start, i));
                    start = i + c.len_utf8();
                }
            }
            out.push((start, line.len()));
        }
        None => {
            let b = line.as_bytes();
            let mut i = 0;
            while i < b.len() {
                let start = i;
                while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
                    i += 1;
                }
                while i < b.len() && b[i] != b' ' && b[i] != b'\t' {
                    i += 1;
                }
                out.push((start, i));
            }
        }
    }
    out
}

fn compare_by(a: &str, b: &str, order: Order) -> std::cmp::Ordering {
    let (a, b) = if order.blanks || order.numeric {
        (
            a.trim_start_matches([' ', '\t']),
            b.trim_start_matches([' ', '\t']),
        )
    } else {
        (a, b)
    };
    if order.numeric {
        return leading_number(a).total_cmp(&leading_number(b));
    }
    if order.fold {
        let up = |s: &str| {
            s.bytes()
                .map(|c| c.to_ascii_uppercase())
                .collect::<Vec<_>>()
        };
        return up(a).cmp(&up(b));
    }
    a.as_bytes().cmp(b.as_bytes())
}

/// The number at the start of `s` as `sort -n` reads it (0 when there is none).
fn leading_number(s: &str) -> f64 {
    let b = s.as_bytes();
    let mut end = 0;
    if b.first() == Some(&b'-') {
        end = 1;
    }
    let digits_start = end;
    while end < b.len() && b[end].is_ascii_digit() {
        end += 1;
    }
    if end < b.len() && b[end] == b'.' {
        end += 1;
        while end < b.len() && b[end].is_ascii_digit() {
            end += 1;
        }
    }
    if end == digits_start {
        return 0.0;
    }
    s[..end].parse::<f64>().unwrap_or(0.0)
}

// ---------------------------------------------------------------------------------------
// uniq

struct Uniq {
    count: bool,
    repeated: bool,
    unique: bool,
    icase: bool,
}

impl Uniq {
    fn parse(args: &[String]) -> Result<Uniq, String> {
        let mut u = Uniq {
            count: false,
            repeated: false,
            unique: false,
            icase: false,
        };
        for a in args {
            match a.as_str() {
                "--count" => u.count = true,
                "--repeated" => u.repeated = true,
                "--unique" => u.unique = true,
                "--ignore-case" => u.icase = true,
                f if f.len() > 1 && f.starts_with('-') && !f.starts_with("--") => {
                    for c in f[1..].chars() {
                        match c {
                            'c' => u.count = true,
                            'd' => u.repeated = true,
                            'u' => u.unique = true,
                            'i' => u.icase = true,
                            _ => {
                                return Err(format!(
                                    "uniq: unsupported option -{c}; supported: -c -d -u -i"
                                ));
                            }
                        }
                    }
                }
                f if f.starts_with('-') => {
                    return Err(format!(
                        "uniq: unsupported option {f}; supported: -c -d -u -i"
                    ));
                }
                f => {
                    return Err(format!(
                        "uniq: files cannot be read ({f:?}): uniq filters the command's output"
                    ));
                }
            }
        }
        Ok(u)
    }

    fn run(&self, input: &str, sink: &mut Sink) {
        let same = |a: &str, b: &str| {
            if self.icase {
                a.eq_ignore_ascii_case(b)
            } else {
                a == b
            }
        };
        let all = lines(input);
        let mut i = 0;
        while i < all.len() {
            let mut j = i + 1;
            while j < all.len() && same(all[i], all[j]) {
                j += 1;
            }
            let n = j - i;
            // `-d`: only repeated lines; `-u`: only lines that are not repeated.
            let show = (!self.repeated || n > 1) && (!self.unique || n == 1);
            if show {
                let ok = if self.count {
                    sink.line(&format!("{n:>7} {}", all[i]))
                } else {
                    sink.line(all[i])
                };
                if !ok {
                    return;
                }
            }
            i = j;
        }
    }
}

// ---------------------------------------------------------------------------------------
// jq

type JqFilter = jaq_core::compile::Filter<Native<JustLut<Val>>>;

struct Jq {
    filter: JqFilter,
    /// Values of `--arg`/`--argjson`, in the order of their names given to the compiler.
    vars: Vec<Val>,
    raw: bool,
    join: bool,
    compact: bool,
    sort_keys: bool,
    null_input: bool,
}

impl Jq {
    fn parse(args: &[String]) -> Result<Jq, String> {
        let (mut raw, mut join, mut compact, mut sort_keys, mut null_input) =
            (false, false, false, false, false);
        let mut named: Vec<(String, Val)> = Vec::new();
        let mut program: Option<&str> = None;
        let mut i = 0;
        while i < args.len() {
            let a = args[i].as_str();
            match a {
                "--raw-output" => raw = true,
                "--join-output" => {
                    raw = true;
                    join = true
                }
                "--compact-output" => compact = true,
                "--sort-keys" => sort_keys = true,
                "--null-input" => null_input = true,
                "--arg" | "--argjson" => {
                    let (Some(name), Some(value)) = (args.get(i + 1), args.get(i + 2)) else {
                        return Err(format!("jq: {a} needs a name and a value"));
                    };
                    let v = if a == "--arg" {
                        Val::from(value.clone())
                    } else {
                        jaq_json::read::parse_single(value.as_bytes()).map_err(|e| {
                            format!("jq: --argjson {name}: the value is not JSON ({e})")
                        })?
                    };
                    named.retain(|(n, _)| n != name);
                    named.push((name.clone(), v));
                    i += 2;
                }
                f if f.starts_with("--") => {
                    return Err(format!(
                        "jq: unsupported option {f}; supported: -r -j -c -S -n --arg NAME VALUE --argjson NAME JSON"
                    ));
                }
                f if f.len() > 1 && f.starts_with('-') => {
                    for c in f[1..].chars() {
                        match c {
                            'r' => raw = true,
                            'j' => {
                                raw = true;
                                join = true
                            }
                            'c' => compact = true,
                            'S' => sort_keys = true,
                            'n' => null_input = true,
                            // -M (no colour) is what happens anyway; -e's exit status has no
                            // meaning in a tool answer.
                            'M' | 'e' => {}
                            _ => {
                                return Err(format!(
                                    "jq: unsupported option -{c}; supported: -r -j -c -S -n --arg NAME VALUE --argjson NAME JSON"
                                ));
                            }
                        }
                    }
                }
                p if program.is_none() => program = Some(p),
                f => {
                    return Err(format!(
                        "jq: files cannot be read ({f:?}): jq filters the command's output; quote the jq program as one word, e.g. jq '.items[] | .metadata.name'"
                    ));
                }
            }
            i += 1;
        }
        let code = program.unwrap_or(".");
        let var_names: Vec<String> = named.iter().map(|(n, _)| format!("${n}")).collect();
        let filter = compile_jq(code, &var_names)?;
        Ok(Jq {
            filter,
            vars: named.into_iter().map(|(_, v)| v).collect(),
            raw,
            join,
            compact,
            sort_keys,
            null_input,
        })
    }

    fn run(&self, input: &str, sink: &mut Sink) -> Result<(), String> {
        let inputs: Vec<Val> = if self.null_input {
            vec![Val::Null]
        } else {
            let mut vs = Vec::new();
            for v in jaq_json::read::parse_many(input.as_bytes()) {
                match v {
                    Ok(v) => vs.push(v),
                    Err(e) => {
                        let shown: String = input.chars().take(60).collect();
                        return Err(format!(
                            "jq: error: the input is not JSON ({e}); it starts with {shown:?}. jq reads JSON: use it after `get ... -o json` (added by itself when jq follows get, events or version without -o)"
                        ));
                    }
                }
            }
            vs
        };
        let pp = jaq_json::write::Pp {
            indent: (!self.compact).then(|| "  ".to_string()),
            sort_keys: self.sort_keys,
            styles: Default::default(),
            sep_space: !self.compact,
        };
        let mut errors = Vec::new();
        'inputs: for (n, v) in inputs.into_iter().enumerate() {
            let ctx = JqCtx::<JustLut<Val>>::new(&self.filter.lut, Vars::new(self.vars.clone()));
            for out in self.filter.id.run((ctx, v)) {
                match out {
                    Ok(v) => {
                        if !self.write_value(&v, &pp, sink) {
                            return Ok(());
                        }
                    }
                    Err(exn) => match exn.get_err() {
                        Ok(e) => {
                            errors.push(format!("jq: error (at input {}): {e}", n + 1));
                            continue 'inputs;
                        }
                        Err(exn) => match exn.get_halt() {
                            Ok(0) => break 'inputs,
                            Ok(code) => {
                                errors.push(format!("jq: halted with exit code {code}"));
                                break 'inputs;
                            }
                            Err(_) => {
                                errors.push("jq: error: unexpected control flow".to_string());
                                break 'inputs;
                            }
                        },
                    },
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("\n"))
        }
    }

    /// Prints one output value as jq does; false once the output bound is reached.
    fn write_value(&self, v: &Val, pp: &jaq_json::write::Pp, sink: &mut Sink) -> bool {
        let text = match v {
            Val::TStr(s) | Val::BStr(s) if self.raw => String::from_utf8_lossy(s).into_owned(),
            _ => {
                let mut buf = Bounded::default();
                if jaq_json::write::write(&mut buf, pp, 0, v).is_err() {
                    sink.cut = true;
                    return false;
                }
                String::from_utf8_lossy(&buf.0).into_owned()
            }
        };
        if self.join {
            sink.raw(&text)
        } else {
            sink.line(&text)
        }
    }
}

/// A writer that refuses more than [`MAX_OUTPUT`] bytes (one jq value can be huge).
#[derive(Default)]
struct Bounded(Vec<u8>);

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.0.len() + buf.len() > MAX_OUTPUT {
            return Err(std::io::Error::other("output bound reached"));
        }
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// jq's native filters that are left out: the plugin's environment is not the user's.
const JQ_LEFT_OUT: &[&str] = &["env"];

/// Parses and compiles a jq program with jaq's standard library; errors in jq's words.
fn compile_jq(code: &str, var_names: &[String]) -> Result<JqFilter, String> {
    let defs = jaq_core::defs()
        .chain(jaq_std::defs())
        .chain(jaq_json::defs());
    let funs = jaq_core::funs::<JustLut<Val>>()
        .chain(jaq_std::funs::<JustLut<Val>>())
        .chain(jaq_json::funs::<JustLut<Val>>())
        .filter(|(name, _, _)| !JQ_LEFT_OUT.contains(name));
    let loader = Loader::new(defs);
    let arena = Arena::default();
    let modules = loader
        .load(&arena, File { code, path: () })
        .map_err(|errs| {
            let mut msgs = Vec::new();
            let mut syntax = false;
            for (_file, e) in errs {
                syntax |= !matches!(e, jaq_core::load::Error::Io(_));
                match e {
                    jaq_core::load::Error::Io(v) => {
                        msgs.extend(
                            v.into_iter()
                                .map(|(path, _)| format!("modules cannot be loaded ({path:?})")),
                        );
                    }
                    jaq_core::load::Error::Lex(v) => {
                        msgs.extend(v.into_iter().map(|(expect, found)| {
                            format!("expected {} {}", expect.as_str(), at(found))
                        }));
                    }
                    jaq_core::load::Error::Parse(v) => {
                        msgs.extend(v.into_iter().map(|(expect, found)| {
                            format!("expected {} {}", expect.as_str(), at(found))
                        }));
                    }
                }
            }
            let what = if syntax { "syntax error" } else { "error" };
            format!("jq: {what} in {code:?}: {}", msgs.join("; "))
        })?;
    let names: Vec<&str> = var_names.iter().map(String::as_str).collect();
    jaq_core::Compiler::default()
        .with_funs(funs)
        .with_global_vars(names)
        .compile(modules)
        .map_err(|errs| {
            let msgs: Vec<String> = errs
                .into_iter()
                .flat_map(|(_file, v)| v)
                .map(|(name, undefined)| {
                    let hint = if name == "env" || name == "$ENV" {
                        " (the environment is not available)"
                    } else {
                        ""
                    };
                    format!("undefined {} `{name}`{hint}", undefined.as_str())
                })
                .collect();
            format!("jq: error in {code:?}: {}", msgs.join("; "))
        })
}

/// Where a jq syntax error is, for the message.
fn at(rest: &str) -> String {
    if rest.is_empty() {
        "at the end of the program".into()
    } else {
        let shown: String = rest.chars().take(20).collect();
        format!("at `{shown}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(filters: &str, input: &str) -> Result<String, FilterError> {
        let (_, p) = split_command(&format!("get pods | {filters}")).unwrap();
        p.apply(input)
    }

    fn ok(filters: &str, input: &str) -> String {
        run(filters, input).unwrap_or_else(|e| panic!("{filters}: {e:?}"))
    }

    fn refused(filters: &str) -> String {
        match split_command(&format!("get pods | {filters}")) {
            Ok(_) => panic!("{filters} should be refused"),
            Err(e) => e,
        }
    }

    const TABLE: &str = "NAME    READY   STATUS\nweb-1   1/1     Running\nweb-2   0/1     CrashLoopBackOff\ndb-0    1/1     Running\n";

    #[test]
    fn split_keeps_the_command() {
        let (words, p) = split_command("kubectl get pods -n x").unwrap();
        assert_eq!(words, ["kubectl", "get", "pods", "-n", "x"]);
        assert!(p.is_empty());
        let (words, p) = split_command("get pods | grep web | wc -l").unwrap();
        assert_eq!(words, ["get", "pods"]);
        assert_eq!(p.filters.len(), 2);
    }

    #[test]
    fn unknown_filters_are_refused_naming_the_allowed_ones() {
        for f in [
            "sh",
            "bash -c id",
            "xargs rm",
            "awk '{print $1}'",
            "sed s/a/b/",
            "tee /tmp/x",
            "cat",
        ] {
            let e = refused(f);
            assert!(e.contains("not an allowed filter after a pipe"), "{f}: {e}");
            assert!(e.contains("grep [-i]") && e.contains("jq [-r]"), "{e}");
        }
        assert!(refused("kubectl get svc").contains("one kubectl command"));
        assert!(refused("wc -c").contains("wc -l"));
        assert!(refused("wc").contains("wc -l"));
        assert!(refused("grep").contains("no pattern"));
        assert!(refused("grep x /etc/passwd").contains("files cannot be read"));
        assert!(refused("grep -P x").contains("unsupported option -P"));
        assert!(refused("grep -r x").contains("unsupported option -r"));
        assert!(refused("head -c 5").contains("unsupported option"));
        assert!(refused("head -n x").contains("invalid number"));
        assert!(refused("tail /etc/passwd").contains("files cannot be read"));
        assert!(refused("sort -o /tmp/x").contains("unsupported option -o"));
        assert!(refused("sort /etc/passwd").contains("files cannot be read"));
        assert!(refused("uniq -z").contains("unsupported"));
        assert!(refused("jq . /etc/passwd").contains("files cannot be read"));
        assert!(refused("jq --from-file x").contains("unsupported option"));
        assert!(refused("jq '.items[' ").contains("syntax error"));
        assert!(refused("jq 'nosuchfn'").contains("undefined filter `nosuchfn`"));
        assert!(refused("jq env").contains("environment is not available"));
        assert!(refused("jq '$ENV'").contains("undefined"));
        assert!(refused("jq input").contains("undefined filter `input`"));
        assert!(refused("jq 'include \"x\"; .'").contains("modules cannot be loaded"));
        assert!(refused("grep 'a\\1'").contains("back-references"));
        assert!(refused("grep -E 'a('").contains("invalid pattern"));
    }

    #[test]
    fn grep_variants() {
        assert_eq!(
            ok("grep Running", TABLE),
            "web-1   1/1     Running\ndb-0    1/1     Running\n"
        );
        assert_eq!(
            ok("grep -v Running", TABLE),
            "NAME    READY   STATUS\nweb-2   0/1     CrashLoopBackOff\n"
        );
        assert_eq!(
            ok("grep -i crash", TABLE),
            "web-2   0/1     CrashLoopBackOff\n"
        );
        assert_eq!(ok("grep -ic RUNNING", TABLE), "2\n");
        assert_eq!(ok("grep -c nothing", TABLE), "0\n");
        assert_eq!(ok("grep nothing", TABLE), "");
        assert_eq!(ok("grep -n db", TABLE), "4:db-0    1/1     Running\n");
        assert_eq!(
            ok("grep -E 'web-1|db'", TABLE),
            "web-1   1/1     Running\ndb-0    1/1     Running\n"
        );
        assert_eq!(
            ok(r"grep 'web-1\|db-0'", TABLE),
            ok("egrep 'web-1|db-0'", TABLE)
        );
        // BRE: `|`, `+`, `?`, `(` are literal.
        assert_eq!(ok("grep 'a|b'", "a|b\nab\n"), "a|b\n");
        assert_eq!(ok("grep 'a+'", "a+\naa\n"), "a+\n");
        assert_eq!(ok(r"grep 'a\+'", "a+\naa\nb\n"), "a+\naa\n");
        assert_eq!(ok("grep -E 'a+'", "a+\naa\nb\n"), "a+\naa\n");
        assert_eq!(
            ok("grep '^web-[0-9]$'", "web-1\nweb-12\nxweb-1\n"),
            "web-1\n"
        );
        assert_eq!(ok("grep '*a'", "*a\nba\n"), "*a\n");
        assert_eq!(ok("grep 'a^b$c'", "a^b$c\nabc\n"), "a^b$c\n");
        assert_eq!(ok(r"grep '[\]'", "a\\b\nab\n"), "a\\b\n");
        assert_eq!(ok("grep '[]x]'", "]\ny\n"), "]\n");
        assert_eq!(ok("grep '[[:digit:]]/1'", TABLE).lines().count(), 3);
        assert_eq!(ok("grep -E 'a{2}'", "a\naa\n"), "aa\n");
        assert_eq!(ok("grep -E 'a{'", "a{\naa\n"), "a{\n");
        assert_eq!(ok("grep -F 'a.b'", "a.b\naxb\n"), "a.b\n");
        assert_eq!(ok("grep -w web", "web 1\nwebby\n"), "web 1\n");
        assert_eq!(ok("grep -x web", "web\nweb 1\n"), "web\n");
        assert_eq!(ok("grep -e web-1 -e db", TABLE).lines().count(), 2);
        assert_eq!(ok("grep -- -x", "a-x\nb\n"), "a-x\n");
        assert_eq!(ok("grep -e-x", "a-x\nb\n"), "a-x\n");
        assert_eq!(ok("grep ''", "a\nb\n"), "a\nb\n");
        let text = "a\nx1\nb\nc\nd\nx2\ne\nf\ng\nh\nx3\n";
        assert_eq!(ok("grep -A1 x", text), "x1\nb\n--\nx2\ne\n--\nx3\n");
        assert_eq!(
            ok("grep -B 1 -n x", text),
            "1-a\n2:x1\n--\n5-d\n6:x2\n--\n10-h\n11:x3\n"
        );
        assert_eq!(ok("grep -C2 x2", text), "c\nd\nx2\ne\nf\n");
        assert_eq!(ok("grep -C3 x", text), text);
        assert_eq!(ok("grep --context=1 -m1 x", text), "a\nx1\nb\n");
        assert_eq!(ok("grep -m 2 x", text), "x1\nx2\n");
        assert_eq!(ok("grep -c -m 2 x", text), "2\n");
        assert_eq!(ok("grep -o 'x[0-9]'", "x1 and x2\ny\n"), "x1\nx2\n");
        assert_eq!(ok("grep -on 'x[0-9]'", "y\nx1 and x2\n"), "2:x1\n2:x2\n");
    }

    #[test]
    fn head_tail_wc() {
        let ten: String = (1..=12).map(|i| format!("{i}\n")).collect();
        assert_eq!(ok("head", &ten).lines().count(), 10);
        assert_eq!(ok("head -n 2", &ten), "1\n2\n");
        assert_eq!(ok("head -2", &ten), "1\n2\n");
        assert_eq!(ok("head -n2", &ten), "1\n2\n");
        assert_eq!(ok("head --lines=3", &ten), "1\n2\n3\n");
        assert_eq!(ok("head -n -10", &ten), "1\n2\n");
        assert_eq!(ok("head -n 100", "a\nb"), "a\nb\n");
        assert_eq!(ok("tail -n 2", &ten), "11\n12\n");
        assert_eq!(ok("tail -3", &ten), "10\n11\n12\n");
        assert_eq!(ok("tail -n +11", &ten), "11\n12\n");
        assert_eq!(ok("tail", &ten).lines().count(), 10);
        assert_eq!(ok("tail -n 0", &ten), "");
        assert_eq!(ok("wc -l", &ten), "12\n");
        assert_eq!(ok("wc -l", ""), "0\n");
        assert_eq!(ok("wc -l", "a\nb"), "1\n");
        assert_eq!(ok("grep web | wc -l", TABLE), "2\n");
        assert_eq!(
            ok("tail -n +2 | head -n 1", TABLE),
            "web-1   1/1     Running\n"
        );
    }

    #[test]
    fn sort_and_uniq() {
        let input = "b\na\nc\na\nB\n10\n9\n";
        assert_eq!(ok("sort", input), "10\n9\nB\na\na\nb\nc\n");
        assert_eq!(ok("sort -r", input), "c\nb\na\na\nB\n9\n10\n");
        assert_eq!(ok("sort -u", input), "10\n9\nB\na\nb\nc\n");
        assert_eq!(ok("sort -f", "b\nA\na\nB\n"), "A\na\nB\nb\n");
        assert_eq!(ok("sort -n", "10\n9\n-1\nx\n1.5\n"), "-1\nx\n1.5\n9\n10\n");
        assert_eq!(ok("sort -rn", "10\n9\n-1\n"), "10\n9\n-1\n");
        assert_eq!(ok("sort -k2 -n", "a 3\nb 1\nc 2\n"), "b 1\nc 2\na 3\n");
        assert_eq!(ok("sort -k2,2nr", "a 3\nb 1\nc 2\n"), "a 3\nc 2\nb 1\n");
        assert_eq!(ok("sort -t: -k2", "a:z\nb:y\n"), "b:y\na:z\n");
        assert_eq!(ok("sort -t : -k 2", "a:z\nb:y\n"), "b:y\na:z\n");
        assert_eq!(ok("sort | uniq", input), "10\n9\nB\na\nb\nc\n");
        assert_eq!(ok("sort | uniq -c", "x\ny\nx\n"), "      2 x\n      1 y\n");
        assert_eq!(ok("uniq -d", "x\nx\ny\n"), "x\n");
        assert_eq!(ok("uniq -u", "x\nx\ny\n"), "y\n");
        assert_eq!(ok("uniq -i", "x\nX\ny\n"), "x\ny\n");
        assert_eq!(ok("uniq", "x\ny\nx\n"), "x\ny\nx\n");
        assert!(refused("sort -k 0").contains("invalid key"));
        assert!(refused("sort -k 1.2").contains("invalid key"));
    }

    const PODS: &str = r#"{"kind": "List", "items": [
        {"metadata": {"name": "web-1", "labels": {"app": "web"}}, "status": {"phase": "Running"}},
        {"metadata": {"name": "db-0"}, "status": {"phase": "Pending"}}
    ]}"#;

    #[test]
    fn jq_programs() {
        assert_eq!(
            ok("jq '.items[].metadata.name'", PODS),
            "\"web-1\"\n\"db-0\"\n"
        );
        assert_eq!(ok("jq -r '.items[].metadata.name'", PODS), "web-1\ndb-0\n");
        assert_eq!(
            ok(
                "jq -r '.items[] | select(.status.phase != \"Running\") | .metadata.name'",
                PODS
            ),
            "db-0\n"
        );
        assert_eq!(ok("jq '.items | length'", PODS), "2\n");
        assert_eq!(
            ok("jq '.items[0].metadata'", PODS),
            "{\n  \"name\": \"web-1\",\n  \"labels\": {\n    \"app\": \"web\"\n  }\n}\n"
        );
        assert_eq!(
            ok("jq -c '.items[0].metadata'", PODS),
            "{\"name\":\"web-1\",\"labels\":{\"app\":\"web\"}}\n"
        );
        assert_eq!(
            ok("jq -cS '.items[0].metadata'", PODS),
            "{\"labels\":{\"app\":\"web\"},\"name\":\"web-1\"}\n"
        );
        assert_eq!(ok("jq -j '.items[].metadata.name'", PODS), "web-1db-0");
        assert_eq!(
            ok("jq -r '[.items[].metadata.name] | join(\",\")'", PODS),
            "web-1,db-0\n"
        );
        assert_eq!(
            ok(
                "jq -r --arg p Pending '.items[] | select(.status.phase == $p) | .metadata.name'",
                PODS
            ),
            "db-0\n"
        );
        assert_eq!(
            ok("jq --argjson n 1 '.items[$n].metadata.name'", PODS),
            "\"db-0\"\n"
        );
        assert_eq!(ok("jq", "{\"a\":1}"), "{\n  \"a\": 1\n}\n");
        assert_eq!(ok("jq -n '1+1'", ""), "2\n");
        assert_eq!(
            ok("jq -r '.items[].metadata.name | test(\"^w\")'", PODS),
            "true\nfalse\n"
        );
        assert_eq!(
            ok("jq -r '.items[].metadata.name' | grep web", PODS),
            "web-1\n"
        );
        assert_eq!(ok("jq .a", "{\"a\":1} {\"a\":2}\n{\"a\":3}"), "1\n2\n3\n");
        assert_eq!(ok("jq 'first(.[]), halt, 3'", "[7,8]"), "7\n");
        assert_eq!(
            ok("jq -r '.[] | \"\\(.k)=\\(.v)\"'", r#"[{"k":"a","v":1}]"#),
            "a=1\n"
        );
    }

    #[test]
    fn jq_errors_keep_the_output_so_far() {
        let e = run("jq '.[] | .a'", "[{\"a\":1}, 2]").unwrap_err();
        assert_eq!(e.output, "1\n");
        assert!(e.message.starts_with("jq: error"), "{}", e.message);
        let e = run("jq .", "NAME   READY\n").unwrap_err();
        assert!(e.message.contains("not JSON"), "{}", e.message);
        let e = run("jq 'error(\"boom\")'", "1").unwrap_err();
        assert!(e.message.contains("boom"));
        let e = run("jq 'halt_error(1)'", "1").unwrap_err();
        assert!(e.message.contains("exit code 1"), "{}", e.message);
    }

    #[test]
    fn output_is_bounded() {
        let out = ok("jq -r 'range(1e9) | \"xxxxxxxxxxxxxxxxxxxx\"'", "null");
        assert!(out.len() <= MAX_OUTPUT + 100, "{}", out.len());
        assert!(out.ends_with("bytes]\n"), "{}", &out[out.len() - 80..]);
        let out = ok("jq -c '[range(200000)]'", "null");
        assert!(out.len() <= MAX_OUTPUT + 100);
        assert!(out.contains("[output cut"));
        let big = "x\n".repeat(MAX_OUTPUT);
        let out = ok("uniq -c", &big);
        assert!(out.len() <= MAX_OUTPUT + 100);
        let out = ok("grep -n x | head -n 2", &"x\n".repeat(MAX_OUTPUT));
        assert!(out.starts_with("1:x\n2:x\n[output cut"), "{out}");
    }

    #[test]
    fn run_on_leaves_errors_unfiltered() {
        let (_, p) = split_command("get pods | grep web").unwrap();
        let out = p.run_on(Outcome {
            text: "web-1\ndb-0\nError from server (NotFound): pods \"x\" not found\n".into(),
            structured: Some(json!({})),
            is_error: true,
        });
        assert!(out.is_error);
        assert!(out.text.contains("db-0") && out.text.contains("not applied"));
        let out = p.run_on(Outcome {
            text: TABLE.into(),
            structured: Some(json!({"items": []})),
            is_error: false,
        });
        assert_eq!(
            out.text,
            "web-1   1/1     Running\nweb-2   0/1     CrashLoopBackOff\n"
        );
        assert_eq!(out.structured, None);
        let (_, p) = split_command("get pods | jq .").unwrap();
        let out = p.run_on(Outcome::text("not json"));
        assert!(out.is_error);
        assert_eq!(out.structured.unwrap()["error"]["type"], "filter");
    }
}
