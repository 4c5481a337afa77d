//! What helm prints that must not reach the model: the data of rendered Secrets
//! (`template`, `get manifest`, `get all`, `install --dry-run`) and values under
//! credential-like keys (`get values`, `get all`). The host redacts every answer again
//! (tokens, keys, connection strings); this pass knows helm's shapes.

use serde_yaml_ng::Value as Yaml;

/// The text that replaces a redacted value.
pub const REDACTED: &str = "<redacted>";

/// Whether a values key names a credential: its lowercase form contains `password`,
/// `passwd`, `token`, `secret`, `key`, `credential`, `auth`, `dsn` or `connectionstring`.
pub fn credential_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['_', '-'], "");
    [
        "password",
        "passwd",
        "token",
        "secret",
        "key",
        "credential",
        "auth",
        "dsn",
        "connectionstring",
    ]
    .iter()
    .any(|p| k.contains(p))
}

/// Whether a string value is a URL with a password (`scheme://user:pass@host`).
fn url_with_password(v: &str) -> bool {
    v.split_once("://").is_some_and(|(_, rest)| {
        rest.split('/').next().is_some_and(|auth| {
            auth.contains('@') && auth.split('@').next().is_some_and(|u| u.contains(':'))
        })
    })
}

/// Redacts values under credential-like keys, and URLs with passwords, in a values tree.
pub fn values_tree(v: &mut Yaml) {
    match v {
        Yaml::Mapping(m) => {
            for (k, val) in m.iter_mut() {
                let key = k.as_str().unwrap_or_default();
                if credential_key(key) && !matches!(val, Yaml::Mapping(_) | Yaml::Sequence(_)) {
                    *val = Yaml::String(REDACTED.into());
                } else {
                    values_tree(val);
                }
            }
        }
        Yaml::Sequence(s) => s.iter_mut().for_each(values_tree),
        Yaml::String(s) if url_with_password(s) => *s = REDACTED.into(),
        Yaml::Tagged(t) => values_tree(&mut t.value),
        _ => {}
    }
}

/// Redacts a release as helm prints it with `-o json|yaml` (`status`, `get values`, `list`,
/// `history`, `get metadata`): values under credential-like keys and URLs with passwords (the
/// release's `config`, as [`values_tree`]), every `manifest` string (the release's and its
/// hooks') with [`manifests`], and the `data`/`stringData` of any embedded `kind: Secret`
/// object (`info.resources`).
pub fn document_tree(v: &mut Yaml) {
    match v {
        Yaml::Mapping(m) => {
            let secret = m
                .get("kind")
                .and_then(Yaml::as_str)
                .is_some_and(|k| k == "Secret");
            for (k, val) in m.iter_mut() {
                let key = k.as_str().unwrap_or_default();
                if secret && matches!(key, "data" | "stringData") {
                    if let Yaml::Mapping(d) = val {
                        for (_, dv) in d.iter_mut() {
                            *dv = Yaml::String(REDACTED.into());
                        }
                    } else if !val.is_null() {
                        *val = Yaml::String(REDACTED.into());
                    }
                } else if key == "manifest" && val.is_string() {
                    if let Yaml::String(s) = val {
                        *s = manifests(s);
                    }
                } else if credential_key(key)
                    && !matches!(val, Yaml::Mapping(_) | Yaml::Sequence(_))
                {
                    *val = Yaml::String(REDACTED.into());
                } else {
                    document_tree(val);
                }
            }
        }
        Yaml::Sequence(s) => s.iter_mut().for_each(document_tree),
        Yaml::String(s) if url_with_password(s) => *s = REDACTED.into(),
        Yaml::Tagged(t) => document_tree(&mut t.value),
        _ => {}
    }
}

/// Redacts a values document (`helm get values` output, YAML). Text that does not parse is
/// redacted line by line (a `key: value` line whose key is credential-like).
pub fn values_text(text: &str) -> String {
    match serde_yaml_ng::from_str::<Yaml>(text) {
        Ok(mut v) if v.is_mapping() => {
            values_tree(&mut v);
            let head = text
                .lines()
                .next()
                .filter(|l| l.starts_with("USER-SUPPLIED") || l.starts_with("COMPUTED"));
            let body = serde_yaml_ng::to_string(&v).unwrap_or_default();
            match head {
                Some(h) => format!("{h}\n{body}"),
                None => body,
            }
        }
        _ => lines(text),
    }
}

/// Redacts `helm get all`: its values sections line by line (credential-like keys) and its
/// manifests' Secret data.
pub fn values_text_in_all(text: &str) -> String {
    manifests(&lines(text))
}

/// Line-based redaction of `key: value` lines with a credential-like key.
fn lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for l in text.lines() {
        let t = l.trim_start();
        match t.split_once(':') {
            Some((k, v))
                if credential_key(
                    k.trim_matches(|c| c == '"' || c == '\'' || c == '-' || c == ' '),
                ) && !v.trim().is_empty() =>
            {
                let indent = &l[..l.len() - t.len()];
                out.push_str(&format!("{indent}{k}: {REDACTED}\n"));
            }
            _ => {
                out.push_str(l);
                out.push('\n');
            }
        }
    }
    out
}

/// Redacts the `data` and `stringData` values of every `kind: Secret` document in a
/// multi-document manifest (helm's `---`-separated output; a `# Source:` comment line is
/// kept). Other documents and any text around them are kept as they are.
pub fn manifests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut doc = String::new();
    let flush = |doc: &mut String, out: &mut String| {
        out.push_str(&secret_document(doc));
        doc.clear();
    };
    for line in text.split_inclusive('\n') {
        if line.trim_end() == "---" {
            flush(&mut doc, &mut out);
            out.push_str(line);
        } else {
            doc.push_str(line);
        }
    }
    flush(&mut doc, &mut out);
    out
}

/// One document: a Secret's `data`/`stringData` values become [`REDACTED`] (line based, so
/// helm's layout and comments stay); any other document as it is.
fn secret_document(doc: &str) -> String {
    let is_secret = doc.lines().any(|l| {
        let l = l.trim_end();
        l == "kind: Secret" || l == "kind: \"Secret\"" || l == "kind: 'Secret'"
    });
    if !is_secret {
        return doc.to_string();
    }
    let mut out = String::with_capacity(doc.len());
    let mut in_data = false;
    let mut data_indent = 0usize;
    for line in doc.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let body = trimmed.trim_end();
        if in_data {
            if body.is_empty() || body.starts_with('#') {
                out.push_str(line);
                continue;
            }
            if indent > data_indent {
                // A continuation line of a block scalar (no `key:`) is dropped.
                if let Some((k, _)) = body.split_once(':') {
                    let nl = if line.ends_with('\n') { "\n" } else { "" };
                    out.push_str(&format!("{}{k}: {REDACTED}{nl}", &line[..indent]));
                }
                continue;
            }
            in_data = false;
        }
        if let Some(rest) = body
            .strip_prefix("data:")
            .or_else(|| body.strip_prefix("stringData:"))
        {
            let key = &body[..body.len() - rest.len()];
            let rest = rest.trim();
            if rest.is_empty() {
                in_data = true;
                data_indent = indent;
                out.push_str(line);
            } else {
                // Flow style: `data: {a: b}`.
                let nl = if line.ends_with('\n') { "\n" } else { "" };
                out.push_str(&format!("{}{key} {REDACTED}{nl}", &line[..indent]));
            }
            continue;
        }
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_data_is_redacted_and_other_documents_kept() {
        let text = "---\n# Source: web/templates/secret.yaml\napiVersion: v1\nkind: Secret\nmetadata:\n  name: web-secret\ntype: Opaque\nstringData:\n  token: \"kap-helm-canary-7f3a9c\"\n  cert: |\n    line1\n    line2\ndata:\n  b: a2FwLWhlbG0=\n---\n# Source: web/templates/configmap.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web-config\ndata:\n  greeting: hello\n";
        let out = manifests(text);
        assert!(!out.contains("kap-helm-canary"), "{out}");
        assert!(!out.contains("a2FwLWhlbG0="), "{out}");
        assert!(!out.contains("line1"), "{out}");
        assert!(out.contains("  token: <redacted>"), "{out}");
        assert!(out.contains("  cert: <redacted>"), "{out}");
        assert!(out.contains("greeting: hello"), "{out}");
        assert!(out.contains("# Source: web/templates/secret.yaml"), "{out}");
    }

    #[test]
    fn flow_style_secret_data_is_redacted() {
        let out = manifests("kind: Secret\nstringData: {password: hunter2}\n");
        assert!(!out.contains("hunter2"), "{out}");
    }

    #[test]
    fn credential_values_are_redacted() {
        let out = values_text(
            "USER-SUPPLIED VALUES:\ndb:\n  password: hunter2\n  host: db\n  url: postgres://u:pw@db:5432/x\napiKey: abc\nreplicaCount: 2\n",
        );
        assert!(
            !out.contains("hunter2") && !out.contains("abc") && !out.contains("pw@"),
            "{out}"
        );
        assert!(out.starts_with("USER-SUPPLIED VALUES:"), "{out}");
        assert!(
            out.contains("replicaCount: 2") && out.contains("host: db"),
            "{out}"
        );
    }

    #[test]
    fn keys_that_name_credentials() {
        for k in [
            "password",
            "db_password",
            "apiKey",
            "client-secret",
            "authToken",
            "DSN",
        ] {
            assert!(credential_key(k), "{k}");
        }
        for k in ["replicaCount", "image", "name", "greeting"] {
            assert!(!credential_key(k), "{k}");
        }
    }
}
