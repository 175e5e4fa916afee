#!/usr/bin/env bash
# The console's browser tests drive Debian's chromium (test/helpers/browser.ts).
# Prints its path when it is there or could be installed (as root, with apt-get);
# otherwise prints nothing and says on stderr why: the caller skips those tests, loudly.
set -uo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ -x "$browser" ]; then echo "$browser"; exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing: installing it with apt-get (for the console's browser tests)" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq >&2 && apt-get install -y -qq chromium >&2 && [ -x "$browser" ]; then
    echo "$browser"
    exit 0
  fi
  echo "apt-get could not install chromium" >&2
  exit 0
fi
echo "chromium is missing and this user cannot install it (not root, or no apt-get)" >&2
