// Checked with `tsc --noEmit --strict`: the public API's types as a TypeScript user meets them.
import { decode, decodeSync, info, infoSync, resample, type AudioInfo, type DecodedAudio, type QuaverErrorCode } from '../index.js'

async function main(): Promise<void> {
  const i: AudioInfo = await info('song.flac')
  const rate: number = i.sample_rate
  const isrc: string | null = i.tags.isrc
  const d: DecodedAudio = await decode(new Uint8Array(10), { sampleRate: 22050, mono: true })
  const first: Float32Array = d.channels[0]
  const r: DecodedAudio = await resample([first], d.sampleRate, 16000, 'best')
  const s: AudioInfo = infoSync('x.wav')
  const p: DecodedAudio = decodeSync('x.wav')
  try {
    await decode('bad.mp3')
  } catch (e) {
    const code = (e as Error & { code: QuaverErrorCode }).code
    console.log(code, rate, isrc, r, s, p)
  }
}
void main()
