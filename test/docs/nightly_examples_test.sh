#!/usr/bin/env bash
# Checks the nightly-run deployment examples against what custody and their tools accept
# (docs/nightly.md):
#
#   test/docs/nightly_examples_test.sh [CUSTODY_BINARY]
#
# - examples/case-nightly.toml and the case file inside the Kubernetes ConfigMap: TOML that
#   parses, only settings schemas/config.schema.json knows, every secret a reference;
# - examples/kubernetes/custody-cronjob.yaml: YAML that parses; the CronJob's UTC schedule,
#   Forbid, no retry, no secret in args or in a literal env value, every mount's volume, the
#   signing key and certificate mounted with subPath (custody refuses a key read through a
#   symbolic link, and Secret volumes hold symbolic links);
# - examples/systemd: `systemd-analyze verify` with no message; oneshot, no SuccessExitStatus=,
#   a LoadCredential= for every credential the example case file names, a UTC timer;
# - examples/cron/custody-nightly: every line an assignment or a cron.d entry, CRON_TZ=UTC, no
#   '%' in the command, which `sh -n` (and shellcheck, when installed) accepts;
# - docs/nightly.md: every relative link names a file that exists;
# - with CUSTODY_BINARY: custody reads both case files (rewritten to local paths and unreachable
#   loopback sources) past the case-file stage: any exit but 2.
#
# Exit status: 0 every check that could run passed; 1 a check failed; 77 skipped (no python3
# with tomllib and yaml, so nothing could be checked).
set -u

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
custody="${1:-}"
failures=0

fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}
note() { echo "  $*"; }

if ! python3 -c 'import tomllib, yaml' 2>/dev/null; then
  echo "SKIPPED: python3 with tomllib (3.11+) and PyYAML is needed"
  exit 77
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/custody-nightly-examples.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== case files and the Kubernetes manifest (python3)"
# Writes the ConfigMap's case file to $work/configmap-case.toml for the binary check below.
if ! python3 - "$repo" "$work" <<'PY'
import json, pathlib, sys, tomllib, yaml

repo, work = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
problems = []

schema = json.loads((repo / "schemas/config.schema.json").read_text())
case_keys = set(schema["properties"]["case"]["properties"])
branches = {b["properties"]["type"]["enum"][0]: b for b in schema["properties"]["source"]["items"]["oneOf"]}

def check_case(name, text):
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        problems.append(f"{name}: not TOML: {e}")
        return
    if set(doc) - {"case", "source"}:
        problems.append(f"{name}: top-level settings other than [case] and [[source]]: {sorted(set(doc) - {'case', 'source'})}")
    case = doc.get("case", {})
    for k in sorted(set(case) - case_keys):
        problems.append(f"{name}: unknown [case] setting {k}")
    for k in ("id", "examiner", "since", "out", "key", "cert"):
        if k not in case:
            problems.append(f"{name}: [case] {k} is missing (a nightly series needs it)")
    if "work_dir" in case:
        problems.append(f"{name}: work_dir is set; with --state-dir the work folder is in the state folder")
    if str(case.get("out", "")).endswith(".tar"):
        problems.append(f"{name}: with --state-dir, out is a folder, not a .tar")
    for src in doc.get("source", []):
        branch = branches.get(src.get("type"))
        if branch is None:
            problems.append(f"{name}: source {src.get('name')}: unknown type {src.get('type')}")
            continue
        props = branch["properties"]
        for k in sorted(set(src) - set(props)):
            problems.append(f"{name}: source {src['name']}: unknown setting {k}")
        for k in branch.get("required", []):
            if k not in src:
                problems.append(f"{name}: source {src['name']}: {k} is required")
        for k, v in src.items():
            if props.get(k, {}).get("$ref") == "#/definitions/secret":
                if not (isinstance(v, dict) and len(v) == 1 and set(v) <= {"env", "file"}):
                    problems.append(f"{name}: source {src['name']}: {k} must be {{ env = ... }} or {{ file = ... }}")
        if src.get("auth") == "token":
            problems.append(f"{name}: source {src['name']}: auth = token cannot renew itself; not for unattended runs")
    print(f"  {name}: {len(doc.get('source', []))} sources, settings known to schemas/config.schema.json")

check_case("examples/case-nightly.toml", (repo / "examples/case-nightly.toml").read_text())

docs = [d for d in yaml.safe_load_all((repo / "examples/kubernetes/custody-cronjob.yaml").read_text()) if d]
kinds = {d["kind"]: d for d in docs}
print(f"  examples/kubernetes/custody-cronjob.yaml: {len(docs)} documents: {', '.join(sorted(kinds))}")
for kind in ("CronJob", "ConfigMap", "PersistentVolumeClaim"):
    if kind not in kinds:
        problems.append(f"custody-cronjob.yaml: no {kind}")
if "ConfigMap" in kinds:
    text = kinds["ConfigMap"]["data"]["case.toml"]
    (work / "configmap-case.toml").write_text(text)
    check_case("custody-cronjob.yaml ConfigMap case.toml", text)
if "CronJob" in kinds:
    cj = kinds["CronJob"]["spec"]
    expect = {"timeZone": "Etc/UTC", "concurrencyPolicy": "Forbid"}
    for k, v in expect.items():
        if cj.get(k) != v:
            problems.append(f"CronJob: {k} is {cj.get(k)!r}, expected {v!r}")
    job = cj["jobTemplate"]["spec"]
    if job.get("backoffLimit") != 0:
        problems.append("CronJob: backoffLimit should be 0 (the next night covers a failed run)")
    pod = job["template"]["spec"]
    if pod.get("restartPolicy") != "Never":
        problems.append("CronJob: restartPolicy should be Never")
    if int(pod.get("terminationGracePeriodSeconds", 30)) < 300:
        problems.append("CronJob: terminationGracePeriodSeconds leaves too little time to seal after SIGTERM")
    (c,) = pod["containers"]
    argv = c.get("command", []) + c.get("args", [])
    if "--state-dir" not in argv:
        problems.append("CronJob: no --state-dir in the command")
    for a in argv:
        if any(w in a.lower() for w in ("password", "secret", "token", "passphrase")):
            problems.append(f"CronJob: argument {a!r} looks like a secret")
    for e in c.get("env", []):
        if "value" in e:
            problems.append(f"CronJob: env {e['name']} has a literal value; use valueFrom")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        if m["name"] not in volumes:
            problems.append(f"CronJob: mount {m['mountPath']} names no volume {m['name']}")
    if "ConfigMap" in kinds:
        case = tomllib.loads(kinds["ConfigMap"]["data"]["case.toml"])["case"]
        mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
        for k in ("key", "cert"):
            m = mounts.get(case[k])
            if m is None or "subPath" not in m:
                problems.append(f"CronJob: [case] {k} {case[k]} is not a subPath mount (custody refuses symbolic links there)")
    if not any("secret" in v for v in volumes.values()):
        problems.append("CronJob: no Secret volume")

for p in problems:
    print("FAIL: " + p)
sys.exit(1 if problems else 0)
PY
then
  failures=$((failures + 1))
fi

echo "== systemd units"
unit_dir="$repo/examples/systemd"
service="$unit_dir/custody-nightly.service"
timer="$unit_dir/custody-nightly.timer"
grep -qx 'Type=oneshot' "$service" || fail "service: not Type=oneshot"
grep -q '^SuccessExitStatus=' "$service" && fail "service: SuccessExitStatus= hides partial runs"
grep -q '^Restart=' "$service" && fail "service: Restart= is set; the next night covers a failed run"
grep -q '^User=' "$service" || fail "service: no dedicated User="
grep -q '^ExecStart=.*--state-dir' "$service" || fail "service: ExecStart= has no --state-dir"
grep -q '^OnCalendar=.* UTC$' "$timer" || fail "timer: OnCalendar= is not in UTC"
grep -qx 'Persistent=true' "$timer" || fail "timer: no Persistent=true"
grep -q '^RandomizedDelaySec=' "$timer" || fail "timer: no RandomizedDelaySec="
# Every credential the example case file refers to is loaded by the unit.
for id in $(grep -o '/run/credentials/custody-nightly.service/[A-Za-z0-9._-]*' "$repo/examples/case-nightly.toml" |
              sed 's#.*/##' | sort -u); do
  grep -q "^LoadCredential=$id:" "$service" || fail "service: case-nightly.toml uses credential $id, no LoadCredential=$id:"
done
note "directives checked; credentials of case-nightly.toml all loaded"
if command -v systemd-analyze >/dev/null 2>&1; then
  cp "$service" "$timer" "$work/"
  out="$(cd "$work" && systemd-analyze verify ./custody-nightly.service ./custody-nightly.timer 2>&1)"
  if [ -n "$out" ]; then
    fail "systemd-analyze verify: $out"
  else
    note "systemd-analyze verify: no message"
  fi
  cal="$(systemd-analyze calendar "$(sed -n 's/^OnCalendar=//p' "$timer")" 2>&1)" || fail "timer: $cal"
else
  note "systemd-analyze not installed: units not verified by systemd"
fi

echo "== cron.d file"
cron="$repo/examples/cron/custody-nightly"
[ -z "$(tail -c 1 "$cron")" ] || fail "cron: the last line does not end with a newline"
grep -qx 'CRON_TZ=UTC' "$cron" || fail "cron: no CRON_TZ=UTC"
entries=0
while IFS= read -r line; do
  case "$line" in '' | '#'*) continue ;; esac
  if printf '%s\n' "$line" | grep -Eq '^[A-Za-z_][A-Za-z0-9_]*='; then continue; fi
  # minute hour day-of-month month day-of-week user command
  if ! printf '%s\n' "$line" | grep -Eq '^[0-9*,/-]+[[:space:]]+[0-9*,/-]+[[:space:]]+[0-9*,/-]+[[:space:]]+[0-9*,/-]+[[:space:]]+[0-9*,/-]+[[:space:]]+[a-z_][a-z0-9_-]*[[:space:]]+.'; then
    fail "cron: not an assignment or an entry: $line"
    continue
  fi
  entries=$((entries + 1))
  command="$(printf '%s\n' "$line" | sed -E 's/^([^[:space:]]+[[:space:]]+){6}//')"
  case "$command" in *%*) fail "cron: '%' in the command is cron's newline" ;; esac
  case "$command" in *--state-dir*) ;; *) fail "cron: no --state-dir in the command" ;; esac
  printf '%s\n' "$command" > "$work/cron-command.sh"
  sh -n "$work/cron-command.sh" || fail "cron: sh -n refuses the command"
  if command -v shellcheck >/dev/null 2>&1; then
    shellcheck -s sh "$work/cron-command.sh" || fail "cron: shellcheck"
  fi
done < "$cron"
[ "$entries" -eq 1 ] || fail "cron: expected one entry, found $entries"
note "$entries entry; sh -n$(command -v shellcheck >/dev/null 2>&1 && echo ' and shellcheck') accept its command"

echo "== links in docs/nightly.md"
links=0
while IFS= read -r target; do
  links=$((links + 1))
  [ -e "$repo/docs/$target" ] || fail "docs/nightly.md links to $target, which does not exist"
done < <(grep -o '](\([^)#]*\)' "$repo/docs/nightly.md" | sed 's/^](//' | grep -v '^http' | grep -v '^$' | sort -u)
note "$links relative links"

if [ -n "$custody" ]; then
  echo "== custody reads the case files ($custody)"
  mkdir -p "$work/cred" "$work/etc" "$work/out"
  "$custody" keygen --key "$work/cred/signer.key" --cert "$work/etc/signer.pem" --subject "CN=Nightly Examples Test" \
    > /dev/null || fail "keygen"
  openssl genrsa -out "$work/cred/sf-jwt.key" 2048 2> /dev/null || fail "openssl genrsa"
  openssl ecparam -name secp384r1 -genkey -noout -out "$work/cred/smart-es384.pem" || fail "openssl ecparam"
  printf 'not-a-real-password\n' > "$work/cred/mirth-password"
  # Local files for the credentials, unreachable loopback servers for the sources: custody reads
  # the whole case file, the key and every secret, then fails to connect (exit 1). Exit 2 would
  # mean it refused the case file.
  rewrite() {
    sed -e "s#/run/credentials/custody-nightly.service/#$work/cred/#g" \
        -e "s#/run/secrets/custody/#$work/cred/#g" \
        -e "s#/etc/custody/signing/signer.key#$work/cred/signer.key#" \
        -e "s#/etc/custody/signing/signer.pem#$work/etc/signer.pem#" \
        -e "s#/etc/custody/acme/#$work/etc/#g" \
        -e 's#https://[A-Za-z0-9.-]*\(:[0-9]*\)\{0,1\}#http://127.0.0.1:9#g' "$1"
  }
  for name in case-nightly k8s-case; do
    src="$repo/examples/case-nightly.toml"
    [ "$name" = k8s-case ] && src="$work/configmap-case.toml"
    [ -f "$src" ] || continue
    rewrite "$src" > "$work/$name.toml"
    "$custody" collect --config "$work/$name.toml" --out "$work/out/$name.tar" --max-attempts 1 \
      --retry-delay-ms 1 > "$work/$name.out" 2> "$work/$name.err"
    rc=$?
    if [ "$rc" -eq 2 ]; then
      fail "custody refused $name.toml (exit 2): $(cat "$work/$name.err")"
    elif grep -q "$name.toml:[0-9]" "$work/$name.err"; then
      fail "custody reported a case-file line in $name.toml: $(cat "$work/$name.err")"
    else
      note "$name.toml: read; the sources were then unreachable, as intended (exit $rc)"
    fi
  done
fi

if [ "$failures" -ne 0 ]; then
  echo "FAILED: $failures check(s)"
  exit 1
fi
echo "PASSED"
