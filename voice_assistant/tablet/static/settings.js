// Applied before the page is drawn: the text size and contrast chosen on this tablet (kept in localStorage).
(function () {
  'use strict';
  var root = document.documentElement;
  var size = 0;
  try {
    size = Number(localStorage.getItem('tablet.size')) || 0;
    if (localStorage.getItem('tablet.light') === '1') root.classList.add('light');
  } catch (e) { /* storage blocked: defaults */ }
  root.classList.add('size-' + Math.max(0, Math.min(2, size)));
}());
