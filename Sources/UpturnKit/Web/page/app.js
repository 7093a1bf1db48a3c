// Upturn's companion page: plain JavaScript, no library, no build step.
'use strict';
const $ = (s) => document.querySelector(s);
const el = (tag, props = {}, ...children) => {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
};
const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, text) => {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
};

// ---- Talking to the box ----
class HttpError extends Error {
  constructor(status, data) { super((data && data.error) || ('HTTP ' + status)); this.status = status; this.data = data; }
}
async function api(method, path, body) {
  const options = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) { options.headers['Content-Type'] = 'application/json'; options.body = JSON.stringify(body); }
  let response;
  try { response = await fetch(path, options); } catch (e) { offline(true); throw e; }
  offline(false);
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (response.status === 401) { showPairing(); throw new HttpError(401, data); }
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}
function offline(on) { $('#offline').hidden = !on; }
function say(where, text) { $(where).textContent = text || ''; }

// ---- Views ----
let current = null;
function show(view) {
  for (const v of document.querySelectorAll('.view')) v.hidden = v.id !== view;
  for (const t of document.querySelectorAll('.tab')) t.classList.toggle('active', t.dataset.view === view);
  $('#tabs').hidden = view === 'pair';
  current = view;
  if (view === 'now') api('GET', '/api/status').then((s) => { status = s; statusAt = performance.now(); render(); }).catch(() => {});
  if (view === 'start') loadSessions();
  if (view === 'history') loadHistory();
  if (view === 'plan') loadPlans();
  if (view === 'voice') loadPacks();
  if (location.hash !== '#' + view && view !== 'pair') history.replaceState(null, '', '#' + view);
}
for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => show(t.dataset.view));

// ---- Pairing ----
function showPairing() {
  stopEvents();
  show('pair');
}
$('#pair-begin').addEventListener('click', async () => {
  say('#pair-message', '');
  try {
    await api('POST', '/api/pair/begin');
    $('#pair-form').hidden = false;
    $('#pair-code').focus();
  } catch (e) { say('#pair-message', e.message); }
});
$('#pair-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    await api('POST', '/api/pair', { code: $('#pair-code').value, name: $('#pair-name').value || 'phone' });
    $('#pair-form').hidden = true;
    $('#pair-code').value = '';
    start();
  } catch (e) { say('#pair-message', e.message); $('#pair-code').select(); }
});

// ---- Now: the live view ----
let status = { state: 'starting' };
let statusAt = performance.now();
let events = null;
function startEvents() {
  stopEvents();
  events = new EventSource('/api/events');
  events.onmessage = (m) => { status = JSON.parse(m.data); statusAt = performance.now(); offline(false); render(); };
  events.onopen = () => offline(false);
  events.onerror = () => {
    offline(true);
    if (events.readyState === EventSource.CLOSED) {
      // Refused (not paired any more?) or the box restarted: ask again in a moment.
      stopEvents();
      setTimeout(() => api('GET', '/api/hello').then(startEvents).catch(() => {}), 2000);
    }
  };
}
function stopEvents() { if (events) { events.close(); events = null; } }

function clock(seconds) {
  if (!(seconds >= 0)) return '–';
  const s = Math.max(0, Math.round(seconds));
  return Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0');
}
function longTime(seconds) {
  const m = Math.round(seconds / 60);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')}`;
}
function render() {
  const playing = status.state === 'playing';
  const elapsed = playing && !status.paused ? (performance.now() - statusAt) / 1000 : 0;
  const chip = $('#now-state');
  chip.textContent = playing ? (status.paused ? 'Paused' : 'Playing') : status.state === 'waiting' ? 'Waiting' : 'Starting';
  chip.className = 'chip ' + (playing ? (status.paused ? 'paused' : 'playing') : '');
  $('#now-session').textContent = playing ? status.session : (status.today ? `Today: ${status.today.program}, level ${status.today.level}` : '');
  $('#now-step').textContent = playing ? `${status.step + 1}/${status.steps} · ${status.title}` : (status.announced ? `Announced: ${status.announced}` : 'Waiting for a press');
  $('#now-checkin').hidden = !(playing && status.check_in);
  // With an angle sensor: the table's angle, the session waiting for it, the alarm.
  $('#now-alarm').hidden = !status.alarm;
  const table = $('#now-table');
  table.hidden = !('angle' in status);
  if ('angle' in status) {
    const angle = status.angle === null ? 'sensor lost' : `${Math.round(status.angle)}°`;
    table.textContent = status.waiting_for_table ? `Table ${angle}: waiting for the table` : `Table ${angle}`;
    table.classList.toggle('waiting', !!status.waiting_for_table);
  }
  $('#now-step-left').textContent = playing ? clock(status.step_left - elapsed) : '–';
  $('#now-session-left').textContent = playing ? clock(status.session_left - elapsed) : '–';
  const inverted = playing && status.inverted ? status.inverted_for + elapsed : 0;
  const cap = (playing && status.inverted_cap) || 300;
  const share = Math.min(1, inverted / cap);
  const bar = $('#now-inverted-bar');
  bar.style.width = (share * 100).toFixed(1) + '%';
  bar.className = share >= 0.9 ? 'red' : share >= 0.7 ? 'amber' : '';
  $('#now-inverted-text').textContent = playing && status.inverted ? (status.inverted_cap ? `${clock(inverted)} of ${clock(cap)}` : `${clock(inverted)} (no cap)`) : '(upright)';
  $('#btn-toggle').textContent = playing && status.paused ? 'Resume' : 'Pause';
  for (const b of ['#btn-back', '#btn-toggle', '#btn-next']) $(b).disabled = !playing;
  $('#btn-stop').disabled = !playing;
  keepAwake(playing);
}
setInterval(() => { if (current === 'now' && status.state === 'playing' && !status.paused) render(); }, 250);

async function control(command) {
  say('#now-message', '');
  try { await api('POST', '/api/control', { command }); } catch (e) { say('#now-message', e.message); }
}
$('#btn-back').addEventListener('click', () => control('back'));
$('#btn-next').addEventListener('click', () => control('skip'));
$('#btn-toggle').addEventListener('click', () => control(status.paused ? 'resume' : 'pause'));
$('#btn-stop').addEventListener('click', () => control('stop'));

// The phone's screen stays on while a session plays (where the browser can).
let wakeLock = null;
async function keepAwake(on) {
  if (!('wakeLock' in navigator)) return;
  try {
    if (on && !wakeLock && document.visibilityState === 'visible') {
      wakeLock = await navigator.wakeLock.request('screen');
      wakeLock.addEventListener('release', () => { wakeLock = null; });
    } else if (!on && wakeLock) { await wakeLock.release(); wakeLock = null; }
  } catch (e) { wakeLock = null; }
}
document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible') render(); });

// ---- Start ----
async function loadSessions() {
  say('#start-message', '');
  loadSettings();
  let data;
  try { data = await api('GET', '/api/sessions'); } catch (e) { say('#start-message', e.message); return; }
  const today = $('#today');
  today.replaceChildren();
  if (data.today) {
    const t = data.today;
    today.append(el('h2', { textContent: 'Today' }),
      el('p', { textContent: t.fallback ? `First time, because ${t.fallback}.` : `${t.title}: level ${t.level}, ${t.angle}°${t.extra_hold_seconds ? `, holds ${t.extra_hold_seconds} s longer` : ''}.` }));
    const why = el('details', {}, el('summary', { textContent: 'Why' }));
    const list = el('ul');
    for (const r of t.reasons) list.append(el('li', { textContent: r }));
    why.append(list, el('p', { textContent: t.rules }));
    today.append(why, startButton('today', 'Start today', true));
  }
  const programs = $('#programs');
  programs.replaceChildren(...data.programs.map((p) => el('li', {}, el('div', {}, p.title, el('small', { textContent: p.about })), startButton(p.name, 'Start'))));
  const plans = $('#plans');
  plans.replaceChildren(...(data.plans.length ? data.plans.map((p) => el('li', {}, el('div', {}, p.title || p.name, el('small', { textContent: p.name })), startButton(p.name, 'Start')))
    : [el('li', {}, el('div', {}, 'None yet.', el('small', { textContent: 'Write one under Plans.' })))]));
}
// Settings: steps of a fixed size on big buttons (sliders are hard to use with a thumb).
let settings = null;
async function loadSettings() {
  try { settings = await api('GET', '/api/settings'); } catch (e) { say('#settings-message', e.message); return; }
  $('#vol').textContent = settings.volume;
  $('#ceil').textContent = settings.ceiling + '°';
  $('#alone').checked = settings.alone;
  $('#vol-down').disabled = $('#vol-up').disabled = settings.volume_fixed;
  const choices = (select, items, chosen, label) => {
    select.replaceChildren(...items.map((i) => el('option', { value: i.name, textContent: label(i) })));
    if (!items.some((i) => i.name === chosen)) select.prepend(el('option', { value: chosen, textContent: chosen }));
    select.value = chosen;
  };
  choices($('#device'), settings.devices, settings.device, (d) => d.description ? `${d.description} (${d.name})` : d.name);
  choices($('#pack'), settings.packs, settings.pack, (p) => `${p.name} (${p.language})`);
  $('#device').disabled = settings.device_fixed;
  $('#pack').disabled = settings.pack_fixed;
  const fixed = [settings.volume_fixed && 'volume (--volume)', settings.device_fixed && 'speaker (--device)', settings.pack_fixed && 'voice (--pack)'].filter(Boolean);
  say('#settings-message', fixed.length ? `Fixed by the service: ${fixed.join(', ')}.` : '');
  $('#voice-control').hidden = !settings.voice;
  if (settings.voice) { $('#voice-on').checked = settings.voice.on; meter(); }
}
async function changeSetting(change) {
  say('#settings-message', '');
  try { settings = await api('PUT', '/api/settings', change); loadSettings(); } catch (e) { say('#settings-message', e.message); }
}
$('#vol-down').addEventListener('click', () => settings && changeSetting({ volume: Math.max(0, settings.volume - 10) }));
$('#vol-up').addEventListener('click', () => settings && changeSetting({ volume: Math.min(100, settings.volume + 10) }));
$('#ceil-down').addEventListener('click', () => settings && changeSetting({ ceiling: Math.max(20, settings.ceiling - 5) }));
$('#ceil-up').addEventListener('click', () => settings && changeSetting({ ceiling: Math.min(90, settings.ceiling + 5) }));
$('#alone').addEventListener('change', () => changeSetting({ alone: $('#alone').checked }));
$('#device').addEventListener('change', () => changeSetting({ device: $('#device').value }));
$('#pack').addEventListener('change', () => changeSetting({ pack: $('#pack').value }));
$('#voice-on').addEventListener('change', () => changeSetting({ voice_control: $('#voice-on').checked }));
// The microphone's level, asked five times a second while the settings are on screen (the
// live session is pushed; this meter is only for placing the microphone).
let metering = null;
function meter() {
  if (metering) return;
  const scale = (db) => Math.max(0, Math.min(100, (db + 60) / 60 * 100));
  metering = setInterval(async () => {
    if (current !== 'start' || document.visibilityState !== 'visible' || !settings || !settings.voice) { clearInterval(metering); metering = null; return; }
    let v;
    try { v = await api('GET', '/api/voice'); } catch (e) { return; }
    const bar = $('#voice-level');
    bar.style.width = scale(v.level).toFixed(0) + '%';
    bar.classList.toggle('low', v.too_low);
    $('#voice-floor').style.left = scale(v.quietest).toFixed(0) + '%';
    $('#voice-level-text').textContent = `${v.level.toFixed(0)} dBFS` + (v.too_low ? ': speak up, or move the microphone closer; commands must reach the line' : '') + (v.on ? '' : ' (voice control is off)');
  }, 200);
}

function startButton(plan, label, big) {
  const b = el('button', { textContent: label, className: big ? 'big primary' : '' });
  b.dataset.plan = plan;
  b.addEventListener('click', async () => {
    say('#start-message', '');
    try { await api('POST', '/api/start', { plan }); show('now'); } catch (e) { say('#start-message', e.message); }
  });
  return b;
}

// ---- History in pictures ----
function weekStart(d) { const x = new Date(d); x.setHours(0, 0, 0, 0); x.setDate(x.getDate() - ((x.getDay() + 6) % 7)); return x; }
function barChart(target, values, labels, unit, color) {
  const w = 360, h = 150, pad = 24, max = Math.max(1, ...values);
  const s = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img' });
  const bw = (w - pad * 2) / Math.max(1, values.length);
  values.forEach((v, i) => {
    const bh = (h - pad * 2) * v / max;
    s.append(svg('rect', { x: pad + i * bw + 2, y: h - pad - bh, width: Math.max(2, bw - 4), height: bh, rx: 3, fill: color }));
    if (labels[i] && i % Math.ceil(values.length / 6) === 0) s.append(svg('text', { x: pad + i * bw + bw / 2, y: h - 8, 'text-anchor': 'middle' }, labels[i]));
  });
  s.append(svg('text', { x: 4, y: 14 }, `${Math.round(max)} ${unit}`));
  s.append(svg('line', { x1: pad, x2: w - pad, y1: h - pad, y2: h - pad, stroke: '#3a4868' }));
  $(target).replaceChildren(values.length ? s : el('p', { textContent: 'No sessions yet.' }));
}
function lineChart(target, values, labels, unit, color) {
  const w = 360, h = 150, pad = 24, max = Math.max(1, ...values);
  const s = svg('svg', { viewBox: `0 0 ${w} ${h}`, role: 'img' });
  const step = (w - pad * 2) / Math.max(1, values.length - 1);
  const points = values.map((v, i) => `${pad + i * step},${h - pad - (h - pad * 2) * v / max}`);
  s.append(svg('polyline', { points: points.join(' '), fill: 'none', stroke: color, 'stroke-width': 3, 'stroke-linejoin': 'round' }));
  points.forEach((p) => { const [x, y] = p.split(','); s.append(svg('circle', { cx: x, cy: y, r: 3.5, fill: color })); });
  labels.forEach((l, i) => { if (l && i % Math.ceil(values.length / 6) === 0) s.append(svg('text', { x: pad + i * step, y: h - 8, 'text-anchor': 'middle' }, l)); });
  s.append(svg('text', { x: 4, y: 14 }, `${Math.round(max)} ${unit}`));
  $(target).replaceChildren(values.length ? s : el('p', { textContent: 'No sessions yet.' }));
}
function streak(sessions) {
  const days = new Set(sessions.filter((s) => s.ended === 'finished').map((s) => new Date(s.start).toDateString()));
  let n = 0; const d = new Date();
  if (!days.has(d.toDateString())) d.setDate(d.getDate() - 1);
  while (days.has(d.toDateString())) { n++; d.setDate(d.getDate() - 1); }
  return n;
}
async function loadHistory() {
  let data, sessions;
  try { [data, sessions] = await Promise.all([api('GET', '/api/history'), api('GET', '/api/sessions')]); } catch (e) { return; }
  const list = data.sessions;
  const sum = data.summary;
  const tile = (value, label) => el('div', {}, el('b', { textContent: value }), label);
  $('#tiles').replaceChildren(tile(sum.this_week, 'this week'), tile(longTime(sum.inverted_seconds), 'inverted in all'),
    tile(sum.highest_angle + '°', 'steepest'), tile(streak(list) + ' d', 'streak'));
  const weeks = [];
  const first = weekStart(new Date()); first.setDate(first.getDate() - 7 * 11);
  for (let i = 0; i < 12; i++) { const d = new Date(first); d.setDate(d.getDate() + 7 * i); weeks.push({ d, n: 0 }); }
  for (const s of list) { const w = weekStart(new Date(s.start)); const hit = weeks.find((x) => x.d.getTime() === w.getTime()); if (hit) hit.n++; }
  barChart('#chart-weeks', weeks.map((w) => w.n), weeks.map((w) => `${w.d.getDate()}/${w.d.getMonth() + 1}`), 'a week', '#fca311');
  const recent = list.slice(-30);
  const day = (s) => { const d = new Date(s.start); return `${d.getDate()}/${d.getMonth() + 1}`; };
  barChart('#chart-inverted', recent.map((s) => s.inverted_seconds / 60), recent.map(day), 'min', '#3fb68b');
  lineChart('#chart-angle', recent.map((s) => s.highest_angle), recent.map(day), '°', '#7aa2ff');
  // The table's angle through the last session measured by the sensor, a point a second.
  const measured = list.filter((s) => s.angle_measured && s.angle_trace && s.angle_trace.length > 1).pop();
  $('#trace-title').hidden = $('#chart-trace').hidden = !measured;
  if (measured) {
    const every = Math.max(1, Math.ceil(measured.angle_trace.length / 120));
    const points = measured.angle_trace.filter((_, i) => i % every === 0);
    lineChart('#chart-trace', points.map((v) => Math.max(0, v)), points.map((_, i) => `${Math.round(i * every / 60)}m`), '°', '#fca311');
  }
  const level = $('#level');
  const t = sessions.today;
  level.replaceChildren(el('p', { textContent: sum.level === null ? 'No level yet: the first session comes first.' : `Level ${sum.level}. Today: ${t ? t.angle + '°' : ''}.` }),
    el('p', { textContent: t ? t.rules : '' }));
}

// ---- Plans ----
let planTimer = null;
async function loadPlans() {
  let data;
  try { data = await api('GET', '/api/sessions'); } catch (e) { return; }
  const pick = $('#plan-pick');
  const keep = pick.value;
  pick.replaceChildren(el('option', { value: '', textContent: 'New plan…' }),
    ...data.plans.map((p) => el('option', { value: p.name, textContent: `${p.name} (yours)` })),
    ...data.programs.map((p) => el('option', { value: 'builtin:' + p.name, textContent: `Copy of ${p.title}` })));
  if (keep) pick.value = keep;
  if (!$('#plan-text').value) await pickPlan();
}
async function pickPlan() {
  const value = $('#plan-pick').value;
  const name = value.startsWith('builtin:') ? value.slice(8) : value;
  let text = '{\n  title: "My plan",\n  steps: [\n    {say: "Welcome."},\n  ],\n}\n';
  if (name) { try { text = (await api('GET', '/api/plans/' + encodeURIComponent(name))).text; } catch (e) { say('#plan-message', e.message); } }
  $('#plan-name').value = value.startsWith('builtin:') ? 'my-' + name : name;
  $('#plan-text').value = text;
  checkPlan();
}
$('#plan-pick').addEventListener('change', pickPlan);
$('#plan-text').addEventListener('input', () => { clearTimeout(planTimer); planTimer = setTimeout(checkPlan, 400); gutter([]); });
$('#plan-text').addEventListener('scroll', () => { $('#plan-gutter').scrollTop = $('#plan-text').scrollTop; });
function gutter(bad) {
  const lines = $('#plan-text').value.split('\n').length;
  const g = $('#plan-gutter');
  g.replaceChildren(...Array.from({ length: lines }, (_, i) => el('div', { textContent: String(i + 1), className: bad.includes(i + 1) ? 'bad' : '' })));
  g.scrollTop = $('#plan-text').scrollTop;
}
function showCheck(result) {
  const problems = $('#plan-problems');
  gutter(result.problems.map((p) => p.line).filter((l) => l));
  problems.replaceChildren(...(result.ok ? [el('li', { className: 'good', textContent: 'The plan is good.' })]
    : result.problems.map((p) => {
      const li = el('li', { textContent: p.line ? `Line ${p.line}, column ${p.column}: ${p.message}` : p.message });
      li.dataset.line = p.line || '';
      li.addEventListener('click', () => goTo(p.line, p.column));
      return li;
    })));
  const timeline = $('#plan-timeline');
  timeline.replaceChildren(...(result.timeline ? result.timeline.events.map((e) => {
    const li = el('li', { className: e.kind === 'step' ? 'step' : '' }, el('span', { className: 'at', textContent: clock(e.seconds) }),
      el('span', { textContent: e.kind === 'step' ? `${e.title}${e.angle ? ' · ' + e.angle + '°' : ''}` : e.kind === 'sound' ? `(${e.key})` : e.text }));
    if (e.kind === 'speech') {
      const play = el('button', { textContent: '▶', title: 'Say this on the box' });
      play.addEventListener('click', () => api('POST', '/api/say', { text: e.text }).catch((x) => say('#plan-message', x.message)));
      li.append(play);
    }
    return li;
  }) : []));
}
function goTo(line, column) {
  if (!line) return;
  const area = $('#plan-text');
  const lines = area.value.split('\n');
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  at += Math.max(0, (column || 1) - 1);
  area.focus();
  area.setSelectionRange(at, at + 1);
}
async function checkPlan() {
  try { showCheck(await api('POST', '/api/check', { name: $('#plan-name').value || 'plan', text: $('#plan-text').value })); } catch (e) { say('#plan-message', e.message); }
}
$('#plan-save').addEventListener('click', async () => {
  say('#plan-message', '');
  const name = $('#plan-name').value.trim();
  try {
    showCheck(await api('PUT', '/api/plans/' + encodeURIComponent(name), { text: $('#plan-text').value }));
    say('#plan-message', `Saved as ${name}.`);
    $('#plan-pick').value = '';
    loadPlans().then(() => { $('#plan-pick').value = name; });
  } catch (e) {
    if (e.data && e.data.problems) showCheck(e.data);
    say('#plan-message', e.status === 422 ? 'Not saved: the plan has problems.' : e.message);
  }
});


// ---- Your voice: the pack studio ----
// Recorded in the page where the browser gives a microphone (a secure context: TLS or
// localhost), else through the phone's own recorder (a file input); either way decoded here
// with Web Audio, trimmed of silence, and sent as a 16-bit WAV, which the box decodes again.
const canRecord = window.isSecureContext && navigator.mediaDevices && navigator.mediaDevices.getUserMedia;
let recording = null;
async function loadPacks(select) {
  let data;
  try { data = await api('GET', '/api/packs'); } catch (e) { return; }
  const pick = $('#pack-pick');
  const keep = select || pick.value;
  pick.replaceChildren(...data.packs.map((n) => el('option', { value: n, textContent: n })));
  if (!data.packs.length) pick.append(el('option', { value: '', textContent: 'No pack yet: make one below' }));
  if (keep && data.packs.includes(keep)) pick.value = keep;
  loadCues();
}
$('#pack-pick').addEventListener('change', () => loadCues());
$('#pack-new').addEventListener('submit', async (event) => {
  event.preventDefault();
  say('#voice-message', '');
  const name = $('#pack-name').value.trim();
  try { await api('POST', '/api/packs', { name }); $('#pack-name').value = ''; loadPacks(name); } catch (e) { say('#voice-message', e.message); }
});
async function loadCues() {
  const name = $('#pack-pick').value;
  const list = $('#cues');
  if (!name) { list.replaceChildren(); return; }
  let data;
  try { data = await api('GET', '/api/packs/' + encodeURIComponent(name)); } catch (e) { say('#voice-message', e.message); return; }
  list.replaceChildren(...data.cues.map((c) => {
    const actions = el('div', { className: 'cue-actions' });
    if (canRecord) {
      const rec = el('button', { textContent: 'Record' });
      rec.dataset.key = c.key;
      rec.addEventListener('click', () => startRecording(name, c));
      actions.append(rec);
    }
    const file = el('input', { type: 'file', accept: 'audio/*' });
    file.setAttribute('capture', '');
    file.dataset.key = c.key;
    file.addEventListener('change', () => { if (file.files[0]) fromFile(name, c, file.files[0]); });
    actions.append(el('label', {}, canRecord ? 'File' : 'Record', file));
    const hear = el('button', { textContent: '▶', title: 'Hear it on the box' });
    hear.addEventListener('click', () => api('POST', `/api/packs/${encodeURIComponent(name)}/audition`, { key: c.key }).catch((e) => say('#voice-message', e.message)));
    actions.append(hear);
    const li = el('li', { className: c.recorded ? 'done' : '' }, el('div', {}, c.words || c.key, el('small', { textContent: c.key })), actions);
    li.dataset.key = c.key;
    return li;
  }));
}
async function startRecording(pack, cue) {
  say('#voice-message', '');
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: true } }); } catch (e) { say('#voice-message', 'No microphone: ' + e.message); return; }
  const context = new AudioContext();
  const source = context.createMediaStreamSource(stream);
  const processor = context.createScriptProcessor(4096, 1, 1);
  const chunks = [];
  processor.onaudioprocess = (event) => {
    const input = event.inputBuffer.getChannelData(0);
    chunks.push(new Float32Array(input));
    let sum = 0;
    for (const x of input) sum += x * x;
    $('#recorder-level').style.width = Math.min(100, Math.sqrt(sum / input.length) * 400).toFixed(0) + '%';
  };
  source.connect(processor);
  processor.connect(context.destination);
  recording = { pack, cue, stream, context, processor, chunks };
  $('#recorder-what').textContent = `Say: “${cue.words}”`;
  $('#recorder').hidden = false;
  $('#recorder').scrollIntoView({ block: 'center' });
}
function endRecording() {
  if (!recording) return null;
  const r = recording;
  recording = null;
  r.processor.disconnect();
  r.stream.getTracks().forEach((t) => t.stop());
  r.context.close();
  $('#recorder').hidden = true;
  return r;
}
$('#recorder-cancel').addEventListener('click', endRecording);
$('#recorder-stop').addEventListener('click', async () => {
  const r = endRecording();
  if (!r) return;
  const samples = new Float32Array(r.chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of r.chunks) { samples.set(c, at); at += c.length; }
  review(r.pack, r.cue, samples, r.context.sampleRate);
});
async function fromFile(pack, cue, file) {
  say('#voice-message', '');
  try {
    const context = new AudioContext();
    const decoded = await context.decodeAudioData(await file.arrayBuffer());
    const samples = new Float32Array(decoded.length);
    for (let ch = 0; ch < decoded.numberOfChannels; ch++) {
      const data = decoded.getChannelData(ch);
      for (let i = 0; i < data.length; i++) samples[i] += data[i] / decoded.numberOfChannels;
    }
    context.close();
    review(pack, cue, samples, decoded.sampleRate);
  } catch (e) { say('#voice-message', 'That file is not a recording the browser can read.'); }
}
// Silence at either end is cut, with a little kept (0.15 s): where the sound starts and ends.
function trim(samples, rate) {
  const threshold = 0.02;
  let first = samples.findIndex((x) => Math.abs(x) > threshold);
  if (first < 0) return null;
  let last = samples.length - 1;
  while (last > first && Math.abs(samples[last]) <= threshold) last--;
  const margin = Math.round(rate * 0.15);
  return { start: Math.max(0, first - margin), end: Math.min(samples.length, last + margin) };
}
function wav(samples, rate) {
  const bytes = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const text = (at, s) => { for (let i = 0; i < s.length; i++) bytes.setUint8(at + i, s.charCodeAt(i)); };
  text(0, 'RIFF'); bytes.setUint32(4, 36 + samples.length * 2, true); text(8, 'WAVEfmt ');
  bytes.setUint32(16, 16, true); bytes.setUint16(20, 1, true); bytes.setUint16(22, 1, true);
  bytes.setUint32(24, rate, true); bytes.setUint32(28, rate * 2, true); bytes.setUint16(32, 2, true); bytes.setUint16(34, 16, true);
  text(36, 'data'); bytes.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) bytes.setInt16(44 + i * 2, Math.max(-1, Math.min(1, samples[i])) * 32767, true);
  return bytes.buffer;
}
// A recording is shown before it is kept: its wave, where it starts and ends (found by
// cutting the silence, moved on big buttons in steps of 0.05 s), heard on the phone first.
let trimming = null;
const trimStep = 0.05;
function review(pack, cue, samples, rate) {
  const kept = trim(samples, rate);
  if (!kept) { say('#voice-message', 'Nothing was heard: try again closer to the microphone.'); return; }
  trimming = { pack, cue, samples, rate, start: kept.start, end: kept.end };
  $('#trimmer-what').textContent = `“${cue.words}”`;
  $('#trimmer').hidden = false;
  drawTrim();
  $('#trimmer').scrollIntoView({ block: 'center' });
}
function drawTrim() {
  const t = trimming;
  const bins = 150, per = Math.max(1, Math.floor(t.samples.length / bins));
  let path = '';
  for (let b = 0; b < bins; b++) {
    let peak = 0;
    for (let i = b * per; i < Math.min(t.samples.length, (b + 1) * per); i++) peak = Math.max(peak, Math.abs(t.samples[i]));
    const h = Math.max(0.5, Math.min(1, peak) * 30);
    path += `M${b * 2} ${32 - h}h1.6v${2 * h}h-1.6z`;
  }
  const x = (i) => (i / t.samples.length * 300).toFixed(1);
  const wave = $('#trimmer-wave');
  wave.innerHTML = '';
  const ns = 'http://www.w3.org/2000/svg';
  const shape = (tag, attrs) => { const e = document.createElementNS(ns, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); wave.append(e); };
  shape('path', { d: path, class: 'wave' });
  shape('rect', { x: 0, y: 0, width: x(t.start), height: 64, class: 'cut' });
  shape('rect', { x: x(t.end), y: 0, width: (300 - x(t.end)).toFixed(1), height: 64, class: 'cut' });
  $('#trim-start').textContent = (t.start / t.rate).toFixed(2) + ' s';
  $('#trim-end').textContent = (t.end / t.rate).toFixed(2) + ' s';
}
function moveTrim(which, seconds) {
  const t = trimming;
  if (!t) return;
  const step = Math.round(seconds * t.rate), least = Math.round(0.1 * t.rate);
  if (which === 'start') t.start = Math.max(0, Math.min(t.end - least, t.start + step));
  else t.end = Math.min(t.samples.length, Math.max(t.start + least, t.end + step));
  drawTrim();
}
$('#trim-start-down').addEventListener('click', () => moveTrim('start', -trimStep));
$('#trim-start-up').addEventListener('click', () => moveTrim('start', trimStep));
$('#trim-end-down').addEventListener('click', () => moveTrim('end', -trimStep));
$('#trim-end-up').addEventListener('click', () => moveTrim('end', trimStep));
$('#trim-play').addEventListener('click', () => {
  const t = trimming;
  if (!t) return;
  const context = new AudioContext();
  const clip = t.samples.subarray(t.start, t.end);
  const buffer = context.createBuffer(1, clip.length, t.rate);
  buffer.copyToChannel(clip, 0);
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.connect(context.destination);
  source.onended = () => context.close();
  source.start();
});
$('#trim-cancel').addEventListener('click', () => { trimming = null; $('#trimmer').hidden = true; });
$('#trim-keep').addEventListener('click', async () => {
  const t = trimming;
  if (!t) return;
  trimming = null;
  $('#trimmer').hidden = true;
  await upload(t.pack, t.cue, t.samples.subarray(t.start, t.end), t.rate);
});
async function upload(pack, cue, kept, rate) {
  let response;
  try {
    response = await fetch(`/api/packs/${encodeURIComponent(pack)}/cues/${encodeURIComponent(cue.key)}`, {
      method: 'PUT', credentials: 'same-origin', headers: { 'Content-Type': 'audio/wav' }, body: wav(kept, Math.round(rate)) });
  } catch (e) { offline(true); return; }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) { say('#voice-message', data.error || 'Not kept.'); return; }
  say('#voice-message', `Kept “${cue.words}” (${data.seconds.toFixed(2)} s).`);
  loadCues();
}
$('#pack-check').addEventListener('click', async () => {
  const name = $('#pack-pick').value;
  if (!name) return;
  try {
    const result = await api('POST', `/api/packs/${encodeURIComponent(name)}/check`);
    $('#pack-problems').replaceChildren(...(result.ok ? [el('li', { className: 'good', textContent: `The pack is good: play it with --pack ${name}.` })]
      : result.problems.map((p) => el('li', { textContent: p }))));
  } catch (e) { say('#voice-message', e.message); }
});

// ---- Start-up ----
async function start() {
  try {
    await api('GET', '/api/hello');
  } catch (e) { return; }
  startEvents();
  const view = location.hash.slice(1);
  show(['now', 'start', 'history', 'plan', 'voice'].includes(view) ? view : 'now');
}
start();
