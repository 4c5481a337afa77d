//! RBAC pre-checks with SelfSubjectAccessReview (`authorization.k8s.io/v1`), cached briefly.
//!
//! The review asks the API server whether the identity the host acts as may perform the
//! exact verb on the exact resource, subresource, namespace and name — the same attributes
//! the API server's authorizer uses for the real request (Kubernetes docs, "Checking API
//! access"). Answers are cached for `ttl`, keyed by kube context and attributes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use k8s_openapi::api::authorization::v1::{
    NonResourceAttributes, ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, PostParams};

use crate::policy::RequestAttributes;

/// The answer of one review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the authorizer allows the request: the review's `status.allowed`, and not
    /// `status.denied`.
    pub allowed: bool,
    /// The authorizer's reason, when it gave one.
    pub reason: String,
}

/// A cache of SelfSubjectAccessReview answers for one identity (kube context).
pub struct Rbac {
    ttl: Duration,
    cache: Mutex<HashMap<RequestAttributes, (Verdict, Instant)>>,
}

impl Rbac {
    /// A cache whose answers live for `ttl` (zero disables caching).
    pub fn new(ttl: Duration) -> Rbac {
        Rbac {
            ttl,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Reviews `attrs` for the client's identity.
    ///
    /// Errors: the review could not be created (API server unreachable, or the identity may
    /// not create SelfSubjectAccessReviews, which every authenticated user may by default).
    pub async fn review(
        &self,
        client: &kube::Client,
        attrs: &RequestAttributes,
    ) -> Result<Verdict, kube::Error> {
        let mut key = attrs.clone();
        key.version.clear();
        if let Ok(cache) = self.cache.lock()
            && let Some((v, at)) = cache.get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(v.clone());
        }
        let verdict = create_review(
            client,
            SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(attrs.rbac_verb().to_string()),
                    group: Some(attrs.group.clone()),
                    resource: Some(attrs.resource.clone()),
                    subresource: attrs.subresource.clone(),
                    namespace: attrs.namespace.clone(),
                    name: attrs.name.clone(),
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .await?;
        if !self.ttl.is_zero()
            && let Ok(mut cache) = self.cache.lock()
        {
            if cache.len() > 4096 {
                cache.clear();
            }
            cache.insert(key, (verdict.clone(), Instant::now()));
        }
        Ok(verdict)
    }
}

impl Rbac {
    /// Reviews a non-resource URL (`nonResourceAttributes`), e.g. `get` of `/version` (every
    /// identity may by default, through `system:public-info-viewer`). Not cached.
    ///
    /// Errors: as [`Rbac::review`].
    pub async fn review_non_resource(
        &self,
        client: &kube::Client,
        verb: &str,
        path: &str,
    ) -> Result<Verdict, kube::Error> {
        create_review(
            client,
            SelfSubjectAccessReviewSpec {
                non_resource_attributes: Some(NonResourceAttributes {
                    path: Some(path.to_string()),
                    verb: Some(verb.to_string()),
                }),
                ..Default::default()
            },
        )
        .await
    }
}

/// Creates one SelfSubjectAccessReview (the only place in the host that builds one) and
/// reads its answer: allowed when `status.allowed` and not `status.denied`.
async fn create_review(
    client: &kube::Client,
    spec: SelfSubjectAccessReviewSpec,
) -> Result<Verdict, kube::Error> {
    let review = SelfSubjectAccessReview {
        spec,
        ..Default::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    let answer = api.create(&PostParams::default(), &review).await?;
    let status = answer.status.unwrap_or_default();
    Ok(Verdict {
        allowed: status.allowed && !status.denied.unwrap_or(false),
        reason: status
            .reason
            .or(status.evaluation_error)
            .unwrap_or_default(),
    })
}
