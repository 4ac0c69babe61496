//! How the open-model scheduler waits for its next arrival. On its own thread it parks with
//! the OS timer (microsecond wake-ups, but each arrival is then handed to a runtime worker: a
//! second wake-up). With one runtime worker it can instead wait *on* that worker, through a
//! Linux timerfd the runtime's own epoll watches: the arrival is sent from the thread that
//! woke for it, and a response arriving meanwhile shares the wake-up.

use std::time::Duration;
use tokio::time::Instant;

pub enum Waiter {
    /// A dedicated thread: `park_timeout`, unparked by commands.
    Park,
    /// On the runtime: a timerfd, or a command, whichever comes first.
    #[cfg(target_os = "linux")]
    Timer(TimerFd),
}

impl Waiter {
    /// The precise timer for a one-worker runtime, where it saves the hand-off; `None`
    /// elsewhere (or without timerfd), where the scheduler keeps its own thread.
    pub fn on_runtime() -> Option<Self> {
        if tokio::runtime::Handle::current().metrics().num_workers() != 1 {
            return None;
        }
        #[cfg(target_os = "linux")]
        {
            TimerFd::new().ok().map(Waiter::Timer)
        }
        #[cfg(not(target_os = "linux"))]
        {
            None
        }
    }
}

impl Waiter {
    /// Waits `wait` as precisely as this waiter can (the start barrier).
    pub async fn sleep_for(&self, wait: Duration) {
        match self {
            Waiter::Park => std::thread::sleep(wait),
            #[cfg(target_os = "linux")]
            Waiter::Timer(t) => {
                let at = Instant::now() + wait;
                if t.sleep_until(at).await.is_err() {
                    tokio::time::sleep_until(at).await;
                }
            }
        }
    }
}

/// How early to wake for an arrival so that its request leaves on time rather than always
/// after it. The lead is the median of what a send has come late by with no lead: the OS's
/// wake-up (tens of microseconds to a tenth of a millisecond in a VM) and the hand-over to
/// the sending task. It is tracked a step per observed send, up when that send was late and
/// down when it was early, with no history kept, and capped so that no request ever leaves
/// more than `MAX` before its instant. A request that leaves early is timed from its send,
/// never from the later intended instant (`exec::send_step`).
#[derive(Debug, Default)]
pub struct WakeLead {
    lead: Duration,
}

impl WakeLead {
    const STEP: Duration = Duration::from_micros(2);
    pub const MAX: Duration = Duration::from_micros(200);

    /// One send, which left after its intended instant (`late`) or not.
    pub fn observe(&mut self, late: bool) {
        self.lead = if late { (self.lead + Self::STEP).min(Self::MAX) } else { self.lead.saturating_sub(Self::STEP) };
    }

    pub fn get(&self) -> Duration {
        self.lead
    }
}

/// The latest send's offset from its intended instant, from the sending task to the
/// scheduler's `WakeLead`: one relaxed store per arrival.
#[derive(Debug)]
pub struct SendOffset(std::sync::atomic::AtomicI64);

impl Default for SendOffset {
    fn default() -> Self {
        Self(std::sync::atomic::AtomicI64::new(Self::NONE))
    }
}

impl SendOffset {
    const NONE: i64 = i64::MIN;

    /// The send of an arrival intended at `intended` starts now.
    pub fn sending(&self, intended: Instant) {
        let now = Instant::now();
        let ns = match now.checked_duration_since(intended) {
            Some(late) => late.as_nanos() as i64,
            None => -(intended.duration_since(now).as_nanos() as i64),
        };
        self.0.store(ns.max(Self::NONE + 1), std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the latest send since the last take was late; `None` if none happened.
    pub fn take_late(&self) -> Option<bool> {
        match self.0.swap(Self::NONE, std::sync::atomic::Ordering::Relaxed) {
            Self::NONE => None,
            ns => Some(ns > 0),
        }
    }
}

/// Makes this thread's timed sleeps precise until dropped: Linux lets a sleep of a normal
/// thread end up to its *timer slack* (50 µs by default) late to batch wake-ups, lateness
/// every arrival of the parked scheduler would carry. The timerfd path has none.
pub struct PreciseSleeps(());

impl PreciseSleeps {
    pub fn on_this_thread() -> Self {
        #[cfg(target_os = "linux")]
        // SAFETY: PR_SET_TIMERSLACK takes a plain integer; 1 ns is the smallest slack.
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong);
        }
        Self(())
    }
}

impl Drop for PreciseSleeps {
    fn drop(&mut self) {
        // The thread goes back to the blocking pool with the default slack (0 restores it).
        #[cfg(target_os = "linux")]
        // SAFETY: as above.
        unsafe {
            libc::prctl(libc::PR_SET_TIMERSLACK, 0 as libc::c_ulong);
        }
    }
}

#[cfg(target_os = "linux")]
pub struct TimerFd {
    fd: tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>,
}

#[cfg(target_os = "linux")]
impl TimerFd {
    pub fn new() -> std::io::Result<Self> {
        use std::os::fd::FromRawFd;
        // SAFETY: timerfd_create returns a new descriptor we own, or -1.
        let raw = unsafe { libc::timerfd_create(libc::CLOCK_MONOTONIC, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a valid descriptor nobody else owns.
        let owned = unsafe { std::os::fd::OwnedFd::from_raw_fd(raw) };
        // SAFETY: the descriptor is owned by the AsyncFd for its whole life, never replaced
        // or closed behind its back.
        Ok(Self { fd: unsafe { tokio::io::unix::AsyncFd::register(owned)? } })
    }

    /// Resolves at `at` (at once if it is past), to the kernel timer's precision.
    pub async fn sleep_until(&self, at: Instant) -> std::io::Result<()> {
        use std::os::fd::AsRawFd;
        let wait = at.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return Ok(());
        }
        // A relative expiry: an all-zero one would disarm the timer instead.
        let wait = wait.max(Duration::from_nanos(1));
        let spec = libc::itimerspec {
            it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
            it_value: libc::timespec { tv_sec: wait.as_secs() as libc::time_t, tv_nsec: wait.subsec_nanos() as _ },
        };
        let fd = self.fd.get_ref().as_raw_fd();
        // SAFETY: a valid timerfd and a valid itimerspec; no old value is asked for.
        if unsafe { libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut()) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // Arming resets the expiration count, so the fd is readable only once the new expiry
        // passes: no read is needed (a syscall per arrival saved). A readiness left from an
        // earlier arming a dropped wait never consumed is told apart by the clock.
        loop {
            let mut guard = self.fd.readable().await?;
            guard.clear_ready();
            if Instant::now() >= at {
                return Ok(());
            }
        }
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_timer_fires_at_its_instant_not_before() {
        let timer = TimerFd::new().unwrap();
        for _ in 0..3 {
            let at = Instant::now() + Duration::from_millis(20);
            timer.sleep_until(at).await.unwrap();
            assert!(Instant::now() >= at, "never early");
        }
        // A past instant resolves at once.
        timer.sleep_until(Instant::now() - Duration::from_millis(1)).await.unwrap();
    }

    #[test]
    fn the_lead_follows_the_median_lateness_and_stays_capped() {
        let mut lead = WakeLead::default();
        // With no lead, nine sends in ten would be 80 µs late, one in ten 5 ms (a busy moment).
        for i in 0..2_000 {
            let lateness = Duration::from_micros(if i % 10 == 9 { 5_000 } else { 80 });
            lead.observe(lateness > lead.get());
        }
        let us = lead.get().as_micros();
        assert!((76..=84).contains(&us), "lead {us} µs, want about 80");
        // Always very late: held at the cap, never more.
        for _ in 0..1_000 {
            lead.observe(true);
        }
        assert_eq!(lead.get(), WakeLead::MAX);
        // Early every time: the lead goes back to nothing.
        for _ in 0..1_000 {
            lead.observe(false);
        }
        assert_eq!(lead.get(), Duration::ZERO);
    }

    #[test]
    fn a_send_offset_is_taken_once_with_its_sign() {
        let offset = SendOffset::default();
        assert_eq!(offset.take_late(), None);
        offset.sending(Instant::now() - Duration::from_millis(1));
        assert_eq!(offset.take_late(), Some(true));
        assert_eq!(offset.take_late(), None, "taken once");
        offset.sending(Instant::now() + Duration::from_millis(1));
        assert_eq!(offset.take_late(), Some(false));
    }

    #[tokio::test]
    async fn a_dropped_wait_that_fired_later_does_not_end_the_next_one_early() {
        let timer = TimerFd::new().unwrap();
        // Armed for 5 ms and abandoned after one poll (as a command abandons a wait): a
        // zero timeout polls the wait once, then gives up on it. On a busy machine the first
        // poll can come after the 5 ms, when the wait ends at once: then arm it again.
        let armed = async {
            for _ in 0..100 {
                let wait = timer.sleep_until(Instant::now() + Duration::from_millis(5));
                if tokio::time::timeout(Duration::ZERO, wait).await.is_err() {
                    return true;
                }
            }
            false
        };
        assert!(armed.await, "the wait was never abandoned while armed");
        // ... and let it fire unread, so its readiness is left behind.
        std::thread::sleep(Duration::from_millis(20));
        tokio::task::yield_now().await;
        let at = Instant::now() + Duration::from_millis(20);
        timer.sleep_until(at).await.unwrap();
        assert!(Instant::now() >= at, "the stale readiness ended the wait early");
    }
}
