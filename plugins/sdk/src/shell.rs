//! Splitting a command line into words with POSIX shell quoting rules, without a shell.
//!
//! The command line a model sends looks like something typed into a shell, so it is split
//! the way `sh` would split it (POSIX.1-2017, XCU 2.2 "Quoting" and 2.3 "Token Recognition"):
//! single quotes keep everything literally, double quotes keep everything except the
//! backslash escapes `\"`, `\\`, `\$`, `` \` `` and a line continuation, and a backslash
//! outside quotes keeps the next character literally.
//!
//! Nothing is ever run by a shell, so every construct that would make a shell do something
//! other than pass words to `kubectl` is refused with an error that names it: pipes, lists
//! (`;`, `&&`, `||`), background jobs (`&`), redirections (`<`, `>`, `>>`), subshells and
//! grouping (`(`, `)`), command substitution (`$(...)` and backticks, also inside double
//! quotes), parameter expansion (`$NAME`, `${...}`), comments and line breaks. Quoted, these
//! characters are ordinary text: `-l 'app in (a,b)'` is fine.
//!
//! The one exception is [`pipeline`]: there an unquoted `|` (not `||`) splits the line into
//! stages, which `execute_kubectl` reads as the command and its output filters
//! ([`crate::filters`]); nothing after a `|` is ever run as a program either.

use std::fmt;

/// Why a command line could not be split into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellError(pub String);

impl fmt::Display for ShellError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const NOT_A_SHELL: &str = "the command is not run by a shell";

fn refuse(construct: &str, what: &str) -> ShellError {
    ShellError(format!(
        "{what} (`{construct}`) are not supported: {NOT_A_SHELL}; send one kubectl command"
    ))
}

/// Splits `input` into words as `sh` would, refusing every shell construct (see the module
/// documentation). Empty quoted strings (`''`, `""`) are kept as empty words, as in `sh`.
pub fn tokenize(input: &str) -> Result<Vec<String>, ShellError> {
    Ok(split(input, false)?.pop().unwrap_or_default())
}

/// Splits `input` into pipeline stages at every unquoted `|`, each stage into words as
/// [`tokenize`] does (`get pods | grep web` → `[["get", "pods"], ["grep", "web"]]`). Every
/// other shell construct, `||` included, is refused as in [`tokenize`]; so is an empty stage
/// (`get pods |`, `| grep x`, `a | | b`). The result always has at least one stage.
pub fn pipeline(input: &str) -> Result<Vec<Vec<String>>, ShellError> {
    let stages = split(input, true)?;
    if stages.len() > 1 && stages.iter().any(Vec::is_empty) {
        return Err(ShellError(
            "a pipe (`|`) needs a command on both sides: `kubectl COMMAND | FILTER`".into(),
        ));
    }
    Ok(stages)
}

/// The splitter behind [`tokenize`] and [`pipeline`]; `pipes` makes an unquoted `|` end a
/// stage instead of being refused.
fn split(input: &str, pipes: bool) -> Result<Vec<Vec<String>>, ShellError> {
    let chars: Vec<char> = input.chars().collect();
    let mut stages = Vec::new();
    let mut words = Vec::new();
    // The word being built; `None` between words (so `''` can make an empty word).
    let mut word: Option<String> = None;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            ' ' | '\t' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
                i += 1;
            }
            '\n' | '\r' => {
                return Err(ShellError(format!(
                    "line breaks are not supported: {NOT_A_SHELL}; send one kubectl command on one line"
                )));
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(ShellError(
                                "unterminated single quote (`'`) in the command".into(),
                            ));
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            w.push(ch);
                            i += 1;
                        }
                    }
                }
            }
            '"' => {
                let w = word.get_or_insert_with(String::new);
                i += 1;
                loop {
                    match chars.get(i) {
                        None => {
                            return Err(ShellError(
                                "unterminated double quote (`\"`) in the command".into(),
                            ));
                        }
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some('\\') => match chars.get(i + 1) {
                            Some(&e @ ('"' | '\\' | '$' | '`')) => {
                                w.push(e);
                                i += 2;
                            }
                            Some('\n') => i += 2,
                            _ => {
                                w.push('\\');
                                i += 1;
                            }
                        },
                        Some('`') => return Err(refuse("`", "command substitutions")),
                        Some('$') => {
                            check_dollar(chars.get(i + 1).copied())?;
                            w.push('$');
                            i += 1;
                        }
                        Some('\n') | Some('\r') => {
                            return Err(ShellError(format!(
                                "line breaks are not supported: {NOT_A_SHELL}; send one kubectl command on one line"
                            )));
                        }
                        Some(&ch) => {
                            w.push(ch);
                            i += 1;
                        }
                    }
                }
            }
            '\\' => match chars.get(i + 1) {
                None => {
                    return Err(ShellError(
                        "the command ends with a backslash (`\\`) that escapes nothing".into(),
                    ));
                }
                // A line continuation: both characters disappear.
                Some('\n') => i += 2,
                Some(&ch) => {
                    word.get_or_insert_with(String::new).push(ch);
                    i += 2;
                }
            },
            '|' if pipes && chars.get(i + 1) != Some(&'|') => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
                stages.push(std::mem::take(&mut words));
                i += 1;
            }
            '|' => {
                return Err(if chars.get(i + 1) == Some(&'|') {
                    refuse("||", "command lists")
                } else {
                    refuse("|", "pipes")
                });
            }
            '&' => {
                return Err(if chars.get(i + 1) == Some(&'&') {
                    refuse("&&", "command lists")
                } else {
                    refuse("&", "background jobs")
                });
            }
            ';' => return Err(refuse(";", "command lists")),
            '<' => return Err(refuse("<", "redirections")),
            '>' => {
                return Err(if chars.get(i + 1) == Some(&'>') {
                    refuse(">>", "redirections")
                } else {
                    refuse(">", "redirections")
                });
            }
            '(' | ')' => {
                return Err(refuse(
                    if c == '(' { "(" } else { ")" },
                    "subshells and grouping",
                ));
            }
            '`' => return Err(refuse("`", "command substitutions")),
            '$' => {
                check_dollar(chars.get(i + 1).copied())?;
                word.get_or_insert_with(String::new).push('$');
                i += 1;
            }
            '#' if word.is_none() => return Err(refuse("#", "comments")),
            c if c.is_control() => {
                return Err(ShellError(format!(
                    "control character U+{:04X} is not allowed in the command",
                    c as u32
                )));
            }
            _ => {
                word.get_or_insert_with(String::new).push(c);
                i += 1;
            }
        }
    }
    if let Some(w) = word.take() {
        words.push(w);
    }
    stages.push(words);
    Ok(stages)
}

/// Refuses `$(`, `${` and `$NAME`, given the character after a `$` that a shell would act on.
fn check_dollar(next: Option<char>) -> Result<(), ShellError> {
    match next {
        Some('(') => Err(refuse("$(", "command substitutions")),
        Some('{') => Err(refuse("${", "parameter expansions")),
        Some(c) if c.is_ascii_alphanumeric() || "_@*#?!$-".contains(c) => Err(ShellError(format!(
            "variable expansion (`${c}...`) is not supported: {NOT_A_SHELL}; write the value itself"
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Vec<String> {
        tokenize(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    fn err(s: &str) -> String {
        match tokenize(s) {
            Ok(w) => panic!("{s:?} should fail, got {w:?}"),
            Err(e) => e.0,
        }
    }

    #[test]
    fn splits_on_whitespace() {
        assert_eq!(ok("get  pods\t-n  x "), ["get", "pods", "-n", "x"]);
        assert!(ok("   ").is_empty());
        assert!(ok("").is_empty());
    }

    #[test]
    fn single_quotes_are_literal() {
        assert_eq!(
            ok(r#"get pods -l 'app in (a,b)'"#),
            ["get", "pods", "-l", "app in (a,b)"]
        );
        assert_eq!(ok(r#"'a|b;c&d$(x)`y`\n'"#), [r#"a|b;c&d$(x)`y`\n"#]);
        assert_eq!(ok("''"), [""]);
        assert_eq!(ok("a'b'c"), ["abc"]);
    }

    #[test]
    fn double_quotes_and_escapes() {
        assert_eq!(
            ok(r#""a b" "c\"d" "e\\f" "g\$h" "i\j""#),
            ["a b", "c\"d", "e\\f", "g$h", "i\\j"]
        );
        assert_eq!(ok(r#""""#), [""]);
        assert_eq!(ok(r#""app in (a,b)""#), ["app in (a,b)"]);
        assert_eq!(ok(r#""a|b;c""#), ["a|b;c"]);
        assert_eq!(ok(r#""cost 5$" "$ x" $"#), ["cost 5$", "$ x", "$"]);
        assert!(err(r#""cost $5""#).contains("variable expansion"));
    }

    #[test]
    fn backslash_outside_quotes() {
        assert_eq!(
            ok(r"a\ b \| \; \$x \(x\) \`"),
            ["a b", "|", ";", "$x", "(x)", "`"]
        );
        assert!(err(r"\$(x)").contains("`(`"));
        assert_eq!(ok("a\\\nb"), ["ab"]);
        assert!(err("a\\").contains("backslash"));
    }

    #[test]
    fn refuses_shell_constructs() {
        assert!(err("get pods; rm -rf /").contains("command lists (`;`)"));
        let e = err("get pods | sh");
        assert!(
            e.contains("pipes (`|`) are not supported: the command is not run by a shell"),
            "{e}"
        );
        assert!(err("get pods || true").contains("`||`"));
        assert!(err("get pods && x").contains("`&&`"));
        assert!(err("get pods &").contains("background jobs (`&`)"));
        assert!(err("get pods > /tmp/x").contains("redirections (`>`)"));
        assert!(err("get pods >> /tmp/x").contains("`>>`"));
        assert!(err("get pods < /etc/passwd").contains("`<`"));
        assert!(err("(get pods)").contains("`(`"));
        assert!(err("get pods )").contains("`)`"));
        assert!(err("get pods $(id)").contains("command substitutions (`$(`)"));
        assert!(err("get pods `id`").contains("command substitutions"));
        assert!(err("get pods ${HOME}").contains("`${`"));
        assert!(err("get pods $HOME").contains("variable expansion"));
        assert!(err("get pods\nrm -rf /").contains("line breaks"));
        assert!(err("get pods\r\nx").contains("line breaks"));
        assert!(err("get pods # c").contains("comments"));
        assert!(err("get pods\u{0}").contains("control character"));
    }

    #[test]
    fn refuses_substitution_inside_double_quotes() {
        assert!(err(r#"get pods -l "$(id)""#).contains("`$(`"));
        assert!(err(r#"get pods -l "`id`""#).contains("command substitutions"));
        assert!(err(r#"get pods -l "${x}""#).contains("`${`"));
        assert!(err(r#"get pods -l "$x""#).contains("variable expansion"));
        assert!(err("get pods -l \"a\nb\"").contains("line breaks"));
    }

    #[test]
    fn unterminated_quotes() {
        assert!(err("get 'pods").contains("unterminated single quote"));
        assert!(err("get \"pods").contains("unterminated double quote"));
    }

    #[test]
    fn pipelines_split_at_unquoted_pipes() {
        let p = |s: &str| pipeline(s).unwrap_or_else(|e| panic!("{s:?}: {e}"));
        assert_eq!(p("get pods"), [vec!["get", "pods"]]);
        assert_eq!(p(""), [Vec::<String>::new()]);
        assert_eq!(
            p("get pods -n x | grep -i 'a|b' |head -n 2"),
            [
                vec!["get", "pods", "-n", "x"],
                vec!["grep", "-i", "a|b"],
                vec!["head", "-n", "2"]
            ]
        );
        assert_eq!(
            p(r#"get pods|jq "x|y" \| z"#),
            [vec!["get", "pods"], vec!["jq", "x|y", "|", "z"]]
        );
        let e = |s: &str| pipeline(s).unwrap_err().0;
        assert!(e("get pods |").contains("both sides"));
        assert!(e("| grep x").contains("both sides"));
        assert!(e("get pods | | grep x").contains("both sides"));
        assert!(e("get pods || true").contains("`||`"));
        assert!(e("get pods | grep x; rm -rf /").contains("`;`"));
        assert!(e("get pods | grep $(id)").contains("`$(`"));
        assert!(e("get pods | grep x > /tmp/y").contains("`>`"));
        assert!(e("get pods | grep x && y").contains("`&&`"));
        assert!(e("get pods | grep `id`").contains("command substitutions"));
    }

    #[test]
    fn hash_inside_word_is_literal() {
        assert_eq!(ok("a#b"), ["a#b"]);
        assert_eq!(ok("'#'"), ["#"]);
    }
}
