// The desk's case board: cases sorted by urgency with the time against the 30-minute
// arrival limit, their timelines and dispatch offers, active alarms; the 96333 call
// intake form (keyboard only: Alt+N, Enter, Esc); a sound and a banner on every new
// entrapment (docs/ui.md).
"use strict";

(function () {
  let visible = false, timer = null;

  const ACTIVE = ["reported", "offered", "accepted", "en_route", "on_site"];
  const UNASSIGNED = ["reported", "offered"];
  const LIMIT_MIN = 30;                  // TSG T5002: rescuer on site within 30 min
  const AMBER_MIN = 15, RED_MIN = 25;    // the bar's colours: green < 15 <= amber < 25 <= red
  const ALERT_TYPES = ["entrapment", "possible_entrapment", "alarm_button"];

  // ---- time against the limit ----
  // Minutes from trapped_since to the rescuer's arrival (or to now while not arrived).
  function elapsedMin(c, now = Date.now()) {
    const start = new Date(c.trapped_since || c.reported_at).getTime();
    const end = c.arrived_at ? new Date(c.arrived_at).getTime() : now;
    return Math.max(0, (end - start) / 60000);
  }

  function urgencyLevel(minutes) {
    if (minutes >= RED_MIN) return "red";
    if (minutes >= AMBER_MIN) return "amber";
    return "green";
  }

  // Most urgent first: cases still waiting for a rescuer on site, longest trapped first
  // (unassigned before assigned at equal time), then the finished ones, newest first.
  function urgencyOrder(a, b) {
    const rank = (c) => (ACTIVE.includes(c.state) ? (c.arrived_at ? 1 : 0) : 2);
    if (rank(a) !== rank(b)) return rank(a) - rank(b);
    if (rank(a) === 2) return new Date(b.reported_at) - new Date(a.reported_at);
    const dt = elapsedMin(b) - elapsedMin(a);
    if (Math.abs(dt) > 0.5) return dt;
    return (UNASSIGNED.includes(b.state) ? 1 : 0) - (UNASSIGNED.includes(a.state) ? 1 : 0);
  }

  function urgencyBar(c) {
    const bar = LW.el("div", { class: "urgency-fill" });
    const text = LW.el("span", { class: "urgency-text" });
    const box = LW.el("div", { class: "urgency", role: "meter", "aria-valuemin": "0", "aria-valuemax": String(LIMIT_MIN) }, bar, text);
    updateBar(box, c);
    return box;
  }

  function updateBar(box, c) {
    const minutes = elapsedMin(c);
    const level = urgencyLevel(minutes);
    const whole = Math.floor(minutes);
    box.className = `urgency ${level}` + (c.arrived_at ? " arrived" : "");
    box.dataset.level = level;
    box.dataset.minutes = String(whole);
    box.setAttribute("aria-valuenow", String(Math.min(whole, LIMIT_MIN)));
    box.firstChild.style.width = `${Math.min(100, (100 * minutes) / LIMIT_MIN).toFixed(1)}%`;
    const key = c.arrived_at ? "desk.case.arrived_in" : minutes > LIMIT_MIN ? "desk.case.overdue" : "desk.case.elapsed";
    box.lastChild.textContent = LW.t(key, { n: whole, limit: LIMIT_MIN, over: whole - LIMIT_MIN });
    box.setAttribute("aria-label", box.lastChild.textContent);
  }

  // The bars move on their own, without reloading the board.
  let cases = [];
  setInterval(() => {
    if (!visible) return;
    for (const c of cases) {
      const box = document.querySelector(`[data-case="${c.id}"] .urgency`);
      if (box && ACTIVE.includes(c.state)) updateBar(box, c);
    }
  }, 10000);

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
      catch (e) { alert(e.missing ? LW.t("common.error.unavailable") : e.message); }
    } }, LW.code("case_action", a)));
  }

  function caseCard(c) {
    const T = LW.t;
    const steps = c.timeline.map((t) => LW.el("li", { "data-step": t.step }, LW.el("time", { datetime: t.at }, LW.fmtClock(t.at)), `${LW.code("case_step", t.step)} · ${t.actor}`));
    const offers = (c.offers || []).map((o) => LW.el("li", {}, T("desk.case.offer", { tier: o.tier, rescuer: o.rescuer_id, state: LW.code("offer_state", o.state), eta: Math.round(o.eta_s / 60) })));
    const active = ACTIVE.includes(c.state);
    const extras = [T("desk.case.tier", { tier: c.tier })];
    if (c.rescuer_id) extras.push(T("desk.case.rescuer", { id: c.rescuer_id }));
    if (c.insurance_flag) extras.push(T("desk.case.insurance"));
    return LW.el("div", { class: `case ${c.state}` + (active ? ` urgency-${urgencyLevel(elapsedMin(c))}` : ""), "data-case": c.id, "data-state": c.state },
      LW.el("h3", {}, T("desk.case.title", { id: c.id, state: LW.code("case_state", c.state) })),
      LW.el("div", {}, T("desk.case.where", { code: c.elevator_code, district: LW.code("district", c.district), source: LW.code("case_source", c.source), n: c.people_trapped })),
      c.address ? LW.el("div", { class: "muted" }, c.address) : "",
      urgencyBar(c),
      LW.el("div", { class: "muted" }, T("desk.case.since", { time: LW.fmtTime(c.trapped_since) }) + " · " + extras.join(" · ")),
      c.arrival_due_at ? LW.el("div", { class: "muted" }, T("desk.case.due", { time: LW.fmtTime(c.arrival_due_at) })) : "",
      c.end_request ? LW.el("div", { class: "end-request" }, T("desk.case.end_request", { what: LW.code("case_state", c.end_request) })) : "",
      LW.el("ol", { class: "timeline" }, ...steps),
      offers.length ? LW.el("div", {}, LW.el("strong", {}, T("desk.case.offers")), LW.el("ul", {}, ...offers)) : "",
      LW.el("div", { class: "actions" }, ...caseActions(c)),
    );
  }

  async function load() {
    const active = document.getElementById("desk-active").checked;
    const board = document.getElementById("case-board");
    const note = document.getElementById("desk-note");
    try {
      const page = await LW.api(`/api/v1/board/cases?limit=100&active=${active}`);
      cases = [...page.items].sort(urgencyOrder);
      board.replaceChildren(...(cases.length ? cases.map(caseCard) : [LW.el("p", { class: "muted" }, LW.t("desk.no_cases"))]));
      note.textContent = LW.t("common.updated", { time: LW.fmtClock(new Date()) });
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
            } }, LW.code("alarm_action", act)));
          }
        }
        if (a.type === "possible_entrapment" && LW.can("desk", "admin")) {
          // 疑似困人: the desk, having called the car or the caller, confirms it into a case
          actions.append(LW.el("button", { class: "act", type: "button", "data-confirm": a.id, onclick: async () => {
            try { await LW.api("/api/v1/cases/confirm", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ alarm_id: a.id }) }); load(); } catch (e) { alert(e.message); }
          } }, LW.t("desk.alarms.confirm_case")));
        }
        return LW.el("tr", { "data-alarm": a.id, "data-type": a.type }, LW.el("td", {}, LW.fmtTime(a.opened_at)), LW.el("td", {}, a.elevator_code),
          LW.el("td", {}, LW.code("district", a.district)), LW.el("td", {}, LW.code("alarm", a.type)), LW.el("td", {}, LW.code("severity", a.severity)), LW.el("td", {}, LW.code("alarm_state", a.state)), actions);
      }));
    } catch (e) { tbody.replaceChildren(LW.el("tr", {}, LW.el("td", { colspan: 7 }, e.message))); }
  }

  function onLive(event) {
    alertOn(event);
    if (!visible || !["case", "offer", "alarm", "resync"].includes(event.kind)) return;
    if (timer) return;
    timer = setTimeout(() => { timer = null; load(); }, 500);
  }

  // ---- the alert: a beep (Web Audio, no file) and a banner on every new entrapment ----
  // Browsers let a page play sound only after a user gesture: the audio is armed on the
  // first click or key press, and a banner asks for one until then. Each alert is also
  // recorded on <body data-last-alert data-alert-count> and window.LW.alerts (what was
  // heard, for people and for the browser tests).
  let audio = null;
  const heard = new Map();               // elevator id -> time of its last alert (ms)
  LW.alerts = { count: 0, beeps: 0, last: null };

  function alertsWanted() {
    return LW.me && LW.can("desk", "supervisor");
  }

  function armAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!audio) audio = new Ctx();
    if (audio.state === "suspended") audio.resume().then(showSoundBanner, () => {});
    showSoundBanner();
  }

  function audioReady() {
    return audio !== null && audio.state === "running";
  }

  function showSoundBanner() {
    const banner = document.getElementById("sound-banner");
    banner.hidden = !alertsWanted() || audioReady();
  }

  function beep() {
    if (!audioReady()) return false;
    const t0 = audio.currentTime;
    // Three short two-tone pulses (880 / 660 Hz), loud enough over a call centre.
    for (let i = 0; i < 3; i++) {
      const osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = "square";
      osc.frequency.setValueAtTime(880, t0 + i * 0.5);
      osc.frequency.setValueAtTime(660, t0 + i * 0.5 + 0.18);
      gain.gain.setValueAtTime(0.0001, t0 + i * 0.5);
      gain.gain.exponentialRampToValueAtTime(0.25, t0 + i * 0.5 + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t0 + i * 0.5 + 0.38);
      osc.connect(gain).connect(audio.destination);
      osc.start(t0 + i * 0.5);
      osc.stop(t0 + i * 0.5 + 0.4);
    }
    return true;
  }

  // A new entrapment: an entrapment or alarm-button alarm opened, or a case reported
  // (a 96333 call); one alert per elevator within two minutes (the alarm and the case it
  // opens are one entrapment).
  function isNewEntrapment(event) {
    if (event.kind === "alarm") return ALERT_TYPES.includes(event.type) && event.state === "open";
    if (event.kind === "case") return event.step === "reported";
    return false;
  }

  function alertOn(event) {
    if (!alertsWanted() || !isNewEntrapment(event)) return;
    const key = event.elevator_id ?? `case-${event.id}`;
    const now = Date.now();
    if (heard.has(key) && now - heard.get(key) < 120000) return;
    heard.set(key, now);
    const played = beep();
    LW.alerts.count += 1;
    if (played) LW.alerts.beeps += 1;
    LW.alerts.last = { at: new Date(now).toISOString(), elevator_id: event.elevator_id ?? null, kind: event.kind, played };
    document.body.dataset.lastAlert = LW.alerts.last.at;
    document.body.dataset.alertCount = String(LW.alerts.count);
    document.body.dataset.beepCount = String(LW.alerts.beeps);
    const banner = document.getElementById("alert-banner");
    const what = event.kind === "alarm" ? LW.code("alarm", event.type) : LW.code("case_source", event.source || "hotline");
    document.getElementById("alert-text").textContent = LW.t("desk.alert.text", {
      what, id: event.elevator_id ?? "?", time: LW.fmtClock(new Date(now)),
    });
    banner.dataset.elevator = String(event.elevator_id ?? "");
    banner.hidden = false;
  }

  function dismissAlert() {
    document.getElementById("alert-banner").hidden = true;
  }

  // ---- the 96333 call intake: keyboard only ----
  // Tab walks code → address → phone → trapped → open case → clear; Enter submits from
  // any field; Esc clears the form; Alt+N jumps to the code field from anywhere.
  function wireHotline() {
    const form = document.getElementById("hotline-form");
    const result = document.getElementById("call-result");
    const first = document.getElementById("call-code");
    form.hidden = !LW.can("desk");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = { people_trapped: +document.getElementById("call-people").value || 0, caller_phone: document.getElementById("call-phone").value };
      const code = first.value.trim(), address = document.getElementById("call-address").value.trim();
      if (code) body.elevator_code = code;
      if (address) body.address = address;
      if (!code && !address) { result.textContent = LW.t("desk.call.need_where"); first.focus(); return; }
      try {
        const r = await LW.api("/api/v1/cases", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
        form.reset();
        result.textContent = LW.t(r.created ? "desk.call.opened" : "desk.call.joined", { id: r.id });
        result.dataset.openedCase = String(r.id);
        first.focus();
        load();
      } catch (ex) { result.textContent = ex.missing ? LW.t("common.error.unavailable") : ex.message; }
    });
    form.addEventListener("reset", () => { result.textContent = ""; delete result.dataset.openedCase; setTimeout(() => first.focus(), 0); });
    form.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); form.reset(); }
    });
  }

  document.addEventListener("keydown", (e) => {
    if (!visible) return;
    if (e.altKey && (e.key === "n" || e.key === "N" || e.code === "KeyN")) {
      e.preventDefault();
      const form = document.getElementById("hotline-form");
      if (!form.hidden) document.getElementById("call-code").focus();
    } else if (e.altKey && (e.key === "x" || e.key === "X" || e.code === "KeyX")) {
      e.preventDefault();
      dismissAlert();
    }
  });

  // Arm the audio on the first gesture anywhere (the banner itself is one).
  for (const type of ["pointerdown", "keydown"]) document.addEventListener(type, armAudio, { capture: true });

  let wired = false;
  function wireOnce() {
    if (wired) return;
    wired = true;
    document.getElementById("desk-refresh").addEventListener("click", load);
    document.getElementById("desk-active").addEventListener("change", load);
    document.getElementById("alert-dismiss").addEventListener("click", dismissAlert);
    document.getElementById("sound-banner").addEventListener("click", armAudio);
    wireHotline();
  }

  // The alert listens from login on, whatever view is shown.
  let listening = false;
  LW.deskAlerts = function () {
    if (listening || !LW.me) return;
    listening = true;
    LW.listeners.push(onLive);
    showSoundBanner();
  };

  LW.views.desk = {
    show() {
      visible = true;
      LW.deskAlerts();
      wireOnce();
      load();
    },
    hide() { visible = false; },
  };
})();
