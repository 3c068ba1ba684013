//! `xefs plan`: observe every step, read-only, and say what `apply` would change.

use xefs_aws::AwsOptions;

use super::session::Session;
use crate::cli::{OutputFormat, PlanArgs};
use crate::diagnostics::CliError;
use crate::{exit, output, progress};

/// Returns the exit code: with `--detailed-exitcode`, 2 when changes are pending.
pub async fn run(args: &PlanArgs) -> Result<u8, CliError> {
    let session = Session::load(&args.stack)?;
    let (aws, stats) = session.connect(AwsOptions::default()).await?;
    let openshift = session.connect_cluster().await?;
    let plan = match &openshift {
        Some(k8s) => session.bind(&[&aws, k8s])?,
        None => session.bind(&[&aws])?,
    };
    let state = session.open_state()?;
    let (engine, events) = session.engine();
    let printer = tokio::spawn(progress::show(events, session.output));
    let result = engine.plan(&plan, &state).await;
    drop(engine);
    let _ = printer.await;
    let planned = result.map_err(CliError::engine)?;
    let details = output::PlanDetails {
        spec: &session.spec,
        blueprint: &session.blueprint,
        state: Some(&state),
        commands: args.show_commands,
        documents: args.show_documents,
    };
    match session.output {
        OutputFormat::Json => println!(
            "{:#}",
            output::plan_json(session.spec.name.as_str(), &planned, &stats, Some(&details))
        ),
        OutputFormat::Text => print!(
            "{}",
            output::plan_text_with(&planned, false, Some(&details))
        ),
    }
    Ok(if args.detailed_exitcode && planned.has_changes() {
        exit::CHANGES_PENDING
    } else {
        exit::SUCCESS
    })
}
