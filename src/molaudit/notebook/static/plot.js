// molaudit plot: a plotly figure whose plotly.js arrives once per page.
// The first plot asks its kernel for plotly.js (one gzip-compressed binary message); every
// other plot on the page awaits the same module-level promise. Nothing is loaded from a URL.

const KEY = "__molaudit_plotly_v4__";

// anywidget 0.11 gives every widget model 2 s from its creation to load its module; a model
// that misses it ("[anywidget] Failed to initialize model.") drops every later kernel message.
// Evaluating plotly.js blocks the page for 1-5 s and a large WebGL draw for seconds, so such
// work waits until no anywidget model of the page is inside that window, and runs one at a
// time. molaudit models say they are ready by adding their _ma_key here (initialize below);
// other anywidget models are taken as ready 2.5 s after this page first saw them.
const READY = (globalThis.__molaudit_ready ||= new Set());
const SEEN = (globalThis.__molaudit_seen ||= new Map());
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const MODELS = (globalThis.__molaudit_models ||= new WeakMap());  // model promise -> model

// Synchronous, so that the check and the long task it allows run in one go: nothing (no
// model creation) can start in between.
function initializing(manager) {
  const now = performance.now();
  let busy = false;
  for (const promise of Object.values((manager && manager._models) || {})) {
    if (!MODELS.has(promise)) {
      MODELS.set(promise, null);
      Promise.resolve(promise).then((m) => MODELS.set(promise, m), () => MODELS.set(promise, false));
    }
    const m = MODELS.get(promise);
    if (m === null) { busy = true; continue; }  // still being created
    if (!m || typeof m.get !== "function" || m.get("_anywidget_id") === undefined) continue;
    const key = m.get("_ma_key");
    if (key) { if (!READY.has(key)) busy = true; continue; }
    if (!SEEN.has(m.model_id)) SEEN.set(m.model_id, now);
    if (now - SEEN.get(m.model_id) < 2500) busy = true;
  }
  return busy;
}

// Run `task` (synchronous, long) when the page is quiet, one such task at a time page-wide.
// Bounded: after 15 s of waiting it runs anyway (a model whose module never loads).
function heavy(manager, task) {
  const run = async () => {
    const deadline = performance.now() + 15000;
    while (performance.now() < deadline && initializing(manager)) await sleep(50);
    const start = performance.now();
    try { return task(); } finally { performance.measure("molaudit long work", { start }); }
  };
  const next = (globalThis.__molaudit_heavy || Promise.resolve()).then(run, run);
  globalThis.__molaudit_heavy = next.catch(() => null);
  return next;
}

function requestPlotly(model) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { model.off("msg:custom", onMsg); reject(new Error("no answer from the kernel")); }, 180000);
    async function onMsg(msg, buffers) {
      if (!msg || msg.type !== "plotly") return;
      model.off("msg:custom", onMsg);
      clearTimeout(timer);
      try {
        const buf = buffers[0];
        const bytes = buf instanceof DataView ? new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength) : new Uint8Array(buf);
        const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
        const code = await new Response(stream).text();
        const module = { exports: {} };
        // plotly.min.js is UMD: with a CommonJS-like `module` it returns the library
        await heavy(model.widget_manager, () => {
          new Function("module", "exports", "define", code)(module, module.exports, undefined);
        });
        resolve(module.exports);
      } catch (err) { reject(err); }
    }
    model.on("msg:custom", onMsg);
    model.send({ type: "plotly" });
  });
}

async function getPlotly(model) {
  for (let attempt = 0; attempt < 3; attempt++) {
    if (!globalThis[KEY]) globalThis[KEY] = requestPlotly(model);
    try { return await globalThis[KEY]; } catch (err) {
      globalThis[KEY] = null;  // the asking model went away or failed: ask again with ours
      if (attempt === 2) throw err;
    }
  }
}

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value && typeof value === "object" && !(value instanceof DataView)) {
    if (value.__ndarray__) {
      const dv = value.buffer;
      const raw = dv.buffer.slice(dv.byteOffset, dv.byteOffset + dv.byteLength);
      const Kind = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array }[value.dtype] || Float64Array;
      const flat = new Kind(raw);
      const shape = value.shape || [flat.length];
      if (shape.length === 2) {
        const [n, m] = shape, out = [];
        for (let i = 0; i < n; i++) out.push(Array.from(flat.subarray(i * m, (i + 1) * m)));
        return out;
      }
      return flat;
    }
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v);
    return out;
  }
  return value;
}

function cssVar(el, name, fallback) {
  const v = getComputedStyle(el).getPropertyValue(name).trim();
  return v || fallback;
}

// Colours from JupyterLab's theme variables (light and dark), transparent backgrounds.
function themed(el, layout) {
  const fg = cssVar(el, "--jp-ui-font-color1", "#222");
  const grid = cssVar(el, "--jp-border-color2", "#e0e0e0");
  const line = cssVar(el, "--jp-border-color1", "#bdbdbd");
  const out = { ...layout };
  out.paper_bgcolor = "rgba(0,0,0,0)";
  out.plot_bgcolor = "rgba(0,0,0,0)";
  out.font = { ...(layout.font || {}), color: fg, family: cssVar(el, "--jp-ui-font-family", "sans-serif") };
  for (const key of Object.keys(out)) {
    if (/^[xy]axis\d*$/.test(key)) out[key] = { gridcolor: grid, zerolinecolor: line, linecolor: line, ...out[key] };
  }
  if (!out.xaxis) out.xaxis = { gridcolor: grid, zerolinecolor: line };
  if (!out.yaxis) out.yaxis = { gridcolor: grid, zerolinecolor: line };
  if (Array.isArray(out.annotations)) out.annotations = out.annotations.map((a) => ({ ...a, font: { color: fg, ...(a.font || {}) } }));
  out.hoverlabel = { bgcolor: cssVar(el, "--jp-layout-color1", "#fff"), font: { color: fg }, ...(layout.hoverlabel || {}) };
  if (out.template && out.template.layout) {
    const tl = { ...out.template.layout };
    delete tl.paper_bgcolor; delete tl.plot_bgcolor;
    out.template = { ...out.template, layout: tl };
  }
  return out;
}

function indexOf(p) { return p.pointIndex ?? p.pointNumber ?? 0; }

async function render({ model, el }) {
  el.classList.add("molaudit-plot");
  const status = document.createElement("div");
  status.className = "ma-plot-status";
  status.textContent = "loading plot…";
  const box = document.createElement("div");
  box.className = "ma-plot-box";
  const error = document.createElement("div");
  error.className = "ma-plot-error";
  el.append(status, box, error);
  const showError = () => { error.textContent = model.get("error"); error.style.display = model.get("error") ? "" : "none"; };
  showError();
  model.on("change:error", showError);

  let Plotly;
  try { Plotly = await getPlotly(model); } catch (err) {
    status.textContent = `could not load the plotting library: ${err}`;
    return;
  }
  let alive = true;
  let queued = false;
  let wired = false;
  // drawing (WebGL, up to a million points) is long work: queued behind model inits
  const draw = () => {
    if (!alive || queued) return;
    queued = true;
    heavy(model.widget_manager, () => {
      queued = false;
      if (!alive) return;
      const fig = decode(model.get("figure")) || {};
      const layout = themed(el, fig.layout || {});
      layout.autosize = true;
      delete layout.width;
      Plotly.react(box, fig.data || [], layout, model.get("config"));
      if (!wired) { wired = true; wire(); }  // plotly gives the box its .on at the first draw
    });
  };
  // a hidden container has width 0: draw when it gets a size (tabs, accordions)
  let resizing = false;
  const ro = new ResizeObserver(() => {
    if (!alive || !box.clientWidth) return;
    if (!box._fullLayout) { draw(); return; }
    if (resizing) return;
    resizing = true;  // a WebGL redraw too: queued like the draws
    heavy(model.widget_manager, () => { resizing = false; if (alive) Plotly.Plots.resize(box); });
  });
  ro.observe(box);
  status.remove();
  draw();
  model.on("change:figure", draw);
  model.on("change:config", draw);
  // the theme changed (JupyterLab sets data-jp-theme-light on <body>)
  const mo = new MutationObserver(draw);
  mo.observe(document.body, { attributes: true, attributeFilter: ["data-jp-theme-light", "data-jp-theme-name"] });

  // the gesture events, wired once plotly has drawn (and given the box its .on)
  const wire = () => {
    box.on("plotly_selected", (ev) => {
      if (!ev) return;
      const byCurve = new Map();
      for (const p of ev.points || []) {
        if (!byCurve.has(p.curveNumber)) byCurve.set(p.curveNumber, []);
        byCurve.get(p.curveNumber).push(indexOf(p));
      }
      const curves = [...byCurve.keys()];
      const buffers = curves.map((c) => new Int32Array(byCurve.get(c)).buffer);
      model.send({ type: "selection", curves, range: ev.range || null, lasso: ev.lassoPoints || null }, undefined, buffers);
    });
    box.on("plotly_deselect", () => model.send({ type: "deselect" }));
    box.on("plotly_click", (ev) => {
      const p = ev && ev.points && ev.points[0];
      if (p) model.send({ type: "click", curve: p.curveNumber, index: indexOf(p) });
    });
    let lastHover = "";
    box.on("plotly_hover", (ev) => {
      const p = ev && ev.points && ev.points[0];
      if (!p) return;
      const key = `${p.curveNumber}:${indexOf(p)}`;
      if (key === lastHover) return;
      lastHover = key;
      model.send({ type: "hover", curve: p.curveNumber, index: indexOf(p) });
    });
  };
  return () => { alive = false; ro.disconnect(); mo.disconnect(); try { Plotly.purge(box); } catch (e) { /* gone */ } };
}

export default {
  initialize({ model }) { READY.add(model.get("_ma_key")); },
  render,
};
