import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { ConfigError, loadConfig } from '../../src/config/config.js'
import { isLoopback } from '../../src/http/plugins/auth.js'

describe('FORWARDED_TOKEN_HEADER', () => {
  it('is off by default and kept lower-case (as Node presents headers) when set', () => {
    assert.equal(loadConfig({}).forwardedTokenHeader, undefined)
    assert.equal(loadConfig({ FORWARDED_TOKEN_HEADER: 'X-Forwarded-Access-Token' }).forwardedTokenHeader, 'x-forwarded-access-token')
  })

  it('refuses what is not a header name, and Authorization (read anyway)', () => {
    for (const value of ['X Forwarded', 'X-Token:', 'Authorization']) {
      assert.throws(() => loadConfig({ FORWARDED_TOKEN_HEADER: value }), (error: unknown) => error instanceof ConfigError && error.message.includes('FORWARDED_TOKEN_HEADER'), value)
    }
  })
})

describe('isLoopback', () => {
  it('is true for 127.0.0.0/8, ::1 and IPv4 loopback through an IPv6 socket, and false for anything else', () => {
    for (const address of ['127.0.0.1', '127.255.0.9', '::1', '::ffff:127.0.0.1', '::FFFF:127.1.2.3']) assert.equal(isLoopback(address), true, address)
    for (const address of [undefined, '', '10.0.0.1', '192.0.2.2', '::ffff:10.0.0.1', 'fd00::1', '::', '0.0.0.0', '1127.0.0.1', '::2']) assert.equal(isLoopback(address), false, String(address))
  })
})
