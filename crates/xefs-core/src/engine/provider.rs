//! Providers turn blueprint steps into runnable [`Step`]s; a plan binds every step of a
//! blueprint through them.

use std::sync::Arc;

use super::{BoundPlan, BoundStep, EngineError};
use crate::blueprint::{Address, Blueprint, BlueprintStep, Phase};
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
        Self::bind_phases(blueprint, None, providers)
    }

    /// The steps of `phases` (every phase when `None`) of the whole `blueprint`, bound with
    /// the first provider that takes each.
    ///
    /// The blueprint's [`select`](Blueprint::select) pulls in the steps they depend on; those
    /// of other phases that mutate are bound [observe-only](BoundStep::observe_only), so e.g.
    /// `--phase cluster` reads the file system's id but never creates or deletes it. Steps of
    /// other phases left out are declared known, so their resources are not orphans.
    pub fn bind_phases(
        blueprint: &Blueprint,
        phases: Option<&[Phase]>,
        providers: &[&dyn Provider],
    ) -> Result<Self, EngineError> {
        let selected = match phases {
            Some(p) => blueprint.select(p),
            None => blueprint.clone(),
        };
        let known: Vec<Address> = blueprint.steps.iter().map(|s| s.address.clone()).collect();
        let blueprint = &selected;
        let mut steps = Vec::with_capacity(blueprint.steps.len());
        let mut unbound = Vec::new();
        for bp in &blueprint.steps {
            match providers.iter().find_map(|p| p.bind(bp)) {
                Some(step) => {
                    let bound =
                        BoundStep::new(bp.address.clone(), bp.target, bp.depends_on.clone(), step);
                    let outside = phases.is_some_and(|p| !p.contains(&bp.phase));
                    steps.push(if outside && !bp.spec.read_only() {
                        bound.observe_only()
                    } else {
                        bound
                    });
                }
                None => unbound.push((bp.address.clone(), bp.target)),
            }
        }
        if !unbound.is_empty() {
            return Err(EngineError::Unbound { unbound });
        }
        Ok(BoundPlan::new(steps)?.with_known(known))
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

    #[test]
    fn a_phase_reads_the_other_phases_steps_it_depends_on() -> Result<(), Box<dyn std::error::Error>>
    {
        let bp = blueprint()?;
        let world = World::new();
        let providers = [
            OneTarget(Target::ClusterAccount, world.clone()),
            OneTarget(Target::StorageAccount, world.clone()),
            OneTarget(Target::BothAccounts, world.clone()),
            OneTarget(Target::Cluster, world.clone()),
        ];
        let refs: Vec<&dyn Provider> = providers.iter().map(|p| p as &dyn Provider).collect();
        let plan = BoundPlan::bind_phases(&bp, Some(&[crate::blueprint::Phase::Cluster]), &refs)?;
        let fs = plan
            .get(&crate::blueprint::Address::parse(
                crate::blueprint::addr::FILE_SYSTEM,
            )?)
            .ok_or("the storage class needs the file system")?;
        assert!(fs.observe_only);
        let discovery = plan
            .get(&crate::blueprint::Address::parse(
                crate::blueprint::addr::CLUSTER_DISCOVERY,
            )?)
            .ok_or("discovery is pulled in")?;
        assert!(!discovery.observe_only, "read-only steps run as usual");
        let sc = plan
            .get(&crate::blueprint::Address::parse(
                crate::blueprint::addr::STORAGE_CLASS,
            )?)
            .ok_or("the storage class is selected")?;
        assert!(!sc.observe_only);
        assert!(
            plan.get(&crate::blueprint::Address::parse(
                crate::blueprint::addr::VERIFY
            )?)
            .is_none()
        );
        Ok(())
    }
}
