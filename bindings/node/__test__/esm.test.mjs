// The package's ESM entry (index.mjs) re-exports every named export of the CommonJS loader, and
// `exports` in package.json routes `import` and `require` to the two entries.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import * as esm from '../index.mjs'

const require = createRequire(import.meta.url)
const cjs = require('../index.js')

test('index.mjs exports what index.js exports, the same objects', () => {
  const names = Object.keys(cjs).sort()
  const esmNames = Object.keys(esm).filter((n) => n !== 'default').sort()
  assert.deepEqual(esmNames, names)
  for (const n of names) assert.equal(esm[n], cjs[n], n)
  assert.equal(esm.default, cjs)
  assert.equal(typeof esm.package, 'function')
})

test('package.json exports map: types, import, require', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url)))
  assert.deepEqual(pkg.exports['.'], { types: './index.d.ts', import: './index.mjs', require: './index.js' })
  for (const f of ['index.js', 'index.mjs', 'index.d.ts']) assert.ok(pkg.files.includes(f), f)
  const platforms = Object.keys(pkg.optionalDependencies).map((n) => n.replace('@quaver/engine-', ''))
  assert.equal(platforms.length, pkg.napi.targets.length)
  for (const p of platforms) {
    const sub = JSON.parse(readFileSync(new URL(`../npm/${p}/package.json`, import.meta.url)))
    assert.equal(sub.version, pkg.version, p)
    assert.equal(pkg.optionalDependencies[sub.name], pkg.version, p)
    assert.equal(sub.main, `quaver.${p}.node`)
  }
})
