//! Embedding xefs in a platform tool: load a stack's config, print the engine's events as they
//! come, plan, apply (every phase, the end-to-end check included) and run doctor.
//!
//! ```sh
//! cargo run --example embed -- path/to/xefs.toml            # real accounts and cluster
//! cargo run --example embed -- path/to/xefs.toml --simulate # simulated ones
//! ```

use std::path::Path;

use xefs::Stack;
use xefs::core::engine::Event;
use xefs::core::spec::{ProcessEnv, StackSpec};
use xefs::simulate::Simulation;

/// What the tool does with one stack; returns how many checks doctor failed.
async fn provision(
    config: &Path,
    state: &Path,
    simulate: bool,
) -> Result<usize, Box<dyn std::error::Error>> {
    let spec = StackSpec::load(config, &ProcessEnv)?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let Event::Done {
                address,
                change,
                duration,
            } = event
            {
                println!("{address}: {change:?} in {:.1}s", duration.as_secs_f64());
            }
        }
    });
    let sim;
    let stack = if simulate {
        sim = Simulation::open(state, &spec)?;
        Stack::simulated(spec, state, &sim)
    } else {
        Stack::connect(spec, state).await?
    }
    .with_events(tx);

    let plan = stack.plan().await?;
    println!(
        "{} steps planned, changes pending: {}",
        plan.changes.len(),
        plan.has_changes()
    );
    let report = stack.apply().await?;
    if !report.is_success() {
        return Err(format!("apply failed: {:?}", report.failures).into());
    }
    let findings = stack.doctor().await?;
    for f in findings.failed() {
        println!("doctor: {f}");
    }
    drop(stack);
    printer.await?;
    Ok(findings.failed().count())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = args.first().map(String::as_str).unwrap_or("xefs.toml");
    let simulate = args.iter().any(|a| a == "--simulate");
    let failed = provision(Path::new(config), Path::new(".xefs"), simulate).await?;
    std::process::exit(i32::from(failed > 0));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn provisions_the_example_stack_on_simulated_clouds()
    -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let config = dir.path().join("xefs.toml");
        std::fs::write(&config, xefs::simulate::EXAMPLE_CONFIG)?;
        assert_eq!(provision(&config, dir.path(), true).await?, 0);
        Ok(())
    }
}
