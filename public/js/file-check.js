// Optional enhancement: files are checked for size, type and count as soon as they are chosen, so
// a file the server would refuse is never uploaded. The server checks again; without JavaScript
// the limits are stated next to the field and a refused file is named on the re-rendered form.
(function () {
  'use strict';
  document.querySelectorAll('input[type="file"][data-max-file-bytes]').forEach(function (input) {
    var box = document.getElementById('file-check');
    var accept = (input.getAttribute('accept') || '').split(',').map(function (a) { return a.trim().toLowerCase(); }).filter(Boolean);
    var msg = function (name, vars) {
      var text = input.getAttribute('data-msg-' + name) || '';
      Object.keys(vars || {}).forEach(function (k) { text = text.split('{' + k + '}').join(vars[k]); });
      return text;
    };
    function accepted(file) {
      if (accept.length === 0) return true;
      var name = file.name.toLowerCase();
      var type = (file.type || '').toLowerCase();
      return accept.some(function (a) {
        if (a.charAt(0) === '.') return name.slice(-a.length) === a;
        // "image/*" (the quick tip's camera input) accepts any image type.
        if (a.slice(-2) === '/*') return type.indexOf(a.slice(0, -1)) === 0;
        return a === type;
      });
    }
    input.addEventListener('change', function () {
      var maxFile = Number(input.getAttribute('data-max-file-bytes'));
      var maxTotal = Number(input.getAttribute('data-max-total-bytes'));
      var maxFiles = Number(input.getAttribute('data-max-files'));
      var problems = [];
      var total = 0;
      Array.prototype.forEach.call(input.files || [], function (file) {
        total += file.size;
        if (file.size > maxFile) problems.push(msg('too-large', { name: file.name }));
        else if (!accepted(file)) problems.push(msg('bad-type', { name: file.name }));
      });
      if (input.files && maxFiles && input.files.length > maxFiles) problems.push(msg('too-many'));
      if (maxTotal && total > maxTotal) problems.push(msg('total'));
      if (!box) return;
      box.textContent = '';
      box.hidden = problems.length === 0;
      if (problems.length === 0) return;
      // Nothing is sent: the choice is cleared and the reporter is told why, file by file.
      input.value = '';
      problems.concat([msg('cleared')]).forEach(function (text) {
        var p = document.createElement('p');
        p.textContent = text;
        box.appendChild(p);
      });
    });
  });
})();
