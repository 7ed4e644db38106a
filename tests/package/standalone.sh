#!/usr/bin/env bash
# The binary alone, copied into an empty directory, serves every page, style and script.
source "$(dirname "$0")/common.sh"
bin=${MW_BINARY:?}
dir=$(mktemp -d)
trap 'stop_serve; rm -rf "$dir"' EXIT
cp "$bin" "$dir/mailwright"
(cd "$dir" && env -u MW_RESOURCE_DIR DATABASE_URL="sqlite://$dir/data/mw.db" DATA_DIR="$dir/data" \
  ./mailwright migrate) | grep -q "migrations applied"
start_serve "$dir/mailwright" "$dir"
walk_pages
# `backup` copies the live database while serve has it open; PostgreSQL is refused with a reason.
(cd "$dir" && DATABASE_URL="sqlite://$dir/data/mw.db" DATA_DIR="$dir/data" ./mailwright backup \
  "$dir/data/copy.db") | grep -q "database copied"
python3 -c 'import sqlite3,sys; n=sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]; sys.exit(0 if n >= 4 else 1)' \
  "$dir/data/copy.db"
if DATABASE_URL=postgresql://nobody@127.0.0.1:1/none "$dir/mailwright" backup "$dir/x.db" 2>"$dir/data/err"; then
  echo "FAIL: backup of PostgreSQL succeeded" >&2; exit 1
fi
# Nothing but the binary and what serve created is in the directory.
extra=$(cd "$dir" && ls -A | grep -vxE 'mailwright|data|serve.log' || true)
[[ -z $extra ]] || { echo "FAIL: unexpected files next to the binary: $extra" >&2; exit 1; }
echo "standalone: ok"
