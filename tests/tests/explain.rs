//! Integration tests of `kubectl explain` through `execute_kubectl` against the real local
//! cluster: the plugin reads the API server's OpenAPI v3 document through the `kube`
//! capability's `openapi-schema` and prints it as kubectl's plaintext template does.
//!
//! The expected values come from the real kubectl binary (`real_kubectl`), never from our own
//! output.

use kube_ai_proxy_e2e::*;

fn admin() -> ServerOpts {
    ServerOpts {
        kubeconfig: Some(kubeconfig().expect("KUBECONFIG")),
        ..Default::default()
    }
}

/// Runs a command that must succeed; returns its text.
async fn ok(c: &Client, command: &str) -> String {
    let r = kubectl(c, command).await.unwrap();
    let out = text(&r);
    assert!(!is_error(&r), "{command:?} failed:\n{out}");
    out
}

/// Runs a command that must fail; returns its text.
async fn fails(c: &Client, command: &str) -> String {
    let r = kubectl(c, command).await.unwrap();
    let out = text(&r);
    assert!(is_error(&r), "{command:?} should fail:\n{out}");
    out
}

/// The real kubectl's stderr for a command that must fail.
fn real_kubectl_error(args: &[&str]) -> String {
    let bin = std::env::var("KAP_KUBECTL").unwrap_or_else(|_| "kubectl".into());
    let out = std::process::Command::new(bin)
        .args(args)
        .env("KUBECONFIG", kubeconfig().expect("KUBECONFIG"))
        .output()
        .expect("run kubectl");
    assert!(!out.status.success(), "kubectl {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The text between `DESCRIPTION:` and `FIELDS:` (or the end), whitespace collapsed.
fn description(out: &str) -> String {
    let d = out.split("DESCRIPTION:").nth(1).unwrap_or("");
    let d = d.split("FIELDS:").next().unwrap_or("");
    d.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `FIELD: name <type>` line.
fn field_line(out: &str) -> Option<&str> {
    out.lines().find(|l| l.starts_with("FIELD: "))
}

/// The field list entries (`name\t<type>` lines, indented) as (indentation, name, type).
fn fields(out: &str) -> Vec<(usize, String, String)> {
    let list = out.split("\nFIELDS:\n").nth(1).unwrap_or("");
    list.lines()
        .filter(|l| l.contains('\t'))
        .map(|l| {
            let ind = l.len() - l.trim_start().len();
            let (name, ty) = l.trim_start().split_once('\t').unwrap();
            (ind, name.to_string(), ty.to_string())
        })
        .collect()
}

#[tokio::test]
async fn field_explanation_matches_kubectl() {
    let c = start(&admin()).await.unwrap();
    for target in [
        "deployment.spec.replicas",
        "deploy.spec.template.spec.containers.image",
        "pods.spec.restartPolicy",
        "svc.spec.type",
    ] {
        let theirs = real_kubectl(&["explain", target]);
        let ours = ok(&c, &format!("explain {target}")).await;
        assert!(field_line(&theirs).is_some(), "{theirs}");
        assert_eq!(field_line(&ours), field_line(&theirs), "{target}:\n{ours}");
        assert_eq!(description(&ours), description(&theirs), "{target}");
        // The whole output, line for line.
        assert_eq!(ours.trim_end(), theirs.trim_end(), "{target}");
    }
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn field_lists_match_kubectl() {
    let c = start(&admin()).await.unwrap();
    for target in ["pods.spec", "deployment", "service.spec.ports"] {
        let theirs = real_kubectl(&["explain", target]);
        let ours = ok(&c, &format!("explain {target}")).await;
        let names = |o: &str| -> Vec<String> { fields(o).into_iter().map(|f| f.1).collect() };
        assert!(!names(&theirs).is_empty(), "{theirs}");
        assert_eq!(names(&ours), names(&theirs), "{target}");
        assert_eq!(fields(&ours), fields(&theirs), "{target}");
        assert_eq!(description(&ours), description(&theirs), "{target}");
        assert_eq!(ours.trim_end(), theirs.trim_end(), "{target}");
    }
    let theirs = real_kubectl(&["explain", "deployments", "--api-version=apps/v1"]);
    let ours = ok(&c, "explain deployments --api-version=apps/v1").await;
    assert!(
        ours.starts_with("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n"),
        "{ours}"
    );
    assert_eq!(ours.trim_end(), theirs.trim_end());
    let ours = ok(&c, "explain deployments.apps.spec.paused").await;
    assert_eq!(
        ours.trim_end(),
        real_kubectl(&["explain", "deployments.apps.spec.paused"]).trim_end()
    );
    // With --api-version, kubectl reads every word after the first as a field.
    let theirs = real_kubectl_error(&["explain", "deployments.apps", "--api-version=apps/v1"]);
    let ours = fails(&c, "explain deployments.apps --api-version=apps/v1").await;
    assert!(theirs.contains(ours.trim()), "{theirs} / {ours}");
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn recursive_tree_matches_kubectl() {
    let c = start(&admin()).await.unwrap();
    let theirs = real_kubectl(&["explain", "service.spec", "--recursive"]);
    let ours = ok(&c, "explain service.spec --recursive").await;
    let (t, o) = (fields(&theirs), fields(&ours));
    assert!(t.len() > 20, "{theirs}");
    for f in &t {
        assert!(o.contains(f), "{f:?} missing:\n{ours}");
    }
    assert_eq!(o, t);
    // No descriptions in the tree.
    assert!(
        !ours
            .split("FIELDS:")
            .nth(1)
            .unwrap()
            .contains("    IP address")
    );
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn unknown_field_and_type_errors() {
    let c = start(&admin()).await.unwrap();
    let theirs = real_kubectl_error(&["explain", "pods.spec.nope"]);
    let ours = fails(&c, "explain pods.spec.nope").await;
    assert!(theirs.contains("field \"nope\" does not exist"), "{theirs}");
    assert_eq!(ours.trim(), theirs.trim());
    let ours = fails(&c, "explain widgets").await;
    assert!(
        ours.contains("the server doesn't have a resource type \"widgets\""),
        "{ours}"
    );
    c.cancel().await.unwrap();
}
