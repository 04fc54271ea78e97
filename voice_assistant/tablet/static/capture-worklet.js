// The microphone, down to what the assistant hears: 16 kHz mono int16, in 30 ms frames (480 samples).
// A windowed-sinc low-pass (cut at 7 kHz) then linear interpolation, from the audio context's own rate.
'use strict';
const TARGET = 16000;
const FRAME = 480;
const TAPS = 31;

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.ratio = sampleRate / TARGET;
    this.taps = new Float32Array(TAPS);
    const mid = (TAPS - 1) / 2;
    const fc = Math.min(7000 / sampleRate, 0.5);
    let sum = 0;
    for (let i = 0; i < TAPS; i++) {
      const x = i - mid;
      const sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      const window = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (TAPS - 1));
      this.taps[i] = sinc * window;
      sum += this.taps[i];
    }
    for (let i = 0; i < TAPS; i++) this.taps[i] /= sum;
    this.history = new Float32Array(TAPS);
    this.at = 0;          // next free slot of the history ring
    this.index = 0;       // input samples seen
    this.next = 0;        // input position of the next output sample
    this.previous = 0;    // last filtered input sample
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
  }

  emit(value) {
    const v = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = v < 0 ? v * 32768 : v * 32767;
    if (this.filled === FRAME) {
      this.port.postMessage(this.frame.buffer, [this.frame.buffer]);
      this.frame = new Int16Array(FRAME);
      this.filled = 0;
    }
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (!input) return true;
    for (let i = 0; i < input.length; i++) {
      this.history[this.at] = input[i];
      let y = 0;
      for (let k = 0; k < TAPS; k++) y += this.taps[k] * this.history[(this.at - k + TAPS) % TAPS];
      this.at = (this.at + 1) % TAPS;
      while (this.next <= this.index) {
        const frac = this.next - (this.index - 1);
        this.emit(this.previous + (y - this.previous) * frac);
        this.next += this.ratio;
      }
      this.previous = y;
      this.index++;
    }
    return true;
  }
}

registerProcessor('capture', CaptureProcessor);
