// The only place that knows Plotly's defaults: fonts big enough for a projector, no mode bar,
// and a chart that says what is wrong rather than staying blank.
/* global Plotly */

export const COLORS = {
  ink: '#111827',
  muted: '#4b5563',
  grid: '#e5e7eb',
  pos: '#1d5fbf',
  neg: '#d9480f',
  bad: '#b91c1c',
  train: '#1d4ed8',
  test: '#b45309',
};

// Orange (negative) - white (zero) - blue (positive), the weight colours of the diagram.
export const DIVERGING = [[0, COLORS.neg], [0.5, '#f8fafc'], [1, COLORS.pos]];
// Probability of class 1: orange (class 0) through white (0.5) to blue (class 1).
export const PROBABILITY = [[0, '#f4a46a'], [0.5, '#ffffff'], [1, '#7aa7e0']];
// Ten distinguishable class colours (Tableau 10).
export const CLASS_COLORS = ['#d9480f', '#1d5fbf', '#2f9e44', '#7048e8', '#c2255c', '#8c6d1f', '#e8590c', '#495057', '#0b7285', '#5c940d'];

const CONFIG = { displayModeBar: false, responsive: true, displaylogo: false, scrollZoom: false };

/** A layout with the page's fonts and margins; `extra` wins. */
export function layout(extra = {}) {
  return {
    font: { family: 'DejaVu Sans, Liberation Sans, sans-serif', size: 14, color: COLORS.ink },
    margin: { l: 60, r: 16, t: 16, b: 48 },
    paper_bgcolor: '#ffffff',
    plot_bgcolor: '#ffffff',
    hoverlabel: { font: { size: 15, family: 'DejaVu Sans Mono, monospace' } },
    legend: { orientation: 'h', x: 0, y: 1.02, yanchor: 'bottom', font: { size: 13 } },
    ...extra,
  };
}

/** An axis with a readable title and light grid. */
export const axis = (title, extra = {}) => ({
  title: { text: title, font: { size: 14 } },
  gridcolor: COLORS.grid,
  zerolinecolor: '#cbd5e1',
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
  ({ text, showarrow: false, x: 0.5, y, xref: 'paper', yref: 'paper', font: { size: 15, color }, bgcolor: 'rgba(255,255,255,0.85)' });
