#!/usr/bin/env bash
# xefs's performance figures, in text:
#
# 1. `xefs bench`: one stack applied and destroyed on the simulated AWS and OpenShift (the
#    apply/destroy times, critical paths and efficiencies are SIMULATED time, with the fake's
#    AWS-like latencies, not measured), the AWS calls per operation, a fleet of stacks under
#    AWS-like rate limits, and real wall time and peak RSS of `xefs render` and of
#    `xefs plan`/`apply --simulate` as processes.
# 2. The `bench_moto` example: REAL wall time (median and max of 3 runs) and peak RSS of
#    `xefs render`, `plan --phase aws` before and after `apply --phase aws --yes`, the apply
#    and `destroy --phase aws --yes` against moto, with each command's AWS calls. moto answers
#    at once, so these times are xefs's own cost, not AWS's latency.
#
# Debug builds, as the tests use: absolute figures are slower than a release build's.
# Needs moto_server on PATH (pip install 'moto[server]').
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -p xefs-cli --examples --bins
target/debug/xefs bench
echo
target/debug/examples/bench_moto
