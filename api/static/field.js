// Shared by the field phone pages (/rescuer, /technician: api/templates/field): the session (the
// app's own login and token), API calls, the login form, geolocation, and a queue of
// actions kept in localStorage and sent when the network is back.
// Every user-visible word comes from the message catalogues (i18n.js, area "field").
import { t, lang, setUser, applyI18n, languageSwitch } from "/static/i18n.js";

const TOKEN_KEY = "lw_token"; // the same key as the one-map app: one login for both

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail || t("field.error.http", { status }));
    this.status = status; // 0: no answer (offline, connection dropped)
    this.detail = detail;
  }
}

export const session = {
  token: sessionStorage.getItem(TOKEN_KEY),
  me: null,
};

export function logout() {
  session.token = null;
  session.me = null;
  sessionStorage.removeItem(TOKEN_KEY);
  window.location.reload();
}

function detailOf(body) {
  if (!body) return "";
  if (typeof body.detail === "string") return body.detail;
  if (Array.isArray(body.detail)) return body.detail.map((d) => d.msg).join("; ");
  return body.title || "";
}

/** Call the API with the session's token; throws ApiError (status 0 when offline). */
export async function api(path, options = {}) {
  const headers = { Accept: "application/json", "Accept-Language": lang() };  // server messages in the user's language
  if (session.token) headers.Authorization = "Bearer " + session.token;
  let body = options.body;
  if (body !== undefined && !(body instanceof URLSearchParams)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, { method: options.method || "GET", headers, body, cache: "no-store" });
  } catch (e) {
    throw new ApiError(0, t("field.error.offline"));
  }
  if (!response.ok) {
    let parsed = null;
    try { parsed = await response.json(); } catch (e) { parsed = null; }
    throw new ApiError(response.status, detailOf(parsed));
  }
  return response.status === 204 ? null : response.json();
}

/** A random id for an action (hex; crypto.getRandomValues works outside https too). */
export function newId(prefix) {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return prefix + "-" + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The phone's position (WGS-84) or null when it cannot be had in time. */
export function position(timeoutMs = 10000) {
  return new Promise((resolve) => {
    if (!navigator.geolocation) { resolve(null); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy_m: Math.round(p.coords.accuracy || 0) }),
      () => resolve(null),
      { enableHighAccuracy: true, timeout: timeoutMs, maximumAge: 0 },
    );
  });
}

/** mm:ss of a number of seconds (negative: its absolute value). */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(Math.abs(seconds)));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== "") node.append(child);
  return node;
}

/**
 * Show the login form until a user of one of `roles` is logged in; resolves with /auth/me.
 * The form is the page's #login section (username, password, error line).
 */
export async function signIn(roles) {
  applyI18n(document);
  for (const select of document.querySelectorAll("select.lang")) languageSwitch(select);
  if (session.token) {
    try {
      const me = await api("/api/v1/auth/me");
      if (roles.includes(me.role)) { session.me = me; await setUser(me.subject); return me; }
    } catch (e) { if (e.status === 0) throw e; }
    session.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }
  const section = document.getElementById("login");
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  section.hidden = false;
  return new Promise((resolve) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const body = new URLSearchParams({ username: form.username.value, password: form.password.value });
      try {
        const token = await api("/api/v1/auth/token", { method: "POST", body });
        session.token = token.access_token;
        const me = await api("/api/v1/auth/me");
        if (!roles.includes(me.role)) {
          session.token = null;
          error.textContent = t("field.login.wrong_role");
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, session.token);
        session.me = me;
        await setUser(me.subject);
        section.hidden = true;
        resolve(me);
      } catch (e) {
        session.token = null;
        error.textContent = e.status === 401 ? t("field.login.wrong") : e.message;
      }
    });
  });
}

/**
 * Actions done on the phone, kept in localStorage until the server has answered them.
 * `send(action)` posts one; a network failure, a 401 or a 5xx keeps it (retried when the
 * browser is online again and every few seconds); any other answer removes it
 * (`onApplied(action, result)` or `onRefused(action, error)`). Each action carries its
 * own id, so a resend of one whose answer was lost is not applied twice by the server.
 */
export class ActionQueue {
  constructor(key, send, handlers) {
    this.key = key;
    this.send = send;
    this.handlers = handlers;
    this.items = this.load();
    this.reachable = navigator.onLine;
    this.busy = false;
    window.addEventListener("online", () => { this.reachable = true; this.changed(); this.flush(); });
    window.addEventListener("offline", () => { this.reachable = false; this.changed(); });
    setInterval(() => { if (this.items.length) this.flush(); }, 3000);
  }

  load() {
    try { return JSON.parse(localStorage.getItem(this.key) || "[]"); } catch (e) { return []; }
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.items));
    this.changed();
  }

  changed() { this.handlers.onChange(this); }

  get online() { return navigator.onLine && this.reachable; }

  add(action) {
    this.items.push(action);
    this.save();
    return this.flush();
  }

  async flush() {
    if (this.busy || !navigator.onLine) return;
    this.busy = true;
    try {
      while (this.items.length) {
        const action = this.items[0];
        let result;
        try {
          result = await this.send(action);
        } catch (e) {
          if (e.status === 0 || e.status === 401 || e.status >= 500) {
            this.reachable = e.status !== 0 ? this.reachable : false;
            this.changed();
            return;
          }
          this.items.shift();
          this.save();
          this.handlers.onRefused(action, e);
          continue;
        }
        this.reachable = true;
        this.items.shift();
        this.save();
        this.handlers.onApplied(action, result);
      }
    } finally {
      this.busy = false;
    }
  }
}

/** The network line in the top bar: online / offline with N actions waiting / sending. */
export function showNetwork(node, queue) {
  const waiting = queue.items.length;
  let state = "online";
  if (!queue.online) state = "offline";
  else if (waiting) state = "sending";
  node.dataset.state = state;
  node.dataset.waiting = String(waiting);
  node.textContent = t(`field.net.${state}`, { n: waiting });
}
