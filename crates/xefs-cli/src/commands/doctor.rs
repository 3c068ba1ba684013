//! `xefs doctor`: read both accounts and the cluster (read-only), run the analysis, print a
//! checklist. Exit 0 when nothing failed (warnings allowed), 1 otherwise.

use std::path::Path;
use std::sync::Arc;

use xefs::simulate::Simulation;
use xefs_aws::doctor::{DoctorAccounts, read_snapshot};
use xefs_aws::sdk::ConnectOptions;
use xefs_aws::{CallStats, ProviderError};
use xefs_core::doctor::{DoctorSnapshot, diagnose};
use xefs_core::spec::StackSpec;
use xefs_k8s::doctor::read_cluster;
use xefs_k8s::{Cluster, KubeCluster};

use crate::cli::{DoctorArgs, OutputFormat, PhaseArg};
use crate::diagnostics::CliError;
use crate::{exit, output};

pub async fn run(args: &DoctorArgs) -> Result<u8, CliError> {
    let spec = super::load_spec(&args.config)?;
    let stats = CallStats::new();
    let snapshot = match &args.from_snapshot {
        Some(path) => load_snapshot(path)?,
        None => {
            let snapshot = read_live(&spec, args, &stats).await?;
            if let Some(path) = &args.save_snapshot {
                save_snapshot(path, &snapshot)?;
            }
            snapshot
        }
    };
    let findings = diagnose(&snapshot);
    match args.output {
        OutputFormat::Json => println!(
            "{:#}",
            output::doctor_json(spec.name.as_str(), &findings, &stats)
        ),
        OutputFormat::Text => print!("{}", output::doctor_text(spec.name.as_str(), &findings)),
    }
    Ok(if findings.is_ok() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

/// Whether the phases ask for the cluster: every phase but `--phase aws` alone does.
fn reads_cluster(phases: &[PhaseArg]) -> bool {
    phases.is_empty() || phases.iter().any(|p| *p != PhaseArg::Aws)
}

/// Reads the state — live, or the simulated world kept in the state directory: the cluster
/// first (its issuer and worker instances tell where to look in account A), then both
/// accounts. Credentials that do not work are findings, not errors, so the other account and
/// the cluster are still checked.
async fn read_live(
    spec: &StackSpec,
    args: &DoctorArgs,
    stats: &CallStats,
) -> Result<DoctorSnapshot, CliError> {
    let sim = if args.simulate {
        Some(Simulation::open(&args.state, spec).map_err(CliError::Simulation)?)
    } else {
        None
    };
    let facts = if reads_cluster(&args.phase) {
        let cluster: Arc<dyn Cluster> = match &sim {
            Some(sim) => sim.cluster(),
            None => Arc::new(
                KubeCluster::connect(spec.cluster.kube_context.as_deref())
                    .await
                    .map_err(CliError::DoctorCluster)?,
            ),
        };
        Some(
            read_cluster(&*cluster, spec)
                .await
                .map_err(CliError::DoctorCluster)?,
        )
    } else {
        None
    };
    let accounts = match &sim {
        Some(sim) => DoctorAccounts::from(sim.accounts(stats)),
        None => {
            DoctorAccounts::connect(spec, &ConnectOptions::default().with_stats(stats.clone()))
                .await
        }
    };
    let snapshot = read_snapshot(spec, &accounts, facts)
        .await
        .map_err(|e| CliError::Provider(ProviderError::Aws(e)))?;
    if let Some(sim) = &sim {
        // Reads change nothing, but the simulated clock moved on: keep it for the next command.
        sim.save().map_err(CliError::Simulation)?;
    }
    Ok(snapshot)
}

fn load_snapshot(path: &Path) -> Result<DoctorSnapshot, CliError> {
    let text = std::fs::read_to_string(path).map_err(|source| CliError::Io {
        what: format!("read the snapshot {}", path.display()),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| CliError::Snapshot {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn save_snapshot(path: &Path, snapshot: &DoctorSnapshot) -> Result<(), CliError> {
    let mut text = serde_json::to_string_pretty(snapshot).map_err(|e| CliError::Snapshot {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    text.push('\n');
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_aws_alone_skips_the_cluster() {
        assert!(reads_cluster(&[]));
        assert!(!reads_cluster(&[PhaseArg::Aws]));
        assert!(reads_cluster(&[PhaseArg::Aws, PhaseArg::Cluster]));
        assert!(reads_cluster(&[PhaseArg::Verify]));
    }
}
