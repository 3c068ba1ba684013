//! Providers turn blueprint steps into runnable [`Step`]s; a plan binds every step of a
//! blueprint through them.

use std::sync::Arc;

use super::{BoundPlan, BoundStep, EngineError};
use crate::blueprint::{Blueprint, BlueprintStep};
use crate::step::Step;

/// Binds the blueprint steps it knows how to run (the AWS provider those in accounts A and B,
/// the OpenShift provider those on the cluster) and declines the others.
pub trait Provider: Send + Sync {
    /// An implementation of `step`, or `None` when this provider does not run it.
    fn bind(&self, step: &BlueprintStep) -> Option<Arc<dyn Step>>;
}

impl BoundPlan {
    /// Binds every step of `blueprint` with the first provider that takes it.
    ///
    /// A step no provider takes is an error that names it and where it acts, before anything
    /// runs: e.g. a cluster-side discovery step when only the AWS provider is available.
    pub fn bind(blueprint: &Blueprint, providers: &[&dyn Provider]) -> Result<Self, EngineError> {
        let mut steps = Vec::with_capacity(blueprint.steps.len());
        let mut unbound = Vec::new();
        for bp in &blueprint.steps {
            match providers.iter().find_map(|p| p.bind(bp)) {
                Some(step) => steps.push(BoundStep::new(
                    bp.address.clone(),
                    bp.target,
                    bp.depends_on.clone(),
                    step,
                )),
                None => unbound.push((bp.address.clone(), bp.target)),
            }
        }
        if !unbound.is_empty() {
            return Err(EngineError::Unbound { unbound });
        }
        BoundPlan::new(steps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::{Blueprint, Target};
    use crate::engine::testing::World;
    use crate::spec::StackSpec;

    /// Binds every step of one target to a test step.
    struct OneTarget(Target, World);

    impl Provider for OneTarget {
        fn bind(&self, step: &BlueprintStep) -> Option<Arc<dyn Step>> {
            (step.target == self.0).then(|| self.1.step(step.address.as_str()).bind().step)
        }
    }

    fn blueprint() -> Result<Blueprint, Box<dyn std::error::Error>> {
        let spec = StackSpec::from_toml_str(
            crate::spec::fixtures::MINIMAL_KNOWN,
            &std::collections::BTreeMap::<String, String>::new(),
        )?;
        Ok(Blueprint::build(&spec))
    }

    #[test]
    fn every_step_needs_a_provider() -> Result<(), Box<dyn std::error::Error>> {
        let bp = blueprint()?;
        let world = World::new();
        let a = OneTarget(Target::ClusterAccount, world.clone());
        let b = OneTarget(Target::StorageAccount, world.clone());
        let both = OneTarget(Target::BothAccounts, world.clone());
        let aws = bp.select(&[crate::blueprint::Phase::Aws]);
        let plan = BoundPlan::bind(&aws, &[&a, &b, &both])?;
        assert_eq!(plan.len(), aws.steps.len());
        let err = BoundPlan::bind(&bp, &[&a, &b, &both])
            .err()
            .ok_or("cluster steps have no provider")?;
        let text = err.to_string();
        assert!(
            text.starts_with("no provider can run these steps: `openshift."),
            "{text}"
        );
        assert!(text.contains("(OpenShift cluster)"), "{text}");
        Ok(())
    }
}
