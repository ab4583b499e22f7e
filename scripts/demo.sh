#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine: install what is missing, build, make a
# throwaway examiner key, seal the synthetic sample evidence, verify the bundle with custody and
# with the stock-tool commands of its VERIFY.txt, hand it over and acknowledge receipt.
# Until `custody collect` exists (issues "custody-sim" and "custody collect salesforce") the
# evidence is a folder collected by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
custody=$PWD/build/bin/custody
work=$(mktemp -d "${TMPDIR:-/tmp}/custody-demo.XXXXXX")
echo "== working in $work"

echo "== keygen (examiner and counsel)"
"$custody" keygen --key "$work/examiner.key" --cert "$work/examiner.pem" --subject "CN=Demo Examiner,O=Example Health"
"$custody" keygen --key "$work/counsel.key" --cert "$work/counsel.pem" --subject "CN=Demo Counsel,O=Example LLP"

echo "== seal examples/sample-evidence"
"$custody" seal examples/sample-evidence --out "$work/IR-DEMO-001.tar" \
  --key "$work/examiner.key" --cert "$work/examiner.pem" --case IR-DEMO-001 --examiner "Demo Examiner"

echo "== custody verify"
"$custody" verify "$work/IR-DEMO-001.tar" --trusted-cert "$work/examiner.pem"

echo "== stock tools, as counsel would (VERIFY.txt)"
mkdir "$work/unpacked"
tar -xf "$work/IR-DEMO-001.tar" -C "$work/unpacked"
top=$(ls "$work/unpacked")
( cd "$work/unpacked/$top" && grep '^\$ ' VERIFY.txt | sed 's/^\$ //' | while IFS= read -r cmd; do
    echo "\$ $cmd"; bash -c "$cmd"; done )

echo "== transfer to counsel, counsel receives"
"$custody" transfer "$work/IR-DEMO-001.tar" --to "Demo Counsel, Example LLP" --reason "litigation hold" \
  --key "$work/examiner.key" --cert "$work/examiner.pem"
"$custody" receive "$work/IR-DEMO-001.tar" --key "$work/counsel.key" --cert "$work/counsel.pem" --note "stored in vault 3"
"$custody" verify "$work/IR-DEMO-001.tar" --trusted-cert "$work/examiner.pem"
echo "== done: $work/IR-DEMO-001.tar"
