//! `xefs verify`: the verify phase alone — the end-to-end write/read check on an applied stack.

use xefs_aws::AwsOptions;

use super::session::Session;
use crate::cli::{OutputFormat, PhaseArg, VerifyArgs};
use crate::diagnostics::CliError;
use crate::{exit, output, progress};

pub async fn run(args: &VerifyArgs) -> Result<u8, CliError> {
    let session = Session::with_phases(
        &args.config,
        &[PhaseArg::Verify],
        &args.state,
        args.output,
        args.simulate,
    )?;
    let (aws, stats) = session.connect(AwsOptions::default()).await?;
    let openshift = session.connect_cluster().await?;
    let plan = match &openshift {
        Some(k8s) => session.bind(&[&aws, k8s])?,
        None => session.bind(&[&aws])?,
    };
    let mut state = session.open_state()?;
    let (engine, events) = session.engine();
    let printer = tokio::spawn(progress::show(events, session.output));
    // The check only reads what apply made and cleans up after itself: no confirmation.
    let result = engine.apply(&plan, &mut state).await;
    drop(engine);
    let _ = printer.await;
    let report = result.map_err(CliError::engine)?;
    match session.output {
        OutputFormat::Json => println!(
            "{:#}",
            output::apply_json(session.spec.name.as_str(), &report, &stats)
        ),
        OutputFormat::Text => print!("{}", output::verify_report_text(&report)),
    }
    Ok(if report.is_success() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}
