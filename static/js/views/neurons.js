// The picture in every neuron: what each hidden and output neuron computes over the input plane
// (GET .../neurons, or the live frames' grids), drawn as small canvases over the network diagram
// at the diagram's own neuron positions (diagramGeometry). For data that is not 2-D each neuron
// shows instead a small histogram of its activation over the last Step's minibatch.
import { fmt, isSummary } from '../format.js';
import { scaleOf as colourScale, rgbOf } from '../theme.js';
import { diagramGeometry, toPixels } from './network.js';
import { COLORS, DIVERGING, countDraw } from './plot.js';

const BIG = 168;                  // the enlarged picture, px
const BINS = 12;

/** The colour scale of one picture: centred on 0.5 over [0, 1] for a probability output, on 0 otherwise. */
function scaleOf(grid, probability) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of grid) for (const v of row) if (v !== null) { if (v < lo) lo = v; if (v > hi) hi = v; }
  if (probability) return { centre: 0.5, half: 0.5, lo, hi };
  const half = Math.max(Math.abs(lo), Math.abs(hi)) || 1;
  return { centre: 0, half, lo, hi };
}

/** The theme's diverging scale as a function of t in [-1, 1], and its NaN colour, as RGB. */
const ends = () => {
  const scale = colourScale(DIVERGING);
  return { at: (t) => scale((t + 1) / 2), bad: rgbOf(COLORS.bad) };
};

function colour(v, { centre, half }, { at, bad }) {
  if (v === null || !Number.isFinite(v)) return bad;
  return at((v - centre) / half);
}

/** Paint an R x R grid (row i at y[i], bottom row first as on the plane) into a canvas. */
function paint(canvas, grid, scale) {
  const R = grid.length;
  const off = document.createElement('canvas');
  off.width = R;
  off.height = R;
  const ctx = off.getContext('2d');
  const img = ctx.createImageData(R, R);
  const scaleEnds = ends();
  for (let i = 0; i < R; i += 1) {
    const row = grid[i];
    for (let j = 0; j < R; j += 1) {
      const [r, g, b] = colour(row[j], scale, scaleEnds);
      const p = ((R - 1 - i) * R + j) * 4; // y grows upwards
      img.data[p] = r; img.data[p + 1] = g; img.data[p + 2] = b; img.data[p + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
  const out = canvas.getContext('2d');
  out.imageSmoothingEnabled = true;
  out.clearRect(0, 0, canvas.width, canvas.height);
  out.drawImage(off, 0, 0, canvas.width, canvas.height);
}

/** A histogram of `values` into a canvas (bars in the ink colour over [min, max]). */
function paintHistogram(canvas, values) {
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = DIVERGING[1][1];
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const finite = values.filter((v) => v !== null && Number.isFinite(v));
  if (!finite.length) return { lo: NaN, hi: NaN };
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const counts = new Array(BINS).fill(0);
  for (const v of finite) counts[hi > lo ? Math.min(BINS - 1, Math.floor(((v - lo) / (hi - lo)) * BINS)) : 0] += 1;
  const top = Math.max(...counts);
  const w = canvas.width / BINS;
  ctx.fillStyle = COLORS.pos;
  counts.forEach((c, k) => {
    const h = (c / top) * (canvas.height - 2);
    ctx.fillRect(k * w + 0.5, canvas.height - h, Math.max(1, w - 1), h);
  });
  return { lo, hi };
}

/**
 * Neuron pictures over one diagram element.
 */
export class NeuronPictures {
  /** @param {HTMLElement} diagram the network diagram's element (its parent holds the overlay) */
  constructor(diagram) {
    this.diagram = diagram;
    this.layer = document.createElement('div');
    this.layer.className = 'neuron-pictures';
    this.layer.setAttribute('data-testid', 'neuron-pictures');
    diagram.parentElement.insertBefore(this.layer, diagram.nextSibling);
    this.big = document.createElement('figure');
    this.big.className = 'neuron-big';
    this.big.hidden = true;
    this.big.innerHTML = `<canvas width="${BIG}" height="${BIG}"></canvas><figcaption></figcaption>`;
    this.layer.appendChild(this.big);
    this.canvases = new Map(); // "l,n" -> canvas
    this.key = '';
    this.last = null;          // what was drawn: {kind, layers, ...}
    this.residual = false;     // the diagram draws skip arcs (more room at the top)
  }

  /** Remove every picture (no session, or no data to show). */
  clear() {
    for (const c of this.canvases.values()) c.remove();
    this.canvases.clear();
    this.key = '';
    this.last = null;
    this.big.hidden = true;
  }

  /** Make (or keep) one canvas per drawn neuron, placed over the diagram's markers. */
  place(layers) {
    const g = diagramGeometry(layers, this.residual);
    const w = this.diagram.clientWidth;
    const h = this.diagram.clientHeight;
    const slotPx = (h - g.margin.t - g.margin.b) / (g.yRange[1] - g.yRange[0]); // one neuron's height
    const size = Math.round(Math.max(12, Math.min(44, g.nodeSize + 8, slotPx - 5)));
    const key = `${layers.join('-')}${this.residual ? '+skip' : ''}@${w}x${h}`;
    if (key === this.key) return;
    this.clear();
    this.key = key;
    this.layer.style.left = `${this.diagram.offsetLeft}px`;
    this.layer.style.top = `${this.diagram.offsetTop}px`;
    this.layer.style.width = `${w}px`;
    this.layer.style.height = `${h}px`;
    const { px, py } = toPixels(g, w, h);
    for (let k = 1; k < layers.length; k += 1) {
      for (const n of g.shown[k].idx) {
        const p = g.at(k, n);
        const c = document.createElement('canvas');
        c.width = size;
        c.height = size;
        c.className = 'neuron-picture';
        c.tabIndex = 0;
        c.setAttribute('data-testid', 'neuron-picture');
        c.dataset.neuron = `${k - 1},${n}`;
        c.setAttribute('aria-label', `neuron ${n} of a[${k - 1}]: its activation over the input plane`);
        c.style.left = `${Math.round(px(p.x) - size / 2)}px`;
        c.style.top = `${Math.round(py(p.y) - size / 2)}px`;
        c.addEventListener('focus', () => this.enlarge(c.dataset.neuron));
        c.addEventListener('blur', () => this.enlarge(null));
        this.layer.appendChild(c);
        this.canvases.set(c.dataset.neuron, c);
      }
    }
  }

  /**
   * Draw the grids of GET .../neurons (or a live frame's).
   * @param {number[]} layers the network's layer sizes
   * @param {{x: number[], y: number[], layers: {a: number[][][]}[]}} grids
   * @param {string} outputActivation
   */
  drawGrids(layers, grids, outputActivation) {
    this.place(layers);
    const L = layers.length - 1;
    for (const [key, canvas] of this.canvases) {
      const [l, n] = key.split(',').map(Number);
      const grid = grids.layers[l]?.a?.[n];
      if (!grid || isSummary(grid)) continue;
      const probability = l === L - 1 && (outputActivation === 'sigmoid' || outputActivation === 'softmax');
      paint(canvas, grid, scaleOf(grid, probability));
    }
    this.last = { kind: 'grid', layers, grids, outputActivation };
    countDraw(this.layer);
    if (!this.big.hidden) this.enlarge(this.big.dataset.neuron);
  }

  /** Histograms of each neuron's activation over a Step's minibatch (`forward[l].a`, rows are samples). */
  drawHistograms(layers, forward) {
    this.place(layers);
    for (const [key, canvas] of this.canvases) {
      const [l, n] = key.split(',').map(Number);
      const a = forward?.[l]?.a;
      if (!Array.isArray(a) || isSummary(a)) continue;
      paintHistogram(canvas, a.map((row) => row[n]));
    }
    this.last = { kind: 'histogram', layers, forward };
    countDraw(this.layer);
  }

  /** Show neuron "l,n" enlarged with its colour scale (null hides it). */
  enlarge(key) {
    const last = this.last;
    const small = key ? this.canvases.get(key) : null;
    if (!key || !last || !small) {
      this.big.hidden = true;
      return;
    }
    const [l, n] = key.split(',').map(Number);
    const canvas = this.big.querySelector('canvas');
    const caption = this.big.querySelector('figcaption');
    const name = `a[${l}] neuron ${n}`;
    if (last.kind === 'grid') {
      const grid = last.grids.layers[l].a[n];
      const L = last.layers.length - 1;
      const probability = l === L - 1 && (last.outputActivation === 'sigmoid' || last.outputActivation === 'softmax');
      const scale = scaleOf(grid, probability);
      paint(canvas, grid, scale);
      const ends = `${fmt(scale.centre - scale.half, 3)} (orange) · ${fmt(scale.centre, 3)} · ${fmt(scale.centre + scale.half, 3)} (blue)`;
      caption.innerHTML = `<b>${name}</b>${l === L - 1 ? ' (the output: the decision boundary)' : ''}<br>`
        + `x1 → (${fmt(last.grids.x[0], 3)} to ${fmt(last.grids.x[last.grids.x.length - 1], 3)}), x2 ↑<br>`
        + `<span class="scale"></span>${ends}<br>here from ${fmt(scale.lo, 4)} to ${fmt(scale.hi, 4)}`;
    } else {
      const { lo, hi } = paintHistogram(canvas, last.forward[l].a.map((row) => row[n]));
      caption.innerHTML = `<b>${name}</b>: its activation over the minibatch, from ${fmt(lo, 4)} to ${fmt(hi, 4)}`;
    }
    this.big.dataset.neuron = key;
    const left = Math.min(parseFloat(small.style.left) + small.width + 6, this.layer.clientWidth - BIG - 12);
    this.big.style.left = `${Math.max(0, left)}px`;
    this.big.style.top = `${Math.max(0, Math.min(parseFloat(small.style.top) - BIG / 2, this.layer.clientHeight - BIG - 60))}px`;
    this.big.hidden = false;
  }
}
