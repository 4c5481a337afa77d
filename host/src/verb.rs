//! The one Kubernetes verb type of the host: what a capability request does, as the WIT
//! `kube.verb` names it and as RBAC authorizes it (Kubernetes docs, "Authorization":
//! request verbs). `watch` is not offered: a tool call returns one answer.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Kubernetes API verb. Serialized in the WIT spelling (`delete-collection`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verb {
    /// `GET` of one object.
    Get,
    /// `GET` of a collection.
    List,
    /// `POST`.
    Create,
    /// `PUT`.
    Update,
    /// `PATCH` (also server-side apply).
    Patch,
    /// `DELETE` of one object.
    Delete,
    /// `DELETE` of a collection (`deletecollection` in RBAC).
    DeleteCollection,
}

impl Verb {
    /// Every verb, in the WIT's order.
    pub const ALL: [Verb; 7] = [
        Verb::Get,
        Verb::List,
        Verb::Create,
        Verb::Update,
        Verb::Patch,
        Verb::Delete,
        Verb::DeleteCollection,
    ];

    /// The WIT spelling: `get`, `list`, `create`, `update`, `patch`, `delete`,
    /// `delete-collection` (manifests, grants, policy rules, audit records).
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "delete-collection",
        }
    }

    /// The RBAC spelling (`deletecollection`), as SelfSubjectAccessReviews and RBAC
    /// messages write it.
    pub const fn rbac(self) -> &'static str {
        match self {
            Verb::DeleteCollection => "deletecollection",
            v => v.as_str(),
        }
    }

    /// Whether the verb only reads (`get`, `list`).
    pub const fn is_read(self) -> bool {
        matches!(self, Verb::Get | Verb::List)
    }

    /// Whether the verb deletes (`delete`, `delete-collection`).
    pub const fn is_delete(self) -> bool {
        matches!(self, Verb::Delete | Verb::DeleteCollection)
    }

    /// Reads a verb in the WIT or the RBAC spelling; `None` for anything else (`watch`,
    /// `*`, a typo).
    pub fn parse(s: &str) -> Option<Verb> {
        if s == "deletecollection" {
            return Some(Verb::DeleteCollection);
        }
        Verb::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The WIT spellings of every verb, e.g. for messages: `get, list, …, delete-collection`.
    pub fn names() -> Vec<&'static str> {
        Verb::ALL.iter().map(|v| v.as_str()).collect()
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<crate::wit::kube::Verb> for Verb {
    fn from(v: crate::wit::kube::Verb) -> Verb {
        use crate::wit::kube::Verb as W;
        match v {
            W::Get => Verb::Get,
            W::List => Verb::List,
            W::Create => Verb::Create,
            W::Update => Verb::Update,
            W::Patch => Verb::Patch,
            W::Delete => Verb::Delete,
            W::DeleteCollection => Verb::DeleteCollection,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for v in Verb::ALL {
            assert_eq!(Verb::parse(v.as_str()), Some(v));
            assert_eq!(Verb::parse(v.rbac()), Some(v));
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str());
        }
        assert_eq!(Verb::DeleteCollection.rbac(), "deletecollection");
        assert_eq!(Verb::parse("watch"), None);
        assert_eq!(Verb::parse("*"), None);
        assert!(Verb::Get.is_read() && !Verb::Patch.is_read());
    }
}
