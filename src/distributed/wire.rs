//! The coordinator protocol: length-prefixed JSON frames over TCP. Histograms travel in HDR's
//! compact V2 binary serialisation (base64 inside the frame), so the coordinator adds them
//! exactly; an empty one is left out.

use crate::engine::EngineCommand;
use crate::metrics::codec::{add_encoded, encode_histogram};
use crate::metrics::shard::{FailureNote, FlowShard, Shard};
use crate::metrics::{ErrorClass, PhaseView, RunStatus};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Largest frame read; a shard's interval is a few kB to a few hundred kB.
pub const MAX_FRAME: usize = 64 << 20;

/// Largest first frame from a peer not yet let in (a hello is a hundred bytes).
pub const MAX_HELLO: usize = 64 << 10;

/// The coordinator pings its shards this often; a shard that hears nothing for
/// `SILENCE` takes the coordinator for gone (a dead host sends no FIN).
pub const PING_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
pub const SILENCE: std::time::Duration = std::time::Duration::from_secs(15);

/// Bumped when a message changes meaning; both sides must speak the same.
pub const PROTOCOL: u32 = 1;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FromShard {
    Hello {
        protocol: u32,
        index: usize,
        count: usize,
        scenario_hash: String,
    },
    /// Setup done; waiting for the start.
    Ready,
    /// Its wall clock (ns since the Unix epoch) when probe `seq` arrived.
    ClockReply {
        seq: u32,
        shard_ns: u64,
    },
    /// Its first phase began at this instant of its clock.
    Started {
        shard_ns: u64,
    },
    Interval(Box<Interval>),
    /// The engine ended; the last interval came before this.
    Done {
        status: RunStatus,
    },
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ToShard {
    /// Joined; the load goes to `target`.
    Welcome {
        target: String,
    },
    Refused {
        reason: String,
    },
    ClockProbe {
        seq: u32,
    },
    /// Begin the first phase at this instant of the shard's own clock.
    Start {
        shard_ns: u64,
    },
    Command {
        command: EngineCommand,
    },
    /// "Still here", every `PING_EVERY`.
    Ping,
}

/// What a shard recorded since its last interval, and where it stands.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Interval {
    /// Absolute counters (the coordinator sums the shards' latest).
    pub arrivals: u64,
    pub dropped: u64,
    pub inflight: u64,
    pub status: RunStatus,
    pub phase: Option<PhaseView>,
    pub scheduled_rate: f64,
    pub rate_multiplier: f64,
    pub achieved_rps: f64,
    /// How late its arrivals went out so far, p99 ms.
    pub dispatch_p99_ms: f64,
    pub recorded: WireShard,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct WireShard {
    pub tools: Vec<WireTool>,
    /// iterations, ok, failed, correct denials, breaches
    pub flows: Vec<[u64; 5]>,
    pub kpi_ok: u64,
    pub kpi_total: u64,
    pub completed: u64,
    /// kpi_latency, fast_fail, dispatch, cache_hit, cache_miss
    pub histograms: [Option<String>; 5],
    pub failures: Vec<WireFailure>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct WireTool {
    pub latency: Option<String>,
    pub service: Option<String>,
    pub ok: u64,
    pub errors: Vec<u64>,
    pub codes: Vec<(u16, u64)>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WireFailure {
    pub tool: usize,
    pub class: ErrorClass,
    pub detail: String,
    pub count: u64,
}

fn encoded(h: &Histogram<u64>) -> Option<String> {
    (!h.is_empty()).then(|| encode_histogram(h))
}

impl WireShard {
    /// `shard` as sent; `scrub` masks each failure detail (captured secrets stay home).
    pub fn from_shard(shard: &Shard, scrub: impl Fn(&str) -> String) -> Self {
        Self {
            tools: shard
                .tools
                .iter()
                .map(|t| WireTool {
                    latency: encoded(&t.latency),
                    service: encoded(&t.service),
                    ok: t.ok,
                    errors: t.errors.to_vec(),
                    codes: t.codes.clone(),
                })
                .collect(),
            flows: shard.flows.iter().map(|f| [f.iterations, f.ok, f.failed, f.correct_denials, f.breaches]).collect(),
            kpi_ok: shard.kpi_ok,
            kpi_total: shard.kpi_total,
            completed: shard.completed,
            histograms: [
                encoded(&shard.kpi_latency),
                encoded(&shard.fast_fail),
                encoded(&shard.dispatch),
                encoded(&shard.cache_hit),
                encoded(&shard.cache_miss),
            ],
            failures: shard
                .failures
                .iter()
                .map(|n| WireFailure { tool: n.tool, class: n.class, detail: scrub(&n.detail), count: n.count })
                .collect(),
        }
    }

    /// Back into a shard of `tools` tools and `flows` flows; an error names what did not fit.
    pub fn into_shard(self, tools: usize, flows: usize) -> Result<Shard, String> {
        if self.tools.len() != tools || self.flows.len() != flows {
            return Err(format!(
                "{} tools and {} flows, the scenario has {tools} and {flows}",
                self.tools.len(),
                self.flows.len()
            ));
        }
        let mut shard = Shard::new(tools, flows);
        let add = |into: &mut Histogram<u64>, text: &Option<String>| match text {
            Some(t) if !add_encoded(into, t) => Err("a histogram that cannot be read".to_string()),
            _ => Ok(()),
        };
        for (t, w) in shard.tools.iter_mut().zip(&self.tools) {
            add(&mut t.latency, &w.latency)?;
            add(&mut t.service, &w.service)?;
            t.ok = w.ok;
            for (a, b) in t.errors.iter_mut().zip(&w.errors) {
                *a = *b;
            }
            t.codes = w.codes.clone();
        }
        for (f, w) in shard.flows.iter_mut().zip(&self.flows) {
            *f = FlowShard { iterations: w[0], ok: w[1], failed: w[2], correct_denials: w[3], breaches: w[4] };
        }
        shard.kpi_ok = self.kpi_ok;
        shard.kpi_total = self.kpi_total;
        shard.completed = self.completed;
        let [kpi, fast, dispatch, hit, miss] = &self.histograms;
        add(&mut shard.kpi_latency, kpi)?;
        add(&mut shard.fast_fail, fast)?;
        add(&mut shard.dispatch, dispatch)?;
        add(&mut shard.cache_hit, hit)?;
        add(&mut shard.cache_miss, miss)?;
        for f in self.failures {
            if f.tool >= tools {
                return Err(format!("a failure of tool #{} of {tools}", f.tool));
            }
            shard.failures.push(FailureNote { tool: f.tool, class: f.class, detail: f.detail, count: f.count });
        }
        Ok(shard)
    }
}

/// Writes one frame.
pub async fn send<W: AsyncWrite + Unpin, T: Serialize>(w: &mut W, message: &T) -> std::io::Result<()> {
    let body = serde_json::to_vec(message).map_err(std::io::Error::other)?;
    w.write_all(&(body.len() as u32).to_be_bytes()).await?;
    w.write_all(&body).await?;
    w.flush().await
}

/// Reads one frame; `Ok(None)` at a clean end of the stream.
pub async fn recv<R: AsyncRead + Unpin, T: for<'de> Deserialize<'de>>(r: &mut R) -> std::io::Result<Option<T>> {
    recv_limited(r, MAX_FRAME).await
}

/// Reads one frame of at most `max` bytes.
pub async fn recv_limited<R: AsyncRead + Unpin, T: for<'de> Deserialize<'de>>(
    r: &mut R,
    max: usize,
) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("a frame of {len} bytes")));
    }
    let mut body = vec![0u8; len];
    r.read_exact(&mut body).await?;
    serde_json::from_slice(&body).map(Some).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Nanoseconds since the Unix epoch on this machine's clock.
pub fn now_ns() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::shard::Recorder;
    use crate::metrics::StepRecord;

    #[test]
    fn a_shard_survives_the_wire_exactly() {
        let rec = Recorder::new(2, 1, 1);
        for i in 0..500u64 {
            let error = (i % 50 == 0).then_some(ErrorClass::Timeout);
            let r = StepRecord {
                tool: (i % 2) as usize,
                latency_us: 100 + i * 37,
                service_us: 90 + i * 30,
                status: if error.is_some() { 0 } else { 200 },
                error,
                kpi: true,
                fast_fail: false,
                cache: Some(i % 3 == 0),
            };
            match error {
                Some(_) => rec.record_failed_step(r, "no answer tok-secret"),
                None => rec.record_step(r),
            }
        }
        let mut original = None;
        rec.drain(|s| original = Some(WireShard::from_shard(s, |d| d.replace("tok-secret", "***"))));
        let wire = original.unwrap();
        let frame = serde_json::to_vec(&wire).unwrap();
        let back: WireShard = serde_json::from_slice(&frame).unwrap();
        let shard = back.clone().into_shard(2, 1).unwrap();
        assert_eq!(
            canonical(WireShard::from_shard(&shard, |d| d.to_string())),
            canonical(wire),
            "decode then encode is the identity"
        );
        assert_eq!(shard.completed, 500);
        assert_eq!(shard.kpi_latency.len(), 500);
        assert_eq!(shard.tools[0].errors[ErrorClass::Timeout.index()], 10);
        assert_eq!(shard.failures[0].detail, "no answer ***", "secrets are scrubbed before they leave");
        assert!(back.into_shard(3, 1).is_err(), "a shard of another scenario is refused");
    }

    /// `w` with each histogram re-encoded from a run-wide histogram of its samples: a shard's
    /// histograms grow to what they hold, so equal samples may come in different sizes.
    fn canonical(mut w: WireShard) -> WireShard {
        let same = |text: &mut Option<String>| {
            if let Some(t) = text {
                let mut h = crate::metrics::new_histogram();
                assert!(crate::metrics::codec::add_encoded(&mut h, t));
                *t = crate::metrics::codec::encode_histogram(&h);
            }
        };
        for t in &mut w.tools {
            same(&mut t.latency);
            same(&mut t.service);
        }
        w.histograms.iter_mut().for_each(same);
        w
    }

    #[tokio::test]
    async fn frames_round_trip_and_oversized_ones_are_refused() {
        let (mut a, mut b) = tokio::io::duplex(1 << 16);
        send(&mut a, &ToShard::ClockProbe { seq: 7 }).await.unwrap();
        let got: Option<ToShard> = recv(&mut b).await.unwrap();
        assert!(matches!(got, Some(ToShard::ClockProbe { seq: 7 })));
        use tokio::io::AsyncWriteExt;
        a.write_all(&(u32::MAX).to_be_bytes()).await.unwrap();
        assert!(recv::<_, ToShard>(&mut b).await.is_err());
        drop(a);
        assert!(recv::<_, ToShard>(&mut b).await.unwrap().is_none(), "a closed stream is a clean end");
    }
}
