//! What a person can ask of a running run, from the cockpit's keys or an attached cockpit:
//! engine commands, chaos calls, a report now, a stop. One performer for both.

use crate::engine::{Commands, EngineCommand};
use crate::monitor::{Cause, Monitor};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    Engine {
        command: EngineCommand,
    },
    InjectChaos {
        tool: String,
        mode: String,
        pct: f64,
    },
    ClearChaos {
        tool: String,
    },
    ClearAllChaos,
    ExportReport,
    /// The run's one stop path: the first drains, the next abandons.
    Stop,
}

/// The parts of a session an action reaches; cheap to clone.
#[derive(Clone)]
pub struct Actor {
    pub engine: Commands,
    pub stopper: crate::stop::Stopper,
    pub monitor: Monitor,
    pub reporter: crate::session::Reporter,
}

impl Actor {
    pub fn of(session: &crate::session::Session) -> Self {
        Self {
            engine: session.engine.commands.clone(),
            stopper: session.stopper.clone(),
            monitor: session.monitor.clone(),
            reporter: session.reporter.clone(),
        }
    }

    /// Performs `action`; chaos calls run on tasks of their own (their answers reach the log).
    pub fn perform(&self, action: Action) {
        match action {
            Action::Engine { command } => {
                self.monitor.record(crate::live::Event::Control { command: format!("{command:?}") });
                let _ = self.engine.send(command);
            }
            Action::InjectChaos { tool, mode, pct } => {
                let m = self.monitor.clone();
                tokio::spawn(async move { m.inject(&tool, &mode, pct, Cause::Key).await });
            }
            Action::ClearChaos { tool } => {
                let m = self.monitor.clone();
                tokio::spawn(async move { m.clear(&tool, Cause::Key).await });
            }
            Action::ClearAllChaos => {
                let m = self.monitor.clone();
                tokio::spawn(async move { m.clear_all(Cause::Key).await });
            }
            Action::ExportReport => self.reporter.export_in_background(false),
            Action::Stop => {
                self.monitor.record(crate::live::Event::Control { command: "stop asked for".into() });
                self.stopper.request();
            }
        }
    }
}
