// Kotlin tests of the UniFFI binding, run on the JVM. Prints "kotlin: N passed, N failed".
// Parity: results must equal the Rust API's (the `quaver` CLI) on the shared fixtures, which
// scripts/test.d/mobile.sh writes to $PARITY_DIR before running this.
import dev.quaver.*
import java.io.File
import java.nio.ByteBuffer
import java.nio.ByteOrder

var passed = 0
var failed = 0

fun check(name: String, body: () -> Unit) {
    try {
        body()
        passed++
        println("ok   $name")
    } catch (e: Throwable) {
        failed++
        println("FAIL $name: $e")
    }
}

fun expect(cond: Boolean, msg: () -> String) {
    if (!cond) throw AssertionError(msg())
}

inline fun <reified T : Throwable> expectThrows(body: () -> Unit): T {
    try {
        body()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

fun jsonField(json: String, key: String): String =
    Regex("\"$key\"\\s*:\\s*(\"[^\"]*\"|[-0-9.eE]+|null|true|false)").find(json)!!.groupValues[1].trim('"')

fun wavBytes(channels: Int, rate: Int, frames: Int): ByteArray {
    val pcm = ByteBuffer.allocate(frames * channels * 2).order(ByteOrder.LITTLE_ENDIAN)
    repeat(frames * channels) { pcm.putShort(8191) }
    val b = ByteBuffer.allocate(44 + pcm.capacity()).order(ByteOrder.LITTLE_ENDIAN)
    b.put("RIFF".toByteArray()).putInt(36 + pcm.capacity()).put("WAVEfmt ".toByteArray()).putInt(16)
    b.putShort(1).putShort(channels.toShort()).putInt(rate).putInt(rate * channels * 2)
    b.putShort((channels * 2).toShort()).putShort(16).put("data".toByteArray()).putInt(pcm.capacity())
    b.put(pcm.array())
    return b.array()
}

fun f32le(samples: FloatArray): ByteArray {
    val b = ByteBuffer.allocate(samples.size * 4).order(ByteOrder.LITTLE_ENDIAN)
    for (v in samples) b.putFloat(v)
    return b.array()
}

fun floats(bytes: ByteArray): FloatArray {
    val b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer()
    return FloatArray(b.remaining()) { b.get(it) }
}

fun wavMono16(samples: FloatArray, rate: Int): ByteArray {
    val b = ByteBuffer.allocate(44 + samples.size * 2).order(ByteOrder.LITTLE_ENDIAN)
    b.put("RIFF".toByteArray()).putInt(36 + samples.size * 2).put("WAVEfmt ".toByteArray()).putInt(16)
    b.putShort(1).putShort(1).putInt(rate).putInt(rate * 2).putShort(2).putShort(16)
    b.put("data".toByteArray()).putInt(samples.size * 2)
    for (v in samples) b.putShort(Math.round(v.coerceIn(-1f, 1f) * 32767f).toShort())
    return b.array()
}

/** A deterministic pseudo-random melody: material distinct from the fixture. */
fun melody(seconds: Double, rate: Int, seed: Long): FloatArray {
    val rnd = java.util.Random(seed)
    val x = FloatArray((seconds * rate).toInt())
    val note = (rate * 0.15).toInt()
    var start = 0
    while (start < x.size) {
        val f1 = 200.0 * Math.pow(2.0, rnd.nextInt(36) / 12.0)
        for (i in start until minOf(x.size, start + note)) {
            val t = (i - start).toDouble() / rate
            val env = minOf(1.0, t * 50) * Math.exp(-t * 6)
            x[i] = (0.4 * env * (Math.sin(2 * Math.PI * f1 * t) + 0.5 * Math.sin(3 * Math.PI * f1 * t))).toFloat()
        }
        start += note
    }
    return x
}

fun num(json: String, key: String): Double = jsonField(json, key).toDouble()

fun main() {
    val data = System.getenv("QUAVER_DATA") ?: "tests/data"
    val parity = File(System.getenv("PARITY_DIR") ?: error("PARITY_DIR not set"))

    for (name in listOf("tagged.mp3", "flac_s24_96k.flac", "aac_lc.m4a", "opus_stereo.opus")) {
        check("info parity with the Rust API: $name") {
            val i = info("$data/$name")
            val json = File(parity, "$name.json").readText()
            expect(i.container == jsonField(json, "container")) { "container ${i.container}" }
            expect(i.codec == jsonField(json, "codec")) { "codec ${i.codec}" }
            expect(i.sampleRate.toString() == jsonField(json, "sample_rate")) { "rate ${i.sampleRate}" }
            expect(i.channels.toString() == jsonField(json, "channels")) { "channels ${i.channels}" }
            expect(i.frames.toString() == jsonField(json, "frames")) { "frames ${i.frames}" }
        }
    }

    check("tags") {
        val t = info("$data/tagged.flac").tags
        expect(t.title == "Calling Bogus" && t.isrc == "QZABC2600001" && t.trackNumber == 3u) { "$t" }
    }

    check("decode parity: f32le bytes equal the Rust API's output") {
        val pcm = decode("$data/mp3_vbr_v2.mp3", 48000u, false)
        val wav = File(parity, "mp3_vbr_v2.f32.wav").readBytes()
        val rust = wav.copyOfRange(wav.size - pcm.f32le.size, wav.size)
        expect(pcm.sampleRate == 48000u && pcm.channels == 2u) { "${pcm.sampleRate} ${pcm.channels}" }
        expect(pcm.f32le.size.toLong() == pcm.frames.toLong() * 2 * 4) { "size" }
        expect(pcm.f32le.contentEquals(rust)) { "PCM differs from the Rust decode" }
    }

    check("decodeBytes and mono downmix") {
        val bytes = File("$data/flac_s16.flac").readBytes()
        val pcm = decodeBytes(bytes, null, true)
        expect(pcm.channels == 1u && pcm.frames == 176400uL) { "${pcm.channels} ${pcm.frames}" }
    }

    check("resample f32le bytes, exact length") {
        val input = decode("$data/wav_mono.wav", null, false)
        val out = resample(input.f32le, input.channels, input.sampleRate, 16000u)
        expect(out.frames == 64000uL && out.f32le.size == 64000 * 4) { "${out.frames}" }
    }

    check("Unsupported for non-audio") {
        val e = expectThrows<QuaverException.Unsupported> { infoBytes("<html>502</html>".repeat(10).toByteArray()) }
        expect(e.toString().contains("unsupported format")) { e.toString() }
    }
    check("Corrupt for a truncated header") {
        expectThrows<QuaverException.Corrupt> { infoBytes(File("$data/flac_s16.flac").readBytes().copyOf(300)) }
    }
    check("LimitExceeded carries value and limit") {
        val e = expectThrows<QuaverException.LimitExceeded> { infoBytes(wavBytes(40, 44100, 10)) }
        expect(e.value == 40uL && e.limit == 32uL) { "${e.value} ${e.limit}" }
    }
    check("Io for a missing file") {
        expectThrows<QuaverException.Io> { info("/nonexistent/file.flac") }
    }
    check("InvalidArgument for a bad rate or misaligned PCM") {
        expectThrows<QuaverException.InvalidArgument> { decode("$data/master.wav", 1u, false) }
        expectThrows<QuaverException.InvalidArgument> { resample(ByteArray(7), 1u, 44100u, 48000u) }
    }
    check("hostile input through Kotlin is an exception, never a crash") {
        val bytes = File("$data/aiff_s16.aiff").readBytes()
        val comm = String(bytes, Charsets.ISO_8859_1).indexOf("COMM")
        bytes[comm + 16] = 0x7f; bytes[comm + 17] = 0xff.toByte()
        expectThrows<QuaverException.Corrupt> { infoBytes(bytes) }
        val random = ByteArray(1 shl 16) { (it * 31 + 7).toByte() }
        expectThrows<QuaverException> { decodeBytes(random, null, false) }
    }

    check("a panic inside quaver is an exception, not a crash, and the library keeps working") {
        val e = expectThrows<QuaverException.Internal> { debugPanic("from kotlin") }
        expect(e.reason.contains("from kotlin")) { e.reason }
        val raw = expectThrows<InternalException> { debugPanicRaw("outside the runtime") }
        expect((raw.message ?: "").contains("outside the runtime")) { raw.message ?: "" }
        expect(info("$data/flac_s16.flac").channels == 2u) { "info after the panics" }
    }

    check("analyze parity with the Rust API (BPM, key, loudness, features)") {
        val json = File(parity, "analyze.json").readText()
        val a = analyze("$data/flac_s16.flac")
        expect(a.frames.toString() == jsonField(json, "frames")) { "frames ${a.frames}" }
        expect(a.tempo!!.bpm == num(json, "bpm")) { "bpm ${a.tempo!!.bpm}" }
        expect(a.key!!.label == jsonField(json, "label")) { "key ${a.key!!.label}" }
        expect(a.loudness!!.integratedLufs == num(json, "integrated_lufs")) { "lufs ${a.loudness!!.integratedLufs}" }
        expect(a.loudness!!.truePeakDbtp == num(json, "true_peak_dbtp")) { "tp" }
        expect(a.featureValues.size == a.featureNames.size && a.featureValues.isNotEmpty()) { "features" }
        val b = analyzeBytes(File("$data/flac_s16.flac").readBytes())
        expect(b == a) { "bytes and path differ" }
    }
    check("analyze options: music off, target loudness") {
        val json = File(parity, "analyze_nomusic.json").readText()
        val a = analyze("$data/mp3_cbr128.mp3", AnalyzeOptions(music = false, targetLufs = -16.0))
        expect(a.tempo == null && a.key == null && a.featureValues.isEmpty()) { "music ran" }
        expect(a.loudness!!.normalizationGainDb == num(json, "gain_db")) { "gain ${a.loudness!!.normalizationGainDb}" }
        val r = analyze("$data/mp3_cbr128.mp3", AnalyzeOptions(loudness = false, minBpm = 120.0, maxBpm = 200.0))
        expect(r.loudness == null && r.tempo!!.bpm in 120.0..200.0) { "${r.tempo}" }
        expectThrows<QuaverException.InvalidArgument> { analyze("$data/mp3_cbr128.mp3", AnalyzeOptions(minBpm = 300.0, maxBpm = 100.0)) }
    }
    check("waveform .dat bytes equal the Rust API's") {
        val w = waveform("$data/flac_s16.flac")
        expect(w.dat.contentEquals(File(parity, "waveform.dat").readBytes())) { "default .dat differs" }
        expect(w.length == 690u && w.channels == 1u && w.bits.toInt() == 16) { "$w" }
        val s = waveformBytes(File("$data/flac_s16.flac").readBytes(), WaveformOptions(samplesPerPixel = 512u, bits = 8u, splitChannels = true))
        expect(s.dat.contentEquals(File(parity, "waveform_split8.dat").readBytes())) { "split 8-bit .dat differs" }
        expect(s.channels == 2u && s.dat.size == 24 + s.length.toInt() * 2 * 2) { "${s.channels} ${s.dat.size}" }
        val fit = waveform("$data/flac_s16.flac", WaveformOptions(width = 100u))
        expect(fit.length in 99u..100u) { "${fit.length}" }
        expectThrows<QuaverException.InvalidArgument> { waveform("$data/flac_s16.flac", WaveformOptions(bits = 12u)) }
    }
    check("chromaprint parity with the Rust API") {
        val json = File(parity, "chromaprint.json").readText()
        val c = chromaprint("$data/flac_s16.flac")
        expect(c.fingerprint == jsonField(json, "fingerprint")) { c.fingerprint }
        expect(c.raw.size > 0 && chromaprint("$data/flac_s16.flac", 3.0).raw.size < c.raw.size) { "length" }
    }

    val db = kotlin.io.path.createTempDirectory("quaver-kt").toFile()
    val src = floats(decode("$data/master.wav", 22050u, true).f32le)
    val tune = melody(8.0, 22050, 7)
    check("FingerprintIndex lifecycle: add, query, snippet, remove, reopen, close") {
        FingerprintIndex.open(File(db, "idx").path, 2u).use { idx ->
            idx.add("bogus", "$data/master.wav")
            idx.addBytes("reversed", wavMono16(src.reversedArray(), 22050))
            idx.addBytes("melody", wavMono16(tune, 22050))
            expect(idx.stats().tracks == 3uL && idx.stats().shards == 2u) { "${idx.stats()}" }
            expect(idx.contains("melody") && !idx.contains("nope")) { "contains" }
            val ex = src.copyOfRange((1.2 * 22050).toInt(), (3.7 * 22050).toInt())
            val clip = File(db, "clip.wav"); clip.writeBytes(wavMono16(ex, 22050))
            val r = idx.query(clip.path)
            expect(r.matches.firstOrNull()?.track == "bogus") { "$r" }
            expect(Math.abs(r.matches[0].offsetS - 1.2) < 0.05) { "offset ${r.matches[0].offsetS}" }
            // The snippet answers like the audio (what a server does with a phone's query).
            val snip = fingerprintSnippet(clip.path)
            expect(snip.size in 100..4000) { "snippet ${snip.size} bytes" }
            val viaSnippet = idx.querySnippet(snip)
            expect(viaSnippet.matches.firstOrNull()?.track == "bogus") { "$viaSnippet" }
            expect(Math.abs(viaSnippet.matches[0].offsetS - r.matches[0].offsetS) < 0.02) { "snippet offset" }
            val pcmSnip = fingerprintSnippetPcm(f32le(tune.copyOfRange(3 * 22050, 6 * 22050)), 1u, 22050u)
            val m = idx.querySnippet(pcmSnip)
            expect(m.matches.firstOrNull()?.track == "melody" && Math.abs(m.matches[0].offsetS - 3.0) < 0.05) { "$m" }
            expect(idx.querySnippet(fingerprintSnippetPcm(f32le(melody(3.0, 22050, 99)), 1u, 22050u)).matches.isEmpty()) { "false positive" }
            expect(idx.remove(listOf("bogus", "absent")) == 1u) { "remove" }
            expect(idx.query(clip.path).matches.isEmpty()) { "removed track still found" }
            idx.compact()
        }
        FingerprintIndex.open(File(db, "idx").path).use { again ->
            expect(again.stats().tracks == 2uL) { "reopen ${again.stats()}" }
        }
    }
    check("snippet errors: garbage, truncation, another version") {
        val snip = fingerprintSnippet("$data/flac_s16.flac")
        FingerprintIndex.open(File(db, "idx2").path).use { idx ->
            expectThrows<QuaverException.Corrupt> { idx.querySnippet("RIFF0000WAVE".toByteArray()) }
            expectThrows<QuaverException.Corrupt> { idx.querySnippet(snip.copyOf(snip.size - 2)) }
            val v2 = snip.copyOf(); v2[4] = 9
            expectThrows<QuaverException.Unsupported> { idx.querySnippet(v2) }
        }
        expectThrows<QuaverException.InvalidArgument> { fingerprintSnippetPcm(ByteArray(6), 1u, 8000u) }
    }
    check("AnalysisStream: push chunks, finish = analyze of the same audio + a snippet that identifies it") {
        val pcm = decode("$data/flac_s16.flac", null, false)
        val want = analyze("$data/flac_s16.flac")
        val s = AnalysisStream(pcm.sampleRate, pcm.channels)
        var off = 0
        val step = 4 * 2 * 1500
        while (off < pcm.f32le.size) { s.push(pcm.f32le.copyOfRange(off, minOf(pcm.f32le.size, off + step))); off += step }
        expect(s.frames() == 176400uL) { "frames ${s.frames()}" }
        val r = s.finish()
        expect(r.analysis.loudness == want.loudness) { "loudness ${r.analysis.loudness} vs ${want.loudness}" }
        expect(r.analysis.key?.label == want.key?.label) { "key" }
        expect(Math.abs(r.analysis.tempo!!.bpm - want.tempo!!.bpm) < 0.5) { "bpm" }
        FingerprintIndex.open(File(db, "idx3").path).use { idx ->
            idx.add("bogus", "$data/master.wav")
            idx.addBytes("melody", wavMono16(tune, 22050))
            expect(idx.querySnippet(r.snippet).matches.firstOrNull()?.track == "bogus") { "stream snippet" }
        }
        expectThrows<QuaverException.InvalidArgument> { s.finish() }
        expectThrows<QuaverException.InvalidArgument> { s.push(ByteArray(8)) }
        s.close()
        AnalysisStream(48000u, 1u, AnalyzeOptions(music = false)).use { e ->
            expectThrows<QuaverException.InvalidArgument> { e.push(ByteArray(7)) }
            expectThrows<QuaverException.InvalidArgument> { e.push(f32le(floatArrayOf(Float.NaN))) }
            expectThrows<QuaverException.NoAudio> { e.finish() }
        }
        expectThrows<QuaverException.InvalidArgument> { AnalysisStream(44100u, 0u) }
    }
    db.deleteRecursively()

    println("kotlin: $passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
