// Gradient-check results: backprop's dW and db against central differences, per layer.
import { fmt } from '../format.js';

/**
 * @param {HTMLElement} el
 * @param {{max_rel_error: number|null, passed: boolean, layers: {W_rel_error, b_rel_error}[],
 *          tolerance?: number, eps?: number, indices?: number[]}} result
 * @param {number[]} layers the layer sizes, to name each weight layer
 */
export function renderGradcheck(el, result, layers) {
  const tol = result.tolerance;
  const mark = (e) => (tol === undefined ? '' : e !== null && e <= tol ? ' ✓' : ' ✗');
  // Batch norm adds gamma and beta to the hidden layers.
  const bn = result.layers.some((r) => r.gamma_rel_error !== undefined && r.gamma_rel_error !== null);
  const cell = (e) => (e === undefined || e === null ? '<td>—</td>' : `<td>${fmt(e, 3)}${mark(e)}</td>`);
  const rows = result.layers.map((r, l) => `
    <tr><td>layer ${l}: W[${l}] ${layers[l + 1]}×${layers[l]}, b[${l}]</td>
        <td>${fmt(r.W_rel_error, 3)}${mark(r.W_rel_error)}</td><td>${fmt(r.b_rel_error, 3)}${mark(r.b_rel_error)}</td>${bn ? cell(r.gamma_rel_error) + cell(r.beta_rel_error) : ''}</tr>`).join('');
  const settings = [result.eps !== undefined ? `ε = ${fmt(result.eps)}` : '', tol !== undefined ? `pass when ≤ ${fmt(tol)}` : '',
    result.indices ? `on ${result.indices.length} training sample${result.indices.length === 1 ? '' : 's'}` : ''].filter(Boolean).join(', ');
  const verdict = result.passed
    ? `<p class="verdict pass">✓ passed: backprop agrees with the numerical gradient (largest relative error ${fmt(result.max_rel_error, 3)})</p>`
    : `<p class="verdict fail">✗ failed: largest relative error ${fmt(result.max_rel_error, 3)}${result.max_rel_error === null ? ' (NaN: diverged)' : ''}</p>`;
  el.innerHTML = `${verdict}
    <table class="gradcheck">
      <thead><tr><th>weight layer</th><th>W relative error</th><th>b relative error</th>${bn ? '<th>γ relative error</th><th>β relative error</th>' : ''}</tr></thead>
      <tbody>${rows}</tbody>
    </table>
    <p class="hint">relative error = ‖g_backprop − g_numeric‖ / (‖g_backprop‖ + ‖g_numeric‖) at the current weights${settings ? `; ${settings}` : ''}.</p>`;
}
