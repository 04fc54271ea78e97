"""The one audio feed loop: a whole utterance goes to a recogniser in microphone-sized chunks, nothing lost."""

from __future__ import annotations

from voice_assistant.asr.base import FEED_BYTES, Transcript, feed, transcribe


class Recording:
    language, sample_rate = "en", 16000

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.resets = 0

    def accept(self, pcm: bytes) -> Transcript | None:
        self.chunks.append(pcm)
        return None

    def finish(self) -> Transcript:
        return Transcript(f"{sum(len(c) for c in self.chunks)} bytes")

    def reset(self) -> None:
        self.resets += 1
        self.chunks.clear()


def test_feed_gives_every_byte_in_order_in_chunks():
    pcm = bytes(range(256)) * 100  # 25,600 bytes: 3 whole chunks and a remainder
    rec = Recording()
    feed(rec, pcm)
    assert b"".join(rec.chunks) == pcm
    assert [len(c) for c in rec.chunks] == [FEED_BYTES] * 3 + [len(pcm) - 3 * FEED_BYTES]


def test_transcribe_forgets_earlier_audio_and_finishes():
    rec = Recording()
    feed(rec, b"\x00" * 1000)
    assert transcribe(rec, b"\x01" * 4000, chunk=1000).text == "4000 bytes"
    assert rec.resets == 1 and len(rec.chunks) == 4


def test_buffered_recognizer_keeps_the_audio_and_decodes_it_once():
    from voice_assistant.asr.base import BufferedRecognizer, Transcript

    class Echo(BufferedRecognizer):
        engine = "echo"

        def __init__(self):
            super().__init__()
            self.decoded = []

        def decode(self, audio: bytes) -> Transcript:
            self.decoded.append(audio)
            return Transcript(f"{len(audio)} bytes", engine=self.engine)

    r = Echo()
    assert r.accept(b"ab") is None and r.accept(b"cd") is None  # no partials
    assert r.finish().text == "4 bytes" and r.decoded == [b"abcd"]
    assert r.finish() == Transcript("", engine="echo") and len(r.decoded) == 1  # finish() started afresh
    r.accept(b"xx")
    r.reset()
    assert r.recognize(b"123").text == "3 bytes" and r.decoded[-1] == b"123"
    assert r.finish().text == ""  # recognize() dropped what was fed before and kept nothing
