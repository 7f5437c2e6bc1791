// The lc-sandbox console: customers chatting over the real customer RTM API, and an
// inspector and remote control over the admin API (/_sandbox/…). No framework, no build
// step; everything from the network is shown as text, never as HTML.
'use strict';

const ui = {
  token: null,
  info: null,
  tab: 'agents',
  journalAfter: 0,
  agentNames: {},
  polling: false,
};

// ---- helpers ------------------------------------------------------------------------

function $(selector, root) { return (root || document).querySelector(selector); }

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (key === 'class') node.className = value;
    else if (key === 'data') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function short(text, max) {
  text = String(text);
  return text.length > max ? text.slice(0, max) + '…' : text;
}

function time(ms) {
  const d = new Date(ms);
  return d.toTimeString().slice(0, 8) + '.' + String(d.getMilliseconds()).padStart(3, '0');
}

function readToken() {
  const match = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (match) {
    const token = decodeURIComponent(match[1]);
    sessionStorage.setItem('lc-sandbox-admin-token', token);
    history.replaceState(null, '', location.pathname);
    return token;
  }
  return sessionStorage.getItem('lc-sandbox-admin-token');
}

async function api(method, path, body) {
  const init = { method, headers: { Authorization: 'Bearer ' + ui.token } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const response = await fetch('/_sandbox/' + path, init);
  const json = await response.json().catch(() => ({ error: 'not JSON' }));
  if (response.status === 401) askToken('the admin token was refused');
  if (!response.ok) throw new Error(json.error || response.statusText);
  return json;
}

function askToken(why) {
  $('#token-form').hidden = false;
  $('#auth-state').textContent = why;
}

// ---- customers ----------------------------------------------------------------------

class CustomerCard {
  constructor(made, name) {
    this.id = made.id;
    this.bearer = made.bearer;
    this.name = name;
    this.chatId = null;
    this.active = false;
    this.pending = new Map();
    this.nextId = 0;
    this.seen = new Set();
    this.node = $('#customer-template').content.firstElementChild.cloneNode(true);
    this.node.dataset.customer = this.id;
    $('.name', this.node).textContent = name;
    $('.ids', this.node).textContent = 'customer ' + this.id;
    const groups = $('.group', this.node);
    for (const g of ui.info.groups) groups.append(el('option', { value: g.id }, g.id + ' · ' + g.name));
    $('.compose', this.node).addEventListener('submit', (e) => { e.preventDefault(); this.sendText(); });
    $('.text', this.node).addEventListener('input', () => this.sneakPeek());
    $('.file', this.node).addEventListener('change', (e) => this.sendFile(e.target.files[0]));
    $('.close-card', this.node).addEventListener('click', () => this.close());
    $('#customers').append(this.node);
    this.connect();
  }

  setStatus(text) { $('.status', this.node).textContent = text; }

  system(text) {
    $('.transcript', this.node).append(el('div', { class: 'event system' }, text));
    this.scroll();
  }

  scroll() { const t = $('.transcript', this.node); t.scrollTop = t.scrollHeight; }

  connect() {
    this.ws = new WebSocket(ui.info.customer_rtm_url);
    this.ws.onopen = async () => {
      try {
        await this.request('login', { token: this.bearer });
        this.setStatus('logged in');
        this.node.dataset.state = 'online';
        const chats = await this.request('list_chats', {});
        const last = (chats.chats_summary || [])[0];
        if (last) this.showChat(await this.request('get_chat', { chat_id: last.id }));
      } catch (error) {
        this.setStatus('login failed: ' + error.message);
      }
    };
    this.ws.onmessage = (message) => this.onFrame(JSON.parse(message.data));
    this.ws.onclose = () => {
      this.setStatus('disconnected');
      this.node.dataset.state = 'offline';
      clearInterval(this.pinger);
    };
    this.pinger = setInterval(() => this.request('ping', {}).catch(() => {}), 15000);
  }

  request(action, payload) {
    const id = String(++this.nextId);
    this.ws.send(JSON.stringify({ request_id: id, action, payload }));
    return new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
  }

  onFrame(frame) {
    if (frame.type === 'response' || (frame.type !== 'push' && this.pending.has(frame.request_id))) {
      const waiter = this.pending.get(frame.request_id);
      if (!waiter) return;
      this.pending.delete(frame.request_id);
      if (frame.success) waiter.resolve(frame.payload);
      else waiter.reject(new Error((frame.payload.error || {}).type || 'error'));
      return;
    }
    if (frame.type === 'push') this.onPush(frame.action, frame.payload || {});
  }

  onPush(action, p) {
    switch (action) {
      case 'incoming_chat':
        this.showChat(p.chat);
        break;
      case 'incoming_event':
        if (p.chat_id === this.chatId) this.showEvent(p.event);
        break;
      case 'incoming_typing_indicator': {
        const t = p.typing_indicator || {};
        $('.typing', this.node).textContent = t.is_typing ? (this.author(t.author_id) + ' is typing…') : '';
        break;
      }
      case 'chat_deactivated':
        if (p.chat_id === this.chatId) { this.active = false; this.system('The chat was closed.'); }
        break;
      case 'user_added_to_chat':
        this.system(this.author((p.user || {}).id) + ' joined the chat.');
        break;
      case 'user_removed_from_chat':
        this.system(this.author(p.user_id) + ' left the chat.');
        break;
      case 'customer_disconnected':
        this.system('Disconnected by the server: ' + p.reason);
        break;
      default:
        break;
    }
  }

  author(id) {
    if (id === this.id) return this.name;
    return ui.agentNames[id] || id || 'someone';
  }

  showChat(chat) {
    if (!chat) return;
    this.chatId = chat.id;
    const thread = chat.thread || (chat.threads || [])[0];
    this.active = !!(thread && thread.active);
    this.node.dataset.chat = chat.id;
    $('.ids', this.node).textContent = 'customer ' + this.id + ' · chat ' + chat.id;
    for (const event of (thread && thread.events) || []) this.showEvent(event);
  }

  showEvent(event) {
    if (!event || this.seen.has(event.id)) return;
    this.seen.add(event.id);
    const mine = event.author_id === this.id;
    let body;
    if (event.type === 'message') body = event.text;
    else if (event.type === 'file') {
      const href = /^https?:\/\//.test(event.url || '') ? event.url : '#';
      body = el('a', { href, target: '_blank', rel: 'noopener' }, event.name || event.url || 'file');
    } else if (event.type === 'system_message') body = event.text;
    else body = '[' + event.type + '] ' + short(JSON.stringify(event), 200);
    const kind = event.type === 'system_message' ? 'system' : (mine ? 'mine' : 'theirs');
    const node = el('div', { class: 'event ' + kind, data: { author: event.author_id || '', type: event.type } },
      el('span', { class: 'author' }, this.author(event.author_id)), body);
    $('.transcript', this.node).append(node);
    if (!mine) $('.typing', this.node).textContent = '';
    this.scroll();
  }

  async sendEvent(event) {
    const group = Number($('.group', this.node).value || 0);
    if (!this.chatId) {
      const started = await this.request('start_chat', {
        chat: { access: { group_ids: [group] }, thread: { events: [event] } },
      });
      this.chatId = started.chat_id;
      this.active = true;
    } else if (!this.active) {
      await this.request('resume_chat', { chat: { id: this.chatId, thread: { events: [event] } } });
      this.active = true;
    } else {
      await this.request('send_event', { chat_id: this.chatId, event });
    }
  }

  async sendText() {
    const input = $('.text', this.node);
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    $('.peek', this.node).textContent = '';
    try {
      await this.sendEvent({ type: 'message', text });
    } catch (error) {
      this.system('Not sent (' + error.message + '): ' + text);
    }
  }

  sneakPeek() {
    if (!this.chatId || !this.active) return;
    const text = $('.text', this.node).value;
    clearTimeout(this.peekTimer);
    this.peekTimer = setTimeout(() => {
      this.request('send_sneak_peek', { chat_id: this.chatId, sneak_peek_text: text })
        .then(() => { $('.peek', this.node).textContent = text ? 'sneak peek sent: ' + text : ''; })
        .catch(() => {});
    }, 300);
  }

  async sendFile(file) {
    if (!file) return;
    const form = new FormData();
    form.append('file', file, file.name);
    const url = ui.info.http_url + '/v3.6/customer/action/upload_file?organization_id=' +
      encodeURIComponent(ui.info.organization_id);
    try {
      const response = await fetch(url, { method: 'POST', headers: { Authorization: this.bearer }, body: form });
      const json = await response.json();
      if (!response.ok) throw new Error((json.error || {}).type || response.statusText);
      await this.sendEvent({ type: 'file', url: json.url });
    } catch (error) {
      this.system('File not sent: ' + error.message);
    }
  }

  close() {
    clearInterval(this.pinger);
    this.ws.close();
    this.node.remove();
  }
}

async function newCustomer() {
  const n = document.querySelectorAll('.customer').length + 1;
  const name = 'Customer ' + n;
  const made = await api('POST', 'customers', { name });
  return new CustomerCard(made, name);
}

// ---- inspector ----------------------------------------------------------------------

function button(label, cls, onclick, data) {
  return el('button', { type: 'button', class: cls, data: data || {}, onclick }, label);
}

function showResult(value) {
  $('#control-result').textContent = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

async function act(promise) {
  try { showResult(await promise); } catch (error) { showResult('Error: ' + error.message); }
  refresh();
}

function connBadges(conns) {
  const cell = el('td', { class: 'conns' });
  for (const c of conns) {
    cell.append(el('span', { class: 'badge ok', data: { conn: c.id } }, '#' + c.id + ' v' + c.version + (c.away ? ' away' : '')));
    cell.append(button('drop', 'drop-conn', () => act(api('POST', 'connections/' + c.id + '/drop')), { conn: c.id }));
  }
  if (!conns.length) cell.append(el('span', { class: 'badge off' }, 'offline'));
  return cell;
}

function renderAgents(data) {
  const table = el('table', { id: 'agents-table' }, el('thead', {}, el('tr', {},
    ...['id', 'name', 'bot', 'routing status', 'groups', 'chats', 'connections', ''].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const a of data.agents) {
    ui.agentNames[a.id] = a.name || a.id;
    body.append(el('tr', { data: { agent: a.id } },
      el('td', {}, a.id), el('td', {}, a.name || ''), el('td', {}, a.is_bot ? 'bot' : ''),
      el('td', { class: 'status' }, a.routing_status), el('td', {}, a.groups.join(', ')),
      el('td', {}, a.active_chats), connBadges(a.connections),
      el('td', {},
        button('drop all', 'drop-user', () => act(api('POST', 'users/' + encodeURIComponent(a.id) + '/drop'))),
        button('new token', 'mint', () => act(api('POST', 'agents/' + encodeURIComponent(a.id) + '/token'))))));
  }
  table.append(body);
  return table;
}

function renderCustomers(data) {
  const table = el('table', {}, el('thead', {}, el('tr', {},
    ...['id', 'name', 'e-mail', 'group', 'chats', 'connections', ''].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const c of data.customers) {
    body.append(el('tr', { data: { customer: c.id } },
      el('td', {}, c.id), el('td', {}, c.name || ''), el('td', {}, c.email || ''),
      el('td', {}, c.group_id === null || c.group_id === undefined ? '' : c.group_id),
      el('td', {}, c.chats.join(', ')), connBadges(c.connections),
      el('td', {},
        button('chat as', 'chat-as', () => chatAs(c)),
        button('new token', 'mint', () => act(api('POST', 'customers/' + encodeURIComponent(c.id) + '/token'))))));
  }
  table.append(body);
  return table;
}

async function chatAs(customer) {
  const made = await api('POST', 'customers/' + encodeURIComponent(customer.id) + '/token');
  new CustomerCard({ id: customer.id, bearer: made.bearer }, customer.name || customer.id);
}

function renderChats(data) {
  const root = el('div');
  if (!data.chats.length) root.append(el('p', { class: 'muted' }, 'No chats yet.'));
  for (const chat of data.chats) {
    const names = {};
    for (const u of chat.users) names[u.id] = u.name || u.id;
    const users = chat.users.map((u) => u.type + ' ' + names[u.id] + (u.present ? '' : ' (left)')).join(', ');
    const node = el('div', { class: 'chat', data: { chat: chat.id } },
      el('div', {}, el('strong', {}, chat.id), ' ', el('span', { class: 'badge ' + (chat.active ? 'ok' : 'off') }, chat.active ? 'active' : 'inactive')),
      el('div', { class: 'muted' }, 'users: ' + users),
      el('div', { class: 'muted' }, 'access: ' + JSON.stringify(chat.access) + ' · properties: ' + JSON.stringify(chat.properties)));
    for (const thread of chat.threads) {
      node.append(el('div', { class: 'muted' }, 'thread ' + thread.id + (thread.active ? ' (active)' : '') +
        ' · tags: ' + (thread.tags.join(', ') || '–') + ' · properties: ' + JSON.stringify(thread.properties)));
      for (const event of thread.events) {
        const what = event.type === 'message' || event.type === 'system_message' ? event.text : short(JSON.stringify(event), 160);
        node.append(el('div', { class: 'thread-event', data: { event: event.id, type: event.type } },
          (names[event.author_id] || event.author_id || 'system') + ': ' + what));
      }
    }
    root.append(node);
  }
  return root;
}

function renderJson(data) { return el('pre', {}, JSON.stringify(data, null, 2)); }

function renderWebhooks(data) {
  if (!data.deliveries.length) return el('p', { class: 'muted' }, 'No webhook deliveries yet.');
  const table = el('table', {}, el('thead', {}, el('tr', {},
    ...['time', 'action', 'url', 'attempt', 'outcome', 'body'].map((h) => el('th', {}, h)))));
  const body = el('tbody');
  for (const d of data.deliveries) {
    body.append(el('tr', {}, el('td', {}, time(d.at_ms)), el('td', {}, d.action), el('td', {}, d.url),
      el('td', {}, d.attempt), el('td', {}, d.outcome + (d.status ? ' ' + d.status : '') + (d.error ? ': ' + d.error : '')),
      el('td', { class: 'frame' }, short(JSON.stringify(d.body), 400))));
  }
  table.append(body);
  return table;
}

const views = {
  agents: ['agents', renderAgents],
  customers: ['customers', renderCustomers],
  chats: ['chats', renderChats],
  inbenta: ['inbenta', renderJson],
  webhooks: ['webhooks', renderWebhooks],
};

function journalQuery() {
  const params = new URLSearchParams();
  const conn = $('#j-conn').value.trim();
  const user = $('#j-user').value.trim();
  const action = $('#j-action').value.trim();
  if (conn) params.set('conn', conn);
  if (user) params.set('user', user);
  if (action) params.set('action', action);
  params.set('after', ui.journalAfter);
  params.set('limit', '500');
  return params.toString();
}

function resetJournal() {
  ui.journalAfter = 0;
  $('#journal tbody').replaceChildren();
}

async function refreshJournal() {
  const data = await api('GET', 'journal?' + journalQuery());
  const body = $('#journal tbody');
  for (const e of data.entries) {
    ui.journalAfter = Math.max(ui.journalAfter, e.seq);
    body.prepend(el('tr', { class: e.direction, data: { seq: e.seq, action: e.action, kind: e.kind } },
      el('td', {}, e.seq), el('td', {}, time(e.at_ms)), el('td', {}, e.transport === 'web' ? 'web' : e.conn), el('td', {}, e.user || ''),
      el('td', {}, e.direction === 'in' ? '→' : '←'), el('td', {}, e.kind + (e.success === false ? ' ✗' : '')),
      el('td', {}, e.action), el('td', { class: 'frame', title: e.frame }, short(e.frame, 240))));
  }
  while (body.children.length > 1000) body.lastElementChild.remove();
}

async function refresh() {
  if (!ui.token || !ui.info) return;
  try {
    if (ui.tab === 'journal') {
      await refreshJournal();
    } else if (views[ui.tab]) {
      const [path, render] = views[ui.tab];
      const data = await api('GET', path);
      $('#tab-' + ui.tab).replaceChildren(render(data));
    }
    if (ui.tab !== 'agents') {
      for (const a of (await api('GET', 'agents')).agents) ui.agentNames[a.id] = a.name || a.id;
    }
    $('#auth-state').textContent = 'live';
  } catch (error) {
    $('#auth-state').textContent = 'inspector: ' + error.message;
  }
}

function showTab(name) {
  ui.tab = name;
  for (const b of document.querySelectorAll('#tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const t of document.querySelectorAll('.tab')) t.hidden = t.id !== 'tab-' + name;
  refresh();
}

// ---- remote control -----------------------------------------------------------------

function formValues(form) {
  const values = {};
  for (const [k, v] of new FormData(form).entries()) values[k] = v;
  return values;
}

function wireControls() {
  const on = (id, handler) => $(id).addEventListener('submit', (e) => { e.preventDefault(); handler(formValues(e.target)); });
  on('#f-agent', (v) => act(api('POST', 'agents', { id: v.id, name: v.name || undefined, bot: v.bot === 'on' })));
  on('#f-customer', (v) => act(api('POST', 'customers', { name: v.name || undefined, email: v.email || undefined })));
  on('#f-disconnect', (v) => act(api('POST', 'users/' + encodeURIComponent(v.user) + '/disconnect', { reason: v.reason })));
  on('#f-fail', (v) => act(api('POST', 'faults/fail_next', { action: v.action, error: v.error, count: Number(v.count) })));
  on('#f-delay', (v) => act(api('POST', 'faults/delay', { ms: Number(v.ms), action: v.action || undefined })));
  on('#f-revoke', (v) => act(api('POST', 'tokens/revoke', { token: v.token })));
  $('#export-state').addEventListener('click', async () => {
    const state = await api('GET', 'state');
    const link = el('a', { href: URL.createObjectURL(new Blob([JSON.stringify(state, null, 2)], { type: 'application/json' })), download: 'lc-sandbox-state.json' });
    link.click();
    showResult('Exported ' + state.agents.length + ' agents, ' + state.customers.length + ' customers, ' + state.chats.length + ' chats.');
  });
  $('#import-state').addEventListener('change', async (e) => {
    const file = e.target.files[0];
    if (file) act(api('PUT', 'state', await file.text()));
  });
  for (const reason of ui.info.disconnect_reasons) $('#f-disconnect select').append(el('option', {}, reason));
  for (const error of ui.info.error_types) $('#f-fail select').append(el('option', {}, error));
}

// ---- start --------------------------------------------------------------------------

async function start() {
  ui.token = readToken();
  $('#token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    ui.token = $('#token-input').value.trim();
    sessionStorage.setItem('lc-sandbox-admin-token', ui.token);
    $('#token-form').hidden = true;
    start();
  });
  if (!ui.token) return askToken('paste the admin token printed at start');
  try {
    ui.info = await api('GET', 'info');
  } catch (error) {
    return askToken('admin API: ' + error.message);
  }
  $('#server').textContent = ui.info.http_url + ' · organization ' + ui.info.organization_id;
  if (ui.polling) return;
  ui.polling = true;
  wireControls();
  for (const b of document.querySelectorAll('#tabs button')) b.addEventListener('click', () => showTab(b.dataset.tab));
  for (const id of ['#j-conn', '#j-user', '#j-action']) $(id).addEventListener('change', () => { resetJournal(); refresh(); });
  $('#j-clear').addEventListener('click', () => $('#journal tbody').replaceChildren());
  $('#new-customer').addEventListener('click', () => newCustomer().catch((e) => showResult('Error: ' + e.message)));
  showTab('agents');
  setInterval(refresh, 1000);
}

start();
