//! An instance-wide memory budget that invocations reserve from before they hold memory, and
//! huge pages for the large buffers they hold ([`advise_huge_pages`]).
//!
//! The Functions host sends one invocation per owned partition at once, each up to
//! `MAX_BODY_BYTES`; a Flex Consumption instance has 512 MB to 4 GB. Each invocation reserves
//! its request body as it is read and its working memory before it builds entries; when the
//! budget is spent, the next reservation waits (the host's request waits on the socket) until
//! an invocation finishes and gives its share back.
//!
//! Reservations are served in the order they were opened: while an older one waits, a younger
//! one waits behind it even if its own need would fit, so that a stream of small invocations
//! cannot starve a large one (nor slip in and push it over the budget when it finally goes).
//! The oldest open reservation never waits: otherwise two invocations each holding part of the
//! budget and each needing more would wait for each other forever. The budget can therefore be
//! exceeded by what the oldest invocation needs beyond it, and by nothing else.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

/// The share of the container's memory limit given to the budget by default.
pub const DEFAULT_SHARE: f64 = 0.6;
/// What is left, at least, for the Functions host, the runtime and the allocator.
pub const DEFAULT_HEADROOM: u64 = 300 << 20;
/// The smallest default budget.
pub const MIN_DEFAULT_BUDGET: u64 = 64 << 20;

/// The budget: cheap to clone, shared by every invocation.
#[derive(Debug, Clone)]
pub struct MemoryBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    total: u64,
    state: Mutex<State>,
    released: Notify,
}

#[derive(Debug, Default)]
struct State {
    used: u64,
    /// Open reservations by ticket (arrival order), with what each holds.
    open: BTreeMap<u64, u64>,
    /// Reservations waiting to grow, by ticket.
    waiting: std::collections::BTreeSet<u64>,
    next_ticket: u64,
}

impl MemoryBudget {
    pub fn new(total_bytes: u64) -> Self {
        MemoryBudget {
            inner: Arc::new(Inner {
                total: total_bytes,
                state: Mutex::new(State::default()),
                released: Notify::new(),
            }),
        }
    }

    /// Bytes reserved now.
    #[cfg(test)]
    pub fn used(&self) -> u64 {
        self.lock().used
    }

    /// A reservation for one invocation, holding nothing yet. Reservations are served in the
    /// order they were opened.
    pub fn open(&self) -> Reservation {
        let mut state = self.lock();
        let ticket = state.next_ticket;
        state.next_ticket += 1;
        state.open.insert(ticket, 0);
        Reservation {
            budget: self.clone(),
            ticket,
            held: 0,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Memory held by one invocation; given back when dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: MemoryBudget,
    ticket: u64,
    held: u64,
}

impl Reservation {
    /// Bytes held.
    pub fn held(&self) -> u64 {
        self.held
    }

    /// Holds `bytes` more, waiting while the budget is spent (unless this is the oldest open
    /// reservation, which never waits).
    pub async fn grow(&mut self, bytes: u64) {
        if bytes == 0 {
            return;
        }
        let inner = &self.budget.inner;
        loop {
            // Registered before the check, so a release in between is not missed.
            let released = inner.released.notified();
            {
                let mut state = self.budget.lock();
                let oldest = state.open.keys().next() == Some(&self.ticket);
                let older_waits = state.waiting.range(..self.ticket).next().is_some();
                if oldest || (!older_waits && state.used + bytes <= inner.total) {
                    state.used += bytes;
                    *state.open.entry(self.ticket).or_default() += bytes;
                    state.waiting.remove(&self.ticket);
                    self.held += bytes;
                    drop(state);
                    // A younger reservation may have waited behind this one.
                    inner.released.notify_waiters();
                    return;
                }
                state.waiting.insert(self.ticket);
            }
            released.await;
        }
    }

    /// Holds at least `bytes` in all.
    pub async fn grow_to(&mut self, bytes: u64) {
        if bytes > self.held {
            self.grow(bytes - self.held).await;
        }
    }

    /// Gives back what is held beyond `bytes`.
    pub fn shrink_to(&mut self, bytes: u64) {
        if bytes >= self.held {
            return;
        }
        let give = self.held - bytes;
        {
            let mut state = self.budget.lock();
            state.used -= give;
            if let Some(h) = state.open.get_mut(&self.ticket) {
                *h -= give;
            }
        }
        self.held = bytes;
        self.budget.inner.released.notify_waiters();
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        {
            let mut state = self.budget.lock();
            state.used -= self.held;
            state.open.remove(&self.ticket);
            state.waiting.remove(&self.ticket);
        }
        // Also wakes a reservation that has just become the oldest.
        self.budget.inner.released.notify_waiters();
    }
}

/// The default budget: a share of the container's memory limit (cgroup v2 or v1), or of the
/// machine's memory when the container has no limit.
pub fn default_budget() -> (u64, String) {
    let (limit, source) = match container_limit() {
        Some(limit) => (limit, "the container's memory limit"),
        None => match machine_memory() {
            Some(total) => (total, "the machine's memory (no container limit)"),
            None => (2 << 30, "an assumed 2 GiB (no limit could be read)"),
        },
    };
    let share = (limit as f64 * DEFAULT_SHARE) as u64;
    let budget = share
        .min(limit.saturating_sub(DEFAULT_HEADROOM))
        .max(MIN_DEFAULT_BUDGET);
    (
        budget,
        format!(
            "{:.0}% of {source} ({} MiB), at most that less {} MiB",
            DEFAULT_SHARE * 100.0,
            limit >> 20,
            DEFAULT_HEADROOM >> 20
        ),
    )
}

fn container_limit() -> Option<u64> {
    let read = |path: &str| std::fs::read_to_string(path).ok();
    let limit = read("/sys/fs/cgroup/memory.max")
        .or_else(|| read("/sys/fs/cgroup/memory/memory.limit_in_bytes"))?;
    let limit: u64 = limit.trim().parse().ok()?;
    // cgroup v1 writes a huge number for "no limit".
    (limit < (1 << 50)).then_some(limit)
}

fn machine_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Asks Linux to back a large request buffer with transparent huge pages, where THP is
/// `madvise` or `always`. Filling fresh memory 4 KB at a time costs a page fault per page:
/// 18% of the handler's CPU on invocations of 100 × 1 MB (133 MB requests; BENCHMARKS.md,
/// Where the time goes). Only advice: where THP is off, or the call fails, nothing changes.
pub fn advise_huge_pages(buf: &mut Vec<u8>) {
    #[cfg(target_os = "linux")]
    if let Some(range) = huge_page_range(buf.as_mut_ptr() as usize, buf.capacity()) {
        // SAFETY: the range lies inside the allocation `buf` owns (its capacity; see
        // `huge_page_range`), and MADV_HUGEPAGE changes how the kernel backs those pages,
        // never what they hold.
        unsafe {
            libc::madvise(
                range.start as *mut libc::c_void,
                range.len(),
                libc::MADV_HUGEPAGE,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

/// The 2 MB-aligned addresses inside the allocation at `start` of `len` bytes, when it is at
/// least 4 MB (smaller buffers are left alone).
fn huge_page_range(start: usize, len: usize) -> Option<std::ops::Range<usize>> {
    const HUGE: usize = 2 << 20;
    if len < 2 * HUGE {
        return None;
    }
    let (first, last) = (start.next_multiple_of(HUGE), (start + len) / HUGE * HUGE);
    (last > first).then_some(first..last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_reservation_waits_until_the_budget_has_room() {
        let budget = MemoryBudget::new(100);
        let mut first = budget.open();
        first.grow(80).await;
        let mut second = budget.open();
        second.grow(20).await;
        let waiting = {
            let budget = budget.clone();
            tokio::spawn(async move {
                let mut third = budget.open();
                third.grow(30).await;
                third.held()
            })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!waiting.is_finished(), "the budget is spent");
        assert_eq!(budget.used(), 100);
        drop(first);
        assert_eq!(waiting.await.unwrap(), 30);
        assert_eq!(budget.used(), 20);
    }

    #[tokio::test(start_paused = true)]
    async fn the_oldest_never_waits_so_nothing_deadlocks() {
        let budget = MemoryBudget::new(100);
        let mut a = budget.open();
        let mut b = budget.open();
        a.grow(50).await;
        b.grow(50).await;
        // Both need more: b waits, a (the oldest) goes over the budget and finishes.
        let b_task = tokio::spawn(async move {
            b.grow(40).await;
            b
        });
        a.grow(40).await;
        assert_eq!(budget.used(), 140);
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!b_task.is_finished());
        drop(a);
        let b = b_task.await.unwrap();
        assert_eq!(b.held(), 90);
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_younger_reservation_does_not_overtake_an_older_one_waiting() {
        let budget = MemoryBudget::new(100);
        let mut a = budget.open();
        a.grow(80).await;
        let b_task = {
            let mut b = budget.open();
            tokio::spawn(async move {
                b.grow(80).await;
                b
            })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        // c opens after b: its 10 would fit, but b waits first.
        let c_task = {
            let mut c = budget.open();
            tokio::spawn(async move {
                c.grow(10).await;
                c
            })
        };
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!c_task.is_finished(), "c overtook b");
        drop(a);
        let b = b_task.await.unwrap();
        let c = c_task.await.unwrap();
        assert_eq!((b.held(), c.held()), (80, 10));
        assert!(budget.used() <= 100, "never over: {}", budget.used());
    }

    #[tokio::test]
    async fn shrinking_gives_back() {
        let budget = MemoryBudget::new(100);
        let mut r = budget.open();
        r.grow_to(60).await;
        r.grow_to(40).await;
        assert_eq!(r.held(), 60);
        r.shrink_to(10);
        assert_eq!((r.held(), budget.used()), (10, 10));
    }

    #[test]
    fn the_default_leaves_headroom() {
        let (budget, why) = default_budget();
        assert!(budget >= MIN_DEFAULT_BUDGET, "{why}");
    }

    #[test]
    fn huge_pages_are_advised_only_inside_the_buffer() {
        const MB: usize = 1 << 20;
        assert_eq!(huge_page_range(4096, 4 * MB - 1), None);
        assert_eq!(huge_page_range(2 * MB, 4 * MB), Some(2 * MB..6 * MB));
        assert_eq!(huge_page_range(2 * MB + 16, 4 * MB), Some(4 * MB..6 * MB));
        assert_eq!(huge_page_range(16, 133 * MB), Some(2 * MB..132 * MB));
        for (start, len) in [(16, 4 * MB), (MB + 7, 5 * MB), (123_456_789, 77 * MB)] {
            let r = huge_page_range(start, len).unwrap();
            assert!(start <= r.start && r.end <= start + len && r.start.is_multiple_of(2 * MB));
        }
        // And on a real buffer: the advice changes nothing it holds.
        let mut buf = Vec::with_capacity(9 * MB);
        advise_huge_pages(&mut buf);
        buf.extend((0..9 * MB).map(|i| i as u8));
        assert!(buf.iter().enumerate().all(|(i, &b)| b == i as u8));
    }
}
