//! The `log` capability: plugin messages go to the host's log (stderr), attributed to the
//! plugin and request. Plugins without a `log` grant are silently dropped (logging is not
//! worth failing a call over).

use wasmtime::component::{HasData, Linker};

use super::call::Call;
use crate::wit::log::{self as latest_log, Level};
use crate::wit::v0_1_0::kube_ai_proxy::plugin::log as v0_1_0_log;
use crate::wit::v0_1_0_adapter as adapter;

/// Longest message kept, in bytes; longer ones are cut.
const MAX_MESSAGE: usize = 4096;

/// The `log` capability's view of a call.
pub struct LogView<'a> {
    call: &'a Call,
}

impl<'a> LogView<'a> {
    /// The view of `call`.
    pub fn new(call: &'a Call) -> Self {
        LogView { call }
    }
}

/// The `HasData` marker that projects a store's state to a [`LogView`].
pub struct LogCap;

impl HasData for LogCap {
    type Data<'a> = LogView<'a>;
}

/// Adds the `log` imports of every contract version to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> LogView<'_>,
) -> wasmtime::Result<()> {
    latest_log::add_to_linker::<T, LogCap>(linker, get)?;
    v0_1_0_log::add_to_linker::<T, LogCap>(linker, get)?;
    Ok(())
}

impl latest_log::Host for LogView<'_> {
    async fn log(&mut self, level: Level, message: String) {
        let plugin = &self.call.plugin;
        let granted = plugin.grant.as_ref().is_some_and(|g| g.log)
            && plugin.manifest.capabilities.log.is_some();
        if !granted {
            return;
        }
        let mut message = message;
        if message.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !message.is_char_boundary(cut) {
                cut -= 1;
            }
            message.truncate(cut);
        }
        let plugin = &plugin.manifest.name;
        let request = &self.call.caller.request_id;
        match level {
            Level::Trace => tracing::trace!(%plugin, %request, "{message}"),
            Level::Debug => tracing::debug!(%plugin, %request, "{message}"),
            Level::Info => tracing::info!(%plugin, %request, "{message}"),
            Level::Warn => tracing::warn!(%plugin, %request, "{message}"),
            Level::Error => tracing::error!(%plugin, %request, "{message}"),
        }
    }
}

impl v0_1_0_log::Host for LogView<'_> {
    async fn log(&mut self, level: v0_1_0_log::Level, message: String) {
        latest_log::Host::log(self, adapter::level(level), message).await
    }
}
