// What the network computes: a decision boundary (2-D classification), a fitted curve
// (1-D regression), predicted vs true (other regression), a confusion matrix (other
// classification), and for image data the first layer's weights as images.
import { fmt, isSummary } from '../format.js';
import { CLASS_COLORS, COLORS, CONFUSION, DIVERGING, PROBABILITY, SYMBOLS, axis, draw, layout, message } from './plot.js';
import { rawInputs } from './features.js';
import { hideLiveBoundary } from './live-boundary.js';

/**
 * Which output view suits a session.
 * @returns {'boundary'|'curve'|'scatter'|'confusion'}
 */
export function outputMode(state) {
  const nIn = rawInputs(state); // the plots are in the raw coordinates, whatever the input features
  if (state.task === 'classification') return nIn === 2 ? 'boundary' : 'confusion';
  return nIn === 1 ? 'curve' : 'scatter';
}

/** What the output view needs from the server for a mode. */
export const NEEDS = {
  boundary: ['data', 'boundary'],
  curve: ['data', 'boundary'],
  scatter: ['outputs'],
  confusion: ['outputs'],
};

export const TITLES = {
  boundary: 'Decision boundary',
  curve: 'Fitted curve',
  scatter: 'Predicted vs true',
  confusion: 'Confusion matrix',
};

/** Each class its own marker as well as its colour; `open` draws it hollow (the test points). */
function pointTraces(split, name, open, classNames) {
  const groups = new Map();
  split.X.forEach((x, i) => {
    const c = split.classes[i]; // the server's class of the row (GET .../data)
    if (!groups.has(c)) groups.set(c, { x: [], y: [] });
    groups.get(c).x.push(x[0]);
    groups.get(c).y.push(x[1]);
  });
  return [...groups.entries()].sort((a, b) => a[0] - b[0]).map(([c, g]) => ({
    type: 'scatter', mode: 'markers', name: `${name} · class ${classNames?.[c] ?? c}`, x: g.x, y: g.y,
    marker: { symbol: `${SYMBOLS[c % SYMBOLS.length]}${open ? '-open' : ''}`, size: open ? 9 : 8, color: CLASS_COLORS[c % CLASS_COLORS.length],
      line: { width: open ? 2 : 1, color: open ? CLASS_COLORS[c % CLASS_COLORS.length] : COLORS.outline } },
    hovertemplate: `${name}, class ${classNames?.[c] ?? c}<br>x1 %{x:.3f}, x2 %{y:.3f}<extra></extra>`,
  }));
}

/** The output view's toggles: test points drawn or not, the output as 0/1 or as a probability. */
const DEFAULT_VIEW = { showTest: true, discretize: false };

function renderBoundary(el, { data, boundary, state, view = DEFAULT_VIEW }) {
  if (boundary.finite === false) return message(el, 'the output is NaN (diverged)<br>lower the learning rate<br>and press Reset', COLORS.bad);
  const softmax = state.config.model.output_activation === 'softmax';
  if (!softmax && view.discretize) {
    // TF Playground's "Discretize output": each grid point takes the class the network would say
    // (the server's `classes`, by the engine's rule; a diverged grid was answered above).
    boundary = { ...boundary, z: boundary.classes };
  }
  const grid = softmax
    ? { type: 'heatmap', x: boundary.x, y: boundary.y, z: boundary.z, colorscale: CLASS_COLORS.slice(0, 2).map((c, i) => [i, c]),
      opacity: 0.35, showscale: false, hovertemplate: 'x1 %{x:.2f}, x2 %{y:.2f}<br>class %{z}<extra></extra>' }
    : { type: 'heatmap', x: boundary.x, y: boundary.y, z: boundary.z, colorscale: PROBABILITY, zmin: 0, zmax: 1, zsmooth: 'best',
      colorbar: { thickness: 12, len: 0.8, title: { text: 'P(1)', font: { size: 12 } }, tickfont: { size: 11 } },
      hovertemplate: 'x1 %{x:.2f}, x2 %{y:.2f}<br>output %{z:.3f}<extra></extra>' };
  if (!softmax && view.discretize) Object.assign(grid, { zsmooth: false, name: 'discretized' });
  const traces = [grid];
  if (!softmax) {
    traces.push({ type: 'contour', x: boundary.x, y: boundary.y, z: boundary.z, showscale: false, hoverinfo: 'skip',
      contours: { start: 0.5, end: 0.5, size: 1, coloring: 'lines' }, line: { color: COLORS.ink, width: 2.5 }, name: 'output = 0.5' });
  }
  traces.push(...pointTraces(data.train, 'train', false, data.class_names));
  if (view.showTest && data.test?.X?.length) traces.push(...pointTraces(data.test, 'test', true, data.class_names));
  return draw(el, traces, layout({
    showlegend: false,
    dragmode: false, // a click belongs to the draw mode, never to a zoom box
    margin: { l: 48, r: 8, t: 10, b: 44 },
    xaxis: axis('x1', { range: [boundary.x[0], boundary.x[boundary.x.length - 1]] }),
    yaxis: axis('x2', { range: [boundary.y[0], boundary.y[boundary.y.length - 1]] }),
  }));
}

function renderCurve(el, { data, boundary, view = DEFAULT_VIEW }) {
  if (boundary.finite === false) return message(el, 'the output is NaN (diverged)', COLORS.bad);
  const traces = [
    { type: 'scatter', mode: 'markers', name: 'train', x: data.train.X.map((r) => r[0]), y: data.train.y.map((r) => r[0]),
      marker: { size: 7, color: COLORS.train, opacity: 0.75 } },
  ];
  if (view.showTest && data.test?.X?.length) {
    traces.push({ type: 'scatter', mode: 'markers', name: 'test', x: data.test.X.map((r) => r[0]), y: data.test.y.map((r) => r[0]),
      marker: { size: 8, symbol: 'diamond-open', color: COLORS.test, line: { width: 2 } } });
  }
  traces.push({ type: 'scatter', mode: 'lines', name: 'network', x: boundary.x, y: boundary.y.map((r) => r[0]),
    line: { color: COLORS.ink, width: 3.5, dash: 'solid' } });
  return draw(el, traces, layout({ xaxis: axis('x'), yaxis: axis('y'), margin: { l: 52, r: 10, t: 30, b: 44 } }));
}

function renderScatter(el, { outputs }) {
  if (outputs.finite === false) return message(el, 'the predictions are NaN (diverged)', COLORS.bad);
  const t = outputs.y_true.map((r) => r[0]);
  const p = outputs.y_pred.map((r) => r[0]);
  const all = t.concat(p).filter((v) => v !== null);
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const units = outputs.units === 'original' ? '' : ' (scaled)';
  return draw(el, [
    { type: 'scatter', mode: 'lines', name: 'perfect', x: [lo, hi], y: [lo, hi], line: { color: COLORS.muted, dash: 'dot', width: 2 }, hoverinfo: 'skip' },
    { type: 'scatter', mode: 'markers', name: outputs.split, x: t, y: p, marker: { size: 7, color: COLORS.train, opacity: 0.6 },
      hovertemplate: 'true %{x:.4g}<br>predicted %{y:.4g}<extra></extra>' },
  ], layout({
    showlegend: false,
    xaxis: axis(`true${units}`), yaxis: axis(`predicted${units}`), margin: { l: 56, r: 10, t: 10, b: 48 },
  }));
}

function renderConfusion(el, { outputs }) {
  if (!outputs.confusion) return message(el, 'no confusion matrix for this output');
  const names = outputs.class_names || outputs.confusion.map((_, i) => String(i));
  const labels = names.map((n) => `${n}`);
  const cm = outputs.confusion;
  const top = Math.max(1, ...cm.flat());
  const annotations = cm.length <= 12
    ? cm.flatMap((row, i) => row.map((v, j) => ({ x: labels[j], y: labels[i], text: String(v), showarrow: false,
      font: { size: 13, color: v > top * 0.55 ? COLORS.onAccent : COLORS.ink } })))
    : [];
  return draw(el, [{ type: 'heatmap', x: labels, y: labels, z: cm, colorscale: CONFUSION,
    showscale: false, hovertemplate: 'true %{y}, predicted %{x}: %{z}<extra></extra>', xgap: 1, ygap: 1 }], layout({
    margin: { l: 56, r: 10, t: 10, b: 48 },
    xaxis: axis('predicted', { type: 'category', side: 'bottom' }),
    yaxis: axis('true', { type: 'category', autorange: 'reversed' }),
    annotations,
  }));
}

const RENDERERS = { boundary: renderBoundary, curve: renderCurve, scatter: renderScatter, confusion: renderConfusion };

/** Draw the output view for `mode` with what the server sent. */
export function renderOutput(el, mode, parts) {
  hideLiveBoundary(el);
  return RENDERERS[mode](el, parts);
}

/** A headline metric for the output panel. */
export function outputMetric(outputs) {
  if (!outputs) return '';
  if (outputs.accuracy !== null && outputs.accuracy !== undefined) return `${outputs.split} accuracy ${fmt(outputs.accuracy * 100, 4)}%`;
  const parts = [];
  if (outputs.r2 !== null && outputs.r2 !== undefined) parts.push(`R² ${fmt(outputs.r2, 4)}`);
  if (outputs.rmse !== null && outputs.rmse !== undefined) parts.push(`RMSE ${fmt(outputs.rmse, 4)}`);
  return parts.length ? `${outputs.split} ${parts.join(' · ')}` : '';
}

/**
 * The first hidden layer's weights as images, one per neuron (at most 16).
 * @param {HTMLElement} el
 * @param {number[][]|object} W0 W[0], (h1, pixels)
 * @param {[number, number]} shape the image shape, e.g. [8, 8]
 */
export function renderFirstLayer(el, W0, shape) {
  if (!W0 || isSummary(W0)) return message(el, 'W[0] is too large to send in full');
  const n = Math.min(16, W0.length);
  const cols = Math.min(8, n);
  const rows = Math.ceil(n / cols);
  const [h, w] = shape;
  const data = [];
  el.style.height = `${rows * 125 + 30}px`; // square images: the height follows the number of rows
  const lay = layout({ grid: { rows, columns: cols, pattern: 'independent', xgap: 0.06, ygap: 0.2 }, margin: { l: 10, r: 10, t: 24, b: 6 }, annotations: [] });
  for (let k = 0; k < n; k += 1) {
    const img = [];
    for (let r = 0; r < h; r += 1) img.push(W0[k].slice(r * w, (r + 1) * w));
    const top = Math.max(...W0[k].map((v) => (v === null ? 0 : Math.abs(v)))) || 1;
    const suffix = k === 0 ? '' : String(k + 1);
    data.push({ type: 'heatmap', z: img, colorscale: DIVERGING, zmin: -top, zmax: top, showscale: false,
      xaxis: `x${suffix}`, yaxis: `y${suffix}`, hovertemplate: `neuron ${k}<br>pixel (%{y}, %{x}): %{z:.4g}<extra></extra>` });
    lay[`xaxis${suffix}`] = { visible: false, scaleanchor: `y${suffix}` };
    lay[`yaxis${suffix}`] = { visible: false, autorange: 'reversed' };
    lay.annotations.push({ text: `neuron ${k}`, showarrow: false, xref: `x${suffix} domain`, yref: `y${suffix} domain`, x: 0.5, y: 1.12, font: { size: 12 } });
  }
  return draw(el, data, lay);
}
