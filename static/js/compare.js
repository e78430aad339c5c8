// Runs side by side. Compare forks the session on screen (A) into B, which differs in whatever
// the learner changes next in the sidebar: each change forks B anew from A with the changed
// fields as overrides, and both start again from epoch 0, with the same data, minibatch order and
// (where the shapes agree) initial weights (POST /api/sessions/{id}/fork). From then on Step,
// Epoch, Reset and Play drive both in lockstep; Stop comparing keeps the run of the learner's choice.
import * as api from './api.js';
import { afterTraining, run } from './actions.js';
import { banner, clearBanner } from './banner.js';
import { stopAnimation, stopPlay } from './playback.js';
import { updateButtons } from './render.js';
import { adoptSession, doEpochs, fullParams, takeChanged } from './session.js';
import {
  setPlaying, showEpochLoss, startCompare, stopCompare, store, takeCompare,
} from './store.js';
import { showConfig } from './views/controls.js';

const $ = (id) => document.getElementById(id);

const same = (a, b) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
function sorted(v) {
  if (Array.isArray(v)) return v.map(sorted);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted(v[k])]));
  return v;
}

/**
 * What `next` changes in `base` (two SessionConfigs), as fork overrides: the model and optimizer
 * fields that differ; the dataset or seed too when they differ (the server refuses those, saying why).
 */
export function overridesOf(base, next) {
  const out = {};
  for (const part of ['model', 'optimizer']) {
    const changed = Object.entries(next[part] || {}).filter(([key, value]) => !same(value, base[part]?.[key]));
    if (changed.length) out[part] = Object.fromEntries(changed);
  }
  if (next.dataset && !same(next.dataset, base.dataset)) out.dataset = next.dataset;
  if (next.seed !== undefined && next.seed !== base.seed) out.seed = next.seed;
  return out;
}

/** B's state on the page: its SessionState with the parameters in full. */
async function takeB(state, overrides) {
  startCompare(state, await fullParams(state.params, state.id), overrides);
}

/** B's history and scalars as the server has them. */
async function syncB() {
  takeCompare({ session: await api.getSession(store.compare.session.id, { include: ['history'] }) });
}

/** The sidebar shows B's config while comparing: the next change is made to it. */
function showB() {
  showConfig({ ...store.session, ...store.compare.session, config: store.compare.session.config });
}

/** Fork B from A (with `overrides`), reset A, and show both at epoch 0; an old B is deleted. */
async function forkB(overrides) {
  await stopPlay();
  stopAnimation();
  const b = await api.fork(store.session.id, overrides); // refused: the old B stays as it was
  const old = store.compare?.session.id;
  if (old) api.deleteSession(old).catch(() => {});
  await takeChanged(await api.reset(store.session.id), { sync: false });
  await takeB(b, overrides);
  clearBanner();
  showB();
  await afterTraining();
}

/** Compare: B is a copy of A until the learner changes something. */
export const startComparing = () => run(async () => {
  await forkB({});
  banner('Comparing: change any setting in the sidebar and B becomes A with that change (both start again at epoch 0). '
    + 'Step, Epoch, Reset and Play now drive both.', 'info');
});

/** A change in the sidebar while comparing: B becomes A with everything that differs from A. */
export const changeB = (config) => run(() => forkB(overridesOf(store.session.config, config)));

/** Stop comparing, keeping `run` ('A' or 'B'); the other session is deleted. */
export const keep = (which) => run(async () => {
  await stopPlay();
  stopAnimation();
  $('compare-menu').hidden = true;
  if (!store.compare) return;
  if (which === 'B') {
    await adoptSession(store.compare.session.id); // A, made by this page, is deleted
    return;
  }
  const b = store.compare.session.id;
  stopCompare();
  api.deleteSession(b).catch(() => {});
  showConfig(store.session);
  await afterTraining();
});

// ---------------------------------------------------------------- lockstep (hooks of actions.js)
/** B's Step beside A's (the step-through walks A's trace). */
export async function stepB() {
  if (!store.compare) return;
  const t = await api.backward(store.compare.session.id, { include: ['params'], maxElements: 131072 });
  takeCompare({ params: await fullParams(t.params, store.compare.session.id), lastLoss: t.loss });
  await syncB();
}

/** B's `count` epochs beside A's. */
export async function epochsB(count) {
  if (!store.compare) return null;
  const r = await api.epochs(store.compare.session.id, count);
  takeCompare({ params: await fullParams(r.params, store.compare.session.id) });
  await syncB();
  return r;
}

/** B's Reset beside A's. */
export async function resetB() {
  if (!store.compare) return;
  const s = await api.reset(store.compare.session.id);
  takeCompare({ session: s, params: await fullParams(s.params, s.id) });
  await syncB();
}

// ---------------------------------------------------------------- Play, both runs

/** One epoch of each run, then every view (nothing when paused meanwhile). */
async function tick() {
  if (!store.playing || !store.compare) return;
  const [a, b] = await Promise.all([doEpochs(1, false), epochsB(1)]);
  showEpochLoss();
  await afterTraining();
  const done = (r, s) => r?.finite === false || s?.stopped;
  if (done(a, store.session) && done(b, store.compare?.session)) setPlaying(false);
}

async function playBoth() {
  while (store.playing && store.compare) {
    let failed = false;
    await run(() => tick().catch((err) => {
      failed = true;
      throw err;
    }));
    if (failed) setPlaying(false);
  }
  updateButtons();
}

/** Play or Pause while comparing: epoch after epoch of both runs, in lockstep. */
export function togglePlayBoth() {
  if (store.playing) {
    setPlaying(false);
    updateButtons();
    return;
  }
  setPlaying(true);
  updateButtons();
  playBoth();
}

/** Pause both runs. Epochs run as queued actions, so when another action calls this, none is under
 * way, and the one queued next does nothing. */
export function stopPlayBoth() {
  setPlaying(false);
  updateButtons();
  return Promise.resolve(null);
}

/** The Compare button: start comparing, or (while comparing) offer which run to keep. */
export function initCompare() {
  const menu = $('compare-menu');
  $('btn-compare').addEventListener('click', () => {
    if (!store.compare) {
      menu.hidden = true;
      startComparing();
      return;
    }
    menu.hidden = !menu.hidden;
  });
  $('compare-keep-a').addEventListener('click', () => keep('A'));
  $('compare-keep-b').addEventListener('click', () => keep('B'));
}
