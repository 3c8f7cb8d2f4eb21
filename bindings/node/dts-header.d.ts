/* Result types shared with the CLI's --json and the Python records (one serde definition). */

/** Normalised tags. */
export interface Tags {
  title: string | null
  artist: string | null
  album: string | null
  album_artist: string | null
  track_number: number | null
  date: string | null
  genre: string | null
  isrc: string | null
  has_cover_art: boolean
}

/** What `info` reports. `frames` is exact after gapless trimming. */
export interface AudioInfo {
  container: string
  codec: string
  sample_rate: number
  channels: number
  frames: number
  duration_s: number
  bits_per_sample: number | null
  bitrate: number | null
  encoder_delay: number
  encoder_padding: number
  tags: Tags
}

/** Every error quaver throws or rejects with carries one of these codes. */
export type QuaverErrorCode =
  | 'ERR_QUAVER_UNSUPPORTED'
  | 'ERR_QUAVER_CORRUPT'
  | 'ERR_QUAVER_NO_AUDIO'
  | 'ERR_QUAVER_IO'
  | 'ERR_QUAVER_INVALID_ARGUMENT'
  | 'ERR_QUAVER_LIMIT_EXCEEDED'
  | 'ERR_QUAVER_CANCELLED'
  | 'ERR_QUAVER_INTERNAL'

/** Options for `encode` (every field optional; unknown keys are rejected). */
export interface EncodeOptions {
  codec?: 'mp3' | 'opus' | 'flac'
  bitrate_kbps?: number
  vbr_quality?: number
  opus_rate_control?: 'vbr' | 'cvbr' | 'cbr'
  complexity?: number
  sample_rate?: number
  channels?: number
  bits_per_sample?: number
  compression_level?: number
  id3v1?: boolean
  copy_tags?: boolean
  tags?: Partial<Tags>
  resample_quality?: 'fast' | 'balanced' | 'best'
}

/** What `encode` produced. */
export interface EncodeReport {
  path: string | null
  stream: { codec: string; sample_rate: number; channels: number; priming: number; nominal_bitrate: number | null }
  frames: number
  duration_s: number
  padding: number
  packets: number
  bytes: number
  audio_bitrate: number
  options: Record<string, unknown>
  warnings: string[]
  seconds: number
}
