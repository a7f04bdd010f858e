// The web page end to end, in a real browser: the real `alike serve` over a fresh library of 30
// flower photos (10 daisies, roses and sunflowers from the shared set) and two UKBench photos
// (for copy detection), Debian's chromium driven by playwright-core. It searches by uploading a
// photo, checks that the photo finds itself first and mostly its own kind, browses by clicking a
// result, adds pictures through the indexing panel (a job it follows across a reload, and one
// that lists a failure), shows an API error, finds the original of an edited copy (copies mode)
// and a group of duplicates, checks the page at phone width, and that nothing is fetched from
// anywhere but the server. Screenshots are saved as evidence.
//
//   node tests/web/e2e.mjs path/to/alike
//
// Environment: ALIKE_SHARED_DIR (default: ../shared beside the checkout), ALIKE_WEB_EVIDENCE
// (where screenshots go; default: web-evidence beside the binary), CHROMIUM (/usr/bin/chromium).
// Exits 77 (CTest's SKIP_RETURN_CODE) when chromium, node_modules or the photos are absent.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Pages, browseFrom, check, editedCopy, embedder, finish, flowers, hits, launchBrowser, modelDir,
  photos, runAlike, searchFindsItself, setUp, shared, skip, startServer, stopProcess,
  thumbnailsLoaded, ukbench, uploadAndWait,
} from './harness.mjs';

const CLASSES = ['daisy', 'rose', 'sunflower'];
const PER_CLASS = 10;

const { binary, chromium, chromiumPath, evidence } = await setUp(process.argv);
if (!CLASSES.every((c) => fs.existsSync(path.join(flowers, c))) || !fs.existsSync(ukbench)) {
  skip(`shared photos absent: ${flowers} or ${ukbench}`);
}

// ---- The library and the server ------------------------------------------------------------

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alike-web-e2e-'));
const db = path.join(work, 'db');
const roots = path.join(work, 'roots');

function alike(...args) {
  return alikeOn(db, ...args);
}

function alikeOn(library, ...args) {
  return runAlike(binary, ['--db', library, ...args]);
}

// The UKBench photos are larger (640x480) and unlike the flowers: one is the original of the
// edited copies the copy search and the duplicates view look for.
const original = path.join(ukbench, 'ukbench09012.jpg');
const library = [...CLASSES.flatMap((c) => photos(c, 0, PER_CLASS)), original,
                 path.join(ukbench, 'ukbench00120.jpg')];
alike('init', '--embedders', `${embedder},pdq`);
alike('index', '-q', ...library);
// Three more photos, for the indexing panel to add by server-side path.
fs.mkdirSync(path.join(roots, 'more'), { recursive: true });
for (const p of photos('rose', PER_CLASS, 3)) fs.copyFileSync(p, path.join(roots, 'more', path.basename(p)));
fs.writeFileSync(path.join(work, 'not-a-picture.jpg'), 'this is text, not a JPEG');
// And a folder whose only file is not a picture, for the panel to list the failure.
fs.mkdirSync(path.join(roots, 'bad'), { recursive: true });
fs.copyFileSync(path.join(work, 'not-a-picture.jpg'), path.join(roots, 'bad', 'not-a-picture.jpg'));

// ---- The browser ---------------------------------------------------------------------------

const browser = await launchBrowser(chromium, chromiumPath);
const pages = new Pages(browser);
let server;

// Serves `lib` (with the server-side roots); the pages follow the new server.
async function serve(extra = [], lib = db) {
  let base;
  ({ server, base } = await startServer(binary, ['--db', lib, 'serve', '--port', '0', '--roots',
                                                 roots, ...extra]));
  pages.base = base;
}

function openPage(viewport, waitForStats = true) {
  return pages.open(viewport, waitForStats ? undefined : null);
}

await serve();

// Hands the page a photo as a paste (Ctrl+V) or a drop, the way the browser would, and waits for
// the search it starts.
async function pasteOrDrop(page, how, file) {
  await page.$eval('#results-caption', (c) => { c.textContent = ''; });
  await page.evaluate(({ how, b64, name }) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const data = new DataTransfer();
    data.items.add(new File([bytes], name, { type: 'image/jpeg' }));
    const event = how === 'paste'
      ? new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })
      : new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
    (how === 'paste' ? document : document.querySelector('#drop')).dispatchEvent(event);
  }, { how, b64: fs.readFileSync(file).toString('base64'), name: path.basename(file) });
  await page.waitForFunction(() => /results for|Nothing found|failed/.test(
      document.querySelector('#results-caption').textContent));
  return hits(page);
}

// Faces, where the face models are installed: a library of three deepface photos of one person
// and two of others (labelled by master.csv's "Yes" pairs); a fourth photo of the person is the
// query. Its faces are boxed on it, and one face's row holds the person's three photos.
async function facesMode() {
  const deepface = path.join(shared, 'data/faces/deepface');
  const faceModels = ['yunet_2022mar_320x320.onnx', 'shape_predictor_5_face_landmarks.dat',
                      'dlib_face_recognition_resnet_model_v1.dat'];
  if (!faceModels.every((m) => fs.existsSync(path.join(modelDir, m))) ||
      !fs.existsSync(path.join(deepface, 'master.csv'))) {
    console.log('skip faces: the face models or the deepface photos are absent');
    return;
  }
  const partners = new Map();
  for (const line of fs.readFileSync(path.join(deepface, 'master.csv'), 'utf8').split('\n').slice(1)) {
    const [a, b, decision] = line.trim().split(',');
    if (decision !== 'Yes') continue;
    for (const [x, y] of [[a, b], [b, a]]) partners.set(x, [...(partners.get(x) || []), y]);
  }
  const [first, itsPartners] = [...partners].sort((x, y) => y[1].length - x[1].length)[0];
  const person = [first, ...itsPartners].map((f) => path.join(deepface, f));
  const others = [...partners.keys()].filter((f) => f !== first && !itsPartners.includes(f))
      .slice(0, 2).map((f) => path.join(deepface, f));
  const faceDb = path.join(work, 'faces-db');
  alikeOn(faceDb, 'init', '--faces', '--embedders', 'color');
  alikeOn(faceDb, 'index', '-q', ...person.slice(0, 3), ...others);
  await stopProcess(server);
  await serve([], faceDb);
  const page = await openPage({ width: 1280, height: 900 });
  check(!(await page.isDisabled('input[name=mode][value=faces]')), 'faces are offered when indexed');
  await page.check('input[name=mode][value=faces]');
  const caption = await uploadAndWait(page, person[3]);
  const groups = () => page.$$eval('.face-group', (sections) => sections.map((s) =>
      [...s.querySelectorAll('li')].map((li) => li.dataset.path)));
  const rows = await groups();
  const row = rows.find((r) => r.includes(person[0])) || [];
  check(person.slice(0, 3).every((p) => row.includes(p)) && !others.some((p) => row.includes(p)),
        "a face's row holds the person's photos and nobody else's", `${caption}; ${JSON.stringify(rows)}`);
  const boxes = await page.$$eval('#face-boxes rect', (r) => r.length);
  check(boxes === rows.length && boxes > 0, 'each face is boxed on the query', `${boxes} boxes`);
  await page.screenshot({ path: path.join(evidence, 'faces.png'), fullPage: true });
  // From a result: that photo's faces, boxed on its thumbnail (the answer gives its size).
  const picked = row.find((p) => p !== person[3]);
  await page.$eval('#results-caption', (c) => { c.textContent = ''; });
  await page.click(`.face-group li[data-path="${picked}"] button`);
  await page.waitForFunction(() => /face/.test(document.querySelector('#results-caption').textContent));
  const fromResult = await groups();
  check(fromResult.some((r) => r.some((p) => person.includes(p))) &&
        !fromResult.some((r) => r.includes(picked)),
        'a result searches for its faces (itself left out)', JSON.stringify(fromResult));
  check(await page.$$eval('#face-boxes rect', (r) => r.length) > 0, 'and boxes them');
  await page.screenshot({ path: path.join(evidence, 'faces-by-id.png'), fullPage: true });
  await page.close();
}

try {
  const page = await openPage({ width: 1280, height: 900 });
  const stats = await page.textContent('#stats');
  check(stats.includes(`${library.length} images`), 'the stats show the library', stats);
  const spaces = await page.$$eval('#by option', (o) => o.map((x) => x.value));
  check(spaces.includes(embedder), `the space list offers ${embedder}`, spaces.join(','));

  // Copies are offered (the library has the pdq space); faces are not (it does not index
  // them), with how to turn them on; the duplicates view is there.
  check(!(await page.isDisabled('input[name=mode][value=copies]')), 'copies are offered');
  check(await page.isDisabled('input[name=mode][value=faces]'), 'faces are greyed out');
  const modeNote = await page.textContent('#mode-note');
  check(await page.isVisible('#mode-note') && modeNote.includes('alike index --faces'),
        'the note says how to enable faces', modeNote);
  check(await page.isVisible('#dups'), 'the duplicates view is offered');

  // Search by uploading one of the library's roses.
  const query = photos('rose', 2, 1)[0];
  const first = await searchFindsItself(page, query);
  check(await page.isVisible('#query-img'), 'the query picture is shown');
  await page.screenshot({ path: path.join(evidence, 'search.png'), fullPage: true });

  // Click a result (not the query itself): the grid becomes that image's neighbours.
  const picked = first[1];
  const second = await browseFrom(page, picked.id, first[0].id);
  check(second.length > 0 && !second.some((h) => h.id === picked.id),
        'clicking a result searches from it (it is not among its own neighbours)');
  check(second.map((h) => h.id).join() !== first.map((h) => h.id).join(), 'the grid changes');
  await page.screenshot({ path: path.join(evidence, 'browse.png'), fullPage: true });

  // Paste and drag-and-drop search too.
  const sunflower = photos('sunflower', 4, 1)[0];
  const pasted = await pasteOrDrop(page, 'paste', sunflower);
  check(pasted.length > 0 && pasted[0].path === sunflower, 'a pasted picture is searched',
        pasted[0] && pasted[0].path);
  const daisy = photos('daisy', 6, 1)[0];
  const dropped = await pasteOrDrop(page, 'drop', daisy);
  check(dropped.length > 0 && dropped[0].path === daisy, 'a dropped picture is searched',
        dropped[0] && dropped[0].path);

  // The keyboard reaches the results: focus one and press Enter.
  await page.focus(`#grid li:nth-child(2) button`);
  const keyed = await page.getAttribute('#grid li:nth-child(2)', 'data-id');
  await page.keyboard.press('Enter');
  await page.waitForFunction((id) => !document.querySelector(`#grid li[data-id="${id}"]`) &&
      document.querySelectorAll('#grid li').length > 0, keyed);
  check(true, 'Enter on a focused result searches from it');

  // An API error is shown with the API's message.
  await uploadAndWait(page, path.join(work, 'not-a-picture.jpg'));
  const error = (await page.textContent('#error-text')) || '';
  check(await page.isVisible('#error') && error.length > 10 && !/^\d{3} /.test(error),
        "a bad picture shows the API's error message", error);
  await page.click('#error-close');

  // The indexing panel adds a server-side folder under --roots as a job and follows it; reloaded
  // while the job runs (or after it), the page follows the job again until it is done.
  await page.fill('#index-paths', 'more');
  await page.click('#index-form button[type=submit]');
  await page.waitForSelector('#index-status[data-job]');
  await page.reload();
  await page.waitForSelector('#index-status[data-state=done]');
  const status = await page.textContent('#index-status');
  check(/^3 indexed/.test(status), 'indexing a folder by path reports its counts', status);
  const bar = await page.$eval('#index-progress', (b) => ({ hidden: b.hidden, value: b.value, max: b.max }));
  check(!bar.hidden && bar.max === 3 && bar.value === 3, 'the progress bar reaches the total',
        JSON.stringify(bar));
  check(await page.isHidden('#index-cancel'), 'no cancel button once the job is done');
  await page.waitForFunction((n) => document.querySelector('#stats').textContent.includes(`${n} images`),
                             library.length + 3);
  check(true, 'the stats count the new pictures');
  await page.fill('#index-paths', 'bad');
  await page.click('#index-form button[type=submit]');
  await page.waitForFunction(() => /not-a-picture\.jpg: ./.test(document.querySelector('#index-failures').textContent));
  check(await page.isVisible('#index-failures'), 'a file that fails is listed with its reason',
        await page.textContent('#index-failures'));
  await page.screenshot({ path: path.join(evidence, 'indexing.png'), fullPage: true });
  await page.fill('#index-paths', '/etc');
  await page.click('#index-form button[type=submit]');
  await page.waitForSelector('#error:not([hidden])');
  check(true, 'a path outside the roots is refused with a message',
        await page.textContent('#error-text'));
  await page.close();

  // Copies: a library photo less 5% on every side, shrunk and recompressed, finds that photo, with
  // its confidence and the region the copy shows outlined on it.
  const copies = await openPage({ width: 1280, height: 900 });
  const cropped = await editedCopy(copies, original, path.join(work, 'cropped.jpg'),
                                   { crop: 0.05, scale: 0.7 });
  await copies.check('input[name=mode][value=copies]');
  const copiesCaption = await uploadAndWait(copies, cropped);
  const copyHits = await hits(copies);
  check(copyHits.length === 1 && copyHits[0].path === original,
        'an edited copy finds its original, and nothing else', `${copiesCaption}; ` +
        copyHits.map((h) => h.path).join(' '));
  check(copyHits[0] && copyHits[0].score >= 0.5, 'with its confidence', copyHits[0] && copyHits[0].score);
  const details = await copies.textContent('#grid li:first-child .details');
  check(/region \d+×\d+ at \d+,\d+/.test(details), 'the matched region is given', details);
  check(await copies.isVisible('#grid li:first-child svg.overlay polygon'),
        'and outlined on the thumbnail');
  await thumbnailsLoaded(copies, '#grid img', Infinity);
  await copies.screenshot({ path: path.join(evidence, 'copies.png'), fullPage: true });

  // Duplicates: a smaller copy of the same photo, uploaded, forms a group with it; the original
  // (more pixels) is the one to keep.
  const smaller = await editedCopy(copies, original, path.join(work, 'smaller-copy.jpg'),
                                   { scale: 0.5 });
  await copies.setInputFiles('#upload-files', smaller);
  await copies.click('#upload-form button[type=submit]');
  await copies.waitForFunction(() => /Uploaded/.test(document.querySelector('#index-status').textContent));
  const uploaded = await copies.textContent('#index-status');
  check(/1 new/.test(uploaded), 'the copy is uploaded', uploaded);
  await copies.click('#dups-load');
  await copies.waitForFunction(() => /group|No duplicates/.test(document.querySelector('#dups-caption').textContent));
  const groups = await copies.$$eval('#dups-list .dup-group', (lists) => lists.map((ol) =>
      [...ol.querySelectorAll('li')].map((li) => ({ path: li.dataset.path, keeper: li.classList.contains('keeper') }))));
  check(groups.length === 1 && groups[0].length === 2, 'the duplicates view shows one group of two',
        JSON.stringify(groups));
  check(groups[0] && groups[0][0].path === original && groups[0][0].keeper &&
        !groups[0][1].keeper && groups[0][1].path.includes('/uploads/'),
        'the original first, marked as the one to keep', JSON.stringify(groups));
  await thumbnailsLoaded(copies, '#dups-list img', Infinity);
  await copies.locator('#dups').screenshot({ path: path.join(evidence, 'duplicates.png') });
  await copies.close();

  // At phone width: results, and nothing wider than the screen.
  const phone = await openPage({ width: 390, height: 844 });
  await uploadAndWait(phone, query);
  const phoneHits = await hits(phone);
  check(phoneHits.length > 0 && phoneHits[0].path === query, 'the search works at phone width');
  const widths = await phone.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  check(widths.scroll <= widths.client, 'no horizontal scrolling at 390 px',
        `${widths.scroll} > ${widths.client}`);
  await phone.screenshot({ path: path.join(evidence, 'phone.png'), fullPage: true });
  await phone.check('input[name=mode][value=copies]');
  await phone.waitForFunction(() => /copies/.test(document.querySelector('#results-caption').textContent));
  await phone.click('#dups-load');
  await phone.waitForFunction(() => /group/.test(document.querySelector('#dups-caption').textContent));
  const phoneWidths = await phone.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  check(phoneWidths.scroll <= phoneWidths.client,
        'copies and duplicates fit at 390 px too', `${phoneWidths.scroll} > ${phoneWidths.client}`);
  await phone.screenshot({ path: path.join(evidence, 'phone-copies.png'), fullPage: true });
  await phone.close();

  // With API keys: the page asks for one, then sends it (thumbnails included, which an <img>
  // alone could not authorise).
  await stopProcess(server);
  const key = 'e2e-' + crypto.randomBytes(16).toString('hex');
  const keys = path.join(work, 'keys.txt');
  fs.writeFileSync(keys, `${crypto.createHash('sha256').update(key).digest('hex')} read e2e\n`);
  await serve(['--keys', keys]);
  const locked = await openPage({ width: 1280, height: 900 }, false);
  await locked.waitForSelector('#error:not([hidden])');
  const asked = await locked.textContent('#error-text');
  check(/API key/.test(asked), 'without a key the page says one is needed', asked);
  await locked.click('#key-panel summary');
  await locked.fill('#api-key', key);
  await locked.click('#key-form button[type=submit]');
  await locked.waitForFunction(() => /\d+ images/.test(document.querySelector('#stats').textContent));
  check(true, 'with the key the library loads');
  await uploadAndWait(locked, query);
  const withKey = await hits(locked);
  check(withKey.length > 0 && withKey[0].path === query, 'searching works with the key');
  await locked.waitForFunction(() => [...document.querySelectorAll('#grid img')].slice(0, 6)
      .every((img) => img.complete && img.naturalWidth > 0 && img.src.startsWith('blob:')));
  check(true, 'thumbnails load with the key');
  check(await locked.evaluate(() => localStorage.getItem('alike.apiKey')) === key,
        'the key is kept in the browser');
  await locked.screenshot({ path: path.join(evidence, 'with-key.png'), fullPage: true });
  await locked.close();

  await facesMode();

  pages.checkClean();
} catch (e) {
  check(false, 'the run finished', e.stack || String(e));
} finally {
  await browser.close();
  await stopProcess(server);
  fs.rmSync(work, { recursive: true, force: true });
}

finish('web e2e', evidence);
