//! `proofdeck deploy k8s`: writes the manifests of a sharded run on Kubernetes.

use crate::distributed::k8s::{self, Plan};
use crate::engine::stripe::MAX_SHARDS;
use crate::outcome::exit;
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum DeployCommand {
    /// Kubernetes: a ConfigMap with the scenario, the coordinator (Job + Service) and the
    /// shards (an Indexed Job)
    K8s(K8sArgs),
}

#[derive(clap::Args, Debug)]
pub struct K8sArgs {
    /// The scenario file every shard runs
    pub scenario: PathBuf,
    /// How many shard pods
    #[arg(long)]
    pub shards: usize,
    /// The proofdeck image (built from the Dockerfile)
    #[arg(long)]
    pub image: String,
    /// Where the load goes, as the pods reach it
    #[arg(long)]
    pub target: String,
    /// Where to write the manifests
    #[arg(short, long, default_value = "k8s")]
    pub output: PathBuf,
    /// Names the objects: NAME-scenario, NAME-coordinator, NAME-shards
    #[arg(long, default_value = "proofdeck")]
    pub name: String,
    #[arg(long)]
    pub namespace: Option<String>,
    /// CPU each pod requests
    #[arg(long, default_value = "1")]
    pub cpu: String,
    /// Memory each pod requests (and is limited to)
    #[arg(long, default_value = "512Mi")]
    pub memory: String,
    /// Multiply every phase's rate (passed to the coordinator and every shard)
    #[arg(long)]
    pub rate_scale: Option<f64>,
}

pub fn deploy(to: DeployCommand) -> i32 {
    let DeployCommand::K8s(args) = to;
    match plan(&args).and_then(|p| k8s::manifests(&p).map(|m| (p, m))) {
        Ok((plan, files)) => write(&args, &plan, &files),
        Err(e) => {
            eprintln!("error: {e}");
            exit::USAGE
        }
    }
}

/// Every argument checked; the scenario read and validated as a run would.
fn plan(args: &K8sArgs) -> Result<Plan, String> {
    if args.shards == 0 || args.shards > MAX_SHARDS {
        return Err(format!("--shards {}: expected 1 to {MAX_SHARDS}", args.shards));
    }
    if args.image.trim().is_empty() || args.image.chars().any(char::is_whitespace) {
        return Err(format!(
            "--image {:?}: expected an image reference, e.g. registry.example/proofdeck:0.1",
            args.image
        ));
    }
    let dns_label = |s: &str| {
        !s.is_empty()
            && s.len() <= 40
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !s.starts_with('-')
            && !s.ends_with('-')
    };
    if !dns_label(&args.name) {
        return Err(format!("--name {:?}: expected lowercase letters, digits and '-', at most 40", args.name));
    }
    if let Some(ns) = &args.namespace {
        if !dns_label(ns) {
            return Err(format!("--namespace {ns:?}: expected a DNS label"));
        }
    }
    crate::scenario::target::check(&args.target).map_err(|e| e.to_string())?;
    let scenario = crate::scenario::load_file(&args.scenario).map_err(|e| {
        let text = e.to_string();
        text.strip_prefix("error: ").map(str::to_string).unwrap_or(text)
    })?;
    let mut run_args = Vec::new();
    if let Some(scale) = args.rate_scale {
        if !(scale.is_finite() && scale > 0.0) {
            return Err("--rate-scale must be a number above 0".into());
        }
        run_args.extend(["--rate-scale".to_string(), scale.to_string()]);
    }
    Ok(Plan {
        name: args.name.clone(),
        namespace: args.namespace.clone(),
        image: args.image.clone(),
        target: args.target.clone(),
        shards: args.shards,
        scenario: scenario.source.clone(),
        run_args,
        cpu: args.cpu.clone(),
        memory: args.memory.clone(),
    })
}

fn write(args: &K8sArgs, plan: &Plan, files: &[(String, String)]) -> i32 {
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        eprintln!("error: cannot create {}: {e}", args.output.display());
        return exit::ABORTED;
    }
    for (name, text) in files {
        let path = args.output.join(name);
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::ABORTED;
        }
    }
    let ns = plan.namespace.as_ref().map(|n| format!(" -n {n}")).unwrap_or_default();
    println!("wrote {} manifests to {}:", files.len(), args.output.display());
    println!("  kubectl apply{ns} -f {}", args.output.display());
    println!("  kubectl logs{ns} -f job/{}-coordinator", plan.name);
    println!(
        "  kubectl cp{ns} $(kubectl get pod{ns} -l app.kubernetes.io/instance={},app.kubernetes.io/component=coordinator -o name | cut -d/ -f2):/reports/run ./{}-report",
        plan.name, plan.name
    );
    exit::OK
}
