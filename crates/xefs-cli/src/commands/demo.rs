//! `xefs demo`: the whole procedure on the example stack, on simulated clouds — the same
//! commands a user runs, each with `--simulate`, in one process on a fast clock.

use std::path::{Path, PathBuf};
use std::time::Instant;

use xefs::simulate::{EXAMPLE_CONFIG, Simulation};

use crate::cli::{
    ApplyArgs, ConfigArgs, DemoArgs, DestroyArgs, DoctorArgs, OutputFormat, PlanArgs, StackArgs,
    VerifyArgs,
};
use crate::diagnostics::CliError;
use crate::exit;

pub async fn run(args: &DemoArgs) -> Result<u8, CliError> {
    let started = Instant::now();
    // A temporary directory unless the user wants to keep the demo.
    let temp;
    let dir: PathBuf = match &args.state {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|source| CliError::Write {
                path: dir.clone(),
                source,
            })?;
            dir.clone()
        }
        None => {
            temp = tempfile::Builder::new()
                .prefix("xefs-demo-")
                .tempdir()
                .map_err(|source| CliError::Io {
                    what: "create a temporary directory".into(),
                    source,
                })?;
            temp.path().to_owned()
        }
    };
    let config = dir.join("xefs.toml");
    std::fs::write(&config, EXAMPLE_CONFIG).map_err(|source| CliError::Write {
        path: config.clone(),
        source,
    })?;
    let spec = super::load_spec(&ConfigArgs {
        config: config.clone(),
    })?;
    println!(
        "xefs demo: stack `{}` — an OpenShift cluster in AWS account {} mounts an EFS file \
         system in account {}.\nBoth accounts and the cluster are simulated (AWS's rules and \
         latencies on a fast clock); nothing real is touched.\n",
        spec.name, spec.cluster.account_id, spec.storage.account_id
    );

    let stack = || StackArgs {
        config: ConfigArgs {
            config: config.clone(),
        },
        phase: Vec::new(),
        state: dir.clone(),
        output: OutputFormat::Text,
        simulate: true,
    };
    stage("xefs plan --simulate");
    let code = super::plan::run(&PlanArgs {
        stack: stack(),
        detailed_exitcode: false,
        show_commands: false,
        show_documents: false,
    })
    .await?;
    check(code)?;
    stage("xefs apply --simulate --yes");
    check(
        super::apply::run(&ApplyArgs {
            stack: stack(),
            yes: true,
        })
        .await?,
    )?;
    stage("xefs verify --simulate");
    check(
        super::verify::run(&VerifyArgs {
            config: ConfigArgs {
                config: config.clone(),
            },
            state: dir.clone(),
            output: OutputFormat::Text,
            simulate: true,
        })
        .await?,
    )?;
    stage("xefs doctor --simulate");
    check(
        super::doctor::run(&DoctorArgs {
            config: ConfigArgs {
                config: config.clone(),
            },
            phase: Vec::new(),
            output: OutputFormat::Text,
            save_snapshot: None,
            from_snapshot: None,
            simulate: true,
            state: dir.clone(),
        })
        .await?,
    )?;
    if !args.keep {
        stage("xefs destroy --simulate --yes");
        check(
            super::destroy::run(&DestroyArgs {
                stack: stack(),
                yes: true,
                delete_data: false,
            })
            .await?,
        )?;
    }
    let simulated = Simulation::open(&dir, &spec)
        .map_err(CliError::Simulation)?
        .now();
    println!(
        "\nDemo complete: {simulated} of simulated cloud time in {:.1}s.",
        started.elapsed().as_secs_f64()
    );
    println!("{}", next_steps(args.state.as_deref(), args.keep));
    Ok(exit::SUCCESS)
}

/// A heading for one command of the demo.
fn stage(command: &str) {
    println!("\n==> {command}\n");
}

/// Stops the demo at a failed command: the simulation is deterministic, so this is a bug.
fn check(code: u8) -> Result<(), CliError> {
    if code == exit::SUCCESS {
        Ok(())
    } else {
        Err(CliError::DemoFailed { code })
    }
}

fn next_steps(kept: Option<&Path>, applied: bool) -> String {
    let mut out = String::from(
        "Next: `xefs render --config xefs.toml --out rendered/` writes every document and the \
         manual procedure for your own stack; `xefs plan` then reads your real accounts.",
    );
    if let Some(dir) = kept {
        out.push_str(&format!(
            "\nThe demo's config, state and simulated world are in {}: run any command there \
             with `--simulate --config {}/xefs.toml --state {}`{}.",
            dir.display(),
            dir.display(),
            dir.display(),
            if applied {
                " (the stack is still applied)"
            } else {
                ""
            }
        ));
    }
    out
}
