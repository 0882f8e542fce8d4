// Hazards (隐患): the map's hazards layer, the elevator panel's hazards tab, and the
// hazards view (a phone-sized list of cards: steps, evidence upload, trail, indicators).
// Words from the "hazards" catalogue (api/static/i18n/<lang>/hazards.json).
"use strict";

(function () {
  const T = (key, vars) => LW.t(key, vars);
  const word = (group, value) => T(`hazards.${group}.${value}`);
  const CATEGORIES = ["door", "car", "emergency_call", "pit", "brake", "door_lock", "safety_device",
    "traction", "machine_room", "signage", "misuse", "other"];
  const SOURCES = { admin: ["spot_check", "inspection", "maintenance", "complaint"],
    supervisor: ["spot_check", "inspection", "maintenance", "complaint"], desk: ["complaint"],
    company: ["maintenance", "inspection"], user_unit: ["inspection", "complaint"] };
  const ACCEPT = "image/jpeg,image/png,image/webp,application/pdf";
  const PENDING = ["reported", "assigned", "remediating"];

  const supervises = () => LW.can("supervisor");
  const responsible = (h) => LW.me.role === "admin" || LW.me.role === h.party;

  // The steps this caller may take now: [action, label key, extra body].
  function steps(h) {
    const out = [];
    if (h.state === "closed") return out;
    if (supervises()) {
      if (h.state === "reported" || h.state === "assigned") {
        out.push(["assign", "assign_company", { party: "company" }], ["assign", "assign_user_unit", { party: "user_unit" }]);
      }
      if (h.state === "remediated") out.push(["verify", "verify", {}], ["send_back", "send_back", {}]);
      if (h.state === "verified") out.push(["close", "close", {}]);
      const other = h.grade === "serious" ? "general" : "serious";
      out.push(["regrade", `regrade_${other}`, { grade: other }]);
      if (h.grade === "serious" && !h.out_of_service) out.push(["out_of_service", "out_of_service", {}]);
      if (h.out_of_service) out.push(["return_to_service", "return_to_service", {}]);
    }
    if (responsible(h)) {
      if (h.state === "assigned") out.push(["start", "start", {}]);
      if (h.state === "remediating") out.push(["remediate", "remediate", {}]);
    }
    return out;
  }

  async function post(path, body) {
    return LW.api(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  function uploadError(e) {
    if (e.status === 413) return T("hazards.upload.too_large");
    if (e.status === 415) return T("hazards.upload.wrong_type");
    return T("hazards.error", { message: e.message });
  }

  async function trail(h, box) {
    const d = await LW.api(`/api/v1/hazards/${h.id}`);
    box.replaceChildren(...d.trail.map((t) => LW.el("li", { "data-action": t.action },
      T("hazards.action.trail", { at: LW.fmtShort(t.at), actor: t.actor, action: word("trail", t.action) }),
      t.note ? ` · ${t.note}` : "")));
  }

  // The last message of each hazard's card, kept across redraws (a live event redraws
  // the list at any time).
  const messages = new Map();

  // One hazard as a card; onChange() redraws what holds it.
  function card(h, onChange) {
    const last = messages.get(h.id) || { text: "", cls: "hz-msg muted" };
    const msg = LW.el("p", { class: last.cls, role: "status" }, last.text);
    const say = (text, cls) => {
      messages.set(h.id, { text, cls });
      // This card, or the one a redraw has put in its place meanwhile.
      for (const node of [msg, ...document.querySelectorAll(`[data-hazard-id="${h.id}"] .hz-msg`)]) {
        node.textContent = text; node.className = cls;
      }
    };
    const note = LW.el("input", { class: "hz-note", maxlength: "2000", placeholder: T("hazards.card.note_ph") });
    const fail = (e) => say(T("hazards.error", { message: e.message }), "hz-msg error");
    const buttons = steps(h).map(([action, key, extra]) => LW.el("button", {
      type: "button", class: `act hz-step hz-${action}`, "data-action": action,
      onclick: async () => {
        try { await post(`/api/v1/hazards/${h.id}/actions`, { action, note: note.value, ...extra }); say("", "hz-msg muted"); onChange(); } catch (e) { fail(e); }
      },
    }, T(`hazards.action.${key}`)));
    const parts = [
      LW.el("div", { class: "hz-head" },
        LW.el("span", { class: `hz-grade hz-${h.grade}` }, word("grade", h.grade)), " ",
        LW.el("strong", {}, T("hazards.card.title", { id: h.id, category: word("category", h.category) })), " ",
        LW.el("span", { class: "hz-state", "data-state": h.state }, word("state", h.state))),
      LW.el("div", { class: "muted" }, T("hazards.card.elevator", { code: h.registration_code }), " · ",
        word("source", h.source), " · ", T("hazards.card.party", { party: word("party", h.party) })),
      LW.el("p", {}, h.description),
      LW.el("div", { class: "hz-facts" },
        LW.el("span", {}, T("hazards.card.due", { due: LW.fmtShort(h.due_at) })),
        h.overdue ? LW.el("span", { class: "hz-flag hz-overdue" }, T("hazards.card.overdue")) : "",
        h.escalation ? LW.el("span", { class: "hz-flag" }, T("hazards.card.escalated", { level: h.escalation })) : "",
        h.out_of_service ? LW.el("span", { class: "hz-flag hz-oos" }, T("hazards.card.out_of_service")) : "",
        LW.el("span", { class: "hz-evidence" }, T("hazards.card.evidence", { n: h.evidence }))),
    ];
    if (supervises() && buttons.length) parts.push(note);
    if (buttons.length) parts.push(LW.el("div", { class: "hz-steps" }, ...buttons));
    if ((responsible(h) || supervises()) && h.state !== "closed" && h.state !== "verified") {
      const input = LW.el("input", { type: "file", accept: ACCEPT, class: "hz-file" });
      input.addEventListener("change", async () => {
        const file = input.files && input.files[0];
        if (!file) return;
        const form = new FormData();
        form.append("file", file);
        try {
          await LW.api(`/api/v1/hazards/${h.id}/evidence`, { method: "POST", body: form });
          say(T("hazards.upload.done", { name: file.name }), "hz-msg");
          onChange();
        } catch (e) { say(uploadError(e), "hz-msg error"); }
      });
      parts.push(LW.el("label", { class: "hz-upload" }, T("hazards.upload"), " ", input));
    }
    const log = LW.el("ol", { class: "hz-trail" });
    const details = LW.el("details", {}, LW.el("summary", {}, T("hazards.card.trail")), log);
    details.addEventListener("toggle", () => { if (details.open) trail(h, log).catch(fail); });
    parts.push(details, msg);
    return LW.el("article", { class: `hz-card hz-card-${h.grade}`, "data-hazard-id": h.id, "data-state": h.state }, ...parts);
  }

  function reportForm(elevatorId, onDone) {
    const sources = SOURCES[LW.me.role] || [];
    if (!sources.length) return LW.el("span");
    const source = LW.el("select", { class: "hz-source" }, ...sources.map((s) => LW.el("option", { value: s }, word("source", s))));
    const category = LW.el("select", { class: "hz-category" }, ...CATEGORIES.map((c) => LW.el("option", { value: c }, word("category", c))));
    const text = LW.el("input", { class: "hz-description", required: "required", minlength: "2", maxlength: "2000", placeholder: T("hazards.report.description_ph") });
    const msg = LW.el("span", { class: "muted", role: "status" });
    const form = LW.el("form", { class: "hz-report" },
      LW.el("strong", {}, T("hazards.report")),
      LW.el("label", {}, T("hazards.report.source"), " ", source),
      LW.el("label", {}, T("hazards.report.category"), " ", category),
      LW.el("label", {}, T("hazards.report.description"), " ", text),
      LW.el("button", { type: "submit" }, T("hazards.report.submit")), msg);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const h = await post("/api/v1/hazards", { elevator_id: elevatorId, source: source.value, category: category.value, description: text.value });
        msg.textContent = T("hazards.report.done", { id: h.id });
        onDone();
      } catch (ex) { msg.textContent = T("hazards.error", { message: ex.message }); }
    });
    return form;
  }

  // ---- the elevator panel's hazards tab ----
  async function panelTab(elevatorId) {
    const section = LW.el("section", { class: "hz-tab", id: "panel-hazards", "data-elevator": elevatorId });
    const draw = async () => {
      let found = [];
      try { found = await LW.api(`/api/v1/hazards?elevator_id=${elevatorId}&limit=50`); } catch (e) { found = []; }
      section.replaceChildren(LW.el("h4", {}, T("hazards.tab")),
        ...(found.length ? found.map((h) => card(h, draw)) : [LW.el("p", { class: "muted" }, T("hazards.none"))]),
        reportForm(elevatorId, () => { draw(); reloadLayer(); }));
    };
    await draw();
    return section;
  }

  // ---- the map's hazards layer ----
  let layer = null;
  let leaflet = null;
  async function reloadLayer() {
    if (!layer) return;
    const toggle = document.getElementById("hazard-layer-toggle");
    layer.clearLayers();
    if (toggle && !toggle.checked) return;
    let geo;
    try { geo = await LW.api("/api/v1/hazards/map"); } catch (e) { return; }
    for (const f of geo.features) {
      const p = f.properties;
      const [lon, lat] = f.geometry.coordinates;
      const cls = `hz-marker hz-marker-${p.grade}${p.out_of_service ? " hz-marker-oos" : ""}${p.overdue ? " hz-marker-overdue" : ""}`;
      const marker = L.circleMarker([lat, lon], {
        radius: p.grade === "serious" ? 9 : 6, className: cls, weight: p.out_of_service ? 4 : 2,
        color: p.out_of_service ? "#111827" : (p.grade === "serious" ? "#b91c1c" : "#d97706"),
        fillColor: p.grade === "serious" ? "#ef4444" : "#f59e0b", fillOpacity: 0.85,
        dashArray: p.overdue ? "4 3" : null,
      });
      marker.bindTooltip(`${word("grade", p.grade)} · ${word("category", p.category)} · ${word("state", p.state)}${p.out_of_service ? " · " + T("hazards.card.out_of_service") : ""}`);
      marker.on("click", () => LW.map && LW.map.openPanel(p.elevator_id));
      marker.addTo(layer);
    }
  }

  function attachMap(map) {
    leaflet = map;
    layer = L.layerGroup().addTo(map);
    const filters = document.getElementById("filters");
    if (filters && !document.getElementById("hazard-layer-toggle")) {
      const box = LW.el("input", { type: "checkbox", id: "hazard-layer-toggle", checked: "checked" });
      box.addEventListener("change", reloadLayer);
      filters.insertBefore(LW.el("label", { class: "hz-layer" }, box, " ", T("hazards.layer")), filters.children[1] || null);
    }
    reloadLayer();
  }

  // ---- the hazards view ----
  async function download(path, name) {
    const r = await fetch(path, { headers: { Authorization: "Bearer " + LW.token } });
    const url = URL.createObjectURL(await r.blob());
    const a = LW.el("a", { href: url, download: name });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }

  async function indicators(box) {
    if (!LW.can("supervisor", "desk", "company", "user_unit")) return;
    let ind;
    try { ind = await LW.api("/api/v1/hazards/indicators?days=365"); } catch (e) { return; }
    const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(1)}%`);
    const serious = ind.by_grade.find((g) => g.grade === "serious");
    const cards = [LW.el("div", { class: "card hz-ind", id: "hz-serious-rate" }, T("hazards.ind.serious_rate", { rate: pct(serious && serious.remediation_rate) }))];
    for (const g of ind.by_grade) cards.push(LW.el("div", { class: "card hz-ind" }, T("hazards.ind.median", { grade: word("grade", g.grade), days: g.median_days ?? "—" })));
    cards.push(LW.el("div", { class: "card hz-ind" }, T("hazards.ind.open", { n: ind.open_total })),
      LW.el("div", { class: "card hz-ind" }, T("hazards.ind.overdue", { n: ind.overdue_now })));
    const exports = [LW.el("button", { type: "button", class: "act", onclick: () => download("/api/v1/hazards/indicators.csv", "liftwatch-hazards.csv") }, T("hazards.ind.csv"))];
    if (LW.can("supervisor", "desk", "user_unit")) exports.push(LW.el("button", { type: "button", class: "act", onclick: () => download("/api/v1/units/completion.csv", "liftwatch-unit-checks.csv") }, T("hazards.ind.units_csv")));
    box.replaceChildren(LW.el("h3", {}, T("hazards.ind.title")), LW.el("div", { class: "cards" }, ...cards), LW.el("div", { class: "hz-exports" }, ...exports));
  }

  async function drawView() {
    const list = document.getElementById("hazard-list");
    const open = document.getElementById("hazard-open").checked;
    let found = [];
    try { found = await LW.api(`/api/v1/hazards?limit=200${open ? "&open=true" : ""}`); } catch (e) {
      list.replaceChildren(LW.el("p", { class: "error" }, T("hazards.error", { message: e.message }))); return;
    }
    list.replaceChildren(...(found.length ? found.map((h) => card(h, drawView)) : [LW.el("p", { class: "muted" }, T("hazards.none"))]));
    indicators(document.getElementById("hazard-indicators"));
  }

  let wired = false;
  LW.views.hazards = {
    show() {
      if (!wired) {
        wired = true;
        document.getElementById("hazard-open").addEventListener("change", drawView);
        document.getElementById("hazard-refresh").addEventListener("click", drawView);
        window.addEventListener("lw:langchange", () => { reloadLayer(); });
      }
      drawView();
    },
    hide() {},
  };

  LW.listeners.push((event) => {
    if (event.kind !== "hazard" && event.kind !== "resync") return;
    reloadLayer();
    const view = document.getElementById("view-hazards");
    if (view && !view.hidden) drawView();
  });

  LW.hazards = { attachMap, panelTab, reloadLayer, get leaflet() { return leaflet; } };
})();
