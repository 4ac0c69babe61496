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
        loop {
            let mut guard = self.fd.readable().await?;
            let read = guard.try_io(|inner| {
                let mut expirations = [0u8; 8];
                // SAFETY: reads 8 bytes into an 8-byte buffer from our timerfd.
                let n = unsafe { libc::read(inner.get_ref().as_raw_fd(), expirations.as_mut_ptr().cast(), 8) };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            match read {
                Ok(result) => {
                    // One read takes every expiration, and only the next arming can make the
                    // fd readable again: without this, the next wait would start with a
                    // stale readiness and a read that can only fail (a syscall per arrival).
                    if result.is_ok() {
                        guard.clear_ready();
                    }
                    return result;
                }
                // Readiness was stale: wait again.
                Err(_would_block) => continue,
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
}
