/* ERP Watch: sortable and filterable comparison table. Plain DOM, no dependencies; the table works without it. */
(function () {
  "use strict";
  var zh = document.documentElement.lang === "zh";
  var L = zh
    ? { all: "全部", category: "类别", marketplace: "平台", sort: "排序", shown: "显示" }
    : { all: "All", category: "Category", marketplace: "Marketplace", sort: "Sort by", shown: "Showing" };

  function values(rows, attr) {
    var seen = {};
    rows.forEach(function (r) {
      (r.getAttribute(attr) || "").split(" ").forEach(function (v) { if (v) seen[v] = true; });
    });
    return Object.keys(seen).sort();
  }

  function select(label, options, onChange) {
    var wrap = document.createElement("label");
    wrap.className = "erp-filter";
    wrap.appendChild(document.createTextNode(label + " "));
    var sel = document.createElement("select");
    [""].concat(options).forEach(function (v) {
      var o = document.createElement("option");
      o.value = v;
      o.textContent = v || L.all;
      sel.appendChild(o);
    });
    sel.addEventListener("change", onChange);
    wrap.appendChild(sel);
    return { wrap: wrap, select: sel };
  }

  function cellKey(row, i) {
    var cell = row.cells[i];
    var key = cell.getAttribute("data-sort");
    if (key === null) key = cell.textContent.trim().toLowerCase();
    var n = Number(key);
    return key !== "" && !isNaN(n) ? n : key;
  }

  function setup(table) {
    if (table.getAttribute("data-erp-ready")) return;
    table.setAttribute("data-erp-ready", "1");
    var tbody = table.tBodies[0];
    var rows = Array.prototype.slice.call(tbody.rows);
    var status = document.createElement("p");
    status.className = "erp-filter-status";
    status.setAttribute("aria-live", "polite");
    var bar = document.createElement("div");
    bar.className = "erp-filters";
    var cat, mkt;
    function apply() {
      var shown = 0;
      rows.forEach(function (r) {
        var okC = !cat.select.value || (" " + r.getAttribute("data-categories") + " ").indexOf(" " + cat.select.value + " ") >= 0;
        var okM = !mkt.select.value || (" " + r.getAttribute("data-marketplaces") + " ").indexOf(" " + mkt.select.value + " ") >= 0;
        r.hidden = !(okC && okM);
        if (!r.hidden) shown++;
      });
      status.textContent = L.shown + ": " + shown + " / " + rows.length;
    }
    cat = select(L.category, values(rows, "data-categories"), apply);
    mkt = select(L.marketplace, values(rows, "data-marketplaces"), apply);
    bar.appendChild(cat.wrap);
    bar.appendChild(mkt.wrap);
    bar.appendChild(status);
    var wrapper = table.closest(".erp-table-wrap") || table;
    wrapper.parentNode.insertBefore(bar, wrapper);

    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "erp-sort";
      button.textContent = th.textContent;
      button.setAttribute("aria-label", L.sort + " " + th.textContent);
      th.textContent = "";
      th.appendChild(button);
      th.setAttribute("aria-sort", "none");
      button.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (c) { c.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        rows.sort(function (a, b) {
          var x = cellKey(a, i), y = cellKey(b, i);
          if (x < y) return asc ? -1 : 1;
          if (x > y) return asc ? 1 : -1;
          return 0;
        });
        rows.forEach(function (r) { tbody.appendChild(r); });
      });
    });
    apply();
  }

  function init() {
    var table = document.getElementById("erp-compare");
    if (table) setup(table);
    // The theme's search overlay is a dialog without a name (axe: aria-dialog-name).
    var search = document.querySelector(".md-search[role=dialog]");
    if (search && !search.getAttribute("aria-label")) search.setAttribute("aria-label", zh ? "搜索" : "Search");
  }
  // Material's instant navigation swaps pages without reloading: hook into its document$ when present.
  if (window.document$ && window.document$.subscribe) {
    window.document$.subscribe(init);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
