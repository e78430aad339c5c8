// Per-epoch metrics beside the loss: accuracy for classification, RMSE and R² for regression
// (the server's history, train and test), and the learning rate each epoch ended with (schedules).
import { fmt } from '../format.js';
import { COLORS, axis, draw, layout, message } from './plot.js';

const epochsOf = (values) => values.map((_, i) => i + 1);
const known = (values) => Array.isArray(values) && values.some((v) => v !== null && v !== undefined);

/** Which metrics the history holds: 'accuracy', 'regression', or null (an older server: no metrics). */
export function metricsKind(history) {
  if (Array.isArray(history.train_accuracy)) return 'accuracy';
  if (Array.isArray(history.train_rmse)) return 'regression';
  return null;
}

function line(name, values, color, { dash = 'solid', symbol = 'circle', yaxis = 'y', scale = 1, digits = 4 } = {}) {
  const many = values.length > 60;
  return {
    type: 'scatter', mode: many ? 'lines' : 'lines+markers', name, x: epochsOf(values),
    y: values.map((v) => (v === null ? null : v * scale)), yaxis,
    line: { color, width: 3, dash }, marker: { size: 7, symbol },
    hovertemplate: `epoch %{x}<br>${name} %{y:.${digits}g}<extra></extra>`,
  };
}

/**
 * @param {HTMLElement} el
 * @param {object} history SessionState.history: train_accuracy/test_accuracy or train_rmse/test_rmse/train_r2/test_r2
 */
export function renderMetricsChart(el, history) {
  const kind = metricsKind(history);
  const n = (history.train_loss || []).length;
  if (!kind || !n) return message(el, 'No epochs yet:<br>accuracy (classification) or<br>RMSE and R² (regression) per epoch');
  if (kind === 'accuracy') {
    const data = [line('train accuracy', history.train_accuracy, COLORS.train, { scale: 100 })];
    if (known(history.test_accuracy)) data.push(line('test accuracy', history.test_accuracy, COLORS.test, { dash: 'dash', symbol: 'square', scale: 100 }));
    return draw(el, data, layout({
      xaxis: axis('epoch', { rangemode: 'tozero' }),
      yaxis: axis('accuracy (%)', { range: [0, 101] }),
      margin: { l: 64, r: 16, t: 36, b: 48 },
    }));
  }
  const data = [line('train RMSE', history.train_rmse, COLORS.train)];
  if (known(history.test_rmse)) data.push(line('test RMSE', history.test_rmse, COLORS.test, { dash: 'dash', symbol: 'square' }));
  data.push(line('train R²', history.train_r2, COLORS.second, { yaxis: 'y2', dash: 'dot', symbol: 'diamond' }));
  if (known(history.test_r2)) data.push(line('test R²', history.test_r2, COLORS.third, { yaxis: 'y2', dash: 'dashdot', symbol: 'triangle-up' }));
  return draw(el, data, layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis('RMSE (scaled)', { rangemode: 'tozero' }),
    yaxis2: axis('R²', { overlaying: 'y', side: 'right', range: [Math.min(0, ...history.train_r2.filter((v) => v !== null)), 1.02], showgrid: false, tickformat: '.2f', nticks: 6 }),
    margin: { l: 64, r: 56, t: 36, b: 48 },
  }));
}

/** The last epoch's metrics, for the chart's header. */
export function metricsCaption(history) {
  const kind = metricsKind(history);
  const last = (key) => {
    const v = history[key];
    return Array.isArray(v) && v.length ? v[v.length - 1] : null;
  };
  if (kind === 'accuracy') {
    const test = last('test_accuracy');
    return last('train_accuracy') === null ? '' : `train ${fmt(last('train_accuracy') * 100, 4)}%${test === null ? '' : `, test ${fmt(test * 100, 4)}%`}`;
  }
  if (kind === 'regression') {
    const r2 = last('test_r2') ?? last('train_r2');
    return r2 === null ? '' : `${last('test_r2') === null ? 'train' : 'test'} R² ${fmt(r2, 4)}, RMSE ${fmt(last('test_rmse') ?? last('train_rmse'), 4)}`;
  }
  return '';
}

/**
 * The learning rate in force at the end of each epoch (a step-decay staircase, an inverse-scaling curve).
 * @param {HTMLElement} el
 * @param {(number|null)[]} rates history.learning_rate
 */
export function renderLearningRateChart(el, rates) {
  if (!rates || !rates.length) return message(el, 'No epochs yet:<br>the learning rate of each epoch<br>(see Schedule in the sidebar)');
  return draw(el, [{
    type: 'scatter', mode: rates.length > 60 ? 'lines' : 'lines+markers', name: 'learning rate', x: epochsOf(rates), y: rates,
    line: { color: COLORS.ink, width: 3, shape: 'hv' }, marker: { size: 6 },
    hovertemplate: 'epoch %{x}<br>η %{y:.4g}<extra></extra>',
  }], layout({
    xaxis: axis('epoch', { rangemode: 'tozero' }),
    yaxis: axis('η', { rangemode: 'tozero', exponentformat: 'power' }),
    margin: { l: 64, r: 16, t: 16, b: 48 },
  }));
}
