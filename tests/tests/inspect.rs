//! `kube-ai-proxy plugins inspect`: reads a plugin file without running it (no cluster
//! needed) and reports its digest, WIT, declared tools and effective grant.

use std::path::Path;
use std::process::{Command, Output};

use kube_ai_proxy_e2e::{kubectl_plugin, misbehave_plugin, root, server_bin};
use serde_json::{Value, json};

fn inspect(file: &Path, config: Option<&Path>, json: bool) -> Output {
    let mut cmd = Command::new(server_bin());
    cmd.args(["plugins", "inspect"]).arg(file);
    if let Some(c) = config {
        cmd.arg("--config").arg(c);
    }
    if json {
        cmd.arg("--json");
    }
    // The operator's environment must not change what the test sees.
    cmd.env_remove("KUBE_AI_PROXY_CONFIG");
    cmd.output().expect("run kube-ai-proxy")
}

fn inspect_json(file: &Path, config: Option<&Path>) -> Value {
    let out = inspect(file, config, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn sha256sum(file: &Path) -> String {
    let out = Command::new("sha256sum").arg(file).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    format!("sha256:{}", text.split_whitespace().next().unwrap())
}

fn config_file(dir: &tempfile::TempDir, text: &str) -> std::path::PathBuf {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn kubectl_plugin_digest_wit_tools_and_default_grant() {
    let v = inspect_json(&kubectl_plugin(), None);
    assert_eq!(v["name"], "kubectl");
    assert_eq!(v["digest"], sha256sum(&kubectl_plugin()));
    assert_eq!(v["wit"]["declared"], "kube-ai-proxy:plugin@0.2.0");
    assert_eq!(v["wit"]["built_against"], "0.2.0");
    assert_eq!(v["wit"]["component"], json!(["kube-ai-proxy:plugin@0.2.0"]));
    assert!(
        v["wit"]["imports"]
            .as_array()
            .unwrap()
            .contains(&json!("kube-ai-proxy:plugin/kube@0.2.0"))
    );
    let mut exports: Vec<String> = v["wit"]["exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    exports.sort();
    assert_eq!(
        exports,
        [
            "kube-ai-proxy:plugin/prompts@0.2.0",
            "kube-ai-proxy:plugin/tools@0.2.0"
        ]
    );
    assert_eq!(v["wit"]["unsupported_imports"], json!([]));
    let tools: Vec<&str> = v["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        ["execute_kubectl", "describe_kubectl", "k8s_troubleshoot"]
    );
    assert_eq!(v["grant"]["status"], "granted");
    assert_eq!(
        v["effective"]["kube"]["verbs"],
        json!([
            "get",
            "list",
            "create",
            "update",
            "patch",
            "delete",
            "delete-collection"
        ])
    );
    assert_eq!(v["warnings"], json!([]));

    let out = inspect(&kubectl_plugin(), None, false);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&sha256sum(&kubectl_plugin())), "{text}");
    assert!(text.contains("execute_kubectl [destructive]"), "{text}");
}

#[test]
fn misbehave_plugin_gets_only_what_the_config_grants() {
    let v = inspect_json(&misbehave_plugin(), None);
    assert_eq!(v["name"], "misbehave");
    assert_eq!(v["grant"]["status"], "none");
    assert_eq!(v["grant"]["applied"], Value::Null);
    assert_eq!(v["effective"]["kube"]["verbs"], json!([]));
    assert_eq!(v["effective"]["log"], false);
    assert_eq!(v["requested"]["kube"]["verbs"], json!(["get", "list"]));
    assert!(
        v["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "exceed_grant")
    );

    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(
        &dir,
        "[grants.misbehave]\nkube = { verbs = [\"get\"], resources = [\"*\"], namespaces = [\"default\"] }\n",
    );
    let v = inspect_json(&misbehave_plugin(), Some(&cfg));
    assert_eq!(v["grant"]["status"], "granted");
    assert_eq!(v["effective"]["kube"]["verbs"], json!(["get"]));
    assert_eq!(
        v["effective"]["kube"]["requested_resources"],
        json!(["pods"])
    );
    assert_eq!(v["effective"]["kube"]["granted_resources"], json!(["*"]));
    assert_eq!(
        v["effective"]["kube"]["granted_namespaces"],
        json!(["default"])
    );
}

#[test]
fn a_grant_pinned_to_another_digest_is_no_grant() {
    let dir = tempfile::tempdir().unwrap();
    let wrong = format!("sha256:{}", "ab".repeat(32));
    let cfg = config_file(
        &dir,
        &format!(
            "[grants.misbehave]\ndigest = \"{wrong}\"\nkube = {{ verbs = [\"get\"], resources = [\"*\"], namespaces = [\"*\"] }}\nlog = true\n"
        ),
    );
    let v = inspect_json(&misbehave_plugin(), Some(&cfg));
    assert_eq!(v["grant"]["status"], "digest-mismatch");
    assert_eq!(v["grant"]["configured"]["digest"], wrong);
    assert_eq!(v["grant"]["applied"], Value::Null);
    assert_eq!(v["effective"]["kube"]["verbs"], json!([]));
    assert_eq!(v["effective"]["log"], false);
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains(&wrong))
    );

    // Pinned to the right digest, the grant applies.
    let right = sha256sum(&misbehave_plugin());
    let cfg = config_file(
        &dir,
        &format!(
            "[grants.misbehave]\ndigest = \"{right}\"\nkube = {{ verbs = [\"get\"], resources = [\"*\"], namespaces = [\"*\"] }}\n"
        ),
    );
    let v = inspect_json(&misbehave_plugin(), Some(&cfg));
    assert_eq!(v["grant"]["status"], "granted");
    assert_eq!(v["effective"]["kube"]["verbs"], json!(["get"]));
}

#[test]
fn a_file_that_is_not_a_plugin_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.wasm");
    std::fs::write(&text, "this is not WebAssembly\n").unwrap();
    let out = inspect(&text, None, true);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a WebAssembly file"), "{err}");
    assert!(err.contains("notes.wasm"), "{err}");

    let out = inspect(&dir.path().join("missing.wasm"), None, false);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}

#[test]
fn a_plugin_whose_tools_differ_from_its_declaration_does_not_load() {
    // Rename the declared tool inside the embedded manifest (same length, so the custom
    // section stays well-formed): the declaration no longer matches `list-tools`. The 0.1.0
    // fixture writes its `list-tools` by hand (plugins on the SDK build it from the
    // manifest, so theirs always match).
    let bytes = std::fs::read(root().join("tests/fixtures/plugin-v0.1.0.wasm")).unwrap();
    let (from, to): (&[u8], &[u8]) = (
        b"name = \"fixture_v010_namespaces\"",
        b"name = \"fixture_v010_namespacex\"",
    );
    let mut patched = Vec::with_capacity(bytes.len());
    let mut rest = &bytes[..];
    let mut replaced = 0;
    while let Some(i) = rest.windows(from.len()).position(|w| w == from) {
        patched.extend_from_slice(&rest[..i]);
        patched.extend_from_slice(to);
        rest = &rest[i + from.len()..];
        replaced += 1;
    }
    patched.extend_from_slice(rest);
    assert!(
        replaced > 0,
        "the fixture manifest no longer declares `fixture_v010_namespaces`"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("misdeclared.wasm");
    std::fs::write(&file, &patched).unwrap();

    // inspect reports the declaration as written: it does not run the plugin.
    let v = inspect_json(&file, None);
    assert_eq!(v["tools"][0]["name"], "fixture_v010_namespacex");

    let out = Command::new(server_bin())
        .args(["plugins", "list", "--no-default-plugins", "--plugin"])
        .arg(&file)
        .arg("--audit-log")
        .arg(dir.path().join("audit.jsonl"))
        .env_remove("KUBE_AI_PROXY_CONFIG")
        .output()
        .unwrap();
    // The plugin is skipped and listed as failed (the others would keep serving), and the
    // listing exits non-zero.
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("declared but not served [fixture_v010_namespacex], served but not declared [fixture_v010_namespaces]"),
        "{err}"
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("FAILED"), "{listed}");
    assert!(listed.contains("misdeclared.wasm"), "{listed}");

    // With --require-all-plugins the host refuses to start at all.
    let out = Command::new(server_bin())
        .args([
            "plugins",
            "list",
            "--require-all-plugins",
            "--no-default-plugins",
            "--plugin",
        ])
        .arg(&file)
        .arg("--audit-log")
        .arg(dir.path().join("audit.jsonl"))
        .env_remove("KUBE_AI_PROXY_CONFIG")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot load plugin"), "{err}");
}
