#!/usr/bin/env node
// End-to-end test of the k2search web page, driven by playwright-core with
// the system Chromium (no browser download).
//
//   node e2e.mjs BASE_URL [SCREENSHOT.png]
//   e.g. node e2e.mjs http://127.0.0.1:7878 /tmp/k2search.png
//
// With a screenshot path P it writes P (desktop 1280x900, results),
// P-panel (desktop, passage panel open), P-phone (390x844, results) and
// P-phone-panel (390x844, passage panel open), each with ".png" kept last.
// Environment: CHROMIUM = browser executable (default /usr/bin/chromium).
// Exit status: 0 when every check passes, 1 on the first failed check,
// 2 on bad usage. Ends with a "N passed, N failed" line.

import { chromium } from 'playwright-core';

const base = (process.argv[2] || '').replace(/\/+$/, '');
const shotPath = process.argv[3] || '';
if (!/^https?:\/\//.test(base)) {
  console.error('usage: node e2e.mjs BASE_URL [SCREENSHOT.png]   (e.g. http://127.0.0.1:7878)');
  process.exit(2);
}

const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 10000);
const CITATION_RE = /\.txt:\d+-\d+/;
let passed = 0;

class CheckFailed extends Error {}

function ok(name) {
  passed++;
  console.log(`ok ${passed} - ${name}`);
}
function check(cond, name, detail = '') {
  if (!cond) throw new CheckFailed(`${name}${detail ? `\n       ${detail}` : ''}`);
  ok(name);
}
function note(msg) {
  console.log(`# ${msg}`);
}
function shotName(suffix) {
  if (!shotPath) return '';
  const m = shotPath.match(/^(.*?)(\.png)?$/i);
  return `${m[1]}${suffix}.png`;
}
async function waitFor(what, fn, timeout = TIMEOUT) {
  try {
    await fn(timeout);
  } catch (e) {
    throw new CheckFailed(`${what} (timed out after ${timeout} ms)\n       ${String(e.message || e).split('\n')[0]}`);
  }
}
const norm = (s) => String(s || '').replace(/\s+/g, ' ').trim();

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
let browser;
try {
  browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
} catch (e) {
  console.error(`not ok 1 - could not start Chromium at ${executablePath} (set CHROMIUM=...; apt-get install -y chromium)`);
  console.error(`# ${String(e.message || e).split('\n')[0]}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const pageErrors = [];
function watch(page) {
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(`console.error: ${m.text()}`);
  });
}

/** Waits until the page has settled on one of its views; returns its name. */
async function settledView(page, allowed = ['results', 'none', 'error', 'empty']) {
  await page.waitForFunction(
    (views) => {
      const f = document.getElementById('search-form');
      const v = document.body.getAttribute('data-view');
      return f && !f.classList.contains('is-loading') && views.includes(v);
    },
    allowed,
    { timeout: TIMEOUT },
  );
  return page.evaluate(() => document.body.getAttribute('data-view'));
}

/** Resolves when the page sends GET /search with q === text (trimmed). */
function searchRequest(page, text, extra = () => true) {
  return page.waitForRequest((r) => {
    if (!r.url().includes('/search?')) return false;
    const sp = new URL(r.url()).searchParams;
    return sp.get('q') === text.trim() && extra(sp);
  }, { timeout: TIMEOUT }).catch(() => {
    throw new CheckFailed(`the page sends GET /search?q=${text.trim()} (none seen within ${TIMEOUT} ms)`);
  });
}

/** Fills the search box and waits for that search to finish rendering. */
async function searchFor(page, box, text, views) {
  const req = searchRequest(page, text);
  await box.fill(text);
  await req;
  return settledView(page, views);
}

async function run() {
  // ------------------------------------------------------------ desktop
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
  const page = await ctx.newPage();
  page.setDefaultTimeout(TIMEOUT);
  watch(page);

  const resp = await page.goto(`${base}/`, { waitUntil: 'load' }).catch((e) => {
    throw new CheckFailed(`cannot load ${base}/ (is the server running?)\n       ${String(e.message || e).split('\n')[0]}`);
  });
  check(resp && resp.ok(), 'GET / answers 200', resp ? `status ${resp.status()}` : 'no response');
  check(/k2search/i.test(await page.title()), 'page title names k2search', await page.title());
  check(/health search with citations/i.test(await page.locator('header').innerText()),
    'header reads "k2search — health search with citations"');
  check(/Passages are cited to their source file and lines\.\s*Not medical advice\./.test(await page.locator('footer').innerText()),
    'footer carries the citation / not-medical-advice note');

  // Accessible name comes from <label> or aria-label; getByRole computes it. With its
  // list of suggestions (<datalist>) the search input's role is combobox.
  const box = page.getByRole('combobox', { name: /search/i });
  check((await box.count()) === 1, 'search box (a combobox: it offers suggestions) has an accessible label',
    `found ${await box.count()} combobox(es) named /search/i`);

  // Empty state before typing.
  await waitFor('empty state is shown before typing', (t) => page.locator('#state-empty').waitFor({ state: 'visible', timeout: t }));
  const chips = page.locator('#state-empty button.chip');
  check((await chips.count()) >= 3, 'empty state offers example-query chips', `${await chips.count()} chip(s)`);

  // "/" focuses the search box.
  await page.evaluate(() => document.activeElement && document.activeElement.blur());
  await page.locator('header').click({ position: { x: 900, y: 20 } });
  await page.keyboard.press('/');
  check(await box.evaluate((e) => e === document.activeElement), 'pressing "/" focuses the search box');
  check((await box.inputValue()) === '', '"/" is not typed into the box');

  // Search as you type, debounced.
  const typedReq = searchRequest(page, 'warfarin');
  await page.keyboard.type('warfarin', { delay: 40 });
  await typedReq;
  await waitFor('results appear after typing "warfarin"', (t) => page.locator('#results a.hit').first().waitFor({ state: 'visible', timeout: t }));
  check((await settledView(page)) === 'results', 'results view is shown for "warfarin"');
  const hits = page.locator('#results a.hit');
  const nHits = await hits.count();
  check(nHits >= 1, 'at least one result for "warfarin"', `${nHits}`);

  const summary = norm(await page.locator('#summary').innerText());
  check(/^\d[\d,]* results?\b.*·\s*[\d.]+ ms$/.test(summary), 'summary reads "N results · X ms"', summary);
  check((await page.locator('#summary').getAttribute('aria-live')) === 'polite', 'result count is in an aria-live region');
  check(new URL(page.url()).searchParams.get('q') === 'warfarin', 'query is reflected in the URL (?q=warfarin)', page.url());

  const citations = await page.locator('#results a.hit .citation').allInnerTexts();
  check(citations.some((c) => CITATION_RE.test(c)), 'a result shows a citation like file.txt:12-34', JSON.stringify(citations.slice(0, 3)));
  check(citations.every((c) => CITATION_RE.test(c)), 'every result shows a file:lines citation');
  const marks = await page.locator('#results a.hit .hit-snippet mark').allInnerTexts();
  check(marks.length >= 1, 'a snippet highlights matched terms with <mark>', `${marks.length} mark(s)`);
  check(marks.some((m) => /warfarin/i.test(m)), 'the highlighted term is the query word', JSON.stringify(marks.slice(0, 5)));
  const titles = await page.locator('#results a.hit .hit-title').allInnerTexts();
  check(titles.every((t) => norm(t).length > 0), 'every result has a title');
  check((await page.locator('#results a.hit .badge:not([hidden])').count()) >= 1, 'results carry a category badge');

  // Snippet HTML must not carry anything but text and <mark>.
  const foreign = await page.locator('#results .hit-snippet *:not(mark)').count();
  check(foreign === 0, 'snippets contain no elements other than <mark>', `${foreign} other element(s)`);

  if (shotPath) {
    await page.screenshot({ path: shotName(''), fullPage: false });
    note(`screenshot ${shotName('')}`);
  }

  // Keyboard: ArrowDown from the box selects the first result; Enter opens it.
  const firstId = await hits.nth(0).getAttribute('data-id');
  const firstCitation = norm(citations[0]);
  await box.focus();
  await page.keyboard.press('ArrowDown');
  check(await hits.nth(0).evaluate((e) => e === document.activeElement), 'ArrowDown moves focus to the first result');
  const outline = await hits.nth(0).evaluate((e) => {
    const s = getComputedStyle(e);
    return { shadow: s.boxShadow, border: s.borderColor, outline: s.outlineStyle };
  });
  check(outline.shadow !== 'none' || outline.outline !== 'none', 'the selected result has a visible focus style', JSON.stringify(outline));
  if (nHits >= 2) {
    await page.keyboard.press('ArrowDown');
    check(await hits.nth(1).evaluate((e) => e === document.activeElement), 'ArrowDown moves to the next result');
    await page.keyboard.press('ArrowUp');
    check(await hits.nth(0).evaluate((e) => e === document.activeElement), 'ArrowUp moves back');
  }

  const passageResp = page.waitForResponse((r) => r.url().includes(`/passages/${encodeURIComponent(firstId)}`), { timeout: TIMEOUT });
  await page.keyboard.press('Enter');
  const panel = page.locator('#panel');
  await waitFor('passage panel opens on Enter', (t) => panel.waitFor({ state: 'visible', timeout: t }));
  const pr = await passageResp.catch(() => null);
  check(pr && pr.ok(), `panel fetches GET /passages/${firstId}`, pr ? `status ${pr.status()}` : 'no request seen');
  const passage = await pr.json();
  await page.waitForFunction(() => !document.getElementById('panel').hasAttribute('aria-busy'), null, { timeout: TIMEOUT });
  const panelText = norm(await page.locator('#panel-body').innerText());
  check(panelText.length > 0 && panelText === norm(passage.text), 'panel shows the full passage text',
    `panel: ${JSON.stringify(panelText.slice(0, 120))}\n       api:   ${JSON.stringify(norm(passage.text).slice(0, 120))}`);
  const panelMarks = await page.locator('#panel-body mark').allInnerTexts();
  check(panelMarks.some((m) => /warfarin/i.test(m)), 'the panel highlights the words the server searched', JSON.stringify(panelMarks.slice(0, 5)));
  const panelCitation = norm(await page.locator('#panel-citation').innerText());
  check(CITATION_RE.test(panelCitation), 'panel shows the citation', panelCitation);
  check(panelCitation === firstCitation, 'panel citation matches the result', `${panelCitation} vs ${firstCitation}`);
  check(norm(await page.locator('#panel-title').innerText()) === norm(passage.title), 'panel shows the document title');
  check(await page.getByRole('button', { name: /close/i }).isVisible(), 'panel has a close button');
  check(new URL(page.url()).searchParams.get('p') === firstId, 'open passage is reflected in the URL (?p=)');
  if (shotPath) {
    await page.waitForTimeout(250); // let the slide-in finish
    await page.screenshot({ path: shotName('-panel') });
    note(`screenshot ${shotName('-panel')}`);
  }

  await page.keyboard.press('Escape');
  await waitFor('Escape closes the panel', (t) => panel.waitFor({ state: 'hidden', timeout: t }));
  ok('Escape closes the panel');
  check(await hits.nth(0).evaluate((e) => e === document.activeElement), 'focus returns to the result after closing');

  // Clicking a result and the close button.
  await hits.nth(0).click();
  await waitFor('click opens the panel', (t) => panel.waitFor({ state: 'visible', timeout: t }));
  ok('clicking a result opens the panel');
  await page.locator('#panel-close').click();
  await waitFor('close button closes the panel', (t) => panel.waitFor({ state: 'hidden', timeout: t }));
  ok('close button closes the panel');

  // Category filter: the seed corpus has categories, so the page must offer one.
  const select = page.getByRole('combobox', { name: /category/i });
  check((await select.count()) === 1 && (await select.isVisible()), 'the page offers a category filter');
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ v: o.value, t: o.textContent })));
  check(options.length > 1, 'the category filter lists the index\'s categories', JSON.stringify(options));
  check(options[0].v === '' && /all categories/i.test(options[0].t), 'category filter starts with "All categories"', JSON.stringify(options[0]));
  check(options.slice(1).every((o) => o.t && !/_/.test(o.t)), 'category names are human readable', options.map((o) => o.t).join(', '));
  const labels = (await page.evaluate(() => fetch('/stats').then((r) => r.json()))).category_labels || {};
  check(options.slice(1).every((o) => o.t === labels[o.v]), 'category labels are the server\'s (/stats category_labels)', options.map((o) => `${o.v}=${o.t}`).join(', '));
  const firstCategory = await hits.nth(0).locator('.badge').getAttribute('data-category');
  const want = options.find((o) => o.v === firstCategory) ? firstCategory : options[1].v;
  const searchReq = page.waitForRequest((r) => r.url().includes('/search?') && new URL(r.url()).searchParams.get('category') === want, { timeout: TIMEOUT });
  await select.selectOption(want);
  await searchReq.catch(() => { throw new CheckFailed(`choosing a category sends category=${want}`); });
  ok(`choosing a category sends category=${want}`);
  const view = await settledView(page, ['results', 'none']);
  if (view === 'results') {
    const cats = await page.locator('#results a.hit .badge').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-category')));
    check(cats.every((c) => c === want), `filtered results are all in "${want}"`, JSON.stringify(cats));
  } else {
    check(await page.locator('#state-none').isVisible(), 'an empty filtered search shows the no-results state');
  }
  check(new URL(page.url()).searchParams.get('category') === want, 'category is reflected in the URL');
  await select.selectOption('');
  await settledView(page, ['results']);
  ok('back to all categories');

  // Category chips: the counts of every match per category; a chip filters.
  const facetChips = page.locator('#facet-chips button.facet-chip');
  check((await facetChips.count()) >= 3, 'category chips ("All" and each category, with counts) are shown', `${await facetChips.count()} chip(s)`);
  const chipCat = await facetChips.nth(1).getAttribute('data-category');
  const chipReq = page.waitForRequest((r) => r.url().includes('/search?') && new URL(r.url()).searchParams.get('category') === chipCat, { timeout: TIMEOUT });
  await facetChips.nth(1).click();
  await chipReq.catch(() => { throw new CheckFailed(`a category chip sends category=${chipCat}`); });
  ok(`a category chip sends category=${chipCat}`);
  await settledView(page, ['results']);
  const chipped = await page.locator('#results a.hit .badge').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-category')));
  check(chipped.length > 0 && chipped.every((c) => c === chipCat), `a category chip filters the results to "${chipCat}"`, JSON.stringify(chipped));
  check((await page.locator(`#facet-chips button[data-category="${chipCat}"]`).getAttribute('aria-pressed')) === 'true', 'the chosen category chip is shown pressed');
  await select.selectOption('');
  await settledView(page, ['results']);

  // Prefix search: typing "warf" one key at a time shows warfarin by the 4th key.
  await box.fill('');
  await settledView(page, ['empty']);
  const warfReq = searchRequest(page, 'warf');
  await box.pressSequentially('warf', { delay: 60 });
  await warfReq;
  await waitFor('results appear after typing "warf"', (t) => page.locator('#results a.hit').first().waitFor({ state: 'visible', timeout: t }));
  const warfMarks = await page.locator('#results a.hit .hit-snippet mark').allInnerTexts();
  check(warfMarks.some((m) => /^warfarin$/i.test(m.trim())), 'typing "warf" key by key shows warfarin results (prefix search)', JSON.stringify(warfMarks.slice(0, 5)));

  // Load more, where the engine has more than one page for a broad query.
  await searchFor(page, box, 'vitamin', ['results', 'none']);
  const moreBtn = page.locator('#load-more');
  if (await moreBtn.isVisible()) {
    const before = await hits.count();
    const req = page.waitForRequest((r) => r.url().includes('/search?') && Number(new URL(r.url()).searchParams.get('offset')) === before, { timeout: TIMEOUT });
    await moreBtn.click();
    await req.catch(() => { throw new CheckFailed(`"Load more" requests offset=${before}`); });
    ok(`"Load more" requests offset=${before}`);
    await waitFor('"Load more" appends results', (t) => page.waitForFunction((n) => document.querySelectorAll('#results a.hit').length > n, before, { timeout: t }));
    ok(`"Load more" appends results (${before} → ${await hits.count()})`);
  } else {
    note('"vitamin" fits on one page: load-more check skipped');
  }

  // No-results state.
  check((await searchFor(page, box, 'zzzzqqqxx', ['none', 'results'])) === 'none', 'nonsense query shows the no-results state');
  const noneText = norm(await page.locator('#state-none').innerText());
  check(/no results/i.test(noneText), 'no-results message is friendly ("No results …")', noneText);
  check((await hits.count()) === 0, 'no result items are shown for the nonsense query');
  check(/\b0 results\b/.test(norm(await page.locator('#summary').innerText())), 'summary says 0 results');

  // Clearing the box returns to the empty state; a chip runs its query.
  await box.fill('');
  check((await settledView(page, ['empty'])) === 'empty', 'clearing the query returns to the empty state');
  check(!new URL(page.url()).searchParams.has('q'), 'cleared query is removed from the URL');
  const chipText = norm(await chips.first().innerText());
  await chips.first().click();
  const chipView = await settledView(page, ['results', 'none']);
  check((await box.inputValue()) === chipText, `clicking the "${chipText}" chip fills the box`);
  check(chipView === 'results' || chipView === 'none', 'clicking a chip runs the search', chipView);

  // Error states, with the server's message (simulated by routing).
  await page.route('**/search?**', (route) => route.fulfill({ status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'index exploded (e2e)' }) }));
  check((await searchFor(page, box, 'warfarin error', ['error', 'results', 'none'])) === 'error', 'a 500 answer shows the error state');
  check(/index exploded \(e2e\)/.test(await page.locator('#state-error').innerText()), 'error state shows the server message');
  await page.unroute('**/search?**');
  await page.route('**/search?**', (route) => route.abort('connectionrefused'));
  check((await searchFor(page, box, 'warfarin offline', ['error', 'results', 'none'])) === 'error', 'a network failure shows the error state');
  check(/reach|connect|network/i.test(await page.locator('#state-error').innerText()), 'network failure message is understandable',
    norm(await page.locator('#state-error').innerText()));
  await page.unroute('**/search?**');
  await page.getByRole('button', { name: /try again/i }).click();
  check((await settledView(page, ['results', 'none', 'error'])) !== 'error', '"Try again" recovers once the server answers');

  // Stale responses: a slow answer to an old query must not replace a newer one.
  let delayed = 0;
  await page.route('**/search?**', async (route) => {
    const q = new URL(route.request().url()).searchParams.get('q');
    if (q === 'warf') { delayed++; await new Promise((r) => setTimeout(r, 900)); }
    await route.continue().catch(() => {});
  });
  const slowReq = searchRequest(page, 'warf');
  await box.fill('warf');
  await slowReq;
  await searchFor(page, box, 'zzzzqqqxx', ['none', 'results']);
  await page.waitForTimeout(1100);
  check(delayed >= 1 && (await page.evaluate(() => document.body.getAttribute('data-view'))) === 'none',
    'a late answer to an older query is ignored');
  await page.unroute('**/search?**');

  // Shareable URL: loading ?q= runs the search without typing.
  await page.goto(`${base}/?q=warfarin`);
  await waitFor('loading /?q=warfarin shows results', (t) => page.locator('#results a.hit').first().waitFor({ state: 'visible', timeout: t }));
  check((await box.inputValue()) === 'warfarin', 'loading /?q=warfarin fills the box and shows results');

  // A link made before the rename, with the older `section=`, still filters.
  const older = page.waitForRequest((r) => r.url().includes('/search?') && new URL(r.url()).searchParams.get('category') === want, { timeout: TIMEOUT });
  await page.goto(`${base}/?q=warfarin&section=${want}`);
  await older.catch(() => { throw new CheckFailed(`loading ?section=${want} searches category=${want}`); });
  check((await select.inputValue()) === want, `loading ?section=${want} selects that category`);

  // Deep link to a passage.
  await page.goto(`${base}/?q=warfarin&p=${encodeURIComponent(firstId)}`);
  await waitFor('loading ?p= opens the passage panel', (t) => panel.waitFor({ state: 'visible', timeout: t }));
  await page.waitForFunction(() => !document.getElementById('panel').hasAttribute('aria-busy'), null, { timeout: TIMEOUT });
  check(CITATION_RE.test(await page.locator('#panel-citation').innerText()), 'loading ?p=ID opens that passage with its citation');
  await ctx.close();

  // -------------------------------------------------------------- phone
  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light',
  });
  const ppage = await phone.newPage();
  ppage.setDefaultTimeout(TIMEOUT);
  watch(ppage);
  await ppage.goto(`${base}/?q=warfarin`);
  await waitFor('phone: results appear', (t) => ppage.locator('#results a.hit').first().waitFor({ state: 'visible', timeout: t }));
  const overflow = await ppage.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  check(overflow <= 0, 'phone: no horizontal scrolling at 390px', `${overflow}px too wide`);
  const fontPx = await ppage.locator('#results .hit-snippet').first().evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
  check(fontPx >= 14, 'phone: snippet text is at least 14px', `${fontPx}px`);
  if (shotPath) {
    await ppage.screenshot({ path: shotName('-phone') });
    note(`screenshot ${shotName('-phone')}`);
  }
  await ppage.locator('#results a.hit').first().tap();
  await waitFor('phone: tapping a result opens the panel', (t) => ppage.locator('#panel').waitFor({ state: 'visible', timeout: t }));
  await ppage.waitForFunction(() => !document.getElementById('panel').hasAttribute('aria-busy'), null, { timeout: TIMEOUT });
  const box2 = await ppage.locator('#panel').boundingBox();
  check(box2 && box2.width <= 390 && box2.x >= 0, 'phone: the panel fits the screen', JSON.stringify(box2));
  if (shotPath) {
    await ppage.waitForTimeout(250);
    await ppage.screenshot({ path: shotName('-phone-panel') });
    note(`screenshot ${shotName('-phone-panel')}`);
  }
  await phone.close();

  check(pageErrors.length === 0, 'no JavaScript errors on the page', pageErrors.join('\n       '));
}

let failed = 0;
try {
  await run();
} catch (e) {
  failed = 1;
  if (e instanceof CheckFailed) {
    console.error(`not ok ${passed + 1} - ${e.message}`);
  } else {
    console.error(`not ok ${passed + 1} - unexpected error: ${e && e.stack ? e.stack : e}`);
  }
  if (pageErrors.length) console.error(`# page errors:\n#   ${pageErrors.join('\n#   ')}`);
} finally {
  await browser.close().catch(() => {});
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
