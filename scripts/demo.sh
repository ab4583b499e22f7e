#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine: install what is missing, build, start
# custody-sim (a simulated Salesforce org, the EHR's FHIR AuditEvent server and the Mirth interface
# engine between them) with the bulk-exfiltration breach scenario, which crosses all three;
# collect all three into one sealed bundle with `custody collect --config case.toml`, verify the
# bundle with custody and with the stock-tool commands of its VERIFY.txt, follow the attacker's
# address through the merged timeline, hand the bundle over and acknowledge receipt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
custody=$PWD/build/bin/custody
sim=$PWD/build/bin/custody-sim
work=$(mktemp -d "${TMPDIR:-/tmp}/custody-demo.XXXXXX")
echo "== working in $work"

echo "== start custody-sim (Salesforce org + FHIR server + Mirth engine; throwaway credentials)"
mkfifo "$work/sim.fifo"
"$sim" --listen 127.0.0.1:0 --seed 7 --start 2026-04-01T00:00:00Z --days 7 --now 2026-04-10T00:00:00Z \
  --scenario bulk-exfiltration --fhir --mirth --mirth-timezone America/New_York --mirth-password demo-mirth-pw \
  --dir "$work/sim" > "$work/sim.fifo" 2> "$work/sim.err" &
sim_pid=$!
trap 'kill "$sim_pid" 2>/dev/null || true' EXIT
exec 3< "$work/sim.fifo"
IFS= read -r startup <&3
# The startup line's string values (URLs, paths, throwaway tokens) hold no quotes or backslashes.
# The org's members come first; the FHIR and Mirth servers' are in their own objects after it.
org=${startup%%\"fhir\":*}
fhir=${startup#*\"fhir\":}; fhir=${fhir%%\"mirth\":*}
mirth=${startup#*\"mirth\":}
field() { printf '%s' "$1" | sed -n "s/.*\"$2\":\"\([^\"]*\)\".*/\1/p"; }
echo "   org $(field "$org" instance_url), FHIR $(field "$fhir" base_url), Mirth $(field "$mirth" base_url)"
echo "   answer key $(field "$org" answer_key)"

echo "== keygen (examiner and counsel)"
"$custody" keygen --key "$work/examiner.key" --cert "$work/examiner.pem" --subject "CN=Demo Examiner,O=Example Health"
"$custody" keygen --key "$work/counsel.key" --cert "$work/counsel.pem" --subject "CN=Demo Counsel,O=Example LLP"

echo "== case file: three sources, secrets only as references (a 0600 file, the environment)"
( umask 077; field "$org" access_token > "$work/sf.token" )
cat > "$work/case.toml" <<TOML
[case]
id       = "IR-DEMO-001"
examiner = "Demo Examiner"
since    = "2026-04-01T00:00:00Z"
until    = "2026-04-08T00:00:00Z"
out      = "IR-DEMO-001.tar"
key      = "examiner.key"
cert     = "examiner.pem"

[[source]]
name         = "salesforce"
type         = "salesforce"
instance_url = "$(field "$org" instance_url)"
auth         = "token"
access_token = { file = "sf.token" }

[[source]]
name       = "ehr-fhir"
type       = "fhir"
base_url   = "$(field "$fhir" base_url)"
auth       = "smart"
client_id  = "$(field "$fhir" client_id)"
client_key = "$(field "$fhir" es384_private_key)"
kid        = "$(field "$fhir" es384_kid)"

[[source]]
name     = "mirth"
type     = "mirth"
base_url = "$(field "$mirth" base_url)"
username = "$(field "$mirth" username)"
password = { env = "DEMO_MIRTH_PASSWORD" }
TOML
cat "$work/case.toml"

echo "== custody collect --config case.toml"
DEMO_MIRTH_PASSWORD=demo-mirth-pw "$custody" collect --config "$work/case.toml"

echo "== custody verify"
"$custody" verify "$work/IR-DEMO-001.tar" --trusted-cert "$work/examiner.pem"

echo "== stock tools, as counsel would (VERIFY.txt)"
mkdir "$work/unpacked"
tar -xf "$work/IR-DEMO-001.tar" -C "$work/unpacked"
top=$(ls "$work/unpacked")
( cd "$work/unpacked/$top" && grep '^\$ ' VERIFY.txt | sed 's/^\$ //' | while IFS= read -r cmd; do
    echo "\$ $cmd"; bash -c "$cmd" | tail -n 3; done )

echo "== the breach across systems in the merged timeline (the attacker's address, and the engine's"
echo "   FHIR patient search that shares the scenario's X-Request-Id)"
ip=$(sed -n 's/.*"source_ip": *"\([^"]*\)".*/\1/p' "$(field "$org" answer_key)" | head -n 1)
grep -e "\"client_ip\":\"$ip\"" -e '"x_request_id":"a1f6c2e0-5b7d-4c3e-9f1a-0b0e7f1a2c3d"' \
  "$work/unpacked/$top/data/normalized/timeline.jsonl" |
  sed 's/.*"@timestamp":"\([^"]*\)".*"source":"\([^"]*\)".*"event_type":"\([^"]*\)","action":"\([^"]*\)".*/\1  \2  \3  \4/' |
  head -n 20

echo "== transfer to counsel, counsel receives"
"$custody" transfer "$work/IR-DEMO-001.tar" --to "Demo Counsel, Example LLP" --reason "litigation hold" \
  --key "$work/examiner.key" --cert "$work/examiner.pem"
"$custody" receive "$work/IR-DEMO-001.tar" --key "$work/counsel.key" --cert "$work/counsel.pem" --note "stored in vault 3"
"$custody" verify "$work/IR-DEMO-001.tar" --trusted-cert "$work/examiner.pem"
echo "== done: $work/IR-DEMO-001.tar"
