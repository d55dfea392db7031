#!/usr/bin/env bash
# The Python package's tests, as CI runs them (from .ci/run, after `cargo test`):
# a venv with the pinned test tools, the extension built by maturin and installed as
# a wheel, then pytest (API, retrievers, and `k2search mcp` through the MCP SDK).
#
# The dev build shares the target folder with `cargo test`, whose optimized
# dependencies it reuses; set CARGO_TARGET_DIR to build elsewhere.
set -euo pipefail
cd "$(dirname "$0")"
root="$(cd .. && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
venv="${K2SEARCH_VENV:-$CARGO_TARGET_DIR/python-venv}"
wheels="$CARGO_TARGET_DIR/python-wheels"

[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r requirements-test.txt

# The binary the MCP tests start (built by `cargo test` already: then a no-op).
(cd "$root" && cargo build --quiet --bin k2search)
export K2SEARCH_BIN="$CARGO_TARGET_DIR/debug/k2search"

rm -rf "$wheels"
"$venv/bin/maturin" build --quiet --profile dev --out "$wheels"
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/k2search-*.whl

# pytest's own script, not `python -m pytest`: the source folder k2search/ (without
# the extension) must not shadow the installed package.
"$venv/bin/pytest" -q tests
