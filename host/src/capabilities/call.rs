//! What every capability of one call shares ([`Call`]): who calls, the host parts the gate
//! needs, the call's deadline and clock, how to reach a person, and the per-call budget of
//! capability calls. Capability-specific per-call state lives in each unit (e.g.
//! [`super::kube::KubeState`]).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::audit::{AuditLog, Caller};
use crate::confirm::{Channel, Clock};
use crate::plugins::manifest::PluginInfo;
use crate::policy::{Identity, Policy};
use crate::wit::tools::CallPlan;

/// What every capability of one call shares: who calls, the host parts the gate needs, the
/// call's deadline and clock, how to reach a person, and the per-call capability budget.
pub struct Call {
    /// The plugin being called.
    pub plugin: Arc<PluginInfo>,
    /// Who the call is for, for audit records.
    pub caller: Caller,
    /// The identity the host acts as (context, impersonated user/groups), for policy rules.
    pub identity: Identity,
    /// The operator's policy.
    pub policy: Arc<Policy>,
    /// The audit log.
    pub audit: Arc<AuditLog>,
    /// Capability calls allowed per tool call.
    pub max_capability_calls: u32,
    /// Capability calls made so far in this call.
    pub capability_calls: u32,
    /// When the call must end (moved later by time spent asking a person).
    pub deadline: Instant,
    /// True while serving `list-tools`/`plan-call`/prompts: capabilities are refused.
    pub loading: bool,
    /// How this call can ask a person to confirm a request.
    pub channel: Arc<Channel>,
    /// Time spent waiting for people, shared with the task enforcing the timeout.
    pub clock: Arc<Mutex<Clock>>,
    /// What the plugin declared the call stands for (`plan-call`), if anything.
    pub plan: Option<CallPlan>,
}

impl Call {
    /// Counts one capability call; refuses while loading, past the per-call budget, or after
    /// the deadline. `Err` is the reason, for the capability's own `limit`/`denied` error.
    pub fn count(&mut self) -> Result<(), CountRefusal> {
        if self.loading {
            return Err(CountRefusal::Loading);
        }
        self.capability_calls += 1;
        if self.capability_calls > self.max_capability_calls {
            return Err(CountRefusal::Limit(format!(
                "more than {} capability calls in one tool call",
                self.max_capability_calls
            )));
        }
        if Instant::now() >= self.deadline {
            return Err(CountRefusal::Limit("the call's time is up".into()));
        }
        Ok(())
    }
}

/// Why [`Call::count`] refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountRefusal {
    /// Capabilities are not available while the host lists a plugin's tools or plans a call.
    #[error("capabilities are not available while the host lists a plugin's tools")]
    Loading,
    /// Too many calls, or the call's time is up.
    #[error("{0}")]
    Limit(String),
}
