// The web page end to end against a cluster router, in a real browser: a loopback three-server
// NATS cluster (alike-test-nats-cluster), 32 photos (e2e.mjs's 10 daisies, roses and sunflowers
// and two UKBench photos) indexed by `alike index --cluster` and one `alike worker`, an `alike node` per
// space, and `alike serve --cluster --library` serving the page. It searches by upload (the photo
// finds itself first and mostly its own kind, thumbnails made from the files), browses by clicking
// a result, finds an edited copy verified and the copy of a picture whose file is gone unverified
// (said on the page), and checks that what a cluster cannot do (statistics, duplicates, adding
// pictures, faces in a library without them) reads as a message, not a broken page.
//
//   node tests/web/e2e_cluster.mjs path/to/alike path/to/alike-test-nats-cluster
//
// Environment as tests/web/e2e.mjs. Exits 77 (skipped) when chromium, node_modules, the photos or
// nats-server are absent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  Pages, browseFrom, check, editedCopy, embedder, finish, flowers, hits, launchBrowser, photos,
  runAlike, searchFindsItself, setUp, skip, startProcess, startServer, stopProcess, ukbench,
  uploadAndWait,
} from './harness.mjs';

const CLASSES = ['daisy', 'rose', 'sunflower'];
const PER_CLASS = 10;  // as e2e.mjs: fewer leave too few of a kind to be "mostly" found
const LIBRARY = 'web';

const { binary, chromium, chromiumPath, evidence } = await setUp(process.argv);
const natsCluster = path.resolve(process.argv[3] || path.join(path.dirname(binary), 'alike-test-nats-cluster'));
if (!fs.existsSync(natsCluster)) skip(`no alike-test-nats-cluster at ${natsCluster}`);
if (!CLASSES.every((c) => fs.existsSync(path.join(flowers, c))) || !fs.existsSync(ukbench)) {
  skip(`shared photos absent: ${flowers} or ${ukbench}`);
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'alike-web-cluster-'));
const children = [];  // stopped at the end, the NATS servers last
// Whatever way the run ends, nothing it started outlives it (a worker would wait out a NATS
// outage for minutes).
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));
async function start(program, args, ready) {
  const { child } = await startProcess(program, args, ready);
  children.unshift(child);
  return child;
}

// ---- The cluster ---------------------------------------------------------------------------

fs.mkdirSync(path.join(work, 'nats'));
const nats = await new Promise((resolve, reject) => {
  startProcess(natsCluster, [path.join(work, 'nats')], /nats: (\S+)/, 40000).then(({ child, match }) => {
    children.push(child);
    resolve(match[1]);
  }, (e) => (/exited \(77\)/.test(e.message) ? skip(e.message) : reject(e)));
});

// As workers keep them: absolute, symbolic links resolved.
const original = fs.realpathSync(path.join(ukbench, 'ukbench09012.jpg'));
// A picture whose file is removed once indexed: its copies are found, but not verified.
const gone = path.join(work, 'gone.jpg');
fs.copyFileSync(path.join(ukbench, 'ukbench00120.jpg'), gone);
const library = [...CLASSES.flatMap((c) => photos(c, 0, PER_CLASS)).map((p) => fs.realpathSync(p)),
                 original, gone];

const t0 = Date.now();
const queued = JSON.parse(runAlike(binary, [
  '--json', 'index', '--cluster', nats, '--library', LIBRARY, '--embedders', `${embedder},pdq`,
  '--shards', '2', '--batch', '4', '--detach', ...library]).split('\n')[0]);
check(queued.total === library.length, `alike index --cluster queues ${library.length} pictures`,
      JSON.stringify(queued));
await start(binary, ['worker', '--cluster', nats, '--library', LIBRARY], /indexing image library/);
for (const space of [embedder, 'pdq']) {
  await start(binary, ['node', '--nats', nats, '--collection', `${LIBRARY}-${space}`, '--data',
                       path.join(work, `node-${space}`), '--shards', '0-1', '--node-id', `n-${space}`],
              /serving 2 shards/);
}
const followed = runAlike(binary, ['--json', 'cluster', 'jobs', '--nats', nats, '--library', LIBRARY,
                                   queued.job, '--follow']).trim().split('\n').pop();
check(JSON.parse(followed).indexed === library.length, 'one worker indexes them all', followed);
const { server, base } = await startServer(binary, ['serve', '--cluster', nats, '--library', LIBRARY,
                                                     '--port', '0']);
children.unshift(server);

// The nodes apply what the worker wrote as they read their streams: wait until a search through
// the router sees every picture in both spaces.
async function searchable(by) {
  const body = fs.readFileSync(library[0]);
  for (const deadline = Date.now() + 30000; Date.now() < deadline;) {
    const res = await fetch(`${base}/v1/search?by=${by}&k=50`,
                            { method: 'POST', headers: { 'Content-Type': 'image/jpeg' }, body });
    if (res.ok && (await res.json()).results.length === library.length) return true;
    await new Promise((resolve) => { setTimeout(resolve, 200); });
  }
  return false;
}
check(await searchable(embedder) && await searchable('pdq'), 'the router finds every picture');
console.log(`cluster ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

// ---- The page ------------------------------------------------------------------------------

const browser = await launchBrowser(chromium, chromiumPath);
const pages = new Pages(browser);
pages.base = base;
try {
  const page = await pages.open({ width: 1280, height: 900 }, /Cluster image library/);
  check(await page.isHidden('#error'), 'the page loads without an error');
  check(await page.isHidden('#dups'), 'no duplicates view (a cluster keeps no catalog)');
  check(await page.isVisible('#index-cluster-note') && await page.isHidden('#index-form') &&
        await page.isHidden('#upload-form'),
        'the adding panel says how a cluster is indexed instead of offering forms',
        await page.textContent('#index-cluster-note'));
  check(/uploaded picture only/.test(await page.textContent('#mode-note')),
        'the modes say what a cluster searches');

  // Search by uploading one of the library's roses (the one e2e.mjs searches with).
  // As workers keep paths: absolute, symbolic links resolved. The thumbnails are made by the
  // router from the files.
  const first = await searchFindsItself(page, fs.realpathSync(photos('rose', 2, 1)[0]));
  await page.screenshot({ path: path.join(evidence, 'cluster-search.png'), fullPage: true });

  const second = await browseFrom(page, first[1].id, first[0].id);
  check(second.length > 0 && !second.some((h) => h.id === first[1].id),
        'clicking a result searches from it (it is not among its own neighbours)');
  await page.screenshot({ path: path.join(evidence, 'cluster-browse.png'), fullPage: true });

  // Copies: an edited copy of a photo whose file the router reads is verified (its region
  // outlined); a copy of the picture whose file is gone is found on its hash alone, and the page
  // says it is not verified.
  const cropped = await editedCopy(page, original, path.join(work, 'cropped.jpg'),
                                   { crop: 0.05, scale: 0.7 });
  const smaller = await editedCopy(page, gone, path.join(work, 'smaller.jpg'), { scale: 0.6 });
  fs.rmSync(gone);
  await page.check('input[name=mode][value=copies]');
  const copiesCaption = await uploadAndWait(page, cropped);
  const verified = await hits(page);
  check(verified.length >= 1 && verified[0].path === original && verified[0].verified === 'true',
        'an edited copy finds its original, verified', `${copiesCaption}; ${JSON.stringify(verified)}`);
  check(await page.isVisible('#grid li:first-child svg.overlay polygon'),
        'the matched region is outlined on the thumbnail');
  await page.screenshot({ path: path.join(evidence, 'cluster-copies.png'), fullPage: true });
  await uploadAndWait(page, smaller);
  const unverified = await hits(page);
  const details = await page.textContent('#grid li:first-child .details');
  check(unverified.length >= 1 && unverified[0].path === gone && unverified[0].verified === 'false' &&
        /not verified/.test(details),
        'a copy of a picture whose file is gone is found, said to be not verified',
        `${JSON.stringify(unverified)}; ${details}`);
  await page.waitForSelector('#grid li:first-child img.broken', { state: 'attached' });
  check(true, 'its missing thumbnail leaves an empty tile, not a broken image');
  await page.screenshot({ path: path.join(evidence, 'cluster-copies-unverified.png'), fullPage: true });

  // In copies mode a result is still searched from, by similarity (a cluster searches copies of
  // uploads only).
  await uploadAndWait(page, cropped);
  await page.click(`#grid li[data-id="${verified[0].id}"] button`);
  await page.waitForFunction(() => /results for .*similar/.test(
      document.querySelector('#results-caption').textContent));
  const fromCopy = await hits(page);
  check(fromCopy.length > 1 && !fromCopy.some((h) => h.id === verified[0].id),
        'a copy result searches for similar images', JSON.stringify(fromCopy.slice(0, 3)));

  // Faces: this library does not index them; the search answers why, and the page goes on.
  await page.check('input[name=mode][value=faces]');
  await uploadAndWait(page, first[0].path);
  const faceError = (await page.textContent('#error-text')) || '';
  check(await page.isVisible('#error') && /opt-in/.test(faceError),
        'faces in a library without them: the opt-in message is shown', faceError);
  await page.screenshot({ path: path.join(evidence, 'cluster-faces-off.png'), fullPage: true });
  await page.click('#error-close');
  await page.check('input[name=mode][value=similar]');
  await page.waitForFunction(() => /results for/.test(document.querySelector('#results-caption').textContent));
  check((await hits(page)).length > 0, 'and similar search works again');

  pages.checkClean();
} catch (e) {
  check(false, 'the run finished', e.stack || String(e));
} finally {
  await browser.close();
  for (const child of children) await stopProcess(child);
  fs.rmSync(work, { recursive: true, force: true });
}

finish('web e2e cluster', evidence);
