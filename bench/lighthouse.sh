#!/usr/bin/env bash
# Lighthouse scores of /openpositions and /enquiry, as served by gunicorn on 127.0.0.1.
#
# What it measures: the four Lighthouse category scores (performance, accessibility, best
# practices, SEO; 0-100) of each page, with Lighthouse's default mobile emulation (a mid-range
# phone on simulated slow 4G, CPU slowed 4x) and with --preset=desktop. Each page and preset is
# run LIGHTHOUSE_RUNS times (default 3) and the run with the median performance score is shown,
# as Lighthouse's docs advise, since performance moves from run to run on a busy machine.
#
# How to read it: one row per page and preset, 0-100 in each category, and the performance
# score of every run ("perf runs"). The goal is 100 in every cell: the line under the table
# says whether it was met. Below that, for each row, every audit of the median run that scored
# below 1: its category, id, score, weight (0: it does not count in the score, it only says
# why a metric is slow), and the offending elements or resources. A "slower CPU" warning means
# the machine was busy and performance is underestimated. Accessibility, best practices and
# SEO are deterministic for the same HTML. The script reports and does not assert: it exits 0
# whenever it ran, whatever the scores, and non-zero only if it could not run.
#
# What it needs: run it from the project root as `bash bench/lighthouse.sh` (any folder
# works). The project's venv (.venv, with gunicorn and flask: `make install`), node and npm,
# and Chromium (CHROME_PATH, default /usr/bin/chromium). Lighthouse 12 is installed on first
# use with `npm install --prefix` into ${XDG_CACHE_HOME:-~/.cache}/openpositions-bench (outside
# the repository; LIGHTHOUSE_PREFIX overrides it), and reused after. About 15 s per run: some
# 3 minutes with the default 3 runs.
#
# Nothing leaves the machine: the site runs on a free 127.0.0.1 port with a temporary instance
# folder and database (both removed on exit, whatever happens); Chromium's background
# networking, component updates and sync are off and it resolves no host name at all (it
# reaches only the 127.0.0.1 literal); Lighthouse's error reporting is off. Only the first run
# reaches the npm registry, to install Lighthouse.
#
# Options (environment): LIGHTHOUSE_RUNS=N runs per page and preset (default 3);
# LIGHTHOUSE_REPORTS=DIR keeps the raw Lighthouse JSON reports there.

set -euo pipefail

PROJECT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$PROJECT_DIR"

VENV_BIN="$PROJECT_DIR/.venv/bin"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
LIGHTHOUSE_VERSION="12"
LIGHTHOUSE_PREFIX="${LIGHTHOUSE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/openpositions-bench}"
LIGHTHOUSE="$LIGHTHOUSE_PREFIX/node_modules/.bin/lighthouse"
CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run"
CHROME_FLAGS+=" --disable-background-networking --disable-component-update --disable-sync"
# Even with the flags above, Chromium 156 looks up accounts.google.com, clients2.google.com and
# update.googleapis.com at start: no host name resolves, only the 127.0.0.1 literal is reached.
CHROME_FLAGS+=" --host-resolver-rules='MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'"
PAGES=(/openpositions /enquiry)
PRESETS=(mobile desktop)
RUNS="${LIGHTHOUSE_RUNS:-3}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "LIGHTHOUSE_RUNS must be a positive integer" >&2; exit 2; }

die() {
    echo "lighthouse.sh: $*" >&2
    exit 2
}

for needed in "$VENV_BIN/gunicorn" "$VENV_BIN/flask" "$VENV_BIN/python"; do
    [[ -x "$needed" ]] || die "$needed is missing: run 'make install' first"
done
[[ -x "$CHROME_PATH" ]] || die "no Chromium at $CHROME_PATH (set CHROME_PATH)"
command -v npm >/dev/null || die "npm is missing (needed to install lighthouse)"

# --- Lighthouse, installed once into the cache folder -------------------------------------------

if [[ ! -x "$LIGHTHOUSE" ]]; then
    echo "Installing lighthouse@$LIGHTHOUSE_VERSION into $LIGHTHOUSE_PREFIX ..." >&2
    mkdir -p "$LIGHTHOUSE_PREFIX"
    npm install --prefix "$LIGHTHOUSE_PREFIX" --no-audit --no-fund --no-save --silent \
        "lighthouse@$LIGHTHOUSE_VERSION" >&2
    [[ -x "$LIGHTHOUSE" ]] || die "npm did not install $LIGHTHOUSE"
fi

# --- The site, on a free loopback port with its own instance folder -----------------------------

tmp="$(mktemp -d "${TMPDIR:-/tmp}/openpositions-lighthouse.XXXXXX")"
server_pid=""

cleanup() {
    local status=$?
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$tmp/instance" "$tmp/reports" "$tmp/chrome-tmp"

# Only the settings below reach the app: FLASK_* variables of the caller's shell are dropped.
app_env=()
while IFS= read -r name; do
    app_env+=(-u "$name")
done < <(compgen -e | grep '^FLASK_' || true)
app_env+=(FLASK_SECRET_KEY=bench "FLASK_INSTANCE_PATH=$tmp/instance" FLASK_QUEUE_IN_PROCESS=false)

env "${app_env[@]}" "$VENV_BIN/flask" --app app db upgrade >"$tmp/db-upgrade.log" 2>&1 ||
    { cat "$tmp/db-upgrade.log" >&2; die "flask db upgrade failed"; }

port="$("$VENV_BIN/python" -c '
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
')"
base="http://127.0.0.1:$port"

env "${app_env[@]}" "$VENV_BIN/gunicorn" -w 2 --bind "127.0.0.1:$port" app:app \
    >"$tmp/gunicorn.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 300); do # 30 s at most
    kill -0 "$server_pid" 2>/dev/null || break
    if "$VENV_BIN/python" - "$base/openpositions" 2>/dev/null <<'EOF'; then
import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=2).read()
EOF
        ready=yes
        break
    fi
    sleep 0.1
done
if [[ -z "$ready" ]]; then
    tail -n 30 "$tmp/gunicorn.log" >&2
    die "the site did not answer on $base within 30 s"
fi

# --- Lighthouse on each page and preset ---------------------------------------------------------

echo "Lighthouse $("$LIGHTHOUSE" --version), $("$CHROME_PATH" --version 2>/dev/null | head -n 1)," \
    "site at $base" >&2
# One Lighthouse run: page, preset (mobile or desktop), report file.
run_lighthouse() {
    local preset_args=()
    [[ "$2" == desktop ]] && preset_args=(--preset=desktop)
    # TMPDIR: Chromium's throwaway profile goes into $tmp and is removed with it.
    TMPDIR="$tmp/chrome-tmp" "$LIGHTHOUSE" "$base$1" "${preset_args[@]}" \
        --chrome-flags="$CHROME_FLAGS" \
        --only-categories=performance,accessibility,best-practices,seo \
        --no-enable-error-reporting \
        --output=json --output-path="$3" --quiet
}

reports=()
for preset in "${PRESETS[@]}"; do
    for page in "${PAGES[@]}"; do
        for run in $(seq "$RUNS"); do
            report="$tmp/reports/${preset}${page//\//_}_${run}.json"
            echo "  $preset $page, run $run of $RUNS ..." >&2
            # A busy machine now and then makes Chromium time out: one retry, then give up.
            if ! run_lighthouse "$page" "$preset" "$report"; then
                echo "  lighthouse failed on $preset $page (see above), retrying once ..." >&2
                run_lighthouse "$page" "$preset" "$report" || die "lighthouse failed on $preset $page"
            fi
            reports+=("$report")
        done
    done
done

if [[ -n "${LIGHTHOUSE_REPORTS:-}" ]]; then
    mkdir -p "$LIGHTHOUSE_REPORTS"
    cp "${reports[@]}" "$LIGHTHOUSE_REPORTS/"
    echo "JSON reports kept in $LIGHTHOUSE_REPORTS" >&2
fi

"$VENV_BIN/python" "$PROJECT_DIR/bench/lighthouse_scores.py" "${reports[@]}"
