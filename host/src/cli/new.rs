//! `kube-ai-proxy plugins new NAME [--lang rust|python|js]`: writes a plugin project that
//! builds as it is, with one tool (listing namespaces), its manifest, a unit test, a copy
//! of the WIT it builds against and a README.
//!
//! The project files are templates under `host/templates/`, compiled into the binary; every
//! `{{key}}` in them is replaced by [`Vars`]. The Rust template is the one place that uses
//! the SDK's API (`templates/rust/src/lib.rs`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use clap::{Args, ValueEnum};

/// The WIT this build implements, copied into every new project as `wit/plugin.wit`.
const WIT: &str = include_str!("../../../wit/plugin.wit");

/// The SDK a Rust project depends on by default: this source tree's `plugins/sdk`.
const DEFAULT_SDK_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/sdk");

/// The manifest, shared by every language.
const MANIFEST: &str = include_str!("../../templates/plugin.toml");

/// The Rust project (`cargo build --release --target wasm32-wasip2`).
const RUST: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/rust/Cargo.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/rust/src/lib.rs"),
    ),
    ("README.md", include_str!("../../templates/rust/README.md")),
    (".gitignore", include_str!("../../templates/rust/gitignore")),
];

/// The Python project (componentize-py, then `plugins pack`).
const PYTHON: &[(&str, &str)] = &[
    ("app.py", include_str!("../../templates/python/app.py")),
    (
        "test_app.py",
        include_str!("../../templates/python/test_app.py"),
    ),
    (
        "README.md",
        include_str!("../../templates/python/README.md"),
    ),
    (
        ".gitignore",
        include_str!("../../templates/python/gitignore"),
    ),
];

/// The JavaScript project (componentize-js without `wasi:http`, then `plugins pack`).
const JS: &[(&str, &str)] = &[
    ("index.js", include_str!("../../templates/js/index.js")),
    ("plugin.js", include_str!("../../templates/js/plugin.js")),
    (
        "gen-manifest.mjs",
        include_str!("../../templates/js/gen-manifest.mjs"),
    ),
    ("test.mjs", include_str!("../../templates/js/test.mjs")),
    (
        "package.json",
        include_str!("../../templates/js/package.json"),
    ),
    ("README.md", include_str!("../../templates/js/README.md")),
    (".gitignore", include_str!("../../templates/js/gitignore")),
];

/// The language of a new plugin project.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Rust with the kube-ai-proxy SDK (`cargo build --release --target wasm32-wasip2`).
    Rust,
    /// Python with componentize-py.
    Python,
    /// JavaScript with componentize-js.
    Js,
}

/// The arguments of `plugins new`.
#[derive(Args)]
pub struct NewArgs {
    /// The plugin's name: lowercase letters, digits and `-`, starting with a letter. Grants
    /// are keyed by it; the tool is named after it.
    #[arg(value_name = "NAME")]
    name: String,
    /// The language of the project.
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    lang: Lang,
    /// Where to write the project (default: ./NAME). Must not exist, or be empty.
    #[arg(long, value_name = "PATH")]
    dir: Option<PathBuf>,
    /// The kube-ai-proxy SDK a Rust project depends on (a path dependency). Default: the
    /// `plugins/sdk` of the source tree this binary was built from.
    #[arg(long, value_name = "DIR")]
    sdk_path: Option<PathBuf>,
}

/// Runs `plugins new`: writes the project and says what to do next.
///
/// Errors: an invalid name, a target directory that is not empty, an SDK directory that
/// does not exist (Rust), or a file that cannot be written.
pub fn run(args: &NewArgs) -> Result<()> {
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| PathBuf::from(&args.name));
    let sdk = match args.lang {
        Lang::Rust => Some(sdk_path(args.sdk_path.as_deref())?),
        Lang::Python | Lang::Js => None,
    };
    let vars = Vars::new(&args.name, sdk.as_deref())?;
    let files = project(args.lang, &vars)?;
    write_project(&dir, &files)?;
    let shown = dir.display();
    eprintln!(
        "created the {} plugin {} in {shown} (tool {})",
        match args.lang {
            Lang::Rust => "Rust",
            Lang::Python => "Python",
            Lang::Js => "JavaScript",
        },
        vars.name,
        vars.tool
    );
    match args.lang {
        Lang::Rust => eprintln!(
            "next: cd {shown} && cargo test && cargo build --release --target wasm32-wasip2 (see README.md)"
        ),
        Lang::Python => eprintln!(
            "next: cd {shown} && pip install 'componentize-py==0.25.*', then follow README.md"
        ),
        Lang::Js => eprintln!("next: cd {shown} && npm install && npm run build (see README.md)"),
    }
    Ok(())
}

/// The SDK directory to depend on: `explicit`, else the build tree's, made absolute.
///
/// Errors: the directory does not exist or holds no Cargo.toml.
fn sdk_path(explicit: Option<&Path>) -> Result<PathBuf> {
    let path = explicit.unwrap_or(Path::new(DEFAULT_SDK_PATH));
    if !path.join("Cargo.toml").is_file() {
        bail!(
            "the kube-ai-proxy SDK is not at {}: pass --sdk-path DIR (the `plugins/sdk` folder of a kube-ai-proxy source tree){}",
            path.display(),
            if explicit.is_none() {
                " — this binary was built elsewhere"
            } else {
                ""
            }
        );
    }
    std::fs::canonicalize(path).with_context(|| format!("cannot resolve {}", path.display()))
}

/// The values a template's `{{key}}`s are replaced with.
#[derive(Debug)]
struct Vars {
    /// The plugin name (`demo-tool`): the package, the manifest's `name`, the grant's key.
    name: String,
    /// The Rust crate name (`demo_tool`), which is also the built `.wasm` file's name.
    crate_name: String,
    /// The Rust type implementing the plugin (`DemoTool`).
    type_name: String,
    /// The one tool's name (`demo_tool_list_namespaces`).
    tool: String,
    /// The WIT package the project builds against (`kube-ai-proxy:plugin@0.2.0`).
    wit_package: String,
    /// Its version (`0.2.0`), for interface names such as `kube-ai-proxy:plugin/kube@0.2.0`.
    wit_version: String,
    /// The SDK path as a TOML string, quotes included.
    sdk_path: String,
}

impl Vars {
    /// Checks `name` and derives the other values from it.
    ///
    /// Errors: `name` does not match `[a-z][a-z0-9-]*`, or the embedded WIT names no package.
    fn new(name: &str, sdk: Option<&Path>) -> Result<Vars> {
        let valid = name.len() <= 64
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !valid {
            bail!(
                "invalid plugin name {name:?}: use lowercase letters, digits and '-', starting with a letter (at most 64 characters)"
            );
        }
        let crate_name = name.replace('-', "_");
        let type_name: String = name
            .split('-')
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect();
        let sdk_path = sdk
            .map(|p| toml::Value::String(p.display().to_string()).to_string())
            .unwrap_or_default();
        let wit_package = wit_package(WIT)?;
        let wit_version = wit_package
            .rsplit_once('@')
            .map(|(_, v)| v.to_string())
            .context("internal error: the embedded WIT package has no version")?;
        Ok(Vars {
            name: name.to_string(),
            tool: format!("{crate_name}_list_namespaces"),
            crate_name,
            type_name,
            wit_package,
            wit_version,
            sdk_path,
        })
    }

    /// `template` with every `{{key}}` replaced.
    ///
    /// Errors: a `{{` is left, i.e. the template names an unknown key.
    fn render(&self, file: &str, template: &str) -> Result<String> {
        let out = template
            .replace("{{name}}", &self.name)
            .replace("{{crate}}", &self.crate_name)
            .replace("{{type}}", &self.type_name)
            .replace("{{tool}}", &self.tool)
            .replace("{{wit_package}}", &self.wit_package)
            .replace("{{wit_version}}", &self.wit_version)
            .replace("{{sdk_path}}", &self.sdk_path);
        if let Some(at) = out.find("{{") {
            let key: String = out[at..].chars().take(24).collect();
            bail!("internal error: template {file} has an unknown key at {key:?}");
        }
        Ok(out)
    }
}

/// The `package` a WIT file declares, e.g. `kube-ai-proxy:plugin@0.2.0`.
///
/// Errors: no `package ...;` line.
fn wit_package(wit: &str) -> Result<String> {
    wit.lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(|p| p.trim().trim_end_matches(';').trim().to_string())
        .context("internal error: the embedded WIT declares no package")
}

/// Every file of a new project in `lang`: relative path and contents.
fn project(lang: Lang, vars: &Vars) -> Result<Vec<(String, String)>> {
    let templates = match lang {
        Lang::Rust => RUST,
        Lang::Python => PYTHON,
        Lang::Js => JS,
    };
    let mut files = vec![
        (
            "plugin.toml".to_string(),
            vars.render("plugin.toml", MANIFEST)?,
        ),
        ("wit/plugin.wit".to_string(), WIT.to_string()),
    ];
    for (path, template) in templates {
        files.push((path.to_string(), vars.render(path, template)?));
    }
    Ok(files)
}

/// Writes `files` under `dir`, which must not exist or be empty.
///
/// Errors: `dir` is a file or a non-empty directory, or a write fails.
fn write_project(dir: &Path, files: &[(String, String)]) -> Result<()> {
    if dir.exists() {
        if !dir.is_dir() {
            bail!("{} exists and is not a directory", dir.display());
        }
        let mut entries =
            std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{} is not empty: choose another --dir or remove it",
                dir.display()
            );
        }
    }
    for (path, contents) in files {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&target, contents)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kap_host::plugins::manifest::Manifest;

    fn vars(name: &str) -> Vars {
        Vars::new(name, Some(Path::new("/opt/kap/plugins/sdk"))).unwrap()
    }

    #[test]
    fn names_are_checked_and_derived() {
        let v = vars("demo-tool");
        assert_eq!(v.crate_name, "demo_tool");
        assert_eq!(v.type_name, "DemoTool");
        assert_eq!(v.tool, "demo_tool_list_namespaces");
        assert_eq!(v.sdk_path, "\"/opt/kap/plugins/sdk\"");
        assert_eq!(vars("a").type_name, "A");
        assert_eq!(vars("x2--y").type_name, "X2Y");
        for bad in [
            "",
            "Demo",
            "1demo",
            "-demo",
            "demo_tool",
            "demo tool",
            "démo",
            "a/b",
        ] {
            assert!(Vars::new(bad, None).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_wit_package_comes_from_the_embedded_wit() {
        let p = wit_package(WIT).unwrap();
        assert!(p.starts_with("kube-ai-proxy:plugin@"), "{p}");
        assert_eq!(
            wit_package("// x\npackage a:b@1.2.3;\nworld w {}").unwrap(),
            "a:b@1.2.3"
        );
        assert!(wit_package("world w {}").is_err());
    }

    #[test]
    fn every_template_renders_completely() {
        let v = vars("demo-tool");
        for lang in [Lang::Rust, Lang::Python, Lang::Js] {
            let files = project(lang, &v).unwrap();
            let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
            for expected in ["plugin.toml", "wit/plugin.wit", "README.md", ".gitignore"] {
                assert!(names.contains(&expected), "{lang:?}: {names:?}");
            }
            for (path, text) in &files {
                assert!(!text.contains("{{"), "{lang:?} {path}");
            }
        }
    }

    #[test]
    fn the_manifest_parses_and_declares_the_tool() {
        let v = vars("demo-tool");
        let text = v.render("plugin.toml", MANIFEST).unwrap();
        let m = Manifest::parse_any_wit(&text).unwrap();
        assert_eq!(m.name, "demo-tool");
        assert_eq!(m.version, "0.1.0");
        assert_eq!(m.wit, wit_package(WIT).unwrap());
        let kube = m.capabilities.kube.as_ref().unwrap();
        assert_eq!(kube.verbs, ["list"]);
        assert_eq!(kube.resources, ["namespaces"]);
        assert_eq!(kube.namespaces, ["*"]);
        assert!(m.capabilities.log.is_some());
        assert_eq!(m.tools.len(), 1);
        assert_eq!(m.tools[0].name, "demo_tool_list_namespaces");
        assert!(m.tools[0].read_only && !m.tools[0].destructive);
    }

    #[test]
    fn the_rust_project_is_standalone() {
        let v = vars("demo-tool");
        let files = project(Lang::Rust, &v).unwrap();
        let cargo = &files.iter().find(|(p, _)| p == "Cargo.toml").unwrap().1;
        let t: toml::Table = cargo.parse().unwrap();
        assert!(t.contains_key("workspace"));
        assert_eq!(t["package"]["name"].as_str(), Some("demo-tool"));
        assert_eq!(
            t["lib"]["crate-type"].as_array().unwrap()[0].as_str(),
            Some("cdylib")
        );
        let dep = &t["dependencies"]["kube-ai-proxy-sdk"]["path"];
        assert_eq!(dep.as_str(), Some("/opt/kap/plugins/sdk"));
        let release = &t["profile"]["release"];
        assert_eq!(release["opt-level"].as_str(), Some("s"));
        assert_eq!(release["panic"].as_str(), Some("abort"));
        let lib = &files.iter().find(|(p, _)| p == "src/lib.rs").unwrap().1;
        assert!(lib.contains("export_plugin!(DemoTool, \"../plugin.toml\")"));
        assert!(lib.contains("\"demo_tool_list_namespaces\""));
        let readme = &files.iter().find(|(p, _)| p == "README.md").unwrap().1;
        assert!(readme.contains("target/wasm32-wasip2/release/demo_tool.wasm"));
        assert!(readme.contains("[grants.demo-tool]"));
    }

    #[test]
    fn refuses_a_non_empty_directory_and_a_missing_sdk() {
        let dir = std::env::temp_dir().join(format!("kap-new-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let files = project(Lang::Python, &vars("demo-tool")).unwrap();
        // An empty directory is fine.
        write_project(&dir, &files).unwrap();
        assert!(dir.join("wit/plugin.wit").is_file());
        assert!(dir.join(".gitignore").is_file());
        let err = format!("{:#}", write_project(&dir, &files).unwrap_err());
        assert!(err.contains("not empty"), "{err}");
        let err = format!("{:#}", sdk_path(Some(&dir.join("nowhere"))).unwrap_err());
        assert!(err.contains("--sdk-path"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
