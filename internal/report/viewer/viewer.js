/* IdP Sync report viewer. Every value from the report is rendered with textContent or SVG
   attributes, never parsed as markup. State (search, filters, tab, selection) lives in the URL
   fragment, e.g. #tab=operations&q=alice&result=failed&action=add_member&type=user&sel=42. */
(function () {
  'use strict';
  var ROW = 32;          // fixed row height: windowing depends on it
  var MAX_PX = 15000000; // browsers cap element heights near 33M px; past this the scrollbar is scaled
  var SVGNS = 'http://www.w3.org/2000/svg';
  var app = document.getElementById('app');

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); }
  function str(v) { return v === undefined || v === null ? '' : String(v); }

  var data;
  try {
    data = JSON.parse(document.getElementById('idpsync-report-data').textContent);
    if (!data || data.schema !== 'idpsync.report') throw new Error('not an IdP Sync report');
  } catch (err) {
    clear(app);
    app.appendChild(el('p', 'fatal', 'This report cannot be shown: ' + str(err && err.message)));
    document.body.setAttribute('data-state', 'error');
    return;
  }
  var ops = Array.isArray(data.operations) ? data.operations : [];
  var skips = Array.isArray(data.skips) ? data.skips : [];

  var ACTIONS = {
    create_user: 'Create user', update_user: 'Update user', reactivate_user: 'Reactivate user',
    deactivate_user: 'Deactivate user', create_group: 'Create group', add_member: 'Add member',
    remove_member: 'Remove member', retire_group: 'Retire group', delete_group: 'Delete group',
    adopt_user: 'Adopt user', adopt_group: 'Adopt group', conflict_group: 'Group conflict'
  };
  function actionLabel(a) { return ACTIONS[a] || str(a); }
  var RESULT_CLASS = { succeeded: 'success', failed: 'danger', planned: 'info', skipped: '' };
  var STATUS_CLASS = { succeeded: 'success', partial: 'warn', failed: 'danger', canceled: '', blocked: 'danger', planned: 'info', running: 'info' };
  function lozenge(text, cls) { return el('span', 'lozenge' + (cls ? ' ' + cls : ''), text); }
  function fmtTime(s) {
    if (!s || /^0001-/.test(s)) return '—';
    var d = new Date(s);
    return isNaN(d.getTime()) ? str(s) : d.toLocaleString();
  }
  function fmtDur(ns) {
    var ms = Number(ns) / 1e6;
    if (!isFinite(ms) || ms < 0) return '—';
    if (ms < 1000) return Math.round(ms) + ' ms';
    var s = ms / 1000;
    if (s < 60) return s.toFixed(1) + ' s';
    var m = Math.floor(s / 60);
    if (m < 60) return m + ' min ' + Math.round(s - m * 60) + ' s';
    return Math.floor(m / 60) + ' h ' + (m % 60) + ' min';
  }
  function fmtN(n) { return Number(n || 0).toLocaleString(); }

  /* ---------- page skeleton ---------- */
  clear(app);
  var top = el('header', 'topbar');
  top.appendChild(el('div', 'logo'));
  top.appendChild(el('h1', null, 'Sync report'));
  top.appendChild(lozenge(str(data.status) || 'unknown', STATUS_CLASS[data.status]));
  top.appendChild(lozenge(data.kind === 'apply' ? 'Applied' : 'Preview', data.kind === 'apply' ? '' : 'info'));
  if (data.pseudonymized) top.appendChild(lozenge('Pseudonymized', 'warn'));
  top.appendChild(el('div', 'spacer'));
  top.appendChild(el('span', 'meta', 'IdP Sync ' + str(data.appVersion) + ' · run ' + str(data.runId)));
  document.body.insertBefore(top, app);
  document.title = 'Sync report — ' + (data.tenant && data.tenant.name ? data.tenant.name : 'IdP Sync');
  var main = el('main');
  app.appendChild(main);

  /* ---------- summary ---------- */
  function card(title) {
    var c = el('section', 'card');
    c.appendChild(el('h3', null, title));
    return c;
  }
  function dl(pairs) {
    var d = el('dl');
    pairs.forEach(function (p) {
      d.appendChild(el('dt', null, p[0]));
      var dd = el('dd', p[2] || null);
      if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = str(p[1]) || '—';
      d.appendChild(dd);
    });
    return d;
  }
  var summary = el('section');
  summary.appendChild(el('h2', null, 'Summary'));
  var grid = el('div', 'grid');
  summary.appendChild(grid);
  main.appendChild(summary);
  var t = data.tenant || {}, dir = data.directory || {}, conf = data.confirmation || {}, st = data.settings || {};
  var c1 = card('Microsoft Entra tenant');
  c1.appendChild(dl([['Name', t.name], ['Tenant ID', t.id, 'mono'], ['Initial domain', t.initialDomain]]));
  grid.appendChild(c1);
  var c2 = card('Identity provider directory');
  c2.appendChild(dl([['Name', dir.name], ['Directory ID', dir.id, 'mono'], ['App version', data.appVersion], ['Run ID', data.runId, 'mono']]));
  grid.appendChild(c2);
  var c3 = card('Confirmed before the sync');
  c3.appendChild(dl([
    ['Domains', (conf.domains || []).join(', ')],
    ['Confirmed by', conf.account],
    ['At', fmtTime(conf.at)],
    ['How', conf.automatic ? 'Standing confirmation (scheduled sync)' : 'Confirmed by the admin'],
    ['Tenant ID', conf.tenantId, 'mono'],
    ['Plan digest', conf.planDigest, 'mono']
  ]));
  grid.appendChild(c3);
  var c4 = card('Settings');
  c4.appendChild(dl([
    ['Domains', st.domainMode === 'specific' ? 'Only specific domains: ' + (st.domains || []).join(', ') : 'All verified domains'],
    ['Users', st.userMode === 'groups' ? 'Specific groups (' + (st.groups || []).length + ') and their users' : 'All users and groups'],
    ['Disabled users', st.includeDisabled ? 'Included' : 'Left out'],
    ['External users', st.includeExternal ? 'Included' : 'Left out'],
    ['Deactivation limit', fmtN(st.deactivationMaxCount) + ' users or ' + str(st.deactivationMaxPercent) + ' %'],
    ['Protected groups', (st.protectedGroups || []).length ? (st.protectedGroups || []).join(', ') : 'None'],
    ['Out-of-scope groups', st.deleteOutOfScopeGroups ? 'Deleted' : 'Left as they are'],
    ['Read', st.incremental ? 'Incremental (delta)' : 'Full']
  ]));
  grid.appendChild(c4);
  var c5 = card('Timing');
  var started = Date.parse(data.started), ended = Date.parse(data.ended);
  c5.appendChild(dl([['Started', fmtTime(data.started)], ['Ended', fmtTime(data.ended)],
    ['Duration', isFinite(started) && isFinite(ended) && ended >= started ? fmtDur((ended - started) * 1e6) : '—']]));
  var phases = Array.isArray(data.phases) ? data.phases : [];
  if (phases.length) {
    var pt = el('table', 'simple');
    var ph = el('tr');
    ['Phase', 'Duration', 'Requests'].forEach(function (h) { ph.appendChild(el('th', null, h)); });
    pt.appendChild(ph);
    phases.forEach(function (p) {
      var tr = el('tr');
      tr.appendChild(el('td', null, p.name));
      tr.appendChild(el('td', null, fmtDur(p.durationNs)));
      tr.appendChild(el('td', null, p.requests ? fmtN(p.requests) : '—'));
      pt.appendChild(tr);
    });
    c5.appendChild(pt);
  }
  grid.appendChild(c5);
  var errs = Array.isArray(data.errors) ? data.errors : [];
  if (errs.length) {
    var c6 = card('Run errors');
    var ul = el('ul', 'errors');
    errs.forEach(function (e) {
      var li = el('li', null, '[' + str(e.code) + '] ' + str(e.message) + (e.action ? ' — ' + e.action : ''));
      ul.appendChild(li);
    });
    c6.appendChild(ul);
    grid.appendChild(c6);
  }

  /* ---------- chart: changes by type and result ---------- */
  var counts = Array.isArray(data.counts) ? data.counts : [];
  var RESULTS = ['succeeded', 'failed', 'planned', 'skipped'];
  var bars = [], byKey = {};
  counts.forEach(function (c) {
    var key = str(c.object) + '|' + str(c.action);
    var b = byKey[key];
    if (!b) { b = byKey[key] = { label: actionLabel(c.action), object: str(c.object), total: 0, parts: {} }; bars.push(b); }
    var r = RESULTS.indexOf(c.result) >= 0 ? c.result : 'other';
    b.parts[r] = (b.parts[r] || 0) + (Number(c.n) || 0);
    b.total += Number(c.n) || 0;
  });
  var chartSec = el('section', 'card chart');
  chartSec.appendChild(el('h2', null, 'Changes by type and result'));
  if (!bars.length) {
    chartSec.appendChild(el('p', 'subtle', 'No changes.'));
  } else {
    var max = 0;
    bars.forEach(function (b) { if (b.total > max) max = b.total; });
    var W = 900, LBL = 220, NUM = 90, BH = 18, GAP = 10;
    var H = bars.length * (BH + GAP);
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'Changes by type and result' });
    bars.forEach(function (b, i) {
      var y = i * (BH + GAP);
      var label = svg('text', { x: 0, y: y + BH - 4 });
      label.textContent = b.object + ' · ' + b.label;
      s.appendChild(label);
      var x = LBL;
      RESULTS.concat(['other']).forEach(function (r) {
        var n = b.parts[r];
        if (!n) return;
        var w = Math.max(1, (W - LBL - NUM) * n / max);
        var rect = svg('rect', { x: x, y: y, width: w, height: BH, rx: 2, 'class': 'seg-' + r });
        var tip = svg('title', {});
        tip.textContent = b.label + ' — ' + r + ': ' + fmtN(n);
        rect.appendChild(tip);
        s.appendChild(rect);
        x += w;
      });
      var num = svg('text', { x: x + 8, y: y + BH - 4, 'class': 'n' });
      num.textContent = fmtN(b.total);
      s.appendChild(num);
    });
    chartSec.appendChild(s);
    var legend = el('div', 'legend');
    RESULTS.forEach(function (r) {
      var item = el('span');
      item.appendChild(el('span', 'sw seg-' + r));
      item.appendChild(document.createTextNode(r));
      legend.appendChild(item);
    });
    chartSec.appendChild(legend);
  }
  main.appendChild(chartSec);

  /* ---------- tables ---------- */
  var state = { tab: 'operations', q: '', action: '', result: '', type: '', sel: '' };
  var tableSec = el('section', 'card');
  main.appendChild(tableSec);
  var tabs = el('div', 'tabs');
  tabs.setAttribute('role', 'tablist');
  var tabOps = el('button', null, 'Operations (' + fmtN(ops.length) + ')');
  var tabSkips = el('button', null, 'Left out of scope (' + fmtN(skips.length) + ')');
  [tabOps, tabSkips].forEach(function (b) { b.setAttribute('role', 'tab'); b.type = 'button'; tabs.appendChild(b); });
  tableSec.appendChild(tabs);

  var filters = el('div', 'filters');
  var search = el('input');
  search.type = 'search';
  search.id = 'search';
  search.placeholder = 'Search names, emails, ids, groups, messages';
  search.setAttribute('aria-label', 'Search');
  filters.appendChild(search);
  function select(id, label, values) {
    var s = el('select');
    s.id = id;
    s.setAttribute('aria-label', label);
    var o = el('option', null, label + ': all');
    o.value = '';
    s.appendChild(o);
    values.forEach(function (v) { var op = el('option', null, v[1]); op.value = v[0]; s.appendChild(op); });
    filters.appendChild(s);
    return s;
  }
  function distinct(list, f) {
    var seen = {}, out = [];
    list.forEach(function (x) { var v = f(x); if (v && !seen[v]) { seen[v] = 1; out.push(v); } });
    return out.sort();
  }
  var selAction = select('f-action', 'Action', distinct(ops, function (o) { return str(o.action); }).map(function (a) { return [a, actionLabel(a)]; }));
  var selResult = select('f-result', 'Result', distinct(ops, function (o) { return str(o.result); }).map(function (r) { return [r, r]; }));
  var selType = select('f-type', 'Object', distinct(ops.concat(skips), function (o) { return str(o.object && o.object.type); }).map(function (r) { return [r, r]; }));
  var countEl = el('span', 'count');
  countEl.id = 'count';
  filters.appendChild(countEl);
  tableSec.appendChild(filters);

  var wrap = el('div', 'tablewrap');
  var table = el('div', 'table');
  table.setAttribute('role', 'table');
  var thead = el('div', 'thead');
  thead.setAttribute('role', 'row');
  var viewport = el('div', 'viewport');
  viewport.id = 'viewport';
  viewport.tabIndex = 0;
  var sizer = el('div', 'sizer');
  viewport.appendChild(sizer);
  var emptyEl = el('div', 'empty', 'No rows match.');
  table.appendChild(thead);
  table.appendChild(viewport);
  var detail = el('aside', 'detail card');
  detail.id = 'detail';
  wrap.appendChild(table);
  wrap.appendChild(detail);
  tableSec.appendChild(wrap);

  var COLS = {
    operations: ['#', 'Action', 'Name', 'Email', 'Group', 'Result', 'Message'],
    skips: ['#', 'Name', 'Email', 'Entra ID', 'Reason', 'Detail']
  };
  function opCells(o) {
    var ob = o.object || {};
    return [str(o.seq), actionLabel(o.action), str(ob.name), str(ob.email), str(o.group && o.group.name),
      null, str(o.code ? '[' + o.code + '] ' : '') + str(o.message || o.reason)];
  }
  function skipCells(s, i) {
    var ob = s.object || {};
    return [String(i + 1), str(ob.name), str(ob.email), str(ob.entraId), str(s.reason), str(s.detail)];
  }

  // Search text per row, built lazily on the first search.
  var hay = { operations: null, skips: null };
  function refText(r) { return r ? [r.type, r.name, r.email, r.entraId, r.atlassianId].join('\u0001') : ''; }
  function buildHay(tab) {
    if (hay[tab]) return hay[tab];
    var list = tab === 'operations' ? ops : skips, out = new Array(list.length);
    for (var i = 0; i < list.length; i++) {
      var x = list[i] || {};
      var parts = [refText(x.object), str(x.reason), str(x.detail)];
      if (tab === 'operations') {
        parts.push(str(x.seq), str(x.action), actionLabel(x.action), refText(x.group), (x.chain || []).join(' > '),
          str(x.result), str(x.code), str(x.message));
        (x.changes || []).forEach(function (c) { parts.push(str(c.attribute), str(c.old), str(c.new)); });
      }
      out[i] = parts.join('\u0001').toLowerCase();
    }
    hay[tab] = out;
    return out;
  }

  var rows = [];    // indices into the current list after filtering
  var pool = [];    // row elements, reused while scrolling
  function currentList() { return state.tab === 'operations' ? ops : skips; }

  function applyFilter() {
    var list = currentList(), out = [];
    var terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    var h = terms.length ? buildHay(state.tab) : null;
    for (var i = 0; i < list.length; i++) {
      var x = list[i] || {};
      if (state.type && !(x.object && x.object.type === state.type)) continue;
      if (state.tab === 'operations') {
        if (state.action && x.action !== state.action) continue;
        if (state.result && x.result !== state.result) continue;
      }
      if (h) {
        var ok = true;
        for (var k = 0; k < terms.length; k++) if (h[i].indexOf(terms[k]) < 0) { ok = false; break; }
        if (!ok) continue;
      }
      out.push(i);
    }
    rows = out;
    countEl.textContent = 'Showing ' + fmtN(rows.length) + ' of ' + fmtN(list.length) + (state.tab === 'operations' ? ' operations' : ' objects left out');
    document.body.setAttribute('data-rows', String(rows.length));
    var total = rows.length * ROW;
    sizer.style.height = Math.min(total, MAX_PX) + 'px';
    viewport.scrollTop = 0;
    if (!rows.length) { if (!emptyEl.parentNode) viewport.appendChild(emptyEl); } else if (emptyEl.parentNode) viewport.removeChild(emptyEl);
    render();
  }

  function render() {
    var n = rows.length, vh = viewport.clientHeight || 544, stp = viewport.scrollTop;
    var visible = Math.ceil(vh / ROW) + 1;
    var start, offset;
    if (n * ROW <= MAX_PX) {
      start = Math.floor(stp / ROW);
      offset = start * ROW;
    } else { // scaled scrollbar: map the scroll fraction onto the rows
      var frac = Math.min(1, stp / Math.max(1, MAX_PX - vh));
      start = Math.floor(frac * Math.max(0, n - visible + 1));
      offset = stp;
    }
    var list = currentList(), cols = COLS[state.tab].length;
    for (var k = 0; k < visible; k++) {
      var i = start + k, r = pool[k];
      if (!r) {
        r = el('div', 'row');
        r.setAttribute('role', 'row');
        r.tabIndex = -1;
        r.addEventListener('click', onRowClick);
        r.addEventListener('keydown', function (e) { if (e.key === 'Enter') onRowClick.call(this); });
        pool[k] = r;
      }
      if (i >= n) { if (r.parentNode) r.parentNode.removeChild(r); continue; }
      if (!r.parentNode) viewport.appendChild(r);
      if (r.childNodes.length !== cols) {
        clear(r);
        for (var c = 0; c < cols; c++) { var cell = el('div', 'cell'); cell.setAttribute('role', 'cell'); r.appendChild(cell); }
      }
      var idx = rows[i], x = list[idx] || {};
      var cells = state.tab === 'operations' ? opCells(x) : skipCells(x, idx);
      for (var j = 0; j < cols; j++) {
        var ce = r.childNodes[j];
        if (cells[j] === null) { // the result lozenge
          clear(ce);
          ce.appendChild(lozenge(str(x.result), RESULT_CLASS[x.result]));
        } else {
          ce.textContent = cells[j];
          ce.title = cells[j];
        }
      }
      r.style.transform = 'translateY(' + (offset + k * ROW) + 'px)';
      r.setAttribute('data-index', String(idx));
      r.className = 'row' + (String(idx) === state.sel ? ' selected' : '');
    }
    for (var p = visible; p < pool.length; p++) if (pool[p].parentNode) pool[p].parentNode.removeChild(pool[p]);
  }
  viewport.addEventListener('scroll', function () { window.requestAnimationFrame(render); });

  function onRowClick() {
    state.sel = this.getAttribute('data-index');
    showDetail();
    render();
    writeHash();
  }

  function showDetail() {
    clear(detail);
    var x = state.sel === '' ? null : currentList()[Number(state.sel)];
    if (!x) {
      detail.appendChild(el('h3', null, 'Details'));
      detail.appendChild(el('p', 'subtle', 'Select a row to see the object, its attribute changes and its membership chain.'));
      return;
    }
    var ob = x.object || {};
    detail.appendChild(el('h2', null, ob.name || ob.email || '(no name)'));
    var pairs = [['Type', ob.type], ['Email', ob.email], ['Entra ID', ob.entraId, 'mono'], ['Atlassian ID', ob.atlassianId, 'mono']];
    if (state.tab === 'operations') {
      pairs.unshift(['Action', actionLabel(x.action)]);
      pairs.push(['Result', lozenge(str(x.result), RESULT_CLASS[x.result])]);
      if (x.code) pairs.push(['Code', x.code, 'mono']);
      if (x.message) pairs.push(['Message', x.message]);
      if (x.reason) pairs.push(['Reason', x.reason]);
      if (x.group) pairs.push(['Group', x.group.name]);
    } else {
      pairs.push(['Reason', x.reason], ['Detail', x.detail]);
    }
    detail.appendChild(dl(pairs));
    if (x.chain && x.chain.length) {
      detail.appendChild(el('h3', null, 'Membership chain'));
      var ch = el('div', 'chain');
      x.chain.forEach(function (g, i) {
        if (i) ch.appendChild(el('span', 'sep', '›'));
        ch.appendChild(el('span', null, g));
      });
      detail.appendChild(ch);
    }
    if (x.changes && x.changes.length) {
      detail.appendChild(el('h3', null, 'Attribute changes'));
      var tb = el('table', 'simple');
      var hr = el('tr');
      ['Attribute', 'Old', 'New'].forEach(function (h) { hr.appendChild(el('th', null, h)); });
      tb.appendChild(hr);
      x.changes.forEach(function (c) {
        var tr = el('tr');
        tr.appendChild(el('td', 'mono', c.attribute));
        tr.appendChild(el('td', null, c.old));
        tr.appendChild(el('td', null, c.new));
        tb.appendChild(tr);
      });
      detail.appendChild(tb);
    }
  }

  function setHead() {
    clear(thead);
    COLS[state.tab].forEach(function (h) { var c = el('div', 'cell', h); c.setAttribute('role', 'columnheader'); thead.appendChild(c); });
    table.className = 'table ' + (state.tab === 'operations' ? 'ops' : 'skips');
    tabOps.setAttribute('aria-selected', String(state.tab === 'operations'));
    tabSkips.setAttribute('aria-selected', String(state.tab === 'skips'));
    selAction.disabled = selResult.disabled = state.tab !== 'operations';
    pool.forEach(function (r) { clear(r); });
  }

  /* ---------- URL fragment ---------- */
  function readHash() {
    var h = location.hash.replace(/^#/, ''), next = { tab: 'operations', q: '', action: '', result: '', type: '', sel: '' };
    h.split('&').forEach(function (kv) {
      if (!kv) return;
      var i = kv.indexOf('='), k = i < 0 ? kv : kv.slice(0, i), v = i < 0 ? '' : kv.slice(i + 1);
      try { v = decodeURIComponent(v.replace(/\+/g, ' ')); } catch (e) { v = ''; }
      if (Object.prototype.hasOwnProperty.call(next, k)) next[k] = v;
    });
    if (next.tab !== 'skips') next.tab = 'operations';
    return next;
  }
  var writing = false;
  function writeHash() {
    var parts = [];
    ['tab', 'q', 'action', 'result', 'type', 'sel'].forEach(function (k) {
      if (state[k] && !(k === 'tab' && state[k] === 'operations')) parts.push(k + '=' + encodeURIComponent(state[k]));
    });
    var h = parts.length ? '#' + parts.join('&') : '';
    if (h === location.hash || (h === '' && location.hash === '')) return;
    writing = true;
    try { history.replaceState(null, '', h || location.pathname + location.search); } catch (e) { /* some file:// contexts refuse */ }
    writing = false;
  }
  function load(next) {
    var tabChanged = next.tab !== state.tab;
    state = next;
    search.value = state.q;
    selAction.value = state.action;
    selResult.value = state.result;
    selType.value = state.type;
    if (tabChanged || !thead.firstChild) setHead();
    applyFilter();
    showDetail();
  }
  window.addEventListener('hashchange', function () { if (!writing) load(readHash()); });

  var timer = 0;
  search.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () { state.q = search.value; state.sel = ''; applyFilter(); showDetail(); writeHash(); }, 150);
  });
  [[selAction, 'action'], [selResult, 'result'], [selType, 'type']].forEach(function (p) {
    p[0].addEventListener('change', function () { state[p[1]] = p[0].value; state.sel = ''; applyFilter(); showDetail(); writeHash(); });
  });
  tabOps.addEventListener('click', function () { var n = readHash(); n.tab = 'operations'; n.sel = ''; load(n); writeHash(); });
  tabSkips.addEventListener('click', function () { var n = readHash(); n.tab = 'skips'; n.sel = ''; load(n); writeHash(); });

  state.tab = '';
  load(readHash());
  document.body.setAttribute('data-state', 'ready');
})();
