import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A stand-in `oc` (OC_PATH) whose image tag says what it does:
 * - `held-NAME`: prints nothing and runs until the test creates
 *   `<dir>/release-NAME` (a quiet run that the test ends);
 * - `say-NAME`: prints the file `<dir>/say-NAME` as is, then waits like `held-NAME`;
 * - anything else: ends at once.
 * Every run writes one gathered file, so it completes.
 */
export function writeHeldOc (dir: string): string {
  const path = join(dir, 'bin', 'oc')
  mkdirSync(join(dir, 'bin'), { recursive: true })
  writeFileSync(path, `#!/bin/bash
[ "$1" = version ] && { echo "Client Version: 4.17.0"; exit 0; }
for arg in "$@"; do
  case "$arg" in
    --dest-dir=*) dest="\${arg#--dest-dir=}";;
    --image=*) mode="\${arg##*:}";;
  esac
done
mkdir -p "$dest/image"
case "$mode" in
  say-*) cat ${JSON.stringify(dir)}/"$mode"; name="\${mode#say-}" ;;
  held-*) name="\${mode#held-}" ;;
esac
if [ -n "$name" ]; then
  while [ ! -e ${JSON.stringify(dir)}/"release-$name" ]; do sleep 0.05; done
fi
echo gathered > "$dest/image/data.txt"
`)
  chmodSync(path, 0o755)
  return path
}

/** Ends a `held-NAME` or `say-NAME` run. */
export function release (dir: string, name: string): void {
  writeFileSync(join(dir, `release-${name}`), '')
}

/** The image that runs the stand-in `mode`. */
export const heldImage = (mode: string): string => `quay.io/stand-in/oc:${mode}`
