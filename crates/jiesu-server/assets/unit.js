// The unit inbox: each action posts to the API with the session cookie, then the list reloads
// (the order moves or changes colour); an error stays next to the order.
'use strict';
(() => {
  const inbox = document.getElementById('inbox');
  if (!inbox) return;
  async function act(li, action, body) {
    const status = li.querySelector('.order-status');
    try {
      await jiesu.api('POST', `/tickets/${li.dataset.id}/${action}`, body);
      sessionStorage.setItem('unit-done', `${li.dataset.number} ✓`);
      window.location.reload();
    } catch (e) {
      status.textContent = e.message;
      status.className = 'order-status error';
    }
  }
  inbox.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-action]');
    if (b) act(b.closest('li'), b.dataset.action, {});
  });
  inbox.addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    if (!form.reportValidity()) return;
    const data = Object.fromEntries(new FormData(form));
    if (data.days) data.days = Number(data.days);
    act(form.closest('li'), form.dataset.action, data);
  });
  const done = sessionStorage.getItem('unit-done');
  if (done) {
    sessionStorage.removeItem('unit-done');
    const s = document.getElementById('unit-status');
    s.textContent = done;
    s.className = 'ok';
  }
})();
