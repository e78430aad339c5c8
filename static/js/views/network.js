// The network diagram: one node per neuron, one link per weight (blue positive, orange
// negative, width by size). During a Step's stages it lights the layer at work: forward
// values layer by layer, the loss, the deltas travelling back (with dW on the links), the update.
import { fmt, isSummary } from '../format.js';
import { COLORS, DIVERGING, draw, layout } from './plot.js';

const DROPPED = '#cbd5e1'; // a neuron dropout switched off in this Step
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

/** Row 0 of a batch quantity (or the vector itself); null when it is a summary or absent. */
function firstRow(v) {
  if (!Array.isArray(v) || isSummary(v)) return null;
  return Array.isArray(v[0]) ? v[0] : v;
}

/** Hidden layer l's activation: model.activation is one name or one per hidden layer. */
const hiddenAct = (activation, l) => (Array.isArray(activation) ? activation[l] : activation);

function layerName(k, L, activation, outputActivation) {
  if (k === 0) return 'X';
  if (k === L) return `ŷ = a[${k - 1}]`;
  return `a[${k - 1}] · ${hiddenAct(activation, k - 1)}`;
}

/** Hidden layer l (l >= 1) adds a[l-1] when residual and as wide (the engine's rule, as the config states it). */
const skips = (layers, residual) => layers.slice(1, -1).map((n, l) => residual && l >= 1 && n === layers[l]);

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

/**
 * Draw the diagram.
 * @param {HTMLElement} el
 * @param {{layers: number[], params: {W, b}[], trace?: object, before?: {W, b}[], stage?: object,
 *          activation: string, outputActivation: string}} view
 * @returns {string} a caption for the diagram
 */
export function renderNetwork(el, { layers, params, trace, before, stage, activation, outputActivation, residual = false }) {
  const L = layers.length - 1;
  const geometry = diagramGeometry(layers, residual);
  const { shown, maxSlots } = geometry;
  const pos = (k, i) => ({ x: k, y: yOf(shown[k], slotOf(shown[k], i)) });
  const traces = [];
  const annotations = [];
  const smallNet = maxSlots <= LABEL_SLOTS;

  // ---- links, bucketed by (layer, sign, width) so one trace draws many segments ----
  const hover = { x: [], y: [], text: [], ids: [] }; // ids: [l, i, j] of each link, for the click-to-edit
  const sources = layers.slice(0, -1).map((_, l) => linkSource(l, stage, trace, params, before));
  const weightScale = maxAbs(sources.flatMap((s) => (s.name !== 'dW' && Array.isArray(s.M) && !isSummary(s.M) ? s.M.flat() : [])));
  const linkCount = Math.max(...layers.slice(0, -1).map((n, l) => shown[l].idx.length * shown[l + 1].idx.length));
  for (let l = 0; l < L; l += 1) {
    const { M, name, opacity } = sources[l];
    const known = Array.isArray(M) && !isSummary(M);
    const scale = name === 'dW' && known ? maxAbs(M.flat()) : weightScale;
    const buckets = new Map();
    for (const i of shown[l + 1].idx) {
      for (const j of shown[l].idx) {
        const v = known ? M[i][j] : null;
        const a = pos(l, shown[l].idx.indexOf(j));
        const b = pos(l + 1, shown[l + 1].idx.indexOf(i));
        const level = v === null ? 0 : Math.min(WIDTHS.length - 1, Math.ceil((Math.abs(v) / scale) * (WIDTHS.length - 1)));
        const key = v === null ? 'none' : `${v >= 0 ? 'pos' : 'neg'}-${level}`;
        if (!buckets.has(key)) buckets.set(key, { x: [], y: [], level, sign: v === null ? 0 : v >= 0 ? 1 : -1 });
        const bucket = buckets.get(key);
        bucket.x.push(a.x, b.x, null);
        bucket.y.push(a.y, b.y, null);
        hover.x.push((a.x + b.x) / 2);
        hover.y.push((a.y + b.y) / 2);
        hover.ids.push([l, i, j]);
        const detail = known ? `${name}[${l}][${i}][${j}] = ${fmt(v)}` : `${name}[${l}] is too large to send in full`;
        hover.text.push(`${detail}<br>from ${layerName(l, L, activation, outputActivation)} #${j} to #${i}`);
        if (smallNet && linkCount <= EDGE_LABELS && known) {
          annotations.push({ x: a.x + 0.3 * (b.x - a.x), y: a.y + 0.3 * (b.y - a.y), text: fmt(v, 4), showarrow: false,
            font: { size: 13, color: v >= 0 ? COLORS.pos : COLORS.neg }, bgcolor: 'rgba(255,255,255,0.9)', opacity: Math.max(opacity, 0.5) });
        }
      }
    }
    for (const bucket of buckets.values()) {
      traces.push({
        type: 'scatter', mode: 'lines', x: bucket.x, y: bucket.y, hoverinfo: 'skip', showlegend: false,
        opacity,
        line: { width: bucket.sign === 0 ? 0.6 : WIDTHS[bucket.level], color: bucket.sign > 0 ? COLORS.pos : bucket.sign < 0 ? COLORS.neg : '#9ca3af' },
      });
    }
  }
  traces.push({ type: 'scatter', mode: 'markers', x: hover.x, y: hover.y, hovertext: hover.text, hoverinfo: 'text',
    customdata: hover.ids, marker: { size: 14, color: 'rgba(0,0,0,0)' }, showlegend: false, name: 'links' });

  // ---- residual connections: a dashed arc over the top of each layer pair that adds a[l-1] ----
  const top = (maxSlots - 1) / 2;
  skips(layers, residual).forEach((on, l) => {
    if (!on) return;
    const xs = [];
    const ys = [];
    for (let t = 0; t <= 12; t += 1) { // a parabola from node column l to l+1, above the nodes
      xs.push(l + t / 12);
      ys.push(top + 0.2 + 0.45 * (1 - (2 * t / 12 - 1) ** 2));
    }
    traces.push({ type: 'scatter', mode: 'lines', x: xs, y: ys, name: 'skip', showlegend: false, hoverinfo: 'text',
      hovertext: `skip: a[${l}] = ${hiddenAct(activation, l)}(…) + a[${l - 1}]`,
      line: { width: 2, dash: 'dash', color: COLORS.muted } });
    annotations.push({ x: l + 0.5, y: top + 0.65, text: `+ a[${l - 1}]`, showarrow: false, font: { size: 12, color: COLORS.muted } });
  });

  // ---- nodes ----
  const node = { x: [], y: [], color: [], text: [], line: [], ids: [] }; // ids: [k, i], for the click-to-edit
  const { nodeSize } = geometry;
  for (let k = 0; k <= L; k += 1) {
    const shownK = shown[k];
    const lit = nodeValues(k, stage, trace);
    const scale = lit && lit.values ? maxAbs(lit.values) : 1;
    shownK.idx.forEach((i, slot) => {
      const p = pos(k, slot);
      node.x.push(p.x);
      node.y.push(p.y);
      node.ids.push([k, i]);
      const v = lit && lit.values ? lit.values[i] : undefined;
      // A neuron dropout switched off in this Step (for the sample shown) is greyed out.
      const dropped = k > 0 && k < L && stage && maskRow(trace, k - 1)?.[i] === 0;
      node.color.push(dropped ? DROPPED : v === undefined ? '#e5e7eb' : v === null ? COLORS.bad : Math.max(-1, Math.min(1, v / scale)));
      node.line.push(lit?.kind === 'delta' ? COLORS.neg : COLORS.ink);
      const lines = [`<b>${layerName(k, L, activation, outputActivation)} #${i}</b>`];
      if (trace) {
        if (k === 0) lines.push(`x = ${fmt(firstRow(trace.X)?.[i])}`);
        else {
          lines.push(`z = ${fmt(firstRow(trace.forward[k - 1].z)?.[i])}`, `a = ${fmt(firstRow(trace.forward[k - 1].a)?.[i])}`,
            `delta = ${fmt(firstRow(trace.backward[k - 1].delta)?.[i])}`);
          // act′(z) as the server computed it for backprop; "—" when it was not sent.
          const slope = firstRow(trace.backward[k - 1].act_prime);
          const at = trace.forward[k - 1].u ? 'u' : 'z';
          if (k < L) lines.push(`${hiddenAct(activation, k - 1)}′(${at}) = ${slope ? fmt(slope[i]) : '—'}`);
          const mask = maskRow(trace, k - 1);
          if (k < L && mask) lines.push(mask[i] === 0 ? '<b>dropped</b> in this Step (mask 0)' : 'kept in this Step (mask 1)');
        }
      }
      const b = k > 0 ? params[k - 1]?.b : null;
      if (Array.isArray(b)) lines.push(`b = ${fmt(b[i])}`);
      node.text.push(lines.join('<br>'));
      if (smallNet && v !== undefined) {
        const label = lit.kind === 'delta' ? `δ ${fmt(v, 4)}` : fmt(v, 4);
        annotations.push({ x: p.x, y: p.y, yshift: nodeSize / 2 + 12, text: label, showarrow: false,
          font: { size: 14, color: lit.kind === 'delta' ? COLORS.neg : COLORS.ink }, bgcolor: 'rgba(255,255,255,0.9)' });
      }
    });
    if (shownK.gap >= 0) {
      annotations.push({ x: k, y: yOf(shownK, shownK.gap), text: `⋮ ${layers[k] - shownK.idx.length} more`,
        showarrow: false, font: { size: 13, color: COLORS.muted }, bgcolor: 'rgba(255,255,255,0.9)' });
    }
    const act = k === 0 ? '' : k === L ? outputActivation : hiddenAct(activation, k - 1);
    annotations.push({ x: k, y: 0, yref: 'paper', yanchor: 'top', yshift: -4, showarrow: false,
      text: `${k === 0 ? 'X' : `a[${k - 1}]`} (${layers[k]})${act ? `<br>${act}` : ''}`, font: { size: 13, color: COLORS.muted } });
  }
  const numeric = node.color.map((c) => (typeof c === 'number' ? c : 0));
  traces.push({
    type: 'scatter', mode: 'markers', x: node.x, y: node.y, hovertext: node.text, hoverinfo: 'text', showlegend: false, name: 'neurons',
    customdata: node.ids,
    marker: { size: nodeSize, color: numeric, colorscale: DIVERGING, cmin: -1, cmax: 1, line: { width: 2, color: node.line } },
  });
  // Unlit and NaN nodes are drawn over with flat colours (a colorscale cannot say "unknown").
  const flat = node.color.map((c, i) => (typeof c === 'number' ? null : i)).filter((i) => i !== null);
  if (flat.length) {
    traces.push({ type: 'scatter', mode: 'markers', x: flat.map((i) => node.x[i]), y: flat.map((i) => node.y[i]),
      hovertext: flat.map((i) => node.text[i]), hoverinfo: 'text', showlegend: false, name: 'neurons',
      customdata: flat.map((i) => node.ids[i]),
      marker: { size: nodeSize, color: flat.map((i) => node.color[i]), line: { width: 2, color: COLORS.ink } } });
  }

  if (trace && stage?.kind === 'loss') {
    const y = firstRow(trace.y);
    const target = y && y.length <= 3 ? `<br><span style="color:${COLORS.ink}">y = ${y.map((v) => fmt(v, 4)).join(', ')}</span>` : '';
    // Under the output neuron(s), where it cannot run off the right edge.
    annotations.push({ x: L, y: yOf(shown[L], shown[L].slots - 1), yanchor: 'top', yshift: -(nodeSize / 2 + 8), showarrow: false,
      text: `<b>L = ${trace.finite === false ? 'NaN (diverged)' : fmt(trace.loss)}</b>${target}`, font: { size: 17, color: COLORS.bad },
      bgcolor: 'rgba(255,255,255,0.95)', bordercolor: COLORS.bad, borderpad: 4 });
  }
  draw(el, traces, layout({
    margin: geometry.margin,
    xaxis: { visible: false, range: geometry.xRange, fixedrange: true },
    yaxis: { visible: false, range: geometry.yRange, fixedrange: true },
    hovermode: 'closest',
    annotations,
  }));
  el.dataset.layers = layers.join('-');

  const parts = [];
  if (layers.some((n) => n > CAP)) parts.push(`wide layers: first ${HEAD} neurons and the last`);
  if (trace && stage) {
    const m = trace.indices.length;
    parts.push(`${m > 1 ? `sample 1 of ${m}` : 'the sample'} (training row ${trace.indices[0]})`);
    if (stage.kind === 'backward') parts.push(`links: dW[${stage.l}], neurons: delta`);
    if (trace.forward.some((f, l) => maskRow(trace, l))) parts.push('grey neurons: dropped by dropout in this Step');
  } else parts.push('hover a neuron or a link for its numbers; click one to edit its bias or weight');
  return parts.join(' · ');
}
