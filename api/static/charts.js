// Small SVG charts: horizontal bars with an optional target line, and a line chart.
"use strict";

LW.svg = function (tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
};

// rows: [{label, value}], opts: {unit, target, targetLabel, color, max}
LW.barChart = function (title, rows, opts = {}) {
  const width = 440, rowH = 18, left = 120, right = 60;
  const height = rows.length * rowH + 24;
  const max = Math.max(opts.max || 0, opts.target || 0, ...rows.map((r) => r.value || 0)) || 1;
  const scale = (v) => left + (width - left - right) * (v / max);
  const svg = LW.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    svg.append(LW.svg("text", { x: left - 6, y: y + 12, "text-anchor": "end" }, r.label));
    const good = opts.target === undefined ? true : (opts.higherIsBetter === false ? r.value <= opts.target : r.value >= opts.target);
    svg.append(LW.svg("rect", { x: left, y: y + 2, height: rowH - 5, width: Math.max(1, scale(r.value || 0) - left), fill: opts.target === undefined ? (opts.color || "#3b82c4") : (good ? "#2e9e5b" : "#d7263d") }));
    svg.append(LW.svg("text", { x: scale(r.value || 0) + 4, y: y + 12 }, r.value === null || r.value === undefined ? LW.t("common.na") : `${LW.fmtNumber(+(+r.value).toFixed(2))}${opts.unit || ""}`));
  });
  if (opts.target !== undefined) {
    const x = scale(opts.target);
    svg.append(LW.svg("line", { x1: x, x2: x, y1: 0, y2: height - 16, stroke: "#1d2330", "stroke-dasharray": "4 3" }));
    svg.append(LW.svg("text", { x: x + 3, y: height - 4 }, opts.targetLabel || LW.t("indicators.chart.target", { v: `${opts.target}${opts.unit || ""}` })));
  }
  return LW.el("div", { class: "chart" }, LW.el("h3", {}, title), svg);
};

// series: [{name, color, values: [number]}], xs: [Date]
LW.lineChart = function (title, xs, series) {
  const width = 330, height = 140, pad = 26;
  const svg = LW.svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  if (!xs.length) {
    svg.append(LW.svg("text", { x: 10, y: 60 }, LW.t("map.chart.empty")));
    return LW.el("div", { class: "chart" }, LW.el("h3", {}, title), svg);
  }
  const t0 = xs[0].getTime(), t1 = Math.max(xs[xs.length - 1].getTime(), t0 + 1);
  const x = (t) => pad + (width - 2 * pad) * ((t.getTime() - t0) / (t1 - t0));
  series.forEach((s, k) => {
    const lo = Math.min(...s.values), hi = Math.max(...s.values, lo + 1e-9);
    const y = (v) => height - pad - (height - 2 * pad) * ((v - lo) / (hi - lo));
    const d = s.values.map((v, i) => `${i ? "L" : "M"}${x(xs[i]).toFixed(1)},${y(v).toFixed(1)}`).join("");
    svg.append(LW.svg("path", { d, fill: "none", stroke: s.color, "stroke-width": 1.5 }));
    svg.append(LW.svg("text", { x: pad + k * 120, y: 12, fill: s.color }, `${s.name} ${lo.toFixed(1)}–${hi.toFixed(1)}`));
  });
  svg.append(LW.svg("text", { x: pad, y: height - 6 }, LW.fmtClock(xs[0])));
  svg.append(LW.svg("text", { x: width - pad, y: height - 6, "text-anchor": "end" }, LW.fmtClock(xs[xs.length - 1])));
  return LW.el("div", { class: "chart" }, LW.el("h3", {}, title), svg);
};
