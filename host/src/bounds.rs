//! Limits on everything the model sends that the host parses outside the sandbox (issue 9
//! §2): nothing is parsed without a bound on its size, its nesting depth, its alias
//! expansion and therefore its time.
//!
//! - [`check_arguments`]: a tool call's arguments, before anything else looks at them: each
//!   string at most [`Limits::max_argument_bytes`] (`manifest`:
//!   [`Limits::max_manifest_bytes`], the Kubernetes API server's own 3 MiB request-body
//!   limit), all of them together at most [`Limits::max_arguments_bytes`].
//! - [`yaml_documents`]: YAML (and JSON, a subset of it) parsed into `serde_json::Value`s with
//!   alias expansion counted: every node an alias replays counts against
//!   [`Limits::max_yaml_nodes`] and every scalar byte against
//!   [`Limits::max_yaml_expanded_bytes`], so a "billion laughs" manifest is refused after a
//!   bounded amount of work instead of expanding to gigabytes (kubectl accepts aliases, so
//!   they are expanded, within bounds, rather than refused). Nesting deeper than
//!   [`Limits::max_depth`] is refused before the YAML parser sees the text (libyaml's work
//!   grows with the square of flow nesting: 100 KB of `[` took seconds).
//! - [`audit_copy`]: what the audit log keeps of a long argument: its SHA-256, its length and
//!   a bounded, redacted prefix, never the whole text.
//!
//! Every bound fails with a [`BoundError`] whose text says which argument, what limit and
//! what to do; the call is refused before the plugin runs and the refusal is audited.

use std::cell::Cell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The limits on model input parsed in the host. [`Limits::DEFAULT`] is what the server
/// uses; tests may shrink them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one string argument other than `manifest` (a command line, a name, a filter).
    pub max_argument_bytes: usize,
    /// Bytes of the `manifest` argument: the API server refuses request bodies over 3 MiB.
    pub max_manifest_bytes: usize,
    /// Bytes of all arguments together, as JSON.
    pub max_arguments_bytes: usize,
    /// Nesting depth of YAML/JSON collections.
    pub max_depth: usize,
    /// Nodes (scalars and collections) a YAML text may expand to, aliases replayed.
    pub max_yaml_nodes: usize,
    /// Scalar bytes a YAML text may expand to, aliases replayed.
    pub max_yaml_expanded_bytes: usize,
    /// Bytes of an argument the audit log keeps verbatim; a longer one is kept as its digest
    /// and a prefix of this many bytes.
    pub audit_inline_bytes: usize,
}

impl Limits {
    /// The server's limits: arguments 64 KiB, `manifest` 3 MiB, all arguments 4 MiB, depth
    /// 64, YAML expansion 1,000,000 nodes and 16 MiB of scalars, 4 KiB of an argument kept
    /// verbatim in the audit log.
    pub const DEFAULT: Limits = Limits {
        max_argument_bytes: 64 << 10,
        max_manifest_bytes: 3 << 20,
        max_arguments_bytes: 4 << 20,
        max_depth: 64,
        max_yaml_nodes: 1_000_000,
        max_yaml_expanded_bytes: 16 << 20,
        audit_inline_bytes: 4 << 10,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}

/// Why input was refused: which input, which limit. The text is meant for the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoundError {
    /// An argument (or all of them) is larger than its limit.
    #[error(
        "`{argument}` is {size} bytes; the limit is {limit} bytes. Send less: split the manifest, or narrow the command"
    )]
    TooLarge {
        /// The argument's name, or `arguments` for all of them.
        argument: String,
        /// Its size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// Collections nest deeper than the limit.
    #[error("nesting deeper than {limit} levels is not accepted")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// YAML aliases expand to more than the limits allow.
    #[error(
        "the YAML expands to more than {nodes} nodes or {bytes} bytes (aliases are expanded, and count); write the objects out or send fewer"
    )]
    TooLargeExpanded {
        /// The node limit.
        nodes: usize,
        /// The scalar-bytes limit.
        bytes: usize,
    },
    /// Not YAML (or JSON) at all.
    #[error("not valid YAML or JSON: {0}")]
    Syntax(String),
}

/// Checks a tool call's arguments against `limits` before anything parses them: every
/// string value (at any depth) by its key's limit, then the whole object's JSON size.
///
/// Errors: [`BoundError::TooLarge`] naming the first argument over its limit, or
/// [`BoundError::TooDeep`] for arguments nested deeper than [`Limits::max_depth`].
pub fn check_arguments(args: &Map<String, Value>, limits: &Limits) -> Result<(), BoundError> {
    fn walk(key: &str, v: &Value, depth: usize, limits: &Limits) -> Result<usize, BoundError> {
        if depth > limits.max_depth {
            return Err(BoundError::TooDeep {
                limit: limits.max_depth,
            });
        }
        Ok(match v {
            Value::String(s) => {
                let limit = if key == "manifest" {
                    limits.max_manifest_bytes
                } else {
                    limits.max_argument_bytes
                };
                if s.len() > limit {
                    return Err(BoundError::TooLarge {
                        argument: key.to_string(),
                        size: s.len(),
                        limit,
                    });
                }
                s.len() + 2
            }
            Value::Array(a) => {
                let mut n = 2;
                for x in a {
                    n += walk(key, x, depth + 1, limits)? + 1;
                }
                n
            }
            Value::Object(m) => {
                let mut n = 2;
                for (k, x) in m {
                    n += k.len() + 4 + walk(k, x, depth + 1, limits)?;
                }
                n
            }
            other => other.to_string().len(),
        })
    }
    let mut total = 2;
    for (k, v) in args {
        total += k.len() + 4 + walk(k, v, 1, limits)?;
    }
    if total > limits.max_arguments_bytes {
        return Err(BoundError::TooLarge {
            argument: "arguments".into(),
            size: total,
            limit: limits.max_arguments_bytes,
        });
    }
    Ok(())
}

/// The deepest nesting of flow collections (`[`, `{`) in `text`, counted lexically (quotes
/// and comments are not understood, so brackets inside strings count too: an over-estimate,
/// never an under-estimate of what a parser would see), stopping as soon as `limit` is
/// passed. Block nesting needs indentation, so its depth is bounded by the size limit.
fn flow_depth_exceeds(text: &str, limit: usize) -> bool {
    let mut depth = 0usize;
    for b in text.bytes() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Parses `text` as a stream of YAML documents (JSON is YAML) into JSON values, within
/// `limits`: at most [`Limits::max_manifest_bytes`] of input, [`Limits::max_depth`] of
/// nesting, and [`Limits::max_yaml_nodes`] / [`Limits::max_yaml_expanded_bytes`] after
/// alias expansion, summed over all documents. Empty documents are skipped. Mapping keys
/// that are not strings (`1: x`, `true: y`) become their text, as kubectl's YAML-to-JSON
/// conversion does.
///
/// Errors: the [`BoundError`] of the first limit passed, or [`BoundError::Syntax`].
pub fn yaml_documents(text: &str, limits: &Limits) -> Result<Vec<Value>, BoundError> {
    if text.len() > limits.max_manifest_bytes {
        return Err(BoundError::TooLarge {
            argument: "manifest".into(),
            size: text.len(),
            limit: limits.max_manifest_bytes,
        });
    }
    if flow_depth_exceeds(text, limits.max_depth) {
        return Err(BoundError::TooDeep {
            limit: limits.max_depth,
        });
    }
    let budget = Budget {
        nodes: Cell::new(limits.max_yaml_nodes),
        bytes: Cell::new(limits.max_yaml_expanded_bytes),
        tripped: Cell::new(None),
        max_depth: limits.max_depth,
        limits: *limits,
    };
    let mut docs = Vec::new();
    for de in serde_yaml_ng::Deserializer::from_str(text) {
        match (Bounded {
            budget: &budget,
            depth: 0,
        })
        .deserialize(de)
        {
            Ok(Value::Null) => {}
            Ok(v) => docs.push(v),
            Err(e) => {
                let text = e.to_string();
                return Err(budget.tripped.take().unwrap_or_else(|| {
                    // serde_yaml_ng's own guards (alias replays beyond 100× the events,
                    // nesting beyond 128) are the same limits in other words.
                    if text.contains("repetition limit exceeded") {
                        BoundError::TooLargeExpanded {
                            nodes: limits.max_yaml_nodes,
                            bytes: limits.max_yaml_expanded_bytes,
                        }
                    } else if text.contains("recursion limit exceeded") {
                        BoundError::TooDeep {
                            limit: limits.max_depth,
                        }
                    } else {
                        BoundError::Syntax(short(&text))
                    }
                }));
            }
        }
    }
    Ok(docs)
}

/// One document of JSON or YAML, bounded as [`yaml_documents`]; `None` when `text` is not
/// one document within the limits. For request bodies the host inspects (a plugin's patch).
pub fn json_or_yaml(text: &str, limits: &Limits) -> Option<Value> {
    if text.len() <= limits.max_manifest_bytes
        && !flow_depth_exceeds(text, limits.max_depth)
        && let Ok(v) = serde_json::from_str::<Value>(text)
    {
        return Some(v);
    }
    let mut docs = yaml_documents(text, limits).ok()?;
    (docs.len() == 1).then(|| docs.remove(0))
}

fn short(s: &str) -> String {
    s.chars().take(200).collect()
}

/// What the audit log keeps of argument `text`: the text itself when it is at most
/// [`Limits::audit_inline_bytes`], else `{"sha256": hex, "bytes": n, "prefix": first bytes}`.
/// `redacted` is the text as redaction left it (the prefix is cut from it, on a character
/// boundary); the digest is of the original, so a record can be matched to a known input.
pub fn audit_copy(original: &str, redacted: String, limits: &Limits) -> Value {
    if original.len() <= limits.audit_inline_bytes && redacted.len() <= limits.audit_inline_bytes {
        return Value::String(redacted);
    }
    let mut end = limits.audit_inline_bytes.min(redacted.len());
    while !redacted.is_char_boundary(end) {
        end -= 1;
    }
    serde_json::json!({
        "sha256": hex::encode(Sha256::digest(original.as_bytes())),
        "bytes": original.len(),
        "prefix": &redacted[..end],
    })
}

/// The remaining allowance of one parse, shared by every node it builds.
struct Budget {
    nodes: Cell<usize>,
    bytes: Cell<usize>,
    /// The limit that stopped the parse (serde's error text cannot carry it).
    tripped: Cell<Option<BoundError>>,
    max_depth: usize,
    limits: Limits,
}

impl Budget {
    fn take<E: serde::de::Error>(&self, bytes: usize) -> Result<(), E> {
        let nodes = self.nodes.get();
        let left = self.bytes.get();
        if nodes == 0 || left < bytes {
            self.tripped.set(Some(BoundError::TooLargeExpanded {
                nodes: self.limits.max_yaml_nodes,
                bytes: self.limits.max_yaml_expanded_bytes,
            }));
            return Err(E::custom("expansion limit"));
        }
        self.nodes.set(nodes - 1);
        self.bytes.set(left - bytes);
        Ok(())
    }
}

/// A `serde_json::Value` builder that charges every node to a [`Budget`].
struct Bounded<'b> {
    budget: &'b Budget,
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl Bounded<'_> {
    fn nested<E: serde::de::Error>(&self) -> Result<Bounded<'_>, E> {
        if self.depth >= self.budget.max_depth {
            self.budget.tripped.set(Some(BoundError::TooDeep {
                limit: self.budget.max_depth,
            }));
            return Err(E::custom("depth limit"));
        }
        Ok(Bounded {
            budget: self.budget,
            depth: self.depth + 1,
        })
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.budget.take(1)?;
        Ok(Value::Bool(v))
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.budget.take(8)?;
        Ok(Value::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.budget.take(8)?;
        Ok(Value::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.budget.take(8)?;
        // YAML's .inf/.nan have no JSON form: null, as serde_json does.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.budget.take(v.len())?;
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.budget.take(v.len())?;
        Ok(Value::String(v))
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.budget.take(0)?;
        Ok(Value::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self.nested()?)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.budget.take(0)?;
        let mut out = Map::new();
        while let Some(k) = map.next_key_seed(self.nested()?)? {
            let key = match k {
                Value::String(s) => s,
                Value::Null => "null".into(),
                other @ (Value::Bool(_) | Value::Number(_)) => other.to_string(),
                _ => {
                    return Err(serde::de::Error::custom(
                        "a mapping key must be a scalar (kubectl converts YAML to JSON)",
                    ));
                }
            };
            let v = map.next_value_seed(self.nested()?)?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bomb(levels: usize, fanout: usize, leaf: usize) -> String {
        let mut s = format!("a0: &a0 \"{}\"\n", "x".repeat(leaf));
        for i in 1..=levels {
            let refs = vec![format!("*a{}", i - 1); fanout].join(", ");
            s.push_str(&format!("a{i}: &a{i} [{refs}]\n"));
        }
        s
    }

    #[test]
    fn ordinary_manifests_parse_like_serde() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, labels: {1: x, true: y}}\ndata:\n  k: |\n    multi\n    line\n---\n---\n{\"kind\": \"Pod\", \"spec\": {\"replicas\": 0e0}}\n";
        let docs = yaml_documents(text, &Limits::DEFAULT).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0]["metadata"]["labels"],
            json!({"1": "x", "true": "y"})
        );
        assert_eq!(docs[0]["data"]["k"], "multi\nline\n");
        assert_eq!(docs[1]["spec"]["replicas"], json!(0.0));
    }

    #[test]
    fn small_aliases_expand() {
        let text = "base: &b {cpu: 1}\nother: *b\n";
        let docs = yaml_documents(text, &Limits::DEFAULT).unwrap();
        assert_eq!(docs[0]["other"], json!({"cpu": 1}));
    }

    #[test]
    fn alias_bombs_stop_at_the_budget() {
        // 9 levels of fan-out 9 over a 4 KB string: 387 M nodes, 1.5 TB expanded.
        let text = bomb(9, 9, 4000);
        assert!(text.len() < 10_000);
        let started = std::time::Instant::now();
        let err = yaml_documents(&text, &Limits::DEFAULT).unwrap_err();
        assert!(matches!(err, BoundError::TooLargeExpanded { .. }), "{err}");
        // Bounded work: far below the time the full expansion would take.
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
        // Node-count bombs (tiny leaves) stop too.
        let err = yaml_documents(&bomb(12, 9, 1), &Limits::DEFAULT).unwrap_err();
        assert!(matches!(err, BoundError::TooLargeExpanded { .. }), "{err}");
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let deep = "[".repeat(50_000) + &"]".repeat(50_000);
        assert_eq!(
            yaml_documents(&deep, &Limits::DEFAULT).unwrap_err(),
            BoundError::TooDeep { limit: 64 }
        );
        let deep_map = "{a: ".repeat(70) + "1" + &"}".repeat(70);
        assert!(matches!(
            yaml_documents(&deep_map, &Limits::DEFAULT).unwrap_err(),
            BoundError::TooDeep { .. }
        ));
        // Block nesting (indentation) deeper than the limit is refused by the builder.
        let mut block = String::new();
        for i in 0..80 {
            block.push_str(&format!("{}k{i}:\n", "  ".repeat(i)));
        }
        block.push_str(&format!("{}v: 1\n", "  ".repeat(80)));
        assert!(matches!(
            yaml_documents(&block, &Limits::DEFAULT).unwrap_err(),
            BoundError::TooDeep { .. }
        ));
        assert!(json_or_yaml(&deep, &Limits::DEFAULT).is_none());
    }

    #[test]
    fn oversized_arguments_are_named() {
        let limits = Limits::DEFAULT;
        let args = json!({"command": "get pods", "manifest": "a: b"});
        assert!(check_arguments(args.as_object().unwrap(), &limits).is_ok());
        let big = json!({"command": "x".repeat(limits.max_argument_bytes + 1)});
        match check_arguments(big.as_object().unwrap(), &limits).unwrap_err() {
            BoundError::TooLarge {
                argument,
                size,
                limit,
            } => {
                assert_eq!(argument, "command");
                assert_eq!(size, limits.max_argument_bytes + 1);
                assert_eq!(limit, limits.max_argument_bytes);
            }
            e => panic!("{e}"),
        }
        // A manifest may be larger than a command, up to the API server's 3 MiB.
        let manifest = json!({"manifest": "x".repeat(1 << 20)});
        assert!(check_arguments(manifest.as_object().unwrap(), &limits).is_ok());
        let too_big = json!({"manifest": "x".repeat((3 << 20) + 1)});
        assert!(check_arguments(too_big.as_object().unwrap(), &limits).is_err());
        // Many arguments each under their limit, together over the total.
        let mut many = Map::new();
        for i in 0..80 {
            many.insert(format!("a{i}"), json!("y".repeat(60 << 10)));
        }
        match check_arguments(&many, &limits).unwrap_err() {
            BoundError::TooLarge { argument, .. } => assert_eq!(argument, "arguments"),
            e => panic!("{e}"),
        }
        // Deeply nested argument values.
        let mut v = json!(1);
        for _ in 0..100 {
            v = json!([v]);
        }
        let nested = json!({"x": v});
        assert!(matches!(
            check_arguments(nested.as_object().unwrap(), &limits).unwrap_err(),
            BoundError::TooDeep { .. }
        ));
    }

    #[test]
    fn audit_copies_are_bounded() {
        let limits = Limits::DEFAULT;
        assert_eq!(audit_copy("short", "short".into(), &limits), json!("short"));
        let long = "é".repeat(10_000);
        let copy = audit_copy(&long, long.clone(), &limits);
        assert_eq!(copy["bytes"], json!(20_000));
        assert_eq!(
            copy["sha256"],
            json!(hex::encode(Sha256::digest(long.as_bytes())))
        );
        let prefix = copy["prefix"].as_str().unwrap();
        assert!(prefix.len() <= limits.audit_inline_bytes && prefix.len() > 4000);
        assert!(long.starts_with(prefix));
    }
}
