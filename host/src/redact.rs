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
//! **Credential names** ([`is_credential_name`]): a key or env var name holds a credential
//! when it contains `password`, `passwd`, `pwd`, `passphrase`, `secret`, `token` or
//! `credential`, or `key` after `api`, `access`, `private`, `signing`, `encryption`, `hmac`,
//! `master` or `auth` (any case, `_`/`-`/`.`/space/none between words: `API_KEY`,
//! `accessKey`, `tls.private-key`, `Signing Key`) — **and** it does not end with a word that
//! names or describes one (`secretName`, `secretKeyRef`, `secretKeySelector`, `tokenPath`,
//! `passwordFile`, `tokenExpirationSeconds`, `imagePullSecrets`, …; the list is
//! `NAMING_SUFFIXES`). A name ending in `key` is a credential when it contains a credential
//! word (`SECRET_KEY`, `secretKey`, `SECRET-KEY`, `client_secret_key`, `signingKey`): it
//! holds the key; `key` alone (a `secretKeyRef`'s key), `topologyKey`, `publicKey` do not.
//!
//! **Structural** (JSON):
//! - Secret `data` and `stringData` values (objects of kind `Secret`, items of a
//!   `SecretList`, any body of a `secrets` request, `Table` rows' embedded objects);
//! - container `env` values whose name is a credential name, and every other env value by
//!   pattern;
//! - any string or number whose key is a credential name (a ConfigMap's `db_password`, a
//!   CRD's `spec.secretKey`);
//! - **collections under credential keys**: an array or object under a credential name or a
//!   plural one (`passwords`, `credentials`, `apiKeys`, and also `…secrets` / `…tokens`,
//!   which name rather than hold a credential when their value is a string) has every string
//!   and number beneath it redacted (booleans and nulls stay), except (a) objects that are
//!   references, i.e. every field is a reference field (`name`, `namespace`, `key`,
//!   `optional`, `kind`, `apiVersion`, `apiGroup`, `uid`, `resourceVersion`, `fieldPath`), a
//!   descriptive field (below) or an array/object that is itself all references — a
//!   ServiceAccount's `secrets: [{name}]`, `imagePullSecrets`, a `secret` volume
//!   `{secretName, items: [{key, path}]}`, a `password: {name, key}` SecretKeySelector stay
//!   readable; (b) in other objects, the values of descriptive fields: names ending in one
//!   of `NAMING_SUFFIXES` (`secretName`, `username`, `path`, `expirationSeconds`, `size`,
//!   `rotationPolicy`, …) or one of `algorithm`, `encoding`, `format`, `audience(s)`,
//!   `usages`, `source` (so cert-manager's `privateKey: {algorithm, size}` and a projected
//!   `serviceAccountToken: {audience, expirationSeconds, path}` stay readable); these are
//!   redacted like any other value (by name and pattern). `credentials: {user: x, pass: y}`
//!   and `passwords: ["a", "b"]` become all `<redacted>`;
//! - `Table`s (`kind: Table`, `meta.k8s.io`): the cells of every column whose
//!   `columnDefinitions[].name` is a credential name once spaces and dashes become `_`
//!   (`Password`, `Secret-Key`, `API Token`), except placeholders like `<none>`; every string
//!   cell by pattern;
//! - the `kubectl.kubernetes.io/last-applied-configuration` annotation, parsed and redacted
//!   the same way (a Secret's values inside it, credential env vars, ...) and kept otherwise;
//! - every other string by pattern, `Status` messages included.
//!
//! **Patterns** (text), from the token formats their issuers document and the rules of
//! gitleaks / GitHub secret scanning:
//! - PEM private keys (RFC 7468 `-----BEGIN … PRIVATE KEY-----` … `-----END …-----`), also a
//!   block cut by `--tail` (an `END` line without its `BEGIN`: everything before it; a
//!   `BEGIN` without `END`: everything after it);
//! - PEM body lines cut off from both markers (`--tail`, `--limit-bytes`): a line of 16–76
//!   base64 characters (upper and lower case, and a digit, `+`, `/` or `=` padding; not all
//!   hex) next to another such line or to a `-----BEGIN`/`-----END` line, after an optional
//!   `--timestamps` time or CRI `stdout F ` prefix;
//! - key material: a run of 40 or more base64 characters (`[A-Za-z0-9+/]`, `=` padding), not
//!   glued to `-`, `_`, `.`, `~` or `%`, that either contains `+` or `/` and at least two of
//!   upper case, lower case and digits, or mixes all three and is not mostly words
//!   (`[A-Z]?[a-z]{3,}` covering more than half of it, as in a long CamelCase identifier
//!   or event reason). Never an all-hex run (digests, git SHAs), a run whose every
//!   `/`-separated segment lacks one of the three classes (a path like
//!   `/var/lib/kubelet/…`), nor the `//host/path` after `scheme:`. Certificates, public keys
//!   and any other base64 blob of that size are redacted too: they cannot be told from key
//!   material;
//! - JWTs (RFC 7519: `eyJ…` header `.` payload `.` signature), which includes Kubernetes
//!   ServiceAccount tokens;
//! - AWS access key IDs (`AKIA`/`ASIA`/`ABIA`/`ACCA` + 16, AWS IAM identifiers docs), GitHub
//!   tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`), Slack tokens (`xox?-`),
//!   Google API keys (`AIza` + 35);
//! - the password of a URL's userinfo (RFC 3986 `scheme://user:password@host`, e.g.
//!   connection strings);
//! - `Bearer <token>` (RFC 6750) and `Authorization: Basic <base64>` (RFC 7617);
//! - `key=value`, `key: value`, `"key":"value"` where the key is a credential name
//!   (`password=…`, `secretKey: …`, `SECRET-KEY: …`, `clientSecret=…`, `Access Key: …`): the
//!   value up to the next space or delimiter, or the whole of a quoted value (`"…"`, `'…'`,
//!   `\"…\"`), its quotes kept;
//! - YAML under a credential key, in any text (a ConfigMap's config file, a log): a block
//!   scalar (`password: |`, `|-`, `>`, `|2`, …) keeps its key line and its lines become one
//!   indented `<redacted>`; a plain scalar continued on the next lines likewise; a block
//!   sequence or mapping (`passwords:` + `- a`) and a flow collection or JSON value
//!   (`passwords: [a, b]`, `credentials: {user: x, pass: y}`, `"tokens": ["…"]`) are
//!   redacted by the structural rule above. A `kubectl describe` section headed by an
//!   object's name (a container `secret-sync:`, a volume `db-credentials:`, recognised by
//!   its first line `Capitalised Key:  aligned value`) is not taken for YAML: it was
//!   rendered from objects redacted structurally before.
//!
//! **Not redacted** (false positives avoided, see the tests): UUIDs, image digests
//! (`sha256:…`), git SHAs and other hex, resourceVersions and other numbers, Kubernetes
//! names, paths and URLs, base64 shorter than 40 characters (ordinary config in a
//! ConfigMap), keys that name rather than hold a credential (`secretName`, `secretRef`,
//! `secretKeyRef` and its `key`, `tokenExpirationSeconds`, `passwordFile`, …), references
//! and descriptive fields under credential keys (above), booleans, values that start with
//! `<` (kubectl's `<set to the key 'password' in secret 'db'>`, `<none>`, already redacted
//! values).
//!
//! **Not caught**: a credential with no recognisable shape under an innocent name
//! (`FOO=hunter2`, `pass: hunter2`), base64-encoded or otherwise transformed credentials
//! shorter than 40 characters outside Secrets, key material in base64url (`-`/`_`) that
//! matches no token format, a single PEM body line shorter than 40 characters on its own (a
//! `--tail 1` that cuts both markers and every neighbour off), YAML in text that is itself
//! escaped (`\n` inside a JSON string printed as text; the JSON body was redacted
//! structurally before), tables already rendered as text (the `Table` was redacted before
//! the plugin rendered it), a value under a descriptive field of a credential collection
//! (`credentials: {username: hunter2}`), a string under a plural that names credentials
//! (`tokens: abc`), random base64 that happens to be mostly words (about one run of 40
//! characters in 200, one of 64 in 1,000), credentials split across JSON fields or lines in
//! ways the patterns do not follow.

use std::borrow::Cow;
use std::ops::Range;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde_json::{Map, Value};

/// What every redacted value becomes.
pub const REDACTED: &str = "<redacted>";

/// The annotation `kubectl apply` (client-side) writes: the whole applied object as JSON,
/// Secret values included.
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Credential words in names and keys (case-insensitive, anywhere in the name).
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "credential",
];

/// Words that make a following `key` a credential (`api_key`, `accessKey`, `private-key`,
/// `signingKey`), matched with the separators removed.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "private",
    "secret",
    "signing",
    "encryption",
    "hmac",
    "master",
    "auth",
];

/// The credential words of [`CREDENTIAL_WORDS`] and [`KEY_QUALIFIERS`] as a regex (`(?i)`).
const CREDENTIAL_RE: &str = r"(?:password|passwd|pwd|passphrase|secret|token|credential|(?:api|access|private|secret|signing|encryption|hmac|master|auth)[ _.-]?key)";

/// Key endings that name or describe a credential rather than hold one (compared with the
/// lower-cased key). `key` is not one: `SECRET_KEY` holds the key.
const NAMING_SUFFIXES: &[&str] = &[
    "name",
    "names",
    "ref",
    "refs",
    "reference",
    "references",
    "selector",
    "selectors",
    "seconds",
    "path",
    "paths",
    "file",
    "files",
    "dir",
    "type",
    "count",
    "length",
    "ttl",
    "expiry",
    "expiration",
    "timestamp",
    "mode",
    "size",
    "limit",
    "policy",
    "template",
    "optional",
    "url",
    "uri",
    "endpoint",
    "secrets",
    "tokens",
];

/// Fields of an object reference (`LocalObjectReference`, `SecretKeySelector`,
/// `ObjectReference`), lower-cased without separators.
const REFERENCE_FIELDS: &[&str] = &[
    "name",
    "namespace",
    "key",
    "optional",
    "kind",
    "apiversion",
    "apigroup",
    "uid",
    "resourceversion",
    "fieldpath",
];

/// Fields that describe a credential's form rather than hold it (cert-manager's
/// `privateKey.algorithm`, a projected `serviceAccountToken.audience`, Crossplane's
/// `credentials.source`), lower-cased without separators.
const DESCRIPTIVE_FIELDS: &[&str] = &[
    "algorithm",
    "encoding",
    "format",
    "audience",
    "audiences",
    "usages",
    "source",
];

/// Nesting depth up to which YAML and flow collections in text are followed.
const MAX_DEPTH: usize = 32;

/// The name lower-cased, only its letters and digits.
fn squash(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether the name contains a credential word ([`CREDENTIAL_WORDS`], or `key` after one of
/// [`KEY_QUALIFIERS`]).
fn has_credential_word(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if CREDENTIAL_WORDS.iter().any(|w| lower.contains(w)) {
        return true;
    }
    let squashed = squash(name);
    KEY_QUALIFIERS.iter().any(|q| {
        squashed
            .match_indices(q)
            .any(|(i, _)| squashed[i + q.len()..].starts_with("key"))
    })
}

/// Whether the name ends with a word of [`NAMING_SUFFIXES`].
fn is_naming(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    NAMING_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

/// Whether an env var name or a field key looks like it holds a credential: it contains a
/// credential word — `PASSWORD`, `PASSWD`, `PWD`, `PASSPHRASE`, `SECRET`, `TOKEN`,
/// `CREDENTIAL`, or `KEY` after `API`, `ACCESS`, `PRIVATE`, `SIGNING`, `ENCRYPTION`, `HMAC`,
/// `MASTER`, `AUTH` (any case, `_`/`-`/`.`/space/none between words) — and does not end
/// with a word that names or describes one (`secretName`, `secretKeyRef`, `tokenPath`,
/// `passwordFile`, …). A name ending in `key` with a credential word holds the key
/// (`SECRET_KEY`, `secretKey`, `client_secret_key`).
pub fn is_credential_name(name: &str) -> bool {
    has_credential_word(name) && !is_naming(name)
}

/// Whether an array or object under this key is a collection of credentials: a credential
/// name, or a plural that names credentials when it holds a string (`secrets`,
/// `imagePullSecrets`, `tokens`); references beneath stay (see [`is_reference`]).
fn is_collection_key(name: &str) -> bool {
    if is_credential_name(name) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    (lower.ends_with("secrets") || lower.ends_with("tokens")) && has_credential_word(name)
}

/// A field that describes rather than holds a credential (see [`DESCRIPTIVE_FIELDS`]).
fn is_descriptive_key(name: &str) -> bool {
    is_naming(name) || DESCRIPTIVE_FIELDS.contains(&squash(name).as_str())
}

/// A field an object reference may have: [`REFERENCE_FIELDS`] or a descriptive one.
fn is_reference_key(name: &str) -> bool {
    REFERENCE_FIELDS.contains(&squash(name).as_str()) || is_descriptive_key(name)
}

/// Whether a JSON value under a credential collection key only refers to credentials: an
/// object whose every field is a reference field ([`is_reference_key`]) or holds references
/// itself, or an array of such objects.
fn is_reference(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            !m.is_empty()
                && m.iter().all(|(k, x)| {
                    is_reference_key(k)
                        || (matches!(x, Value::Object(_) | Value::Array(_)) && is_reference(x))
                })
        }
        Value::Array(a) => a
            .iter()
            .all(|x| matches!(x, Value::Object(_)) && is_reference(x)),
        _ => false,
    }
}

/// Whether a YAML block scalar indicator (`|`, `|-`, `>+`, `|2`, ...) is all the value is.
fn is_block_indicator(v: &str) -> bool {
    let mut b = v.bytes();
    matches!(b.next(), Some(b'|' | b'>'))
        && v.len() <= 3
        && b.all(|c| c.is_ascii_digit() || c == b'+' || c == b'-')
}

static PEM_BEGIN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----").unwrap());
static PEM_END: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----").unwrap());
/// What may stand before a log line's content: a `--timestamps` time (RFC 3339) and a CRI
/// log file's `stdout F ` tag, each followed by one space.
static LOG_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:?\d\d) )?(?:(?:stdout|stderr) [FP] )?")
        .unwrap()
});
/// Candidates for key material: runs of base64 and name characters (only the pure base64
/// ones count, see [`is_key_material`]).
static BASE64_RUN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9+/_.~%-]{40,}=*").unwrap());
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
        &r#"(?i)(/?)\b([A-Za-z0-9_.-]*CRED[A-Za-z0-9_.-]*)(\\?["']?[ \t]*[:=][ \t]*)("(?:[^"\\\n]|\\.)*"|'[^'\n]*'|\\"(?:[^"\\\n]|\\[^"])*\\"|\\?["']?[^\s"'<,;&{}\[\]\\]+)((?:[ \t]+bytes\b)?)"#
            .replace("CRED", CREDENTIAL_RE),
    )
    .unwrap()
});
/// A credential-looking key followed by a flow collection or JSON array/object.
static FLOW_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        &r#"(?i)([A-Za-z0-9_.-]*CRED[A-Za-z0-9_.-]*)\\?["']?[ \t]*[:=][ \t]*[\[{]"#
            .replace("CRED", CREDENTIAL_RE),
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
    fn step<'a>(out: Cow<'a, str>, f: fn(&str) -> Option<String>) -> Cow<'a, str> {
        match f(&out) {
            Some(o) => Cow::Owned(o),
            None => out,
        }
    }
    out = step(out, pem_lines);
    out = step(out, yaml_blocks);
    out = step(out, flow_collections);
    out = apply(out, &TOKENS, |_| REDACTED.to_string());
    out = apply(out, &URL_PASSWORD, |c| format!("{}:{REDACTED}@", &c[1]));
    out = apply(out, &AUTH_SCHEME, |c| {
        let prefix = c.get(1).or(c.get(2)).map_or("", |m| m.as_str());
        format!("{prefix}{REDACTED}")
    });
    out = apply(out, &KEY_VALUE, |c| {
        let v = &c[4];
        // The value's quotes (`"…"`, `'…'`, `\"…\"` of JSON in a JSON string) stay.
        let q = if v.starts_with("\\\"") && v.ends_with("\\\"") && v.len() >= 4 {
            2
        } else if (v.starts_with('"') && v.ends_with('"')
            || v.starts_with('\'') && v.ends_with('\''))
            && v.len() >= 2
        {
            1
        } else {
            0
        };
        let (open, inner, close) = (&v[..q], &v[q..v.len() - q], &v[v.len() - q..]);
        let lower = inner.to_ascii_lowercase();
        // `/etc/passwd: ...` is a path, not a key; `password: |` opens a block (above).
        if &c[1] == "/"
            || !is_credential_name(&c[2])
            || inner.is_empty()
            || inner.starts_with('<')
            || matches!(lower.as_str(), "true" | "false" | "null")
            || is_block_indicator(inner)
            // `kubectl describe secret`'s `password:  8 bytes`: a size, not the value.
            || (!c[5].is_empty() && inner.bytes().all(|b| b.is_ascii_digit()))
        {
            c[0].to_string()
        } else {
            format!("{}{}{open}{REDACTED}{close}{}", &c[2], &c[3], &c[5])
        }
    });
    out = step(out, base64_runs);
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

/// Which upper-case letters, lower-case letters and digits a string has.
fn char_classes(t: &str) -> (bool, bool, bool) {
    (
        t.bytes().any(|c| c.is_ascii_uppercase()),
        t.bytes().any(|c| c.is_ascii_lowercase()),
        t.bytes().any(|c| c.is_ascii_digit()),
    )
}

/// The length of a log line's `--timestamps` / CRI prefix ([`LOG_PREFIX`]).
fn log_prefix(line: &str) -> usize {
    if line.starts_with(|c: char| c.is_ascii_digit() || c == 's') {
        LOG_PREFIX.find(line).map_or(0, |m| m.end())
    } else {
        0
    }
}

/// A PEM body line (RFC 7468 wraps at 64; 76 for MIME): 16–76 base64 characters with
/// upper and lower case and a digit, `+`, `/` or padding; not all hex.
fn is_pem_body(line: &str) -> bool {
    let core = line.trim_end_matches('=');
    let padded = core.len() < line.len();
    if !(16..=76).contains(&core.len())
        || line.len() - core.len() > 2
        || !core
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
        || core.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return false;
    }
    let (upper, lower, digit) = char_classes(core);
    upper && lower && (digit || padded || core.contains(['+', '/']))
}

/// PEM body lines next to another one or to a PEM marker, e.g. a key whose markers a
/// `--tail` or `--limit-bytes` cut off. Each is replaced, its log prefix kept.
fn pem_lines(s: &str) -> Option<String> {
    if !s.contains('\n') {
        return None; // a lone line is left to `base64_runs`
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Body,
        Marker,
        Other,
    }
    let lines: Vec<(&str, usize, usize, Kind)> = s
        .split_inclusive('\n')
        .map(|line| {
            let content = line.trim_end_matches(['\n', '\r']);
            let after = &content[log_prefix(content)..];
            let body = after.trim();
            let prefix = content.len() - after.trim_start().len();
            let kind = if (body.starts_with("-----BEGIN ") || body.starts_with("-----END "))
                && body.ends_with("-----")
            {
                Kind::Marker
            } else if is_pem_body(body) {
                Kind::Body
            } else {
                Kind::Other
            };
            (line, prefix, prefix + body.len(), kind)
        })
        .collect();
    let near = |i: usize| {
        let k = lines[i].3;
        k == Kind::Body || k == Kind::Marker
    };
    let mut out = String::with_capacity(s.len());
    let mut changed = false;
    for (i, &(line, prefix, end, kind)) in lines.iter().enumerate() {
        if kind == Kind::Body && ((i > 0 && near(i - 1)) || (i + 1 < lines.len() && near(i + 1))) {
            out.push_str(&line[..prefix]);
            out.push_str(REDACTED);
            out.push_str(&line[end..]);
            changed = true;
        } else {
            out.push_str(line);
        }
    }
    changed.then_some(out)
}

/// Whether a run of base64 characters is key material (see the module docs): 40 or more
/// characters, not all hex, and either with `+`/`/`, two character classes and not a path,
/// or with all three classes and not made of words ([`is_wordy`]).
fn is_key_material(t: &str) -> bool {
    if t.len() < 40
        || !t
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'+' || c == b'/')
        || t.bytes().all(|c| c.is_ascii_hexdigit())
    {
        return false;
    }
    let (upper, lower, digit) = char_classes(t);
    if t.contains(['+', '/']) {
        let path = !t.contains('+')
            && t.split('/').all(|seg| {
                let (u, l, d) = char_classes(seg);
                !(u && l && d)
            });
        !path && (upper as u8 + lower as u8 + digit as u8) >= 2
    } else {
        upper && lower && digit && !is_wordy(t)
    }
}

/// Whether most of a string is made of words (`[A-Z]?[a-z]{3,}`): a long CamelCase
/// identifier (`FailedCreatePodSandBox…`), not random base64 (which is wordy for about one
/// run of 40 characters in 200, one of 64 in 1,000).
fn is_wordy(t: &str) -> bool {
    let b = t.as_bytes();
    let (mut i, mut covered) = (0, 0);
    while i < b.len() {
        let start = if b[i].is_ascii_uppercase() { i + 1 } else { i };
        let mut end = start;
        while end < b.len() && b[end].is_ascii_lowercase() {
            end += 1;
        }
        if end - start >= 3 {
            covered += end - i;
            i = end;
        } else {
            i += 1;
        }
    }
    covered * 2 > b.len()
}

/// How every Kubernetes list continue token starts: base64 of `{"v":"meta.k8s.io/v1","rv":`
/// (apiserver `storage.EncodeContinue`).
const CONTINUE_TOKEN_PREFIX: &str = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6";

/// Runs of base64 that are key material ([`is_key_material`]), replaced whole (padding
/// included).
fn base64_runs(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut last = 0;
    let mut changed = false;
    for m in BASE64_RUN.find_iter(s) {
        let mut start = m.start();
        let mut run = m.as_str();
        // `\n` of a JSON string printed as text: the escape is not part of the run.
        if start > 0 && b[start - 1] == b'\\' && matches!(run.as_bytes()[0], b'n' | b'r' | b't') {
            start += 1;
            run = &run[1..];
        }
        // `scheme://host/path`.
        if start > 0 && b[start - 1] == b':' && run.starts_with("//") {
            continue;
        }
        let run = run.trim_end_matches('.'); // the end of a sentence
        // A list's continue token (`metadata.continue`, `--continue=`): base64 of the API
        // server's `{"v":"meta.k8s.io/v1","rv":…}`, needed to read the next page.
        if run.starts_with(CONTINUE_TOKEN_PREFIX) || !is_key_material(run.trim_end_matches('=')) {
            continue;
        }
        out.push_str(&s[last..start]);
        out.push_str(REDACTED);
        last = start + run.len();
        changed = true;
    }
    changed.then(|| {
        out.push_str(&s[last..]);
        out
    })
}

/// A YAML or JSON value found in text, as far as redaction needs it: scalars are byte
/// ranges of the text (quotes included).
enum Node {
    Scalar(Range<usize>),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
    Empty,
}

/// The ranges to redact under a node walked normally: scalars under credential names,
/// collections under credential collection keys (the same rules as [`json_value`]).
fn node_normal(s: &str, n: &Node, out: &mut Vec<Range<usize>>) {
    match n {
        Node::Map(entries) => entries
            .iter()
            .for_each(|(k, v)| node_normal_entry(s, k, v, out)),
        Node::Seq(items) => items.iter().for_each(|x| node_normal(s, x, out)),
        Node::Scalar(_) | Node::Empty => {}
    }
}

/// The ranges to redact under a credential collection (the rule of [`redact_tree`]).
fn node_redact(s: &str, n: &Node, out: &mut Vec<Range<usize>>) {
    match n {
        Node::Scalar(r) => push_scalar(s, r, out),
        Node::Seq(items) => items.iter().for_each(|x| node_redact(s, x, out)),
        Node::Map(_) if node_is_reference(n) => node_normal(s, n, out),
        Node::Map(entries) => {
            for (k, v) in entries {
                if is_descriptive_key(k) {
                    node_normal_entry(s, k, v, out);
                } else {
                    node_redact(s, v, out);
                }
            }
        }
        Node::Empty => {}
    }
}

/// One `key: value` entry walked normally.
fn node_normal_entry(s: &str, k: &str, v: &Node, out: &mut Vec<Range<usize>>) {
    match v {
        Node::Scalar(r) if is_credential_name(k) => push_scalar(s, r, out),
        Node::Seq(_) | Node::Map(_) if is_collection_key(k) => node_redact(s, v, out),
        _ => node_normal(s, v, out),
    }
}

/// [`is_reference`] for a node.
fn node_is_reference(n: &Node) -> bool {
    match n {
        Node::Map(entries) => {
            !entries.is_empty()
                && entries.iter().all(|(k, v)| {
                    is_reference_key(k)
                        || (matches!(v, Node::Map(_) | Node::Seq(_)) && node_is_reference(v))
                })
        }
        Node::Seq(items) => items
            .iter()
            .all(|x| matches!(x, Node::Map(_)) && node_is_reference(x)),
        _ => false,
    }
}

/// A scalar's range to redact, without its quotes; nothing for empty values, booleans,
/// nulls and `<…>` placeholders.
fn push_scalar(s: &str, r: &Range<usize>, out: &mut Vec<Range<usize>>) {
    let t = &s[r.clone()];
    let trimmed = t.trim();
    let mut start = r.start + (t.len() - t.trim_start().len());
    let mut end = start + trimmed.len();
    for q in ["\\\"", "\"", "'"] {
        if trimmed.len() >= 2 * q.len() && trimmed.starts_with(q) && trimmed.ends_with(q) {
            start += q.len();
            end -= q.len();
            break;
        }
    }
    let v = &s[start..end];
    if v.is_empty()
        || v.starts_with('<')
        || ["true", "false", "null", "~"]
            .iter()
            .any(|w| v.eq_ignore_ascii_case(w))
    {
        return;
    }
    out.push(start..end);
}

/// The text with every range replaced by [`REDACTED`] (overlaps skipped); `None` when
/// there are none.
fn apply_ranges(s: &str, mut ranges: Vec<Range<usize>>) -> Option<String> {
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_by_key(|r| (r.start, std::cmp::Reverse(r.end)));
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for r in ranges {
        if r.start < last {
            continue;
        }
        out.push_str(&s[last..r.start]);
        out.push_str(REDACTED);
        last = r.end;
    }
    out.push_str(&s[last..]);
    Some(out)
}

/// Skips spaces and line breaks.
fn skip_ws(b: &[u8], mut p: usize) -> usize {
    while p < b.len() && matches!(b[p], b' ' | b'\t' | b'\r' | b'\n') {
        p += 1;
    }
    p
}

/// The end (exclusive) of a quoted string starting at `p`: `"…"` with backslash escapes,
/// `'…'` with `''`, or `\"…\"` (JSON inside a JSON string).
fn quoted_end(b: &[u8], p: usize) -> Option<usize> {
    let mut i = p + 1;
    match b.get(p)? {
        b'"' => {
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return Some(i + 1),
                    _ => i += 1,
                }
            }
            None
        }
        b'\'' => {
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return Some(i + 1);
                }
                i += 1;
            }
            None
        }
        b'\\' if b.get(p + 1) == Some(&b'"') => {
            i = p + 2;
            while i + 1 < b.len() {
                if b[i] == b'\\' && b[i + 1] == b'"' {
                    return Some(i + 2);
                }
                i += 1;
            }
            None
        }
        _ => None,
    }
}

/// A parsed flow value and where it ends, or where it stopped parsing.
type Parsed<T> = Result<(T, usize), usize>;

/// A flow collection (`[a, b]`, `{user: x, pass: y}`, JSON) starting at `p`, and where it
/// ends; or where it failed to parse. A collection cut off by the end of `s` (a truncated
/// log) is what was read so far.
fn flow(s: &str, p: usize, depth: usize) -> Parsed<Node> {
    let b = s.as_bytes();
    let close = match b.get(p) {
        Some(b'[') => b']',
        Some(b'{') => b'}',
        _ => return Err(p),
    };
    if depth > MAX_DEPTH {
        return Err(p);
    }
    let mut items = Vec::new();
    let mut entries = Vec::new();
    let mut q = p + 1;
    let end = loop {
        q = skip_ws(b, q);
        let Some(&c) = b.get(q) else { break q };
        if c == close {
            break q + 1;
        }
        if close == b'}' {
            let (key, k_end) = match flow_key(s, q) {
                Ok(k) => k,
                Err(e) if e >= b.len() => break b.len(),
                Err(e) => return Err(e),
            };
            q = skip_ws(b, k_end);
            match b.get(q) {
                Some(b':') => {}
                None => break q,
                Some(_) => return Err(q),
            }
            q = skip_ws(b, q + 1);
            let (v, v_end) = match b.get(q) {
                None | Some(b',' | b'}') => (Node::Empty, q),
                Some(_) => flow_item(s, q, depth)?,
            };
            entries.push((key, v));
            q = v_end;
        } else {
            let (v, v_end) = flow_item(s, q, depth)?;
            items.push(v);
            q = v_end;
        }
        q = skip_ws(b, q);
        match b.get(q) {
            None => break q,
            Some(b',') => q += 1,
            Some(&c) if c == close => break q + 1,
            Some(_) => return Err(q),
        }
    };
    let node = if close == b'}' {
        Node::Map(entries)
    } else {
        Node::Seq(items)
    };
    Ok((node, end))
}

/// One value in a flow collection; an unterminated quoted string runs to the end of `s`.
fn flow_item(s: &str, p: usize, depth: usize) -> Parsed<Node> {
    let b = s.as_bytes();
    let quoted = |p: usize| {
        let e = quoted_end(b, p).unwrap_or(b.len());
        Ok((Node::Scalar(p..e), e))
    };
    match b.get(p) {
        Some(b'[' | b'{') => flow(s, p, depth + 1),
        Some(b'"' | b'\'') => quoted(p),
        Some(b'\\') if b.get(p + 1) == Some(&b'"') => quoted(p),
        _ => {
            let mut q = p;
            while q < b.len() && !matches!(b[q], b',' | b']' | b'}' | b'\n') {
                q += 1;
            }
            let t = s[p..q].trim_end();
            Ok((Node::Scalar(p..p + t.len()), q))
        }
    }
}

/// A key in a flow mapping, quotes removed, and where it ends; or where it failed (the end
/// of `s` when cut off).
fn flow_key(s: &str, p: usize) -> Parsed<String> {
    let b = s.as_bytes();
    match b.get(p) {
        Some(b'"' | b'\'' | b'\\') => {
            let e = quoted_end(b, p).ok_or(b.len())?;
            Ok((s[p..e].trim_matches(['"', '\'', '\\']).to_string(), e))
        }
        _ => {
            let mut q = p;
            while q < b.len() && !matches!(b[q], b':' | b',' | b'}' | b']' | b'[' | b'{' | b'\n') {
                q += 1;
            }
            match b.get(q) {
                Some(b':') => Ok((s[p..q].trim().to_string(), q)),
                _ => Err(q),
            }
        }
    }
}

/// Flow collections and JSON arrays/objects under credential keys in text
/// (`passwords: [a, b]`, `{"credentials": {"user": "x"}}`).
fn flow_collections(s: &str) -> Option<String> {
    if !s.contains(['[', '{']) {
        return None;
    }
    let mut ranges = Vec::new();
    let mut next = 0;
    for c in FLOW_KEY.captures_iter(s) {
        let open = c.get(0).map_or(0, |m| m.end() - 1);
        let key = &c[1];
        if open < next || !is_collection_key(key) {
            continue;
        }
        // Past a collection, or past what a failed parse read: linear in the text.
        next = match flow(s, open, 0) {
            Ok((node, end)) => {
                node_normal_entry(s, key, &node, &mut ranges);
                end
            }
            Err(stop) => stop.max(open + 1),
        };
    }
    apply_ranges(s, ranges)
}

/// One non-blank line of a YAML block: its column and where its content starts and ends
/// (bytes in the whole text, trailing spaces excluded).
#[derive(Clone, Copy)]
struct Line {
    col: usize,
    start: usize,
    end: usize,
}

/// Whether a line's content (after its indentation) is a block sequence entry.
fn is_dash(t: &str) -> bool {
    t == "-" || t.starts_with("- ") || t.starts_with("-\t")
}

/// The length of a sequence entry's `-` and the spaces after it.
fn dash_len(t: &str) -> usize {
    1 + (t.len() - 1 - t[1..].trim_start_matches([' ', '\t']).len())
}

/// `key: value` (YAML): the key (quotes removed) and the value's range within `t`, its
/// comment and trailing spaces removed; `None` when `t` is not a mapping entry.
fn split_kv(t: &str) -> Option<(&str, Range<usize>)> {
    let b = t.as_bytes();
    let (key, colon) = match *b.first()? {
        b'"' | b'\'' => {
            let end = quoted_end(b, 0)?;
            let colon = skip_ws(b, end);
            (b.get(colon) == Some(&b':')).then_some(())?;
            (&t[1..end - 1], colon)
        }
        b'#' | b'[' | b'{' | b'|' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' => return None,
        _ => {
            let colon = (0..b.len()).find(|&i| {
                b[i] == b':' && b.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\t')
            })?;
            let key = t[..colon].trim_end();
            if key.is_empty() || key.contains(" #") {
                return None;
            }
            (key, colon)
        }
    };
    if b.get(colon + 1).is_some_and(|c| *c != b' ' && *c != b'\t') {
        return None;
    }
    let vs = skip_ws(b, (colon + 1).min(b.len()));
    let ve = match b.get(vs) {
        Some(b'"' | b'\'') => quoted_end(b, vs).unwrap_or(b.len()),
        _ => {
            let rest = &t[vs..];
            let cut = [" #", "\t#"]
                .iter()
                .filter_map(|c| rest.find(c))
                .min()
                .unwrap_or(rest.len());
            vs + rest[..cut].trim_end().len()
        }
    };
    Some((key, vs..ve))
}

/// A YAML block node made of `lines` (all more indented than its parent); lines no shape
/// explains become one more node of a sequence.
fn parse_block(s: &str, lines: &[Line], depth: usize) -> Node {
    let (Some(first), Some(last)) = (lines.first(), lines.last()) else {
        return Node::Empty;
    };
    if depth > MAX_DEPTH {
        return Node::Scalar(first.start..last.end);
    }
    let (node, used) = parse_one(s, lines, depth);
    if used >= lines.len() {
        node
    } else {
        Node::Seq(vec![node, parse_block(s, &lines[used.max(1)..], depth + 1)])
    }
}

/// The first node of `lines` (a block sequence, a block mapping or a plain scalar) and how
/// many lines it used.
fn parse_one(s: &str, lines: &[Line], depth: usize) -> (Node, usize) {
    let first = lines[0];
    let col = first.col;
    let content = |l: &Line| &s[l.start..l.end];
    if is_dash(content(&first)) {
        let mut items = Vec::new();
        let mut i = 0;
        while i < lines.len() && lines[i].col == col && is_dash(content(&lines[i])) {
            let l = lines[i];
            let mut j = i + 1;
            while j < lines.len() && lines[j].col > col {
                j += 1;
            }
            let d = dash_len(content(&l));
            let mut sub = Vec::with_capacity(j - i);
            if l.start + d < l.end {
                sub.push(Line {
                    col: col + d,
                    start: l.start + d,
                    end: l.end,
                });
            }
            sub.extend_from_slice(&lines[i + 1..j]);
            items.push(parse_block(s, &sub, depth + 1));
            i = j;
        }
        return (Node::Seq(items), i);
    }
    if split_kv(content(&first)).is_some() {
        let mut entries = Vec::new();
        let mut i = 0;
        while i < lines.len() && lines[i].col == col {
            let l = lines[i];
            let t = content(&l);
            if is_dash(t) {
                break;
            }
            let Some((key, vr)) = split_kv(t) else { break };
            let (vs, ve) = (l.start + vr.start, l.start + vr.end);
            let val = &s[vs..ve];
            let mut j = i + 1;
            while j < lines.len()
                && (lines[j].col > col
                    || (lines[j].col == col && val.is_empty() && is_dash(content(&lines[j]))))
            {
                j += 1;
            }
            let children = &lines[i + 1..j];
            let node = if is_block_indicator(val) {
                match (children.first(), children.last()) {
                    (Some(a), Some(z)) => Node::Scalar(a.start..z.end),
                    _ => Node::Empty,
                }
            } else if val.is_empty() {
                parse_block(s, children, depth + 1)
            } else {
                let flowed = if val.starts_with(['[', '{']) {
                    // Within its line: a stray `[` does not swallow the text after it.
                    flow(&s[..ve], vs, depth + 1).ok().map(|(n, _)| n)
                } else {
                    None
                };
                flowed.unwrap_or_else(|| Node::Scalar(vs..children.last().map_or(ve, |z| z.end)))
            };
            entries.push((key.to_string(), node));
            i = j;
        }
        if i > 0 {
            return (Node::Map(entries), i);
        }
    }
    let last = lines[lines.len() - 1];
    (Node::Scalar(first.start..last.end), lines.len())
}

/// Whether a block's first line is that of a `kubectl describe` section (a container or
/// a volume named `secret-sync`, `tokenizer`, ...): a capitalised key whose value is aligned
/// by two spaces or more (`Container ID:  …`, `Type:        Secret`). Such sections were
/// rendered from objects redacted structurally before.
fn is_describe_section(first: &str) -> bool {
    let Some((key, after)) = first.split_once(':') else {
        return false;
    };
    key.starts_with(|c: char| c.is_ascii_uppercase())
        && key
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b" ()/-".contains(&c))
        && (after.starts_with("  ") || after.starts_with('\t'))
}

/// YAML under credential keys in text: block scalars (`password: |`), plain scalars on the
/// next lines, block sequences and mappings (`passwords:` + `- a`).
fn yaml_blocks(s: &str) -> Option<String> {
    if !s.contains('\n') || !s.contains(':') {
        return None;
    }
    let mut lines = Vec::new();
    let mut pos = 0;
    for l in s.split_inclusive('\n') {
        lines.push((pos, pos + l.trim_end().len()));
        pos += l.len();
    }
    let indent = |t: &str| t.len() - t.trim_start_matches([' ', '\t']).len();
    let mut ranges = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let (ls, le) = lines[i];
        i += 1;
        let t = &s[ls..le];
        let t = &t[log_prefix(t)..];
        let mut col = indent(t);
        let mut rest = &t[col..];
        while is_dash(rest) {
            let d = dash_len(rest);
            col += d;
            rest = &rest[d..];
        }
        let Some((key, vr)) = split_kv(rest) else {
            continue;
        };
        let val = &rest[vr];
        let block_scalar = is_block_indicator(val);
        if !(block_scalar || val.is_empty()) || !is_collection_key(key) {
            continue;
        }
        let mut block = Vec::new();
        let mut same_col_seq = false;
        let mut j = i;
        let mut end = i;
        while j < lines.len() {
            let (bs, be) = lines[j];
            let bt = &s[bs..be];
            let bs = bs + log_prefix(bt);
            let bt = &s[bs..be];
            j += 1;
            if bt.trim().is_empty() {
                continue;
            }
            let ind = indent(bt);
            let dash = is_dash(&bt[ind..]);
            let belongs = ind > col
                || (!block_scalar && ind == col && dash && (block.is_empty() || same_col_seq));
            if !belongs {
                break;
            }
            same_col_seq |= block.is_empty() && ind == col;
            block.push(Line {
                col: ind,
                start: bs + ind,
                end: be,
            });
            end = j;
        }
        let (Some(a), Some(z)) = (block.first(), block.last()) else {
            continue;
        };
        if !block_scalar && is_describe_section(&s[a.start..a.end]) {
            i = end;
            continue;
        }
        let node = if block_scalar {
            Node::Scalar(a.start..z.end)
        } else {
            parse_block(s, &block, 0)
        };
        node_normal_entry(s, key, &node, &mut ranges);
        i = end;
    }
    apply_ranges(s, ranges)
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
            let is_table = kind == "Table";
            if is_secret {
                for field in ["data", "stringData"] {
                    if let Some(Value::Object(d)) = m.get_mut(field) {
                        for val in d.values_mut() {
                            if !val.as_str().is_some_and(|s| s.starts_with("<redacted")) {
                                *val = Value::String(secret_value_marker(field, val));
                                changed = true;
                            }
                        }
                    }
                }
            }
            if is_table {
                changed |= table_cells(m);
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
                        // Already redacted (`<redacted>`, a Secret's `<redacted: N bytes>`).
                        if !s.starts_with("<redacted") {
                            *s = REDACTED.into();
                            changed = true;
                        }
                    }
                    Value::Number(_) if is_credential_name(k) => {
                        *val = Value::String(REDACTED.into());
                        changed = true;
                    }
                    Value::Array(_) | Value::Object(_)
                        if is_collection_key(k) && !is_reference(val) =>
                    {
                        changed |= redact_tree(val);
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

/// What a Secret's value becomes: `<redacted: N bytes>`, N the value's size as `kubectl
/// describe secret` prints it (the decoded size of a base64 `data` value, the length of a
/// `stringData` value), so key names and sizes stay visible and values never do.
pub fn secret_value_marker(field: &str, val: &Value) -> String {
    let size = match val.as_str() {
        // Decoded length of base64 text: 3 bytes per 4 characters, padding not counted.
        Some(s) if field == "data" => {
            let chars = s.bytes().filter(|b| !b.is_ascii_whitespace() && *b != b'=');
            chars.count() * 3 / 4
        }
        Some(s) => s.len(),
        None => 0,
    };
    format!("<redacted: {size} bytes>")
}

/// Everything under a credential collection key (see the module docs): strings and numbers
/// become [`REDACTED`], except in references ([`is_reference`]) and under descriptive fields,
/// which are redacted as usual ([`json_value`]).
fn redact_tree(v: &mut Value) -> bool {
    if matches!(v, Value::Object(_)) && is_reference(v) {
        return json_value(v, false);
    }
    match v {
        Value::String(s) => {
            let hide = !s.is_empty() && !s.starts_with("<redacted");
            if hide {
                *s = REDACTED.into();
            }
            hide
        }
        Value::Number(_) => {
            *v = Value::String(REDACTED.into());
            true
        }
        Value::Array(a) => a.iter_mut().fold(false, |c, x| redact_tree(x) | c),
        Value::Object(m) => m.iter_mut().fold(false, |c, (k, x)| {
            let changed = if is_descriptive_key(k) {
                json_value(x, false)
            } else {
                redact_tree(x)
            };
            changed | c
        }),
        Value::Bool(_) | Value::Null => false,
    }
}

/// A `Table`'s cells under columns whose name is a credential name (`Password`,
/// `Secret-Key`, `API Token`); `<none>`-like placeholders, booleans and nulls stay.
fn table_cells(m: &mut Map<String, Value>) -> bool {
    let Some(Value::Array(defs)) = m.get("columnDefinitions") else {
        return false;
    };
    let columns: Vec<usize> = defs
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            d.get("name")
                .and_then(Value::as_str)
                .is_some_and(|n| is_credential_name(&n.replace([' ', '-'], "_")))
        })
        .map(|(i, _)| i)
        .collect();
    if columns.is_empty() {
        return false;
    }
    let Some(Value::Array(rows)) = m.get_mut("rows") else {
        return false;
    };
    let mut changed = false;
    for row in rows {
        let Some(Value::Array(cells)) = row.get_mut("cells") else {
            continue;
        };
        for &i in &columns {
            match cells.get_mut(i) {
                Some(Value::String(s)) if s.starts_with('<') && s.ends_with('>') => {}
                Some(cell) => changed |= redact_tree(cell),
                None => {}
            }
        }
    }
    changed
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

/// The answer of a Secret read by a plugin granted Secret keys
/// ([`crate::capabilities::kube::scope::KubeScope::secret_keys`]): every Secret in `body` (a
/// `Secret` or a `SecretList`) is redacted as [`kube_body`] redacts Secrets, then loses
/// `data`; a Secret that carries every label key of `release.labels` gets `stringData` with
/// only `release.keys`, base64-decoded (values that are not UTF-8 are left out; credential
/// patterns inside a value, such as a password in a URL, are redacted by [`text`]).
///
/// Returns the body and the keys released (sorted, deduplicated) with the number of Secrets
/// that released any, for the audit record. A body that is not JSON is replaced by a marker.
pub fn release_secret_keys(
    body: String,
    release: &crate::capabilities::kube::scope::SecretRelease,
) -> (String, Vec<String>, usize) {
    use base64::Engine as _;
    let Ok(mut v) = serde_json::from_str::<Value>(&body) else {
        return (
            "<redacted: unparseable Secret response>".into(),
            Vec::new(),
            0,
        );
    };
    let mut released: Vec<String> = Vec::new();
    let mut count = 0;
    let mut one = |secret: &mut Value| {
        let data = secret.get("data").cloned();
        let eligible = release.labels.iter().all(|l| {
            secret
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .is_some_and(|m| m.contains_key(l))
        });
        json_value(secret, true);
        let Some(m) = secret.as_object_mut() else {
            return;
        };
        m.remove("data");
        m.remove("stringData");
        if !eligible {
            return;
        }
        let mut out = serde_json::Map::new();
        for k in &release.keys {
            let decoded = data
                .as_ref()
                .and_then(|d| d.get(k))
                .and_then(Value::as_str)
                .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let Some(val) = decoded {
                out.insert(k.clone(), Value::String(text(&val).into_owned()));
                released.push(k.clone());
            }
        }
        if !out.is_empty() {
            count += 1;
            m.insert("stringData".into(), Value::Object(out));
        }
    };
    match v.get("kind").and_then(Value::as_str) {
        Some("SecretList") | None if v.get("items").is_some() => {
            if let Some(items) = v.get_mut("items").and_then(Value::as_array_mut) {
                for item in items {
                    one(item);
                }
            }
            // The list's own fields (metadata.continue, ...) carry no values.
        }
        _ => one(&mut v),
    }
    released.sort();
    released.dedup();
    (v.to_string(), released, count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn granted_secret_keys_are_released_decoded_and_nothing_else() {
        use crate::capabilities::kube::scope::SecretRelease;
        let b = |s: &str| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s);
        let list = json!({"kind": "SecretList", "apiVersion": "v1", "metadata": {}, "items": [
            {"metadata": {"name": "repo-1", "labels": {"argocd.argoproj.io/secret-type": "repository"},
              "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"password\":\"aHVudGVyMg==\"}}"}},
             "data": {"url": b("https://git.example.com/app.git"), "password": b("hunter2"), "sshPrivateKey": b("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----")}},
            {"metadata": {"name": "other"}, "data": {"url": b("https://x"), "token": b("t0ken")}},
            {"metadata": {"name": "repo-2", "labels": {"argocd.argoproj.io/secret-type": "repository"}},
             "data": {"url": b("https://user:s3cret@git.example.com/b.git"), "name": b("b")}}
        ]});
        let release = SecretRelease {
            keys: vec!["url".into(), "name".into()],
            labels: vec!["argocd.argoproj.io/secret-type".into()],
        };
        let (out, keys, n) = release_secret_keys(list.to_string(), &release);
        for gone in [
            "hunter2",
            "aHVudGVyMg",
            "abc",
            "t0ken",
            "s3cret",
            "\"data\"",
        ] {
            assert!(!out.contains(gone), "{gone} in {out}");
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["items"][0]["stringData"],
            json!({"url": "https://git.example.com/app.git"})
        );
        assert!(
            v["items"][1].get("stringData").is_none(),
            "an unlabelled Secret releases nothing"
        );
        assert_eq!(v["items"][2]["stringData"]["name"], "b");
        assert_eq!(keys, ["name", "url"]);
        assert_eq!(n, 2);
        let (out, _, _) = release_secret_keys("not json".into(), &release);
        assert!(out.starts_with("<redacted"));
    }

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
                .contains(r#""stringData":{"b":"<redacted: 5 bytes>"}"#)
        );
        // Values become their size, as `kubectl describe secret` prints it.
        assert_eq!(s["data"]["a"], "<redacted: 6 bytes>");
        assert_eq!(s["stringData"]["b"], "<redacted: 1 bytes>");
        // A credential-named key keeps its size (it is not redacted twice).
        let mut pw = json!({"kind": "Secret", "data": {"password": "aHVudGVyMg=="}});
        json_value(&mut pw, true);
        assert_eq!(pw["data"]["password"], "<redacted: 7 bytes>");
        // describe's sizes stay; a numeric value without `bytes` does not.
        assert_eq!(
            r("password:  8 bytes\ntoken:  18 bytes"),
            "password:  8 bytes\ntoken:  18 bytes"
        );
        assert_eq!(r("password: 123456"), "password: <redacted>");
        assert_eq!(
            secret_value_marker("data", &json!("YWJjZA==")),
            "<redacted: 4 bytes>"
        );
        assert_eq!(
            secret_value_marker("data", &json!("YWJjZGU=")),
            "<redacted: 5 bytes>"
        );
        assert_eq!(
            secret_value_marker("data", &json!("YWJjZGVm")),
            "<redacted: 6 bytes>"
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

    // Class 1: names ending in `key` hold the key; names ending in a naming word name one.
    #[test]
    fn credential_names_ending_in_key() {
        for n in [
            "SECRET_KEY",
            "AWS_SECRET_KEY",
            "secretKey",
            "secret_key",
            "SECRET-KEY",
            "client_secret_key",
            "signingKey",
            "privateKey",
            "accessKey",
            "ENCRYPTION_KEY",
            "hmac-key",
            "Secret Key",
            "SECRET_KEY_BASE",
            "passwordKey",
        ] {
            assert!(is_credential_name(n), "{n}");
        }
        for n in [
            "secretKeyRef",
            "secretKeySelector",
            "secretName",
            "tokenPath",
            "passwordFile",
            "secret_key_file",
            "key",
            "topologyKey",
            "publicKey",
            "sortKey",
            "cacheKey",
            "imagePullSecrets",
            "tokenExpirationSeconds",
            "passwordPolicy",
        ] {
            assert!(!is_credential_name(n), "{n}");
        }
    }

    #[test]
    fn key_named_values_in_objects() {
        let mut d = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{
        "env": [
            {"name": "SECRET_KEY", "value": "django-s3cr3t"},
            {"name": "AWS_SECRET_KEY", "value": "wJalrXUtnF"},
            {"name": "signingKey", "value": "sign-1234"},
            {"name": "SORT_KEY", "value": "created_at"},
            {"name": "API", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
        ]}]}}}});
        assert!(json_value(&mut d, false));
        let env = &d["spec"]["template"]["spec"]["containers"][0]["env"];
        for i in 0..3 {
            assert_eq!(env[i]["value"], REDACTED, "{i}");
        }
        assert_eq!(env[3]["value"], "created_at");
        assert_eq!(
            env[4]["valueFrom"]["secretKeyRef"],
            json!({"name": "db", "key": "password"})
        );
        let mut cm = json!({"kind": "ConfigMap", "data": {"secretKey": "abc123",
            "client-secret-key": "xyz789", "secretName": "db", "topologyKey": "zone",
            "tokenPath": "/var/run/token"}});
        assert!(json_value(&mut cm, false));
        assert_eq!(cm["data"]["secretKey"], REDACTED);
        assert_eq!(cm["data"]["client-secret-key"], REDACTED);
        assert_eq!(cm["data"]["secretName"], "db");
        assert_eq!(cm["data"]["topologyKey"], "zone");
        assert_eq!(cm["data"]["tokenPath"], "/var/run/token");
    }

    // Class 2: collections under credential keys.
    #[test]
    fn credential_collections_are_redacted() {
        let mut o = json!({"kind": "Database", "spec": {
            "passwords": ["hunter2", "swordfish"],
            "credentials": {"user": "admin", "pass": "s3cr3t", "port": 5432},
            "apiKeys": [{"id": "k1", "value": "abc123"}],
            "secrets": {"db": "plain-value"},
            "privateKey": {"pem": "MHcCAQEEIB", "algorithm": "ECDSA"},
            "password": 123456,
            "tls": {"enabled": true}
        }});
        assert!(json_value(&mut o, false));
        let spec = &o["spec"];
        let out = spec.to_string();
        for leak in [
            "hunter2",
            "swordfish",
            "admin",
            "s3cr3t",
            "5432",
            "k1",
            "abc123",
            "plain-value",
            "MHcCAQEEIB",
            "123456",
        ] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        assert_eq!(spec["passwords"], json!([REDACTED, REDACTED]));
        assert_eq!(spec["credentials"]["user"], REDACTED);
        assert_eq!(spec["privateKey"]["algorithm"], "ECDSA");
        assert_eq!(spec["tls"]["enabled"], true);
        // The same shapes in text: YAML flow, JSON, a block sequence and mapping.
        for (input, leaks) in [
            (r#"passwords: ["a1b2", "c3d4"]"#, &["a1b2", "c3d4"][..]),
            ("credentials: {user: x9, pass: y8}", &["x9", "y8"]),
            (r#"{"tokens": ["t0k3n"], "other": 1}"#, &["t0k3n"]),
            (
                "passwords:\n  - a1b2\n  - c3d4\nport: 80\n",
                &["a1b2", "c3d4"],
            ),
            (
                "credentials:\n  user: x9\n  pass: y8\nport: 80",
                &["x9", "y8"],
            ),
            ("- passwords:\n  - a1b2\n- name: ok", &["a1b2"]),
            ("db-passwords:\n  - a1b2\n  - c3d4", &["a1b2", "c3d4"]),
            // Cut off by `--limit-bytes`.
            (r#"{"passwords":["a1b2","c3d4"#, &["a1b2", "c3d4"]),
        ] {
            let out = r(input);
            for l in leaks {
                assert!(!out.contains(l), "{l} in {out:?}");
            }
            assert!(out.contains(REDACTED), "{out:?}");
        }
        assert_eq!(
            r("passwords: [a1, b2]"),
            "passwords: [<redacted>, <redacted>]"
        );
        assert_eq!(
            r("credentials:\n  user: x9\n  pass: y8\nport: 80"),
            "credentials:\n  user: <redacted>\n  pass: <redacted>\nport: 80"
        );
    }

    #[test]
    fn references_under_credential_keys_stay_readable() {
        let mut sa = json!({"kind": "ServiceAccount", "secrets": [{"name": "sa-token-x"}],
            "imagePullSecrets": [{"name": "regcred"}]});
        assert!(!json_value(&mut sa, false));
        let mut pod = json!({"kind": "Pod", "spec": {"volumes": [
            {"name": "creds", "secret": {"secretName": "db", "defaultMode": 420,
                "items": [{"key": "password", "path": "pw"}]}},
            {"name": "tok", "projected": {"sources": [{"serviceAccountToken":
                {"audience": "vault", "expirationSeconds": 3600, "path": "token"}}]}}
        ]}});
        let before = pod.clone();
        assert!(!json_value(&mut pod, false));
        assert_eq!(pod, before);
        let mut mon = json!({"kind": "ServiceMonitor", "spec": {"basicAuth": {
            "password": {"name": "db", "key": "password"},
            "username": {"name": "db", "key": "user"}},
            "bearerTokenSecret": {"name": "tok", "key": "token", "optional": false},
            "credentials": {"source": "Secret", "secretRef": {"name": "aws", "namespace": "x",
                "key": "creds"}}}});
        let before = mon.clone();
        assert!(!json_value(&mut mon, false));
        assert_eq!(mon, before);
        // cert-manager's privateKey settings.
        let mut cert = json!({"spec": {"privateKey": {"algorithm": "RSA", "size": 2048,
            "rotationPolicy": "Always", "encoding": "PKCS8"}, "secretName": "tls"}});
        assert!(!json_value(&mut cert, false));
        // And in text (kubectl -o yaml of the same).
        for s in [
            "secrets:\n- name: sa-token-x\nimagePullSecrets:\n- name: regcred\n",
            "      secret:\n        secretName: db\n        items:\n        - key: password\n          path: pw\n",
            "  basicAuth:\n    password:\n      name: db\n      key: password\n",
            "  privateKey:\n    algorithm: RSA\n    size: 2048\n",
            "password: {name: db, key: password}",
            // kubectl describe: sections named after a container or a volume.
            "  db-credentials:\n    Image:  nginx:1.27\n    Port:   80/TCP\n",
            "  tokenizer:\n    Container ID:  containerd://abc\n    Image:         tok:1\n",
            "  secrets:\n    Type:        Secret (a volume populated by a Secret)\n    SecretName:  db\n",
        ] {
            assert_eq!(r(s), s);
        }
    }

    // Class 3: Table cells.
    #[test]
    fn table_cells_under_credential_columns() {
        let table = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
            "columnDefinitions": [
                {"name": "Name", "type": "string"}, {"name": "Password", "type": "string"},
                {"name": "Secret-Key", "type": "string"}, {"name": "API Token", "type": "string"},
                {"name": "Secrets", "type": "integer"}, {"name": "Age", "type": "string"},
                {"name": "Note", "type": "string"}],
            "rows": [
                {"cells": ["db", "hunter2", "sk-123", "tok-456", 1, "5m", "password=pw789"],
                 "object": {"kind": "PartialObjectMetadata", "metadata": {"name": "db"}}},
                {"cells": ["web", "<none>", 42, "", 0, "1h", "ok"]}]});
        let out = kube_body(table.to_string(), false);
        for leak in ["hunter2", "sk-123", "tok-456", "pw789", "42"] {
            assert!(!out.contains(leak), "{leak} in {out}");
        }
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["rows"][0]["cells"],
            json!([
                "db",
                REDACTED,
                REDACTED,
                REDACTED,
                1,
                "5m",
                "password=<redacted>"
            ])
        );
        assert_eq!(
            v["rows"][1]["cells"],
            json!(["web", "<none>", REDACTED, "", 0, "1h", "ok"])
        );
        // No credential column: unchanged, byte for byte.
        let plain = r#"{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[{"name":"Name"},{"name":"Secrets"},{"name":"Token Expiration"}],"rows":[{"cells":["default",1,"3600"]}]}"#;
        assert_eq!(kube_body(plain.into(), false), plain);
    }

    // Class 4: YAML block scalars.
    #[test]
    fn yaml_block_scalars_under_credential_keys() {
        assert_eq!(
            r("db:\n  password: |\n    hunter2\n    line2\n  host: db\n"),
            "db:\n  password: |\n    <redacted>\n  host: db\n"
        );
        for ind in ["|-", ">", "|2", ">+", "|  # comment"] {
            let s = format!("password: {ind}\n  hunter2\n\n  more\nport: 80");
            assert_eq!(
                r(&s),
                format!("password: {ind}\n  <redacted>\nport: 80"),
                "{ind}"
            );
        }
        // In a list item, a CRLF file, a ConfigMap's value, a plain scalar on the next line.
        assert_eq!(
            r("- secretKey: >-\n    abc\n    def\n- name: x"),
            "- secretKey: >-\n    <redacted>\n- name: x"
        );
        assert_eq!(
            r("token: |\r\n  t0k3n\r\nx: 1\r\n"),
            "token: |\r\n  <redacted>\r\nx: 1\r\n"
        );
        let mut cm = json!({"kind": "ConfigMap", "data": {
            "app.yaml": "server:\n  port: 80\nauth:\n  client_secret: |\n    s3cr3t-value\n"}});
        assert!(json_value(&mut cm, false));
        assert_eq!(
            cm["data"]["app.yaml"],
            "server:\n  port: 80\nauth:\n  client_secret: |\n    <redacted>\n"
        );
        // Timestamped log lines (`kubectl logs --timestamps`).
        assert_eq!(
            r(
                "2026-11-02T09:00:00Z password: |\n2026-11-02T09:00:00Z   hunter2\n2026-11-02T09:00:00Z next"
            ),
            "2026-11-02T09:00:00Z password: |\n2026-11-02T09:00:00Z   <redacted>\n2026-11-02T09:00:00Z next"
        );
        assert_eq!(
            r("password:\n  hunter2\nuser: x"),
            "password:\n  <redacted>\nuser: x"
        );
        // Block scalars under other keys stay.
        let s = "script: |\n  echo hi\n  exit 0\nsecretName: |\n  db\n";
        assert_eq!(r(s), s);
    }

    // Class 5: camelCase and dashed keys in free text.
    #[test]
    fn credential_keys_in_free_text() {
        for (input, want) in [
            ("secretKey: abc123", "secretKey: <redacted>"),
            ("secret_key=abc", "secret_key=<redacted>"),
            ("SECRET-KEY: abc", "SECRET-KEY: <redacted>"),
            ("msg: privateKey=pk1 ok", "msg: privateKey=<redacted> ok"),
            ("accessKey: AKID99 ", "accessKey: <redacted> "),
            ("apiKey=k-1", "apiKey=<redacted>"),
            ("clientSecret: cs-2", "clientSecret: <redacted>"),
            ("Access Key: ak3", "Access Key: <redacted>"),
            ("Secret Key:  sk5", "Secret Key:  <redacted>"),
            ("signing_key = sk4", "signing_key = <redacted>"),
            (
                "DJANGO_SECRET_KEY: 'quoted-value'",
                "DJANGO_SECRET_KEY: '<redacted>'",
            ),
            (r#"secretKey = "two words""#, r#"secretKey = "<redacted>""#),
        ] {
            assert_eq!(r(input), want, "{input}");
        }
        // An Event's message and a log line.
        let ev = json!({"kind": "Event", "reason": "Failed",
            "message": "config invalid: secretKey: abc123 rejected"});
        let out = kube_body(ev.to_string(), false);
        assert!(!out.contains("abc123"), "{out}");
        let log = "2026-11-02T09:00:00Z WARN retry with SECRET-KEY: abc456\n";
        assert!(!r(log).contains("abc456"));
        // Names stay.
        for s in [
            "secretKeyRef: db",
            "topologyKey: kubernetes.io/hostname",
            "publicKey: ssh-ed25519",
            "secretKeySelector: x",
        ] {
            assert_eq!(r(s), s);
        }
    }

    // Class 6: PEM lines cut off by a tail, key material.
    #[test]
    fn pem_body_lines_without_markers() {
        let l1 = "MIIEowIBAAKCAQEAcanaryPEMbody0e5bQ1x2y3z4A5B6C7D8E9F0G1H2I3J4K5L";
        let l2 = "Q1x2y3z4A5B6C7D8E9F0G1H2I3J4K5L6M7N8canaryPEMtail7c1a==";
        let short = "Ab3dE5gH7jK9mN1p"; // 16 characters
        for log in [
            format!("{l1}\n{l2}\nnext line"),
            format!(
                "2026-11-02T09:00:00.400000000Z {short}\n2026-11-02T09:00:00.400000000Z {short}Qr==\n"
            ),
            format!(
                "2026-11-02T09:00:00.400000000Z stderr F {short}\n2026-11-02T09:00:00.400000000Z stderr F -----END RSA PRIVATE KEY-----"
            ),
            format!("-----BEGIN CERTIFICATE-----\n{short}\n"),
        ] {
            let out = r(&log);
            assert!(!out.contains(short) && !out.contains("canaryPEM"), "{out}");
        }
        assert_eq!(
            r(&format!("{short}\n{short}\nok")),
            "<redacted>\n<redacted>\nok"
        );
        assert_eq!(
            r(&format!(
                "2026-11-02T09:00:00Z {short}\n2026-11-02T09:00:00Z {short}\n"
            )),
            "2026-11-02T09:00:00Z <redacted>\n2026-11-02T09:00:00Z <redacted>\n"
        );
    }

    #[test]
    fn base64_key_material() {
        let with_slash = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB/wCx";
        let plain = "AbCdEf0123GhIjKl4567MnOpQr89StUvWx01YzAb23Cd";
        let padded = "dGhpcyBpcyBhIHNlY3JldCBrZXkgbWF0ZXJpYWwgMTIzNDU2Nzg5MA==";
        for s in [
            format!("key material {with_slash} end"),
            format!("{{\"tls.key\":\"{plain}\"}}"),
            format!("x={padded}."),
            format!("line\\n{plain}"),
        ] {
            let out = r(&s);
            assert!(
                !out.contains(&with_slash[..20])
                    && !out.contains(&plain[..20])
                    && !out.contains(&padded[..20]),
                "{out}"
            );
        }
        assert_eq!(r(&format!("x={padded}.")), "x=<redacted>.");
        assert_eq!(r(&format!("a\\n{plain}\\n")), "a\\n<redacted>\\n");
    }

    #[test]
    fn continue_tokens_stay_readable() {
        let token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MTIzNDUsInN0YXJ0IjoiY20tMDAxMFx1MDAwMCJ9";
        let note = format!("next page: kubectl get configmaps --limit=10 --continue='{token}'");
        assert_eq!(r(&note), note);
        let mut list = json!({"kind": "ConfigMapList", "metadata": {"continue": token}});
        assert!(!json_value(&mut list, false));
        // Other base64 key material beside it is still redacted.
        let key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
        assert!(!r(&format!("{token} {key}")).contains(key));
    }

    #[test]
    fn base64_rule_false_positives() {
        for s in [
            // Paths and URLs.
            "mounted /var/lib/kubelet/pods/volumes/kubernetes/secret/default/token at",
            "/home/User/Documents/Projects/MyApplication/src/main/Resources/Config",
            "http://localhost:8080/api/v1/namespaces/default/pods/web/log?follow=true",
            "https://github.com/kubernetes/kubernetes/blob/master/pkg/api/v1/types.go",
            // Image references with digests, long hex, UUIDs, numbers.
            "image: registry.k8s.io/pause@sha256:7031c1b283388d2c2e09b57badb803c05ebed362dc88d84b480cc47f72a21097",
            "containerID: containerd://3f8a1c9e2b7d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5b7d9f2a4c6e8b0d1f3a",
            "commit 4f2c9e1a8b7d6c5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
            "uid: 0b6e1a52-4b8f-4f3e-9d8c-2a7c5b1e9f00 resourceVersion: 123456789012345678901234567890123456789012",
            // Long Kubernetes names and identifiers.
            "pod/inventory-service-canary-deployment-7d9f8c6b5-x2k4m-with-a-long-suffix",
            "reason: FailedCreatePodSandBoxBecauseTheNetworkPluginReturnedAnError2",
            "sri: sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==",
            "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.A1.B2.C3",
        ] {
            assert_eq!(r(s), s);
        }
    }

    // Class 7: API Status bodies.
    #[test]
    fn status_bodies_are_redacted() {
        let body = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"admission webhook denied: password=hunter2 is weak","reason":"Invalid","code":422}"#;
        let out = kube_body(body.into(), false);
        assert!(!out.contains("hunter2"), "{out}");
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            v["message"],
            "admission webhook denied: password=<redacted> is weak"
        );
        assert_eq!(v["code"], 422);
        let key = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7";
        let body = format!(
            r#"{{"kind":"Status","message":"Secret \"tls\" is invalid: data[tls.key]: Invalid value: \"{key}\": bad"}}"#
        );
        let out = kube_body(body, false);
        assert!(!out.contains(&key[..20]), "{out}");
        assert!(out.contains("Invalid value"), "{out}");
    }

    mod planted {
        use super::super::*;
        use proptest::prelude::*;
        use serde_json::json;

        /// Names of the env vars and keys the credential is planted under.
        const KEYS: &[&str] = &[
            "password",
            "DB_PASSWORD",
            "api_key",
            "apiKey",
            "client_secret",
            "token",
            "secretKey",
            "SECRET_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "signingKey",
            "SECRET-KEY",
        ];

        /// Every form the module docs claim, with `c` planted under `key` between `a` and `b`.
        fn forms(c: &str, key: &str, a: &str, b: &str) -> Vec<String> {
            let text = [
                format!("{a}\n{key}: {c}\n{b}"),
                format!("{a} {key}={c} {b}"),
                format!("{a} {{\"{key}\":\"{c}\"}} {b}"),
                format!("{a} postgres://app:{c}@db:5432/app {b}"),
                format!("{a} Authorization: Bearer {c} {b}"),
                format!("{a}\nconfig:\n  password: |\n    {c}\n{b}"),
                format!("{a}\n{key}: |-\n  {c}\n  tail\n{b}"),
                format!("{a} passwords: [x, {c}] {b}"),
                format!("{a}\ncredentials:\n  user: u\n  pass: {c}\n{b}"),
            ];
            let mut out: Vec<String> = text.iter().map(|t| r(t)).collect();
            let mut pod = json!({"kind": "Pod", "metadata": {"name": a}, "spec": {"containers":
                [{"name": "c", "env": [{"name": key, "value": c}, {"name": "X", "value": b}]}]}});
            json_value(&mut pod, false);
            out.push(pod.to_string());
            let secret = json!({"kind": "Secret", "metadata": {"name": "s"},
                "data": {a: c}, "stringData": {"x": c}});
            out.push(kube_body(secret.to_string(), false));
            let table = json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1",
                "columnDefinitions": [{"name": "Name"}, {"name": "Password"}, {"name": "Note"}],
                "rows": [{"cells": [a, c, b]}]});
            out.push(kube_body(table.to_string(), false));
            let crd = json!({"kind": "Thing", "spec": {key: c, "passwords": [a, c],
                "credentials": {"user": a, "pass": c}}});
            out.push(kube_body(crd.to_string(), false));
            let status = json!({"kind": "Status", "message": format!("{a} {key}={c} {b}")});
            out.push(kube_body(status.to_string(), false));
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// A planted credential never survives redaction in any encoding the redactor
            /// claims (the issue's fuzzing section).
            #[test]
            fn planted_credential_never_survives(
                c in "[A-Za-z][A-Za-z0-9]{10,38}[0-9]",
                key in proptest::sample::select(KEYS),
                a in "[a-zA-Z0-9 .,:/-]{0,30}",
                b in "[a-zA-Z0-9 .,:/-]{0,30}",
            ) {
                prop_assume!(!a.contains(&c) && !b.contains(&c));
                for (i, out) in forms(&c, key, &a, &b).iter().enumerate() {
                    prop_assert!(!out.contains(&c), "form {i}: {c:?} survived in {out:?}");
                }
            }
        }

        fn r(s: &str) -> String {
            text(s).into_owned()
        }
    }
}
