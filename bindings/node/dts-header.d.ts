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
