// Supervisor indicators by district or company; rescue indicators from the dispatch part.
"use strict";

(function () {
  async function load() {
    const group = document.getElementById("ind-group").value;
    const days = document.getElementById("ind-days").value;
    const totals = document.getElementById("ind-totals");
    const charts = document.getElementById("ind-charts");
    let data;
    try { data = await LW.api(`/api/v1/indicators?group_by=${group}&days=${days}&limit=500`); }
    catch (e) { charts.replaceChildren(LW.el("p", { class: "error" }, e.message)); return; }
    const t = data.total;
    const card = (label, value, extra) => LW.el("div", { class: "card" }, LW.el("div", { class: "muted" }, label), LW.el("div", { class: "big" }, value), extra ? LW.el("div", { class: "muted" }, extra) : "");
    const T = LW.t;
    totals.replaceChildren(
      card(T("indicators.card.elevators"), LW.fmtNumber(t.elevators)),
      card(T("indicators.card.fault_rate"), `${t.fault_rate_pct.toFixed(2)} %`, T("indicators.card.faults", { n: t.faults, days: data.days })),
      card(T("indicators.card.entrapment_rate"), `${t.entrapment_rate_monthly_pct.toFixed(3)} %`, T("indicators.card.entrapments", { n: t.entrapments })),
      card(T("indicators.card.insurance"), `${t.insurance_coverage_pct.toFixed(1)} %`, T(t.insurance_target_met ? "indicators.card.target_met" : "indicators.card.target_missed", { v: data.insurance_target_pct })),
      card(T("indicators.card.overdue"), t.overdue_elevators === null ? T("common.na") : t.overdue_elevators, t.maintenance_on_time_pct === null ? "" : T("indicators.card.on_time", { v: t.maintenance_on_time_pct.toFixed(1) })),
    );
    const rows = data.groups.items;
    const label = (r) => (group === "company" ? r.name : LW.code("district", r.key));
    charts.replaceChildren(
      LW.barChart(T("indicators.chart.fault_rate"), rows.map((r) => ({ label: label(r), value: r.fault_rate_pct })), { unit: " %", color: "#f08a24" }),
      LW.barChart(T("indicators.chart.entrapment_rate"), rows.map((r) => ({ label: label(r), value: r.entrapment_rate_monthly_pct })), { unit: " %", color: "#d7263d" }),
      LW.barChart(T("indicators.chart.insurance", { v: data.insurance_target_pct }), rows.map((r) => ({ label: label(r), value: r.insurance_coverage_pct })), { unit: " %", target: data.insurance_target_pct, max: 100 }),
      LW.barChart(T("indicators.chart.overdue"), rows.map((r) => ({ label: label(r), value: r.overdue_elevators })), { color: "#3b82c4" }),
    );
    loadRescue(group, days);
    loadReportCounts(days);
  }

  // Passengers' reports (一梯一码) by district and kind; the API serves supervisors and the desk.
  async function loadReportCounts(days) {
    const section = document.getElementById("report-counts-section");
    section.hidden = !LW.can("supervisor", "desk");
    if (section.hidden) return;
    const tbody = document.querySelector("#report-counts tbody");
    let counts;
    try { counts = await LW.api(`/api/v1/public/indicators?days=${Math.min(+days, 366)}`); }
    catch (e) { tbody.replaceChildren(LW.el("tr", {}, LW.el("td", { colspan: 6, class: "muted" }, e.message))); return; }
    const byDistrict = new Map();
    for (const c of counts) {
      const row = byDistrict.get(c.district) || { entrapment: 0, fault: 0, complaint: 0, total: 0, dismissed: 0 };
      row[c.kind] = (row[c.kind] || 0) + c.reports;
      row.total += c.reports;
      row.dismissed += c.dismissed;
      byDistrict.set(c.district, row);
    }
    const rows = [...byDistrict.entries()].sort((a, b) => b[1].total - a[1].total);
    tbody.replaceChildren(...(rows.length
      ? rows.map(([district, r]) => LW.el("tr", { "data-district": district }, LW.el("td", {}, LW.code("district", district)),
        LW.el("td", { "data-kind": "entrapment" }, r.entrapment), LW.el("td", { "data-kind": "fault" }, r.fault),
        LW.el("td", { "data-kind": "complaint" }, r.complaint), LW.el("td", {}, r.total), LW.el("td", {}, r.dismissed)))
      : [LW.el("tr", {}, LW.el("td", { colspan: 6, class: "muted" }, LW.t("indicators.reports.none")))]));
  }

  async function loadRescue(group, days) {
    const box = document.getElementById("rescue-charts");
    const since = new Date(Date.now() - days * 86400000).toISOString();
    let rows;
    try { rows = await LW.api(`/api/v1/rescue/indicators?by=${group}&since=${encodeURIComponent(since)}`); }
    catch (e) {
      box.replaceChildren(LW.el("p", { class: "muted" }, e.missing ? LW.t("common.error.unavailable") : e.message));
      return;
    }
    if (!rows.length) { box.replaceChildren(LW.el("p", { class: "muted" }, LW.t("indicators.rescue.none"))); return; }
    const pct = (v) => (v === null || v === undefined ? null : 100 * v);
    const T = LW.t, min = T("indicators.unit.min");
    const label = (r) => (group === "district" ? LW.code("district", r.group) : r.group);
    box.replaceChildren(
      LW.barChart(T("indicators.chart.arrival"), rows.map((r) => ({ label: label(r), value: r.mean_arrival_min })), { unit: min, target: 30, targetLabel: T("common.unit.minutes", { n: 30 }), higherIsBetter: false }),
      LW.barChart(T("indicators.chart.within30"), rows.map((r) => ({ label: label(r), value: pct(r.share_30min) })), { unit: " %", max: 100, color: "#2e9e5b" }),
      LW.barChart(T("indicators.chart.on_site"), rows.map((r) => ({ label: label(r), value: r.mean_on_site_min })), { unit: min, color: "#3b82c4" }),
      LW.barChart(T("indicators.chart.decided5"), rows.map((r) => ({ label: label(r), value: pct(r.share_decided_5min) })), { unit: " %", max: 100, color: "#2e9e5b" }),
    );
  }

  let wired = false;
  LW.views.indicators = {
    show() {
      if (!wired) {
        wired = true;
        document.getElementById("ind-group").addEventListener("change", load);
        document.getElementById("ind-days").addEventListener("change", load);
      }
      load();
    },
    hide() {},
  };
})();
