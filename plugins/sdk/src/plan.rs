//! Call plans: what a tool call stands for, worked out from its arguments alone, for the WIT
//! `plan-call` export ([`crate::Plugin::plan_call`]).
//!
//! A plan is a [`CallPlan`]: the command family (`kubectl`, `helm`, `istioctl`, `argocd`: the
//! key of the host policy's command sections), the normalized command line the policy's
//! command-string rules are matched against, the Kubernetes requests the call is expected to
//! make ([`PlannedRequest`]s, in order), and its facts (keywords such as `rollout-undo` that
//! the policy knows). It is a declaration, not a permission: every request the call really
//! makes still passes the host's gate.
//!
//! [`PlanBuilder`] assembles one for any family. A plugin parses the call's command line its
//! own way (with [`crate::cli`] for a cobra-style CLI), then adds the parts in its own order:
//!
//! * the words: the subcommand words and the positional arguments, with resource types spelled
//!   as [`crate::kinds::normalize_type`] spells them (`po/web` is `pod web`);
//! * the flags in long form, each with the value that counts (or none for a true boolean),
//!   leaving out what cannot change what the call does;
//! * the namespace the command acts in, when it acts in one ([`PlanBuilder::namespace`]);
//! * the requests, most simply through a [`Resource`] (a type resolved with the built-in kinds
//!   table, [`crate::kinds::KINDS`]), and the facts.
//!
//! [`PlanBuilder::finish`] writes the normalized command as the WIT `call-plan.command`
//! documents it: the family, the words, then every flag as `--name=value` (`--name` for a true
//! boolean), sorted by name (a flag given several times keeps its values in the order added),
//! separated by single spaces; a word or value is quoted with single quotes only when it
//! contains whitespace ([`quote`]). So two spellings of one command give one string:
//!
//! ```
//! use kap_sdk::Verb;
//! use kap_sdk::plan::{PlanBuilder, Resource};
//!
//! // `helm uninstall web -n shop --keep-history`, whatever the order of its flags.
//! let mut b = PlanBuilder::new("helm");
//! b.words(["uninstall", "web"]).flag("keep-history", None).namespace("shop");
//! b.request(Resource::of("secrets").request(Verb::List, Some("shop"), None));
//! let plan = b.finish();
//! assert_eq!(plan.command, "helm uninstall web --keep-history --namespace=shop");
//! assert_eq!(plan.requests[0].resource, "secrets");
//! assert_eq!(plan.requests[0].group.as_deref(), Some(""));
//! ```

use crate::kinds::{self, ALL_CATEGORY, Kind};
use crate::{CallPlan, PlannedRequest, Verb};

/// A word or flag value as the normalized command writes it: unchanged, unless it contains
/// whitespace; then in single quotes, a `'` inside written `'\''` as a POSIX shell would read
/// it (`a b` is `'a b'`, `it's x` is `'it'\''s x'`).
pub fn quote(s: &str) -> String {
    if s.chars().any(char::is_whitespace) {
        format!("'{}'", s.replace('\'', r"'\''"))
    } else {
        s.to_string()
    }
}

/// A [`CallPlan`] under construction: the family, then words, flags, the namespace, requests
/// and facts added in any order; [`PlanBuilder::finish`] writes the normalized command (see the
/// module documentation). The adding methods return the builder, so calls can be chained.
#[derive(Debug, Clone)]
pub struct PlanBuilder {
    family: String,
    words: Vec<String>,
    /// Flags in the order added: long name (no dashes), value (`None` for a true boolean).
    flags: Vec<(String, Option<String>)>,
    namespace: Option<String>,
    requests: Vec<PlannedRequest>,
    facts: Vec<String>,
}

impl PlanBuilder {
    /// An empty plan of command family `family` (`kubectl`, `helm`, ...), which is also the
    /// first word of its command.
    pub fn new(family: impl Into<String>) -> PlanBuilder {
        PlanBuilder {
            family: family.into(),
            words: Vec::new(),
            flags: Vec::new(),
            namespace: None,
            requests: Vec::new(),
            facts: Vec::new(),
        }
    }

    /// Adds one word (a subcommand word or positional argument) after the ones added so far.
    pub fn word(&mut self, word: impl Into<String>) -> &mut PlanBuilder {
        self.words.push(word.into());
        self
    }

    /// Adds words after the ones added so far, in order.
    pub fn words<I>(&mut self, words: I) -> &mut PlanBuilder
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.words.extend(words.into_iter().map(Into::into));
        self
    }

    /// Adds flag `--name` with `value`, or as a true boolean when `value` is `None` (written
    /// `--name`; a false boolean is `Some("false")`). `name` is the long name without dashes.
    /// Adding a name twice writes it twice, values in the order added: keep one value for a
    /// flag whose last value counts. The namespace goes through [`PlanBuilder::namespace`].
    pub fn flag(&mut self, name: impl Into<String>, value: Option<String>) -> &mut PlanBuilder {
        self.flags.push((name.into(), value));
        self
    }

    /// Writes `--namespace=NS` (replacing a namespace set before). Call it for a command that
    /// acts in a namespace, with the default namespace when none was given, and not for one
    /// that does not (cluster-scoped kinds, lists across all namespaces), so a namespace that
    /// has no effect cannot make two commands look different.
    pub fn namespace(&mut self, namespace: impl Into<String>) -> &mut PlanBuilder {
        self.namespace = Some(namespace.into());
        self
    }

    /// Adds a request the call is expected to make, after the ones added so far.
    pub fn request(&mut self, request: PlannedRequest) -> &mut PlanBuilder {
        self.requests.push(request);
        self
    }

    /// Adds requests, in order, after the ones added so far.
    pub fn requests(
        &mut self,
        requests: impl IntoIterator<Item = PlannedRequest>,
    ) -> &mut PlanBuilder {
        self.requests.extend(requests);
        self
    }

    /// Adds a fact (a keyword of the WIT `call-plan.facts`, e.g. `rollout-undo`), once: a fact
    /// added again is not repeated.
    pub fn fact(&mut self, fact: impl Into<String>) -> &mut PlanBuilder {
        let fact = fact.into();
        if !self.facts.contains(&fact) {
            self.facts.push(fact);
        }
        self
    }

    /// The normalized command as it stands: the family, the words, then the flags and the
    /// namespace sorted by name, each as `--name=value` or `--name`, quoted by [`quote`].
    pub fn command(&self) -> String {
        let mut flags: Vec<(&str, Option<&str>)> = self
            .flags
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_deref()))
            .collect();
        if let Some(ns) = &self.namespace {
            flags.push(("namespace", Some(ns)));
        }
        // A stable sort: the values of a repeated flag stay in the order added.
        flags.sort_by(|a, b| a.0.cmp(b.0));
        let mut parts = vec![quote(&self.family)];
        parts.extend(self.words.iter().map(|w| quote(w)));
        parts.extend(flags.into_iter().map(|(n, v)| match v {
            None => format!("--{n}"),
            Some(v) => format!("--{n}={}", quote(v)),
        }));
        parts.join(" ")
    }

    /// The plan: the family, [`PlanBuilder::command`], the requests and the facts in the order
    /// added.
    pub fn finish(self) -> CallPlan {
        CallPlan {
            command: self.command(),
            family: self.family,
            requests: self.requests,
            facts: self.facts,
        }
    }
}

/// A resource type as far as the built-in kinds table ([`crate::kinds::KINDS`]) knows it: the
/// group and plural of a [`PlannedRequest`], and whether a request for it names a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    /// API group (`""` for the core group) when known; `None` for a type the table does not
    /// know (a custom resource), which the host then resolves by name.
    pub group: Option<String>,
    /// Plural resource name (`deployments`), or the type as typed when unknown.
    pub resource: String,
    /// Whether its objects live in a namespace; `true` for an unknown type.
    pub namespaced: bool,
}

impl Resource {
    /// The resource of a type as a user types it (see [`crate::kinds::lookup`]): a built-in
    /// kind's group and plural, else the type as typed with no group, assumed namespaced (so
    /// the namespace of a custom resource is always named).
    pub fn of(typed: &str) -> Resource {
        match kinds::lookup(typed) {
            Some(k) => Resource::known(k),
            None => Resource {
                group: None,
                resource: typed.to_string(),
                namespaced: true,
            },
        }
    }

    /// The resource of a built-in kind.
    pub fn known(k: &Kind) -> Resource {
        Resource {
            group: Some(k.group.to_string()),
            resource: k.plural.to_string(),
            namespaced: k.namespaced,
        }
    }

    /// The resources a type stands for: the members of the `all` category
    /// ([`ALL_CATEGORY`], in its order) for `all` in any case, else the one of
    /// [`Resource::of`].
    pub fn expand(typed: &str) -> Vec<Resource> {
        if typed.eq_ignore_ascii_case("all") {
            ALL_CATEGORY.iter().map(|p| Resource::of(p)).collect()
        } else {
            vec![Resource::of(typed)]
        }
    }

    /// A request with `verb` for it: in namespace `namespace` when the resource is namespaced
    /// (`None` lists across all namespaces), in none when it is cluster-scoped whatever
    /// `namespace` says; of object `name`, or of the collection when `None`.
    pub fn request(
        &self,
        verb: Verb,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> PlannedRequest {
        PlannedRequest {
            verb,
            group: self.group.clone(),
            resource: self.resource.clone(),
            subresource: None,
            namespace: if self.namespaced {
                namespace.map(str::to_string)
            } else {
                None
            },
            name: name.map(str::to_string),
        }
    }

    /// A request with `verb` for `subresource` (`scale`, `log`, `status`) of object `name`,
    /// in `namespace` as [`Resource::request`] writes it.
    pub fn subresource(
        &self,
        verb: Verb,
        subresource: &str,
        namespace: &str,
        name: &str,
    ) -> PlannedRequest {
        PlannedRequest {
            subresource: Some(subresource.to_string()),
            ..self.request(verb, Some(namespace), Some(name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_sorts_flags_and_quotes() {
        let mut b = PlanBuilder::new("kubectl");
        b.word("get")
            .words(["pod", "web x"])
            .flag("output", Some("jsonpath={.a b}".into()))
            .flag("image", Some("b".into()))
            .namespace("ignored")
            .flag("all-namespaces", None)
            .flag("image", Some("a".into()))
            .namespace("prod");
        assert_eq!(
            b.command(),
            "kubectl get pod 'web x' --all-namespaces --image=b --image=a --namespace=prod --output='jsonpath={.a b}'"
        );
        let plan = b.finish();
        assert_eq!(plan.family, "kubectl");
        assert!(plan.requests.is_empty() && plan.facts.is_empty());
        assert_eq!(PlanBuilder::new("helm").finish().command, "helm");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a"), "a");
        assert_eq!(quote("a|b"), "a|b");
        assert_eq!(quote("a\tb"), "'a\tb'");
        assert_eq!(quote("it's x"), r"'it'\''s x'");
    }

    #[test]
    fn facts_once_requests_in_order() {
        let mut b = PlanBuilder::new("kubectl");
        let deploy = Resource::of("deploy");
        b.request(deploy.request(Verb::Get, Some("a"), Some("web")))
            .requests([deploy.request(Verb::Patch, Some("a"), Some("web"))])
            .fact("rollout-undo")
            .fact("rollout-undo");
        let plan = b.finish();
        assert_eq!(plan.facts, ["rollout-undo"]);
        let verbs: Vec<Verb> = plan.requests.iter().map(|r| r.verb).collect();
        assert_eq!(verbs, [Verb::Get, Verb::Patch]);
    }

    #[test]
    fn resources_and_their_requests() {
        let nodes = Resource::of("no");
        assert_eq!(
            nodes.request(Verb::Get, Some("default"), Some("n1")),
            PlannedRequest {
                verb: Verb::Get,
                group: Some(String::new()),
                resource: "nodes".into(),
                subresource: None,
                namespace: None,
                name: Some("n1".into()),
            }
        );
        let widgets = Resource::of("Widgets.example.com");
        assert_eq!(widgets.group, None);
        assert_eq!(widgets.resource, "Widgets.example.com");
        assert!(widgets.namespaced);
        assert_eq!(
            Resource::of("sts").subresource(Verb::Patch, "scale", "a", "web"),
            PlannedRequest {
                verb: Verb::Patch,
                group: Some("apps".into()),
                resource: "statefulsets".into(),
                subresource: Some("scale".into()),
                namespace: Some("a".into()),
                name: Some("web".into()),
            }
        );
        let all: Vec<String> = Resource::expand("ALL")
            .into_iter()
            .map(|r| r.resource)
            .collect();
        assert_eq!(all, ALL_CATEGORY);
        assert_eq!(Resource::expand("po"), [Resource::of("pods")]);
        assert_eq!(
            Resource::known(kinds::lookup("crd").unwrap()),
            Resource {
                group: Some("apiextensions.k8s.io".into()),
                resource: "customresourcedefinitions".into(),
                namespaced: false,
            }
        );
    }
}
