//! CPU time and resident memory of this process, read from /proc (Linux); `None` elsewhere.

#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessStat {
    pub cpu_seconds: Option<f64>,
    pub rss_bytes: Option<u64>,
}

pub fn read_self() -> ProcessStat {
    ProcessStat { cpu_seconds: cpu_seconds(), rss_bytes: rss_bytes() }
}

fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which may contain spaces, start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / clock_ticks_per_second())
}

fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn clock_ticks_per_second() -> f64 {
    // USER_HZ is 100 on every mainstream Linux configuration.
    100.0
}
