// The one map: server-side clusters / points, filters, live colour changes, elevator panel.
"use strict";

(function () {
  let map = null, layer = null, districtLayer = null, mode = "clusters";
  const points = new Map();          // elevator id -> marker (points shown now)
  let pending = null, lastRequest = 0, refreshTimer = null;

  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

  function statusFilter() {
    return [...document.querySelectorAll("#status-filter input:checked")].map((i) => i.value);
  }

  function pointIcon(id, status, company) {
    return L.divIcon({
      className: "", iconSize: [14, 14], iconAnchor: [7, 7],
      html: `<div class="lw-point s-${status}" data-elevator="${id}" data-status="${status}" data-company="${company}" title="${esc(LW.t("map.point.title", { id, status: LW.code("status", status) }))}"></div>`,
    });
  }

  function clusterIcon(p) {
    const size = Math.round(22 + 8 * Math.log10(p.count));
    const title = esc(Object.entries(p.statuses).map(([k, v]) => LW.t("map.count", { what: LW.code("status", k), n: v })).join("\n"));
    return L.divIcon({
      className: "lw-cluster", iconSize: [size, size], iconAnchor: [size / 2, size / 2],
      html: `<div class="s-${p.worst}" data-count="${p.count}" data-worst="${p.worst}" title="${title}">${p.count >= 10000 ? Math.round(p.count / 1000) + "k" : p.count}</div>`,
    });
  }

  async function load() {
    if (!map) return;
    const b = map.getBounds();
    const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
    const bbox = [clamp(b.getWest(), -180, 179.99), clamp(b.getSouth(), -90, 89.99), clamp(b.getEast(), -179.99, 180), clamp(b.getNorth(), -89.99, 90)].map((v) => v.toFixed(5)).join(",");
    const params = new URLSearchParams({ bbox, zoom: String(map.getZoom()) });
    const statuses = statusFilter();
    if (statuses.length && statuses.length < LW.config.statuses.length) params.set("status", statuses.join(","));
    const district = document.getElementById("district-filter").value;
    if (district) params.set("district", district);
    const company = document.getElementById("company-filter").value;
    if (company && LW.me.role !== "company") params.set("company", company);
    const ticket = ++lastRequest;
    let data;
    try { data = await LW.api("/api/v1/map?" + params); } catch (e) { document.getElementById("map-summary").textContent = e.message; return; }
    if (ticket !== lastRequest) return;   // a newer request is on its way
    render(data);
  }

  function render(data) {
    layer.clearLayers();
    points.clear();
    mode = data.meta.mode;
    for (const f of data.features) {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      if (p.cluster) {
        const m = L.marker([lat, lon], { icon: clusterIcon(p), keyboard: false });
        m.on("click", () => map.setView([lat, lon], Math.min(map.getZoom() + 2, 19)));
        layer.addLayer(m);
      } else {
        const m = L.marker([lat, lon], { icon: pointIcon(p.id, p.status, p.company_id), keyboard: false });
        m.on("click", () => openPanel(p.id));
        m.lw = p;
        points.set(p.id, m);
        layer.addLayer(m);
      }
    }
    const s = data.meta.statuses;
    const summary = document.getElementById("map-summary");
    summary.replaceChildren(
      LW.el("div", { id: "map-total", "data-total": data.meta.total, "data-mode": mode }, LW.t("map.total", { n: data.meta.total, mode: LW.t(`map.mode.${mode}`) })),
      ...LW.config.statuses.filter((k) => s[k]).map((k) => LW.el("div", { "data-status": k }, LW.el("span", { class: `swatch s-${k}` }), LW.t("map.count", { what: LW.code("status", k), n: s[k] }))),
    );
  }

  function scheduleReload() {
    if (refreshTimer) return;
    refreshTimer = setTimeout(() => { refreshTimer = null; load(); }, 1500);
  }

  function onLive(event) {
    if (event.kind === "resync") { load(); return; }
    const log = document.getElementById("event-log");
    log.prepend(LW.el("li", { "data-kind": event.kind }, LW.t("map.event.line", { time: LW.fmtClock(new Date()), id: event.elevator_id ?? "?", what: describe(event) })));
    while (log.children.length > 30) log.lastChild.remove();
    if (!map || event.elevator_id === undefined) return;
    const marker = points.get(event.elevator_id);
    if (marker && event.map_status) {
      marker.lw.status = event.map_status;
      marker.setIcon(pointIcon(event.elevator_id, event.map_status, marker.lw.company_id));
    } else if (mode === "clusters") {
      scheduleReload();
    }
    if (currentPanel === event.elevator_id) openPanel(event.elevator_id);
  }

  // ---- the elevator panel ----
  let currentPanel = null;

  async function openPanel(id) {
    currentPanel = id;
    const panel = document.getElementById("panel");
    const body = document.getElementById("panel-body");
    if (panel.hidden) { panel.hidden = false; setTimeout(() => map.invalidateSize(), 0); }
    let d;
    try { d = await LW.api(`/api/v1/elevators/${id}`); } catch (e) { body.replaceChildren(LW.el("p", { class: "error" }, e.message)); return; }
    if (currentPanel !== id) return;
    const st = d.status;
    const kv = (pairs) => LW.el("div", { class: "kv" }, ...pairs.flatMap(([k, v]) => [LW.el("span", { class: "muted" }, k), LW.el("span", {}, v)]));
    const parts = [
      LW.el("h3", { id: "panel-title", "data-elevator": d.id }, `${d.code}`),
      LW.el("div", {}, LW.el("span", { class: `badge s-${d.map_status}`, id: "panel-status" }, LW.code("status", d.map_status || "unknown")), ` ${LW.code("district", d.district)} · ${d.company_name}`),
      LW.el("p", { class: "muted" }, d.address || `${d.lat.toFixed(5)}, ${d.lon.toFixed(5)}`),
      LW.el("h4", {}, LW.t("map.panel.current")),
      st ? kv([
        [LW.t("map.panel.updated"), LW.fmtTime(st.ts)],
        [LW.t("map.panel.online"), LW.t(st.online ? "common.yes" : "common.no")],
        [LW.t("map.panel.car"), `${LW.code("car", st.car)} ${LW.code("direction", st.direction)}`],
        [LW.t("map.panel.floor"), st.floor],
        [LW.t("map.panel.door"), LW.code("door", st.door) + (st.door_zone ? LW.t("map.panel.door_zone") : "")],
        [LW.t("map.panel.passenger"), LW.t(st.passenger ? "map.panel.present" : "map.panel.absent")],
        [LW.t("map.panel.mode"), LW.code("mode", st.mode)],
        [LW.t("map.panel.power"), LW.code("power", st.power)],
        [LW.t("map.panel.speed"), LW.t("map.panel.speed_value", { v: st.speed.toFixed(2) })]])
         : LW.el("p", { class: "muted" }, LW.t("map.panel.no_status")),
      LW.el("h4", {}, LW.t("map.panel.alarms")),
    ];
    if (!d.alarms.length) parts.push(LW.el("p", { class: "muted" }, LW.t("common.none")));
    for (const a of d.alarms) {
      const row = LW.el("div", { class: "alarm", "data-type": a.type }, LW.t("map.panel.alarm", { type: LW.code("alarm", a.type), state: LW.code("alarm_state", a.state), since: LW.fmtTime(a.opened_at) }), " ");
      if (LW.can("desk", "company")) {
        for (const action of ["acknowledge", "resolve", "false-alarm"]) {
          const label = LW.code("alarm_action", action);
          row.append(LW.el("button", { class: "act", type: "button", onclick: async () => {
            try { await LW.api(`/api/v1/alarms/${a.id}/${action}`, { method: "POST" }); openPanel(id); } catch (e) { alert(e.message); }
          } }, label));
        }
      }
      parts.push(row);
    }
    parts.push(LW.el("h4", {}, LW.t("map.panel.score")), await scoreSection(d));
    if (d.plans && d.plans.length) {
      parts.push(LW.el("h4", {}, LW.t("map.panel.plan")), kv(d.plans.map((p) => [LW.code("level", p.level), LW.t("map.panel.plan_due", { due: p.next_due, days: p.interval_days })])));
    }
    parts.push(LW.el("h4", {}, LW.t("map.panel.telemetry")), await telemetrySection(id));
    if (LW.hazards) parts.splice(3, 0, await LW.hazards.panelTab(id));  // hazards.js
    if (currentPanel === id) body.replaceChildren(...parts);
  }

  async function scoreSection(d) {
    let s = null;
    try { s = await LW.api(`/api/v1/elevators/${d.id}/score`); } catch (e) { s = d.score; }
    if (!s) return LW.el("p", { class: "muted" }, LW.t("map.score.none"));
    const box = LW.el("div", {}, LW.el("div", {}, LW.el("strong", {}, LW.t("map.score.total", { v: (+s.total).toFixed(1) })), " ", LW.t("map.score.grade"), " ", LW.el("span", { class: "grade" }, s.grade), s.interval_days ? LW.t("map.score.interval", { days: s.interval_days }) : ""));
    const factors = s.factors || {};
    const contributions = Object.entries(s.contributions || {}).filter(([, v]) => typeof v === "number");
    if (contributions.length) {
      const sign = (v) => (v >= 0 ? "+" : "") + v.toFixed(1);
      box.append(LW.el("div", { class: "kv" }, ...contributions.flatMap(([k, v]) => [
        LW.el("span", { class: "muted" }, LW.code("factor", k)),
        LW.el("span", {}, LW.t("map.score.points", { v: sign(v) }) + (typeof factors[k] === "number" ? LW.t("map.score.factor", { v: factors[k].toFixed(0) }) : "")),
      ])));
      if (typeof s.baseline === "number") box.append(LW.el("div", { class: "muted" }, LW.t("map.score.baseline", { v: s.baseline.toFixed(1) })));
    }
    const reasons = s.reasons || [];
    if (Array.isArray(reasons) && reasons.length) box.append(LW.el("ul", {}, ...reasons.map((r) => LW.el("li", {}, typeof r === "string" ? r : (r.text || JSON.stringify(r))))));
    return box;
  }

  async function telemetrySection(id) {
    try {
      const t = await LW.api(`/api/v1/elevators/${id}/telemetry?minutes=60&limit=600`);
      const xs = t.ts.map((s) => new Date(s));
      return LW.lineChart(LW.t("map.chart.title"), xs, [
        { name: LW.t("map.chart.speed"), color: "#3b82c4", values: t.speed },
        { name: LW.t("map.chart.floor"), color: "#f08a24", values: t.floor },
      ]);
    } catch (e) { return LW.el("p", { class: "muted" }, e.message); }
  }

  function init() {
    const cfg = LW.config;
    renderFilters();
    document.getElementById("district-filter").addEventListener("change", load);
    document.getElementById("company-filter").addEventListener("change", load);
    document.getElementById("company-filter-label").hidden = LW.me.role === "company";
    document.getElementById("panel-close").addEventListener("click", () => { document.getElementById("panel").hidden = true; currentPanel = null; setTimeout(() => map.invalidateSize(), 0); });

    map = L.map("map", { preferCanvas: false, zoomControl: true }).setView([cfg.center[1], cfg.center[0]], 10);
    if (cfg.tile_url) {
      L.tileLayer(cfg.tile_url, { attribution: cfg.tile_attribution || "", maxZoom: 19 }).addTo(map);
    }
    districtLayer = L.layerGroup().addTo(map);
    LW.api("/api/v1/districts").then((geo) => { districtGeo = geo; drawDistricts(); }).catch(() => {});
    layer = L.layerGroup().addTo(map);
    if (LW.hazards) LW.hazards.attachMap(map);  // hazards.js: the hazards layer
    map.on("moveend", load);
    LW.listeners.push(onLive);
    window.addEventListener("lw:langchange", () => { renderFilters(); drawDistricts(); load(); if (currentPanel !== null) openPanel(currentPanel); });
    load();
  }

  // The status check boxes and the district list, in the user's language (kept checked
  // and selected across a language switch).
  function renderFilters() {
    const cfg = LW.config;
    const box = document.getElementById("status-options");
    const unchecked = new Set([...box.querySelectorAll("input:not(:checked)")].map((i) => i.value));
    box.replaceChildren(...cfg.statuses.map((s) => LW.el("label", { "data-status": s },
      LW.el("input", { type: "checkbox", value: s, checked: unchecked.has(s) ? null : "checked", onchange: load }),
      LW.el("span", { class: `swatch s-${s}` }), LW.code("status", s))));
    const districts = document.getElementById("district-filter");
    const chosen = districts.value;
    districts.replaceChildren(LW.el("option", { value: "" }, LW.t("map.all")),
      ...cfg.districts.map((d) => LW.el("option", { value: d }, LW.code("district", d))));
    districts.value = chosen;
  }

  let districtGeo = null;
  function drawDistricts() {
    if (!districtGeo || !districtLayer) return;
    const cfg = LW.config;
    districtLayer.clearLayers();
    for (const f of districtGeo.features) {
      if (f.properties.kind === "outline") {
        L.geoJSON(f, { style: { color: "#6b7280", weight: 1.2, fillColor: f.properties.urban ? "#dfe7f1" : "#e9eee4", fillOpacity: cfg.tile_url ? 0.05 : 0.6 }, interactive: false }).addTo(districtLayer);
      } else {
        const [lon, lat] = f.geometry.coordinates;
        const name = esc(LW.code("district", f.properties.name));
        L.marker([lat, lon], { icon: L.divIcon({ className: "district-label", html: `<span data-district="${esc(f.properties.name)}">${name}</span>`, iconSize: [90, 16], iconAnchor: [45, 24] }), interactive: false, keyboard: false }).addTo(districtLayer);
      }
    }
  }

  // A live event in words: "困人 · 待处理", "救援工单 · 接单" ...
  function describe(event) {
    if (event.kind === "alarm") return `${LW.code("alarm", event.type || "alarm")} · ${LW.code("alarm_state", event.state || "open")}`;
    if (event.kind === "status") return LW.code("status", event.map_status || "unknown");
    if (event.kind === "case") return `${LW.t("map.event.case")} · ${LW.code("case_step", event.step || event.state)}`;
    if (event.kind === "offer") return `${LW.t("map.event.offer")} · ${LW.code("offer_state", event.state)}`;
    return event.kind;
  }

  LW.map = { openPanel, load, get leaflet() { return map; }, get mode() { return mode; } };
  LW.views.map = {
    show() { if (!map) init(); else { setTimeout(() => map.invalidateSize(), 0); load(); } },
    hide() {},
  };
})();
