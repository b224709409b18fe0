// The citizen form: one step at a time, streets narrowed to the chosen district, a street found
// by name, and "I don't know" hiding the choice. Without this script the whole form shows and
// still works.
'use strict';
(() => {
  const form = document.getElementById('ask');
  if (!form) return;
  const steps = [...form.querySelectorAll('fieldset[data-step]')];
  const marks = document.querySelector('.steps');
  const district = document.getElementById('district');
  const street = document.getElementById('street');
  const search = document.getElementById('street-search');
  const unknown = document.getElementById('unknown');
  const cascade = document.getElementById('cascade');
  const address = document.getElementById('address');
  const allStreets = [...street.querySelectorAll('option[data-district]')].map((o) => ({
    code: o.value, name: o.textContent, district: o.dataset.district,
  }));
  const districtName = Object.fromEntries([...district.options].map((o) => [o.value, o.textContent]));
  let current = 0;

  document.querySelectorAll('.js-only').forEach((el) => { el.hidden = false; });
  marks.hidden = false;

  function show(i, focus = true) {
    current = i;
    steps.forEach((s, j) => { s.hidden = j !== i; });
    marks.querySelectorAll('li').forEach((li, j) => li.classList.toggle('on', j === i));
    if (focus) {
      const first = steps[i].querySelector('input:not([type=hidden]):not([hidden]), select, textarea');
      if (first) first.focus();
    }
  }

  function fillStreets(code, keep) {
    const chosen = keep || street.value;
    street.innerHTML = '';
    const blank = document.createElement('option');
    blank.value = '';
    blank.textContent = jiesu.zh() ? '请选择' : 'Choose';
    street.append(blank);
    allStreets.filter((s) => !code || s.district === code).forEach((s) => {
      const o = document.createElement('option');
      o.value = s.code;
      o.textContent = code ? s.name : `${s.name}（${districtName[s.district]}）`;
      o.dataset.district = s.district;
      if (s.code === chosen) o.selected = true;
      street.append(o);
    });
  }

  function stepValid(i) {
    const fields = [...steps[i].querySelectorAll('input, select, textarea')]
      .filter((f) => !f.closest('[hidden]'));
    for (const f of fields) {
      if (!f.checkValidity()) { f.reportValidity(); f.focus(); return false; }
    }
    if (i === 1 && unknown.checked && !address.value.trim()) {
      address.setCustomValidity(jiesu.zh() ? '请填写地址' : 'Please type the address');
      address.reportValidity();
      address.setCustomValidity('');
      address.focus();
      return false;
    }
    return true;
  }

  district.addEventListener('change', () => fillStreets(district.value));
  street.addEventListener('change', () => {
    const s = allStreets.find((x) => x.code === street.value);
    if (s && district.value !== s.district) {
      district.value = s.district;
      fillStreets(s.district, s.code);
    }
  });
  function findStreet() {
    const q = search.value.replace(/（.*$/, '').trim();
    if (!q) return;
    const hit = allStreets.find((s) => s.name === q) || allStreets.find((s) => s.name.includes(q));
    if (hit) {
      district.value = hit.district;
      fillStreets(hit.district, hit.code);
      street.value = hit.code;
    }
  }
  search.addEventListener('change', findStreet);
  // Enter before the last step goes on (or finds the street) instead of sending the form.
  form.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.target.tagName === 'TEXTAREA' || e.target.tagName === 'BUTTON') return;
    if (current === steps.length - 1) return;
    e.preventDefault();
    if (e.target === search) findStreet();
    else if (stepValid(current)) show(current + 1);
  });
  unknown.addEventListener('change', () => {
    cascade.hidden = unknown.checked;
    address.required = unknown.checked;
    if (unknown.checked) address.focus();
  });
  form.addEventListener('click', (e) => {
    if (e.target.matches('[data-next]')) {
      if (stepValid(current)) show(current + 1);
    } else if (e.target.matches('[data-back]')) {
      show(current - 1);
    }
  });
  form.addEventListener('submit', (e) => {
    for (let i = 0; i < steps.length; i += 1) {
      if (!stepValid(i)) { show(i, false); stepValid(i); e.preventDefault(); return; }
    }
  });

  fillStreets(district.value);
  address.required = unknown.checked;
  // Back from the server with an error: open the step at fault; else the first.
  show(document.getElementById('form-error') ? steps.length - 1 : 0, false);
})();
