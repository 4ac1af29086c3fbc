#!/usr/bin/env bash
# Installs the end-to-end test host: Debian's chromium, and code-server (a real VS Code build, from
# the npm registry) with playwright-core in test/e2e/node_modules. Idempotent: a stamp holding the
# hash of the lock file and of this script makes a second run return at once.
#
# code-server's own postinstall cannot run as is on a machine that reaches only the package
# registries: @vscode/ripgrep downloads its binary from GitHub and fails the whole install. So its
# steps are done here one by one: every package is installed with --ignore-scripts, then the native
# modules are rebuilt (their prebuilt downloads fail and they compile from source with node-gyp
# against Node's headers), and ripgrep comes from Debian's package instead of the download.
set -euo pipefail
cd "$(dirname "$0")"
started=$(date +%s)

apt_packages=()
command -v chromium >/dev/null 2>&1 || apt_packages+=(chromium)
command -v rg >/dev/null 2>&1 || apt_packages+=(ripgrep)
# kerberos (a native module of VS Code's server) compiles against the GSSAPI headers.
[ -e /usr/include/gssapi/gssapi.h ] || apt_packages+=(libkrb5-dev)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "e2e setup: missing ${apt_packages[*]} and no apt-get to install them" >&2
    exit 1
  fi
  echo "e2e setup: apt-get install ${apt_packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Another installer may hold the dpkg lock for a while; wait for it instead of failing.
  apt_options=(-o DPkg::Lock::Timeout=600 -y -qq)
  apt-get "${apt_options[@]}" update >/dev/null
  apt-get "${apt_options[@]}" install "${apt_packages[@]}" >/dev/null
fi

stamp=node_modules/.e2e-setup-stamp
want="$(cat package-lock.json setup.sh | sha256sum | cut -d' ' -f1)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "e2e setup: already installed ($(($(date +%s) - started)) s)"
  exit 0
fi

echo "e2e setup: npm ci (code-server, playwright-core)"
rm -f "$stamp"
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
# argon2's prebuilt download fails here; node-pre-gyp then builds it from source.
npm rebuild argon2 --loglevel=error

vscode=node_modules/code-server/lib/vscode
(
  cd "$vscode"
  echo "e2e setup: VS Code server dependencies"
  npm install --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error
  # An existing bin/ makes @vscode/ripgrep's postinstall skip its download.
  mkdir -p node_modules/@vscode/ripgrep/bin
  ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
  echo "e2e setup: building VS Code's native modules from source"
  # node-pty's postinstall runs `npx node-gyp` (a registry package); let npx install it unasked.
  npm_config_yes=true npm rebuild --loglevel=error >/dev/null
  # What code-server's postinstall does besides installing.
  ln -sfn node_modules node_modules.asar
  ln -sf code-linux.sh bin/remote-cli/code-server
  ln -sf browser-linux.sh bin/helpers/browser.sh
  cd extensions
  npm install --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
)

# The native modules must load with this Node (a failed build would show only at run time).
node -e 'for (const m of process.argv.slice(1)) require(require("path").resolve(m))' node_modules/argon2 \
  "$vscode"/node_modules/{node-pty,@vscode/spdlog,@parcel/watcher,native-watchdog,kerberos}
# The server must run: print its version (with a throwaway config folder: it writes one there).
scratch="$(mktemp -d)"
XDG_CONFIG_HOME="$scratch" XDG_DATA_HOME="$scratch" node node_modules/code-server/out/node/entry.js --version
rm -rf "$scratch"
echo "$want" >"$stamp"
echo "e2e setup: done in $(($(date +%s) - started)) s"
