// The network diagram: one node per neuron, one link per weight (blue positive, orange
// negative and dashed, width by size). During a Step's stages it lights the layer at work: forward
// values layer by layer, the loss, the deltas travelling back (with dW on the links), the update.
// Drawn on a canvas (Plotly took about 17 ms a redraw, too slow to watch Play): what it drew is
// kept as a plain description (`el.diagram`), which the hover tooltip, the clicks
// ("diagram-click" and "diagram-hover" events on the element) and the tests read.
import { fmt, isSummary } from '../format.js';
import { scaleOf } from '../theme.js';
import { sharpContext } from './canvas.js';
import { COLORS, DIVERGING, countDraw } from './plot.js';

const CAP = 10;            // neurons drawn per layer; bigger layers show the first 8, "⋮", the last
const HEAD = 8;
const WIDTHS = [0.6, 1.4, 2.4, 3.6, 5.0, 7.0];
const LABEL_SLOTS = 6;     // numbers are written beside nodes only when layers are this small
const EDGE_LABELS = 6;     // and on links when no layer has more links than this

/** Which neurons of a layer of n are drawn, and where the ellipsis goes. */
function shownNeurons(n) {
  if (n <= CAP) return { idx: [...Array(n).keys()], gap: -1, slots: n };
  return { idx: [...[...Array(HEAD).keys()], n - 1], gap: HEAD, slots: HEAD + 2 };
}

const slotOf = (shown, k) => (shown.gap >= 0 && k >= shown.gap ? k + 1 : k);
const yOf = (shown, slot) => (shown.slots - 1) / 2 - slot;

const MARGIN = { l: 20, r: 20, t: 10, b: 52 };
const FONT = 'DejaVu Sans, Liberation Sans, sans-serif';
const NEAR_PX = 4;         // a pointer this close to a neuron's disc or a link's line hovers it

/**
 * The diagram's colours, read at draw time (a theme may change COLORS): every colour the diagram
 * uses comes from here.
 */
function palette() {
  return {
    pos: COLORS.pos, neg: COLORS.neg, ink: COLORS.ink, muted: COLORS.muted, bad: COLORS.bad,
    mid: DIVERGING[1][1],                         // a neuron whose value is 0
    paper: COLORS.paper ?? '#ffffff',
    labelBg: COLORS.labelBg ?? 'rgba(255,255,255,0.9)', // behind numbers written over links
    unlit: COLORS.unlit ?? '#e5e7eb',             // a neuron with nothing to show at this stage
    none: COLORS.none ?? '#9ca3af',               // a link whose weight was too large to send
    dropped: COLORS.dropped ?? '#cbd5e1',         // a neuron dropout switched off in this Step
  };
}

/**
 * Where the diagram puts things, in the plot's coordinates, for the pictures drawn over it
 * (neurons.js): the axes' ranges (higher with residual skip arcs), the margin in pixels, and `at(k, i)` the centre of neuron i of
 * node layer k (null when that neuron is not drawn), with the neurons' marker size in pixels.
 */
export function diagramGeometry(layers, residual = false) {
  const L = layers.length - 1;
  const shown = layers.map(shownNeurons);
  const maxSlots = Math.max(...shown.map((s) => s.slots));
  const half = (maxSlots - 1) / 2;
  return {
    shown, maxSlots, margin: MARGIN,
    xRange: [-0.4, L + 0.55], yRange: [-half - 0.6, half + (residual ? 1.05 : 0.75)], // room for the skip arcs
    nodeSize: Math.max(14, Math.min(34, 300 / maxSlots)),
    at: (k, i) => {
      const slot = shown[k].idx.indexOf(i);
      return slot < 0 ? null : { x: k, y: yOf(shown[k], slotOf(shown[k], slot)) };
    },
  };
}

/** The diagram's coordinates to pixels of a w x h element (the pictures use the same mapping). */
export function toPixels(geometry, w, h) {
  const { margin: m, xRange, yRange } = geometry;
  return {
    px: (x) => m.l + ((x - xRange[0]) / (xRange[1] - xRange[0])) * (w - m.l - m.r),
    py: (y) => m.t + ((yRange[1] - y) / (yRange[1] - yRange[0])) * (h - m.t - m.b),
  };
}

/** Row 0 of a batch quantity (or the vector itself); null when it is a summary or absent. */
function firstRow(v) {
  if (!Array.isArray(v) || isSummary(v)) return null;
  return Array.isArray(v[0]) ? v[0] : v;
}

function layerName(k, L, activations) {
  if (k === 0) return 'X';
  if (k === L) return `ŷ = a[${k - 1}]`;
  return `a[${k - 1}] · ${activations[k - 1]}`;
}

/** Row 0 of hidden layer l's dropout mask in this Step (null when none was drawn). */
const maskRow = (trace, l) => (trace && l < trace.forward.length - 1 ? firstRow(trace.forward[l].mask) : null);

/** What each node layer shows at this stage: {values, kind} or null (unlit). */
function nodeValues(k, stage, trace) {
  if (!trace || !stage) return null;
  const L = trace.forward.length;
  if (k === 0) return { values: firstRow(trace.X), kind: 'x' };
  const fwd = { values: firstRow(trace.forward[k - 1].a), kind: 'a' };
  if (stage.kind === 'forward') return k - 1 <= stage.l ? fwd : null;
  if (stage.kind === 'backward' && k - 1 >= stage.l && k <= L) {
    return { values: firstRow(trace.backward[k - 1].delta), kind: 'delta' };
  }
  return fwd;
}

/** Which matrix each link layer draws, and how brightly. */
function linkSource(l, stage, trace, params, before) {
  if (!trace || !stage) return { M: params[l]?.W, name: 'W', opacity: 0.8 };
  if (stage.kind === 'update') return { M: trace.params[l].W, name: 'W (updated)', opacity: 0.9 };
  if (stage.kind === 'backward' && stage.l === l) return { M: trace.backward[l].dW, name: 'dW', opacity: 1 };
  const W = before[l]?.W;
  if (stage.kind === 'forward') return { M: W, name: 'W', opacity: l === stage.l ? 1 : l < stage.l ? 0.45 : 0.12 };
  if (stage.kind === 'backward') return { M: W, name: 'W', opacity: l > stage.l ? 0.4 : 0.12 };
  return { M: W, name: 'W', opacity: 0.3 };
}

function maxAbs(values) {
  let m = 0;
  for (const v of values) if (v !== null && Math.abs(v) > m) m = Math.abs(v);
  return m || 1;
}

/** A value in [-1, 1] on the theme's diverging scale (negative - middle - positive). */
function diverging(t) {
  return `rgb(${scaleOf(DIVERGING)((t + 1) / 2).join(',')})`;
}

/**
 * What the diagram shows, as plain data (no pixels): links, neurons, skip arcs and the texts
 * written on it, each link and neuron with its hover text.
 */
function describe({ layers, params, trace, before, stage, activations, outputActivation, skip, residual = false }) {
  const c = palette();
  const L = layers.length - 1;
  const geometry = diagramGeometry(layers, residual);
  const { shown, maxSlots, nodeSize } = geometry;
  const pos = (k, i) => ({ x: k, y: yOf(shown[k], slotOf(shown[k], i)) });
  const smallNet = maxSlots <= LABEL_SLOTS;
  const labels = []; // {x, y, text, size, color, bg?, dy?, bold?}: dy shifts in pixels (down)

  // ---- links ----
  const links = [];
  const sources = layers.slice(0, -1).map((_, l) => linkSource(l, stage, trace, params, before));
  const weightScale = maxAbs(sources.flatMap((s) => (s.name !== 'dW' && Array.isArray(s.M) && !isSummary(s.M) ? s.M.flat() : [])));
  const linkCount = Math.max(...layers.slice(0, -1).map((n, l) => shown[l].idx.length * shown[l + 1].idx.length));
  for (let l = 0; l < L; l += 1) {
    const { M, name, opacity } = sources[l];
    const known = Array.isArray(M) && !isSummary(M);
    const scale = name === 'dW' && known ? maxAbs(M.flat()) : weightScale;
    for (const i of shown[l + 1].idx) {
      for (const j of shown[l].idx) {
        const v = known ? M[i][j] : null;
        const a = pos(l, shown[l].idx.indexOf(j));
        const b = pos(l + 1, shown[l + 1].idx.indexOf(i));
        const level = v === null ? 0 : Math.min(WIDTHS.length - 1, Math.ceil((Math.abs(v) / scale) * (WIDTHS.length - 1)));
        const sign = v === null ? 0 : v >= 0 ? 1 : -1;
        const detail = known ? `${name}[${l}][${i}][${j}] = ${fmt(v)}` : `${name}[${l}] is too large to send in full`;
        links.push({
          ids: [l, i, j], from: a, to: b, value: v, opacity, dashed: sign < 0,
          width: sign === 0 ? 0.6 : WIDTHS[level], color: sign > 0 ? c.pos : sign < 0 ? c.neg : c.none,
          text: `${detail}<br>from ${layerName(l, L, activations)} #${j} to #${i}`,
        });
        if (smallNet && linkCount <= EDGE_LABELS && known) {
          labels.push({ x: a.x + 0.3 * (b.x - a.x), y: a.y + 0.3 * (b.y - a.y), text: fmt(v, 4), size: 13,
            color: v >= 0 ? c.pos : c.neg, bg: c.labelBg, opacity: Math.max(opacity, 0.5) });
        }
      }
    }
  }

  // ---- residual connections: a dotted arc over the top of each layer pair that adds a[l-1] (dashes mean a negative weight) ----
  const top = (maxSlots - 1) / 2;
  const skipArcs = [];
  skip.forEach((on, l) => {
    if (!on) return;
    const points = [];
    for (let t = 0; t <= 12; t += 1) points.push({ x: l + t / 12, y: top + 0.2 + 0.45 * (1 - (2 * t / 12 - 1) ** 2) });
    skipArcs.push({ ids: [l], points, color: c.muted, text: `skip: a[${l}] = ${activations[l]}(…) + a[${l - 1}]` });
    labels.push({ x: l + 0.5, y: top + 0.65, text: `+ a[${l - 1}]`, size: 12, color: c.muted });
  });

  // ---- neurons ----
  const neurons = [];
  for (let k = 0; k <= L; k += 1) {
    const shownK = shown[k];
    const lit = nodeValues(k, stage, trace);
    const scale = lit && lit.values ? maxAbs(lit.values) : 1;
    shownK.idx.forEach((i, slot) => {
      const p = pos(k, slot);
      const v = lit && lit.values ? lit.values[i] : undefined;
      // A neuron dropout switched off in this Step (for the sample shown) is greyed out.
      const dropped = k > 0 && k < L && stage && maskRow(trace, k - 1)?.[i] === 0;
      const fill = dropped ? c.dropped : v === undefined ? c.unlit : v === null ? c.bad : diverging(Math.max(-1, Math.min(1, v / scale)));
      const lines = [`<b>${layerName(k, L, activations)} #${i}</b>`];
      if (trace) {
        if (k === 0) lines.push(`x = ${fmt(firstRow(trace.X)?.[i])}`);
        else {
          lines.push(`z = ${fmt(firstRow(trace.forward[k - 1].z)?.[i])}`, `a = ${fmt(firstRow(trace.forward[k - 1].a)?.[i])}`,
            `delta = ${fmt(firstRow(trace.backward[k - 1].delta)?.[i])}`);
          // act′(z) as the server computed it for backprop; "—" when it was not sent.
          const slope = firstRow(trace.backward[k - 1].act_prime);
          const at = trace.forward[k - 1].u ? 'u' : 'z';
          if (k < L) lines.push(`${activations[k - 1]}′(${at}) = ${slope ? fmt(slope[i]) : '—'}`);
          const mask = maskRow(trace, k - 1);
          if (k < L && mask) lines.push(mask[i] === 0 ? '<b>dropped</b> in this Step (mask 0)' : 'kept in this Step (mask 1)');
        }
      }
      const b = k > 0 ? params[k - 1]?.b : null;
      if (Array.isArray(b)) lines.push(`b = ${fmt(b[i])}`);
      neurons.push({ ids: [k, i], at: p, fill, dropped: !!dropped, stroke: lit?.kind === 'delta' ? c.neg : c.ink, text: lines.join('<br>') });
      if (smallNet && v !== undefined) {
        labels.push({ x: p.x, y: p.y, dy: -(nodeSize / 2 + 12), text: lit.kind === 'delta' ? `δ ${fmt(v, 4)}` : fmt(v, 4), size: 14,
          color: lit.kind === 'delta' ? c.neg : c.ink, bg: c.labelBg });
      }
    });
    if (shownK.gap >= 0) {
      labels.push({ x: k, y: yOf(shownK, shownK.gap), text: `⋮ ${layers[k] - shownK.idx.length} more`, size: 13, color: c.muted, bg: c.labelBg });
    }
    const act = k === 0 ? '' : k === L ? outputActivation : activations[k - 1];
    labels.push({ x: k, caption: true, text: `${k === 0 ? 'X' : `a[${k - 1}]`} (${layers[k]})${act ? `<br>${act}` : ''}`, size: 13, color: c.muted });
  }

  let loss = null;
  if (trace && stage?.kind === 'loss') {
    const y = firstRow(trace.y);
    // Under the output neuron(s), where it cannot run off the right edge.
    loss = { x: L, y: yOf(shown[L], shown[L].slots - 1), dy: nodeSize / 2 + 8, color: c.bad, border: c.bad, bg: c.paper,
      lines: [{ text: `L = ${trace.finite === false ? 'NaN (diverged)' : fmt(trace.loss)}`, bold: true, color: c.bad }] };
    if (y && y.length <= 3) loss.lines.push({ text: `y = ${y.map((v) => fmt(v, 4)).join(', ')}`, color: c.ink });
    labels.push({ loss: true, text: loss.lines.map((line) => line.text).join('<br>') });
  }
  return { layers, geometry, links, neurons, skips: skipArcs, labels, loss, colors: c };
}

/** One line of text with an optional box behind it, centred on (x, y). */
function textBox(ctx, text, x, y, { size, color, bg, bold = false, opacity = 1 }) {
  ctx.font = `${bold ? 'bold ' : ''}${size}px ${FONT}`;
  const w = ctx.measureText(text).width;
  ctx.globalAlpha = opacity;
  if (bg) {
    ctx.fillStyle = bg;
    ctx.fillRect(x - w / 2 - 2, y - size * 0.65, w + 4, size * 1.3);
  }
  ctx.fillStyle = color;
  ctx.fillText(text, x, y);
  ctx.globalAlpha = 1;
}

/** Paint a description onto the canvas (w x h CSS pixels, already scaled for the device). */
function paint(ctx, d, w, h) {
  const { px, py } = toPixels(d.geometry, w, h);
  const c = d.colors;
  ctx.clearRect(0, 0, w, h);
  ctx.fillStyle = c.paper;
  ctx.fillRect(0, 0, w, h);
  ctx.lineCap = 'butt';
  // Links: the sign is told by the dash as well as by the colour.
  for (const link of d.links) {
    ctx.globalAlpha = link.opacity;
    ctx.strokeStyle = link.color;
    ctx.lineWidth = link.width;
    ctx.setLineDash(link.dashed ? [Math.max(5, 2.2 * link.width), Math.max(3, 1.2 * link.width)] : []);
    ctx.beginPath();
    ctx.moveTo(px(link.from.x), py(link.from.y));
    ctx.lineTo(px(link.to.x), py(link.to.y));
    ctx.stroke();
  }
  ctx.globalAlpha = 1;
  for (const arc of d.skips) {
    ctx.strokeStyle = arc.color;
    ctx.lineWidth = 2;
    ctx.setLineDash([2, 4]); // dotted: a dashed line is a negative weight
    ctx.beginPath();
    arc.points.forEach((p, t) => (t ? ctx.lineTo(px(p.x), py(p.y)) : ctx.moveTo(px(p.x), py(p.y))));
    ctx.stroke();
  }
  ctx.setLineDash([]);
  const r = d.geometry.nodeSize / 2;
  for (const n of d.neurons) {
    ctx.beginPath();
    ctx.arc(px(n.at.x), py(n.at.y), r, 0, 2 * Math.PI);
    ctx.fillStyle = n.fill;
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = n.stroke;
    ctx.stroke();
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  for (const label of d.labels) {
    if (label.loss) continue;
    const lines = label.text.split('<br>');
    if (label.caption) {
      lines.forEach((line, k) => textBox(ctx, line, px(label.x), h - d.geometry.margin.b + 4 + label.size * (0.65 + 1.3 * k), label));
    } else textBox(ctx, lines[0], px(label.x), py(label.y) + (label.dy || 0), label);
  }
  if (d.loss) {
    const box = d.loss;
    const size = 17;
    ctx.font = `bold ${size}px ${FONT}`;
    const width = Math.max(...box.lines.map((line) => ctx.measureText(line.text).width)) + 10;
    const height = box.lines.length * size * 1.3 + 8;
    const x = px(box.x);
    const y = py(box.y) + box.dy;
    const left = Math.min(x - width / 2, w - width - 2);
    ctx.fillStyle = box.bg;
    ctx.globalAlpha = 0.95;
    ctx.fillRect(left, y, width, height);
    ctx.globalAlpha = 1;
    ctx.strokeStyle = box.border;
    ctx.lineWidth = 1;
    ctx.strokeRect(left, y, width, height);
    box.lines.forEach((line, k) => textBox(ctx, line.text, left + width / 2, y + 4 + size * (0.65 + 1.3 * k), { size, color: line.color, bold: line.bold }));
  }
}

/** The canvas, tooltip and last description of one diagram element. */
const diagrams = new WeakMap();

/** The distance from (x, y) to the segment a-b, in pixels. */
function toSegment(x, y, a, b) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const t = dx || dy ? Math.max(0, Math.min(1, ((x - a.x) * dx + (y - a.y) * dy) / (dx * dx + dy * dy))) : 0;
  return Math.hypot(a.x + t * dx - x, a.y + t * dy - y);
}

/**
 * What lies under a pointer at (x, y) in the element's pixels: a neuron (on or just by its disc)
 * before a link (on or just by its line), before a skip arc; the nearest when several are.
 */
function hit(el, x, y) {
  const d = diagrams.get(el)?.described;
  if (!d) return null;
  const { px, py } = toPixels(d.geometry, el.clientWidth, el.clientHeight);
  const r = d.geometry.nodeSize / 2;
  let best = null;
  const consider = (kind, item, dist, reach) => {
    if (dist <= reach && (!best || dist < best.dist)) best = { kind, item, dist };
  };
  for (const n of d.neurons) consider('neuron', n, Math.max(0, Math.hypot(px(n.at.x) - x, py(n.at.y) - y) - r), NEAR_PX);
  if (best) return best;
  for (const link of d.links) {
    const a = { x: px(link.from.x), y: py(link.from.y) };
    const b = { x: px(link.to.x), y: py(link.to.y) };
    consider('link', link, toSegment(x, y, a, b), Math.max(NEAR_PX, link.width / 2 + 2));
  }
  if (best) return best;
  for (const arc of d.skips) {
    for (let t = 1; t < arc.points.length; t += 1) {
      const [p, q] = [arc.points[t - 1], arc.points[t]];
      consider('skip', arc, toSegment(x, y, { x: px(p.x), y: py(p.y) }, { x: px(q.x), y: py(q.y) }), NEAR_PX);
    }
  }
  return best;
}

/** Hover text ("<b>…</b>" lines joined by "<br>") into the tooltip, as text. */
function showTip(st, text, x, y, el) {
  const tip = st.tip;
  tip.replaceChildren(...text.split('<br>').map((line) => {
    const div = document.createElement('div');
    div.textContent = line.replace(/<\/?b>/g, '');
    if (line.includes('<b>')) div.className = 'strong';
    return div;
  }));
  tip.hidden = false;
  const left = x + 14 + tip.offsetWidth > el.clientWidth ? x - 14 - tip.offsetWidth : x + 14;
  tip.style.left = `${Math.max(0, left)}px`;
  tip.style.top = `${Math.max(0, Math.min(y - tip.offsetHeight / 2, el.clientHeight - tip.offsetHeight))}px`;
}

const detailOf = (h) => (h ? { kind: h.kind, ids: h.item.ids } : null);

/** The canvas, tooltip and pointer handlers of a diagram element (made once). */
function setUp(el) {
  let st = diagrams.get(el);
  if (st) return st;
  el.replaceChildren();
  el.classList.add('network-canvas');
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  const tip = document.createElement('div');
  tip.className = 'diagram-tip';
  tip.hidden = true;
  el.append(canvas, tip);
  st = { canvas, tip, described: null, message: null, hovered: null, pointer: null };
  diagrams.set(el, st);
  const local = (ev) => {
    const box = el.getBoundingClientRect();
    return [ev.clientX - box.left, ev.clientY - box.top];
  };
  el.addEventListener('pointermove', (ev) => {
    const [x, y] = local(ev);
    st.pointer = [x, y];
    const h = hit(el, x, y);
    const same = h && st.hovered && h.item === st.hovered.item;
    if (h) showTip(st, h.item.text, x, y, el);
    else st.tip.hidden = true;
    el.style.cursor = h && h.kind !== 'skip' ? 'pointer' : '';
    if (!same && (h || st.hovered)) el.dispatchEvent(new CustomEvent('diagram-hover', { detail: detailOf(h) }));
    st.hovered = h;
  });
  el.addEventListener('pointerleave', () => {
    st.pointer = null;
    st.tip.hidden = true;
    if (st.hovered) el.dispatchEvent(new CustomEvent('diagram-hover', { detail: null }));
    st.hovered = null;
  });
  el.addEventListener('click', (ev) => {
    const [x, y] = local(ev);
    const h = hit(el, x, y);
    if (h && h.kind !== 'skip') {
      el.dispatchEvent(new CustomEvent('diagram-click', { detail: { ...detailOf(h), clientX: ev.clientX, clientY: ev.clientY } }));
    }
  });
  // Test hook: a point on the screen where the pointer hovers (and a click picks) a link
  // ([l, i, j]) or a neuron ([k, i]): a neuron's centre, a link's point nearest its middle that
  // no neuron or crossing link takes first. Null when it is not drawn or has no such point.
  el.diagramPoint = (kind, ids) => {
    const d = st.described;
    const item = d && (kind === 'link' ? d.links : d.neurons).find((it) => it.ids.join() === ids.join());
    if (!item) return null;
    const { px, py } = toPixels(d.geometry, el.clientWidth, el.clientHeight);
    const box = el.getBoundingClientRect();
    const at = (p) => ({ x: px(p.x), y: py(p.y) });
    const candidates = kind === 'link'
      ? [...Array(61).keys()].map((k) => 0.5 + (k % 2 ? 1 : -1) * Math.ceil(k / 2) / 150)
        .map((t) => at({ x: item.from.x + t * (item.to.x - item.from.x), y: item.from.y + t * (item.to.y - item.from.y) }))
      : [at(item.at)];
    // Whole client pixels (a click's coordinates are), with their neighbours taking the same item.
    const ours = (x, y) => hit(el, x - box.left, y - box.top)?.item === item;
    for (const p of candidates) {
      const x = Math.round(box.left + p.x);
      const y = Math.round(box.top + p.y);
      if ([[0, 0], [1, 0], [-1, 0], [0, 1], [0, -1]].every(([u, v]) => ours(x + u, y + v))) return { x, y };
    }
    return null;
  };
  // A new size redraws what was shown.
  new ResizeObserver(() => repaint(el)).observe(el);
  return st;
}

/** Size the canvas to its element (device pixels) and draw the last description or message. */
function repaint(el) {
  const st = diagrams.get(el);
  const w = el.clientWidth;
  const h = el.clientHeight;
  if (!st || !w || !h) return;
  const ctx = sharpContext(st.canvas, w, h);
  if (st.described) paint(ctx, st.described, w, h);
  else if (st.message) {
    const c = palette();
    ctx.fillStyle = c.paper;
    ctx.fillRect(0, 0, w, h);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    const lines = st.message.text.split('<br>');
    lines.forEach((line, k) => textBox(ctx, line, w / 2, h / 2 + 21 * (k - (lines.length - 1) / 2), { size: 16, color: st.message.color || c.muted }));
  }
}

/** The diagram says why it is empty (e.g. no session). */
export function networkMessage(el, text, color = null) {
  const st = setUp(el);
  st.described = null;
  st.message = { text, color };
  el.diagram = { links: [], neurons: [], skips: [], labels: [text] };
  st.canvas.setAttribute('aria-label', `network diagram: ${text.replace(/<br>/g, ' ')}`);
  countDraw(el);
  repaint(el);
}

/**
 * Draw the diagram.
 * @param {HTMLElement} el
 * @param {{layers: number[], params: {W, b}[], trace?: object, before?: {W, b}[], stage?: object,
 *          activations: string[], outputActivation: string, skip: boolean[], residual?: boolean}} view
 *   `activations` and `skip` are the server's, per hidden layer (SessionState); `residual` makes room for skip arcs
 * @returns {string} a caption for the diagram
 */
export function renderNetwork(el, view) {
  const { layers, trace, stage } = view;
  const st = setUp(el);
  const d = describe(view);
  st.described = d;
  st.message = null;
  // What is drawn, for the tooltip's neighbours and the tests: each link and neuron with its hover text.
  el.diagram = {
    links: d.links.map(({ ids, value, dashed, color, text }) => ({ ids, value, dashed, color, text })),
    neurons: d.neurons.map(({ ids, fill, dropped, text }) => ({ ids, fill, dropped, text })),
    skips: d.skips.map(({ ids, text }) => ({ ids, text })),
    labels: d.labels.map((label) => label.text),
  };
  el.dataset.layers = layers.join('-');
  countDraw(el);
  repaint(el);
  if (st.hovered && st.pointer) { // the numbers under a resting pointer change (Play): show the new ones
    const h = hit(el, ...st.pointer);
    if (h) showTip(st, h.item.text, ...st.pointer, el);
    else st.tip.hidden = true;
    st.hovered = h;
  }

  const parts = [];
  if (layers.some((n) => n > CAP)) parts.push(`wide layers: first ${HEAD} neurons and the last`);
  if (trace && stage) {
    const m = trace.indices.length;
    parts.push(`${m > 1 ? `sample 1 of ${m}` : 'the sample'} (training row ${trace.indices[0]})`);
    if (stage.kind === 'backward') parts.push(`links: dW[${stage.l}], neurons: delta`);
    if (trace.forward.some((f, l) => maskRow(trace, l))) parts.push('grey neurons: dropped by dropout in this Step');
  } else parts.push('hover a neuron or a link for its numbers; click one to edit its bias or weight');
  const caption = parts.join(' · ');
  st.canvas.setAttribute('aria-label', `network diagram, layers ${layers.join('–')}, blue links positive, orange dashed links negative: ${caption}`);
  return caption;
}
