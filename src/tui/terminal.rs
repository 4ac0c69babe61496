//! The terminal guard: raw mode, alternate screen and hidden cursor while the cockpit runs,
//! restored on every way out — drop (quit, errors, early returns) and panic (a hook restores
//! the terminal before the panic message is printed, so the message is readable).

use crossterm::cursor::{Hide, Show};
use crossterm::execute;
use crossterm::terminal::{disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::{self, Stdout};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

/// Whether the terminal is currently in cockpit mode; makes `restore` idempotent.
static ACTIVE: AtomicBool = AtomicBool::new(false);
static PANIC_HOOK: Once = Once::new();

pub type CockpitTerminal = Terminal<CrosstermBackend<Stdout>>;

pub struct TerminalGuard {
    /// Dropped by hand: ratatui's drop prints (and so panics) when the terminal is gone.
    terminal: std::mem::ManuallyDrop<CockpitTerminal>,
}

impl TerminalGuard {
    pub fn new() -> io::Result<Self> {
        install_panic_hook();
        ACTIVE.store(true, Ordering::SeqCst);
        let entered = enable_raw_mode()
            .and_then(|()| execute!(io::stdout(), EnterAlternateScreen, Hide))
            .and_then(|()| Terminal::new(CrosstermBackend::new(io::stdout())));
        match entered {
            Ok(terminal) => Ok(Self { terminal: std::mem::ManuallyDrop::new(terminal) }),
            Err(e) => {
                // Half-entered (raw mode on, no alternate screen…): undo what was done.
                restore();
                Err(e)
            }
        }
    }

    pub fn terminal(&mut self) -> &mut CockpitTerminal {
        &mut self.terminal
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        // With the cursor shown, ratatui's own drop has nothing left to do; when the terminal
        // is gone (ssh dropped) it cannot be shown, and the few buffers are left behind
        // rather than letting that drop write to a dead terminal.
        if self.terminal.show_cursor().is_ok() {
            // SAFETY: dropped once, here; the field is never used again.
            unsafe { std::mem::ManuallyDrop::drop(&mut self.terminal) };
        }
        restore();
    }
}

/// Leaves raw mode and the alternate screen and shows the cursor. Safe to call any number of
/// times, from anywhere (drop, panic hook, signal paths); only the first call after entering
/// does anything.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        // Best effort: on a broken terminal there is nothing better to do with the errors.
        let _ = disable_raw_mode();
        let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
    }
}

/// Chains a hook that restores the terminal before the previous hook prints the panic.
fn install_panic_hook() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            previous(info);
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restore_is_idempotent_and_harmless_when_not_entered() {
        // Never entered: nothing to undo, and calling twice is fine.
        restore();
        restore();
        assert!(!ACTIVE.load(Ordering::SeqCst));
    }
}
