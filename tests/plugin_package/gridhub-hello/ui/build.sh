#!/usr/bin/env bash
# Rebuild gridhub_hello/static/hello.js from ui/src (commit the result: it ships prebuilt).
#
# A plugin in a repository of its own runs `npm install && npx vite build` here. Inside the
# GridHub repository this example borrows the consoles' tooling (consoles/web/node_modules,
# installed by scripts/setup) through a node_modules link, so no second install is needed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -e node_modules ]; then
    ln -s ../../../../consoles/web/node_modules node_modules
fi
# Arguments go to vite (e.g. `--outDir DIR` to build elsewhere, as the bundle test does).
node_modules/.bin/vite build "$@"
