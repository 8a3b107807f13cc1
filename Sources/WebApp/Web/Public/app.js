// Green Customs: small enhancements for browsers with scripts. Every page works without this file.
(function () {
  'use strict';

  // A screening job's page: the progress bar follows the job, and the page reloads with the results when it ends.
  var box = document.getElementById('job-progress');
  if (box) {
    var url = box.getAttribute('data-progress');
    var bar = document.getElementById('job-bar');
    var text = document.getElementById('job-progress-text');
    var status = document.getElementById('job-status');
    var poll = function () {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (s) {
          bar.value = s.percent;
          bar.textContent = s.percent + ' %';
          text.textContent = s.text;
          status.textContent = s.statusName;
          if (s.status === 'done' || s.status === 'failed') { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 1000);
  }

  // The look-up page: results appear while the officer types (the form still works by pressing Enter).
  var input = document.querySelector('input[data-instant]');
  var results = document.getElementById('lookup-results');
  if (input && results) {
    var timer = null;
    var latest = 0;
    input.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var q = input.value.trim();
        var n = ++latest;
        var path = input.getAttribute('data-instant');
        if (q === '') { results.textContent = ''; return; }
        fetch(path + '?fragment=1&q=' + encodeURIComponent(q), { credentials: 'same-origin' })
          .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
          .then(function (html) {
            if (n !== latest) { return; }
            var doc = new DOMParser().parseFromString('<div>' + html + '</div>', 'text/html');
            results.replaceChildren.apply(results, Array.prototype.slice.call(doc.body.firstChild.childNodes));
            history.replaceState(null, '', path + '?q=' + encodeURIComponent(q));
          })
          .catch(function () { /* keep what is shown; Enter still submits the form */ });
      }, 200);
    });
  }
}());
