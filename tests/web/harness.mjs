// What the web page's browser scenarios share (e2e.mjs against one machine, e2e_cluster.mjs
// against a cluster router): where the shared photos and the browser are, checks and their
// summary, running `alike` and its servers, and driving the page (upload, results, edited copies).
// Each scenario is one process, run by CTest; none of this is a library for anything else.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../..');
export const SKIP = 77;  // CTest's SKIP_RETURN_CODE

export function skip(why) {
  console.log(`SKIP: ${why}`);
  process.exit(SKIP);
}

export const shared = process.env.ALIKE_SHARED_DIR || path.resolve(repo, '../shared');
export const flowers = path.join(shared, 'data/categories/flowers/flowers');
export const ukbench = path.join(shared, 'data/copies/imagededup/tests/data/base_images');
export const modelDir = process.env.ALIKE_MODELS || path.join(repo, 'models');

// The program under test (the first argument), where screenshots go, and the browser: skips
// (exits 77) when any is absent.
export async function setUp(argv) {
  const binary = path.resolve(argv[2] || path.join(repo, 'build/alike'));
  const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
  if (!fs.existsSync(binary)) skip(`no alike binary at ${binary}`);
  if (!fs.existsSync(chromiumPath)) skip(`no chromium at ${chromiumPath} (apt-get install chromium)`);
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    skip('playwright-core is not installed (cd tests/web && npm ci; scripts/setup.sh does it)');
  }
  const evidence = process.env.ALIKE_WEB_EVIDENCE || path.join(path.dirname(binary), 'web-evidence');
  fs.mkdirSync(evidence, { recursive: true });
  return { binary, chromium, chromiumPath, evidence };
}

// The CNN tells flowers apart far better than colour does; colour keeps the tests running where
// the model weights are not installed.
export const embedder = fs.existsSync(path.join(modelDir, 'tf2_mobilenet_v2_1.0_224_ptq.tflite'))
  ? 'cnn' : 'color';

// ---- Checks --------------------------------------------------------------------------------

let passed = 0;
const failures = [];
export function check(ok, what, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok   ${what}`);
  } else {
    failures.push(what);
    console.log(`FAIL ${what}${detail ? `: ${detail}` : ''}`);
  }
}

// Prints the tally and exits: 1 when a check failed.
export function finish(name, evidence) {
  console.log(`screenshots in ${evidence}`);
  console.log(`${name}: ${passed} passed, ${failures.length} failed`);
  process.exit(failures.length ? 1 : 0);
}

// ---- Photos and the program ----------------------------------------------------------------

// `count` photos of a flower class from the `from`th, in name order.
export function photos(cls, from, count) {
  const names = fs.readdirSync(path.join(flowers, cls)).filter((n) => /\.jpe?g$/i.test(n)).sort();
  return names.slice(from, from + count).map((n) => path.join(flowers, cls, n));
}

export const classOf = (p) => path.basename(path.dirname(p));

// Runs `alike ARGS...` to its end; its output, or throws with its errors.
export function runAlike(binary, args, timeout = 120000) {
  const r = spawnSync(binary, args, { encoding: 'utf8', timeout });
  if (r.status !== 0) throw new Error(`alike ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

// Starts a long-running program and resolves once its output matches `ready` (the match), with
// the process; rejects when it exits first or after `timeoutMs`.
export function startProcess(program, args, ready, timeoutMs = 30000) {
  const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path.basename(program)} ${args[0]} did not ` +
                                                    `start: ${output}`)), timeoutMs);
    const read = (chunk) => {
      output += chunk;
      const m = output.match(ready);
      if (m) {
        clearTimeout(timer);
        resolve({ child, match: m });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => reject(new Error(`${path.basename(program)} exited (${code}): ${output}`)));
  });
}

// `alike ARGS...` where ARGS start a server (`serve --port 0 ...`): the process and its URL.
export async function startServer(binary, args) {
  const { child, match } = await startProcess(binary, args, /on (http:\/\/[^\s]+)/);
  return { server: child, base: match[1] };
}

export function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const gone = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  return gone;
}

// ---- The browser ---------------------------------------------------------------------------

export function launchBrowser(chromium, chromiumPath) {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    // Without the networking flags Chromium keeps calling home, which a closed network makes slow.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

// Pages of one browser on the server at `base` (which a scenario changes when it restarts the
// server); every request a page makes must go to that server, and no script may fail.
export class Pages {
  constructor(browser) {
    this.browser = browser;
    this.base = '';
    this.foreign = [];
    this.errors = [];
  }

  // A page at the server's root; waits until the statistics line matches `stats` (null: not).
  async open(viewport, stats = /\d+ images/) {
    const page = await this.browser.newPage({ viewport });
    page.setDefaultTimeout(30000);
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith(this.base) && !url.startsWith('data:') && !url.startsWith('blob:')) {
        this.foreign.push(url);
      }
    });
    page.on('pageerror', (e) => this.errors.push(e.message));
    await page.goto(this.base + '/');
    if (stats) {
      await page.waitForFunction((source) => new RegExp(source).test(
          document.querySelector('#stats').textContent), stats.source);
    }
    return page;
  }

  // Checks that no page fetched anything from elsewhere and no script failed.
  checkClean() {
    check(this.foreign.length === 0, 'the page fetches nothing from elsewhere', this.foreign.join(' '));
    check(this.errors.length === 0, 'no script errors', this.errors.join('; '));
  }
}

// The results grid as the page shows it.
export function hits(page) {
  return page.$$eval('#grid li', (items) => items.map((li) => ({
    id: li.dataset.id, path: li.dataset.path, score: Number(li.dataset.score),
    verified: li.dataset.verified,
  })));
}

// Searches by choosing `file`; the results caption once the search answered.
export async function uploadAndWait(page, file) {
  const caption = page.locator('#results-caption');
  await page.$eval('#results-caption', (c) => { c.textContent = ''; });
  await page.setInputFiles('#file', file);
  await page.waitForFunction(() => {
    const c = document.querySelector('#results-caption').textContent;
    return /results for|faces? in|Nothing found|failed/.test(c);
  });
  return caption.textContent();
}

// Searches by uploading `query`, a photo of the library, and checks that it finds itself first
// and mostly its own kind; the results.
export async function searchFindsItself(page, query) {
  const caption = await uploadAndWait(page, query);
  const first = await hits(page);
  check(first.length >= 10, 'an upload shows results', `${caption}; ${first.length} results`);
  check(first[0] && first[0].path === query, 'the uploaded photo finds itself first',
        first[0] && first[0].path);
  check(first[0] && first[0].score > 0.99, 'with a score of about 1', first[0] && first[0].score);
  const top = first.slice(1, 6);
  const same = top.filter((h) => classOf(h.path) === classOf(query)).length;
  check(same >= 3, `most of the top results are ${classOf(query)}s too`,
        top.map((h) => classOf(h.path)).join(','));
  await thumbnailsLoaded(page);
  check(true, 'the thumbnails load');
  return first;
}

// Waits until every thumbnail of `selector` (the first `count`) has loaded.
export function thumbnailsLoaded(page, selector = '#grid img', count = 6) {
  return page.waitForFunction(({ selector, count }) => [...document.querySelectorAll(selector)]
      .slice(0, count).every((img) => img.complete && img.naturalWidth > 0), { selector, count });
}

// Clicks the result `id` and waits until the grid no longer starts with `firstId` (the query's
// results start with the query itself); the new results.
export async function browseFrom(page, id, firstId) {
  await page.click(`#grid li[data-id="${id}"] button`);
  await page.waitForFunction((firstId) => {
    const li = document.querySelector('#grid li');
    return li && li.dataset.id !== firstId && /results for/.test(
        document.querySelector('#results-caption').textContent);
  }, firstId);
  return hits(page);
}

// Writes an edited copy of a JPEG, made by the browser's canvas: the middle part left after
// cutting `crop` of each side, scaled by `scale`, recompressed.
export async function editedCopy(page, file, out, { crop = 0, scale = 1, quality = 0.7 }) {
  const b64 = await page.evaluate(async ({ b64, crop, scale, quality }) => {
    const img = new Image();
    img.src = 'data:image/jpeg;base64,' + b64;
    await img.decode();
    const [sx, sy] = [img.naturalWidth * crop, img.naturalHeight * crop];
    const [sw, sh] = [img.naturalWidth - 2 * sx, img.naturalHeight - 2 * sy];
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(sw * scale);
    canvas.height = Math.round(sh * scale);
    canvas.getContext('2d').drawImage(img, sx, sy, sw, sh, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = '';
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text);
  }, { b64: fs.readFileSync(file).toString('base64'), crop, scale, quality });
  fs.writeFileSync(out, Buffer.from(b64, 'base64'));
  return out;
}
