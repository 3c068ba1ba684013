//! Progress on stderr: one line per step event, so a long wait (mount targets take minutes)
//! never looks like a hang. Results go to stdout.

use tokio::sync::mpsc::UnboundedReceiver;
use xefs_core::engine::Event;
use xefs_core::step::Change;

/// Prints events until the engine drops its sender; returns when done.
pub async fn print(mut events: UnboundedReceiver<Event>) {
    while let Some(event) = events.recv().await {
        if let Some(line) = line(&event) {
            eprintln!("{line}");
        }
    }
}

fn secs(d: std::time::Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// The line for one event; `None` for events too chatty to print (plan observations).
fn line(event: &Event) -> Option<String> {
    Some(match event {
        Event::Started { address } => format!("  … {address}"),
        Event::Waiting {
            address,
            what,
            elapsed,
            timeout,
        } => format!(
            "  … {address}: waiting for {what} ({} of at most {})",
            secs(*elapsed),
            secs(*timeout)
        ),
        Event::Retrying {
            address,
            attempt,
            delay,
            error,
        } => format!(
            "  ↻ {address}: attempt {attempt} failed ({error}); retrying in {}",
            secs(*delay)
        ),
        Event::Adopted { address } => {
            format!("  = {address}: already exists, adopted (destroy will leave it)")
        }
        Event::Observed { .. } => return None,
        Event::Done {
            address,
            change,
            duration,
        } => {
            let what = match change {
                Change::Created => "created",
                Change::Updated => "updated",
                Change::Unchanged => "unchanged",
                Change::Read => "read",
                Change::NotApplicable => "not applicable",
            };
            format!("  ✓ {address}: {what} ({})", secs(*duration))
        }
        Event::Failed { address, error } => format!("  ✗ {address}: {error}"),
        Event::Skipped { address, reason } => format!("  - {address}: skipped ({reason})"),
        Event::Removed { address, duration } => {
            format!("  ✓ {address}: deleted ({})", secs(*duration))
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use xefs_core::blueprint::Address;

    #[test]
    fn lines_name_the_step_and_what_it_waits_for() -> Result<(), Box<dyn std::error::Error>> {
        let address = Address::parse("storage.efs.mount-targets")?;
        let waiting = Event::Waiting {
            address: address.clone(),
            what: "3 mount targets to become available".into(),
            elapsed: Duration::from_secs(42),
            timeout: Duration::from_secs(1200),
        };
        assert_eq!(
            line(&waiting).as_deref(),
            Some(
                "  … storage.efs.mount-targets: waiting for 3 mount targets to become available (42.0s of at most 1200.0s)"
            )
        );
        let done = Event::Done {
            address,
            change: Change::Created,
            duration: Duration::from_millis(1500),
        };
        assert_eq!(
            line(&done).as_deref(),
            Some("  ✓ storage.efs.mount-targets: created (1.5s)")
        );
        Ok(())
    }
}
