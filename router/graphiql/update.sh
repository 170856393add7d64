#!/usr/bin/env bash
# Copies the pinned GraphiQL, React and explorer-plugin builds (package.json,
# package-lock.json) into assets/, which the router embeds and serves under
# /graphiql/<version>/. Run after changing a version; the result is
# committed, so building the router needs no network. `--check` verifies
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
{
  echo "Third-party software served by the router's GraphiQL page, with their licences."
  for package in react react-dom graphiql @graphiql/plugin-explorer; do
    version=$(node -p "require('$modules/$package/package.json').version")
    echo
    echo "==== $package $version ($(node -p "require('$modules/$package/package.json').license"))"
    echo
    licence=$(ls "$modules/$package" | grep -i -m1 '^licen[cs]e' || true)
    if [ -n "$licence" ]; then
      cat "$modules/$package/$licence"
    else
      # The explorer plugin ships no licence file; its package.json names MIT.
      cat "$modules/graphiql/LICENSE"
    fi
  done
} > "$out/THIRD-PARTY-LICENSES.txt"
if [ "${1:-}" = "--check" ]; then
  diff -r "$out" assets >/dev/null || { echo "router/graphiql/assets differ from the lockfile: run router/graphiql/update.sh" >&2; exit 1; }
  echo "GraphiQL assets match the lockfile"
else
  rm -rf assets && cp -r "$out" assets
fi
