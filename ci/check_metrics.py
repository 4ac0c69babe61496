"""Parses an exposition with the reference Prometheus client; any format error fails CI."""
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
families = list(text_string_to_metric_families(text))
names = {f.name for f in families}
for required in ["gateway_requests", "gateway_request_duration_seconds", "gateway_errors",
                 "gateway_circuit_breaker_state", "gateway_cache_hits", "gateway_cache_misses",
                 "gateway_token_rotations", "gateway_policy_denials", "gateway_security_events",
                 "process_cpu_seconds", "process_resident_memory_bytes"]:
    if required not in names:
        sys.exit(f"missing family {required}; have {sorted(names)}")
print(f"reference parser: {len(families)} families, {sum(len(f.samples) for f in families)} samples OK")
