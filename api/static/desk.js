// The desk's case board: cases with their timelines and dispatch offers, active alarms.
"use strict";

(function () {
  let visible = false, timer = null;

  const ACTIVE = ["reported", "offered", "accepted", "en_route", "on_site"];

  // Case actions of the dispatch part (/api/v1/cases/{id}/{action}), by role and state.
  function caseActions(c) {
    const acts = [];
    if (LW.can("desk")) {
      if (ACTIVE.includes(c.state)) acts.push("cancel", "false-alarm");
      if (c.state === "released") acts.push("close");
      if (c.end_request) acts.push("confirm-request", "reject-request");
    }
    const holds = LW.me.role === "company" || (LW.me.role === "rescuer" && c.rescuer_id === LW.me.rescuer_id);
    if (holds && ACTIVE.includes(c.state) && !c.end_request) acts.push("request-false-alarm");
    if (LW.me.role === "rescuer") {
      const next = { offered: ["accept", "decline"], accepted: ["depart"], en_route: ["arrive"], on_site: ["release"], released: ["close"] };
      acts.push(...(next[c.state] || []));
    }
    return acts.map((a) => LW.el("button", { class: "act", type: "button", "data-action": a, onclick: async () => {
      try { await LW.api(`/api/v1/cases/${c.id}/${a}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" }); load(); }
      catch (e) { alert(e.status === 404 ? "case actions are not available on this server" : e.message); }
    } }, LW.label(a)));
  }

  function caseCard(c) {
    const steps = c.timeline.map((t) => LW.el("li", { "data-step": t.step }, LW.el("time", {}, new Date(t.at).toLocaleTimeString()), `${LW.label(t.step)} · ${t.actor}`));
    const offers = (c.offers || []).map((o) => LW.el("li", {}, `tier ${o.tier} · rescuer ${o.rescuer_id} · ${o.state} · ETA ${Math.round(o.eta_s / 60)} min`));
    const minutes = Math.round((Date.now() - new Date(c.trapped_since).getTime()) / 60000);
    return LW.el("div", { class: `case ${c.state}`, "data-case": c.id },
      LW.el("h3", {}, `Case ${c.id} · ${LW.label(c.state)}`),
      LW.el("div", {}, `${c.elevator_code} · ${c.district} · ${LW.label(c.source)} · ${c.people_trapped} trapped`),
      LW.el("div", { class: "muted" }, `trapped since ${LW.fmtTime(c.trapped_since)} (${minutes} min) · tier ${c.tier}` + (c.rescuer_id ? ` · rescuer ${c.rescuer_id}` : "") + (c.insurance_flag ? " · insurance ≥40 min" : "")),
      c.arrival_due_at ? LW.el("div", { class: "muted" }, `arrival due ${LW.fmtTime(c.arrival_due_at)}`) : "",
      LW.el("ol", { class: "timeline" }, ...steps),
      offers.length ? LW.el("div", {}, LW.el("strong", {}, "Dispatch offers"), LW.el("ul", {}, ...offers)) : "",
      LW.el("div", { class: "actions" }, ...caseActions(c)),
    );
  }

  async function load() {
    const active = document.getElementById("desk-active").checked;
    const board = document.getElementById("case-board");
    const note = document.getElementById("desk-note");
    try {
      const page = await LW.api(`/api/v1/board/cases?limit=100&active=${active}`);
      board.replaceChildren(...(page.items.length ? page.items.map(caseCard) : [LW.el("p", { class: "muted" }, "no cases")]));
      note.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) { note.textContent = e.message; }
    const tbody = document.querySelector("#alarm-table tbody");
    if (LW.me.role === "rescuer") { document.getElementById("alarm-table").hidden = true; return; }
    try {
      const alarms = await LW.api("/api/v1/alarms?active=true&limit=100");
      tbody.replaceChildren(...alarms.items.map((a) => {
        const actions = LW.el("td", {});
        if (LW.can("desk", "company")) {
          for (const act of a.allowed_actions) {
            const path = act === "mark_false" ? "false-alarm" : act;
            actions.append(LW.el("button", { class: "act", type: "button", onclick: async () => {
              try { await LW.api(`/api/v1/alarms/${a.id}/${path}`, { method: "POST" }); load(); } catch (e) { alert(e.message); }
            } }, LW.label(act)));
          }
        }
        return LW.el("tr", { "data-alarm": a.id }, LW.el("td", {}, LW.fmtTime(a.opened_at)), LW.el("td", {}, a.elevator_code),
          LW.el("td", {}, a.district), LW.el("td", {}, LW.label(a.type)), LW.el("td", {}, a.severity), LW.el("td", {}, LW.label(a.state)), actions);
      }));
    } catch (e) { tbody.replaceChildren(LW.el("tr", {}, LW.el("td", { colspan: 7 }, e.message))); }
  }

  function onLive(event) {
    if (!visible || !["case", "offer", "alarm", "resync"].includes(event.kind)) return;
    if (timer) return;
    timer = setTimeout(() => { timer = null; load(); }, 500);
  }

  let wired = false;
  LW.views.desk = {
    show() {
      visible = true;
      if (!wired) {
        wired = true;
        document.getElementById("desk-refresh").addEventListener("click", load);
        const form = document.getElementById("hotline-form");
        form.hidden = !LW.can("desk");
        form.addEventListener("submit", async (e) => {
          e.preventDefault();
          const result = document.getElementById("call-result");
          const body = { people_trapped: +document.getElementById("call-people").value || 0, caller_phone: document.getElementById("call-phone").value };
          const code = document.getElementById("call-code").value.trim(), address = document.getElementById("call-address").value.trim();
          if (code) body.elevator_code = code;
          if (address) body.address = address;
          try {
            const r = await LW.api("/api/v1/cases", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
            result.textContent = r.created ? `case ${r.id} opened` : `joined open case ${r.id}`;
            load();
          } catch (ex) { result.textContent = ex.status === 404 ? "case intake is not available on this server" : ex.message; }
        });
        document.getElementById("desk-active").addEventListener("change", load);
        LW.listeners.push(onLive);
      }
      load();
    },
    hide() { visible = false; },
  };
})();
