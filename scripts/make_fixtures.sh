#!/usr/bin/env bash
# Regenerates tests/data/ (committed) from one 30 s real-music clip (default: the one
# scripts/corpus/clips.py makes in $QUAVER_CORPUS_CLIPS, else target/corpus/clips): a 4 s excerpt
# in every format and sample layout the decoder must handle. Needs ffmpeg, lame and opus-tools.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-${QUAVER_CORPUS_CLIPS:-target/corpus/clips}/nexuiz__calling_bogus_30s.flac}
[ -f "$src" ] || { echo "missing $src: run ./scripts/setup.sh (or scripts/corpus/clips.py)"; exit 1; }
out=tests/data
mkdir -p "$out"
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ff -ss 10 -t 4 -i "$src" -c:a pcm_s16le "$out/master.wav"
m="$out/master.wav"
ff -i "$m" -c:a pcm_u8 "$out/wav_u8.wav"
ff -i "$m" -c:a pcm_s24le "$out/wav_s24.wav"
ff -i "$m" -c:a pcm_s32le "$out/wav_s32.wav"
ff -i "$m" -c:a pcm_f32le "$out/wav_f32.wav"
ff -i "$m" -c:a pcm_f64le "$out/wav_f64.wav"
ff -i "$m" -ac 1 -c:a pcm_s16le "$out/wav_mono.wav"
# 5.1: WAVE_FORMAT_EXTENSIBLE with a channel mask
ff -i "$m" -filter_complex "[0:a]pan=5.1|FL=c0|FR=c1|FC=0.5*c0+0.5*c1|LFE=0.3*c0|BL=0.7*c0|BR=0.7*c1[a]" -map "[a]" -c:a pcm_s16le "$out/wav_51_ext.wav"
ff -i "$m" -c:a pcm_s16be "$out/aiff_s16.aiff"
ff -i "$m" -c:a pcm_s24be "$out/aiff_s24.aiff"
ff -i "$m" -c:a flac "$out/flac_s16.flac"
ff -i "$m" -af aresample=96000:resampler=soxr -c:a flac -sample_fmt s32 "$out/flac_s24_96k.flac"
ff -t 2 -i "$m" -af aresample=192000:resampler=soxr -c:a flac -sample_fmt s32 "$out/flac_s24_192k.flac"
ff -i "$out/wav_51_ext.wav" -c:a flac "$out/flac_51.flac"
lame --quiet -b 128 "$m" "$out/mp3_cbr128.mp3"
lame --quiet -V 2 "$m" "$out/mp3_vbr_v2.mp3"
ff -i "$m" -ac 1 -ar 22050 -f wav - | lame --quiet -V 5 - "$out/mp3_mono_22k.mp3"
ff -i "$m" -c:a aac -b:a 192k "$out/aac_lc.m4a"
ff -i "$m" -c:a alac "$out/alac.m4a"
ff -i "$m" -c:a libvorbis -q:a 5 "$out/vorbis.ogg"
opusenc --quiet --bitrate 128 "$m" "$out/opus_stereo.opus"
opusenc --quiet --bitrate 64 "$out/wav_mono.wav" "$out/opus_mono.opus"
ff -i "$m" -c:a flac -metadata title="Calling Bogus" -metadata artist="Nexuiz Team" -metadata album="Nexuiz" -metadata track=3 -metadata ISRC=QZABC2600001 "$out/tagged.flac"

lame --quiet -b 192 --tt "Calling Bogus" --ta "Nexuiz Team" --tl Nexuiz --tn 3 --tv TSRC=QZABC2600001 "$m" "$out/tagged.mp3"
ls -la "$out"
