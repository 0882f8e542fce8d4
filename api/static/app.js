// liftwatch web UI core: session, API calls, view routing, live events (SSE), language.
// Every user-visible word comes from the message catalogues (i18n.js, docs/ui.md).
"use strict";

const LW = {
  token: sessionStorage.getItem("lw_token"),
  me: null,
  config: null,
  views: {},            // name -> {show(), hide()}
  listeners: [],        // functions called with each live event
  source: null,
};

LW.api = async function (path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (LW.token) headers["Authorization"] = "Bearer " + LW.token;
  headers["Accept-Language"] = LW.lang();   // server messages in the user's language
  const response = await fetch(path, Object.assign({}, options, { headers }));
  if (response.status === 401 && LW.token) { LW.logout(); throw new Error(LW.t("common.error.session_expired")); }
  if (!response.ok) {
    let detail = response.statusText;
    try { const body = await response.json(); detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail); } catch (e) { /* not JSON */ }
    const err = new Error(detail); err.status = response.status;
    err.missing = response.status === 404 && detail === "Not Found";   // no such route here
    throw err;
  }
  if (response.status === 204) return null;  // no content (FastAPI still labels it JSON)
  const type = response.headers.get("content-type") || "";
  return type.includes("json") ? response.json() : response.text();
};

LW.el = function (tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children.flat()) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

// Language and formats (i18n.js publishes window.LWI18N before DOMContentLoaded).
LW.t = (key, vars) => window.LWI18N.t(key, vars);
LW.lang = () => (window.LWI18N ? window.LWI18N.lang() : "zh-CN");
LW.fmtTime = (iso) => window.LWI18N.fmtDateTime(iso);           // 2026-12-01 09:30:00, Asia/Shanghai
LW.fmtShort = (iso) => window.LWI18N.fmtDateTimeShort(iso);     // 2026-12-01 09:30
LW.fmtClock = (iso) => window.LWI18N.fmtTime(iso);              // 09:30:00
LW.fmtNumber = (v, digits) => window.LWI18N.fmtNumber(v, digits);
// A code (status, alarm type, state, district ...) in the user's language: the catalogue
// entry "codes.<group>.<value>", or the value itself when the catalogue has none.
LW.code = (group, value) => {
  if (value === null || value === undefined || value === "") return "—";
  const key = `codes.${group}.${value}`;
  return window.LWI18N.has(key) ? LW.t(key) : String(value);
};
LW.label = (s) => String(s).replace(/_/g, " ");
LW.AREAS = ["common", "codes", "map", "desk", "indicators", "reports", "hazards"];
LW.can = (...roles) => LW.me && (LW.me.role === "admin" || roles.includes(LW.me.role));

LW.login = async function (username, password) {
  const body = new URLSearchParams({ username, password });
  const r = await fetch("/api/v1/auth/token", { method: "POST", body });
  if (!r.ok) throw new Error(r.status === 401 ? LW.t("common.login.wrong") : LW.t("common.login.failed", { status: r.status }));
  const data = await r.json();
  LW.token = data.access_token;
  sessionStorage.setItem("lw_token", LW.token);
};

LW.logout = function () {
  LW.token = null; LW.me = null; LW.mePromise = null;
  sessionStorage.removeItem("lw_token");
  window.LWI18N.setUser(null);
  if (LW.source) { LW.source.close(); LW.source = null; }
  for (const id of ["sound-banner", "alert-banner"]) document.getElementById(id).hidden = true;
  location.hash = "#/login";
  LW.route();
};

LW.connectLive = function () {
  if (LW.source || !LW.token) return;
  // A single-use ticket for each connection: the token never goes into the URL.
  LW.source = { close() {} };
  LW.api("/api/v1/auth/sse-ticket", { method: "POST" })
    .then((t) => { if (LW.source && !LW.source.url) { LW.source = null; LW.openLive(t.ticket); } })
    .catch(() => { LW.source = null; if (LW.token) setTimeout(LW.connectLive, 5000); });
};

LW.openLive = function (ticket) {
  const live = document.getElementById("live");
  const source = new EventSource("/api/v1/events?ticket=" + encodeURIComponent(ticket));
  source.addEventListener("hello", () => {
    live.className = "live on";
    // After a reconnect, events may have been missed: let the views resynchronise.
    if (LW.liveBefore) for (const fn of LW.listeners) { try { fn({ kind: "resync" }); } catch (err) { console.error(err); } }
    LW.liveBefore = true;
  });
  // The ticket is spent: reconnect with a new one rather than EventSource's own retry.
  source.onerror = () => { live.className = "live off"; source.close(); if (LW.source === source) { LW.source = null; setTimeout(LW.connectLive, 2000); } };
  for (const kind of ["alarm", "status", "case", "offer", "hazard"]) {
    source.addEventListener(kind, (e) => {
      let event; try { event = JSON.parse(e.data); } catch (err) { return; }
      for (const fn of LW.listeners) { try { fn(event); } catch (err) { console.error(err); } }
    });
  }
  source.addEventListener("overflow", () => { source.close(); LW.source = null; setTimeout(LW.connectLive, 1000); });
  LW.source = source;
};

// Rescuers and technicians work on their phone pages (docs/ui.md). The page is on the
// same origin and in the same tab, so it reads the same session token (sessionStorage
// "lw_token", as field.js does): they are not asked to log in again, and the token never
// goes into a URL.
LW.FIELD_PAGES = { rescuer: "/rescuer", technician: "/technician" };

LW.defaultView = function () {
  const role = LW.me.role;
  if (role === "user_unit") return "hazards";
  return "map";
};

LW.allowed = function (view) {
  const link = document.querySelector(`#nav a[data-view="${view}"]`);
  return link && link.dataset.roles.split(" ").includes(LW.me.role);
};

LW.route = async function () {
  if (!LW.token) { LW.showView("login"); return; }
  if (!LW.me) {
    // Several route() calls may be in flight (login, hashchange): fetch the identity once.
    LW.mePromise = LW.mePromise || LW.api("/api/v1/auth/me");
    let me;
    try { me = await LW.mePromise; } catch (e) { LW.mePromise = null; LW.logout(); return; }
    if (Object.hasOwn(LW.FIELD_PAGES, me.role)) { location.replace(LW.FIELD_PAGES[me.role]); return; }
    if (!LW.me) {
      LW.me = me;
      LW.showWho();
      await window.LWI18N.setUser(LW.me.subject);
      for (const a of document.querySelectorAll("#nav a")) a.hidden = !a.dataset.roles.split(" ").includes(LW.me.role);
      LW.connectLive();
      if (LW.deskAlerts) LW.deskAlerts();
    }
  }
  // Read the hash only now: it may have changed while the identity was being fetched.
  const view = (location.hash.replace(/^#\//, "") || "").split("?")[0];
  if (!view || view === "login" || !LW.allowed(view)) { location.hash = "#/" + LW.defaultView(); return; }
  LW.showView(view);
};

LW.showWho = function () {
  if (!LW.me) return;
  const role = LW.code("role", LW.me.role);
  document.getElementById("whoami").textContent = LW.me.company_id
    ? LW.t("common.whoami.company", { subject: LW.me.subject, role, company: LW.me.company_id })
    : LW.t("common.whoami", { subject: LW.me.subject, role });
};

// After a language switch: the static labels are refilled by applyI18n; the views that
// drew content from data redraw it (the map redraws its own labels on "lw:langchange").
LW.onLangChange = function () {
  LW.showWho();
  const name = (location.hash.replace(/^#\//, "") || "").split("?")[0];
  const v = LW.views[name];
  const section = document.getElementById("view-" + name);
  if (v && section && !section.hidden && v.show) v.show();
};

LW.showView = function (name) {
  document.getElementById("topbar").hidden = name === "login";
  for (const section of document.querySelectorAll(".view")) {
    const on = section.id === "view-" + name;
    if (section.hidden === on) {
      section.hidden = !on;
      const v = LW.views[section.id.slice(5)];
      if (v) (on ? v.show : v.hide || (() => {}))();
    }
  }
  for (const a of document.querySelectorAll("#nav a")) a.classList.toggle("active", a.dataset.view === name);
};

document.addEventListener("DOMContentLoaded", () => {
  // The handlers go on first (a quick user, or a test, may submit before the catalogues
  // are in); they wait for LW.ready.
  const i18n = window.LWI18N;
  LW.ready = (async () => {
    await i18n.loadCatalogues(LW.AREAS);
    i18n.applyI18n(document);
    i18n.languageSwitch(document.getElementById("lang-switch"));
    i18n.languageSwitch(document.getElementById("login-lang"));
    window.addEventListener("lw:langchange", LW.onLangChange);
    try { LW.config = await LW.api("/api/v1/ui-config"); } catch (e) { LW.config = { statuses: [], districts: [], center: [113.3, 23.13], tile_url: "" }; }
    document.body.dataset.ready = "true";
  })();
  document.getElementById("login-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    await LW.ready;
    const err = document.getElementById("login-error");
    err.textContent = "";
    try {
      await LW.login(document.getElementById("username").value, document.getElementById("password").value);
      location.hash = "#/";
      await LW.route();
    } catch (ex) { err.textContent = ex.message; }
  });
  document.getElementById("logout").addEventListener("click", LW.logout);
  LW.ready.then(() => {
    window.addEventListener("hashchange", LW.route);
    LW.route();
  });
});
