// Two runs side by side: the loss, metric and gradient-norm charts with A and B overlaid, and the
// table of each run's current numbers. Every number is the server's (the runs' histories).
import { esc, fmt } from '../format.js';
import { metricsKind } from './metrics.js';
import { COLORS, axis, draw, layout, message, note } from './plot.js';

// The theme's train and test colours (read at draw time: the dark theme has its own).
const RUN_COLOR = { A: 'train', B: 'test' };
const runColor = (run) => COLORS[RUN_COLOR[run]];
// A and B differ by marker as well as colour (a few markers along each line, never one per epoch).
const RUN_SYMBOLS = { A: 'circle', B: 'square' };
const MARKERS_SHOWN = 24;
const LAYER_DASH = ['solid', 'dot', 'dashdot', 'longdash', 'dash', 'longdashdot', 'solid', 'dot'];

const epochsOf = (values) => values.map((_, i) => i + 1);
const known = (values) => Array.isArray(values) && values.some((v) => v !== null && v !== undefined);
const last = (values) => (Array.isArray(values) && values.length ? values[values.length - 1] : null);

function line(name, values, color, { dash = 'solid', width = 3, scale = 1, yaxis = 'y', shape = 'linear' } = {}) {
  const run = name.slice(0, 1);
  return {
    type: 'scatter', mode: 'lines+markers', name, x: epochsOf(values),
    y: values.map((v) => (v === null ? null : v * scale)), yaxis, line: { color, width, dash, shape },
    marker: { size: 7, symbol: RUN_SYMBOLS[run] ?? 'circle', maxdisplayed: MARKERS_SHOWN },
    hovertemplate: `epoch %{x}<br>${name} %{y:.5g}<extra></extra>`,
  };
}

/** The runs as [label, history] pairs: `runs` is {A: history, B: history}. */
const pairs = (runs) => Object.entries(runs);

/** Train (solid) and test (dotted) loss of both runs on one chart. */
export function renderCompareLoss(el, runs, logScale) {
  if (!pairs(runs).some(([, h]) => (h.train_loss || []).length)) return message(el, 'No epochs yet:<br>Epoch or Play trains A and B together');
  const data = [];
  for (const [run, h] of pairs(runs)) {
    data.push(line(`${run} train`, h.train_loss || [], runColor(run)));
    if (known(h.test_loss)) data.push(line(`${run} test`, h.test_loss, runColor(run), { dash: 'dot', width: 2 }));
  }
  const bad = pairs(runs).filter(([, h]) => (h.train_loss || []).includes(null)).map(([run]) => run);
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis(`loss${logScale ? ' (log)' : ''}`, { type: logScale ? 'log' : 'linear', exponentformat: 'power', rangemode: logScale ? 'normal' : 'tozero' }),
    annotations: bad.length ? [note(`${bad.join(' and ')}: NaN (diverged)`)] : [],
    margin: { l: 64, r: 16, t: 36, b: 48 },
  }));
}

/** Each layer's mean ‖dW[l]‖ per epoch, A and B in their colours, one dash per layer. */
export function renderCompareGradNorms(el, runs) {
  if (!pairs(runs).some(([, h]) => (h.grad_norms || []).length)) return message(el, 'No epochs yet:<br>the mean ‖dW[l]‖ of A and B<br>per epoch go here');
  const data = [];
  for (const [run, h] of pairs(runs)) {
    const rows = h.grad_norms || [];
    const L = rows.length ? rows[0].length : 0;
    for (let l = 0; l < L; l += 1) {
      data.push(line(`${run} layer ${l}`, rows.map((r) => r[l]), runColor(run), { dash: LAYER_DASH[l % LAYER_DASH.length], width: 2.5 }));
    }
  }
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis('‖dW[l]‖ (log)', { type: 'log', exponentformat: 'power' }),
    margin: { l: 64, r: 16, t: 36, b: 48 },
  }));
}

/** Accuracy (classification) or R² (regression) per epoch of both runs. */
export function renderCompareMetrics(el, runs) {
  const kind = metricsKind(runs.A);
  if (!kind || !(runs.A.train_loss || []).length) return message(el, 'No epochs yet');
  const data = [];
  for (const [run, h] of pairs(runs)) {
    const [train, test, scale] = kind === 'accuracy' ? ['train_accuracy', 'test_accuracy', 100] : ['train_r2', 'test_r2', 1];
    if (Array.isArray(h[train])) data.push(line(`${run} ${train.replace('_', ' ').replace('r2', 'R²')}`, h[train], runColor(run), { scale }));
    if (known(h[test])) data.push(line(`${run} ${test.replace('_', ' ').replace('r2', 'R²')}`, h[test], runColor(run), { scale, dash: 'dot', width: 2 }));
  }
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: kind === 'accuracy' ? axis('accuracy (%)', { range: [0, 101] }) : axis('R²'),
    margin: { l: 64, r: 16, t: 36, b: 48 },
  }));
}

/** The learning rate in force at the end of each epoch, A's and B's (a schedule's staircase or curve). */
export function renderCompareRates(el, runs) {
  if (!pairs(runs).some(([, h]) => (h.learning_rate || []).length)) return message(el, 'No epochs yet:<br>the learning rates of A and B<br>per epoch go here');
  const data = pairs(runs).filter(([, h]) => Array.isArray(h.learning_rate))
    .map(([run, h]) => line(`${run} learning rate`, h.learning_rate, runColor(run), { dash: run === 'B' ? 'dash' : 'solid', shape: 'hv' }));
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis('η', { rangemode: 'tozero', exponentformat: 'power' }),
    margin: { l: 64, r: 16, t: 36, b: 48 },
  }));
}

/** "optimizer.learning_rate = 0.5, model.activation = tanh": what B's overrides change. */
export function describeOverrides(overrides) {
  const out = [];
  const walk = (obj, prefix) => {
    for (const [key, value] of Object.entries(obj || {})) {
      const path = prefix ? `${prefix}.${key}` : key;
      if (key === 'weights' || key === 'biases') out.push(`${path} (given)`);
      else if (value && typeof value === 'object' && !Array.isArray(value)) walk(value, path);
      else out.push(`${path} = ${Array.isArray(value) ? `[${value.join(', ')}]` : value}`);
    }
  };
  walk(overrides, '');
  return out.join(', ');
}

function metricCell(h) {
  const kind = metricsKind(h);
  if (kind === 'accuracy') {
    const v = last(h.test_accuracy) ?? last(h.train_accuracy);
    return v === null ? '–' : `${fmt(v * 100, 4)}%`;
  }
  if (kind === 'regression') {
    const v = last(h.test_r2) ?? last(h.train_r2);
    return v === null ? '–' : fmt(v, 4);
  }
  return '–';
}

/**
 * The table of each run's current numbers.
 * @param {HTMLElement} el
 * @param {{run: 'A'|'B', state: object, history: object, differs: string}[]} rows
 */
export function renderCompareTable(el, rows) {
  const kind = metricsKind(rows[0].history);
  const metric = kind === 'accuracy' ? 'accuracy' : kind === 'regression' ? 'R²' : 'metric';
  const L = Math.max(...rows.map((r) => r.state.config.model.layers.length - 1));
  const lastOf = (values) => (Array.isArray(values) && values.length ? fmt(last(values)) : '–');
  const norms = [...Array(L).keys()].map((l) => `<th>‖dW[${l}]‖</th>`).join('');
  el.innerHTML = `<div class="table-wrap"><table data-testid="compare-table">
    <thead><tr><th>run</th><th>differs in</th><th>epoch</th><th>step</th><th>train loss</th><th>test loss</th><th>${metric}</th>${norms}</tr></thead>
    <tbody>${rows.map(({ run, state, history, differs }) => {
    const g = last(history.grad_norms) || [];
    return `<tr data-run="${run}"><td class="run-${run.toLowerCase()}">${run}</td><td class="diff">${esc(differs || '—')}</td>
      <td>${state.epoch}</td><td>${state.step}</td><td>${lastOf(history.train_loss)}</td>
      <td>${known(history.test_loss) ? lastOf(history.test_loss) : '–'}</td><td>${metricCell(history)}</td>
      ${[...Array(L).keys()].map((l) => `<td>${g[l] === undefined ? '–' : fmt(g[l], 4)}</td>`).join('')}</tr>`;
  }).join('')}</tbody></table></div>`;
}
