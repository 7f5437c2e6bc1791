#!/usr/bin/env bash
# Interop: the official LiveChat clients, unmodified, against lc-sandbox over TLS.
#
#   bash tests/interop/run.sh
#
# Builds the sandbox, installs npm @livechat/lc-sdk-js and PyPI lc-sdk-python into a
# scratch folder (target/interop, reused while the versions match), then, for each
# client, starts a fresh sandbox with a self-signed certificate for 127.0.0.1, runs the
# client's scenario (agent_customer.mjs / agent_customer.py) and stops the sandbox with
# SIGTERM, checking that it exits cleanly. Needs cargo, node + npm and python3 + pip.
# Fails if either client fails. See docs/sandbox.md.
set -euo pipefail
cd "$(dirname "$0")/../.."

JS_SDK="@livechat/lc-sdk-js@4.0.2"
PY_SDK="lc-sdk-python==0.4.2"
here="tests/interop"

log() { printf 'interop: %s\n' "$*"; }
die() { printf 'interop: FAILED: %s\n' "$*" >&2; exit 1; }

for tool in cargo node npm python3 timeout; do
  command -v "$tool" >/dev/null || die "\`$tool\` is required"
done

# The official clients only talk to the sandbox, on loopback: no proxy.
unset HTTP_PROXY HTTPS_PROXY ALL_PROXY http_proxy https_proxy all_proxy
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
work="$target_dir/interop"
mkdir -p "$work"

log "building lc-sandbox"
cargo build --quiet -p lc-sandbox --bin lc-sandbox
sandbox_bin="$target_dir/debug/lc-sandbox"

# --- the official clients, in the scratch folder -------------------------------------------
js_dir="$work/js"
if [[ "$(cat "$js_dir/.installed" 2>/dev/null)" != "$JS_SDK" ]]; then
  log "installing $JS_SDK"
  rm -rf "$js_dir" && mkdir -p "$js_dir"
  timeout 300 npm install --prefix "$js_dir" --no-audit --no-fund --loglevel=error "$JS_SDK" >/dev/null
  echo "$JS_SDK" >"$js_dir/.installed"
fi

py_dir="$work/py"
if [[ "$(cat "$py_dir/.installed" 2>/dev/null)" != "$PY_SDK" ]]; then
  log "installing $PY_SDK and loguru"
  rm -rf "$py_dir" && mkdir -p "$py_dir"
  # lc-sdk-python imports loguru without declaring it.
  PIP_ROOT_USER_ACTION=ignore timeout 300 python3 -m pip install --quiet \
    --disable-pip-version-check --no-input \
    --target "$py_dir" "$PY_SDK" loguru
  echo "$PY_SDK" >"$py_dir/.installed"
fi

# --- one sandbox per client ----------------------------------------------------------------
tls_dir="$work/tls"
ready="$work/ready.json"
sandbox_pid=""

stop_sandbox() {
  [[ -n "$sandbox_pid" ]] || return 0
  local pid=$sandbox_pid status=0
  sandbox_pid=""
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    die "the sandbox did not stop within 5 s of SIGTERM"
  fi
  wait "$pid" || status=$?
  [[ $status -eq 0 ]] || die "the sandbox exited with status $status on SIGTERM"
  [[ ! -e "$ready" ]] || die "the sandbox left its ready file behind"
}
trap 'stop_sandbox' EXIT

start_sandbox() {
  rm -f "$ready"
  "$sandbox_bin" --self-signed "$tls_dir" --ready-file "$ready" \
    >"$work/sandbox-$1.out" 2>"$work/sandbox-$1.log" &
  sandbox_pid=$!
  for _ in $(seq 300); do
    [[ -s "$ready" ]] && return 0
    kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox-$1.log" >&2; die "the sandbox exited at start"; }
    sleep 0.1
  done
  die "no ready file within 30 s"
}

# run_client NAME COMMAND...: runs one client's scenario against a fresh sandbox.
run_client() {
  local name=$1
  shift
  start_sandbox "$name"
  log "$name client against $(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["ws_url"])' "$ready")"
  if ! timeout 120 "$@"; then
    log "sandbox log (last lines):"
    tail -n 40 "$work/sandbox-$name.log" >&2 || true
    die "the $name client"
  fi
  stop_sandbox
}

cert="$tls_dir/cert.pem"
run_client js env NODE_EXTRA_CA_CERTS="$cert" \
  node "$here/agent_customer.mjs" "$ready" "$js_dir"
run_client python env PYTHONPATH="$py_dir" \
  python3 "$here/agent_customer.py" "$ready" "$cert"

log "2 passed, 0 failed"
