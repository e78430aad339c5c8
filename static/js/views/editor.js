// Click a link (a weight W[l][i][j]) or a neuron (its bias b[l][i]) in the network diagram to
// type a new value: a small form opens beside the click; Enter applies it through the API
// (PATCH .../params), Escape or ✕ closes it. TF Playground #35, #198.
import { fmt, isSummary } from '../format.js';

const $ = (id) => document.getElementById(id);

/**
 * What a click on the diagram edits, from what was clicked (the diagram's "diagram-click" detail).
 * Links carry [l, i, j] (W[l] is out × in: i the neuron it feeds, j the one it comes from);
 * neurons carry [k, i], and neuron i of node layer k > 0 owns b[k − 1][i].
 * @param {{kind: 'link'|'neuron', ids: number[]}} target
 * @returns {{layer: number, name: 'W'|'b', index: number[]}|null}
 */
export function editOf(target) {
  const ids = target?.ids;
  if (!Array.isArray(ids)) return null;
  if (target.kind === 'link') return { layer: ids[0], name: 'W', index: [ids[1], ids[2]] };
  if (target.kind === 'neuron' && ids[0] > 0) return { layer: ids[0] - 1, name: 'b', index: [ids[1]] };
  return null;
}

function valueOf(params, { layer, name, index }) {
  const M = params?.[layer]?.[name];
  if (!Array.isArray(M) || isSummary(M)) return null;
  return name === 'W' ? M[index[0]][index[1]] : M[index[0]];
}

/**
 * Wire the editor to the diagram.
 * @param {HTMLElement} diagram the network diagram's element (views/network.js)
 * @param {{params: () => object[], apply: (edit: object) => Promise<unknown>}} hooks
 *   `params()` the parameters on screen; `apply({layer, name, index, value})` sends the edit
 * @returns {{open: (edit: object, x: number, y: number, from?: HTMLElement) => void}} opens the form without a click
 */
export function initParamEditor(diagram, { params, apply }) {
  const form = $('param-editor');
  const input = $('param-value');
  let edit = null;
  let returnTo = null; // where the keyboard goes back to when the form closes
  const close = () => {
    form.hidden = true;
    edit = null;
    if (returnTo && document.contains(returnTo)) returnTo.focus();
    returnTo = null;
  };
  /** Open the form on `next` at (x, y) in the panel's pixels; `from` gets the focus back. */
  const open = (next, x, y, from = null) => {
    edit = next;
    returnTo = from;
    const label = next.name === 'W' ? `W[${next.layer}][${next.index[0]}][${next.index[1]}]` : `${next.name}[${next.layer}][${next.index[0]}]`;
    $('param-name').textContent = `${label} =`;
    const v = valueOf(params(), next);
    input.value = v === null ? '' : String(v);
    input.title = v === null ? '' : `now ${fmt(v)}`;
    const panel = form.offsetParent || form.parentElement;
    const box = panel.getBoundingClientRect();
    form.style.left = `${Math.max(4, Math.min(x, box.width - 260))}px`;
    form.style.top = `${Math.max(40, y)}px`;
    form.dataset.edit = label;
    form.hidden = false;
    input.focus();
    input.select();
  };
  diagram.addEventListener('diagram-click', (ev) => {
    const next = editOf(ev.detail);
    if (!next) return;
    // Beside the click (or the tap), inside the panel.
    const box = (form.offsetParent || form.parentElement).getBoundingClientRect();
    open(next, ev.detail.clientX - box.left + 12, ev.detail.clientY - box.top - 18);
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const value = Number(input.value);
    if (!edit || input.value.trim() === '' || !Number.isFinite(value)) return;
    const what = edit;
    close();
    apply({ ...what, value });
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      close();
    }
  });
  $('param-cancel').addEventListener('click', close);
  return { open };
}
