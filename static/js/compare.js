// Runs side by side. Compare forks the session on screen (A) into B, which differs in whatever
// the learner changes next in the sidebar: each change forks B anew from A with the changed
// fields as overrides, and both start again from epoch 0, with the same data, minibatch order and
// (where the shapes agree) initial weights (POST /api/sessions/{id}/fork). From then on Step,
// Epoch, Reset and Play drive both in lockstep (lockstep.js); Stop comparing keeps the run of the learner's choice.
import * as api from './api.js';
import { stopAnimation } from './animation.js';
import { banner, clearBanner } from './banner.js';
import { takeB } from './lockstep.js';
import { stopPlay } from './playback.js';
import { afterTraining, run } from './queue.js';
import { adoptSession, takeChanged } from './session.js';
import { stopCompare, store } from './store.js';
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
