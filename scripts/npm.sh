# Sourced by scripts/test and scripts/dev: npm packages from the committed
# lockfiles, installed only when the lockfile changed since the last install
# (npm writes node_modules/.package-lock.json on every install).

npm_ci() { # folder
  if [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$1" --no-audit --no-fund --loglevel=error
  fi
}

# The storefront's production build (type-checked), redone when a source
# file is newer than the build.
build_storefront() {
  npm_ci storefront
  if [ ! -f storefront/dist/index.html ] ||
    [ -n "$(find storefront/src storefront/index.html storefront/public storefront/package-lock.json \
      -newer storefront/dist/index.html -print -quit)" ]; then
    npm run --prefix storefront --silent build
  fi
}
