// The session on screen and the server: each function asks the API, then moves the store
// through its transitions. The callers (actions.js, playback.js) redraw afterwards. Play is
// paused first through pause.js (Play itself lives above, in playback.js).
import * as api from './api.js';
import { startAnimation, stopAnimation } from './animation.js';
import { clearBanner, diverged } from './banner.js';
import { applyHide } from './classroom.js';
import { pause } from './pause.js';
import { fillHeatmapLayers, renderAll, refreshOutput } from './render.js';
import {
  adoptState, clearTrace, configInFull, paramsInFull, setStage, showEpochLoss, stopCompare, store, takeGrads, takeParams, takeState,
  takeTrace,
} from './store.js';
import { showConfig } from './views/controls.js';
import { linkDownloads } from './views/downloads.js';

const $ = (id) => document.getElementById(id);
const GRADCHECK_HINT = $('gradcheck-result').innerHTML; // what the panel says before a check
const FULL = 131072;          // arrays up to this many numbers come as lists (W[0] of 128x784 MNIST fits)

/** A session's parameters as full lists (big layers come summarised unless asked for). */
export async function fullParams(params, id = store.session.id) {
  if (paramsInFull(params)) return params;
  const s = await api.getSession(id, { include: ['params'], maxElements: FULL });
  return s.params;
}

/** A SessionState with its config in full: big inline data and preset weights come summarised unless asked for. */
export async function withFullConfig(state) {
  if (configInFull(state.config)) return state;
  return { ...state, config: (await api.getSession(state.id, { include: ['config'] })).config };
}

/** The session's scalars and history as the server has them. */
export async function syncState() {
  takeState(await api.getSession(store.session.id, { include: ['history'] }));
}

/** Start a new session for `config` (deleting the old one), then replay `progress` from a link. */
export async function newSession(config, progress = {}) {
  await pause();
  stopAnimation();
  await show(await api.createSession(config), progress, true);
}

/** Show an existing session (one a lesson made) as it stands. */
export async function openSession(id) {
  await pause();
  stopAnimation();
  await show(await api.getSession(id, { maxElements: FULL }), {}, false);
}

const FOLLOW_MS = 1000;        // how often a followed session is asked whether someone else moved it

/**
 * Open an existing session and follow it: when another client (a notebook's Python) steps,
 * trains, resets or edits it, the page shows the new state. Checked while the page is idle
 * and not playing; the page's own actions keep its copy current, so only others' are caught.
 */
export async function followSession(id, refresh) {
  await openSession(id);
  const moved = (s) => ['step', 'epoch', 'undo_available', 'learning_rate'].some((k) => s[k] !== store.session[k]);
  const timer = setInterval(async () => {
    if (document.hidden || store.playing || document.body.dataset.busy === '1') return;
    if (store.session?.id !== id) { clearInterval(timer); return; } // the page moved to another session
    const s = await api.getSession(id, { include: ['params'], maxElements: 0 }).catch(() => null);
    if (s && store.session?.id === id && document.body.dataset.busy !== '1' && moved(s)) refresh(id);
  }, FOLLOW_MS);
}

/** Make a session this page created (a comparison's B) the one on screen, as it stands. */
export async function adoptSession(id) {
  await pause();
  stopAnimation();
  await show(await api.getSession(id, { maxElements: FULL }), {}, true);
}

/** Put a session's state on screen; the old session is deleted when this page made it. */
async function show(state, progress, owned) {
  if (store.compare) {
    // Another session on screen ends a comparison; its B goes unless it is the one shown.
    const b = store.compare.session.id;
    stopCompare();
    if (b !== state.id) api.deleteSession(b).catch(() => {});
  }
  const old = adoptState(await withFullConfig(state), await fullParams(state.params, state.id), owned);
  if (old) api.deleteSession(old).catch(() => {}); // gone already is fine
  clearBanner();
  $('gradcheck-result').innerHTML = GRADCHECK_HINT;
  showConfig(store.session);
  applyHide(store.hide); // the feature toggles were drawn anew
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
  const perEpoch = store.session.steps_per_epoch || 1;
  let epochs = Math.floor(target / perEpoch);
  const maxChunk = store.options.limits.max_epochs_per_request;
  while (epochs > 0) {
    const n = Math.min(epochs, maxChunk);
    const r = await api.epochs(store.session.id, n);
    epochs -= n;
    if (r.finite === false) break;
  }
  for (let i = 0; i < target % perEpoch; i += 1) await api.backward(store.session.id, { include: ['params'] });
  await syncState();
  takeParams(await fullParams(null));
  showEpochLoss();
  if (traced) {
    await doStep(false);
    setStage(stage);
  }
}

/** One backward call: forward, loss, backward and update on the next minibatch. */
export async function doStep(animate) {
  stopAnimation();
  const before = store.params;
  const trace = await api.backward(store.session.id, { maxElements: FULL });
  takeTrace(trace, before);
  takeParams(await fullParams(trace.params));
  await syncState();
  if (trace.finite === false) diverged(`at step ${trace.step}`);
  if (animate) startAnimation();
}

/** Train `count` epochs; `preview` fetches the next minibatch's dW for the heatmap afterwards. */
export async function doEpochs(count, preview = true) {
  stopAnimation();
  const r = await api.epochs(store.session.id, count);
  await syncState();
  takeParams(await fullParams(r.params));
  clearTrace({ grads: false });
  showEpochLoss();
  if (r.finite === false) diverged(`at epoch ${store.session.epoch}`);
  else if (preview) await previewGrads();
  return r;
}

/** dW on the next minibatch at the current weights, without applying it (for the heatmap). */
export async function previewGrads() {
  const t = await api.backward(store.session.id, { apply: false, include: ['backward'], maxElements: FULL });
  takeGrads(t.backward, 'on the next minibatch');
}

/** The session's parameters and history after the server changed them (reset, undo, an edit). */
export async function takeChanged(state, { sync = true } = {}) {
  takeState(state);
  if (sync) await syncState();
  takeParams(await fullParams(state.params));
  clearTrace();
  showEpochLoss();
}
