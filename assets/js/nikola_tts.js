/* nikola-tts: the player's controls, added to the plain <audio> it enhances.
   Speed (remembered), back and forward 15 s, chapters, the paragraph being read highlighted,
   "listen from here" on every narrated paragraph, Media Session (lock screen, headphone keys).
   The times come from the page (data-tts-start/-end, written at build time): this only looks
   them up. No framework, no build step, nothing fetched. Turn off with TTS_WIDGET_SCRIPT = False. */
(function () {
  "use strict";
  var SPEED_KEY = "nikola-tts-speed";
  var SKIP = 15;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }  // storage may be off
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode: not remembered */ }
  }
  function clamp(t, audio) {
    var end = isFinite(audio.duration) ? audio.duration : t;
    return Math.max(0, Math.min(t, end));
  }
  function seek(audio, t, play) {
    audio.currentTime = clamp(t, audio);
    if (play && audio.paused) {
      var started = audio.play();
      if (started && started.catch) started.catch(function () {});  // refused autoplay: the user presses play
    }
  }

  function Player(widget) {
    var audio = widget.querySelector("audio");
    var controls = widget.querySelector(".audio-widget-controls");
    if (!audio || !controls) return;
    var root = widget.closest("article") || document;
    var blocks = Array.prototype.slice.call(root.querySelectorAll("[data-tts-start]")).map(function (el) {
      return { el: el, start: parseFloat(el.getAttribute("data-tts-start")), end: parseFloat(el.getAttribute("data-tts-end")) };
    }).filter(function (b) { return isFinite(b.start); }).sort(function (a, b) { return a.start - b.start; });
    var chapters = Array.prototype.slice.call(widget.querySelectorAll("[data-tts-seek]")).map(function (b) {
      return parseFloat(b.getAttribute("data-tts-seek"));
    });
    var current = null;

    controls.hidden = false;
    widget.classList.add("audio-widget-enhanced");

    // Speed: the select, remembered across pages and visits.
    var select = controls.querySelector(".audio-widget-speed select");
    var speed = parseFloat(stored(SPEED_KEY));
    if (select && speed && select.querySelector('option[value="' + speed + '"]')) {
      select.value = String(speed);
    }
    function applySpeed() {
      var rate = parseFloat(select.value) || 1;
      audio.defaultPlaybackRate = rate;
      audio.playbackRate = rate;
    }
    if (select) {
      applySpeed();
      audio.addEventListener("loadedmetadata", applySpeed);
      select.addEventListener("change", function () { applySpeed(); store(SPEED_KEY, select.value); });
    }

    controls.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button) return;
      if (button.hasAttribute("data-tts-skip")) {
        seek(audio, audio.currentTime + parseFloat(button.getAttribute("data-tts-skip")), false);
      } else if (button.hasAttribute("data-tts-seek")) {
        seek(audio, parseFloat(button.getAttribute("data-tts-seek")), true);
      }
    });

    // Listen from here: a small button at each narrated block, shown on hover and focus.
    var label = widget.getAttribute("data-tts-listen-here") || "Listen from here";
    blocks.forEach(function (block) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "tts-listen-here";
      button.setAttribute("aria-label", label);
      button.title = label;
      button.textContent = "\u25B6";
      button.addEventListener("click", function () { seek(audio, block.start, true); });
      block.el.classList.add("tts-narrated");
      block.el.insertBefore(button, block.el.firstChild);
    });

    // The block being read: the last one started, until the last one has ended.
    function reading(t) {
      var lo = 0, hi = blocks.length - 1, found = -1;
      while (lo <= hi) {
        var mid = (lo + hi) >> 1;
        if (blocks[mid].start <= t + 0.001) { found = mid; lo = mid + 1; } else { hi = mid - 1; }
      }
      if (found < 0) return null;
      if (found === blocks.length - 1 && t > blocks[found].end + 0.5) return null;
      return blocks[found];
    }
    function follow() {
      var block = audio.paused && audio.currentTime === 0 ? null : reading(audio.currentTime);
      if (block === current) return;
      if (current) current.el.classList.remove("tts-reading");
      if (block) block.el.classList.add("tts-reading");
      current = block;
    }
    ["timeupdate", "seeked", "play", "ended"].forEach(function (name) { audio.addEventListener(name, follow); });

    // Media Session: title and author on the lock screen; headphone and keyboard media keys.
    function position() {
      if (!("mediaSession" in navigator) || !navigator.mediaSession.setPositionState || !isFinite(audio.duration)) return;
      try {
        navigator.mediaSession.setPositionState({ duration: audio.duration, playbackRate: audio.playbackRate,
                                                  position: Math.min(audio.currentTime, audio.duration) });
      } catch (e) { /* a browser that disagrees about the numbers: no position shown */ }
    }
    function neighbour(step) {
      var marks = chapters.length ? chapters : blocks.map(function (b) { return b.start; });
      var t = audio.currentTime, i;
      if (step < 0) {
        for (i = marks.length - 1; i >= 0; i--) { if (marks[i] < t - 2) return marks[i]; }
        return 0;
      }
      for (i = 0; i < marks.length; i++) { if (marks[i] > t + 0.5) return marks[i]; }
      return null;
    }
    function claimSession() {
      if (!("mediaSession" in navigator)) return;
      var session = navigator.mediaSession;
      if (window.MediaMetadata) {
        session.metadata = new MediaMetadata({ title: widget.getAttribute("data-tts-title") || document.title,
                                               artist: widget.getAttribute("data-tts-artist") || "",
                                               album: widget.getAttribute("data-tts-album") || "" });
      }
      var handlers = {
        play: function () { audio.play(); },
        pause: function () { audio.pause(); },
        seekbackward: function (d) { seek(audio, audio.currentTime - ((d && d.seekOffset) || SKIP), false); },
        seekforward: function (d) { seek(audio, audio.currentTime + ((d && d.seekOffset) || SKIP), false); },
        seekto: function (d) { if (d && isFinite(d.seekTime)) seek(audio, d.seekTime, false); },
        previoustrack: function () { seek(audio, neighbour(-1), false); },
        nexttrack: function () { var t = neighbour(1); if (t !== null) seek(audio, t, false); }
      };
      Object.keys(handlers).forEach(function (action) {
        try { session.setActionHandler(action, handlers[action]); } catch (e) { /* not supported here */ }
      });
      position();
    }
    audio.addEventListener("play", function () {
      claimSession();
      // One narration at a time.
      Array.prototype.forEach.call(document.querySelectorAll(".audio-widget audio"), function (other) {
        if (other !== audio && !other.paused) other.pause();
      });
    });
    ["ratechange", "durationchange", "seeked"].forEach(function (name) { audio.addEventListener(name, position); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".audio-widget"), Player);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
