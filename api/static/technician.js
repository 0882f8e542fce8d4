// 维保签到 on the technician's phone (390 x 844): his company's pending work orders
// (nearest first), check-in by scanning the car's code (BarcodeDetector where the browser
// has it), typing it, or by position within 200 m; the TSG T5002 checklist; check-out
// with the items ticked. The server stores times and positions and decides on-site.
// Every user-visible word comes from the message catalogues (areas field, technician).
import { t, has, applyI18n, loadCatalogues, fmtDateTime, fmtTime } from "/static/i18n.js";
import { api, session, signIn, logout, position, el } from "/static/field.js";

const $ = (id) => document.getElementById(id);
let orders = [];
let current = null; // the work order shown
let checklist = [];
let scanning = null;

function say(text, kind) {
  const node = $("message");
  node.textContent = text || "";
  node.dataset.kind = kind || "error";
}

function showNet() {
  const online = navigator.onLine;
  $("net").dataset.state = online ? "online" : "offline";
  $("net").textContent = t(online ? "field.net.online" : "field.net.offline_plain");
}

function label(prefix, value) {
  return has(`${prefix}.${value}`) ? t(`${prefix}.${value}`) : value;
}

function distanceText(m) {
  if (m === null || m === undefined) return "";
  return m < 1000 ? t("technician.distance.m", { m: Math.round(m) }) : t("technician.distance.km", { km: (m / 1000).toFixed(1) });
}

// -- the list ---------------------------------------------------------------------------
async function loadOrders() {
  const where = await position(5000);
  const query = where ? `?lon=${where.lon}&lat=${where.lat}` : "";
  try {
    orders = await api("/api/v1/technicians/me/work-orders" + query);
  } catch (e) { say(e.message); return; }
  $("order-list").replaceChildren(...orders.map((o) => el("button", {
    type: "button", class: "order", "data-order": o.id, onclick: () => openOrder(o.id),
  },
  el("strong", {}, o.address || o.elevator_code),
  el("span", {}, `${label("codes.level", o.level)} · ${t("technician.order.due_on", { date: o.due_date })}`),
  el("span", { class: "muted" }, [label("codes.district", o.district), distanceText(o.distance_m),
    o.technician ? t("technician.order.in_progress", { who: o.technician }) : ""].filter(Boolean).join(" · ")))));
  $("no-orders").hidden = orders.length > 0;
}

function showList() {
  stopScan();
  current = null;
  $("order").hidden = true;
  $("orders").hidden = false;
  say("");
  loadOrders();
}

// -- one work order ---------------------------------------------------------------------
async function openOrder(id) {
  current = orders.find((o) => o.id === id);
  if (!current) return;
  say("");
  $("orders").hidden = true;
  $("order").hidden = false;
  $("order").dataset.order = id;
  $("order-title").textContent = t("technician.order.title", { id });
  $("order-address").textContent = current.address || "—";
  $("order-code").textContent = current.elevator_code;
  $("order-level").textContent = label("codes.level", current.level);
  $("order-due").textContent = current.due_date;
  let checkin = null;
  try { checkin = await api(`/api/v1/work-orders/${id}/check-in`); } catch (e) { if (e.status !== 404) say(e.message); }
  checklist = await api(`/api/v1/maintenance/checklist?level=${current.level}`);
  showCheckin(checkin);
}

function showCheckin(checkin) {
  $("order").dataset.state = !checkin ? "open" : checkin.finished_at ? "finished" : "working";
  $("start").hidden = !!checkin;
  $("working").hidden = !checkin || !!checkin.finished_at;
  $("finished").hidden = !checkin || !checkin.finished_at;
  $("scan").hidden = !("BarcodeDetector" in window) || !navigator.mediaDevices;
  if (!checkin) return;
  if (!checkin.finished_at) {
    $("started").textContent = t(`technician.started.${checkin.start_method}`, {
      time: fmtDateTime(checkin.started_at), who: checkin.technician,
      m: checkin.start_distance_m === null ? "—" : Math.round(checkin.start_distance_m),
    });
    renderChecklist();
    return;
  }
  const yesNo = (v) => t(v ? "technician.yes" : "technician.no");
  const rows = [
    ["technician.done.technician", checkin.technician],
    ["technician.done.started", fmtDateTime(checkin.started_at)],
    ["technician.done.start_proof", t(`technician.method.${checkin.start_method}`) + (checkin.start_distance_m === null ? "" : " · " + distanceText(checkin.start_distance_m))],
    ["technician.done.finished", fmtDateTime(checkin.finished_at)],
    ["technician.done.finish_proof", t(`technician.method.${checkin.finish_method}`) + (checkin.finish_distance_m === null ? "" : " · " + distanceText(checkin.finish_distance_m))],
    ["technician.done.on_site", yesNo(checkin.start_on_site && checkin.finish_on_site)],
    ["technician.done.on_time", yesNo(checkin.on_time)],
    ["technician.done.items", t("technician.done.items_value", { n: checkin.items.length })],
    ["technician.done.record", String(checkin.record_id)],
  ];
  $("proof").replaceChildren(...rows.flatMap(([key, value]) => [el("dt", {}, t(key)), el("dd", { "data-field": key.split(".").pop() }, value)]));
}

function renderChecklist() {
  $("checklist").replaceChildren(...checklist.map((item) => {
    const name = has(`technician.item.${item.key}`) ? t(`technician.item.${item.key}`) : item.name;
    const need = has(`technician.item.${item.key}.requirement`) ? t(`technician.item.${item.key}.requirement`) : item.requirement;
    return el("label", { class: "check", "data-key": item.key },
      el("input", { type: "checkbox", "data-item": item.key }),
      el("span", {}, `${item.key} ${name}`, item.mandatory ? "" : el("span", { class: "tag" }, t("technician.checklist.if_fitted")),
        el("small", {}, need)));
  }));
}

// -- check-in and check-out -------------------------------------------------------------
function refusal(error) {
  if (error.status === 422) return t("technician.refused", { detail: error.message });
  if (error.status === 0) return t("technician.offline");
  return error.message;
}

async function checkIn(useCode) {
  const code = $("code-input").value.trim();
  if (useCode && !code) { say(t("technician.start.need_code")); return; }
  const body = {};
  if (useCode) body.code = code;
  const where = await position();
  if (where) body.position = where;
  if (!useCode && !where) { say(t("technician.start.no_position")); return; }
  try {
    const checkin = await api(`/api/v1/work-orders/${current.id}/check-in`, { method: "POST", body });
    say(t("technician.start.ok"), "ok");
    stopScan();
    showCheckin(checkin);
  } catch (e) { say(refusal(e)); }
}

async function finish() {
  const boxes = [...document.querySelectorAll("#checklist input[data-item]")];
  const ticked = boxes.filter((b) => b.checked).map((b) => b.dataset.item);
  const missing = checklist.filter((i) => i.mandatory && !ticked.includes(i.key)).map((i) => i.key);
  for (const row of document.querySelectorAll("#checklist .check")) row.dataset.missing = String(missing.includes(row.dataset.key));
  if (missing.length) { say(t("technician.finish.missing", { n: missing.length, first: missing[0] })); return; }
  const body = { items: ticked, findings: $("findings").value.trim() };
  const code = $("code-input").value.trim();
  if (code) body.code = code;
  const where = await position();
  if (where) body.position = where;
  try {
    const checkin = await api(`/api/v1/work-orders/${current.id}/check-out`, { method: "POST", body });
    say(t("technician.finish.ok"), "ok");
    showCheckin(checkin);
  } catch (e) { say(refusal(e)); }
}

// -- scanning the car's QR code (where the browser can) ---------------------------------
async function startScan() {
  try {
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    const video = $("scanner");
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    scanning = { stream, timer: setInterval(async () => {
      const found = await detector.detect(video).catch(() => []);
      if (found.length) { $("code-input").value = found[0].rawValue; stopScan(); checkIn(true); }
    }, 300) };
  } catch (e) { say(t("technician.start.scan_failed")); }
}

function stopScan() {
  if (!scanning) return;
  clearInterval(scanning.timer);
  for (const track of scanning.stream.getTracks()) track.stop();
  $("scanner").hidden = true;
  scanning = null;
}

function tickClock() {
  $("clock").textContent = fmtTime(new Date()).slice(0, 5);
}

async function start() {
  await loadCatalogues(["common", "field", "technician", "codes"]);
  showNet();
  window.addEventListener("online", showNet);
  window.addEventListener("offline", showNet);
  tickClock();
  setInterval(tickClock, 1000);
  const me = await signIn(["technician", "company"]);
  $("app").hidden = false;
  $("whoami").textContent = t("field.whoami", { subject: me.subject });
  $("logout").addEventListener("click", logout);
  $("back").addEventListener("click", showList);
  $("checkin-code").addEventListener("click", () => checkIn(true));
  $("checkin-position").addEventListener("click", () => checkIn(false));
  $("scan").addEventListener("click", startScan);
  $("finish").addEventListener("click", finish);
  window.addEventListener("lw:langchange", () => { applyI18n(document); showNet(); if (current) openOrder(current.id); else loadOrders(); });
  showList();

}

start();
