// The talk page: one WebSocket to the assistant, the microphone only while a turn listens, the replies shown in
// large text, announced to screen readers and played with Web Audio. Words come from the page (words/<lang>.yaml).
(function () {
  'use strict';
  var W = JSON.parse(document.getElementById('words').textContent);
  var $ = function (id) { return document.getElementById(id); };
  var root = document.documentElement;
  var IDLE = W.typed ? 'typing' : 'waiting';  // typed: the device cannot hear the language yet (a text field)
  // What tests and a helper can read: never any audio or text of the conversation.
  var stats = window.tabletStats = {
    state: 'connecting', connected: false, replies: 0, clipsPlayed: 0, samplesPlayed: 0, framesSent: 0,
    micOpen: false, micError: null, reconnects: 0, capture: null
  };
  var ws = null;
  var backoff = 500;
  var reconnectTimer = null;
  var outage = false;        // the connection was lost and is not back yet
  var reconnected = false;   // back after an outage: say so
  var elsewhere = false;     // closed because the conversation was opened on another screen
  var audio = null;          // AudioContext, made at the first tap (browsers need a gesture to play sound)
  var workletReady = null;
  var mic = null;            // {stream, source, node, sink}
  var micWanted = false;
  var pending = null;        // the 'play' message whose samples come next
  var current = null;        // {source, id, stopped} playing now
  var lastReply = null;      // {id, text}
  var lastAudio = [];        // the last reply's clips, for Repeat
  var replaying = null;
  var stored = {};

  // --- settings kept on this tablet ---------------------------------------------------------------------------

  function load(key) { try { return localStorage.getItem(key); } catch (e) { return stored[key] || null; } }
  function save(key, value) { try { localStorage.setItem(key, value); } catch (e) { stored[key] = value; } }
  function readerSpeaks() { return load('tablet.reader') === '1'; }

  function showSettings() {
    var size = Number(load('tablet.size')) || 0;
    root.classList.remove('size-0', 'size-1', 'size-2');
    root.classList.add('size-' + size);
    $('size').setAttribute('aria-pressed', size > 0 ? 'true' : 'false');
    $('size').dataset.level = String(size);
    root.classList.toggle('light', load('tablet.light') === '1');
    $('light').setAttribute('aria-pressed', load('tablet.light') === '1' ? 'true' : 'false');
    $('reader').setAttribute('aria-pressed', readerSpeaks() ? 'true' : 'false');
  }

  $('size').addEventListener('click', function () {
    save('tablet.size', String(((Number(load('tablet.size')) || 0) + 1) % 3));
    showSettings();
  });
  $('light').addEventListener('click', function () {
    save('tablet.light', load('tablet.light') === '1' ? '0' : '1');
    showSettings();
  });
  $('reader').addEventListener('click', function () {
    save('tablet.reader', readerSpeaks() ? '0' : '1');
    showSettings();
    if (readerSpeaks()) stopPlaying();
    send({type: 'settings', voice: !readerSpeaks()});
  });

  // --- what the page says ----------------------------------------------------------------------------------------

  function setState(key, urgent) {
    stats.state = key;
    document.body.dataset.state = key;
    $('status').textContent = W.states[key] || '';
    if (urgent) {
      announce($('alert'), W.states[key]);
      if (!readerSpeaks() && window.speechSynthesis && window.SpeechSynthesisUtterance) {
        try {
          var u = new SpeechSynthesisUtterance(W.states[key]);
          u.lang = W.lang;
          window.speechSynthesis.speak(u);
        } catch (e) { /* no voice in this browser: the text is there */ }
      }
    }
  }

  function announce(region, text) {
    region.textContent = '';
    window.setTimeout(function () { region.textContent = text; }, 100);
  }

  function showReply(reply, fresh) {
    if (!reply) return;
    $('reply-text').textContent = reply.text;
    if (reply.heard) {
      $('heard-text').textContent = reply.heard;
      $('heard').hidden = false;
    } else if (fresh) {
      $('heard').hidden = true;
    }
    if (fresh) {
      if (!lastReply || lastReply.id !== reply.id) lastAudio = [];
      announce($('announce'), reply.text);
      stats.replies += 1;
    }
    lastReply = reply;
  }

  // --- connection ------------------------------------------------------------------------------------------------

  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  function connect() {
    window.clearTimeout(reconnectTimer);
    elsewhere = false;
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    var socket = new WebSocket(scheme + '//' + location.host + '/ws');
    socket.binaryType = 'arraybuffer';
    ws = socket;
    socket.onopen = function () {
      backoff = 500;
      stats.connected = true;
      send({type: 'settings', voice: !readerSpeaks()});
      if (outage) {
        outage = false;
        stats.reconnects += 1;
        reconnected = true;  // said once the server has told its state (welcome)
      }
    };
    socket.onmessage = function (event) { if (ws === socket) receive(event.data); };
    socket.onclose = function (event) {
      if (ws !== socket) return;
      stats.connected = false;
      ws = null;
      stopPlaying();
      closeMic();
      if (event.code === 4401) {           // not paired (any more): the pairing screen
        setState('not_paired', true);
        window.setTimeout(function () { location.reload(); }, 2500);
        return;
      }
      if (event.code === 4409) {           // the conversation was opened on another screen
        elsewhere = true;
        setState('other_screen', true);
        return;
      }
      if (!outage) {
        outage = true;
        setState('reconnecting', true);
      }
      reconnectTimer = window.setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 8000);
    };
  }

  function receive(data) {
    if (data instanceof ArrayBuffer) {
      var meta = pending;
      pending = null;
      if (meta) play(meta, new Int16Array(data));
      return;
    }
    var m;
    try { m = JSON.parse(data); } catch (e) { return; }
    if (m.type === 'welcome') {
      if (m.reply) showReply(m.reply, false);
      state(m.state === 'listening' ? 'waiting' : m.state);
      if (reconnected) {
        reconnected = false;
        setState('reconnected', true);
      }
    } else if (m.type === 'state') {
      state(m.state);
    } else if (m.type === 'reply') {
      showReply(m, true);
    } else if (m.type === 'play') {
      pending = m;
    } else if (m.type === 'cut') {
      if (current && current.id === m.id) stopPlaying();
    }
  }

  function state(name) {
    if (name === 'listening') {
      openMic();
    } else {
      closeMic();
    }
    if (name === IDLE && current) return;  // still speaking: idle once the sound ends
    setState(name);
  }

  // --- sound out ---------------------------------------------------------------------------------------------------

  function ensureAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === 'suspended') audio.resume();
    return audio;
  }

  function buffer(pcm, rate) {
    var b = audio.createBuffer(1, pcm.length, rate);
    var out = b.getChannelData(0);
    for (var i = 0; i < pcm.length; i++) out[i] = pcm[i] / 32768;
    return b;
  }

  function play(meta, pcm) {
    if (meta.kind === 'speech') lastAudio.push({pcm: pcm, rate: meta.rate});
    var ack = function (completed) { send({type: 'played', id: meta.id, completed: completed}); };
    if ((meta.kind === 'speech' && readerSpeaks()) || !pcm.length) { ack(true); return; }
    if (!audio || audio.state !== 'running') { ack(false); return; }  // no tap yet: sound is not allowed
    stopReplay();
    var source = audio.createBufferSource();
    source.buffer = buffer(pcm, meta.rate);
    source.connect(audio.destination);
    var entry = {source: source, id: meta.id, stopped: false};
    current = entry;
    if (meta.kind === 'speech') setState('speaking');
    source.onended = function () {
      if (current === entry) current = null;
      if (!entry.stopped) {
        stats.clipsPlayed += 1;
        stats.samplesPlayed += pcm.length;
      }
      ack(!entry.stopped);
      if (!current && stats.state === 'speaking') setState(IDLE);
    };
    source.start();
  }

  function stopPlaying() {
    stopReplay();
    if (current) {
      current.stopped = true;
      try { current.source.stop(); } catch (e) { /* already ended */ }
    }
  }

  function stopReplay() {
    if (replaying) {
      var r = replaying;
      replaying = null;
      try { r.stop(); } catch (e) { /* ended */ }
    }
  }

  function repeat() {
    if (!lastReply) return;
    announce($('announce'), lastReply.text);
    if (readerSpeaks() || !lastAudio.length || !ensureAudio()) return;
    stopPlaying();
    var clips = lastAudio.slice();
    var next = function () {
      var clip = clips.shift();
      if (!clip) { replaying = null; return; }
      var source = audio.createBufferSource();
      source.buffer = buffer(clip.pcm, clip.rate);
      source.connect(audio.destination);
      source.onended = function () { if (replaying === source) next(); };
      replaying = source;
      source.start();
    };
    next();
  }

  // --- sound in ----------------------------------------------------------------------------------------------------

  function micFailed(error) {
    var refused = error && (error.name === 'NotAllowedError' || error.name === 'SecurityError');
    stats.micError = refused ? 'refused' : 'missing';
    send({type: 'mic', error: stats.micError});
    setState(refused ? 'mic_refused' : 'mic_missing', true);
  }

  // AudioWorklet where the browser has it; the older ScriptProcessor on tablets whose browser does not (the same
  // Downsampler, downsample.js, runs in either).
  function captureKind() {
    if (audio.audioWorklet && typeof AudioWorkletNode !== 'undefined') return 'worklet';
    if (audio.createScriptProcessor && window.Downsampler) return 'script';
    return null;
  }

  function sendFrame(buffer) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(buffer);
      stats.framesSent += 1;
    }
  }

  function captureNode(kind) {
    if (kind === 'worklet') {
      var node = new AudioWorkletNode(audio, 'capture');
      node.port.onmessage = function (event) { sendFrame(event.data); };
      return node;
    }
    var processor = audio.createScriptProcessor(4096, 1, 1);
    var down = new window.Downsampler(audio.sampleRate, sendFrame);
    processor.onaudioprocess = function (event) { down.push(event.inputBuffer.getChannelData(0)); };
    return processor;
  }

  function openMic() {
    if (mic || micWanted) return;
    micWanted = true;
    var kind = navigator.mediaDevices && navigator.mediaDevices.getUserMedia && ensureAudio() ? captureKind() : null;
    if (!kind) {
      micWanted = false;
      micFailed({name: 'NotFoundError'});
      return;
    }
    if (kind === 'worklet') {
      workletReady = workletReady || audio.audioWorklet.addModule('/static/downsample.js').then(function () {
        return audio.audioWorklet.addModule('/static/capture-worklet.js');
      });
    }
    var constraints = {audio: {channelCount: 1, echoCancellation: true, noiseSuppression: false,
                               autoGainControl: false}};
    navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
      return (kind === 'worklet' ? workletReady : Promise.resolve()).then(function () {
        if (!micWanted) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
        var source = audio.createMediaStreamSource(stream);
        var node = captureNode(kind);
        var sink = audio.createGain();  // a silent way out: a node must reach the destination to be run
        sink.gain.value = 0;
        source.connect(node);
        node.connect(sink);
        sink.connect(audio.destination);
        mic = {stream: stream, source: source, node: node, sink: sink};
        stats.micOpen = true;
        stats.micError = null;
        stats.capture = kind;
      });
    }).catch(function (error) {
      micWanted = false;
      micFailed(error);
    });
  }

  function closeMic() {
    micWanted = false;
    if (!mic) return;
    mic.stream.getTracks().forEach(function (t) { t.stop(); });
    mic.source.disconnect();
    if (mic.node.port) mic.node.port.onmessage = null;
    else mic.node.onaudioprocess = null;
    mic.node.disconnect();
    mic.sink.disconnect();
    mic = null;
    stats.micOpen = false;
  }

  // --- buttons -------------------------------------------------------------------------------------------------------

  function talk() {
    ensureAudio();
    stopPlaying();
    if (elsewhere || !ws) {
      connect();
      return;
    }
    if (W.typed) {  // nothing to record with: the device says why and how to write instead
      send({type: 'talk'});
      return;
    }
    if (send({type: 'talk'})) openMic();  // open now: the listening chime plays while it starts
  }

  // No recogniser yet: a typed sentence is a turn, as if it had been said.
  if (W.typed) {
    document.body.classList.add('typed-only');
    $('typed').addEventListener('submit', function (event) {
      event.preventDefault();
      var field = $('typed-text');
      var text = field.value.trim();
      if (!text) { field.focus(); return; }
      ensureAudio();  // the tap on Send allows the reply's sound
      stopPlaying();
      if (send({type: 'text', text: text})) field.value = '';  // the reply shows it as what was heard
      field.focus();
    });
  }

  // Tap: the turn ends after a pause. Hold: the turn lasts while the button is down, pauses included, and ends
  // when it is let go (for someone who stops to think mid-sentence).
  var HOLD_MS = 600;
  var pressed = false;  // a finger or mouse already started the turn: the click that follows is the same press
  var holdTimer = null;
  var holding = false;
  $('talk').addEventListener('pointerdown', function (event) {
    if (event.button !== 0) return;
    pressed = true;
    talk();
    if (W.typed) return;  // no turn to hold
    holdTimer = window.setTimeout(function () {
      holdTimer = null;
      holding = send({type: 'hold'});
    }, HOLD_MS);
  });
  var released = function () {
    if (holdTimer !== null) { window.clearTimeout(holdTimer); holdTimer = null; }
    if (holding) { holding = false; send({type: 'release'}); }
    window.setTimeout(function () { pressed = false; }, 400);
  };
  $('talk').addEventListener('pointerup', released);
  $('talk').addEventListener('pointercancel', released);
  $('talk').addEventListener('pointerleave', function () { if (holding) released(); });
  $('talk').addEventListener('click', function () {
    if (pressed) { pressed = false; return; }
    talk();  // keyboard (Space, Enter) or a screen reader's double tap
  });
  $('repeat').addEventListener('click', function () { ensureAudio(); repeat(); });
  $('stop').addEventListener('click', function () {
    send({type: 'stop'});
    stopPlaying();
    if (window.speechSynthesis) window.speechSynthesis.cancel();
  });

  showSettings();
  connect();
}());
