#!/usr/bin/env bash
# Installs what the interop tests (interop/) need on a Debian machine, idempotently:
#   - Debian's python3-websockets (used through /usr/bin/python3, not a pyenv python),
#   - Debian's chromium (driven headless by playwright-core; no browser download),
#   - Node.js + npm (only if missing), then `npm ci` in interop/node,
#   - Debian's prometheus (promtool lints /metrics; a test scrapes it with the server),
#   - the Go modules of the nested module interop/goclient.
# Runs apt-get update at most once, and only when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

if ! { [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import websockets' 2>/dev/null; }; then
	have_pkg python3-websockets || missing+=(python3-websockets)
	[ -x /usr/bin/python3 ] || missing+=(python3)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
{ [ -x /usr/bin/prometheus ] && [ -x /usr/bin/promtool ]; } || missing+=(prometheus)
# Node.js may come from another apt source (nodesource ships npm inside nodejs):
# install Debian's packages only for what is really absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ "${#missing[@]}" -gt 0 ]; then
	echo "install-deps: installing ${missing[*]}"
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update
	$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
else
	echo "install-deps: system packages already present"
fi

echo "install-deps: python3-websockets $(/usr/bin/python3 -c 'import websockets; print(websockets.__version__)')"
echo "install-deps: $(/usr/bin/chromium --version 2>/dev/null || echo 'chromium: version unknown')"
echo "install-deps: node $(node --version), npm $(npm --version 2>/dev/null)"
echo "install-deps: $(/usr/bin/prometheus --version 2>&1 | head -n 1)"

# Node clients: exact versions from package-lock.json. playwright-core never downloads a browser.
# node_modules/.wsloop-lock records the lock file it was installed from.
if ! cmp -s interop/node/package-lock.json interop/node/node_modules/.wsloop-lock; then
	(cd interop/node && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error &&
		cp package-lock.json node_modules/.wsloop-lock)
else
	echo "install-deps: interop/node/node_modules up to date"
fi

# Go client (nested module, keeps gorilla/websocket out of the core go.mod).
(cd interop/goclient && go mod download)
echo "install-deps: done"
