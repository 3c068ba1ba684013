//! Several stacks at once, as a platform team provisions them: one simulated world per stack,
//! all applied concurrently in one process, then destroyed.
//!
//! `cargo run --example fleet -- 20`

use std::time::Instant;

use futures::future::join_all;
use xefs::Stack;
use xefs::core::spec::StackSpec;
use xefs::simulate::Simulation;

/// Applies and destroys `n` stacks concurrently; returns the simulated seconds it took.
async fn fleet(n: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut stacks = Vec::new();
    let mut worlds = Vec::new();
    for i in 0..n {
        let spec = StackSpec::builder(&format!("fleet-{i}"), "us-east-2")
            .cluster(
                "sts-cluster",
                "111111111111",
                "vpc-0a1b2c3d4e5f60718",
                "10.0.0.0/16",
            )
            .storage("222222222222", "vpc-0f1e2d3c4b5a69788", "10.1.0.0/16")
            .build()?;
        let sim = Simulation::new(&spec)?;
        stacks.push(Stack::simulated(spec, dir.path(), &sim));
        worlds.push(sim);
    }
    let started = tokio::time::Instant::now();
    let applied = join_all(stacks.iter().map(Stack::apply)).await;
    for (stack, report) in stacks.iter().zip(applied) {
        let report = report?;
        if !report.is_success() {
            return Err(format!("{}: {:?}", stack.spec().name, report.failures).into());
        }
    }
    for report in join_all(stacks.iter().map(|s| s.destroy(false))).await {
        if !report?.is_success() {
            return Err("a destroy failed".into());
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let real = Instant::now();
    let simulated = fleet(n).await?;
    println!(
        "{n} stacks applied and destroyed: {simulated:.0}s simulated, {:.2}s real",
        real.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn five_stacks_at_once_take_about_as_long_as_one()
    -> Result<(), Box<dyn std::error::Error>> {
        let simulated = super::fleet(5).await?;
        // One stack's apply and destroy take about three simulated minutes; five at once
        // overlap their waits instead of queueing them.
        assert!(simulated < 400.0, "{simulated} s");
        Ok(())
    }
}
