#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine: install what is missing, build, start
# the simulated Salesforce org (custody-sim) with the report-exfiltration breach scenario, collect
# its field history, login and export logs into a sealed bundle with `custody collect salesforce`,
# verify the bundle with custody and with the stock-tool commands of its VERIFY.txt, show the
# scenario's evidence in the normalized timeline, hand the bundle over and acknowledge receipt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
custody=$PWD/build/bin/custody
sim=$PWD/build/bin/custody-sim
work=$(mktemp -d "${TMPDIR:-/tmp}/custody-demo.XXXXXX")
echo "== working in $work"

echo "== start custody-sim (a simulated org; throwaway credentials)"
mkfifo "$work/sim.fifo"
"$sim" --listen 127.0.0.1:0 --seed 7 --start 2026-04-01T00:00:00Z --days 7 --now 2026-04-10T00:00:00Z \
  --scenario report-exfiltration --dir "$work/sim" > "$work/sim.fifo" 2> "$work/sim.err" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
exec 3< "$work/sim.fifo"
IFS= read -r startup <&3
# The startup line's string values (URLs, paths, throwaway tokens) hold no quotes or backslashes.
field() { printf '%s' "$startup" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
instance_url=$(field instance_url)
echo "   instance $instance_url, answer key $(field answer_key)"

echo "== keygen (examiner and counsel)"
"$custody" keygen --key "$work/examiner.key" --cert "$work/examiner.pem" --subject "CN=Demo Examiner,O=Example Health"
"$custody" keygen --key "$work/counsel.key" --cert "$work/counsel.pem" --subject "CN=Demo Counsel,O=Example LLP"

echo "== custody collect salesforce (token from the environment, never argv)"
SF_ACCESS_TOKEN=$(field access_token) "$custody" collect salesforce --instance-url "$instance_url" --auth token \
  --since 2026-04-01T00:00:00Z --until 2026-04-08T00:00:00Z --case IR-DEMO-001 --examiner "Demo Examiner" \
  --key "$work/examiner.key" --cert "$work/examiner.pem" --out "$work/IR-DEMO-001.tar"

echo "== custody verify"
"$custody" verify "$work/IR-DEMO-001.tar" --trusted-cert "$work/examiner.pem"

echo "== stock tools, as counsel would (VERIFY.txt)"
mkdir "$work/unpacked"
tar -xf "$work/IR-DEMO-001.tar" -C "$work/unpacked"
top=$(ls "$work/unpacked")
( cd "$work/unpacked/$top" && grep '^\$ ' VERIFY.txt | sed 's/^\$ //' | while IFS= read -r cmd; do
    echo "\$ $cmd"; bash -c "$cmd" | tail -n 3; done )

echo "== the breach in the merged timeline (the actor's events on 2026-04-03)"
actor=$(sed -n 's/.*"actor": *{ *"user_id": *"\([^"]*\)".*/\1/p' "$(field answer_key)" | head -n 1)
grep -F "\"$actor\"" "$work/unpacked/$top/data/normalized/timeline.jsonl" | grep -F '"@timestamp":"2026-04-03T06:' |
  sed 's/.*"@timestamp":"\([^"]*\)".*"event_type":"\([^"]*\)","action":"\([^"]*\)".*"client_ip":"\{0,1\}\([^",]*\).*/\1  \2  \3  \4/' |
  head -n 20

echo "== transfer to counsel, counsel receives"
"$custody" transfer "$work/IR-DEMO-001.tar" --to "Demo Counsel, Example LLP" --reason "litigation hold" \
  --key "$work/examiner.key" --cert "$work/examiner.pem"
"$custody" receive "$work/IR-DEMO-001.tar" --key "$work/counsel.key" --cert "$work/counsel.pem" --note "stored in vault 3"
"$custody" verify "$work/IR-DEMO-001.tar" --trusted-cert "$work/examiner.pem"
echo "== done: $work/IR-DEMO-001.tar"
