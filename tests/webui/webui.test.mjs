// The chat UI end to end in a real browser: Debian's chromium driven by
// playwright-core against `owlet serve` with the tiny fixture model and a
// fixture web (SearxNG-shaped search + news pages) on loopback.
//
// One test, in the order a person would use the page: ask a time-sensitive
// question (text streams in, source cards, a web route badge), ask with
// "sources only" and follow citation [1] to its highlighted card, ask that
// again in a new chat (cache badge), stop a long generation midway, use the knowledge panel,
// then check phone width and the Chinese strings. Screenshots go to
// OWLET_WEBUI_ARTIFACTS (under the build tree).
//
// Env: OWLET_BINARY, OWLET_NPM_DIR (holds playwright-core), OWLET_CHAT_MODEL,
// OWLET_WEBUI_ARTIFACTS; optional OWLET_CHROMIUM (default /usr/bin/chromium).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startFixtureWeb } from './fixture_web.mjs';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set (run through ctest)`);
  return v;
};
const BINARY = env('OWLET_BINARY');
const MODEL = env('OWLET_CHAT_MODEL');
const ARTIFACTS = env('OWLET_WEBUI_ARTIFACTS');
const require = createRequire(path.join(env('OWLET_NPM_DIR'), 'package.json'));
const { chromium } = require('playwright-core');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function startOwlet(webUrl, kbDir) {
  const port = await freePort();
  const log = [];
  // Nothing from the developer's own setup: an empty config file and no OWLET_* settings
  // (an API key or another model there would change what the page sees).
  const config = path.join(kbDir, 'config.yml');
  fs.writeFileSync(config, '');
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OWLET_')));
  const child = spawn(BINARY, ['serve', '--port', String(port), '--model', MODEL], {
    env: {
      ...inherited,
      OWLET_CONFIG: config,
      OWLET_SEARCH_PROVIDERS: 'searxng',
      OWLET_SEARXNG_URL: webUrl,
      OWLET_ALLOW_PRIVATE: '127.0.0.1',
      OWLET_KNOWLEDGE_PATH: path.join(kbDir, 'kb'),
      OWLET_PARALLEL: '2',
      OWLET_CTX_SIZE: '8192',  // room for a generation long enough to stop midway
      OWLET_THREADS: '2',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => log.push(String(d)));
  child.stderr.on('data', (d) => log.push(String(d)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    if (child.exitCode != null) throw new Error(`owlet serve exited (${child.exitCode}):\n${log.join('')}`);
    try {
      const r = await fetch(base + '/health');
      if (r.status === 200) return { child, base, log };
    } catch { /* not listening yet */ }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`owlet serve not healthy within 30 s:\n${log.join('')}`);
}

async function stopOwlet(o) {
  if (!o || o.child.exitCode != null) return;
  o.child.kill('SIGTERM');
  const t0 = Date.now();
  while (o.child.exitCode == null && Date.now() - t0 < 5000) await sleep(50);
  if (o.child.exitCode == null) o.child.kill('SIGKILL');
}

// The last answer's state and what it shows, read in the page.
const lastAnswer = (page) => page.evaluate(() => {
  const v = [...document.querySelectorAll('.msg.assistant')].pop();
  if (!v) return null;
  const badge = v.querySelector('.route .badge');
  return {
    state: v.dataset.state,
    text: v.querySelector('.answer').textContent,
    status: v.querySelector('.status').textContent,
    tier: badge && !v.querySelector('.route').hidden ? badge.dataset.tier : null,
    badgeText: badge ? badge.textContent : '',
    cards: v.querySelectorAll('.sources .source').length,
    cites: v.querySelectorAll('.answer a.cite').length,
    timing: v.querySelector('.timing .legend')?.textContent || '',
  };
});

// Waits until the last answer leaves the streaming state; fails with what the page shows.
async function waitAnswered(page, timeout = 30000) {
  try {
    await page.waitForFunction(() => {
      const v = [...document.querySelectorAll('.msg.assistant')].pop();
      return v && v.dataset.state && v.dataset.state !== 'streaming';
    }, null, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`answer did not finish in ${timeout} ms: ${JSON.stringify(await lastAnswer(page))}`);
  }
  return lastAnswer(page);
}

// Records the last answer's text length at every DOM change while it streams,
// so "text streams in" is observed, not assumed.
async function watchStreaming(page) {
  await page.evaluate(() => {
    window.__snaps = [];
    const conv = document.querySelector('#conversation');
    window.__obs?.disconnect();
    window.__obs = new MutationObserver(() => {
      const v = [...document.querySelectorAll('.msg.assistant')].pop();
      if (v && v.dataset.state === 'streaming') window.__snaps.push(v.querySelector('.answer').textContent.length);
    });
    window.__obs.observe(conv, { subtree: true, childList: true, characterData: true });
  });
}

async function ask(page, question) {
  await page.locator('#question').fill(question);
  await page.locator('#question').press('Enter');
}

async function setMaxTokens(page, n) {
  await page.locator('#open-settings').click();
  await page.locator('#max-tokens').fill(n == null ? '' : String(n));
  await page.locator('#settings-form button[type=submit]').click();
  await page.keyboard.press('Escape');  // closes the panel
  assert.equal(await page.locator('#settings-panel').isHidden(), true);
}

const shot = (page, name, fullPage = true) => page.screenshot({ path: path.join(ARTIFACTS, name + '.png'), fullPage });

test('web UI end to end in chromium', { timeout: 85000 }, async () => {
  const t0 = Date.now();
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const kbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'owlet-webui-kb-'));
  const web = await startFixtureWeb();
  let owlet, browser, page;
  try {
    owlet = await startOwlet(web.url, kbDir);

    // API clients still get the Ollama-style probe answer at "/".
    const probe = await fetch(owlet.base + '/', { headers: { Accept: '*/*' } });
    assert.equal(await probe.text(), 'owlet is running');

    browser = await chromium.launch({
      executablePath: process.env.OWLET_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
    page = await context.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    // Failed requests are logged by chromium too; the refused URL below is one on purpose.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push('console: ' + m.text());
    });
    await page.goto(owlet.base + '/');
    assert.equal(await page.title(), 'owlet');
    // The model picker lists the served model, given by path, under its file's stem.
    const served = path.basename(MODEL, '.gguf');
    await page.waitForFunction((name) => [...document.querySelectorAll('#model option')].some((o) => o.value === name),
      served, { timeout: 5000 });
    assert.equal(await page.locator('#send').textContent(), 'Send');
    // Every control has an accessible name (a label or aria-label).
    const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())
      .map((e) => e.id || e.outerHTML.slice(0, 60)));
    assert.deepEqual(unnamed, [], 'controls without a label');

    // 1. A time-sensitive question: text streams in, source cards, a web badge.
    await setMaxTokens(page, 64);  // a short answer: the fixture model writes noise
    await page.selectOption('#engine', 'llm');
    await page.selectOption('#web-mode', 'auto');
    await watchStreaming(page);
    await ask(page, 'What is the latest owl news today?');
    await page.waitForSelector('.msg.assistant[data-state="streaming"]', { timeout: 5000 });
    let a = await waitAnswered(page);
    assert.equal(a.state, 'done', `first answer: ${JSON.stringify(a)}`);
    const snaps = await page.evaluate(() => window.__snaps);
    const growing = [...new Set(snaps.filter((n) => n > 0))];
    assert.ok(growing.length >= 2, `text should appear in several steps while streaming, saw lengths ${JSON.stringify(snaps)}`);
    assert.ok(a.text.trim().length > 0, 'answer text');
    assert.ok(a.cards >= 1, `source cards: ${JSON.stringify(a)}`);
    assert.match(a.tier || '', /^web-/, `route badge should be web: ${JSON.stringify(a)}`);
    assert.match(a.badgeText, /web/);
    assert.match(a.timing, /total/, 'timing bar legend');
    const card0 = page.locator('.msg.assistant').last().locator('.source').first();
    assert.match(await card0.locator('a.title').getAttribute('href'), /^http:\/\/127\.0\.0\.1:\d+\/news\//);
    assert.equal(await card0.locator('a.title').getAttribute('target'), '_blank');
    assert.match(await card0.locator('a.title').getAttribute('rel'), /noopener/);
    await shot(page, '1-web-answer');

    // 2. "Sources only": the extractive answer cites; [1] highlights card 1.
    // A new chat first: answers given with earlier turns are not cached (they may depend on them).
    await page.locator('#new-chat').click();
    await page.selectOption('#engine', 'extractive');
    const q2 = 'What happened at the owl festival today?';  // its best sentence is in source 1
    await ask(page, q2);
    a = await waitAnswered(page);
    assert.equal(a.state, 'done', `extractive answer: ${JSON.stringify(a)}`);
    assert.ok(a.cites >= 1, `the extractive answer should cite: ${JSON.stringify(a)}`);
    assert.notEqual(a.tier, 'cache', 'a new question must not come from the cache');
    const last = page.locator('.msg.assistant').last();
    // [1] is expected (the festival sentence is in source 1); should ranking ever put it
    // elsewhere, the first citation shown proves the same thing.
    const nums = await last.locator('.answer a.cite').evaluateAll((as) => as.map((a) => a.dataset.n));
    const n = nums.includes('1') ? '1' : nums[0];
    await last.locator(`.answer a.cite[data-n="${n}"]`).first().click();
    const card = last.locator(`.source[data-n="${n}"]`);
    await page.waitForFunction((k) => {
      const v = [...document.querySelectorAll('.msg.assistant')].pop();
      return v.querySelector(`.source[data-n="${k}"]`)?.classList.contains('highlight');
    }, n, { timeout: 3000 });
    assert.equal(await last.locator('.source.highlight').count(), 1, `only card ${n} is highlighted`);
    assert.equal(await card.evaluate((el) => document.activeElement === el), true, 'focus moves to the card');
    await shot(page, '2-citation-highlight');

    // 3. The same question again, in a new chat, is served from the answer cache (within a
    // conversation the earlier turns go along, and the pipeline rightly skips the cache).
    await page.locator('#new-chat').click();
    assert.equal(await page.locator('.msg').count(), 0, 'new chat clears the conversation');
    await ask(page, q2);
    a = await waitAnswered(page);
    assert.equal(a.state, 'done', JSON.stringify(a));
    assert.equal(a.tier, 'cache', `second ask should be a cache hit: ${JSON.stringify(a)}`);
    assert.ok(a.cards >= 1, 'a cached answer keeps its sources');
    await shot(page, '3-cache-hit');

    // 4. Stop a long generation midway with Esc: the text stops growing, the UI says stopped,
    // and the server frees the slot.
    await setMaxTokens(page, null);
    await page.selectOption('#engine', 'llm');
    await page.selectOption('#web-mode', 'never');
    await ask(page, 'Tell me everything about owls, in great detail.');
    await page.waitForFunction(() => {
      const v = [...document.querySelectorAll('.msg.assistant')].pop();
      return v && v.dataset.state === 'streaming' && v.querySelector('.answer').textContent.length > 20;
    }, null, { timeout: 20000, polling: 20 });
    await page.keyboard.press('Escape');
    a = await waitAnswered(page, 5000);
    assert.equal(a.state, 'stopped', `after Esc: ${JSON.stringify(a)}`);
    assert.match(a.status, /Stopped/);
    const stoppedLen = a.text.length;
    await sleep(1200);
    assert.equal((await lastAnswer(page)).text.length, stoppedLen, 'the answer must not grow after stop');
    assert.equal(await page.locator('#stop').isHidden(), true);
    assert.equal(await page.locator('#send').isVisible(), true);
    let busy = -1;
    for (let i = 0; i < 50; i++) {
      const m = await (await fetch(owlet.base + '/metrics')).text();
      busy = Number((/^owlet_slots_busy (\S+)/m.exec(m) || [])[1]);
      if (busy === 0) break;
      await sleep(100);
    }
    assert.equal(busy, 0, 'the server should cancel the generation when the browser disconnects');
    await shot(page, '4-stopped');

    // 5. Knowledge panel: a refused URL shows the server's reason; add text, see the stats
    // move, find it.
    await page.locator('#open-kb').click();
    await page.locator('#kb-url').fill('ftp://example.com/owls.txt');
    await page.locator('#kb-add-url button').click();
    await page.waitForFunction(() => document.querySelector('#kb-result').classList.contains('error'), null, { timeout: 5000 });
    assert.match(await page.locator('#kb-result').textContent(), /^Error: .*url/i);
    await page.locator('#kb-text-title').fill('Owl pellets');
    await page.locator('#kb-text').fill('Owls swallow prey whole and later cough up pellets of fur and bone, which scientists study.');
    await page.locator('#kb-add-text button').click();
    await page.waitForFunction(() => /Added/.test(document.querySelector('#kb-result').textContent), null, { timeout: 5000 });
    await page.waitForFunction(() => Number(document.querySelector('[data-stat="documents"] dd')?.textContent) >= 1, null, { timeout: 5000 });
    await page.locator('#kb-file').setInputFiles({
      name: 'calls.md', mimeType: 'text/markdown',
      buffer: Buffer.from('# Owl calls\n\nTawny owls call twit and answer twoo; pairs duet at dusk.\n'),
    });
    await page.locator('#kb-add-file button').click();
    await page.waitForFunction(() => /^Owl calls: Added/.test(document.querySelector('#kb-result').textContent), null, { timeout: 5000 });
    await page.locator('#kb-q').fill('pellets');
    await page.locator('#kb-q').press('Enter');
    await page.waitForSelector('#kb-hits .hit', { timeout: 5000 });
    assert.match(await page.locator('#kb-hits .hit').first().textContent(), /pellets/);
    await shot(page, '5-knowledge');
    await page.keyboard.press('Escape');

    // The status glance read /metrics after the answers.
    await page.waitForFunction(() => document.querySelector('#g-online').textContent !== '—', null, { timeout: 20000 });

    // 6. The conversation survives a reload (localStorage); phone width has no sideways scroll.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.reload();
    assert.equal(await page.locator('.msg.assistant').count(), 2);  // the new chat's two answers
    assert.equal((await lastAnswer(page)).state, 'stopped');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page scrolls sideways by ${overflow}px at 360 px`);
    await shot(page, '6-phone', false);  // what a phone shows, not the whole scroll

    // 7. Chinese strings for a Chinese browser.
    const zh = await browser.newContext({ locale: 'zh-CN', viewport: { width: 360, height: 740 } });
    const zp = await zh.newPage();
    await zp.goto(owlet.base + '/ui/');
    assert.equal(await zp.locator('#send').textContent(), '发送');
    assert.equal(await zp.evaluate(() => document.documentElement.lang), 'zh-CN');
    await zp.screenshot({ path: path.join(ARTIFACTS, '7-zh.png') });

    assert.deepEqual(pageErrors, [], 'no script errors in the page');
    console.log(`# web UI e2e finished in ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots in ${ARTIFACTS}`);
  } catch (e) {
    if (page) await shot(page, 'failure').catch(() => {});
    if (owlet) console.error('--- owlet log (tail) ---\n' + owlet.log.join('').slice(-4000));
    throw e;
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopOwlet(owlet);
    await web.close();
    fs.rmSync(kbDir, { recursive: true, force: true });
  }
});
