// The capture worklet: the microphone's samples through the shared Downsampler (downsample.js, added to the same
// worklet first) to the page as 30 ms frames of 16 kHz int16.
'use strict';

class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.down = new Downsampler(sampleRate, (buffer) => this.port.postMessage(buffer, [buffer]));
  }

  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    if (input) this.down.push(input);
    return true;
  }
}

registerProcessor('capture', CaptureProcessor);
