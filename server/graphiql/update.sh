#!/usr/bin/env bash
# Copies the pinned GraphiQL, React and explorer-plugin builds (package.json,
# package-lock.json) into assets/, which the server crate embeds and the
# router and every subgraph serve under /graphiql/<version>/. Run after
# changing a version; the result is committed, so building needs no network. `--check` verifies
# that assets/ is what the lockfile gives (CI runs it).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp package.json package-lock.json "$work/"
npm ci --prefix "$work" --ignore-scripts --no-audit --no-fund --loglevel=error
modules="$work/node_modules"
out="$work/assets"
mkdir -p "$out"
cp "$modules/react/umd/react.production.min.js" "$out/react.production.min.js"
cp "$modules/react-dom/umd/react-dom.production.min.js" "$out/react-dom.production.min.js"
cp "$modules/graphiql/graphiql.min.js" "$out/graphiql.min.js"
cp "$modules/graphiql/graphiql.min.css" "$out/graphiql.min.css"
cp "$modules/@graphiql/plugin-explorer/dist/index.umd.js" "$out/plugin-explorer.umd.js"
cp "$modules/@graphiql/plugin-explorer/dist/style.css" "$out/plugin-explorer.css"
# The licences of every package npm installed: the served files are these
# packages' builds, and graphiql.min.js bundles its whole dependency tree
# (CodeMirror, graphql-js, markdown-it, Radix and the rest).
node - "$work" > "$out/THIRD-PARTY-LICENSES.txt" <<'JS'
const fs = require('fs');
const path = require('path');
const root = process.argv[2];
const lock = require(path.join(root, 'package-lock.json'));
const lines = ["Third-party software served by the router's GraphiQL page (in its own files or bundled into them), with their licences."];
const folders = Object.keys(lock.packages).filter((p) => p.startsWith('node_modules/')).sort();
for (const folder of folders) {
  const dir = path.join(root, folder);
  const meta = require(path.join(dir, 'package.json'));
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  lines.push('', `==== ${meta.name} ${meta.version} (${meta.license ?? 'no licence field'})`, '');
  lines.push(file ? fs.readFileSync(path.join(dir, file), 'utf8').trimEnd() : `The package ships no licence file; its package.json names ${meta.license}.`);
}
console.log(lines.join('\n'));
JS
if [ "${1:-}" = "--check" ]; then
  diff -r "$out" assets >/dev/null || { echo "server/graphiql/assets differ from the lockfile: run server/graphiql/update.sh" >&2; exit 1; }
  echo "GraphiQL assets match the lockfile"
else
  rm -rf assets && cp -r "$out" assets
fi
