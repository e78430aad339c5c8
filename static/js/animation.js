// The Step animation through the stages of one trace, and moving between stages by hand.
import { practiceView, renderStageViews, updateButtons } from './render.js';
import { stagesOf } from './stages.js';
import { setStage, store } from './store.js';
import { practiceLocks } from './views/practice.js';

const STAGE_MS = 750;         // one stage of the Step animation

let animation = null;

/** Show stage `i` of the trace (stopping the animation); in practice mode not past a stage still to answer. */
export function goToStage(i) {
  if (i > store.stageIndex && practiceLocks(practiceView())) return;
  stopAnimation();
  setStage(i);
  renderStageViews();
  updateButtons();
}

export function startAnimation() {
  document.body.dataset.animating = '1';
  animation = window.setInterval(() => {
    if (store.stageIndex >= stagesOf(store.trace).length - 1) {
      stopAnimation();
      return;
    }
    setStage(store.stageIndex + 1);
    renderStageViews();
    updateButtons();
  }, STAGE_MS);
}

export function stopAnimation() {
  if (animation) window.clearInterval(animation);
  animation = null;
  document.body.dataset.animating = '0';
}

/** → : the next stage, or a new Step (`step(false)`, shown from its first stage) at the end. */
export function nextStage(step) {
  if (store.session && practiceLocks(practiceView())) return; // check or reveal first
  const n = store.trace ? stagesOf(store.trace).length : 0;
  if (store.trace && store.stageIndex < n - 1 && !animation) {
    goToStage(store.stageIndex + 1);
    return;
  }
  if (animation) {
    goToStage(Math.min(store.stageIndex + 1, n - 1));
    return;
  }
  step(false);
}

export function prevStage() {
  if (store.trace && store.stageIndex > 0) goToStage(store.stageIndex - 1);
}
