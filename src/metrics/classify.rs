//! How a target's answers are classed: the target profile's rules (status and a marker in
//! the body), then conventions that hold for any HTTP service. Nothing here knows a gateway.

use super::ErrorClass;

/// A status, and optionally a text the body must contain.
#[derive(Clone, Debug, PartialEq)]
pub struct AnswerMatch {
    pub status: u16,
    pub body: Option<String>,
}

impl AnswerMatch {
    pub fn matches(&self, status: u16, body: &[u8]) -> bool {
        self.status == status && self.body.as_ref().is_none_or(|needle| contains(body, needle.as_bytes()))
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct AnswerRules {
    /// Tried in order before the conventions; the first match classes the answer.
    pub rules: Vec<(AnswerMatch, ErrorClass)>,
    /// An answer from an open circuit breaker (its service time is the fast-fail KPI).
    pub fast_fail: Option<AnswerMatch>,
    /// How the target marks answers served from its cache, and the ones that were not.
    pub cache: Option<CacheMarker>,
}

/// Body markers of cached and uncached answers with `status` (e.g. `"cached":true`).
#[derive(Clone, Debug, PartialEq)]
pub struct CacheMarker {
    pub status: u16,
    pub hit: String,
    pub miss: String,
}

impl AnswerRules {
    /// The class of an answer the step did not expect.
    pub fn classify(&self, status: u16, body: &[u8]) -> ErrorClass {
        if let Some((_, class)) = self.rules.iter().find(|(m, _)| m.matches(status, body)) {
            return *class;
        }
        match status {
            429 => ErrorClass::RateLimited,
            500..=599 => ErrorClass::Upstream,
            401 | 403 => ErrorClass::Auth,
            _ => ErrorClass::Unexpected,
        }
    }

    pub fn is_fast_fail(&self, status: u16, body: &[u8]) -> bool {
        self.fast_fail.as_ref().is_some_and(|m| m.matches(status, body))
    }

    /// `Some(true)` for an answer marked as served from the target's cache, `Some(false)` for
    /// one marked as not, `None` for an unmarked one (or no marker in the profile).
    pub fn cache_state(&self, status: u16, body: &[u8]) -> Option<bool> {
        let c = self.cache.as_ref().filter(|c| c.status == status)?;
        if contains(body, c.hit.as_bytes()) {
            Some(true)
        } else if contains(body, c.miss.as_bytes()) {
            Some(false)
        } else {
            None
        }
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_rules_first_then_conventions() {
        let rules = AnswerRules {
            rules: vec![(AnswerMatch { status: 403, body: Some("Forbidden by rule".into()) }, ErrorClass::Policy)],
            fast_fail: Some(AnswerMatch { status: 503, body: Some("circuit open".into()) }),
            cache: None,
        };
        assert_eq!(rules.classify(403, b"{\"error\":\"Forbidden by rule 7\"}"), ErrorClass::Policy);
        assert_eq!(rules.classify(403, b"nope"), ErrorClass::Auth);
        assert_eq!(rules.classify(401, b""), ErrorClass::Auth);
        assert_eq!(rules.classify(429, b""), ErrorClass::RateLimited);
        assert_eq!(rules.classify(502, b""), ErrorClass::Upstream);
        assert_eq!(rules.classify(404, b""), ErrorClass::Unexpected);
        assert!(rules.is_fast_fail(503, b"upstream circuit open"));
        assert!(!rules.is_fast_fail(503, b"overloaded") && !rules.is_fast_fail(502, b"circuit open"));
        assert!(!AnswerRules::default().is_fast_fail(502, b"Circuit breaker is OPEN"), "no rule, no fast-fail");
    }

    #[test]
    fn cache_markers_tell_hits_from_misses_and_unmarked_answers() {
        let rules = AnswerRules {
            cache: Some(CacheMarker { status: 200, hit: "\"cached\":true".into(), miss: "\"cached\":false".into() }),
            ..AnswerRules::default()
        };
        assert_eq!(rules.cache_state(200, br#"{"metadata":{"cached":true}}"#), Some(true));
        assert_eq!(rules.cache_state(200, br#"{"metadata":{"cached":false}}"#), Some(false));
        assert_eq!(rules.cache_state(200, br#"{"metadata":{}}"#), None, "an uncacheable answer");
        assert_eq!(rules.cache_state(502, br#"{"cached":true}"#), None, "another status");
        assert_eq!(AnswerRules::default().cache_state(200, br#"{"cached":true}"#), None, "no marker, no state");
    }
}
