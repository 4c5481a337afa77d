//! The memory budget shared by every concurrent plugin call (issue 9 §2: 24 concurrent jq
//! calls once reached 2.9 GB, each within its own per-call limit).
//!
//! Each call's store has a [`BudgetedLimits`] limiter: the per-call limit of
//! [`wasmtime::StoreLimits`] first, then every byte of linear-memory growth is taken from the
//! one [`MemoryBudget`] and given back when the store is dropped. A growth the budget cannot
//! cover traps that call (an `Err` from `memory_growing`, see wasmtime's `ResourceLimiter`),
//! with [`BUDGET_SPENT`] in its text so the runtime reports "server busy" rather than the
//! plugin's own limit. Before a call starts, [`MemoryBudget::admit`] waits a little for
//! [`MemoryBudget::admission_floor`] bytes to be free and refuses the call otherwise.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use wasmtime::{ResourceLimiter, StoreLimits};

/// The marker in the trap text of a growth the shared budget refused.
pub const BUDGET_SPENT: &str = "the server's shared plugin memory budget is spent";

/// Bytes of plugin linear memory the server allows across all calls at once.
#[derive(Debug)]
pub struct MemoryBudget {
    total: usize,
    used: AtomicUsize,
    released: tokio::sync::Notify,
}

impl MemoryBudget {
    /// A budget of `total` bytes.
    pub fn new(total: usize) -> Arc<MemoryBudget> {
        Arc::new(MemoryBudget {
            total,
            used: AtomicUsize::new(0),
            released: tokio::sync::Notify::new(),
        })
    }

    /// The budget in bytes.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Bytes taken by running calls now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// Bytes a call needs free before it is admitted: 1/16 of the budget, at least 16 MiB
    /// (a Rust plugin starts at about 1–2 MiB, a Python one at about 20 MiB).
    pub fn admission_floor(&self) -> usize {
        (self.total / 16).max(16 << 20).min(self.total)
    }

    /// Waits up to `wait` for [`MemoryBudget::admission_floor`] bytes to be free.
    /// Errors: the text for the model when they do not become free in time.
    pub async fn admit(&self, wait: Duration) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let notified = self.released.notified();
            if self.total - self.used().min(self.total) >= self.admission_floor() {
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(format!(
                    "Server busy: {BUDGET_SPENT} ({} of {} MiB in use by other calls); retry when they finish",
                    self.used() >> 20,
                    self.total >> 20
                ));
            }
        }
    }

    fn try_take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(bytes).filter(|n| *n <= self.total)
            })
            .is_ok()
    }

    fn give(&self, bytes: usize) {
        if bytes > 0 {
            self.used.fetch_sub(bytes, Ordering::AcqRel);
            self.released.notify_waiters();
        }
    }
}

/// A store's limiter: the per-call [`StoreLimits`], then the shared [`MemoryBudget`].
pub struct BudgetedLimits {
    inner: StoreLimits,
    budget: Arc<MemoryBudget>,
    held: usize,
}

impl BudgetedLimits {
    /// `inner` checked first, then growth charged to `budget`.
    pub fn new(inner: StoreLimits, budget: Arc<MemoryBudget>) -> BudgetedLimits {
        BudgetedLimits {
            inner,
            budget,
            held: 0,
        }
    }
}

impl Drop for BudgetedLimits {
    fn drop(&mut self) {
        self.budget.give(self.held);
    }
}

impl ResourceLimiter for BudgetedLimits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if !self.inner.memory_growing(current, desired, maximum)? {
            return Ok(false);
        }
        let delta = desired.saturating_sub(current);
        if !self.budget.try_take(delta) {
            wasmtime::bail!(
                "{BUDGET_SPENT}: growing to {desired} bytes needs {delta} more, {} of {} bytes are in use",
                self.budget.used(),
                self.budget.total()
            );
        }
        self.held += delta;
        Ok(true)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.memory_grow_failed(error)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.inner.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.inner.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.inner.instances()
    }

    fn tables(&self) -> usize {
        self.inner.tables()
    }

    fn memories(&self) -> usize {
        self.inner.memories()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::StoreLimitsBuilder;

    fn limits(budget: &Arc<MemoryBudget>, per_call: usize) -> BudgetedLimits {
        BudgetedLimits::new(
            StoreLimitsBuilder::new()
                .memory_size(per_call)
                .trap_on_grow_failure(true)
                .build(),
            budget.clone(),
        )
    }

    #[test]
    fn growth_is_charged_and_given_back() {
        let budget = MemoryBudget::new(100 << 20);
        let mut a = limits(&budget, 64 << 20);
        let mut b = limits(&budget, 64 << 20);
        assert!(a.memory_growing(0, 60 << 20, None).unwrap());
        assert_eq!(budget.used(), 60 << 20);
        // b is within its own limit, but the budget has only 40 MiB left.
        let err = b.memory_growing(0, 50 << 20, None).unwrap_err();
        assert!(err.to_string().contains(BUDGET_SPENT), "{err}");
        assert!(b.memory_growing(0, 40 << 20, None).unwrap());
        assert_eq!(budget.used(), 100 << 20);
        drop(a);
        assert_eq!(budget.used(), 40 << 20);
        // The per-call limit still applies first, with its own message.
        let err = b.memory_growing(40 << 20, 65 << 20, None).unwrap_err();
        assert!(!err.to_string().contains(BUDGET_SPENT), "{err}");
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test]
    async fn admission_waits_then_refuses() {
        let budget = MemoryBudget::new(64 << 20);
        assert!(budget.admit(Duration::from_millis(10)).await.is_ok());
        let mut a = limits(&budget, 64 << 20);
        assert!(a.memory_growing(0, 60 << 20, None).unwrap());
        let err = budget.admit(Duration::from_millis(50)).await.unwrap_err();
        assert!(err.starts_with("Server busy"), "{err}");
        // A release during the wait admits the waiting call.
        let b2 = budget.clone();
        let waiter = tokio::spawn(async move { b2.admit(Duration::from_secs(5)).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(a);
        assert!(waiter.await.unwrap().is_ok());
    }
}
