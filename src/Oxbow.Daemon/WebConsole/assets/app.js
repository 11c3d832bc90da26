// Oxbow console: one small script, no framework. Every view's state lives in the URL hash (#/view?key=value), so a
// link shows a colleague the same thing. The token (when the collector has a token file) is kept in sessionStorage
// and sent as a header, never in a URL.
(function () {
  'use strict';

  const $ = (sel, root) => (root || document).querySelector(sel);
  const view = $('#view');
  const LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'fatal', 'critical'];
  const ENVELOPE = new Set(['id', 'type', 'start', 'end', 'level', 'host', 'pid', 'app', 'trace_id', 'span_id']);
  const RANGES = { '15m': 15 * 60e3, '1h': 3600e3, '24h': 86400e3, '7d': 7 * 86400e3 };
  let leave = null; // the current view's clean-up (stop tail, timers)

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v === true ? '' : v);
    }
    for (const child of children.flat()) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  // ---- the API, with the token ----
  let tokenWaiters = [];
  function askToken(message) {
    $('#token-error').textContent = message || '';
    if (!$('#token-dialog').open) $('#token-dialog').showModal();
    return new Promise(resolve => tokenWaiters.push(resolve));
  }
  $('#token-form').addEventListener('submit', () => {
    sessionStorage.setItem('oxbow-token', $('#token-input').value.trim());
    const waiters = tokenWaiters; tokenWaiters = [];
    waiters.forEach(w => w());
  });

  async function request(path, options) {
    for (;;) {
      const headers = Object.assign({}, (options && options.headers) || {});
      const token = sessionStorage.getItem('oxbow-token');
      if (token) headers.Authorization = 'Bearer ' + token;
      const response = await fetch(path, Object.assign({}, options, { headers }));
      if (response.status === 401 || (response.status === 403 && !token)) {
        await askToken(token ? 'That token was refused.' : '');
        continue;
      }
      return response;
    }
  }

  async function api(path, options) {
    const response = await request(path, options);
    const text = await response.text();
    let body;
    try { body = JSON.parse(text); } catch { body = { error: text }; }
    if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
    return body;
  }

  // ---- routing ----
  function current() {
    const hash = location.hash.replace(/^#\/?/, '');
    const q = hash.indexOf('?');
    const path = (q < 0 ? hash : hash.slice(0, q)).split('/').map(decodeURIComponent);
    return { name: path[0] || 'events', arg: path[1] || '', params: new URLSearchParams(q < 0 ? '' : hash.slice(q + 1)) };
  }
  function go(name, arg, params, replace) {
    const query = params && params.toString();
    const hash = '#/' + name + (arg ? '/' + encodeURIComponent(arg) : '') + (query ? '?' + query : '');
    if (replace) { history.replaceState(null, '', hash); render(); } else location.hash = hash;
  }
  window.addEventListener('hashchange', render);

  function render() {
    if (leave) { leave(); leave = null; }
    const route = current();
    document.querySelectorAll('nav a').forEach(a => a.classList.toggle('active', a.dataset.view === route.name ||
      (a.dataset.view === 'events' && (route.name === 'request' || route.name === 'trace'))));
    view.replaceChildren();
    const views = { events: eventsView, request: requestView, trace: traceView, live: liveView, charts: chartsView, dashboards: dashboardsView, sql: sqlView, status: statusView };
    (views[route.name] || eventsView)(route);
  }

  // ---- shared pieces ----
  function rangeOf(params) {
    const range = params.get('range') || (params.get('from') ? 'custom' : '1h');
    if (range === 'custom') return { range, from: new Date(params.get('from')), to: new Date(params.get('to') || Date.now()) };
    const to = new Date();
    return { range, from: new Date(to - (RANGES[range] || RANGES['1h'])), to };
  }
  function searchQuery(params, extra) {
    const { from, to } = rangeOf(params);
    const q = new URLSearchParams({ from: from.toISOString(), to: to.toISOString() });
    for (const key of ['type', 'filter', 'text']) if (params.get(key)) q.set(key, params.get(key));
    for (const [k, v] of Object.entries(extra || {})) if (v !== undefined && v !== null && v !== '') q.set(k, v);
    return q;
  }
  function levelBadge(level) {
    const name = String(level || '').toLowerCase();
    return el('span', { class: 'level ' + name }, name || '—');
  }
  function formatTime(text) {
    return text ? text.replace('T', ' ').replace('Z', '') : '';
  }
  // The first fields after the envelope: top-level columns from the store, or body fields of a live event.
  function leading(evt, count) {
    const parts = [];
    const fields = Object.assign({}, evt, evt.body && typeof evt.body === 'object' ? evt.body : {});
    for (const [k, v] of Object.entries(fields)) {
      if (ENVELOPE.has(k) || (k === 'body' && evt.body && typeof evt.body === 'object')) continue;
      parts.push(k + '=' + (typeof v === 'object' ? JSON.stringify(v) : v));
      if (parts.length >= count) break;
    }
    return parts.join('  ');
  }
  function quoteValue(v) {
    return typeof v === 'number' || typeof v === 'boolean' ? String(v) : "'" + String(v).replace(/'/g, "''") + "'";
  }

  // A form row of the filters every search view shares: range, types, field filter, free text.
  function filterBar(params, onApply, options) {
    const r = rangeOf(params);
    const range = el('select', { 'aria-label': 'Time range', name: 'range' },
      ...['15m', '1h', '24h', '7d', 'custom'].map(v => el('option', { value: v, selected: v === r.range }, v === 'custom' ? 'custom' : 'last ' + v)));
    const from = el('input', { type: 'datetime-local', 'aria-label': 'From', step: 1, value: toLocalInput(r.from), hidden: r.range !== 'custom' });
    const to = el('input', { type: 'datetime-local', 'aria-label': 'To', step: 1, value: toLocalInput(r.to), hidden: r.range !== 'custom' });
    range.addEventListener('change', () => { from.hidden = to.hidden = range.value !== 'custom'; });
    const type = el('input', { name: 'type', placeholder: 'types: request*, deploy', 'aria-label': 'Types', value: params.get('type') || '', size: 18 });
    const filter = el('input', { name: 'filter', class: 'grow', placeholder: "filter: status >= 500 and path like '/api/%'", 'aria-label': 'Filter', value: params.get('filter') || '' });
    const text = options && options.noText ? null : el('input', { name: 'text', placeholder: 'free text', 'aria-label': 'Free text', value: params.get('text') || '', size: 14 });
    const apply = el('button', { class: 'primary', type: 'submit' }, (options && options.button) || 'Search');
    const form = el('form', { class: 'toolbar', role: 'search' }, range, from, to, type, filter, text, apply);
    form.addEventListener('submit', e => {
      e.preventDefault();
      const next = new URLSearchParams(params);
      next.set('range', range.value);
      if (range.value === 'custom') { next.set('from', new Date(from.value).toISOString()); next.set('to', new Date(to.value).toISOString()); }
      else { next.delete('from'); next.delete('to'); }
      for (const [key, input] of [['type', type], ['filter', filter], ['text', text]]) {
        if (input && input.value.trim()) next.set(key, input.value.trim()); else next.delete(key);
      }
      next.delete('event');
      onApply(next);
    });
    return { form, filter };
  }
  function toLocalInput(d) {
    const pad = n => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }

  // JSON as a nested, copyable tree whose values add "field = value" to the filter when clicked.
  function jsonTree(value, path, onPick) {
    if (value !== null && typeof value === 'object') {
      const box = el('div', { class: 'nested' });
      for (const [k, v] of Object.entries(value)) {
        const childPath = path ? path + '.' + k : k;
        if (v !== null && typeof v === 'object') box.append(el('div', {}, el('span', { class: 'key' }, k + ': '), jsonTree(v, childPath, onPick)));
        else box.append(el('div', {}, el('span', { class: 'key' }, k + ': '),
          el('span', { class: 'value', tabindex: 0, role: 'button', title: 'add ' + childPath + ' = … to the filter', 'data-field': childPath,
            onclick: () => onPick(childPath, v), onkeydown: e => { if (e.key === 'Enter') onPick(childPath, v); } }, JSON.stringify(v))));
      }
      return box;
    }
    return el('span', {}, JSON.stringify(value));
  }

  function eventDetail(evt, params) {
    const addToFilter = (field, value) => {
      const next = new URLSearchParams(params);
      const clause = field + ' = ' + quoteValue(value);
      next.set('filter', next.get('filter') ? next.get('filter') + ' and ' + clause : clause);
      next.delete('event');
      go('events', '', next);
    };
    const copy = el('button', { type: 'button', onclick: () => navigator.clipboard && navigator.clipboard.writeText(JSON.stringify(evt, null, 2)) }, 'Copy JSON');
    return el('aside', { class: 'panel detail', 'aria-label': 'Event' },
      el('div', { class: 'toolbar' },
        levelBadge(evt.level), el('strong', {}, evt.type),
        el('a', { href: '#/request/' + encodeURIComponent(evt.id), id: 'open-request' }, 'Request'),
        evt.trace_id ? el('a', { href: '#/trace/' + encodeURIComponent(evt.trace_id), id: 'open-trace' }, 'Trace') : null,
        copy),
      el('div', { class: 'json' }, jsonTree(evt, '', addToFilter)));
  }

  // ---- Events: histogram, list, detail ----
  function eventsView(route) {
    const params = route.params;
    const { form } = filterBar(params, next => go('events', '', next));
    const error = el('p', { class: 'error', role: 'alert', id: 'events-error' });
    const summary = el('p', { class: 'muted', id: 'events-summary' });
    const chart = el('div', { id: 'histogram' });
    const body = el('tbody');
    const table = el('table', { id: 'events' }, el('thead', {}, el('tr', {}, el('th', {}, 'Time (UTC)'), el('th', {}, 'Level'), el('th', {}, 'Type'), el('th', {}, 'Fields'))), body);
    const sentinel = el('div', { id: 'sentinel' });
    const detail = el('div');
    const split = el('div', { class: 'split closed' }, el('div', {}, table, sentinel), detail);
    view.append(form, error, chart, summary, split);

    let next = null; let loading = false; let total = 0; let stopped = false;
    const shown = new Map();
    function select(evt, row) {
      body.querySelectorAll('tr.selected').forEach(r => r.classList.remove('selected'));
      if (row) row.classList.add('selected');
      detail.replaceChildren(eventDetail(evt, params));
      split.classList.remove('closed');
      const p = new URLSearchParams(params); p.set('event', evt.id + '|' + evt.type);
      history.replaceState(null, '', '#/events?' + p.toString());
    }
    async function page() {
      if (loading || stopped) return;
      loading = true;
      try {
        const result = await api('/v1/console/search?' + searchQuery(params, { limit: 100, before: next }).toString());
        for (const evt of result.events) {
          const row = el('tr', { class: 'event', tabindex: 0, 'data-id': evt.id, 'data-type': evt.type },
            el('td', { class: 'time' }, formatTime(evt.end)), el('td', {}, levelBadge(evt.level)), el('td', {}, evt.type), el('td', { class: 'fields' }, leading(evt, 6)));
          row.addEventListener('click', () => select(evt, row));
          row.addEventListener('keydown', e => {
            if (e.key === 'Enter') select(evt, row);
            else if (e.key === 'ArrowDown' && row.nextElementSibling) { e.preventDefault(); row.nextElementSibling.focus(); }
            else if (e.key === 'ArrowUp' && row.previousElementSibling) { e.preventDefault(); row.previousElementSibling.focus(); }
          });
          body.append(row);
          shown.set(evt.id + '|' + evt.type, { evt, row });
        }
        total += result.events.length;
        next = result.next;
        summary.textContent = `${total} event${total === 1 ? '' : 's'} shown${next ? ', scroll for more' : ''} · ${result.elapsed_ms} ms`;
        if (!next) stopped = true;
      } catch (e) {
        error.textContent = e.message; stopped = true;
      } finally {
        loading = false;
      }
    }
    const observer = new IntersectionObserver(entries => { if (entries.some(e => e.isIntersecting)) page(); });
    leave = () => observer.disconnect();
    (async () => {
      await page();
      observer.observe(sentinel);
      const wanted = params.get('event');
      if (wanted) {
        const known = shown.get(wanted);
        if (known) select(known.evt, known.row);
        else {
          const [id, type] = wanted.split('|');
          try {
            const found = (await api('/v1/console/request/' + encodeURIComponent(id))).events.find(e => e.type === type);
            if (found) select(found, null);
          } catch (e) { error.textContent = e.message; }
        }
      }
    })();
    histogram(chart, params).catch(e => { error.textContent = e.message; });
  }

  async function histogram(box, params) {
    const result = await api('/v1/console/histogram?' + searchQuery(params).toString());
    if (!box.isConnected) return; // the page moved on to another view meanwhile
    const width = result.width_ms;
    const buckets = [];
    for (let t = Math.floor(result.from_ms / width) * width; t < result.to_ms; t += width) buckets.push(t);
    const index = new Map(buckets.map((t, i) => [t, i]));
    const series = new Map();
    for (const [bucket, level, n] of result.rows) {
      if (!series.has(level)) series.set(level, new Array(buckets.length).fill(0));
      const i = index.get(bucket);
      if (i !== undefined) series.get(level)[i] = n;
    }
    const names = [...series.keys()].sort((a, b) => (LEVELS.indexOf(a) + 1 || 99) - (LEVELS.indexOf(b) + 1 || 99));
    // Stacked bars: each series is drawn as its running total, lowest level first, so the bars stack.
    const stacked = []; let running = new Array(buckets.length).fill(0);
    for (const name of names) { running = running.map((v, i) => v + series.get(name)[i]); stacked.push(running); }
    const style = getComputedStyle(document.documentElement);
    const colour = name => style.getPropertyValue('--' + ({ warning: 'warn', critical: 'fatal' }[name] || (LEVELS.includes(name) ? name : 'debug'))).trim() || '#888';
    const data = [buckets.map(t => t / 1000), ...stacked.slice().reverse()];
    box.replaceChildren();
    box.setAttribute('data-buckets', String(buckets.length));
    box.setAttribute('data-total', String(result.rows.reduce((s, r) => s + r[2], 0)));
    if (typeof uPlot === 'undefined') return;
    const plot = new uPlot({
      width: Math.max(320, box.clientWidth || view.clientWidth - 32), height: 140, legend: { show: true },
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true } },
      axes: [{ stroke: style.getPropertyValue('--muted') }, { stroke: style.getPropertyValue('--muted'), size: 50 }],
      series: [{}, ...names.slice().reverse().map(name => ({ label: name || 'none', fill: colour(name), stroke: colour(name), paths: uPlot.paths.bars({ size: [0.9, 40] }), points: { show: false } }))],
      hooks: {
        setSelect: [u => {
          if (u.select.width < 2) return;
          const from = new Date(u.posToVal(u.select.left, 'x') * 1000); const to = new Date(u.posToVal(u.select.left + u.select.width, 'x') * 1000);
          const next = new URLSearchParams(params); next.set('range', 'custom'); next.set('from', from.toISOString()); next.set('to', to.toISOString());
          go('events', '', next);
        }],
      },
    }, data, box);
    // One listener per drawn histogram, removed with its view.
    const resize = () => plot.setSize({ width: Math.max(320, box.clientWidth), height: 140 });
    window.addEventListener('resize', resize);
    const previous = leave;
    leave = () => { window.removeEventListener('resize', resize); if (previous) previous(); };
  }

  // ---- Request: the events that share an id, as a tree by type ----
  async function requestView(route) {
    const id = route.arg;
    view.append(el('h2', {}, 'Request ', el('code', {}, id)));
    const box = el('div', { id: 'request-tree' });
    view.append(box);
    try {
      const events = (await api('/v1/console/request/' + encodeURIComponent(id))).events;
      if (events.length === 0) { box.append(el('p', { class: 'muted' }, 'No events with this id.')); return; }
      const traces = [...new Set(events.map(e => e.trace_id).filter(Boolean))];
      if (traces.length) view.insertBefore(el('p', {}, ...traces.map(t => el('a', { href: '#/trace/' + encodeURIComponent(t), class: 'trace-link' }, 'Trace ' + t))), box);
      // A type's parent is the longest type of this request that is a dotted prefix of it (request → request.db).
      const byType = new Map(events.map(e => [e.type, e]));
      const children = new Map();
      const roots = [];
      for (const evt of events) {
        let parent = null;
        for (let cut = evt.type.lastIndexOf('.'); cut > 0 && !parent; cut = evt.type.lastIndexOf('.', cut - 1)) parent = byType.get(evt.type.slice(0, cut)) || null;
        if (parent && parent !== evt) { if (!children.has(parent)) children.set(parent, []); children.get(parent).push(evt); } else roots.push(evt);
      }
      timeline(box, events, roots, e => children.get(e) || [], e => e.type);
    } catch (e) {
      box.append(el('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  // Rows with a time bar each, indented by depth: shared by the request tree and the trace waterfall.
  function timeline(box, events, roots, childrenOf, label) {
    const start = e => Date.parse(e.start || e.end); const end = e => Date.parse(e.end || e.start);
    const t0 = Math.min(...events.map(start)); const t1 = Math.max(...events.map(end)); const span = Math.max(1, t1 - t0);
    const seen = new Set();
    const walk = (evt, depth) => {
      if (seen.has(evt)) return; seen.add(evt);
      const ms = end(evt) - start(evt);
      const left = ((start(evt) - t0) / span) * 100; const width = Math.max(0.2, (ms / span) * 100);
      const level = String(evt.level || '').toLowerCase();
      const fields = leading(evt, 8);
      box.append(el('div', { class: 'tree-row', 'data-type': evt.type, 'data-depth': depth },
        el('div', { style: `padding-left:${depth * 1.25}rem` }, levelBadge(level), ' ', el('a', { href: '#/events?' + new URLSearchParams({ range: 'custom', from: new Date(start(evt) - 1000).toISOString(), to: new Date(end(evt) + 1000).toISOString(), event: evt.id + '|' + evt.type }).toString() }, label(evt)),
          el('span', { class: 'muted' }, ` ${ms.toFixed(ms < 10 ? 2 : 0)} ms`)),
        el('div', { class: 'bar-track' }, el('div', { class: 'bar ' + level, style: `left:${left}%;width:${width}%` })),
        fields ? el('div', { class: 'node-fields' }, fields) : null));
      childrenOf(evt).sort((a, b) => start(a) - start(b)).forEach(c => walk(c, depth + 1));
    };
    roots.sort((a, b) => start(a) - start(b)).forEach(r => walk(r, 0));
    events.filter(e => !seen.has(e)).forEach(e => walk(e, 0));
  }

  // ---- Trace: every event of one trace_id, as a waterfall by span parentage ----
  async function traceView(route) {
    const traceId = route.arg;
    view.append(el('h2', {}, 'Trace ', el('code', {}, traceId)));
    const summary = el('p', { class: 'muted', id: 'trace-summary' });
    const box = el('div', { id: 'trace-waterfall' });
    view.append(summary, box);
    try {
      const events = (await api('/v1/console/trace/' + encodeURIComponent(traceId))).events;
      if (events.length === 0) { box.append(el('p', { class: 'muted' }, 'No events in this trace.')); return; }
      const services = [...new Set(events.map(e => e.app || e.service_name || e.host || '?'))];
      summary.textContent = `${events.length} events · ${services.length} service${services.length === 1 ? '' : 's'}: ${services.join(', ')}`;
      const bySpan = new Map(events.filter(e => e.span_id).map(e => [e.span_id, e]));
      const children = new Map(); const roots = [];
      for (const evt of events) {
        const parent = evt.parent_span_id && bySpan.get(evt.parent_span_id);
        if (parent && parent !== evt) { if (!children.has(parent)) children.set(parent, []); children.get(parent).push(evt); } else roots.push(evt);
      }
      timeline(box, events, roots, e => children.get(e) || [], e => `${e.app || e.host || '?'} · ${e.type}${e.name ? ' ' + e.name : ''}`);
    } catch (e) {
      box.append(el('p', { class: 'error', role: 'alert' }, e.message));
    }
  }

  // ---- Live: tail with the same filters, a bounded buffer, pause, rate and skipped count ----
  function liveView(route) {
    const params = route.params;
    const MAX_ROWS = 500;
    const type = el('input', { placeholder: 'types: request*', 'aria-label': 'Types', value: params.get('type') || '' });
    const filter = el('input', { class: 'grow', placeholder: 'filter: level = \'error\'', 'aria-label': 'Filter', value: params.get('filter') || '' });
    const pause = el('button', { type: 'button', id: 'live-pause' }, 'Pause');
    const form = el('form', { class: 'toolbar' }, type, filter, el('button', { class: 'primary', type: 'submit' }, 'Follow'), pause);
    const status = el('p', { class: 'muted', id: 'live-status', 'aria-live': 'polite' }, 'connecting…');
    const error = el('p', { class: 'error', role: 'alert' });
    const body = el('tbody');
    view.append(form, status, error, el('table', { id: 'live' }, el('thead', {}, el('tr', {}, el('th', {}, 'Time (UTC)'), el('th', {}, 'Level'), el('th', {}, 'Type'), el('th', {}, 'Fields'))), body));
    form.addEventListener('submit', e => {
      e.preventDefault();
      const next = new URLSearchParams();
      if (type.value.trim()) next.set('type', type.value.trim());
      if (filter.value.trim()) next.set('filter', filter.value.trim());
      go('live', '', next);
    });
    let paused = false; let received = 0; let skipped = 0; let pending = [];
    // Arrivals per second over the last five seconds: a fixed array, whatever the rate.
    const perSecond = new Array(5).fill(0); let second = Math.floor(Date.now() / 1000);
    const arrived = () => {
      const now = Math.floor(Date.now() / 1000);
      for (; second < now; second++) perSecond[(second + 1) % 5] = 0;
      perSecond[now % 5]++;
    };
    pause.addEventListener('click', () => { paused = !paused; pause.textContent = paused ? 'Resume' : 'Pause'; });
    const abort = new AbortController();
    // Rows are drawn once per frame: at most MAX_ROWS kept, and what a frame cannot show is counted as skipped.
    let frame = 0;
    function draw() {
      frame = 0;
      if (pending.length > MAX_ROWS) { skipped += pending.length - MAX_ROWS; pending = pending.slice(-MAX_ROWS); }
      const rows = pending.map(evt => el('tr', { class: 'event' }, el('td', { class: 'time' }, formatTime(evt.end)), el('td', {}, levelBadge(evt.level)), el('td', {}, evt.type), el('td', { class: 'fields' }, leading(evt, 6))));
      pending = [];
      body.prepend(...rows.reverse());
      while (body.rows.length > MAX_ROWS) body.deleteRow(body.rows.length - 1);
    }
    const tick = setInterval(() => {
      const now = Math.floor(Date.now() / 1000);
      for (; second < now; second++) perSecond[(second + 1) % 5] = 0;
      const rate = perSecond.reduce((a, b) => a + b, 0) / 5;
      status.textContent = `${paused ? 'paused' : 'following'} · ${rate.toFixed(1)} events/s · ${received} received · ${skipped} skipped · ${body.rows.length} shown (at most ${MAX_ROWS})`;
      status.dataset.received = String(received); status.dataset.skipped = String(skipped);
    }, 500);
    leave = () => { abort.abort(); clearInterval(tick); if (frame) cancelAnimationFrame(frame); };
    (async () => {
      const q = new URLSearchParams();
      if (params.get('type')) q.set('type', params.get('type'));
      if (params.get('filter')) q.set('filter', params.get('filter'));
      try {
        const response = await request('/v1/tail?' + q.toString(), { signal: abort.signal });
        if (!response.ok) { error.textContent = (await response.json().catch(() => ({}))).error || 'HTTP ' + response.status; return; }
        status.textContent = 'following';
        const reader = response.body.getReader(); const decoder = new TextDecoder(); let carry = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const lines = (carry + decoder.decode(value, { stream: true })).split('\n');
          carry = lines.pop();
          for (const line of lines) {
            if (!line.trim()) continue;
            received++; arrived();
            if (paused) { skipped++; continue; }
            try { pending.push(JSON.parse(line)); } catch { skipped++; }
          }
          if (pending.length && !frame) frame = requestAnimationFrame(draw);
        }
      } catch (e) {
        if (e.name !== 'AbortError') error.textContent = e.message;
      }
    })();
  }

  // ---- Charts: count by level or type, error rate, percentiles; saved to dashboards ----
  const CHART_KINDS = { count_level: 'Count by level', count_type: 'Count by type', error_rate: 'Error rate', percentiles: 'Percentiles (p50/p95/p99)' };
  function chartQuery(spec) {
    const params = new URLSearchParams({ range: spec.range || '1h' });
    for (const key of ['type', 'filter']) if (spec[key]) params.set(key, spec[key]);
    const extra = spec.kind === 'count_level' ? { kind: 'count', by: 'level' } : spec.kind === 'count_type' ? { kind: 'count', by: 'type' }
      : spec.kind === 'error_rate' ? { kind: 'error_rate' } : { kind: 'percentiles', field: spec.field, by: spec.by };
    return searchQuery(params, extra);
  }
  async function drawChart(box, spec) {
    const result = await api('/v1/console/chart?' + chartQuery(spec).toString());
    box.replaceChildren();
    box.dataset.rows = String(result.rows.length);
    if (spec.kind === 'percentiles') {
      const max = Math.max(1, ...result.rows.map(r => (r[2] || [])[2] || 0));
      box.append(el('div', { class: 'pbar muted' }, el('span', {}, spec.by), el('span', {}, spec.field + ' (p50 ▮ p95 ▮ p99)'), el('span', {}, 'p50 / p95 / p99 · n')));
      for (const [group, n, p] of result.rows) {
        const [p50, p95, p99] = p || [0, 0, 0];
        box.append(el('div', { class: 'pbar' }, el('span', {}, group || '—'),
          el('div', { class: 'bar-track' }, el('div', { class: 'bar warn', style: `left:0;width:${p99 / max * 100}%;opacity:.35` }), el('div', { class: 'bar warn', style: `left:0;width:${p95 / max * 100}%;opacity:.6` }), el('div', { class: 'bar', style: `left:0;width:${p50 / max * 100}%` })),
          el('span', {}, `${fmt(p50)} / ${fmt(p95)} / ${fmt(p99)} · ${n}`)));
      }
      return;
    }
    const width = result.width_ms;
    const times = [...new Set(result.rows.map(r => r[0]))].sort((a, b) => a - b);
    const at = new Map(times.map((t, i) => [t, i]));
    let series;
    if (result.kind === 'error_rate') series = [['error rate', times.map(t => { const r = result.rows.find(x => x[0] === t); return r ? r[2] : null; })]];
    else {
      const names = [...new Set(result.rows.map(r => r[1]))];
      series = names.map(name => { const values = new Array(times.length).fill(0); result.rows.filter(r => r[1] === name).forEach(r => { values[at.get(r[0])] = r[2]; }); return [name || 'none', values]; });
    }
    if (typeof uPlot === 'undefined' || times.length === 0) { box.append(el('p', { class: 'muted' }, 'No events in this range.')); return; }
    const palette = ['#2f6fde', '#d92d20', '#dc6803', '#12b76a', '#6941c6', '#0ba5ec', '#ee46bc', '#667085'];
    new uPlot({ width: Math.max(320, box.clientWidth || 600), height: 200, scales: { x: { time: true } },
      series: [{}, ...series.map(([name], i) => ({ label: name, stroke: palette[i % palette.length], width: 1.5 }))] },
    [times.map(t => (t + width / 2) / 1000), ...series.map(s => s[1])], box);
  }
  function fmt(v) { return v === null || v === undefined ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2); }

  async function columnsOf(types) {
    const schema = (await api('/v1/console/schema')).types;
    const names = new Set();
    for (const t of schema) if (!types || types.length === 0 || types.includes(t.type)) t.columns.forEach(c => names.add(c.name));
    return [...names].sort();
  }

  function chartsView(route) {
    const p = route.params;
    const spec = { kind: p.get('kind') || 'count_level', range: p.get('range') || '1h', type: p.get('type') || '', filter: p.get('filter') || '', field: p.get('field') || '', by: p.get('by') || '' };
    const kind = el('select', { 'aria-label': 'Chart', name: 'kind' }, ...Object.entries(CHART_KINDS).map(([k, v]) => el('option', { value: k, selected: k === spec.kind }, v)));
    const range = el('select', { 'aria-label': 'Time range', name: 'range' }, ...Object.keys(RANGES).map(v => el('option', { value: v, selected: v === spec.range }, 'last ' + v)));
    const type = el('input', { 'aria-label': 'Types', name: 'type', placeholder: 'types', value: spec.type, size: 14 });
    const filter = el('input', { 'aria-label': 'Filter', name: 'filter', class: 'grow', placeholder: 'filter', value: spec.filter });
    const field = el('select', { 'aria-label': 'Numeric field', name: 'field' });
    const by = el('select', { 'aria-label': 'Group by', name: 'by' });
    const form = el('form', { class: 'toolbar' }, kind, range, type, filter, field, by, el('button', { class: 'primary', type: 'submit' }, 'Draw'));
    const name = el('input', { 'aria-label': 'Dashboard', placeholder: 'dashboard name', id: 'dashboard-name', value: p.get('dashboard') || '' });
    const save = el('form', { class: 'toolbar' }, name, el('button', { type: 'submit', id: 'save-chart' }, 'Save to dashboard'));
    const error = el('p', { class: 'error', role: 'alert' });
    const box = el('div', { class: 'chart-box', id: 'chart' });
    view.append(form, error, box, save);
    const showFields = () => { field.hidden = by.hidden = kind.value !== 'percentiles'; };
    showFields(); kind.addEventListener('change', showFields);
    columnsOf(null).then(cols => {
      for (const c of cols) { field.append(el('option', { value: c, selected: c === spec.field }, c)); by.append(el('option', { value: c, selected: c === spec.by }, c)); }
    }).catch(e => { error.textContent = e.message; });
    form.addEventListener('submit', e => {
      e.preventDefault();
      const next = new URLSearchParams({ kind: kind.value, range: range.value });
      if (type.value.trim()) next.set('type', type.value.trim());
      if (filter.value.trim()) next.set('filter', filter.value.trim());
      if (kind.value === 'percentiles') { next.set('field', field.value); next.set('by', by.value); }
      go('charts', '', next);
    });
    save.addEventListener('submit', async e => {
      e.preventDefault();
      try {
        const doc = await api('/v1/console/dashboards');
        const title = name.value.trim() || 'Default';
        let board = doc.dashboards.find(d => d.name === title);
        if (!board) { board = { name: title, charts: [] }; doc.dashboards.push(board); }
        board.charts.push(Object.assign({ title: CHART_KINDS[spec.kind] + (spec.type ? ' · ' + spec.type : '') }, spec));
        await api('/v1/console/dashboards', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(doc) });
        go('dashboards', '', new URLSearchParams({ d: title }));
      } catch (err) { error.textContent = err.message; }
    });
    drawChart(box, spec).catch(e => { error.textContent = e.message; });
  }

  function dashboardsView(route) {
    const error = el('p', { class: 'error', role: 'alert' });
    const list = el('div', { class: 'toolbar', id: 'dashboard-list' });
    const refresh = el('select', { 'aria-label': 'Auto-refresh' }, ...[['0', 'no refresh'], ['10', 'every 10 s'], ['30', 'every 30 s'], ['60', 'every minute']].map(([v, t]) => el('option', { value: v, selected: v === (route.params.get('refresh') || '30') }, t)));
    const exportButton = el('button', { type: 'button', id: 'export-dashboards' }, 'Export');
    const importInput = el('input', { type: 'file', accept: 'application/json,.json', 'aria-label': 'Import dashboards', id: 'import-dashboards' });
    const boards = el('div', { id: 'dashboard' });
    view.append(el('div', { class: 'toolbar' }, list, refresh, exportButton, el('label', {}, 'Import ', importInput)), error, boards);
    let timer = 0;
    leave = () => clearInterval(timer);
    async function load() {
      const doc = await api('/v1/console/dashboards');
      list.replaceChildren(...doc.dashboards.map(d => el('a', { href: '#/dashboards?' + new URLSearchParams({ d: d.name }).toString() }, d.name)));
      if (doc.dashboards.length === 0) list.append(el('span', { class: 'muted' }, 'No dashboards yet: draw a chart and save it.'));
      const wanted = doc.dashboards.find(d => d.name === route.params.get('d')) || doc.dashboards[0];
      boards.replaceChildren();
      if (!wanted) return;
      boards.append(el('h2', {}, wanted.name));
      const draws = (wanted.charts || []).map(spec => {
        const box = el('div', { class: 'chart-box' });
        boards.append(el('h3', {}, spec.title || spec.kind), box);
        return () => drawChart(box, spec).catch(e => box.replaceChildren(el('p', { class: 'error' }, e.message)));
      });
      const all = () => draws.forEach(d => d());
      all();
      clearInterval(timer);
      const seconds = Number(refresh.value);
      if (seconds > 0) timer = setInterval(all, seconds * 1000);
    }
    refresh.addEventListener('change', () => load().catch(e => { error.textContent = e.message; }));
    exportButton.addEventListener('click', async () => {
      const doc = await api('/v1/console/dashboards');
      download(new Blob([JSON.stringify(doc, null, 2)], { type: 'application/json' }), 'oxbow-dashboards.json');
    });
    importInput.addEventListener('change', async () => {
      try {
        const text = await importInput.files[0].text();
        await api('/v1/console/dashboards', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: text });
        await load();
      } catch (e) { error.textContent = e.message; }
    });
    load().catch(e => { error.textContent = e.message; });
  }

  function download(blob, name) {
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  // ---- SQL: editor, schema browser, results, downloads, cancel ----
  function sqlView(route) {
    const editor = el('textarea', { class: 'sql', id: 'sql-editor', 'aria-label': 'SQL', spellcheck: 'false' }, route.params.get('q') || 'SELECT type, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC');
    const run = el('button', { class: 'primary', type: 'button', id: 'sql-run' }, 'Run (Ctrl+Enter)');
    const cancel = el('button', { type: 'button', id: 'sql-cancel', disabled: true }, 'Cancel');
    const csv = el('button', { type: 'button', id: 'sql-csv' }, 'CSV');
    const json = el('button', { type: 'button', id: 'sql-json' }, 'JSON');
    const status = el('p', { class: 'muted', id: 'sql-status', 'aria-live': 'polite' });
    const error = el('p', { class: 'error', role: 'alert', id: 'sql-error' });
    const results = el('div', { class: 'results', id: 'sql-results' });
    const schema = el('nav', { class: 'schema panel', 'aria-label': 'Schema' }, el('strong', {}, 'Types'));
    view.append(el('div', { class: 'sql-layout' }, schema, el('div', {}, editor, el('div', { class: 'toolbar' }, run, cancel, csv, json), status, error, results)));
    api('/v1/console/schema').then(doc => {
      for (const t of doc.types) {
        schema.append(el('details', {}, el('summary', {}, t.type),
          el('ul', {}, ...t.columns.map(c => el('li', { tabindex: 0, title: 'insert', onclick: () => insert(c.name), onkeydown: e => { if (e.key === 'Enter') insert(c.name); } }, `${c.name} `, el('span', { class: 'muted' }, c.type))))));
      }
    }).catch(e => { error.textContent = e.message; });
    function insert(text) {
      const at = editor.selectionStart; editor.setRangeText(/^[a-z_][a-z0-9_]*$/.test(text) ? text : '"' + text.replace(/"/g, '""') + '"', at, editor.selectionEnd, 'end'); editor.focus();
    }
    let controller = null;
    async function query(format) {
      if (controller) controller.abort();
      controller = new AbortController();
      cancel.disabled = false; error.textContent = ''; status.textContent = 'running…';
      const started = performance.now();
      history.replaceState(null, '', '#/sql?' + new URLSearchParams({ q: editor.value }).toString());
      try {
        const response = await request('/v1/query', { method: 'POST', signal: controller.signal, headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ sql: editor.value, format, stats: true, max_rows: format === 'json' ? 10000 : 1000000 }) });
        if (!response.ok) { const body = await response.json().catch(() => ({})); throw new Error(body.error || 'HTTP ' + response.status); }
        return { response, ms: performance.now() - started };
      } finally {
        cancel.disabled = true; controller = null;
      }
    }
    async function runTable() {
      try {
        const { response, ms } = await query('json');
        const result = await response.json();
        const stats = result.stats || {};
        status.textContent = `${result.row_count} row${result.row_count === 1 ? '' : 's'}${result.truncated ? ' (cut at the row limit)' : ''} · ${ms.toFixed(0)} ms · ${stats.files_read ?? '?'} files read of ${stats.files_considered ?? '?'}`;
        results.replaceChildren(el('table', {}, el('thead', {}, el('tr', {}, ...result.columns.map(c => el('th', {}, c.name || c)))),
          el('tbody', {}, ...result.rows.map(r => el('tr', {}, ...r.map(v => el('td', {}, v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v))))))));
      } catch (e) {
        status.textContent = '';
        error.textContent = e.name === 'AbortError' ? 'cancelled' : e.message;
      }
    }
    async function save(format) {
      try {
        const { response } = await query(format === 'csv' ? 'csv' : 'jsonl');
        download(await response.blob(), 'oxbow-query.' + (format === 'csv' ? 'csv' : 'ndjson'));
        status.textContent = 'downloaded';
      } catch (e) { error.textContent = e.name === 'AbortError' ? 'cancelled' : e.message; }
    }
    run.addEventListener('click', runTable);
    cancel.addEventListener('click', () => { if (controller) controller.abort(); });
    csv.addEventListener('click', () => save('csv'));
    json.addEventListener('click', () => save('json'));
    editor.addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); runTable(); } });
    leave = () => { if (controller) controller.abort(); };
  }

  // ---- Status: the collector's stats, with the ingest rate over recent minutes ----
  function statusView() {
    const error = el('p', { class: 'error', role: 'alert' });
    const grid = el('div', { class: 'stats-grid', id: 'status' });
    const rateBox = el('div', { class: 'chart-box' }, el('h3', {}, 'Ingest rate (events/s, this page\'s last 10 minutes)'));
    const types = el('div');
    view.append(error, grid, rateBox, types);
    const samples = [];
    let plot = null;
    const stat = (label, value) => el('div', { class: 'panel stat' }, el('div', { class: 'muted' }, label), el('div', { class: 'n' }, value));
    async function poll() {
      try {
        const s = await api('/v1/stats');
        const events = Object.values(s.types || {}).reduce((n, t) => n + t.events, 0);
        samples.push([Date.now() / 1000, events]);
        while (samples.length > 120) samples.shift();
        const rates = samples.map((x, i) => i === 0 ? 0 : Math.max(0, (x[1] - samples[i - 1][1]) / Math.max(1e-3, x[0] - samples[i - 1][0])));
        const rejects = Object.entries(s.rejects || {}).filter(([, n]) => n > 0);
        grid.replaceChildren(
          stat('Role', `${s.role} ${s.name || ''}`), stat('Uptime', `${Math.round(s.uptime_seconds)} s`), stat('Events received', events),
          stat('Rate now', `${rates[rates.length - 1].toFixed(1)} /s`),
          stat('Refused', rejects.length ? rejects.map(([k, n]) => `${k} ${n}`).join(', ') : 'none'),
          stat('Dropped by the spool', `${s.spool ? s.spool.dropped_events : 0} events`),
          stat('Spool', s.spool ? `${s.spool.pending_events} pending · ${(s.spool.bytes / 1048576).toFixed(1)} MiB of ${(s.spool.max_bytes / 1048576).toFixed(0)}` : '—'),
          stat('Store on disk', s.store ? `${(s.store.bytes / 1048576).toFixed(1)} MiB · ${s.store.open_files} open files` : '—'),
          stat('Compaction backlog', s.store ? `${s.store.sealed_files} sealed files · ${s.compaction ? s.compaction.failures : 0} failures` : '—'),
          stat('Upstreams', s.upstream ? `${(s.upstream.endpoints || []).join(', ')} · ${s.upstream.state}${s.upstream.connected ? ' to ' + s.upstream.connected : ''}` : 'none (collector)'),
          stat('Live tail', `${s.tail.subscribers} pages · ${s.tail.dropped} dropped`),
          stat('Memory', `${(s.process.working_set_bytes / 1048576).toFixed(0)} MiB`));
        types.replaceChildren(el('h3', {}, 'Types'), el('table', { id: 'status-types' }, el('thead', {}, el('tr', {}, el('th', {}, 'type'), el('th', {}, 'events'), el('th', {}, 'last seen'))),
          el('tbody', {}, ...Object.entries(s.types || {}).map(([t, c]) => el('tr', {}, el('td', {}, t), el('td', {}, c.events), el('td', {}, formatTime(c.last_seen)))))));
        if (typeof uPlot !== 'undefined' && samples.length > 1) {
          const data = [samples.map(x => x[0]), rates];
          if (!plot) plot = new uPlot({ width: Math.max(320, rateBox.clientWidth || 600), height: 160, scales: { x: { time: true } }, series: [{}, { label: 'events/s', stroke: '#2f6fde', width: 1.5 }] }, data, rateBox);
          else plot.setData(data);
        }
      } catch (e) { error.textContent = e.message; }
    }
    poll();
    const timer = setInterval(poll, 5000);
    leave = () => clearInterval(timer);
  }

  render();
})();
