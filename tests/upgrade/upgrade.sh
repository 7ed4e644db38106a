#!/usr/bin/env bash
# A database made by Mailwright 0.1 (tests/fixtures/v0.1) migrates to the current schema with its
# data intact, on SQLite and on PostgreSQL: read back through the API, then written to.
source "$(dirname "$0")/../package/common.sh"
bin=${MW_BINARY:?}
fixture=$(cd "$(dirname "$0")/../fixtures/v0.1" && pwd)
token=mw_upgradefixture0000000000000000000000000
work=$(mktemp -d)
trap 'stop_serve; rm -rf "$work"' EXIT

api() {  # api METHOD PATH [JSON]: the body of a 2xx answer
  curl -fsS -X "$1" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    ${3:+--data "$3"} "$BASE$2"
}
expect() {  # expect TEXT HAYSTACK WHAT
  grep -qF -- "$1" <<<"$2" || { echo "FAIL: $3: '$1' not in: ${2:0:400}" >&2; exit 1; }
}

check() {  # check NAME DATABASE_URL: the old schema, its data, then the current migrations
  local name=$1 url=$2 dir=$work/$1 out
  mkdir -p "$dir/data"
  DATABASE_URL=$url MW_RESOURCE_DIR=$fixture "$bin" migrate | grep -q "migrations applied: 4"
  if [[ $url == sqlite://* ]]; then
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(open(sys.argv[2]).read()); c.commit()' \
      "${url#sqlite://}" "$fixture/data.sql"
  else
    psql -q -v ON_ERROR_STOP=1 "$url" -f "$fixture/data.sql"
    # What pg_dump would restore: sequences past the ids the rows carry.
    for t in users api_tokens clients messages mailings runs deliveries attempts articles; do
      psql -q -v ON_ERROR_STOP=1 "$url" -c \
        "SELECT setval(pg_get_serial_sequence('$t', 'id'), (SELECT MAX(id) FROM $t))" >/dev/null
    done
  fi
  out=$(DATABASE_URL=$url "$bin" migrate)
  echo "$name: $out"
  start_serve_url "$url" "$dir"
  out=$(api GET /api/v1/clients)
  expect 'Иван Иванов' "$out" "$name clients"
  expect 'gone@example.org' "$out" "$name clients"
  out=$(api GET /api/v1/mailings/1)
  expect 'Еженедельная рассылка' "$out" "$name mailing"
  out=$(api GET /api/v1/mailings/1/stats)
  expect '"success"' "$out" "$name stats"
  out=$(curl -fsS "$BASE/blog")
  expect 'Как мы выбирали рассылки' "$out" "$name blog"
  out=$(api POST /api/v1/clients '{"email": "new@example.ru", "full_name": "Новый"}')
  expect '"id"' "$out" "$name new client"
  out=$(api GET /api/v1/clients)
  expect 'new@example.ru' "$out" "$name new client listed"
  stop_serve
  echo "$name: ok"
}

# start_serve with a given DATABASE_URL (common.sh's start_serve uses a SQLite file in DIR).
start_serve_url() {
  local url=$1 dir=$2 port
  [[ -z ${SERVE_PID:-} ]] || return 0
  port=$(free_port)
  BASE=http://127.0.0.1:$port
  (cd "$dir" && exec env -u MW_RESOURCE_DIR DATA_DIR="$dir/data" DATABASE_URL="$url" \
    BIND=127.0.0.1:$port BASE_URL=$BASE "$bin" serve --no-scheduler >"$dir/serve.log" 2>&1) &
  SERVE_PID=$!
  for _ in $(seq 300); do
    curl -fsS "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  cat "$dir/serve.log" >&2
  return 1
}

check sqlite "sqlite://$work/old.db"
if [[ -n ${MW_TEST_PG_URL:-} ]]; then
  db=upgrade_$$
  psql -q "$MW_TEST_PG_URL" -c "CREATE DATABASE $db"
  check postgresql "${MW_TEST_PG_URL%/*}/$db"
  psql -q "$MW_TEST_PG_URL" -c "DROP DATABASE $db WITH (FORCE)"
elif [[ ${MW_REQUIRE_SERVERS:-} == 1 ]]; then
  echo "FAIL: MW_TEST_PG_URL is not set" >&2
  exit 1
fi
