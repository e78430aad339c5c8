// Draw your own data on the output view (TF Playground #20): a click adds a point of the chosen
// class, shift-click one of the other class, alt-click (or the remove mode) takes away the
// nearest point. Each change starts a session on the drawn points (an inline binary
// classification dataset) that keeps the current weights, so the boundary stays put and the
// new points show against it.
import { clone } from '../state.js';

const DIGITS = 1000; // coordinates kept to 3 decimals: enough for a click, short in the link

const round = (v) => Math.round(v * DIGITS) / DIGITS;

/**
 * The points to draw on: the session's own rows when it is already a drawn (inline) set,
 * else the train and test rows GET .../data sent. Classes become 0/1.
 * @returns {{X: number[][], y: number[]}}
 */
export function pointsOf(session, data) {
  const ds = session.config.dataset;
  // An inline set's labels as given: a class number, a one-number row, or a one-hot row.
  const label = (r) => (!Array.isArray(r) ? r : r.length === 1 ? r[0] : r.indexOf(1));
  if (ds.name === 'inline' && Array.isArray(ds.X)) return { X: ds.X.map((r) => [r[0], r[1]]), y: ds.y.map(label) };
  const X = [];
  const y = [];
  for (const split of [data.train, data.test]) {
    if (!split?.X) continue;
    split.X.forEach((row, i) => {
      X.push([round(row[0]), round(row[1])]);
      y.push(Math.min(1, split.classes[i]));
    });
  }
  return { X, y };
}

/**
 * Where a mouse event falls in the chart's data coordinates, or null outside the plot area.
 * @param {HTMLElement} el a Plotly chart
 * @param {MouseEvent} event
 * @returns {[number, number]|null}
 */
export function chartCoords(el, event) {
  const full = el._fullLayout;
  if (!full || !full.xaxis || !full.yaxis) return null;
  const box = el.getBoundingClientRect();
  const size = full._size;
  const px = event.clientX - box.left - size.l;
  const py = event.clientY - box.top - size.t;
  if (px < 0 || py < 0 || px > size.w || py > size.h) return null;
  return [round(full.xaxis.p2l(px)), round(full.yaxis.p2l(py))];
}

/** Index of the point nearest to `at`, or -1 when there are none. */
export function nearest(points, at) {
  let best = -1;
  let bestD = Infinity;
  points.X.forEach(([a, b], i) => {
    const d = (a - at[0]) ** 2 + (b - at[1]) ** 2;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/**
 * The config of a session on the drawn points: binary classification with one sigmoid output,
 * the same features, network and training; the current weights kept when they fit.
 * @param {object} session the SessionState on screen
 * @param {{W, b}[]} params its parameters now (full lists)
 * @param {{X: number[][], y: number[]}} points
 */
export function drawnConfig(session, params, points) {
  const c = clone(session.config);
  const old = c.dataset;
  c.dataset = {
    name: 'inline', task: 'classification', X: points.X, y: points.y.map((v) => [v]),
    test_fraction: points.X.length >= 10 ? old.test_fraction ?? 0.2 : 0, seed: old.seed ?? c.seed,
  };
  if (old.features) c.dataset.features = old.features;
  const layers = c.model.layers;
  const keep = layers[layers.length - 1] === 1 && session.task === 'classification' && params.every((p) => Array.isArray(p.W));
  if (keep) {
    c.model.weights = params.map((p) => p.W);
    c.model.biases = params.map((p) => p.b);
  } else {
    layers[layers.length - 1] = 1;
    delete c.model.weights;
    delete c.model.biases;
    delete c.model.output_activation; // the server picks sigmoid + binary cross-entropy
    delete c.model.loss;
  }
  return c;
}

/**
 * A tap on a touch screen reaches the chart as two clicks on one spot (the browser's own and the
 * one Plotly dispatches after the emulated mouse-up): `fn` sees the first of them only.
 * @param {(event: MouseEvent) => void} fn
 * @param {number} ms clicks on the same pixel closer than this are one
 */
export function onePerTap(fn, ms = 500) {
  let last = null;
  return (event) => {
    const same = last && last.x === event.clientX && last.y === event.clientY && event.timeStamp - last.t < ms;
    last = { x: event.clientX, y: event.clientY, t: event.timeStamp };
    if (!same) fn(event);
  };
}
