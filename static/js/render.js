// The views' redraw: every panel drawn from the store (nothing here changes it but the output
// view's data, fetched once per session, and the hash the page last wrote).
import * as api from './api.js';
import { fmt, fmtLoss } from './format.js';
import { stagesOf } from './stages.js';
import { writeHash } from './state.js';
import { layoutForWatching, refreshInside } from './inside.js';
import { setData, setDrawing, setHash, store } from './store.js';
import { lossCaption, renderGradNormChart, renderLossChart } from './views/charts.js';
import { renderHeatmaps } from './views/heatmaps.js';
import { metricsCaption, metricsKind, renderLearningRateChart, renderMetricsChart } from './views/metrics.js';
import { renderNetwork } from './views/network.js';
import { NEEDS, TITLES, outputMetric, outputMode, renderFirstLayer, renderOutput } from './views/output.js';
import {
  describeOverrides, renderCompareGradNorms, renderCompareLoss, renderCompareMetrics, renderCompareRates, renderCompareTable,
} from './views/compare.js';
import { practiceHides, practiceHidesLoss, practiceLocks } from './views/practice.js';
import { renderTrace } from './views/trace.js';
import { announceStatus, describeCharts } from './views/describe.js';

const $ = (id) => document.getElementById(id);
const LINK_NUMBERS = 4000;    // an inline table bigger than this is left out of the link (a CSV upload)

export function renderStatus() {
  const s = store.session;
  $('epoch-count').textContent = String(s.epoch);
  $('step-count').textContent = String(s.step);
  const loss = $('loss-value');
  if (store.lastLoss && store.lastLoss.label === 'Batch loss' && practiceHidesLoss(practiceView())) {
    loss.textContent = '?'; // the learner is still to work it out
    loss.classList.remove('nan');
    $('loss-label').textContent = store.lastLoss.label;
  } else if (store.lastLoss) {
    loss.textContent = fmtLoss(store.lastLoss.value);
    loss.classList.toggle('nan', !Number.isFinite(store.lastLoss.value ?? NaN));
    $('loss-label').textContent = store.lastLoss.label;
  } else {
    loss.textContent = '–';
    loss.classList.remove('nan');
    $('loss-label').textContent = 'Train loss';
  }
  const test = store.history.test_loss;
  $('test-loss-value').textContent = test.length && s.n_test !== 0 ? fmtLoss(test[test.length - 1]) : '–';
  $('stopped-box').hidden = !s.stopped;
  $('stopped-value').textContent = s.stopped ? `epoch ${s.stopped_epoch}` : '';
  describeCharts();
  announceStatus();
}

const currentStage = () => (store.trace ? stagesOf(store.trace)[store.stageIndex] : null);

/** What the step-through and practice mode draw from. */
export const practiceView = () => ({
  trace: store.trace, before: store.before, stageIndex: store.stageIndex, config: store.session.config,
  formulas: store.options?.formulas ?? null, practice: store.practice, sessionId: store.session.id,
});

/** The diagram as it stands (`trace: false` draws the weights alone, as Play does). */
export function renderNetworkNow(el = $('network'), { trace = true } = {}) {
  const m = store.session.config.model;
  // In practice mode the diagram keeps the stage's answers (and the updated weights) to itself.
  const hidden = trace && practiceHides(practiceView());
  if (hidden) trace = false;
  return renderNetwork(el, {
    layers: m.layers, params: hidden && store.before ? store.before : store.params, trace: trace ? store.trace : null, before: trace ? store.before : null,
    stage: trace ? currentStage() : null, activations: store.session.hidden_activations, outputActivation: m.output_activation,
    skip: store.session.skip, residual: !!m.residual,
  });
}

/** The views that follow the step-through's stage: the diagram, the panel and the link. */
export function renderStageViews() {
  $('network-caption').textContent = renderNetworkNow();
  renderTrace(practiceView());
  renderStatus();
  layoutForWatching();
  writeHashNow();
  describeCharts();
}

/** The runs side by side: {A: history, B: history} (only A when not comparing). */
const runs = () => (store.compare ? { A: store.history, B: store.compare.history } : { A: store.history });

export function renderLoss(el = $('loss-chart')) {
  if (store.compare) {
    $('loss-last').textContent = `A ${lossCaption(store.history)} · B ${lossCaption(store.compare.history)}`;
    renderCompareLoss(el, runs(), $('loss-log').checked);
    return;
  }
  $('loss-last').textContent = lossCaption(store.history);
  renderLossChart(el, store.history, $('loss-log').checked);
}

export function renderHeatmapsNow({ grads = true } = {}) {
  renderHeatmaps({ W: $('w-heatmap'), dW: $('dw-heatmap') }, store.heatLayer, store.params,
    grads ? store.grads : null, grads ? store.gradsLabel : '');
}

export function renderCharts() {
  renderComparison(); // first: it sets the panels' sizes the charts are drawn at
  renderLoss();
  if (store.compare) renderCompareGradNorms($('grad-norm-chart'), runs());
  else renderGradNormChart($('grad-norm-chart'), store.history.grad_norms);
  renderMetrics();
  renderHeatmapsNow();
  describeCharts();
}

/** The comparison's table, its panel and the Compare button (shown only while comparing). */
function renderComparison() {
  const c = store.compare;
  $('compare-panel').hidden = !c;
  $('output-b').hidden = !c;
  $('output-label-a').hidden = !c;
  const flipped = $('output-pair').classList.contains('comparing') !== !!c;
  $('output-pair').classList.toggle('comparing', !!c);
  // The panels change size: Plotly's responsive charts re-measure on a window resize.
  if (flipped) window.requestAnimationFrame(() => window.dispatchEvent(new Event('resize')));
  $('output-chart').closest('.panel').classList.toggle('comparing', !!c);
  const button = $('btn-compare');
  button.textContent = c ? 'Stop comparing' : 'Compare';
  button.classList.toggle('comparing', !!c);
  button.setAttribute('aria-expanded', String(!!c && !$('compare-menu').hidden));
  if (!c) {
    $('compare-menu').hidden = true;
    return;
  }
  const differs = describeOverrides(c.overrides);
  $('compare-keep-b').textContent = `Keep B${differs ? ` (${differs})` : ''}`;
  renderCompareTable($('compare-table-box'), [
    { run: 'A', state: store.session, history: store.history, differs: '' },
    { run: 'B', state: c.session, history: c.history, differs: differs || 'nothing yet: change a setting' },
  ]);
}

/** The metrics and learning-rate charts, shown once the server's history carries them. */
function renderMetrics() {
  const h = store.history;
  const metrics = $('metrics-chart').closest('.panel');
  metrics.hidden = !metricsKind(h);
  if (!metrics.hidden && store.compare) {
    renderCompareMetrics($('metrics-chart'), runs());
    $('metrics-last').textContent = `A ${metricsCaption(h)} · B ${metricsCaption(store.compare.history)}`;
  } else if (!metrics.hidden) {
    renderMetricsChart($('metrics-chart'), h);
    $('metrics-last').textContent = metricsCaption(h);
  }
  const rates = $('lr-chart').closest('.panel');
  rates.hidden = !Array.isArray(h.learning_rate);
  const rateNow = (state, history) => {
    const last = history.learning_rate?.[history.learning_rate.length - 1];
    return last === undefined ? '' : fmt(state.learning_rate ?? last, 4);
  };
  if (!rates.hidden && store.compare) {
    renderCompareRates($('lr-chart'), runs());
    const [a, b] = [rateNow(store.session, h), rateNow(store.compare.session, store.compare.history)];
    $('lr-last').textContent = a || b ? `η now: A ${a || '–'} · B ${b || '–'}` : '';
  } else if (!rates.hidden) {
    renderLearningRateChart($('lr-chart'), h.learning_rate);
    const a = rateNow(store.session, h);
    $('lr-last').textContent = a ? `η now ${a}` : '';
  }
}

/** Every view but the output (which asks the server; see refreshOutput). */
export function renderAll() {
  renderStatus();
  renderStageViews();
  renderCharts();
  updateButtons();
}

/** The output view: predictions (and the boundary) from the server, the data once per session. */
export async function refreshOutput() {
  const s = store.session;
  const mode = outputMode(s);
  const el = $('output-chart');
  $('output-title').textContent = TITLES[mode];
  const split = s.n_test ? 'test' : 'train';
  const [outputs, data] = await Promise.all([
    api.outputs(s.id, split),
    store.data ? Promise.resolve(store.data) : api.data(s.id),
  ]);
  setData(data);
  const boundary = NEEDS[mode].includes('boundary') ? await api.boundary(s.id, 50) : null;
  renderOutput(el, mode, { data, boundary, outputs, state: s, view: outputView() });
  showOutputTools(mode);
  showMetric(outputs, split);
  if (store.compare) await refreshOutputB(mode, data, split, outputs);
  const images = data.image_shape;
  $('first-layer-panel').hidden = !images;
  if (images) renderFirstLayer($('first-layer-chart'), store.params[0].W, images);
  describeCharts();
  announceStatus();
  await refreshInside();
}

/** B's output view beside A's, on the same data. */
async function refreshOutputB(mode, data, split, outputsA) {
  const b = store.compare.session;
  const [outputs, boundary] = await Promise.all([
    api.outputs(b.id, split),
    NEEDS[mode].includes('boundary') ? api.boundary(b.id, 50) : Promise.resolve(null),
  ]);
  if (store.compare?.session.id !== b.id) return; // stopped comparing meanwhile
  $('output-label-b').textContent = `B: ${outputMetric(outputs)}`;
  $('output-label-a').textContent = `A: ${outputMetric(outputsA)}`;
  renderOutput($('output-chart-b'), mode, { data, boundary, outputs, state: b, view: outputView() });
}

/** The output view's toggles as they stand. */
const outputView = () => ({ showTest: $('show-test').checked, discretize: $('discretize').checked });

/** The toggles that mean something for this view; drawing only on a 2-D classification view. */
export function showOutputTools(mode) {
  const points = mode === 'boundary' || mode === 'curve';
  $('show-test-label').hidden = !points;
  $('discretize-label').hidden = mode !== 'boundary' || store.session.config.model.output_activation === 'softmax';
  $('btn-draw').hidden = mode !== 'boundary';
  if (mode !== 'boundary') setDrawing(false);
  $('btn-draw').setAttribute('aria-pressed', String(store.drawing));
  $('btn-draw').classList.toggle('on', store.drawing);
  $('draw-bar').hidden = !store.drawing;
  $('output-chart').classList.toggle('drawing', store.drawing);
}

/** The output panel's headline metric and the status bar's accuracy or R². */
export function showMetric(outputs, split) {
  $('output-metric').textContent = outputMetric(outputs);
  const known = (v) => v !== null && v !== undefined;
  const accuracy = known(outputs.accuracy);
  $('metric-label').textContent = accuracy ? `${split} accuracy` : `${split} R²`;
  // R² needs two or more distinct targets; an undefined one is "–", only a diverged one is NaN.
  $('metric-value').textContent = accuracy ? `${fmt(outputs.accuracy * 100, 4)}%`
    : known(outputs.r2) ? fmt(outputs.r2, 4) : outputs.finite === false ? 'NaN' : '–';
}

export function fillHeatmapLayers() {
  const L = store.session.config.model.layers.length - 1;
  const select = $('heatmap-layer');
  select.innerHTML = [...Array(L).keys()].map((l) => `<option value="${l}">${l}</option>`).join('');
  select.value = String(store.heatLayer);
}

function writeHashNow() {
  if (!store.session) return;
  let config = store.session.config;
  const ds = config.dataset;
  if (ds.name === 'inline' && Array.isArray(ds.X) && ds.X.length * (ds.X[0]?.length ?? 1) > LINK_NUMBERS) {
    // An uploaded table would make a link of megabytes: the link keeps the rest of the run.
    config = { ...config, dataset: { ...ds, X: undefined, y: undefined } };
  }
  setHash(writeHash(config, { steps: store.session.step, stage: store.trace ? store.stageIndex : null }, store.hide,
    store.practice));
}

export function updateButtons() {
  const play = $('btn-play');
  play.textContent = store.playing ? '❚❚ Pause' : '▶ Play';
  play.classList.toggle('playing', store.playing);
  play.setAttribute('aria-pressed', String(store.playing));
  const n = store.trace ? stagesOf(store.trace).length : 0;
  $('stage-prev').disabled = !store.trace || store.stageIndex === 0;
  const locked = !!store.session && practiceLocks(practiceView());
  $('stage-next').disabled = locked;
  if (locked) $('stage-next').title = 'Check or Reveal this stage first';
  if (!locked) $('stage-next').title = !store.trace || store.stageIndex >= n - 1 ? 'Take a new Step (→)' : 'Next stage (→)';
  const undo = $('btn-undo');
  const held = store.session?.undo_available;
  undo.hidden = held === undefined; // a server without undo
  undo.disabled = !held || store.playing;
  undo.title = held ? `Step back before the last Step, Epoch or weight edit (${held} held)` : 'Nothing to undo yet';
  announceStatus();
}
