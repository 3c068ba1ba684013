#!/usr/bin/env bash
# The one test command of xefs: formatting, lints and the whole test suite, as CI runs it.
# It installs what the tests need when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# The AWS adapter tests start moto server on a loopback port.
if ! command -v moto_server >/dev/null 2>&1; then
  echo "installing moto server (pip install 'moto[server]')" >&2
  python3 -m pip install --quiet 'moto[server]'
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
