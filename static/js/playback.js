// Play, which trains over the server's live socket (live.js): each animation frame shows the
// newest frame (counters at once, views in turn as time allows); Pause stops the server after the
// frame under way, and the page then syncs with it. Play of two runs side by side is lockstep.js's.
import * as api from './api.js';
import { stopAnimation } from './animation.js';
import { banner, diverged, stoppedEarly } from './banner.js';
import { stopPlayBoth, togglePlayBoth } from './lockstep.js';
import { liveInsideViews } from './inside.js';
import { LivePlay, PLAY_OPTIONS, ViewRotation, whenShown } from './live.js';
import { afterTraining, run } from './queue.js';
import {
  renderHeatmapsNow, renderLoss, renderNetworkNow, renderStageViews, renderStatus, showMetric, updateButtons,
} from './render.js';
import { fullParams, newSession, previewGrads, syncState } from './session.js';
import {
  absorbFrame, clearTrace, setLearningRate, setPlaying, showEpochLoss, store, takeParams,
} from './store.js';
import { showConfig } from './views/controls.js';
import { renderGradNormChart } from './views/charts.js';
import { paintLiveBoundary } from './views/live-boundary.js';
import { NEEDS, outputMode, renderOutput } from './views/output.js';

const $ = (id) => document.getElementById(id);

// ---------------------------------------------------------------- Play
const live = new LivePlay({ receive: absorbFrame, draw: drawFrame, stopped: liveStopped });
const liveOutput = { boundary: null, asked: 0 }; // the grid last drawn; when Play last asked for outputs
const drawLiveBoundary = whenShown($('output-chart'), (el) => {
  liveOutput.boundary = store.boundary;
  const mode = outputMode(store.session);
  // A new grid over the figure already drawn when it fits (a full redraw takes about 30 ms).
  if (mode === 'boundary' && paintLiveBoundary(el, store.boundary)) return;
  renderOutput(el, mode, { data: store.data, boundary: store.boundary, state: store.session });
});

// The views Play redraws, in turn within a time budget per animation frame (see ViewRotation);
// each answers false when it had nothing to draw (off screen, or no newer boundary grid).
const liveViews = new ViewRotation([
  whenShown($('network'), (el) => renderNetworkNow(el, { trace: false })),
  whenShown($('loss-chart'), (el) => renderLoss(el)),
  whenShown($('grad-norm-chart'), (el) => renderGradNormChart(el, store.history.grad_norms)),
  drawLiveOutput,
  whenShown($('w-heatmap'), () => renderHeatmapsNow({ grads: false })),
  ...liveInsideViews(whenShown),
]);

/** One animation frame of Play: the counters, then as many views as its time allows. */
function drawFrame() {
  showEpochLoss();
  renderStatus();
  liveViews.draw();
}

/** The output view during Play: the frames' boundary grid or curve; other views (and the
 * accuracy or R²) from GET .../outputs once a second. */
function drawLiveOutput() {
  const s = store.session;
  const mode = outputMode(s);
  const split = s.n_test ? 'test' : 'train';
  if (performance.now() - liveOutput.asked > 1000) {
    liveOutput.asked = performance.now();
    api.outputs(s.id, split, 500).then((outputs) => {
      if (!store.playing || store.session.id !== s.id) return;
      showMetric(outputs, split);
      if (!NEEDS[mode].includes('boundary')) renderOutput($('output-chart'), mode, { outputs, state: s });
    }).catch(() => {}); // the sync after Pause reports what went wrong
  }
  return !!store.boundary && store.boundary !== liveOutput.boundary && !!store.data && drawLiveBoundary();
}

async function startPlay() {
  if (!store.playing) return; // paused before its turn came
  stopAnimation();
  clearTrace();
  renderStageViews();
  liveOutput.asked = performance.now();
  try {
    await live.play(store.session.id, PLAY_OPTIONS);
  } catch (err) {
    setPlaying(false);
    updateButtons();
    throw err;
  }
}

/** Pause; resolves (with the server's `paused` message, or null) once the server has stopped. */
export function stopPlay() {
  if (!store.playing) return Promise.resolve(null);
  if (store.compare) return stopPlayBoth();
  setPlaying(false);
  updateButtons();
  return live.pause().catch(() => null);
}

/** After Play: the session as the server has it (history, full parameters), dW at the weights now. */
async function afterPlay(paused) {
  await syncState();
  takeParams(await fullParams(store.params));
  showEpochLoss();
  if (paused?.reason === 'diverged' || store.session.finite === false) diverged(`at epoch ${store.session.epoch}`);
  else await previewGrads();
  if (paused?.reason === 'early_stopping') stoppedEarly(store.session.stopped_epoch);
  await afterTraining();
}

/** The server ended Play by itself: training diverged, or the connection was refused or lost. */
function liveStopped(why) {
  if (why.reason === 'error') {
    banner(`Live training: ${why.detail}`);
    return;
  }
  setPlaying(false);
  updateButtons();
  if (why.reason === 'closed') banner(`Live training stopped: ${why.detail}`);
  run(() => afterPlay(why));
}

/** A new learning rate while playing: the server takes it between two frames and training goes on. */
export const changeRate = (config) => run(async () => {
  if (!store.playing) return newSession(config); // paused meanwhile: like any other change
  try {
    const answer = await live.setLearningRate(config.optimizer.learning_rate);
    setLearningRate(answer.learning_rate);
  } catch (err) {
    banner(`The learning rate was refused: ${err.message}`);
  }
  return showConfig(store.session);
});

export function togglePlay() {
  if (store.compare) {
    togglePlayBoth(); // both runs, epoch by epoch in lockstep
    return;
  }
  if (store.playing) {
    const paused = stopPlay();
    run(async () => afterPlay(await paused));
    return;
  }
  if (store.session?.stopped) {
    stoppedEarly(store.session.stopped_epoch);
    return;
  }
  setPlaying(true);
  updateButtons();
  run(startPlay);
}
