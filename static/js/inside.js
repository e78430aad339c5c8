// "See inside": the picture in every neuron, where one gradient comes from (the chain-rule panel
// and its computational graph) and how the weights and gradients spread (the distributions
// chart), with the layout for watching Play. Everything is the server's: GET .../neurons,
// .../chain and .../distributions through api.js, or the live frames' grids.
/* global Plotly */
import * as api from './api.js';
import { setNeurons, store } from './store.js';
import { renderChain, renderGraph } from './views/chain.js';
import { renderDistributions } from './views/distributions.js';
import { NeuronPictures } from './views/neurons.js';
import { countDraw, message } from './views/plot.js';

const $ = (id) => document.getElementById(id);
const RESOLUTION = 24;
const HISTOGRAM_ELEMENTS = 100000; // a layer's activations over a minibatch, sent in full up to this size

let pictures = null;
let hooked = null;            // the diagram element whose hover and click are wired
let distributions = null;     // the last GET .../distributions answer
const live = { neurons: null, asked: 0, drawnDist: null };

const planeOf = () => store.data?.train?.X?.[0]?.length ?? 0;

/** Wire the panels' controls (once, at start). */
export function initInside({ run }) {
  pictures = new NeuronPictures($('network'));
  for (const id of ['chain-layer', 'chain-out', 'chain-in']) {
    $(id).addEventListener('change', () => {
      fillChainSelects();
      run(showChain);
    });
  }
  for (const id of ['dist-layer', 'dist-kind']) $(id).addEventListener('change', drawDistributions);
  // The pictures sit at the diagram's pixel positions: a new size of the diagram moves them.
  new ResizeObserver(() => {
    if (store.neurons && store.session) {
      pictures.drawGrids(store.session.config.model.layers, store.neurons, store.session.config.model.output_activation);
    }
  }).observe($('network'));
  runner = run;
}

let runner = (f) => f();

/** Hover and click on the diagram: a neuron shows its picture enlarged, a link picks its weight. */
function hookDiagram() {
  const el = $('network');
  if (hooked === el) return;
  hooked = el;
  el.addEventListener('diagram-hover', (ev) => {
    const h = ev.detail;
    pictures.enlarge(h?.kind === 'neuron' && h.ids[0] > 0 ? `${h.ids[0] - 1},${h.ids[1]}` : null);
  });
  el.addEventListener('diagram-click', (ev) => {
    if (ev.detail.kind !== 'link' || !store.trace) return;
    const [l, i, j] = ev.detail.ids;
    $('chain-layer').value = String(l);
    fillChainSelects();
    $('chain-out').value = String(i);
    $('chain-in').value = String(j);
    runner(showChain);
  });
}

/** Watching (no Step to walk through): the step-through and the chain rule make room for the output view. */
export function layoutForWatching() {
  const watching = !store.trace;
  if (document.body.classList.contains('watching') === watching) return;
  document.body.classList.toggle('watching', watching);
  const out = $('output-chart');
  if (out && out.data && typeof Plotly !== 'undefined') Plotly.Plots.resize(out);
  if (store.neurons && store.session) {
    pictures.drawGrids(store.session.config.model.layers, store.neurons, store.session.config.model.output_activation);
  }
}

/** Options 0 .. n-1, keeping the choice where it still fits. */
function options(select, n) {
  const old = select.value;
  select.innerHTML = [...Array(n).keys()].map((k) => `<option value="${k}">${k}</option>`).join('');
  select.value = old !== '' && Number(old) < n ? old : '0';
}

/** The selects of W[l][i][j] and of the distributions' layer for this network. */
function fillChainSelects() {
  const layers = store.session.config.model.layers;
  options($('chain-layer'), layers.length - 1);
  const l = Number($('chain-layer').value);
  options($('chain-out'), layers[l + 1]);
  options($('chain-in'), layers[l]);
  options($('dist-layer'), layers.length - 1);
}

/** The chain rule of the selected weight with the last Step's numbers. */
async function showChain() {
  const body = $('chain-body');
  const graph = $('chain-graph');
  if (!store.trace || !store.session) {
    body.innerHTML = '<p class="hint">Take a <b>Step</b>, then pick a weight here or click its link in the diagram: '
      + 'this panel shows how its gradient was built, term by term, with that step\'s numbers.</p>';
    graph.innerHTML = '';
    return;
  }
  const l = Number($('chain-layer').value);
  const i = Number($('chain-out').value);
  const j = Number($('chain-in').value);
  const c = await api.chain(store.session.id, l, i, j);
  renderChain(body, c);
  renderGraph(graph, c.graph, [l, i, j]);
  countDraw($('chain-rule'));
}

async function drawDistributions() {
  const el = $('distributions-chart');
  if (!distributions) {
    message(el, 'no distributions yet');
    return;
  }
  renderDistributions(el, distributions, Number($('dist-layer').value), $('dist-kind').value);
}

/** After every action: the pictures, the chain rule and the distributions, from the server. */
export async function refreshInside() {
  if (!store.session || !pictures) return;
  hookDiagram();
  fillChainSelects();
  layoutForWatching();
  const s = store.session;
  const m = s.config.model;
  pictures.residual = !!m.residual;
  const [grids, dist] = await Promise.all([
    planeOf() === 2 ? api.neurons(s.id, RESOLUTION) : Promise.resolve(null),
    api.distributions(s.id),
  ]);
  if (store.session?.id !== s.id) return;
  setNeurons(grids);
  if (grids) pictures.drawGrids(m.layers, grids, m.output_activation);
  else {
    // Not 2-D: the activations over the last Step's minibatch, or (no Step to show) over the next
    // one at the weights now, a preview that changes nothing.
    const forward = store.trace?.forward
      ?? (await api.backward(s.id, { apply: false, include: ['forward'], maxElements: HISTOGRAM_ELEMENTS })).forward;
    if (store.session?.id !== s.id) return;
    pictures.drawHistograms(m.layers, forward);
  }
  distributions = dist;
  await drawDistributions();
  await showChain();
}

/** The views Play redraws in turn (see ViewRotation): the neuron pictures from the frames' grids,
 * and the distributions, asked for at most once a second; each only while on screen. */
export function liveInsideViews(whenShown) {
  return [
    whenShown($('network'), () => {
      if (!store.neurons || store.neurons === live.neurons) return;
      live.neurons = store.neurons;
      pictures.drawGrids(store.session.config.model.layers, store.neurons, store.session.config.model.output_activation);
    }),
    whenShown($('distributions-chart'), () => {
      const s = store.session;
      if (performance.now() - live.asked > 1000) {
        live.asked = performance.now();
        api.distributions(s.id).then((d) => {
          if (store.playing && store.session.id === s.id) distributions = d;
        }).catch(() => {}); // the sync after Pause reports what went wrong
      }
      if (!distributions || distributions === live.drawnDist) return;
      live.drawnDist = distributions;
      drawDistributions();
    }),
  ];
}
