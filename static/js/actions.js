// The user's actions (step, epoch, reset, gradcheck, undo, edit, draw, a new config), run one
// at a time, in order, through the queue (queue.js).
import * as api from './api.js';
import { stopAnimation } from './animation.js';
import { banner, clearBanner } from './banner.js';
import { epochsB, resetB, stepB } from './lockstep.js';
import { stopPlay } from './playback.js';
import { afterTraining, run } from './queue.js';
import { doEpochs, doStep, fullParams, newSession, openSession, takeChanged } from './session.js';
import { store } from './store.js';
import { chartCoords, drawnConfig, nearest, pointsOf } from './views/draw.js';
import { renderGradcheck } from './views/gradcheck.js';

const $ = (id) => document.getElementById(id);

export const step = (animate) => run(async () => {
  await stopPlay();
  await doStep(animate);
  await stepB(); // a second run side by side takes its Step too
  await afterTraining();
});

export const epoch = () => run(async () => {
  await stopPlay();
  await doEpochs(1);
  await epochsB(1);
  await afterTraining();
});

export const reset = () => run(async () => {
  await stopPlay();
  stopAnimation();
  await takeChanged(await api.reset(store.session.id), { sync: false });
  await resetB();
  clearBanner();
  await afterTraining();
});

export const gradcheck = () => run(async () => {
  await stopPlay();
  const el = $('gradcheck-result');
  el.innerHTML = '<p class="hint">checking…</p>';
  // With dropout, check the batch of the Step on screen with that Step's masks held fixed.
  const t = store.trace;
  const masks = t?.forward?.slice(0, -1).map((f) => f.mask);
  const body = masks?.length && masks.every(Array.isArray) ? { indices: t.indices, masks } : {};
  const result = await api.gradcheck(store.session.id, body);
  renderGradcheck(el, result, store.session.config.model.layers);
  $('gradcheck-panel').scrollIntoView({ block: 'nearest', behavior: 'smooth' });
});

/** A new session for `config` (and, from a link, the progress to replay). */
export const applyConfig = (config, progress) => run(() => newSession(config, progress));

/** Show a session a lesson made. */
export const openLessonSession = (id) => run(() => openSession(id));

export const undo = () => run(async () => {
  await stopPlay();
  stopAnimation();
  await takeChanged(await api.undo(store.session.id));
  await afterTraining();
});

export const editParam = (edit) => run(async () => {
  await stopPlay();
  stopAnimation();
  await takeChanged(await api.editParam(store.session.id, edit));
  await afterTraining();
});

/** A click on the output view in draw mode: add a point (shift: the other class) or remove the nearest (alt). */
export function drawClick(event) {
  if (!store.drawing || !store.data) return;
  const at = chartCoords($('output-chart'), event);
  if (!at) return;
  run(async () => {
    await stopPlay();
    const points = pointsOf(store.session, store.data);
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
    await newSession(drawnConfig(store.session, await fullParams(store.params), points));
  });
}

export const clearDrawing = () => run(async () => {
  await stopPlay();
  // One point at the centre: the server needs a non-empty table; click to add the rest.
  await newSession(drawnConfig(store.session, await fullParams(store.params), { X: [[0, 0]], y: [Number($('draw-class').value)] }));
});
