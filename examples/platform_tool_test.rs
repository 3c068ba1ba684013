//! A platform tool's own code under test, with simulated clouds instead of mocks: the tool
//! gives each team a stack and a StorageClass name; its tests prove the whole flow works, and
//! that a break in the network makes the end-to-end check fail where a real cluster would.
//!
//! `cargo test --example platform_tool_test`

use xefs::Stack;
use xefs::core::spec::{SpecErrors, StackSpec};

/// The tool's convention: one stack per team, account B's VPC given by the storage team.
fn team_stack(team: &str, storage_vpc: &str) -> Result<StackSpec, SpecErrors> {
    StackSpec::builder(&format!("team-{team}"), "us-east-2")
        .cluster(
            "sts-cluster",
            "111111111111",
            "vpc-0a1b2c3d4e5f60718",
            "10.0.0.0/16",
        )
        .storage("222222222222", storage_vpc, "10.1.0.0/16")
        .set("storage_class.name", format!("efs-{team}"))
        .set("tags.team", team)
        .build()
}

/// The tool's operation: apply the team's stack and hand back its StorageClass.
async fn provision(stack: &Stack) -> Result<String, Box<dyn std::error::Error>> {
    let report = stack.apply().await?;
    if !report.is_success() {
        return Err(format!("{} failed: {:?}", stack.spec().name, report.failures).into());
    }
    Ok(stack.spec().storage_class.name.to_string())
}

/// Provisions one team on simulated clouds; `cargo test --example platform_tool_test` runs
/// the tool's tests.
#[tokio::main(flavor = "current_thread", start_paused = true)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let spec = team_stack("green", "vpc-0f1e2d3c4b5a69788")?;
    let sim = xefs::simulate::Simulation::new(&spec)?;
    let state = tempfile::tempdir()?;
    let class = provision(&Stack::simulated(spec, state.path(), &sim)).await?;
    println!("team green can use StorageClass {class}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use xefs::aws::ports::Ec2 as _;
    use xefs::core::blueprint::Phase;
    use xefs::simulate::Simulation;

    use super::*;

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_team_gets_a_working_storage_class() -> Result<(), Box<dyn std::error::Error>> {
        let spec = team_stack("blue", "vpc-0f1e2d3c4b5a69788")?;
        let sim = Simulation::new(&spec)?;
        let state = tempfile::tempdir()?;
        let stack = Stack::simulated(spec, state.path(), &sim);
        assert_eq!(provision(&stack).await?, "efs-blue");
        assert!(stack.doctor().await?.is_ok());
        Ok(())
    }

    #[tokio::test(flavor = "current_thread", start_paused = true)]
    async fn a_deleted_route_fails_the_check_and_doctor_names_it()
    -> Result<(), Box<dyn std::error::Error>> {
        let spec = team_stack("red", "vpc-0f1e2d3c4b5a69788")?;
        let sim = Simulation::new(&spec)?;
        let state = tempfile::tempdir()?;
        let stack = Stack::simulated(spec.clone(), state.path(), &sim);
        provision(&stack).await?;

        // Someone removes account B's route back to the cluster.
        let b = sim.aws().ports(&spec.storage.account_id, &spec.region);
        for table in b.ec2.route_tables_in_vpc(&spec.storage.vpc_id).await? {
            b.ec2
                .delete_route(&table.id, &spec.cluster.vpc_cidr)
                .await?;
        }

        let check = stack.verify().await?;
        assert!(!check.is_success());
        let failure = check.failures[0].to_string();
        assert!(failure.contains("Connection timed out"), "{failure}");
        let failed: Vec<_> = stack
            .doctor()
            .await?
            .failed()
            .map(|f| f.check.as_str())
            .collect();
        assert_eq!(failed, ["route-back"]);
        // The tool can still clean up.
        let stack = stack.with_phases(&[Phase::Aws, Phase::Cluster, Phase::Verify]);
        assert!(stack.destroy(false).await?.is_success());
        Ok(())
    }
}
