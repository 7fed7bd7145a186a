// covgapd's dashboard (docs/web.md "Dashboard"). Reads, with the token of ?token= (kept in
// sessionStorage and sent as Authorization: Bearer, then taken out of the address bar):
//   /dashboard/api/me, /todo, /gaps/{id}/history, /schools, /progress   (the dashboard's API)
//   /collections/districts/items, /collections/gaps/items               (the map's layers, OGC API)
// Gaps are coloured by the status they show (colours.js); the filters (operator, technology,
// district) narrow the to-do table and the map alike; a table row pans the map to its gap and
// opens the gap's panel with its history. Labels in Vietnamese and English (i18n.js).
// For tests: document.body.dataset.ready is "1" once everything is drawn, "error" on a failure;
// window.covgapDashboard exposes the map.
'use strict';
(function () {
  const COLOURS = window.COVGAP_STATUS_COLOURS;
  const LABELS = window.COVGAP_LABELS;
  const TABLE_ROWS = 300;  // rows of the to-do table drawn (the list itself is complete)
  const SCHOOL_FILL = {covered: '#ffffff', uncertain: '#bdbdbd', no_data: '#8c8c8c',
                       white_zone: '#000000'};

  let lang = localStorage.getItem('covgap.lang') === 'en' ? 'en' : 'vi';
  let me = null;
  let gapFeatures = [];      // every gap feature the token may see (GeoJSON)
  let todoRows = new Map();  // gap id -> to-do row, for the current filters
  let selected = null;       // the gap id of the open panel
  let progress = null, schools = null;
  let progressError = null, schoolsError = null;

  const $ = (id) => document.getElementById(id);
  const t = (key, vars) => {
    let s = (LABELS[lang] && LABELS[lang][key]) || LABELS.vi[key] || key;
    for (const [k, v] of Object.entries(vars || {})) s = s.replace('{' + k + '}', v);
    return s;
  };
  const el = (tag, attrs, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else if (k === 'style') e.style.cssText = v;
      else e[k] = v;
    }
    for (const c of children) e.append(c instanceof Node ? c : String(c ?? ''));
    return e;
  };
  const num = (n) => Number(n).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
  const statusLabel = (s) => t('st_' + s);
  const chip = (status) => el('span', {class: 'chip', style: 'background:' + (COLOURS[status] || '#777')});

  // ---- the token and the API ----
  function takeToken() {
    const url = new URL(location.href);
    const fromUrl = url.searchParams.get('token');
    if (fromUrl) {
      sessionStorage.setItem('covgap.token', fromUrl);
      url.searchParams.delete('token');
      history.replaceState(null, '', url.pathname + url.search + url.hash);
    }
    return sessionStorage.getItem('covgap.token');
  }
  const token = takeToken();

  class ApiError extends Error {
    constructor(status, message) { super(message); this.status = status; }
  }
  async function api(path) {
    const res = await fetch(path, {headers: {Authorization: 'Bearer ' + token,
                                             Accept: 'application/json'}});
    let body = null;
    try { body = await res.json(); } catch (e) { body = null; }
    if (!res.ok) {
      throw new ApiError(res.status, (body && body.description) || res.statusText);
    }
    return body;
  }
  function showMessage(text) {
    const m = $('message');
    m.textContent = text;
    m.hidden = !text;
  }
  function explain(err) {
    if (err.status === 401) return t('bad_token');
    if (err.status === 403) return t('forbidden') + ' ' + err.message;
    if (err.status === 409) return err.message;
    return err.message || String(err);
  }

  // ---- the map ----
  const map = L.map('map', {zoomSnap: 0.25, preferCanvas: false});
  map.attributionControl.setPrefix('Leaflet');
  map.attributionControl.addAttribution('covgap');
  map.setView([21.3, 106.4], 9);
  const districtLayer = L.geoJSON(null, {
    style: {color: '#555555', weight: 1, fill: true, fillColor: '#f4f1e8', fillOpacity: 1},
    onEachFeature: (f, layer) => layer.bindTooltip(f.properties.name, {sticky: true}),
  }).addTo(map);
  const schoolLayer = L.layerGroup().addTo(map);
  const gapLayer = L.geoJSON(null, {
    style: (f) => gapStyle(f.id),
    onEachFeature: (f, layer) => layer.on('click', () => openGap(f.id)),
  }).addTo(map);
  const highlight = L.geoJSON(null, {
    style: {color: '#ffd400', weight: 5, fill: false, dashArray: '6 4', interactive: false},
  }).addTo(map);

  function gapStyle(id) {
    const row = todoRows.get(id);
    const status = row ? row.shown_status : 'open';
    const colour = COLOURS[status] || '#777777';
    return {color: colour, weight: 2, opacity: 1, fillColor: colour, fillOpacity: 0.55,
            className: 'gap gap-' + status};
  }

  function drawGaps() {
    gapLayer.clearLayers();
    // Open gaps first, so that the few whose status moved are drawn on top of them.
    const shown = gapFeatures.filter((f) => todoRows.has(f.id));
    const moved = (f) => (todoRows.get(f.id).shown_status === 'open' ? 0 : 1);
    shown.sort((a, b) => moved(a) - moved(b));
    gapLayer.addData({type: 'FeatureCollection', features: shown});
    document.body.dataset.gapsDrawn = String(gapLayer.getLayers().length);
  }

  async function loadCollection(path) {
    const features = [];
    let next = path;
    while (next) {
      const page = await api(next);
      features.push(...page.features);
      const link = (page.links || []).find((l) => l.rel === 'next');
      next = link ? new URL(link.href).pathname + new URL(link.href).search : null;
    }
    return features;
  }

  function drawSchools() {
    schoolLayer.clearLayers();
    if (!schools) return;
    for (const s of schools.schools) {
      L.circleMarker([s.lat, s.lon], {radius: 3, color: '#333333', weight: 1,
                                      fillColor: SCHOOL_FILL[s.signal] || '#8c8c8c',
                                      fillOpacity: 1})
          .bindTooltip(s.name + ' — ' + t('sig_' + s.signal))
          .addTo(schoolLayer);
    }
  }

  function drawLegend() {
    const box = $('legend');
    box.replaceChildren(el('strong', {}, t('legend')));
    for (const s of ['open', 'planned', 'cleared', 'verified', 'reopened']) {
      box.append(el('div', {}, chip(s), ' ', statusLabel(s)));
    }
  }

  // ---- filters and the to-do table ----
  function filterQuery() {
    const q = new URLSearchParams();
    for (const [name, id] of [['operator', 'f-operator'], ['tech', 'f-tech'],
                              ['district', 'f-district']]) {
      if ($(id).value) q.set(name, $(id).value);
    }
    return q.toString();
  }

  async function loadTodo() {
    const q = filterQuery();
    const doc = await api('/dashboard/api/todo' + (q ? '?' + q : ''));
    todoRows = new Map(doc.gaps.map((g) => [g.gap_id, g]));
    drawGaps();
    drawTodo();
    if (schools || schoolsError) await loadSchools();
  }

  function operatorLabel(g) {
    return g.kind === 'common' ? t('common') + (g.contains ? ' [' + g.contains + ']' : '')
                               : g.operator_id;
  }

  function drawTodo() {
    const rows = [...todoRows.values()].filter((g) => g.shown_status !== 'verified');
    const shown = rows.slice(0, TABLE_ROWS);
    $('todo-count').textContent = t('todo_count', {
      n: num(rows.length),
      more: rows.length > shown.length ? t('todo_more', {shown: num(shown.length)}) : ''});
    const body = $('todo').tBodies[0];
    body.replaceChildren(...shown.map((g) => {
      const tr = el('tr', {'data-gap': g.gap_id, tabIndex: 0},
                    el('td', {}, g.rank), el('td', {class: 'id'}, g.gap_id),
                    el('td', {}, operatorLabel(g)), el('td', {}, g.tech),
                    el('td', {}, g.district), el('td', {}, chip(g.shown_status), ' ',
                                                   statusLabel(g.shown_status)),
                    el('td', {class: 'n'}, num(g.students_nodev)), el('td', {}, g.target || ''));
      if (g.gap_id === selected) tr.classList.add('selected');
      tr.addEventListener('click', () => openGap(g.gap_id, true));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') openGap(g.gap_id, true); });
      return tr;
    }));
  }

  function fillSelect(select, values) {
    const keep = select.value;
    while (select.options.length > 1) select.remove(1);
    for (const [value, label] of values) select.add(new Option(label, value));
    select.value = keep;
  }

  // ---- the gap panel ----
  async function openGap(id, pan) {
    selected = id;
    for (const tr of $('todo').tBodies[0].rows) {
      tr.classList.toggle('selected', tr.dataset.gap === id);
    }
    const row = todoRows.get(id);
    if (pan && row && row.bbox) {
      const [x0, y0, x1, y1] = row.bbox;
      map.fitBounds([[y0, x0], [y1, x1]], {maxZoom: 14, padding: [40, 40], animate: false});
    }
    highlight.clearLayers();
    const feature = gapFeatures.find((f) => f.id === id);
    if (feature) highlight.addData(feature);
    const panel = $('panel');
    const body = $('panel-body');
    panel.hidden = false;
    body.replaceChildren(el('p', {}, t('loading')));
    try {
      const doc = await api('/dashboard/api/gaps/' + encodeURIComponent(id) + '/history');
      if (selected !== id) return;
      drawPanel(doc);
    } catch (err) {
      body.replaceChildren(el('p', {class: 'error'}, explain(err)));
    }
  }

  function drawPanel(doc) {
    const g = doc.gap;
    const facts = [
      [t('col_status'), [chip(g.shown_status), ' ', statusLabel(g.shown_status)]],
      [t('rank'), [g.rank]], [t('kind'), [operatorLabel(g)]], [t('tech'), [g.tech]],
      [t('district'), [g.district + (g.commune ? ', ' + g.commune : '')]],
      [t('score'), [Number(g.score).toFixed(2)]],
      [t('area'), [num(Math.round(g.area_m2 / 1e4 * 10) / 10) + ' ha']],
      [t('schools_in'), [num(g.schools)]], [t('col_students'), [num(g.students_nodev)]],
      [t('poor'), [num(g.poor_hh) + ' / ' + num(g.npoor_hh)]],
    ];
    if (g.plan) facts.push([t('plan'), [g.plan + (g.target ? ' (' + g.target + ')' : '')]]);
    if (g.status_note) facts.push([t('note'), [g.status_note]]);
    const table = el('table', {class: 'facts'},
                     ...facts.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, ...v))));
    const events = el('ol', {class: 'history'});
    for (const e of doc.events) {
      events.append(el('li', {'data-event': e.type},
                       el('time', {}, e.time.slice(0, 16).replace('T', ' ')), ' ',
                       el('strong', {}, t('ev_' + e.type)),
                       e.to_status ? ' → ' + statusLabel(e.to_status) : '',
                       e.note ? el('div', {class: 'note'}, e.note) : '',
                       el('div', {class: 'actor'}, e.actor)));
    }
    if (!doc.events.length) events.append(el('li', {}, t('no_events')));
    $('panel-body').replaceChildren(el('h2', {}, t('gap') + ' ' + g.gap_id), table,
                                    el('h3', {}, t('history')), events);
  }

  // ---- schools ----
  async function loadSchools() {
    const district = $('f-district').value;
    try {
      schools = await api('/dashboard/api/schools' +
                          (district ? '?district=' + encodeURIComponent(district) : ''));
      schoolsError = null;
    } catch (err) {
      schools = null;
      schoolsError = err;
    }
    drawSchools();
    drawSchoolTable();
  }

  function drawSchoolTable() {
    const body = $('schools').tBodies[0];
    if (!schools) {
      $('schools-count').textContent = schoolsError ? explain(schoolsError) : '';
      body.replaceChildren();
      return;
    }
    $('schools-count').textContent = t('schools_count', {
      n: num(schools.total_schools), wz: num(schools.white_zone_schools),
      st: num(schools.white_zone_students)});
    const order = {white_zone: 0, uncertain: 1, no_data: 2, covered: 3};
    const rows = [...schools.schools].sort((a, b) => order[a.signal] - order[b.signal] ||
                                                     b.students_nodev - a.students_nodev);
    body.replaceChildren(...rows.map((s) => {
      const tr = el('tr', {'data-school': s.school_id},
                    el('td', {}, s.name), el('td', {}, s.district), el('td', {class: 'n'}, num(s.students)),
                    el('td', {class: 'n'}, num(s.students_nodev)),
                    el('td', {class: 'signal-' + s.signal}, t('sig_' + s.signal)));
      tr.addEventListener('click', () => map.setView([s.lat, s.lon], 14, {animate: false}));
      return tr;
    }));
  }

  // ---- progress against the deadline ----
  async function loadProgress() {
    if (!me.may_read_progress) {
      progressError = new ApiError(403, '');
      return;
    }
    try {
      // ?as_of=YYYY-MM-DD on the page's URL reads the figures as of that day (the demo's).
      const asOf = new URL(location.href).searchParams.get('as_of');
      progress = await api('/dashboard/api/progress' +
                           (asOf ? '?as_of=' + encodeURIComponent(asOf) : ''));
    } catch (err) {
      progressError = err;
    }
  }

  function card(value, label) {
    return el('div', {class: 'card'}, el('div', {class: 'value'}, value), el('div', {}, label));
  }
  function statusCells(c) {
    return [c.open, c.planned, c.cleared, c.verified].map((n) => el('td', {class: 'n'}, num(n)));
  }

  function drawProgress() {
    const summary = $('progress-summary');
    const tab = $('tab-progress');
    if (!progress) {
      const text = !progressError ? ''
                   : progressError.status === 403 ? t('progress_forbidden') : explain(progressError);
      summary.replaceChildren(el('p', {class: 'muted'}, text));
      tab.replaceChildren(el('p', {class: 'muted'}, text));
      return;
    }
    const p = progress;
    summary.replaceChildren(
        card(num(p.days_left), t('days_left') + ' (' + t('deadline') + ' ' + p.deadline + ')'),
        card(num(p.total.gaps.open + p.total.gaps.planned),
             t('operator_gaps') + ': ' + statusLabel('open') + ' + ' + statusLabel('planned')),
        card(num(p.total.gaps.cleared + p.total.gaps.verified),
             statusLabel('cleared') + ' + ' + statusLabel('verified')),
        card(num(p.total.students_now) + ' / ' + num(p.total.students_start),
             t('students_now') + ' / ' + t('students_start')));
    const head = (first) => el('tr', {}, el('th', {}, first),
                               ...['open', 'planned', 'cleared', 'verified'].map(
                                   (s) => el('th', {}, chip(s), ' ', statusLabel(s))),
                               el('th', {}, t('students_now')), el('th', {}, t('overdue')));
    const row = (label, r) => el('tr', {}, el('td', {}, label), ...statusCells(r.gaps),
                                 el('td', {class: 'n'}, num(r.students_now)),
                                 el('td', {class: 'n'}, num(r.overdue_plans)));
    const rt = p.readiness_total;
    tab.replaceChildren(
        el('p', {}, t('as_of') + ' ' + p.as_of.slice(0, 10) + ' · ' + t('deadline') + ' ' +
                    p.deadline + ' · ' + t('days_left') + ' ' + p.days_left),
        el('ul', {},
           el('li', {}, t('common_gaps') + ': ' + ['open', 'planned', 'cleared', 'verified']
               .map((s) => statusLabel(s) + ' ' + num(p.common_gaps[s])).join(', ')),
           el('li', {}, t('overdue') + ': ' + num(p.total.overdue_plans) + '; ' +
                        t('after_deadline') + ': ' + num(p.total.plans_after_deadline))),
        el('h3', {}, t('by_district')),
        el('table', {id: 'progress-districts'}, head(t('district')),
           ...p.districts.map((d) => row(d.district || '—', d)), row(t('total'), p.total)),
        el('h3', {}, t('by_operator')),
        el('table', {}, head(t('operator')), ...p.operators.map((o) => row(o.operator_id, o))),
        el('h3', {}, t('readiness')),
        el('table', {},
           el('tr', {}, el('th', {}, t('district')), el('th', {}, t('schools')),
              el('th', {}, t('white_zone')), el('th', {}, t('col_students'))),
           ...p.readiness.map((r) => el('tr', {}, el('td', {}, r.district || '—'),
                                        el('td', {class: 'n'}, num(r.schools)),
                                        el('td', {class: 'n'}, num(r.schools_white_zone)),
                                        el('td', {class: 'n'}, num(r.students_nodev)))),
           el('tr', {}, el('td', {}, t('total')), el('td', {class: 'n'}, num(rt.schools)),
              el('td', {class: 'n'}, num(rt.schools_white_zone)),
              el('td', {class: 'n'}, num(rt.students_nodev)))));
  }

  // ---- language, tabs, start ----
  function applyLanguage() {
    document.documentElement.lang = lang;
    for (const e of document.querySelectorAll('[data-i18n]')) e.textContent = t(e.dataset.i18n);
    for (const b of document.querySelectorAll('.lang button')) {
      b.classList.toggle('active', b.dataset.lang === lang);
    }
    if (me) $('who').textContent = me.caller;
    drawLegend();
    if (me) {
      drawTodo();
      drawSchoolTable();
      drawProgress();
      if (selected) openGap(selected, false);
    }
  }

  for (const b of document.querySelectorAll('.lang button')) {
    b.addEventListener('click', () => {
      lang = b.dataset.lang;
      localStorage.setItem('covgap.lang', lang);
      applyLanguage();
    });
  }
  for (const b of document.querySelectorAll('.tabs button')) {
    b.addEventListener('click', () => {
      for (const o of document.querySelectorAll('.tabs button')) o.classList.toggle('active', o === b);
      for (const s of document.querySelectorAll('.tab')) s.hidden = s.id !== 'tab-' + b.dataset.tab;
    });
  }
  for (const id of ['f-operator', 'f-tech', 'f-district']) {
    $(id).addEventListener('change', () => {
      document.body.dataset.ready = '0';
      loadTodo().then(() => { document.body.dataset.ready = '1'; }, fail);
    });
  }
  $('panel-close').addEventListener('click', () => {
    $('panel').hidden = true;
    selected = null;
    highlight.clearLayers();
  });

  function fail(err) {
    showMessage(explain(err));
    document.body.dataset.ready = 'error';
  }

  async function start() {
    applyLanguage();
    if (!token) {
      showMessage(t('no_token'));
      document.body.dataset.ready = 'error';
      return;
    }
    me = await api('/dashboard/api/me');
    $('who').textContent = me.caller;
    if (!me.latest_run) showMessage(t('no_run'));
    const [districts, gaps] = await Promise.all([
      loadCollection('/collections/districts/items?limit=1000&f=json'),
      loadCollection('/collections/gaps/items?limit=10000&f=json'),
    ]);
    districtLayer.addData({type: 'FeatureCollection', features: districts});
    if (districtLayer.getLayers().length) map.fitBounds(districtLayer.getBounds());
    fillSelect($('f-district'), districts.map((d) => d.properties.name).sort()
                                         .map((n) => [n, n]));
    gapFeatures = gaps;
    const operators = [...new Set(gaps.map((f) => f.properties.operator).filter(Boolean))].sort();
    if (me.role === 'operator') {
      fillSelect($('f-operator'), [[me.operator_id, me.operator_id]]);
    } else {
      fillSelect($('f-operator'), operators.map((o) => [o, o]));
    }
    await Promise.all([loadTodo(), loadSchools(), loadProgress()]);
    applyLanguage();
    document.body.dataset.ready = '1';
  }

  window.covgapDashboard = {map, gapLayer, openGap};
  start().catch(fail);
})();
