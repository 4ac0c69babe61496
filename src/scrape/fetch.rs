//! Reading a target's `/metrics`, bounded in size and time whatever the target sends: the
//! body is streamed and given up past the limit, so a 50 MB exposition or an endless stream
//! costs a refused scrape (panels go stale), never the run's memory.

use std::time::Duration;

use crate::side_client::{CallError, SideClient};

/// Scrapes and admin calls give up after this long; a slow target never stalls a run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);

/// The default largest exposition read: 150× the real gateway's 27 KB, and parsed it stays
/// within a few tens of MiB.
pub const DEFAULT_MAX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum FetchError {
    Unreachable(String),
    Status(u16),
    TooLarge { limit: usize },
    TimedOut(Duration),
}

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FetchError::Unreachable(e) => write!(f, "unreachable: {e}"),
            FetchError::Status(s) => write!(f, "answered HTTP {s}"),
            FetchError::TooLarge { limit } => {
                write!(f, "refused: the exposition is over the {} limit (--scrape-max-bytes)", size(*limit))
            }
            FetchError::TimedOut(t) => write!(f, "not complete within {} s", t.as_secs_f64()),
        }
    }
}

impl FetchError {
    /// The target answered that it has no such page: asking again soon changes nothing.
    pub fn no_route(&self) -> bool {
        matches!(self, FetchError::Status(404 | 405 | 410 | 501))
    }
}

/// "8 MiB", "512 KiB", "100 B".
pub fn size(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b if b >= 1 << 10 && b % (1 << 10) == 0 => format!("{} KiB", b >> 10),
        b => format!("{b} B"),
    }
}

/// `8MiB`, `512KiB`, `2MB`, `1000000`: a byte count for `--scrape-max-bytes`.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits.parse().map_err(|_| format!("invalid size {text:?}: expected e.g. 8MiB, 512KiB"))?;
    let factor = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        _ => return Err(format!("invalid size {text:?}: expected e.g. 8MiB, 512KiB")),
    };
    match n.checked_mul(factor) {
        Some(b) if (1024..=1 << 30).contains(&b) => Ok(b),
        _ => Err(format!("invalid size {text:?}: expected from 1KiB to 1024MiB")),
    }
}

/// Where a run reads the target's metrics, with its bounds.
#[derive(Clone)]
pub struct MetricsSource {
    http: SideClient,
    url: String,
    pub max_bytes: usize,
    pub timeout: Duration,
    insecure: bool,
}

impl MetricsSource {
    pub fn new(base: &str, timeout: Duration, max_bytes: usize) -> Self {
        Self {
            http: SideClient::new(timeout, false),
            url: format!("{}/metrics", base.trim_end_matches('/')),
            max_bytes,
            timeout,
            insecure: false,
        }
    }

    /// Accepts any server certificate of the target (`--insecure`).
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure = insecure;
        self.http = SideClient::new(self.timeout, insecure);
        self
    }

    pub fn is_insecure(&self) -> bool {
        self.insecure
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn fetch(&self) -> Result<String, FetchError> {
        fetch(&self.http, &self.url, self.max_bytes).await
    }
}

/// GETs `url` and reads at most `max_bytes` of it within the client's timeout, all told.
pub async fn fetch(http: &SideClient, url: &str, max_bytes: usize) -> Result<String, FetchError> {
    let answer = http.get(url, max_bytes).await.map_err(|e| match e {
        CallError::Unreachable(why) => FetchError::Unreachable(why),
        CallError::TooLarge { limit } => FetchError::TooLarge { limit },
        CallError::TimedOut(t) => FetchError::TimedOut(t),
    })?;
    if !answer.status.is_success() {
        return Err(FetchError::Status(answer.status.as_u16()));
    }
    Ok(String::from_utf8_lossy(&answer.body).into_owned())
}

/// The target's exposition, bounded by the default size limit and the client's timeout.
pub async fn fetch_metrics(http: &SideClient, base: &str) -> Option<String> {
    let url = format!("{}/metrics", base.trim_end_matches('/'));
    fetch(http, &url, DEFAULT_MAX_BYTES).await.ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_size("8MiB"), Ok(8 << 20));
        assert_eq!(parse_size("512 KiB"), Ok(512 << 10));
        assert_eq!(parse_size("2048"), Ok(2048));
        for bad in ["", "8XB", "-1", "10", "99999999999999999999MiB", "2048MiB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        assert_eq!(size(8 << 20), "8 MiB");
        assert_eq!(size(1536), "1536 B");
    }
}
