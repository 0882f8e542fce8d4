// 乘客报告 (一梯一码): passengers' tickets (the company answers, desk and supervisor watch)
// and, for the desk, the report sources (dismiss a report, block or unblock a source).
"use strict";

(function () {
  const POST_JSON = (body) => ({ method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });

  LW.fmtCity = (iso) => LW.fmtShort(iso);   // 2026-12-01 09:30, Asia/Shanghai
  LW.kindLabel = (k) => LW.code("report_kind", k);

  function answerCell(t) {
    if (t.state !== "open" || LW.me.role !== "company") {
      return LW.el("td", { class: "answer" }, t.answer || "—", t.answered_at ? LW.el("div", { class: "muted" }, `${LW.fmtCity(t.answered_at)} · ${t.answered_by}`) : "");
    }
    const input = LW.el("input", { class: "answer-text", maxlength: "2000", minlength: "2", required: "", placeholder: LW.t("reports.answer.placeholder"), "aria-label": LW.t("reports.answer.placeholder") });
    const form = LW.el("form", { class: "answer-form", onsubmit: async (e) => {
      e.preventDefault();
      try { await LW.api(`/api/v1/public/tickets/${t.id}/answer`, POST_JSON({ answer: input.value.trim() })); load(); }
      catch (ex) { alert(ex.message); }
    } }, input, LW.el("button", { type: "submit", class: "act" }, LW.t("reports.answer.submit")));
    return LW.el("td", { class: "answer" }, form);
  }

  function ticketRow(t) {
    const status = t.overdue ? LW.t("reports.overdue") : LW.code("ticket_state", t.state);
    return LW.el("tr", { "data-ticket": t.id, "data-state": t.state, class: t.overdue ? "overdue" : "" },
      LW.el("td", {}, t.id),
      LW.el("td", {}, t.registration_code, LW.el("div", { class: "muted" }, LW.code("district", t.district))),
      LW.el("td", {}, LW.kindLabel(t.kind), LW.el("div", { class: "muted" }, LW.code("category", t.category))),
      LW.el("td", { class: "text" }, t.description || "—", t.reports > 1 ? LW.el("div", { class: "muted" }, LW.t("reports.count", { n: t.reports })) : ""),
      LW.el("td", {}, LW.fmtCity(t.opened_at)),
      LW.el("td", { class: "due" }, LW.fmtCity(t.due_at)),
      LW.el("td", { class: "status" }, status),
      answerCell(t));
  }

  let ticketLoads = 0;  // only the newest load draws: a slower, older answer never wins
  async function loadTickets() {
    const tbody = document.querySelector("#ticket-table tbody");
    const state = document.getElementById("ticket-state").value;
    const mine = ++ticketLoads;
    try {
      const tickets = await LW.api("/api/v1/public/tickets?limit=200" + (state ? `&state=${state}` : ""));
      if (mine !== ticketLoads) return;
      tbody.replaceChildren(...(tickets.length ? tickets.map(ticketRow) : [LW.el("tr", {}, LW.el("td", { colspan: 8, class: "muted" }, LW.t("reports.no_tickets")))]));
    } catch (e) { if (mine === ticketLoads) tbody.replaceChildren(LW.el("tr", {}, LW.el("td", { colspan: 8, class: "error" }, e.message))); }
  }

  async function deskAction(path, options) {
    try { await LW.api(path, options); load(); } catch (e) { alert(e.message); }
  }

  function sourceRow(s) {
    const block = s.blocked
      ? LW.el("button", { type: "button", class: "act unblock", onclick: () => deskAction(`/api/v1/public/blocked/${encodeURIComponent(s.source)}`, { method: "DELETE" }) }, LW.t("reports.unblock"))
      : LW.el("button", { type: "button", class: "act block", onclick: () => deskAction("/api/v1/public/blocked", POST_JSON({ source: s.source, reason: "desk" })) }, LW.t("reports.block"));
    const show = LW.el("button", { type: "button", class: "act", onclick: () => { selected = s.source; loadReports(); } }, LW.t("reports.show"));
    return LW.el("tr", { "data-source": s.source, "data-blocked": String(s.blocked), class: s.blocked ? "blocked" : "" },
      LW.el("td", {}, s.source, s.blocked ? LW.el("span", { class: "badge s-offline" }, LW.t("reports.blocked")) : ""),
      LW.el("td", {}, s.reports), LW.el("td", {}, s.entrapments), LW.el("td", {}, s.elevators), LW.el("td", {}, s.dismissed),
      LW.el("td", {}, LW.fmtCity(s.last_at)),
      LW.el("td", {}, LW.can("desk") ? [show, block] : show));
  }

  function reportRow(r) {
    const target = r.case_id ? LW.t("reports.to_case", { id: r.case_id }) : r.ticket_id ? LW.t("reports.to_ticket", { id: r.ticket_id }) : "—";
    const dismiss = r.dismissed || !LW.can("desk") ? (r.dismissed ? LW.t("reports.dismissed") : "")
      : LW.el("button", { type: "button", class: "act dismiss", onclick: () => deskAction(`/api/v1/public/reports/${r.id}/dismiss`, { method: "POST" }) }, LW.t("reports.dismiss"));
    return LW.el("tr", { "data-report": r.id, "data-dismissed": String(r.dismissed), class: r.dismissed ? "dismissed" : "" },
      LW.el("td", {}, LW.fmtCity(r.reported_at)), LW.el("td", {}, r.source),
      LW.el("td", {}, r.registration_code, r.stale_code ? LW.el("div", { class: "muted" }, LW.t("reports.old_sticker")) : ""),
      LW.el("td", {}, LW.kindLabel(r.kind), LW.el("div", { class: "muted" }, LW.code("category", r.category))),
      LW.el("td", {}, target), LW.el("td", {}, dismiss));
  }

  let selected = null;

  async function loadSources() {
    const tbody = document.querySelector("#source-table tbody");
    try {
      const sources = await LW.api("/api/v1/public/sources?hours=24");
      tbody.replaceChildren(...(sources.length ? sources.map(sourceRow) : [LW.el("tr", {}, LW.el("td", { colspan: 7, class: "muted" }, LW.t("reports.none_24h")))]));
    } catch (e) { tbody.replaceChildren(LW.el("tr", {}, LW.el("td", { colspan: 7, class: "error" }, e.message))); }
  }

  async function loadReports() {
    const tbody = document.querySelector("#source-reports tbody");
    document.getElementById("reports-of").textContent = selected ? LW.t("reports.of_source", { source: selected }) : LW.t("reports.all_sources");
    document.getElementById("reports-all").hidden = !selected;
    try {
      const reports = await LW.api("/api/v1/public/reports?hours=24" + (selected ? `&source=${encodeURIComponent(selected)}` : ""));
      tbody.replaceChildren(...reports.map(reportRow));
    } catch (e) { tbody.replaceChildren(LW.el("tr", {}, LW.el("td", { colspan: 6, class: "error" }, e.message))); }
  }

  async function load() {
    const watcher = LW.can("desk", "supervisor");
    document.getElementById("sources-section").hidden = !watcher;
    const jobs = [loadTickets()];
    if (watcher) jobs.push(loadSources(), loadReports());
    await Promise.all(jobs);
    document.getElementById("reports-note").textContent = LW.t("common.updated", { time: LW.fmtTime(new Date()) });
  }

  let wired = false;
  LW.views.reports = {
    show() {
      if (!wired) {
        wired = true;
        document.getElementById("reports-refresh").addEventListener("click", load);
        document.getElementById("ticket-state").addEventListener("change", load);
        document.getElementById("reports-all").addEventListener("click", () => { selected = null; loadReports(); });
      }
      load();
    },
    hide() {},
  };
})();
