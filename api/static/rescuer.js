// The rescuer's phone (390 x 844): incoming offers with their countdown, accept /
// decline; the case with address, floor, people trapped, the caller's phone, navigation
// (Amap / Baidu, GCJ-02); depart, arrived (with the phone's position), passengers
// released (with a note); the 30-minute timer always in the top bar. Actions are queued
// in localStorage and sent when the network is back, each with its own id (applied once).
// Every user-visible word comes from the message catalogues (areas field, rescuer).
import { t, has, applyI18n, loadCatalogues, fmtDateTime } from "/static/i18n.js";
import {
  api, session, signIn, logout, ActionQueue, showNetwork, newId, position, clock, el,
} from "/static/field.js";

const ARRIVAL_LIMIT_MS = 30 * 60 * 1000; // fallback when the case has no arrival_due_at
const STATE_AFTER = { accept: "accepted", depart: "en_route", arrive: "on_site", release: "released" };
const $ = (id) => document.getElementById(id);

let view = { offers: [], case: null, arrival_radius_m: 200 };
let offsetMs = 0; // the server's clock minus the phone's
let queue = null;
let lastFar = null;

const serverNow = () => Date.now() + offsetMs;

function say(text, kind) {
  const node = $("message");
  node.textContent = text || "";
  node.dataset.kind = kind || "error";
}

async function refresh() {
  try {
    const asked = Date.now();
    const data = await api("/api/v1/rescuers/me/phone");
    offsetMs = new Date(data.server_time).getTime() - (asked + Date.now()) / 2;
    view = data;
    queue.reachable = true;
  } catch (e) {
    if (e.status === 0) queue.reachable = false;
    else say(e.message);
  }
  render();
  showNetwork($("net"), queue);
}

// -- what the phone shows: the server's view with the actions still waiting on top ------
function pendingFor(caseId) {
  return queue.items.filter((a) => a.case_id === caseId);
}

function shownCase() {
  let held = view.case ? { ...view.case } : null;
  for (const action of queue.items) {
    if (action.kind === "accept" && (!held || held.id !== action.case_id)) {
      held = { ...action.snapshot, id: action.case_id, state: "accepted", navigation: null };
    }
    if (held && held.id === action.case_id && STATE_AFTER[action.kind]) {
      held.state = STATE_AFTER[action.kind];
      if (action.kind === "arrive" && !held.arrived_at) held.arrived_at = action.done_at;
    }
  }
  return held;
}

function shownOffers() {
  const answered = new Set(queue.items.filter((a) => a.kind === "accept" || a.kind === "decline").map((a) => a.case_id));
  return view.offers.filter((o) => !answered.has(o.case_id) && new Date(o.expires_at).getTime() > serverNow());
}

function floorText(floor, doorZone) {
  if (floor === null || floor === undefined) return t("rescuer.case.floor_unknown");
  const where = doorZone === false ? t("rescuer.case.between_floors") : (doorZone ? t("rescuer.case.at_landing") : "");
  return t("rescuer.case.floor_value", { floor }) + (where ? " · " + where : "");
}

function districtName(district) {
  return has(`codes.district.${district}`) ? t(`codes.district.${district}`) : district;
}

function offerCard(offer) {
  return el("article", { class: "card offer", "data-offer": offer.id, "data-case": offer.case_id },
    el("div", { class: "row" },
      el("strong", {}, t("rescuer.offer.heading", { district: districtName(offer.district) })),
      el("span", { class: "countdown", "data-expires": offer.expires_at }, "--")),
    el("dl", { class: "facts" },
      el("dt", {}, t("rescuer.case.address")), el("dd", {}, offer.address || "—"),
      el("dt", {}, t("rescuer.case.floor")), el("dd", {}, floorText(offer.floor, offer.door_zone)),
      el("dt", {}, t("rescuer.case.trapped")), el("dd", {}, t("rescuer.case.people", { n: offer.people_trapped })),
      el("dt", {}, t("rescuer.offer.eta")), el("dd", {}, t("rescuer.offer.eta_value", { min: Math.round(offer.eta_s / 60), km: (offer.distance_m / 1000).toFixed(1) }))),
    el("div", { class: "row" },
      el("button", { type: "button", class: "danger", "data-act": "decline", onclick: () => answer(offer, "decline") }, t("rescuer.action.decline")),
      el("button", { type: "button", class: "primary", "data-act": "accept", onclick: () => answer(offer, "accept") }, t("rescuer.action.accept"))));
}

function render() {
  $("offers").hidden = false;
  const offers = shownOffers();
  $("offer-list").replaceChildren(...offers.map(offerCard));
  $("no-offers").hidden = offers.length > 0;
  renderCase(shownCase());
  tick();
}

function renderCase(held) {
  const box = $("case");
  box.hidden = !held;
  if (!held) return;
  const waiting = pendingFor(held.id).length;
  box.dataset.case = held.id;
  box.dataset.state = held.state;
  $("case-id").textContent = t("rescuer.case.number", { id: held.id });
  $("case-state").textContent = t(`rescuer.state.${held.state}`) + (waiting ? " · " + t("rescuer.case.waiting") : "");
  $("case-address").textContent = held.address || "—";
  $("case-floor").textContent = floorText(held.floor, held.door_zone);
  $("case-trapped").textContent = t("rescuer.case.people", { n: held.people_trapped });
  $("case-code").textContent = held.elevator_code || "—";
  $("case-reported").textContent = fmtDateTime(held.reported_at);
  const call = $("call");
  call.hidden = !held.caller_phone;
  call.href = held.caller_phone ? "tel:" + held.caller_phone.replace(/[^0-9+]/g, "") : "#";
  call.textContent = t("rescuer.case.call", { phone: held.caller_phone || "" });
  const nav = held.navigation;
  for (const [id, href] of [["nav-amap", nav && nav.amap], ["nav-baidu", nav && nav.baidu]]) {
    $(id).hidden = !href;
    if (href) $(id).href = href;
  }
  $("depart").hidden = held.state !== "accepted";
  $("arrive").hidden = !["accepted", "en_route"].includes(held.state);
  $("release-form").hidden = held.state !== "on_site";
  $("case-done").hidden = held.state !== "released";
  const note = $("arrival-note");
  note.hidden = !(lastFar && lastFar.case_id === held.id);
  if (!note.hidden) note.textContent = t("rescuer.arrive.far", { m: Math.round(lastFar.distance_m), limit: Math.round(view.arrival_radius_m) });
}

// -- the clocks: the 30-minute timer and the offers' countdowns, every second ------------
function tick() {
  const held = shownCase();
  const timer = $("timer");
  let state = "idle", label = t("rescuer.timer.idle"), value = "--:--";
  if (held && held.reported_at) {
    const reported = new Date(held.reported_at).getTime();
    const due = held.arrival_due_at ? new Date(held.arrival_due_at).getTime() : reported + ARRIVAL_LIMIT_MS;
    if (held.arrived_at) {
      state = "done"; label = t("rescuer.timer.arrived"); value = clock((new Date(held.arrived_at).getTime() - reported) / 1000);
    } else if (serverNow() <= due) {
      state = "running"; label = t("rescuer.timer.left"); value = clock((due - serverNow()) / 1000);
    } else {
      state = "late"; label = t("rescuer.timer.late"); value = clock((serverNow() - due) / 1000);
    }
  }
  timer.dataset.state = state;
  $("timer-label").textContent = label;
  $("timer-value").textContent = value;
  for (const node of document.querySelectorAll("[data-expires]")) {
    const left = (new Date(node.dataset.expires).getTime() - serverNow()) / 1000;
    node.textContent = left > 0 ? t("rescuer.offer.seconds", { s: Math.ceil(left) }) : t("rescuer.offer.expired");
    node.closest(".offer").querySelectorAll("button").forEach((b) => { b.disabled = left <= 0; });
  }
}

// -- actions: queued, sent in order, each once ------------------------------------------
function enqueue(kind, caseId, extra) {
  say("");
  const action = { action_id: newId(kind), kind, case_id: caseId, done_at: new Date(serverNow()).toISOString(), ...extra };
  const sent = queue.add(action);
  render();
  return sent;
}

function answer(offer, kind) {
  const snapshot = { ...offer, id: offer.case_id, reported_at: null, caller_phone: "", elevator_code: "" };
  enqueue(kind, offer.case_id, { snapshot });
}

async function arrive() {
  const held = shownCase();
  if (!held) return;
  $("arrive").disabled = true;
  const where = await position();
  $("arrive").disabled = false;
  if (!where) say(t("rescuer.arrive.no_position"));
  enqueue("arrive", held.id, where ? { position: where } : {});
}

function release(event) {
  event.preventDefault();
  const held = shownCase();
  if (!held) return;
  const people = $("release-people").value;
  const extra = { note: $("release-note").value.trim() };
  if (people !== "") extra.people_released = Number(people);
  enqueue("release", held.id, extra);
}

function send(action) {
  const { snapshot, ...body } = action;
  return api("/api/v1/rescuers/me/actions", { method: "POST", body });
}

const handlers = {
  onChange: (q) => showNetwork($("net"), q),
  onApplied(action, result) {
    if (action.kind === "arrive" && result.far) lastFar = result;
    if (action.kind === "accept") say(t("rescuer.accepted"), "ok");
    refresh();
  },
  onRefused(action, error) {
    say(t(`rescuer.refused.${action.kind}`, { detail: error.message }));
    refresh();
  },
};

function liveUpdates() {
  if (!window.EventSource || !session.token) return;
  const source = new EventSource("/api/v1/events?access_token=" + encodeURIComponent(session.token));
  for (const kind of ["offer", "case"]) source.addEventListener(kind, () => refresh());
}

async function start() {
  await loadCatalogues(["common", "field", "rescuer", "codes"]);
  queue = new ActionQueue("lw_rescuer_queue", send, handlers);
  showNetwork($("net"), queue);
  const me = await signIn(["rescuer"]);
  queue.key = `lw_rescuer_queue:${me.subject}`;
  queue.items = queue.load();
  $("app").hidden = false;
  $("whoami").textContent = t("field.whoami", { subject: me.subject });
  $("logout").addEventListener("click", logout);
  $("arrive").addEventListener("click", arrive);
  $("depart").addEventListener("click", () => { const held = shownCase(); if (held) enqueue("depart", held.id, {}); });
  $("release-form").addEventListener("submit", release);
  window.addEventListener("lw:langchange", () => { applyI18n(document); render(); showNetwork($("net"), queue); });
  await refresh();
  queue.flush();
  liveUpdates();
  setInterval(tick, 1000);
  setInterval(refresh, 5000);
}

start();
