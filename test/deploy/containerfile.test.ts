import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { describe, it } from 'node:test'

import { type Copy, DockerfileParser, type Instruction } from 'dockerfile-ast'
import { validate } from 'dockerfile-utils'

// No container engine and no hadolint here (Debian 12 has no package, npm's
// `hadolint` downloads the binary from GitHub), so: dockerfile-utils' linter
// (the VS Code Docker extension's) for syntax, and this file for what the
// image must be.

const ROOT = join(import.meta.dirname, '..', '..')
const text = readFileSync(join(ROOT, 'Containerfile'), 'utf8')
const dockerfile = DockerfileParser.parse(text)

/** Build arguments declared before the first FROM, with their defaults. */
const args = new Map(dockerfile.getInitialARGs().map((arg) => [arg.getProperty()?.getName(), arg.getProperty()?.getValue() ?? '']))
const expand = (value: string): string => value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => {
  const name = braced ?? bare ?? ''
  assert.ok(args.has(name), `\${${name}} has no default before the first FROM`)
  return args.get(name) as string
})

interface Stage { name: string | undefined, image: string, instructions: Instruction[] }
const stages: Stage[] = dockerfile.getFROMs().map((from, i, froms) => {
  const start = from.getRange().start.line
  const end = froms[i + 1]?.getRange().start.line ?? Infinity
  return {
    name: from.getBuildStage() ?? undefined,
    image: expand(from.getImage() ?? ''),
    instructions: dockerfile.getInstructions().filter((x) => x.getRange().start.line > start && x.getRange().start.line < end)
  }
})
const final = stages.at(-1) as Stage
const keyword = (stage: Stage, name: string): Instruction[] => stage.instructions.filter((x) => x.getKeyword() === name)
const runs = (stage: Stage): string[] => keyword(stage, 'RUN').map((x) => x.getArgumentsContent() ?? '')
const copies = (stage: Stage): Copy[] => keyword(stage, 'COPY') as Copy[]
const flag = (copy: Copy, name: string): string | undefined => copy.getFlags().find((f) => f.getName() === name)?.getValue() ?? undefined
const words = (copy: Copy): string[] => copy.getArguments().map((a) => a.getValue())
const builder = stages.find((s) => runs(s).some((r) => r.includes('npm run build')))

describe('Containerfile', () => {
  it('passes the Dockerfile linter', () => {
    assert.deepEqual(validate(text).map((d) => `line ${d.range.start.line + 1}: ${d.message}`), [])
  })

  it('builds on UBI 9 Node.js 22 and runs on its minimal image, every base image tagged and none `latest`', () => {
    assert.ok(stages.length >= 2, 'multi-stage')
    assert.ok(builder, 'a stage runs `npm run build`')
    assert.match(builder.image, /^registry\.access\.redhat\.com\/ubi9\/nodejs-22:[\w.-]+$/)
    assert.match(final.image, /^registry\.access\.redhat\.com\/ubi9\/nodejs-22-minimal:[\w.-]+$/)
    for (const stage of stages) {
      assert.match(stage.image, /^[^@]+:[\w.-]+$|@sha256:[0-9a-f]{64}$/, `${stage.image}: no tag`)
      assert.doesNotMatch(stage.image, /:latest$/, `${stage.image}: latest`)
    }
  })

  it('installs dependencies from the lock file, builds, and drops the dev dependencies', () => {
    const commands = runs(builder as Stage).join('\n')
    assert.match(commands, /\bnpm ci\b/)
    assert.match(commands, /\bnpm run build\b/)
    assert.match(commands, /\bnpm prune --omit=dev\b|\bnpm ci [^\n]*--omit=dev\b/)
  })

  it('installs tar, gzip and rsync (and pigz) with microdnf', () => {
    const install = runs(final).find((r) => r.includes('microdnf install'))
    assert.ok(install, 'microdnf install in the final stage')
    const packages = install.split(/\s+/)
    for (const tool of ['tar', 'gzip', 'rsync', 'pigz']) assert.ok(packages.includes(tool), tool)
    assert.match(install, /microdnf clean all/)
  })

  it('copies oc from the OpenShift CLI image, chosen by a build argument, onto PATH', () => {
    const copy = copies(final).find((c) => words(c)[0] === '/usr/bin/oc')
    assert.ok(copy, 'COPY of /usr/bin/oc')
    assert.equal(words(copy).at(-1), '/usr/bin/oc')
    const source = stages.find((s) => s.name === flag(copy, 'from'))
    assert.ok(source, `--from=${flag(copy, 'from')} names a stage`)
    assert.match(source.image, /^quay\.io\/openshift\/origin-cli:\d+\.\d+$/)
    const from = dockerfile.getFROMs()[stages.indexOf(source)]?.getImage() ?? ''
    assert.match(from, /^\$\{?\w+\}?$/, 'the CLI image is a build argument')
  })

  it('runs `node dist/server.js` as a numeric non-root user, on port 8080', () => {
    const user = keyword(final, 'USER').at(-1)?.getArgumentsContent() ?? ''
    assert.match(user, /^[1-9]\d*(:0)?$/, `USER ${user}`)
    const cmd = keyword(final, 'CMD')
    assert.equal(cmd.length, 1)
    assert.deepEqual(JSON.parse(cmd[0]?.getArgumentsContent() ?? ''), ['node', 'dist/server.js'], 'exec form')
    assert.deepEqual(keyword(final, 'EXPOSE').map((x) => x.getArgumentsContent()), ['8080'])
    const copied = copies(final).filter((c) => flag(c, 'from') === builder?.name).map((c) => words(c).at(-1))
    assert.deepEqual(copied.sort(), ['./', './dist', './node_modules'])
  })

  it('makes the data directory group-0 writable where the deployment expects it', () => {
    const env = Object.fromEntries(keyword(final, 'ENV').flatMap((x) => (x.getArgumentsContent() ?? '').split(/\s+/)).map((kv) => kv.split('=')))
    const config = Object.fromEntries(readFileSync(join(ROOT, 'deploy', 'base', 'config.env'), 'utf8').split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line)).map((line) => line.split('=')))
    assert.equal(env.DB_PATH, config.DB_PATH)
    assert.equal(env.DATA_DIR, config.DATA_DIR)
    const dataDir = posix.dirname(env.DB_PATH)
    const setup = runs(final).join('\n')
    assert.match(setup, new RegExp(`chown 1001:0 ${dataDir}\\b`))
    assert.match(setup, new RegExp(`chmod [0-7]?7[7][0-7] ${dataDir}\\b`))
  })
})

describe('.containerignore', () => {
  const rules = readFileSync(join(ROOT, '.containerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  // Only the two forms it uses: `*`, and `name` or `!name` for a top-level file or directory.
  for (const rule of rules) assert.match(rule, /^(\*|!?[\w.-]+)$/, `.containerignore: "${rule}" needs a fuller matcher in this test`)
  const ignored = (path: string): boolean => rules.reduce((result, rule) => {
    const pattern = rule.replace(/^!/, '')
    const matches = pattern === '*' || path === pattern || path.startsWith(`${pattern}/`)
    return matches ? !rule.startsWith('!') : result
  }, false)

  it('sends the build everything it copies, and nothing else of note', () => {
    const local = stages.flatMap((stage) => copies(stage).filter((c) => flag(c, 'from') === undefined).flatMap((c) => words(c).slice(0, -1)))
    assert.ok(local.length > 0)
    for (const source of local) {
      assert.ok(existsSync(join(ROOT, source)), `${source} does not exist`)
      assert.equal(ignored(source), false, `${source} is copied but ignored`)
    }
    for (const path of ['node_modules', 'dist', 'data', '.git', 'test', 'deploy', '.env']) assert.equal(ignored(path), true, path)
  })
})
