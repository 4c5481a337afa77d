//! Plugins by outside authors, loaded by `kube-ai-proxy serve` and called through MCP (rmcp
//! client over stdio) against the real local cluster:
//!
//! * a project written by `kube-ai-proxy plugins new` (Rust, on the SDK), built as it is;
//! * the Python example (`tests/plugins/python-example`, componentize-py on
//!   `plugins/sdk-python`, built by its `build.sh` into `target/test-plugins/`): answers
//!   inside its grant and is refused, with a typed `denied`, outside it;
//! * the checked-in `kube-ai-proxy:plugin@0.1.0` fixture (`tests/fixtures/plugin-v0.1.0.wasm`):
//!   the promise that components built against 0.1.0 keep loading and answering.
//!
//! Missing files and a missing cluster fail these tests; they are never skipped.

use std::path::{Path, PathBuf};
use std::process::Command;

use kube_ai_proxy_e2e::*;

/// `target/test-plugins/python-example.wasm`, built by `tests/plugins/python-example/build.sh`.
fn python_example() -> PathBuf {
    root().join("target/test-plugins/python-example.wasm")
}

/// The prebuilt `0.1.0` fixture plugin (checked in; never rebuilt).
fn fixture_v010() -> PathBuf {
    root().join("tests/fixtures/plugin-v0.1.0.wasm")
}

/// Fails (does not skip) when a plugin file is missing, saying how to make it.
fn require(file: &Path, how: &str) {
    assert!(
        file.is_file(),
        "{} is missing: {how}. These tests are never skipped.",
        file.display()
    );
}

/// A server that loads only `plugin` (no bundled plugins), with `grant` as its config.
fn server(dir: &tempfile::TempDir, plugin: PathBuf, grant: &str) -> ServerOpts {
    let config = dir.path().join("config.toml");
    std::fs::write(&config, grant).unwrap();
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        audit_log: Some(dir.path().join("audit.jsonl")),
        config: Some(config),
        plugins: vec![plugin],
        // Python components take a while to compile on first load; calls themselves are quick.
        env: vec![("K8S_MCP_TIMEOUT".into(), "60".into())],
        args: vec!["--no-default-plugins".into()],
    }
}

/// Asserts that a namespace listing names the namespaces every cluster has.
fn assert_lists_namespaces(out: &str) {
    let names: Vec<&str> = out.lines().map(str::trim).collect();
    for ns in ["kube-system", "default"] {
        assert!(names.contains(&ns), "namespace {ns} missing from:\n{out}");
    }
}

#[tokio::test]
async fn python_example_lists_namespaces_and_is_refused_outside_its_grant() {
    let wasm = python_example();
    require(
        &wasm,
        "build it with tests/plugins/python-example/build.sh (make test does)",
    );
    let dir = tempfile::tempdir().unwrap();
    let c = start(&server(
        &dir,
        wasm,
        r#"
[grants.python-example]
kube = { verbs = ["list"], resources = ["namespaces"], namespaces = ["*"] }
log = true
"#,
    ))
    .await
    .unwrap();

    let tools = c.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(names.contains(&"py_list_namespaces"), "{names:?}");
    assert!(names.contains(&"py_read_secrets"), "{names:?}");
    let list = tools
        .iter()
        .find(|t| t.name == "py_list_namespaces")
        .unwrap();
    // Declared once, in plugin.toml: the SDK built `list-tools` from it.
    assert_eq!(
        list.annotations.as_ref().and_then(|a| a.read_only_hint),
        Some(true)
    );

    let r = call(&c, "py_list_namespaces", serde_json::json!({}))
        .await
        .unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    assert_lists_namespaces(&out);

    // Secrets were never requested: the host refuses before RBAC, with a typed `denied`
    // that the tool reports as text with isError.
    let r = call(
        &c,
        "py_read_secrets",
        serde_json::json!({ "namespace": "default" }),
    )
    .await
    .unwrap();
    let out = text(&r);
    assert!(is_error(&r), "secrets were not refused: {out}");
    assert!(out.contains("denied"), "{out}");
    assert!(out.contains("grant.kube.requested-resource"), "{out}");
    assert!(!out.contains("unexpectedly allowed"), "{out}");

    // Wrong argument types are the SDK's invalid-arguments error, not a crash.
    let r = call(&c, "py_read_secrets", serde_json::json!({ "namespace": 7 })).await;
    match r {
        Ok(r) => assert!(is_error(&r), "{}", text(&r)),
        Err(e) => assert!(format!("{e:#}").contains("namespace"), "{e:#}"),
    }

    // The server still answers after all of it.
    let r = call(&c, "py_list_namespaces", serde_json::json!({}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{}", text(&r));
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn the_0_1_0_fixture_loads_and_answers() {
    let wasm = fixture_v010();
    require(
        &wasm,
        "it is checked in (tests/fixtures/plugin-v0.1.0/README.md); restore it from git",
    );
    let dir = tempfile::tempdir().unwrap();
    let c = start(&server(
        &dir,
        wasm,
        r#"
[grants.fixture-v010]
kube = { verbs = ["list"], resources = ["namespaces"], namespaces = ["*"] }
log = true
"#,
    ))
    .await
    .unwrap();
    let tools = c.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert!(names.contains(&"fixture_v010_namespaces"), "{names:?}");

    let r = call(&c, "fixture_v010_namespaces", serde_json::json!({}))
        .await
        .unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    assert_lists_namespaces(&out);
    c.cancel().await.unwrap();
}

#[test]
fn inspect_names_the_0_1_0_fixture_s_wit_version() {
    let wasm = fixture_v010();
    require(
        &wasm,
        "it is checked in (tests/fixtures/plugin-v0.1.0/README.md); restore it from git",
    );
    for json in [false, true] {
        let mut cmd = Command::new(server_bin());
        cmd.args(["plugins", "inspect"]).arg(&wasm);
        if json {
            cmd.arg("--json");
        }
        let out = cmd
            .env_remove("KUBE_AI_PROXY_CONFIG")
            .output()
            .expect("run kube-ai-proxy");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "plugins inspect failed:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("fixture-v010"), "{stdout}");
        // The version read from the component's `tools` export (not the manifest's claim).
        if json {
            let v: serde_json::Value = serde_json::from_str(&stdout).expect("inspect --json");
            assert_eq!(v["wit"]["built_against"], "0.1.0", "{stdout}");
        } else {
            assert!(
                stdout.contains("built against kube-ai-proxy:plugin@0.1.0"),
                "{stdout}"
            );
        }
    }
}

/// The promise of `kube-ai-proxy plugins new`: the generated Rust project builds as it is
/// (`cargo build --release --target wasm32-wasip2`, its own workspace), its unit test passes
/// against the SDK's fake, and the built component, served with a grant, answers a
/// `tools/call` against the real cluster. The generated project's dependencies are compiled
/// into `target/plugin-new/` (kept between runs).
#[tokio::test]
async fn a_new_rust_plugin_builds_and_answers() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("demo-tool");
    let out = Command::new(server_bin())
        .args(["plugins", "new", "demo-tool", "--dir"])
        .arg(&project)
        .output()
        .expect("run kube-ai-proxy plugins new");
    assert!(
        out.status.success(),
        "plugins new failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for f in [
        "Cargo.toml",
        "plugin.toml",
        "src/lib.rs",
        "wit/plugin.wit",
        "README.md",
    ] {
        assert!(project.join(f).is_file(), "plugins new wrote no {f}");
    }
    let target = root().join("target/plugin-new");
    let cargo = |args: &[&str]| {
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(args)
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", &target)
            .output()
            .expect("run cargo");
        assert!(
            out.status.success(),
            "cargo {args:?} in the generated project failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cargo(&["build", "--release", "--target", "wasm32-wasip2"]);
    cargo(&["test"]);
    let wasm = target.join("wasm32-wasip2/release/demo_tool.wasm");
    require(&wasm, "cargo build should have written it");

    let c = start(&server(
        &dir,
        wasm,
        r#"
[grants.demo-tool]
kube = { verbs = ["list"], resources = ["namespaces"], namespaces = ["*"] }
"#,
    ))
    .await
    .unwrap();
    let r = call(&c, "demo_tool_list_namespaces", serde_json::json!({}))
        .await
        .unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{out}");
    assert_lists_namespaces(&out);
    c.cancel().await.unwrap();
}
