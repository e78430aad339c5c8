// How the weights and gradients spread, the way TensorBoard's distributions show it: per layer and
// epoch, bands between the server's quantiles (GET .../distributions): the outer band from the
// minimum to the maximum, then ±1.5, ±1 and ±0.5 standard deviations' worth, and the median.
import { axis, draw, layout, message } from './plot.js';

const BANDS = [[0, 8, 0.16], [1, 7, 0.26], [2, 6, 0.38], [3, 5, 0.52]]; // [lower, upper, opacity] by quantile place
const TITLES = { W: 'W[l] after each epoch', dW: "dW[l] of each epoch's last step", a: "a[l] over each epoch's last minibatch" };
const COLOR = { W: '29, 95, 191', dW: '217, 72, 15', a: '47, 158, 68' };

/**
 * Draw one layer's and one quantity's distribution over the epochs.
 * @param {HTMLElement} el
 * @param {{percentiles: number[], epochs: number[], layers: {W, dW, a}[]}} d
 * @param {number} layer
 * @param {'W'|'dW'|'a'} kind
 */
export function renderDistributions(el, d, layer, kind) {
  const rows = d?.layers?.[layer]?.[kind];
  if (!rows || !d.epochs.length) {
    message(el, 'train an epoch: the spread of W, dW and a is recorded after each one');
    return;
  }
  const x = d.epochs;
  const q = (k) => rows.map((r) => r[k]);
  const rgb = COLOR[kind];
  const traces = [];
  for (const [lo, hi, opacity] of BANDS) {
    traces.push({ x, y: q(lo), type: 'scatter', mode: 'lines', line: { width: 0 }, hoverinfo: 'skip', showlegend: false });
    traces.push({
      x, y: q(hi), type: 'scatter', mode: 'lines', line: { width: 0 }, fill: 'tonexty',
      fillcolor: `rgba(${rgb}, ${opacity})`, showlegend: false,
      name: `${d.percentiles[lo]}–${d.percentiles[hi]} %`, hoverinfo: 'skip',
    });
  }
  traces.push({ x, y: q(4), type: 'scatter', mode: 'lines', line: { width: 2, color: `rgb(${rgb})` }, name: 'median', showlegend: false,
    hovertemplate: 'epoch %{x}<br>median %{y:.4g}<extra></extra>' });
  draw(el, traces, layout({
    margin: { l: 64, r: 16, t: 28, b: 44 },
    title: { text: `${TITLES[kind].replace('[l]', `[${layer}]`)} · bands: min–max, ±1.5σ, ±1σ, ±0.5σ`, font: { size: 13 }, x: 0.01 },
    xaxis: axis('epoch'), yaxis: axis(kind),
  }));
}
