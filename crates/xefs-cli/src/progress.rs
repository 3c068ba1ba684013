//! Progress on stderr, so a long wait (mount targets take minutes) never looks like a hang.
//! Results go to stdout.
//!
//! On a terminal (and with text output) each running step has a live spinner line saying what
//! it waits for and for how long, and each finished step leaves one line. Otherwise (a pipe, a
//! CI log, `--output json`) every event is one plain line, exactly as scripts and tests read
//! them.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc::UnboundedReceiver;
use xefs_core::blueprint::Address;
use xefs_core::engine::Event;
use xefs_core::step::Change;

use crate::cli::OutputFormat;

/// Shows events the way the output format and stderr allow, until the engine drops its sender.
pub async fn show(events: UnboundedReceiver<Event>, output: OutputFormat) {
    if output == OutputFormat::Text && std::io::stderr().is_terminal() {
        spinners(events).await;
    } else {
        print(events).await;
    }
}

/// A spinner per running step, a permanent line per finished one.
async fn spinners(mut events: UnboundedReceiver<Event>) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let style = ProgressStyle::with_template("  {spinner} {prefix}: {wide_msg} {elapsed:>4}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut running: HashMap<Address, ProgressBar> = HashMap::new();
    while let Some(event) = events.recv().await {
        if let Some(address) = started(&event) {
            let bar = multi.add(
                ProgressBar::new_spinner()
                    .with_style(style.clone())
                    .with_prefix(address.to_string())
                    .with_message("running"),
            );
            bar.enable_steady_tick(Duration::from_millis(120));
            if let Some(old) = running.insert(address.clone(), bar) {
                old.finish_and_clear();
            }
            continue;
        }
        if let Some((address, message)) = status(&event)
            && let Some(bar) = running.get(address)
        {
            bar.set_message(message);
        }
        if let Some(address) = finished(&event)
            && let Some(bar) = running.remove(address)
        {
            bar.finish_and_clear();
        }
        if !matches!(event, Event::Waiting { .. })
            && let Some(line) = line(&event)
        {
            let _ = multi.println(line);
        }
    }
    for (_, bar) in running {
        bar.finish_and_clear();
    }
    let _ = multi.clear();
}

/// The step an event starts.
fn started(event: &Event) -> Option<&Address> {
    match event {
        Event::Started { address } => Some(address),
        _ => None,
    }
}

/// What a running step's spinner says after this event.
fn status(event: &Event) -> Option<(&Address, String)> {
    match event {
        Event::Waiting {
            address,
            what,
            elapsed,
            timeout,
        } => Some((
            address,
            format!(
                "waiting for {what} ({} of at most {})",
                secs(*elapsed),
                secs(*timeout)
            ),
        )),
        Event::Retrying {
            address,
            attempt,
            delay,
            ..
        } => Some((
            address,
            format!("attempt {attempt} failed; retrying in {}", secs(*delay)),
        )),
        _ => None,
    }
}

/// The step an event ends.
fn finished(event: &Event) -> Option<&Address> {
    match event {
        Event::Observed { address, .. }
        | Event::Done { address, .. }
        | Event::Failed { address, .. }
        | Event::Skipped { address, .. }
        | Event::Removed { address, .. } => Some(address),
        _ => None,
    }
}

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
        Event::Warning { message, .. } => format!("  ! warning: {message}"),
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

    #[test]
    fn a_warning_is_shown_as_such() -> Result<(), Box<dyn std::error::Error>> {
        let warning = Event::Warning {
            address: Address::parse("cluster.network.peering")?,
            message: "`cluster.network.peering` was applied earlier but is gone now".into(),
        };
        assert_eq!(
            line(&warning).as_deref(),
            Some("  ! warning: `cluster.network.peering` was applied earlier but is gone now")
        );
        Ok(())
    }

    #[test]
    fn spinners_start_on_started_and_end_on_every_final_event()
    -> Result<(), Box<dyn std::error::Error>> {
        let address = Address::parse("storage.efs.file-system")?;
        assert_eq!(
            started(&Event::Started {
                address: address.clone()
            }),
            Some(&address)
        );
        let waiting = Event::Waiting {
            address: address.clone(),
            what: "file system fs-1 to become available".into(),
            elapsed: Duration::from_secs(3),
            timeout: Duration::from_secs(600),
        };
        assert_eq!(
            status(&waiting),
            Some((
                &address,
                "waiting for file system fs-1 to become available (3.0s of at most 600.0s)"
                    .to_owned()
            ))
        );
        assert_eq!(finished(&waiting), None);
        for event in [
            Event::Observed {
                address: address.clone(),
                duration: Duration::ZERO,
            },
            Event::Done {
                address: address.clone(),
                change: Change::Created,
                duration: Duration::ZERO,
            },
            Event::Skipped {
                address: address.clone(),
                reason: "a dependency failed".into(),
            },
            Event::Removed {
                address: address.clone(),
                duration: Duration::ZERO,
            },
        ] {
            assert_eq!(finished(&event), Some(&address), "{event:?}");
        }
        Ok(())
    }
}
