// The microphone, down to what the assistant hears: 16 kHz mono int16, in 30 ms frames (480 samples).
// A windowed-sinc low-pass (cut at 7 kHz) then linear interpolation, from the audio context's own rate.
// Shared by the capture worklet and the ScriptProcessor fallback of older tablets without AudioWorklet, so it is
// written for both scopes and for old browsers (no classes, no arrow functions).
(function (scope) {
  'use strict';
  var TARGET = 16000;
  var FRAME = 480;
  var TAPS = 31;

  // emitFrame(buffer): an ArrayBuffer of FRAME int16 samples, given away (the caller may transfer it).
  function Downsampler(rate, emitFrame) {
    this.ratio = rate / TARGET;
    this.emitFrame = emitFrame;
    this.taps = new Float32Array(TAPS);
    var mid = (TAPS - 1) / 2;
    var fc = Math.min(7000 / rate, 0.5);
    var sum = 0;
    for (var i = 0; i < TAPS; i++) {
      var x = i - mid;
      var sinc = x === 0 ? 2 * fc : Math.sin(2 * Math.PI * fc * x) / (Math.PI * x);
      var window = 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / (TAPS - 1));
      this.taps[i] = sinc * window;
      sum += this.taps[i];
    }
    for (var j = 0; j < TAPS; j++) this.taps[j] /= sum;
    this.history = new Float32Array(TAPS);
    this.at = 0;          // next free slot of the history ring
    this.index = 0;       // input samples seen
    this.next = 0;        // input position of the next output sample
    this.previous = 0;    // last filtered input sample
    this.frame = new Int16Array(FRAME);
    this.filled = 0;
  }

  Downsampler.prototype.emit = function (value) {
    var v = Math.max(-1, Math.min(1, value));
    this.frame[this.filled++] = v < 0 ? v * 32768 : v * 32767;
    if (this.filled === FRAME) {
      var full = this.frame.buffer;
      this.frame = new Int16Array(FRAME);
      this.filled = 0;
      this.emitFrame(full);
    }
  };

  // input: Float32Array of samples at the context's rate, -1..1.
  Downsampler.prototype.push = function (input) {
    for (var i = 0; i < input.length; i++) {
      this.history[this.at] = input[i];
      var y = 0;
      for (var k = 0; k < TAPS; k++) y += this.taps[k] * this.history[(this.at - k + TAPS) % TAPS];
      this.at = (this.at + 1) % TAPS;
      while (this.next <= this.index) {
        var frac = this.next - (this.index - 1);
        this.emit(this.previous + (y - this.previous) * frac);
        this.next += this.ratio;
      }
      this.previous = y;
      this.index++;
    }
  };

  scope.Downsampler = Downsampler;
})(typeof globalThis !== 'undefined' ? globalThis : (typeof self !== 'undefined' ? self : this));
