#!/usr/bin/env bash
# make_corpus.sh SIZE_MIB OUTDIR
#
# Writes a deterministic folder of mixed files totalling exactly SIZE_MIB MiB into OUTDIR (which
# must not exist yet, or be empty):
#   ~10% of the bytes in many small text files (CSV, JSON lines, logs; 256 B .. 16 KiB),
#   ~30% in medium files (256 KiB .. 8 MiB; half text, half pseudo-random binary),
#   the rest in a few large binary files (<= 256 MiB each; one of them a "disk image" with
#   zero-filled runs between random ones),
# spread over nested folders (case/host-NN/{logs,exports,mail,images}/...).
#
# Same SIZE_MIB -> byte-identical tree on any machine: the layout and the text come from a
# Park-Miller generator with a fixed seed (exact in awk's doubles, so mawk and gawk agree), the
# binary bytes from AES-128-CTR with a fixed key over zeros (`openssl enc`). No network.
set -eu

if [ $# -ne 2 ]; then
  echo "usage: $0 SIZE_MIB OUTDIR" >&2
  exit 2
fi
SIZE_MIB=$1
OUT=$2
case $SIZE_MIB in '' | *[!0-9]*) echo "SIZE_MIB must be a whole number" >&2; exit 2 ;; esac
if [ "$SIZE_MIB" -lt 4 ]; then echo "SIZE_MIB must be at least 4" >&2; exit 2; fi
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ]; then
  echo "$OUT exists and is not empty" >&2
  exit 2
fi
mkdir -p "$OUT"
export LC_ALL=C

KEY=000102030405060708090a0b0c0d0e0f   # fixed: the corpus is test data, not a secret
plan=$(mktemp)
trap 'rm -f "$plan"' EXIT

# 1. The plan: one line per file, "kind size path" (kind: csv, json, log, bin, img).
awk -v total="$((SIZE_MIB * 1048576))" '
  function rnd() { seed = (seed * 16807) % 2147483647; return seed }
  function between(lo, hi) { return lo + rnd() % (hi - lo + 1) }
  function emit(kind, size, path) { printf "%s %.0f %s\n", kind, size, path; left -= size }
  BEGIN {
    seed = 20240611; left = total
    nhosts = 4 + int(total / 268435456); if (nhosts > 16) nhosts = 16
    split("csv json log", tk, " ")
    # small text files
    budget = int(total * 0.10); i = 0
    while (budget > 0) {
      size = between(256, 16384); if (size > budget) size = budget
      h = i % nhosts; k = tk[1 + rnd() % 3]
      dir = sprintf("case/host-%02d/%s/%04d/%02d", h, (k == "log" ? "logs" : "exports"), 2019 + rnd() % 5, 1 + rnd() % 12)
      emit(k, size, sprintf("%s/rec-%06d.%s", dir, i, (k == "log" ? "log" : k)))
      budget -= size; i++
    }
    # medium files
    budget = int(total * 0.30); j = 0
    while (budget > 0) {
      size = between(262144, 8388608); if (size > budget) size = budget
      h = j % nhosts
      if (j % 2 == 0) emit("csv", size, sprintf("case/host-%02d/mail/export-%04d.csv", h, j))
      else emit("bin", size, sprintf("case/host-%02d/mail/attach-%04d.bin", h, j))
      budget -= size; j++
    }
    # large files: the rest, in pieces of at most 256 MiB
    n = int((left + 268435455) / 268435456); if (n < 1) n = 1
    per = int(left / n)
    for (l = 0; l < n; l++) {
      size = (l == n - 1) ? left : per
      emit(l == 0 ? "img" : "bin", size, sprintf("case/host-%02d/images/disk-%02d.%s", l % nhosts, l, (l == 0 ? "dd" : "e01")))
    }
  }' >"$plan"

# 2. Folders.
awk '{ p = $3; sub(/\/[^\/]*$/, "", p); print p }' "$plan" | sort -u | (cd "$OUT" && xargs mkdir -p)

# 3. Text files, all from one awk process.
awk -v out="$OUT" '
  function rnd() { seed = (seed * 16807) % 2147483647; return seed }
  function word() { return words[1 + rnd() % nw] }
  function ip() { return sprintf("10.%d.%d.%d", rnd() % 256, rnd() % 256, 1 + rnd() % 254) }
  function ts() {
    return sprintf("20%02d-%02d-%02dT%02d:%02d:%02dZ", 19 + rnd() % 6, 1 + rnd() % 12, 1 + rnd() % 28,
                   rnd() % 24, rnd() % 60, rnd() % 60)
  }
  function line(kind, n) {
    if (kind == "csv")
      return sprintf("%d,%s,%s,%s,%s,%d,%s %s\n", n, ts(), ip(), word(), word(), rnd() % 1000000, word(), word())
    if (kind == "json")
      return sprintf("{\"seq\":%d,\"ts\":\"%s\",\"src\":\"%s\",\"user\":\"%s\",\"event\":\"%s\",\"bytes\":%d}\n",
                     n, ts(), ip(), word(), word(), rnd() % 1000000)
    return sprintf("%s host-%d sshd[%d]: %s %s from %s port %d\n", ts(), rnd() % 64, rnd() % 65536, word(), word(), ip(),
                   1024 + rnd() % 60000)
  }
  BEGIN {
    seed = 4242; nw = split("accepted rejected login logout session opened closed transfer upload download " \
      "alice bob carol dave erin frank grace heidi ivan judy mallory oscar peggy trent victor walter " \
      "invoice ledger payroll backup archive report draft final export import", words, " ")
  }
  $1 == "csv" || $1 == "json" || $1 == "log" {
    kind = $1; size = $2 + 0; path = out "/" $3; n = 0
    if (kind == "csv") { hdr = "id,time,src,user,event,bytes,note\n"; if (length(hdr) > size) hdr = substr(hdr, 1, size); printf "%s", hdr > path; size -= length(hdr) }
    while (size > 0) {
      s = line(kind, n++)
      if (length(s) > size) s = substr(s, 1, size)
      printf "%s", s > path; size -= length(s)
    }
    close(path)
  }' "$plan"

# 4. Binary files: AES-128-CTR keystream, one IV per file; "img" alternates 1 MiB random / zero runs.
idx=0
while read -r kind size path; do
  idx=$((idx + 1))
  case $kind in bin | img) ;; *) continue ;; esac
  iv=$(printf '%032x' "$idx")
  if [ "$kind" = bin ]; then
    openssl enc -aes-128-ctr -K "$KEY" -iv "$iv" -nosalt -in /dev/zero 2>/dev/null | head -c "$size" >"$OUT/$path"
  else
    # random 1 MiB blocks with every 4th block zeroed, like an image with free space
    blocks=$(( (size + 1048575) / 1048576 ))
    {
      b=0
      while [ $b -lt $blocks ]; do
        n=1048576; [ $(( (b + 1) * 1048576 )) -gt "$size" ] && n=$(( size - b * 1048576 ))
        if [ $((b % 4)) -eq 3 ]; then head -c "$n" /dev/zero; else
          openssl enc -aes-128-ctr -K "$KEY" -iv "$(printf '%016x%016x' "$idx" "$b")" -nosalt -in /dev/zero 2>/dev/null | head -c "$n"
        fi
        b=$((b + 1))
      done
    } >"$OUT/$path"
  fi
done <"$plan"

files=$(wc -l <"$plan")
bytes=$(awk '{ s += $2 } END { printf "%.0f", s }' "$plan")
echo "corpus $OUT: $files files, $bytes bytes ($SIZE_MIB MiB)"
