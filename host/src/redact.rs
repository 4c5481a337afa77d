//! Redaction: credentials never reach the model (issue 3).
//!
//! Applied twice on every path back to the client:
//! 1. to every Kubernetes response body before the plugin sees it ([`kube_body`], called by
//!    [`crate::capabilities::kube::KubeService::execute`]): JSON bodies (objects, lists,
//!    `Table`s, `Status`es) are redacted structurally ([`json_value`]), text bodies (pod logs)
//!    by pattern ([`text`]);
//! 2. to every tool answer in [`crate::mcp`]: the text by pattern, the structured content
//!    structurally and by pattern — this catches whatever a plugin formats itself.
//!
//! Values are replaced by [`REDACTED`]; keys, names and the surrounding text stay, so output
//! remains useful (`DB_PASSWORD: <redacted>`, `postgres://app:<redacted>@db:5432/app`).
//!
//! **Structural** (JSON): Secret `data` and `stringData` values (objects of kind `Secret`,
//! items of a `SecretList`, any body of a `secrets` request, `Table` rows' embedded
//! objects); container `env` values whose name looks like a credential
//! ([`is_credential_name`]) or whose value matches a pattern below; any string-valued field
//! whose key looks like a credential (a ConfigMap's `db_password`); the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, parsed and redacted the same
//! way (a Secret's values inside it, credential env vars, ...) and kept otherwise; every other
//! string by pattern.
//!
//! **Patterns** (text), from the token formats their issuers document and the rules of
//! gitleaks / GitHub secret scanning:
//! - PEM private keys (RFC 7468 `-----BEGIN … PRIVATE KEY-----` … `-----END …-----`), also a
//!   block cut by `--tail` (an `END` line without its `BEGIN`: everything before it; a
//!   `BEGIN` without `END`: everything after it) and lone 64-character base64 lines (the
//!   body lines of RFC 7468, e.g. in the middle of a tailed log);
//! - JWTs (RFC 7519: `eyJ…` header `.` payload `.` signature), which includes Kubernetes
//!   ServiceAccount tokens;
//! - AWS access key IDs (`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16, AWS IAM identifiers docs), GitHub
//!   tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack tokens (`xox?-`),
//!   Google API keys (`AIza` + 35);
//! - the password of a URL's userinfo (RFC 3986 `scheme://user:password@host`, e.g.
//!   connection strings);
//! - `Bearer <token>` (RFC 6750) and `Authorization: Basic <base64>` (RFC 7617);
//! - `key=value`, `key: value`, `"key":"value"` where the key contains `password`, `passwd`,
//!   `pwd`, `secret`, `token`, `api_key`/`apikey`, `access_key`, `private_key` or
//!   `credential` (case-insensitive).
//!
//! **Not redacted** (false positives avoided, see the tests): UUIDs, image digests
//! (`sha256:…`), resourceVersions and other numbers, base64 of ordinary config (base64 alone
//! is not a credential), keys that name rather than hold a credential (`secretName`,
//! `secretRef`, `tokenExpirationSeconds`, `passwordFile`, …), booleans, values that start
//! with `<` (kubectl's `<set to the key 'password' in secret 'db'>`, already redacted
//! values).
//!
//! **Not caught**: a credential with no recognisable shape under an innocent name
//! (`FOO=hunter2`), base64-encoded or otherwise transformed credentials outside Secrets, a
//! PEM body line shorter than 64 characters on its own (a `--tail` that cuts both markers
//! off), credentials split across JSON fields or lines in ways the patterns do not follow.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::Value;

/// What every redacted value becomes.
pub const REDACTED: &str = "<redacted>";

/// The annotation `kubectl apply` (client-side) writes: the whole applied object as JSON,
/// Secret values included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Credential words in names and keys (case-insensitive).
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "api-key",
    "apikey",
    "access_key",
    "access-key",
    "accesskey",
    "private_key",
    "private-key",
    "privatekey",
    "credential",
];

/// Key endings that name or describe a credential rather than hold one.
const NAMING_SUFFIXES: &[&str] = &[
    "name",
    "names",
    "ref",
    "refs",
    "seconds",
    "path",
    "file",
    "type",
    "count",
    "length",
    "ttl",
    "expiry",
    "expiration",
    "mode",
    "size",
    "limit",
    "secrets",
    "tokens",
    "key",
];

/// Whether an env var name or a field key looks like it holds a credential: it contains one
/// of `PASSWORD`, `PASSWD`, `PWD`, `SECRET`, `TOKEN`, `API_KEY`, `ACCESS_KEY`,
/// `PRIVATE_KEY`, `CREDENTIAL` (any case, `_`/`-`/none between words), and does not end
/// with a word that names one (`secretName`, `tokenPath`, `passwordFile`, …).
pub fn is_credential_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if !CREDENTIAL_WORDS.iter().any(|w| lower.contains(w)) {
        return false;
    }
    // `API_KEY`, `private-key`: the credential word itself ends with "key".
    if [
        "api_key",
        "api-key",
        "apikey",
        "access_key",
        "accesskey",
        "access-key",
    ]
    .iter()
    .chain(&["private_key", "private-key", "privatekey"])
    .any(|w| lower.ends_with(w))
    {
        return true;
    }
    !NAMING_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

static PEM_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----").unwrap());
static PEM_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----").unwrap());
/// A lone PEM body line (RFC 7468 wraps at 64), optionally after a CRI/`--timestamps` time.
static PEM_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^(\d{4}-\d\d-\d\dT[0-9:.]+Z )?[A-Za-z0-9+/]{64}\r?$").unwrap()
});
/// Whole-token patterns, replaced entirely.
static TOKENS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        // JWT (RFC 7519, JWS compact serialization); payload of 8+ chars, signature may be empty.
        r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*",
        // AWS access key ID.
        r"|\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
        // GitHub tokens.
        r"|\bgh[pousr]_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{22,}",
        // Slack tokens.
        r"|\bxox[abprs]-[A-Za-z0-9-]{10,}",
        // Google API key.
        r"|\bAIza[0-9A-Za-z_-]{35}",
    ))
    .unwrap()
});
/// `scheme://user:password@`: the password (RFC 3986 userinfo).
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@?#"'<>]*):[^\s@/?#"'<>]+@"#).unwrap()
});
/// `Bearer <token>` (RFC 6750) and `Authorization: Basic <credentials>` (RFC 7617).
static AUTH_SCHEME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(\bbearer\s+)[A-Za-z0-9._~+/-]{8,}=*|(\bauthorization[\x22']?\s*[:=]\s*[\x22']?basic\s+)[A-Za-z0-9+/]{4,}=*",
    )
    .unwrap()
});
/// `key=value`, `key: value`, `"key": "value"` with a credential-looking key.
static KEY_VALUE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(/?)\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential)[A-Za-z0-9_.-]*)(\\?"?[ \t]*[:=][ \t]*\\?"?)([^\s"'<,;&{}\[\]\\]+)"#,
    )
    .unwrap()
});

/// Redacts credentials in text by pattern (see the module docs for the list). Returns the
/// input unchanged (borrowed) when nothing matched.
pub fn text(s: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(s);
    if out.contains("PRIVATE KEY") {
        out = Cow::Owned(pem_blocks(&out));
    }
    fn apply<'a>(
        out: Cow<'a, str>,
        re: &Regex,
        f: impl FnMut(&Captures) -> String,
    ) -> Cow<'a, str> {
        match re.replace_all(&out, f) {
            Cow::Borrowed(_) => out,
            Cow::Owned(o) => Cow::Owned(o),
        }
    }
    out = apply(out, &PEM_LINE, |c| {
        let prefix = c.get(1).map_or("", |m| m.as_str());
        if c[0][prefix.len()..]
            .trim_end()
            .bytes()
            .all(|b| b.is_ascii_hexdigit())
        {
            c[0].to_string() // a hex digest, not base64
        } else {
            format!("{prefix}{REDACTED}")
        }
    });
    out = apply(out, &TOKENS, |_| REDACTED.to_string());
    out = apply(out, &URL_PASSWORD, |c| format!("{}:{REDACTED}@", &c[1]));
    out = apply(out, &AUTH_SCHEME, |c| {
        let prefix = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
        format!("{prefix}{REDACTED}")
    });
    out = apply(out, &KEY_VALUE, |c| {
        let lower = c[4].to_ascii_lowercase();
        // `/etc/passwd: ...` is a path, not a key.
        if &c[1] == "/"
            || !is_credential_name(&c[2])
            || matches!(lower.as_str(), "true" | "false" | "null")
        {
            c[0].to_string()
        } else {
            format!("{}{}{REDACTED}", &c[2], &c[3])
        }
    });
    out
}

/// PEM private key blocks, including ones cut by a tail or a head.
fn pem_blocks(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    // An END before any BEGIN: the text before it is the end of a key.
    if let Some(end) = PEM_END.find(rest)
        && PEM_BEGIN.find(rest).is_none_or(|b| b.start() > end.start())
    {
        out.push_str(REDACTED);
        out.push('\n');
        out.push_str(end.as_str());
        rest = &rest[end.end()..];
    }
    while let Some(begin) = PEM_BEGIN.find(rest) {
        out.push_str(&rest[..begin.end()]);
        out.push('\n');
        out.push_str(REDACTED);
        rest = &rest[begin.end()..];
        match PEM_END.find(rest) {
            Some(end) => {
                out.push('\n');
                out.push_str(end.as_str());
                rest = &rest[end.end()..];
            }
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Redacts a JSON value in place (see the module docs); `secret` says the value is a
/// Secret, a list of them or a `Table` of them. Returns whether anything changed.
pub fn json_value(v: &mut Value, secret: bool) -> bool {
    match v {
        Value::String(s) => match text(s) {
            Cow::Borrowed(_) => false,
            Cow::Owned(o) => {
                *s = o;
                true
            }
        },
        Value::Array(a) => {
            let mut changed = false;
            for x in a {
                changed |= json_value(x, secret);
            }
            changed
        }
        Value::Object(m) => {
            let mut changed = false;
            let kind = m.get("kind").and_then(Value::as_str).unwrap_or("");
            let is_secret = secret || kind == "Secret";
            let list_of_secrets = is_secret || kind == "SecretList";
            if is_secret {
                for field in ["data", "stringData"] {
                    if let Some(Value::Object(d)) = m.get_mut(field) {
                        for val in d.values_mut() {
                            if val.as_str() != Some(REDACTED) {
                                *val = Value::String(REDACTED.into());
                                changed = true;
                            }
                        }
                    }
                }
            }
            if let Some(Value::Array(env)) = m.get_mut("env") {
                for e in env.iter_mut() {
                    changed |= env_var(e);
                }
            }
            for (k, val) in m.iter_mut() {
                match val {
                    Value::String(s) if k == LAST_APPLIED => {
                        if let Some(r) = last_applied(s) {
                            *s = r;
                            changed = true;
                        }
                    }
                    Value::String(s) if is_credential_name(k) && !s.is_empty() => {
                        if s != REDACTED {
                            *s = REDACTED.into();
                            changed = true;
                        }
                    }
                    _ => {
                        let child = match k.as_str() {
                            "items" => list_of_secrets,
                            "rows" | "object" => secret,
                            _ => false,
                        };
                        changed |= json_value(val, child);
                    }
                }
            }
            changed
        }
        _ => false,
    }
}

/// One `env` entry (`{name, value}`): the value is redacted when the name looks like a
/// credential, pattern-redacted otherwise.
fn env_var(e: &mut Value) -> bool {
    let Some(name) = e.get("name").and_then(Value::as_str) else {
        return false;
    };
    let by_name = is_credential_name(name);
    match e.get_mut("value") {
        Some(Value::String(s)) if by_name && !s.is_empty() && s != REDACTED => {
            *s = REDACTED.into();
            true
        }
        _ => false,
    }
}

/// The last-applied annotation, redacted like the object it holds; `None` when unchanged.
/// An annotation that is not JSON is redacted by pattern.
fn last_applied(s: &str) -> Option<String> {
    match serde_json::from_str::<Value>(s) {
        Ok(mut v) => json_value(&mut v, false).then(|| {
            let mut out = v.to_string();
            if s.ends_with('\n') {
                out.push('\n');
            }
            out
        }),
        Err(_) => match text(s) {
            Cow::Borrowed(_) => None,
            Cow::Owned(o) => Some(o),
        },
    }
}

/// Redacts one Kubernetes response body before a plugin sees it: JSON structurally (and the
/// body re-serialized only when something changed), anything else (pod logs) by pattern.
/// `secret`: the request was for `secrets` in the core group; such a body that is not JSON
/// is replaced entirely (fail closed).
pub fn kube_body(body: String, secret: bool) -> String {
    let trimmed = body.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(mut v) = serde_json::from_str::<Value>(&body)
    {
        return if json_value(&mut v, secret) {
            v.to_string()
        } else {
            body
        };
    }
    if secret {
        return "<redacted: unparseable Secret response>".into();
    }
    match text(&body) {
        Cow::Borrowed(_) => body,
        Cow::Owned(o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(s: &str) -> String {
        text(s).into_owned()
    }

    #[test]
    fn pem_private_keys() {
        let key =
            "a\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc==\n-----END RSA PRIVATE KEY-----\nb";
        let out = r(key);
        assert!(!out.contains("MIIEow") && !out.contains("abc=="), "{out}");
        assert!(out.starts_with("a\n-----BEGIN RSA PRIVATE KEY-----\n<redacted>\n-----END"));
        assert!(out.ends_with("-----\nb"));
        // Cut by a tail: END without BEGIN, and BEGIN without END.
        let out = r("xyz==\n-----END PRIVATE KEY-----\nnext");
        assert_eq!(out, "<redacted>\n-----END PRIVATE KEY-----\nnext");
        let out = r("key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQ");
        assert!(!out.contains("MHcCAQ"), "{out}");
        // A lone 64-character body line, with or without a timestamp.
        let line = "MIIE".repeat(8) + &"xyz+".repeat(8);
        assert_eq!(r(&line), REDACTED);
        let ts = format!("2026-11-02T09:00:00.400000000Z {line}\nok");
        assert_eq!(r(&ts), "2026-11-02T09:00:00.400000000Z <redacted>\nok");
        // Public keys and certificates are not secrets.
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        assert_eq!(r(cert), cert);
    }

    #[test]
    fn jwts_and_vendor_tokens() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert_eq!(r(&format!("token {jwt} end")), "token <redacted> end");
        assert_eq!(r("key AKIAIOSFODNN7EXAMPLE."), "key <redacted>.");
        assert_eq!(
            r("ghp_0123456789abcdefghijABCDEFGHIJ012345 x"),
            "<redacted> x"
        );
        assert_eq!(r("xoxb-1234567890-abcdef"), REDACTED);
        assert_eq!(r("AIzaSyA-0123456789abcdefghijklmnopqrstu"), REDACTED);
    }

    #[test]
    fn url_passwords_and_auth_headers() {
        assert_eq!(
            r("postgres://app:s3cr3t@db:5432/app"),
            "postgres://app:<redacted>@db:5432/app"
        );
        assert_eq!(
            r("redis://:pw@redis:6379"),
            "redis://:<redacted>@redis:6379"
        );
        // No userinfo, or a port: unchanged.
        for s in [
            "postgres://db-0.db.kap-demo.svc:5432/inventory",
            "https://example.com:8443/a@b",
        ] {
            assert_eq!(r(s), s);
        }
        assert_eq!(
            r("Authorization: Bearer abc.def-123456"),
            "Authorization: Bearer <redacted>"
        );
        assert_eq!(
            r("authorization: Basic dXNlcjpwYXNz"),
            "authorization: Basic <redacted>"
        );
        assert_eq!(r("the bearer token"), "the bearer token");
    }

    #[test]
    fn credential_key_values() {
        assert_eq!(
            r("user=a password=hunter2 x"),
            "user=a password=<redacted> x"
        );
        assert_eq!(r("DB_PASSWORD: hunter2"), "DB_PASSWORD: <redacted>");
        assert_eq!(r(r#"{"api_key":"k-123"}"#), r#"{"api_key":"<redacted>"}"#);
        assert_eq!(
            r(r#"{\"client_secret\":\"abc\"}"#),
            r#"{\"client_secret\":\"<redacted>\"}"#
        );
        assert_eq!(
            r("aws_secret_access_key = wJalr"),
            "aws_secret_access_key = <redacted>"
        );
        // Names of credentials, placeholders, booleans: unchanged.
        for s in [
            "secretName: db-credentials",
            "tokenExpirationSeconds: 3600",
            "POSTGRES_PASSWORD:  <set to the key 'password' in secret 'db-credentials'>",
            "automountServiceAccountToken: false",
            "password: <redacted>",
            "Type: Secret (a volume populated by a Secret)",
            "secret/db-credentials created",
            "read /etc/passwd: error No such file or directory",
        ] {
            assert_eq!(r(s), s);
        }
    }

    #[test]
    fn ordinary_values_are_not_redacted() {
        for s in [
            "uid: 0b6e1a52-4b8f-4f3e-9d8c-2a7c5b1e9f00",
            "image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "resourceVersion: \"123456\"",
            // base64 of ordinary config ("log_level: info\nport: 8080\n").
            "config.yaml: bG9nX2xldmVsOiBpbmZvCnBvcnQ6IDgwODAK",
            "api_version=v1 max_tokens=100",
            // A lone sha256 (hex) on a line is not a PEM body line.
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "pod/web-5d4b7c9f8-abcde",
        ] {
            assert_eq!(r(s), s);
        }
        // The demo cluster's log file (the logs tests' oracle) stays as it is.
        let app = include_str!("../../tests/cluster/logs/app.log");
        assert_eq!(r(app), app);
    }

    #[test]
    fn credential_names() {
        for n in [
            "DB_PASSWORD",
            "API_TOKEN",
            "client_secret",
            "STRIPE_API_KEY",
            "apiKey",
            "AWS_SECRET_ACCESS_KEY",
            "GCP_CREDENTIALS",
            "tls.private-key",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in [
            "secretName",
            "LOG_LEVEL",
            "tokenExpirationSeconds",
            "PASSWORD_FILE",
            "secretKeyRef",
            "key",
        ] {
            assert!(!is_credential_name(n), "{n}");
        }
    }

    #[test]
    fn secrets_lists_and_tables() {
        let mut s = json!({"kind": "Secret", "data": {"a": "c2VjcmV0"}, "stringData": {"b": "x"},
            "metadata": {"name": "s", "annotations": {LAST_APPLIED:
                "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"stringData\":{\"b\":\"plain\"}}\n"}}});
        assert!(json_value(&mut s, false));
        let out = s.to_string();
        assert!(!out.contains("c2VjcmV0") && !out.contains("plain"), "{out}");
        assert_eq!(s["metadata"]["name"], "s");
        assert!(
            s["metadata"]["annotations"][LAST_APPLIED]
                .as_str()
                .unwrap()
                .contains(r#""stringData":{"b":"<redacted>"}"#)
        );
        // Items of a list from a `secrets` request carry no kind.
        let body = r#"{"kind":"SecretList","items":[{"data":{"k":"c2VjcmV0"}}]}"#.to_string();
        assert!(!kube_body(body, false).contains("c2VjcmV0"));
        let table =
            r#"{"kind":"Table","rows":[{"cells":["s"],"object":{"data":{"k":"c2VjcmV0"}}}]}"#;
        assert!(!kube_body(table.into(), true).contains("c2VjcmV0"));
        assert!(kube_body("not json".into(), true).contains("unparseable"));
    }

    #[test]
    fn env_vars_in_pods_and_templates() {
        let mut d = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{
        "env": [
            {"name": "DB_PASSWORD", "value": "pw"},
            {"name": "DATABASE_URL", "value": "postgres://u:pw2@db/app"},
            {"name": "SESSION", "value": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.abc"},
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
        ]}]}}}});
        assert!(json_value(&mut d, false));
        let env = &d["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], REDACTED);
        assert_eq!(env[1]["value"], "postgres://u:<redacted>@db/app");
        assert_eq!(env[2]["value"], REDACTED);
        assert_eq!(env[3]["value"], "info");
        assert_eq!(env[4]["valueFrom"]["secretKeyRef"]["name"], "db");
    }

    #[test]
    fn unchanged_bodies_are_returned_as_is() {
        let body = r#"{"kind":"Pod","metadata":{"name":"a","resourceVersion":"42"},"b":1}"#;
        assert_eq!(kube_body(body.into(), false), body);
        let log = "line one\nline two\n";
        assert_eq!(kube_body(log.into(), false), log);
    }
}
