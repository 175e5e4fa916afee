import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { it } from 'node:test'

import { claimed } from '../../src/archive/gzip-child.js'

async function text (stream: AsyncIterable<Buffer>): Promise<string> {
  let all = ''
  for await (const chunk of stream) all += chunk.toString()
  return all
}

it('keeps the output of a child that exited before anything read it', async () => {
  // Node 20 drops the unread stdout of a child that has exited (child_process flushStdio): the reason for claimed().
  const child = spawn('printf', ['kept'], { stdio: ['ignore', 'pipe', 'ignore'] })
  const output = claimed(child.stdout)
  await once(child, 'close')
  assert.equal(await text(output), 'kept')
})
