//! Verdicts that cannot lie: a run that proved nothing fails with its reason, every failure
//! class carries its detail, quick runs judge only what applies, `compare` refuses runs that
//! do not measure the same thing, and bad input is a usage error. Real processes against
//! real servers on 127.0.0.1:0.

use crate::common::fast_config;
use proofdeck::gateway;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    fn from(out: Output) -> Self {
        Self {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn show(&self) -> String {
        format!("exit {:?}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Runs the binary off the test's runtime, so in-process servers keep serving.
async fn proofdeck(args: Vec<String>) -> Ran {
    tokio::task::spawn_blocking(move || {
        Ran::from(Command::new(env!("CARGO_BIN_EXE_proofdeck")).args(&args).output().expect("proofdeck runs"))
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn workdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("proofdeck-verdicts-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

/// One flow of one tool-less step, `rate` arrivals/s for 2 s.
fn one_step(path: &str, rate: u32, extra: &str) -> String {
    format!(
        "name = \"one-step\"\n[[phase]]\nname = \"p\"\nduration = \"2s\"\nrate = {rate}\n[[flow]]\nname = \"probe\"\nweight = 1\n[[flow.step]]\npath = \"{path}\"\nexpect = [200]\n{extra}"
    )
}

fn junit_failures(dir: &Path) -> u32 {
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    let at = junit.find("failures=\"").expect("a failures attribute") + "failures=\"".len();
    junit[at..].split('"').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_that_proved_nothing_fails_with_its_reason() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let work = workdir("nothing");

    // Every request answers 404 (steps without `tool`): counted under the flow, and failed.
    let scenario = write(&work, "all-404.toml", &one_step("/nope", 20, ""));
    let dir = work.join("all-404");
    let r =
        proofdeck(args(&["run", &scenario, "--no-tui", "--target", &gw.url(), "--report-dir", dir.to_str().unwrap()]))
            .await;
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(r.stdout.contains("every one of the 40 requests failed (unexpected 40)"), "{}", r.show());
    assert!(r.stdout.contains("FAIL         happy-path success"), "{}", r.show());
    assert!(r.stdout.contains("probe          unexpected       ×40     HTTP 404"), "{}", r.show());
    assert!(junit_failures(&dir) >= 2, "the success KPI and the run itself fail in JUnit");

    // rate = 0 sends nothing: a failure that says so, never a pass.
    let scenario = write(&work, "rate-0.toml", &one_step("/health", 0, ""));
    let dir = work.join("rate-0");
    let r =
        proofdeck(args(&["run", &scenario, "--no-tui", "--target", &gw.url(), "--report-dir", dir.to_str().unwrap()]))
            .await;
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(r.stdout.contains("nothing was sent"), "{}", r.show());
    assert!(r.stdout.contains("no KPI could be measured"), "{}", r.show());
    assert!(junit_failures(&dir) >= 1);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("**FAIL**") && md.contains("- nothing was sent"), "{md}");
    let _ = std::fs::remove_dir_all(&work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quick_run_judges_latency_and_success_only() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let work = workdir("quick");
    let r = proofdeck(args(&[
        "run",
        "--target",
        &gw.url(),
        "--path",
        "/health",
        "--rate",
        "20",
        "--duration",
        "2s",
        "--p99",
        "2s",
        "--success",
        "99",
        "--no-tui",
        "--report-dir",
        work.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(r.code, Some(0), "{}", r.show());
    let kpi_lines: Vec<&str> =
        r.stdout.lines().filter(|l| l.starts_with("  PASS") || l.starts_with("  FAIL")).collect();
    assert_eq!(kpi_lines.len(), 4, "p50, p95, p99, success:\n{}", r.show());
    assert!(r.stdout.contains("≤ 2000 ms"), "--p99 2s is the target:\n{}", r.show());
    assert!(r.stdout.contains("≥ 99 %"), "{}", r.show());
    for campaign in ["breaker", "cache hit ratio", "provenance", "memory"] {
        assert!(!r.stdout.contains(campaign), "{campaign} does not apply to a quick run:\n{}", r.show());
    }
    assert!(r.stdout.contains("GET /health"), "requests are counted under the flow's name:\n{}", r.show());
    let _ = std::fs::remove_dir_all(&work);
}

/// A loopback server with what the bundled gateway never does: a body over the read limit,
/// and a record of every other path it was asked for (answered 404: no chaos API either).
async fn hostile_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new()
        .route("/ok", axum::routing::get(|| async { ([("content-type", "application/json")], r#"{"a":1}"#) }))
        .route("/big", axum::routing::get(|| async { vec![b'x'; 5 * 1024 * 1024] }))
        .fallback(move |uri: axum::http::Uri| {
            log.lock().unwrap().push(uri.path().to_string());
            async { (axum::http::StatusCode::NOT_FOUND, "no such route") }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("127.0.0.1:{}", addr.port()), seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_class_carries_its_reason() {
    let (addr, seen) = hostile_server().await;
    let work = workdir("classes");
    let plain = format!("http://{addr}");
    let quick = |target: String, path: &str, dir: &Path| {
        args(&[
            "run",
            "--target",
            &target,
            "--path",
            path,
            "--rate",
            "5",
            "--duration",
            "1s",
            "--no-tui",
            "--report-dir",
            dir.to_str().unwrap(),
        ])
    };
    let cases = [
        ("tls", format!("https://{addr}"), "/ok", "tls"),
        ("invalid-uri", plain.clone(), "/x y", "invalid_request"),
        ("too-large", plain.clone(), "/big", "body_too_large"),
    ];
    for (name, target, path, class) in cases {
        let dir = work.join(name);
        let r = proofdeck(quick(target, path, &dir)).await;
        assert_eq!(r.code, Some(1), "{name}: {}", r.show());
        let line = r.stdout.lines().find(|l| l.contains(&format!(" {class} "))).unwrap_or_else(|| {
            panic!("{name}: no {class} detail line in the summary:\n{}", r.show());
        });
        assert!(line.contains('×'), "{name}: the detail line has its count: {line}");
        let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
        assert!(md.contains("### Why requests failed") && md.contains(&format!("| {class} |")), "{name}:\n{md}");
    }
    let big = std::fs::read_to_string(work.join("too-large/report.md")).unwrap();
    assert!(big.contains("over the 4 MiB read limit"), "{big}");

    // A capture that finds nothing fails the flow at that step: nothing goes out with `null`.
    let scenario = one_step(
        "/ok",
        5,
        "capture = { id = \"/nope\" }\n[[flow.step]]\nname = \"use it\"\npath = \"/x/{{ id }}\"\nexpect = [200]\n",
    );
    let file = write(&work, "capture.toml", &scenario);
    let dir = work.join("capture");
    let r =
        proofdeck(args(&["run", &file, "--no-tui", "--target", &plain, "--report-dir", dir.to_str().unwrap()])).await;
    assert_eq!(r.code, Some(1), "{}", r.show());
    let line = r.stdout.lines().find(|l| l.contains(" capture_missing ")).unwrap_or_else(|| panic!("{}", r.show()));
    assert!(line.contains("has nothing at /nope"), "{line}");
    let sent_on: Vec<String> = seen.lock().unwrap().iter().filter(|p| p.starts_with("/x/")).cloned().collect();
    assert!(sent_on.is_empty(), "a step after the missing capture was sent: {sent_on:?}");
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(md.contains("| capture_missing |"), "{md}");

    // A target whose scheme is not http(s) is refused before anything is sent.
    let r = proofdeck(quick(format!("ftp://user:hunter2pw@{addr}"), "/ok", &work.join("ftp"))).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("scheme \"ftp\"") && !r.stderr.contains("hunter2pw"), "{}", r.show());
    let _ = std::fs::remove_dir_all(&work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_usage_error_naming_the_value() {
    let work = workdir("input");
    let r = proofdeck(args(&["run", "--no-tui", "--duration", "99999999999999999999h"])).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("99999999999999999999h"), "{}", r.show());

    let heavy = "name = \"w\"\n[[phase]]\nname = \"p\"\nduration = \"1s\"\nrate = 1\n[[flow]]\nname = \"a\"\nweight = 1e308\n[[flow.step]]\npath = \"/\"\n[[flow]]\nname = \"b\"\nweight = 1e308\n[[flow.step]]\npath = \"/\"\n";
    let file = write(&work, "weights.toml", heavy);
    let r = proofdeck(args(&["run", &file, "--no-tui", "--target", "http://127.0.0.1:9"])).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("weights.toml:13:10") && r.stderr.contains("flow weights sum to inf"), "{}", r.show());

    let long = "name = \"l\"\n[[phase]]\nname = \"a\"\nduration = \"8000h\"\nrate = 1\n[[phase]]\nname = \"b\"\nduration = \"8000h\"\nrate = 1\n[[flow]]\nname = \"a\"\nweight = 1\n[[flow.step]]\npath = \"/\"\n";
    let file = write(&work, "long.toml", long);
    let r = proofdeck(args(&["validate", &file])).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("longer than a year"), "{}", r.show());

    for (target, says) in [
        ("http://127.0.0.1:9/#frag", "#fragment"),
        ("http://127.0.0.1:9/?q=1", "?query"),
        ("localhost:9", "scheme \"localhost\""),
        ("http://admin:hunter2pw@127.0.0.1:9/#x", "***@127.0.0.1"),
    ] {
        let r = proofdeck(args(&["run", "--no-tui", "--target", target, "--path", "/", "--rate", "1"])).await;
        assert_eq!(r.code, Some(2), "{target}: {}", r.show());
        assert!(r.stderr.contains(says) && !r.stderr.contains("hunter2pw"), "{target}: {}", r.show());
    }
    let r = proofdeck(args(&["run", "--no-tui", "--rate-scale", "1e308"])).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    // A dashboard or a baseline that cannot be read stops the run before any load.
    let broken = write(&work, "board.json", "{\"panels\": [}");
    let r = proofdeck(args(&["run", "--no-tui", "--dashboard", &broken])).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("board.json:1:") && r.stderr.contains("not a JSON dashboard"), "{}", r.show());
    let r = proofdeck(args(&["run", "--no-tui", "--baseline", work.join("no-such-run").to_str().unwrap()])).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("--baseline: cannot read") && r.stderr.contains("no-such-run"), "{}", r.show());
    let _ = std::fs::remove_dir_all(&work);
}

/// The README's headless example: 15 s of the proof campaign on the bundled gateway. The
/// cache and soak phases never run, so their KPIs are not measured and cannot fail the run;
/// then `compare` refuses a partial run and a run of another scenario.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_proof_run_judges_only_what_ran_and_compare_refuses_unlike_runs() {
    let work = workdir("proof");
    let base = work.join("base");
    let r = proofdeck(args(&["run", "--no-tui", "--duration", "15s", "--report-dir", base.to_str().unwrap()])).await;
    let row = |name: &str| r.stdout.lines().find(|l| l.contains(name)).unwrap_or_default().to_string();
    assert!(row("cache hit ratio").starts_with("  not measured"), "{}", r.show());
    assert!(r.stdout.contains("phase did not run: cache"), "{}", r.show());
    assert!(row("memory growth").starts_with("  not measured"), "{}", r.show());
    assert!(r.stdout.contains("phase did not run: soak"), "{}", r.show());
    let passed = r.stdout.contains("verdict: PASS");
    assert_eq!(r.code, Some(if passed { 0 } else { 1 }), "the exit code follows the verdict:\n{}", r.show());
    let failing: Vec<&str> = r.stdout.lines().filter(|l| l.starts_with("  FAIL")).collect();
    assert_eq!(passed, failing.is_empty(), "only measured KPIs decide:\n{}", r.show());

    let compare = |a: &Path, b: &Path, extra: &[&str]| {
        let mut v = args(&["compare", a.to_str().unwrap(), b.to_str().unwrap()]);
        v.extend(extra.iter().map(|s| s.to_string()));
        proofdeck(v)
    };
    let same = compare(&base, &base, &[]).await;
    assert_eq!(same.code, Some(0), "{}", same.show());
    assert!(!same.stdout.contains("NaN"), "{}", same.show());
    assert!(same.stdout.contains("(base not measured: phase did not run: cache)"), "{}", same.show());

    let edited = |name: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let dir = work.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(base.join("report.json")).unwrap()).unwrap();
        edit(&mut json);
        std::fs::write(dir.join("report.json"), json.to_string()).unwrap();
        dir
    };
    let partial = edited("partial", &|j| j["partial"] = true.into());
    let r = compare(&base, &partial, &[]).await;
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(r.stdout.contains("not comparable: NEW is partial"), "{}", r.show());
    let r = compare(&base, &partial, &["--allow-partial"]).await;
    assert!(r.stdout.contains("warning: NEW is partial"), "{}", r.show());
    assert_eq!(r.code, Some(0), "{}", r.show());

    let other = edited("other", &|j| j["scenario"]["hash"] = "0000000000000000".into());
    let r = compare(&other, &base, &[]).await;
    assert_eq!(r.code, Some(1), "{}", r.show());
    assert!(r.stdout.contains("different scenarios"), "{}", r.show());
    let empty = edited("empty", &|j| j["totals"]["requests"] = 0.into());
    let r = compare(&base, &empty, &[]).await;
    assert!(r.code == Some(1) && r.stdout.contains("NEW sent no request"), "{}", r.show());

    let r = compare(&base, &base, &["--tolerance-pct=-5"]).await;
    assert_eq!(r.code, Some(2), "{}", r.show());
    assert!(r.stderr.contains("≥ 0"), "{}", r.show());
    let _ = std::fs::remove_dir_all(&work);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_errors_say_what_the_target_answered() {
    let gw = gateway::start_embedded(fast_config()).await.unwrap();
    let inject = |mode: &str, pct: &str, target: &str| {
        args(&["chaos", "inject", "--target", target, "--tool", "serpapi", "--mode", mode, "--pct", pct])
    };
    let r = proofdeck(inject("melt", "30", &gw.url())).await;
    assert_eq!(r.code, Some(2), "the target answered 400: a usage error, not unreachable\n{}", r.show());
    assert!(r.stderr.contains("HTTP 400"), "{}", r.show());
    let r = proofdeck(inject("500", "30", "http://127.0.0.1:9")).await;
    assert_eq!(r.code, Some(3), "{}", r.show());
    assert!(r.stderr.contains("unreachable"), "{}", r.show());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_target_without_chaos_routes_is_no_error() {
    let (addr, _) = hostile_server().await;
    let work = workdir("no-chaos");
    let r = proofdeck(args(&[
        "run",
        "--target",
        &format!("http://{addr}"),
        "--path",
        "/ok",
        "--rate",
        "10",
        "--duration",
        "3s",
        "--no-tui",
        "--report-dir",
        work.to_str().unwrap(),
    ]))
    .await;
    assert_eq!(r.code, Some(0), "{}", r.show());
    let events = std::fs::read_to_string(work.join("report.json")).unwrap();
    assert!(events.contains("no chaos API on this target"), "{events}");
    assert!(!events.contains("chaos admin unreachable") && !events.contains("failed:"), "{events}");
    let _ = std::fs::remove_dir_all(&work);
}
