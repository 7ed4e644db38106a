#!/usr/bin/env bash
# With MW_RESOURCE_DIR at a source tree, an edited template is served a second later without a
# restart, and a template that no longer parses keeps the last good one (issue 15.1).
source "$(dirname "$0")/common.sh"
bin=${MW_BINARY:?}
src=${MW_SOURCE_DIR:?}
dir=$(mktemp -d)
trap 'stop_serve; rm -rf "$dir"' EXIT
mkdir -p "$dir/tree" "$dir/data"
cp -r "$src/templates" "$src/static" "$src/locales" "$src/migrations" "$dir/tree/"
ln -s "$src/node_modules" "$dir/tree/node_modules"
export MW_RESOURCE_DIR=$dir/tree
(cd "$dir" && DATABASE_URL="sqlite://$dir/data/mw.db" DATA_DIR="$dir/data" "$bin" migrate) >/dev/null
port=$(free_port)
BASE=http://127.0.0.1:$port
(cd "$dir" && exec env DATA_DIR="$dir/data" DATABASE_URL="sqlite://$dir/data/mw.db" \
  BIND=127.0.0.1:$port BASE_URL=$BASE "$bin" serve >"$dir/serve.log" 2>&1) &
SERVE_PID=$!
for _ in $(seq 300); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

login=$dir/tree/templates/users/login.html
fetch /login text/html | grep -q "edited-marker-one" && { echo "FAIL: marker before the edit" >&2; exit 1; }
echo "<!-- edited-marker-one -->" >>"$login"
sleep 1.5
fetch /login text/html | grep -q "edited-marker-one" || { echo "FAIL: edit not served" >&2; exit 1; }
# A broken template: the last good set stays, with the reason on stderr.
cp "$login" "$dir/login.good"
echo "{{#unclosed}}" >>"$login"
sleep 1.5
fetch /login text/html | grep -q "edited-marker-one" || { echo "FAIL: broken edit lost the page" >&2; exit 1; }
grep -q "kept the previous set" "$dir/serve.log" || { echo "FAIL: no reason logged" >&2; exit 1; }
cp "$dir/login.good" "$login"
echo "<!-- edited-marker-two -->" >>"$login"
sleep 1.5
fetch /login text/html | grep -q "edited-marker-two" || { echo "FAIL: fixed edit not served" >&2; exit 1; }
echo "devtree: ok"
