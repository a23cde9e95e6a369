#!/bin/sh
# Builds the portal's front-end bundle from web/ into
# internal/portal/static/workspace.js (the SQL workspace's editor).
#
# The bundle is committed: `go build` embeds it and needs no npm, and CI
# does not rebuild it. Run this after changing web/ (sources or
# dependencies) and commit the result with the change.
#
# Needs Node.js 18+ and npm. `npm ci` installs exactly package-lock.json.
set -eu
cd "$(dirname "$0")/../web"
npm ci --no-audit --no-fund
npx --no-install esbuild src/workspace.js \
	--bundle --minify --format=iife --target=es2020 \
	--legal-comments=none \
	--outfile=../internal/portal/static/workspace.js
# The licences of what the bundle contains, beside it.
node scripts/licenses.cjs >../internal/portal/static/workspace.LICENSES.txt
ls -l ../internal/portal/static/workspace.js
