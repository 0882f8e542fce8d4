// The public elevator page (/e/<code>) and the reporter's progress page (/r/<token>).
// No framework, no CDN, no inline script (the page's CSP forbids it). Words come from the
// "public" and "codes" catalogues (zh-CN by default, English on the language switch).
import { t, applyI18n, loadCatalogues, languageSwitch, fmtDateTimeShort } from "./i18n.js";

(function () {
  var FIELDS = ["registration_code", "address", "district", "building_type", "user_unit",
    "safety_officer_name", "safety_officer_phone", "company_name", "company_phone",
    "last_maintenance", "next_maintenance_due", "inspection_valid_until", "insured", "grade",
    "hotline"];
  var CATEGORIES = {
    fault: ["stopped", "door", "noise", "shaking", "button", "light", "other"],
    complaint: ["dirty", "noisy", "out_of_service_days", "smell", "other"]
  };
  var RESCUE_STEPS = ["reported", "accepted", "en_route", "arrived", "released"];
  var last = null;    // what is shown, redrawn on a language switch

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (cls) node.className = cls;
    return node;
  }

  function show(message, ok) {
    var box = $("message");
    box.textContent = message;
    box.className = ok ? "message ok" : "message";
    box.hidden = false;
  }

  function time(value) {
    return value ? fmtDateTimeShort(value) : "";
  }

  function display(name, value) {
    if (name === "insured") return t(value ? "public.insured.yes" : "public.insured.no");
    if (value === null || value === undefined || value === "") return t("public.not_registered");
    if (name === "district") return codeLabel("district", value);
    if (name === "building_type") return codeLabel("building", value);
    return String(value);
  }

  function codeLabel(group, value) {
    var key = "codes." + group + "." + value;
    var text = t(key);
    return text === key ? String(value) : text;
  }

  function request(method, url, body) {
    var init = { method: method, headers: { "Accept": "application/json", "Accept-Language": document.documentElement.lang } };
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(typeof data.detail === "string" ? data.detail : t("public.error.http", { status: r.status }));
        return data;
      });
    });
  }

  // -- the elevator's page ---------------------------------------------------------------
  function renderElevator(page) {
    last = function () { renderElevator(page); };
    var status = $("status");
    status.dataset.status = page.status;
    status.textContent = t("public.status." + page.status);
    var list = $("fields");
    list.textContent = "";
    FIELDS.forEach(function (f) {
      var row = el("div");
      var dt = el("dt", t("public.field." + f));
      var dd = el("dd", display(f, page[f]));
      dd.dataset.field = f;
      row.appendChild(dt);
      row.appendChild(dd);
      list.appendChild(row);
    });
    $("stale").hidden = page.code_current;
    $("elevator-view").hidden = false;
  }

  function openForm(kind) {
    $("trapped-form").hidden = true;
    $("report-kind").value = kind;
    var select = $("report-category");
    select.textContent = "";
    CATEGORIES[kind].forEach(function (c) {
      var option = el("option", codeLabel("category", c));
      option.value = c;
      select.appendChild(option);
    });
    $("report-form").hidden = false;
  }

  function submit(code, body) {
    return request("POST", "/api/public/e/" + encodeURIComponent(code) + "/reports", body)
      .then(function (receipt) { window.location.assign(receipt.link); })
      .catch(function (err) { show(err.message); });
  }

  function elevatorPage(code) {
    request("GET", "/api/public/e/" + encodeURIComponent(code))
      .then(renderElevator)
      .catch(function (err) { show(err.message); });
    $("trapped").addEventListener("click", function () {
      $("report-form").hidden = true;
      $("trapped-form").hidden = false;
    });
    $("open-fault").addEventListener("click", function () { openForm("fault"); });
    $("open-complaint").addEventListener("click", function () { openForm("complaint"); });
    $("trapped-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      submit(code, { kind: "entrapment", phone: $("trapped-phone").value.trim() });
    });
    $("report-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      submit(code, {
        kind: $("report-kind").value,
        category: $("report-category").value,
        description: $("report-text").value,
        phone: $("report-phone").value.trim()
      });
    });
  }

  // -- the reporter's progress -----------------------------------------------------------
  function rescueSteps(rescue) {
    var at = {
      reported: rescue.reported_at,
      accepted: rescue.accepted_at,
      en_route: rescue.accepted_at && rescue.state !== "accepted" ? rescue.accepted_at : null,
      arrived: rescue.arrived_at,
      released: rescue.released_at
    };
    if (["on_site", "released", "closed"].indexOf(rescue.state) >= 0 && !at.en_route) {
      at.en_route = rescue.arrived_at;
    }
    var list = $("steps");
    list.textContent = "";
    RESCUE_STEPS.forEach(function (s) {
      var li = el("li", t("public.step." + s), at[s] ? "done" : "");
      li.dataset.step = s;
      if (s === "en_route" && rescue.eta_at && !rescue.arrived_at) {
        li.appendChild(el("span", t("public.eta", { time: time(rescue.eta_at) }), "at"));
        li.dataset.eta = rescue.eta_at;
      } else if (at[s]) {
        li.appendChild(el("span", time(at[s]), "at"));
      }
      list.appendChild(li);
    });
    list.dataset.state = rescue.state;
  }

  function ticketView(p) {
    var box = $("ticket");
    box.textContent = "";
    box.dataset.state = p.ticket_state || "";
    box.appendChild(el("p", t("public.ticket." + p.ticket_state)));
    if (p.ticket_state === "open" && p.ticket_due_at) {
      box.appendChild(el("p", t("public.answer_due", { time: time(p.ticket_due_at) }), "muted"));
    }
    if (p.answer) {
      var answer = el("blockquote", p.answer);
      answer.id = "answer";
      box.appendChild(answer);
    }
    box.hidden = false;
  }

  function renderProgress(p) {
    last = function () { renderProgress(p); };
    $("report-title").textContent = t("public.title." + p.kind);
    $("report-elevator").textContent = t("public.report_elevator", { code: p.registration_code, time: time(p.reported_at) });
    if (p.dismissed) show(t("public.dismissed"));
    if (p.rescue) rescueSteps(p.rescue);
    else ticketView(p);
    $("report-view").hidden = false;
  }

  function reportPage(token) {
    function poll() {
      request("GET", "/api/public/reports/" + encodeURIComponent(token))
        .then(renderProgress)
        .catch(function (err) { show(err.message); })
        .then(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  }

  loadCatalogues(["common", "public", "codes"]).then(function () {
    applyI18n(document);
    languageSwitch($("lang-switch"));
    window.addEventListener("lw:langchange", function () { if (last) last(); });
    var parts = window.location.pathname.split("/");
    if (parts[1] === "e" && parts[2]) elevatorPage(decodeURIComponent(parts[2]));
    else if (parts[1] === "r" && parts[2]) reportPage(decodeURIComponent(parts[2]));
    else show(t("public.unknown_link"));
    document.body.dataset.ready = "true";
  });
})();
