// Optional enhancement of the report form; everything works without it.
// - identity fields are hidden while "stay anonymous" is chosen (the server discards them anyway);
// - the call-110/12339 notice is emphasised only when immediate danger is chosen;
// - the description shows how many characters are left.
(function () {
  'use strict';
  var form = document.getElementById('report-form');
  if (!form) return;

  var identityFields = form.querySelector('.identity-fields');
  var identityChoices = form.querySelectorAll('input[name="identity_choice"]');
  function syncIdentity() {
    if (!identityFields) return;
    var chosen = form.querySelector('input[name="identity_choice"]:checked');
    identityFields.hidden = !chosen || chosen.value === 'anonymous';
  }
  identityChoices.forEach(function (input) { input.addEventListener('change', syncIdentity); });
  syncIdentity();

  var notice = document.getElementById('danger-notice');
  function syncDanger() {
    var yes = form.querySelector('input[name="immediate_danger"][value="yes"]');
    if (notice && yes) notice.classList.toggle('danger-active', yes.checked);
  }
  form.querySelectorAll('input[name="immediate_danger"]').forEach(function (input) { input.addEventListener('change', syncDanger); });
  syncDanger();

  var description = document.getElementById('field-description');
  var max = description && Number(description.getAttribute('maxlength'));
  if (description && max) {
    var counter = document.createElement('p');
    counter.className = 'hint char-counter';
    counter.setAttribute('aria-live', 'polite');
    description.insertAdjacentElement('afterend', counter);
    var template = form.getAttribute('data-chars-left') || '{n}';
    var update = function () { counter.textContent = template.replace('{n}', String(max - description.value.length)); };
    description.addEventListener('input', update);
    update();
  }
})();
