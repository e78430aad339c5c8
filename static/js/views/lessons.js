// Lessons: the backpropagation write-ups' experiments, one click each. The panel lists GET /api/lessons, starts one
// with POST /api/lessons/{name}, says what to look at, shows what the lesson measured (a table
// and the charts that make its point) and opens any of its sessions in the playground.
import * as api from '../api.js';
import { esc, fmt } from '../format.js';
import { renderFirstLayer, renderOutput } from './output.js';
import { COLORS, DASHES, SERIES, SYMBOLS, axis, draw, layout, note } from './plot.js';

const $ = (id) => document.getElementById(id);
const FULL = 131072; // W[0] of the MNIST network (64 x 784) comes as lists
const SLOW = { 'california-housing': 20, digits: 25 }; // seconds a full run takes on two cores, said while it runs

// Bars carry a fill pattern as well as a colour (the first plain).
const PATTERNS = ['', '/', '.', 'x', '\\', '+'];

let list = null;   // [{name, title, summary}] once loaded
let handlers = {}; // {run, open}
let shown = null;  // {name, answer} of the lesson on screen, redrawn when the theme changes

// ---------------------------------------------------------------- small builders
/** An HTML table; cells are HTML made here (numbers through fmt, labels through esc). */
function table(head, rows, caption = '') {
  const th = head.map((h) => `<th>${h}</th>`).join('');
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('');
  return `<table class="lesson-table"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>${caption ? `<p class="hint">${caption}</p>` : ''}`;
}

const yes = (ok) => (ok ? '<span class="ok">✓ yes</span>' : '<span class="bad">✗ no</span>');
const pct = (x) => (x === null || x === undefined ? 'NaN' : `${fmt(x * 100, 4)}%`);
const loss = (x) => (x === null || x === undefined ? '<span class="bad">NaN (diverged)</span>' : fmt(x, 4));
const steps = (n) => Array.from({ length: n }, (_, i) => i + 1);

/** A chart box with a title above it; `id` is filled by a draw call after the HTML is in place. */
const chartBox = (id, title, cls = '') => `<figure class="lesson-figure ${cls}"><figcaption>${title}</figcaption><div class="lesson-chart" id="${id}" data-testid="${id}"></div></figure>`;

/**
 * Lines overlaid in one chart; a series that is all null (diverged) gets a note instead.
 * @param {{name: string, x: number[], y: (number|null)[], dash?: string}[]} series
 */
function lines(el, series, { xTitle, yTitle, log = true, extra = {}, shapes = [] }) {
  const annotations = [];
  const shown = series.flatMap((s) => s.y).filter((v) => v !== null && v > 0);
  const traces = [];
  series.forEach((s, i) => {
    const bad = s.y.findIndex((v) => v === null);
    // Top left: where a curve that blows up (rising to the right) leaves room.
    if (bad >= 0) annotations.push({ ...note(`${s.name}: NaN (diverged)<br>from ${xTitle} ${s.x[bad]}`, COLORS.bad, 0.8 - 0.15 * annotations.length), x: 0.03, xanchor: 'left', align: 'left' });
    if (bad === 0) return;
    traces.push({
      type: 'scatter', mode: s.x.length > 40 ? 'lines' : 'lines+markers', name: s.name, x: s.x, y: s.y,
      // Each run its own colour, dash and marker, so the runs are told apart without colour too.
      line: { color: SERIES[i % SERIES.length], width: 3, dash: s.dash || DASHES[i % DASHES.length] },
      marker: { size: 7, symbol: SYMBOLS[i % SYMBOLS.length] },
      hovertemplate: `${esc(s.name)}<br>${xTitle} %{x}: %{y:.4g}<extra></extra>`,
    });
  });
  return draw(el, traces, layout({
    xaxis: axis(xTitle, { zeroline: false }),
    yaxis: axis(`${yTitle}${log ? ' (log)' : ''}`, { type: log ? 'log' : 'linear', exponentformat: 'power', ...(log && shown.length ? logTicks(shown) : {}) }),
    margin: { l: 70, r: 16, t: 40, b: 50 },
    annotations,
    shapes,
    ...extra,
  }));
}

/**
 * A log axis over positive values: the range with a little room (Plotly's own clips a 1e152
 * point), and ticks only at powers of ten when it spans a few (the 2..9 between them clutter).
 */
function logTicks(values) {
  const lo = Math.log10(Math.min(...values));
  const hi = Math.log10(Math.max(...values));
  const pad = Math.max(0.1, (hi - lo) * 0.06);
  return { range: [lo - pad, hi + pad], ...(hi - lo >= 1.5 ? { dtick: Math.ceil((hi - lo) / 6) } : {}) }; // at most ~7 ticks
}

/**
 * Grouped bars: one group per x label, one bar per series.
 * `labels(value)` is the text written above a bar (none without it).
 */
function bars(el, x, series, { yTitle, log = false, xTitle = '', labels = null }) {
  const traces = series.map((s, i) => ({
    type: 'bar', name: s.name, x, y: s.y, marker: { color: s.color || SERIES[i % SERIES.length], pattern: { shape: PATTERNS[i % PATTERNS.length], fgopacity: 0.55 } },
    ...(labels ? { text: s.y.map(labels), textposition: 'outside', cliponaxis: false, textfont: { size: 14 } } : {}),
    hovertemplate: `${esc(s.name)}<br>%{x}: %{y:.4g}<extra></extra>`,
  }));
  return draw(el, traces, layout({
    barmode: 'group',
    xaxis: axis(xTitle, { type: 'category' }),
    yaxis: axis(`${yTitle}${log ? ' (log)' : ''}`, { type: log ? 'log' : 'linear', exponentformat: 'power', rangemode: 'tozero' }),
    margin: { l: 70, r: 16, t: 40, b: 50 },
  }));
}

/** Every session's per-epoch history, by label. */
async function histories(answer) {
  const states = await Promise.all(answer.sessions.map((s) => api.getSession(s.id, { include: ['history'] })));
  return Object.fromEntries(answer.sessions.map((s, i) => [s.label, states[i].history]));
}

const lossSeries = (hist) => Object.entries(hist).map(([name, h]) => ({ name, x: steps(h.train_loss.length), y: h.train_loss }));

// ---------------------------------------------------------------- one renderer per lesson
// Each gets the body element and the POST answer, writes its HTML, then draws its charts.
const RENDER = {
  'worked-example': async (body, a) => {
    const m = a.measured;
    const names = { z0: 'z[0]', yhat: 'ŷ = a[1]', loss: 'L', delta1: 'delta[1]', dW1: 'dW[1]', db1: 'db[1]', delta0: 'delta[0]', dW0: 'dW[0]', db0: 'db[0]' };
    const text = (v) => (Array.isArray(v) ? `[${v.map(text).join(', ')}]` : fmt(v));
    const cell = (v) => (Array.isArray(v) && Array.isArray(v[0]) ? v.map(text).join('<br>') : text(v)); // a matrix: a row per line
    const rows = Object.entries(names).map(([k, n]) => [`<code>${n}</code>`, cell(m.seed[k]), cell(m.computed[k]), fmt(m.errors[k], 2)]);
    body.innerHTML = `<div class="lesson-cols wide-left">
      <div>${table(['quantity', 'the seed', 'this engine', '|difference|'], rows)}</div>
      <div class="lesson-verdict">
        <p class="verdict ${m.matches ? 'pass' : 'fail'}">${m.matches ? '✓' : '✗'} every number matches the seed
          (largest difference ${fmt(m.max_abs_error, 2)}, tolerance ${fmt(m.tolerance)})</p>
        <p>${esc(m.setup)}.</p>
        <p><b>Open it in the playground and press Step:</b> the step-through walks these numbers forward,
          through the loss and back, one stage at a time, and the update moves W[0] to ${text(m.W0_after)}.</p>
      </div></div>`;
  },

  'vanishing-gradients': async (body, a) => {
    const m = a.measured;
    const acts = ['sigmoid', 'relu'];
    const last = m.sigmoid.grad_norms.length - 1;
    const rows = acts.map((act) => [act, fmt(m[act].grad_norms[0], 3), fmt(m[act].grad_norms[last], 3),
      `<b>${fmt(m[act].first_over_last, 3)}</b>`, loss(m[act].train_loss)]);
    body.innerHTML = `<div class="lesson-cols">
      ${chartBox('lesson-chart-a', `Mean gradient norm ‖dW[l]‖ per layer over ${m.epochs} epochs`)}
      ${chartBox('lesson-chart-b', 'Training loss per epoch')}</div>
      ${table(['hidden activation', `‖dW[0]‖ (first)`, `‖dW[${last}]‖ (last)`, 'first / last', 'train loss'], rows,
    `Network ${m.layers.join('–')}, Xavier initialisation, SGD. Sigmoid's first-to-last ratio is
      <b>${fmt(m.sigmoid_vs_relu, 3)}</b> of ReLU's: its first layer learns about ${fmt(m.times_slower, 3)} times more slowly.`)}`;
    const x = m.sigmoid.grad_norms.map((_, l) => l);
    lines($('lesson-chart-a'), acts.map((act) => ({ name: act, x, y: m[act].grad_norms })),
      { xTitle: 'layer l (0 = nearest the input)', yTitle: '‖dW[l]‖', extra: { xaxis: axis('layer l (0 = nearest the input)', { dtick: 1 }) } });
    lines($('lesson-chart-b'), lossSeries(await histories(a)), { xTitle: 'epoch', yTitle: 'loss' });
  },

  'exploding-gradients': async (body, a) => {
    const m = a.measured;
    const runs = [['no clipping', m.unclipped], [`clipped at norm ${fmt(m.clip_norm)}`, m.clipped]];
    const rows = runs.map(([label, r]) => [label, fmt(r.first_epoch.largest_grad_norm, 3),
      String(r.epochs_run), loss(r.train_loss), yes(r.finite)]);
    body.innerHTML = `<div class="lesson-cols">
      ${chartBox('lesson-chart-a', 'Global gradient norm at each step of epoch 1 (before clipping)')}
      ${chartBox('lesson-chart-b', 'Training loss at each step of epoch 1')}</div>
      ${table(['run', 'largest gradient norm, epoch 1', 'epochs trained', 'final train loss', 'finite'], rows,
    `A six-hidden-layer ReLU network (32 units each, He initialisation), SGD at learning rate ${fmt(m.learning_rate)}, ${m.epochs} epochs asked for.
      Clipping rescales the whole gradient to norm ${fmt(m.clip_norm)} whenever it is larger (the dashed line).`)}`;
    const x = steps(m.unclipped.first_epoch.loss.length);
    const clipLine = [{ type: 'line', xref: 'paper', x0: 0, x1: 1, y0: m.clip_norm, y1: m.clip_norm, line: { color: COLORS.muted, dash: 'dash', width: 2 } }];
    lines($('lesson-chart-a'), runs.map(([name, r]) => ({ name, x, y: r.first_epoch.global_grad_norm })),
      { xTitle: 'step', yTitle: 'global ‖gradient‖', shapes: clipLine });
    lines($('lesson-chart-b'), runs.map(([name, r]) => ({ name, x, y: r.first_epoch.loss })), { xTitle: 'step', yTitle: 'batch loss' });
  },

  activations: async (body, a) => {
    const m = a.measured;
    const names = a.sessions.map((s) => s.label);
    const rows = names.map((n) => [n, loss(m[n].train_loss), loss(m[n].test_loss), pct(m[n].test_accuracy)]);
    body.innerHTML = `<div class="lesson-cols wide-left">
      ${chartBox('lesson-chart-a', `Training loss per epoch on ${esc(m.dataset)}, one curve per hidden activation`)}
      <div>${table(['activation', 'train loss', 'test loss', 'test accuracy'], rows,
    `Network 2–8–8–1, Adam at 0.02, ${m.epochs} epochs, the same seed for every run.`)}</div></div>`;
    lines($('lesson-chart-a'), names.map((n) => ({ name: n, x: steps(m[n].train_loss_curve.length), y: m[n].train_loss_curve })),
      { xTitle: 'epoch', yTitle: 'loss' });
  },

  initialisation: async (body, a) => {
    const m = a.measured;
    const names = a.sessions.map((s) => s.label);
    const rows = names.map((n) => [n, loss(m[n].train_loss), pct(m[n].test_accuracy), yes(m[n].hidden_units_identical)]);
    body.innerHTML = `<div class="lesson-cols">
      ${chartBox('lesson-chart-a', 'Training loss per epoch')}
      ${chartBox('lesson-chart-b', 'Mean gradient norm ‖dW[l]‖ per layer')}</div>
      ${table(['initialisation', 'train loss', 'test accuracy', 'hidden units all identical'], rows,
    `A 2–8–8–1 tanh network on ${esc(m.dataset)}, ${m.epochs} epochs. With zeros every hidden unit computes the same thing and
      gets the same gradient (here none at all reaches W), so the symmetry is never broken.`)}`;
    lines($('lesson-chart-a'), names.map((n) => ({ name: n, x: steps(m[n].train_loss_curve.length), y: m[n].train_loss_curve })),
      { xTitle: 'epoch', yTitle: 'loss' });
    const layers = m[names[0]].grad_norms.map((_, l) => `dW[${l}]`);
    bars($('lesson-chart-b'), layers, names.map((n) => ({ name: n, y: m[n].grad_norms })), { yTitle: '‖dW[l]‖', labels: (v) => (v === 0 ? '0' : '') });
  },

  'california-housing': async (body, a) => {
    const m = a.measured;
    const models = [['engine', 'this engine (sigmoid, SGD)'], ['sklearn_mlp', 'MLPRegressor (20, 10)'],
      ['linear_regression', 'LinearRegression']];
    const rows = models.map(([k, label]) => [label, `<b>${fmt(m.test_mse[k], 3)}</b>`, fmt(m.seed_reported[k], 2)]);
    body.innerHTML = `<div class="lesson-cols">
      <div>${table(['test MSE', 'this run', 'reference write-up'], rows,
    `Test mean squared error after ${m.epochs} epochs, in original units, ${esc(m.units)}: the median house value is in $100,000s.
      The networks beat the straight line; this engine and scikit-learn's MLP land close together, as in the reference write-up.`)}</div>
      ${chartBox('lesson-chart-a', 'Test MSE: this run beside the reference write-up')}</div>`;
    bars($('lesson-chart-a'), ['this engine', 'sklearn MLP', 'linear'], [
      { name: 'this run', y: models.map(([k]) => m.test_mse[k]), color: COLORS.train },
      { name: 'reference write-up', y: models.map(([k]) => m.seed_reported[k]), color: '#94a3b8' },
    ], { yTitle: 'test MSE ($100k²)', labels: (v) => fmt(v, 3) });
  },

  digits: async (body, a) => {
    const m = a.measured;
    const ids = Object.fromEntries(a.sessions.map((s) => [s.label, s.id]));
    const parts = [['digits', "scikit-learn's 8×8 digits"], ['mnist_subset', 'MNIST (28×28)']];
    body.innerHTML = parts.map(([k, title]) => `
      <h3>${title}: test accuracy <b>${pct(m[k].test_accuracy)}</b> after ${m[k].epochs} epochs</h3>
      <div class="lesson-cols narrow-left">
        ${chartBox(`lesson-confusion-${k}`, 'Confusion matrix (rows true, columns predicted)', 'square')}
        ${chartBox(`lesson-features-${k}`, `First-layer weights as images: 16 of the ${m[k].n_features_shown} hidden units`)}
      </div>`).join('');
    for (const [k] of parts) {
      renderOutput($(`lesson-confusion-${k}`), 'confusion', { outputs: { confusion: m[k].confusion, class_names: null } });
      // eslint-disable-next-line no-await-in-loop
      const s = await api.getSession(ids[k], { include: ['params'], maxElements: FULL });
      renderFirstLayer($(`lesson-features-${k}`), s.params[0].W, m[k].image_shape);
    }
  },

  'loss-landscape': async (body, a) => {
    const m = a.measured;
    const nets = ['shallow', 'deep'];
    const rows = nets.map((n) => [n, m[n].layers.join('–'), fmt(m[n].centre_loss, 4), fmt(m[n].rise_at_half, 4)]);
    body.innerHTML = `<div class="lesson-cols three">
      ${chartBox('lesson-chart-a', '1-D slice: loss along one direction')}
      ${chartBox('lesson-chart-b', '2-D slice, shallow (log₁₀ loss)')}
      ${chartBox('lesson-chart-c', '2-D slice, deep (same colours)')}</div>
      ${table(['network', 'layers', 'loss at the trained weights', 'rise half-way out (α = ±0.5)'], rows,
    "θ + α d₁ + β d₂ around the trained weights θ, each direction drawn at random and scaled neuron by neuron to the weights' own norm (filter normalisation, Li et al. 2018).")}`;
    lines($('lesson-chart-a'), nets.map((n) => ({ name: n, x: m.alpha, y: m[n].loss_1d })), { xTitle: 'α', yTitle: 'loss' });
    const logs = Object.fromEntries(nets.map((n) => [n, m[n].loss_2d.map((row) => row.map((v) => (v === null || v <= 0 ? null : Math.log10(v))))]));
    const all = nets.flatMap((n) => logs[n].flat()).filter((v) => v !== null);
    const [zmin, zmax] = [Math.min(...all), Math.max(...all)];
    nets.forEach((n, i) => {
      draw($(`lesson-chart-${'bc'[i]}`), [
        { type: 'contour', x: m.grid, y: m.grid, z: logs[n], colorscale: 'Viridis', zmin, zmax, line: { width: 1 },
          autocontour: false, contours: { start: zmin, end: zmax, size: (zmax - zmin) / 18 },
          colorbar: { thickness: 10, tickformat: '.1f', tickfont: { size: 12 } }, // on both, so both plots get the same width
          hovertemplate: 'α %{x:.2f}, β %{y:.2f}<br>log₁₀ loss %{z:.3f}<extra></extra>' },
        { type: 'scatter', mode: 'markers', x: [0], y: [0], marker: { symbol: 'x', size: 12, color: '#ffffff', line: { width: 2 } },
          name: 'trained weights', hoverinfo: 'name' },
      ], layout({ showlegend: false, margin: { l: 44, r: 4, t: 6, b: 44 }, xaxis: axis('α', { constrain: 'domain' }),
        yaxis: axis('β', { scaleanchor: 'x', constrain: 'domain' }) }));
    });
  },

  derivations: async (body, a) => {
    const m = a.measured;
    const s = m.sigmoid_derivative;
    const sc = m.softmax_cross_entropy;
    const t = m.three_layer;
    const rows = [
      [`σ′(z) = σ(z)(1 − σ(z)) against central differences, z in [${s.z_range.join(', ')}], h = ${fmt(s.h)}: largest |difference|`,
        fmt(s.max_abs_error, 2), yes(s.holds)],
      ['softmax + cross-entropy: the output delta is (p − y) / m; largest |difference|',
        fmt(sc.delta_equals_p_minus_y_over_m, 2), yes(sc.delta_holds)],
      ['softmax + cross-entropy network [4, 5, 3], gradient check: largest relative error', fmt(sc.gradcheck_max_rel_error, 2), yes(sc.passed)],
      [`${t.layers.length - 1}-layer network [${t.layers.join(', ')}], backprop's gradient check: largest relative error`,
        fmt(t.gradcheck_max_rel_error, 2), yes(t.passed)],
    ];
    body.innerHTML = `<div class="lesson-cols wide-left">
      <div>${table(['derivation', 'measured', 'holds'], rows,
    'Gradient check: every dW and db of backprop against (L(θ + ε) − L(θ − ε)) / 2ε. Open the 3-layer network in the playground and press Gradient check to run it yourself.')}</div>
      ${chartBox('lesson-chart-a', `Gradient check of the ${t.layers.length - 1}-layer network, per weight layer`)}</div>`;
    const layers = t.per_layer.map((_, l) => `layer ${l}`);
    bars($('lesson-chart-a'), layers, [{ name: 'W', y: t.per_layer.map((r) => r[0]) }, { name: 'b', y: t.per_layer.map((r) => r[1]) }],
      { yTitle: 'relative error', log: true });
  },

  'vanishing-gradients-cured': async (body, a) => {
    const m = a.measured;
    const runs = ['plain', 'batch norm', 'residual'];
    const last = m.plain.grad_norms.length - 1;
    const rows = runs.map((r) => [r, fmt(m[r].grad_norms[0], 3), fmt(m[r].grad_norms[last], 3),
      `<b>${fmt(m[r].first_over_last, 3)}</b>`, r === 'plain' ? '1' : `<b>${fmt(m.lift[r], 3)}×</b>`, loss(m[r].train_loss)]);
    const d = m.dropout;
    const dropRows = ['no dropout', 'dropout'].map((r) => [r, fmt(d[r].train_loss, 4), fmt(d[r].test_loss, 4), `<b>${fmt(d[r].gap, 4)}</b>`]);
    body.innerHTML = `<div class="lesson-cols">
      ${chartBox('lesson-chart-a', `Mean gradient norm ‖dW[l]‖ per layer over ${m.epochs} epochs, sigmoid`)}
      ${chartBox('lesson-chart-b', `Dropout p = ${fmt(d.p)}: train and test loss per epoch`)}</div>
      ${table(['sigmoid network', '‖dW[0]‖ (first)', `‖dW[${last}]‖ (last)`, 'first / last', 'lift', 'train loss'], rows,
    `Lesson 2's network ${m.layers.join('–')}, Xavier initialisation, SGD. Batch norm raises the first layer's share
      of the gradient <b>${fmt(m.lift['batch norm'], 3)}</b>-fold, the skips <b>${fmt(m.lift.residual, 3)}</b>-fold.`)}
      ${table(['small, noisy data', 'train loss', 'test loss', 'test − train'], dropRows,
    `${esc(d.dataset)}, network ${d.layers.join('–')}, ${d.epochs} epochs; both losses without dropout at the final weights.
      Dropout cuts the gap to <b>${fmt(d.gap_ratio * 100, 3)}%</b> of what it is without.`)}`;
    const x = m.plain.grad_norms.map((_, l) => l);
    lines($('lesson-chart-a'), runs.map((r) => ({ name: r, x, y: m[r].grad_norms })),
      { xTitle: 'layer l (0 = nearest the input)', yTitle: '‖dW[l]‖', extra: { xaxis: axis('layer l (0 = nearest the input)', { dtick: 1 }) } });
    const curves = ['no dropout', 'dropout'].flatMap((r) => [
      { name: `${r}, train`, x: steps(d[r].train_loss_curve.length), y: d[r].train_loss_curve },
      { name: `${r}, test`, x: steps(d[r].test_loss_curve.length), y: d[r].test_loss_curve, dash: 'dot' }]);
    lines($('lesson-chart-b'), curves, { xTitle: 'epoch', yTitle: 'loss' });
  },
};

// ---------------------------------------------------------------- the panel
function renderList() {
  $('lesson-list').innerHTML = list.map((l, i) => `
    <li><button type="button" data-testid="lesson-${l.name}" data-lesson="${l.name}">
      <span class="lesson-n">${i + 1}</span> ${esc(l.title)}</button></li>`).join('');
}

function header(a, index) {
  const opens = a.sessions.map((s, i) => `<button type="button" class="primary" data-testid="lesson-open-${i}" data-session="${s.id}">${esc(s.label)}</button>`).join('');
  return `<header class="lesson-head"><span class="lesson-n">${index + 1}</span><h2>${esc(a.title)}</h2>
      ${a.quick ? '<span class="hint">quick run: fewer epochs and less data</span>' : ''}</header>
    <p class="lesson-summary"><b>What to look at.</b> ${esc(a.summary)}</p>
    <div class="lesson-open"><span>Open in the playground:</span>${opens}</div>`;
}

/** The line a lesson ends with (the server's words): a link that opens one of its sessions at a panel. */
function followUp(a) {
  const f = a.follow_up;
  const session = f && a.sessions.find((s) => s.label === f.session);
  if (!session) return '';
  return `<p class="lesson-next" data-testid="lesson-follow-up">${esc(f.text)} `
    + `<button type="button" class="link" data-testid="lesson-follow-up-link" data-session="${session.id}" `
    + `data-panel="${esc(f.panel)}">${esc(f.link)}</button></p>`;
}

async function startLesson(name) {
  const index = list.findIndex((l) => l.name === name);
  const result = $('lesson-result');
  for (const b of $('lesson-list').querySelectorAll('button')) b.classList.toggle('current', b.dataset.lesson === name);
  const quick = $('lesson-quick').checked;
  const wait = !quick && SLOW[name] ? ` (about ${SLOW[name]} s: it trains on real data)` : '';
  result.dataset.lesson = '';
  result.innerHTML = `<p class="lesson-running">Running “${esc(list[index].title)}”${wait}…</p>`;
  const answer = await api.startLesson(name, quick);
  result.innerHTML = `${header(answer, index)}<div class="lesson-body" id="lesson-body"></div>`;
  await RENDER[name]($('lesson-body'), answer);
  result.insertAdjacentHTML('beforeend', followUp(answer));
  shown = { name, answer };
  result.dataset.lesson = name; // tests wait for this: the lesson is on screen, charts drawn
}

/** Draw the lesson on screen again (its charts take the colours of a new theme). */
export async function redrawLesson() {
  if (shown && $('lesson-result').dataset.lesson === shown.name) await RENDER[shown.name]($('lesson-body'), shown.answer);
}

/** Show or hide the panel; the list is fetched the first time. */
function toggle(show = $('lessons').hidden) {
  $('lessons').hidden = !show;
  $('btn-lessons').setAttribute('aria-expanded', String(show));
  // The keyboard goes where the eyes go: into the list on opening, back to Lessons on closing.
  const focusList = () => $('lesson-list').querySelector('button.current, button')?.focus();
  if (show && !list) {
    handlers.run(async () => {
      list = await api.lessons();
      renderList();
      if (!$('lessons').hidden) focusList();
    });
  } else if (show) focusList();
  if (!show && $('lessons').contains(document.activeElement)) $('btn-lessons').focus();
  if (show) window.scrollTo({ top: 0 });
}

/**
 * Wire the Lessons panel.
 * @param {{run: (action: () => Promise<void>) => Promise<void>, open: (id: string) => Promise<void>}} h
 *   `run` queues an action with the page's others; `open` shows a session in the playground
 */
export function initLessons(h) {
  handlers = h;
  $('btn-lessons').addEventListener('click', () => toggle());
  $('lessons-close').addEventListener('click', () => toggle(false));
  $('lesson-list').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-lesson]');
    if (b) handlers.run(() => startLesson(b.dataset.lesson));
  });
  $('lesson-result').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-session]');
    if (!b) return;
    toggle(false);
    const { panel } = b.dataset;
    Promise.resolve(handlers.open(b.dataset.session)).then(() => {
      if (panel) $(panel)?.scrollIntoView({ block: 'start' });
    });
  });
}

