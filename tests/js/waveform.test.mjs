// quaver's audiowaveform-format output (.dat v1/v2, JSON v1/v2, 8/16-bit, merged/split) read
// by the npm package waveform-data (what peaks.js uses), checked value for value against peaks
// computed here, independently, from the WAV's 16-bit PCM with audiowaveform's rules.
//
// QUAVER_WAVEFORM_DIR holds the files scripts/test.d/waveform-js.sh made from QUAVER_WAV.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import WaveformData from 'waveform-data';

const dir = process.env.QUAVER_WAVEFORM_DIR;
const wavPath = process.env.QUAVER_WAV;
assert.ok(dir && wavPath, 'run through scripts/test.d/waveform-js.sh');

// --- the independent computation --------------------------------------------------------
function readWav16(path) {
  const b = readFileSync(path);
  assert.equal(b.toString('latin1', 0, 4), 'RIFF');
  assert.equal(b.toString('latin1', 8, 12), 'WAVE');
  let off = 12;
  let fmt = null;
  while (off + 8 <= b.length) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = {
        format: b.readUInt16LE(body),
        channels: b.readUInt16LE(body + 2),
        rate: b.readUInt32LE(body + 4),
        bits: b.readUInt16LE(body + 14),
      };
    } else if (id === 'data') {
      assert.ok(fmt && fmt.format === 1 && fmt.bits === 16, '16-bit PCM expected');
      const frames = Math.floor(size / (2 * fmt.channels));
      const ch = Array.from({ length: fmt.channels }, () => new Int16Array(frames));
      for (let i = 0; i < frames; i++) {
        for (let c = 0; c < fmt.channels; c++) {
          ch[c][i] = b.readInt16LE(body + 2 * (i * fmt.channels + c));
        }
      }
      return { rate: fmt.rate, channels: ch, frames };
    }
    off = body + size + (size & 1);
  }
  throw new Error('no data chunk');
}

// audiowaveform's WaveformGenerator: merged = integer mean truncated toward zero.
function peaks(wav, spp, split) {
  const lanes = split
    ? wav.channels
    : [Int16Array.from({ length: wav.frames }, (_, i) => {
        let s = 0;
        for (const c of wav.channels) s += c[i];
        return Math.trunc(s / wav.channels.length);
      })];
  const length = Math.ceil(wav.frames / spp);
  return lanes.map((lane) => {
    const min = new Array(length);
    const max = new Array(length);
    for (let p = 0; p < length; p++) {
      let lo = 32767;
      let hi = -32768;
      for (let i = p * spp; i < Math.min((p + 1) * spp, wav.frames); i++) {
        if (lane[i] < lo) lo = lane[i];
        if (lane[i] > hi) hi = lane[i];
      }
      min[p] = lo;
      max[p] = hi;
    }
    return { min, max };
  });
}

// `| 0` truncates toward zero like C integer division (and gives 0, not -0).
const to8 = (v) => (v / 256) | 0;
const wav = readWav16(wavPath);

function load(name) {
  const bytes = readFileSync(join(dir, name));
  if (name.endsWith('.json')) return { raw: bytes, wf: WaveformData.create(JSON.parse(bytes)) };
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return { raw: bytes, wf: WaveformData.create(ab) };
}

function check(name, { spp, split, bits, version }) {
  const { raw, wf } = load(name);
  const expected = peaks(wav, spp, split);
  const conv = bits === 8 ? to8 : (v) => v;
  assert.equal(wf.sample_rate, wav.rate, 'sample_rate');
  assert.equal(wf.scale, spp, 'samples_per_pixel');
  assert.equal(wf.bits, bits, 'bits');
  assert.equal(wf.channels, expected.length, 'channels');
  assert.equal(wf.length, expected[0].min.length, 'length');
  for (let c = 0; c < wf.channels; c++) {
    const ch = wf.channel(c);
    assert.deepEqual(ch.min_array(), expected[c].min.map(conv), `${name} channel ${c} min`);
    assert.deepEqual(ch.max_array(), expected[c].max.map(conv), `${name} channel ${c} max`);
  }
  if (name.endsWith('.dat')) {
    // The header, byte for byte (audiowaveform doc/DataFormat.md).
    const b = Buffer.from(raw);
    assert.equal(b.readInt32LE(0), version, 'version');
    assert.equal(b.readUInt32LE(4), bits === 8 ? 1 : 0, 'flags');
    assert.equal(b.readInt32LE(8), wav.rate);
    assert.equal(b.readInt32LE(12), spp);
    assert.equal(b.readUInt32LE(16), wf.length);
    const header = version === 1 ? 20 : 24;
    if (version === 2) assert.equal(b.readInt32LE(20), wf.channels);
    assert.equal(b.length, header + wf.length * wf.channels * 2 * (bits / 8), 'file size');
  } else {
    const j = JSON.parse(raw);
    assert.deepEqual(
      Object.keys(j),
      version === 2
        ? ['version', 'channels', 'sample_rate', 'samples_per_pixel', 'bits', 'length', 'data']
        : ['version', 'sample_rate', 'samples_per_pixel', 'bits', 'length', 'data'],
    );
    assert.equal(j.version, version);
  }
}

test('.dat v1, merged, 16-bit', () => check('m16_v1.dat', { spp: 256, split: false, bits: 16, version: 1 }));
test('.dat v2, split, 16-bit', () => check('s16_v2.dat', { spp: 256, split: true, bits: 16, version: 2 }));
test('.dat v1, merged, 8-bit', () => check('m8_v1.dat', { spp: 512, split: false, bits: 8, version: 1 }));
test('.dat v2, split, 8-bit', () => check('s8_v2.dat', { spp: 300, split: true, bits: 8, version: 2 }));
test('.json v2, merged, 16-bit', () => check('m16_v2.json', { spp: 256, split: false, bits: 16, version: 2 }));
test('.json v1, merged, 16-bit', () => check('m16_v1.json', { spp: 1024, split: false, bits: 16, version: 1 }));
test('.json v2, split, 8-bit', () => check('s8_v2.json', { spp: 256, split: true, bits: 8, version: 2 }));
