// The public elevator page (/e/<code>) and the reporter's progress page (/r/<token>).
// No framework, no CDN, no inline script (the page's CSP forbids it).
"use strict";

(function () {
  var FIELDS = [
    ["registration_code", "注册代码", "Registration code"],
    ["address", "地址", "Address"],
    ["district", "行政区", "District"],
    ["building_type", "场所类型", "Building"],
    ["user_unit", "使用单位", "User unit"],
    ["safety_officer_name", "安全管理员", "Safety officer"],
    ["safety_officer_phone", "安全管理员电话", "Safety officer phone"],
    ["company_name", "维保单位", "Maintenance company"],
    ["company_phone", "维保24小时电话", "Maintenance 24-h phone"],
    ["last_maintenance", "上次维保", "Last maintenance"],
    ["next_maintenance_due", "下次维保", "Next maintenance due"],
    ["inspection_valid_until", "检验有效期至", "Inspection valid until"],
    ["insured", "电梯责任保险", "Liability insurance"],
    ["grade", "3+2 评级", "3+2 grade"],
    ["hotline", "应急救援电话", "Emergency hotline"]
  ];
  var STATUS = {
    in_service: "正常运行 · In service",
    maintenance: "维保中 · Under maintenance",
    out_of_service: "停用 · Out of service",
    rescue: "救援进行中 · Rescue in progress"
  };
  var CATEGORIES = {
    fault: [["stopped", "停梯 Stopped"], ["door", "门故障 Door"], ["noise", "异响 Noise"],
      ["shaking", "抖动 Shaking"], ["button", "按钮 Buttons"], ["light", "照明 Light"],
      ["other", "其他 Other"]],
    complaint: [["dirty", "不卫生 Dirty"], ["noisy", "噪音 Noisy"],
      ["out_of_service_days", "长期停用 Out of service for days"], ["smell", "异味 Smell"],
      ["other", "其他 Other"]]
  };
  var RESCUE_STEPS = [
    ["reported", "已受理", "Report received"],
    ["accepted", "救援人员已接单", "Rescuer accepted"],
    ["en_route", "救援人员在途", "Rescuer on the way"],
    ["arrived", "已到达现场", "Rescuer arrived"],
    ["released", "已解救", "Released"]
  ];
  var TICKET_STATES = {
    open: "待维保单位答复 · Waiting for the company's answer",
    answered: "已答复 · Answered",
    dismissed: "已关闭 · Closed"
  };

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
    if (!value) return "";
    var d = new Date(value);
    return d.toLocaleString("zh-CN", { hour12: false, month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit" });
  }

  function display(name, value) {
    if (name === "insured") return value ? "有效 In force" : "无 None";
    if (value === null || value === undefined || value === "") return "未登记 Not registered";
    return String(value);
  }

  function request(method, url, body) {
    var init = { method: method, headers: { "Accept": "application/json" } };
    if (body) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(url, init).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data.detail || ("HTTP " + r.status));
        return data;
      });
    });
  }

  // -- the elevator's page ---------------------------------------------------------------
  function renderElevator(page) {
    var status = $("status");
    status.dataset.status = page.status;
    status.textContent = STATUS[page.status] || page.status;
    var list = $("fields");
    list.textContent = "";
    FIELDS.forEach(function (f) {
      var row = el("div");
      var dt = el("dt", f[1]);
      dt.appendChild(el("small", f[2]));
      var dd = el("dd", display(f[0], page[f[0]]));
      dd.dataset.field = f[0];
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
      var option = el("option", c[1]);
      option.value = c[0];
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
      var li = el("li", s[1] + " · " + s[2], at[s[0]] ? "done" : "");
      li.dataset.step = s[0];
      if (s[0] === "en_route" && rescue.eta_at && !rescue.arrived_at) {
        li.appendChild(el("span", "预计 ETA " + time(rescue.eta_at), "at"));
        li.dataset.eta = rescue.eta_at;
      } else if (at[s[0]]) {
        li.appendChild(el("span", time(at[s[0]]), "at"));
      }
      list.appendChild(li);
    });
    list.dataset.state = rescue.state;
  }

  function ticketView(p) {
    var box = $("ticket");
    box.textContent = "";
    box.dataset.state = p.ticket_state || "";
    box.appendChild(el("p", TICKET_STATES[p.ticket_state] || p.ticket_state));
    if (p.ticket_state === "open" && p.ticket_due_at) {
      box.appendChild(el("p", "答复期限 Answer due " + time(p.ticket_due_at), "muted"));
    }
    if (p.answer) {
      var answer = el("blockquote", p.answer);
      answer.id = "answer";
      box.appendChild(answer);
    }
    box.hidden = false;
  }

  function renderProgress(p) {
    var title = p.kind === "entrapment" ? "困梯求救 · Entrapment report"
      : p.kind === "fault" ? "故障报告 · Fault report" : "投诉 · Complaint";
    $("report-title").textContent = title;
    $("report-elevator").textContent = "电梯 Elevator " + p.registration_code + " · " +
      time(p.reported_at);
    if (p.dismissed) show("此报告已被核实为无效 · This report was dismissed.");
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

  var parts = window.location.pathname.split("/");
  if (parts[1] === "e" && parts[2]) elevatorPage(decodeURIComponent(parts[2]));
  else if (parts[1] === "r" && parts[2]) reportPage(decodeURIComponent(parts[2]));
  else show("未知的链接 · Unknown link");
})();
