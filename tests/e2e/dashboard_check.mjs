// Drives covgapd's dashboard in headless Chromium (the system's /usr/bin/chromium, through
// playwright-core of server/http/dashboard/node_modules) with every request not to 127.0.0.1
// aborted, and fails if the page attempted any.
//
//   node dashboard_check.mjs --url 'http://127.0.0.1:PORT/?token=…' --screenshot FILE
//        [--mode check|screenshot] [--gap ID] [--district NAME] [--statuses open,planned,…]
//
// --mode check (default): the map shows gap polygons (one SVG path per gap the table lists, and
// at least one); choosing --district narrows the to-do table; clicking the row of gap --gap (the
// first row without it) moves the map's centre and opens the gap panel with its history; the
// screenshot taken at the start holds each status colour of --statuses (the page's own
// COVGAP_STATUS_COLOURS, colours.js), decoded here with zlib. Prints one JSON line of what it
// saw; exit 1 with the reasons on stderr when a check fails.
// --mode screenshot: loads the page and writes the screenshot (scripts/demo.sh).
import {createRequire} from 'node:module';
import {readFileSync} from 'node:fs';
import {inflateSync} from 'node:zlib';

const require = createRequire(new URL('../../server/http/dashboard/package.json', import.meta.url));
const {chromium} = require('playwright-core');

function parseArgs(argv) {
  const out = {mode: 'check', statuses: ''};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (argv[i + 1] === undefined) throw new Error('missing value for ' + argv[i]);
    out[key] = argv[i + 1];
  }
  if (!out.url || !out.screenshot) throw new Error('--url and --screenshot are required');
  return out;
}

// The RGB(A) pixels of an 8-bit PNG (colour types 2 and 6, no interlace): {width, height, channels,
// data}.
function decodePng(buffer) {
  if (buffer.readUInt32BE(0) !== 0x89504e47) throw new Error('not a PNG');
  let pos = 8, width = 0, height = 0, channels = 0;
  const idat = [];
  while (pos < buffer.length) {
    const length = buffer.readUInt32BE(pos);
    const type = buffer.toString('latin1', pos + 4, pos + 8);
    const body = buffer.subarray(pos + 8, pos + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8], colour = body[9], interlace = body[12];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new Error(`PNG of depth ${depth}, colour type ${colour}, interlace ${interlace}`);
      }
      channels = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      idat.push(body);
    } else if (type === 'IEND') {
      break;
    }
    pos += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = Buffer.alloc(height * stride);
  for (let y = 0; y < height; ++y) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = data.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? data.subarray((y - 1) * stride, y * stride) : null;
    for (let x = 0; x < stride; ++x) {
      const a = x >= channels ? out[x - channels] : 0;
      const b = prev ? prev[x] : 0;
      const c = prev && x >= channels ? prev[x - channels] : 0;
      let v = line[x];
      if (filter === 1) v += a;
      else if (filter === 2) v += b;
      else if (filter === 3) v += (a + b) >> 1;
      else if (filter === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (filter !== 0) throw new Error('PNG filter ' + filter);
      out[x] = v & 0xff;
    }
  }
  return {width, height, channels, data};
}

// Pixels within `tolerance` (per channel) of each "#rrggbb" colour.
function countColours(png, colours, tolerance = 8) {
  const targets = Object.entries(colours).map(([name, hex]) => [name, parseInt(hex.slice(1, 3), 16),
                                                                 parseInt(hex.slice(3, 5), 16),
                                                                 parseInt(hex.slice(5, 7), 16)]);
  const counts = Object.fromEntries(targets.map(([name]) => [name, 0]));
  for (let i = 0; i < png.data.length; i += png.channels) {
    const r = png.data[i], g = png.data[i + 1], b = png.data[i + 2];
    for (const [name, tr, tg, tb] of targets) {
      if (Math.abs(r - tr) <= tolerance && Math.abs(g - tg) <= tolerance &&
          Math.abs(b - tb) <= tolerance) {
        ++counts[name];
      }
    }
  }
  return counts;
}

async function waitReady(page) {
  await page.waitForFunction(() => ['1', 'error'].includes(document.body.dataset.ready),
                             null, {timeout: 60000});
  const state = await page.evaluate(() => document.body.dataset.ready);
  if (state !== '1') {
    throw new Error('the dashboard failed: ' + await page.textContent('#message'));
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const failures = [];
  const seen = {};
  const browser = await chromium.launch({executablePath: '/usr/bin/chromium',
                                         args: ['--no-sandbox']});
  try {
    const page = await browser.newPage({viewport: {width: 1600, height: 1000}});
    const blocked = [];
    const pageErrors = [];
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname === '127.0.0.1') return route.continue();
      blocked.push(url.href);
      return route.abort();
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.goto(args.url);
    await waitReady(page);
    // The map settles (tiles of SVG drawn) before the picture.
    await page.waitForTimeout(300);
    await page.screenshot({path: args.screenshot});
    seen.screenshot = args.screenshot;
    if (args.mode === 'check') {
      seen.token_left_in_url = (await page.evaluate(() => location.search)).includes('token=');
      if (seen.token_left_in_url) failures.push('the token stays in the address bar');
      seen.gap_paths = await page.locator('#map path.gap').count();
      seen.rows = await page.locator('#todo tbody tr').count();
      seen.listed = await page.evaluate(() => Number(document.body.dataset.gapsDrawn));
      if (seen.gap_paths < 1) failures.push('no gap polygon on the map');
      if (seen.gap_paths !== seen.listed) {
        failures.push(`${seen.gap_paths} gap paths on the map, ${seen.listed} gaps listed`);
      }
      if (seen.rows < 1) failures.push('the to-do table is empty');

      const colours = await page.evaluate(() => window.COVGAP_STATUS_COLOURS);
      const wanted = args.statuses ? args.statuses.split(',') : [];
      const counts = countColours(decodePng(readFileSync(args.screenshot)),
                                  Object.fromEntries(wanted.map((s) => [s, colours[s]])));
      seen.colour_pixels = counts;
      for (const s of wanted) {
        if (!colours[s]) failures.push(`no colour for status ${s}`);
        else if (counts[s] < 4) failures.push(`status ${s} (${colours[s]}): ${counts[s]} pixels`);
      }

      if (args.district) {
        await page.selectOption('#f-district', args.district);
        await waitReady(page);
        seen.rows_in_district = await page.locator('#todo tbody tr').count();
        seen.gap_paths_in_district = await page.locator('#map path.gap').count();
        const districts = await page.locator('#todo tbody tr td:nth-child(5)').allTextContents();
        if (!(seen.rows_in_district > 0 && seen.rows_in_district < seen.rows)) {
          failures.push(`the district filter left ${seen.rows_in_district} of ${seen.rows} rows`);
        }
        if (districts.some((d) => d !== args.district)) {
          failures.push('rows of other districts after the district filter');
        }
        if (seen.gap_paths_in_district >= seen.gap_paths) {
          failures.push('the district filter did not narrow the map');
        }
        await page.selectOption('#f-district', '');
        await waitReady(page);
      }

      const row = args.gap ? page.locator(`#todo tbody tr[data-gap="${args.gap}"]`)
                           : page.locator('#todo tbody tr').first();
      if (await row.count() !== 1) {
        failures.push(`no to-do row for gap ${args.gap}`);
      } else {
        const before = await page.evaluate(() => {
          const c = window.covgapDashboard.map.getCenter();
          return {lat: c.lat, lng: c.lng, zoom: window.covgapDashboard.map.getZoom()};
        });
        const gapId = await row.getAttribute('data-gap');
        await row.click();
        await page.waitForSelector('#panel:not([hidden]) .history li', {timeout: 20000});
        const after = await page.evaluate(() => {
          const c = window.covgapDashboard.map.getCenter();
          return {lat: c.lat, lng: c.lng, zoom: window.covgapDashboard.map.getZoom()};
        });
        seen.clicked = gapId;
        seen.center_before = before;
        seen.center_after = after;
        if (Math.abs(before.lat - after.lat) + Math.abs(before.lng - after.lng) < 1e-6) {
          failures.push('the map did not pan to the clicked gap');
        }
        if (after.zoom <= before.zoom) failures.push('the map did not zoom in on the gap');
        seen.panel_title = await page.textContent('#panel h2');
        seen.history = await page.locator('#panel .history li').evaluateAll(
            (items) => items.map((li) => li.dataset.event));
        if (!seen.panel_title.includes(gapId)) failures.push('the panel shows another gap');
        if (!seen.history.includes('new')) failures.push('the gap history has no "new" event');
      }

      await page.click('#lang-en');
      seen.english_tab = await page.textContent('.tabs button[data-tab="todo"]');
      if (seen.english_tab !== 'To-do') failures.push('the language switch did not relabel');
      seen.progress_cards = await page.locator('#progress-summary .card').count();
      seen.schools = await page.locator('#schools tbody tr').count();
    }
    seen.blocked_requests = blocked;
    seen.page_errors = pageErrors;
    if (blocked.length) failures.push('requests outside 127.0.0.1 were attempted: ' + blocked);
    if (pageErrors.length) failures.push('page errors: ' + pageErrors.join('; '));
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(seen));
  if (failures.length) {
    for (const f of failures) console.error('FAIL: ' + f);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error('FAIL: ' + (e && e.stack || e));
  process.exit(1);
});
