import assert from 'node:assert/strict'
import { it } from 'node:test'

import { PhaseTracker } from '../../src/gatherings/phase.js'

const ts = '2026-11-25T08:00:00.123456789Z'

it('follows oc\'s own lines forward through the phases, also across chunk boundaries', () => {
  const tracker = new PhaseTracker()
  const seen: string[] = [tracker.phase]
  const feed = (text: string): void => {
    tracker.push(Buffer.from(text))
    if (seen[seen.length - 1] !== tracker.phase) seen.push(tracker.phase)
  }
  feed(`[must-gather      ] OUT ${ts} Using must-gather plug-in image: quay.io/org/image:tag\n`)
  feed(`[must-gather      ] OUT ${ts} namespace/openshift-must-gather-7x2k9 cre`)
  feed('ated\n')
  feed(`[must-gather      ] OUT ${ts} pod for plug-in image quay.io/org/image:tag created\n`)
  feed(`[must-gather-5sd2k] POD ${ts} gathering namespaces\n`)
  feed(`[must-gather-5sd2k] OUT ${ts} waiting for gather to complete\n`)
  feed(`[must-gather-5sd2k] OUT ${ts} downloading gather output\n`)
  feed(`[must-gather-5sd2k] POD ${ts} a late pod line does not move it back\n`)
  feed(`[must-gather      ] OUT ${ts} namespace/openshift-must-gather-7x2k9 deleted\n`)
  tracker.enter('packing')
  tracker.enter('gathering')
  seen.push(tracker.phase)
  assert.deepEqual(seen, ['starting', 'namespace-created', 'pod-created', 'gathering', 'downloading', 'cleaning-up', 'packing'])
})

it('jumps to the latest phase when one chunk holds several markers', () => {
  const tracker = new PhaseTracker()
  tracker.push(Buffer.from(`namespace/ns created\npod for plug-in image x created\n[p] POD ${ts} line\n`))
  assert.equal(tracker.phase, 'gathering')
})
