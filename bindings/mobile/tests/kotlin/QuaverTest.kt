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

    println("kotlin: $passed passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
