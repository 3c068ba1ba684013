//! `xefs destroy`: remove what xefs created, dependents first; leave everything else.

use xefs_aws::AwsOptions;
use xefs_core::engine::DestroyOptions;

use super::session::{Session, can_confirm, confirm};
use crate::cli::{DestroyArgs, OutputFormat};
use crate::diagnostics::CliError;
use crate::{exit, output, progress};

pub async fn run(args: &DestroyArgs) -> Result<u8, CliError> {
    let session = Session::load(&args.stack)?;
    can_confirm(args.yes)?;
    let options = AwsOptions {
        delete_data: args.delete_data,
        ..AwsOptions::default()
    };
    let (aws, stats) = session.connect(options).await?;
    let openshift = session.connect_cluster().await?;
    let plan = match &openshift {
        Some(k8s) => session.bind(&[&aws, k8s])?,
        None => session.bind(&[&aws])?,
    };
    let mut state = session.open_state()?;
    let (engine, events) = session.engine();
    let destroy_options = DestroyOptions::default();
    // What will go, from the state alone (no calls), shown before asking.
    let planned = engine.plan_destroy(&plan, &state, destroy_options);
    if planned.changes.is_empty() {
        match session.output {
            OutputFormat::Json => println!(
                "{:#}",
                serde_json::json!({
                    "format_version": 1,
                    "stack": session.spec.name.as_str(),
                    "success": true,
                    "summary": output::Summary::default(),
                    "calls": output::Calls::from(&stats),
                })
            ),
            OutputFormat::Text => {
                println!("Nothing to destroy: the state records nothing xefs created.")
            }
        }
        return Ok(exit::SUCCESS);
    }
    eprint!("{}", output::plan_text(&planned, true));
    if !confirm("Delete these resources?", args.yes)? {
        eprintln!("Destroy cancelled: nothing was deleted.");
        return Ok(exit::FAILURE);
    }
    let printer = tokio::spawn(progress::show(events, session.output));
    let result = engine.destroy(&plan, &mut state, destroy_options).await;
    drop(engine);
    let _ = printer.await;
    let report = result.map_err(CliError::engine)?;
    match session.output {
        OutputFormat::Json => println!(
            "{:#}",
            output::destroy_json(session.spec.name.as_str(), &report, &stats)
        ),
        OutputFormat::Text => print!("{}", output::destroy_text(&report, &stats)),
    }
    Ok(if report.is_success() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
