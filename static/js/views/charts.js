// Per-epoch charts: train/test loss, and each layer's gradient norm (the vanishing-gradient view).
import { fmt } from '../format.js';
import { COLORS, DASHES, SERIES, SYMBOLS, axis, draw, layout, message, note } from './plot.js';

const epochsOf = (values) => values.map((_, i) => i + 1);
const firstBad = (values) => values.findIndex((v) => v === null);

/**
 * @param {HTMLElement} el
 * @param {{train_loss: (number|null)[], test_loss: (number|null)[]}} history
 * @param {boolean} logScale
 */
export function renderLossChart(el, history, logScale) {
  const train = history.train_loss || [];
  const test = history.test_loss || [];
  if (!train.length) return message(el, 'No epochs yet:<br>press Epoch or Play');
  const data = [{
    type: 'scatter', mode: train.length > 60 ? 'lines' : 'lines+markers', name: 'train', x: epochsOf(train), y: train,
    line: { color: COLORS.train, width: 3 }, marker: { size: 6, symbol: 'circle' }, hovertemplate: 'epoch %{x}<br>train loss %{y:.6g}<extra></extra>',
  }];
  if (test.some((v) => v !== null)) {
    data.push({
      type: 'scatter', mode: test.length > 60 ? 'lines' : 'lines+markers', name: 'test', x: epochsOf(test), y: test,
      line: { color: COLORS.test, width: 3, dash: 'dash' }, marker: { size: 7, symbol: 'square' }, hovertemplate: 'epoch %{x}<br>test loss %{y:.6g}<extra></extra>',
    });
  }
  const bad = firstBad(train);
  const annotations = bad >= 0 ? [note(`NaN (diverged) from epoch ${bad + 1}`)] : [];
  if (bad === 0) {
    // Nothing finite to draw: say so in the middle instead of a blank plot.
    return message(el, 'loss is NaN (diverged)<br>from epoch 1: lower the<br>learning rate, press Reset', COLORS.bad);
  }
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis(`loss${logScale ? ' (log)' : ''}`, { type: logScale ? 'log' : 'linear', exponentformat: 'power', rangemode: logScale ? 'normal' : 'tozero' }),
    annotations,
    margin: { l: 64, r: 16, t: 36, b: 48 },
  }));
}

/** The last epoch's losses, for the chart's header. */
export function lossCaption(history) {
  const train = history.train_loss || [];
  const test = history.test_loss || [];
  if (!train.length) return '';
  const last = test.length && test[test.length - 1] !== null ? `, test ${fmt(test[test.length - 1], 4)}` : '';
  return `epoch ${train.length}: train ${fmt(train[train.length - 1], 4)}${last}`;
}

/**
 * @param {HTMLElement} el
 * @param {(number|null)[][]} gradNorms one row per epoch, one value per layer
 */
export function renderGradNormChart(el, gradNorms) {
  if (!gradNorms || !gradNorms.length) return message(el, 'No epochs yet:<br>the mean ‖dW[l]‖ of every<br>epoch, per layer, goes here');
  const L = gradNorms[0].length;
  const x = epochsOf(gradNorms);
  const data = [];
  for (let l = 0; l < L; l += 1) {
    data.push({
      type: 'scatter', mode: gradNorms.length > 60 ? 'lines' : 'lines+markers', name: `layer ${l}`, x,
      y: gradNorms.map((row) => row[l]),
      // Each layer its own colour, dash and marker: told apart without colour too.
      line: { width: 2.5, color: SERIES[l % SERIES.length], dash: DASHES[l % DASHES.length] },
      marker: { size: 6, symbol: SYMBOLS[l % SYMBOLS.length] },
      hovertemplate: `epoch %{x}<br>‖dW[${l}]‖ %{y:.4g}<extra></extra>`,
    });
  }
  const bad = gradNorms.findIndex((row) => row.some((v) => v === null));
  if (bad === 0) return message(el, 'gradient norms are<br>NaN (diverged) from epoch 1', COLORS.bad);
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis('‖dW[l]‖ (log)', { type: 'log', exponentformat: 'power' }),
    annotations: bad > 0 ? [note(`NaN (diverged) from epoch ${bad + 1}`)] : [],
    margin: { l: 64, r: 16, t: 36, b: 48 },
  }));
}
