// UI message catalogues and formatting (docs/ui.md).
//
// Catalogues are JSON files, one directory per language and one file per area:
// /static/i18n/<lang>/<area>.json, flat objects of dotted keys prefixed by the area
// ("common.logout": "退出登录") with {name} placeholders. Simplified Chinese is the
// default; the user's choice is remembered in localStorage (per user once logged in),
// the browser's languages decide the first visit.
//
// An ES module; it also publishes itself as window.LWI18N for the classic scripts of
// the one-map page (app.js, map.js, ...), which run before modules are evaluated and use
// it only from DOMContentLoaded on.

export const LANGUAGES = ["zh-CN", "en"];
export const DEFAULT_LANG = "zh-CN";
export const TIME_ZONE = "Asia/Shanghai";
const STORE_KEY = "lw_lang";
const BASE = "/static/i18n";

const catalogues = Object.fromEntries(LANGUAGES.map((l) => [l, {}]));
let chosenHere = false;                  // picked before the user was known (login page, restore)
const loadedAreas = new Set();           // areas asked for, reloaded on a language change
const fetched = new Map();               // "<lang>/<area>" -> Promise
let current = detectLang();
let userKey = null;                      // per-user storage key once the user is known

/** The supported language a BCP 47 tag stands for, or null. */
export function normaliseLang(tag) {
  if (!tag) return null;
  const low = String(tag).toLowerCase();
  if (low.startsWith("zh")) return "zh-CN";
  if (low.startsWith("en")) return "en";
  return null;
}

function stored(key) {
  try { return localStorage.getItem(key); } catch (e) { return null; }
}

function store(key, value) {
  try { localStorage.setItem(key, value); } catch (e) { /* private mode: not remembered */ }
}

function detectLang() {
  const remembered = normaliseLang(stored(STORE_KEY));
  if (remembered) return remembered;
  const prefs = (navigator.languages && navigator.languages.length) ? navigator.languages : [navigator.language];
  for (const tag of prefs) {
    const lang = normaliseLang(tag);
    if (lang) return lang;
  }
  return DEFAULT_LANG;
}

/** The current language code ("zh-CN" or "en"). */
export function lang() {
  return current;
}

function fetchArea(code, area) {
  const id = `${code}/${area}`;
  if (!fetched.has(id)) {
    fetched.set(id, fetch(`${BASE}/${code}/${area}.json`, { cache: "no-cache" })
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({}))
      .then((messages) => { Object.assign(catalogues[code], messages); }));
  }
  return fetched.get(id);
}

/** Load the catalogues of these areas for the current language (and zh-CN as fallback). */
export async function loadCatalogues(areas) {
  const list = Array.isArray(areas) ? areas : [areas];
  for (const a of list) loadedAreas.add(a);
  const jobs = list.map((a) => fetchArea(current, a));
  if (current !== DEFAULT_LANG) jobs.push(...list.map((a) => fetchArea(DEFAULT_LANG, a)));
  await Promise.all(jobs);
}

/** The message of `key` in the current language with {name} placeholders filled. */
export function t(key, vars) {
  const text = catalogues[current][key] ?? catalogues[DEFAULT_LANG][key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (m, name) => (vars[name] === undefined || vars[name] === null ? m : String(vars[name])));
}

/** Whether the catalogues hold `key` (for optional labels such as codes). */
export function has(key) {
  return key in catalogues[current] || key in catalogues[DEFAULT_LANG];
}

/** Fill the elements under root that carry data-i18n* attributes. */
export function applyI18n(root = document) {
  const scope = root || document;
  const pick = (sel) => [...(scope.matches && scope.matches(sel) ? [scope] : []), ...scope.querySelectorAll(sel)];
  for (const node of pick("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of pick("[data-i18n-placeholder]")) node.setAttribute("placeholder", t(node.dataset.i18nPlaceholder));
  for (const node of pick("[data-i18n-title]")) node.setAttribute("title", t(node.dataset.i18nTitle));
  for (const node of pick("[data-i18n-aria-label]")) node.setAttribute("aria-label", t(node.dataset.i18nAriaLabel));
  if (scope === document || scope === document.documentElement) {
    document.documentElement.lang = current;
    const title = document.querySelector("title[data-i18n]");
    if (title) document.title = t(title.dataset.i18n);
  }
}

/** Remember the language per user from now on (called after login with the subject). */
// A language chosen on this page (on the login page, or while the session was still
// being restored) wins over the one remembered for the user, and becomes theirs.
export function setUser(subject) {
  userKey = subject ? `${STORE_KEY}:${subject}` : null;
  const own = userKey ? normaliseLang(stored(userKey)) : null;
  const chosen = chosenHere && userKey !== null;
  if (userKey) chosenHere = false;
  if (own && own !== current && !chosen) return setLang(own);
  if (userKey && (!own || chosen)) store(userKey, current);
  return Promise.resolve(current);
}

/** Switch language: remember it, load the catalogues, refill the page, tell listeners. */
export async function setLang(code) {
  const next = normaliseLang(code) || DEFAULT_LANG;
  store(STORE_KEY, next);
  if (userKey) store(userKey, next);
  const changed = next !== current;
  current = next;
  await loadCatalogues([...loadedAreas]);
  applyI18n(document);
  if (changed) window.dispatchEvent(new CustomEvent("lw:langchange", { detail: { lang: next } }));
  return next;
}

// ---- dates and times: always Asia/Shanghai, 24 h, 2026-12-01 09:30:00 ----
const PARTS = new Intl.DateTimeFormat("en-CA", {
  timeZone: TIME_ZONE, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
  hour: "2-digit", minute: "2-digit", second: "2-digit",
});

function parts(value) {
  if (value === null || value === undefined || value === "") return null;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return null;
  const p = {};
  for (const { type, value: v } of PARTS.formatToParts(d)) p[type] = v;
  if (p.hour === "24") p.hour = "00";
  return p;
}

/** "2026-12-01 09:30:00" in Asia/Shanghai ("—" for nothing). */
export function fmtDateTime(value) {
  const p = parts(value);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}` : "—";
}

/** "2026-12-01 09:30" in Asia/Shanghai. */
export function fmtDateTimeShort(value) {
  const p = parts(value);
  return p ? `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}` : "—";
}

/** "2026-12-01" in Asia/Shanghai. */
export function fmtDate(value) {
  const p = parts(value);
  return p ? `${p.year}-${p.month}-${p.day}` : "—";
}

/** "09:30:00" in Asia/Shanghai. */
export function fmtTime(value) {
  const p = parts(value);
  return p ? `${p.hour}:${p.minute}:${p.second}` : "—";
}

/** A number in the current language's grouping (digits as given). */
export function fmtNumber(value, digits) {
  if (value === null || value === undefined || Number.isNaN(+value)) return "—";
  const opts = digits === undefined ? {} : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  return new Intl.NumberFormat(current, opts).format(+value);
}

/**
 * A <select> that switches the language (for a top bar); its options are the languages'
 * own names, so a user who cannot read the current language still finds theirs.
 */
export function languageSwitch(select) {
  select.replaceChildren(...LANGUAGES.map((code) => {
    const option = document.createElement("option");
    option.value = code;
    option.textContent = t(`common.language.${code}`);
    return option;
  }));
  select.value = current;
  select.addEventListener("change", () => { if (!userKey) chosenHere = true; setLang(select.value); });
  window.addEventListener("lw:langchange", () => { select.value = current; });
  return select;
}

document.documentElement.lang = current;

const api = {
  LANGUAGES, DEFAULT_LANG, TIME_ZONE, t, has, lang, setLang, setUser, applyI18n, loadCatalogues,
  fmtDateTime, fmtDateTimeShort, fmtDate, fmtTime, fmtNumber, normaliseLang, languageSwitch,
};
window.LWI18N = api;
export default api;
