//! A shard's clock offset from request/response exchanges, as NTP does it: for a probe sent
//! at t0 and answered at t2 (coordinator clock) with the shard's reading s, the offset is
//! s − (t0 + t2)/2, wrong by at most half the round trip. The exchange with the shortest
//! round trip bounds it best.

/// Exchanges per shard before the start.
pub const PROBES: u32 = 8;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub sent_ns: u64,
    pub shard_ns: u64,
    pub received_ns: u64,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Offset {
    /// Shard clock minus coordinator clock, ns.
    pub offset_ns: i64,
    pub rtt_ns: u64,
}

impl Offset {
    /// The coordinator's instant `at_ns` on the shard's clock.
    pub fn to_shard(&self, at_ns: u64) -> u64 {
        at_ns.saturating_add_signed(self.offset_ns)
    }

    /// The shard's instant `shard_ns` on the coordinator's clock.
    pub fn to_coordinator(&self, shard_ns: u64) -> u64 {
        shard_ns.saturating_add_signed(self.offset_ns.checked_neg().unwrap_or(i64::MAX))
    }
}

/// The best estimate from `samples`: the one with the shortest round trip.
pub fn estimate(samples: &[Sample]) -> Option<Offset> {
    samples.iter().filter(|s| s.received_ns >= s.sent_ns).min_by_key(|s| s.received_ns - s.sent_ns).map(|s| {
        let mid = s.sent_ns as i128 + (s.received_ns - s.sent_ns) as i128 / 2;
        // A clock centuries off (or a bogus reading) saturates instead of wrapping.
        let offset = (s.shard_ns as i128 - mid).clamp(i64::MIN as i128, i64::MAX as i128) as i64;
        Offset { offset_ns: offset, rtt_ns: s.received_ns - s.sent_ns }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shortest_round_trip_wins_and_bounds_the_error() {
        // The shard's clock runs 5 ms ahead; answers take 100 µs out and 300 µs back, once 10 ms.
        let ahead: i64 = 5_000_000;
        let sample = |t0: u64, out: u64, back: u64| Sample {
            sent_ns: t0,
            shard_ns: (t0 + out) as i64 as u64 + ahead as u64,
            received_ns: t0 + out + back,
        };
        let samples = [sample(1_000_000_000, 100_000, 300_000), sample(2_000_000_000, 5_000_000, 5_000_000)];
        let o = estimate(&samples).unwrap();
        assert_eq!(o.rtt_ns, 400_000);
        assert!((o.offset_ns - ahead).unsigned_abs() <= o.rtt_ns / 2, "offset {} vs {ahead}", o.offset_ns);
        assert_eq!(o.to_coordinator(o.to_shard(42_000_000_000)), 42_000_000_000);
        assert!(estimate(&[]).is_none());
    }
}
