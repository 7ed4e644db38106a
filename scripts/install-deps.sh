#!/usr/bin/env bash
# Installs everything needed to build, run and test Mailwright on Debian 12.
# Idempotent and quick when all is present: apt runs only for missing packages.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  g++ cmake ninja-build pkg-config make git clang-format
  libpoco-dev libkainjow-mustache-dev libsodium-dev libgtest-dev libpq-dev
  postgresql-15 redis-server python3 python3-aiosmtpd postfix
  tzdata openssl ca-certificates chromium
  libboost-dev wrk nginx-light
  libzxcvbn-dev libgumbo-dev
  libopendkim-dev python3-dkim
  clang libclang-rt-14-dev
  dovecot-pop3d
)
# Keep a preinstalled (newer) Node.js and npm instead of Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  packages+=(nodejs npm)
fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  sudo=()
  if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "install-deps: run as root to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  # postfix is only wanted for smtp-sink/smtp-source: never start an MTA on port 25.
  echo "postfix postfix/main_mailer_type select No configuration" | "${sudo[@]}" debconf-set-selections
  "${sudo[@]}" apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# dovecot-pop3d is only the tests' bounce mailbox (scripts/test-servers.sh starts its own on a
# free loopback port): the package's system service must not hold ports 110/995.
if command -v dovecot >/dev/null; then
  sudo=()
  [[ $(id -u) != 0 ]] && command -v sudo >/dev/null && sudo=(sudo)
  "${sudo[@]}" service dovecot stop >/dev/null 2>&1 || true
  "${sudo[@]}" update-rc.d dovecot disable >/dev/null 2>&1 || true
  "${sudo[@]}" systemctl disable --now dovecot.service dovecot.socket >/dev/null 2>&1 || true
fi

# Front-end assets and browser-test tooling; reinstall only when the lock file changed.
stamp=node_modules/.mw-installed
if [[ ! -f $stamp || package-lock.json -nt $stamp ]]; then
  if [[ -f package-lock.json ]]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
  touch "$stamp"
fi
