// The second run B of a comparison, driven in lockstep with A: B's server calls beside A's
// Step, Epoch and Reset, and Play for both (epoch after epoch). compare.js starts and ends a
// comparison; actions.js and playback.js call these.
import * as api from './api.js';
import { afterTraining, run } from './queue.js';
import { updateButtons } from './render.js';
import { doEpochs, fullParams, withFullConfig } from './session.js';
import { setPlaying, showEpochLoss, startCompare, store, takeCompare } from './store.js';

/** B's state on the page: its SessionState with the parameters in full. */
export async function takeB(state, overrides) {
  startCompare(await withFullConfig(state), await fullParams(state.params, state.id), overrides);
}

/** B's history and scalars as the server has them. */
async function syncB() {
  takeCompare({ session: await api.getSession(store.compare.session.id, { include: ['history'] }) });
}

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
