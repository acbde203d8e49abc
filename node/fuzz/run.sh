#!/usr/bin/env bash
# Fuzzes every target for SECONDS each (default 15) with libFuzzer under AddressSanitizer, and prints how many
# inputs each ran. A crash stops the run with the input saved under node/fuzz/artifacts/. CI runs a short
# pass; run it longer by hand: node/fuzz/run.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-15}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
for target in bsn identifier_detector submit_request; do
  log="$(mktemp)"
  if ! cargo +nightly fuzz run -O "$target" -- -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    echo "fuzz target $target failed" >&2
    exit 1
  fi
  runs="$(grep -o 'Done [0-9]* runs' "$log" | tail -1)"
  echo "fuzz $target: ${runs:-no summary} in ${seconds} s, no crash"
  rm -f "$log"
done
