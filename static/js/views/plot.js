// The only place that knows Plotly's defaults: fonts big enough for a projector, no mode bar,
// and a chart that says what is wrong rather than staying blank.
/* global Plotly */
import { COLORS } from '../theme.js';

// The palettes live in theme.js (one module for the light and the dark theme); re-exported here
// so every view takes its colours and its Plotly defaults from one import.
export { CLASS_COLORS, COLORS, CONFUSION, DASHES, DIVERGING, PROBABILITY, SERIES, SYMBOLS } from '../theme.js';

const CONFIG = { displayModeBar: false, responsive: true, displaylogo: false, scrollZoom: false };
// On a touch screen a chart never holds the finger: no drag-to-zoom, so a swipe scrolls the page
// and a pinch zooms it, and a tap still reaches the chart (select a link or a neuron, draw a point).
const TOUCH = typeof window !== 'undefined' && !!window.matchMedia?.('(pointer: coarse)').matches;

/** A layout with the page's fonts and margins; `extra` wins. */
export function layout(extra = {}) {
  return {
    font: { family: 'DejaVu Sans, Liberation Sans, sans-serif', size: 14, color: COLORS.ink },
    margin: { l: 60, r: 16, t: 16, b: 48 },
    paper_bgcolor: COLORS.paper,
    plot_bgcolor: COLORS.paper,
    hoverlabel: { font: { size: 15, family: 'DejaVu Sans Mono, monospace' } },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { size: 13 } },
    ...(TOUCH ? { dragmode: false } : {}),
    ...extra,
  };
}

/** An axis with a readable title and light grid. */
export const axis = (title, extra = {}) => ({
  title: { text: title, font: { size: 14 } },
  gridcolor: COLORS.grid,
  zerolinecolor: COLORS.zero,
  linecolor: COLORS.zero,
  automargin: true,
  ...extra,
});

/** Count one redraw of a view on its container's `data-draws` (what tests and bench/page_speed.py read). */
export function countDraw(el) {
  el.dataset.draws = String((Number(el.dataset.draws) || 0) + 1);
}

/** Draw or update a chart in place. */
export const draw = (el, data, lay) => {
  countDraw(el);
  return Plotly.react(el, data, lay, CONFIG);
};

/** An empty chart that says why it is empty (e.g. "NaN (diverged)"). */
export function message(el, text, color = COLORS.muted) {
  return draw(el, [], layout({
    xaxis: { visible: false },
    yaxis: { visible: false },
    annotations: [{ text, showarrow: false, x: 0.5, y: 0.5, xref: 'paper', yref: 'paper', font: { size: 16, color } }],
  }));
}

/** A centred annotation over a drawn chart (e.g. the epoch a run diverged). */
export const note = (text, color = COLORS.bad, y = 0.95) =>
  ({ text, showarrow: false, x: 0.5, y, xref: 'paper', yref: 'paper', font: { size: 15, color }, bgcolor: COLORS.labelBg });
