// Where one gradient comes from: the chain rule of one weight W[l][i][j] with the real numbers of
// the last Step (GET .../chain: the server lays out every term; this view only writes them), and
// for small networks one sample's computational graph, as micrograd's draw_dot shows it.
import { esc, fmt } from '../format.js';
import { COLORS } from './plot.js';

const SHOWN = 4;      // terms of a long sum written out before the fold
const BOX = 128;      // a graph node's width, px
const COL = 168;      // a graph column's width, px

const n = (x) => esc(fmt(x, 4));

/** A sum of terms, the long ones folded: the first SHOWN, "…", the last, and every term under a <details>. */
function folded(parts, folds) {
  if (parts.length <= SHOWN + 2 && !folds) return parts.join(' + ');
  const head = parts.slice(0, SHOWN).join(' + ');
  const rest = folds ? ` + (${folds.count} more terms: ${n(folds.sum)})` : '';
  return `${head} + … + ${parts[parts.length - 1]}${rest}`
    + `<details class="all-terms"><summary>all ${parts.length} terms</summary>${parts.join(' + ')}</details>`;
}

/** The loss's own output delta with the numbers put into its formula. */
function outputDelta(d, l, i) {
  const values = { yhat: d.yhat, p: d.yhat, y: d.y, m: d.m };
  const put = d.formula.replace(/\b(yhat|p|y|m)\b/g, (name) => (name === 'm' ? String(d.m) : n(values[name])));
  return `delta[${l}][${d.sample}][${i}] = ${esc(d.formula)} = ${put} = <b>${n(d.value)}</b>`;
}

/** How a hidden delta was made, stage by stage, with the terms the server named. */
function hiddenDelta(d, l, i) {
  const parts = d.terms.map((t) => `${n(t.delta)} * ${n(t.W)}`);
  const plain = d.along_skip === null && d.mask_factor === null && !d.batch_norm;
  if (plain) {
    const summed = parts.length > 1 ? ` = (${n(d.sum)}) * ${n(d.act_prime)}` : '';
    return `delta[${l}][${d.sample}][${i}] = (${folded(parts, null)}) * ${n(d.act_prime)}${summed} = <b>${n(d.value)}</b>`;
  }
  // dObjective/da: along W (the sum above), plus along the skip when a layer above adds a[l].
  let g = `(${folded(parts, null)})`;
  if (d.along_skip !== null) {
    g = `(<span data-term="along-W">along W: ${g} = ${n(d.along_W)}</span> + `
      + `<span data-term="along-skip">along the skip: ${n(d.along_skip)}</span>)`;
  }
  const mask = d.mask_factor === null ? ''
    : ` * <span data-term="mask">${d.dropped ? 'mask 0 (dropped: no gradient goes on through it)' : `mask 1/(1-p) = ${n(d.mask_factor)}`}</span>`;
  const du = `${g}${mask} * ${n(d.act_prime)}`;
  const bn = d.batch_norm;
  if (!bn) return `delta[${l}][${d.sample}][${i}] = ${du} = <b>${n(d.value)}</b>`;
  return `du = ${du} = ${n(d.du)}; dz_hat = gamma * du = ${n(bn.dz_hat)}; `
    + `delta[${l}][${d.sample}][${i}] = <span data-term="direct">direct ${n(bn.direct)}</span> `
    + `+ <span data-term="mean">batch mean ${n(bn.mean_term)}</span> + <span data-term="var">batch variance ${n(bn.var_term)}</span>`
    + ` = <b>${n(d.value)}</b>`
    + ` (z_hat ${n(bn.z_hat)})`;
}

/** The formula of a hidden delta with the remedies in force at this layer. */
function hiddenFormula(c, l, i) {
  const r = c.remedies;
  let g = `sum_k delta[${l + 1}][s][k] * W[${l + 1}][k][${i}]`;
  if (r.skip_in) g = `(${g}) + dL/da[${l + 1}][s][${i}] (along the skip)`;
  const mask = r.dropout ? ` * mask[s][${i}] / (1 - ${n(r.dropout)})` : '';
  if (!r.batch_norm) return `(${g})${mask} * act'(z[${l}][s][${i}])`;
  return `du = (${g})${mask} * act'(u[${l}][s][${i}]), dz_hat = gamma * du; `
    + 'delta = inv_std * dz_hat (direct) - inv_std * mean_s(dz_hat) (the batch mean\'s term) '
    + '- inv_std * z_hat * mean_s(dz_hat * z_hat) (the batch variance\'s term)';
}

/** Batch norm's numbers of the unit, and dgamma and dbeta beside dW. */
function batchNorm(c, l, i) {
  const b = c.batch_norm;
  if (!b) return '';
  const stats = b.batch_stats ? `the batch's mean ${n(b.mean)} and variance ${n(b.var)}`
    : `the running mean ${n(b.mean)} and variance ${n(b.var)} (constants)`;
  return `<p class="eq" data-testid="chain-bn">Batch norm of unit ${i}: gamma[${l}][${i}] = ${n(b.gamma)}, `
    + `${stats}, inv_std = 1/sqrt(var + eps) = ${n(b.inv_std)}; mean_s(dz_hat) = ${n(b.mean_dz_hat)}, `
    + `mean_s(dz_hat * z_hat) = ${n(b.mean_dz_hat_z_hat)}. Beside dW: dgamma[${l}][${i}] = sum_s du * z_hat = `
    + `<b>${n(b.dgamma)}</b>, dbeta[${l}][${i}] = sum_s du = <b>${n(b.dbeta)}</b>; db[${l}][${i}] = 0 (the batch mean cancels b).</p>`;
}

/**
 * Write the chain rule of one weight into `el`.
 * @param {HTMLElement} el
 * @param {object} c the GET .../chain answer
 */
export function renderChain(el, c) {
  const { layer: l, out: i, in: j } = c;
  const prev = l === 0 ? 'X' : `a[${l - 1}]`;
  const products = c.terms.map((t) => `${n(t.delta)} * ${n(t.a)}`);
  // The penalties' terms as the server gives them: l2 * W, and l1 * sign(W) with the sign it took.
  const l2 = c.l2_term === null ? '' : ` + ${n(c.l2)} * ${n(c.W)}`;
  const l1 = c.l1_term === null ? '' : ` + ${n(c.l1)} * ${n(c.sign)}`;
  const dW = `<p class="hint">dW[${l}][${i}][${j}] = sum over the minibatch of delta[${l}][s][${i}] * ${prev}[s][${j}]`
    + `${c.l2_term === null ? '' : ` + l2 * W[${l}][${i}][${j}]`}`
    + `${l1 ? ` + l1 * sign(W[${l}][${i}][${j}])` : ''}:</p>`
    + `<p class="eq" data-testid="chain-dw">dW[${l}][${i}][${j}] = <b>${n(c.dW)}</b> = ${folded(products, c.folded)}${l2}${l1}</p>`;
  const many = c.deltas.length > SHOWN;
  const deltas = c.deltas.map((d) => `<li class="eq">${d.kind === 'output' ? outputDelta(d, l, i) : hiddenDelta(d, l, i)}</li>`);
  const output = c.deltas[0]?.kind === 'output';
  const how = `<p class="hint">How each delta[${l}][s][${i}] was made: ${output ? 'from the loss'
    : hiddenFormula(c, l, i)}:</p>`
    + (many ? `<ol class="deltas" data-testid="chain-deltas">${deltas.slice(0, SHOWN).join('')}</ol>`
      + `<details class="all-terms"><summary>all ${deltas.length} samples</summary><ol start="${SHOWN + 1}">${deltas.slice(SHOWN).join('')}</ol></details>`
      : `<ol class="deltas" data-testid="chain-deltas">${deltas.join('')}</ol>`);
  el.innerHTML = `${dW}${batchNorm(c, l, i)}${how}<p class="hint">Step ${c.step}, minibatch of ${c.m}; W is the weights that pass used.</p>`;
}

/**
 * One sample's computational graph as SVG: columns x, z[0], a[0], ..., z[L-1], loss; each node with
 * its value and gradient, each edge with its local derivative; the selected weight's path in colour.
 * @param {HTMLElement} el
 * @param {{nodes: object[], edges: object[], sample: number}} graph
 * @param {number[]} selected [l, i, j]
 */
export function renderGraph(el, graph, selected) {
  if (!graph) {
    el.innerHTML = '<p class="hint">The computational graph is drawn for networks of at most 40 neurons.</p>';
    return;
  }
  const columns = new Map(); // column -> node ids
  // A column per stage a hidden layer has: z, batch norm's u, f(u) before dropout, a.
  const stages = ['z', 'u', 'f', 'a'].filter((k) => graph.nodes.some((node) => node.kind === k));
  const col = (node) => (node.kind === 'x' ? 0 : node.kind === 'loss' ? 2 + (node.layer - 1) * stages.length
    : 1 + node.layer * stages.length + stages.indexOf(node.kind));
  for (const node of graph.nodes) {
    const c = col(node);
    if (!columns.has(c)) columns.set(c, []);
    columns.get(c).push(node);
  }
  const nCols = Math.max(...columns.keys()) + 1;
  const rows = Math.max(...[...columns.values()].map((v) => v.length));
  const W = COL * nCols;
  const H = Math.max(120, 62 * rows + 20);
  const place = new Map();
  for (const [c, nodes] of columns) {
    nodes.forEach((node, r) => place.set(node.id, { x: 10 + c * COL, y: H / 2 + (r - (nodes.length - 1) / 2) * 62, node }));
  }
  // The path: the selected link, then everything downstream of its z to the loss.
  const [sl, si, sj] = selected;
  const hot = new Set();
  const start = `z${sl}_${si}`;
  const queue = [start];
  const hotNodes = new Set([start]);
  while (queue.length) {
    const id = queue.shift();
    for (const e of graph.edges) {
      if (e.from === id && !hotNodes.has(e.to)) { hotNodes.add(e.to); queue.push(e.to); }
    }
  }
  graph.edges.forEach((e, k) => {
    const own = e.weight && e.weight[0] === sl && e.weight[1] === si && e.weight[2] === sj;
    if (own || (hotNodes.has(e.from) && hotNodes.has(e.to))) hot.add(k);
  });
  const src = graph.edges.find((e) => e.weight && e.weight[0] === sl && e.weight[1] === si && e.weight[2] === sj);
  if (src) hotNodes.add(src.from);
  const parts = [];
  graph.edges.forEach((e, k) => {
    const a = place.get(e.from);
    const b = place.get(e.to);
    const on = hot.has(k);
    const x1 = a.x + BOX;
    const y1 = a.y;
    const x2 = b.x;
    const y2 = b.y;
    const stroke = `stroke="${on ? COLORS.neg : '#cbd5e1'}" stroke-width="${on ? 2.5 : 1}" data-edge="${esc(e.kind)}"`;
    if (e.kind === 'skip') {
      // The skip jumps over the layer's own stages: a dashed arc through the gap above the row.
      const top = y1 - 31;
      parts.push(`<path d="M ${x1 - BOX / 2} ${y1 - 22} Q ${(x1 + x2) / 2} ${top - 12} ${x2 + BOX / 2} ${y2 - 22}" fill="none" ${stroke} stroke-dasharray="6 4"/>`);
      parts.push(`<text x="${(x1 + x2) / 2}" y="${top - 6}" class="edge-label${on ? ' hot' : ''}" text-anchor="middle">skip ${esc(fmt(e.local, 3))}</text>`);
      return;
    }
    parts.push(`<line x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}" ${stroke}/>`);
    const tx = x1 + 0.62 * (x2 - x1);
    const ty = y1 + 0.62 * (y2 - y1);
    parts.push(`<text x="${tx}" y="${ty - 2}" class="edge-label${on ? ' hot' : ''}" text-anchor="middle">${esc(fmt(e.local, 3))}</text>`);
  });
  for (const { x, y, node } of place.values()) {
    const name = node.kind === 'x' ? `x[${node.index}]` : node.kind === 'loss' ? 'loss'
      : `${node.kind}[${node.layer}][${node.index}]`;
    const on = hotNodes.has(node.id);
    const value = fmt(node.value, 4);
    const yhat = node.yhat !== undefined ? ` · ŷ ${fmt(node.yhat, 3)}` : node.mask !== undefined ? ` · mask ${node.mask}` : '';
    parts.push(`<g class="node${on ? ' hot' : ''}" data-node="${esc(node.id)}"><rect x="${x}" y="${y - 22}" width="${BOX}" height="44" rx="6"/>`
      + `<text x="${x + BOX / 2}" y="${y - 7}" text-anchor="middle" class="node-name">${esc(name)} = ${esc(value)}</text>`
      + `<text x="${x + BOX / 2}" y="${y + 13}" text-anchor="middle" class="node-grad">grad ${esc(fmt(node.grad, 4))}${esc(yhat)}</text></g>`);
  }
  el.innerHTML = `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" style="max-width: 100%; height: auto" role="img" aria-label="computational graph of sample ${graph.sample}">${parts.join('')}</svg>`
    + `<p class="hint">Sample ${graph.sample + 1} of the minibatch. Boxes: value and gradient (of the batch loss); edges: the local derivative (W on a link, act' to the activation, the loss's delta from the output's z${
    stages.includes('u') ? '; batch norm z to u: gamma inv_std (1 - 1/m - z_hat²/m), this row\'s own share' : ''}${
    stages.includes('f') ? '; dropout f to a: the mask\'s factor, 0 or 1/(1-p)' : ''}${
    graph.edges.some((e) => e.kind === 'skip') ? '; dashed: the skip, 1' : ''}). In orange: the path of W[${sl}][${si}][${sj}].</p>`;
}
