// What a screen reader hears of the charts and the live numbers. Each chart is role="img" with
// its title as aria-label and a one-sentence summary of what it shows now (aria-describedby,
// #<chart>-summary), rewritten after every redraw. The status numbers are spoken through one
// polite live region (#live-status) after a Step, an Epoch, an edit or a pause, never on every
// frame of Play: while Play runs it says "playing" once.
import { fmt, isSummary } from '../format.js';
import { stagesOf } from '../stages.js';
import { store } from '../store.js';

const $ = (id) => document.getElementById(id);
const last = (values) => (Array.isArray(values) && values.length ? values[values.length - 1] : undefined);
const num = (v) => (v === null ? 'NaN (diverged)' : fmt(v, 4));

function say(id, text) {
  const el = $(`${id}-summary`);
  if (el && el.textContent !== text) el.textContent = text;
}

function lossSentence(h) {
  const train = h.train_loss || [];
  if (!train.length) return 'No epochs yet: press Epoch or Play to draw the train and test loss per epoch.';
  const test = last(h.test_loss);
  const testPart = test === undefined ? '' : `; test loss ${num(test)} (dashed line, square markers)`;
  return `Train loss over ${train.length} epoch${train.length > 1 ? 's' : ''} (solid line, round markers): `
    + `${num(train[0])} after epoch 1, ${num(last(train))} now${testPart}.`;
}

function gradSentence(h) {
  const rows = h.grad_norms || [];
  if (!rows.length) return 'No epochs yet: the mean gradient norm of each layer per epoch goes here.';
  const now = last(rows).map((v, l) => `layer ${l} ${num(v)}`).join(', ');
  return `Mean gradient norm per layer over ${rows.length} epochs, on a log scale, each layer its own line style; now ${now}.`;
}

function networkSentence() {
  const m = store.session.config.model;
  const signs = { pos: 0, neg: 0 };
  for (const p of store.params || []) {
    if (!Array.isArray(p.W) || isSummary(p.W)) continue;
    for (const v of p.W.flat()) if (v !== null) signs[v >= 0 ? 'pos' : 'neg'] += 1;
  }
  const stage = store.trace ? stagesOf(store.trace)[store.stageIndex] : null;
  const showing = stage ? `the ${stage.label} stage of the last Step` : 'the weights';
  return `A ${m.layers.join('-')} network (${[...new Set(store.session.hidden_activations)].join(', ') || 'no'} hidden, ${m.output_activation} output) showing ${showing}: `
    + `${signs.pos} positive weights (solid blue links) and ${signs.neg} negative (dashed orange links), the width the size.`;
}

function heatSentence(which) {
  const l = store.heatLayer;
  const M = which === 'W' ? store.params?.[l]?.W : store.grads?.[l]?.dW;
  if (!M) return which === 'W' ? 'No weights yet.' : 'No gradients yet: press Step to see dW.';
  if (isSummary(M)) return `${which}[${l}] is ${M.shape.join(' by ')}, too large to draw: min ${num(M.min)}, max ${num(M.max)}.`;
  const flat = M.flat().filter((v) => v !== null);
  if (!flat.length) return `${which}[${l}] is NaN (diverged).`;
  return `${which}[${l}] as a ${M.length} by ${M[0].length} grid (rows neurons, columns inputs): `
    + `from ${num(Math.min(...flat))} to ${num(Math.max(...flat))}, orange negative, blue positive.`;
}

function outputSentence() {
  const title = $('output-title').textContent;
  const metric = $('output-metric').textContent;
  const points = title === 'Decision boundary'
    ? ' Train points are filled, test points hollow; each class has its own marker shape.'
    : '';
  return `${title} of the network now${metric ? `: ${metric}` : ''}.${points}`;
}

const PLAY_EVERY_MS = 1000; // during Play the summaries follow once a second, not every frame
let described = -Infinity;

/** Rewrite every chart's summary from what is on screen. */
export function describeCharts() {
  if (!store.session) return;
  const now = performance.now();
  if (store.playing && now - described < PLAY_EVERY_MS) return;
  described = now;
  const h = store.history;
  say('loss-chart', lossSentence(h));
  say('grad-norm-chart', gradSentence(h));
  say('network', networkSentence());
  say('w-heatmap', heatSentence('W'));
  say('dw-heatmap', heatSentence('dW'));
  say('output-chart', outputSentence());
  const metrics = $('metrics-last')?.textContent;
  say('metrics-chart', metrics ? `Metrics per epoch, train solid and test dashed; last epoch ${metrics}.` : 'No epochs yet.');
  const rate = $('lr-last')?.textContent;
  say('lr-chart', rate ? `The learning rate of each epoch; ${rate}.` : 'No epochs yet.');
  const W0 = store.params?.[0]?.W;
  say('first-layer-chart', Array.isArray(W0) ? `Each of the first ${Math.min(16, W0.length)} hidden neurons' weights W[0] as an image, orange negative, blue positive.` : '');
}

/** The sentence of the live region: the status numbers, or "playing" while Play runs. */
function statusSentence() {
  const s = store.session;
  if (store.playing) return 'Playing: training epoch after epoch. Press Space or Pause to stop.';
  const parts = [`Epoch ${s.epoch}`, `step ${s.step}`];
  const loss = $('loss-value').textContent;
  if (loss !== '–') parts.push(`${$('loss-label').textContent.toLowerCase()} ${loss}`);
  const test = $('test-loss-value').textContent;
  if (test !== '–') parts.push(`test loss ${test}`);
  const metric = $('metric-value').textContent;
  if (metric !== '–') parts.push(`${$('metric-label').textContent} ${metric}`);
  if (s.stopped) parts.push(`stopped early at epoch ${s.stopped_epoch}`);
  return `${parts.join(', ')}.`;
}

const SETTLE_MS = 400; // the numbers of one action arrive in a few redraws: speak once they settle
let pending = 0;
let scheduled = null; // the sentence the pending timer is waiting to say

/** Update the live region once the status has settled, when what it says has changed. A call
 * with the sentence already waiting leaves its timer alone: Play calls this on every frame with
 * the same "playing" sentence, which must still be said once. */
export function announceStatus() {
  if (!store.session) return;
  const text = statusSentence();
  if (text === scheduled) return;
  window.clearTimeout(pending);
  scheduled = text;
  pending = window.setTimeout(() => {
    scheduled = null;
    const el = $('live-status');
    const now = store.session ? statusSentence() : text;
    if (el.textContent !== now) el.textContent = now;
  }, SETTLE_MS);
}
