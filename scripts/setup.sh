# Sourced by test.sh, demo.sh and bench.sh: brings a fresh machine (Node 20 + npm) to the point
# where mirrorsync builds and its lab runs. Installs only what is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

fail() { echo "mirrorsync setup: $*" >&2; exit 1; }

node_ok=$(node -p 'const [a, b] = process.versions.node.split(".").map(Number); a > 20 || (a === 20 && b >= 18)' 2>/dev/null) \
  || fail "Node.js is not installed; install Node.js 20.18 or newer."
[ "$node_ok" = true ] || fail "Node.js $(node --version) is too old; mirrorsync needs Node.js 20.18 or newer (undici 7 does)."


if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "mirrorsync setup: installing node_modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2 || fail "npm ci failed; see the messages above."
fi

need_debian_packages=()
command -v rsync >/dev/null 2>&1 || need_debian_packages+=(rsync)
command -v flock >/dev/null 2>&1 || need_debian_packages+=(util-linux)
if [ "${#need_debian_packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "mirrorsync setup: installing ${need_debian_packages[*]} (apt-get)" >&2
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --reinstall "${need_debian_packages[@]}"; } >&2 \
      || fail "apt-get could not install ${need_debian_packages[*]}; install the Debian package(s) '${need_debian_packages[*]}' and run again."
    hash -r
    for command in rsync flock; do
      command -v "$command" >/dev/null 2>&1 || fail "'$command' is still missing after installing ${need_debian_packages[*]}; install it by hand and run again."
    done
  else
    fail "'${need_debian_packages[*]}' is missing and cannot be installed here (needs root and apt-get). Install the Debian package(s) '${need_debian_packages[*]}' (e.g. sudo apt-get install ${need_debian_packages[*]}) and run again."
  fi
fi

rm -rf dist
npx --no-install tsc -p tsconfig.json >&2 || fail "the TypeScript build failed; see the errors above."
node scripts/bundle.mjs >&2 || fail "bundling the CLI failed; see the errors above."
