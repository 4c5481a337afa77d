//! The `progress` capability: MCP progress notifications (MCP spec, "Progress") for long
//! calls. A report is sent only when the client asked for progress (a `progressToken` in the
//! request's `_meta`); values must increase, and reports come at most every
//! [`MIN_INTERVAL`]. Any other report is dropped silently: progress is never worth failing a
//! call over.

use std::time::{Duration, Instant};

use rmcp::model::{ProgressNotificationParam, ProgressToken};
use rmcp::{Peer, RoleServer};
use wasmtime::component::{HasData, Linker};

use crate::wit::progress as latest_progress;

/// Shortest time between two notifications of one call.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Longest message sent, in characters.
const MAX_MESSAGE: usize = 512;

/// Where one call's progress goes: the session and the client's token.
pub struct Sink {
    /// The MCP session.
    pub peer: Peer<RoleServer>,
    /// The `progressToken` of the `tools/call`.
    pub token: ProgressToken,
    /// The last value sent and when.
    last: Option<(u64, Instant)>,
}

impl Sink {
    /// A sink for `token` on `peer`.
    pub fn new(peer: Peer<RoleServer>, token: ProgressToken) -> Self {
        Sink {
            peer,
            token,
            last: None,
        }
    }
}

/// The `progress` capability's own per-call state.
#[derive(Default)]
pub struct ProgressState {
    /// Where notifications go; `None` when the client asked for no progress.
    pub sink: Option<Sink>,
}

/// The `progress` capability's view of a call: only its own state (it makes no decision).
pub struct ProgressView<'a> {
    state: &'a mut ProgressState,
}

impl<'a> ProgressView<'a> {
    /// The view of the capability's `state`.
    pub fn new(state: &'a mut ProgressState) -> Self {
        ProgressView { state }
    }
}

/// The `HasData` marker that projects a store's state to a [`ProgressView`].
pub struct ProgressCap;

impl HasData for ProgressCap {
    type Data<'a> = ProgressView<'a>;
}

/// Adds the `progress` import (0.2.0 and later) to `linker`.
pub fn add_to_linker<T: Send + 'static>(
    linker: &mut Linker<T>,
    get: fn(&mut T) -> ProgressView<'_>,
) -> wasmtime::Result<()> {
    latest_progress::add_to_linker::<T, ProgressCap>(linker, get)
}

impl latest_progress::Host for ProgressView<'_> {
    async fn report(&mut self, done: u64, total: Option<u64>, message: Option<String>) {
        let Some(sink) = self.state.sink.as_mut() else {
            return;
        };
        if let Some((last, at)) = sink.last
            && (done <= last || at.elapsed() < MIN_INTERVAL)
        {
            return;
        }
        sink.last = Some((done, Instant::now()));
        let mut param = ProgressNotificationParam::new(sink.token.clone(), done as f64);
        if let Some(t) = total {
            param = param.with_total(t as f64);
        }
        if let Some(m) = message {
            param = param.with_message(m.chars().take(MAX_MESSAGE).collect::<String>());
        }
        let _ =
            tokio::time::timeout(Duration::from_secs(1), sink.peer.notify_progress(param)).await;
    }
}
