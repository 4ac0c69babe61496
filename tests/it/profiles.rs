//! A target-neutral core: a service that is not a 4Runr gateway, described only by a profile
//! file, gets its own error classes, its breaker's fast failures, its request counter
//! reconciled, and no chaos calls. A real server on 127.0.0.1:0 and a real proofdeck process.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Answers `/t` by turn: every 5th call 403 "Forbidden by rule", every 7th (not 5th) 503
/// "upstream circuit open", else 200; counts each under its own names in `/metrics`.
async fn acme_service() -> (String, Arc<[AtomicU64; 3]>) {
    let counts: Arc<[AtomicU64; 3]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let served = Arc::new(AtomicU64::new(0));
    let (c1, c2) = (counts.clone(), counts.clone());
    let app = axum::Router::new()
        .route(
            "/t",
            axum::routing::get(move || {
                let n = served.fetch_add(1, Ordering::SeqCst) + 1;
                let (slot, status, body) = if n.is_multiple_of(5) {
                    (1, 403, "{\"message\":\"Forbidden by rule 7\"}")
                } else if n.is_multiple_of(7) {
                    (2, 503, "{\"message\":\"upstream circuit open\"}")
                } else {
                    (0, 200, "{\"ok\":true}")
                };
                c1[slot].fetch_add(1, Ordering::SeqCst);
                std::future::ready((axum::http::StatusCode::from_u16(status).unwrap(), body))
            }),
        )
        .route(
            "/metrics",
            axum::routing::get(move || {
                let line = |status: u16, i: usize| {
                    format!("acme_requests_total{{route=\"t\",status=\"{status}\"}} {}\n", c2[i].load(Ordering::SeqCst))
                };
                std::future::ready(format!("{}{}{}", line(200, 0), line(403, 1), line(503, 2)))
            }),
        );
    (crate::common::serve(app).await, counts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_described_only_by_a_profile_file_gets_its_classes_and_kpis() {
    let (addr, counts) = acme_service().await;
    let work = std::env::temp_dir().join(format!("proofdeck-profiles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).unwrap();
    let profile = work.join("acme.toml");
    std::fs::write(
        &profile,
        "name = \"acme\"\ncode_label = \"status\"\n[inputs]\nrequests = [{ metric = \"acme_requests_total\", group_by = \"route\" }]\n\
         [[classify]]\nstatus = 403\nbody = \"Forbidden by rule\"\nclass = \"policy\"\n[fast_fail]\nstatus = 503\nbody = \"circuit open\"\n",
    )
    .unwrap();
    let scenario = work.join("acme-run.toml");
    std::fs::write(
        &scenario,
        "name = \"acme\"\n[[phase]]\nname = \"p\"\nduration = \"2s\"\nrate = 20\n[[flow]]\nname = \"f\"\nweight = 1\n[[flow.step]]\npath = \"/t\"\ntool = \"t\"\nexpect = [200]\n",
    )
    .unwrap();
    let out = work.join("run");
    let args = [
        "run",
        scenario.to_str().unwrap(),
        "--no-tui",
        "--target",
        &addr,
        "--profile",
        profile.to_str().unwrap(),
        "--report-dir",
        out.to_str().unwrap(),
    ]
    .map(String::from);
    let run = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_proofdeck")).args(&args).output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    let tool = &report["tools"][0];
    assert_eq!(tool["name"], "t");
    let errors = tool["errors"].as_array().unwrap();
    let class = |c: proofdeck::metrics::ErrorClass| errors[c.index()].as_u64().unwrap();
    use proofdeck::metrics::ErrorClass::{Auth, Policy, Upstream};
    assert_eq!(class(Policy), counts[1].load(Ordering::SeqCst), "403 + the profile's marker is policy\n{stdout}");
    assert!(class(Policy) >= 8);
    assert_eq!(class(Upstream), counts[2].load(Ordering::SeqCst));
    assert_eq!(class(Auth), 0, "no 403 fell through to the convention");
    let fast_fail = report["kpis"].as_array().unwrap().iter().find(|k| k["id"] == "fast_fail").unwrap();
    assert_eq!(fast_fail["verdict"], "pass", "the profile's fast-fail marker: {fast_fail}");
    assert_eq!(report["reconciliation"]["metric"], "acme_requests_total");
    assert_eq!(report["reconciliation"]["tools"][0]["mismatch"], false, "{}", report["reconciliation"]);
    let events = report["events"].to_string();
    assert!(events.contains("no chaos API on this target"), "{events}");
    assert!(!events.contains("/api/admin"), "no 4Runr admin route was called: {events}");
    let _ = std::fs::remove_dir_all(&work);
}
