//! `xefs apply`: make the stack so, resuming where an earlier run stopped.

use xefs_aws::AwsOptions;

use super::session::{Session, can_confirm, confirm};
use crate::cli::{ApplyArgs, OutputFormat};
use crate::diagnostics::CliError;
use crate::{exit, output, progress};

pub async fn run(args: &ApplyArgs) -> Result<u8, CliError> {
    let session = Session::load(&args.stack)?;
    can_confirm(args.yes)?;
    let (aws, stats) = session.connect(AwsOptions::default()).await?;
    let openshift = session.connect_cluster().await?;
    let plan = match &openshift {
        Some(k8s) => session.bind(&[&aws, k8s])?,
        None => session.bind(&[&aws])?,
    };
    let mut state = session.open_state()?;
    let (mut engine, mut events) = session.engine();
    if !args.yes {
        // Show the plan and ask. With --yes the apply observes each step itself, so the plan
        // pass (one read per resource) is skipped. The plan's progress is over (its printer
        // done) before the question is asked.
        let printer = tokio::spawn(progress::show(events, session.output));
        let planned = engine.plan(&plan, &state).await;
        let (next, next_events) = session.engine_after(&engine);
        drop(engine);
        let _ = printer.await;
        let planned = planned.map_err(CliError::engine)?;
        eprint!("{}", output::plan_text(&planned, false));
        if !planned.has_changes() {
            finish_without_changes(&session, &stats);
            return Ok(exit::SUCCESS);
        }
        if !confirm("Apply these changes?", false)? {
            eprintln!("Apply cancelled: nothing was changed.");
            return Ok(exit::FAILURE);
        }
        (engine, events) = (next, next_events);
    }
    let printer = tokio::spawn(progress::show(events, session.output));
    let result = engine.apply(&plan, &mut state).await;
    drop(engine);
    let _ = printer.await;
    let report = result.map_err(CliError::engine)?;
    match session.output {
        OutputFormat::Json => println!(
            "{:#}",
            output::apply_json(session.spec.name.as_str(), &report, &stats)
        ),
        OutputFormat::Text => print!("{}", output::apply_text(&report, &stats)),
    }
    Ok(if report.is_success() {
        exit::SUCCESS
    } else {
        exit::FAILURE
    })
}

fn finish_without_changes(session: &Session, stats: &xefs_aws::CallStats) {
    match session.output {
        OutputFormat::Json => println!(
            "{:#}",
            serde_json::json!({
                "format_version": 1,
                "stack": session.spec.name.as_str(),
                "success": true,
                "summary": output::Summary::default(),
                "calls": output::Calls::from(stats),
            })
        ),
        OutputFormat::Text => println!("No changes: the stack matches its config."),
    }
}
