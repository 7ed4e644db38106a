#!/usr/bin/env bash
# Throwaway PostgreSQL 15, Redis and a POP3 bounce mailbox (Dovecot) for the test suite, on free
# loopback ports.
#   start: (re)start both, write build/test-servers/env.sh   stop: stop both (safe twice)
#   env:   print the exports of the running servers
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)/build/test-servers
pgbin=/usr/lib/postgresql/15/bin
# The cluster lives under /tmp, not in the checkout: the postgres user must reach its directory,
# and a checkout under a private directory (mktemp -d makes 0700) would refuse it.
pgdir=/tmp/mw-test-pg-$(echo "$root" | md5sum | cut -c1-12)
env_file=$root/env.sh
# Dovecot runs as the postgres user too (when root), so its directory is under /tmp as well.
dovecotdir=/tmp/mw-test-dovecot-$(echo "$root" | md5sum | cut -c1-12)

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# PostgreSQL refuses to run as root: run its tools as the postgres user then.
as_pg() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# True while PID runs (a zombie left for a lazy init to reap counts as gone).
alive() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ $st != Z* ]]
}

stop() {
  if [[ -f $pgdir/PG_VERSION ]]; then
    as_pg "$pgbin/pg_ctl" -D "$pgdir" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
  if [[ -f $root/redis.pid ]]; then
    pid=$(cat "$root/redis.pid")
    # SHUTDOWN is immediate; SIGTERM only schedules one (about a second later).
    redis-cli -p "$(cat "$root/redis.port" 2>/dev/null || echo 0)" shutdown nosave now \
      >/dev/null 2>&1 || kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.02; done
    rm -f "$root/redis.pid" "$root/redis.port"
  fi
  if [[ -f $dovecotdir/run/master.pid ]]; then
    pid=$(cat "$dovecotdir/run/master.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 100); do alive "$pid" || break; sleep 0.02; done
  fi
  rm -rf "$dovecotdir"
  rm -f "$env_file"
}

# Dovecot's POP3 alone, as a non-root user (root runs it as the postgres user, which the
# cluster already needs), users from a passwd-file, mail in maildirs under /tmp.
# The tests put messages into $MW_TEST_POP3_MAILDIR/new themselves.
start_dovecot() {
  local port=$1 dir=$dovecotdir user group
  user=$(id -un)
  [[ $(id -u) == 0 ]] && user=postgres
  group=$(id -gn "$user")
  mkdir -p "$dir/run" "$dir/state" "$dir/maildir/bounces"/{new,cur,tmp}
  echo "bounces:{PLAIN}bounce-pass::::::" >"$dir/passwd"
  cat >"$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_internal_user = $user
default_internal_group = $group
default_login_user = $user
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n $dir/passwd
}
userdb {
  driver = static
  args = uid=$user gid=$group home=$dir/maildir/%n
}
mail_location = maildir:$dir/maildir/%n
pop3_uidl_format = %08Xu%08Xv
first_valid_uid = 1
first_valid_gid = 1
service pop3-login {
  chroot =
  inet_listener pop3 {
    address = 127.0.0.1
    port = $port
  }
  inet_listener pop3s {
    port = 0
  }
}
service anvil {
  chroot =
}
service imap-login {
  chroot =
}
service submission-login {
  chroot =
}
CONF
  chmod -R a+rwX "$dir"
  [[ $(id -u) == 0 ]] && chown -R "$user:$group" "$dir"
  chmod -R a+rwX "$dir/maildir"
  if [[ $(id -u) == 0 ]]; then
    runuser -u "$user" -- dovecot -c "$dir/dovecot.conf"
  else
    dovecot -c "$dir/dovecot.conf"
  fi
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.05
  done
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { cat "$dir/dovecot.log" >&2; exit 1; }
}

start() {
  stop
  rm -rf "$pgdir"
  mkdir -p "$pgdir"
  [[ $(id -u) == 0 ]] && chown postgres:postgres "$pgdir"
  chmod 700 "$pgdir"

  local pg_port redis_port
  pg_port=$(free_port)
  (cd / && as_pg "$pgbin/initdb" -D "$pgdir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 --no-sync) \
    >"$root/initdb.log" 2>&1 || { cat "$root/initdb.log" >&2; exit 1; }
  (cd / && as_pg "$pgbin/pg_ctl" -D "$pgdir" -l "$pgdir/server.log" -w -t 30 \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pgdir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start) >/dev/null || { cat "$pgdir/server.log" >&2; exit 1; }

  redis_port=$(free_port)
  echo "$redis_port" >"$root/redis.port"
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --pidfile "$root/redis.pid" --logfile "$root/redis.log" --dir "$root"
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.02
  done
  redis-cli -p "$redis_port" ping >/dev/null || { cat "$root/redis.log" >&2; exit 1; }

  local pop3_port
  pop3_port=$(free_port)
  start_dovecot "$pop3_port"

  cat >"$env_file" <<ENV
export MW_TEST_PG_URL=postgresql://postgres@127.0.0.1:$pg_port/postgres
export MW_TEST_REDIS_URL=redis://127.0.0.1:$redis_port
export MW_REQUIRE_SERVERS=1
export MW_TEST_POP3_URL=pop3://bounces:bounce-pass@127.0.0.1:$pop3_port
export MW_TEST_POP3_MAILDIR=$dovecotdir/maildir/bounces
ENV
  cat "$env_file"
}

mkdir -p "$root"
case "${1:-}" in
  start) start ;;
  stop) stop ;;
  env) [[ -f $env_file ]] && cat "$env_file" || { echo "test servers are not running" >&2; exit 1; } ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
