# Sourced by test.sh, demo.sh and bench.sh: brings a fresh machine (Node 20 + npm) to the point
# where mirrorsync builds and its lab runs. Installs only what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() { echo "mirrorsync setup: $*" >&2; exit 1; }

node_ok=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 18)' 2>/dev/null) \
  || fail "Node.js is not installed; install Node.js 20.18 or newer."
[ "$node_ok" = true ] || fail "Node.js $(node --version) is too old; mirrorsync needs Node.js 20.18 or newer (undici 7 does)."


# Installs Debian packages (as root, with apt-get) and checks that each command is there afterwards.
#   install_debian "package ..." "command ..."
install_debian() {
  local packages=$1 commands=$2
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "mirrorsync setup: installing $packages (apt-get)" >&2
    # shellcheck disable=SC2086
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall $packages; } >&2 \
      || fail "apt-get could not install $packages; install the Debian package(s) '$packages' and run again."
    hash -r
    for command in $commands; do
      command -v "$command" >/dev/null 2>&1 || fail "'$command' is still missing after installing $packages; install it by hand and run again."
    done
  else
    fail "'$packages' is missing and cannot be installed here (needs root and apt-get). Install the Debian package(s) '$packages' (e.g. sudo apt-get install $packages) and run again."
  fi
}

# better-sqlite3 (network check's history) compiles its native module at install time: no
# prebuilt binary can be downloaded here.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  need_build_tools=()
  for command in python3 make g++; do command -v "$command" >/dev/null 2>&1 || need_build_tools+=("$command"); done
  [ "${#need_build_tools[@]}" -eq 0 ] || install_debian "python3 make g++" "python3 make g++"
  echo "mirrorsync setup: installing node_modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2 || fail "npm ci failed; see the messages above."
fi

need_debian_packages=()
command -v rsync >/dev/null 2>&1 || need_debian_packages+=(rsync)
command -v flock >/dev/null 2>&1 || need_debian_packages+=(util-linux)
[ "${#need_debian_packages[@]}" -eq 0 ] || install_debian "${need_debian_packages[*]}" "rsync flock"

# The tests (not the demo) open the network report in Debian's chromium, driven by playwright-core:
# never a browser build of playwright's own (nothing can be downloaded here).
if [ "${MIRRORSYNC_NEED_CHROMIUM:-0}" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  install_debian chromium chromium
fi

# The README's logrotate snippet is tested with the real logrotate; it signals through fuser(1).
need_debian_packages=()
{ command -v logrotate || [ -x /usr/sbin/logrotate ]; } >/dev/null 2>&1 || need_debian_packages+=(logrotate)
command -v fuser >/dev/null 2>&1 || need_debian_packages+=(psmisc)
[ "${#need_debian_packages[@]}" -eq 0 ] || install_debian "${need_debian_packages[*]}" "logrotate fuser"

rm -rf dist
npx --no-install tsc -p tsconfig.json >&2 || fail "the TypeScript build failed; see the errors above."
node scripts/bundle.mjs >&2 || fail "bundling the CLI failed; see the errors above."
