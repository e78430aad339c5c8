// Heatmaps of W[l] and dW[l] for one layer: rows are the layer's neurons (out), columns its inputs (in).
import { fmt, isSummary } from '../format.js';
import { COLORS, DIVERGING, axis, draw, layout, message } from './plot.js';

function heatmap(el, M, title, emptyText) {
  if (!M) return message(el, emptyText);
  if (isSummary(M)) {
    return message(el, `${title}: ${M.shape.join('×')} is too large to draw here<br>min ${fmt(M.min, 4)} · max ${fmt(M.max, 4)} · norm ${fmt(M.norm, 4)}`);
  }
  const flat = M.flat();
  if (flat.every((v) => v === null)) return message(el, `${title} is NaN (diverged)`, COLORS.bad);
  const top = Math.max(...flat.map((v) => (v === null ? 0 : Math.abs(v)))) || 1;
  return draw(el, [{
    type: 'heatmap', z: M, colorscale: DIVERGING, zmin: -top, zmax: top, zmid: 0,
    hovertemplate: `${title.split(' ')[0]}[%{y}][%{x}] = %{z:.6g}<extra></extra>`,
    colorbar: { thickness: 14, len: 0.9, tickfont: { size: 12 }, exponentformat: 'power' },
    xgap: M[0].length <= 30 ? 1 : 0, ygap: M.length <= 30 ? 1 : 0,
  }], layout({
    margin: { l: 56, r: 10, t: 34, b: 44 },
    title: { text: title, font: { size: 15 }, x: 0.02, y: 0.97 },
    // Integer ticks: these are indices j (input) and i (neuron) of W[l][i][j].
    xaxis: axis('input j (in)', { showgrid: false, zeroline: false, dtick: M[0].length <= 16 ? 1 : undefined, tickformat: 'd' }),
    yaxis: axis('neuron i (out)', { autorange: 'reversed', showgrid: false, zeroline: false, dtick: M.length <= 16 ? 1 : undefined, tickformat: 'd' }),
  }));
}

/**
 * @param {{W: HTMLElement, dW: HTMLElement}} els
 * @param {number} l the layer
 * @param {{W, b}[]} params current parameters
 * @param {{dW}[]|null} grads gradients of the last Step (or a preview on the next minibatch)
 * @param {string} gradsLabel where the gradients come from
 */
export function renderHeatmaps(els, l, params, grads, gradsLabel) {
  const W = params?.[l]?.W;
  heatmap(els.W, W, `W[${l}] now`, 'no weights yet');
  heatmap(els.dW, grads?.[l]?.dW ?? null, `dW[${l}] ${gradsLabel}`, 'Press Step to see dW');
}
