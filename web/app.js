// owlet's chat page: asks POST /api/answer, renders the NDJSON stream (route,
// sources, tokens, done) as it arrives, and keeps the conversation in
// localStorage. Everything the server sends that came from a model or the web
// is rendered as text or through the escaping Markdown renderer, never as HTML.
import { renderMarkdown } from './markdown.js';
import { t, has, locale, applyStatic } from './i18n.js';
import { parseProm, glanceFigures } from './metrics.js';

const $ = (sel, root = document) => root.querySelector(sel);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text != null) e.textContent = text;
  return e;
};

// ---------------------------------------------------------------- storage
// localStorage can be absent or full (private windows); the page still works.
const store = {
  get(key, fallback) {
    try { const v = localStorage.getItem('owlet.' + key); return v == null ? fallback : JSON.parse(v); } catch { return fallback; }
  },
  set(key, value) {
    try { localStorage.setItem('owlet.' + key, JSON.stringify(value)); } catch { /* not persisted */ }
  },
};

const MAX_HISTORY = 12;  // earlier messages sent with a question, for follow-ups
const MAX_STORED = 200;   // messages kept in localStorage (its quota is a few MB)
let conversation = store.get('conversation', []);
if (!Array.isArray(conversation)) conversation = [];  // written by something else: start over
let current = null;  // the answer being streamed: { controller, msg, view }
let renderQueued = new Set();

function saveConversation() {
  // Only whole turns are stored; an answer cut off by closing the tab is kept as stopped.
  store.set('conversation', conversation.slice(-MAX_STORED)
    .map((m) => (m.streaming ? { ...m, streaming: false, stopped: true } : m)));
}

function authHeaders(extra = {}) {
  const key = store.get('apiKey', '');
  return key ? { ...extra, Authorization: 'Bearer ' + key } : extra;
}

async function errorText(res) {
  try {
    const j = await res.json();
    if (typeof j.error === 'string') return j.error;
    if (j.error && j.error.message) return j.error.message;
  } catch { /* not JSON */ }
  return `HTTP ${res.status}`;
}

// ---------------------------------------------------------------- rendering
const conv = $('#conversation');
const msgKey = () => Date.now().toString(36) + Math.random().toString(36).slice(2, 7);
const tierLabel = (tier) => {
  const key = 'tier_' + String(tier).replace(/-/g, '_');
  return has(key) ? t(key) : String(tier);
};
// Where a source came from ("web-snippet", "web-page", "kb"); an unknown kind is shown as sent.
const originLabel = (o) => (has('origin_' + o.replace(/-/g, '_')) ? t('origin_' + o.replace(/-/g, '_')) : o);
const STAGES = ['cache', 'route', 'search', 'fetch', 'extract', 'rank', 'prompt', 'prefill', 'generate'];

function safeUrl(u) {
  try {
    const url = new URL(u);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch { return null; }
}

function formatDate(s) {
  if (!s) return '';
  const d = new Date(s);
  if (isNaN(d)) return String(s).slice(0, 32);
  return d.toLocaleDateString(locale === 'zh' ? 'zh-CN' : undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

function siteOf(src) {
  if (src.site) return src.site;
  const u = safeUrl(src.url);
  return u ? new URL(u).hostname : (src.url || '');
}

function addUserView(msg) {
  const view = $('#tpl-user').content.firstElementChild.cloneNode(true);
  $('.bubble', view).textContent = msg.content;
  conv.append(view);
  return view;
}

function addAnswerView(msg) {
  const view = $('#tpl-answer').content.firstElementChild.cloneNode(true);
  view.dataset.key = msg.key;
  $('.why summary', view).textContent = t('why');
  conv.append(view);
  renderAnswer(msg, view);
  return view;
}

function renderRoute(msg, view) {
  const box = $('.route', view);
  const r = msg.route;
  if (!r || !r.tier) { box.hidden = true; return; }
  box.hidden = false;
  const badge = $('.badge', box);
  badge.textContent = tierLabel(r.tier);
  badge.dataset.tier = r.tier;
  badge.className = 'badge tier-' + (String(r.tier).startsWith('web') ? 'web' : r.tier);
  const reasons = $('.reasons', box);
  reasons.replaceChildren(...(r.summary ? [r.summary] : []).concat(r.reasons || []).map((x) => el('li', null, x)));
  const extra = [];
  if (r.freshness) extra.push('freshness: ' + r.freshness);
  if (typeof r.coverage === 'number') extra.push('coverage: ' + Math.round(r.coverage * 100) + ' %');
  if (r.note) extra.push(r.note);
  $('.note', box).textContent = extra.join(' · ');
  $('.why', box).hidden = !(r.reasons && r.reasons.length) && !extra.length;

  const bar = $('.timing', box);
  const tm = r.timings_ms;
  if (!tm) { bar.replaceChildren(); bar.hidden = true; return; }
  const parts = STAGES.filter((s) => tm[s] > 0).map((s) => [s, tm[s]]);
  const total = tm.total > 0 ? tm.total : parts.reduce((a, [, v]) => a + v, 0);
  const fmt = (v) => (v >= 100 ? Math.round(v) : v.toFixed(1)) + ' ms';
  const label = parts.map(([s, v]) => `${t('stage_' + s)} ${fmt(v)}`).concat(`${t('total')} ${fmt(total)}`).join(' · ');
  const track = el('div', 'track');
  // Widths are shares of the total, so time no stage accounts for stays visible as the gap.
  const scale = Math.max(total, parts.reduce((a, [, v]) => a + v, 0)) || 1;
  for (const [s, v] of parts) {
    const seg = el('span', 'seg stage-' + s);
    seg.style.width = (100 * v / scale).toFixed(2) + '%';  // CSSOM: allowed by the CSP, unlike style attributes
    seg.title = `${t('stage_' + s)} ${fmt(v)}`;
    track.append(seg);
  }
  bar.replaceChildren(track, el('span', 'legend', label));
  bar.setAttribute('aria-label', t('timings') + ': ' + label);
  bar.hidden = false;
}

function renderSources(msg, view) {
  const list = $('.sources', view);
  const cards = (msg.sources || []).map((src, i) => {
    const n = src.n ?? i + 1;
    const li = el('li', 'source');
    li.id = `src-${msg.key}-${n}`;
    li.dataset.n = n;
    li.tabIndex = -1;
    li.setAttribute('aria-label', t('sourceN', n));
    const head = el('div', 'source-head');
    head.append(el('span', 'num', String(n)));
    const url = safeUrl(src.url);
    const title = src.title || src.url || t('sourceN', n);
    if (url) {
      const a = el('a', 'title', title);
      a.href = url;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      a.title = t('openSource');
      head.append(a);
    } else {
      head.append(el('span', 'title', title));
    }
    li.append(head);
    const meta = [siteOf(src), formatDate(src.published), src.origin ? originLabel(String(src.origin)) : ''].filter(Boolean);
    if (meta.length) li.append(el('p', 'site', meta.join(' · ')));
    if (src.snippet) li.append(el('p', 'snippet', src.snippet));
    return li;
  });
  list.replaceChildren(...cards);
  list.hidden = cards.length === 0;
  list.setAttribute('aria-label', t('sources'));
}

// What the model saw: the sources block exactly as it was placed in the prompt.
function renderContext(msg, view) {
  const box = $('.context', view);
  box.hidden = !msg.context;
  if (!msg.context) return;
  $('summary', box).textContent = t('modelSaw');
  $('.context-text', box).textContent = msg.context;
}

function renderAnswer(msg, view) {
  renderRoute(msg, view);
  renderSources(msg, view);
  renderContext(msg, view);
  const body = $('.answer', view);
  body.innerHTML = renderMarkdown(msg.content, {
    citeCount: msg.sources && msg.sources.length ? msg.sources.length : 0,
    citeHref: (n) => `#src-${msg.key}-${n}`,
  });
  let state = 'done', status = '';
  if (msg.streaming) { state = 'streaming'; status = msg.content ? '' : t('thinking'); }
  else if (msg.error) { state = 'error'; status = t('error', msg.error); }
  else if (msg.stopped || msg.done_reason === 'cancelled') { state = 'stopped'; status = t('stoppedAt'); }
  else if (msg.done_reason === 'length') status = t('truncated');
  view.dataset.state = state;
  view.classList.toggle('streaming', !!msg.streaming);
  $('.status', view).textContent = status;
  const meta = [];
  if (msg.model) meta.push(String(msg.model).split('/').pop());  // a model given by path: its file name
  if (msg.citations_removed > 0) meta.push(t('citationsRemoved', msg.citations_removed));
  $('.meta', view).textContent = meta.join(' · ');
}

// Token events come faster than frames; render at most once per frame.
function queueRender(msg, view) {
  if (renderQueued.has(view)) return;
  renderQueued.add(view);
  requestAnimationFrame(() => {
    renderQueued.delete(view);
    const nearBottom = window.innerHeight + window.scrollY >= document.body.scrollHeight - 120;
    renderAnswer(msg, view);
    if (nearBottom) window.scrollTo(0, document.body.scrollHeight);
  });
}

function renderAll() {
  conv.querySelectorAll('.msg').forEach((n) => n.remove());
  $('#empty-hint').hidden = conversation.length > 0;
  for (const m of conversation) (m.role === 'user' ? addUserView : addAnswerView)(m);
}

// Clicking [n] highlights source card n of the same answer (and moves focus
// there, so keyboard users land on it too).
conv.addEventListener('click', (ev) => {
  const a = ev.target.closest('a.cite');
  if (!a) return;
  ev.preventDefault();
  const view = a.closest('.msg');
  const card = view && view.querySelector(`.source[data-n="${CSS.escape(a.dataset.n)}"]`);
  if (!card) return;
  conv.querySelectorAll('.source.highlight').forEach((c) => c.classList.remove('highlight'));
  conv.querySelectorAll('a.cite.active').forEach((c) => c.classList.remove('active'));
  card.classList.add('highlight');
  a.classList.add('active');
  card.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  card.focus({ preventScroll: true });
});

// ---------------------------------------------------------------- asking
const question = $('#question');
const sendBtn = $('#send');
const stopBtn = $('#stop');

function setBusy(busy) {
  sendBtn.hidden = busy;
  stopBtn.hidden = !busy;
  conv.setAttribute('aria-busy', String(busy));
  document.body.classList.toggle('busy', busy);
}

function history() {
  return conversation
    .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.content && !m.error)
    .slice(-MAX_HISTORY)
    .map((m) => ({ role: m.role, content: m.content }));
}

function applyEvent(msg, ev) {
  switch (ev.type) {
    case 'route':
      msg.route = ev.route;
      if (ev.id) msg.id = ev.id;
      break;
    case 'sources':
      msg.sources = ev.sources || [];
      if (typeof ev.context === 'string') msg.context = ev.context;
      break;
    case 'token':
      msg.content += ev.content || '';
      break;
    case 'done':
      if (typeof ev.answer === 'string') msg.content = ev.answer;
      if (ev.sources) msg.sources = ev.sources;
      if (typeof ev.context === 'string') msg.context = ev.context;
      if (ev.route) msg.route = { ...msg.route, ...ev.route };
      msg.model = ev.model;
      msg.done_reason = ev.done_reason;
      msg.citations_removed = ev.citations_removed || 0;
      msg.done = true;
      break;
    case 'error':
      msg.error = ev.error || 'unknown error';
      break;
  }
}

async function ask(text) {
  if (current || !text.trim()) return;
  const user = { role: 'user', content: text };
  const earlier = history();
  conversation.push(user);
  $('#empty-hint').hidden = true;
  addUserView(user);
  const msg = { role: 'assistant', key: msgKey(), content: '', sources: [], route: null, streaming: true };
  conversation.push(msg);
  const view = addAnswerView(msg);
  view.scrollIntoView({ block: 'end' });
  const controller = new AbortController();
  current = { controller, msg, view };
  setBusy(true);

  const body = { question: text, web: $('#web-mode').value, engine: $('#engine').value, stream: true,
    include_context: true };
  if ($('#model').value) body.model = $('#model').value;
  if (earlier.length) body.messages = earlier;
  const maxTokens = store.get('maxTokens', null);
  if (maxTokens > 0) body.options = { num_predict: maxTokens };

  try {
    const res = await fetch('/api/answer', {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json', Accept: 'application/x-ndjson' }),
      body: JSON.stringify(body),
      signal: controller.signal,
    });
    if (!res.ok) {
      msg.error = await errorText(res);
    } else {
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let ev;
          try { ev = JSON.parse(line); } catch { continue; }
          applyEvent(msg, ev);
          queueRender(msg, view);
        }
      }
      if (buf.trim()) { try { applyEvent(msg, JSON.parse(buf)); } catch { /* partial line */ } }
      if (!msg.done && !msg.error && !controller.signal.aborted) msg.error = 'the answer stream ended early';
    }
  } catch (e) {
    if (e.name === 'AbortError' || controller.signal.aborted) msg.stopped = true;
    else msg.error = t('networkError', e.message);
  } finally {
    msg.streaming = false;
    // New chat may already have let go of this answer and started another.
    if (current && current.msg === msg) {
      current = null;
      setBusy(false);
    }
    renderAnswer(msg, view);
    saveConversation();
    refreshGlance();
  }
}

function stop() {
  if (!current) return;
  // Aborting closes the connection; the server cancels the generation and frees its slot.
  current.controller.abort();
}

$('#composer').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = question.value;
  if (!text.trim() || current) return;
  question.value = '';
  ask(text);
});
question.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
    ev.preventDefault();
    $('#composer').requestSubmit();
  }
});
stopBtn.addEventListener('click', () => { stop(); question.focus(); });
document.addEventListener('keydown', (ev) => {
  if (ev.key !== 'Escape') return;
  if (current) { ev.preventDefault(); stop(); return; }
  const open = document.querySelector('.panel:not([hidden])');
  if (open) closePanel(open.id);
});

$('#new-chat').addEventListener('click', () => {
  if (current) {
    current.controller.abort();
    current = null;
    setBusy(false);
  }
  conversation = [];
  saveConversation();
  renderAll();
  question.focus();
});

// ---------------------------------------------------------------- controls
async function loadModels() {
  const sel = $('#model');
  const saved = store.get('model', '');
  try {
    const res = await fetch('/api/tags', { headers: authHeaders() });
    if (!res.ok) return;
    const { models = [] } = await res.json();
    for (const m of models) {
      const o = el('option', null, m.name);
      o.value = m.name;
      sel.append(o);
    }
  } catch { /* the server default still works */ }
  if ([...sel.options].some((o) => o.value === saved)) sel.value = saved;
}

for (const [id, key] of [['model', 'model'], ['web-mode', 'web'], ['engine', 'engine']]) {
  const s = $('#' + id);
  if (id !== 'model') {
    const v = store.get(key, null);
    if (v && [...s.options].some((o) => o.value === v)) s.value = v;
  }
  s.addEventListener('change', () => store.set(key, s.value));
}

// ---------------------------------------------------------------- panels
function openPanel(id) {
  document.querySelectorAll('.panel').forEach((p) => { if (p.id !== id) closePanel(p.id); });
  const p = document.getElementById(id);
  p.hidden = false;
  document.querySelector(`[aria-controls="${id}"]`)?.setAttribute('aria-expanded', 'true');
  p.querySelector('input, textarea, button:not(.close)')?.focus();
  if (id === 'kb-panel') loadStats();
}
function closePanel(id) {
  const p = document.getElementById(id);
  if (p.hidden) return;
  p.hidden = true;
  const opener = document.querySelector(`[aria-controls="${id}"]`);
  opener?.setAttribute('aria-expanded', 'false');
  opener?.focus();
}
for (const b of document.querySelectorAll('[aria-controls]')) {
  b.addEventListener('click', () => {
    const id = b.getAttribute('aria-controls');
    document.getElementById(id).hidden ? openPanel(id) : closePanel(id);
  });
}
for (const b of document.querySelectorAll('[data-close]')) b.addEventListener('click', () => closePanel(b.dataset.close));

// ---------------------------------------------------------------- knowledge
function formatBytes(n) {
  if (!(n >= 0)) return '—';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(n < 10 ? 1 : 0) : n) + ' ' + u[i];
}

async function loadStats() {
  const dl = $('#kb-stats');
  try {
    const res = await fetch('/api/kb/stats', { headers: authHeaders() });
    if (!res.ok) { dl.replaceChildren(el('dd', 'error', t('kbUnavailable', await errorText(res)))); return; }
    const s = await res.json();
    const rows = [
      ['st_documents', s.documents], ['st_chunks', s.chunks], ['st_vectors', s.vectors],
      ['st_cached_answers', s.cached_answers],
      ['st_size', formatBytes((s.db_bytes || 0) + (s.cold_bytes || 0) + (s.warm_bytes || 0))],
      ['st_warm', s.warm_enabled ? t('on') : t('off')],
    ];
    dl.replaceChildren(...rows.flatMap(([k, v]) => {
      const d = el('div');
      d.append(el('dt', null, t(k)), el('dd', null, String(v ?? '—')));
      d.dataset.stat = k.slice(3);
      return [d];
    }));
  } catch (e) {
    dl.replaceChildren(el('dd', 'error', t('networkError', e.message)));
  }
}

async function ingest(init) {
  const out = $('#kb-result');
  out.className = 'result';
  out.textContent = t('working');
  try {
    const res = await fetch('/api/ingest', { method: 'POST', ...init, headers: authHeaders(init.headers || {}) });
    if (!res.ok) { out.classList.add('error'); out.textContent = t('error', await errorText(res)); return false; }
    const r = await res.json();
    out.classList.add('ok');
    out.textContent = (r.title ? r.title + ': ' : '') +
      t(r.status, r.status === 'duplicate' ? r.document_id : r.chunks);
    loadStats();
    return true;
  } catch (e) {
    out.classList.add('error');
    out.textContent = t('networkError', e.message);
    return false;
  }
}

$('#kb-add-url').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const url = $('#kb-url');
  if (await ingest({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ url: url.value }) })) url.value = '';
});
$('#kb-add-text').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const body = { text: $('#kb-text').value };
  if ($('#kb-text-title').value.trim()) body.title = $('#kb-text-title').value.trim();
  if (await ingest({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })) {
    $('#kb-text').value = '';
    $('#kb-text-title').value = '';
  }
});
$('#kb-add-file').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const input = $('#kb-file');
  if (!input.files.length) return;
  const form = new FormData();
  form.append('file', input.files[0]);
  if (await ingest({ body: form })) input.value = '';
});
$('#kb-search').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const info = $('#kb-search-info');
  const list = $('#kb-hits');
  info.textContent = t('working');
  list.replaceChildren();
  try {
    const q = encodeURIComponent($('#kb-q').value);
    const res = await fetch(`/api/kb/search?q=${q}&k=10`, { headers: authHeaders() });
    if (!res.ok) { info.textContent = t('error', await errorText(res)); return; }
    const r = await res.json();
    info.textContent = r.hits.length ? t('hits', r.hits.length, Number(r.took_ms || 0).toFixed(1)) : t('noHits');
    list.replaceChildren(...r.hits.map((h) => {
      const li = el('li', 'hit');
      const url = safeUrl(h.source);
      const title = h.title || h.source;
      if (url) {
        const a = el('a', 'title', title);
        a.href = url; a.target = '_blank'; a.rel = 'noopener noreferrer';
        li.append(a);
      } else li.append(el('span', 'title', title));
      li.append(el('p', 'site', `${h.source} · ${Number(h.score).toFixed(3)}`));
      const text = h.text.length > 320 ? h.text.slice(0, 320) + '…' : h.text;
      li.append(el('p', 'snippet', text));
      return li;
    }));
  } catch (e) {
    info.textContent = t('networkError', e.message);
  }
});

// ---------------------------------------------------------------- settings
$('#api-key').value = store.get('apiKey', '');
$('#max-tokens').value = store.get('maxTokens', '') ?? '';
$('#settings-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  store.set('apiKey', $('#api-key').value.trim());
  const n = parseInt($('#max-tokens').value, 10);
  store.set('maxTokens', n > 0 ? n : null);
  $('#settings-result').textContent = t('saved');
  loadModels();
  refreshGlance();
});

// ---------------------------------------------------------------- status glance
async function refreshGlance() {
  try {
    const res = await fetch('/metrics', { headers: authHeaders() });
    if (!res.ok) return;
    const f = glanceFigures(parseProm(await res.text()));
    const pct = (x) => (x == null ? '—' : Math.round(x * 100) + ' %');
    const set = (id, text, good) => {
      const d = $(id);
      d.textContent = text;
      d.className = good == null ? '' : good ? 'good' : 'bad';
    };
    set('#g-online', pct(f.online), f.online == null ? null : f.online < 0.3);
    set('#g-cache', pct(f.cache), f.cache == null ? null : f.cache > 0.85);
    set('#g-p99', f.p99_s == null ? '—' : Math.round(f.p99_s * 1000) + ' ms', f.p99_s == null ? null : f.p99_s < 0.5);
    set('#g-mem', f.memory == null ? '—' : formatBytes(f.memory), null);
    $('#glance').dataset.answers = String(f.answers);
  } catch { /* the glance is optional */ }
}

// ---------------------------------------------------------------- start
applyStatic();
$('#glance').title = t('glanceTitle');
renderAll();
loadModels();
refreshGlance();
setInterval(() => { if (!document.hidden) refreshGlance(); }, 15000);
question.focus();
