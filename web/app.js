// alike's web page: search the library with a picture, browse by clicking results, add pictures.
// Plain JavaScript over the JSON API (/openapi.json describes it); nothing is fetched from
// anywhere but this server. Search finds similar images, copies (with where the picture lies in
// each) or the people in the picture; the duplicates view lists the library's groups of copies.
'use strict';

const $ = (selector) => document.querySelector(selector);
const KEY_STORAGE = 'alike.apiKey';

// Each mode's route for an uploaded picture and for a library image.
const ROUTES = {
  similar: { upload: '/v1/search', byId: '/v1/images/{id}/similar' },
  copies: { upload: '/v1/search/copies', byId: '/v1/images/{id}/copies' },
  faces: { upload: '/v1/search/faces', byId: '/v1/images/{id}/faces' },
};

const state = {
  key: localStorage.getItem(KEY_STORAGE) || '',
  query: null,      // {blob, name} for a picture, or {id, name} for a library image
  objectUrls: [],   // thumbnails fetched with the API key, released when replaced
  searchSerial: 0,  // answers to superseded searches are dropped
  jobSerial: 0,     // the index job followed; an older follower stops
  cluster: false,   // served by a cluster router: no catalog, so no statistics, jobs or adding
};

// ---- The API -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;  // the HTTP status; undefined when the server could not be reached
  }
}

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
    throw new ApiError(message, res.status);
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
// request must carry the key, which only fetch can add. An image without a thumbnail (on a
// cluster, one whose file the router cannot read) leaves an empty tile, not a broken-image icon.
function loadThumbnail(img, id) {
  const url = `/v1/images/${id}/thumbnail`;
  if (!state.key) {
    img.addEventListener('error', () => img.classList.add('broken'), { once: true });
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
  let lib;
  try {
    lib = await api('/v1/library');
  } catch (e) {
    if (e.status !== 501) throw e;
    showCluster();
    return;
  }
  const spaces = lib.spaces.map((s) => `${s.embedder} (${s.vectors})`).join(', ');
  $('#stats').textContent = `${lib.images} images · ${lib.files} files · ` +
      `${humanBytes(lib.image_bytes)} · spaces: ${spaces || 'none'}`;
  const by = $('#by');
  const chosen = by.value;
  by.replaceChildren(...lib.spaces.map((s) => new Option(s.embedder, s.embedder)));
  // The library's first embedder is the server's default; keep the user's choice if any.
  if (chosen && lib.spaces.some((s) => s.embedder === chosen)) by.value = chosen;
  offerModes(lib);
}

// A cluster router (alike serve --cluster --library) answers 501 to what needs one machine's
// catalog (statistics, duplicates, adding pictures, index jobs) and searches copies and faces by
// uploaded picture only. The panels say so instead of failing; a result is searched from by
// similarity; each search by picture answers for itself (the default space; faces and copies
// where the library has their spaces).
function showCluster() {
  state.cluster = true;
  $('#stats').textContent = 'Cluster image library: statistics are kept by no single machine.';
  $('#dups').hidden = true;
  // The router searches its default space (cnn where the library has it).
  $('#by').replaceChildren(new Option('default', ''));
  $('#index-cluster-note').hidden = false;
  document.querySelectorAll('.indexing form').forEach((f) => { f.hidden = true; });
  const note = $('#mode-note');
  note.hidden = false;
  note.textContent = 'On a cluster, copies and faces are searched by uploaded picture only: ' +
      'selecting a result finds images similar to it.';
}

// Copy search needs the pdq or cnn space, duplicates the pdq space, face search a library that
// indexes faces: what the library cannot do is greyed out, with how to enable it.
function offerModes(lib) {
  const has = (embedder) => lib.spaces.some((s) => s.embedder === embedder);
  const needs = {
    copies: has('pdq') || has('cnn') ? '' : 'copies need the pdq space (alike index --embedders pdq PATH)',
    faces: lib.faces ? '' : 'faces need face indexing (alike index --faces PATH)',
  };
  for (const [m, need] of Object.entries(needs)) {
    const input = document.querySelector(`input[name=mode][value=${m}]`);
    input.disabled = Boolean(need);
    input.parentElement.classList.toggle('unavailable', Boolean(need));
    if (need && input.checked) document.querySelector('input[name=mode][value=similar]').checked = true;
  }
  const missing = Object.values(needs).filter(Boolean).join('; ');
  const note = $('#mode-note');
  note.hidden = !missing;
  note.textContent = missing ? `In this library ${missing}.` : '';
  $('#dups').hidden = !has('pdq');
}

// ---- Search --------------------------------------------------------------------------------

function mode() {
  return document.querySelector('input[name=mode]:checked').value;
}

// The mode a query is searched in: the chosen one, but similar for a library image on a cluster.
function modeFor(query) {
  return state.cluster && !query.blob ? 'similar' : mode();
}

function searchParams(m) {
  const params = new URLSearchParams({ k: $('#k').value || '24' });
  if (m === 'similar' && $('#by').value) params.set('by', $('#by').value);
  return params;
}

function searchRequest(query, m) {
  const route = ROUTES[m];
  const params = searchParams(m);
  if (query.blob) return postPicture(`${route.upload}?${params}`, query.blob);
  return api(`${route.byId.replace('{id}', query.id)}?${params}`);
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

async function search(query) {
  clearError();
  const serial = ++state.searchSerial;
  if (query !== state.query) {
    state.query = query;
    showQuery(query);
  }
  $('#results-caption').textContent = 'Searching…';
  document.body.classList.add('busy');
  const started = performance.now();
  const searchedMode = modeFor(query);
  try {
    const answer = await searchRequest(query, searchedMode);
    if (serial !== state.searchSerial) return;
    const ms = Math.round(performance.now() - started);
    if (searchedMode === 'faces') {
      renderFaces(answer, query, ms);
    } else {
      renderHits(answer.results, query, ms, searchedMode);
    }
  } catch (e) {
    if (serial !== state.searchSerial) return;
    // Results left from the previous query would read as this query's.
    $('#results-caption').textContent = 'The search failed.';
    $('#grid').replaceChildren();
    $('#face-groups').replaceChildren();
    showError(e.message);
  } finally {
    if (serial === state.searchSerial) document.body.classList.remove('busy');
  }
}

function describe(m) {
  return m === 'similar' ? `similar by ${$('#by').value || 'default'}` : m;
}

function renderHits(hits, query, ms, m) {
  $('#results-caption').textContent = hits.length
    ? `${hits.length} results for ${query.name}, ${describe(m)} (${ms} ms). Select one to search from it.`
    : `Nothing found for ${query.name} (${describe(m)}).`;
  const item = m === 'copies' ? copyItem : similarItem;
  $('#face-groups').replaceChildren();
  $('#face-boxes').replaceChildren();
  $('#grid').replaceChildren(...hits.map(item));
}

// A library image as a result: its thumbnail, a figure (score, confidence, distance, or a word)
// and its name; selecting it searches from it.
function hitItem(hit, figure, figureName, details = '') {
  const path = (hit.paths && hit.paths[0]) || '';
  const name = baseName(path) || `image ${hit.id}`;
  const li = document.createElement('li');
  li.dataset.id = hit.id;
  li.dataset.path = path;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'hit';
  button.title = path;
  const spoken = [figureName, figure].filter(Boolean).join(' ');
  button.setAttribute('aria-label', `Search from ${name}${spoken ? `, ${spoken}` : ''}`);
  const thumb = document.createElement('span');
  thumb.className = 'thumb';
  const img = document.createElement('img');
  img.alt = '';
  img.loading = 'lazy';
  img.decoding = 'async';
  loadThumbnail(img, hit.id);
  thumb.append(img);
  const figureSpan = document.createElement('span');
  figureSpan.className = 'score';
  figureSpan.textContent = figure;
  const label = document.createElement('span');
  label.className = 'name';
  label.textContent = name;
  button.append(thumb, figureSpan, label);
  if (details) {
    const more = document.createElement('span');
    more.className = 'details';
    more.textContent = details;
    button.append(more);
  }
  button.addEventListener('click', () => search({ id: hit.id, name }));
  li.append(button);
  return li;
}

function similarItem(hit) {
  const li = hitItem(hit, formatNumber(hit.score), 'score');
  li.dataset.score = hit.score;
  return li;
}

function formatNumber(x) {
  return typeof x === 'number' ? x.toFixed(3) : '';
}

function svgElement(name, attributes) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', name);
  Object.entries(attributes).forEach(([k, v]) => e.setAttribute(k, v));
  return e;
}

// An outline over a picture shown whole (object-fit: contain): the viewBox is the picture's own
// pixels, and the SVG's default "xMidYMid meet" scales it exactly as the picture is scaled.
function overlay(width, height, shapes) {
  const svg = svgElement('svg', { class: 'overlay', viewBox: `0 0 ${width} ${height}`, 'aria-hidden': 'true' });
  svg.append(...shapes);
  return svg;
}

// A copy: its confidence, and where the query lies in it (the matched region, outlined on the
// thumbnail and given in pixels).
function copyItem(hit) {
  const evidence = [];
  let region = null;
  if (hit.corners) {
    const xs = hit.corners.map((c) => c[0]);
    const ys = hit.corners.map((c) => c[1]);
    const x0 = Math.round(Math.min(...xs));
    const y0 = Math.round(Math.min(...ys));
    evidence.push(`region ${Math.round(Math.max(...xs)) - x0}×${Math.round(Math.max(...ys)) - y0} at ${x0},${y0}`);
    region = svgElement('polygon', { points: hit.corners.map((c) => c.join(',')).join(' ') });
  }
  if (hit.pdq_bits !== null) evidence.push(`pdq ${hit.pdq_bits} bits`);
  if (hit.mirrored) evidence.push('mirrored');
  // Not compared with local features: its file was not readable where the search ran.
  if (!hit.verified) evidence.push('not verified (file unreachable)');
  const li = hitItem(hit, formatNumber(hit.confidence), 'confidence', evidence.join(' · '));
  li.dataset.score = hit.confidence;
  li.dataset.verified = hit.verified;
  li.classList.add('whole');
  if (region && hit.width && hit.height) {
    li.querySelector('.thumb').append(overlay(hit.width, hit.height, [region]));
  }
  return li;
}

// Face search: each face of the query, numbered on the query picture, with the images that show
// the same person.
function renderFaces(answer, query, ms) {
  const faces = answer.faces;
  const found = faces.reduce((n, f) => n + f.hits.length, 0);
  $('#results-caption').textContent = `${faces.length} face${faces.length === 1 ? '' : 's'} in ` +
      `${query.name}, ${found} matches (${ms} ms). Select one to search from it.`;
  $('#grid').replaceChildren();
  $('#face-groups').replaceChildren(...faces.map((face, i) => {
    const section = document.createElement('section');
    section.className = 'face-group';
    section.dataset.face = i + 1;
    const heading = document.createElement('h3');
    heading.textContent = `Face ${i + 1}: ` + (face.hits.length
      ? `${face.hits.length} image${face.hits.length === 1 ? '' : 's'} of this person`
      : 'nobody in the library');
    const grid = document.createElement('ol');
    grid.className = 'grid';
    grid.append(...face.hits.map((hit) => {
      const person = 'person' in hit ? `person ${hit.name || '#' + hit.person}` : '';
      const li = hitItem(hit, formatNumber(hit.distance), 'distance', person);
      li.dataset.distance = hit.distance;
      return li;
    }));
    section.append(heading, grid);
    return section;
  }));
  drawFaceBoxes(faces.map((f) => f.box), answer.width, answer.height);
}

// Numbered boxes over the query picture; the boxes are in the picture's own pixels (given by the
// answer for a library image, whose thumbnail is smaller; an upload is shown at its own size).
function drawFaceBoxes(boxes, width, height) {
  const svg = $('#face-boxes');
  const img = $('#query-img');
  svg.replaceChildren();
  const draw = () => {
    svg.setAttribute('viewBox', `0 0 ${width || img.naturalWidth} ${height || img.naturalHeight}`);
    svg.replaceChildren(...boxes.flatMap(([x, y, w, h], i) => {
      const label = svgElement('text', { x: x + 4, y: y + 4, 'font-size': Math.max(h / 4, 12) });
      label.textContent = i + 1;
      return [svgElement('rect', { x, y, width: w, height: h }), label];
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
  document.querySelectorAll('input[name=mode]').forEach((r) => r.addEventListener('change', () => {
    $('#by').disabled = mode() !== 'similar';  // copies and faces have their own spaces
    rerun();
  }));
  $('#by').addEventListener('change', rerun);
  $('#k').addEventListener('change', rerun);
}

// ---- Duplicates ----------------------------------------------------------------------------

// Groups of copies among the library's images, the one to keep first (the most pixels).
async function loadDuplicates() {
  clearError();
  $('#dups-caption').textContent = 'Looking for duplicates…';
  try {
    const answer = await api(`/v1/duplicates?max_bits=${$('#dups-bits').value || 31}`);
    const groups = answer.groups;
    const copies = groups.reduce((n, g) => n + g.images.length - 1, 0);
    const spare = groups.reduce((n, g) => n + g.images.slice(1).reduce((b, m) => b + m.bytes, 0), 0);
    $('#dups-caption').textContent = groups.length
      ? `${groups.length} group${groups.length === 1 ? '' : 's'}: ${copies} ` +
        `cop${copies === 1 ? 'y' : 'ies'} besides the keepers, taking ${humanBytes(spare)}.`
      : `No duplicates (PDQ within ${answer.max_bits} bits).`;
    $('#dups-list').replaceChildren(...groups.map((g) => {
      const ol = document.createElement('ol');
      ol.className = 'grid dup-group';
      ol.append(...g.images.map((m) => {
        const li = hitItem(m, m.id === g.keeper ? 'keep' : 'copy', '',
                           `${m.width}×${m.height} · ${humanBytes(m.bytes)}`);
        if (m.id === g.keeper) li.classList.add('keeper');
        return li;
      }));
      return ol;
    }));
  } catch (e) {
    $('#dups-caption').textContent = '';
    showError(e.message);
  }
}

// ---- Indexing ------------------------------------------------------------------------------

// While pictures are being added, the forms that add more are disabled.
function lockAdding(busy) {
  document.querySelectorAll('#index-form button, #upload-form button')
      .forEach((b) => { b.disabled = busy; });
}

function setIndexing(busy, max) {
  $('#index-failures').hidden = true;  // a past job's
  const bar = $('#index-progress');
  bar.hidden = !busy;
  if (max === undefined) bar.removeAttribute('value'); else { bar.max = max; bar.value = 0; }
  lockAdding(busy);
}

// POST /v1/index starts a job on the server; the panel follows it (GET /v1/index/jobs/{id}
// every 500 ms) until it ends. The job followed is remembered, so a reload shows it again.
const JOB_STORAGE = 'alike.indexJob';
const JOB_POLL_MS = 500;

async function indexPaths(e) {
  e.preventDefault();
  clearError();
  const paths = $('#index-paths').value.split('\n').map((p) => p.trim()).filter(Boolean);
  if (!paths.length) {
    showError('Name at least one folder or file on the server.');
    return;
  }
  $('#index-status').textContent = 'Starting…';
  setIndexing(true);
  try {
    const job = await api('/v1/index', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ paths, prune: $('#index-prune').checked }),
    });
    followJob(job);
  } catch (err) {
    $('#index-status').textContent = '';
    setIndexing(false);
    showError(err.message);
  }
}

function jobEnded(job) {
  return ['done', 'failed', 'cancelled'].includes(job.state);
}

function duration(seconds) {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function jobSummary(job) {
  const counts = `${job.indexed} indexed, ${job.duplicates} duplicates, ${job.unchanged} ` +
      `unchanged, ${job.failed} failed, ${job.removed} removed in ${job.seconds.toFixed(1)} s`;
  if (job.state === 'failed') return `Indexing failed: ${job.error.message}`;
  if (job.state === 'cancelled') {
    const by = { client: 'cancelled', shutdown: 'the server stopped', time_limit: 'time limit' };
    return `${counts} (stopped early, ${by[job.stopped_by] || 'cancelled'}: what was finished ` +
        'is kept).';
  }
  return `${counts}.`;
}

function jobProgress(job) {
  if (job.state === 'queued') return 'Waiting for another indexing job to finish…';
  if (job.stopped_by) return `Stopping after ${job.done} files…`;
  if (job.total === null) return 'Looking for pictures…';
  const eta = job.eta_seconds === null ? '' : ` · about ${duration(job.eta_seconds)} left`;
  return `Indexing: ${job.done} of ${job.total} · ${job.rate.toFixed(1)} per second${eta}`;
}

function showJob(job) {
  const bar = $('#index-progress');
  bar.hidden = false;
  if (job.total === null) {
    bar.removeAttribute('value');
  } else {
    // A job with nothing to do is complete, not empty.
    bar.max = Math.max(job.total, 1);
    bar.value = job.total ? job.done : 1;
  }
  const status = $('#index-status');
  status.dataset.job = job.id;
  status.dataset.state = job.state;
  status.textContent = jobEnded(job) ? jobSummary(job) : jobProgress(job);
  $('#index-cancel').hidden = jobEnded(job) || Boolean(job.stopped_by);
  const list = $('#index-failures');
  list.hidden = !job.failures.length;
  list.replaceChildren(...job.failures.map((f) => {
    const li = document.createElement('li');
    const reason = document.createElement('span');
    reason.className = 'reason';
    reason.textContent = f.reason;
    li.append(`${f.path || 'a path'}: `, reason);
    return li;
  }));
  if (job.failed > job.failures.length) {
    const li = document.createElement('li');
    li.textContent = `and ${job.failed - job.failures.length} more`;
    list.append(li);
  }
}

// Shows the job until it ends, then the library's new counts. One job is followed at a time.
async function followJob(job) {
  const serial = ++state.jobSerial;
  localStorage.setItem(JOB_STORAGE, String(job.id));
  lockAdding(true);
  try {
    for (;;) {
      if (serial !== state.jobSerial) return;
      showJob(job);
      if (jobEnded(job)) break;
      await new Promise((resolve) => { setTimeout(resolve, JOB_POLL_MS); });
      job = await api(`/v1/index/jobs/${job.id}`);
    }
    loadLibrary().catch((err) => showError(err.message));
  } catch (err) {
    showError(err.message);
  } finally {
    // The finished bar stays beside the summary.
    if (serial === state.jobSerial) lockAdding(false);
  }
}

async function cancelJob() {
  const id = $('#index-status').dataset.job;
  if (!id) return;
  clearError();
  $('#index-cancel').hidden = true;
  try {
    await api(`/v1/index/jobs/${id}`, { method: 'DELETE' });
  } catch (err) {
    showError(err.message);
  }
}

// After a reload: a job that is waiting or running (started here or by anyone), else the last
// job this browser followed, while the server remembers it.
async function resumeJob() {
  const { jobs } = await api('/v1/index/jobs');
  const remembered = Number(localStorage.getItem(JOB_STORAGE));
  const job = jobs.find((j) => j.state === 'running') || jobs.find((j) => !jobEnded(j)) ||
      jobs.find((j) => j.id === remembered);
  if (job) followJob(job);
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
    await loadLibrary();
  } catch (e) {
    $('#stats').textContent = 'Library unavailable.';
    showError(e.message);
    return;
  }
  if (state.cluster) return;  // no index jobs there
  resumeJob().catch((e) => showError(e.message));
}

$('#error-close').addEventListener('click', clearError);
// A file the browser cannot show (the API then says why) leaves no broken-image icon behind.
$('#query-img').addEventListener('error', () => { $('#query-view').hidden = true; });
$('#dups-load').addEventListener('click', loadDuplicates);
$('#index-form').addEventListener('submit', indexPaths);
$('#index-cancel').addEventListener('click', cancelJob);
$('#upload-form').addEventListener('submit', uploadFiles);
wireKey();
wirePicking();
start();
