// molaudit molecule table: one page of rows, paged/sorted/filtered by the kernel.
// Every string from the data is set with textContent (never parsed as HTML), and depictions
// arrive as data: URIs assigned to img.src, so nothing from the data can become markup.

function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.appendChild(c);
  return node;
}

function fmt(value) {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (Number.isInteger(value)) return String(value);
    return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toPrecision(4);
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  return String(value);
}

function render({ model, el }) {
  el.classList.add("molaudit-table");
  // dimmed until the kernel answers (or 3 s pass: an unchanged page sends no update)
  let busyTimer = null;
  const send = () => {
    model.save_changes();
    el.classList.add("ma-busy");
    clearTimeout(busyTimer);
    busyTimer = setTimeout(() => el.classList.remove("ma-busy"), 3000);
  };
  const idle = () => { clearTimeout(busyTimer); el.classList.remove("ma-busy"); };

  // ---- toolbar -----------------------------------------------------------------------
  const statusBox = h("span", { class: "ma-statuses" });
  for (const s of model.get("statuses")) {
    const cb = h("input", { type: "checkbox", "data-status": s });
    cb.addEventListener("change", () => {
      const chosen = [...statusBox.querySelectorAll("input:checked")].map((x) => x.dataset.status);
      model.set("status_filter", chosen);
      send();
    });
    statusBox.appendChild(h("label", { class: `ma-status ma-${s}` }, [cb, h("span", { text: s })]));
  }
  const text = h("input", { type: "search", placeholder: "ID / SMILES / code  ⏎", class: "ma-text" });
  const applyText = () => { if (model.get("text_filter") !== text.value) { model.set("text_filter", text.value); send(); } };
  text.addEventListener("change", applyText);
  const smarts = h("input", { type: "search", placeholder: "SMARTS substructure  ⏎", class: "ma-smarts" });
  const applySmarts = () => { if (model.get("smarts_filter") !== smarts.value) { model.set("smarts_filter", smarts.value); send(); } };
  smarts.addEventListener("change", applySmarts);

  const rangeCol = h("select", { class: "ma-range-col" });
  rangeCol.appendChild(h("option", { value: "", text: "range…" }));
  for (const c of model.get("numeric_columns")) rangeCol.appendChild(h("option", { value: c, text: (model.get("column_labels") || {})[c] || c }));
  const lo = h("input", { type: "number", step: "any", placeholder: "min", class: "ma-num" });
  const hi = h("input", { type: "number", step: "any", placeholder: "max", class: "ma-num" });
  const rangeApply = () => {
    const col = rangeCol.value;
    if (!col) return;
    const ranges = { ...model.get("range_filters") };
    if (lo.value === "" && hi.value === "") delete ranges[col];
    else ranges[col] = [lo.value === "" ? null : Number(lo.value), hi.value === "" ? null : Number(hi.value)];
    model.set("range_filters", ranges);
    send();
  };
  lo.addEventListener("change", rangeApply);
  hi.addEventListener("change", rangeApply);
  rangeCol.addEventListener("change", () => {
    const r = model.get("range_filters")[rangeCol.value] || [null, null];
    lo.value = r[0] ?? ""; hi.value = r[1] ?? "";
  });
  const chips = h("span", { class: "ma-chips" });

  // ---- column chooser -------------------------------------------------------------------
  const labelOf = (c) => (model.get("column_labels") || {})[c] || c;
  const tipOf = (c) => (model.get("column_tips") || {})[c] || c;
  const chooser = h("details", { class: "ma-chooser" });
  const chooserList = h("div", { class: "ma-chooser-list" });
  chooser.append(h("summary", { text: "columns" }), chooserList);
  function drawChooser() {
    chooserList.replaceChildren();
    const shown = new Set(model.get("columns"));
    for (const c of model.get("all_columns")) {
      const cb = h("input", { type: "checkbox", "data-col": c });
      cb.checked = shown.has(c);
      cb.addEventListener("change", () => {
        const all = model.get("all_columns");
        const want = new Set(model.get("columns"));
        if (cb.checked) want.add(c); else want.delete(c);
        // keep the current order, append new columns in table order
        const cur = model.get("columns").filter((x) => want.has(x));
        for (const x of all) if (want.has(x) && !cur.includes(x)) cur.push(x);
        model.set("columns", cur);
        send();
      });
      const lab = h("label", { title: tipOf(c) }, [cb, h("span", { text: ` ${labelOf(c)}` })]);
      chooserList.appendChild(lab);
    }
  }
  const toolbar = h("div", { class: "ma-toolbar" }, [statusBox, text, smarts, rangeCol, lo, hi, chooser, chips]);
  // Enter applies a filter; keys typed here must not reach JupyterLab's shortcuts
  // (Enter would enter edit mode, 'a'/'b' insert cells, ...)
  for (const input of [text, smarts, lo, hi]) {
    input.addEventListener("keydown", (ev) => {
      ev.stopPropagation();
      if (ev.key === "Enter") {
        ev.preventDefault();
        if (input === text) applyText();
        else if (input === smarts) applySmarts();
        else rangeApply();
      }
    });
    input.addEventListener("keyup", (ev) => ev.stopPropagation());
    input.addEventListener("keypress", (ev) => ev.stopPropagation());
  }

  // ---- pager ----------------------------------------------------------------------------
  const prev = h("button", { class: "ma-prev", text: "‹ prev" });
  const next = h("button", { class: "ma-next", text: "next ›" });
  const info = h("span", { class: "ma-info" });
  const size = h("select", { class: "ma-size" });
  for (const n of [10, 25, 50, 100, 200]) size.appendChild(h("option", { value: String(n), text: `${n} / page` }));
  prev.addEventListener("click", () => { model.set("page", Math.max(0, model.get("page") - 1)); send(); });
  next.addEventListener("click", () => { model.set("page", model.get("page") + 1); send(); });
  size.addEventListener("change", () => { model.set("page_size", Number(size.value)); send(); });
  const selInfo = h("span", { class: "ma-selinfo" });
  const clearSel = h("button", { class: "ma-clear-sel", text: "clear selection" });
  clearSel.addEventListener("click", () => { model.set("selected", []); send(); });
  const pager = h("div", { class: "ma-pager" }, [prev, info, next, size, selInfo, clearSel]);

  const error = h("div", { class: "ma-error" });
  const table = h("table", { class: "ma-grid" });
  const thead = h("thead");
  const tbody = h("tbody");
  table.append(thead, tbody);
  // no scroll box of its own: the page scrolls (wide tables scroll sideways only)
  const scroller = h("div", { class: "ma-wide" }, [table]);
  el.append(toolbar, error, scroller, pager);

  function drawHeader() {
    thead.replaceChildren();
    const tr = h("tr");
    tr.appendChild(h("th", { class: "ma-check", text: "" }));
    if (model.get("depict")) {
      const cols = model.get("image_columns");
      for (const c of cols) tr.appendChild(h("th", { text: cols.length > 1 ? labelOf(c) : "Structure", title: c }));
    }
    const sortBy = model.get("sort_by");
    const asc = model.get("sort_ascending");
    for (const c of model.get("columns")) {
      const arrow = c === sortBy ? (asc ? " ▲" : " ▼") : "";
      const th = h("th", { class: "ma-sortable", "data-col": c, text: labelOf(c) + arrow, title: `${tipOf(c)} (click to sort)` });
      th.addEventListener("click", () => {
        if (model.get("sort_by") === c) {
          if (model.get("sort_ascending")) model.set("sort_ascending", false);
          else { model.set("sort_by", ""); model.set("sort_ascending", true); }
        } else { model.set("sort_by", c); model.set("sort_ascending", true); }
        send();
      });
      tr.appendChild(th);
    }
    thead.appendChild(tr);
  }

  function drawBody() {
    tbody.replaceChildren();
    const cols = model.get("columns");
    const rows = model.get("rows");
    const ids = model.get("row_ids");
    const imgs = model.get("images");
    const sizes = model.get("image_sizes") || [];
    const shown = model.get("cell_display") || [];
    const selected = new Set(model.get("selected"));
    const depict = model.get("depict");
    rows.forEach((rec, i) => {
      const rowId = ids[i];
      const tr = h("tr", { "data-row": String(rowId) });
      if (selected.has(rowId)) tr.classList.add("ma-selected");
      if (rec.status) tr.classList.add(`ma-row-${String(rec.status).replace(/[^a-z]/g, "")}`);
      const cb = h("input", { type: "checkbox" });
      cb.checked = selected.has(rowId);
      cb.addEventListener("change", () => {
        const cur = new Set(model.get("selected"));
        if (cb.checked) cur.add(rowId); else cur.delete(rowId);
        model.set("selected", [...cur].sort((a, b) => a - b));
        send();
      });
      tr.appendChild(h("td", { class: "ma-check" }, [cb]));
      if (depict) {
        model.get("image_columns").forEach((c, j) => {
          const td = h("td", { class: "ma-img" });
          const uri = (imgs[i] || [])[j];
          if (uri) {
            const [w, hgt] = sizes[i] || [160, 110];
            const img = h("img", { width: String(w), height: String(hgt), loading: "lazy", class: "ma-mol" });
            img.src = uri;
            img.alt = rec[c] ? String(rec[c]) : "";
            td.appendChild(img);
          }
          tr.appendChild(td);
        });
      }
      const over = shown[i] || {};
      for (const c of cols) {
        const td = h("td", { text: fmt(rec[c]), "data-col": c });
        if (typeof rec[c] === "number") td.classList.add("ma-numcell");
        if (typeof rec[c] === "string" && rec[c].length > 40) td.title = rec[c];
        if (over[c]) {
          const [textValue, flag, tip] = over[c];
          td.textContent = textValue;
          td.classList.add("ma-flagged", `ma-flag-${String(flag).replace(/[^a-z]/g, "")}`);
          td.title = tip;
        }
        if (c === "error_message" || c === "check_messages") td.classList.add("ma-long");
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    });
    if (!rows.length) {
      const span = cols.length + 1 + (depict ? model.get("image_columns").length : 0);
      tbody.appendChild(h("tr", {}, [h("td", { colspan: String(span), class: "ma-empty", text: "no rows match the filters" })]));
    }
  }

  function drawInfo() {
    const page = model.get("page"), pages = model.get("n_pages");
    const n = model.get("n_filtered"), total = model.get("n_total");
    info.textContent = `page ${page + 1} / ${pages} · ${n.toLocaleString()} of ${total.toLocaleString()} rows`;
    prev.disabled = page <= 0;
    next.disabled = page >= pages - 1;
    size.value = String(model.get("page_size"));
    const nsel = model.get("selected").length;
    selInfo.textContent = nsel ? `${nsel} selected` : "";
    clearSel.style.display = nsel ? "" : "none";
    const notice = model.get("notice");
    if (notice) info.textContent += ` · ${notice}`;
    error.textContent = model.get("error");
    error.style.display = model.get("error") ? "" : "none";
    chips.replaceChildren();
    const label = model.get("row_filter_label");
    if (label) {
      const x = h("button", { class: "ma-chip", text: `${label} ✕` });
      x.title = "show all rows";
      x.addEventListener("click", () => { model.set("clear_row_filter", model.get("clear_row_filter") + 1); send(); });
      chips.appendChild(x);
    }
    for (const [col, r] of Object.entries(model.get("range_filters"))) {
      const x = h("button", { class: "ma-chip", text: `${r[0] ?? "−∞"} ≤ ${col} ≤ ${r[1] ?? "∞"} ✕` });
      x.addEventListener("click", () => {
        const ranges = { ...model.get("range_filters") };
        delete ranges[col];
        model.set("range_filters", ranges);
        send();
      });
      chips.appendChild(x);
    }
  }

  drawHeader(); drawBody(); drawInfo(); drawChooser();
  model.on("change:columns", () => { drawHeader(); drawBody(); drawChooser(); });
  model.on("change:cell_display", drawBody);
  model.on("change:rows", () => { idle(); drawBody(); drawInfo(); });
  model.on("change:error", idle);
  model.on("change:busy", () => el.classList.toggle("ma-busy", model.get("busy")));
  model.on("change:images", drawBody);
  model.on("change:selected", () => { drawBody(); drawInfo(); });
  model.on("change:sort_by", drawHeader);
  model.on("change:sort_ascending", drawHeader);
  for (const name of ["page", "n_pages", "n_filtered", "error", "notice", "row_filter_label", "range_filters", "page_size"]) {
    model.on(`change:${name}`, drawInfo);
  }
}

// tell molaudit plots this model initialized (they hold long work until it did: plot.js)
export default {
  initialize({ model }) { (globalThis.__molaudit_ready ||= new Set()).add(model.get("_ma_key")); },
  render,
};
