// The decision boundary during Play, fast: a full Plotly redraw of the heatmap, its 0.5 contour
// and the points took about 30 ms a frame. While the figure Plotly last drew still fits (same
// axes, a probability heatmap), each new grid is painted on a canvas laid over its plot area:
// the grid smoothed between cell centres as the heatmap's zsmooth 'best', the 0.5 line, and the
// points of the figure's own marker traces on top. Plotly's axes, colour bar and hover stay as
// they are underneath; any full redraw of the view (renderOutput) takes the canvas away.
import { rgbOf, scaleOf } from '../theme.js';
import { sharpContext } from './canvas.js';
import { COLORS, PROBABILITY, countDraw } from './plot.js';

const overlays = new WeakMap(); // the output view's element -> its canvas

/** Take the canvas away (a full redraw of the view follows). */
export function hideLiveBoundary(el) {
  const canvas = overlays.get(el);
  if (canvas) canvas.hidden = true;
}

/** The figure's plot area and ranges, when it is a probability boundary drawn for the grid's extents. */
function fits(el, boundary) {
  const f = el._fullLayout;
  const [heatmap, contour] = el.data || [];
  if (!f || heatmap?.type !== 'heatmap' || contour?.type !== 'contour' || heatmap.name === 'discretized') return null;
  const { x, y } = boundary;
  const same = (range, v) => Math.abs(range[0] - v[0]) < 1e-9 && Math.abs(range[1] - v[v.length - 1]) < 1e-9;
  if (!same(f.xaxis.range, x) || !same(f.yaxis.range, y)) return null;
  return f._size;
}

/** The 0.5 line through the grid (marching squares), as segments in grid coordinates (j, i). */
function halfLine(z) {
  const segments = [];
  const R = z.length;
  const C = z[0].length;
  const cut = (a, b) => (0.5 - a) / (b - a);
  for (let i = 0; i + 1 < R; i += 1) {
    for (let j = 0; j + 1 < C; j += 1) {
      const v = [z[i][j], z[i][j + 1], z[i + 1][j + 1], z[i + 1][j]];
      if (v.some((c) => c === null || !Number.isFinite(c))) continue;
      const corners = [[j, i], [j + 1, i], [j + 1, i + 1], [j, i + 1]];
      const crossings = [];
      for (let e = 0; e < 4; e += 1) {
        const a = v[e];
        const b = v[(e + 1) % 4];
        if ((a < 0.5) !== (b < 0.5)) {
          const t = cut(a, b);
          const [p, q] = [corners[e], corners[(e + 1) % 4]];
          crossings.push([p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])]);
        }
      }
      if (crossings.length === 2) segments.push(crossings);
      else if (crossings.length === 4) segments.push([crossings[0], crossings[1]], [crossings[2], crossings[3]]);
    }
  }
  return segments;
}

/** One marker as Plotly draws it: 'circle' or 'diamond' (size its diameter), '-open' without fill. */
function marker(ctx, x, y, symbol, size, fill, line) {
  const r = size / 2;
  ctx.beginPath();
  if (symbol.startsWith('diamond')) {
    const d = r * 1.3;
    ctx.moveTo(x + d, y);
    ctx.lineTo(x, y + d);
    ctx.lineTo(x - d, y);
    ctx.lineTo(x, y - d);
    ctx.closePath();
  } else ctx.arc(x, y, r, 0, 2 * Math.PI);
  if (!symbol.endsWith('-open')) {
    ctx.fillStyle = fill;
    ctx.fill();
  }
  if (line.width > 0) {
    ctx.lineWidth = line.width;
    ctx.strokeStyle = line.color;
    ctx.stroke();
  }
}

/**
 * Paint a live frame's boundary grid over the figure Plotly last drew.
 * @param {HTMLElement} el the output view
 * @param {{x: number[], y: number[], z: (number|null)[][], finite?: boolean}} boundary P(class 1) on the grid, z[i][j] at (x[j], y[i])
 * @returns {boolean} false when the figure does not fit (draw it in full instead)
 */
export function paintLiveBoundary(el, boundary) {
  if (boundary.finite === false || !boundary.z?.length) return false;
  const size = fits(el, boundary);
  const container = el.querySelector('.svg-container');
  if (!size || !container) return false;
  let canvas = overlays.get(el);
  if (!canvas || !canvas.isConnected) {
    canvas = document.createElement('canvas');
    canvas.className = 'live-boundary';
    canvas.setAttribute('data-testid', 'live-boundary');
    canvas.style.position = 'absolute';
    canvas.style.pointerEvents = 'none'; // hover and the draw mode's clicks reach the figure below
    const below = container.querySelectorAll('svg.main-svg')[1]; // above the traces, below the hover labels
    container.insertBefore(canvas, below || null);
    overlays.set(el, canvas);
  }
  const { l, t, w, h } = size;
  Object.assign(canvas.style, { left: `${l}px`, top: `${t}px`, width: `${w}px`, height: `${h}px` });
  const ctx = sharpContext(canvas, w, h);
  ctx.clearRect(0, 0, w, h);

  // The grid, one pixel a cell (bottom row first), stretched so that cell centres land on their
  // points and smoothed in between.
  const { x, y, z } = boundary;
  const R = z.length;
  const C = z[0].length;
  const colour = scaleOf(PROBABILITY);
  const grid = document.createElement('canvas');
  grid.width = C;
  grid.height = R;
  const gctx = grid.getContext('2d');
  const img = gctx.createImageData(C, R);
  const bad = rgbOf(COLORS.bad);
  for (let i = 0; i < R; i += 1) {
    for (let j = 0; j < C; j += 1) {
      const v = z[i][j];
      const [r, g, b] = v === null || !Number.isFinite(v) ? bad : colour(v);
      const p = ((R - 1 - i) * C + j) * 4;
      img.data[p] = r; img.data[p + 1] = g; img.data[p + 2] = b; img.data[p + 3] = 255;
    }
  }
  gctx.putImageData(img, 0, 0);
  const cw = w / (C - 1);
  const ch = h / (R - 1);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'low'; // bilinear, as the heatmap's 'best'
  ctx.drawImage(grid, -cw / 2, -ch / 2, w + cw, h + ch);

  // The 0.5 line, styled as the figure's contour trace.
  const line = el.data[1].line || {};
  ctx.strokeStyle = line.color || COLORS.ink;
  ctx.lineWidth = line.width || 2.5;
  ctx.lineCap = 'round';
  ctx.beginPath();
  for (const [[j0, i0], [j1, i1]] of halfLine(z)) {
    ctx.moveTo(j0 * cw, h - i0 * ch);
    ctx.lineTo(j1 * cw, h - i1 * ch);
  }
  ctx.stroke();

  // The points, from the figure's own marker traces.
  const px = (v) => ((v - x[0]) / (x[C - 1] - x[0])) * w;
  const py = (v) => h - ((v - y[0]) / (y[R - 1] - y[0])) * h;
  for (const trace of el.data) {
    if (trace.type !== 'scatter' || trace.mode !== 'markers' || trace.visible === false) continue;
    const m = trace.marker || {};
    const symbol = m.symbol || 'circle';
    const lineStyle = { width: m.line?.width ?? 0, color: m.line?.color || m.color };
    trace.x.forEach((xv, k) => marker(ctx, px(xv), py(trace.y[k]), symbol, m.size || 6, m.color, lineStyle));
  }
  canvas.dataset.resolution = String(R);
  canvas.hidden = false;
  countDraw(el);
  return true;
}
