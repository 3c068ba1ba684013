//! The `bench_moto` example's measuring, run once against moto so it cannot rot: every command
//! of the sequence succeeds and reports a time, a peak memory and, for the AWS ones, calls.

use std::path::Path;

#[path = "../../examples/bench_moto/measure.rs"]
mod measure;

#[test]
fn bench_moto_times_every_command_of_one_run() {
    let m = measure::measure(Path::new(env!("CARGO_BIN_EXE_xefs")), 1).unwrap();
    assert_eq!(m.runs, 1);
    assert_eq!(m.commands.len(), 5, "{m:#?}");
    for c in &m.commands {
        assert!(c.median_wall_seconds > 0.0, "{c:?}");
        assert_eq!(c.median_wall_seconds, c.max_wall_seconds, "{c:?}");
        assert!(c.peak_rss_bytes.is_some_and(|b| b > 0), "{c:?}");
        assert_eq!(
            c.aws_calls.is_some_and(|n| n > 0),
            c.label.contains("--phase aws"),
            "{c:?}"
        );
    }
    let json = measure::to_json(&m);
    let apply = &json["commands"]["xefs apply --phase aws --yes"];
    assert!(
        apply["median_wall_seconds"].as_f64().unwrap() > 0.0,
        "{json:#}"
    );
    assert!(apply["aws_calls"].as_u64().unwrap() > 0, "{json:#}");
    let text = measure::to_text(&m);
    for c in &m.commands {
        assert!(text.contains(c.label), "{text}");
    }
}
