//! `xefs render`: the plan's documents on disk, without touching any cloud.

use std::fs;
use std::path::Path;

use xefs_core::blueprint::Blueprint;
use xefs_core::blueprint::render::{RenderedFile, bundle};

use crate::cli::RenderArgs;
use crate::diagnostics::CliError;

pub fn run(args: &RenderArgs) -> Result<(), CliError> {
    let spec = super::load_spec(&args.config)?;
    let blueprint = Blueprint::build(&spec);
    // Everything is rendered in memory first: a bad config writes nothing.
    let files = bundle(&spec, &blueprint);
    for file in &files {
        write(&args.out, file)?;
    }
    println!("wrote {} files to {}", files.len(), args.out.display());
    for file in &files {
        println!("  {}", file.path);
    }
    Ok(())
}

fn write(dir: &Path, file: &RenderedFile) -> Result<(), CliError> {
    let path = dir.join(&file.path);
    let io = |source| CliError::Write {
        path: path.clone(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io)?;
    }
    fs::write(&path, &file.contents).map_err(io)?;
    #[cfg(unix)]
    if file.executable {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    Ok(())
}
