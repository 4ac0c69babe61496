//! CPU time and resident memory of this process, read from /proc (Linux); `None` elsewhere.

#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessStat {
    pub cpu_seconds: Option<f64>,
    pub rss_bytes: Option<u64>,
}

/// Both figures from one read of `/proc/self/stat` (the cheapest of /proc's files for them:
/// `status` formats some fifty lines to give the same resident size).
pub fn read_self() -> ProcessStat {
    std::fs::read_to_string("/proc/self/stat").ok().map_or_else(ProcessStat::default, |stat| parse_stat(&stat))
}

fn parse_stat(stat: &str) -> ProcessStat {
    // Fields after the command name, which may contain spaces, start after the last ')';
    // the first of them (the state) is field 3 of proc(5).
    let Some(rest) = stat.rfind(')').and_then(|i| stat.get(i + 2..)) else { return ProcessStat::default() };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3).and_then(|f| f.parse::<u64>().ok());
    let cpu_seconds = match (field(14), field(15)) {
        (Some(utime), Some(stime)) => Some((utime + stime) as f64 / clock_ticks_per_second()),
        _ => None,
    };
    ProcessStat { cpu_seconds, rss_bytes: field(24).map(|pages| pages * page_size()) }
}

fn clock_ticks_per_second() -> f64 {
    // SAFETY: sysconf has no preconditions.
    match unsafe { libc::sysconf(libc::_SC_CLK_TCK) } {
        n if n > 0 => n as f64,
        _ => 100.0,
    }
}

fn page_size() -> u64 {
    // SAFETY: sysconf has no preconditions.
    match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as u64,
        _ => 4096,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_name_with_spaces_and_parentheses_does_not_shift_the_fields() {
        let stat = "4242 (a) b (c) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 125 0 0 20 0 3 0 1000 \
                    123456789 2048 18446744073709551615";
        let s = parse_stat(stat);
        assert_eq!(s.cpu_seconds, Some(375.0 / clock_ticks_per_second()));
        assert_eq!(s.rss_bytes, Some(2048 * page_size()));
    }

    #[test]
    fn this_process_reads_its_own_memory_and_time() {
        let s = read_self();
        if cfg!(target_os = "linux") {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let kb: u64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .unwrap()
                .trim()
                .trim_end_matches(" kB")
                .parse()
                .unwrap();
            let rss = s.rss_bytes.unwrap();
            // Both read the same counters; allow for pages faulted in between the two reads.
            assert!(rss.abs_diff(kb * 1024) < 4 * 1024 * 1024, "stat {rss} vs status {} bytes", kb * 1024);
            assert!(s.cpu_seconds.is_some());
        }
    }
}
