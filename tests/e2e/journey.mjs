#!/usr/bin/env node
// End-to-end journey through the real binary in a real browser (issue 6).
//
//   node tests/e2e/journey.mjs [path/to/mailwright]
//
// The binary comes from MW_BINARY, the first argument or build/mailwright. The test starts its
// own SMTP capture server (scripts/smtp_server.py) and `mailwright serve` on free ports with a
// fresh DATA_DIR and SQLite database in a temporary directory, then drives Chromium
// (MW_CHROMIUM, default /usr/bin/chromium) through registration, clients, messages, mailings,
// management, the blog and the Russian interface. Every page is checked for console errors
// (CSP violations included) and basic accessibility; the main pages are photographed at
// 1280 px and 390 px into MW_SCREENSHOT_DIR (default: screenshots/ beside the binary).
// MW_E2E_KEEP=1 keeps the temporary directory (logs, database, captured mail).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BINARY = path.resolve(process.env.MW_BINARY || process.argv[2] || path.join(ROOT, 'build', 'mailwright'));
const SHOTS = path.resolve(process.env.MW_SCREENSHOT_DIR || path.join(path.dirname(BINARY), 'screenshots'));
const CHROMIUM = process.env.MW_CHROMIUM || '/usr/bin/chromium';
const PYTHON = process.env.MW_PYTHON || '/usr/bin/python3';
const KEEP = process.env.MW_E2E_KEEP === '1';
// Generous waits: the suite also runs against an AddressSanitizer build.
const WAIT = 60_000;
const en = JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', 'en.json'), 'utf8'));
const ru = JSON.parse(fs.readFileSync(path.join(ROOT, 'locales', 'ru.json'), 'utf8'));
const PASSWORD = 'correct-horse-42';
// axe-core (npm), injected into every document by the browser itself (an init script), so the
// page's Content-Security-Policy, which forbids inline scripts, still holds for the page.
const AXE = path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js');

const started = Date.now();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-e2e-'));
const mailDir = path.join(tmp, 'mail');
const children = [];
let serverLog = '';

function log(...args) {
  const s = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${s}s]`, ...args);
}

// ---------------------------------------------------------------- processes

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function startChild(name, argv, env) {
  const out = fs.openSync(path.join(tmp, `${name}.log`), 'a');
  const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  child.exitInfo = null;
  child.on('exit', (code, signal) => { child.exitInfo = { code, signal }; });
  children.push(child);
  return child;
}

async function stopChild(child, graceMs = 10_000) {
  if (child.exitInfo) return child.exitInfo;
  const done = new Promise((r) => child.once('exit', () => r(child.exitInfo)));
  child.kill('SIGTERM');
  const t = setTimeout(() => { if (!child.exitInfo) child.kill('SIGKILL'); }, graceMs);
  const info = await done;
  clearTimeout(t);
  return info;
}

function tail(file, lines = 40) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

async function until(what, fn, timeout = WAIT, every = 250) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

const env = { ...process.env };
let BASE = '';

function cli(...args) {
  const r = spawnSync(BINARY, args, { cwd: ROOT, env, encoding: 'utf8', timeout: WAIT });
  assert.equal(r.status, 0, `mailwright ${args.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function startServices() {
  fs.mkdirSync(mailDir);
  const portFile = path.join(tmp, 'smtp.port');
  const smtp = startChild('smtp', [PYTHON, path.join(ROOT, 'scripts', 'smtp_server.py'), '--dir', mailDir,
    '--host', '127.0.0.1', '--port', '0', '--port-file', portFile], { ...process.env, PYTHONUNBUFFERED: '1' });
  const smtpPort = await until('the SMTP capture server', () => {
    if (smtp.exitInfo) throw new Error(`smtp_server.py exited:\n${tail(path.join(tmp, 'smtp.log'))}`);
    const t = fs.existsSync(portFile) ? fs.readFileSync(portFile, 'utf8').trim() : '';
    return /^\d+$/.test(t) && Number(t) > 0 ? Number(t) : 0;
  }, 15_000, 50);

  const port = await freePort();
  BASE = `http://127.0.0.1:${port}`;
  Object.assign(env, {
    DATABASE_URL: `sqlite://${path.join(tmp, 'data', 'mailwright.db')}`,
    DATA_DIR: path.join(tmp, 'data'),
    SECRET_KEY: 'mailwright-e2e-secret-key-0123456789abcdef',
    BASE_URL: BASE,
    BIND: `127.0.0.1:${port}`,
    EMAIL_HOST: '127.0.0.1',
    EMAIL_PORT: String(smtpPort),
    EMAIL_TIMEOUT: '10',
    RETRY_BASE_SECONDS: '1',
    MW_RESOURCE_DIR: ROOT,
  });
  delete env.REDIS_URL;
  delete env.CACHE_LOCATION;
  fs.mkdirSync(env.DATA_DIR);
  cli('migrate');
  const server = startChild('server', [BINARY, 'serve', '--bind', `127.0.0.1:${port}`], env);
  serverLog = path.join(tmp, 'server.log');
  await until('GET /healthz', async () => {
    if (server.exitInfo) throw new Error(`mailwright serve exited ${JSON.stringify(server.exitInfo)}:\n${tail(serverLog)}`);
    try {
      return (await fetch(`${BASE}/healthz`)).status === 200;
    } catch {
      return false;
    }
  }, WAIT, 100);
  log(`mailwright at ${BASE}, SMTP capture on ${smtpPort}, data in ${tmp}`);
}

// ---------------------------------------------------------------- captured mail

const DECODE = `
import json, sys
from email import policy
from email.parser import BytesParser
out = []
for path in sys.argv[1:]:
    with open(path, 'rb') as f:
        m = BytesParser(policy=policy.default).parse(f)
    def part(kind):
        p = m.get_body(preferencelist=(kind,))
        return p.get_content().replace("\\r\\n", "\\n") if p is not None else None
    out.append({"file": path, "subject": str(m["subject"] or ""), "to": str(m["to"] or ""),
                "cc": str(m["cc"] or ""), "text": part("plain"), "html": part("html")})
print(json.dumps(out))
`;

function mails() {
  const names = fs.readdirSync(mailDir).filter((n) => n.endsWith('.json')).sort()
    .map((n) => path.join(mailDir, n.replace(/\.json$/, '.eml'))).filter((p) => fs.existsSync(p));
  if (!names.length) return [];
  const r = spawnSync(PYTHON, ['-c', DECODE, ...names], { encoding: 'utf8' });
  assert.equal(r.status, 0, `decoding mail failed: ${r.stderr}`);
  const meta = names.map((p) => JSON.parse(fs.readFileSync(p.replace(/\.eml$/, '.json'), 'utf8')));
  return JSON.parse(r.stdout).map((m, i) => ({ ...m, rcpt: meta[i].rcpt_tos || [] }));
}

function mailsTo(address) {
  return mails().filter((m) => m.rcpt.includes(address));
}

async function waitForMail(what, pred, count = 1) {
  return until(what, () => {
    const got = mails().filter(pred);
    return got.length >= count ? got : null;
  }, WAIT, 200);
}

// ---------------------------------------------------------------- images

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
// An RGB PNG whose pixel colours come from fn(x, y) -> [r, g, b].
function png(width, height, fn) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) raw.set(fn(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// ---------------------------------------------------------------- browser checks

let browser;
const consoleProblems = [];

// Every <input>/<select>/<textarea> labelled, every <img> with alt, exactly one <h1>.
function a11yProblems() {
  const problems = [];
  const labelled = (el) => {
    if (el.getAttribute('aria-label')?.trim() || el.getAttribute('aria-labelledby')) return true;
    if (el.closest('label')) return true;
    return el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
  };
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
    if (!labelled(el)) problems.push(`unlabelled ${el.tagName.toLowerCase()} name=${el.name || '?'} id=${el.id || '?'}`);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.getAttribute('src')}`);
    if (!img.getAttribute('src') || (img.complete && img.naturalWidth === 0)) problems.push(`broken img: "${img.getAttribute('src')}"`);
  }
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(`${h1} <h1> elements`);
  if (!document.documentElement.lang) problems.push('<html> without lang');
  // A translation key shown as is (the catalogue lacks it): "client_new_title".
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.textContent.trim();
    if (/^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(t) && !n.parentElement.closest('code, pre, textarea, script, style')) {
      problems.push(`untranslated text "${t}"`);
    }
  }
  if (/^[a-z][a-z0-9]*(_[a-z0-9]+)+\b/.test(document.title)) problems.push(`untranslated title "${document.title}"`);
  if (!document.title.trim()) problems.push('empty <title>');
  return problems;
}

async function newActor(name, locale = 'en-US') {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale });
  context.setDefaultTimeout(WAIT);
  context.setDefaultNavigationTimeout(WAIT);
  await context.addInitScript({ path: AXE });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
    });
  });
  const page = await context.newPage();
  // A form answered 422 (or a page 404) is the document itself, which the journey checks; the
  // browser reports it as "Failed to load resource". Any other failed load is an error.
  const documentStatus = new Map();
  page.on('response', (r) => {
    if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) documentStatus.set(r.url(), r.status());
  });
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (m.text().startsWith('Failed to load resource') && documentStatus.get(m.location().url) >= 400) return;
    consoleProblems.push(`${name} ${page.url()}: console error: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => consoleProblems.push(`${name} ${page.url()}: page error: ${e.message}`));
  page.on('dialog', (d) => d.accept());
  page.actor = name;
  return page;
}

// Checks the page now shown: no console errors so far, accessibility basics.
async function checkPage(page, what = '') {
  await page.waitForLoadState('load');
  const where = `${page.actor} on ${new URL(page.url()).pathname}${what ? ` (${what})` : ''}`;
  const problems = await page.evaluate(a11yProblems);
  assert.deepEqual(problems, [], `accessibility problems for ${where}`);
  // Collected over the whole journey and asserted at its end: one run lists them all.
  for (const p of await axeProblems(page)) axeFound.add(`${where}: ${p}`);
  assert.deepEqual(consoleProblems, [], `console errors up to ${where}`);
}

// axe-core's serious and critical violations on the page now shown, with up to three elements
// each.
async function axeProblems(page) {
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

async function visit(page, url, what) {
  const resp = await page.goto(new URL(url, BASE).href);
  assert.ok(resp && resp.status() < 400, `GET ${url} answered ${resp && resp.status()}`);
  await checkPage(page, what);
  return resp;
}

// Submits a form by clicking and waits for the next document.
async function submit(page, locator) {
  await Promise.all([page.waitForNavigation(), locator.click()]);
  await checkPage(page, 'after submit');
}

const shotsTaken = [];
const axeFound = new Set();
async function screenshot(page, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const [width, height, kind] of [[1366, 768, ''], [1280, 800, 'desktop'], [390, 844, 'phone']]) {
    await page.setViewportSize({ width, height });
    await page.waitForTimeout(150); // charts and layout settle after the resize
    const overflow = await page.evaluate(() => {
      const doc = document.documentElement;
      const wide = [...document.querySelectorAll('body *')].filter((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right > doc.clientWidth + 1 && !el.closest('.table-responsive, .mw-scroll-x');
      }).slice(0, 3).map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')}`);
      return { by: doc.scrollWidth - doc.clientWidth, wide };
    });
    assert.ok(overflow.by <= 0 && overflow.wide.length === 0,
      `${name} overflows horizontally at ${width} px by ${overflow.by} px: ${overflow.wide.join(', ')}`);
    if (!kind) continue; // checked, not photographed
    const file = path.join(SHOTS, `${name}-${kind}.png`);
    await page.screenshot({ path: file, fullPage: true });
    shotsTaken.push(file);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  assert.deepEqual(consoleProblems, [], `console errors while photographing ${name}`);
}

// ---------------------------------------------------------------- helpers of the journey

const pad = (n) => String(n).padStart(2, '0');
// datetime-local value in UTC (the journey's users choose the UTC time zone).
function utcLocal(date, seconds = false) {
  const s = `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}T${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}`;
  return seconds ? `${s}:${pad(date.getUTCSeconds())}` : s;
}

async function text(locator) {
  return (await locator.innerText()).replace(/\s+/g, ' ').trim();
}

async function assertLoggedIn(page, yes) {
  const logout = page.locator('form[action="/logout"]');
  const login = page.locator('nav a[href="/login"]');
  if (yes) {
    assert.equal(await logout.count(), 1, `${page.actor} should be logged in on ${page.url()}`);
  } else {
    assert.equal(await logout.count(), 0, `${page.actor} should be logged out on ${page.url()}`);
    assert.ok(await login.count() >= 1, `login link missing for ${page.actor}`);
  }
}

async function registerAndVerify(page, { email, name, t }) {
  await visit(page, '/');
  await submit(page, page.locator('nav a[href="/register"]'));
  assert.equal(new URL(page.url()).pathname, '/register');
  assert.equal(await text(page.locator('h1')), t.register_title);
  assert.equal(await text(page.locator('label[for="email"]')), t.field_email);
  assert.equal(await text(page.locator('label[for="password"]')), t.field_password);

  // A bad form answers with errors beside the fields, keeping what was typed.
  await page.fill('#email', 'not-an-email');
  await page.fill('#password', PASSWORD);
  await page.fill('#password2', 'something-else-1');
  await submit(page, page.locator('main button[type="submit"]'));
  for (const field of ['email', 'password2']) {
    await assertFieldError(page, field);
  }
  assert.equal(await page.inputValue('#email'), 'not-an-email');

  await page.fill('#email', email);
  await page.fill('#name', name);
  await page.fill('#password', PASSWORD);
  await page.fill('#password2', PASSWORD);
  await submit(page, page.locator('main button[type="submit"]'));
  assert.ok((await text(page.locator('main'))).includes(t.flash_registered), 'registration confirmation shown');

  // Not verified yet: login refused.
  await visit(page, '/login');
  await page.fill('#login', email);
  await page.fill('#password', PASSWORD);
  await submit(page, page.locator('main button[type="submit"]'));
  await assertLoggedIn(page, false);
  const [mail] = await waitForMail(`the verification email to ${email}`, (m) => m.rcpt.includes(email));
  assert.equal(mail.subject, t.mail_verify_subject);
  const link = (mail.text || mail.html).match(/https?:\/\/\S+\/verify\?token=[\w\-.%]+/);
  assert.ok(link, `no verification link in:\n${mail.text}`);
  assert.ok(link[0].startsWith(BASE), `link ${link[0]} does not use BASE_URL`);
  await visit(page, link[0], 'verification link');
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.ok((await text(page.locator('main'))).includes(t.flash_verified));
  // The link is single use.
  await visit(page, link[0], 'used verification link');
  assert.ok((await text(page.locator('main'))).includes(t.flash_verify_invalid));
}

async function assertFieldError(page, field) {
  const input = page.locator(`#${field}`);
  assert.ok((await input.getAttribute('class')).includes('is-invalid'), `#${field} not marked invalid`);
  // The message sits beside its field: inside the same form group.
  const feedback = page.locator(`#${field} ~ .invalid-feedback, #${field} + * + .invalid-feedback`);
  assert.ok(await feedback.count() >= 1, `no error message beside #${field}`);
  assert.ok((await text(feedback.first())).length > 0, `empty error message beside #${field}`);
}

async function login(page, loginName, t = en) {
  await visit(page, '/login');
  assert.equal(await text(page.locator('h1')), t.login_title);
  await page.fill('#login', loginName);
  await page.fill('#password', PASSWORD);
  await submit(page, page.locator('main button[type="submit"]'));
  assert.notEqual(new URL(page.url()).pathname, '/login', `login of ${loginName} failed: ${await text(page.locator('main'))}`);
  await assertLoggedIn(page, true);
}

async function createClient(page, email, fullName, another) {
  await page.fill('#email', email);
  await page.fill('#full_name', fullName);
  await page.fill('#comment', `Imported by the journey for ${fullName}`);
  await submit(page, page.locator(another ? 'button[name="another"]' : 'main button[type="submit"]:not([name])'));
}

async function createMessage(page, subject, body) {
  await visit(page, '/messages/new');
  await page.fill('#subject', subject);
  await page.fill('#body_text', body);
  await submit(page, page.locator('main button[type="submit"]'));
}

// Fills the mailing form; start is a datetime-local string (seconds allowed).
async function fillMailing(page, { name, subject, start }) {
  await page.fill('#name', name);
  const value = await page.locator('#message_id option', { hasText: subject }).first().getAttribute('value');
  await page.selectOption('#message_id', value);
  await page.locator('#start_at').evaluate((el, v) => { el.value = v; }, start);
  await page.check('#select-all');
}

// Waits until fn(arg) holds in the page, which may reload itself meanwhile (never reloaded here).
async function waitInPage(page, what, fn, arg = null, timeout = WAIT) {
  await until(what, () => page.evaluate(fn, arg).catch(() => false), timeout, 250);
  await checkPage(page, what);
}

const mailingId = (page) => Number(new URL(page.url()).pathname.match(/^\/mailings\/(\d+)$/)?.[1]);

// ---------------------------------------------------------------- the journey

async function journey() {
  const clients = [
    ['anna@example.net', 'Анна Иванова'],
    ['boris@example.net', 'Boris Petrov'],
    ['clara@example.net', 'Clara Smirnova'],
  ];

  // --- an anonymous visitor
  const guest = await newActor('guest');
  await visit(guest, '/');
  await assertLoggedIn(guest, false);
  assert.equal(await guest.locator('nav a[href="/mailings"]').count(), 0, 'guest sees the mailings link');
  await visit(guest, '/login');
  await screenshot(guest, 'login');
  await visit(guest, '/contact');
  await screenshot(guest, 'contact');

  // --- Alice registers in English, verifies, logs in, edits the profile
  const alice = await newActor('alice');
  log('alice registers');
  await registerAndVerify(alice, { email: 'alice@example.com', name: 'Alice Liddell', t: en });
  await visit(alice, '/register');
  await screenshot(alice, 'register');
  await login(alice, 'alice@example.com');
  assert.equal(await alice.locator('nav a[href="/manage/mailings"]').count(), 0, 'a user sees management');
  assert.equal(await alice.locator('nav a[href="/admin"]').count(), 0, 'a user sees admin');
  assert.equal(await alice.locator('nav a[href="/clients"]').count(), 1, 'a user misses clients in the nav');
  assert.equal(await alice.locator('nav a[href="/blog/new"]').count(), 0, 'a user sees the article editor');
  // The phone menu opens and holds everything the role may do.
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.click('.navbar-toggler');
  await alice.waitForSelector('#mainNav.show');
  assert.ok(await alice.locator('#mainNav a[href="/mailings"]').isVisible(), 'mailings missing from the phone menu');
  await alice.screenshot({ path: path.join(SHOTS, 'navigation-phone.png'), fullPage: true });
  await alice.setViewportSize({ width: 1280, height: 800 });

  await visit(alice, '/profile');
  assert.equal(await alice.locator('img.mw-avatar').count(), 0, 'an avatar shown before any upload');
  assert.equal(await alice.locator('.mw-avatar-empty').count(), 1, 'no avatar placeholder');
  await alice.fill('#name', 'Alice L.');
  await alice.fill('#phone', '+7 900 123-45-67');
  await alice.fill('#country', 'Wonderland');
  await alice.selectOption('#timezone', 'UTC');
  await alice.selectOption('#language', 'en');
  await submit(alice, alice.locator('form[action="/profile"] button[type="submit"]'));
  await visit(alice, '/profile');
  assert.equal(await alice.inputValue('#name'), 'Alice L.');
  assert.equal(await alice.inputValue('#phone'), '+7 900 123-45-67');
  assert.equal(await alice.inputValue('#country'), 'Wonderland');
  assert.equal(await alice.inputValue('#timezone'), 'UTC');
  const avatar = png(96, 96, (x, y) => [40 + x * 2, 60 + y, 200 - x]);
  await alice.setInputFiles('#avatar', { name: 'avatar.png', mimeType: 'image/png', buffer: avatar });
  await submit(alice, alice.locator('form[action="/profile/avatar"] button[type="submit"]'));
  const img = alice.locator('img.mw-avatar');
  assert.equal(await img.count(), 1, 'avatar not shown after upload');
  await until('the avatar to load', () => img.evaluate((el) => el.complete && el.naturalWidth === 96), 10_000);
  await screenshot(alice, 'profile');

  // --- clients
  log('alice adds clients, a message and a mailing');
  await visit(alice, '/clients');
  await screenshot(alice, 'clients-empty');
  await submit(alice, alice.locator('main a[href="/clients/new"]').first());
  await screenshot(alice, 'client-form');
  await submit(alice, alice.locator('main button[type="submit"]:not([name])'));
  await assertFieldError(alice, 'email');
  await screenshot(alice, 'client-form-errors');
  for (const [i, [email, name]] of clients.entries()) await createClient(alice, email, name, i < clients.length - 1);
  await visit(alice, '/clients');
  for (const [email, name] of clients) {
    assert.equal(await alice.locator('main tbody tr', { hasText: email }).filter({ hasText: name }).count(), 1, `client ${email} listed`);
  }
  await screenshot(alice, 'clients');

  // --- a message with a placeholder
  await visit(alice, '/messages');
  await screenshot(alice, 'messages-empty');
  await visit(alice, '/messages/new');
  await screenshot(alice, 'message-form');
  await createMessage(alice, 'News for {{name}}', 'Hello, {{name}}!\nYour address is {{email}}.\nUnsubscribe: {{unsubscribe_url}}');
  await visit(alice, '/messages');
  assert.equal(await alice.locator('main', { hasText: 'News for {{name}}' }).count(), 1);
  await screenshot(alice, 'messages');

  // --- a mailing starting now
  await visit(alice, '/mailings');
  await screenshot(alice, 'mailings-empty');
  await visit(alice, '/mailings/new');
  await screenshot(alice, 'mailing-form');
  await submit(alice, alice.locator('main button[type="submit"]'));
  await assertFieldError(alice, 'name');
  await screenshot(alice, 'mailing-form-errors');
  await fillMailing(alice, { name: 'Autumn news', subject: 'News for {{name}}', start: utcLocal(new Date(Date.now() - 60_000)) });
  await submit(alice, alice.locator('main button[type="submit"]'));
  const first = mailingId(alice);
  assert.ok(first > 0, `not on a mailing page: ${alice.url()}`);
  log(`mailing ${first} created; waiting for its statistics on the page`);
  // The page follows the run by itself (htmx): no reload here.
  await waitInPage(alice, 'statistics of the first mailing', (done) => document.querySelector('#stat-success')?.textContent.trim() === '3'
    && document.querySelector('#run-pending')?.textContent.trim() === '0'
    && document.querySelector('#mailing-status')?.textContent.trim() === done, en.status_completed);
  assert.equal(await text(alice.locator('#stat-attempts')), '3');
  assert.equal(await text(alice.locator('#stat-failure')), '0');
  await alice.waitForSelector('#mailing-panel canvas[data-chart]');
  await checkPage(alice, 'live statistics');
  for (const [email, name] of clients) {
    const got = mailsTo(email);
    assert.equal(got.length, 1, `${email} got ${got.length} messages`);
    const [m] = got;
    assert.equal(m.subject, `News for ${name}`);
    assert.ok(m.text.includes(`Hello, ${name}!`), `body for ${email} lacks the name:\n${m.text}`);
    assert.ok(m.text.includes(`Your address is ${email}.`));
    assert.ok(!/\{\{/.test(m.text), 'a placeholder left unrendered');
    assert.deepEqual(m.rcpt, [email], 'one recipient per message');
    for (const [other] of clients) if (other !== email) assert.ok(!JSON.stringify(m).includes(other), `${email} sees ${other}`);
  }
  await screenshot(alice, 'mailing-detail');

  // --- a mailing scheduled a few seconds ahead starts by itself
  log('alice schedules a second mailing');
  await visit(alice, '/mailings/new');
  const startAt = new Date(Date.now() + 20_000);
  await fillMailing(alice, { name: 'Scheduled digest', subject: 'News for {{name}}', start: utcLocal(startAt, true) });
  await alice.uncheck('#client-list input[type="checkbox"] >> nth=2');
  await submit(alice, alice.locator('main button[type="submit"]'));
  const second = mailingId(alice);
  assert.ok(second > first);
  assert.equal(await text(alice.locator('#mailing-status')), en.status_created);
  const before = mails().length;
  // Nobody touches anything: the page itself shows the start (and the mail arrives).
  await waitInPage(alice, 'the scheduled mailing to run', (done) => document.querySelector('#mailing-status')?.textContent.trim() === done
    && document.querySelector('#stat-success')?.textContent.trim() === '2', en.status_completed, WAIT + 15_000);
  await checkPage(alice, 'scheduled mailing after its start');
  assert.ok(Date.now() >= startAt.getTime() - 1000, 'the scheduled mailing started early');
  assert.equal(mails().length, before + 2);
  await visit(alice, '/mailings');
  assert.equal(await alice.locator('main tbody tr').count(), 2);
  await screenshot(alice, 'mailings');
  await visit(alice, '/reports');
  await screenshot(alice, 'reports');
  await visit(alice, `/mailings/${first}/attempts`);
  await screenshot(alice, 'attempts');
  await visit(alice, `/mailings/${first}/recipients`);
  assert.ok(await alice.locator('#recipients tbody tr').count() >= 1);
  await screenshot(alice, 'recipients');

  // --- the Russian interface: registration and the mailing form
  log('boris registers in Russian');
  const boris = await newActor('boris');
  await visit(boris, '/');
  assert.equal(await boris.locator('html').getAttribute('lang'), 'en');
  await Promise.all([boris.waitForNavigation(), boris.selectOption('#lang-select', 'ru')]);
  await checkPage(boris, 'after switching to Russian');
  assert.equal(await boris.locator('html').getAttribute('lang'), 'ru');
  assert.equal(await text(boris.locator('nav a[href="/login"]')), ru.nav_login);
  await registerAndVerify(boris, { email: 'boris@example.org', name: 'Борис', t: ru });
  await visit(boris, '/register');
  await screenshot(boris, 'register-ru');
  await login(boris, 'boris@example.org', ru);
  assert.equal(await boris.locator('html').getAttribute('lang'), 'ru');
  await visit(boris, '/profile');
  await boris.selectOption('#timezone', 'UTC');
  await submit(boris, boris.locator('form[action="/profile"] button[type="submit"]'));
  await visit(boris, '/clients/new');
  assert.equal(await text(boris.locator('label[for="email"]')), ru.field_email);
  await createClient(boris, 'gleb@example.org', 'Глеб', false);
  await createMessage(boris, 'Привет, {{name}}', 'Здравствуйте, {{name}}!');
  await visit(boris, '/mailings/new');
  assert.equal(await text(boris.locator('h1')), ru.mailing_new_title);
  assert.equal(await text(boris.locator('label[for="name"]')), ru.field_mailing_name);
  assert.equal(await text(boris.locator('label[for="message_id"]')), ru.field_message);
  assert.equal(await text(boris.locator('label[for="start_at"]')), ru.field_start_at);
  assert.equal(await text(boris.locator('label[for="periodicity"]')), ru.field_periodicity);
  assert.equal(await text(boris.locator('main button[type="submit"]')), ru.save);
  await submit(boris, boris.locator('main button[type="submit"]'));
  await assertFieldError(boris, 'name');
  await screenshot(boris, 'mailing-form-ru');
  await fillMailing(boris, { name: 'Еженедельная рассылка', subject: 'Привет, {{name}}', start: utcLocal(new Date(Date.now() + 86_400_000)) });
  await boris.selectOption('#periodicity', 'weekly');
  await submit(boris, boris.locator('main button[type="submit"]'));
  const borisMailing = mailingId(boris);
  assert.ok(borisMailing > 0, `Boris's mailing was not created: ${boris.url()}`);
  assert.equal(await text(boris.locator('#mailing-status')), ru.status_created);
  await visit(boris, '/mailings');

  // --- a manager
  log('a manager disables a mailing and blocks a user');
  cli('user', 'create', '--email', 'manager@example.com', '--password', PASSWORD, '--username', 'mona', '--role', 'manager');
  const mona = await newActor('manager');
  await login(mona, 'mona');
  assert.equal(await mona.locator('nav a[href="/manage/mailings"]').count(), 1, 'a manager misses management in the nav');
  assert.equal(await mona.locator('nav a[href="/admin"]').count(), 0, 'a manager sees admin');
  await visit(mona, '/manage/mailings');
  for (const [name, owner] of [['Autumn news', 'alice@example.com'], ['Scheduled digest', 'alice@example.com'], ['Еженедельная рассылка', 'boris@example.org']]) {
    assert.equal(await mona.locator('main tbody tr', { hasText: name }).filter({ hasText: owner }).count(), 1, `manager misses ${name}`);
  }
  const row = mona.locator('main tbody tr', { hasText: 'Еженедельная рассылка' });
  await submit(mona, row.locator('button[type="submit"]'));
  assert.ok((await text(mona.locator('main tbody tr', { hasText: 'Еженедельная рассылка' }))).includes(en.mailing_disabled));
  await screenshot(mona, 'manage-mailings');
  await visit(mona, `/mailings/${borisMailing}`);
  assert.equal(await mona.locator('a[href$="/edit"]').count(), 0, 'a manager may edit others\' mailings');
  await visit(boris, `/mailings/${borisMailing}`);
  assert.ok((await text(boris.locator('h1'))).includes(ru.mailing_disabled));

  await visit(mona, '/manage/users');
  const borisRow = mona.locator('main tbody tr', { hasText: 'boris@example.org' });
  await submit(mona, borisRow.locator('button[type="submit"]'));
  assert.ok((await text(mona.locator('main tbody tr', { hasText: 'boris@example.org' }))).includes(en.user_blocked));
  assert.ok(!/(^|\s)@(\s|$)/.test(await text(mona.locator('main tbody'))), 'a lone "@" for users without a username');
  await screenshot(mona, 'manage-users');
  // Boris's next page load finds him logged out, and he cannot log in again.
  await boris.reload();
  await checkPage(boris, 'after being blocked');
  await assertLoggedIn(boris, false);
  await visit(boris, '/login');
  await boris.fill('#login', 'boris@example.org');
  await boris.fill('#password', PASSWORD);
  await submit(boris, boris.locator('main button[type="submit"]'));
  await assertLoggedIn(boris, false);

  // --- a content manager publishes an article
  log('a content manager publishes an article');
  cli('user', 'create', '--email', 'editor@example.com', '--password', PASSWORD, '--role', 'content_manager');
  const editor = await newActor('editor');
  await login(editor, 'editor@example.com');
  assert.equal(await editor.locator('nav a[href="/blog/new"]').count(), 1, 'a content manager misses the editor in the nav');
  assert.equal(await editor.locator('nav a[href="/manage/users"]').count(), 0, 'a content manager sees management');
  await visit(editor, '/blog');
  await screenshot(editor, 'blog-empty');
  await submit(editor, editor.locator('main a[href="/blog/new"]'));
  await screenshot(editor, 'article-form');
  const title = 'How to write a subject line';
  await editor.fill('#title', title);
  await editor.fill('#content', 'Short subjects win.\n\nKeep it under fifty characters and **personal**.');
  const picture = png(480, 240, (x, y) => [30 + (x * 200) / 480, 70 + (y * 120) / 240, 220]);
  await editor.setInputFiles('#image', { name: 'cover.png', mimeType: 'image/png', buffer: picture });
  await editor.check('#is_published');
  await submit(editor, editor.locator('main button[type="submit"]'));
  assert.equal(await text(editor.locator('h1')), title);

  await visit(guest, '/');
  const card = guest.locator('main article', { hasText: title });
  assert.equal(await card.count(), 1, 'the article is not on the home page');
  await until('the article image on the home page', () => card.locator('img').evaluate((el) => el.complete && el.naturalWidth === 480), 10_000);
  await screenshot(guest, 'home');
  await visit(guest, '/blog');
  assert.equal(await guest.locator('main article', { hasText: title }).count(), 1, 'the article is not in /blog');
  await screenshot(guest, 'blog');
  await submit(guest, guest.locator('main article a', { hasText: title }));
  assert.equal(await text(guest.locator('h1')), title);
  await until('the article image', () => guest.locator('main img').first().evaluate((el) => el.complete && el.naturalWidth === 480), 10_000);
  assert.equal(await guest.locator('main form').count(), 0, 'a guest sees editing controls');
  await screenshot(guest, 'article');

  // --- an admin: every staff link in one menu, so the navbar fits at 1280 and 1366 px
  log('an admin walks the admin panel');
  cli('user', 'create', '--email', 'root@example.com', '--password', PASSWORD, '--role', 'admin');
  const admin = await newActor('admin');
  await login(admin, 'root@example.com');
  for (const link of ['/blog/new', '/manage/mailings', '/manage/users', '/admin']) {
    assert.equal(await admin.locator(`nav .dropdown-menu a[href="${link}"]`).count(), 1, `the admin's menu misses ${link}`);
  }
  await screenshot(admin, 'home-admin');
  await visit(admin, '/admin');
  await screenshot(admin, 'admin');
  await visit(admin, '/admin/users');
  await screenshot(admin, 'admin-users');
  await visit(admin, '/manage/mailings');
  await screenshot(admin, 'manage-mailings-admin');
  // The action column stays in view at 1280 px, however wide the table.
  const action = admin.locator('main tbody tr').first().locator('td').last();
  const box = await action.boundingBox();
  assert.ok(box && box.x + box.width <= 1280, `the action column is cut off at 1280 px: ${JSON.stringify(box)}`);

  // --- the contact form
  await visit(guest, '/contact');
  await guest.fill('#name', 'Visitor');
  await guest.fill('#email', 'visitor@example.net');
  await guest.fill('#message', 'Do you support DKIM?');
  await submit(guest, guest.locator('main button[type="submit"]'));
  assert.ok((await text(guest.locator('main'))).includes(en.flash_contact_sent), 'contact confirmation');

  assert.deepEqual(consoleProblems, []);
}

// ---------------------------------------------------------------- main

let failed = false;
try {
  assert.ok(fs.existsSync(BINARY), `no binary at ${BINARY} (set MW_BINARY)`);
  await startServices();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  await journey();
  assert.deepEqual([...axeFound], [], 'axe-core: serious or critical violations');
  log(`PASS: journey done, ${shotsTaken.length} screenshots in ${SHOTS}`);
} catch (e) {
  failed = true;
  console.error(`FAIL after ${((Date.now() - started) / 1000).toFixed(1)} s: ${e.stack || e}`);
  if (serverLog) console.error(`--- server log (tail):\n${tail(serverLog, 60)}`);
} finally {
  if (browser) await browser.close().catch(() => {});
  for (const child of children.reverse()) {
    const info = await stopChild(child);
    const crashed = info && (info.signal ? !['SIGTERM', 'SIGKILL'].includes(info.signal) : info.code !== 0);
    if (child.spawnargs.includes('serve') && crashed) {
      failed = true;
      console.error(`mailwright serve ended with ${JSON.stringify(info)} at shutdown:\n${tail(serverLog, 60)}`);
    }
  }
  // Sanitizer reports (the suite runs under AddressSanitizer too) fail the journey.
  const report = serverLog && fs.existsSync(serverLog) ? fs.readFileSync(serverLog, 'utf8') : '';
  if (/ERROR: (Address|Leak)Sanitizer|runtime error:/.test(report)) {
    failed = true;
    console.error(`sanitizer report in the server log:\n${tail(serverLog, 80)}`);
  }
  if (failed || KEEP) console.error(`temporary files kept in ${tmp}`);
  else fs.rmSync(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
