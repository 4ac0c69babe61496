//! Histograms as text: HDR's compact V2 binary serialisation in base64. Lossless, so a
//! histogram read back adds exactly (report files, shard intervals, offline merges).

use base64::Engine;
use hdrhistogram::serialization::Serializer;
use hdrhistogram::Histogram;

pub fn encode_histogram(h: &Histogram<u64>) -> String {
    let mut buf = Vec::new();
    let _ = hdrhistogram::serialization::V2Serializer::new().serialize(h, &mut buf);
    base64::engine::general_purpose::STANDARD.encode(buf)
}

pub fn decode_histogram(text: &str) -> Option<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    hdrhistogram::serialization::Deserializer::new().deserialize(&mut bytes.as_slice()).ok()
}

/// Adds `text`'s histogram into `into`; false when it cannot be read or does not fit.
pub fn add_encoded(into: &mut Histogram<u64>, text: &str) -> bool {
    decode_histogram(text).is_some_and(|h| into.add(&h).is_ok())
}
