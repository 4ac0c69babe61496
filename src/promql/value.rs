//! The values an expression evaluates to.

use std::collections::BTreeMap;

use super::store::{SeriesKey, METRIC_NAME};

/// A series' labels, `__name__` included while the metric name is kept.
pub type Labels = BTreeMap<String, String>;

pub fn labels_of(key: &SeriesKey) -> Labels {
    key.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

pub fn drop_name(mut labels: Labels) -> Labels {
    labels.remove(METRIC_NAME);
    labels
}

/// One element of an instant vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub value: f64,
}

/// One element of a range vector: points oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct RangeSeries {
    pub labels: Labels,
    pub points: Vec<(i64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Scalar(f64),
    String(String),
    Vector(Vec<Sample>),
    Matrix(Vec<RangeSeries>),
}

impl Value {
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Scalar(_) => "scalar",
            Value::String(_) => "string",
            Value::Vector(_) => "instant vector",
            Value::Matrix(_) => "range vector",
        }
    }
}

/// `{a="1", b="2"}` as Prometheus prints a label set (the name in front when kept).
pub fn display_labels(labels: &Labels) -> String {
    let name = labels.get(METRIC_NAME).map(String::as_str).unwrap_or("");
    let rest: Vec<String> =
        labels.iter().filter(|(k, _)| k.as_str() != METRIC_NAME).map(|(k, v)| format!("{k}={v:?}")).collect();
    if rest.is_empty() && !name.is_empty() {
        name.to_string()
    } else {
        format!("{name}{{{}}}", rest.join(", "))
    }
}
