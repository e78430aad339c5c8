// The playground's wiring: DOM events to actions, and start-up. What is on screen lives in
// store.js; the actions (actions.js, session.js), their queue (queue.js), the Step animation
// (animation.js), Play (playback.js) and the views' redraw (render.js) each have their own
// module. Modules never import upwards: what a lower one needs from above (pausing Play) is
// handed down from here. Keys: Space plays/pauses; → next stage (or a new Step
// at the end); ← previous stage.
import * as api from './api.js';
import {
  applyConfig, clearDrawing, drawClick, editParam, epoch, gradcheck, openLessonSession, reset, step, undo,
} from './actions.js';
import { goToStage, nextStage, prevStage } from './animation.js';
import { banner, clearBanner, showError } from './banner.js';
import { applyHide } from './classroom.js';
import { changeB, initCompare } from './compare.js';
import { initInside } from './inside.js';
import { onlyLearningRateDiffers } from './live.js';
import { setPause } from './pause.js';
import { changeRate, stopPlay, togglePlay } from './playback.js';
import { run } from './queue.js';
import {
  practiceView, refreshOutput, renderAll, renderCharts, renderLoss, renderStageViews, showOutputTools, updateButtons,
} from './render.js';
import { followSession, newSession } from './session.js';
import { clone, fromHash } from './state.js';
import { setDrawing, setHeatLayer, setHide, setOptions, setPractice, store } from './store.js';
import { initControls } from './views/controls.js';
import { initCsv, tableConfig } from './views/csv.js';
import { initDownloads } from './views/downloads.js';
import { initSettingsFold } from './views/fold.js';
import { onePerTap } from './views/draw.js';
import { initParamEditor } from './views/editor.js';
import { initLessons, redrawLesson } from './views/lessons.js';
import { networkMessage } from './views/network.js';
import { outputMode } from './views/output.js';
import { message } from './views/plot.js';
import { initPractice } from './views/practice.js';
import { initPicker } from './views/picker.js';
import { initThemeToggle, onThemeChange } from './theme.js';

const $ = (id) => document.getElementById(id);
const next = () => nextStage(step);
/** A preset of the server's (GET /api/options -> presets), as a config of the page's own to change. */
const preset = (name) => clone(store.options.presets[name].config);

/** Practice mode from a link (`&practice=1`). */
function showPractice(on) {
  setPractice(on);
  $('practice-toggle').checked = on;
}

function wire() {
  // In practice mode a Step waits at its first stage for the learner (no animation).
  $('btn-step').addEventListener('click', () => step($('stage-animate').checked && !store.practice));
  $('practice-toggle').addEventListener('change', (e) => {
    setPractice(e.target.checked);
    renderStageViews();
    updateButtons();
  });
  initPractice($('trace-body'), practiceView, () => {
    renderStageViews();
    updateButtons();
  });
  $('btn-epoch').addEventListener('click', epoch);
  $('btn-play').addEventListener('click', togglePlay);
  $('btn-reset').addEventListener('click', reset);
  $('btn-gradcheck').addEventListener('click', gradcheck);
  $('btn-worked').addEventListener('click', () => applyConfig(preset('worked-example')));
  $('btn-help').addEventListener('click', () => $('help').showModal());
  $('btn-undo').addEventListener('click', undo);
  initThemeToggle($('btn-theme'));
  initSettingsFold($('btn-settings'), $('controls'));
  // A new theme: every chart drawn again in its colours (the page's CSS follows by itself).
  onThemeChange(() => run(async () => {
    if (!store.session) return;
    renderAll();
    await refreshOutput();
    await redrawLesson();
  }));
  initDownloads(() => store.session?.id ?? null, showError);
  initCsv({ run, train: (table) => newSession(tableConfig(store.session.config, table)) });
  const redrawOutput = () => run(refreshOutput);
  $('show-test').addEventListener('change', redrawOutput);
  $('discretize').addEventListener('change', redrawOutput);
  $('btn-draw').addEventListener('click', () => {
    setDrawing(!store.drawing);
    showOutputTools(outputMode(store.session));
  });
  $('output-chart').addEventListener('click', onePerTap(drawClick));
  $('draw-clear').addEventListener('click', clearDrawing);
  initLessons({ run, open: openLessonSession });
  initCompare();
  initInside({ run });
  $('banner-close').addEventListener('click', clearBanner);
  $('stage-next').addEventListener('click', next);
  $('stage-prev').addEventListener('click', prevStage);
  $('stage-pills').addEventListener('click', (e) => {
    const pill = e.target.closest('button[data-index]');
    if (pill) goToStage(Number(pill.dataset.index));
  });
  $('loss-log').addEventListener('change', () => renderLoss());
  $('heatmap-layer').addEventListener('change', (e) => {
    setHeatLayer(Number(e.target.value));
    renderCharts();
  });
  document.addEventListener('keydown', (e) => {
    const t = e.target;
    const typing = t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement
      || (t instanceof HTMLInputElement && !['checkbox', 'radio', 'button'].includes(t.type));
    if (typing || e.altKey || e.ctrlKey || e.metaKey || $('help').open) return;
    // Space on a focused control presses that control (a keyboard user's Enter and Space), not Play.
    const pressable = t instanceof Element && t.closest('button, a, summary, input, label, [role="menuitem"]');
    if (e.key === ' ' && !pressable) {
      e.preventDefault();
      togglePlay();
    } else if (e.key === 'ArrowRight') {
      e.preventDefault();
      next();
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      prevStage();
    }
  });
  window.addEventListener('hashchange', () => {
    if (window.location.hash === store.hash) return;
    const { config, progress, hide, practice } = fromHash(window.location.hash);
    setHide(hide);
    applyHide(hide);
    showPractice(practice);
    if (config) applyConfig(config, progress);
  });
  window.addEventListener('pagehide', () => {
    if (store.session && store.owned) api.deleteSession(store.session.id, { keepalive: true }).catch(() => {});
    if (store.compare) api.deleteSession(store.compare.session.id, { keepalive: true }).catch(() => {});
  });
}

async function start() {
  document.body.dataset.busy = '1';
  setPause(stopPlay);
  wire();
  await run(async () => {
    setOptions(await api.options());
    $('preset-hint').textContent = `${store.options.presets['worked-example'].description}; then press Step.`;
    initControls(store.options, {
      onChange: (config) => (store.compare ? changeB(config)
        : store.playing && onlyLearningRateDiffers(store.session.config, config)
          ? changeRate(config) : applyConfig(config)),
      onPreset: () => applyConfig(preset('worked-example')),
      onError: (text) => banner(text),
    });
    const { config, progress, hide, practice, session } = fromHash(window.location.hash);
    setHide(hide);
    showPractice(practice);
    const unknown = applyHide(hide);
    try {
      if (session) await followSession(session, openLessonSession);
      else await newSession(config || store.options.defaults, progress);
    } catch (err) {
      if (!config) throw err;
      // A link the server refuses: say why, and start from the defaults instead.
      showError(err);
      const text = $('banner-text').textContent;
      await newSession(store.options.defaults);
      banner(`This link's configuration was refused; showing the defaults. ${text}`);
    }
    if (unknown.length) banner(`This link hides controls the page does not have: ${unknown.join(', ')} (see ? for the names).`, 'diverged');
    if (store.session) {
      const editor = initParamEditor($('network'), { params: () => store.params, apply: editParam });
      const panel = $('network').closest('.panel');
      initPicker({
        layers: () => store.session.config.model.layers,
        batchNorm: () => !!store.session.config.model.batch_norm,
        // The editor opens under the panel's header; the focus comes back to the picker after.
        open: (edit) => editor.open(edit, 12, panel.querySelector('header').offsetHeight + 8, $('param-pick').querySelector('summary')),
      });
    }
  });
  if (!store.session) {
    networkMessage($('network'), 'no session: see the message above');
    for (const id of ['loss-chart', 'grad-norm-chart', 'output-chart']) message($(id), 'no session: see the message above');
  }
}

start();
