/*
 * view.js - rnnbow view's page: draws the paper's interface from the data
 * embedded in the page (cmd/view.c writes it; plots/webview.h says how it
 * is encoded). Plain JavaScript and SVG; nothing is fetched.
 *
 * Data per run r: #run-r (JSON: the model, record count, every), #rec-r
 * (base64 rows: batch, offset as float64; true and predicted bytes, or
 * for a run of other tokens (#run-r's "tokens") int32 ids whose texts are
 * #tok-r's (JSON: id -> text); n losses as logq codes), and per source s (layer, gate) #g-r-s (rows of
 * n(n+1)/2 logq codes of g[t,j], j <= t, then k_exact and k_bound as
 * uint16) and #ov-r-s (JSON: the overview's bars or bins, the run's decay
 * curve). Test hooks: overview bars carry data-batch, stacked segments
 * data-t and data-j, the heading is #batch-title, the horizon #horizon.
 */
"use strict";
(function () {
  const NS = "http://www.w3.org/2000/svg";
  const $ = (id) => document.getElementById(id);
  const meta = JSON.parse($("view-meta").textContent);
  const LAGS = meta.lags, EPS = meta.eps, NONE = 65535;

  /* logq codes to values: 0 is 0, 65535 not finite, 2^(lo + (c-1) step) */
  const LQ = new Float64Array(65536);
  for (let c = 1; c < 65535; c++)
    LQ[c] = Math.pow(2, meta.logq.lo + (c - 1) * meta.logq.span / meta.logq.steps);
  LQ[65535] = NaN;

  /* A base64 block, read a row at a time where it lies in the text (the
   * writer puts a newline after every 4096 characters, one before the
   * first): nothing is decoded at load, however many records there are. */
  function block(id) {
    const text = $(id).textContent;
    return { text: text, base: text.charCodeAt(0) === 10 ? 1 : 0 };
  }
  function bytes(b, start, len) {
    const q0 = Math.floor(start / 3), q1 = Math.ceil((start + len) / 3);
    const pos = (c) => b.base + c + Math.floor(c / 4096);
    const s = atob(b.text.substring(pos(4 * q0), pos(4 * q1 - 1) + 1)); /* atob skips newlines */
    const u = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
    return new DataView(u.buffer, start - 3 * q0, len);
  }

  /* --- the runs ------------------------------------------------------ */
  const runs = [];
  for (let r = 0; r < meta.runs; r++) {
    const run = JSON.parse($("run-" + r).textContent);
    const n = run.n;
    run.index = r;
    run.tri = n * (n + 1) / 2;
    run.tw = run.tokens ? 4 : 1; /* bytes of a step's token */
    run.recSize = 16 + 2 * run.tw * n + 2 * n;
    run.tok = run.tokens ? JSON.parse($("tok-" + r).textContent) : null;
    run.gSize = 2 * run.tri + 4;
    run.rec = block("rec-" + r);
    run.sources = [];
    const gates = run.gates ? run.gates.split(",") : [];
    for (let l = 0, s = 0; l < run.layers; l++)
      for (let q = -1; q < gates.length; q++, s++)
        run.sources.push({
          label: "layer " + l + (q < 0 ? (gates.length ? ", whole matrix" : "") : ", gate " + gates[q]),
          id: "g-" + r + "-" + s,
          ov: JSON.parse($("ov-" + r + "-" + s).textContent),
          g: null, /* decoded when first shown */
        });
    run.src = 0;
    runs.push(run);
  }

  function glyph(b) {
    if (b === 32) return "\u2423";
    if (b === 10) return "\u21b5";
    if (b === 9) return "\u21e5";
    if (b < 32 || b > 126) return "\u00b7";
    return String.fromCharCode(b);
  }

  /* The label of token id in run: a byte's glyph, or the token's text (a
   * one-character text as a byte's glyph, control characters as "?"),
   * cut to max characters with an ellipsis (the label has a step's width);
   * textContent puts it in the SVG, so nothing needs escaping here. */
  function tokenText(run, id) {
    if (!run.tok) return glyph(id);
    const s = run.tok[id];
    return s === undefined ? "?" : s;
  }
  function label(run, id, max) {
    if (!run.tok) return glyph(id);
    const s = Array.from(tokenText(run, id));
    if (s.length === 1 && s[0].charCodeAt(0) < 128) return glyph(s[0].charCodeAt(0));
    const t = s.map((c) => c.charCodeAt(0) < 32 ? "?" : c);
    return t.length > max ? t.slice(0, Math.max(1, max - 1)).join("") + "\u2026" : t.join("");
  }

  /* The record at index i of run, with g of its current source. */
  function record(run, i) {
    const n = run.n, src = run.sources[run.src];
    if (!src.g) src.g = block(src.id);
    const dv = bytes(run.rec, i * run.recSize, run.recSize), at = 0;
    const rec = { index: i, batch: dv.getFloat64(at, true), position: dv.getFloat64(at + 8, true),
                  target: [], predicted: [], loss: new Float64Array(n), g: new Float64Array(n * n) };
    for (let t = 0; t < n; t++) {
      const tw = run.tw, tok = (k) => tw === 4 ? dv.getInt32(k, true) : dv.getUint8(k);
      rec.target.push(tok(at + 16 + tw * t));
      rec.predicted.push(tok(at + 16 + tw * (n + t)));
      rec.loss[t] = LQ[dv.getUint16(at + 16 + 2 * tw * n + 2 * t, true)];
    }
    const gv = bytes(src.g, i * run.gSize, run.gSize), ga = 0;
    for (let t = 0, k = 0; t < n; t++)
      for (let j = 0; j <= t; j++, k++)
        rec.g[t * n + j] = LQ[gv.getUint16(ga + 2 * k, true)];
    const ke = gv.getUint16(ga + 2 * run.tri, true), kb = gv.getUint16(ga + 2 * run.tri + 2, true);
    rec.kExact = ke === NONE ? null : ke;
    rec.kBound = kb === NONE ? null : kb;
    rec.bar = new Float64Array(n);
    for (let j = 0; j < n; j++)
      for (let t = j; t < n; t++) rec.bar[j] += rec.g[t * n + j];
    rec.maxGrad = -1;
    rec.maxStep = 0;
    for (let j = 0; j < n; j++)
      if (rec.bar[j] > rec.maxGrad || isNaN(rec.bar[j])) {
        rec.maxGrad = rec.bar[j];
        rec.maxStep = j;
        if (isNaN(rec.bar[j])) break;
      }
    return rec;
  }

  /* Index of the record of batch b in run (the nearest one before if b
   * was not embedded). */
  function batchAt(run, i) { return bytes(run.rec, i * run.recSize, 8).getFloat64(0, true); }
  function findBatch(run, b) {
    let lo = 0, hi = run.records - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (batchAt(run, mid) <= b) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  /* k_t of loss t from g (ANALYSIS.md's k_bound for one loss): the least
   * k with sum_{d>k} g[t,t-d] <= eps * sum_d g[t,t-d]. */
  function lossK(rec, n, t) {
    let total = 0;
    for (let j = 0; j <= t; j++) total += rec.g[t * n + j];
    if (!(total > 0)) return isNaN(total) ? null : 0;
    let beyond = total;
    for (let k = 0; k <= t; k++) {
      beyond -= rec.g[t * n + t - k];
      if (beyond <= EPS * total) return k;
    }
    return t;
  }

  /* --- state ------------------------------------------------------------ */
  const state = {
    active: 0,                      /* the run whose batch is shown */
    selected: runs.map(() => 0),    /* selected record per run */
    preview: null,                  /* {run, index} while hovering the overview */
    loss: null,                     /* the loss t whose horizon is shown */
  };

  /* --- drawing helpers -------------------------------------------------- */
  function el(name, attrs, parent, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function fmt(v) {
    if (v === null || v === undefined || isNaN(v)) return "not finite";
    if (v === 0) return "0";
    const a = Math.abs(v);
    return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
  }
  function lagColour(d) {
    const dark = [0x08, 0x30, 0x6b], light = [0xde, 0xeb, 0xf7];
    const k = Math.min(d, LAGS), s = LAGS > 0 ? k / LAGS : 0;
    const c = dark.map((v, i) => Math.round(v + s * (light[i] - v)));
    return "rgb(" + c.join(",") + ")";
  }
  /* ticks of 1, 2 or 5 times a power of ten over [0, top] */
  function ticks(top, count) {
    if (!(top > 0)) return [0];
    const raw = top / count, p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw);
    const out = [];
    for (let v = 0; v <= top * 1.0001; v += step) out.push(v);
    return out;
  }
  /* The bars' height: what the window leaves under the overview for the
   * labels, the bars and the horizon (half as high), between 120 and 420
   * pixels, so that a laptop screen shows it all without scrolling. */
  function barHeight(labelH) {
    const top = $("batch").getBoundingClientRect().top + window.scrollY;
    const avail = window.innerHeight - top - 16 - (2 * labelH + 8 + 18) - 22;
    return Math.round(Math.max(120, Math.min(420, avail / 1.5)));
  }
  function width(node) { return Math.max(300, Math.floor(node.getBoundingClientRect().width)); }

  /* --- the overview: one lane per run on one batch axis ------------------ */
  let xmin = Infinity, xmax = -Infinity;
  for (const run of runs)
    for (const src of run.sources) {
      const x = src.ov.x;
      if (!x.length) continue;
      const w = x.length > 1 ? (x[x.length - 1] - x[0]) / (x.length - 1) : 1;
      xmin = Math.min(xmin, x[0] - w);
      xmax = Math.max(xmax, x[x.length - 1] + w);
    }
  if (!(xmax > xmin)) { xmin = 0; xmax = 1; }

  const OV = { left: 64, right: 12, top: 6, axis: 18 };
  function laneHeight() {
    const h = window.innerHeight >= 1000 ? 190 : 130;
    return runs.length === 1 ? h : Math.max(56, Math.round(h * 1.3 / runs.length));
  }

  function drawOverview() {
    const box = $("overview");
    clear(box);
    const W = width(box), lh = laneHeight();
    const H = OV.top + lh * runs.length + OV.axis;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, height: H }, box);
    const pw = W - OV.left - OV.right;
    const X = (b) => OV.left + (b - xmin) / (xmax - xmin) * pw;
    runs.forEach((run, r) => {
      const ov = run.sources[run.src].ov, y0 = OV.top + r * lh, ph = lh - 8;
      let top = 0, low = Infinity;
      for (let i = 0; i < ov.x.length; i++) {
        top = Math.max(top, ov.hi[i]);
        if (ov.lo[i] > 0) low = Math.min(low, ov.lo[i]);
      }
      const log = ov.log && low < Infinity, ymin = log ? low / 1.5 : 0;
      const ymax = log ? top * 1.5 : (top > 0 ? top * 1.08 : 1);
      const Y = (v) => y0 + ph - ph * (log ? (v > ymin ? Math.log(v / ymin) / Math.log(ymax / ymin) : 0)
                                            : v / ymax);
      const g = el("g", { "data-run": r }, svg);
      el("rect", { x: OV.left, y: y0, width: pw, height: ph, class: "frame" }, g);
      const yt = log ? [ymin * 1.5, ymax / 1.5] : [0, top];
      for (const v of yt)
        el("text", { x: OV.left - 4, y: Y(v) + 4, "text-anchor": "end", class: "axis" }, g, fmt(v));
      el("text", { x: OV.left + 4, y: y0 + 12, class: "lane-name" + (r === state.active ? " active" : "") },
         g, "max gradient per recorded batch: " + run.name + (run.sources.length > 1 ? " (" + run.sources[run.src].label + ")" : "") +
         (ov.binned ? " \u2014 min, median, max of " + ov.per + " records per bin" : "") +
         (run.every > 1 ? " \u2014 every " + run.every + "th record" : ""));
      const nb = ov.x.length;
      const step = nb > 1 ? (X(ov.x[nb - 1]) - X(ov.x[0])) / (nb - 1) : pw / 2;
      if (ov.binned) {
        let area = "M", line = "M";
        for (let i = 0; i < nb; i++) area += X(ov.x[i]).toFixed(1) + "," + Y(ov.hi[i]).toFixed(1) + " ";
        for (let i = nb - 1; i >= 0; i--) area += X(ov.x[i]).toFixed(1) + "," + Y(ov.lo[i]).toFixed(1) + " ";
        for (let i = 0; i < nb; i++) line += X(ov.x[i]).toFixed(1) + "," + Y(ov.y[i]).toFixed(1) + " ";
        el("path", { d: area + "Z", fill: "#9ecae1" }, g);
        el("path", { d: line, fill: "none", stroke: "#08519c", "stroke-width": 1.2 }, g);
      }
      for (let i = 0; i < nb; i++) {
        const x = X(ov.x[i]), bar = el("g", { "data-batch": ov.top[i], "data-run": r }, g);
        el("rect", { x: x - step / 2, y: y0, width: Math.max(step, 1), height: ph, fill: "transparent" }, bar);
        if (!ov.binned) {
          const bw = Math.max(1, step * 0.8), yv = Y(ov.y[i]);
          el("rect", { x: x - bw / 2, y: yv, width: bw, height: Math.max(0, y0 + ph - yv), fill: "#3182bd" }, bar);
        }
        el("title", {}, bar, "batch " + ov.top[i] + ": max gradient " + fmt(ov.binned ? ov.hi[i] : ov.y[i]) +
           (ov.binned ? " (the largest of its bin; median " + fmt(ov.y[i]) + ")" : ""));
      }
      /* the selected batch, and the previewed one */
      const mark = (b, colour, dash) => {
        el("line", { x1: X(b), x2: X(b), y1: y0, y2: y0 + ph, stroke: colour, "stroke-width": 1.5,
                     "stroke-dasharray": dash, "pointer-events": "none" }, g);
      };
      mark(batchAt(run, state.selected[r]), "#de2d26", "none");
      if (state.preview && state.preview.run === r)
        mark(batchAt(run, state.preview.index), "#555", "3,2");
    });
    /* the batch axis under the last lane */
    const ya = OV.top + lh * runs.length - 8;
    for (const v of ticks(xmax - Math.max(0, xmin), 8).map((v) => v + Math.max(0, Math.ceil(xmin))))
      if (v >= xmin && v <= xmax)
        el("text", { x: X(v), y: ya + 14, "text-anchor": X(v) > W - 30 ? "end" : "middle", class: "axis" },
           svg, Math.round(v));
    el("text", { x: OV.left - 4, y: ya + 14, "text-anchor": "end", class: "axis" }, svg, "batch");
  }

  /* --- the batch: bytes over predictions, bars stacked by lag ------------- */
  const BV = { left: 64, right: 12 };
  function shown() {
    if (state.preview) return state.preview;
    return { run: state.active, index: state.selected[state.active] };
  }

  function drawBatch() {
    const s = shown(), run = runs[s.run], n = run.n, rec = record(run, s.index);
    const svg = $("batch");
    clear(svg);
    if (state.loss === null || state.loss >= n) {
      state.loss = 0;
      for (let t = 1; t < n; t++) if (rec.loss[t] > rec.loss[state.loss]) state.loss = t;
    }
    drawStats(run, rec, s); /* first: its lines move the bars down */
    const W = width($("detail")), big = window.innerHeight >= 1000;
    const labelH = big ? 26 : 20, bh = barHeight(labelH), H = 2 * labelH + 8 + bh + 18;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    svg.setAttribute("height", H);
    const pw = W - BV.left - BV.right, cw = pw / n;
    const X = (j) => BV.left + j * cw;
    const t0 = state.loss, fs = Math.max(9, Math.min(big ? 18 : 14, cw * 0.8));
    const chars = Math.max(2, Math.floor(cw / (fs * 0.6))); /* a token's label fits its step */
    /* labels: true on top, predicted below, green right, red wrong */
    el("text", { x: BV.left - 6, y: labelH * 0.72, "text-anchor": "end", class: "axis" }, svg, "true");
    el("text", { x: BV.left - 6, y: labelH * 1.72, "text-anchor": "end", class: "axis" }, svg, "predicted");
    for (let j = 0; j < n; j++) {
      const right = rec.target[j] === rec.predicted[j];
      if (j === t0)
        el("rect", { x: X(j), y: 0, width: cw, height: 2 * labelH + 4, fill: "#fdd0a2" }, svg);
      el("rect", { x: X(j) + 1, y: labelH + 2, width: Math.max(1, cw - 2), height: labelH - 2,
                   fill: right ? "#c7e9c0" : "#fcbba1" }, svg);
      const tl = el("text", { x: X(j) + cw / 2, y: labelH * 0.75, "text-anchor": "middle",
                              class: "glyph", "font-size": fs, "data-step": j }, svg,
                          label(run, rec.target[j], chars));
      if (run.tok) el("title", {}, tl, tokenText(run, rec.target[j]));
      tl.style.cursor = "pointer";
      el("text", { x: X(j) + cw / 2, y: labelH * 1.75, "text-anchor": "middle", class: "glyph",
                   "font-size": fs, fill: right ? "#238b45" : "#cb181d" }, svg,
         label(run, rec.predicted[j], chars));
    }
    /* bars */
    const y0 = 2 * labelH + 8, top = rec.maxGrad > 0 ? rec.maxGrad * 1.05 : 1;
    const Y = (v) => y0 + bh - bh * v / top;
    for (const v of ticks(top, 4)) {
      el("line", { x1: BV.left, x2: W - BV.right, y1: Y(v), y2: Y(v), class: "grid" }, svg);
      el("text", { x: BV.left - 4, y: Y(v) + 4, "text-anchor": "end", class: "axis" }, svg, fmt(v));
    }
    const bw = Math.max(1, cw * 0.8);
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let t = j; t < n; t++) {
        const v = rec.g[t * n + j];
        if (!isFinite(v)) continue;
        const yt = Y(acc + v), hgt = Math.max(0, Y(acc) - yt);
        acc += v;
        const cls = "seg" + (t === t0 ? " hl" : " dim");
        el("rect", { x: X(j) + (cw - bw) / 2, y: yt, width: bw, height: hgt, fill: lagColour(t - j),
                     class: cls, "data-t": t, "data-j": j }, svg);
      }
    }
    for (let j = 0; j < n; j += Math.max(1, Math.ceil(n / 25)))
      el("text", { x: X(j) + cw / 2, y: y0 + bh + 14, "text-anchor": "middle", class: "axis" }, svg, j);
    drawHorizon(run, rec, Math.round(bh * 0.5));
    drawDecay(run, rec);
  }

  /* the horizon of loss t: g[t,j] for j = 0..t, under the bars' columns */
  function drawHorizon(run, rec, hh) {
    const box = $("horizon"), n = run.n, t = state.loss;
    clear(box);
    const W = width($("detail"));
    const H = hh + 22;
    const svg = el("svg", { viewBox: "0 0 " + W + " " + H, height: H }, box);
    const pw = W - BV.left - BV.right, cw = pw / n, X = (j) => BV.left + j * cw;
    let top = 0;
    for (let j = 0; j <= t; j++) if (isFinite(rec.g[t * n + j])) top = Math.max(top, rec.g[t * n + j]);
    const scale = top > 0 ? hh / top : 0;
    el("text", { x: BV.left - 6, y: 10, "text-anchor": "end", class: "axis" }, svg, fmt(top));
    el("text", { x: BV.left - 6, y: hh * 0.5, "text-anchor": "end", class: "axis" }, svg, "horizon");
    el("text", { x: BV.left - 6, y: hh * 0.5 + 13, "text-anchor": "end", class: "axis" }, svg, "of loss " + t);
    el("text", { x: BV.left - 6, y: hh + 4, "text-anchor": "end", class: "axis" }, svg, "0");
    el("line", { x1: BV.left, x2: W - BV.right, y1: hh + 0.5, y2: hh + 0.5, stroke: "#999" }, svg);
    const bw = Math.max(1, cw * 0.8);
    for (let j = 0; j <= t; j++) {
      const v = rec.g[t * n + j], h = isFinite(v) ? v * scale : 0;
      const bar = el("rect", { x: X(j) + (cw - bw) / 2, y: hh - h, width: bw, height: h,
                               fill: lagColour(t - j), "data-j": j, "data-g": v }, svg);
      el("title", {}, bar, "g[" + t + "," + j + "] = " + fmt(v) + " (lag " + (t - j) + ")");
    }
    el("text", { x: X(t) + cw / 2, y: hh + 16, "text-anchor": "middle", class: "axis", fill: "#de2d26" },
       svg, "t=" + t);
  }

  function drawStats(run, rec, s) {
    const n = run.n, t = state.loss;
    let right = 0, mean = 0;
    for (let j = 0; j < n; j++) {
      right += rec.target[j] === rec.predicted[j];
      mean += rec.loss[j] / n;
    }
    const title = $("batch-title");
    title.textContent = (runs.length > 1 ? run.name + ": " : "") + "batch " + rec.batch +
      (state.preview ? " (preview: click to select)" : "");
    const kt = lossK(rec, n, t), src = run.sources[run.src];
    $("stats").innerHTML = "";
    const parts = [
      ["corpus offset", rec.position],
      ["max gradient", fmt(rec.maxGrad) + " at step " + rec.maxStep],
      ["loss", fmt(mean) + " nats, " + right + "/" + n + " right"],
      ["k_exact", rec.kExact === null ? "\u2013" : rec.kExact],
      ["k_bound", (rec.kBound === null ? "\u2013" : rec.kBound) + " (eps " + EPS + ")"],
      ["loss " + t, fmt(rec.loss[t]) + " nats, k_t " + (kt === null ? "\u2013" : kt) +
        " (bound from g[" + t + ",\u00b7])"],
    ];
    if (run.sources.length > 1) parts.push(["g of", src.label]);
    parts.forEach((p, i) => {
      if (i) $("stats").appendChild(document.createTextNode(" \u00b7 "));
      const b = document.createElement("b");
      b.textContent = p[0] + " ";
      $("stats").appendChild(b);
      $("stats").appendChild(document.createTextNode(String(p[1])));
    });
  }

  /* the run's decay curve (median, p10-p90) and this batch's */
  function drawDecay(run, rec) {
    const svg = $("decay"), n = run.n, ov = run.sources[run.src].ov;
    clear(svg);
    const W = svg.getBoundingClientRect().width || 300, H = svg.getBoundingClientRect().height || 210;
    svg.setAttribute("viewBox", "0 0 " + W + " " + H);
    const L = 46, R = 8, T = 8, B = 26, pw = W - L - R, ph = H - T - B;
    /* this batch: median over t >= d of g[t,t-d] / g[t,t] */
    const mine = [], loss = [];
    for (let d = 0; d < n; d++) {
      const r = [];
      for (let t = d; t < n; t++) {
        const own = rec.g[t * n + t];
        if (own > 0) r.push(rec.g[t * n + t - d] / own);
      }
      r.sort((a, b) => a - b);
      mine.push(r.length ? (r.length % 2 ? r[r.length >> 1] : 0.5 * (r[r.length / 2 - 1] + r[r.length / 2])) : null);
      const t = state.loss, own = rec.g[t * n + t];
      loss.push(d <= t && own > 0 ? rec.g[t * n + t - d] / own : null);
    }
    let lo = Infinity, hi = 1;
    for (const a of [ov.p10, ov.median, ov.p90, mine])
      for (const v of a) if (v > 0 && isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    lo = Math.max(lo, hi * 1e-12);
    if (!(lo < hi)) lo = hi / 10;
    const dl = Math.floor(Math.log10(lo)), dh = Math.ceil(Math.log10(hi));
    const X = (d) => L + (n > 1 ? d / (n - 1) : 0.5) * pw;
    const Y = (v) => T + ph - ph * (Math.log10(v) - dl) / Math.max(1, dh - dl);
    const ok = (v) => v !== null && v > 0 && isFinite(v) && Math.log10(v) >= dl;
    el("rect", { x: L, y: T, width: pw, height: ph, class: "frame" }, svg);
    const every = Math.max(1, Math.ceil((dh - dl) / 5));
    for (let e = dl; e <= dh; e += every) {
      el("line", { x1: L, x2: L + pw, y1: Y(Math.pow(10, e)), y2: Y(Math.pow(10, e)), class: "grid" }, svg);
      el("text", { x: L - 4, y: Y(Math.pow(10, e)) + 4, "text-anchor": "end", class: "axis" }, svg, "1e" + e);
    }
    for (const d of [0, Math.floor((n - 1) / 2), n - 1])
      el("text", { x: X(d), y: T + ph + 14, "text-anchor": "middle", class: "axis" }, svg, d);
    el("text", { x: L + pw / 2, y: H - 1, "text-anchor": "middle", class: "axis" }, svg, "lag d");
    let band = "";
    const up = [], down = [];
    /* a p10 of 0 (g underflowed) or below the axis sits on its floor */
    for (let d = 0; d < n; d++) if (ok(ov.p90[d])) {
      up.push(X(d).toFixed(1) + "," + Y(ov.p90[d]).toFixed(1));
      down.unshift(X(d).toFixed(1) + "," + Y(ok(ov.p10[d]) ? ov.p10[d] : Math.pow(10, dl)).toFixed(1));
    }
    if (up.length) band = "M" + up.concat(down).join(" ") + "Z";
    if (band) el("path", { d: band, fill: "#c6dbef" }, svg);
    const line = (vals, colour, w) => {
      let p = "", pen = false;
      vals.forEach((v, d) => {
        if (ok(v)) { p += (pen ? "L" : "M") + X(d).toFixed(1) + "," + Y(v).toFixed(1); pen = true; } else pen = false;
      });
      if (p) el("path", { d: p, fill: "none", stroke: colour, "stroke-width": w }, svg);
    };
    line(ov.median, "#08519c", 1.5);
    line(mine, "#de2d26", 1.5);
    loss.forEach((v, d) => { if (ok(v)) el("circle", { cx: X(d), cy: Y(v), r: 2.2, fill: "#fd8d3c" }, svg); });
    const key = [["#08519c", "run median"], ["#de2d26", "batch " + rec.batch], ["#fd8d3c", "loss " + state.loss]];
    key.forEach((k, i) => {
      el("rect", { x: L + 6, y: T + ph - 42 + 13 * i, width: 10, height: 3, fill: k[0] }, svg);
      el("text", { x: L + 20, y: T + ph - 38 + 13 * i, class: "axis" }, svg, k[1]);
    });
  }

  function drawLegend() {
    const box = $("legend");
    box.innerHTML = "<h3>Bars: g[t,j] stacked by lag d = t &minus; j</h3>";
    for (let d = 0; d <= LAGS; d++) {
      const item = document.createElement("span");
      item.className = "item";
      const sw = document.createElement("span");
      sw.className = "sw";
      sw.style.background = lagColour(d);
      item.appendChild(sw);
      item.appendChild(document.createTextNode(d === LAGS ? "rest (\u2265" + LAGS + ")" : d === 0 ? "0 (own loss)" : String(d)));
      box.appendChild(item);
    }
  }

  function fillSources() {
    const run = runs[state.active], sel = $("source");
    $("source-box").hidden = !runs.some((r) => r.sources.length > 1);
    clear(sel);
    run.sources.forEach((s, i) => {
      const o = document.createElement("option");
      o.value = i;
      o.textContent = s.label;
      sel.appendChild(o);
    });
    sel.value = run.src;
    sel.disabled = run.sources.length < 2;
  }

  function drawAll() {
    drawOverview();
    drawBatch();
  }

  /* --- events ----------------------------------------------------------- */
  /* A redraw after a key moves the elements under a pointer that stays
   * put, and the browser then reports the pointer over the new ones: such
   * hovers (at the place the pointer was when the key was pressed) must
   * not undo the key. */
  const pointer = { x: -1, y: -1 }, still = { x: -2, y: -2 };
  document.addEventListener("mousemove", (ev) => { pointer.x = ev.clientX; pointer.y = ev.clientY; });
  const stale = (ev) => ev.clientX === still.x && ev.clientY === still.y;
  function barOf(target) {
    const b = target.closest && target.closest("[data-batch]");
    return b ? { run: +b.getAttribute("data-run"), batch: +b.getAttribute("data-batch") } : null;
  }
  $("overview").addEventListener("mouseover", (ev) => {
    const b = barOf(ev.target);
    if (!b || stale(ev)) return;
    const index = findBatch(runs[b.run], b.batch);
    if (state.preview && state.preview.run === b.run && state.preview.index === index) return;
    state.preview = { run: b.run, index: index };
    drawAll();
  });
  $("overview").addEventListener("mouseleave", () => {
    if (!state.preview) return;
    state.preview = null;
    drawAll();
  });
  $("overview").addEventListener("click", (ev) => {
    const b = barOf(ev.target);
    if (!b) return;
    state.active = b.run;
    state.selected[b.run] = findBatch(runs[b.run], b.batch);
    state.preview = null;
    fillSources();
    drawAll();
  });
  function setLoss(t) {
    if (t === state.loss) return;
    state.loss = t;
    drawBatch();
  }
  $("batch").addEventListener("mouseover", (ev) => {
    const t = ev.target.getAttribute("data-t") || ev.target.getAttribute("data-step");
    if (t !== null && !stale(ev)) setLoss(+t);
  });
  $("source").addEventListener("change", (ev) => {
    runs[state.active].src = +ev.target.value;
    drawAll();
  });
  document.addEventListener("keydown", (ev) => {
    if (ev.target && ev.target.tagName === "SELECT") return;
    const run = runs[state.active];
    let i = state.selected[state.active];
    switch (ev.key) {
    case "ArrowLeft": i = Math.max(0, i - 1); break;
    case "ArrowRight": i = Math.min(run.records - 1, i + 1); break;
    case "ArrowUp": state.loss = Math.min(run.n - 1, state.loss + 1); break;
    case "ArrowDown": state.loss = Math.max(0, state.loss - 1); break;
    default: return;
    }
    ev.preventDefault();
    still.x = pointer.x;
    still.y = pointer.y;
    state.preview = null;
    if (i !== state.selected[state.active]) {
      state.selected[state.active] = i;
      drawOverview();
    }
    drawBatch();
  });
  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(drawAll, 100);
  });

  /* --- start: each run at its batch of the largest max gradient --------- */
  runs.forEach((run, r) => {
    const ov = run.sources[0].ov;
    let best = -1, batch = batchAt(run, 0);
    for (let i = 0; i < ov.x.length; i++) if (ov.hi[i] > best) { best = ov.hi[i]; batch = ov.top[i]; }
    state.selected[r] = findBatch(run, batch);
  });
  $("files").textContent = runs.map((r) => r.name +
    (r.component ? ", component " + r.component + " of " + r.components : "") +
    " (" + r.cell + ", H=" + r.H + ", n=" + r.n +
    (r.layers > 1 ? ", " + r.layers + " layers" : "") + ", " + r.records + " records)").join(" \u00b7 ");
  drawLegend();
  fillSources();
  drawAll();
  document.body.setAttribute("data-ready", "1");
})();
