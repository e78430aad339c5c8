// The playground: holds what is on screen, runs the user's actions one at a time through the
// API module, and redraws the views. Keys: Space plays/pauses; → next stage (or a new Step at
// the end); ← previous stage.
import * as api from './api.js';
import { fmt, fmtLoss, isSummary } from './format.js';
import {
  LivePlay, PLAY_OPTIONS, ViewRotation, absorbFrame, onlyLearningRateDiffers, whenShown,
} from './live.js';
import { applyHide } from './classroom.js';
import { stagesOf } from './stages.js';
import { clone, fromHash, writeHash } from './state.js';
import { lossCaption, renderGradNormChart, renderLossChart } from './views/charts.js';
import { initControls, showConfig } from './views/controls.js';
import { initCsv, tableConfig } from './views/csv.js';
import { initDownloads, linkDownloads } from './views/downloads.js';
import { chartCoords, drawnConfig, nearest, pointsOf } from './views/draw.js';
import { initParamEditor } from './views/editor.js';
import { renderGradcheck } from './views/gradcheck.js';
import { renderHeatmaps } from './views/heatmaps.js';
import { initLessons } from './views/lessons.js';
import { metricsCaption, metricsKind, renderLearningRateChart, renderMetricsChart } from './views/metrics.js';
import { renderNetwork } from './views/network.js';
import { NEEDS, TITLES, outputMetric, outputMode, renderFirstLayer, renderOutput } from './views/output.js';
import { message } from './views/plot.js';
import { renderTrace } from './views/trace.js';

const $ = (id) => document.getElementById(id);
const GRADCHECK_HINT = $('gradcheck-result').innerHTML; // what the panel says before a check

// The seed's numerical example: x = [1, 2], y = [1], W[0] = [[0.1, 0.2], [0.3, 0.4]], W[1] = [[0.5, 0.6]], zero biases.
const WORKED_EXAMPLE = {
  dataset: { name: 'inline', X: [[1, 2]], y: [[1]], test_fraction: 0 },
  model: {
    layers: [2, 2, 1], activation: 'relu', output_activation: 'linear', loss: 'mse',
    weights: [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.6]]], biases: [[0, 0], [0]],
  },
  optimizer: { name: 'sgd', learning_rate: 0.1, batch_size: 1, l2: 0 },
  seed: 0,
};

const LINK_NUMBERS = 4000;    // an inline table bigger than this is left out of the link (a CSV upload)
const FULL = 131072;          // arrays up to this many numbers come as lists (W[0] of 128x784 MNIST fits)
const STAGE_MS = 750;         // one stage of the Step animation

const app = {
  options: null,
  session: null,          // the SessionState fields on screen (params and history kept apart)
  params: null,           // [{W, b}] now
  history: { train_loss: [], test_loss: [], grad_norms: [] },
  trace: null,            // the last BackwardTrace, walked by the step-through panel
  before: null,           // the parameters that trace's pass used
  stageIndex: 0,
  grads: null,            // [{dW}] for the dW heatmap
  gradsLabel: '',
  data: null,             // GET /data of this session (it does not change while training)
  lastLoss: null,         // {value, label}
  playing: false,
  animation: null,
  heatLayer: 0,
  hash: '',
  owned: false,           // whether this page made the session (a lesson's is kept when we move on)
  hide: [],               // classroom mode: the controls the link hides
  drawing: false,         // draw mode on the output view
};

// ---------------------------------------------------------------- the action queue
// Actions run one at a time, in order; `data-busy` on <body> tells tests and styles when all is idle.
let queue = Promise.resolve();
let pending = 0;
function run(action) {
  pending += 1;
  document.body.dataset.busy = '1';
  const p = queue.then(action).catch(showError).finally(() => {
    pending -= 1;
    if (!pending) document.body.dataset.busy = '0';
  });
  queue = p;
  return p;
}

// ---------------------------------------------------------------- banner
function banner(text, kind = 'error') {
  const el = $('banner');
  el.className = `banner ${kind}`;
  $('banner-text').textContent = text;
  el.hidden = false;
}
const clearBanner = () => { $('banner').hidden = true; };

function showError(err) {
  stopPlay();
  if (err instanceof api.ApiError) {
    const who = err.status ? `The server refused the request (${err.status})` : 'No answer from the server';
    banner(`${who}: ${err.message}`);
  } else {
    banner(`Something went wrong in the page: ${err && err.message ? err.message : err}`);
    console.warn(err); // keep the stack for whoever opens the console
  }
}

function diverged(where) {
  stopPlay();
  banner(`Training diverged: the loss is NaN (diverged) ${where}. Lower the learning rate (or L2), then press Reset.`, 'diverged');
}

// ---------------------------------------------------------------- talking to the server
const hasSummary = (params) => params.some((p) => isSummary(p.W) || isSummary(p.b));

/** The current parameters as full lists (big layers come summarised unless asked for). */
async function fullParams(params) {
  if (params && !hasSummary(params)) return params;
  const s = await api.getSession(app.session.id, { include: ['params'], maxElements: FULL });
  return s.params;
}

/** Take the scalars of a SessionState (and its history when sent). */
function absorb(state) {
  const { params, history, ...rest } = state;
  app.session = { ...app.session, ...rest };
  if (history) app.history = history;
}

async function syncState() {
  absorb(await api.getSession(app.session.id, { include: ['history'] }));
}

function lastEpochLoss() {
  const t = app.history.train_loss;
  return t.length ? { value: t[t.length - 1], label: 'Train loss' } : null;
}

/** Start a new session for `config` (deleting the old one), then replay `progress` from a link. */
async function newSession(config, progress = {}) {
  await stopPlay();
  stopAnimation();
  await show(await api.createSession(config), progress, true);
}

/** Show an existing session (one a lesson made) as it stands. */
async function openSession(id) {
  await stopPlay();
  stopAnimation();
  await show(await api.getSession(id, { maxElements: FULL }), {}, false);
}

/** Put a session's state on screen; the old session is deleted when this page made it. */
async function show(state, progress, owned) {
  const old = app.owned ? app.session?.id : null;
  app.session = null;
  app.owned = owned;
  absorb(state);
  if (old && old !== state.id) api.deleteSession(old).catch(() => {}); // gone already is fine
  app.params = await fullParams(state.params);
  app.trace = null;
  app.before = null;
  app.grads = null;
  app.data = null;
  app.heatLayer = Math.min(app.heatLayer, state.config.model.layers.length - 2);
  app.lastLoss = lastEpochLoss();
  clearBanner();
  $('gradcheck-result').innerHTML = GRADCHECK_HINT;
  showConfig(app.session);
  applyHide(app.hide); // the feature toggles were drawn anew
  linkDownloads(state.id);
  document.body.dataset.session = state.id;
  fillHeatmapLayers();
  if (progress.steps > 0) await replay(Number(progress.steps), progress.stage);
  renderAll();
  await refreshOutput();
}

/** Reach the same point as a shared link: whole epochs, single steps, and the last Step's trace. */
async function replay(steps, stage) {
  const traced = stage !== undefined && stage !== null;
  const target = traced ? steps - 1 : steps;
  const perEpoch = app.session.steps_per_epoch || 1;
  let epochs = Math.floor(target / perEpoch);
  const maxChunk = app.options.limits?.max_epochs_per_request || 100;
  while (epochs > 0) {
    const n = Math.min(epochs, maxChunk);
    const r = await api.epochs(app.session.id, n);
    epochs -= n;
    if (r.finite === false) break;
  }
  for (let i = 0; i < target % perEpoch; i += 1) await api.backward(app.session.id, { include: ['params'] });
  await syncState();
  app.params = await fullParams(null);
  app.lastLoss = lastEpochLoss();
  if (traced) {
    await doStep(false);
    app.stageIndex = Math.max(0, Math.min(Number(stage), stagesOf(app.trace).length - 1));
  }
}

/** One backward call: forward, loss, backward and update on the next minibatch. */
async function doStep(animate) {
  stopAnimation();
  const before = app.params;
  const trace = await api.backward(app.session.id, { maxElements: FULL });
  app.before = before;
  app.trace = trace;
  app.params = await fullParams(trace.params);
  app.grads = trace.backward;
  app.gradsLabel = `of step ${trace.step}`;
  app.lastLoss = { value: trace.loss, label: 'Batch loss' };
  await syncState();
  app.stageIndex = 0;
  if (trace.finite === false) diverged(`at step ${trace.step}`);
  if (animate) startAnimation();
}

/** Train `count` epochs; `preview` fetches the next minibatch's dW for the heatmap afterwards. */
async function doEpochs(count, preview = true) {
  stopAnimation();
  const r = await api.epochs(app.session.id, count);
  await syncState();
  app.params = await fullParams(r.params);
  app.trace = null;
  app.lastLoss = lastEpochLoss();
  if (r.finite === false) diverged(`at epoch ${app.session.epoch}`);
  else if (preview) await previewGrads();
  return r;
}

/** dW on the next minibatch at the current weights, without applying it (for the heatmap). */
async function previewGrads() {
  const t = await api.backward(app.session.id, { apply: false, include: ['backward'], maxElements: FULL });
  app.grads = t.backward;
  app.gradsLabel = 'on the next minibatch';
}

// ---------------------------------------------------------------- rendering
function renderStatus() {
  const s = app.session;
  $('epoch-count').textContent = String(s.epoch);
  $('step-count').textContent = String(s.step);
  const loss = $('loss-value');
  if (app.lastLoss) {
    loss.textContent = fmtLoss(app.lastLoss.value);
    loss.classList.toggle('nan', !Number.isFinite(app.lastLoss.value ?? NaN));
    $('loss-label').textContent = app.lastLoss.label;
  } else {
    loss.textContent = '–';
    loss.classList.remove('nan');
    $('loss-label').textContent = 'Train loss';
  }
  const test = app.history.test_loss;
  $('test-loss-value').textContent = test.length && s.n_test !== 0 ? fmtLoss(test[test.length - 1]) : '–';
  $('stopped-box').hidden = !s.stopped;
  $('stopped-value').textContent = s.stopped ? `epoch ${s.stopped_epoch}` : '';
}

function currentStage() {
  return app.trace ? stagesOf(app.trace)[app.stageIndex] : null;
}

function renderStageViews() {
  const m = app.session.config.model;
  const caption = renderNetwork($('network'), {
    layers: m.layers, params: app.params, trace: app.trace, before: app.before, stage: currentStage(),
    activation: m.activation, outputActivation: m.output_activation,
  });
  $('network-caption').textContent = caption;
  renderTrace({ trace: app.trace, before: app.before, stageIndex: app.stageIndex, config: app.session.config, onStage: goToStage });
  writeHashNow();
}

function renderCharts() {
  renderLossChart($('loss-chart'), app.history, $('loss-log').checked);
  $('loss-last').textContent = lossCaption(app.history);
  renderGradNormChart($('grad-norm-chart'), app.history.grad_norms);
  renderMetrics();
  renderHeatmaps({ W: $('w-heatmap'), dW: $('dw-heatmap') }, app.heatLayer, app.params, app.grads, app.gradsLabel);
}

/** The metrics and learning-rate charts, shown once the server's history carries them. */
function renderMetrics() {
  const h = app.history;
  const metrics = $('metrics-chart').closest('.panel');
  metrics.hidden = !metricsKind(h);
  if (!metrics.hidden) {
    renderMetricsChart($('metrics-chart'), h);
    $('metrics-last').textContent = metricsCaption(h);
  }
  const rates = $('lr-chart').closest('.panel');
  rates.hidden = !Array.isArray(h.learning_rate);
  if (!rates.hidden) {
    renderLearningRateChart($('lr-chart'), h.learning_rate);
    const last = h.learning_rate[h.learning_rate.length - 1];
    $('lr-last').textContent = last === undefined ? '' : `η now ${fmt(app.session.learning_rate ?? last, 4)}`;
  }
}

function renderAll() {
  renderStatus();
  renderStageViews();
  renderCharts();
  updateButtons();
}

async function refreshOutput() {
  const s = app.session;
  const mode = outputMode(s);
  const el = $('output-chart');
  $('output-title').textContent = TITLES[mode];
  const split = s.n_test ? 'test' : 'train';
  const [outputs, data] = await Promise.all([
    api.outputs(s.id, split),
    app.data ? Promise.resolve(app.data) : api.data(s.id),
  ]);
  app.data = data;
  const boundary = NEEDS[mode].includes('boundary') ? await api.boundary(s.id, 50) : null;
  renderOutput(el, mode, { data, boundary, outputs, state: s, view: outputView() });
  showOutputTools(mode);
  showMetric(outputs, split);
  const images = data.image_shape;
  $('first-layer-panel').hidden = !images;
  if (images) renderFirstLayer($('first-layer-chart'), app.params[0].W, images);
}

/** The output view's toggles as they stand. */
const outputView = () => ({ showTest: $('show-test').checked, discretize: $('discretize').checked });

/** The toggles that mean something for this view; drawing only on a 2-D classification view. */
function showOutputTools(mode) {
  const points = mode === 'boundary' || mode === 'curve';
  $('show-test-label').hidden = !points;
  $('discretize-label').hidden = mode !== 'boundary' || app.session.config.model.output_activation === 'softmax';
  $('btn-draw').hidden = mode !== 'boundary';
  if (mode !== 'boundary') app.drawing = false;
  $('btn-draw').setAttribute('aria-pressed', String(app.drawing));
  $('btn-draw').classList.toggle('on', app.drawing);
  $('draw-bar').hidden = !app.drawing;
  $('output-chart').classList.toggle('drawing', app.drawing);
}

/** The output panel's headline metric and the status bar's accuracy or R². */
function showMetric(outputs, split) {
  $('output-metric').textContent = outputMetric(outputs);
  const known = (v) => v !== null && v !== undefined;
  const accuracy = known(outputs.accuracy);
  $('metric-label').textContent = accuracy ? `${split} accuracy` : `${split} R²`;
  // R² needs two or more distinct targets; an undefined one is "–", only a diverged one is NaN.
  $('metric-value').textContent = accuracy ? `${fmt(outputs.accuracy * 100, 4)}%`
    : known(outputs.r2) ? fmt(outputs.r2, 4) : outputs.finite === false ? 'NaN' : '–';
}

function fillHeatmapLayers() {
  const L = app.session.config.model.layers.length - 1;
  const select = $('heatmap-layer');
  select.innerHTML = [...Array(L).keys()].map((l) => `<option value="${l}">${l}</option>`).join('');
  select.value = String(app.heatLayer);
}

function writeHashNow() {
  if (!app.session) return;
  let config = app.session.config;
  const ds = config.dataset;
  if (ds.name === 'inline' && Array.isArray(ds.X) && ds.X.length * (ds.X[0]?.length ?? 1) > LINK_NUMBERS) {
    // An uploaded table would make a link of megabytes: the link keeps the rest of the run.
    config = { ...config, dataset: { ...ds, X: undefined, y: undefined } };
  }
  app.hash = writeHash(config, { steps: app.session.step, stage: app.trace ? app.stageIndex : null }, app.hide);
}

function updateButtons() {
  const play = $('btn-play');
  play.textContent = app.playing ? '❚❚ Pause' : '▶ Play';
  play.classList.toggle('playing', app.playing);
  play.setAttribute('aria-pressed', String(app.playing));
  const n = app.trace ? stagesOf(app.trace).length : 0;
  $('stage-prev').disabled = !app.trace || app.stageIndex === 0;
  $('stage-next').title = !app.trace || app.stageIndex >= n - 1 ? 'Take a new Step (→)' : 'Next stage (→)';
  const undo = $('btn-undo');
  const held = app.session?.undo_available;
  undo.hidden = held === undefined; // a server without undo
  undo.disabled = !held || app.playing;
  undo.title = held ? `Step back before the last Step, Epoch or weight edit (${held} held)` : 'Nothing to undo yet';
}

// ---------------------------------------------------------------- stages and the Step animation
function goToStage(i) {
  stopAnimation();
  app.stageIndex = i;
  renderStageViews();
  updateButtons();
}

function startAnimation() {
  document.body.dataset.animating = '1';
  app.animation = window.setInterval(() => {
    const n = stagesOf(app.trace).length;
    if (app.stageIndex >= n - 1) {
      stopAnimation();
      return;
    }
    app.stageIndex += 1;
    renderStageViews();
    updateButtons();
  }, STAGE_MS);
}

function stopAnimation() {
  if (app.animation) window.clearInterval(app.animation);
  app.animation = null;
  document.body.dataset.animating = '0';
}

/** → : the next stage, or a new Step (shown from its first stage) at the end. */
function nextStage() {
  const n = app.trace ? stagesOf(app.trace).length : 0;
  if (app.trace && app.stageIndex < n - 1 && !app.animation) {
    goToStage(app.stageIndex + 1);
    return;
  }
  if (app.animation) {
    goToStage(Math.min(app.stageIndex + 1, n - 1));
    return;
  }
  step(false);
}

function prevStage() {
  if (app.trace && app.stageIndex > 0) goToStage(app.stageIndex - 1);
}

// ---------------------------------------------------------------- actions
const afterTraining = async () => {
  renderAll();
  await refreshOutput();
};

const step = (animate) => run(async () => {
  await stopPlay();
  await doStep(animate);
  await afterTraining();
});

const epoch = () => run(async () => {
  await stopPlay();
  await doEpochs(1);
  await afterTraining();
});

const reset = () => run(async () => {
  await stopPlay();
  stopAnimation();
  const state = await api.reset(app.session.id);
  absorb(state);
  app.params = await fullParams(state.params);
  app.trace = null;
  app.grads = null;
  app.lastLoss = lastEpochLoss();
  clearBanner();
  await afterTraining();
});

const gradcheck = () => run(async () => {
  await stopPlay();
  const el = $('gradcheck-result');
  el.innerHTML = '<p class="hint">checking…</p>';
  const result = await api.gradcheck(app.session.id);
  renderGradcheck(el, result, app.session.config.model.layers);
  $('gradcheck-panel').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
});

const applyConfig = (config, progress) => run(() => newSession(config, progress));

/** The session's parameters, trace and views after the server changed them (undo, an edit). */
async function showChanged(state) {
  absorb(state);
  await syncState();
  app.params = await fullParams(state.params);
  app.trace = null;
  app.before = null;
  app.grads = null;
  app.lastLoss = lastEpochLoss();
  await afterTraining();
}

const undo = () => run(async () => {
  await stopPlay();
  stopAnimation();
  await showChanged(await api.undo(app.session.id));
});

const editParam = (edit) => run(async () => {
  await stopPlay();
  stopAnimation();
  await showChanged(await api.editParam(app.session.id, edit));
});

/** A click on the output view in draw mode: add a point (shift: the other class) or remove the nearest (alt). */
function drawClick(event) {
  if (!app.drawing || !app.data) return;
  const at = chartCoords($('output-chart'), event);
  if (!at) return;
  run(async () => {
    await stopPlay();
    const points = pointsOf(app.session, app.data);
    if (event.altKey || $('draw-remove').checked) {
      const i = nearest(points, at);
      if (i < 0) return;
      points.X.splice(i, 1);
      points.y.splice(i, 1);
    } else {
      const chosen = Number($('draw-class').value);
      points.X.push(at);
      points.y.push(event.shiftKey ? 1 - chosen : chosen);
    }
    if (!points.X.length) {
      banner('Keep at least one point: a dataset cannot be empty.', 'diverged');
      return;
    }
    await newSession(drawnConfig(app.session, await fullParams(app.params), points));
  });
}

const clearDrawing = () => run(async () => {
  await stopPlay();
  // One point at the centre: the server needs a non-empty table; click to add the rest.
  await newSession(drawnConfig(app.session, await fullParams(app.params), { X: [[0, 0]], y: [Number($('draw-class').value)] }));
});

// Play trains over the server's live socket (live.js): each animation frame shows the newest
// frame (counters at once, views in turn as time allows); Pause stops the server after the
// frame under way, and the page then syncs with it.
const live = new LivePlay({ receive: (frame) => absorbFrame(app, frame), draw: drawFrame, stopped: liveStopped });
const liveOutput = { boundary: null, asked: 0 }; // the grid last drawn; when Play last asked for outputs
const drawLiveBoundary = whenShown($('output-chart'), (el) => {
  liveOutput.boundary = app.boundary;
  renderOutput(el, outputMode(app.session), { data: app.data, boundary: app.boundary, state: app.session });
});

// The views Play redraws, in turn within a time budget per animation frame (see ViewRotation);
// each answers false when it had nothing to draw (off screen, or no newer boundary grid).
const liveViews = new ViewRotation([
  whenShown($('network'), (el) => renderNetwork(el, {
    layers: app.session.config.model.layers, params: app.params, trace: null, before: null, stage: null,
    activation: app.session.config.model.activation, outputActivation: app.session.config.model.output_activation,
  })),
  whenShown($('loss-chart'), (el) => {
    $('loss-last').textContent = lossCaption(app.history);
    renderLossChart(el, app.history, $('loss-log').checked);
  }),
  whenShown($('grad-norm-chart'), (el) => renderGradNormChart(el, app.history.grad_norms)),
  drawLiveOutput,
  whenShown($('w-heatmap'), () => renderHeatmaps({ W: $('w-heatmap'), dW: $('dw-heatmap') }, app.heatLayer, app.params, null, '')),
]);

/** One animation frame of Play: the counters, then as many views as its time allows. */
function drawFrame() {
  app.lastLoss = lastEpochLoss();
  renderStatus();
  liveViews.draw();
}

/** The output view during Play: the frames' boundary grid or curve; other views (and the
 * accuracy or R²) from GET .../outputs once a second. */
function drawLiveOutput() {
  const s = app.session;
  const mode = outputMode(s);
  const split = s.n_test ? 'test' : 'train';
  if (performance.now() - liveOutput.asked > 1000) {
    liveOutput.asked = performance.now();
    api.outputs(s.id, split, 500).then((outputs) => {
      if (!app.playing || app.session.id !== s.id) return;
      showMetric(outputs, split);
      if (!NEEDS[mode].includes('boundary')) renderOutput($('output-chart'), mode, { outputs, state: s });
    }).catch(() => {}); // the sync after Pause reports what went wrong
  }
  return !!app.boundary && app.boundary !== liveOutput.boundary && !!app.data && drawLiveBoundary();
}

async function startPlay() {
  if (!app.playing) return; // paused before its turn came
  stopAnimation();
  app.trace = null;
  app.before = null;
  app.grads = null;
  app.boundary = null;
  renderStageViews();
  liveOutput.asked = performance.now();
  try {
    await live.play(app.session.id, PLAY_OPTIONS);
  } catch (err) {
    app.playing = false;
    updateButtons();
    throw err;
  }
}

/** Pause; resolves (with the server's `paused` message, or null) once the server has stopped. */
function stopPlay() {
  if (!app.playing) return Promise.resolve(null);
  app.playing = false;
  updateButtons();
  return live.pause().catch(() => null);
}

/** After Play: the session as the server has it (history, full parameters), dW at the weights now. */
async function afterPlay(paused) {
  await syncState();
  app.params = await fullParams(app.params);
  app.lastLoss = lastEpochLoss();
  if (paused?.reason === 'diverged' || app.session.finite === false) diverged(`at epoch ${app.session.epoch}`);
  else await previewGrads();
  if (paused?.reason === 'early_stopping') {
    banner(`Early stopping ended this run at epoch ${app.session.stopped_epoch}: the test loss stopped improving. Reset trains again.`, 'diverged');
  }
  await afterTraining();
}

/** The server ended Play by itself: training diverged, or the connection was refused or lost. */
function liveStopped(why) {
  if (why.reason === 'error') {
    banner(`Live training: ${why.detail}`);
    return;
  }
  app.playing = false;
  updateButtons();
  if (why.reason === 'closed') banner(`Live training stopped: ${why.detail}`);
  run(() => afterPlay(why));
}

/** A new learning rate while playing: the server takes it between two frames and training goes on. */
const changeRate = (config) => run(async () => {
  if (!app.playing) return newSession(config); // paused meanwhile: like any other change
  try {
    const answer = await live.setLearningRate(config.optimizer.learning_rate);
    app.session.config.optimizer.learning_rate = answer.learning_rate;
  } catch (err) {
    banner(`The learning rate was refused: ${err.message}`);
  }
  return showConfig(app.session);
});

function togglePlay() {
  if (app.playing) {
    const paused = stopPlay();
    run(async () => afterPlay(await paused));
    return;
  }
  if (app.session?.stopped) {
    banner(`Early stopping ended this run at epoch ${app.session.stopped_epoch}: the test loss stopped improving. Reset trains again.`, 'diverged');
    return;
  }
  app.playing = true;
  updateButtons();
  run(startPlay);
}

// ---------------------------------------------------------------- wiring
function wire() {
  $('btn-step').addEventListener('click', () => step($('stage-animate').checked));
  $('btn-epoch').addEventListener('click', epoch);
  $('btn-play').addEventListener('click', togglePlay);
  $('btn-reset').addEventListener('click', reset);
  $('btn-gradcheck').addEventListener('click', gradcheck);
  $('btn-worked').addEventListener('click', () => applyConfig(clone(WORKED_EXAMPLE)));
  $('btn-help').addEventListener('click', () => $('help').showModal());
  $('btn-undo').addEventListener('click', undo);
  initDownloads(() => app.session?.id ?? null, showError);
  initCsv({ run, train: (table) => newSession(tableConfig(app.session.config, table)) });
  const redrawOutput = () => run(refreshOutput);
  $('show-test').addEventListener('change', redrawOutput);
  $('discretize').addEventListener('change', redrawOutput);
  $('btn-draw').addEventListener('click', () => {
    app.drawing = !app.drawing;
    showOutputTools(outputMode(app.session));
  });
  $('output-chart').addEventListener('click', drawClick);
  $('draw-clear').addEventListener('click', clearDrawing);
  initLessons({ run, open: (id) => run(() => openSession(id)) });
  $('banner-close').addEventListener('click', clearBanner);
  $('stage-next').addEventListener('click', nextStage);
  $('stage-prev').addEventListener('click', prevStage);
  $('loss-log').addEventListener('change', () => renderLossChart($('loss-chart'), app.history, $('loss-log').checked));
  $('heatmap-layer').addEventListener('change', (e) => {
    app.heatLayer = Number(e.target.value);
    renderCharts();
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement
      || (t instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(t.type));
    if (typing || e.altKey || e.ctrlKey || e.metaKey || $('help').open) return;
    if (e.key === ' ') {
      e.preventDefault();
      togglePlay();
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      nextStage();
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      prevStage();
    }
  });
  window.addEventListener('hashchange', () => {
    if (window.location.hash === app.hash) return;
    const { config, progress, hide } = fromHash(window.location.hash);
    app.hide = hide;
    applyHide(hide);
    if (config) applyConfig(config, progress);
  });
  window.addEventListener('pagehide', () => {
    if (app.session && app.owned) api.deleteSession(app.session.id, { keepalive: true }).catch(() => {});
  });
}

async function start() {
  document.body.dataset.busy = '1';
  wire();
  await run(async () => {
    app.options = await api.options();
    initControls(app.options, {
      onChange: (config) => (app.playing && onlyLearningRateDiffers(app.session.config, config)
        ? changeRate(config) : applyConfig(config)),
      onPreset: () => applyConfig(clone(WORKED_EXAMPLE)),
      onError: (text) => banner(text),
    });
    const { config, progress, hide } = fromHash(window.location.hash);
    app.hide = hide;
    const unknown = applyHide(hide);
    try {
      await newSession(config || app.options.defaults, progress);
    } catch (err) {
      if (!config) throw err;
      // A link the server refuses: say why, and start from the defaults instead.
      showError(err);
      const text = $('banner-text').textContent;
      await newSession(app.options.defaults);
      banner(`This link's configuration was refused; showing the defaults. ${text}`);
    }
    if (unknown.length) banner(`This link hides controls the page does not have: ${unknown.join(', ')} (see ? for the names).`, 'diverged');
    if (app.session) initParamEditor($('network'), { params: () => app.params, apply: editParam });
  });
  if (!app.session) {
    for (const id of ['network', 'loss-chart', 'grad-norm-chart', 'output-chart']) message($(id), 'no session: see the message above');
  }
}

start();
