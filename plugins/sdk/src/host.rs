//! [`Host`]: the [`Api`] over the WIT imports (`kube`, `process`, `progress`, `log`).
//!
//! Only a plugin running in the host can use it: on a native target the imports do not exist
//! (the generated functions are stubs), so native tests use [`crate::testing::FakeApi`].
//!
//! `run_process` calls the `process` import only with the SDK's `process` feature (see
//! `Cargo.toml`): a plugin that runs no program then does not import it.

use crate::api::Api;
#[cfg(feature = "process")]
use crate::bindings::kube_ai_proxy::plugin::process;
use crate::bindings::kube_ai_proxy::plugin::{kube, log, progress};
use crate::{
    AccessReview, KubeError, Level, ProcessError, Request, ResourceInfo, Response, RunOutput,
    RunRequest, Verb,
};

/// The host's capabilities as an [`Api`]; [`crate::export_plugin!`] passes `&mut Host` to
/// [`crate::Plugin::call_tool`].
#[derive(Debug, Default, Clone, Copy)]
pub struct Host;

impl Api for Host {
    fn send(&mut self, req: &Request) -> Result<Response, KubeError> {
        kube::send(req)
    }

    fn resolve(&mut self, name: &str) -> Result<ResourceInfo, KubeError> {
        kube::resolve(name)
    }

    fn api_resources(&mut self) -> Result<Vec<ResourceInfo>, KubeError> {
        kube::api_resources()
    }

    fn server_version(&mut self) -> Result<String, KubeError> {
        kube::server_version()
    }

    fn openapi_schema(&mut self, group: &str, version: &str) -> Result<String, KubeError> {
        kube::openapi_schema(group, version)
    }

    fn can_i(
        &mut self,
        verb: Verb,
        group: &str,
        resource: &str,
        subresource: Option<&str>,
        namespace: Option<&str>,
        name: Option<&str>,
    ) -> Result<AccessReview, KubeError> {
        kube::can_i(verb, group, resource, subresource, namespace, name)
    }

    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }

    /// `process.run`, with the SDK's `process` feature; without it, refused as
    /// [`ProcessError::NotGranted`] (and the component does not import `process`).
    fn run_process(&mut self, req: &RunRequest) -> Result<RunOutput, ProcessError> {
        #[cfg(feature = "process")]
        return process::run(req);
        #[cfg(not(feature = "process"))]
        Err(ProcessError::NotGranted(format!(
            "{}: this plugin was built without the SDK's `process` feature",
            req.program
        )))
    }

    fn progress(&mut self, done: u64, total: Option<u64>, message: Option<&str>) {
        progress::report(done, total, message);
    }

    fn log(&mut self, level: Level, message: &str) {
        log::log(level, message);
    }
}
