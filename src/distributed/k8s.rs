//! Kubernetes manifests for a sharded run: the scenario as a ConfigMap, the coordinator as a
//! Job with a Service the shards dial, and the shards as an Indexed Job (one pod per index,
//! `JOB_COMPLETION_INDEX` naming its stripe, no retries: a retried shard could not rejoin).

use serde_json::{json, Value};

/// The coordinator's port inside the cluster.
pub const PORT: u16 = 7450;

/// After its report, the coordinator's pod stays this long so `kubectl cp` can fetch it.
pub const LINGER_S: u32 = 600;

#[derive(Clone, Debug)]
pub struct Plan {
    /// Names every object (`NAME-scenario`, `NAME-coordinator`, `NAME-shards`).
    pub name: String,
    pub namespace: Option<String>,
    pub image: String,
    pub target: String,
    pub shards: usize,
    /// The scenario file's text, mounted at /scenario/scenario.toml.
    pub scenario: String,
    /// Extra `run` flags every process gets (e.g. `--rate-scale 4`).
    pub run_args: Vec<String>,
    pub cpu: String,
    pub memory: String,
}

/// The manifests as (file name, YAML text).
pub fn manifests(plan: &Plan) -> Result<Vec<(String, String)>, String> {
    let yaml = |v: &Value| serde_saphyr::to_string(v).map_err(|e| format!("cannot write YAML: {e}"));
    Ok(vec![
        ("00-scenario.yaml".into(), yaml(&config_map(plan))?),
        ("10-coordinator.yaml".into(), format!("{}---\n{}", yaml(&service(plan))?, yaml(&coordinator(plan))?)),
        ("20-shards.yaml".into(), yaml(&shards(plan))?),
    ])
}

fn labels(plan: &Plan, component: &str) -> Value {
    json!({
        "app.kubernetes.io/name": "proofdeck",
        "app.kubernetes.io/instance": plan.name,
        "app.kubernetes.io/component": component,
    })
}

fn metadata(plan: &Plan, suffix: &str, component: &str) -> Value {
    let mut m = json!({ "name": format!("{}-{suffix}", plan.name), "labels": labels(plan, component) });
    if let Some(ns) = &plan.namespace {
        m["namespace"] = json!(ns);
    }
    m
}

fn config_map(plan: &Plan) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(plan, "scenario", "scenario"),
        "data": { "scenario.toml": plan.scenario },
    })
}

fn service(plan: &Plan) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(plan, "coordinator", "coordinator"),
        "spec": {
            "selector": labels(plan, "coordinator"),
            "ports": [{ "name": "coordinator", "port": PORT, "targetPort": PORT, "protocol": "TCP" }],
        },
    })
}

fn resources(plan: &Plan) -> Value {
    json!({
        "requests": { "cpu": plan.cpu, "memory": plan.memory },
        "limits": { "memory": plan.memory },
    })
}

fn volumes(plan: &Plan) -> Value {
    json!([
        { "name": "scenario", "configMap": { "name": format!("{}-scenario", plan.name) } },
        { "name": "reports", "emptyDir": {} },
    ])
}

fn mounts() -> Value {
    json!([
        { "name": "scenario", "mountPath": "/scenario", "readOnly": true },
        { "name": "reports", "mountPath": "/reports" },
    ])
}

/// Single-quoted for `sh -c`.
fn quoted(arg: &str) -> String {
    format!("'{}'", arg.replace('\'', "'\\''"))
}

fn coordinator(plan: &Plan) -> Value {
    let mut args = vec![
        "proofdeck".to_string(),
        "coordinate".into(),
        "/scenario/scenario.toml".into(),
        "--shards".into(),
        plan.shards.to_string(),
        "--listen".into(),
        format!("0.0.0.0:{PORT}"),
        "--target".into(),
        plan.target.clone(),
        "--no-tui".into(),
        "--report-dir".into(),
        "/reports/run".into(),
    ];
    args.extend(plan.run_args.iter().cloned());
    let line = args.iter().map(|a| quoted(a)).collect::<Vec<_>>().join(" ");
    // The verdict is the Job's: the exit code is kept through the linger.
    let script = format!(
        "{line}; code=$?; echo \"report: /reports/run (kubectl cp it within {LINGER_S} s)\"; sleep {LINGER_S}; exit $code"
    );
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(plan, "coordinator", "coordinator"),
        "spec": {
            "backoffLimit": 0,
            "ttlSecondsAfterFinished": 86400,
            "template": {
                "metadata": { "labels": labels(plan, "coordinator") },
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "coordinator",
                        "image": plan.image,
                        "command": ["sh", "-c", script],
                        "ports": [{ "name": "coordinator", "containerPort": PORT, "protocol": "TCP" }],
                        "resources": resources(plan),
                        "volumeMounts": mounts(),
                    }],
                    "volumes": volumes(plan),
                },
            },
        },
    })
}

fn shards(plan: &Plan) -> Value {
    let n = plan.shards;
    let mut args: Vec<String> = vec![
        "run".into(),
        "/scenario/scenario.toml".into(),
        "--no-tui".into(),
        "--report-dir".into(),
        "/reports/run".into(),
    ];
    args.extend(plan.run_args.iter().cloned());
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(plan, "shards", "shard"),
        "spec": {
            "completionMode": "Indexed",
            "completions": n,
            "parallelism": n,
            // A shard that fails is not retried: its stripe's place in the run is gone, and
            // the coordinator names it in the report.
            "backoffLimitPerIndex": 0,
            "maxFailedIndexes": n,
            "ttlSecondsAfterFinished": 86400,
            "podFailurePolicy": {
                "rules": [
                    // A usage error (exit 2) fails every index alike: stop the whole Job.
                    { "action": "FailJob", "onExitCodes": { "containerName": "shard", "operator": "In", "values": [2] } },
                    // An evicted or preempted pod is not the shard's failure.
                    { "action": "Ignore", "onPodConditions": [{ "type": "DisruptionTarget", "status": "True" }] },
                ],
            },
            "template": {
                "metadata": { "labels": labels(plan, "shard") },
                "spec": {
                    "restartPolicy": "Never",
                    "topologySpreadConstraints": [{
                        "maxSkew": 1,
                        "topologyKey": "kubernetes.io/hostname",
                        "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": { "matchLabels": labels(plan, "shard") },
                    }],
                    "containers": [{
                        "name": "shard",
                        "image": plan.image,
                        "args": args,
                        "env": [
                            { "name": "PROOFDECK_SHARDS", "value": n.to_string() },
                            { "name": "PROOFDECK_COORDINATOR", "value": format!("{}-coordinator:{PORT}", plan.name) },
                        ],
                        "resources": resources(plan),
                        "volumeMounts": mounts(),
                    }],
                    "volumes": volumes(plan),
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan {
            name: "proof".into(),
            namespace: Some("load".into()),
            image: "registry.example/proofdeck:1".into(),
            target: "http://gateway.default:3000".into(),
            shards: 3,
            scenario: "name = \"x\"\n[[phase]]\nname = \"it's\"\n".into(),
            run_args: vec!["--rate-scale".into(), "2".into()],
            cpu: "1".into(),
            memory: "512Mi".into(),
        }
    }

    #[test]
    fn the_shards_are_an_indexed_job_without_retries() {
        let s = shards(&plan());
        let spec = &s["spec"];
        assert_eq!(spec["completionMode"], "Indexed");
        assert_eq!((spec["completions"].as_u64(), spec["parallelism"].as_u64()), (Some(3), Some(3)));
        assert_eq!(spec["backoffLimitPerIndex"], 0);
        let env = &spec["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[1]["value"], "proof-coordinator:7450");
        let files = manifests(&plan()).unwrap();
        assert!(files[0].1.contains("it's"), "the scenario travels verbatim");
    }

    #[test]
    fn the_coordinator_script_quotes_every_argument() {
        let c = coordinator(&Plan { target: "http://x:1/it's".into(), ..plan() });
        let script = c["spec"]["template"]["spec"]["containers"][0]["command"][2].as_str().unwrap().to_string();
        assert!(script.starts_with("'proofdeck' 'coordinate'"), "{script}");
        assert!(script.contains("'http://x:1/it'\\''s'"), "{script}");
        assert!(script.contains("exit $code"));
    }
}
