//! The `log` capability: plugin messages go to the host's log (stderr), attributed to the
//! plugin and request. Plugins without a `log` grant are silently dropped (logging is not
//! worth failing a call over).

use crate::plugins::bindings::log::{Host, Level};
use crate::plugins::runtime::CallState;

/// Longest message kept, in bytes; longer ones are cut.
const MAX_MESSAGE: usize = 4096;

impl Host for CallState {
    async fn log(&mut self, level: Level, message: String) {
        let granted = self.plugin.grant.as_ref().is_some_and(|g| g.log)
            && self.plugin.manifest.capabilities.log.is_some();
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
        let plugin = &self.plugin.manifest.name;
        let request = &self.caller.request_id;
        match level {
            Level::Trace => tracing::trace!(%plugin, %request, "{message}"),
            Level::Debug => tracing::debug!(%plugin, %request, "{message}"),
            Level::Info => tracing::info!(%plugin, %request, "{message}"),
            Level::Warn => tracing::warn!(%plugin, %request, "{message}"),
            Level::Error => tracing::error!(%plugin, %request, "{message}"),
        }
    }
}
