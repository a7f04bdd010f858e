// alike's web page: search the library with a picture, browse by clicking results, add pictures.
// Plain JavaScript over the JSON API (/openapi.json describes it); nothing is fetched from
// anywhere but this server.
'use strict';

const $ = (selector) => document.querySelector(selector);
const KEY_STORAGE = 'alike.apiKey';

const state = {
  key: localStorage.getItem(KEY_STORAGE) || '',
  // Routes found in /openapi.json for the modes that not every server has (see findRoutes).
  routes: { copies: null, copiesById: null, faces: null, facesById: null, duplicates: null },
  query: null,      // {blob, name} for a picture, or {id, name} for a library image
  objectUrls: [],   // thumbnails fetched with the API key, released when replaced
  searchSerial: 0,  // answers to superseded searches are dropped
};

// ---- The API -------------------------------------------------------------------------------

class ApiError extends Error {}

// Calls the API with the key, if any; returns parsed JSON (or a Blob for pictures). A failure
// throws ApiError with the API's own message ({"error": {"message": ...}}).
async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (state.key) headers.set('Authorization', 'Bearer ' + state.key);
  let res;
  try {
    res = await fetch(path, { ...options, headers });
  } catch (e) {
    throw new ApiError(`The server cannot be reached (${e.message}).`);
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    if (type.includes('json')) {
      const body = await res.json().catch(() => null);
      if (body && body.error && body.error.message) message = body.error.message;
    }
    if (res.status === 401) message += ' — enter one under "API key" at the top.';
    throw new ApiError(message);
  }
  return type.includes('json') ? res.json() : res.blob();
}

function postPicture(path, blob) {
  return api(path, {
    method: 'POST',
    headers: { 'Content-Type': blob.type || 'application/octet-stream' },
    body: blob,
  });
}

// Copy, face and duplicate search are optional parts of the API: the page offers them only when
// /openapi.json lists routes for them (a POST route naming "cop"/"face" for a picture, a GET
// route with {id} to search from a library image, and a GET route naming "dup").
function findRoutes(paths) {
  const find = (word, method, byId) =>
    Object.keys(paths).find((p) => p.includes(word) && paths[p][method] &&
                                   p.includes('{id}') === byId) || null;
  state.routes = {
    copies: find('cop', 'post', false),
    copiesById: find('cop', 'get', true),
    faces: find('face', 'post', false),
    facesById: find('face', 'get', true),
    duplicates: find('dup', 'get', false),
  };
}

// ---- Messages ------------------------------------------------------------------------------

function showError(message) {
  $('#error-text').textContent = message;
  $('#error').hidden = false;
}

function clearError() {
  $('#error').hidden = true;
}

// ---- Thumbnails ----------------------------------------------------------------------------

// Without a key an <img> loads the thumbnail itself (and the browser caches it); with one, the
// request must carry the key, which only fetch can add.
function loadThumbnail(img, id) {
  const url = `/v1/images/${id}/thumbnail`;
  if (!state.key) {
    img.src = url;
    return;
  }
  api(url).then((blob) => {
    const objectUrl = URL.createObjectURL(blob);
    state.objectUrls.push(objectUrl);
    img.src = objectUrl;
  }).catch(() => img.classList.add('broken'));
}

function releaseThumbnails() {
  state.objectUrls.forEach((u) => URL.revokeObjectURL(u));
  state.objectUrls = [];
}

function baseName(path) {
  return path ? path.split('/').pop() : '';
}

// ---- Library -------------------------------------------------------------------------------

function humanBytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (n >= 1024 && u < units.length - 1) { n /= 1024; u++; }
  return `${u ? n.toFixed(1) : n} ${units[u]}`;
}

async function loadLibrary() {
  const lib = await api('/v1/library');
  const spaces = lib.spaces.map((s) => `${s.embedder} (${s.vectors})`).join(', ');
  $('#stats').textContent = `${lib.images} images · ${lib.files} files · ` +
      `${humanBytes(lib.image_bytes)} · spaces: ${spaces || 'none'}`;
  const by = $('#by');
  const chosen = by.value;
  by.replaceChildren(...lib.spaces.map((s) => new Option(s.embedder, s.embedder)));
  // The library's first embedder is the server's default; keep the user's choice if any.
  if (chosen && lib.spaces.some((s) => s.embedder === chosen)) by.value = chosen;
}

// ---- Search --------------------------------------------------------------------------------

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

function searchParams() {
  const params = new URLSearchParams({ k: $('#k').value || '24' });
  if (mode() === 'similar' && $('#by').value) params.set('by', $('#by').value);
  return params;
}

function showQuery(query) {
  const img = $('#query-img');
  releaseThumbnails();
  if (img.dataset.objectUrl) URL.revokeObjectURL(img.dataset.objectUrl);
  delete img.dataset.objectUrl;
  if (query.blob) {
    img.dataset.objectUrl = URL.createObjectURL(query.blob);
    img.src = img.dataset.objectUrl;
  } else {
    loadThumbnail(img, query.id);
  }
  $('#face-boxes').replaceChildren();
  $('#query-view').hidden = false;
  $('#drop').classList.add('has-query');
}

// The request for the current query and mode, or null with a reason when it cannot be made.
function searchRequest(query) {
  const params = searchParams();
  const m = mode();
  if (query.blob) {
    const path = { similar: '/v1/search', copies: state.routes.copies, faces: state.routes.faces }[m];
    return () => postPicture(`${path}?${params}`, query.blob);
  }
  const template = {
    similar: '/v1/images/{id}/similar',
    copies: state.routes.copiesById,
    faces: state.routes.facesById,
  }[m];
  if (!template) return null;
  return () => api(`${template.replace('{id}', query.id)}?${params}`);
}

async function search(query) {
  clearError();
  const serial = ++state.searchSerial;
  if (query !== state.query) {
    state.query = query;
    showQuery(query);
  }
  const request = searchRequest(query);
  if (!request) {
    showError(`This server searches ${mode()} only from a picture: drop or paste one.`);
    return;
  }
  $('#results-caption').textContent = 'Searching…';
  document.body.classList.add('busy');
  const started = performance.now();
  try {
    const answer = await request();
    if (serial !== state.searchSerial) return;
    const ms = Math.round(performance.now() - started);
    const hits = answer.results || answer.matches || [];
    renderHits(hits, query, ms);
    drawFaceBoxes(answer);
  } catch (e) {
    if (serial !== state.searchSerial) return;
    // Results left from the previous query would read as this query's.
    $('#results-caption').textContent = 'The search failed.';
    $('#grid').replaceChildren();
    showError(e.message);
  } finally {
    if (serial === state.searchSerial) document.body.classList.remove('busy');
  }
}

function renderHits(hits, query, ms) {
  const how = mode() === 'similar' ? `similar by ${$('#by').value || 'default'}` : mode();
  $('#results-caption').textContent = hits.length
    ? `${hits.length} results for ${query.name}, ${how} (${ms} ms). Select one to search from it.`
    : `Nothing found for ${query.name} (${how}).`;
  $('#grid').replaceChildren(...hits.map((hit) => hitItem(hit)));
}

function hitItem(hit) {
  const path = (hit.paths && hit.paths[0]) || '';
  const name = baseName(path) || `image ${hit.id}`;
  const li = document.createElement('li');
  li.dataset.id = hit.id;
  li.dataset.path = path;
  if (typeof hit.score === 'number') li.dataset.score = hit.score;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'hit';
  button.title = path;
  button.setAttribute('aria-label', `Search from ${name}, score ${formatScore(hit.score)}`);
  const img = document.createElement('img');
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  loadThumbnail(img, hit.id);
  const score = document.createElement('span');
  score.className = 'score';
  score.textContent = formatScore(hit.score);
  const label = document.createElement('span');
  label.className = 'name';
  label.textContent = name;
  button.append(img, score, label);
  button.addEventListener('click', () => search({ id: hit.id, name }));
  li.append(button);
  return li;
}

function formatScore(score) {
  return typeof score === 'number' ? score.toFixed(3) : '';
}

// Face boxes in the answer, in the query picture's pixels. Accepted shapes of a box: {x, y,
// width|w, height|h}, {left, top, right, bottom} or [x, y, w, h]; under faces[].box or faces[].
function faceBoxes(answer) {
  const faces = answer.faces || (answer.query && answer.query.faces) || [];
  return faces.map((f) => f.box || f.bbox || f).map((b) => {
    if (Array.isArray(b)) return { x: b[0], y: b[1], w: b[2], h: b[3] };
    if ('left' in b) return { x: b.left, y: b.top, w: b.right - b.left, h: b.bottom - b.top };
    return { x: b.x, y: b.y, w: b.width ?? b.w, h: b.height ?? b.h };
  }).filter((b) => [b.x, b.y, b.w, b.h].every(Number.isFinite));
}

function drawFaceBoxes(answer) {
  const svg = $('#face-boxes');
  const img = $('#query-img');
  const boxes = faceBoxes(answer);
  svg.replaceChildren();
  if (!boxes.length) return;
  const draw = () => {
    svg.setAttribute('viewBox', `0 0 ${img.naturalWidth} ${img.naturalHeight}`);
    svg.replaceChildren(...boxes.map((b) => {
      const r = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      Object.entries({ x: b.x, y: b.y, width: b.w, height: b.h }).forEach(
          ([k, v]) => r.setAttribute(k, v));
      return r;
    }));
  };
  if (img.complete && img.naturalWidth) draw(); else img.addEventListener('load', draw, { once: true });
}

// ---- Picking a query picture ---------------------------------------------------------------

function searchFile(file) {
  if (!file) return;
  if (file.type && !file.type.startsWith('image/')) {
    showError(`${file.name} is not a picture.`);
    return;
  }
  search({ blob: file, name: file.name || 'the pasted picture' });
}

function wirePicking() {
  $('#file').addEventListener('change', (e) => {
    searchFile(e.target.files[0]);
    e.target.value = '';  // choosing the same file again searches again
  });
  // A picture dropped anywhere on the page is searched (rather than opened by the browser).
  const drop = $('#drop');
  document.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('dragging');
  });
  document.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) drop.classList.remove('dragging');
  });
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('dragging');
    if (e.dataTransfer.files.length) searchFile(e.dataTransfer.files[0]);
  });
  document.addEventListener('paste', (e) => {
    const item = [...e.clipboardData.items].find((i) => i.type.startsWith('image/'));
    if (!item) return;
    e.preventDefault();
    const file = item.getAsFile();
    searchFile(new File([file], 'the pasted picture', { type: file.type }));
  });
  const rerun = () => { if (state.query) search(state.query); };
  document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', rerun));
  $('#by').addEventListener('change', rerun);
  $('#k').addEventListener('change', rerun);
}

function offerModes() {
  const missing = [];
  for (const m of ['copies', 'faces']) {
    const input = document.querySelector(`input[name=mode][value=${m}]`);
    const offered = Boolean(state.routes[m]);
    input.disabled = !offered;
    input.parentElement.classList.toggle('unavailable', !offered);
    if (!offered) missing.push(m);
  }
  const note = $('#mode-note');
  note.hidden = missing.length === 0;
  const list = missing.join(' and ');
  note.textContent = `${list.charAt(0).toUpperCase()}${list.slice(1)}: not offered by this ` +
      'server yet.';
  $('#dups').hidden = !state.routes.duplicates;
}

// ---- Duplicates ----------------------------------------------------------------------------

// Groups in the answer: {groups: [[ids or images], ...]} or {groups: [{images|members: [...]}]}.
async function loadDuplicates() {
  clearError();
  $('#dups-caption').textContent = 'Looking for duplicates…';
  try {
    const answer = await api(state.routes.duplicates);
    const groups = (answer.groups || []).map((g) => (Array.isArray(g) ? g : g.images || g.members || []));
    $('#dups-caption').textContent = `${groups.length} groups of duplicates.`;
    $('#dups-list').replaceChildren(...groups.map((g) => {
      const ol = document.createElement('ol');
      ol.className = 'grid dup-group';
      ol.append(...g.map((m) => hitItem(typeof m === 'object' ? m : { id: m })));
      return ol;
    }));
  } catch (e) {
    $('#dups-caption').textContent = '';
    showError(e.message);
  }
}

// ---- Indexing ------------------------------------------------------------------------------

function setIndexing(busy, max) {
  const bar = $('#index-progress');
  bar.hidden = !busy;
  if (max === undefined) bar.removeAttribute('value'); else { bar.max = max; bar.value = 0; }
  document.querySelectorAll('#index-form button, #upload-form button')
      .forEach((b) => { b.disabled = busy; });
}

// POST /v1/index answers once the run is over, so progress is the time it has taken so far.
async function indexPaths(e) {
  e.preventDefault();
  clearError();
  const paths = $('#index-paths').value.split('\n').map((p) => p.trim()).filter(Boolean);
  if (!paths.length) {
    showError('Name at least one folder or file on the server.');
    return;
  }
  const status = $('#index-status');
  const started = Date.now();
  const tick = setInterval(() => {
    status.textContent = `Indexing… ${Math.round((Date.now() - started) / 1000)} s`;
  }, 1000);
  status.textContent = 'Indexing…';
  setIndexing(true);
  try {
    const r = await api('/v1/index', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ paths, prune: $('#index-prune').checked }),
    });
    status.textContent = `${r.indexed} indexed, ${r.duplicates} duplicates, ${r.unchanged} ` +
        `unchanged, ${r.failed} failed, ${r.removed} removed in ${r.seconds.toFixed(1)} s` +
        (r.cancelled ? ' (stopped early: what was finished is kept)' : '') + '.';
    if (r.failures && r.failures.length) showError(r.failures.slice(0, 5).join('\n'));
    loadLibrary().catch((err) => showError(err.message));
  } catch (err) {
    status.textContent = '';
    showError(err.message);
  } finally {
    clearInterval(tick);
    setIndexing(false);
  }
}

async function uploadFiles(e) {
  e.preventDefault();
  clearError();
  const files = [...$('#upload-files').files];
  if (!files.length) {
    showError('Choose one or more pictures to upload.');
    return;
  }
  const counts = { indexed: 0, duplicate: 0, unchanged: 0, failed: 0 };
  const failures = [];
  const status = $('#index-status');
  setIndexing(true, files.length);
  for (const [i, file] of files.entries()) {
    status.textContent = `Uploading ${i + 1} of ${files.length}: ${file.name}`;
    try {
      const r = await postPicture('/v1/images', file);
      counts[r.status] = (counts[r.status] || 0) + 1;
    } catch (err) {
      counts.failed++;
      failures.push(`${file.name}: ${err.message}`);
    }
    $('#index-progress').value = i + 1;
  }
  setIndexing(false);
  status.textContent = `Uploaded: ${counts.indexed} new, ${counts.duplicate + counts.unchanged} ` +
      `already there, ${counts.failed} failed.`;
  if (failures.length) showError(failures.slice(0, 5).join('\n'));
  $('#upload-files').value = '';
  loadLibrary().catch((err) => showError(err.message));
}

// ---- API key -------------------------------------------------------------------------------

function wireKey() {
  $('#api-key').value = state.key;
  $('#key-form').addEventListener('submit', (e) => {
    e.preventDefault();
    state.key = $('#api-key').value.trim();
    localStorage.setItem(KEY_STORAGE, state.key);
    $('#key-panel').open = false;
    start();
  });
  $('#key-forget').addEventListener('click', () => {
    state.key = '';
    $('#api-key').value = '';
    localStorage.removeItem(KEY_STORAGE);
  });
}

// ---- Start ---------------------------------------------------------------------------------

async function start() {
  clearError();
  try {
    findRoutes((await api('/openapi.json')).paths || {});
  } catch (e) {
    showError(`Cannot read /openapi.json: ${e.message}`);
  }
  offerModes();
  try {
    await loadLibrary();
  } catch (e) {
    $('#stats').textContent = 'Library unavailable.';
    showError(e.message);
  }
}

$('#error-close').addEventListener('click', clearError);
// A file the browser cannot show (the API then says why) leaves no broken-image icon behind.
$('#query-img').addEventListener('error', () => { $('#query-view').hidden = true; });
$('#dups-load').addEventListener('click', loadDuplicates);
$('#index-form').addEventListener('submit', indexPaths);
$('#upload-form').addEventListener('submit', uploadFiles);
wireKey();
wirePicking();
start();
