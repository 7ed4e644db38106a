# Shared by the package tests: a free port, a served binary, fetching with a status check.
set -euo pipefail

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_serve BINARY DIR: runs `BINARY serve` with its state under DIR, from DIR, with no
# resource directory, and waits for /healthz. Sets SERVE_PID and BASE.
start_serve() {
  local bin=$1 dir=$2 port
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  (cd "$dir" && exec env -u MW_RESOURCE_DIR -u MW_SOURCE_DIR DATA_DIR="$dir/data" \
    DATABASE_URL="sqlite://$dir/data/mw.db" BIND=127.0.0.1:$port BASE_URL=$BASE \
    "$bin" serve >"$dir/serve.log" 2>&1) &
  SERVE_PID=$!
  for _ in $(seq 300); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    kill -0 $SERVE_PID 2>/dev/null || break
    sleep 0.1
  done
  echo "serve did not start:" >&2
  cat "$dir/serve.log" >&2
  return 1
}

# SIGTERM, up to 10 s for a clean exit, then SIGKILL: never a server left behind.
stop_serve() {
  [[ -n ${SERVE_PID:-} ]] || return 0
  kill "$SERVE_PID" 2>/dev/null || true
  for _ in $(seq 100); do
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 "$SERVE_PID" 2>/dev/null || true
  wait "$SERVE_PID" 2>/dev/null || true
  SERVE_PID=
}

# fetch PATH EXPECTED_TYPE_PREFIX: the body of a 200 answer with that Content-Type, else fails.
fetch() {
  local path=$1 type=$2 out status ctype
  out=$(mktemp)
  read -r status ctype < <(curl -sS -o "$out" -w '%{http_code} %{content_type}\n' "$BASE$path")
  if [[ $status != 200 || $ctype != "$type"* || ! -s $out ]]; then
    echo "FAIL $path: status $status, type '$ctype', $(stat -c %s "$out") bytes" >&2
    rm -f "$out"
    return 1
  fi
  cat "$out"
  rm -f "$out"
}

# walk_pages: the home and login pages, then every /static/ URL they link to.
walk_pages() {
  local page links
  for path in / /login /register /blog; do
    page=$(fetch "$path" text/html)
    links+=$(grep -oE '/static/[^"?]+' <<<"$page" | sort -u)$'\n'
  done
  local n=0
  for link in $(sort -u <<<"$links"); do
    case $link in
      *.css) fetch "$link" text/css >/dev/null ;;
      *.js) fetch "$link" text/javascript >/dev/null ;;
      *.svg) fetch "$link" image/svg+xml >/dev/null ;;
      *) fetch "$link" "" >/dev/null ;;
    esac
    n=$((n + 1))
  done
  # The icon font is linked from the icons' stylesheet, not from a page.
  fetch /static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2 font/woff2 >/dev/null
  ((n >= 6)) || { echo "FAIL: only $n static links found on the pages" >&2; return 1; }
  echo "walked 4 pages and $n static files"
}
