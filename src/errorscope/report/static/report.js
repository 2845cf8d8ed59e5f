/* errorscope report: sortable / filterable tables and SVG bar charts with hover tooltips. No network. */
(function () {
  "use strict";
  var tooltip = document.getElementById("tooltip");
  var MIN_IMAGES = Number(document.body.getAttribute("data-min-images") || 30);

  function showTip(evt, text) {
    tooltip.textContent = text;
    tooltip.style.display = "block";
    tooltip.style.left = (evt.clientX + 14) + "px";
    tooltip.style.top = (evt.clientY + 10) + "px";
  }
  function hideTip() { tooltip.style.display = "none"; }

  /* Large tables arrive as JSON (one array per row) and are built here; "er" cells are
     [error ratio, low, high, n]: n is shown, the interval is the tooltip, and the cell is coloured only when the
     interval lies on one side of 1. */
  function erColour(v) {
    var t = Math.max(-1, Math.min(1, Math.log(Math.max(v, 1e-6)) / Math.LN2));
    var rgb = t < 0 ? "42,157,143" : "244,162,97";
    return "rgba(" + rgb + "," + (Math.abs(t) * 0.75).toFixed(2) + ")";
  }
  function fillCell(td, kind, v) {
    if (v === null || v === undefined) { td.className = "na"; td.textContent = "n/a"; td.setAttribute("data-value", ""); return; }
    if (kind === "text") { td.className = "text"; td.textContent = v; td.setAttribute("data-value", v); return; }
    if (kind === "er") {
      var er = v[0], lo = v[1], hi = v[2], n = v[3];
      td.setAttribute("data-value", String(er));
      td.textContent = er.toFixed(3);
      var small = document.createElement("small");
      small.className = "n";
      small.textContent = "n=" + (n === null ? "?" : n.toLocaleString("en-US"));
      td.appendChild(small);
      td.title = "error ratio " + er.toFixed(3) + ", 95% interval [" + (lo === null ? "n/a" : lo.toFixed(3)) + ", " +
        (hi === null ? "n/a" : hi.toFixed(3)) + "] on " + n + " images";
      if (n !== null && n >= MIN_IMAGES && lo !== null && hi !== null && (hi < 1 || lo > 1)) {
        td.style.background = erColour(er); td.className = "clear";
      }
      return;
    }
    td.setAttribute("data-value", String(v));
    if (kind === "pct") { td.textContent = (100 * v).toFixed(2) + "%"; }
    else if (kind === "int") { td.textContent = v.toLocaleString("en-US"); }
    else if (kind === "p1") { td.textContent = v.toFixed(1); }
    else if (kind === "p") { td.textContent = v === 0 ? "< 1e-300" : (v < 0.001 ? v.toExponential(2) : v.toFixed(3)); }
    else { td.textContent = v.toFixed(3); }
  }
  document.querySelectorAll("script.table-data").forEach(function (node) {
    var spec = JSON.parse(node.textContent);
    var table = document.getElementById(node.getAttribute("data-table"));
    var frag = document.createDocumentFragment();
    spec.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (v, i) { var td = document.createElement("td"); fillCell(td, spec.kinds[i], v); tr.appendChild(td); });
      frag.appendChild(tr);
    });
    table.tBodies[0].appendChild(frag);
  });

  function cellKey(td) {
    var raw = td.hasAttribute("data-value") ? td.getAttribute("data-value") : td.textContent.trim();
    if (raw === "") { return null; }
    var n = Number(raw);
    return isNaN(n) ? raw.toLowerCase() : n;
  }

  function sortTable(table, col, th) {
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var sign = dir === "ascending" ? 1 : -1;
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[col]), y = cellKey(b.cells[col]);
      if (x === null && y === null) { return 0; }
      if (x === null) { return 1; }  // missing values last in both directions
      if (y === null) { return -1; }
      if (typeof x === typeof y) { return x < y ? -sign : x > y ? sign : 0; }
      return typeof x === "number" ? -sign : sign;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  function applyFilters(table) {
    var text = "";
    var selects = [];
    document.querySelectorAll('[data-table="' + table.id + '"]').forEach(function (el) {
      if (el.classList.contains("table-filter")) { text = el.value.toLowerCase(); }
      if (el.classList.contains("table-select")) { selects.push(el); }
    });
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
      var ok = !text || r.textContent.toLowerCase().indexOf(text) >= 0;
      selects.forEach(function (s) {
        var col = Number(s.getAttribute("data-col"));
        if (s.value && r.cells[col].textContent.trim() !== s.value) { ok = false; }
      });
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    var counter = document.querySelector('.count[data-table="' + table.id + '"]');
    if (counter) { counter.textContent = shown + " of " + table.tBodies[0].rows.length + " rows"; }
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.title = "click to sort";
      th.addEventListener("click", function () { sortTable(table, i, th); });
    });
    applyFilters(table);
  });
  document.querySelectorAll(".table-filter, .table-select").forEach(function (el) {
    var table = document.getElementById(el.getAttribute("data-table"));
    el.addEventListener(el.tagName === "SELECT" ? "change" : "input", function () { applyFilters(table); });
  });

  /* Bar chart of error ratios (from 1) with interval whiskers, one model at a time. */
  var SVGNS = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVGNS, name);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function fmt(v) { return v === null ? "n/a" : v.toFixed(3); }

  function drawErrorRatios(container, rows) {
    container.innerHTML = "";
    var W = 900, H = 280, L = 50, R = 10, T = 14, B = 70;
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img" }, container);
    var vals = [];
    rows.forEach(function (r) { [r.error_ratio, r.er_low, r.er_high].forEach(function (v) { if (v !== null) { vals.push(v); } }); });
    var lo = Math.min(0.5, Math.min.apply(null, vals.concat([1]))), hi = Math.max(1.5, Math.max.apply(null, vals.concat([1])));
    var y = function (v) { return T + (H - T - B) * (hi - v) / (hi - lo); };
    var step = (W - L - R) / Math.max(rows.length, 1);
    for (var g = Math.ceil(lo * 2) / 2; g <= hi; g += 0.5) {
      el("line", { x1: L, x2: W - R, y1: y(g), y2: y(g), stroke: "#e4e9eb" }, svg);
      el("text", { x: L - 6, y: y(g) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6b73" }, svg).textContent = g.toFixed(1);
    }
    rows.forEach(function (r, i) {
      var x = L + i * step + step * 0.15, w = step * 0.7;
      if (r.error_ratio !== null) {
        var top = y(Math.max(r.error_ratio, 1)), bottom = y(Math.min(r.error_ratio, 1));
        var bar = el("rect", { "class": "bar", x: x, y: top, width: w, height: Math.max(bottom - top, 0.5),
          fill: r.error_ratio > 1 ? "#f4a261" : "#2a9d8f", "data-factor": r.factor }, svg);
        var tip = r.factor + "\nerror ratio " + fmt(r.error_ratio) + " [" + fmt(r.er_low) + ", " + fmt(r.er_high) + "]" +
          "\naccuracy " + (r.accuracy === null ? "n/a" : (100 * r.accuracy).toFixed(2) + "%") + " on " + r.total + " images";
        bar.addEventListener("mousemove", function (evt) { showTip(evt, tip); });
        bar.addEventListener("mouseleave", hideTip);
        if (r.er_low !== null && r.er_high !== null) {
          el("line", { x1: x + w / 2, x2: x + w / 2, y1: y(r.er_low), y2: y(r.er_high), stroke: "#1d2b33", "stroke-width": 1.2 }, svg);
        }
      }
      var label = el("text", { x: x + w / 2, y: H - B + 12, "font-size": 11, fill: "#1d2b33",
        transform: "rotate(40 " + (x + w / 2) + " " + (H - B + 12) + ")" }, svg);
      label.textContent = r.factor.replace(/_/g, " ");
    });
    el("line", { x1: L, x2: W - R, y1: y(1), y2: y(1), stroke: "#1d2b33", "stroke-width": 1.2 }, svg);
    el("text", { x: 12, y: T + (H - T - B) / 2, "font-size": 12, fill: "#1d2b33",
      transform: "rotate(-90 12 " + (T + (H - T - B) / 2) + ")", "text-anchor": "middle" }, svg).textContent = "error ratio";
  }

  var dataNode = document.getElementById("er-data");
  if (dataNode) {
    var data = JSON.parse(dataNode.textContent);
    var chart = document.getElementById("er-chart");
    var pick = document.getElementById("er-model");
    var sortPick = document.getElementById("er-sort");
    var render = function () {
      var rows = data.filter(function (r) { return r.model === pick.value; });
      if (sortPick.value === "ratio") {
        rows.sort(function (a, b) { return (a.error_ratio === null) - (b.error_ratio === null) || a.error_ratio - b.error_ratio; });
      }
      drawErrorRatios(chart, rows);
    };
    pick.addEventListener("change", render);
    sortPick.addEventListener("change", render);
    render();
  }

  /* The model picker: shows one model (or all) in every table with a model column and in the chart. */
  var modelPick = document.getElementById("model-pick");
  if (modelPick) {
    modelPick.addEventListener("change", function () {
      var m = modelPick.value;
      document.querySelectorAll('select.table-select[data-col="0"]').forEach(function (s) {
        var has = Array.prototype.some.call(s.options, function (o) { return o.value === m; });
        s.value = has ? m : "";
        applyFilters(document.getElementById(s.getAttribute("data-table")));
      });
      var er = document.getElementById("er-model");
      if (er && m) { er.value = m; er.dispatchEvent(new Event("change")); }
    });
  }
}());
