//! Host-enforced checks of a `process.run` argument vector, before anything runs: the grant's
//! `args` patterns, local paths (under `read_dirs`, or the run's own scratch files) and URLs
//! (under `urls`). A plugin checks the same earlier, with its knowledge of the program's
//! flags; this is the host's backstop, which knows no program and so judges every argument
//! by its shape. Landlock, where the kernel has it, enforces the paths again at run time.
//!
//! What is judged, per argument:
//! - an argument that is not a flag, whole; of a flag, only its value: the part after the
//!   first `=` of `--flag=value` or `-f=value`, or the attached value of a short flag
//!   (`-f/etc/x`, from its first `/`, `.` or `~`);
//! - each of those split at `,` (comma lists such as helm's `-f a.yaml,b.yaml`).
//!
//! A piece that starts with `scheme://` is a URL; `file://` is always refused, any other
//! URL must lie under one of the grant's `urls` (scheme, host and port compared after
//! normalization, path at a segment boundary, user info equal). A piece that is a local
//! path (absolute, `.`, `..`, starting with `./`, `../` or `~`, or with a `..` segment) must
//! resolve under one of `read_dirs` (symlinks followed with `canonicalize`; the missing
//! tail of a non-existent path judged lexically) or, when relative, name a scratch file or
//! a directory of them without leaving the scratch directory. `~` paths are refused (the
//! child's home is the scratch directory, and no shell expands `~`). Anything else, such
//! as `values.yaml`, `name=/api` or `url=https://x` (data, not a reference), passes.

use std::path::{Component, Path, PathBuf};

use super::grant::EffectiveProcess;

/// Checks `args` (the argument vector, without the program name) against the effective
/// grant `eff`; `scratch_names` are the relative names of the run's input files (the WIT
/// `files`), which relative paths may name.
///
/// Errors: one sentence naming the argument (0-based index and value) and the grant entry
/// it fails, e.g. `argument 2 "../etc/passwd": leaves the scratch directory`, or
/// `argument 1 "--repo=http://evil/": URL "http://evil/" is not under the grant's urls
/// ["http://127.0.0.1:8879/"]`.
pub fn check_args(
    args: &[String],
    eff: &EffectiveProcess,
    scratch_names: &[String],
) -> Result<(), String> {
    if !eff.args.is_empty() {
        let patterns = || {
            eff.args
                .iter()
                .map(|r| {
                    let s = r.as_str();
                    s.strip_prefix("^(?:")
                        .and_then(|s| s.strip_suffix(")$"))
                        .unwrap_or(s)
                        .to_string()
                })
                .collect::<Vec<_>>()
        };
        match args.first() {
            None => {
                return Err(format!(
                    "the grant's args patterns {:?} require a first argument",
                    patterns()
                ));
            }
            Some(first) if !eff.args.iter().any(|r| r.is_match(first)) => {
                return Err(format!(
                    "argument 0 {first:?}: matches none of the grant's args patterns {:?}",
                    patterns()
                ));
            }
            Some(_) => {}
        }
    }
    let read_dirs: Vec<PathBuf> = eff.read_dirs.iter().map(|d| resolve(d)).collect();
    let scratch: Vec<PathBuf> = scratch_names
        .iter()
        .filter_map(|n| normalize_relative(Path::new(n)))
        .collect();
    for (i, arg) in args.iter().enumerate() {
        for piece in pieces(arg) {
            check_piece(piece, eff, &read_dirs, &scratch)
                .map_err(|e| format!("argument {i} {arg:?}: {e}"))?;
        }
    }
    Ok(())
}

/// The substrings of one argument that are judged (see the module doc).
fn pieces(arg: &str) -> Vec<&str> {
    let mut candidates = Vec::new();
    if !arg.starts_with('-') {
        candidates.push(arg);
    } else if let Some((_, value)) = arg.split_once('=') {
        candidates.push(value);
    } else if !arg.starts_with("--") {
        // `-fVALUE`: a short flag's attached value, judged from its first path-like char.
        if let Some(at) = arg[1..].find(['/', '.', '~']) {
            candidates.push(&arg[1 + at..]);
        }
    }
    candidates
        .into_iter()
        .flat_map(|c| c.split(','))
        .filter(|p| !p.is_empty())
        .collect()
}

/// Judges one piece: a URL, a local path, or neither.
fn check_piece(
    piece: &str,
    eff: &EffectiveProcess,
    read_dirs: &[PathBuf],
    scratch: &[PathBuf],
) -> Result<(), String> {
    if starts_with_scheme(piece) {
        return check_url(piece, &eff.urls);
    }
    if !is_path_like(piece) {
        return Ok(());
    }
    if piece.starts_with('~') {
        return Err(format!(
            "path {piece:?}: home-relative paths are not allowed (no shell expands `~`)"
        ));
    }
    let path = Path::new(piece);
    if path.is_absolute() {
        let resolved = resolve(path);
        if read_dirs.iter().any(|d| resolved.starts_with(d)) {
            return Ok(());
        }
        return Err(format!(
            "path {piece:?} (resolved {resolved:?}) is not under the grant's read_dirs {}",
            list_paths(&eff.read_dirs)
        ));
    }
    let Some(rel) = normalize_relative(path) else {
        return Err(format!(
            "path {piece:?} leaves the scratch directory (relative paths name the run's input files)"
        ));
    };
    // The scratch directory itself, an input file, or a directory of input files.
    if scratch.iter().any(|n| n.starts_with(&rel)) {
        return Ok(());
    }
    Err(format!(
        "path {piece:?} names none of the run's input files {scratch:?} (other local paths must be absolute, under the grant's read_dirs {})",
        list_paths(&eff.read_dirs)
    ))
}

/// Whether `s` starts with `scheme://` (RFC 3986 scheme characters).
fn starts_with_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Whether `s` reads as a local path rather than a name or data.
fn is_path_like(s: &str) -> bool {
    s.starts_with('/')
        || s.starts_with("./")
        || s.starts_with("../")
        || s.starts_with('~')
        || s == "."
        || s == ".."
        || s.split('/').any(|seg| seg == "..")
}

/// Checks a URL against the granted prefixes.
fn check_url(piece: &str, urls: &[String]) -> Result<(), String> {
    let url = url::Url::parse(piece).map_err(|e| format!("URL {piece:?} does not parse: {e}"))?;
    if url.scheme() == "file" {
        return Err(format!(
            "URL {piece:?}: file:// URLs are never allowed (name a path under the grant's read_dirs)"
        ));
    }
    let allowed = urls
        .iter()
        .filter_map(|p| url::Url::parse(p).ok())
        .any(|prefix| url_under(&url, &prefix));
    if allowed {
        Ok(())
    } else if urls.is_empty() {
        Err(format!(
            "URL {piece:?} is not allowed: the grant lists no urls"
        ))
    } else {
        Err(format!(
            "URL {piece:?} is not under the grant's urls {urls:?}"
        ))
    }
}

/// Whether `url` lies under `prefix`: same scheme, host (case-insensitive), port (default
/// ports filled in), user info; and `prefix`'s path is a segment-boundary prefix of `url`'s.
fn url_under(url: &url::Url, prefix: &url::Url) -> bool {
    let host = |u: &url::Url| u.host_str().map(str::to_ascii_lowercase);
    if url.scheme() != prefix.scheme()
        || host(url) != host(prefix)
        || url.port_or_known_default() != prefix.port_or_known_default()
        || url.username() != prefix.username()
        || url.password() != prefix.password()
    {
        return false;
    }
    let (p, u) = (prefix.path(), url.path());
    if p.is_empty() || p == "/" {
        return true;
    }
    let dir = p.trim_end_matches('/');
    u == dir
        || u.strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// `path` normalized relative to the scratch directory (`.` segments dropped, `..` applied);
/// `None` when it climbs out of it. Empty for the scratch directory itself.
fn normalize_relative(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(out)
}

/// An absolute path as the kernel would resolve it: the existing prefix canonicalized
/// (symlinks followed, `..` applied to the real parent), the missing tail applied lexically.
fn resolve(path: &Path) -> PathBuf {
    if let Ok(c) = std::fs::canonicalize(path) {
        return c;
    }
    let mut out = PathBuf::from("/");
    let mut exists = true;
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => {
                out.push(n);
                if exists {
                    match std::fs::canonicalize(&out) {
                        Ok(c) => out = c,
                        Err(_) => exists = false,
                    }
                }
            }
        }
    }
    out
}

/// `read_dirs` for an error message.
fn list_paths(dirs: &[PathBuf]) -> String {
    if dirs.is_empty() {
        "(none granted)".into()
    } else {
        format!("{dirs:?}")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::grant::{EffectiveProcess, ProgramGrant};
    use super::*;

    fn eff(read_dirs: &[&Path], urls: &[&str], patterns: &[&str]) -> EffectiveProcess {
        EffectiveProcess {
            programs: BTreeMap::from([(
                "helm".to_string(),
                ProgramGrant {
                    path: "/usr/bin/helm".into(),
                    digest: None,
                },
            )]),
            read_dirs: read_dirs.iter().map(|p| p.to_path_buf()).collect(),
            urls: urls.iter().map(|s| s.to_string()).collect(),
            args: patterns
                .iter()
                .map(|p| regex::Regex::new(&format!("^(?:{p})$")).unwrap())
                .collect(),
            default: false,
        }
    }

    fn argv(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// A tempdir with `charts/web/Chart.yaml`, `charts/web.tgz`, `outside/secret` and the
    /// symlink `charts/escape` → `outside`.
    fn tree() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(t.path()).unwrap();
        let charts = root.join("charts");
        let outside = root.join("outside");
        std::fs::create_dir_all(charts.join("web")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(charts.join("web/Chart.yaml"), "name: web\n").unwrap();
        std::fs::write(charts.join("web.tgz"), "x").unwrap();
        std::fs::write(outside.join("secret"), "s3cret").unwrap();
        std::os::unix::fs::symlink(&outside, charts.join("escape")).unwrap();
        (t, charts, outside)
    }

    #[test]
    fn paths_under_read_dirs_pass() {
        let (_t, charts, _) = tree();
        let e = eff(&[&charts], &[], &[]);
        let web = charts.join("web");
        let ok = |a: &[&str]| check_args(&argv(a), &e, &[]).unwrap();
        ok(&["template", "web", web.to_str().unwrap()]);
        ok(&["install", "x", charts.join("web.tgz").to_str().unwrap()]);
        ok(&["lint", &format!("{}/", web.display())]);
        // Not there yet, judged lexically: inside.
        ok(&["template", charts.join("new/../web/x").to_str().unwrap()]);
        // `..` that stays inside.
        ok(&["template", &format!("{}/web/../web", charts.display())]);
        // Flag values.
        ok(&[&format!("--values={}/web/values.yaml", charts.display())]);
        ok(&[&format!("-f{}/web/values.yaml", charts.display())]);
        ok(&[&format!(
            "--values={}/web/../web/values.yaml",
            charts.display()
        )]);
        // Names and data are not paths.
        ok(&[
            "list",
            "-A",
            "-n",
            "demo",
            "--set",
            "ingress.path=/api",
            "-ojson",
        ]);
        ok(&["--set=url=https://example.com/x", "--description", "a/b"]);
    }

    #[test]
    fn escapes_are_refused() {
        let (_t, charts, outside) = tree();
        let e = eff(&[&charts], &[], &[]);
        let err = |a: &[&str]| check_args(&argv(a), &e, &[]).unwrap_err();
        // `../` out of a granted directory, existing and not.
        let p = format!("{}/../outside/secret", charts.display());
        let m = err(&["template", &p]);
        assert!(m.contains("argument 1") && m.contains("read_dirs"), "{m}");
        assert!(m.contains(charts.to_str().unwrap()), "names the grant: {m}");
        err(&["template", &format!("{}/../nothing-here", charts.display())]);
        // A symlink out of a granted directory, to an existing file and to a missing one.
        let m = err(&["template", charts.join("escape/secret").to_str().unwrap()]);
        assert!(
            m.contains(outside.to_str().unwrap()),
            "resolved target shown: {m}"
        );
        err(&["template", charts.join("escape").to_str().unwrap()]);
        err(&[
            "template",
            charts.join("escape/missing/x").to_str().unwrap(),
        ]);
        err(&[
            "template",
            charts.join("escape/../outside").to_str().unwrap(),
        ]);
        // A sibling whose name extends the granted one.
        err(&["template", &format!("{}-evil/x", charts.display())]);
        // Outside entirely, in flag values and comma lists.
        err(&["--values=/etc/passwd"]);
        err(&["-f=/etc/passwd"]);
        err(&["-f/etc/passwd"]);
        let m = err(&["-f", "a.yaml,/etc/passwd"]);
        assert!(m.contains("\"/etc/passwd\""), "{m}");
        // Relative escapes of the scratch directory.
        let m = err(&["template", "../etc/passwd"]);
        assert!(m.contains("leaves the scratch directory"), "{m}");
        err(&["template", "x/../../etc/passwd"]);
        err(&["template", ".."]);
        err(&["-f../x"]);
        // Home-relative.
        err(&["template", "~/charts"]);
        // Nothing granted: every absolute path refused.
        let none = eff(&[], &[], &[]);
        let m = check_args(&argv(&["template", "/srv/x"]), &none, &[]).unwrap_err();
        assert!(m.contains("(none granted)"), "{m}");
    }

    #[test]
    fn scratch_files_by_relative_path() {
        let e = eff(&[], &[], &[]);
        let names = argv(&["values.yaml", "chart/Chart.yaml"]);
        let ok = |a: &[&str]| check_args(&argv(a), &e, &names).unwrap();
        ok(&["install", "x", "./chart", "-f", "./values.yaml"]);
        ok(&["install", "x", ".", "--values=./values.yaml"]);
        ok(&[
            "install",
            "x",
            "./chart/../values.yaml",
            "-f",
            "values.yaml",
        ]);
        let m = check_args(&argv(&["-f", "./other.yaml"]), &e, &names).unwrap_err();
        assert!(m.contains("names none of the run's input files"), "{m}");
    }

    #[test]
    fn urls_must_be_granted() {
        let e = eff(
            &[],
            &["http://127.0.0.1:8879/", "oci://Registry.Example/charts"],
            &[],
        );
        let ok = |a: &[&str]| check_args(&argv(a), &e, &[]).unwrap();
        let err = |a: &[&str]| check_args(&argv(a), &e, &[]).unwrap_err();
        ok(&["install", "x", "http://127.0.0.1:8879/web-0.1.0.tgz"]);
        ok(&["install", "x", "HTTP://127.0.0.1:8879/web-0.1.0.tgz"]);
        ok(&["search", "repo", "--repo=http://127.0.0.1:8879/"]);
        ok(&["pull", "oci://registry.example/charts/web"]);
        ok(&["pull", "oci://registry.example/charts"]);
        let m = err(&["install", "x", "--repo=http://evil/"]);
        assert!(
            m.contains("argument 2") && m.contains("\"http://evil/\"") && m.contains("8879"),
            "{m}"
        );
        err(&["install", "x", "http://127.0.0.1:8880/web.tgz"]);
        err(&["install", "x", "https://127.0.0.1:8879/web.tgz"]);
        // User info that would make the granted host a user name.
        err(&["install", "x", "http://127.0.0.1:8879@evil.example/"]);
        // OCI: another registry, a sibling path.
        err(&["pull", "oci://evil.example/charts/web"]);
        err(&["pull", "oci://registry.example/chartsevil/web"]);
        err(&["pull", "oci://registry.example/charts/../other"]);
        // file:// always, even naming a granted directory.
        let (_t, charts, _) = tree();
        let with_dir = eff(&[&charts], &["http://127.0.0.1:8879/"], &[]);
        let m = check_args(
            &argv(&["template", &format!("file://{}/web", charts.display())]),
            &with_dir,
            &[],
        )
        .unwrap_err();
        assert!(m.contains("file:// URLs are never allowed"), "{m}");
        // In a comma list.
        err(&["-f", "values.yaml,https://evil.example/v.yaml"]);
        // No urls granted.
        let m =
            check_args(&argv(&["http://127.0.0.1:8879/"]), &eff(&[], &[], &[]), &[]).unwrap_err();
        assert!(m.contains("lists no urls"), "{m}");
    }

    #[test]
    fn first_argument_patterns() {
        let e = eff(&[], &[], &["list|status", "get"]);
        check_args(&argv(&["list", "-A"]), &e, &[]).unwrap();
        check_args(&argv(&["get", "values", "x"]), &e, &[]).unwrap();
        let m = check_args(&argv(&["plugin", "install"]), &e, &[]).unwrap_err();
        assert!(
            m.contains("argument 0 \"plugin\"") && m.contains("list|status"),
            "{m}"
        );
        // Anchored: a match inside the argument is not enough.
        check_args(&argv(&["listx"]), &e, &[]).unwrap_err();
        check_args(&argv(&[]), &e, &[]).unwrap_err();
        // No patterns: anything (still path- and URL-checked).
        check_args(&argv(&["plugin"]), &eff(&[], &[], &[]), &[]).unwrap();
    }
}
